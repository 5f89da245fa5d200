// SPDX-License-Identifier: GPL-2.0
/* writeback_iter() replaced write_cache_pages() callbacks (6.10) */
#include <linux/writeback.h>
struct folio *f2p_probe(struct address_space *m, struct writeback_control *wbc);
struct folio *f2p_probe(struct address_space *m, struct writeback_control *wbc)
{
	int err = 0;

	return writeback_iter(m, wbc, NULL, &err);
}
