// SPDX-License-Identifier: GPL-2.0
/*
 * ->fileattr_set() takes a struct mnt_idmap (6.3); the struct is still
 * called fileattr (until 6.16)
 */
#include <linux/fs.h>
#include <linux/fileattr.h>
static int f2p_probe_get(struct dentry *dentry, struct fileattr *fa)
{
	fileattr_fill_flags(fa, 0);
	return 0;
}

static int f2p_probe_set(struct mnt_idmap *idmap, struct dentry *dentry,
			 struct fileattr *fa)
{
	return vfs_fileattr_set(idmap, dentry, fa);
}

static const struct inode_operations f2p_probe_iops __used = {
	.fileattr_get = f2p_probe_get,
	.fileattr_set = f2p_probe_set,
};
