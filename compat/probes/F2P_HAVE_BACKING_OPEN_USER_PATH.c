// SPDX-License-Identifier: GPL-2.0
/* backing_file_open() of the 6.8 helpers: takes the user's path */
#include <linux/fs.h>
#include <linux/backing-file.h>
struct file *(*f2p_probe)(const struct path *user_path, int flags,
			  const struct path *real_path,
			  const struct cred *cred) = backing_file_open;
