// SPDX-License-Identifier: GPL-2.0
/*
 * Write-through writes of regular files: the data goes to the server as
 * WRITE requests, in chunks of max_write, and the page cache is updated
 * or invalidated behind them.  Writes that may run side by side
 * (FOPEN_PARALLEL_DIRECT_WRITES) share the inode lock.  The writeback
 * cache (writeback.c) and direct I/O (dio.c) have their own paths.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/pipe_fs_i.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/fs.h>
#include "fuse2pt.h"

void f2p_write_args(struct f2p_args *args, struct fuse_write_in *in,
		    struct fuse_write_out *out, struct f2p_file *ff, loff_t pos,
		    const void *buf, size_t len, unsigned int f_flags,
		    u32 write_flags)
{
	in->fh = ff->fh;
	in->offset = pos;
	in->size = len;
	in->write_flags = write_flags;
	in->flags = f_flags;
	args->opcode = FUSE_WRITE;
	args->nodeid = ff->nodeid;
	args->in_numargs = 2;
	args->in_args[0].size = ff->fc->minor < 9 ? FUSE_COMPAT_WRITE_IN_SIZE :
						    sizeof(*in);
	args->in_args[0].value = in;
	args->in_args[1].size = len;
	args->in_args[1].value = (void *)buf;
	args->out_numargs = 1;
	args->out_args[0].size = sizeof(*out);
	args->out_args[0].value = out;
}

/* WRITE @len bytes held in @pages (from offset 0) at @pos. */
ssize_t f2p_send_write(struct f2p_file *ff, loff_t pos, struct page **pages,
		       size_t len, unsigned int f_flags, u32 write_flags)
{
	struct f2p_conn *fc = ff->fc;
	struct fuse_write_in in = {};
	struct fuse_write_out out = {};
	struct f2p_args args = {};
	ssize_t err;

	f2p_write_args(&args, &in, &out, ff, pos, NULL, len, f_flags,
		       write_flags);
	args.in_pages = pages;
	err = f2p_request(fc, &args);
	if (err)
		return err;
	/* a server may write less, never more than it was given */
	if (out.size > len)
		return -EIO;
	return out.size;
}

/* Fill @pages from @from, up to @len bytes; returns what was copied. */
static size_t f2p_pages_fill(struct page **pages, size_t len,
			     struct iov_iter *from)
{
	size_t done = 0;

	while (done < len) {
		size_t n = min_t(size_t, PAGE_SIZE, len - done);
		size_t got = copy_page_from_iter(pages[done >> PAGE_SHIFT], 0,
						 n, from);

		done += got;
		if (got < n)
			break;
	}
	return done;
}

/*
 * Write-through: data goes to the server at once, in max_write chunks,
 * and the page cache over the range is dropped so later reads ask again.
 */
static ssize_t f2p_write_chunks(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct f2p_file *ff = file->private_data;
	size_t chunk_max = ff->fc->max_write;
	struct f2p_wbuf *wb;
	ssize_t total = 0;

	wb = f2p_wbuf_get(ff->fc, min(chunk_max, iov_iter_count(from)));
	if (!wb)
		return -ENOMEM;
	while (iov_iter_count(from)) {
		size_t want = min(chunk_max, iov_iter_count(from));
		size_t got = f2p_pages_fill(wb->pages, want, from);
		ssize_t n;

		if (!got) {
			if (!total)
				total = -EFAULT;
			break;
		}
		n = f2p_send_write(ff, iocb->ki_pos, wb->pages, got,
				   file->f_flags, 0);
		if (n < 0) {
			iov_iter_revert(from, got);
			if (!total)
				total = n;
			break;
		}
		iocb->ki_pos += n;
		total += n;
		if (n < got) {
			iov_iter_revert(from, got - n);
			break;
		}
	}
	f2p_wbuf_put(ff->fc, wb);
	return total;
}

/*
 * FOPEN_PARALLEL_DIRECT_WRITES: a direct write that leaves the size and
 * the file's privileges alone (not appending, not past the end, no
 * set-id bit to drop) takes the inode lock shared.
 */
static bool f2p_write_may_share(struct kiocb *iocb, struct iov_iter *from)
{
	struct f2p_file *ff = iocb->ki_filp->private_data;
	struct inode *inode = file_inode(iocb->ki_filp);

	return (ff->open_flags & FOPEN_PARALLEL_DIRECT_WRITES) &&
	       !(iocb->ki_flags & IOCB_APPEND) &&
	       !(inode->i_mode & (S_ISUID | S_ISGID)) &&
	       iocb->ki_pos + iov_iter_count(from) <= i_size_read(inode);
}

/*
 * How a write holds the inode lock: exclusive, shared (and counted as a
 * parallel writer), or already, by the splice that called it.
 */
enum f2p_wlock { F2P_WLOCK_EXCL, F2P_WLOCK_SHARED, F2P_WLOCK_SPLICE };

static enum f2p_wlock f2p_write_lock(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (f2p_splicing(inode))
		return F2P_WLOCK_SPLICE;
	if (f2p_write_may_share(iocb, from)) {
		inode_lock_shared(inode);
		/* the size may have moved while we waited */
		if (f2p_write_may_share(iocb, from) &&
		    f2p_iomode_dio_write_start(inode))
			return F2P_WLOCK_SHARED;
		inode_unlock_shared(inode);
	}
	inode_lock(inode);
	return F2P_WLOCK_EXCL;
}

/* @count_too: a shared writer also ends its count here */
static void f2p_write_unlock(struct inode *inode, enum f2p_wlock how,
			     bool count_too)
{
	switch (how) {
	case F2P_WLOCK_SHARED:
		inode_unlock_shared(inode);
		if (count_too)
			f2p_iomode_dio_write_end(inode);
		break;
	case F2P_WLOCK_EXCL:
		inode_unlock(inode);
		break;
	case F2P_WLOCK_SPLICE:
		break;	/* the splice unlocks */
	}
}

/* Data in the pipe, or no writer left to bring any (unlocked peek). */
static bool f2p_pipe_ready(struct pipe_inode_info *pipe)
{
	return !pipe_empty(READ_ONCE(pipe->head), READ_ONCE(pipe->tail)) ||
	       !READ_ONCE(pipe->writers);
}

/*
 * Every splice into one of our files takes the inode lock before the
 * pipe's, never after.  A passthrough file's splice holds its inode, then
 * the backing file system's freeze protection, then the pipe (the backing
 * file's own splice_write); iter_file_splice_write alone would lock the
 * pipe, then the inode in ->write_iter, and the two orders together make
 * a circle: lockdep reported it, and with a freeze of the backing file
 * system pending it is a deadlock.
 *
 * @locked runs with the inode locked and SPLICE_F_NONBLOCK: an empty
 * pipe is waited for here, without the inode lock, or anyone able to
 * write the file could hold its lock for as long as a pipe stays empty.
 * -EAGAIN with the pipe ready again is tried once more, then returned:
 * it is the write's own answer (a server's WRITE reply, say), not the
 * pipe's.
 */
ssize_t f2p_splice_inode_first(struct pipe_inode_info *pipe,
			       struct file *out, loff_t *ppos, size_t len,
			       unsigned int flags, f2p_splice_fn locked)
{
	struct inode *inode = file_inode(out);
	bool again = false;
	ssize_t ret;

	for (;;) {
		inode_lock(inode);
		ret = locked(pipe, out, ppos, len, flags | SPLICE_F_NONBLOCK);
		inode_unlock(inode);
		if (ret != -EAGAIN || (flags & SPLICE_F_NONBLOCK))
			return ret;
		if (f2p_pipe_ready(pipe)) {
			if (again)
				return ret;
			again = true;
			continue;
		}
		again = false;
		if (wait_event_interruptible(pipe->rd_wait,
					     f2p_pipe_ready(pipe)))
			return -ERESTARTSYS;
	}
}

/* fi->splicer tells the write paths that this task holds the lock. */
static ssize_t f2p_write_splice_locked(struct pipe_inode_info *pipe,
				       struct file *out, loff_t *ppos,
				       size_t len, unsigned int flags)
{
	struct f2p_inode *fi = F2P_I(file_inode(out));
	ssize_t ret;

	WRITE_ONCE(fi->splicer, current);
	ret = iter_file_splice_write(pipe, out, ppos, len, flags);
	WRITE_ONCE(fi->splicer, NULL);
	return ret;
}

/* Splice into a file that is not passthrough: through ->write_iter. */
ssize_t f2p_write_splice(struct pipe_inode_info *pipe, struct file *out,
			 loff_t *ppos, size_t len, unsigned int flags)
{
	return f2p_splice_inode_first(pipe, out, ppos, len, flags,
				      f2p_write_splice_locked);
}

ssize_t f2p_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct f2p_inode *fi = F2P_I(inode);
	struct f2p_file *ff = file->private_data;
	enum f2p_wlock how;
	loff_t start;
	ssize_t ret;

	if (f2p_is_bad(inode))
		return -EIO;
	/* PASSTHROUGH|DIRECT_IO: data to the server, only mmap passes through */
	if (ff->backing_file && !(ff->open_flags & FOPEN_DIRECT_IO))
		return f2p_pt_write_iter(iocb, from);
	/* writeback cache: the page cache takes it, O_APPEND at our size */
	if (ff->fc->writeback_cache && !(ff->open_flags & FOPEN_DIRECT_IO) &&
	    !(iocb->ki_flags & IOCB_DIRECT))
		return f2p_wb_write_iter(iocb, from);
	if (iocb->ki_flags & IOCB_APPEND) {
		/* the end of file is the server's, not our cached idea of it */
		ret = f2p_update_attr(inode, file, false);
		if (ret)
			return ret;
	}
	how = f2p_write_lock(iocb, from);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (!ret)
		ret = file_update_time(file);	/* writeback cache: ours */
	if (ret)
		goto out;
	start = iocb->ki_pos;
	/* mapped pages dirtied over this range must not land after us */
	ret = filemap_write_and_wait_range(inode->i_mapping, start,
					   start + iov_iter_count(from) - 1);
	if (ret)
		goto out;
	if (f2p_dio_async_ok(iocb, from)) {
		/* no cached copy may outlive the write: drop it now */
		invalidate_inode_pages2_range(inode->i_mapping,
				start >> PAGE_SHIFT,
				(start + iov_iter_count(from) - 1) >> PAGE_SHIFT);
		/* the parallel writer count goes with the I/O */
		ret = f2p_dio_write_async(iocb, from,
					  how == F2P_WLOCK_SHARED);
		f2p_write_unlock(inode, how, false);
		return ret;
	}
	ret = f2p_write_chunks(iocb, from);
	if (ret > 0) {
		spin_lock(&fi->lock);
		if (iocb->ki_pos > i_size_read(inode))
			i_size_write(inode, iocb->ki_pos);
		/*
		 * Size and times changed on the server: ask before trusting,
		 * and let no answer sent before the write shrink the file
		 * (and drop its cache) again.
		 */
		fi->attr_version = atomic64_inc_return(&ff->fc->attr_version);
		fi->attr_expire = 0;
		spin_unlock(&fi->lock);
		invalidate_inode_pages2_range(inode->i_mapping,
					      start >> PAGE_SHIFT,
					      (iocb->ki_pos - 1) >> PAGE_SHIFT);
	}
out:
	f2p_write_unlock(inode, how, true);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}
