// SPDX-License-Identifier: GPL-2.0
/*
 * The connection: its lifetime, the INIT handshake that sets it up, and
 * the two ways it ends (an orderly umount, or an abort when the server
 * goes away or the admin pulls the plug).
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <linux/capability.h>
#include <linux/backing-dev.h>
#include <linux/random.h>
#include "fuse2pt.h"

/*
 * INIT flags we implement and therefore offer.  DONT_MASK: create modes
 * arrive unmasked with the umask alongside, for the server to apply (or
 * not, in a directory with a default ACL); without it we apply the umask.
 * POSIX_ACL: we enforce the server's ACLs (acl.c).  WRITEBACK_CACHE:
 * buffered writes stay in the page cache (writeback.c).  EXPORT_SUPPORT:
 * file handles of objects we forgot are looked up by nodeid (export.c);
 * NO_EXPORT_SUPPORT: the server wants no handles that open (export.c).
 * ASYNC_DIO: async direct I/O goes out as background requests (dio.c).
 * DIRECT_IO_ALLOW_MMAP: FOPEN_DIRECT_IO files may be mapped shared.
 */
#define F2P_INIT_OFFER	(FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | \
			 FUSE_ABORT_ERROR | FUSE_MAX_PAGES | FUSE_INIT_EXT | \
			 FUSE_BIG_WRITES | FUSE_PASSTHROUGH | \
			 FUSE_ATOMIC_O_TRUNC | FUSE_DO_READDIRPLUS | \
			 FUSE_READDIRPLUS_AUTO | FUSE_POSIX_LOCKS | \
			 FUSE_FLOCK_LOCKS | FUSE_DONT_MASK | FUSE_POSIX_ACL | \
			 FUSE_CACHE_SYMLINKS | FUSE_HAS_IOCTL_DIR | \
			 FUSE_AUTO_INVAL_DATA | FUSE_EXPLICIT_INVAL_DATA | \
			 FUSE_HAS_RESEND | FUSE_WRITEBACK_CACHE | \
			 FUSE_EXPORT_SUPPORT | FUSE_NO_EXPORT_SUPPORT | \
			 FUSE_ASYNC_DIO | FUSE_DIRECT_IO_ALLOW_MMAP | \
			 F2P_OFFER_SECURITY_CTX | FUSE_CREATE_SUPP_GROUP)

struct f2p_init_args {
	struct f2p_args args;
	struct fuse_init_in in;
	struct fuse_init_out out;
};

struct f2p_conn *f2p_conn_alloc(struct fs_context *fsc)
{
	struct f2p_conn *fc = kzalloc(sizeof(*fc), GFP_KERNEL);

	if (!fc)
		return NULL;
	spin_lock_init(&fc->lock);
	refcount_set(&fc->count, 1);
	init_waitqueue_head(&fc->waitq);
	init_waitqueue_head(&fc->blocked_waitq);
	init_waitqueue_head(&fc->bg_waitq);
	INIT_LIST_HEAD(&fc->pending);
	INIT_LIST_HEAD(&fc->processing);
	INIT_LIST_HEAD(&fc->forgets);
	INIT_LIST_HEAD(&fc->interrupts);
	INIT_LIST_HEAD(&fc->releases);
	init_rwsem(&fc->killsb);
	INIT_LIST_HEAD(&fc->bg_queue);
	spin_lock_init(&fc->wbuf_lock);
	fc->max_background = f2p_default_max_background();
	fc->congestion_threshold = f2p_default_congestion_threshold();
	idr_init(&fc->backing_ids);
	f2p_poll_conn_init(fc);
	atomic64_set(&fc->attr_version, 1);
	fc->connected = true;
	fc->max_pages = F2P_DEFAULT_MAX_PAGES;
	fc->max_write = PAGE_SIZE;
	fc->max_read = ~0U;
	fc->user_ns = get_user_ns(fsc->user_ns);
	fc->pid_ns = get_pid_ns(task_active_pid_ns(current));
	get_random_bytes(&fc->owner_key, sizeof(fc->owner_key));
	return fc;
}

struct f2p_conn *f2p_conn_get(struct f2p_conn *fc)
{
	refcount_inc(&fc->count);
	return fc;
}

void f2p_conn_put(struct f2p_conn *fc)
{
	if (!refcount_dec_and_test(&fc->count))
		return;
	/* whoever dropped the last reference has already aborted */
	WARN_ON_ONCE(!list_empty(&fc->pending) ||
		     !list_empty(&fc->processing) ||
		     !list_empty(&fc->forgets));
	f2p_backing_forget_all(fc);
	f2p_poll_conn_free(fc);
	f2p_wbuf_drop_all(fc);
	put_pid_ns(fc->pid_ns);
	put_user_ns(fc->user_ns);
	kfree(fc);
}

int f2p_conn_errno(const struct f2p_conn *fc)
{
	return fc->abort_err && fc->aborted ? -ECONNABORTED : -ENOTCONN;
}

/* Move every request off @src, marking each as beyond cancellation. */
static void f2p_take_all(struct list_head *src, struct list_head *dst, int err)
{
	struct f2p_req *req, *next;

	list_for_each_entry_safe(req, next, src, list) {
		set_bit(F2P_R_SENT, &req->flags);
		if (test_bit(F2P_R_LOCKED, &req->flags)) {
			/* the device thread copying it will end it */
			set_bit(F2P_R_ABORTED, &req->flags);
			continue;
		}
		req->error = err;
		list_move_tail(&req->list, dst);
	}
}

/*
 * Tear the connection down: every queued or in-flight request ends with
 * ECONNABORTED (later ones get ENOTCONN), every reader gets ENODEV,
 * and every caller waiting for INIT is let go.  Idempotent.
 */
void f2p_conn_abort(struct f2p_conn *fc)
{
	struct f2p_forget *forget, *fnext;
	struct f2p_req *req, *next;
	LIST_HEAD(ended);
	LIST_HEAD(forgets);
	int err;

	spin_lock(&fc->lock);
	if (fc->aborted) {
		spin_unlock(&fc->lock);
		return;
	}
	fc->aborted = true;
	fc->connected = false;
	/* requests caught in flight learn why; later ones see f2p_conn_errno */
	err = -ECONNABORTED;
	f2p_take_all(&fc->bg_queue, &ended, err);
	f2p_take_all(&fc->pending, &ended, err);
	f2p_take_all(&fc->processing, &ended, err);
	list_splice_init(&fc->forgets, &forgets);
	while (!list_empty(&fc->interrupts))
		list_del_init(fc->interrupts.next);
	if (!fc->initialized) {
		fc->conn_error = true;
		smp_wmb();
		WRITE_ONCE(fc->initialized, true);
	}
	spin_unlock(&fc->lock);

	list_for_each_entry_safe(req, next, &ended, list) {
		list_del_init(&req->list);
		f2p_req_end(fc, req);
	}
	list_for_each_entry_safe(forget, fnext, &forgets, list)
		kfree(forget);

	wake_up_all(&fc->waitq);
	wake_up_all(&fc->blocked_waitq);
	wake_up_all(&fc->bg_waitq);
	kill_fasync(&fc->fasync, SIGIO, POLL_IN);
	f2p_poll_wake_all(fc);
}

/*
 * The superblock is gone: accept no new requests, but let the server
 * drain what is queued (DESTROY last) before its reads see ENODEV.
 */
void f2p_conn_shutdown(struct f2p_conn *fc)
{
	spin_lock(&fc->lock);
	fc->connected = false;
	fc->sb = NULL;
	spin_unlock(&fc->lock);
	wake_up_all(&fc->waitq);
	wake_up_all(&fc->blocked_waitq);
	kill_fasync(&fc->fasync, SIGIO, POLL_IN);
}

static void f2p_apply_init(struct f2p_conn *fc, const struct fuse_init_out *o)
{
	u64 flags = o->flags;

	if (flags & FUSE_INIT_EXT)
		flags |= (u64)o->flags2 << 32;
	/*
	 * Passthrough needs a stacking depth we can honour, and never goes
	 * with the writeback cache (whose dirty pages it would bypass).
	 */
	if ((flags & FUSE_PASSTHROUGH) &&
	    (o->max_stack_depth < 1 ||
	     o->max_stack_depth > FILESYSTEM_MAX_STACK_DEPTH ||
	     (flags & FUSE_WRITEBACK_CACHE)))
		flags &= ~FUSE_PASSTHROUGH;
	/* a server may only accept what we offered */
	flags &= F2P_INIT_OFFER;
	if ((flags & FUSE_PASSTHROUGH) && fc->sb) {
		fc->passthrough = true;
		fc->max_stack_depth = o->max_stack_depth;
		fc->sb->s_stack_depth = o->max_stack_depth;
	}
	fc->init_flags = flags;
	fc->minor = o->minor;
	fc->async_read = !!(flags & FUSE_ASYNC_READ);
	fc->atomic_o_trunc = !!(flags & FUSE_ATOMIC_O_TRUNC);
	fc->readdirplus = !!(flags & FUSE_DO_READDIRPLUS);
	fc->posix_locks = !!(flags & FUSE_POSIX_LOCKS);
	fc->flock_locks = !!(flags & FUSE_FLOCK_LOCKS);
	fc->readdirplus_auto = !!(flags & FUSE_READDIRPLUS_AUTO);
	fc->parallel_dirops = !!(flags & FUSE_PARALLEL_DIROPS);
	fc->abort_err = !!(flags & FUSE_ABORT_ERROR);
	/* a server accepting both gets the automatic kind */
	fc->auto_inval_data = !!(flags & FUSE_AUTO_INVAL_DATA);
	fc->explicit_inval_data = !fc->auto_inval_data &&
				  (flags & FUSE_EXPLICIT_INVAL_DATA);
	fc->dont_mask = !!(flags & FUSE_DONT_MASK);
	fc->cache_symlinks = !!(flags & FUSE_CACHE_SYMLINKS);
	/* passthrough was dropped above if the server asked for both */
	fc->writeback_cache = !!(flags & FUSE_WRITEBACK_CACHE);
	fc->export_support = !!(flags & FUSE_EXPORT_SUPPORT);
	fc->async_dio = !!(flags & FUSE_ASYNC_DIO);
	fc->direct_io_allow_mmap = !!(flags & FUSE_DIRECT_IO_ALLOW_MMAP);
	if ((flags & FUSE_NO_EXPORT_SUPPORT) && fc->sb) {
		fc->export_support = false;
		fc->sb->s_export_op = &f2p_export_fid_ops;
	}
	/* the kernel judges with ACLs what it judges with modes */
	if (flags & FUSE_POSIX_ACL) {
		fc->posix_acl = true;
		fc->default_permissions = true;
		if (fc->sb && fc->sb->s_root)
			f2p_acl_cache_on(d_inode(fc->sb->s_root));
	}
	/* before BIG_WRITES, servers expected one page per WRITE */
	fc->max_write = (flags & FUSE_BIG_WRITES) || o->minor >= 12 ?
			clamp_t(u32, o->max_write, PAGE_SIZE, 16U << 20) :
			PAGE_SIZE;
	if ((flags & FUSE_MAX_PAGES) && o->max_pages)
		fc->max_pages = min_t(u32, o->max_pages, F2P_MAX_MAX_PAGES);
	/*
	 * Readahead no larger than the server said it wants, if smaller.
	 * A read() larger than that window is read ahead whole, up to
	 * io_pages: READs of up to max_pages, not one per window (newer
	 * stock fuse does the same; 6.12's does not).
	 */
	if (fc->sb) {
		fc->sb->s_bdi->ra_pages = min_t(unsigned long,
						fc->sb->s_bdi->ra_pages,
						o->max_readahead >> PAGE_SHIFT);
		fc->sb->s_bdi->io_pages = fc->max_pages;
	}
}

static void f2p_init_end(struct f2p_conn *fc, struct f2p_args *args, int error)
{
	struct f2p_init_args *ia = container_of(args, struct f2p_init_args, args);
	const struct fuse_init_out *o = &ia->out;
	bool ok = false;

	if (error)
		pr_info_ratelimited("INIT failed: error %d\n", error);
	else if (o->major != FUSE_KERNEL_VERSION)
		pr_info_ratelimited("server speaks protocol %u.%u, we need 7.x\n",
				    o->major, o->minor);
	else
		ok = true;

	spin_lock(&fc->lock);
	if (ok)
		f2p_apply_init(fc, o);
	else
		fc->conn_error = true;
	smp_wmb();
	WRITE_ONCE(fc->initialized, true);
	spin_unlock(&fc->lock);
	/* limits came with 7.13; the server writing this may lack privilege */
	if (ok && o->minor >= 13)
		f2p_conn_set_bg_limits(fc, o->max_background,
				       o->congestion_threshold,
				       capable(CAP_SYS_ADMIN));
	wake_up_all(&fc->blocked_waitq);
	kfree(ia);
}

int f2p_send_init(struct f2p_conn *fc)
{
	struct f2p_init_args *ia = kzalloc(sizeof(*ia), GFP_KERNEL);
	u64 offer = F2P_INIT_OFFER;

	if (!ia)
		return -ENOMEM;
	ia->in.major = FUSE_KERNEL_VERSION;
	ia->in.minor = FUSE_KERNEL_MINOR_VERSION;
	ia->in.max_readahead = fc->max_pages << PAGE_SHIFT;
	ia->in.flags = lower_32_bits(offer);
	ia->in.flags2 = upper_32_bits(offer);

	ia->args.opcode = FUSE_INIT;
	ia->args.force = true;
	ia->args.in_numargs = 1;
	ia->args.in_args[0].size = sizeof(ia->in);
	ia->args.in_args[0].value = &ia->in;
	ia->args.out_numargs = 1;
	/* old servers answer with a shorter struct; the rest stays zero */
	ia->args.out_argvar = true;
	ia->args.out_args[0].size = sizeof(ia->out);
	ia->args.out_args[0].value = &ia->out;
	ia->args.end = f2p_init_end;
	f2p_request_bg(fc, &ia->args, GFP_KERNEL);
	return 0;
}

static void f2p_destroy_end(struct f2p_conn *fc, struct f2p_args *args,
			    int error)
{
	kfree(args);
}

/*
 * DESTROY is queued, not waited for: a server that unmounts itself from
 * its only thread could never answer, and umount must not hang on it.
 * Its answer, if one comes, is still accepted; closing the device ends it.
 */
void f2p_send_destroy(struct f2p_conn *fc)
{
	struct f2p_args *args;

	if (!READ_ONCE(fc->initialized) || fc->conn_error)
		return;
	args = kzalloc(sizeof(*args), GFP_KERNEL);
	if (!args)
		return;
	args->opcode = FUSE_DESTROY;
	args->force = true;
	args->end = f2p_destroy_end;
	f2p_request_bg(fc, args, GFP_KERNEL);
}
