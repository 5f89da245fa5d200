// SPDX-License-Identifier: GPL-2.0
/*
 * ->dirty_folio and filemap_dirty_folio() (5.18, "fs: Add aops->dirty_folio");
 * ->set_page_dirty and __set_page_dirty_nobuffers() before
 */
#include <linux/fs.h>
#include <linux/writeback.h>
const struct address_space_operations f2p_probe_aops = {
	.dirty_folio = filemap_dirty_folio,
};
