// SPDX-License-Identifier: GPL-2.0
/* ->create() lost its "excl" argument (6.19) */
#include <linux/fs.h>
int f2p_probe(struct mnt_idmap *idmap, struct inode *dir,
	      struct dentry *dentry, umode_t mode);
int f2p_probe(struct mnt_idmap *idmap, struct inode *dir,
	      struct dentry *dentry, umode_t mode)
{
	return 0;
}
const struct inode_operations f2p_probe_ops = { .create = f2p_probe };
