// SPDX-License-Identifier: GPL-2.0
/* kmap_local_page() and kunmap_local() (5.11, "mm/highmem: Provide kmap_local*") */
#include <linux/highmem.h>
void f2p_probe(struct page *page);
void f2p_probe(struct page *page)
{
	void *p = kmap_local_page(page);

	kunmap_local(p);
}
