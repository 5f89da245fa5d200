// SPDX-License-Identifier: GPL-2.0
/*
 * struct fileattr became struct file_kattr (6.17, with the file_getattr
 * and file_setattr system calls, which reach ->fileattr_get/set without
 * an open file)
 */
#include <linux/fs.h>
#include <linux/fileattr.h>
static int f2p_probe_get(struct dentry *dentry, struct file_kattr *fa)
{
	fileattr_fill_flags(fa, 0);
	return 0;
}

static int f2p_probe_set(struct mnt_idmap *idmap, struct dentry *dentry,
			 struct file_kattr *fa)
{
	return vfs_fileattr_set(idmap, dentry, fa);
}

static const struct inode_operations f2p_probe_iops __used = {
	.fileattr_get = f2p_probe_get,
	.fileattr_set = f2p_probe_set,
};
