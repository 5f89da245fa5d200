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
 * side.  Every refusal is EIO, and the caller sends the RELEASE.
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
	err = f2p_iomode_claim(fi, ff, fb);
	spin_unlock(&fi->lock);
	if (err || !fb)
		goto out_put;

	/* our own open of the backing file, showing the FUSE path */
	bf = f2p_backing_open(file, file->f_flags & ~(O_CREAT | O_EXCL |
						     O_NOCTTY | O_TRUNC),
			      &fb->file->f_path, fb->cred);
	if (IS_ERR(bf)) {
		err = PTR_ERR(bf);
		f2p_iomode_release(inode, ff);
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
