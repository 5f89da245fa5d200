// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR.
 *
 * Every name goes to the server as it is, prefix included, through one
 * catch-all handler.  A server that answers ENOSYS has no xattrs at all:
 * from then on we answer EOPNOTSUPP without asking it again.
 */
#include <linux/xattr.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include "fuse2pt.h"

/* The value or the list came back; it fills at most @size bytes. */
static ssize_t f2p_xattr_sized(struct f2p_conn *fc, struct f2p_args *args,
			       void *value, size_t size)
{
	struct fuse_getxattr_out out = {};
	ssize_t ret;

	args->out_numargs = 1;
	if (size) {
		args->out_argvar = true;
		args->out_args[0].size = size;
		args->out_args[0].value = value;
		return f2p_request(fc, args);
	}
	/* size 0 asks how big the answer would be */
	args->out_args[0].size = sizeof(out);
	args->out_args[0].value = &out;
	ret = f2p_request(fc, args);
	if (ret < 0)
		return ret;
	/* no caller can ask for more than XATTR_SIZE_MAX anyway */
	return min_t(u32, out.size, XATTR_SIZE_MAX);
}

static int f2p_xattr_nosys(struct f2p_conn *fc, bool *no, ssize_t err)
{
	if (err != -ENOSYS)
		return err;
	WRITE_ONCE(*no, true);
	return -EOPNOTSUPP;
}

/* GETXATTR of @name (full, prefix included); size 0 asks for the size */
ssize_t f2p_getxattr(struct inode *inode, const char *name, void *value,
		     size_t size)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_getxattr_in in = { .size = size };
	struct f2p_args args = {};
	ssize_t ret;

	if (f2p_is_bad(inode))
		return -EIO;
	if (READ_ONCE(fc->no_getxattr))
		return -EOPNOTSUPP;
	args.opcode = FUSE_GETXATTR;
	args.nodeid = f2p_nodeid(inode);
	args.in_numargs = 2;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.in_args[1].size = strlen(name) + 1;
	args.in_args[1].value = (void *)name;
	ret = f2p_xattr_sized(fc, &args, value, size);
	if (ret < 0)
		return f2p_xattr_nosys(fc, &fc->no_getxattr, ret);
	return ret;
}

/* SETXATTR of @name, or REMOVEXATTR when @value is NULL */
int f2p_setxattr(struct inode *inode, const char *name, const void *value,
		 size_t size, int flags)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_setxattr_in in = { .size = size, .flags = flags };
	struct f2p_args args = {};
	ssize_t ret;

	if (f2p_is_bad(inode))
		return -EIO;
	args.nodeid = f2p_nodeid(inode);
	if (!value) {
		/* the VFS asks for a removal this way */
		if (READ_ONCE(fc->no_removexattr))
			return -EOPNOTSUPP;
		args.opcode = FUSE_REMOVEXATTR;
		args.in_numargs = 1;
		args.in_args[0].size = strlen(name) + 1;
		args.in_args[0].value = (void *)name;
		ret = f2p_request(fc, &args);
		if (ret)
			return f2p_xattr_nosys(fc, &fc->no_removexattr, ret);
	} else {
		if (READ_ONCE(fc->no_setxattr))
			return -EOPNOTSUPP;
		args.opcode = FUSE_SETXATTR;
		args.in_numargs = 3;
		/* we do not offer SETXATTR_EXT: the short form goes out */
		args.in_args[0].size = FUSE_COMPAT_SETXATTR_IN_SIZE;
		args.in_args[0].value = &in;
		args.in_args[1].size = strlen(name) + 1;
		args.in_args[1].value = (void *)name;
		args.in_args[2].size = size;
		args.in_args[2].value = (void *)value;
		ret = f2p_request(fc, &args);
		if (ret)
			return f2p_xattr_nosys(fc, &fc->no_setxattr, ret);
	}
	/* the server changed the inode's ctime, maybe its mode */
	f2p_attr_stale(inode);
	return 0;
}

static int f2p_xattr_get(const struct xattr_handler *handler,
			 struct dentry *dentry, struct inode *inode,
			 const char *name, void *value, size_t size)
{
	return f2p_getxattr(inode, name, value, size);
}

static int f2p_xattr_set(const struct xattr_handler *handler,
			 F2P_IDMAP_T *idmap, struct dentry *dentry,
			 struct inode *inode, const char *name,
			 const void *value, size_t size, int flags)
{
	return f2p_setxattr(inode, name, value, size, flags);
}

/*
 * Where the VFS still sends ACL xattrs through sb->s_xattr (before 6.2),
 * they are ACLs to the kernel only when the server took FUSE_POSIX_ACL;
 * otherwise they pass through untouched, as any other name.
 */
static int f2p_xattr_acl_get(const struct xattr_handler *handler,
			     struct dentry *dentry, struct inode *inode,
			     const char *name, void *value, size_t size)
{
	const struct xattr_handler *acl = f2p_vfs_acl_handler(handler->flags);

	if (acl && f2p_inode_conn(inode)->posix_acl)
		return acl->get(acl, dentry, inode, name, value, size);
	return f2p_getxattr(inode, handler->name, value, size);
}

static int f2p_xattr_acl_set(const struct xattr_handler *handler,
			     F2P_IDMAP_T *idmap, struct dentry *dentry,
			     struct inode *inode, const char *name,
			     const void *value, size_t size, int flags)
{
	const struct xattr_handler *acl = f2p_vfs_acl_handler(handler->flags);

	if (acl && f2p_inode_conn(inode)->posix_acl)
		return f2p_xattr_handler_set(acl, idmap, dentry, inode, name,
					     value, size, flags);
	return f2p_setxattr(inode, handler->name, value, size, flags);
}

F2P_DEFINE_XATTR_SET(f2p_xattr_acl_set)

const struct xattr_handler f2p_xattr_acl_access = {
	.name	= XATTR_NAME_POSIX_ACL_ACCESS,
	.flags	= ACL_TYPE_ACCESS,
	.get	= f2p_xattr_acl_get,
	.set	= F2P_IOP(f2p_xattr_acl_set),
};

const struct xattr_handler f2p_xattr_acl_default = {
	.name	= XATTR_NAME_POSIX_ACL_DEFAULT,
	.flags	= ACL_TYPE_DEFAULT,
	.get	= f2p_xattr_acl_get,
	.set	= F2P_IOP(f2p_xattr_acl_set),
};

/* A list is names, each ended by NUL; an empty name is a lie. */
static bool f2p_xattr_list_ok(const char *list, size_t len)
{
	while (len) {
		size_t n = strnlen(list, len);

		if (!n || n == len)
			return false;
		list += n + 1;
		len -= n + 1;
	}
	return true;
}

ssize_t f2p_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct inode *inode = d_inode(dentry);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_getxattr_in in = { .size = size };
	struct f2p_args args = {};
	ssize_t ret;

	if (f2p_is_bad(inode))
		return -EIO;
	if (!f2p_allow_current(fc))
		return -EACCES;
	if (READ_ONCE(fc->no_listxattr))
		return -EOPNOTSUPP;
	args.opcode = FUSE_LISTXATTR;
	args.nodeid = f2p_nodeid(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	ret = f2p_xattr_sized(fc, &args, list, size);
	if (ret < 0)
		return f2p_xattr_nosys(fc, &fc->no_listxattr, ret);
	if (size && !f2p_xattr_list_ok(list, ret)) {
		pr_warn_ratelimited("server sent a malformed xattr list for nodeid %llu\n",
				    f2p_nodeid(inode));
		return -EIO;
	}
	return ret;
}

F2P_DEFINE_XATTR_SET(f2p_xattr_set)

static const struct xattr_handler f2p_xattr_any = {
	.prefix	= "",
	.get	= f2p_xattr_get,
	.set	= F2P_IOP(f2p_xattr_set),
};

/* not const all the way down: older kernels want a plain pointer array */
const struct xattr_handler *f2p_xattr_handlers[] = {
	F2P_ACL_XATTR_HANDLERS
	&f2p_xattr_any,
	NULL,
};
