// SPDX-License-Identifier: GPL-2.0
/*
 * Folios in the page cache (5.16, "mm: Introduce struct folio" and the
 * folio series; some helpers came in the releases after, up to 5.19):
 * every folio function fuse2pt calls, in the form it calls it.  Without
 * them fuse2pt_compat.h works on head pages (the page cache of 5.10 and
 * 5.15 holds single pages, and huge pages only where khugepaged
 * collapsed read-only file text).
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/highmem.h>
#include <linux/writeback.h>

void f2p_probe_ra(struct readahead_control *rac);
void f2p_probe_ra(struct readahead_control *rac)
{
	struct folio *folio = readahead_folio(rac);

	if (folio)
		folio_unlock(folio);
}

int f2p_probe(struct address_space *mapping, struct page *page);
int f2p_probe(struct address_space *mapping, struct page *page)
{
	struct folio *folio = page_folio(page);
	struct folio *got;
	void *p;

	if (folio->mapping != mapping || folio_test_large(folio) ||
	    folio_nr_pages(folio) != 1 || folio_page(folio, 0) != page ||
	    offset_in_folio(folio, folio_pos(folio)) || !folio_size(folio))
		return -EINVAL;
	folio_lock(folio);
	folio_wait_writeback(folio);
	if (!folio_test_uptodate(folio)) {
		folio_zero_segment(folio, 0, folio_size(folio));
		folio_mark_uptodate(folio);
	}
	p = kmap_local_folio(folio, 0);
	kunmap_local(p);
	flush_dcache_folio(folio);
	folio_mark_dirty(folio);
	if (folio_clear_dirty_for_io(folio)) {
		folio_start_writeback(folio);
		folio_end_writeback(folio);
	}
	folio_unlock(folio);
	got = __filemap_get_folio(mapping, 0, FGP_LOCK, 0);
	if (!IS_ERR_OR_NULL(got)) {
		folio_unlock(got);
		folio_put(got);
	}
	got = read_mapping_folio(mapping, 0, NULL);
	if (IS_ERR(got))
		return PTR_ERR(got);
	p = folio_address(got);
	folio_put(got);
	return p ? 0 : -EINVAL;
}
