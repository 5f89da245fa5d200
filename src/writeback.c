// SPDX-License-Identifier: GPL-2.0
/*
 * The writeback cache (FUSE_WRITEBACK_CACHE, when the server accepts it).
 *
 * Buffered writes land in the page cache and go to the server later, as
 * WRITEs with FUSE_WRITE_CACHE from the writepages path in mmap.c (the one
 * shared writable mappings use).  Meanwhile the kernel owns a regular
 * file's size, mtime and ctime (see f2p_apply_attr() in inode.c): the
 * server's attributes do not override them, and the times go back to the
 * server as a SETATTR when the inode is written: by the flusher, at
 * fsync, at close (FLUSH) and before the last writer's RELEASE.
 */
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/writeback.h>
#include "fuse2pt.h"

/*
 * A write into one folio is about to be copied in.  The folio must hold
 * the file's bytes around the written range: unless the write covers it
 * whole or it lies past the end of file, read it from the server first.
 */
int f2p_write_begin(f2p_wb_ctx_t ctx, struct address_space *mapping,
			   loff_t pos, unsigned int len, f2p_wpage_t **pagep,
			   void **fsdata)
{
	struct inode *inode = mapping->host;
	struct file *file = f2p_wb_file(ctx);
	struct folio *folio;
	loff_t size = i_size_read(inode);
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	folio = f2p_grab_write_folio(mapping, pos >> PAGE_SHIFT);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*pagep = f2p_folio_wpage(folio);
	if (folio_test_uptodate(folio))
		return 0;
	/* overwritten whole: write_end checks that all of it arrived */
	if (offset_in_folio(folio, pos) == 0 && len >= folio_size(folio))
		return 0;
	if (folio_pos(folio) >= size) {
		/* past the end: nothing on the server, zeros around the data */
		folio_zero_segment(folio, 0, folio_size(folio));
		folio_mark_uptodate(folio);
		return 0;
	}
	err = file ? f2p_read_folio_locked(file, folio) : -EIO;
	if (err) {
		folio_unlock(folio);
		folio_put(folio);
		return err;
	}
	/* whatever the server still has past our end of file is gone */
	if (folio_pos(folio) + folio_size(folio) > size)
		folio_zero_segment(folio, size - folio_pos(folio),
				   folio_size(folio));
	return 0;
}

int f2p_write_end(f2p_wb_ctx_t ctx, struct address_space *mapping,
			 loff_t pos, unsigned int len, unsigned int copied,
			 f2p_wpage_t *page, void *fsdata)
{
	struct inode *inode = mapping->host;
	struct f2p_inode *fi = F2P_I(inode);
	struct folio *folio = f2p_wpage_folio(page);

	if (!folio_test_uptodate(folio)) {
		/* a whole-folio write came up short: the caller retries */
		if (copied < len) {
			copied = 0;
			goto out;
		}
		folio_mark_uptodate(folio);
	}
	if (!copied)
		goto out;
	/* still under the folio lock: writeback must not cut at the old end */
	if (pos + copied > i_size_read(inode)) {
		spin_lock(&fi->lock);
		i_size_write(inode, pos + copied);
		spin_unlock(&fi->lock);
	}
	folio_mark_dirty(folio);
out:
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

/* Buffered write of a cached file: into the page cache, sent later. */
ssize_t f2p_wb_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	ssize_t ret;

	/* checks, privilege removal, our mtime, then write_begin/end */
	if (!f2p_splicing(file_inode(iocb->ki_filp)))
		return generic_file_write_iter(iocb, from);
	/* the same, under the lock the splice holds (f2p_write_splice) */
	ret = generic_write_checks(iocb, from);
	if (ret > 0)
		ret = __generic_file_write_iter(iocb, from);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/* Are @inode's size and times the kernel's to keep (and to send)? */
static bool f2p_times_are_ours(struct inode *inode)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);

	return fc->writeback_cache && S_ISREG(inode->i_mode) &&
	       !f2p_is_bad(inode) && READ_ONCE(fc->connected);
}

/*
 * The inode's times are dirty: send the mtime we keep, and the ctime to
 * servers that take one (protocol 7.23), through an open file's handle
 * if the inode has a writer.  The reply's size is ignored by
 * f2p_apply_attr: we may hold data the server has not seen.
 */
int f2p_write_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct fuse_setattr_in in = {};
	struct timespec64 m, c;
	struct f2p_file *ff;
	int err;

	if (!f2p_times_are_ours(inode))
		return 0;
	ff = f2p_write_file_get(inode);
	m = f2p_inode_get_mtime(inode);
	c = f2p_inode_get_ctime(inode);
	in = (struct fuse_setattr_in) {
		.valid = FATTR_MTIME | (ff ? FATTR_FH : 0),
		.fh = ff ? ff->fh : 0,
		.mtime = m.tv_sec,
		.mtimensec = m.tv_nsec,
	};
	if (f2p_inode_conn(inode)->minor >= 23) {
		in.valid |= FATTR_CTIME;
		in.ctime = c.tv_sec;
		in.ctimensec = c.tv_nsec;
	}
	err = f2p_send_setattr(inode, &in);
	if (ff)
		f2p_write_file_put(ff);
	return err;
}

/* Data, then times: what FLUSH, FSYNC and the last RELEASE want first. */
int f2p_wb_sync(struct inode *inode)
{
	int err = filemap_write_and_wait(inode->i_mapping);

	if (!err && f2p_inode_conn(inode)->writeback_cache)
		err = write_inode_now(inode, 1);
	return err;
}
