// SPDX-License-Identifier: GPL-2.0
/*
 * What fuse2pt calls on every kernel, with no other path: the newest of
 * these sets the oldest kernel it builds for, 5.10 (compat/HISTORY.md).
 * ->readahead and readahead_count() (5.8, the readahead_control API),
 * IOCB_WAITQ (5.9), inode_wrong_type() and memcpy_from_page() in
 * <linux/highmem.h> (both in Debian's 5.10 from the 5.10 stable series;
 * the mainline release of each is not verified).  Without them the
 * Makefile stops with one message instead of a page of errors.
 */
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/highmem.h>
static void f2p_probe_ra(struct readahead_control *rac)
{
	if (!readahead_count(rac))
		return;
}

const struct address_space_operations f2p_probe_aops = {
	.readahead = f2p_probe_ra,
};

int f2p_probe(struct inode *inode, struct kiocb *iocb, char *to,
	      struct page *page);
int f2p_probe(struct inode *inode, struct kiocb *iocb, char *to,
	      struct page *page)
{
	memcpy_from_page(to, page, 0, 1);
	return inode_wrong_type(inode, S_IFREG) ||
	       (iocb->ki_flags & IOCB_WAITQ);
}
