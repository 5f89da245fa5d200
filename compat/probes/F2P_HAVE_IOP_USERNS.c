// SPDX-License-Identifier: GPL-2.0
/*
 * Inode operations, xattr handlers and the VFS helpers they call take the
 * mount's struct user_namespace (5.12, the idmapped mounts series: "fs:
 * add id translation helpers" and the rest of it; until 6.2, when 6.3
 * made it a struct mnt_idmap: F2P_HAVE_MNT_IDMAP).  Every form fuse2pt
 * uses is compiled here; without them (5.10, 5.11) the VFS hands over no
 * idmapping and fuse2pt_compat.h adapts (F2P_IOP()).
 */
#include <linux/fs.h>
#include <linux/xattr.h>
#include <linux/posix_acl.h>

static int f2p_probe_getattr(struct user_namespace *ns,
			     const struct path *path, struct kstat *stat,
			     u32 request_mask, unsigned int flags)
{
	generic_fillattr(ns, d_inode(path->dentry), stat);
	return 0;
}

static int f2p_probe_permission(struct user_namespace *ns,
				struct inode *inode, int mask)
{
	return generic_permission(ns, inode, mask);
}

static int f2p_probe_setattr(struct user_namespace *ns, struct dentry *dentry,
			     struct iattr *attr)
{
	return setattr_prepare(ns, dentry, attr);
}

static int f2p_probe_mknod(struct user_namespace *ns, struct inode *dir,
			   struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return 0;
}

static int f2p_probe_symlink(struct user_namespace *ns, struct inode *dir,
			     struct dentry *dentry, const char *target)
{
	return 0;
}

static int f2p_probe_rename(struct user_namespace *ns, struct inode *olddir,
			    struct dentry *oldent, struct inode *newdir,
			    struct dentry *newent, unsigned int flags)
{
	return 0;
}

static int f2p_probe_set_acl(struct user_namespace *ns, struct inode *inode,
			     struct posix_acl *acl, int type)
{
	umode_t mode = inode->i_mode;

	return posix_acl_update_mode(ns, inode, &mode, &acl);
}

static const struct inode_operations f2p_probe_iops __used = {
	.getattr	= f2p_probe_getattr,
	.permission	= f2p_probe_permission,
	.setattr	= f2p_probe_setattr,
	.mknod		= f2p_probe_mknod,
	.symlink	= f2p_probe_symlink,
	.rename		= f2p_probe_rename,
	.set_acl	= f2p_probe_set_acl,
};

static int f2p_probe_xattr_set(const struct xattr_handler *handler,
			       struct user_namespace *ns,
			       struct dentry *dentry, struct inode *inode,
			       const char *name, const void *value,
			       size_t size, int flags)
{
	return handler->set(handler, ns, dentry, inode, name, value, size,
			    flags);
}

static const struct xattr_handler f2p_probe_xattr __used = {
	.prefix	= "",
	.set	= f2p_probe_xattr_set,
};
