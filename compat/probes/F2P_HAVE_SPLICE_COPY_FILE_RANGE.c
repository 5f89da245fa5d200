// SPDX-License-Identifier: GPL-2.0
/* generic_copy_file_range() became splice_copy_file_range() (6.7) */
#include <linux/fs.h>
#include <linux/splice.h>
long f2p_probe(struct file *in, loff_t pin, struct file *out, loff_t pout,
	       size_t len);
long f2p_probe(struct file *in, loff_t pin, struct file *out, loff_t pout,
	       size_t len)
{
	return splice_copy_file_range(in, pin, out, pout, len);
}
