// SPDX-License-Identifier: GPL-2.0
/*
 * File locks: POSIX and OFD locks through GETLK/SETLK/SETLKW, flock()
 * through SETLK(W) with FUSE_LK_FLOCK.  A server that did not take
 * POSIX_LOCKS or FLOCK_LOCKS at INIT gets none of it: the kernel keeps
 * those locks itself, local to this machine, as for any filesystem.
 */
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/siphash.h>
#include "fuse2pt.h"

/*
 * Lock owners go to the server as opaque numbers.  They are kernel
 * pointers (a files_struct, a struct file), which no server may learn:
 * each connection hashes them with its own key (fc->owner_key), so two
 * owners tell nothing about the pointers behind them, and the same owner
 * has unrelated numbers on two connections.
 */
u64 f2p_lock_owner(const struct f2p_conn *fc, fl_owner_t owner)
{
	return siphash_1u64((u64)(unsigned long)owner, &fc->owner_key);
}

static void f2p_lk_args(struct file *file, struct file_lock *fl, u32 opcode,
			bool flock, struct fuse_lk_in *in,
			struct fuse_lk_out *out, struct f2p_args *args)
{
	struct f2p_file *ff = file->private_data;
	struct f2p_conn *fc = ff->fc;

	in->fh = ff->fh;
	in->owner = f2p_lock_owner(fc, f2p_fl_owner(fl));
	in->lk.start = fl->fl_start;
	in->lk.end = fl->fl_end;
	in->lk.type = f2p_fl_type(fl);
	/* the holder as the server sees it, in its own pid namespace */
	if (f2p_fl_type(fl) != F_UNLCK && opcode != FUSE_GETLK)
		in->lk.pid = pid_nr_ns(task_tgid(current), fc->pid_ns);
	if (flock)
		in->lk_flags |= FUSE_LK_FLOCK;
	args->opcode = opcode;
	args->nodeid = ff->nodeid;
	args->in_numargs = 1;
	args->in_args[0].size = sizeof(*in);
	args->in_args[0].value = in;
	if (out) {
		args->out_numargs = 1;
		args->out_args[0].size = sizeof(*out);
		args->out_args[0].value = out;
	}
}

/* F_GETLK: who would block this lock, if anyone. */
static int f2p_getlk(struct file *file, struct file_lock *fl)
{
	struct f2p_conn *fc = f2p_inode_conn(file_inode(file));
	struct fuse_lk_in in = {};
	struct fuse_lk_out out = {};
	struct f2p_args args = {};
	const struct fuse_file_lock *lk = &out.lk;
	ssize_t err;

	f2p_lk_args(file, fl, FUSE_GETLK, false, &in, &out, &args);
	err = f2p_request(fc, &args);
	if (err)
		return err;
	switch (lk->type) {
	case F_UNLCK:
		f2p_fl_type(fl) = F_UNLCK;
		return 0;
	case F_RDLCK:
	case F_WRLCK:
		break;
	default:
		return -EIO;
	}
	if (lk->start > OFFSET_MAX || lk->end > OFFSET_MAX ||
	    lk->start > lk->end)
		return -EIO;
	fl->fl_start = lk->start;
	fl->fl_end = lk->end;
	f2p_fl_type(fl) = lk->type;
	/*
	 * The server names the holder in its pid namespace.  A file_lock
	 * holds the number the initial namespace gives it: F_GETLK turns
	 * that into the caller's (locks_translate_pid).
	 */
	rcu_read_lock();
	f2p_fl_pid(fl) = lk->pid ?
		pid_nr_ns(find_pid_ns(lk->pid, fc->pid_ns), &init_pid_ns) : 0;
	rcu_read_unlock();
	return 0;
}

static int f2p_setlk(struct file *file, struct file_lock *fl, bool wait,
		     bool flock)
{
	struct f2p_conn *fc = f2p_inode_conn(file_inode(file));
	struct fuse_lk_in in = {};
	struct f2p_args args = {};
	ssize_t err;

	f2p_lk_args(file, fl, wait ? FUSE_SETLKW : FUSE_SETLK, flock, &in,
		    NULL, &args);
	err = f2p_request(fc, &args);
	/* a wait cut short by a signal starts over, as local locks do */
	if (err == -EINTR)
		err = -ERESTARTSYS;
	return err;
}

int f2p_lock(struct file *file, int cmd, struct file_lock *fl)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);

	if (f2p_is_bad(inode))
		return -EIO;
	if (cmd == F_CANCELLK)
		return 0;
	if (!fc->posix_locks) {
		if (cmd == F_GETLK) {
			posix_test_lock(file, fl);
			return 0;
		}
		return posix_lock_file(file, fl, NULL);
	}
	if (cmd == F_GETLK)
		return f2p_getlk(file, fl);
	return f2p_setlk(file, fl, cmd == F_SETLKW, false);
}

int f2p_flock(struct file *file, int cmd, struct file_lock *fl)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;

	if (f2p_is_bad(inode))
		return -EIO;
	if (!fc->flock_locks)
		return locks_lock_file_wait(file, fl);
	/* the last close must tell the server to drop what we hold */
	WRITE_ONCE(ff->flock_owner, f2p_lock_owner(fc, file));
	return f2p_setlk(file, fl, f2p_fl_flags(fl) & FL_SLEEP, true);
}
