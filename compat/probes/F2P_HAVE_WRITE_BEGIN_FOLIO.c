// SPDX-License-Identifier: GPL-2.0
/* ->write_begin() hands back a folio, not a page (6.12) */
#include <linux/fs.h>
int f2p_probe_wb(struct file *file, struct address_space *mapping,
		 loff_t pos, unsigned int len, struct folio **foliop,
		 void **fsdata);
int f2p_probe_wb(struct file *file, struct address_space *mapping,
		 loff_t pos, unsigned int len, struct folio **foliop,
		 void **fsdata)
{
	return 0;
}
const struct address_space_operations f2p_probe = {
	.write_begin = f2p_probe_wb,
};
