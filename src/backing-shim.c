// SPDX-License-Identifier: GPL-2.0
/*
 * Passthrough on kernels without the backing-file helpers: before 6.8,
 * e.g. Debian 11's 5.10, Debian 12's 6.1, and 6.5 to 6.7 (the probes and
 * fuse2pt_compat.h say which kernels; Kbuild builds this file only
 * there).  Reads,
 * writes, splice and mmap of a passthrough file go to our own open of
 * the backing file, with the credentials the server registered it with.
 *
 * The backing file (ff->backing_file, "bf" below) is an ordinary open of
 * the registered path: dentry_open() of fb->file->f_path with fb->cred.
 * Its f_path is the backing path, so the backing filesystem's ->open and
 * everything after it see their own dentry, inode and mount; write
 * access is taken on the backing mount (a read-only bind mount refuses
 * it, and remount,ro of the backing filesystem is refused while it is
 * held).  What the 6.8+ helpers also do and this file cannot: keep the
 * FUSE path beside the real one.  /proc/PID/maps of a mapping shows the
 * backing path here.
 *
 * What holds what, and when it is dropped:
 *
 *  - fb (struct f2p_backing, backing.c) holds fb->file, the server's
 *    file, and fb->cred.  References: the id registry until
 *    BACKING_CLOSE or the connection's end, each passthrough f2p_file
 *    (ff->fb) from open to ->release, the inode (fi->fb) while its
 *    passthrough files are open.  Nothing below needs fb once bf is
 *    open: bf has its own path and credentials.
 *
 *  - bf: vfs_open() took a reference on its dentry (so the inode) and
 *    mount, write access to the inode and mount when opened for write,
 *    and f_cred holds a reference to fb->cred.  All of them go in bf's
 *    __fput(), which touches nothing but bf's own: whatever order the
 *    deferred fputs of bf, fb->file and the FUSE file run in, none of
 *    them reaches an object another one freed.  References to bf:
 *      ff->backing_file, from open to the FUSE file's ->release
 *        (f2p_iomode_release());
 *      each vma mapping it: mmap puts bf, not the FUSE file, in the vma
 *        (f2p_vma_swap_file()), so a mapping pins the backing path, inode and
 *        mount after the FUSE file, its backing id and even the FUSE
 *        mount are gone, and umount of the backing filesystem is EBUSY
 *        while it is mapped;
 *      each asynchronous kiocb in flight (struct f2p_aio), from
 *        submission to its last put.
 *
 *  - The user's kiocb pins the FUSE file (and so ff, fb and the FUSE
 *    inode): a synchronous caller for the length of the call, aio and
 *    io_uring until the kiocb is completed.  A completion therefore uses
 *    the FUSE file up to the user's ki_complete() and not after; it drops
 *    its own references first and calls ki_complete() last.  The FUSE
 *    file also pins this module (its f_op), and its final fput() is
 *    deferred: of ours, only the return from the completion function
 *    can run after ki_complete().
 *
 *  - struct f2p_aio holds two references to itself: the submitter's,
 *    dropped when vfs_iocb_iter_*() returned (the backing filesystem may
 *    look at its kiocb until then even when another CPU completed it
 *    already), and the completion's, dropped by the completion, or by
 *    the submitter when the backing filesystem did not queue the kiocb
 *    (then it never calls ki_complete()).  The last put fputs bf.
 *
 *  - Freeze protection of the backing filesystem (these kernels' VFS
 *    leaves it to the caller): a synchronous write holds it around the
 *    call; an asynchronous one takes it at submission and hands it to the
 *    completion, telling lockdep as aio does for the FUSE file's own, and
 *    the completion drops it before it completes the user's kiocb (the
 *    submitter does when the kiocb was not queued).  Where
 *    vfs_iocb_iter_write() takes it itself (F2P_VFS_WRITE_FREEZES: 6.8's
 *    VFS, reached here only with the helpers' probes forced off), only
 *    the completion's part is ours.
 *
 * Setuid and setgid: a write first drops them on the FUSE file with the
 * caller's credentials (file_remove_privs(): SETATTR to the server while
 * only the FUSE inode is locked, as the 6.8+ helpers do); the backing
 * filesystem then does the same on the backing inode with the server's
 * credentials.  Nothing of it calls back into FUSE with the backing inode
 * locked.
 *
 * Asynchronous kiocbs complete asynchronously: ours on bf carries the
 * user's flags and position, and its completion completes the user's.
 * Write completions run from a workqueue, since the FUSE inode's size
 * follows the backing file's there, under a lock that is not taken with
 * interrupts off; read completions run where the backing filesystem
 * calls them.
 *
 * Splice reads go through our ->read_iter with synchronous kiocbs, so the
 * same code; splice writes go to the backing file's own splice_write, as
 * the helpers of later kernels do (see f2p_backing_splice_write).
 */
#include <linux/fs.h>
#include <linux/cred.h>
#include <linux/fsnotify.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/slab.h>
#include <linux/refcount.h>
#include <linux/splice.h>
#include <linux/workqueue.h>
#include "fuse2pt.h"

struct file *f2p_backing_file_open(struct file *user, int flags,
				   const struct path *real,
				   const struct cred *cred)
{
	return dentry_open(real, flags, cred);
}

/*
 * The flags of our kiocb on bf: the caller's, so IOCB_APPEND, IOCB_DIRECT,
 * IOCB_DSYNC and IOCB_SYNC follow the FUSE file as it is now (fcntl's
 * F_SETFL included) and pwritev2()'s RWF_*, never bf's open flags.  Left
 * behind is what only means something to the caller's kiocb: aio's
 * eventfd and its IOCB_AIO_RW (which tells kiocb_set_cancel_fn() that the
 * kiocb sits in an aio_kiocb: ours does not), io_uring's wait queue and
 * bio cache, and the polling of an asynchronous kiocb (nobody polls ours).
 * A write is marked IOCB_WRITE whoever submitted it (loop does not): the
 * backing filesystem may end its freeze protection by that flag.
 */
static int f2p_backing_flags(struct file *bf, struct kiocb *iocb, bool write)
{
	int flags = iocb->ki_flags & ~(IOCB_EVENTFD | IOCB_WAITQ |
				       IOCB_ALLOC_CACHE | IOCB_AIO_RW);

	if (write)
		flags |= IOCB_WRITE;

	if (!is_sync_kiocb(iocb))
		flags &= ~IOCB_HIPRI;
	if ((flags & IOCB_DIRECT) && !f2p_can_odirect(bf))
		return -EINVAL;
	if ((flags & IOCB_NOWAIT) && !(bf->f_mode & FMODE_NOWAIT))
		return -EAGAIN;
	return flags;
}

static bool f2p_sb_start_write(struct super_block *sb, int flags)
{
	if (F2P_VFS_WRITE_FREEZES)
		return true;
	if (flags & IOCB_NOWAIT)
		return sb_start_write_trylock(sb);
	sb_start_write(sb);
	return true;
}

static ssize_t f2p_backing_sync(struct file *bf, struct iov_iter *iter,
				struct kiocb *iocb, int flags, bool write)
{
	struct super_block *sb = file_inode(bf)->i_sb;
	struct kiocb kio;
	ssize_t ret;

	kiocb_clone(&kio, iocb, bf);
	kio.ki_flags = flags;
	if (!write) {
		ret = vfs_iocb_iter_read(bf, &kio, iter);
	} else {
		if (!f2p_sb_start_write(sb, flags))
			return -EAGAIN;
		ret = vfs_iocb_iter_write(bf, &kio, iter);
		if (!F2P_VFS_WRITE_FREEZES)
			sb_end_write(sb);
	}
	iocb->ki_pos = kio.ki_pos;
	return ret;
}

/* An asynchronous kiocb of ours on bf, for the caller's on the FUSE file */
struct f2p_aio {
	struct kiocb iocb;
	struct kiocb *user;
	refcount_t ref;
	bool write;
	long res;
	struct work_struct work;	/* write completions */
};

static void f2p_aio_put(struct f2p_aio *aio)
{
	if (refcount_dec_and_test(&aio->ref)) {
		fput(aio->iocb.ki_filp);
		kfree(aio);
	}
}

/* The freeze protection the submitter handed over is ours to drop. */
static void f2p_aio_end_write(struct f2p_aio *aio)
{
	struct super_block *sb = file_inode(aio->iocb.ki_filp)->i_sb;

	__sb_writers_acquired(sb, SB_FREEZE_WRITE);
	sb_end_write(sb);
}

static void f2p_aio_complete(struct f2p_aio *aio, long res)
{
	struct kiocb *user = aio->user;

	if (aio->write) {
		f2p_aio_end_write(aio);
		if (res > 0)
			f2p_pt_end_write(user->ki_filp);
	}
	user->ki_pos = aio->iocb.ki_pos;
	f2p_aio_put(aio);
	/* last: from here on the caller may let the FUSE file go */
	f2p_ki_complete(user, res);
}

static void f2p_aio_read_done(F2P_KI_COMPLETE_ARGS(iocb, res))
{
	f2p_aio_complete(container_of(iocb, struct f2p_aio, iocb), res);
}

static void f2p_aio_write_work(struct work_struct *work)
{
	struct f2p_aio *aio = container_of(work, struct f2p_aio, work);

	f2p_aio_complete(aio, aio->res);
}

static void f2p_aio_write_done(F2P_KI_COMPLETE_ARGS(iocb, res))
{
	struct f2p_aio *aio = container_of(iocb, struct f2p_aio, iocb);

	aio->res = res;
	queue_work(f2p_wq, &aio->work);
}

static ssize_t f2p_backing_async(struct file *bf, struct iov_iter *iter,
				 struct kiocb *iocb, int flags, bool write)
{
	struct super_block *sb = file_inode(bf)->i_sb;
	struct f2p_aio *aio;
	ssize_t ret;

	aio = kmalloc(sizeof(*aio), GFP_KERNEL);
	if (!aio)
		return -ENOMEM;
	kiocb_clone(&aio->iocb, iocb, get_file(bf));
	aio->iocb.ki_flags = flags;
	aio->iocb.ki_complete = write ? f2p_aio_write_done : f2p_aio_read_done;
	aio->user = iocb;
	aio->write = write;
	INIT_WORK(&aio->work, f2p_aio_write_work);
	refcount_set(&aio->ref, 2);

	if (!write) {
		ret = vfs_iocb_iter_read(bf, &aio->iocb, iter);
	} else if (f2p_sb_start_write(sb, flags)) {
		/* the completion inherits it: lockdep must not see it held */
		if (!F2P_VFS_WRITE_FREEZES)
			__sb_writers_release(sb, SB_FREEZE_WRITE);
		ret = vfs_iocb_iter_write(bf, &aio->iocb, iter);
		if (ret != -EIOCBQUEUED && !F2P_VFS_WRITE_FREEZES)
			f2p_aio_end_write(aio);
	} else {
		ret = -EAGAIN;
	}
	if (ret != -EIOCBQUEUED) {
		/* no completion will come: its reference is ours to drop */
		iocb->ki_pos = aio->iocb.ki_pos;
		f2p_aio_put(aio);
	}
	f2p_aio_put(aio);
	return ret;
}

static ssize_t f2p_backing_rw(struct file *bf, struct iov_iter *iter,
			      struct kiocb *iocb, const struct cred *cred,
			      bool write)
{
	const struct cred *old;
	ssize_t ret;
	int flags;

	flags = f2p_backing_flags(bf, iocb, write);
	if (flags < 0)
		return flags;
	old = override_creds(cred);
	if (is_sync_kiocb(iocb))
		ret = f2p_backing_sync(bf, iter, iocb, flags, write);
	else
		ret = f2p_backing_async(bf, iter, iocb, flags, write);
	revert_creds(old);
	return ret;
}

ssize_t f2p_backing_read_iter(struct file *bf, struct iov_iter *iter,
			      struct kiocb *iocb, const struct cred *cred)
{
	return f2p_backing_rw(bf, iter, iocb, cred, false);
}

/* Called with the FUSE inode locked (passthrough.c). */
ssize_t f2p_backing_write_iter(struct file *bf, struct iov_iter *iter,
			       struct kiocb *iocb, const struct cred *cred)
{
	ssize_t ret;

	/* the caller's credentials decide, and the FUSE inode is the one */
	ret = file_remove_privs(iocb->ki_filp);
	if (ret)
		return ret;
	ret = f2p_backing_rw(bf, iter, iocb, cred, true);
	/* a queued write's completion does this itself */
	if (ret > 0)
		f2p_pt_end_write(iocb->ki_filp);
	return ret;
}

ssize_t f2p_backing_splice_read(struct file *bf, struct file *user,
				loff_t *ppos, struct pipe_inode_info *pipe,
				size_t len, unsigned int flags,
				const struct cred *cred)
{
	return f2p_copy_splice_read(user, ppos, pipe, len, flags);
}

/*
 * Straight into bf's own splice_write, in the order every splice into a
 * passthrough file keeps: the FUSE inode (held by the caller,
 * f2p_splice_inode_first), then the backing file system's freeze
 * protection, then (bf's splice_write) the pipe.  Through our write_iter
 * instead, the pipe would come before that freeze protection, the order
 * that deadlocks against a direct splice into a file there while a
 * freeze is pending.  A backing file system without splice_write gets
 * the generic one, which writes through its write_iter.  bf splices with
 * its own open flags, as the later kernels' helpers do.
 */
ssize_t f2p_backing_splice_write(struct pipe_inode_info *pipe,
				 struct file *bf, struct file *user,
				 loff_t *ppos, size_t len, unsigned int flags,
				 const struct cred *cred)
{
	const struct cred *old;
	ssize_t ret;

	/* the caller's credentials decide, and the FUSE inode is the one */
	ret = file_remove_privs(user);
	if (ret)
		return ret;
	old = override_creds(cred);
	file_start_write(bf);
	if (bf->f_op->splice_write)
		ret = bf->f_op->splice_write(pipe, bf, ppos, len, flags);
	else
		ret = iter_file_splice_write(pipe, bf, ppos, len, flags);
	file_end_write(bf);
	revert_creds(old);
	if (ret > 0) {
		f2p_pt_end_write(user);
		/* 6.1's do_splice tells no watcher of the FUSE file */
		fsnotify_modify(user);
	}
	return ret;
}

/* The vma gets bf in place of the FUSE file: the mapping pins bf's path. */
int f2p_backing_mmap(struct file *bf, struct file *user,
		     struct vm_area_struct *vma, const struct cred *cred)
{
	const struct cred *old;
	struct file *prev;
	int ret;

	if (!bf->f_op->mmap)
		return -ENODEV;
	prev = f2p_vma_swap_file(vma, bf);
	old = override_creds(cred);
	ret = call_mmap(bf, vma);
	revert_creds(old);
	f2p_vma_swap_end(vma, prev, bf, ret);
	return ret;
}
