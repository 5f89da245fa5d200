// SPDX-License-Identifier: GPL-2.0
/* ->read_folio in address_space_operations (5.19, "fs: Introduce aops->read_folio"); ->readpage before */
#include <linux/fs.h>
static int f2p_probe(struct file *file, struct folio *folio)
{
	return 0;
}

const struct address_space_operations f2p_probe_aops = {
	.read_folio = f2p_probe,
};
