// SPDX-License-Identifier: GPL-2.0
/* ->write_begin() gets the kiocb instead of the file (6.17) */
#include <linux/fs.h>
int f2p_probe_wb(const struct kiocb *iocb, struct address_space *mapping,
		 loff_t pos, unsigned int len, struct folio **foliop,
		 void **fsdata);
int f2p_probe_wb(const struct kiocb *iocb, struct address_space *mapping,
		 loff_t pos, unsigned int len, struct folio **foliop,
		 void **fsdata)
{
	return 0;
}
const struct address_space_operations f2p_probe = {
	.write_begin = f2p_probe_wb,
};
