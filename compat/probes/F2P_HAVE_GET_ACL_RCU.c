// SPDX-License-Identifier: GPL-2.0
/*
 * ->get_acl() takes an "rcu" flag (5.15, "vfs: add rcu argument to
 * ->get_acl() callback"; until 6.1: 6.2 split it, F2P_HAVE_GET_INODE_ACL)
 */
#include <linux/fs.h>
static struct posix_acl *f2p_probe(struct inode *inode, int type, bool rcu)
{
	return NULL;
}

static const struct inode_operations f2p_probe_iops __used = {
	.get_acl = f2p_probe,
};
