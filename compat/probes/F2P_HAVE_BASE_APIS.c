// SPDX-License-Identifier: GPL-2.0
/*
 * What fuse2pt calls on every kernel, with no other path: the newest of
 * these sets the oldest kernel it builds for.  ->read_folio (5.19, "fs:
 * Introduce aops->read_folio"), iov_iter_get_pages2() (6.0), d_tmpfile()
 * on the open file (6.1, "vfs: open inside ->tmpfile()").  Without them
 * the Makefile stops with one message instead of a page of errors
 * (compat/HISTORY.md).
 */
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/uio.h>
int f2p_probe_rf(struct file *file, struct folio *folio);
int f2p_probe_rf(struct file *file, struct folio *folio)
{
	return 0;
}
const struct address_space_operations f2p_probe_aops = {
	.read_folio = f2p_probe_rf,
};
ssize_t f2p_probe(struct file *file, struct inode *inode, struct iov_iter *i,
		  struct page **pages, size_t *start);
ssize_t f2p_probe(struct file *file, struct inode *inode, struct iov_iter *i,
		  struct page **pages, size_t *start)
{
	d_tmpfile(file, inode);
	return iov_iter_get_pages2(i, pages, PAGE_SIZE, 1, start);
}
