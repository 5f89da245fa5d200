// SPDX-License-Identifier: GPL-2.0
/* a file's largest page cache folio can be bounded (6.12, with bs > ps) */
#include <linux/pagemap.h>
void f2p_probe(struct address_space *mapping);
void f2p_probe(struct address_space *mapping)
{
	mapping_set_folio_order_range(mapping, 0, 2);
}
