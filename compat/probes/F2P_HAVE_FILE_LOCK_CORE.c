// SPDX-License-Identifier: GPL-2.0
/* struct file_lock's common part moved into file_lock_core (6.9) */
#include <linux/fs.h>
#include <linux/filelock.h>
fl_owner_t f2p_probe(struct file_lock *fl);
fl_owner_t f2p_probe(struct file_lock *fl)
{
	return fl->c.flc_owner;
}
