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

/* 6.3 "fs: port ->getattr() etc. to pass mnt_idmap" */
#ifdef F2P_HAVE_MNT_IDMAP
#define F2P_IDMAP_T	struct mnt_idmap
#else
#define F2P_IDMAP_T	struct user_namespace
#endif

/* 6.6 generic_fillattr() gained the request mask */
static inline void f2p_fillattr(F2P_IDMAP_T *idmap, u32 request_mask,
				struct inode *inode, struct kstat *stat)
{
#ifdef F2P_HAVE_FILLATTR_MASK
	generic_fillattr(idmap, request_mask, inode, stat);
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
#else
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
#endif

/* 6.19 ->create() lost its "excl" flag; FN(idmap, dir, dentry, mode) */
#ifdef F2P_HAVE_CREATE_NO_EXCL
#define F2P_DEFINE_CREATE(name, fn)					\
static int name(F2P_IDMAP_T *idmap, struct inode *dir,			\
		struct dentry *dentry, umode_t mode)			\
{									\
	return fn(idmap, dir, dentry, mode);				\
}
#else
#define F2P_DEFINE_CREATE(name, fn)					\
static int name(F2P_IDMAP_T *idmap, struct inode *dir,			\
		struct dentry *dentry, umode_t mode, bool excl)		\
{									\
	return fn(idmap, dir, dentry, mode);				\
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
 * Before 6.8 (Debian 12's 6.1; also 6.5 to 6.7, which had
 * backing_file_open() but no helpers) src/backing-shim.c does the
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

/* O_DIRECT on a file: FMODE_CAN_ODIRECT since 5.18, ->direct_IO before */
static inline bool f2p_can_odirect(struct file *file)
{
#ifdef F2P_HAVE_FMODE_CAN_ODIRECT
	return file->f_mode & FMODE_CAN_ODIRECT;
#else
	return file->f_mapping->a_ops && file->f_mapping->a_ops->direct_IO;
#endif
}
#endif /* F2P_HAVE_BACKING_FILE_HELPERS */

/* 7.x d_alloc_parallel() keeps its own wait queue for in-lookup waiters */
#ifdef F2P_HAVE_D_ALLOC_PARALLEL_WQ
#define f2p_d_alloc_parallel(parent, name, wq)	d_alloc_parallel(parent, name, wq)
#else
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

	return w->fn(page_folio(page), wbc, w->data);
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
struct xattr_handler;
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
#define F2P_DEFINE_ACL_OPS(fetch, store)				\
struct posix_acl *f2p_iop_get_acl(struct inode *inode, int type,	\
				  bool rcu)				\
{									\
	return fetch(inode, type, rcu, true);				\
}									\
int f2p_iop_set_acl(F2P_IDMAP_T *idmap, struct inode *inode,		\
		    struct posix_acl *acl, int type)			\
{									\
	return store(idmap, inode, acl, type);				\
}
struct posix_acl *f2p_iop_get_acl(struct inode *inode, int type, bool rcu);
int f2p_iop_set_acl(F2P_IDMAP_T *idmap, struct inode *inode,
		    struct posix_acl *acl, int type);
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
	return page_folio(p);
}

static inline f2p_wpage_t *f2p_folio_wpage(struct folio *folio)
{
	return &folio->page;
}

static inline struct folio *f2p_grab_write_folio(struct address_space *mapping,
						 pgoff_t index)
{
	struct page *page = grab_cache_page_write_begin(mapping, index);

	return page ? page_folio(page) : ERR_PTR(-ENOMEM);
}
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
 * length.  f2p_secctx carries either.
 */
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
#else
	return security_dentry_init_security(dentry, mode, &dentry->d_name,
					     &sc->xattr, &sc->context,
					     &sc->len);
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
 * IOCB_AIO_RW marks a kiocb embedded in fs/aio's aio_kiocb (mainline 6.8,
 * backported to the 6.1 and 5.10 stable series); kernels without it have
 * nothing to strip.
 */
#ifndef IOCB_AIO_RW
#define IOCB_AIO_RW	0
#endif

#endif /* FUSE2PT_COMPAT_H */
