// SPDX-License-Identifier: GPL-2.0
/*
 * ->write_begin() and grab_cache_page_write_begin() without the AOP
 * flags (5.19, "fs: Remove flags parameter from aops->write_begin" and
 * "fs: Remove aop flags parameter from grab_cache_page_write_begin()");
 * the page form of ->write_begin, which 6.12 turned into a folio
 * (F2P_HAVE_WRITE_BEGIN_FOLIO).
 */
#include <linux/fs.h>
#include <linux/pagemap.h>
static int f2p_probe_wb(struct file *file, struct address_space *mapping,
			loff_t pos, unsigned int len, struct page **pagep,
			void **fsdata)
{
	*pagep = grab_cache_page_write_begin(mapping, pos >> PAGE_SHIFT);
	return *pagep ? 0 : -ENOMEM;
}

const struct address_space_operations f2p_probe_aops = {
	.write_begin = f2p_probe_wb,
};
