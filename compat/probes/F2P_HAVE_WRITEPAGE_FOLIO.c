// SPDX-License-Identifier: GPL-2.0
/* write_cache_pages() callbacks take a folio (6.3) */
#include <linux/writeback.h>
int f2p_probe_cb(struct folio *folio, struct writeback_control *wbc, void *d);
int f2p_probe_cb(struct folio *folio, struct writeback_control *wbc, void *d)
{
	return 0;
}
writepage_t f2p_probe = f2p_probe_cb;
