// SPDX-License-Identifier: GPL-2.0
/* i_state is read through accessors (6.19) */
#include <linux/fs.h>
int f2p_probe(struct inode *inode);
int f2p_probe(struct inode *inode)
{
	return inode_state_read_once(inode) & I_NEW;
}
