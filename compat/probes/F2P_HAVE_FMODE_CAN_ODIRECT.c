// SPDX-License-Identifier: GPL-2.0
/*
 * FMODE_CAN_ODIRECT (5.18): a file that takes O_DIRECT says so in
 * f_mode; before, its mapping's ->direct_IO did.
 */
#include <linux/fs.h>
fmode_t f2p_probe(struct file *file);
fmode_t f2p_probe(struct file *file)
{
	return file->f_mode & FMODE_CAN_ODIRECT;
}
