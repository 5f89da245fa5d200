/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions differ.  Force-included into every
 * object (see Kbuild), so the .c files carry no version tests.  Each
 * difference is a named F2P_HAVE_* flag found by compiling a probe
 * against the target kernel's headers (compat/probes/, run by the
 * Makefile), never a version number.
 */
#ifndef FUSE2PT_COMPAT_H
#define FUSE2PT_COMPAT_H

#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/namei.h>
#include <linux/stat.h>
#include <linux/slab.h>
#include <linux/security.h>
#include "fuse2pt_probes.h"

/*
 * The mount's idmapping, which inode operations and the VFS helpers they
 * call are handed: a struct user_namespace since 5.12 (the idmapped
 * mounts series), a struct mnt_idmap since 6.3 ("fs: port ->getattr()
 * etc. to pass mnt_idmap").  Before 5.12 there is none: fuse2pt's
 * functions keep the argument all the same (the initial user namespace,
 * the identity, is what they get), and F2P_NO_IDMAP says so.
 */
#ifdef F2P_HAVE_MNT_IDMAP
#define F2P_IDMAP_T	struct mnt_idmap
#else
#define F2P_IDMAP_T	struct user_namespace
#endif
#if !defined(F2P_HAVE_MNT_IDMAP) && !defined(F2P_HAVE_IOP_USERNS)
#define F2P_NO_IDMAP	1
#endif

/*
 * An operations table names fn as F2P_IOP(fn) where fn takes the
 * idmapping first.  Before 5.12 that is an adapter without it, which
 * F2P_DEFINE_IOP_<OP>(fn) makes in the file of the table (nothing on
 * later kernels, where the table names fn itself).
 */
#ifndef F2P_NO_IDMAP
#define F2P_IOP(fn)			fn
#define F2P_DEFINE_IOP_GETATTR(fn)
#define F2P_DEFINE_IOP_PERMISSION(fn)
#define F2P_DEFINE_IOP_SETATTR(fn)
#define F2P_DEFINE_IOP_MKNOD(fn)
#define F2P_DEFINE_IOP_SYMLINK(fn)
#define F2P_DEFINE_IOP_RENAME(fn)
#define F2P_DEFINE_XATTR_SET(fn)
#else
#define F2P_IOP(fn)			fn##_noidmap
#define F2P_DEFINE_IOP_GETATTR(fn)					\
static int fn##_noidmap(const struct path *path, struct kstat *stat,	\
			u32 request_mask, unsigned int flags)		\
{									\
	return fn(&init_user_ns, path, stat, request_mask, flags);	\
}
#define F2P_DEFINE_IOP_PERMISSION(fn)					\
static int fn##_noidmap(struct inode *inode, int mask)			\
{									\
	return fn(&init_user_ns, inode, mask);				\
}
#define F2P_DEFINE_IOP_SETATTR(fn)					\
static int fn##_noidmap(struct dentry *dentry, struct iattr *attr)	\
{									\
	return fn(&init_user_ns, dentry, attr);				\
}
#define F2P_DEFINE_IOP_MKNOD(fn)					\
static int fn##_noidmap(struct inode *dir, struct dentry *dentry,	\
			umode_t mode, dev_t rdev)			\
{									\
	return fn(&init_user_ns, dir, dentry, mode, rdev);		\
}
#define F2P_DEFINE_IOP_SYMLINK(fn)					\
static int fn##_noidmap(struct inode *dir, struct dentry *dentry,	\
			const char *target)				\
{									\
	return fn(&init_user_ns, dir, dentry, target);			\
}
#define F2P_DEFINE_IOP_RENAME(fn)					\
static int fn##_noidmap(struct inode *olddir, struct dentry *oldent,	\
			struct inode *newdir, struct dentry *newent,	\
			unsigned int flags)				\
{									\
	return fn(&init_user_ns, olddir, oldent, newdir, newent, flags);\
}
#define F2P_DEFINE_XATTR_SET(fn)					\
static int fn##_noidmap(const struct xattr_handler *handler,		\
			struct dentry *dentry, struct inode *inode,	\
			const char *name, const void *value,		\
			size_t size, int flags)				\
{									\
	return fn(handler, &init_user_ns, dentry, inode, name, value,	\
		  size, flags);						\
}
#endif

/* the VFS helpers, with the idmapping where they take one */
static inline int f2p_generic_permission(F2P_IDMAP_T *idmap,
					 struct inode *inode, int mask)
{
#ifdef F2P_NO_IDMAP
	return generic_permission(inode, mask);
#else
	return generic_permission(idmap, inode, mask);
#endif
}

static inline int f2p_setattr_prepare(F2P_IDMAP_T *idmap,
				      struct dentry *dentry,
				      struct iattr *attr)
{
#ifdef F2P_NO_IDMAP
	return setattr_prepare(dentry, attr);
#else
	return setattr_prepare(idmap, dentry, attr);
#endif
}

/* 6.6 generic_fillattr() gained the request mask */
static inline void f2p_fillattr(F2P_IDMAP_T *idmap, u32 request_mask,
				struct inode *inode, struct kstat *stat)
{
#if defined(F2P_HAVE_FILLATTR_MASK)
	generic_fillattr(idmap, request_mask, inode, stat);
#elif defined(F2P_NO_IDMAP)
	generic_fillattr(inode, stat);
#else
	generic_fillattr(idmap, inode, stat);
#endif
}

/* 6.6/6.7 inode timestamps moved behind accessors */
static inline void f2p_inode_set_ctime(struct inode *inode, struct timespec64 ts)
{
#ifdef F2P_HAVE_INODE_SET_CTIME_TO_TS
	inode_set_ctime_to_ts(inode, ts);
#else
	inode->i_ctime = ts;
#endif
}

static inline void f2p_inode_set_mtime(struct inode *inode, struct timespec64 ts)
{
#ifdef F2P_HAVE_INODE_SET_MTIME_TO_TS
	inode_set_mtime_to_ts(inode, ts);
#else
	inode->i_mtime = ts;
#endif
}

static inline void f2p_inode_set_atime(struct inode *inode, struct timespec64 ts)
{
#ifdef F2P_HAVE_INODE_SET_MTIME_TO_TS
	inode_set_atime_to_ts(inode, ts);
#else
	inode->i_atime = ts;
#endif
}

/* 6.19 i_state became a structure read through accessors */
static inline bool f2p_inode_is_new(struct inode *inode)
{
#ifdef F2P_HAVE_INODE_STATE_READ
	return inode_state_read_once(inode) & I_NEW;
#else
	return inode->i_state & I_NEW;
#endif
}

static inline struct timespec64 f2p_inode_get_ctime(const struct inode *inode)
{
#ifdef F2P_HAVE_INODE_SET_CTIME_TO_TS
	return inode_get_ctime(inode);
#else
	return inode->i_ctime;
#endif
}

static inline struct timespec64 f2p_inode_get_mtime(const struct inode *inode)
{
#ifdef F2P_HAVE_INODE_SET_MTIME_TO_TS
	return inode_get_mtime(inode);
#else
	return inode->i_mtime;
#endif
}

/* 6.17 default dentry operations are set through a helper */
static inline void f2p_set_default_d_op(struct super_block *sb,
					const struct dentry_operations *ops)
{
#ifdef F2P_HAVE_SET_DEFAULT_D_OP
	set_default_d_op(sb, ops);
#else
	sb->s_d_op = ops;
#endif
}

/*
 * 6.5 split splice reads: filemap_splice_read() for the page cache and
 * copy_splice_read() through ->read_iter; before, one helper did both.
 */
#ifdef F2P_HAVE_FILEMAP_SPLICE_READ
#define f2p_cached_splice_read	filemap_splice_read
#define f2p_copy_splice_read	copy_splice_read
#else
#define f2p_cached_splice_read	generic_file_splice_read
#define f2p_copy_splice_read	generic_file_splice_read
#endif

/*
 * 6.14 ->d_revalidate() is handed the parent and a stable name.  Our
 * revalidation is split in two so that either prototype can drive it:
 * FRESH(dentry, flags) decides without the server (2 means "ask it"),
 * RECHECK(dir, name, dentry) asks.
 */
#ifdef F2P_HAVE_D_REVALIDATE_DIR
#define F2P_DEFINE_D_REVALIDATE(fn, fresh, recheck)			\
static int fn(struct inode *dir, const struct qstr *name,		\
	      struct dentry *dentry, unsigned int flags)		\
{									\
	int ret = fresh(dentry, flags);					\
									\
	return ret == 2 ? recheck(dir, name, dentry) : ret;		\
}
#else
#define F2P_DEFINE_D_REVALIDATE(fn, fresh, recheck)			\
static int fn(struct dentry *dentry, unsigned int flags)		\
{									\
	struct name_snapshot name;					\
	struct dentry *parent;						\
	int ret = fresh(dentry, flags);					\
									\
	if (ret != 2)							\
		return ret;						\
	parent = dget_parent(dentry);					\
	take_dentry_name_snapshot(&name, dentry);			\
	ret = recheck(d_inode(parent), &name.name, dentry);		\
	release_dentry_name_snapshot(&name);				\
	dput(parent);							\
	return ret;							\
}
#endif

/*
 * 6.15 ->mkdir() returns the dentry it used.  FN(dir, dentry, mode)
 * returns an alias, NULL or an error pointer either way.
 */
#ifdef F2P_HAVE_MKDIR_DENTRY
#define F2P_DEFINE_MKDIR(name, fn)					\
static struct dentry *name(F2P_IDMAP_T *idmap, struct inode *dir,	\
			   struct dentry *dentry, umode_t mode)		\
{									\
	return fn(dir, dentry, mode);					\
}
#elif !defined(F2P_NO_IDMAP)
#define F2P_DEFINE_MKDIR(name, fn)					\
static int name(F2P_IDMAP_T *idmap, struct inode *dir,			\
		struct dentry *dentry, umode_t mode)			\
{									\
	struct dentry *alias = fn(dir, dentry, mode);			\
									\
	if (IS_ERR(alias))						\
		return PTR_ERR(alias);					\
	dput(alias);							\
	return 0;							\
}
#else
#define F2P_DEFINE_MKDIR(name, fn)					\
static int name(struct inode *dir, struct dentry *dentry, umode_t mode)	\
{									\
	struct dentry *alias = fn(dir, dentry, mode);			\
									\
	if (IS_ERR(alias))						\
		return PTR_ERR(alias);					\
	dput(alias);							\
	return 0;							\
}
#endif

/*
 * O_TMPFILE.  A server's TMPFILE makes and opens the file in one answer,
 * which only the ->tmpfile() of 6.1 ("vfs: open inside ->tmpfile()") can
 * use: it is handed the file to open, and d_tmpfile() takes that file.
 * Before, ->tmpfile() only made an inode, which the VFS opened after:
 * fuse2pt offers none there (O_TMPFILE fails with EOPNOTSUPP, as on
 * fs/fuse, which has TMPFILE since 6.1).
 */
#ifdef F2P_HAVE_TMPFILE_FILE
#define F2P_TMPFILE_IOP(fn)	.tmpfile = fn,
static inline void f2p_d_tmpfile(struct file *file, struct inode *inode)
{
	d_tmpfile(file, inode);
}
#else
#define F2P_TMPFILE_IOP(fn)
/* (not reached: without ->tmpfile nothing sends TMPFILE) */
static inline void f2p_d_tmpfile(struct file *file, struct inode *inode)
{
	d_tmpfile(file->f_path.dentry, inode);
}
#endif

/* 6.19 ->create() lost its "excl" flag; FN(idmap, dir, dentry, mode) */
#ifdef F2P_HAVE_CREATE_NO_EXCL
#define F2P_DEFINE_CREATE(name, fn)					\
static int name(F2P_IDMAP_T *idmap, struct inode *dir,			\
		struct dentry *dentry, umode_t mode)			\
{									\
	return fn(idmap, dir, dentry, mode);				\
}
#elif !defined(F2P_NO_IDMAP)
#define F2P_DEFINE_CREATE(name, fn)					\
static int name(F2P_IDMAP_T *idmap, struct inode *dir,			\
		struct dentry *dentry, umode_t mode, bool excl)		\
{									\
	return fn(idmap, dir, dentry, mode);				\
}
#else
#define F2P_DEFINE_CREATE(name, fn)					\
static int name(struct inode *dir, struct dentry *dentry, umode_t mode,	\
		bool excl)						\
{									\
	return fn(&init_user_ns, dir, dentry, mode);			\
}
#endif

/*
 * Passthrough on the backing file: one set of f2p_backing_*() functions
 * over three kinds of kernel.
 *
 * 6.8 and later have helpers for it (include/linux/backing-file.h), in
 * several forms that the probes tell apart: backing_file_open() takes the
 * user's path (6.8) or the user's file (later, and 6.12's stable
 * updates); ->end_write() gets the user's file (6.8), the user's file,
 * position and result (6.12), or the user's kiocb and result (6.13, when
 * the context lost user_file and splice took a kiocb).  Their backing
 * file is opened on the registered path and also keeps the FUSE path,
 * which /proc/PID/maps shows.
 *
 * Before 6.8 (Debian 11's 5.10, Debian 12's 6.1; also 6.5 to 6.7, which
 * had backing_file_open() but no helpers) src/backing-shim.c does the
 * work from what those kernels export.  It opens the backing file on the
 * registered path like the helpers, but has nowhere to keep the FUSE
 * path: /proc/PID/maps shows the backing path.  Its opening comment says
 * what else it does and does not do.  compat/HISTORY.md has the eras.
 */
struct pipe_inode_info;
struct vm_area_struct;
void f2p_pt_end_write(struct file *user_file);

#ifdef F2P_HAVE_BACKING_FILE_HELPERS
#include <linux/backing-file.h>

static inline void f2p_backing_accessed(struct file *file)
{
	/* atime is the server's to keep; nothing to do on our side */
}

#if defined(F2P_HAVE_BACKING_KIOCB)
static inline void f2p_backing_end_write(struct kiocb *iocb, ssize_t ret)
{
	f2p_pt_end_write(iocb->ki_filp);
}
#define F2P_BACKING_CTX(name, cred_, user_)				\
	struct backing_file_ctx name = {				\
		.cred = (cred_),					\
		.accessed = f2p_backing_accessed,			\
		.end_write = f2p_backing_end_write,			\
	}
#elif defined(F2P_HAVE_BACKING_END_WRITE_POS)
static inline void f2p_backing_end_write(struct file *user, loff_t pos,
					 ssize_t ret)
{
	f2p_pt_end_write(user);
}
#elif defined(F2P_HAVE_BACKING_END_WRITE_FILE)
static inline void f2p_backing_end_write(struct file *user)
{
	f2p_pt_end_write(user);
}
#else
#error "fuse2pt: unknown form of backing_file_ctx (see compat/probes/F2P_HAVE_BACKING_*)"
#endif
#ifndef F2P_HAVE_BACKING_KIOCB
#define F2P_BACKING_CTX(name, cred_, user_)				\
	struct backing_file_ctx name = {				\
		.cred = (cred_),					\
		.user_file = (user_),					\
		.accessed = f2p_backing_accessed,			\
		.end_write = f2p_backing_end_write,			\
	}
#endif

static inline struct file *f2p_backing_file_open(struct file *user,
						 int flags,
						 const struct path *real,
						 const struct cred *cred)
{
#if defined(F2P_HAVE_BACKING_OPEN_USER_FILE)
	return backing_file_open(user, flags, real, cred);
#elif defined(F2P_HAVE_BACKING_OPEN_USER_PATH)
	return backing_file_open(&user->f_path, flags, real, cred);
#else
#error "fuse2pt: unknown form of backing_file_open() (see compat/probes/F2P_HAVE_BACKING_OPEN_*)"
#endif
}

/* the flags carry IOCB_APPEND, IOCB_DIRECT, IOCB_DSYNC ... of the caller */
static inline ssize_t f2p_backing_read_iter(struct file *bf,
					    struct iov_iter *iter,
					    struct kiocb *iocb,
					    const struct cred *cred)
{
	F2P_BACKING_CTX(ctx, cred, iocb->ki_filp);

	return backing_file_read_iter(bf, iter, iocb, iocb->ki_flags, &ctx);
}

static inline ssize_t f2p_backing_write_iter(struct file *bf,
					     struct iov_iter *iter,
					     struct kiocb *iocb,
					     const struct cred *cred)
{
	F2P_BACKING_CTX(ctx, cred, iocb->ki_filp);

	return backing_file_write_iter(bf, iter, iocb, iocb->ki_flags, &ctx);
}

static inline ssize_t f2p_backing_splice_read(struct file *bf,
					      struct file *user, loff_t *ppos,
					      struct pipe_inode_info *pipe,
					      size_t len, unsigned int flags,
					      const struct cred *cred)
{
	F2P_BACKING_CTX(ctx, cred, user);
#ifdef F2P_HAVE_BACKING_KIOCB
	struct kiocb iocb;
	ssize_t ret;

	init_sync_kiocb(&iocb, user);
	iocb.ki_pos = *ppos;
	ret = backing_file_splice_read(bf, &iocb, pipe, len, flags, &ctx);
	*ppos = iocb.ki_pos;
	return ret;
#else
	return backing_file_splice_read(bf, ppos, pipe, len, flags, &ctx);
#endif
}

/* Called with the FUSE inode locked (f2p_splice_inode_first). */
static inline ssize_t f2p_backing_splice_write(struct pipe_inode_info *pipe,
					       struct file *bf,
					       struct file *user, loff_t *ppos,
					       size_t len, unsigned int flags,
					       const struct cred *cred)
{
	F2P_BACKING_CTX(ctx, cred, user);
	ssize_t ret;
#ifdef F2P_HAVE_BACKING_KIOCB
	struct kiocb iocb;

	init_sync_kiocb(&iocb, user);
	iocb.ki_pos = *ppos;
	ret = backing_file_splice_write(pipe, bf, &iocb, len, flags, &ctx);
	*ppos = iocb.ki_pos;
#else
	ret = backing_file_splice_write(pipe, bf, ppos, len, flags, &ctx);
#endif
	return ret;
}

static inline int f2p_backing_mmap(struct file *bf, struct file *user,
				   struct vm_area_struct *vma,
				   const struct cred *cred)
{
	F2P_BACKING_CTX(ctx, cred, user);

	return backing_file_mmap(bf, vma, &ctx);
}

/* splice reads go to the backing file's own splice_read */
#define F2P_PT_SPLICE_READS_ITER	false

#else /* src/backing-shim.c */

struct file *f2p_backing_file_open(struct file *user, int flags,
				   const struct path *real,
				   const struct cred *cred);
ssize_t f2p_backing_read_iter(struct file *bf, struct iov_iter *iter,
			      struct kiocb *iocb, const struct cred *cred);
ssize_t f2p_backing_write_iter(struct file *bf, struct iov_iter *iter,
			       struct kiocb *iocb, const struct cred *cred);
ssize_t f2p_backing_splice_read(struct file *bf, struct file *user,
				loff_t *ppos, struct pipe_inode_info *pipe,
				size_t len, unsigned int flags,
				const struct cred *cred);
ssize_t f2p_backing_splice_write(struct pipe_inode_info *pipe,
				 struct file *bf, struct file *user,
				 loff_t *ppos, size_t len, unsigned int flags,
				 const struct cred *cred);
int f2p_backing_mmap(struct file *bf, struct file *user,
		     struct vm_area_struct *vma, const struct cred *cred);

/* splice reads come through the FUSE file's ->read_iter (backing-shim.c) */
#define F2P_PT_SPLICE_READS_ITER	true

/*
 * Who takes the backing filesystem's freeze protection for a write:
 * before 6.8 the caller of vfs_iocb_iter_write(); since "fs: move
 * kiocb_start_write() into vfs_iocb_iter_write()" that function itself,
 * leaving only a queued kiocb's to drop to its completion.  No probe can
 * see a function's body: file_write_started() came with it in the same
 * series (6.8) and tells the two apart (compat/HISTORY.md).
 */
#ifdef F2P_HAVE_FILE_WRITE_STARTED
#define F2P_VFS_WRITE_FREEZES	true
#else
#define F2P_VFS_WRITE_FREEZES	false
#endif

/*
 * A vma's file replaced in ->mmap: f2p_vma_swap_file() before calling the
 * new file's ->mmap, f2p_vma_swap_end() after, with its result.  5.11
 * has vma_set_file(), which drops the old file's reference at once, and
 * mmap_region() drops vma->vm_file's when ->mmap fails ("mm: mmap: fix
 * fput in error path v2", 1527f926fd04).  Before, mmap_region() dropped
 * the file it started with on failure, whatever vm_file then was: the
 * old file goes back into the vma on failure, and its reference is
 * dropped only on success.  On failure the reference dropped is the one
 * taken on the new file, not whatever vm_file holds by then: a stacked
 * ->mmap under it (5.10's overlayfs) may have put its own file there
 * and already dropped that file's reference.
 */
#include <linux/mm.h>
#ifdef F2P_HAVE_VMA_SET_FILE
static inline struct file *f2p_vma_swap_file(struct vm_area_struct *vma,
					     struct file *file)
{
	vma_set_file(vma, file);
	return NULL;
}

static inline void f2p_vma_swap_end(struct vm_area_struct *vma,
				    struct file *old, struct file *file,
				    int err)
{
}
#else
#include <linux/file.h>
static inline struct file *f2p_vma_swap_file(struct vm_area_struct *vma,
					     struct file *file)
{
	struct file *old = vma->vm_file;

	vma->vm_file = get_file(file);
	return old;
}

static inline void f2p_vma_swap_end(struct vm_area_struct *vma,
				    struct file *old, struct file *file,
				    int err)
{
	if (err) {
		vma->vm_file = old;
		fput(file);
	} else {
		fput(old);
	}
}
#endif
#endif /* F2P_HAVE_BACKING_FILE_HELPERS */

/*
 * Whether a file takes O_DIRECT: FMODE_CAN_ODIRECT in its f_mode since
 * 5.18, set by ->open; before, its mapping's ->direct_IO, the same for
 * every file of the inode.  There our regular files' aops carry
 * noop_direct_IO (F2P_AOP_DIRECT_IO: fuse2pt does O_DIRECT in
 * ->read_iter and ->write_iter), so fcntl(F_SETFL, O_DIRECT) on a
 * passthrough file whose backing file refuses O_DIRECT succeeds and its
 * reads and writes fail with EINVAL; open(O_DIRECT) fails as later, at
 * the backing file's open.
 */
static inline bool f2p_can_odirect(struct file *file)
{
#ifdef F2P_HAVE_FMODE_CAN_ODIRECT
	return file->f_mode & FMODE_CAN_ODIRECT;
#else
	return file->f_mapping->a_ops && file->f_mapping->a_ops->direct_IO;
#endif
}

static inline void f2p_set_odirect(struct file *file, bool can)
{
#ifdef F2P_HAVE_FMODE_CAN_ODIRECT
	if (can)
		file->f_mode |= FMODE_CAN_ODIRECT;
	else
		file->f_mode &= ~FMODE_CAN_ODIRECT;
#endif
}

#ifdef F2P_HAVE_FMODE_CAN_ODIRECT
#define F2P_AOP_DIRECT_IO
#else
#define F2P_AOP_DIRECT_IO	.direct_IO = noop_direct_IO,
#endif

/*
 * 7.x d_alloc_parallel() keeps its own wait queue for in-lookup waiters;
 * before, the caller declares one with F2P_DECLARE_D_ALLOC_WQ(), a simple
 * wait queue in the PREEMPT_RT patches of the 5.10 series.
 */
#if defined(F2P_HAVE_D_ALLOC_PARALLEL_WQ)
#define F2P_DECLARE_D_ALLOC_WQ(wq)	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq)
#define f2p_d_alloc_parallel(parent, name, wq)	d_alloc_parallel(parent, name, wq)
#elif defined(F2P_HAVE_D_ALLOC_PARALLEL_SWAIT)
#include <linux/swait.h>
#define F2P_DECLARE_D_ALLOC_WQ(wq)	DECLARE_SWAIT_QUEUE_HEAD_ONSTACK(wq)
#define f2p_d_alloc_parallel(parent, name, wq)	d_alloc_parallel(parent, name, wq)
#else
#define F2P_DECLARE_D_ALLOC_WQ(wq)	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq)
#define f2p_d_alloc_parallel(parent, name, wq)	d_alloc_parallel(parent, name)
#endif

/* 6.3 moved file locks to <linux/filelock.h>, 6.9 into file_lock_core */
#ifdef F2P_HAVE_FILELOCK_H
#include <linux/filelock.h>
#endif
#ifdef F2P_HAVE_FILE_LOCK_CORE
#define f2p_fl_owner(fl)	((fl)->c.flc_owner)
#define f2p_fl_flags(fl)	((fl)->c.flc_flags)
#define f2p_fl_type(fl)		((fl)->c.flc_type)
#define f2p_fl_pid(fl)		((fl)->c.flc_pid)
#else
#define f2p_fl_owner(fl)	((fl)->fl_owner)
#define f2p_fl_flags(fl)	((fl)->fl_flags)
#define f2p_fl_type(fl)		((fl)->fl_type)
#define f2p_fl_pid(fl)		((fl)->fl_pid)
#endif

/* copying through the page cache when the server cannot copy (6.7 rename) */
#include <linux/splice.h>
static inline ssize_t f2p_splice_copy(struct file *in, loff_t pos_in,
				      struct file *out, loff_t pos_out,
				      size_t len)
{
#ifdef F2P_HAVE_SPLICE_COPY_FILE_RANGE
	return splice_copy_file_range(in, pos_in, out, pos_out, len);
#else
	return generic_copy_file_range(in, pos_in, out, pos_out, len, 0);
#endif
}

/*
 * Short-lived kernel mappings of a page: kmap_local_page() (5.11) may
 * fault and sleep while held and nests; before it, with no highmem (all
 * that fuse2pt builds for: x86_64), a page's kernel address is what it
 * returns, without anything to undo.
 */
#include <linux/highmem.h>
#ifdef F2P_HAVE_KMAP_LOCAL
static inline void *f2p_kmap_local_page(struct page *page)
{
	return kmap_local_page(page);
}

/* (a macro, as kunmap_local() is: it checks its argument's type) */
#define f2p_kunmap_local(addr)	kunmap_local(addr)
#elif !defined(CONFIG_HIGHMEM)
static inline void *f2p_kmap_local_page(struct page *page)
{
	return page_address(page);
}

static inline void f2p_kunmap_local(const void *addr)
{
}
#else
#error "fuse2pt: this kernel has highmem but no kmap_local_page() (before 5.11)"
#endif

/*
 * The page cache, in folios.  src/ holds a struct folio * wherever it
 * holds page cache memory and reaches it only through the f2p_folio_*()
 * functions below (and the few f2p_ helpers after them).
 *
 * Since 5.16 (F2P_HAVE_FOLIO: every folio function fuse2pt calls; the
 * last of them came in 5.19) each is the kernel's folio function of the
 * same name.  Before, the page cache has no folios, and fuse2pt's folio
 * is the head page under the folio's name: struct folio is declared and
 * never defined, so only the functions here look inside.  A file's page
 * cache then holds single pages, and huge pages only where khugepaged
 * collapsed read-only file text (CONFIG_READ_ONLY_THP_FOR_FS): those
 * are up to date and clean, and what fuse2pt might do with one (read
 * its head, map a part of it) is done for all of its pages.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#ifdef F2P_HAVE_FOLIO
#define f2p_page_folio(page)			page_folio(page)
#define f2p_folio_page(folio, n)		folio_page(folio, n)
#define f2p_folio_mapping(folio)		((folio)->mapping)
#define f2p_folio_pos(folio)			folio_pos(folio)
#define f2p_folio_size(folio)			folio_size(folio)
#define f2p_folio_nr_pages(folio)		folio_nr_pages(folio)
#define f2p_offset_in_folio(folio, pos)		offset_in_folio(folio, pos)
#define f2p_folio_test_large(folio)		folio_test_large(folio)
#define f2p_folio_test_uptodate(folio)		folio_test_uptodate(folio)
#define f2p_folio_mark_uptodate(folio)		folio_mark_uptodate(folio)
#define f2p_folio_zero_segment(folio, start, end) \
	folio_zero_segment(folio, start, end)
#define f2p_folio_lock(folio)			folio_lock(folio)
#define f2p_folio_unlock(folio)			folio_unlock(folio)
#define f2p_folio_put(folio)			folio_put(folio)
#define f2p_folio_wait_writeback(folio)		folio_wait_writeback(folio)
#define f2p_folio_mark_dirty(folio)		folio_mark_dirty(folio)
#define f2p_folio_clear_dirty_for_io(folio)	folio_clear_dirty_for_io(folio)
#define f2p_folio_start_writeback(folio)	folio_start_writeback(folio)
#define f2p_folio_end_writeback(folio)		folio_end_writeback(folio)
#define f2p_flush_dcache_folio(folio)		flush_dcache_folio(folio)
#define f2p_folio_address(folio)		folio_address(folio)
#define f2p_kmap_local_folio(folio, off)	kmap_local_folio(folio, off)
#define f2p_readahead_folio(rac)		readahead_folio(rac)
/* (an ERR_PTR or NULL when there is none: see f2p_folio_or_null()) */
#define f2p_filemap_get_folio(mapping, index, fgp, gfp) \
	__filemap_get_folio(mapping, index, fgp, gfp)
#define f2p_read_mapping_folio(mapping, index, file) \
	read_mapping_folio(mapping, index, file)
#else
struct folio;

static inline struct page *f2p_folio_head(struct folio *folio)
{
	return (struct page *)folio;
}

static inline struct folio *f2p_page_folio(struct page *page)
{
	return (struct folio *)compound_head(page);
}

static inline struct page *f2p_folio_page(struct folio *folio,
					  unsigned long n)
{
	return nth_page(f2p_folio_head(folio), n);
}

static inline struct address_space *f2p_folio_mapping(struct folio *folio)
{
	return f2p_folio_head(folio)->mapping;
}

static inline loff_t f2p_folio_pos(struct folio *folio)
{
	return page_offset(f2p_folio_head(folio));
}

static inline size_t f2p_folio_size(struct folio *folio)
{
	return page_size(f2p_folio_head(folio));
}

static inline long f2p_folio_nr_pages(struct folio *folio)
{
	return compound_nr(f2p_folio_head(folio));
}

static inline size_t f2p_offset_in_folio(struct folio *folio, loff_t pos)
{
	return pos & (f2p_folio_size(folio) - 1);
}

static inline bool f2p_folio_test_large(struct folio *folio)
{
	return PageHead(f2p_folio_head(folio));
}

static inline bool f2p_folio_test_uptodate(struct folio *folio)
{
	return PageUptodate(f2p_folio_head(folio));
}

static inline void f2p_folio_mark_uptodate(struct folio *folio)
{
	SetPageUptodate(f2p_folio_head(folio));
}

/* zero bytes [start, end) of the folio, page by page */
static inline void f2p_folio_zero_segment(struct folio *folio, size_t start,
					  size_t end)
{
	size_t off;

	for (off = start & PAGE_MASK; off < end; off += PAGE_SIZE)
		zero_user_segment(f2p_folio_page(folio, off >> PAGE_SHIFT),
				  max(start, off) - off,
				  min(end, off + PAGE_SIZE) - off);
}

static inline void f2p_folio_lock(struct folio *folio)
{
	lock_page(f2p_folio_head(folio));
}

static inline void f2p_folio_unlock(struct folio *folio)
{
	unlock_page(f2p_folio_head(folio));
}

static inline void f2p_folio_put(struct folio *folio)
{
	put_page(f2p_folio_head(folio));
}

static inline void f2p_folio_wait_writeback(struct folio *folio)
{
	wait_on_page_writeback(f2p_folio_head(folio));
}

static inline bool f2p_folio_mark_dirty(struct folio *folio)
{
	return set_page_dirty(f2p_folio_head(folio));
}

static inline bool f2p_folio_clear_dirty_for_io(struct folio *folio)
{
	return clear_page_dirty_for_io(f2p_folio_head(folio));
}

static inline void f2p_folio_start_writeback(struct folio *folio)
{
	set_page_writeback(f2p_folio_head(folio));
}

static inline void f2p_folio_end_writeback(struct folio *folio)
{
	end_page_writeback(f2p_folio_head(folio));
}

static inline void f2p_flush_dcache_folio(struct folio *folio)
{
	long i;

	for (i = 0; i < f2p_folio_nr_pages(folio); i++)
		flush_dcache_page(f2p_folio_page(folio, i));
}

static inline void *f2p_folio_address(struct folio *folio)
{
	return page_address(f2p_folio_head(folio));
}

/* the page holding byte @off of the folio, mapped at that byte */
static inline void *f2p_kmap_local_folio(struct folio *folio, size_t off)
{
	struct page *page = f2p_folio_page(folio, off >> PAGE_SHIFT);

	return f2p_kmap_local_page(page) + offset_in_page(off);
}

/*
 * The next page of a readahead batch, locked; like readahead_folio(),
 * without a reference of ours (the page cache's keeps it).
 */
static inline struct folio *f2p_readahead_folio(struct readahead_control *rac)
{
	struct page *page = readahead_page(rac);

	if (!page)
		return NULL;
	put_page(page);
	return f2p_page_folio(page);
}

/* (NULL when there is none) */
static inline struct folio *f2p_filemap_get_folio(struct address_space *mapping,
						  pgoff_t index, int fgp,
						  gfp_t gfp)
{
	struct page *page = pagecache_get_page(mapping, index, fgp, gfp);

	return page ? f2p_page_folio(page) : NULL;
}

static inline struct folio *f2p_read_mapping_folio(struct address_space *mapping,
						   pgoff_t index,
						   struct file *file)
{
	struct page *page = read_mapping_page(mapping, index, file);

	return IS_ERR(page) ? ERR_CAST(page) : f2p_page_folio(page);
}
#endif

/*
 * Address space operations that moved from pages to folios: ->dirty_folio
 * and ->launder_folio (5.18), ->read_folio (5.19); before, ->set_page_dirty,
 * ->launder_page and ->readpage.  A table names fuse2pt's folio function
 * with F2P_AOP_*(fn); where the operation takes a page, that is an
 * adapter F2P_DEFINE_*_PAGE(fn) makes in the file of the table.
 */
#ifdef F2P_HAVE_READ_FOLIO
#define F2P_AOP_READ_FOLIO(fn)		.read_folio = fn
#define F2P_DEFINE_READ_FOLIO_PAGE(fn)
#else
#define F2P_AOP_READ_FOLIO(fn)		.readpage = fn##_page
#define F2P_DEFINE_READ_FOLIO_PAGE(fn)					\
static int fn##_page(struct file *file, struct page *page)		\
{									\
	return fn(file, f2p_page_folio(page));				\
}
#endif

#ifdef F2P_HAVE_LAUNDER_FOLIO
#define F2P_AOP_LAUNDER_FOLIO(fn)	.launder_folio = fn
#define F2P_DEFINE_LAUNDER_FOLIO_PAGE(fn)
#else
#define F2P_AOP_LAUNDER_FOLIO(fn)	.launder_page = fn##_page
#define F2P_DEFINE_LAUNDER_FOLIO_PAGE(fn)				\
static int fn##_page(struct page *page)					\
{									\
	return fn(f2p_page_folio(page));				\
}
#endif

/* dirtying a folio needs nothing but the page cache's own bookkeeping */
#ifdef F2P_HAVE_DIRTY_FOLIO
#define F2P_AOP_DIRTY_NOBUFFERS		.dirty_folio = filemap_dirty_folio
#else
#define F2P_AOP_DIRTY_NOBUFFERS		.set_page_dirty = __set_page_dirty_nobuffers
#endif

/*
 * How much of a readahead batch is the asynchronous part, which nobody
 * waits for yet: the readahead_control has the file's readahead state
 * (ra) after 5.10, by Ubuntu's 5.15 (compat/HISTORY.md); before, 0: all
 * of it counts as wanted.
 */
static inline unsigned long f2p_readahead_async_size(struct readahead_control *rac)
{
#ifdef F2P_HAVE_READAHEAD_RA
	return rac->ra->async_size;
#else
	return 0;
#endif
}

/*
 * Writeback walks the dirty folios of a mapping: writeback_iter() (6.10)
 * or write_cache_pages() with a folio (6.3) or page callback.  FN gets
 * each folio locked and cleared for I/O, and must unlock it.
 */
#include <linux/writeback.h>
typedef int (*f2p_writefolio_t)(struct folio *folio,
				struct writeback_control *wbc, void *data);
#if defined(F2P_HAVE_WRITEBACK_ITER)
static inline int f2p_write_cache_folios(struct address_space *mapping,
					 struct writeback_control *wbc,
					 f2p_writefolio_t fn, void *data)
{
	struct folio *folio = NULL;
	int err = 0;

	while ((folio = writeback_iter(mapping, wbc, folio, &err)))
		err = fn(folio, wbc, data);
	return err;
}
#elif defined(F2P_HAVE_WRITEPAGE_FOLIO)
static inline int f2p_write_cache_folios(struct address_space *mapping,
					 struct writeback_control *wbc,
					 f2p_writefolio_t fn, void *data)
{
	return write_cache_pages(mapping, wbc, fn, data);
}
#else
struct f2p_wcp {
	f2p_writefolio_t fn;
	void *data;
};

static inline int f2p_wcp_page(struct page *page,
			       struct writeback_control *wbc, void *data)
{
	struct f2p_wcp *w = data;

	return w->fn(f2p_page_folio(page), wbc, w->data);
}

static inline int f2p_write_cache_folios(struct address_space *mapping,
					 struct writeback_control *wbc,
					 f2p_writefolio_t fn, void *data)
{
	struct f2p_wcp w = { fn, data };

	return write_cache_pages(mapping, wbc, f2p_wcp_page, &w);
}
#endif

/*
 * POSIX ACLs.  6.2 split ->get_acl() in two: ->get_inode_acl() for the
 * permission checks and ->get_acl()/->set_acl() on a dentry for the
 * ACL xattrs, which the VFS no longer sends through sb->s_xattr.  Before,
 * one ->get_acl(inode, type, rcu) did both, ->set_acl() took the inode,
 * and the xattrs came through the generic posix_acl xattr handlers.
 * acl.c writes FETCH(inode, type, rcu, enforce) and
 * STORE(idmap, inode, acl, type); these make the inode operations of them.
 */
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/xattr.h>
extern const struct xattr_handler f2p_xattr_acl_access;
extern const struct xattr_handler f2p_xattr_acl_default;

#ifdef F2P_HAVE_GET_INODE_ACL
#define F2P_DEFINE_ACL_OPS(fetch, store)				\
struct posix_acl *f2p_iop_get_inode_acl(struct inode *inode, int type,	\
					bool rcu)			\
{									\
	return fetch(inode, type, rcu, true);				\
}									\
struct posix_acl *f2p_iop_get_acl(F2P_IDMAP_T *idmap,			\
				  struct dentry *dentry, int type)	\
{									\
	return fetch(d_inode(dentry), type, false, false);		\
}									\
int f2p_iop_set_acl(F2P_IDMAP_T *idmap, struct dentry *dentry,		\
		    struct posix_acl *acl, int type)			\
{									\
	return store(idmap, d_inode(dentry), acl, type);		\
}
struct posix_acl *f2p_iop_get_inode_acl(struct inode *inode, int type,
					bool rcu);
struct posix_acl *f2p_iop_get_acl(F2P_IDMAP_T *idmap, struct dentry *dentry,
				  int type);
int f2p_iop_set_acl(F2P_IDMAP_T *idmap, struct dentry *dentry,
		    struct posix_acl *acl, int type);
#define F2P_ACL_IOPS							\
	.get_inode_acl	= f2p_iop_get_inode_acl,			\
	.get_acl	= f2p_iop_get_acl,				\
	.set_acl	= f2p_iop_set_acl
/* the VFS hands ACL xattrs to the inode operations itself */
#define F2P_ACL_XATTR_HANDLERS
static inline const struct xattr_handler *f2p_vfs_acl_handler(int type)
{
	return NULL;
}
#else
/*
 * ->get_acl() took no "rcu" flag before 5.15 (it was never called in RCU
 * walk then), ->set_acl() no idmapping before 5.12.
 */
#ifdef F2P_HAVE_GET_ACL_RCU
#define F2P_DEFINE_GET_ACL(fetch)					\
struct posix_acl *f2p_iop_get_acl(struct inode *inode, int type,	\
				  bool rcu)				\
{									\
	return fetch(inode, type, rcu, true);				\
}
struct posix_acl *f2p_iop_get_acl(struct inode *inode, int type, bool rcu);
#else
#define F2P_DEFINE_GET_ACL(fetch)					\
struct posix_acl *f2p_iop_get_acl(struct inode *inode, int type)	\
{									\
	return fetch(inode, type, false, true);				\
}
struct posix_acl *f2p_iop_get_acl(struct inode *inode, int type);
#endif
#ifndef F2P_NO_IDMAP
#define F2P_DEFINE_SET_ACL(store)					\
int f2p_iop_set_acl(F2P_IDMAP_T *idmap, struct inode *inode,		\
		    struct posix_acl *acl, int type)			\
{									\
	return store(idmap, inode, acl, type);				\
}
int f2p_iop_set_acl(F2P_IDMAP_T *idmap, struct inode *inode,
		    struct posix_acl *acl, int type);
#else
#define F2P_DEFINE_SET_ACL(store)					\
int f2p_iop_set_acl(struct inode *inode, struct posix_acl *acl, int type) \
{									\
	return store(&init_user_ns, inode, acl, type);			\
}
int f2p_iop_set_acl(struct inode *inode, struct posix_acl *acl, int type);
#endif
#define F2P_DEFINE_ACL_OPS(fetch, store)				\
	F2P_DEFINE_GET_ACL(fetch)					\
	F2P_DEFINE_SET_ACL(store)
#define F2P_ACL_IOPS							\
	.get_acl	= f2p_iop_get_acl,				\
	.set_acl	= f2p_iop_set_acl
#define F2P_ACL_XATTR_HANDLERS	&f2p_xattr_acl_access, &f2p_xattr_acl_default,
/* the generic handlers turn the xattr into an ACL and call ->set_acl */
static inline const struct xattr_handler *f2p_vfs_acl_handler(int type)
{
	return type == ACL_TYPE_ACCESS ? &posix_acl_access_xattr_handler :
					 &posix_acl_default_xattr_handler;
}
#endif

/* a new access ACL's mode (posix_acl_update_mode() took no idmap before 5.12) */
static inline int f2p_acl_update_mode(F2P_IDMAP_T *idmap, struct inode *inode,
				      umode_t *mode, struct posix_acl **acl)
{
#ifdef F2P_NO_IDMAP
	return posix_acl_update_mode(inode, mode, acl);
#else
	return posix_acl_update_mode(idmap, inode, mode, acl);
#endif
}

/* the kernel's ACL xattr handler, with the idmapping where it takes one */
static inline int f2p_xattr_handler_set(const struct xattr_handler *handler,
					F2P_IDMAP_T *idmap,
					struct dentry *dentry,
					struct inode *inode, const char *name,
					const void *value, size_t size,
					int flags)
{
#ifdef F2P_NO_IDMAP
	return handler->set(handler, dentry, inode, name, value, size, flags);
#else
	return handler->set(handler, idmap, dentry, inode, name, value, size,
			    flags);
#endif
}

/*
 * The inode's ACL cache: off for servers whose ACLs we do not enforce
 * (nothing would ever invalidate it), on once one turns out to be.
 */
static inline void f2p_acl_dont_cache(struct inode *inode)
{
#ifdef CONFIG_FS_POSIX_ACL
	inode->i_acl = ACL_DONT_CACHE;
	inode->i_default_acl = ACL_DONT_CACHE;
#endif
}

static inline void f2p_acl_cache_on(struct inode *inode)
{
#ifdef CONFIG_FS_POSIX_ACL
	cmpxchg(&inode->i_acl, ACL_DONT_CACHE, ACL_NOT_CACHED);
	cmpxchg(&inode->i_default_acl, ACL_DONT_CACHE, ACL_NOT_CACHED);
#endif
}

/* 7.x posix_acl_to_xattr() allocates the buffer itself */
static inline void *f2p_acl_to_xattr(struct user_namespace *ns,
				     const struct posix_acl *acl, size_t *size)
{
#ifdef F2P_HAVE_ACL_TO_XATTR_ALLOC
	void *buf = posix_acl_to_xattr(ns, acl, size, GFP_KERNEL);

	return buf ? buf : ERR_PTR(-ENOMEM);
#else
	size_t n = posix_acl_xattr_size(acl->a_count);
	void *buf = kmalloc(n, GFP_KERNEL);
	int ret;

	if (!buf)
		return ERR_PTR(-ENOMEM);
	ret = posix_acl_to_xattr(ns, acl, buf, n);
	if (ret < 0) {
		kfree(buf);
		return ERR_PTR(ret);
	}
	*size = n;
	return buf;
#endif
}

/*
 * Buffered writes into the page cache (writeback cache): ->write_begin()
 * and ->write_end() took the file and a page, then a folio (6.12), then
 * the kiocb instead of the file (6.17).  f2p_wb_ctx_t is what comes first,
 * f2p_wpage_t what they hand over; the helpers turn both into ours.
 * Before 5.19 ->write_begin() also took AOP flags (the page form without
 * them: F2P_HAVE_WRITE_BEGIN_NO_FLAGS), which F2P_WRITE_BEGIN_FLAGS puts
 * in its parameter list there; nothing fuse2pt does needs them.
 */
#include <linux/pagemap.h>
#if defined(F2P_HAVE_WRITE_BEGIN_KIOCB)
typedef const struct kiocb *f2p_wb_ctx_t;
static inline struct file *f2p_wb_file(f2p_wb_ctx_t ctx)
{
	return ctx ? ctx->ki_filp : NULL;
}
#else
typedef struct file *f2p_wb_ctx_t;
static inline struct file *f2p_wb_file(f2p_wb_ctx_t ctx)
{
	return ctx;
}
#endif
#if defined(F2P_HAVE_WRITE_BEGIN_KIOCB) || defined(F2P_HAVE_WRITE_BEGIN_FOLIO)
typedef struct folio f2p_wpage_t;
static inline struct folio *f2p_wpage_folio(f2p_wpage_t *p)
{
	return p;
}

static inline f2p_wpage_t *f2p_folio_wpage(struct folio *folio)
{
	return folio;
}

/* a locked folio to write into, or an ERR_PTR */
static inline struct folio *f2p_grab_write_folio(struct address_space *mapping,
						 pgoff_t index)
{
	return __filemap_get_folio(mapping, index, FGP_WRITEBEGIN,
				   mapping_gfp_mask(mapping));
}
#else
typedef struct page f2p_wpage_t;
static inline struct folio *f2p_wpage_folio(f2p_wpage_t *p)
{
	return f2p_page_folio(p);
}

static inline f2p_wpage_t *f2p_folio_wpage(struct folio *folio)
{
#ifdef F2P_HAVE_FOLIO
	return &folio->page;
#else
	return f2p_folio_head(folio);
#endif
}

static inline struct folio *f2p_grab_write_folio(struct address_space *mapping,
						 pgoff_t index)
{
#ifdef F2P_HAVE_WRITE_BEGIN_NO_FLAGS
	struct page *page = grab_cache_page_write_begin(mapping, index);
#else
	struct page *page = grab_cache_page_write_begin(mapping, index, 0);
#endif

	return page ? f2p_page_folio(page) : ERR_PTR(-ENOMEM);
}
#endif
#if defined(F2P_HAVE_WRITE_BEGIN_NO_FLAGS) || \
    defined(F2P_HAVE_WRITE_BEGIN_FOLIO) || defined(F2P_HAVE_WRITE_BEGIN_KIOCB)
#define F2P_WRITE_BEGIN_FLAGS
#else
#define F2P_WRITE_BEGIN_FLAGS	unsigned int aop_flags,
#endif

/*
 * How many bytes the caller of getdents has room for, as a hint (newer kernels);
 * 0 where the VFS does not say.
 */
static inline int f2p_dir_ctx_count(const struct dir_context *ctx)
{
#ifdef F2P_HAVE_DIR_CONTEXT_COUNT
	return ctx->count;
#else
	return 0;
#endif
}

/*
 * __filemap_get_folio() failed with NULL before 6.3 and with an ERR_PTR
 * since: callers take either as "no folio".
 */
static inline struct folio *f2p_folio_or_null(struct folio *folio)
{
	return IS_ERR_OR_NULL(folio) ? NULL : folio;
}

/*
 * The security context an LSM wants a new object to have (for
 * FUSE_SECURITY_CTX).  6.14 hands it over in a struct lsm_context, and
 * takes the same struct back to free it; before, as a pointer and a
 * length.  f2p_secctx carries either.  Before 5.16 the LSM does not say
 * which xattr the context belongs in, which FUSE_SECURITY_CTX must tell
 * the server: fuse2pt does not offer it there (F2P_OFFER_SECURITY_CTX is
 * 0; fs/fuse has it since 5.17, which needed that change).
 */
#if defined(F2P_HAVE_LSM_CONTEXT) || defined(F2P_HAVE_DENTRY_INIT_SECURITY_XATTR)
#define F2P_OFFER_SECURITY_CTX	FUSE_SECURITY_CTX
#else
#define F2P_OFFER_SECURITY_CTX	0
#endif

struct f2p_secctx {
	const char *xattr;	/* the xattr the context belongs in */
	void *context;
	u32 len;
	int lsm_id;
};

static inline int f2p_dentry_init_security(struct dentry *dentry, int mode,
					   struct f2p_secctx *sc)
{
#ifdef F2P_HAVE_LSM_CONTEXT
	struct lsm_context lc = {};
	int err = security_dentry_init_security(dentry, mode, &dentry->d_name,
						&sc->xattr, &lc);

	sc->context = lc.context;
	sc->len = lc.len;
	sc->lsm_id = lc.id;
	return err;
#elif defined(F2P_HAVE_DENTRY_INIT_SECURITY_XATTR)
	return security_dentry_init_security(dentry, mode, &dentry->d_name,
					     &sc->xattr, &sc->context,
					     &sc->len);
#else
	/* (not reached: FUSE_SECURITY_CTX is not offered) */
	sc->xattr = NULL;
	return security_dentry_init_security(dentry, mode, &dentry->d_name,
					     &sc->context, &sc->len);
#endif
}

static inline void f2p_release_secctx(struct f2p_secctx *sc)
{
#ifdef F2P_HAVE_LSM_CONTEXT
	struct lsm_context lc = {
		.context = sc->context,
		.len = sc->len,
		.id = sc->lsm_id,
	};

	security_release_secctx(&lc);
#elif defined(F2P_HAVE_RELEASE_LSMCONTEXT)
	/* Ubuntu's LSM stacking (not reached: no FUSE_SECURITY_CTX there) */
	struct lsmcontext lc;

	lsmcontext_init(&lc, sc->context, sc->len, sc->lsm_id);
	security_release_secctx(&lc);
#else
	security_release_secctx(sc->context, sc->len);
#endif
}

/*
 * File attributes (FS_IOC_GETFLAGS and friends) through inode operations
 * (5.13): the VFS checks the caller (owner, CAP_LINUX_IMMUTABLE, ...)
 * and then calls ->fileattr_set(), which 6.3 handed a mnt_idmap instead
 * of a user_namespace; 6.17 renamed struct fileattr to file_kattr.
 * F2P_FILEATTR_IOPS names our operations where they exist; without them
 * the ioctl path makes the checks itself (ioctl.c).
 */
#if defined(F2P_HAVE_FILE_KATTR)
#define F2P_USE_FILEATTR_OPS	1
#define F2P_FILEATTR_T		struct file_kattr
#define F2P_FILEATTR_NS_T	struct mnt_idmap
#elif defined(F2P_HAVE_FILEATTR_IDMAP)
#define F2P_USE_FILEATTR_OPS	1
#define F2P_FILEATTR_T		struct fileattr
#define F2P_FILEATTR_NS_T	struct mnt_idmap
#elif defined(F2P_HAVE_FILEATTR_USERNS)
#define F2P_USE_FILEATTR_OPS	1
#define F2P_FILEATTR_T		struct fileattr
#define F2P_FILEATTR_NS_T	struct user_namespace
#endif

#ifdef F2P_USE_FILEATTR_OPS
#include <linux/fileattr.h>
int f2p_fileattr_get(struct dentry *dentry, F2P_FILEATTR_T *fa);
int f2p_fileattr_set(F2P_FILEATTR_NS_T *ns, struct dentry *dentry,
		     F2P_FILEATTR_T *fa);
#define F2P_FILEATTR_IOPS						\
	.fileattr_get	= f2p_fileattr_get,				\
	.fileattr_set	= f2p_fileattr_set,
#else
#define F2P_FILEATTR_IOPS
#endif

/*
 * May the caller change @file's inode as its owner (or with CAP_FOWNER)?
 * 5.12 and 6.3 hand the check the mount's idmapping.
 */
static inline bool f2p_file_owner_or_capable(struct file *file)
{
#if defined(F2P_HAVE_OWNER_CAPABLE_IDMAP)
	return inode_owner_or_capable(file_mnt_idmap(file), file_inode(file));
#elif defined(F2P_HAVE_OWNER_CAPABLE_USERNS)
	return inode_owner_or_capable(file_mnt_user_ns(file), file_inode(file));
#else
	return inode_owner_or_capable(file_inode(file));
#endif
}

/*
 * bvec_set_page(): mainline 6.3, in the 6.1 stable series only from one
 * of its updates (compat/probes/F2P_HAVE_BVEC_SET_PAGE.c); before, the
 * caller fills the bio_vec itself.
 */
#include <linux/bvec.h>
#ifndef F2P_HAVE_BVEC_SET_PAGE
static inline void bvec_set_page(struct bio_vec *bv, struct page *page,
				 unsigned int len, unsigned int offset)
{
	bv->bv_page = page;
	bv->bv_len = len;
	bv->bv_offset = offset;
}
#endif

/*
 * IOCB_ALLOC_CACHE lets a kiocb's bio come from a per-CPU cache (5.16,
 * with the bio cache); kernels without it have nothing to strip.
 */
#ifndef IOCB_ALLOC_CACHE
#define IOCB_ALLOC_CACHE	0
#endif

/*
 * Completing a kiocb: ->ki_complete(iocb, res) since 5.16 ("fs: get rid
 * of the res2 iocb->ki_complete argument"); before, a second result too,
 * which aio hands to user space as res2 (0 from every caller but a few
 * drivers).  A completion function of ours is declared with
 * F2P_KI_COMPLETE_ARGS(iocb, res).
 */
#ifdef F2P_HAVE_KI_COMPLETE_RES
#define F2P_KI_COMPLETE_ARGS(iocb, res)	struct kiocb *iocb, long res
static inline void f2p_ki_complete(struct kiocb *iocb, long res)
{
	iocb->ki_complete(iocb, res);
}
#else
#define F2P_KI_COMPLETE_ARGS(iocb, res)	struct kiocb *iocb, long res, long res2
static inline void f2p_ki_complete(struct kiocb *iocb, long res)
{
	iocb->ki_complete(iocb, res, 0);
}
#endif

/*
 * Inodes come from our cache through alloc_inode_sb() since 5.18, which
 * tells the superblock's inode LRU the memory cgroup; before, straight
 * from the cache.
 */
static inline void *f2p_alloc_inode_sb(struct super_block *sb,
				       struct kmem_cache *cache, gfp_t gfp)
{
#ifdef F2P_HAVE_ALLOC_INODE_SB
	return alloc_inode_sb(sb, cache, gfp);
#else
	return kmem_cache_alloc(cache, gfp);
#endif
}

/*
 * Pages of user memory (or a bvec) an iterator names, referenced:
 * iov_iter_get_pages2() advances past them (6.0); before,
 * iov_iter_get_pages() did not, and the caller did.  user_backed_iter()
 * (6.0, with ITER_UBUF) was iter_is_iovec() before.
 */
#include <linux/uio.h>
static inline ssize_t f2p_iov_iter_get_pages(struct iov_iter *i,
					     struct page **pages,
					     size_t maxsize,
					     unsigned int maxpages,
					     size_t *start)
{
#ifdef F2P_HAVE_IOV_ITER_GET_PAGES2
	return iov_iter_get_pages2(i, pages, maxsize, maxpages, start);
#else
	ssize_t n = iov_iter_get_pages(i, pages, maxsize, maxpages, start);

	if (n > 0)
		iov_iter_advance(i, n);
	return n;
#endif
}

/*
 * ITER_DEST: the direction of an iterator data is copied into, a new name
 * for READ (the kernel's headers have it from 6.1 on, and the 5.10 stable
 * series from one of its updates: Debian's 5.10.262 has it, 5.10.223 not;
 * the release that brought it is not verified).
 */
#ifndef ITER_DEST
#define ITER_DEST	READ
#endif

static inline bool f2p_user_backed_iter(const struct iov_iter *i)
{
#ifdef F2P_HAVE_IOV_ITER_GET_PAGES2
	return user_backed_iter(i);
#else
	return iter_is_iovec(i);
#endif
}

/*
 * IOCB_AIO_RW marks a kiocb embedded in fs/aio's aio_kiocb (mainline 6.8,
 * backported to the 6.1 and 5.10 stable series); kernels without it have
 * nothing to strip.
 */
#ifndef IOCB_AIO_RW
#define IOCB_AIO_RW	0
#endif

#endif /* FUSE2PT_COMPAT_H */
