// SPDX-License-Identifier: GPL-2.0
/* the owner check takes the mount's struct mnt_idmap (6.3) */
#include <linux/fs.h>
bool f2p_probe(struct file *file);
bool f2p_probe(struct file *file)
{
	return inode_owner_or_capable(file_mnt_idmap(file), file_inode(file));
}
