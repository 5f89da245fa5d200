// SPDX-License-Identifier: GPL-2.0
/*
 * backing_file_open() takes the user's file instead of its path (later
 * kernels, and 6.12's stable updates)
 */
#include <linux/fs.h>
#include <linux/backing-file.h>
struct file *(*f2p_probe)(const struct file *user_file, int flags,
			  const struct path *real_path,
			  const struct cred *cred) = backing_file_open;
