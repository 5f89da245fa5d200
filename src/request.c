// SPDX-License-Identifier: GPL-2.0
/*
 * Requests: how a VFS operation becomes a message for the server and how
 * its caller learns the outcome.
 *
 * A request is queued on fc->pending, moved to fc->processing when a
 * server thread reads it, and ended when the server's reply has been
 * copied (dev.c) or when the connection is torn down (f2p_conn_abort).
 * Ending sets F2P_R_FINISHED and wakes the caller; the caller owns the
 * argument buffers, so nothing may touch them after that point.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/pid_namespace.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include "fuse2pt.h"

static struct kmem_cache *f2p_req_cache;

static struct f2p_req *f2p_req_alloc(gfp_t gfp)
{
	struct f2p_req *req = kmem_cache_zalloc(f2p_req_cache, gfp);

	if (!req)
		return NULL;
	INIT_LIST_HEAD(&req->list);
	INIT_LIST_HEAD(&req->intr_entry);
	refcount_set(&req->count, 1);
	init_waitqueue_head(&req->waitq);
	return req;
}

void f2p_req_put(struct f2p_req *req)
{
	if (refcount_dec_and_test(&req->count))
		kmem_cache_free(f2p_req_cache, req);
}

static void f2p_fill_header(struct f2p_conn *fc, struct f2p_req *req)
{
	struct f2p_args *args = req->args;
	struct fuse_in_header *h = &req->in_h;
	unsigned int i, len = sizeof(*h);

	for (i = 0; i < args->in_numargs; i++)
		len += args->in_args[i].size;
	h->len = len;
	h->opcode = args->opcode;
	h->nodeid = args->nodeid;
	if (args->nocreds)
		return;
	h->uid = from_kuid_munged(fc->user_ns, current_fsuid());
	h->gid = from_kgid_munged(fc->user_ns, current_fsgid());
	h->pid = pid_nr_ns(task_pid(current), fc->pid_ns);
}

/*
 * Hand a request to the server.  Even uniques are ours; the odd ones are
 * kept for INTERRUPT, which names the request it interrupts by unique|1.
 */
static int f2p_queue(struct f2p_conn *fc, struct f2p_req *req)
{
	spin_lock(&fc->lock);
	if (!fc->connected) {
		spin_unlock(&fc->lock);
		return f2p_conn_errno(fc);
	}
	if (fc->conn_error && req->args->opcode != FUSE_INIT) {
		spin_unlock(&fc->lock);
		return -ECONNREFUSED;
	}
	fc->reqctr += 2;
	req->in_h.unique = fc->reqctr;
	list_add_tail(&req->list, &fc->pending);
	spin_unlock(&fc->lock);
	wake_up(&fc->waitq);
	kill_fasync(&fc->fasync, SIGIO, POLL_IN);
	return 0;
}

/*
 * Finish a request.  The caller has already taken it off every list.
 * Drops the reference the queue held.
 */
void f2p_req_end(struct f2p_conn *fc, struct f2p_req *req)
{
	/* an INTERRUPT not yet read has nothing left to interrupt */
	if (test_bit(F2P_R_INTERRUPTED, &req->flags)) {
		spin_lock(&fc->lock);
		list_del_init(&req->intr_entry);
		spin_unlock(&fc->lock);
	}
	if (test_bit(F2P_R_BACKGROUND, &req->flags)) {
		struct f2p_args *args = req->args;

		set_bit(F2P_R_FINISHED, &req->flags);
		if (args->end)
			args->end(fc, args, req->error);
		f2p_req_put(req);
		return;
	}
	/* publish error before FINISHED: the waiter reads it after */
	smp_mb__before_atomic();
	set_bit(F2P_R_FINISHED, &req->flags);
	wake_up(&req->waitq);
	f2p_req_put(req);
}

static int f2p_wait_init(struct f2p_conn *fc)
{
	if (READ_ONCE(fc->initialized))
		return 0;
	/* killable, not uninterruptible: a silent server must not hang us */
	if (wait_event_killable(fc->blocked_waitq, READ_ONCE(fc->initialized)))
		return -EINTR;
	smp_rmb();
	return 0;
}

/*
 * Queue an INTERRUPT for a request the server has (or will have) seen.
 * Called with fc->lock held.
 */
void f2p_queue_interrupt_locked(struct f2p_conn *fc, struct f2p_req *req)
{
	if (fc->no_interrupt || !fc->connected ||
	    test_bit(F2P_R_FINISHED, &req->flags) ||
	    !list_empty(&req->intr_entry))
		return;
	list_add_tail(&req->intr_entry, &fc->interrupts);
	wake_up(&fc->waitq);
	kill_fasync(&fc->fasync, SIGIO, POLL_IN);
}

/*
 * Wait for the answer.  A signal is passed on to the server as INTERRUPT
 * (if it takes them), and the wait goes on: the server decides whether
 * the operation ends early.  A caller killed before the server has seen
 * the request withdraws it; once sent, the server may be acting on it,
 * so we wait for the answer or for the connection to go away.
 */
static void f2p_wait_answer(struct f2p_conn *fc, struct f2p_req *req)
{
	if (!req->args->force && !READ_ONCE(fc->no_interrupt)) {
		if (!wait_event_interruptible(req->waitq,
				test_bit(F2P_R_FINISHED, &req->flags)))
			goto done;
		spin_lock(&fc->lock);
		set_bit(F2P_R_INTERRUPTED, &req->flags);
		if (test_bit(F2P_R_SENT, &req->flags))
			f2p_queue_interrupt_locked(fc, req);
		spin_unlock(&fc->lock);
	}
	if (!wait_event_killable(req->waitq,
				 test_bit(F2P_R_FINISHED, &req->flags)))
		goto done;

	spin_lock(&fc->lock);
	if (!test_bit(F2P_R_SENT, &req->flags) &&
	    !test_bit(F2P_R_FINISHED, &req->flags)) {
		list_del_init(&req->list);
		spin_unlock(&fc->lock);
		req->error = -EINTR;
		/* the queue's reference: it will never be ended now */
		f2p_req_put(req);
		return;
	}
	spin_unlock(&fc->lock);
	wait_event(req->waitq, test_bit(F2P_R_FINISHED, &req->flags));
done:
	smp_rmb();
}

/*
 * Send a request and wait for its reply.  Returns a negative errno, or
 * the size of the last out argument when it may come back short, else 0.
 */
ssize_t f2p_request(struct f2p_conn *fc, struct f2p_args *args)
{
	struct f2p_req *req;
	ssize_t ret;
	int err;

	if (!args->force) {
		err = f2p_wait_init(fc);
		if (err)
			return err;
	}
	req = f2p_req_alloc(args->force ? GFP_KERNEL | __GFP_NOFAIL : GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->args = args;
	f2p_fill_header(fc, req);

	/* one reference for the queue, one for us */
	refcount_inc(&req->count);
	err = f2p_queue(fc, req);
	if (err) {
		f2p_req_put(req);
		f2p_req_put(req);
		return err;
	}
	f2p_wait_answer(fc, req);

	ret = req->error;
	if (!ret && args->out_argvar && args->out_numargs)
		ret = req->out_size;
	f2p_req_put(req);
	return ret;
}

/*
 * Send a request nobody waits for (RELEASE, INIT, DESTROY).  args->end is
 * called exactly once, also when the request never reaches the server.
 */
int f2p_request_bg(struct f2p_conn *fc, struct f2p_args *args, gfp_t gfp)
{
	struct f2p_req *req = f2p_req_alloc(gfp);
	int err;

	if (!req) {
		if (args->end)
			args->end(fc, args, -ENOMEM);
		return -ENOMEM;
	}
	req->args = args;
	args->nocreds = true;
	__set_bit(F2P_R_BACKGROUND, &req->flags);
	f2p_fill_header(fc, req);
	err = f2p_queue(fc, req);
	if (err) {
		req->error = err;
		f2p_req_end(fc, req);
	}
	return err;
}

/*
 * Tell the server it may drop @nlookup references to @nodeid.  Never
 * fails: the forget was allocated when the inode was.
 */
void f2p_queue_forget(struct f2p_conn *fc, struct f2p_forget *forget,
		      u64 nodeid, u64 nlookup)
{
	forget->nodeid = nodeid;
	forget->nlookup = nlookup;

	spin_lock(&fc->lock);
	if (fc->connected) {
		list_add_tail(&forget->list, &fc->forgets);
		spin_unlock(&fc->lock);
		wake_up(&fc->waitq);
		kill_fasync(&fc->fasync, SIGIO, POLL_IN);
		return;
	}
	spin_unlock(&fc->lock);
	kfree(forget);
}

int f2p_request_cache_init(void)
{
	f2p_req_cache = kmem_cache_create("fuse2pt_request",
					  sizeof(struct f2p_req), 0, 0, NULL);
	return f2p_req_cache ? 0 : -ENOMEM;
}

void f2p_request_cache_exit(void)
{
	kmem_cache_destroy(f2p_req_cache);
}
