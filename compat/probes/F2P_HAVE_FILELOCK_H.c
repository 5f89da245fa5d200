// SPDX-License-Identifier: GPL-2.0
/* file locking has a header of its own (6.3) */
#include <linux/filelock.h>
int f2p_probe(struct file *file, struct file_lock *fl);
int f2p_probe(struct file *file, struct file_lock *fl)
{
	return posix_lock_file(file, fl, NULL);
}
