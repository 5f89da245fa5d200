// SPDX-License-Identifier: GPL-2.0
/* the backing-file helpers for stacking filesystems (6.8) */
#include <linux/fs.h>
#include <linux/backing-file.h>
struct file *f2p_probe(struct file *user, const struct path *real,
		       const struct cred *cred);
struct file *f2p_probe(struct file *user, const struct path *real,
		       const struct cred *cred)
{
	return backing_file_open(user, 0, real, cred);
}
