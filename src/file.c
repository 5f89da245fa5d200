// SPDX-License-Identifier: GPL-2.0
/*
 * Regular files: OPEN/RELEASE/FLUSH and reads, through the page cache or,
 * for FOPEN_DIRECT_IO files, straight from the server.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/file.h>
#include <linux/fs.h>
#include "fuse2pt.h"

/* OPEN or OPENDIR; the reply stays in the per-file argument space. */
struct f2p_file *f2p_file_open(struct inode *inode, struct file *file,
			       bool isdir)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff;
	ssize_t err;

	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	if (!ff)
		return ERR_PTR(-ENOMEM);
	ff->fc = fc;
	ff->nodeid = f2p_nodeid(inode);

	ff->open.in.flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
	ff->args.opcode = isdir ? FUSE_OPENDIR : FUSE_OPEN;
	ff->args.nodeid = ff->nodeid;
	ff->args.in_numargs = 1;
	ff->args.in_args[0].size = sizeof(ff->open.in);
	ff->args.in_args[0].value = &ff->open.in;
	ff->args.out_numargs = 1;
	ff->args.out_args[0].size = sizeof(ff->open.out);
	ff->args.out_args[0].value = &ff->open.out;
	err = f2p_request(fc, &ff->args);
	if (err) {
		kfree(ff);
		return ERR_PTR(err);
	}
	ff->fh = ff->open.out.fh;
	ff->open_flags = ff->open.out.open_flags;
	return ff;
}

static void f2p_release_end(struct f2p_conn *fc, struct f2p_args *args,
			    int error)
{
	kfree(container_of(args, struct f2p_file, args));
}

/*
 * RELEASE travels in the background: close(2) must not wait for the
 * server.  The open reply's space now carries the release request.
 */
void f2p_file_release(struct inode *inode, struct file *file, bool isdir)
{
	struct f2p_file *ff = file->private_data;

	if (!ff)
		return;
	memset(&ff->args, 0, sizeof(ff->args));
	ff->release.fh = ff->fh;
	ff->release.flags = file->f_flags & ~O_EXCL;
	ff->args.opcode = isdir ? FUSE_RELEASEDIR : FUSE_RELEASE;
	ff->args.nodeid = ff->nodeid;
	ff->args.in_numargs = 1;
	ff->args.in_args[0].size = sizeof(ff->release);
	ff->args.in_args[0].value = &ff->release;
	ff->args.force = true;
	ff->args.end = f2p_release_end;
	file->private_data = NULL;
	f2p_request_bg(ff->fc, &ff->args, GFP_KERNEL | __GFP_NOFAIL);
}

static int f2p_open(struct inode *inode, struct file *file)
{
	struct f2p_file *ff;
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	err = generic_file_open(inode, file);
	if (err)
		return err;
	ff = f2p_file_open(inode, file, false);
	if (IS_ERR(ff))
		return PTR_ERR(ff);
	file->private_data = ff;

	if (ff->open_flags & FOPEN_STREAM)
		stream_open(inode, file);
	else if (ff->open_flags & FOPEN_NONSEEKABLE)
		nonseekable_open(inode, file);
	/* unless the server vouches for our cache, start from scratch */
	if (!(ff->open_flags & (FOPEN_KEEP_CACHE | FOPEN_DIRECT_IO)))
		invalidate_inode_pages2(inode->i_mapping);
	return 0;
}

static int f2p_release(struct inode *inode, struct file *file)
{
	f2p_file_release(inode, file, false);
	return 0;
}

static int f2p_flush(struct file *file, fl_owner_t id)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_flush_in in = {};
	struct f2p_args args = {};
	ssize_t err;

	if (f2p_is_bad(inode) || fc->no_flush || (ff->open_flags & FOPEN_NOFLUSH))
		return 0;
	in.fh = ff->fh;
	in.lock_owner = (u64)(unsigned long)id;
	args.opcode = FUSE_FLUSH;
	args.nodeid = ff->nodeid;
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.force = true;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		fc->no_flush = true;
		err = 0;
	}
	return err;
}

static void f2p_read_args(struct f2p_args *args, struct fuse_read_in *in,
			  struct f2p_file *ff, loff_t pos, size_t count,
			  unsigned int f_flags)
{
	in->fh = ff->fh;
	in->offset = pos;
	in->size = count;
	in->flags = f_flags;
	args->opcode = FUSE_READ;
	args->nodeid = ff->nodeid;
	args->in_numargs = 1;
	args->in_args[0].size = sizeof(*in);
	args->in_args[0].value = in;
	args->out_numargs = 1;
	args->out_argvar = true;
	args->out_args[0].size = count;
}

static int f2p_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file ? file->private_data : NULL;
	size_t size = folio_size(folio);
	struct fuse_read_in in = {};
	struct f2p_args args = {};
	ssize_t n;

	if (!ff || f2p_is_bad(inode)) {
		n = -EIO;
		goto out;
	}
	f2p_read_args(&args, &in, ff, folio_pos(folio), size, file->f_flags);
	args.out_folio = folio;
	n = f2p_request(fc, &args);
	if (n < 0)
		goto out;
	/* a short read is end of file: the rest of the folio is zeros */
	if (n < size)
		folio_zero_segment(folio, n, size);
	folio_mark_uptodate(folio);
	n = 0;
out:
	folio_unlock(folio);
	return n;
}

/* FOPEN_DIRECT_IO: bypass the page cache, bounce through a kernel buffer. */
static ssize_t f2p_direct_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct f2p_file *ff = file->private_data;
	struct f2p_conn *fc = ff->fc;
	size_t chunk_max = min_t(size_t, fc->max_read,
				 (size_t)fc->max_pages << PAGE_SHIFT);
	ssize_t total = 0;
	void *buf;

	chunk_max = max_t(size_t, chunk_max, PAGE_SIZE);
	buf = kvmalloc(min(chunk_max, iov_iter_count(to)) ?: 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (iov_iter_count(to)) {
		size_t want = min(chunk_max, iov_iter_count(to));
		struct fuse_read_in in = {};
		struct f2p_args args = {};
		ssize_t n;

		f2p_read_args(&args, &in, ff, iocb->ki_pos, want, file->f_flags);
		args.out_args[0].value = buf;
		n = f2p_request(fc, &args);
		if (n < 0) {
			if (!total)
				total = n;
			break;
		}
		if (copy_to_iter(buf, n, to) != n) {
			if (!total)
				total = -EFAULT;
			break;
		}
		iocb->ki_pos += n;
		total += n;
		if (n < want)
			break;
	}
	kvfree(buf);
	return total;
}

static ssize_t f2p_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct f2p_file *ff = file->private_data;
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (ff->open_flags & FOPEN_DIRECT_IO)
		return f2p_direct_read(iocb, to);
	/* reading past what we think is the end: the file may have grown */
	if (iocb->ki_pos + iov_iter_count(to) > i_size_read(inode)) {
		err = f2p_update_attr(inode, file, false);
		if (err)
			return err;
	}
	return generic_file_read_iter(iocb, to);
}

static loff_t f2p_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	int err;

	if (whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE) {
		err = f2p_update_attr(inode, file, true);
		if (err)
			return err;
	}
	return generic_file_llseek(file, offset, whence);
}

static ssize_t f2p_splice_read(struct file *in, loff_t *ppos,
			       struct pipe_inode_info *pipe, size_t len,
			       unsigned int flags)
{
	struct f2p_file *ff = in->private_data;

	if (ff->open_flags & FOPEN_DIRECT_IO)
		return f2p_copy_splice_read(in, ppos, pipe, len, flags);
	return f2p_cached_splice_read(in, ppos, pipe, len, flags);
}

static int f2p_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct f2p_file *ff = file->private_data;

	/* the page cache would go stale behind a direct-io file's back */
	if (ff->open_flags & FOPEN_DIRECT_IO)
		return -ENODEV;
	return generic_file_readonly_mmap(file, vma);
}

const struct file_operations f2p_file_fops = {
	.llseek		= f2p_llseek,
	.read_iter	= f2p_read_iter,
	.mmap		= f2p_mmap,
	.open		= f2p_open,
	.flush		= f2p_flush,
	.release	= f2p_release,
	.splice_read	= f2p_splice_read,
};

const struct address_space_operations f2p_file_aops = {
	.read_folio	= f2p_read_folio,
};
