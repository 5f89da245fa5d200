// SPDX-License-Identifier: GPL-2.0
/*
 * Passthrough on kernels without the backing-file helpers (before 6.8,
 * e.g. Debian 12's 6.1): the same behaviour from what those kernels
 * export.  Built only there (see Kbuild and compat/probe.sh).
 *
 * The backing file is opened with the FUSE file's path and the backing
 * inode, so /proc/PID/maps and friends show the FUSE path.  Every
 * operation runs with the credentials the server registered.  Splice goes
 * through our own ->read_iter/->write_iter, which are passthrough.
 * Asynchronous kiocbs complete synchronously, which the AIO and io_uring
 * callers accept.
 */
#include <linux/fs.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/splice.h>
#include "fuse2pt.h"

struct file *f2p_backing_open(struct file *user, int flags,
			      const struct path *real,
			      const struct cred *cred)
{
	return open_with_fake_path(&user->f_path, flags,
				   d_inode(real->dentry), cred);
}

static rwf_t f2p_iocb_to_rwf(int ki_flags)
{
	rwf_t flags = 0;

	if (ki_flags & IOCB_NOWAIT)
		flags |= RWF_NOWAIT;
	if (ki_flags & IOCB_HIPRI)
		flags |= RWF_HIPRI;
	if (ki_flags & IOCB_DSYNC)
		flags |= RWF_DSYNC;
	if (ki_flags & IOCB_SYNC)
		flags |= RWF_SYNC;
	return flags;
}

ssize_t f2p_backing_read_iter(struct file *bf, struct iov_iter *iter,
			      struct kiocb *iocb, const struct cred *cred)
{
	const struct cred *old;
	ssize_t ret;

	old = override_creds(cred);
	ret = vfs_iter_read(bf, iter, &iocb->ki_pos,
			    f2p_iocb_to_rwf(iocb->ki_flags));
	revert_creds(old);
	return ret;
}

ssize_t f2p_backing_write_iter(struct file *bf, struct iov_iter *iter,
			       struct kiocb *iocb, const struct cred *cred)
{
	const struct cred *old;
	ssize_t ret;

	old = override_creds(cred);
	file_start_write(bf);
	ret = vfs_iter_write(bf, iter, &iocb->ki_pos,
			     f2p_iocb_to_rwf(iocb->ki_flags));
	file_end_write(bf);
	revert_creds(old);
	if (ret > 0)
		f2p_pt_end_write(iocb->ki_filp);
	return ret;
}

ssize_t f2p_backing_splice_read(struct file *bf, struct file *user,
				loff_t *ppos, struct pipe_inode_info *pipe,
				size_t len, unsigned int flags,
				const struct cred *cred)
{
	return generic_file_splice_read(user, ppos, pipe, len, flags);
}

ssize_t f2p_backing_splice_write(struct pipe_inode_info *pipe,
				 struct file *bf, struct file *user,
				 loff_t *ppos, size_t len, unsigned int flags,
				 const struct cred *cred)
{
	return iter_file_splice_write(pipe, user, ppos, len, flags);
}

int f2p_backing_mmap(struct file *bf, struct file *user,
		     struct vm_area_struct *vma, const struct cred *cred)
{
	const struct cred *old;
	int ret;

	if (!bf->f_op->mmap)
		return -ENODEV;
	vma_set_file(vma, bf);
	old = override_creds(cred);
	ret = call_mmap(bf, vma);
	revert_creds(old);
	return ret;
}
