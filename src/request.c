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
 *
 * The INTERRUPT of a request is its intr_entry on fc->interrupts.  It is
 * linked only while the request is SENT and not FINISHED, and every change
 * of those two bits that ends that state (f2p_req_end, f2p_resend) unlinks
 * it in the same fc->lock section; f2p_queue_interrupt_locked() tests both
 * bits (and LOCKED) under that lock.  So a request is never freed, nor withdrawn by a
 * killed caller, while an INTERRUPT of it waits to be read.  A request the
 * server lost and gets again (NOTIFY_RESEND) has its INTERRUPT queued anew
 * once it has been read again (f2p_dev_do_read).
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/pid_namespace.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include "fuse2pt.h"

static struct kmem_cache *f2p_req_cache;

/*
 * Background requests (RELEASE and the like: nobody waits for them) may
 * pile up without bound, so each connection lets only max_background of
 * them reach the server at once; the rest wait in fc->bg_queue.  A server
 * may ask for other limits in its INIT reply, and root may change them in
 * the control files; an unprivileged server gets at most the per-user
 * limits below.
 */
static unsigned int f2p_max_background = 12;
module_param_named(max_background, f2p_max_background, uint, 0644);
MODULE_PARM_DESC(max_background,
		 "Background requests a connection starts with (default 12)");

static unsigned int f2p_congestion_threshold = 9;
module_param_named(congestion_threshold, f2p_congestion_threshold, uint, 0644);
MODULE_PARM_DESC(congestion_threshold,
		 "Background requests past which a new connection counts as congested (default 9)");

static unsigned int f2p_max_user_bgreq = 1024;
module_param_named(max_user_bgreq, f2p_max_user_bgreq, uint, 0644);
MODULE_PARM_DESC(max_user_bgreq,
		 "Largest max_background an unprivileged server or user may set (default 1024)");

static unsigned int f2p_max_user_congthresh = 1024;
module_param_named(max_user_congthresh, f2p_max_user_congthresh, uint, 0644);
MODULE_PARM_DESC(max_user_congthresh,
		 "Largest congestion_threshold an unprivileged server or user may set (default 1024)");

/* a parameter of 0 would stall every connection: treat it as 1 */
unsigned int f2p_default_max_background(void)
{
	return clamp_t(unsigned int, READ_ONCE(f2p_max_background), 1, U16_MAX);
}

unsigned int f2p_default_congestion_threshold(void)
{
	return clamp_t(unsigned int, READ_ONCE(f2p_congestion_threshold), 1,
		       U16_MAX);
}

unsigned int f2p_bg_user_limit(bool congestion)
{
	return congestion ? READ_ONCE(f2p_max_user_congthresh) :
			    READ_ONCE(f2p_max_user_bgreq);
}

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
	/* the extension block is a whole number of 8-byte records */
	if (args->ext)
		h->total_extlen = args->in_args[args->in_numargs - 1].size / 8;
	if (args->nocreds)
		return;
	h->uid = from_kuid_munged(fc->user_ns, current_fsuid());
	h->gid = from_kgid_munged(fc->user_ns, current_fsgid());
	h->pid = pid_nr_ns(task_pid(current), fc->pid_ns);
}

/*
 * Put a request where the server reads.  Even uniques are ours; the odd
 * ones are kept for INTERRUPT, which names the request it interrupts by
 * unique|1.  Called with fc->lock held; the caller wakes the readers.
 */
static void f2p_queue_locked(struct f2p_conn *fc, struct f2p_req *req)
{
	fc->reqctr += 2;
	req->in_h.unique = fc->reqctr;
	list_add_tail(&req->list, &fc->pending);
}

static void f2p_wake_readers(struct f2p_conn *fc)
{
	wake_up(&fc->waitq);
	kill_fasync(&fc->fasync, SIGIO, POLL_IN);
}

static int f2p_queue_check_locked(struct f2p_conn *fc, struct f2p_req *req)
{
	if (!fc->connected)
		return f2p_conn_errno(fc);
	if (fc->conn_error && req->args->opcode != FUSE_INIT)
		return -ECONNREFUSED;
	return 0;
}

static int f2p_queue(struct f2p_conn *fc, struct f2p_req *req)
{
	int err;

	spin_lock(&fc->lock);
	err = f2p_queue_check_locked(fc, req);
	if (!err)
		f2p_queue_locked(fc, req);
	spin_unlock(&fc->lock);
	if (!err)
		f2p_wake_readers(fc);
	return err;
}

/* Let waiting background requests through, up to the limit.  Locked. */
static bool f2p_flush_bg_locked(struct f2p_conn *fc)
{
	struct f2p_req *req;
	bool moved = false;

	if (fc->aborted)
		return false;
	while (fc->active_background < fc->max_background &&
	       !list_empty(&fc->bg_queue)) {
		req = list_first_entry(&fc->bg_queue, struct f2p_req, list);
		list_del_init(&req->list);
		fc->active_background++;
		__set_bit(F2P_R_BGACTIVE, &req->flags);
		f2p_queue_locked(fc, req);
		moved = true;
	}
	return moved;
}

void f2p_conn_flush_bg(struct f2p_conn *fc)
{
	bool moved;

	spin_lock(&fc->lock);
	moved = f2p_flush_bg_locked(fc);
	spin_unlock(&fc->lock);
	if (moved)
		f2p_wake_readers(fc);
}

/*
 * New limits, from the INIT reply or the control files; 0 leaves a limit
 * as it is.  Unprivileged callers are held to the per-user limits.
 */
void f2p_conn_set_bg_limits(struct f2p_conn *fc, unsigned int max_bg,
			    unsigned int congestion, bool privileged)
{
	if (!privileged) {
		max_bg = min(max_bg, f2p_bg_user_limit(false));
		congestion = min(congestion, f2p_bg_user_limit(true));
	}
	spin_lock(&fc->lock);
	if (max_bg)
		WRITE_ONCE(fc->max_background, max_bg);
	if (congestion)
		WRITE_ONCE(fc->congestion_threshold, congestion);
	spin_unlock(&fc->lock);
	f2p_conn_flush_bg(fc);
	wake_up_all(&fc->bg_waitq);	/* a larger limit has room now */
}

/*
 * Finish a request.  The caller has already taken it off every list but
 * fc->interrupts.  Drops the reference the queue held.
 */
void f2p_req_end(struct f2p_conn *fc, struct f2p_req *req)
{
	bool background = test_bit(F2P_R_BACKGROUND, &req->flags);
	struct f2p_args *args = req->args;
	bool moved = false;

	spin_lock(&fc->lock);
	/* an INTERRUPT not yet read has nothing left to interrupt */
	list_del_init(&req->intr_entry);
	if (test_bit(F2P_R_BGLIMIT, &req->flags)) {
		/* a limited background request makes room for the next */
		fc->num_background--;
		if (test_bit(F2P_R_BGACTIVE, &req->flags))
			fc->active_background--;
		moved = f2p_flush_bg_locked(fc);
	}
	/* error and out_size before FINISHED: the waiter reads them after */
	smp_mb__before_atomic();
	set_bit(F2P_R_FINISHED, &req->flags);
	spin_unlock(&fc->lock);
	if (moved)
		f2p_wake_readers(fc);
	if (test_bit(F2P_R_BGLIMIT, &req->flags) && wq_has_sleeper(&fc->bg_waitq))
		wake_up(&fc->bg_waitq);

	if (background) {
		atomic_dec(&fc->num_waiting);
		args->out_size = req->out_size;
		if (args->end)
			args->end(fc, args, req->error);
	} else {
		wake_up(&req->waitq);
	}
	f2p_req_put(req);
}

int f2p_wait_init(struct f2p_conn *fc)
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
 * Queue an INTERRUPT for a request the server has seen: SENT, not being
 * copied (a request still being copied to the server gets its INTERRUPT
 * from f2p_dev_do_read once the copy is done, so it never arrives before
 * the request; one whose reply is being copied needs none) and not
 * FINISHED.  Called with fc->lock held.
 */
void f2p_queue_interrupt_locked(struct f2p_conn *fc, struct f2p_req *req)
{
	if (fc->no_interrupt || !fc->connected ||
	    !test_bit(F2P_R_SENT, &req->flags) ||
	    test_bit(F2P_R_LOCKED, &req->flags) ||
	    test_bit(F2P_R_FINISHED, &req->flags) ||
	    !list_empty(&req->intr_entry))
		return;
	list_add_tail(&req->intr_entry, &fc->interrupts);
	wake_up(&fc->waitq);
	kill_fasync(&fc->fasync, SIGIO, POLL_IN);
}

/*
 * NOTIFY_RESEND: the server has lost requests it read (a worker thread
 * died, say).  Everything it holds goes back to the front of the queue,
 * its unique marked with FUSE_UNIQUE_RESEND so the server can tell, and
 * is read again.  A request being copied out right now is not touched:
 * the server gets it in any case.
 */
int f2p_resend(struct f2p_conn *fc)
{
	struct f2p_req *req, *next;
	LIST_HEAD(again);

	spin_lock(&fc->lock);
	if (!fc->connected || fc->aborted) {
		spin_unlock(&fc->lock);
		return -ENOTCONN;
	}
	list_for_each_entry_safe(req, next, &fc->processing, list) {
		if (test_bit(F2P_R_LOCKED, &req->flags))
			continue;
		/* not SENT any more: no INTERRUPT may stay queued (see top) */
		list_del_init(&req->intr_entry);
		clear_bit(F2P_R_SENT, &req->flags);
		req->in_h.unique |= FUSE_UNIQUE_RESEND;
		list_move_tail(&req->list, &again);
	}
	list_splice(&again, &fc->pending);
	spin_unlock(&fc->lock);
	f2p_wake_readers(fc);
	return 0;
}

/*
 * Wait for the answer.  A signal is passed on to the server as INTERRUPT
 * (if it takes them), and the wait goes on: the server decides whether
 * the operation ends early.  A caller killed before the server has seen
 * the request withdraws it; once sent, the server may be acting on it,
 * so we wait for the answer or for the connection to go away.  A forced
 * request (FLUSH and the unlock of close, RELEASE) is neither interrupted
 * nor withdrawn: the server must learn that the file or its locks are
 * gone even when the closing task was killed.
 */
static void f2p_wait_answer(struct f2p_conn *fc, struct f2p_req *req)
{
	if (req->args->force)
		goto wait;
	if (!READ_ONCE(fc->no_interrupt)) {
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
		/* an unsent request has no INTERRUPT queued (see top) */
		if (WARN_ON_ONCE(!list_empty(&req->intr_entry)))
			list_del_init(&req->intr_entry);
		spin_unlock(&fc->lock);
		req->error = -EINTR;
		/* the queue's reference: it will never be ended now */
		f2p_req_put(req);
		return;
	}
	spin_unlock(&fc->lock);
wait:
	wait_event(req->waitq, test_bit(F2P_R_FINISHED, &req->flags));
done:
	smp_rmb();
}

/* Expect the shorter answers of an old server (see f2p_entry_out_size). */
static void f2p_args_fit_minor(const struct f2p_conn *fc,
			       struct f2p_args *args)
{
	if (fc->minor >= 9 || !args->out_numargs)
		return;
	switch (args->opcode) {
	case FUSE_LOOKUP:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_LINK:
	case FUSE_CREATE:
		args->out_args[0].size = FUSE_COMPAT_ENTRY_OUT_SIZE;
		break;
	case FUSE_GETATTR:
	case FUSE_SETATTR:
		args->out_args[0].size = FUSE_COMPAT_ATTR_OUT_SIZE;
		break;
	case FUSE_STATFS:
		if (fc->minor < 4)
			args->out_args[0].size = FUSE_COMPAT_STATFS_SIZE;
		break;
	}
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
		f2p_args_fit_minor(fc, args);
	}
	req = f2p_req_alloc(args->force ? GFP_KERNEL | __GFP_NOFAIL : GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->args = args;
	f2p_fill_header(fc, req);
	atomic_inc(&fc->num_waiting);

	/* one reference for the queue, one for us */
	refcount_inc(&req->count);
	err = f2p_queue(fc, req);
	if (err) {
		f2p_req_put(req);
		f2p_req_put(req);
		atomic_dec(&fc->num_waiting);
		return err;
	}
	f2p_wait_answer(fc, req);

	ret = req->error;
	if (!ret && args->out_argvar && args->out_numargs)
		ret = req->out_size;
	f2p_req_put(req);
	atomic_dec(&fc->num_waiting);
	return ret;
}

/*
 * Background requests never wait for room (RELEASE must always go out),
 * so one that carries a caller's data (async direct I/O) waits here first,
 * killably, while the connection has max_background of them: what a
 * submitter may hold in kernel memory is bounded by the limit, whatever
 * the size of its I/O and however slow the server.
 */
int f2p_bg_wait_room(struct f2p_conn *fc)
{
	if (wait_event_killable(fc->bg_waitq,
				READ_ONCE(fc->num_background) <
					READ_ONCE(fc->max_background) ||
				!READ_ONCE(fc->connected)))
		return -EINTR;
	return 0;
}

/* Queue a background request, or park it when the server has enough. */
static int f2p_queue_bg(struct f2p_conn *fc, struct f2p_req *req)
{
	bool wake = false;
	int err;

	spin_lock(&fc->lock);
	err = f2p_queue_check_locked(fc, req);
	if (!err) {
		fc->num_background++;
		__set_bit(F2P_R_BGLIMIT, &req->flags);
		list_add_tail(&req->list, &fc->bg_queue);
		wake = f2p_flush_bg_locked(fc);
	}
	spin_unlock(&fc->lock);
	if (wake)
		f2p_wake_readers(fc);
	return err;
}

/*
 * Send a request nobody waits for (RELEASE, INIT, DESTROY, async direct
 * I/O).  args->end is called exactly once, also when the request never
 * reaches the server.
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
	/* nobody in particular asks, unless the I/O of a caller goes here */
	if (!args->bgcreds)
		args->nocreds = true;
	__set_bit(F2P_R_BACKGROUND, &req->flags);
	f2p_fill_header(fc, req);
	atomic_inc(&fc->num_waiting);
	/*
	 * INIT and DESTROY must not wait behind the limit; everything else,
	 * forced RELEASEs included, counts against it.
	 */
	if (args->opcode == FUSE_INIT || args->opcode == FUSE_DESTROY)
		err = f2p_queue(fc, req);
	else
		err = f2p_queue_bg(fc, req);
	if (err) {
		req->error = err;
		f2p_req_end(fc, req);
	}
	return err;
}

/*
 * Send the kernel's side of a notification (NOTIFY_REPLY to a RETRIEVE):
 * it carries the unique the server chose, gets no answer and is waited
 * for by nobody.  args->end is called exactly once, as for
 * f2p_request_bg().
 */
int f2p_request_notify_reply(struct f2p_conn *fc, struct f2p_args *args,
			     u64 unique)
{
	struct f2p_req *req = f2p_req_alloc(GFP_KERNEL);
	int err;

	if (!req) {
		args->end(fc, args, -ENOMEM);
		return -ENOMEM;
	}
	req->args = args;
	args->noreply = true;
	args->nocreds = true;
	__set_bit(F2P_R_BACKGROUND, &req->flags);
	f2p_fill_header(fc, req);
	atomic_inc(&fc->num_waiting);
	spin_lock(&fc->lock);
	err = f2p_queue_check_locked(fc, req);
	if (!err) {
		req->in_h.unique = unique;
		list_add_tail(&req->list, &fc->pending);
	}
	spin_unlock(&fc->lock);
	if (err) {
		req->error = err;
		f2p_req_end(fc, req);
		return err;
	}
	f2p_wake_readers(fc);
	return 0;
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
