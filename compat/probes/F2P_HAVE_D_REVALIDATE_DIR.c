// SPDX-License-Identifier: GPL-2.0
/* ->d_revalidate() is given the parent and a stable name (6.14) */
#include <linux/fs.h>
#include <linux/dcache.h>
int f2p_probe(struct inode *dir, const struct qstr *name,
	      struct dentry *dentry, unsigned int flags);
int f2p_probe(struct inode *dir, const struct qstr *name,
	      struct dentry *dentry, unsigned int flags)
{
	return 1;
}
const struct dentry_operations f2p_probe_ops = { .d_revalidate = f2p_probe };
