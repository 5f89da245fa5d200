// SPDX-License-Identifier: GPL-2.0
/* the readahead_control names the file's readahead state: ra */
#include <linux/fs.h>
#include <linux/pagemap.h>
unsigned int f2p_probe(struct readahead_control *rac);
unsigned int f2p_probe(struct readahead_control *rac)
{
	return rac->ra->async_size;
}
