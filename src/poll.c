// SPDX-License-Identifier: GPL-2.0
/*
 * poll(2), select(2) and epoll on regular files: the server says which
 * events are ready (FUSE_POLL), and, when somebody is going to sleep on
 * the file, promises a FUSE_NOTIFY_POLL once that changes.
 *
 * The promise names the file by a kernel handle (kh): a small number the
 * connection hands out on a file's first sleeping poll and takes back
 * when the file is closed.  A notification only ever looks the number up
 * in fc->polled, so one for a file closed meanwhile, or with a number we
 * never gave out, finds nothing and wakes nobody (as in stock fuse, the
 * server is not told: a late wakeup is no error).
 *
 * A server without POLL (ENOSYS) is not asked again: every file is then
 * always ready, as on a filesystem without .poll.
 */
#include <linux/poll.h>
#include <linux/xarray.h>
#include "fuse2pt.h"

void f2p_poll_conn_init(struct f2p_conn *fc)
{
	xa_init_flags(&fc->polled, XA_FLAGS_ALLOC1);
}

/* every file closes before its connection goes: nothing is left */
void f2p_poll_conn_free(struct f2p_conn *fc)
{
	xa_destroy(&fc->polled);
}

/* The file's kernel handle, given out on first use; 0 if none could be. */
static u32 f2p_poll_kh(struct f2p_conn *fc, struct f2p_file *ff)
{
	u32 kh = READ_ONCE(ff->kh);

	if (kh)
		return kh;
	if (xa_alloc(&fc->polled, &kh, ff, XA_LIMIT(1, U32_MAX), GFP_KERNEL))
		return 0;
	/* two first polls at once: the loser gives its number back */
	if (cmpxchg(&ff->kh, 0, kh))
		xa_erase(&fc->polled, kh);
	return READ_ONCE(ff->kh);
}

/* The file is closed: later notifications for its handle find nothing. */
void f2p_poll_release(struct f2p_file *ff)
{
	u32 kh = READ_ONCE(ff->kh);

	if (!kh)
		return;
	/* under the xarray's lock: a notifier waking us is done after this */
	xa_erase(&ff->fc->polled, kh);
	WRITE_ONCE(ff->kh, 0);
	wake_up_interruptible_all(&ff->poll_wait);
}

/* The connection is gone: sleepers poll again and see the error. */
void f2p_poll_wake_all(struct f2p_conn *fc)
{
	struct f2p_file *ff;
	unsigned long kh;

	xa_lock(&fc->polled);
	xa_for_each(&fc->polled, kh, ff)
		wake_up_interruptible_all(&ff->poll_wait);
	xa_unlock(&fc->polled);
}

int f2p_poll_notify(struct f2p_conn *fc, const void *buf, size_t size)
{
	const struct fuse_notify_poll_wakeup_out *o = buf;
	struct f2p_file *ff;

	if (size != sizeof(*o))
		return -EINVAL;
	if (!o->kh || o->kh > U32_MAX)
		return 0;	/* never handed out: nobody to wake */
	xa_lock(&fc->polled);
	ff = xa_load(&fc->polled, o->kh);
	if (ff)
		wake_up_interruptible_sync(&ff->poll_wait);
	xa_unlock(&fc->polled);
	return 0;
}

__poll_t f2p_file_poll(struct file *file, poll_table *wait)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_poll_in in = { .fh = ff->fh };
	struct fuse_poll_out out = {};
	struct f2p_args args = {
		.opcode = FUSE_POLL,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
		.out_numargs = 1,
		.out_args = { { sizeof(out), &out } },
	};
	ssize_t err;

	if (f2p_is_bad(inode))
		return EPOLLERR;
	if (READ_ONCE(fc->no_poll))
		return DEFAULT_POLLMASK;
	poll_wait(file, &ff->poll_wait, wait);
	in.events = mangle_poll(poll_requested_events(wait));
	/* a wakeup is worth a promise only when somebody sleeps on it */
	if (waitqueue_active(&ff->poll_wait)) {
		in.kh = f2p_poll_kh(fc, ff);
		if (in.kh)
			in.flags = FUSE_POLL_SCHEDULE_NOTIFY;
	}
	err = f2p_request(fc, &args);
	if (!err)
		return demangle_poll(out.revents);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_poll, true);
		return DEFAULT_POLLMASK;
	}
	return EPOLLERR;
}
