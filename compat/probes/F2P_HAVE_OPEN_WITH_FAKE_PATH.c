// SPDX-License-Identifier: GPL-2.0
/*
 * open_with_fake_path(): kernels before 6.5, which renamed it
 * backing_file_open().  src/backing-shim.c does not call it: it marks the
 * VFS the shim is written for, where neither vfs_iter_write() nor
 * vfs_iocb_iter_write() takes freeze protection itself (later kernels
 * moved that into them).
 */
#include <linux/fs.h>
struct file *(*f2p_probe)(const struct path *path, int flags,
			  struct inode *inode, const struct cred *cred) =
	open_with_fake_path;
