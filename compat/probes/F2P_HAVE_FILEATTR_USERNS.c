// SPDX-License-Identifier: GPL-2.0
/*
 * ->fileattr_get() and ->fileattr_set() (5.13), the setter taking the
 * mount's user_namespace (until 6.2)
 */
#include <linux/fs.h>
#include <linux/fileattr.h>
static int f2p_probe_get(struct dentry *dentry, struct fileattr *fa)
{
	fileattr_fill_flags(fa, 0);
	return 0;
}

static int f2p_probe_set(struct user_namespace *ns, struct dentry *dentry,
			 struct fileattr *fa)
{
	return vfs_fileattr_set(ns, dentry, fa);
}

static const struct inode_operations f2p_probe_iops __used = {
	.fileattr_get = f2p_probe_get,
	.fileattr_set = f2p_probe_set,
};
