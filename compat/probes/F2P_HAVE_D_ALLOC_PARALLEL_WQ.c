// SPDX-License-Identifier: GPL-2.0
/* d_alloc_parallel() takes a wait queue for in-lookup waiters (until 7.x) */
#include <linux/dcache.h>
#include <linux/wait.h>
struct dentry *f2p_probe(struct dentry *parent, const struct qstr *name,
			 wait_queue_head_t *wq);
struct dentry *f2p_probe(struct dentry *parent, const struct qstr *name,
			 wait_queue_head_t *wq)
{
	return d_alloc_parallel(parent, name, wq);
}
