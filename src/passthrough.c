// SPDX-License-Identifier: GPL-2.0
/*
 * Passthrough I/O: reads, writes, splice and mmap of a passthrough file
 * go to our open of the backing file, with the credentials the server
 * registered it with, and never reach the server.
 *
 * How the backing file is driven differs between kernels (the
 * backing-file helpers of 6.8+, or backing-shim.c before 6.5); that is
 * the compat layer's business, behind f2p_backing_*().  Both drop
 * setuid/setgid on the FUSE file before a write, both complete
 * asynchronous kiocbs asynchronously; what they do not share is written
 * in fuse2pt_compat.h and backing-shim.c.
 *
 * The connection counts the bytes each read and write call returned, for
 * its control directory: one atomic add per call that moved data.  Not
 * counted are mapped pages (faults on the backing file's mapping never
 * come here) and asynchronous kiocbs that the backing filesystem queued
 * (aio or io_uring, mostly with O_DIRECT): their result reaches the
 * caller's completion, not us.
 */
#include <linux/fs.h>
#include <linux/uio.h>
#include <linux/mm.h>
#include "fuse2pt.h"

/*
 * After a write on the backing file, the FUSE inode's size and times
 * follow it.  Called with the user's (FUSE) file.
 */
void f2p_pt_end_write(struct file *file)
{
	struct inode *inode = file_inode(file);
	struct f2p_file *ff = file->private_data;
	struct f2p_inode *fi;
	struct inode *binode;

	/* helpers may hand us either file: act on ours only */
	if (file->f_op != &f2p_file_fops || !ff || !ff->backing_file)
		return;
	fi = F2P_I(inode);
	binode = file_inode(ff->backing_file);
	spin_lock(&fi->lock);
	/* a GETATTR answered before this write must not undo it */
	fi->attr_version = atomic64_inc_return(&ff->fc->attr_version);
	i_size_write(inode, i_size_read(binode));
	f2p_inode_set_mtime(inode, f2p_inode_get_mtime(binode));
	f2p_inode_set_ctime(inode, f2p_inode_get_ctime(binode));
	spin_unlock(&fi->lock);
}

/* What a call moved, @ret if positive, adds to the connection's @bytes. */
static ssize_t f2p_pt_count(atomic64_t *bytes, ssize_t ret)
{
	if (ret > 0)
		atomic64_add(ret, bytes);
	return ret;
}

ssize_t f2p_pt_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct f2p_file *ff = iocb->ki_filp->private_data;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	ret = f2p_backing_read_iter(ff->backing_file, to, iocb, ff->fb->cred);
	return f2p_pt_count(&ff->fc->pt_read_bytes, ret);
}

ssize_t f2p_pt_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct f2p_file *ff = file->private_data;
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	/* the FUSE inode's size must move in step with the backing file's */
	inode_lock(inode);
	ret = f2p_backing_write_iter(ff->backing_file, from, iocb,
				     ff->fb->cred);
	inode_unlock(inode);
	return f2p_pt_count(&ff->fc->pt_write_bytes, ret);
}

ssize_t f2p_pt_splice_read(struct file *in, loff_t *ppos,
			   struct pipe_inode_info *pipe, size_t len,
			   unsigned int flags)
{
	struct f2p_file *ff = in->private_data;
	ssize_t ret;

	ret = f2p_backing_splice_read(ff->backing_file, in, ppos, pipe, len,
				      flags, ff->fb->cred);
	/* where it went through our ->read_iter, that counted it already */
	if (F2P_PT_SPLICE_READS_ITER)
		return ret;
	return f2p_pt_count(&ff->fc->pt_read_bytes, ret);
}

/* Called with the FUSE inode locked (f2p_splice_inode_first). */
static ssize_t f2p_pt_splice_locked(struct pipe_inode_info *pipe,
				    struct file *out, loff_t *ppos, size_t len,
				    unsigned int flags)
{
	struct f2p_file *ff = out->private_data;
	ssize_t ret;

	ret = f2p_backing_splice_write(pipe, ff->backing_file, out, ppos, len,
				       flags, ff->fb->cred);
	return f2p_pt_count(&ff->fc->pt_write_bytes, ret);
}

ssize_t f2p_pt_splice_write(struct pipe_inode_info *pipe, struct file *out,
			    loff_t *ppos, size_t len, unsigned int flags)
{
	return f2p_splice_inode_first(pipe, out, ppos, len, flags,
				      f2p_pt_splice_locked);
}

int f2p_pt_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct f2p_file *ff = file->private_data;

	return f2p_backing_mmap(ff->backing_file, file, vma, ff->fb->cred);
}
