// SPDX-License-Identifier: GPL-2.0
/*
 * d_alloc_parallel() takes a simple wait queue (struct swait_queue_head):
 * not a mainline form, but that of the PREEMPT_RT patches of the 5.10
 * series (Debian's 5.10 rt-amd64 flavor); mainline's wait_queue_head_t
 * (F2P_HAVE_D_ALLOC_PARALLEL_WQ) and 7.x's none are the others.
 */
#include <linux/dcache.h>
#include <linux/swait.h>
struct dentry *f2p_probe(struct dentry *parent, const struct qstr *name);
struct dentry *f2p_probe(struct dentry *parent, const struct qstr *name)
{
	DECLARE_SWAIT_QUEUE_HEAD_ONSTACK(wq);

	return d_alloc_parallel(parent, name, &wq);
}
