/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuse2pt internals: the objects every part of the client shares.
 *
 *   f2p_conn   one FUSE connection: the server's device file(s) on one side,
 *              one superblock on the other, and the request queues between.
 *   f2p_req    one message in flight to the server.
 *   f2p_args   what a caller wants sent and where the reply should land;
 *              owned by the caller, described to the device by the request.
 *   f2p_inode  the VFS inode plus the server's nodeid and lookup count.
 *   f2p_file   an open file or directory: the server's file handle.
 */
#ifndef FUSE2PT_H
#define FUSE2PT_H

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/rwsem.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/uidgid.h>
#include <linux/idr.h>
#include <linux/xarray.h>
#include <linux/siphash.h>
#include <linux/types.h>
#include "fuse2pt_wire.h"

#define F2P_NAME			"fuse2pt"
#define F2P_SUPER_MAGIC			0x65735546	/* same as fuse: tools treat us alike */
#define F2P_NAME_MAX			1024
#define F2P_SYMLINK_MAX			(PAGE_SIZE - 1)
#define F2P_DEFAULT_MAX_PAGES		32
#define F2P_MAX_MAX_PAGES		256

/* ---- arguments and requests (request.c) ---- */

struct f2p_arg {
	unsigned int size;
	void *value;
};

struct f2p_conn;

struct f2p_args {
	u64 nodeid;
	u32 opcode;
	u8 in_numargs;
	u8 out_numargs;
	bool out_argvar:1;	/* last out arg may come back shorter */
	bool force:1;		/* send even before INIT, never interrupted */
	bool noreply:1;		/* server sends no answer */
	bool nocreds:1;		/* uid/gid/pid in the header are zero */
	bool bgcreds:1;		/* background, but with the caller's creds */
	bool ext:1;		/* last in arg is the extension block (ext.c) */
	struct f2p_arg in_args[3];
	struct f2p_arg out_args[2];
	/* last in arg is in these pages, from offset 0 (a splice lends them) */
	struct page **in_pages;
	/* last out arg lands in these folios, in order (kmapped by the copier) */
	struct folio **out_folios;
	unsigned int out_nr_folios;
	/* background requests: called once, with the final error */
	void (*end)(struct f2p_conn *fc, struct f2p_args *args, int error);
	/* background: bytes of the last out arg received (for end) */
	unsigned int out_size;
};

enum f2p_req_bit {
	F2P_R_SENT,		/* handed to the server, no longer cancellable */
	F2P_R_FINISHED,		/* reply (or error) is in; waiter may go */
	F2P_R_BACKGROUND,	/* nobody waits; args->end completes it */
	F2P_R_LOCKED,		/* device is copying args: abort must not end it */
	F2P_R_ABORTED,		/* connection went away during the copy */
	F2P_R_INTERRUPTED,	/* the caller got a signal: tell the server */
	F2P_R_BGLIMIT,		/* counted in fc->num_background */
	F2P_R_BGACTIVE,		/* ... and in fc->active_background */
};

struct f2p_req {
	struct list_head list;
	struct list_head intr_entry;	/* on fc->interrupts, under fc->lock */
	refcount_t count;
	unsigned long flags;
	struct fuse_in_header in_h;
	int error;
	struct f2p_args *args;
	wait_queue_head_t waitq;
	unsigned int out_size;	/* bytes of the last out arg actually received */
};

struct f2p_forget {
	struct list_head list;
	u64 nodeid;
	u64 nlookup;
};

/* ---- backing files for passthrough (backing.c) ---- */

/* a file the server registered with BACKING_OPEN, and whose creds to use */
struct f2p_backing {
	struct file *file;
	const struct cred *cred;
	refcount_t count;
	struct rcu_head rcu;
};

/* ---- connection (conn.c) ---- */

/* write-through or direct-read data: @nr whole pages (wbuf.c) */
struct f2p_wbuf {
	unsigned int nr;
	struct page *pages[];
};

#define F2P_WBUF_KEEP	2	/* buffers a connection keeps */

struct f2p_conn {
	spinlock_t lock;
	refcount_t count;
	wait_queue_head_t waitq;	/* server threads waiting to read */
	wait_queue_head_t blocked_waitq;/* callers waiting for INIT */
	wait_queue_head_t bg_waitq;	/* submitters waiting for room (dio.c) */
	struct list_head pending;
	struct list_head processing;
	struct list_head forgets;
	struct list_head interrupts;
	struct list_head releases;	/* RELEASEs holding an inode */
	struct rw_semaphore killsb;	/* notifications vs. umount */
	unsigned int forget_streak;
	struct fasync_struct *fasync;
	u64 reqctr;

	bool connected;	/* new requests accepted */
	bool aborted;		/* torn down: nothing more is delivered */
	bool initialized;	/* INIT answered (or failed) */
	bool conn_error;	/* INIT failed: refuse everything */
	bool abort_err;	/* server asked for ECONNABORTED */
	bool no_flush;
	bool no_access;
	bool no_interrupt;
	bool no_create;
	bool no_fsync;
	bool no_rename2;
	bool no_opendir_fail;
	bool no_fsyncdir;
	bool no_lseek;
	bool no_tmpfile;
	bool no_fallocate;
	bool no_syncfs;
	bool no_copy_file_range;
	bool no_ioctl;
	bool no_poll;
	bool no_statx;		/* STATX answered ENOSYS: GETATTR, no btime */
	bool atomic_o_trunc;	/* OPEN carries O_TRUNC: the server truncates */
	bool no_getxattr;
	bool no_setxattr;
	bool no_listxattr;
	bool no_removexattr;
	bool async_read;
	bool parallel_dirops;
	bool posix_locks;	/* the server keeps POSIX locks ... */
	bool flock_locks;	/* ... and flock()s; else we keep them */
	bool readdirplus;	/* READDIRPLUS instead of READDIR ... */
	bool readdirplus_auto;	/* ... when a listing looks like "ls -l" */
	bool auto_inval_data;	/* a new mtime or size drops cached data */
	bool explicit_inval_data;/* only notifications drop cached data */
	bool dont_mask;		/* the server applies the umask of creates */
	bool posix_acl;		/* we enforce and cache the server's ACLs */
	bool cache_symlinks;	/* READLINK answers kept in the page cache */
	bool writeback_cache;	/* buffered writes stay in the page cache */
	bool export_support;	/* LOOKUP of "." and ".." by nodeid (export.c) */
	bool async_dio;		/* async kiocbs: READ/WRITE in the background (dio.c) */
	bool direct_io_allow_mmap; /* shared mmap of FOPEN_DIRECT_IO files */

	bool passthrough;	/* negotiated: BACKING_OPEN and FOPEN_PASSTHROUGH allowed */
	u32 max_stack_depth;
	struct idr backing_ids;	/* under lock */
	unsigned int backing_files;	/* ids in backing_ids, under lock */
	struct xarray polled;	/* poll kernel handle -> f2p_file (poll.c) */

	u32 minor;
	u32 max_write;
	u32 max_read;
	u32 max_pages;
	u64 init_flags;		/* what the server accepted */

	/* mount options */
	kuid_t user_id;
	kgid_t group_id;
	bool default_permissions;
	bool allow_other;

	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
	/* random, set at creation: lock owners are hashed with it (lock.c) */
	siphash_key_t owner_key;
	atomic64_t attr_version;
	struct super_block *sb;
	/* this superblock's own lock classes: freeze levels, a file root (super.c) */
	struct lock_class_key sb_writers_key[SB_FREEZE_LEVELS];
	struct lock_class_key root_file_key;

	/* ---- lifecycle: control files, background limits, cloned fds ---- */
	dev_t dev;			/* the superblock's s_dev: the control dir's name */
	atomic_t num_waiting;		/* requests a caller (or the bg queue) waits on */
	atomic_t retrieves;		/* NOTIFY_REPLYs queued for the server */
	atomic_t release_iputs;		/* inodes a RELEASE's end is letting go */
	unsigned int dev_count;		/* device files attached, under lock */
	/* background requests, under lock: at most max_background are queued */
	struct list_head bg_queue;	/* over the limit: not yet on pending */
	unsigned int num_background;	/* queued or in flight, incl. bg_queue */
	unsigned int active_background;	/* on pending or processing */
	unsigned int max_background;
	unsigned int congestion_threshold;

	/* page buffers kept for the next uncached WRITE or READ (wbuf.c) */
	spinlock_t wbuf_lock;
	struct f2p_wbuf *wbufs[F2P_WBUF_KEEP];

	/*
	 * ---- what passthrough does, for the connection directory ----
	 * Files open now by io mode: moved only with a file's iomode, under
	 * its inode's lock (f2p_iomode_set()), so they are 0 again once
	 * every file is released.  Bytes that passthrough read and write
	 * calls returned (passthrough.c).  Opens refused by passthrough's
	 * rules, and the last reason: an f2p_pt_refusal in the upper 32
	 * bits, its detail in the lower (f2p_iomode_refuse()).
	 */
	atomic_t open_cached;
	atomic_t open_direct;
	atomic_t open_passthrough;
	atomic64_t pt_read_bytes;
	atomic64_t pt_write_bytes;
	atomic64_t pt_refused;
	atomic64_t pt_refused_last;
};

/* the per-open-device-file state: which connection this fd serves */
struct f2p_dev {
	struct f2p_conn *fc;
};

/* ---- inode (inode.c) ---- */

enum f2p_inode_bit {
	F2P_I_BAD,		/* server contradicted itself: EIO forever */
	F2P_I_RDPLUS_HINT,	/* directory: names were looked up one by one */
	F2P_I_ATIME_STALE,	/* the server read for us: its atime moved */
	F2P_I_BTIME_ASKED,	/* a STATX answer came: whether btime exists is known */
	F2P_I_BTIME,		/* ... and btime holds the server's birth time */
};

/* directory: where its listing cache stands (dircache.c), under lock */
struct f2p_dcache {
	u64 version;		/* bumped at every drop */
	loff_t size;		/* bytes of records in the page cache */
	u64 end;		/* the server's offset after the last record */
	bool complete;		/* the records reach the end of the listing */
};

struct f2p_inode {
	struct inode vfs;
	u64 nodeid;
	u64 nlookup;		/* under lock */
	u64 attr_version;
	u64 attr_expire;	/* jiffies64 */
	unsigned long state;
	spinlock_t lock;
	struct f2p_forget *forget;	/* preallocated, for evict */
	/*
	 * io mode, under lock: iocache > 0 counts files using the page
	 * cache, iocache < 0 counts passthrough files; fb is the backing
	 * file every passthrough open of this inode must name.
	 */
	int iocache;
	struct f2p_backing *fb;
	/*
	 * also under lock: parallel direct writes running (shared inode
	 * lock), and cached opens waiting for them to end
	 */
	unsigned int dio_writers;
	unsigned int cache_waiters;
	/* the mode the server gave; i_mode may lack S_ISVTX (see inode.c) */
	umode_t orig_mode;
	/* birth time from STATX (F2P_I_BTIME), under lock */
	struct timespec64 btime;
	/*
	 * the task splicing into this file, which holds the inode lock for
	 * its nested ->write_iter (f2p_write_splice); set and cleared only
	 * by that task, under the lock
	 */
	struct task_struct *splicer;
	/* files open for writing, under lock: writeback borrows their fh */
	struct list_head write_files;
	/* directory: one LOOKUP/READDIR at a time without PARALLEL_DIROPS */
	struct mutex dirop;
	struct f2p_dcache dcache;
};

static inline struct f2p_inode *F2P_I(const struct inode *inode)
{
	return container_of(inode, struct f2p_inode, vfs);
}

static inline u64 f2p_nodeid(const struct inode *inode)
{
	return F2P_I(inode)->nodeid;
}

static inline struct f2p_conn *f2p_sb_conn(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct f2p_conn *f2p_inode_conn(const struct inode *inode)
{
	return f2p_sb_conn(inode->i_sb);
}

static inline bool f2p_is_bad(const struct inode *inode)
{
	return test_bit(F2P_I_BAD, &F2P_I(inode)->state);
}

/*
 * The server's atime moved when it read data, a listing or a link for us
 * (unless the mount is read-only): the next stat() asking for it asks
 * the server, as stock fuse does.
 */
static inline void f2p_invalidate_atime(struct inode *inode)
{
	if (!IS_RDONLY(inode) &&
	    !test_bit(F2P_I_ATIME_STALE, &F2P_I(inode)->state))
		set_bit(F2P_I_ATIME_STALE, &F2P_I(inode)->state);
}

/* A server without PARALLEL_DIROPS sees one lookup or listing per directory. */
static inline bool f2p_dirop_lock(struct inode *dir)
{
	if (f2p_inode_conn(dir)->parallel_dirops)
		return false;
	mutex_lock(&F2P_I(dir)->dirop);
	return true;
}

static inline void f2p_dirop_unlock(struct inode *dir, bool locked)
{
	if (locked)
		mutex_unlock(&F2P_I(dir)->dirop);
}

/* ---- open files (file.c, dir.c) ---- */

/*
 * One allocation per open file: the OPEN reply lands here, and the same
 * space carries the RELEASE request when the file is closed.
 */
enum f2p_iomode {
	F2P_IOMODE_NONE,	/* not decided yet, or released */
	F2P_IOMODE_DIRECT,	/* direct io: takes no side in fi->iocache */
	F2P_IOMODE_CACHED,
	F2P_IOMODE_PASSTHROUGH,
};

struct f2p_file {
	struct f2p_conn *fc;
	u64 fh;
	u64 nodeid;
	u32 open_flags;
	enum f2p_iomode iomode;
	struct f2p_backing *fb;		/* passthrough: creds for the I/O */
	struct file *backing_file;	/* passthrough: our open of fb->file */
	struct list_head write_entry;	/* on f2p_inode.write_files */
	atomic_t wb_users;		/* writebacks using our fh right now */
	/* the open file's, and one per readahead READ in flight */
	refcount_t count;
	unsigned int close_flags;	/* f_flags at close, for the RELEASE */
	u64 flock_owner;		/* set: RELEASE drops our flock()s */
	u32 kh;				/* poll: our handle in fc->polled, or 0 */
	wait_queue_head_t poll_wait;	/* poll: sleepers until NOTIFY_POLL */
	/*
	 * RELEASE keeps the inode until answered, so that its FORGET can
	 * not overtake the RELEASE; fc->releases lists them for umount.
	 */
	struct inode *release_inode;
	/* directory with CACHE_DIR: where this open reads the cache */
	u64 dc_version;
	loff_t dc_off;			/* cache byte of the next record */
	u64 dc_pos;			/* the server's offset of that record */
	struct list_head release_entry;	/* on fc->releases, under fc->lock */
	struct f2p_args args;
	union {
		struct {
			struct fuse_open_in in;
			struct fuse_open_out out;
		} open;
		struct fuse_release_in release;
	};
};

/* request.c */
ssize_t f2p_request(struct f2p_conn *fc, struct f2p_args *args);
int f2p_request_bg(struct f2p_conn *fc, struct f2p_args *args, gfp_t gfp);
int f2p_request_notify_reply(struct f2p_conn *fc, struct f2p_args *args,
			     u64 unique);
void f2p_queue_forget(struct f2p_conn *fc, struct f2p_forget *forget,
		      u64 nodeid, u64 nlookup);
void f2p_req_end(struct f2p_conn *fc, struct f2p_req *req);
void f2p_req_put(struct f2p_req *req);
void f2p_queue_interrupt_locked(struct f2p_conn *fc, struct f2p_req *req);
int f2p_resend(struct f2p_conn *fc);
int f2p_wait_init(struct f2p_conn *fc);
int f2p_request_cache_init(void);
void f2p_request_cache_exit(void);

/* conn.c */
struct f2p_conn *f2p_conn_alloc(struct fs_context *fsc);
struct f2p_conn *f2p_conn_get(struct f2p_conn *fc);
void f2p_conn_put(struct f2p_conn *fc);
void f2p_conn_abort(struct f2p_conn *fc);
void f2p_conn_shutdown(struct f2p_conn *fc);
int f2p_send_init(struct f2p_conn *fc);
void f2p_send_destroy(struct f2p_conn *fc);
int f2p_conn_errno(const struct f2p_conn *fc);

/*
 * What a current server answers.  Servers older than 7.9 (STATFS: 7.4)
 * send shorter structures; f2p_request() shrinks the expected sizes once
 * INIT has told it the server's minor, as callers may build their
 * arguments before INIT is answered.
 */
static inline unsigned int f2p_entry_out_size(const struct f2p_conn *fc)
{
	return sizeof(struct fuse_entry_out);
}

static inline unsigned int f2p_attr_out_size(const struct f2p_conn *fc)
{
	return sizeof(struct fuse_attr_out);
}

static inline unsigned int f2p_statfs_out_size(const struct f2p_conn *fc)
{
	return sizeof(struct fuse_statfs_out);
}

/* control.c: /sys/fs/fuse2pt/connections */
int f2p_ctl_init(void);
void f2p_ctl_exit(void);
int f2p_ctl_add_conn(struct f2p_conn *fc);
void f2p_ctl_remove_conn(struct f2p_conn *fc);

/* request.c: background limits (module parameters give the defaults) */
void f2p_conn_set_bg_limits(struct f2p_conn *fc, unsigned int max_bg,
			    unsigned int congestion, bool privileged);
void f2p_conn_flush_bg(struct f2p_conn *fc);
int f2p_bg_wait_room(struct f2p_conn *fc);
unsigned int f2p_default_max_background(void);
unsigned int f2p_default_congestion_threshold(void);
unsigned int f2p_bg_user_limit(bool congestion);

static inline bool f2p_conn_congested(const struct f2p_conn *fc)
{
	return READ_ONCE(fc->num_background) >=
	       READ_ONCE(fc->congestion_threshold);
}

/* ext.c: request extensions of MKNOD, MKDIR, SYMLINK, CREATE, TMPFILE */
int f2p_create_ext(struct inode *dir, struct dentry *entry, umode_t mode,
		   struct f2p_args *args);
void f2p_create_ext_free(struct f2p_args *args);

/* notify.c */
int f2p_notify(struct f2p_conn *fc, int code, struct iov_iter *from);

/* dev.c */
extern const struct file_operations f2p_dev_fops;
int f2p_dev_attach(struct file *file, struct f2p_conn *fc);
int f2p_dev_init(void);
void f2p_dev_exit(void);

/* super.c */
int f2p_fs_init(void);
void f2p_fs_exit(void);
void f2p_lockdep_reg_inode(struct inode *inode);

/* inode.c */
struct inode *f2p_iget(struct super_block *sb, u64 nodeid, u64 generation,
		       const struct fuse_attr *attr, u64 attr_valid,
		       u64 attr_version);
void f2p_attr_stale(struct inode *inode);

extern struct workqueue_struct *f2p_wq;	/* main.c */
void f2p_change_attr(struct inode *inode, const struct fuse_attr *attr,
		     u64 attr_valid, u64 attr_version);
bool f2p_attr_ok(const struct fuse_attr *attr);
bool f2p_inode_stale(struct inode *inode, u64 generation,
		     const struct fuse_attr *attr);
void f2p_make_bad(struct inode *inode);
int f2p_update_attr(struct inode *inode, struct file *file, bool force);
bool f2p_allow_current(const struct f2p_conn *fc);
void f2p_give_back(struct f2p_conn *fc, u64 nodeid);
int f2p_inode_test(struct inode *inode, void *data);
u64 f2p_expiry(u64 sec, u32 nsec);
struct inode *f2p_alloc_inode(struct super_block *sb);
void f2p_free_inode(struct inode *inode);
void f2p_evict_inode(struct inode *inode);
int f2p_inode_cache_init(void);
void f2p_inode_cache_exit(void);
int f2p_getattr(F2P_IDMAP_T *idmap, const struct path *path,
		struct kstat *stat, u32 request_mask, unsigned int flags);
int f2p_permission(F2P_IDMAP_T *idmap, struct inode *inode, int mask);
int f2p_setattr(F2P_IDMAP_T *idmap, struct dentry *dentry, struct iattr *attr);
int f2p_setattr_mode(struct inode *inode, umode_t mode);
int f2p_send_setattr(struct inode *inode, struct fuse_setattr_in *in);
extern const struct inode_operations f2p_file_iops;
extern const struct inode_operations f2p_special_iops;

/* dentries remember until when (jiffies64) the server vouched for them */
static inline void f2p_set_entry_expiry(struct dentry *entry, u64 when)
{
	entry->d_fsdata = (void *)(unsigned long)when;
}

static inline u64 f2p_entry_expiry(const struct dentry *entry)
{
	return (unsigned long)READ_ONCE(entry->d_fsdata);
}

/* namei.c */
extern const struct inode_operations f2p_dir_iops;
extern const struct inode_operations f2p_symlink_iops;
extern const struct address_space_operations f2p_symlink_aops;
extern const struct dentry_operations f2p_dentry_ops;
int f2p_lookup_name(struct super_block *sb, u64 nodeid,
		    const struct qstr *name, struct fuse_entry_out *out,
		    struct inode **inodep);

/* export.c */
extern const struct export_operations f2p_export_ops;
extern const struct export_operations f2p_export_fid_ops;

/* xattr.c */
extern const struct xattr_handler *f2p_xattr_handlers[];
ssize_t f2p_getxattr(struct inode *inode, const char *name, void *value,
		     size_t size);
int f2p_setxattr(struct inode *inode, const char *name, const void *value,
		 size_t size, int flags);
ssize_t f2p_listxattr(struct dentry *dentry, char *list, size_t size);

/* dir.c */
extern const struct file_operations f2p_dir_fops;

/* dircache.c */
void f2p_dcache_drop(struct inode *dir);
u64 f2p_dcache_version(struct inode *dir);
void f2p_dcache_add(struct inode *dir, u64 version, u64 pos,
		    const struct fuse_dirent *d);
void f2p_dcache_end(struct inode *dir, u64 version, u64 pos);
int f2p_dcache_readdir(struct file *file, struct dir_context *ctx);

/* wbuf.c */
struct f2p_wbuf *f2p_wbuf_get(struct f2p_conn *fc, size_t len);
void f2p_wbuf_put(struct f2p_conn *fc, struct f2p_wbuf *wb);
void f2p_wbuf_drop_all(struct f2p_conn *fc);

/* file.c, read.c, write.c, space.c, mmap.c */
extern const struct file_operations f2p_file_fops;
extern const struct address_space_operations f2p_file_aops;
struct f2p_file *f2p_file_alloc(struct f2p_conn *fc);
struct f2p_file *f2p_file_open(struct inode *inode, struct file *file,
			       bool isdir);
struct f2p_file *f2p_file_open_flags(struct inode *inode, unsigned int f_flags,
				     bool isdir);
void f2p_file_put_release(struct f2p_file *ff, unsigned int f_flags,
			  bool isdir);
int f2p_file_opened(struct inode *inode, struct file *file);
void f2p_file_put(struct f2p_file *ff);
int f2p_read_folio_locked(struct file *file, struct folio *folio);
void f2p_file_folios(struct inode *inode);
struct f2p_file *f2p_write_file_get(struct inode *inode);
void f2p_write_file_put(struct f2p_file *ff);
void f2p_read_args(struct f2p_args *args, struct fuse_read_in *in,
		   struct f2p_file *ff, loff_t pos, size_t count,
		   unsigned int f_flags);
void f2p_write_args(struct f2p_args *args, struct fuse_write_in *in,
		    struct fuse_write_out *out, struct f2p_file *ff, loff_t pos,
		    const void *buf, size_t len, unsigned int f_flags,
		    u32 write_flags);
size_t f2p_dio_read_max(const struct f2p_conn *fc);

/* the parts of a regular file's operations (read.c, write.c, space.c, mmap.c) */
struct writeback_control;
struct readahead_control;
int f2p_read_folio(struct file *file, struct folio *folio);
void f2p_readahead(struct readahead_control *rac);
ssize_t f2p_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t f2p_write_iter(struct kiocb *iocb, struct iov_iter *from);
ssize_t f2p_write_splice(struct pipe_inode_info *pipe, struct file *out,
			 loff_t *ppos, size_t len, unsigned int flags);
typedef ssize_t (*f2p_splice_fn)(struct pipe_inode_info *pipe,
				 struct file *out, loff_t *ppos, size_t len,
				 unsigned int flags);
ssize_t f2p_splice_inode_first(struct pipe_inode_info *pipe,
			       struct file *out, loff_t *ppos, size_t len,
			       unsigned int flags, f2p_splice_fn locked);

/* Does this task hold @inode's lock for a splice (f2p_write_splice)? */
static inline bool f2p_splicing(struct inode *inode)
{
	return READ_ONCE(F2P_I(inode)->splicer) == current;
}
ssize_t f2p_send_write(struct f2p_file *ff, loff_t pos, struct page **pages,
		       size_t len, unsigned int f_flags, u32 write_flags);
long f2p_fallocate(struct file *file, int mode, loff_t offset, loff_t length);
ssize_t f2p_copy_file_range(struct file *file_in, loff_t pos_in,
			    struct file *file_out, loff_t pos_out, size_t len,
			    unsigned int flags);
int f2p_writepages(struct address_space *mapping,
		   struct writeback_control *wbc);
int f2p_launder_folio(struct folio *folio);
int f2p_mmap(struct file *file, struct vm_area_struct *vma);

/* writeback.c */
struct writeback_control;
int f2p_write_begin(f2p_wb_ctx_t ctx, struct address_space *mapping,
		    loff_t pos, unsigned int len, F2P_WRITE_BEGIN_FLAGS
		    f2p_wpage_t **pagep, void **fsdata);
int f2p_write_end(f2p_wb_ctx_t ctx, struct address_space *mapping,
		  loff_t pos, unsigned int len, unsigned int copied,
		  f2p_wpage_t *page, void *fsdata);
ssize_t f2p_wb_write_iter(struct kiocb *iocb, struct iov_iter *from);
int f2p_write_inode(struct inode *inode, struct writeback_control *wbc);
int f2p_wb_sync(struct inode *inode);

/* ioctl.c */
long f2p_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long f2p_dir_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long f2p_compat_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* poll.c */
void f2p_poll_conn_init(struct f2p_conn *fc);
void f2p_poll_conn_free(struct f2p_conn *fc);
void f2p_poll_release(struct f2p_file *ff);
void f2p_poll_wake_all(struct f2p_conn *fc);
int f2p_poll_notify(struct f2p_conn *fc, const void *buf, size_t size);
__poll_t f2p_file_poll(struct file *file, struct poll_table_struct *wait);

/* lock.c */
u64 f2p_lock_owner(const struct f2p_conn *fc, fl_owner_t owner);
int f2p_lock(struct file *file, int cmd, struct file_lock *fl);
int f2p_flock(struct file *file, int cmd, struct file_lock *fl);

/* backing.c */
long f2p_backing_ioctl_open(struct f2p_conn *fc, void __user *argp);
long f2p_backing_ioctl_close(struct f2p_conn *fc, void __user *argp);
struct f2p_backing *f2p_backing_lookup(struct f2p_conn *fc, int id);
struct f2p_backing *f2p_backing_get(struct f2p_backing *fb);
void f2p_backing_put(struct f2p_backing *fb);
void f2p_backing_forget_all(struct f2p_conn *fc);

/* iomode.c */
/*
 * Why an open was refused by passthrough's rules (control.c words them):
 * FOPEN_PASSTHROUGH without negotiated passthrough, with flags it does
 * not allow, or with an unknown backing id; a passthrough open naming
 * another backing file than the inode's passthrough files, an open
 * without FOPEN_PASSTHROUGH beside them, a passthrough open beside
 * cached files; the backing file not opened, or stacked too deep.  Some
 * keep a detail, in the lower half of fc->pt_refused_last.
 */
enum f2p_pt_refusal {
	F2P_PT_REFUSED_NONE,
	F2P_PT_NOT_NEGOTIATED,
	F2P_PT_BAD_FLAGS,		/* detail: the flags not allowed */
	F2P_PT_BAD_ID,			/* detail: the backing id */
	F2P_PT_OTHER_BACKING,
	F2P_PT_INODE_PASSTHROUGH,
	F2P_PT_INODE_CACHED,
	F2P_PT_BACKING_OPEN,		/* detail: its errno, positive */
	F2P_PT_TOO_DEEP,		/* detail: its stack depth */
};
int f2p_iomode_open(struct inode *inode, struct file *file,
		    struct f2p_file *ff);
void f2p_iomode_release(struct inode *inode, struct f2p_file *ff);
int f2p_iomode_mmap_cached(struct inode *inode, struct f2p_file *ff);
bool f2p_iomode_dio_write_start(struct inode *inode);
void f2p_iomode_dio_write_end(struct inode *inode);

/* dio.c: asynchronous direct I/O (FUSE_ASYNC_DIO) */
bool f2p_dio_async_ok(struct kiocb *iocb, struct iov_iter *iter);
ssize_t f2p_dio_read_async(struct kiocb *iocb, struct iov_iter *to);
ssize_t f2p_dio_write_async(struct kiocb *iocb, struct iov_iter *from,
			    bool counted);

/* passthrough.c */
ssize_t f2p_pt_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t f2p_pt_write_iter(struct kiocb *iocb, struct iov_iter *from);
ssize_t f2p_pt_splice_read(struct file *in, loff_t *ppos,
			   struct pipe_inode_info *pipe, size_t len,
			   unsigned int flags);
ssize_t f2p_pt_splice_write(struct pipe_inode_info *pipe, struct file *out,
			    loff_t *ppos, size_t len, unsigned int flags);
int f2p_pt_mmap(struct file *file, struct vm_area_struct *vma);
void f2p_file_release(struct inode *inode, struct file *file, bool isdir);
void f2p_release_detach_all(struct f2p_conn *fc);

#endif /* FUSE2PT_H */
