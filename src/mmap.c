// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings of regular files, and dirty folios going to the server as
 * WRITE requests: from shared writable mappings and from the writeback
 * cache.  Writeback borrows an open file that may write (write_files);
 * that file's release (file.c) waits until every borrower has let it go.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/fs.h>
#include <linux/writeback.h>
#include "fuse2pt.h"

struct f2p_file *f2p_write_file_get(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);
	struct f2p_file *ff = NULL;

	spin_lock(&fi->lock);
	if (!list_empty(&fi->write_files)) {
		ff = list_first_entry(&fi->write_files, struct f2p_file,
				      write_entry);
		atomic_inc(&ff->wb_users);
	}
	spin_unlock(&fi->lock);
	return ff;
}

void f2p_write_file_put(struct f2p_file *ff)
{
	if (atomic_dec_and_test(&ff->wb_users))
		wake_up_var(&ff->wb_users);
}

/* Send the part of @folio below i_size; the folio stays as it is. */
static int f2p_write_folio_data(struct inode *inode, struct folio *folio)
{
	loff_t pos = f2p_folio_pos(folio), size = i_size_read(inode);
	struct page **pages;
	struct f2p_file *ff;
	unsigned long i;
	size_t len;
	ssize_t n;

	if (pos >= size)
		return 0;	/* truncated meanwhile: nothing to keep */
	len = min_t(loff_t, f2p_folio_size(folio), size - pos);
	pages = kmalloc_array(f2p_folio_nr_pages(folio), sizeof(*pages),
			      GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < f2p_folio_nr_pages(folio); i++)
		pages[i] = f2p_folio_page(folio, i);
	ff = f2p_write_file_get(inode);
	if (ff) {
		/* from the cache, not from a caller: the server may tell */
		n = f2p_send_write(ff, pos, pages, len, 0, FUSE_WRITE_CACHE);
		f2p_write_file_put(ff);
		if (n >= 0 && n < len)
			n = -EIO;
		/* mtime moved on the server */
		f2p_attr_stale(inode);
	} else {
		n = -EIO;
	}
	kfree(pages);
	return n < 0 ? n : 0;
}

/*
 * Writeback gathers contiguous dirty folios, each under writeback and
 * unlocked, and sends them as one WRITE of up to max_write bytes (and
 * max_pages pages), straight from their pages.
 */
struct f2p_wb_batch {
	struct inode *inode;
	struct folio **folios;
	struct page **pages;
	unsigned int nr, max;
	size_t bytes, max_bytes;
};

/* Send the batch's part below i_size, and end writeback of every folio. */
static int f2p_wb_batch_send(struct f2p_wb_batch *b)
{
	struct inode *inode = b->inode;
	loff_t pos, size = i_size_read(inode);
	struct f2p_file *ff;
	unsigned int i, p;
	ssize_t n = 0;
	size_t len;

	if (!b->nr)
		return 0;
	pos = f2p_folio_pos(b->folios[0]);
	/* past the end (truncated meanwhile): nothing to keep */
	if (pos < size) {
		len = min_t(loff_t, b->bytes, size - pos);
		/* the batch's pages in order, a large folio's each */
		for (i = 0, p = 0; i < b->nr; i++) {
			unsigned long j;

			for (j = 0; j < f2p_folio_nr_pages(b->folios[i]); j++)
				b->pages[p++] = f2p_folio_page(b->folios[i], j);
		}
		ff = f2p_write_file_get(inode);
		if (ff) {
			n = f2p_send_write(ff, pos, b->pages, len, 0,
					   FUSE_WRITE_CACHE);
			f2p_write_file_put(ff);
			if (n >= 0 && n < len)
				n = -EIO;
		} else {
			n = -EIO;
		}
		/* mtime moved on the server */
		f2p_attr_stale(inode);
	}
	for (i = 0; i < b->nr; i++) {
		if (n < 0)
			mapping_set_error(f2p_folio_mapping(b->folios[i]), n);
		f2p_folio_end_writeback(b->folios[i]);
	}
	b->nr = 0;
	b->bytes = 0;
	return n < 0 ? n : 0;
}

static int f2p_writeback_folio(struct folio *folio,
			       struct writeback_control *wbc, void *data)
{
	struct f2p_wb_batch *b = data;
	struct folio *last = b->nr ? b->folios[b->nr - 1] : NULL;
	int err = 0;

	/* not next to the batch, or no room left: send the batch first */
	if (last && (b->nr == b->max ||
		     b->bytes + f2p_folio_size(folio) > b->max_bytes ||
		     f2p_folio_pos(last) + f2p_folio_size(last) !=
		     f2p_folio_pos(folio)))
		err = f2p_wb_batch_send(b);
	f2p_folio_start_writeback(folio);
	f2p_folio_unlock(folio);
	b->folios[b->nr++] = folio;
	b->bytes += f2p_folio_size(folio);
	return err;
}

int f2p_writepages(struct address_space *mapping,
		   struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_wb_batch b = { .inode = inode };
	int err, err2;

	if (f2p_is_bad(inode))
		return -EIO;
	b.max_bytes = min_t(size_t, fc->max_write,
			    (size_t)fc->max_pages << PAGE_SHIFT);
	b.max_bytes = max_t(size_t, b.max_bytes, PAGE_SIZE);
	b.max = b.max_bytes >> PAGE_SHIFT;
	b.folios = kmalloc_array(b.max, sizeof(*b.folios), GFP_KERNEL);
	b.pages = kmalloc_array(b.max, sizeof(*b.pages), GFP_KERNEL);
	/* nothing started yet: the folios stay dirty for a later try */
	if (!b.folios || !b.pages) {
		kfree(b.folios);
		kfree(b.pages);
		return -ENOMEM;
	}
	err = f2p_write_cache_folios(mapping, wbc, f2p_writeback_folio, &b);
	err2 = f2p_wb_batch_send(&b);
	kfree(b.folios);
	kfree(b.pages);
	return err ?: err2;
}

/* invalidate_inode_pages2() met a dirty folio: write it out first */
int f2p_launder_folio(struct folio *folio)
{
	if (!f2p_folio_clear_dirty_for_io(folio))
		return 0;
	return f2p_write_folio_data(f2p_folio_mapping(folio)->host,
				    folio);
}

static vm_fault_t f2p_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = f2p_page_folio(vmf->page);
	struct inode *inode = file_inode(vmf->vma->vm_file);

	/* writeback cache: the mtime is ours to move (else a no-op) */
	file_update_time(vmf->vma->vm_file);
	f2p_folio_lock(folio);
	if (f2p_folio_mapping(folio) != inode->i_mapping) {
		/* truncated under us: let the fault retry */
		f2p_folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	/* the server must get what was there when writeback started */
	f2p_folio_wait_writeback(folio);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct f2p_vm_ops = {
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= f2p_page_mkwrite,
};

int f2p_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct f2p_file *ff = file->private_data;

	if (ff->backing_file)
		return f2p_pt_mmap(file, vma);
	/* an inode in passthrough mode has no page cache to map */
	if (READ_ONCE(F2P_I(file_inode(file))->fb))
		return -ENODEV;
	/*
	 * A direct-io file has no cache to share writes through, unless the
	 * server allows one (DIRECT_IO_ALLOW_MMAP): the file then turns
	 * cached for good.  A private mapping is a copy, fresh from the
	 * server.
	 */
	if (ff->open_flags & FOPEN_DIRECT_IO) {
		struct inode *inode = file_inode(file);
		int err;

		if ((vma->vm_flags & VM_MAYSHARE) &&
		    !READ_ONCE(ff->fc->direct_io_allow_mmap))
			return -ENODEV;
		invalidate_inode_pages2(file->f_mapping);
		if (vma->vm_flags & VM_MAYSHARE) {
			err = f2p_iomode_mmap_cached(inode, ff);
			if (err)
				return err;
		}
	}
	file_accessed(file);
	vma->vm_ops = &f2p_vm_ops;
	return 0;
}
