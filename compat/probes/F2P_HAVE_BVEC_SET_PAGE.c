// SPDX-License-Identifier: GPL-2.0
/*
 * bvec_set_page() (mainline 6.3, and in the 6.1 stable series that
 * Debian's 6.1 follows): fills a bio_vec.  Kernels without it get the
 * same three assignments from fuse2pt_compat.h.
 */
#include <linux/bvec.h>
void f2p_probe(struct bio_vec *bv, struct page *page);
void f2p_probe(struct bio_vec *bv, struct page *page)
{
	bvec_set_page(bv, page, PAGE_SIZE, 0);
}
