// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers for data that bypasses the page cache: a write-through WRITE
 * carries its data to the server in whole pages of its own, which a
 * splicing server borrows instead of copying, and a direct READ's reply
 * lands in such pages before it is copied to the reader.  Fresh pages
 * cost more than the copy into them on distribution kernels: they zero
 * every page they hand out (init_on_alloc), so a 1 MiB write() or read()
 * would clear a MiB first.  Each connection therefore keeps the last few
 * buffers it used, the largest ones, for the next requests; they go when
 * the connection does.  What a buffer held before reaches no one: a
 * WRITE sends only what its caller filled, a reader gets only what the
 * reply wrote.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include "fuse2pt.h"

static void f2p_wbuf_free(struct f2p_wbuf *wb)
{
	unsigned int i;

	for (i = 0; i < wb->nr; i++)
		put_page(wb->pages[i]);
	kfree(wb);
}

/* A buffer of at least @len bytes: a kept one if one is big enough. */
struct f2p_wbuf *f2p_wbuf_get(struct f2p_conn *fc, size_t len)
{
	unsigned int i, n = DIV_ROUND_UP(len, PAGE_SIZE);
	struct f2p_wbuf *wb = NULL;

	spin_lock(&fc->wbuf_lock);
	for (i = 0; i < F2P_WBUF_KEEP; i++) {
		if (fc->wbufs[i] && fc->wbufs[i]->nr >= n) {
			swap(wb, fc->wbufs[i]);
			break;
		}
	}
	spin_unlock(&fc->wbuf_lock);
	if (wb)
		return wb;

	wb = kmalloc(struct_size(wb, pages, n), GFP_KERNEL);
	if (!wb)
		return NULL;
	for (wb->nr = 0; wb->nr < n; wb->nr++) {
		wb->pages[wb->nr] = alloc_page(GFP_KERNEL);
		if (!wb->pages[wb->nr]) {
			f2p_wbuf_free(wb);
			return NULL;
		}
	}
	return wb;
}

/* Done with @wb: keep it in place of an empty slot or a smaller buffer. */
void f2p_wbuf_put(struct f2p_conn *fc, struct f2p_wbuf *wb)
{
	unsigned int i, slot = 0;

	spin_lock(&fc->wbuf_lock);
	for (i = 0; i < F2P_WBUF_KEEP; i++) {
		if (!fc->wbufs[i]) {
			slot = i;
			break;
		}
		if (fc->wbufs[i]->nr < fc->wbufs[slot]->nr)
			slot = i;
	}
	if (!fc->wbufs[slot] || fc->wbufs[slot]->nr < wb->nr)
		swap(wb, fc->wbufs[slot]);
	spin_unlock(&fc->wbuf_lock);
	if (wb)
		f2p_wbuf_free(wb);
}

/* The connection goes: so do the buffers it kept. */
void f2p_wbuf_drop_all(struct f2p_conn *fc)
{
	unsigned int i;

	for (i = 0; i < F2P_WBUF_KEEP; i++) {
		if (fc->wbufs[i])
			f2p_wbuf_free(fc->wbufs[i]);
		fc->wbufs[i] = NULL;
	}
}
