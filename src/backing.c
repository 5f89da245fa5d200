// SPDX-License-Identifier: GPL-2.0
/*
 * Backing files: the server registers one of its open files with
 * FUSE_DEV_IOC_BACKING_OPEN and names it by id in OPEN replies.
 *
 * Registering is a privilege (CAP_SYS_ADMIN in the initial user
 * namespace): I/O on the backing file later runs with the credentials
 * recorded here, not the caller's.  An id may be closed at any time;
 * files already opened on it hold their own reference.  The connection
 * directory shows how many ids are registered (fc->backing_files: opened
 * here and not yet closed).
 */
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/uaccess.h>
#include "fuse2pt.h"

struct f2p_backing *f2p_backing_get(struct f2p_backing *fb)
{
	refcount_inc(&fb->count);
	return fb;
}

static void f2p_backing_free(struct f2p_backing *fb)
{
	fput(fb->file);
	put_cred(fb->cred);
	kfree_rcu(fb, rcu);
}

void f2p_backing_put(struct f2p_backing *fb)
{
	if (fb && refcount_dec_and_test(&fb->count))
		f2p_backing_free(fb);
}

long f2p_backing_ioctl_open(struct f2p_conn *fc, void __user *argp)
{
	struct fuse_backing_map map;
	struct f2p_backing *fb;
	struct super_block *bsb;
	struct file *file;
	int id, err;

	if (copy_from_user(&map, argp, sizeof(map)))
		return -EFAULT;
	if (!READ_ONCE(fc->passthrough) || !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (map.flags || map.padding)
		return -EINVAL;

	/* O_PATH descriptors are fine: we only need the path */
	file = fget_raw(map.fd);
	if (!file)
		return -EBADF;
	/* only regular files have data to pass through (mainline's errors) */
	if (!d_is_reg(file->f_path.dentry)) {
		err = d_is_dir(file->f_path.dentry) ? -EISDIR : -EINVAL;
		fput(file);
		return err;
	}
	bsb = file_inode(file)->i_sb;
	if (bsb->s_stack_depth >= fc->max_stack_depth) {
		fput(file);
		return -ELOOP;
	}
	fb = kzalloc(sizeof(*fb), GFP_KERNEL);
	if (!fb) {
		fput(file);
		return -ENOMEM;
	}
	fb->file = file;
	fb->cred = prepare_creds();
	if (!fb->cred) {
		fput(file);
		kfree(fb);
		return -ENOMEM;
	}
	refcount_set(&fb->count, 1);

	idr_preload(GFP_KERNEL);
	spin_lock(&fc->lock);
	id = fc->aborted ? -ENOTCONN :
	     idr_alloc_cyclic(&fc->backing_ids, fb, 1, 0, GFP_ATOMIC);
	if (id > 0)
		fc->backing_files++;
	spin_unlock(&fc->lock);
	idr_preload_end();
	if (id < 0)
		f2p_backing_put(fb);
	return id;
}

long f2p_backing_ioctl_close(struct f2p_conn *fc, void __user *argp)
{
	struct f2p_backing *fb;
	u32 id;

	if (get_user(id, (u32 __user *)argp))
		return -EFAULT;
	if (!READ_ONCE(fc->passthrough) || !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!id || id > INT_MAX)
		return -EINVAL;
	spin_lock(&fc->lock);
	fb = idr_remove(&fc->backing_ids, id);
	if (fb)
		fc->backing_files--;
	spin_unlock(&fc->lock);
	if (!fb)
		return -ENOENT;
	f2p_backing_put(fb);
	return 0;
}

/* A reference to the backing file registered as @id, or NULL. */
struct f2p_backing *f2p_backing_lookup(struct f2p_conn *fc, int id)
{
	struct f2p_backing *fb;

	if (id <= 0)
		return NULL;
	rcu_read_lock();
	fb = idr_find(&fc->backing_ids, id);
	if (fb && !refcount_inc_not_zero(&fb->count))
		fb = NULL;
	rcu_read_unlock();
	return fb;
}

static int f2p_backing_drop_one(int id, void *p, void *data)
{
	f2p_backing_put(p);
	return 0;
}

/* The connection is going away: the registry goes with it. */
void f2p_backing_forget_all(struct f2p_conn *fc)
{
	idr_for_each(&fc->backing_ids, f2p_backing_drop_one, NULL);
	idr_destroy(&fc->backing_ids);
}
