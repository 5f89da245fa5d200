// SPDX-License-Identifier: GPL-2.0
/* 6.2 split ->get_acl(): ->get_inode_acl() for permission checks */
#include <linux/fs.h>
struct posix_acl *f2p_probe(struct inode *inode, int type, bool rcu);
struct posix_acl *f2p_probe(struct inode *inode, int type, bool rcu)
{
	return NULL;
}

static const struct inode_operations f2p_probe_iops __used = {
	.get_inode_acl = f2p_probe,
};
