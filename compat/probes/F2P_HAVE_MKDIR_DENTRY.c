// SPDX-License-Identifier: GPL-2.0
/* ->mkdir() returns a dentry (6.15) */
#include <linux/fs.h>
struct dentry *f2p_probe(struct mnt_idmap *idmap, struct inode *dir,
			 struct dentry *dentry, umode_t mode);
struct dentry *f2p_probe(struct mnt_idmap *idmap, struct inode *dir,
			 struct dentry *dentry, umode_t mode)
{
	return NULL;
}
const struct inode_operations f2p_probe_ops = { .mkdir = f2p_probe };
