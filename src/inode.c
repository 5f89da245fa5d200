// SPDX-License-Identifier: GPL-2.0
/*
 * Inodes: finding the VFS inode for a server nodeid, keeping its
 * attributes as fresh as the server's timeouts say, and telling the
 * server (FORGET) when the kernel no longer remembers a nodeid.
 *
 * The server's attributes are untrusted: a reply whose file type is not
 * one of the seven, whose size does not fit a loff_t, or whose type or
 * generation differs from the inode's marks that inode bad (EIO from then
 * on) rather than letting the contradiction into the VFS.  A stat() that
 * wants the birth time asks with STATX instead of GETATTR.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/jiffies.h>
#include <linux/cred.h>
#include <linux/log2.h>
#include "fuse2pt.h"

static struct kmem_cache *f2p_inode_cache;

struct inode *f2p_alloc_inode(struct super_block *sb)
{
	struct f2p_inode *fi = alloc_inode_sb(sb, f2p_inode_cache, GFP_KERNEL);

	if (!fi)
		return NULL;
	fi->nodeid = 0;
	fi->nlookup = 0;
	fi->attr_version = 0;
	fi->attr_expire = 0;
	fi->state = 0;
	fi->iocache = 0;
	fi->fb = NULL;
	memset(&fi->dcache, 0, sizeof(fi->dcache));
	fi->dio_writers = 0;
	fi->splicer = NULL;
	fi->cache_waiters = 0;
	INIT_LIST_HEAD(&fi->write_files);
	spin_lock_init(&fi->lock);
	fi->forget = kzalloc(sizeof(*fi->forget), GFP_KERNEL);
	if (!fi->forget) {
		kmem_cache_free(f2p_inode_cache, fi);
		return NULL;
	}
	return &fi->vfs;
}

void f2p_free_inode(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);

	kfree(fi->forget);
	kmem_cache_free(f2p_inode_cache, fi);
}

void f2p_evict_inode(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	/*
	 * At umount the server forgets everything by itself; only a live
	 * filesystem dropping an inode from its cache says FORGET.
	 */
	if ((inode->i_sb->s_flags & SB_ACTIVE) && fi->nlookup) {
		f2p_queue_forget(f2p_inode_conn(inode), fi->forget,
				 fi->nodeid, fi->nlookup);
		fi->forget = NULL;
	}
}

u64 f2p_expiry(u64 sec, u32 nsec)
{
	u64 ns;

	if (!sec && !nsec)
		return 0;
	if (nsec >= NSEC_PER_SEC)
		nsec = NSEC_PER_SEC - 1;
	/* saturate rather than wrap: a huge timeout means "forever" */
	if (sec > (U64_MAX - nsec) / NSEC_PER_SEC / 2)
		ns = U64_MAX / 2;
	else
		ns = sec * NSEC_PER_SEC + nsec;
	return get_jiffies_64() + nsecs_to_jiffies64(ns);
}

static bool f2p_type_ok(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

bool f2p_attr_ok(const struct fuse_attr *attr)
{
	return f2p_type_ok(attr->mode) && attr->size <= LLONG_MAX;
}

/* i_generation holds 32 bits: the server's 64 are compared as kept */
bool f2p_inode_stale(struct inode *inode, u64 generation,
		     const struct fuse_attr *attr)
{
	return inode->i_generation != (u32)generation ||
	       inode_wrong_type(inode, attr->mode);
}

void f2p_make_bad(struct inode *inode)
{
	/* the root stays hashed: there is no other inode to replace it */
	if (inode != inode->i_sb->s_root->d_inode)
		remove_inode_hash(inode);
	set_bit(F2P_I_BAD, &F2P_I(inode)->state);
}

static struct timespec64 f2p_ts(u64 sec, u32 nsec)
{
	struct timespec64 ts = {
		.tv_sec = (s64)sec,
		.tv_nsec = min_t(u32, nsec, NSEC_PER_SEC - 1),
	};
	return ts;
}

/*
 * Cached data of a regular file after new attributes: a new size always
 * cuts the cache there, and unless the server said it invalidates data
 * itself (EXPLICIT_INVAL_DATA) drops the rest too, since the file was
 * changed behind our back; with AUTO_INVAL_DATA a new mtime does as well.
 * Our own SETATTR changed the file through us: only its size counts.
 */
static void f2p_attr_inval_data(struct inode *inode, loff_t oldsize,
				const struct timespec64 *old_mtime, bool ours)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct timespec64 mtime = f2p_inode_get_mtime(inode);
	loff_t size = i_size_read(inode);
	bool inval;

	if (size != oldsize) {
		truncate_pagecache(inode, size);
		inval = ours || !fc->explicit_inval_data;
	} else {
		inval = !ours && fc->auto_inval_data &&
			!timespec64_equal(old_mtime, &mtime);
	}
	if (inval)
		invalidate_inode_pages2(inode->i_mapping);
}

/* the server's block size, if it is a sane one */
static unsigned int f2p_blkbits(struct inode *inode, u32 blksize)
{
	if (blksize && blksize <= (1U << 30))
		return ilog2(blksize);
	return inode->i_sb->s_blocksize_bits;
}

/*
 * The attributes of @inode changed behind the cache (our own request
 * changed them on the server, or the server said so): forget them, and
 * make every answer already on its way stale, so a GETATTR sent before the
 * change cannot bring back the old nlink, mode or size.  Not with fi->lock.
 */
void f2p_attr_stale(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);

	spin_lock(&fi->lock);
	fi->attr_version = atomic64_inc_return(&f2p_inode_conn(inode)->attr_version);
	fi->attr_expire = 0;
	spin_unlock(&fi->lock);
}

/* how f2p_apply_attr() got its attributes */
#define F2P_ATTR_OURS	1	/* the answer to our SETATTR ... */
#define F2P_ATTR_SIZE	2	/* ... which set the size */

/*
 * @sx: the STATX answer @attr came from (NULL for the other replies),
 * which also says whether the file has a birth time.
 */
static void f2p_apply_attr(struct inode *inode, const struct fuse_attr *attr,
			   u64 attr_valid, u64 attr_version, unsigned int how,
			   const struct fuse_statx *sx)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_inode *fi = F2P_I(inode);
	bool ours = how & F2P_ATTR_OURS;
	/*
	 * Writeback cache: a regular file's size, mtime and ctime are the
	 * kernel's (it may hold data the server has not seen), except what
	 * our own SETATTR just set.
	 */
	bool wb = fc->writeback_cache && S_ISREG(inode->i_mode);
	struct timespec64 mtime, old_mtime;
	bool link_changed, dir_changed;
	loff_t oldsize;

	spin_lock(&fi->lock);
	/* an answer that started before a newer one landed is stale */
	if (attr_version && fi->attr_version > attr_version) {
		spin_unlock(&fi->lock);
		return;
	}
	fi->attr_version = atomic64_inc_return(&fc->attr_version);
	fi->attr_expire = attr_valid;
	clear_bit(F2P_I_ATIME_STALE, &fi->state);

	inode->i_ino = attr->ino;
	/*
	 * Without default_permissions the server judges every access, so
	 * the VFS must not refuse a removal from a sticky directory on its
	 * own.  stat() still shows the bit.
	 */
	fi->orig_mode = (inode->i_mode & S_IFMT) | (attr->mode & 07777);
	inode->i_mode = fi->orig_mode;
	if (!fc->default_permissions)
		inode->i_mode &= ~S_ISVTX;
	set_nlink(inode, attr->nlink);
	inode->i_uid = make_kuid(fc->user_ns, attr->uid);
	inode->i_gid = make_kgid(fc->user_ns, attr->gid);
	inode->i_blocks = attr->blocks;
	f2p_inode_set_atime(inode, f2p_ts(attr->atime, attr->atimensec));
	mtime = f2p_ts(attr->mtime, attr->mtimensec);
	old_mtime = f2p_inode_get_mtime(inode);
	link_changed = S_ISLNK(inode->i_mode) &&
		       (attr->size != i_size_read(inode) ||
			!timespec64_equal(&mtime, &old_mtime));
	dir_changed = S_ISDIR(inode->i_mode) &&
		      (attr->size != i_size_read(inode) ||
		       !timespec64_equal(&mtime, &old_mtime));
	if (!wb || ours) {
		f2p_inode_set_mtime(inode, mtime);
		f2p_inode_set_ctime(inode, f2p_ts(attr->ctime, attr->ctimensec));
	}
	inode->i_blkbits = f2p_blkbits(inode, attr->blksize);
	oldsize = i_size_read(inode);
	if (!wb || (how & F2P_ATTR_SIZE))
		i_size_write(inode, attr->size);
	if (sx) {
		set_bit(F2P_I_BTIME_ASKED, &fi->state);
		if (sx->mask & STATX_BTIME) {
			fi->btime = f2p_ts(sx->btime.tv_sec, sx->btime.tv_nsec);
			set_bit(F2P_I_BTIME, &fi->state);
		} else {
			clear_bit(F2P_I_BTIME, &fi->state);
		}
	}
	spin_unlock(&fi->lock);

	/* ACLs are as fresh as the attributes they came with */
	if (fc->posix_acl)
		forget_all_cached_acls(inode);

	/* a cached symlink target goes with the symlink's data */
	if (link_changed)
		truncate_inode_pages(&inode->i_data, 0);
	/* and a cached listing with the directory's */
	if (dir_changed)
		f2p_dcache_drop(inode);

	if (S_ISREG(inode->i_mode))
		f2p_attr_inval_data(inode, oldsize, &old_mtime, ours);
}

/* Fresh attributes from the server (LOOKUP, GETATTR, READDIRPLUS ...). */
void f2p_change_attr(struct inode *inode, const struct fuse_attr *attr,
		     u64 attr_valid, u64 attr_version)
{
	f2p_apply_attr(inode, attr, attr_valid, attr_version, 0, NULL);
}

static void f2p_init_inode(struct inode *inode, const struct fuse_attr *attr,
			   u64 generation)
{
	inode->i_mode = attr->mode & S_IFMT;
	if (!f2p_inode_conn(inode)->posix_acl)
		f2p_acl_dont_cache(inode);
	inode->i_generation = generation;
	/* where the kernel keeps size and times later, it starts from these */
	i_size_write(inode, attr->size);
	f2p_inode_set_mtime(inode, f2p_ts(attr->mtime, attr->mtimensec));
	f2p_inode_set_ctime(inode, f2p_ts(attr->ctime, attr->ctimensec));
	/*
	 * Times are the server's: the VFS must not stamp its own, except
	 * the mtime and ctime of a regular file under the writeback cache.
	 */
	inode->i_flags |= S_NOATIME;
	if (!f2p_inode_conn(inode)->writeback_cache || !S_ISREG(inode->i_mode))
		inode->i_flags |= S_NOCMTIME;
	switch (inode->i_mode) {
	case S_IFREG:
		f2p_lockdep_reg_inode(inode);
		inode->i_op = &f2p_file_iops;
		inode->i_fop = &f2p_file_fops;
		inode->i_data.a_ops = &f2p_file_aops;
		f2p_file_folios(inode);
		break;
	case S_IFDIR:
		inode->i_op = &f2p_dir_iops;
		inode->i_fop = &f2p_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &f2p_symlink_iops;
		inode->i_data.a_ops = &f2p_symlink_aops;
		inode_nohighmem(inode);
		break;
	default:
		inode->i_op = &f2p_special_iops;
		init_special_inode(inode, inode->i_mode,
				   new_decode_dev(attr->rdev));
		break;
	}
}

int f2p_inode_test(struct inode *inode, void *data)
{
	return F2P_I(inode)->nodeid == *(u64 *)data;
}

static int f2p_inode_set(struct inode *inode, void *data)
{
	F2P_I(inode)->nodeid = *(u64 *)data;
	return 0;
}

/*
 * Find or make the inode for @nodeid and count one more lookup on it.
 * The caller has validated @attr.  Returns NULL only for lack of memory.
 */
struct inode *f2p_iget(struct super_block *sb, u64 nodeid, u64 generation,
		       const struct fuse_attr *attr, u64 attr_valid,
		       u64 attr_version)
{
	struct inode *inode;
	struct f2p_inode *fi;

retry:
	inode = iget5_locked(sb, nodeid, f2p_inode_test, f2p_inode_set, &nodeid);
	if (!inode)
		return NULL;
	if (f2p_inode_is_new(inode)) {
		f2p_init_inode(inode, attr, generation);
		unlock_new_inode(inode);
	} else if (f2p_inode_stale(inode, generation, attr)) {
		/* the server reused the nodeid for a different object */
		f2p_make_bad(inode);
		if (inode != sb->s_root->d_inode) {
			iput(inode);
			goto retry;
		}
	}
	fi = F2P_I(inode);
	spin_lock(&fi->lock);
	fi->nlookup++;
	spin_unlock(&fi->lock);
	f2p_change_attr(inode, attr, attr_valid, attr_version);
	return inode;
}

/* The server counted a lookup we cannot use: give it back. */
void f2p_give_back(struct f2p_conn *fc, u64 nodeid)
{
	struct f2p_forget *forget = kzalloc(sizeof(*forget), GFP_KERNEL);

	if (forget)
		f2p_queue_forget(fc, forget, nodeid, 1);
}

bool f2p_allow_current(const struct f2p_conn *fc)
{
	const struct cred *c = current_cred();
	const kuid_t uids[] = { c->uid, c->euid, c->suid };
	const kgid_t gids[] = { c->gid, c->egid, c->sgid };
	unsigned int i;

	if (fc->allow_other)
		return true;
	/*
	 * Only the mount's owner, and only as itself through and through: a
	 * set-id program run by the owner (or one the owner runs as someone
	 * else) could turn the server's answers against the other identity.
	 */
	for (i = 0; i < ARRAY_SIZE(uids); i++)
		if (!uid_eq(uids[i], fc->user_id) || !gid_eq(gids[i], fc->group_id))
			return false;
	return true;
}

static int f2p_do_getattr(struct inode *inode, struct file *file)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_getattr_in in = {};
	struct fuse_attr_out out = {};
	struct f2p_args args = {};
	u64 version;
	ssize_t err;

	if (file && file->private_data && S_ISREG(inode->i_mode)) {
		struct f2p_file *ff = file->private_data;

		in.getattr_flags |= FUSE_GETATTR_FH;
		in.fh = ff->fh;
	}
	args.opcode = FUSE_GETATTR;
	args.nodeid = f2p_nodeid(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.out_numargs = 1;
	args.out_args[0].size = f2p_attr_out_size(fc);
	args.out_args[0].value = &out;

	version = atomic64_read(&fc->attr_version);
	err = f2p_request(fc, &args);
	if (err)
		return err;
	if (!f2p_attr_ok(&out.attr) || inode_wrong_type(inode, out.attr.mode)) {
		pr_warn_ratelimited("server returned bad attributes for nodeid %llu\n",
				    f2p_nodeid(inode));
		f2p_make_bad(inode);
		return -EIO;
	}
	f2p_change_attr(inode, &out.attr,
			f2p_expiry(out.attr_valid, out.attr_valid_nsec),
			version);
	return 0;
}

int f2p_update_attr(struct inode *inode, struct file *file, bool force)
{
	if (f2p_is_bad(inode))
		return -EIO;
	if (!force && time_before64(get_jiffies_64(), F2P_I(inode)->attr_expire))
		return 0;
	return f2p_do_getattr(inode, file);
}

/* what a stat() can learn from the server: btime only by STATX */
#define F2P_STATX_MASK	(STATX_BASIC_STATS | STATX_BTIME)

/*
 * STATX answers with a mask: only the fields it names are the server's
 * word, and only the checkable ones it names are checked.
 */
static bool f2p_statx_ok(struct inode *inode, const struct fuse_statx *sx)
{
	if ((sx->mask & STATX_SIZE) && sx->size > LLONG_MAX)
		return false;
	if ((sx->mask & STATX_TYPE) &&
	    (!f2p_type_ok(sx->mode) || inode_wrong_type(inode, sx->mode)))
		return false;
	return true;
}

/* STATX's fields as GETATTR's (rdev left out: it never changes an inode) */
static void f2p_statx_attr(const struct fuse_statx *sx, struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = sx->ino;
	attr->size = sx->size;
	attr->blocks = sx->blocks;
	attr->atime = sx->atime.tv_sec;
	attr->atimensec = sx->atime.tv_nsec;
	attr->mtime = sx->mtime.tv_sec;
	attr->mtimensec = sx->mtime.tv_nsec;
	attr->ctime = sx->ctime.tv_sec;
	attr->ctimensec = sx->ctime.tv_nsec;
	attr->mode = sx->mode;
	attr->nlink = sx->nlink;
	attr->uid = sx->uid;
	attr->gid = sx->gid;
	attr->blksize = sx->blksize;
}

/*
 * An answer without all the basic stats is not cached; stat() gets it
 * as it came (the fields it does not name too, with the inode's type),
 * and its mask says which fields count.  Stock fuse does the same.
 */
static void f2p_stat_from_attr(struct inode *inode, const struct fuse_attr *attr,
			       struct kstat *stat)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);

	stat->ino = attr->ino;
	stat->mode = (inode->i_mode & S_IFMT) | (attr->mode & 07777);
	stat->nlink = attr->nlink;
	stat->uid = make_kuid(fc->user_ns, attr->uid);
	stat->gid = make_kgid(fc->user_ns, attr->gid);
	stat->atime = f2p_ts(attr->atime, attr->atimensec);
	stat->mtime = f2p_ts(attr->mtime, attr->mtimensec);
	stat->ctime = f2p_ts(attr->ctime, attr->ctimensec);
	stat->size = attr->size;
	stat->blocks = attr->blocks;
	stat->blksize = 1U << f2p_blkbits(inode, attr->blksize);
}

/* STATX for the basic stats and btime; fills @stat from the answer. */
static int f2p_do_statx(F2P_IDMAP_T *idmap, struct inode *inode,
			u32 request_mask, struct kstat *stat)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_statx_in in = { .sx_mask = F2P_STATX_MASK };
	struct fuse_statx_out out = {};
	const struct fuse_statx *sx = &out.stat;
	struct f2p_args args = {};
	struct fuse_attr attr;
	u64 version;
	ssize_t err;

	args.opcode = FUSE_STATX;
	args.nodeid = f2p_nodeid(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.out_numargs = 1;
	args.out_args[0].size = sizeof(out);
	args.out_args[0].value = &out;

	version = atomic64_read(&fc->attr_version);
	err = f2p_request(fc, &args);
	if (err)
		return err;
	if (!f2p_statx_ok(inode, sx)) {
		pr_warn_ratelimited("server returned bad STATX attributes for nodeid %llu\n",
				    f2p_nodeid(inode));
		f2p_make_bad(inode);
		return -EIO;
	}
	f2p_statx_attr(sx, &attr);
	if ((sx->mask & STATX_BASIC_STATS) == STATX_BASIC_STATS) {
		f2p_apply_attr(inode, &attr,
			       f2p_expiry(out.attr_valid, out.attr_valid_nsec),
			       version, 0, sx);
		f2p_fillattr(idmap, request_mask, inode, stat);
		stat->mode = READ_ONCE(F2P_I(inode)->orig_mode);
	} else {
		f2p_fillattr(idmap, request_mask, inode, stat);
		f2p_stat_from_attr(inode, &attr, stat);
	}
	/* what the server named, of what we asked; never more */
	stat->result_mask = (sx->mask & F2P_STATX_MASK) | STATX_TYPE;
	if (sx->mask & STATX_BTIME)
		stat->btime = f2p_ts(sx->btime.tv_sec, sx->btime.tv_nsec);
	return 0;
}

/* Whether a stat() for @mask must ask the server. */
static bool f2p_stat_must_ask(struct inode *inode, u32 mask,
			      unsigned int flags)
{
	struct f2p_inode *fi = F2P_I(inode);

	if (!mask)
		return false;
	if (flags & AT_STATX_FORCE_SYNC)
		return true;
	if (flags & AT_STATX_DONT_SYNC)
		return false;
	if ((mask & STATX_ATIME) && test_bit(F2P_I_ATIME_STALE, &fi->state))
		return true;
	if ((mask & STATX_BTIME) && !test_bit(F2P_I_BTIME_ASKED, &fi->state))
		return true;
	return !time_before64(get_jiffies_64(), fi->attr_expire);
}

/*
 * stat() and statx(): GETATTR when the cache is not enough, STATX when
 * btime is asked for too (until the server says ENOSYS to it).  A stat
 * answered from the cache shows the btime a STATX brought, asked for or
 * not; as in stock fuse, one answered by GETATTR does not.
 */
int f2p_getattr(F2P_IDMAP_T *idmap, const struct path *path,
		       struct kstat *stat, u32 request_mask,
		       unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_inode *fi = F2P_I(inode);
	u32 mask = request_mask & F2P_STATX_MASK;
	bool ask;
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (!f2p_allow_current(fc)) {
		/* asked for nothing: the device number alone, as stock fuse */
		if (!request_mask) {
			stat->result_mask = 0;
			stat->dev = inode->i_sb->s_dev;
			return 0;
		}
		return -EACCES;
	}
	if (READ_ONCE(fc->no_statx))
		mask &= ~STATX_BTIME;
	ask = f2p_stat_must_ask(inode, mask, flags);
	if (ask && (mask & STATX_BTIME)) {
		err = f2p_do_statx(idmap, inode, request_mask, stat);
		if (err != -ENOSYS)
			return err;
		WRITE_ONCE(fc->no_statx, true);
		mask &= ~STATX_BTIME;
		ask = f2p_stat_must_ask(inode, mask, flags);
	}
	if (ask) {
		err = f2p_do_getattr(inode, NULL);
		if (err)
			return err;
	}
	f2p_fillattr(idmap, request_mask, inode, stat);
	stat->mode = READ_ONCE(fi->orig_mode);
	if (!ask) {
		spin_lock(&fi->lock);
		if (test_bit(F2P_I_BTIME, &fi->state)) {
			stat->btime = fi->btime;
			stat->result_mask |= STATX_BTIME;
		}
		spin_unlock(&fi->lock);
	}
	return 0;
}

static int f2p_access(struct inode *inode, int mask)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_access_in in = {};
	struct f2p_args args = {};
	ssize_t err;

	if (fc->no_access)
		return 0;
	in.mask = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
	args.opcode = FUSE_ACCESS;
	args.nodeid = f2p_nodeid(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		fc->no_access = true;
		err = 0;
	}
	return err;
}

/*
 * Without default_permissions the server decides; we only ask it for
 * access(2) and chdir, and refuse exec of a file nobody may execute.
 */
int f2p_permission(F2P_IDMAP_T *idmap, struct inode *inode, int mask)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (!f2p_allow_current(fc))
		return -EACCES;

	if (fc->default_permissions) {
		if (time_before64(get_jiffies_64(), F2P_I(inode)->attr_expire))
			return generic_permission(idmap, inode, mask);
		if (mask & MAY_NOT_BLOCK)
			return -ECHILD;
		err = f2p_update_attr(inode, NULL, false);
		return err ? err : generic_permission(idmap, inode, mask);
	}

	if (mask & (MAY_ACCESS | MAY_CHDIR)) {
		if (mask & MAY_NOT_BLOCK)
			return -ECHILD;
		return f2p_access(inode, mask);
	}
	if ((mask & MAY_EXEC) && S_ISREG(inode->i_mode) &&
	    !(inode->i_mode & 0111)) {
		if (mask & MAY_NOT_BLOCK)
			return -ECHILD;
		err = f2p_update_attr(inode, NULL, true);
		if (!err && !(inode->i_mode & 0111))
			err = -EACCES;
		return err;
	}
	return 0;
}

/*
 * A write or chown by someone else drops setuid/setgid: the VFS turned
 * ATTR_KILL_SUID/SGID into ATTR_MODE built from our cached i_mode, which
 * may be old (the server's file may have been chmod-ed since) and lacks
 * the sticky bit when the server judges permissions (f2p_apply_attr).
 * Ask the server for the mode now and clear only what must go from it;
 * nothing to clear, nothing sent.
 */
static int f2p_setattr_kill_mode(struct inode *inode, struct iattr *attr)
{
	umode_t now, mode;
	int err;

	err = f2p_do_getattr(inode, NULL);
	if (err)
		return err;
	now = READ_ONCE(F2P_I(inode)->orig_mode);
	mode = now;
	attr->ia_valid &= ~ATTR_MODE;
	if ((attr->ia_valid & ATTR_KILL_SUID) && (mode & S_ISUID))
		mode &= ~S_ISUID;
	/* setgid without group execute is mandatory locking, not privilege */
	if ((attr->ia_valid & ATTR_KILL_SGID) &&
	    (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		mode &= ~S_ISGID;
	if (mode != now) {
		attr->ia_valid |= ATTR_MODE;
		attr->ia_mode = mode;
	}
	return 0;
}

static void f2p_setattr_in(struct f2p_conn *fc, const struct iattr *attr,
			   struct fuse_setattr_in *in)
{
	unsigned int ivalid = attr->ia_valid;

	if (ivalid & ATTR_MODE) {
		in->valid |= FATTR_MODE;
		in->mode = attr->ia_mode;
	}
	if (ivalid & ATTR_UID) {
		in->valid |= FATTR_UID;
		in->uid = from_kuid(fc->user_ns, attr->ia_uid);
	}
	if (ivalid & ATTR_GID) {
		in->valid |= FATTR_GID;
		in->gid = from_kgid(fc->user_ns, attr->ia_gid);
	}
	if (ivalid & ATTR_SIZE) {
		in->valid |= FATTR_SIZE;
		in->size = attr->ia_size;
	}
	if (ivalid & ATTR_ATIME) {
		in->valid |= FATTR_ATIME;
		in->atime = attr->ia_atime.tv_sec;
		in->atimensec = attr->ia_atime.tv_nsec;
		if (!(ivalid & ATTR_ATIME_SET))
			in->valid |= FATTR_ATIME_NOW;
	}
	/*
	 * open(O_TRUNC) and ftruncate() leave the new mtime to the server,
	 * which sets it as part of the truncation anyway.
	 */
	if ((ivalid & ATTR_MTIME) && !(ivalid & ATTR_MTIME_SET) &&
	    (ivalid & ATTR_SIZE) && (ivalid & (ATTR_OPEN | ATTR_FILE)))
		ivalid &= ~ATTR_MTIME;
	if (ivalid & ATTR_MTIME) {
		in->valid |= FATTR_MTIME;
		in->mtime = attr->ia_mtime.tv_sec;
		in->mtimensec = attr->ia_mtime.tv_nsec;
		if (!(ivalid & ATTR_MTIME_SET))
			in->valid |= FATTR_MTIME_NOW;
	}
	if ((ivalid & ATTR_FILE) && attr->ia_file &&
	    attr->ia_file->private_data && S_ISREG(attr->ia_file->f_inode->i_mode)) {
		struct f2p_file *ff = attr->ia_file->private_data;

		in->valid |= FATTR_FH;
		in->fh = ff->fh;
	}
}

int f2p_setattr(F2P_IDMAP_T *idmap, struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_setattr_in in = {};
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (!f2p_allow_current(fc))
		return -EACCES;
	/* without default_permissions the server judges, not the VFS */
	if (!fc->default_permissions)
		attr->ia_valid |= ATTR_FORCE;
	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;
	if (attr->ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID)) {
		err = f2p_setattr_kill_mode(inode, attr);
		if (err)
			return err;
	}
	if (attr->ia_valid & ATTR_OPEN) {
		/* open(O_TRUNC): the OPEN request already truncated */
		if (fc->atomic_o_trunc && S_ISREG(inode->i_mode)) {
			i_size_write(inode, 0);
			truncate_pagecache(inode, 0);
			f2p_attr_stale(inode);
			/* writeback cache: the new times are ours to keep */
			if (fc->writeback_cache) {
				f2p_inode_set_mtime(inode, attr->ia_mtime);
				f2p_inode_set_ctime(inode, attr->ia_ctime);
				mark_inode_dirty_sync(inode);
			}
			return 0;
		}
		/* the file may be open read-only: truncate by node, not by fh */
		attr->ia_valid &= ~ATTR_FILE;
	}
	f2p_setattr_in(fc, attr, &in);
	if (!in.valid)
		return 0;
	/*
	 * Our dirty pages go first (a truncate must not meet them later);
	 * with the writeback cache our times too, so that the answer's
	 * size and times are the file's.
	 */
	/* async direct writes in flight end first (dio.c) */
	if (S_ISREG(inode->i_mode) && (attr->ia_valid & ATTR_SIZE))
		inode_dio_wait(inode);
	if (S_ISREG(inode->i_mode) &&
	    ((attr->ia_valid & ATTR_SIZE) || fc->writeback_cache)) {
		err = f2p_wb_sync(inode);
		if (err)
			return err;
	}
	err = f2p_send_setattr(inode, &in);
	if (err)
		return err;
	if ((attr->ia_valid & ATTR_SIZE) && S_ISREG(inode->i_mode))
		truncate_pagecache(inode, i_size_read(inode));
	return 0;
}

/* SETATTR of the mode alone: an ACL that changed it (acl.c) */
int f2p_setattr_mode(struct inode *inode, umode_t mode)
{
	struct fuse_setattr_in in = {
		.valid = FATTR_MODE,
		.mode = mode,
	};

	return f2p_send_setattr(inode, &in);
}

int f2p_send_setattr(struct inode *inode, struct fuse_setattr_in *in)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_attr_out out = {};
	struct f2p_args args = {};
	ssize_t err;

	args.opcode = FUSE_SETATTR;
	args.nodeid = f2p_nodeid(inode);
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(*in);
	args.in_args[0].value = in;
	args.out_numargs = 1;
	args.out_args[0].size = f2p_attr_out_size(fc);
	args.out_args[0].value = &out;
	err = f2p_request(fc, &args);
	if (err) {
		f2p_attr_stale(inode);
		return err;
	}
	if (!f2p_attr_ok(&out.attr) || inode_wrong_type(inode, out.attr.mode)) {
		f2p_make_bad(inode);
		return -EIO;
	}
	/* this answer is the newest there is: no version check */
	f2p_apply_attr(inode, &out.attr,
		       f2p_expiry(out.attr_valid, out.attr_valid_nsec), 0,
		       F2P_ATTR_OURS |
		       ((in->valid & FATTR_SIZE) ? F2P_ATTR_SIZE : 0), NULL);
	return 0;
}

const struct inode_operations f2p_file_iops = {
	.getattr	= f2p_getattr,
	.permission	= f2p_permission,
	.setattr	= f2p_setattr,
	.listxattr	= f2p_listxattr,
	F2P_ACL_IOPS,
	F2P_FILEATTR_IOPS
};

const struct inode_operations f2p_special_iops = {
	.getattr	= f2p_getattr,
	.permission	= f2p_permission,
	.setattr	= f2p_setattr,
	.listxattr	= f2p_listxattr,
	F2P_ACL_IOPS,
	F2P_FILEATTR_IOPS
};

/* the VFS half of an inode is set up once per slab object, not per use */
static void f2p_inode_init_once(void *obj)
{
	struct f2p_inode *fi = obj;

	inode_init_once(&fi->vfs);
	mutex_init(&fi->dirop);
}

int f2p_inode_cache_init(void)
{
	f2p_inode_cache = kmem_cache_create("fuse2pt_inode",
					    sizeof(struct f2p_inode), 0,
					    SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					    f2p_inode_init_once);
	return f2p_inode_cache ? 0 : -ENOMEM;
}

void f2p_inode_cache_exit(void)
{
	/* inodes are freed after an RCU grace period */
	rcu_barrier();
	kmem_cache_destroy(f2p_inode_cache);
}
