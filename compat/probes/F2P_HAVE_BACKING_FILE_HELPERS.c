// SPDX-License-Identifier: GPL-2.0
/*
 * The backing-file I/O helpers for stacking filesystems,
 * include/linux/backing-file.h (6.8).  Their other forms are told apart
 * by F2P_HAVE_BACKING_OPEN_* and F2P_HAVE_BACKING_{END_WRITE_*,KIOCB}.
 */
#include <linux/fs.h>
#include <linux/backing-file.h>
ssize_t (*f2p_probe)(struct file *file, struct iov_iter *iter,
		     struct kiocb *iocb, int flags,
		     struct backing_file_ctx *ctx) = backing_file_read_iter;
