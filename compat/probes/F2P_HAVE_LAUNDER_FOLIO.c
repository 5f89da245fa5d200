// SPDX-License-Identifier: GPL-2.0
/* ->launder_folio (5.18, "fs: Add aops->launder_folio"); ->launder_page before */
#include <linux/fs.h>
static int f2p_probe(struct folio *folio)
{
	return 0;
}

const struct address_space_operations f2p_probe_aops = {
	.launder_folio = f2p_probe,
};
