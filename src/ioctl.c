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
 *
 * File attributes (FS_IOC_GETFLAGS/SETFLAGS, FS_IOC_FSGETXATTR/FSSETXATTR)
 * go to the server as the same ioctls, but a server never sees a change
 * the kernel would not allow on a local filesystem: only the owner (or
 * CAP_FOWNER) changes them, only CAP_LINUX_IMMUTABLE turns the immutable
 * or append-only flag on or off, never on a read-only mount, and project
 * ids only from the initial user namespace.  The server may refuse more.
 *
 *  - Kernels with ->fileattr_get/->fileattr_set (5.13): the VFS takes
 *    these commands before ->unlocked_ioctl, makes the checks, and calls
 *    f2p_fileattr_get/set(), as it does for the file_getattr and
 *    file_setattr system calls (6.17) and for overlayfs.  Those come
 *    without an open file, so each call opens a handle of its own
 *    (OPEN, IOCTL, RELEASE), as stock fuse does.
 *  - The ioctl path still checks a change that reaches it (kernels without
 *    those operations, or a stacking filesystem that hands ioctls down):
 *    f2p_setattr_ioctl(), on the caller's open file.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/projid.h>
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

/*
 * One FUSE_IOCTL on @ff: @in_size bytes of @buf go to the server, up to
 * @out_size bytes come back into it (*@got says how many).  Returns the
 * server's result, or our error for a failed or broken reply (*@got 0).
 */
static long f2p_ioctl_send(struct f2p_conn *fc, struct f2p_file *ff,
			   unsigned int cmd, unsigned long arg, u32 flags,
			   void *buf, size_t in_size, size_t out_size,
			   size_t *got)
{
	struct f2p_ioctl *io;
	ssize_t ret;

	*got = 0;
	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (!io)
		return -ENOMEM;
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

	ret = f2p_request(fc, &io->args);
	if (ret == -ENOSYS) {
		WRITE_ONCE(fc->no_ioctl, true);
		ret = -ENOTTY;
	} else if (ret >= 0) {
		long err = f2p_ioctl_check(&io->out, ret, out_size);

		if (!err)
			*got = ret;
		ret = err ?: io->out.result;
	}
	kfree(io);
	return ret;
}

/* ---- file attributes ---- */

/* what FS_IOC_[GS]ETFLAGS or FS_IOC_FS[GS]ETXATTR carry */
union f2p_attr_buf {
	u32 flags;
	struct fsxattr xa;
};

/*
 * Send @cmd, one of the four, with @buf on @ff: 0 or an error.  What
 * comes back must be whole; a positive result means nothing.
 */
static int f2p_attr_send(struct inode *inode, struct f2p_file *ff,
			 unsigned int cmd, union f2p_attr_buf *buf)
{
	size_t size = f2p_ioctl_size(cmd);
	bool get = _IOC_DIR(cmd) & _IOC_READ;
	u32 flags = S_ISDIR(inode->i_mode) ? FUSE_IOCTL_DIR : 0;
	size_t got;
	long ret;

	ret = f2p_ioctl_send(f2p_inode_conn(inode), ff, cmd, 0, flags, buf,
			     get ? 0 : size, get ? size : 0, &got);
	if (ret < 0)
		return ret;
	if (get && got != size)
		return -EIO;
	return 0;
}

/* Changing the immutable or append-only flag takes CAP_LINUX_IMMUTABLE. */
static int f2p_setflags_check(u32 old, u32 new)
{
	u32 changed = old ^ new;

	if ((changed & (FS_IMMUTABLE_FL | FS_APPEND_FL)) &&
	    !capable(CAP_LINUX_IMMUTABLE))
		return -EPERM;
	/* project inheritance is quota's, verity is set up only by its ioctl */
	if ((changed & FS_PROJINHERIT_FL) && current_user_ns() != &init_user_ns)
		return -EINVAL;
	if (changed & FS_VERITY_FL)
		return -EINVAL;
	return 0;
}

/* The same for FS_IOC_FSSETXATTR, and what the VFS asks of its fields. */
static int f2p_fssetxattr_check(struct inode *inode, const struct fsxattr *old,
				struct fsxattr *new)
{
	u32 changed = old->fsx_xflags ^ new->fsx_xflags;

	if ((changed & (FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND)) &&
	    !capable(CAP_LINUX_IMMUTABLE))
		return -EPERM;
	/* project ids are quota: not to be changed from a user namespace */
	if (current_user_ns() != &init_user_ns) {
		if (old->fsx_projid != new->fsx_projid ||
		    (changed & FS_XFLAG_PROJINHERIT))
			return -EINVAL;
	} else if (old->fsx_projid != new->fsx_projid &&
		   !projid_valid(make_kprojid(&init_user_ns, new->fsx_projid))) {
		return -EINVAL;
	}
	if ((new->fsx_xflags & FS_XFLAG_EXTSIZE) && !S_ISREG(inode->i_mode))
		return -EINVAL;
	if ((new->fsx_xflags & FS_XFLAG_EXTSZINHERIT) && !S_ISDIR(inode->i_mode))
		return -EINVAL;
	if ((new->fsx_xflags & (FS_XFLAG_COWEXTSIZE | FS_XFLAG_DAX)) &&
	    !S_ISREG(inode->i_mode) && !S_ISDIR(inode->i_mode))
		return -EINVAL;
	/* a hint of zero is no hint */
	if (!new->fsx_extsize)
		new->fsx_xflags &= ~(FS_XFLAG_EXTSIZE | FS_XFLAG_EXTSZINHERIT);
	if (!new->fsx_cowextsize)
		new->fsx_xflags &= ~FS_XFLAG_COWEXTSIZE;
	memset(new->fsx_pad, 0, sizeof(new->fsx_pad));
	return 0;
}

/*
 * FS_IOC_SETFLAGS or FS_IOC_FSSETXATTR on an open file, checked here as
 * vfs_fileattr_set() would: the server is asked for the attributes now
 * and gets the change only if the caller may make it.  The inode lock
 * keeps two changes from checking against the same old attributes.
 */
static long f2p_setattr_ioctl(struct file *file, unsigned int cmd,
			      void __user *uarg)
{
	struct inode *inode = file_inode(file);
	struct f2p_file *ff = file->private_data;
	union f2p_attr_buf old = {}, new = {};
	bool xattr = cmd == FS_IOC_FSSETXATTR;
	long ret;

	if (copy_from_user(&new, uarg, f2p_ioctl_size(cmd)))
		return -EFAULT;
	ret = mnt_want_write_file(file);
	if (ret)
		return ret;
	ret = -EPERM;
	if (!f2p_file_owner_or_capable(file))
		goto out_write;
	inode_lock(inode);
	ret = f2p_attr_send(inode, ff, xattr ? FS_IOC_FSGETXATTR :
					       FS_IOC_GETFLAGS, &old);
	if (!ret)
		ret = xattr ? f2p_fssetxattr_check(inode, &old.xa, &new.xa) :
			      f2p_setflags_check(old.flags, new.flags);
	if (!ret)
		ret = f2p_attr_send(inode, ff, cmd, &new);
	inode_unlock(inode);
out_write:
	mnt_drop_write_file(file);
	return ret;
}

#ifdef F2P_USE_FILEATTR_OPS
/*
 * A handle of our own for one attribute request: the VFS hands us a
 * dentry, and there may be no open file at all (file_getattr(2)).
 */
static struct f2p_file *f2p_attr_open(struct inode *inode)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	bool isdir = S_ISDIR(inode->i_mode);

	/* the server hears from nobody the mount does not allow */
	if (!f2p_allow_current(fc))
		return ERR_PTR(-EACCES);
	if (f2p_is_bad(inode))
		return ERR_PTR(-EIO);
	if (!S_ISREG(inode->i_mode) && !isdir)
		return ERR_PTR(-ENOTTY);
	if (READ_ONCE(fc->no_ioctl) ||
	    (isdir && fc->minor < F2P_IOCTL_DIR_MINOR))
		return ERR_PTR(-ENOTTY);
	return f2p_file_open_flags(inode, O_RDONLY, isdir);
}

static void f2p_attr_close(struct inode *inode, struct f2p_file *ff)
{
	/* the RELEASE keeps the inode, so that its FORGET comes after */
	ihold(inode);
	ff->release_inode = inode;
	f2p_file_put_release(ff, O_RDONLY, S_ISDIR(inode->i_mode));
}

/*
 * Which of the two the caller wants is a hint (flags_valid: GETFLAGS);
 * the VFS asks for the old attributes before a change without one, and
 * gets FSGETXATTR, which holds them all.
 */
int f2p_fileattr_get(struct dentry *dentry, F2P_FILEATTR_T *fa)
{
	struct inode *inode = d_inode(dentry);
	union f2p_attr_buf buf = {};
	struct f2p_file *ff;
	int err;

	ff = f2p_attr_open(inode);
	if (IS_ERR(ff))
		return PTR_ERR(ff);
	if (fa->flags_valid) {
		err = f2p_attr_send(inode, ff, FS_IOC_GETFLAGS, &buf);
		if (!err)
			fileattr_fill_flags(fa, buf.flags);
	} else {
		err = f2p_attr_send(inode, ff, FS_IOC_FSGETXATTR, &buf);
		if (!err) {
			fileattr_fill_xflags(fa, buf.xa.fsx_xflags);
			fa->fsx_extsize = buf.xa.fsx_extsize;
			fa->fsx_nextents = buf.xa.fsx_nextents;
			fa->fsx_projid = buf.xa.fsx_projid;
			fa->fsx_cowextsize = buf.xa.fsx_cowextsize;
		}
	}
	f2p_attr_close(inode, ff);
	return err;
}

/* Only after vfs_fileattr_set() checked the caller and the change. */
int f2p_fileattr_set(F2P_FILEATTR_NS_T *ns, struct dentry *dentry,
		     F2P_FILEATTR_T *fa)
{
	struct inode *inode = d_inode(dentry);
	union f2p_attr_buf buf = {};
	struct f2p_file *ff;
	int err;

	ff = f2p_attr_open(inode);
	if (IS_ERR(ff))
		return PTR_ERR(ff);
	if (fa->flags_valid) {
		buf.flags = fa->flags;
		err = f2p_attr_send(inode, ff, FS_IOC_SETFLAGS, &buf);
	} else {
		buf.xa.fsx_xflags = fa->fsx_xflags;
		buf.xa.fsx_extsize = fa->fsx_extsize;
		buf.xa.fsx_nextents = fa->fsx_nextents;
		buf.xa.fsx_projid = fa->fsx_projid;
		buf.xa.fsx_cowextsize = fa->fsx_cowextsize;
		err = f2p_attr_send(inode, ff, FS_IOC_FSSETXATTR, &buf);
	}
	f2p_attr_close(inode, ff);
	return err;
}
#endif /* F2P_USE_FILEATTR_OPS */

/* ---- ioctl(2) ---- */

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
	void *buf = NULL;
	size_t got;
	long ret;

	if (!f2p_allow_current(fc))
		return -EACCES;
	if (f2p_is_bad(inode))
		return -EIO;
	if (READ_ONCE(fc->no_ioctl) || !ff)
		return -ENOTTY;
	if (cmd == FS_IOC_SETFLAGS || cmd == FS_IOC_FSSETXATTR)
		return f2p_setattr_ioctl(file, cmd, uarg);
	/*
	 * The 32-bit numbers of the flag ioctls, from a 64-bit caller: no
	 * local filesystem takes them natively, and a server that did (a
	 * 32-bit one passing them on) would change flags unchecked.
	 */
	if (cmd == FS_IOC32_SETFLAGS || cmd == FS_IOC32_GETFLAGS)
		return -ENOTTY;

	if (in_size || out_size) {
		/* at most 16 KiB: _IOC_SIZE has 14 bits */
		buf = kvzalloc(size, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		ret = -EFAULT;
		if (in_size && copy_from_user(buf, uarg, in_size))
			goto out;
	}
	ret = f2p_ioctl_send(fc, ff, cmd, arg, flags, buf, in_size, out_size,
			     &got);
	if (got && copy_to_user(uarg, buf, got))
		ret = -EFAULT;
out:
	kvfree(buf);
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
