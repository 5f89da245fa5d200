// SPDX-License-Identifier: GPL-2.0
/* inode operations take a struct mnt_idmap (6.3) */
#include <linux/fs.h>
int f2p_probe(struct mnt_idmap *idmap, struct inode *inode);
int f2p_probe(struct mnt_idmap *idmap, struct inode *inode)
{
	return generic_permission(idmap, inode, 0);
}
