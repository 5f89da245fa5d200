// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl(2) on regular files and directories, passed to the server as
 * FUSE_IOCTL in its restricted form: the command's own _IOC encoding says
 * how many bytes go to the server (_IOC_WRITE) and how many may come back
 * (_IOC_READ), both at the argument's address.  The server may not ask
 * for other memory (FUSE_IOCTL_RETRY is for CUSE's unrestricted form),
 * so a reply that does is broken: EIO.
 *
 * A server without IOCTL (ENOSYS) is not asked again: every later ioctl
 * is ENOTTY at once, which is what the caller of stock fuse sees too.
 *
 * 32-bit callers get ENOTTY: struct layouts of a 32-bit caller differ
 * and few servers handle FUSE_IOCTL_COMPAT (libfuse's example refuses
 * it), so we do not offer it.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/fs.h>
#include "fuse2pt.h"

/* directory ioctls came with protocol 7.18 */
#define F2P_IOCTL_DIR_MINOR	18

struct f2p_ioctl {
	struct f2p_args args;
	struct fuse_ioctl_in in;
	struct fuse_ioctl_out out;
};

/* The reply of a restricted ioctl: nothing but a result and the data. */
static long f2p_ioctl_check(const struct fuse_ioctl_out *out, ssize_t got,
			    size_t want)
{
	if (out->flags || out->in_iovs || out->out_iovs)
		return -EIO;	/* RETRY, or iovecs we never offered */
	if (got < 0 || got > want)
		return -EIO;
	/* a negative result is an errno, never one of our internal ones */
	if (out->result <= -512)
		return -EIO;
	if (out->result == -ENOSYS)
		return -ENOTTY;
	return 0;
}

/*
 * FS_IOC_GETFLAGS and SETFLAGS say "long" but carry an int everywhere
 * (stock fuse sends them with 4 bytes too): copying 8 would overrun the
 * caller's int.
 */
static size_t f2p_ioctl_size(unsigned int cmd)
{
	if (cmd == FS_IOC_GETFLAGS || cmd == FS_IOC_SETFLAGS)
		return sizeof(int);
	return _IOC_SIZE(cmd);
}

static long f2p_do_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg, u32 flags)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	void __user *uarg = (void __user *)arg;
	size_t size = f2p_ioctl_size(cmd);
	size_t in_size = (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0;
	size_t out_size = (_IOC_DIR(cmd) & _IOC_READ) ? size : 0;
	struct f2p_ioctl *io;
	void *buf = NULL;
	ssize_t got;
	long ret;

	if (!f2p_allow_current(fc))
		return -EACCES;
	if (f2p_is_bad(inode))
		return -EIO;
	if (READ_ONCE(fc->no_ioctl) || !ff)
		return -ENOTTY;

	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (!io)
		return -ENOMEM;
	if (in_size || out_size) {
		/* at most 16 KiB: _IOC_SIZE has 14 bits */
		buf = kvzalloc(size, GFP_KERNEL);
		ret = -ENOMEM;
		if (!buf)
			goto out;
		ret = -EFAULT;
		if (in_size && copy_from_user(buf, uarg, in_size))
			goto out;
	}

	io->in.fh = ff->fh;
	io->in.flags = flags;
	io->in.cmd = cmd;
	io->in.arg = arg;
	io->in.in_size = in_size;
	io->in.out_size = out_size;
	io->args.opcode = FUSE_IOCTL;
	io->args.nodeid = ff->nodeid;
	io->args.in_numargs = in_size ? 2 : 1;
	io->args.in_args[0].size = sizeof(io->in);
	io->args.in_args[0].value = &io->in;
	io->args.in_args[1].size = in_size;
	io->args.in_args[1].value = buf;
	/* the data may come back short, but never longer than asked */
	io->args.out_numargs = 2;
	io->args.out_argvar = true;
	io->args.out_args[0].size = sizeof(io->out);
	io->args.out_args[0].value = &io->out;
	io->args.out_args[1].size = out_size;
	io->args.out_args[1].value = buf;

	got = f2p_request(fc, &io->args);
	if (got == -ENOSYS) {
		WRITE_ONCE(fc->no_ioctl, true);
		ret = -ENOTTY;
		goto out;
	}
	if (got < 0) {
		ret = got;
		goto out;
	}
	ret = f2p_ioctl_check(&io->out, got, out_size);
	if (ret)
		goto out;
	ret = -EFAULT;
	if (got && copy_to_user(uarg, buf, got))
		goto out;
	ret = io->out.result;
out:
	kvfree(buf);
	kfree(io);
	return ret;
}

long f2p_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return f2p_do_ioctl(file, cmd, arg, 0);
}

long f2p_dir_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	/* an older server would take it for an ioctl on a regular file */
	if (f2p_inode_conn(file_inode(file))->minor < F2P_IOCTL_DIR_MINOR)
		return -ENOTTY;
	return f2p_do_ioctl(file, cmd, arg, FUSE_IOCTL_DIR);
}

/* see the head of this file */
long f2p_compat_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}
