// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs.  They live on the server as the xattrs
 * system.posix_acl_access and system.posix_acl_default and travel as
 * GETXATTR/SETXATTR/REMOVEXATTR like any other xattr.
 *
 * A server that took FUSE_POSIX_ACL gets the kernel's permission checks
 * with ACLs (default_permissions is implied): the ACLs are cached in the
 * inode for as long as its attributes are (f2p_change_attr() forgets
 * them with every new set of attributes), setting an access ACL updates
 * the mode as a local filesystem would (an ACL that says no more than the
 * mode is stored as the mode alone, and SGID goes when the caller is not
 * in the group), and the VFS leaves the umask of creates to the server.
 *
 * Without FUSE_POSIX_ACL the ACL xattrs are only passed through: never
 * cached, never enforced, the mode left alone, as stock fuse does.
 */
#include <linux/slab.h>
#include <linux/xattr.h>
#include "fuse2pt.h"

static const char *f2p_acl_name(int type)
{
	switch (type) {
	case ACL_TYPE_ACCESS:
		return XATTR_NAME_POSIX_ACL_ACCESS;
	case ACL_TYPE_DEFAULT:
		return XATTR_NAME_POSIX_ACL_DEFAULT;
	}
	return NULL;
}

/*
 * The ACL of @type from the server.  @enforce: asked for a permission
 * check, which only a FUSE_POSIX_ACL server's ACLs take part in.
 */
static struct posix_acl *f2p_acl_fetch(struct inode *inode, int type,
				       bool rcu, bool enforce)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	const char *name = f2p_acl_name(type);
	struct posix_acl *acl;
	ssize_t size;
	void *value;

	if (enforce && !fc->posix_acl)
		return NULL;
	if (rcu)
		return ERR_PTR(-ECHILD);
	if (f2p_is_bad(inode))
		return ERR_PTR(-EIO);
	if (!name)
		return ERR_PTR(-EINVAL);
	if (READ_ONCE(fc->no_getxattr))
		return NULL;
	value = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!value)
		return ERR_PTR(-ENOMEM);
	size = f2p_getxattr(inode, name, value, PAGE_SIZE);
	if (size > 0) {
		acl = posix_acl_from_xattr(fc->user_ns, value, size);
		if (IS_ERR(acl)) {
			pr_warn_ratelimited("server sent a malformed ACL for nodeid %llu\n",
					    f2p_nodeid(inode));
			acl = ERR_PTR(-EIO);
		}
	} else if (!size || size == -ENODATA || size == -EOPNOTSUPP) {
		acl = NULL;
	} else if (size == -ERANGE) {
		acl = ERR_PTR(-E2BIG);
	} else {
		acl = ERR_PTR(size);
	}
	kfree(value);
	return acl;
}

static int f2p_acl_write(struct inode *inode, int type,
			 const struct posix_acl *acl)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	const char *name = f2p_acl_name(type);
	size_t size = 0;
	void *value;
	int err;

	if (!acl)
		return f2p_setxattr(inode, name, NULL, 0, 0);
	value = f2p_acl_to_xattr(fc->user_ns, acl, &size);
	if (IS_ERR(value))
		return PTR_ERR(value);
	err = f2p_setxattr(inode, name, value, size, 0);
	kfree(value);
	return err;
}

static int f2p_acl_store(F2P_IDMAP_T *idmap, struct inode *inode,
			 struct posix_acl *acl, int type)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	umode_t mode = inode->i_mode;
	bool implied = false;
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (!f2p_acl_name(type))
		return -EINVAL;
	if (READ_ONCE(fc->no_setxattr))
		return -EOPNOTSUPP;
	if (!fc->posix_acl)
		return f2p_acl_write(inode, type, acl);
	/* the new mode is computed from the current one */
	err = f2p_update_attr(inode, NULL, false);
	if (err)
		return err;
	mode = inode->i_mode;

	if (type == ACL_TYPE_ACCESS && acl) {
		/* may clear SGID, and NULL an ACL the mode says all of */
		err = f2p_acl_update_mode(idmap, inode, &mode, &acl);
		if (err)
			return err;
		implied = !acl;
	}
	err = f2p_acl_write(inode, type, acl);
	/* an ACL the mode replaces need not have been there */
	if (err == -ENODATA && implied)
		err = 0;
	if (!err && mode != inode->i_mode)
		err = f2p_setattr_mode(inode, mode);
	forget_all_cached_acls(inode);
	f2p_attr_stale(inode);
	return err;
}

F2P_DEFINE_ACL_OPS(f2p_acl_fetch, f2p_acl_store)
