// SPDX-License-Identifier: GPL-2.0
/*
 * Space and server-side copies: FALLOCATE, and COPY_FILE_RANGE, which
 * falls back to a copy through the kernel when the server has none.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/pagemap.h>
#include "fuse2pt.h"

long f2p_fallocate(struct file *file, int mode, loff_t offset,
		   loff_t length)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_fallocate_in in = {
		.fh = ff->fh,
		.offset = offset,
		.length = length,
		.mode = mode,
	};
	struct f2p_args args = {
		.opcode = FUSE_FALLOCATE,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
	};
	bool clears = mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE);
	loff_t end = offset + length;
	ssize_t err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
		     FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (READ_ONCE(fc->no_fallocate))
		return -EOPNOTSUPP;

	inode_lock(inode);
	if (clears) {
		/* our dirty pages over the range would undo the server's zeros */
		err = filemap_write_and_wait_range(inode->i_mapping, offset,
						   end - 1);
		if (err)
			goto out;
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode)) {
		err = inode_newsize_ok(inode, end);
		if (err)
			goto out;
	}
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_fallocate, true);
		err = -EOPNOTSUPP;
	}
	if (err)
		goto out;
	if (!(mode & FALLOC_FL_KEEP_SIZE))
		file_update_time(file);
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode))
		i_size_write(inode, end);
	if (clears)
		truncate_pagecache_range(inode, offset, end - 1);
	f2p_attr_stale(inode);
out:
	inode_unlock(inode);
	return err;
}

static ssize_t f2p_copy_on_server(struct file *file_in, loff_t pos_in,
				  struct file *file_out, loff_t pos_out,
				  size_t len, unsigned int flags)
{
	struct inode *in_inode = file_inode(file_in);
	struct inode *out_inode = file_inode(file_out);
	struct f2p_conn *fc = f2p_inode_conn(in_inode);
	struct f2p_file *ff_in = file_in->private_data;
	struct f2p_file *ff_out = file_out->private_data;
	struct fuse_copy_file_range_in in = {
		.fh_in = ff_in->fh,
		.off_in = pos_in,
		.nodeid_out = ff_out->nodeid,
		.fh_out = ff_out->fh,
		.off_out = pos_out,
		.len = len,
		.flags = flags,
	};
	struct fuse_write_out out = {};
	struct f2p_args args = {
		.opcode = FUSE_COPY_FILE_RANGE,
		.nodeid = ff_in->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
		.out_numargs = 1,
		.out_args = { { sizeof(out), &out } },
	};
	ssize_t err;

	/* only one server can copy between its own files */
	if (file_out->f_op != &f2p_file_fops ||
	    f2p_inode_conn(out_inode) != fc)
		return -EXDEV;
	if (flags)
		return -EINVAL;
	if (f2p_is_bad(in_inode) || f2p_is_bad(out_inode))
		return -EIO;
	if (READ_ONCE(fc->no_copy_file_range))
		return -EOPNOTSUPP;

	inode_lock(out_inode);
	/* the server copies what it has: hand it our dirty pages first */
	err = filemap_write_and_wait_range(in_inode->i_mapping, pos_in,
					   pos_in + len - 1);
	if (!err)
		err = filemap_write_and_wait_range(out_inode->i_mapping,
						   pos_out, pos_out + len - 1);
	if (!err)
		err = file_remove_privs(file_out);
	if (err)
		goto out;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_copy_file_range, true);
		err = -EOPNOTSUPP;
	}
	if (err)
		goto out;
	if (out.size > len) {
		err = -EIO;
		goto out;
	}
	if (out.size) {
		file_update_time(file_out);
		truncate_inode_pages_range(out_inode->i_mapping, pos_out,
					   pos_out + out.size - 1);
		if (pos_out + (loff_t)out.size > i_size_read(out_inode))
			i_size_write(out_inode, pos_out + out.size);
	}
	f2p_attr_stale(out_inode);
	err = out.size;
out:
	inode_unlock(out_inode);
	return err;
}

/*
 * The reply's count is 32 bits: a larger copy could not say how much it
 * did.  Ask for at most the largest whole number of pages below 4 GiB;
 * the caller sees a short copy and goes on, as from any filesystem.
 */
#define F2P_COPY_MAX	((size_t)U32_MAX & PAGE_MASK)

ssize_t f2p_copy_file_range(struct file *file_in, loff_t pos_in,
			    struct file *file_out, loff_t pos_out,
			    size_t len, unsigned int flags)
{
	ssize_t ret;

	len = min(len, F2P_COPY_MAX);
	ret = f2p_copy_on_server(file_in, pos_in, file_out, pos_out, len,
				 flags);

	/* a server without COPY_FILE_RANGE: copy through us instead */
	if (ret == -EOPNOTSUPP || ret == -EXDEV)
		ret = f2p_splice_copy(file_in, pos_in, file_out, pos_out, len);
	return ret;
}
