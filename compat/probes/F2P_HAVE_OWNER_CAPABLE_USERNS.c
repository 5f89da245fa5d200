// SPDX-License-Identifier: GPL-2.0
/* the owner check takes the mount's user_namespace (5.12 to 6.2) */
#include <linux/fs.h>
bool f2p_probe(struct file *file);
bool f2p_probe(struct file *file)
{
	return inode_owner_or_capable(file_mnt_user_ns(file), file_inode(file));
}
