// SPDX-License-Identifier: GPL-2.0
/*
 * ->tmpfile() is handed the file it opens, and d_tmpfile() takes that
 * file (6.1, "vfs: open inside ->tmpfile()"); before, a dentry, and the
 * VFS opened the file after ->tmpfile() returned.
 */
#include <linux/fs.h>
#include <linux/dcache.h>
void f2p_probe(struct file *file, struct inode *inode);
void f2p_probe(struct file *file, struct inode *inode)
{
	d_tmpfile(file, inode);
}
