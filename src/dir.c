// SPDX-License-Identifier: GPL-2.0
/*
 * Directories: OPENDIR, READDIR and RELEASEDIR.
 *
 * Each READDIR reply is a packed run of fuse_dirent records.  A record
 * that claims more bytes than the reply holds ends the run (the server
 * said less than it meant); a record with an empty or over-long name, or
 * a name containing '/', is a broken server and gives EIO.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include "fuse2pt.h"

static int f2p_dir_open(struct inode *inode, struct file *file)
{
	struct f2p_file *ff;

	if (f2p_is_bad(inode))
		return -EIO;
	ff = f2p_file_open(inode, file, true);
	if (IS_ERR(ff))
		return PTR_ERR(ff);
	file->private_data = ff;
	return 0;
}

static int f2p_dir_release(struct inode *inode, struct file *file)
{
	f2p_file_release(inode, file, true);
	return 0;
}

/* Emit the records of one reply; returns 1 when the caller's buffer is full. */
static int f2p_parse_dirents(struct dir_context *ctx, const char *buf,
			     size_t nbytes)
{
	while (nbytes >= FUSE_NAME_OFFSET) {
		const struct fuse_dirent *d = (const void *)buf;
		size_t reclen;

		if (!d->namelen || d->namelen > F2P_NAME_MAX)
			return -EIO;
		reclen = FUSE_DIRENT_SIZE(d);
		if (reclen > nbytes)
			break;
		if (memchr(d->name, '/', d->namelen))
			return -EIO;
		if (!dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
			return 1;
		ctx->pos = d->off;
		buf += reclen;
		nbytes -= reclen;
	}
	return 0;
}

static int f2p_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_read_in in = {};
	struct f2p_args args = {};
	ssize_t n;
	char *buf;
	int err = 0;

	if (f2p_is_bad(inode))
		return -EIO;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/*
	 * One READDIR per call: getdents comes back for more, and a reply
	 * that yields no record ends the listing instead of spinning.
	 */
	in.fh = ff->fh;
	in.offset = ctx->pos;
	in.size = PAGE_SIZE;
	in.flags = file->f_flags;
	args.opcode = FUSE_READDIR;
	args.nodeid = ff->nodeid;
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.out_numargs = 1;
	args.out_argvar = true;
	args.out_args[0].size = PAGE_SIZE;
	args.out_args[0].value = buf;
	n = f2p_request(fc, &args);
	if (n < 0)
		err = n;
	else if (n > 0)
		err = f2p_parse_dirents(ctx, buf, n);
	kfree(buf);
	return err < 0 ? err : 0;
}

const struct file_operations f2p_dir_fops = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= f2p_readdir,
	.open		= f2p_dir_open,
	.release	= f2p_dir_release,
};
