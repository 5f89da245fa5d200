// SPDX-License-Identifier: GPL-2.0
/*
 * Io modes: one place decides, at open, how a regular file does its I/O,
 * and keeps the inode's files from mixing ways that would disagree.
 *
 * An inode is either cached (files going through the page cache) or
 * uncached (passthrough files, whose data the page cache never sees).
 * The first passthrough open attaches its backing file to the inode;
 * every later open must be a passthrough open of that same backing file,
 * until the last passthrough file is released.  Direct-io files take no
 * side.  Every refusal is EIO, but for a backing file stacked too deep
 * (ELOOP), and the caller sends the RELEASE.  The server sees none of
 * them, so the connection directory (control.c) shows them: each refusal
 * here counts, and its reason is kept until the next one.  It also shows
 * how many files are open in each io mode, counted as a file's mode is
 * set and nowhere else (f2p_iomode_set()).
 *
 * Parallel direct writes (FOPEN_PARALLEL_DIRECT_WRITES) run under the
 * shared inode lock, so nothing keeps the page cache in step with them:
 * they run only while no cached file is open.  A cached open waits
 * (killably) for the running ones to end, while new ones fall back to the
 * exclusive lock.  The shared mmap that makes a direct-io file cached does
 * not wait: ->mmap holds mmap_lock, which a running writer may need to
 * fault in its buffer.  It turns the inode cached at once; the writers
 * still running invalidate what they wrote when they end, as any direct
 * write beside a cached file does.
 */
#include "fuse2pt.h"

#define F2P_PT_COMPANIONS	(FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO | \
				 FOPEN_PARALLEL_DIRECT_WRITES | FOPEN_NOFLUSH)

static atomic_t *f2p_iomode_count(struct f2p_conn *fc, enum f2p_iomode mode)
{
	switch (mode) {
	case F2P_IOMODE_DIRECT:
		return &fc->open_direct;
	case F2P_IOMODE_CACHED:
		return &fc->open_cached;
	case F2P_IOMODE_PASSTHROUGH:
		return &fc->open_passthrough;
	default:
		return NULL;
	}
}

/*
 * A file's io mode changes here only, under its inode's lock: when it is
 * claimed at open, when a shared mapping turns a direct-io file cached,
 * and at release (also of an open that fails after its claim).  The
 * connection's count of each mode moves with it.
 */
static void f2p_iomode_set(struct f2p_file *ff, enum f2p_iomode mode)
{
	atomic_t *count = f2p_iomode_count(ff->fc, ff->iomode);

	if (count)
		atomic_dec(count);
	count = f2p_iomode_count(ff->fc, mode);
	if (count)
		atomic_inc(count);
	ff->iomode = mode;
}

/* Count a refused open and keep why; returns @err, the opener's error. */
static int f2p_iomode_refuse(struct f2p_conn *fc, enum f2p_pt_refusal why,
			     u32 detail, int err)
{
	atomic64_inc(&fc->pt_refused);
	atomic64_set(&fc->pt_refused_last, (u64)why << 32 | detail);
	return err;
}

static int f2p_iomode_claim(struct f2p_inode *fi, struct f2p_file *ff,
			    struct f2p_backing *fb)
{
	/* an inode in passthrough mode only takes passthrough opens */
	if (fi->fb && fi->fb != fb)
		return f2p_iomode_refuse(ff->fc, fb ? F2P_PT_OTHER_BACKING :
					 F2P_PT_INODE_PASSTHROUGH, 0, -EIO);
	if (fb) {
		if (fi->iocache > 0)
			return f2p_iomode_refuse(ff->fc, F2P_PT_INODE_CACHED, 0,
						 -EIO);
		if (!fi->fb)
			fi->fb = f2p_backing_get(fb);
		fi->iocache--;
		f2p_iomode_set(ff, F2P_IOMODE_PASSTHROUGH);
		return 0;
	}
	if (ff->open_flags & FOPEN_DIRECT_IO) {
		f2p_iomode_set(ff, F2P_IOMODE_DIRECT);
		return 0;
	}
	if (fi->iocache < 0)
		return f2p_iomode_refuse(ff->fc, F2P_PT_INODE_PASSTHROUGH, 0,
					 -EIO);
	fi->iocache++;
	f2p_iomode_set(ff, F2P_IOMODE_CACHED);
	return 0;
}

static struct f2p_backing *f2p_iomode_backing(struct f2p_file *ff, int id)
{
	struct f2p_conn *fc = ff->fc;
	u32 bad = ff->open_flags & ~F2P_PT_COMPANIONS;
	struct f2p_backing *fb;

	if (!fc->passthrough) {
		pr_warn_ratelimited("FOPEN_PASSTHROUGH without negotiated passthrough\n");
		return ERR_PTR(f2p_iomode_refuse(fc, F2P_PT_NOT_NEGOTIATED, 0,
						 -EIO));
	}
	if (bad) {
		pr_warn_ratelimited("FOPEN_PASSTHROUGH with open flags %#x\n",
				    ff->open_flags);
		return ERR_PTR(f2p_iomode_refuse(fc, F2P_PT_BAD_FLAGS, bad,
						 -EIO));
	}
	fb = f2p_backing_lookup(fc, id);
	if (!fb)
		return ERR_PTR(f2p_iomode_refuse(fc, F2P_PT_BAD_ID, id, -EIO));
	return fb;
}

/*
 * A cached claim waits for the parallel direct writes running now, unless
 * the inode is (or becomes) passthrough: the claim then fails anyway.
 * A server that never answers such a write must not make the open
 * unkillable: -EINTR on a fatal signal.  Called and returns with fi->lock
 * held.
 */
static int f2p_iomode_wait_writers(struct f2p_inode *fi)
	__must_hold(&fi->lock)
{
	int err = 0;

	while (!err && fi->dio_writers && !fi->fb) {
		fi->cache_waiters++;
		spin_unlock(&fi->lock);
		err = wait_var_event_killable(&fi->dio_writers,
					      !READ_ONCE(fi->dio_writers) ||
					      READ_ONCE(fi->fb));
		spin_lock(&fi->lock);
		fi->cache_waiters--;
	}
	return err ? -EINTR : 0;
}

int f2p_iomode_open(struct inode *inode, struct file *file,
		    struct f2p_file *ff)
{
	struct f2p_inode *fi = F2P_I(inode);
	struct f2p_backing *fb = NULL;
	struct file *bf;
	int depth, err;

	if (!(ff->open_flags & FOPEN_DIRECT_IO))
		ff->open_flags &= ~FOPEN_PARALLEL_DIRECT_WRITES;
	if (ff->open_flags & FOPEN_PASSTHROUGH) {
		fb = f2p_iomode_backing(ff, ff->open.out.backing_id);
		if (IS_ERR(fb))
			return PTR_ERR(fb);
	}

	spin_lock(&fi->lock);
	err = 0;
	if (!fb && !(ff->open_flags & FOPEN_DIRECT_IO))
		err = f2p_iomode_wait_writers(fi);
	if (!err)
		err = f2p_iomode_claim(fi, ff, fb);
	spin_unlock(&fi->lock);
	if (err || !fb)
		goto out_put;
	/* cached opens waiting for parallel writers now fail */
	wake_up_var(&fi->dio_writers);

	/*
	 * Our own open of the backing file, showing the FUSE path, with the
	 * registered credentials.  Whatever the backing filesystem refuses
	 * (EROFS from a read-only mount, ETXTBSY, an LSM's EACCES, ENFILE
	 * ...) fails the FUSE open as EIO, as stock fuse does: the user
	 * asked for a FUSE file, and it is the server's choice of backing
	 * file that cannot be opened so.  The real error is kept as the
	 * refusal's detail, for the connection directory.
	 */
	bf = f2p_backing_file_open(file, file->f_flags & ~(O_CREAT | O_EXCL |
							  O_NOCTTY | O_TRUNC),
				   &fb->file->f_path, fb->cred);
	if (IS_ERR(bf)) {
		err = f2p_iomode_refuse(ff->fc, F2P_PT_BACKING_OPEN,
					-PTR_ERR(bf), -EIO);
		f2p_iomode_release(inode, ff);
		goto out_put;
	}
	/*
	 * The stack depth is checked again: a FUSE backing file's superblock
	 * may have grown deeper after registration (its INIT came later, an
	 * O_PATH registration waits for none), which would let two mounts
	 * pass through to each other.  It is final now: our open of it sent
	 * its OPEN, which waited for that INIT.
	 */
	depth = file_inode(bf)->i_sb->s_stack_depth;
	if (depth >= ff->fc->max_stack_depth) {
		fput(bf);
		f2p_iomode_release(inode, ff);
		err = f2p_iomode_refuse(ff->fc, F2P_PT_TOO_DEEP, depth, -ELOOP);
		goto out_put;
	}
	ff->backing_file = bf;
	ff->fb = fb;
	/* O_DIRECT is the backing file's to allow (checked after ->open) */
	f2p_set_odirect(file, f2p_can_odirect(bf));
	return 0;

out_put:
	f2p_backing_put(fb);
	return err;
}

void f2p_iomode_release(struct inode *inode, struct f2p_file *ff)
{
	struct f2p_inode *fi = F2P_I(inode);
	struct f2p_backing *drop = NULL;

	spin_lock(&fi->lock);
	if (ff->iomode == F2P_IOMODE_CACHED)
		fi->iocache--;
	else if (ff->iomode == F2P_IOMODE_PASSTHROUGH)
		fi->iocache++;
	if (!fi->iocache && fi->fb) {
		drop = fi->fb;
		fi->fb = NULL;
	}
	f2p_iomode_set(ff, F2P_IOMODE_NONE);
	spin_unlock(&fi->lock);

	if (ff->backing_file)
		fput(ff->backing_file);
	ff->backing_file = NULL;
	f2p_backing_put(ff->fb);
	ff->fb = NULL;
	f2p_backing_put(drop);
}

/*
 * A shared mapping of a direct-io file goes through the page cache: the
 * file turns cached (until its release), as if opened so, without waiting
 * for parallel writers (see top).  ENODEV when the inode is in passthrough
 * mode.
 */
int f2p_iomode_mmap_cached(struct inode *inode, struct f2p_file *ff)
{
	struct f2p_inode *fi = F2P_I(inode);
	int err = 0;

	spin_lock(&fi->lock);
	if (ff->iomode == F2P_IOMODE_CACHED)
		goto out;
	if (fi->iocache < 0 || fi->fb) {
		err = -ENODEV;
		goto out;
	}
	fi->iocache++;
	f2p_iomode_set(ff, F2P_IOMODE_CACHED);
out:
	spin_unlock(&fi->lock);
	return err;
}

/*
 * May a parallel direct write run under the shared inode lock?  Only
 * while no file of the inode uses the page cache and no cached open
 * waits; then it counts until f2p_iomode_dio_write_end().
 */
bool f2p_iomode_dio_write_start(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);
	bool ok;

	spin_lock(&fi->lock);
	ok = fi->iocache <= 0 && !fi->cache_waiters;
	if (ok)
		fi->dio_writers++;
	spin_unlock(&fi->lock);
	return ok;
}

void f2p_iomode_dio_write_end(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);
	bool last;

	spin_lock(&fi->lock);
	last = !--fi->dio_writers;
	spin_unlock(&fi->lock);
	if (last)
		wake_up_var(&fi->dio_writers);
}
