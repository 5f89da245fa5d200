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
 * (ELOOP), and the caller sends the RELEASE.
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

static int f2p_iomode_claim(struct f2p_inode *fi, struct f2p_file *ff,
			    struct f2p_backing *fb)
{
	/* an inode in passthrough mode only takes passthrough opens */
	if (fi->fb && fi->fb != fb)
		return -EIO;
	if (fb) {
		if (fi->iocache > 0)
			return -EIO;
		if (!fi->fb)
			fi->fb = f2p_backing_get(fb);
		fi->iocache--;
		ff->iomode = F2P_IOMODE_PASSTHROUGH;
		return 0;
	}
	if (ff->open_flags & FOPEN_DIRECT_IO) {
		ff->iomode = F2P_IOMODE_NONE;
		return 0;
	}
	if (fi->iocache < 0)
		return -EIO;
	fi->iocache++;
	ff->iomode = F2P_IOMODE_CACHED;
	return 0;
}

static struct f2p_backing *f2p_iomode_backing(struct f2p_file *ff, int id)
{
	struct f2p_conn *fc = ff->fc;

	if (!fc->passthrough) {
		pr_warn_ratelimited("FOPEN_PASSTHROUGH without negotiated passthrough\n");
		return ERR_PTR(-EIO);
	}
	if (ff->open_flags & ~F2P_PT_COMPANIONS) {
		pr_warn_ratelimited("FOPEN_PASSTHROUGH with open flags %#x\n",
				    ff->open_flags);
		return ERR_PTR(-EIO);
	}
	return f2p_backing_lookup(fc, id) ?: ERR_PTR(-EIO);
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
	int err;

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

	/* our own open of the backing file, showing the FUSE path */
	bf = f2p_backing_open(file, file->f_flags & ~(O_CREAT | O_EXCL |
						     O_NOCTTY | O_TRUNC),
			      &fb->file->f_path, fb->cred);
	if (IS_ERR(bf)) {
		err = PTR_ERR(bf);
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
	if (file_inode(bf)->i_sb->s_stack_depth >=
	    f2p_inode_conn(inode)->max_stack_depth) {
		fput(bf);
		f2p_iomode_release(inode, ff);
		err = -ELOOP;
		goto out_put;
	}
	ff->backing_file = bf;
	ff->fb = fb;
	/* O_DIRECT is the backing file's to allow (checked after ->open) */
	if (bf->f_mode & FMODE_CAN_ODIRECT)
		file->f_mode |= FMODE_CAN_ODIRECT;
	else
		file->f_mode &= ~FMODE_CAN_ODIRECT;
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
	ff->iomode = F2P_IOMODE_NONE;
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
	ff->iomode = F2P_IOMODE_CACHED;
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
