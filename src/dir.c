// SPDX-License-Identifier: GPL-2.0
/*
 * Directories: OPENDIR, READDIR or READDIRPLUS, RELEASEDIR, FSYNCDIR.
 *
 * Each READDIR reply is a packed run of fuse_dirent records.  A record
 * that claims more bytes than the reply holds ends the run (the server
 * said less than it meant); a record with an empty or over-long name, or
 * a name containing '/', is a broken server and gives EIO.
 *
 * READDIRPLUS records carry a LOOKUP answer as well.  The server counted
 * each one with a nodeid as a lookup, so every such record ends either in
 * the dcache (one more nlookup on its inode) or in a FORGET, whether or
 * not the caller's buffer had room for the name.
 *
 * An open the server marked FOPEN_CACHE_DIR reads and fills the
 * directory's listing cache (dircache.c): records go there only after
 * the checks here passed, in the order the server gave them.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include "fuse2pt.h"

static int f2p_dir_open(struct inode *inode, struct file *file)
{
	struct f2p_file *ff;

	if (f2p_is_bad(inode))
		return -EIO;
	ff = f2p_file_open(inode, file, true);
	if (IS_ERR(ff))
		return PTR_ERR(ff);
	file->private_data = ff;
	/* unless the server vouches for the cached listing, it goes */
	if (!(ff->open_flags & FOPEN_KEEP_CACHE))
		f2p_dcache_drop(inode);
	return 0;
}

static int f2p_dir_release(struct inode *inode, struct file *file)
{
	f2p_file_release(inode, file, true);
	return 0;
}

static int f2p_dir_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_fsync_in in = {
		.fh = ff->fh,
		.fsync_flags = datasync ? FUSE_FSYNC_FDATASYNC : 0,
	};
	struct f2p_args args = {
		.opcode = FUSE_FSYNCDIR,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
	};
	ssize_t err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (READ_ONCE(fc->no_fsyncdir))
		return 0;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		/* nothing to sync then, as for a server without FSYNC */
		WRITE_ONCE(fc->no_fsyncdir, true);
		err = 0;
	}
	return err;
}

/* A dirent is sane: a real name, of a length that fits, without '/'. */
static int f2p_dirent_check(const struct fuse_dirent *d)
{
	if (!d->namelen || d->namelen > F2P_NAME_MAX)
		return -EIO;
	if (memchr(d->name, '/', d->namelen))
		return -EIO;
	return 0;
}

/* Where the records of one reply go besides the caller's buffer. */
struct f2p_rd_cache {
	struct inode *dir;	/* NULL: the open does not cache */
	u64 version;		/* of the cache when the request went out */
	u64 pos;		/* the server's offset of the next record */
};

static void f2p_rd_cache_add(struct f2p_rd_cache *rc,
			     const struct fuse_dirent *d)
{
	if (rc->dir)
		f2p_dcache_add(rc->dir, rc->version, rc->pos, d);
	rc->pos = d->off;
}

/* Emit the records of one reply; returns 1 when the caller's buffer is full. */
static int f2p_parse_dirents(struct dir_context *ctx, const char *buf,
			     size_t nbytes, struct f2p_rd_cache *rc)
{
	while (nbytes >= FUSE_NAME_OFFSET) {
		const struct fuse_dirent *d = (const void *)buf;
		size_t reclen;

		if (!d->namelen || d->namelen > F2P_NAME_MAX)
			return -EIO;
		reclen = FUSE_DIRENT_SIZE(d);
		if (reclen > nbytes)
			break;
		if (f2p_dirent_check(d))
			return -EIO;
		f2p_rd_cache_add(rc, d);
		if (!dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
			return 1;
		ctx->pos = d->off;
		buf += reclen;
		nbytes -= reclen;
	}
	return 0;
}

static bool f2p_is_dot(const char *name, unsigned int len)
{
	return name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'));
}

/*
 * Bind one READDIRPLUS record to the dcache, as LOOKUP would have.
 * Returns false when the lookup it carries must be given back.
 */
static bool f2p_rdplus_bind(struct dentry *parent,
			    const struct fuse_direntplus *dp, u64 version)
{
	const struct fuse_entry_out *o = &dp->entry_out;
	struct qstr name = QSTR_INIT(dp->dirent.name, dp->dirent.namelen);
	F2P_DECLARE_D_ALLOC_WQ(wq);
	struct super_block *sb = parent->d_sb;
	struct dentry *dentry, *alias;
	struct inode *inode;
	u64 entry_exp = f2p_expiry(o->entry_valid, o->entry_valid_nsec);
	u64 attr_exp = f2p_expiry(o->attr_valid, o->attr_valid_nsec);

	if (!f2p_attr_ok(&o->attr) || o->nodeid == FUSE_ROOT_ID ||
	    (o->attr.mode & S_IFMT) >> 12 != dp->dirent.type)
		return false;
	name.hash = full_name_hash(parent, name.name, name.len);
	dentry = d_lookup(parent, &name);
	for (;;) {
		if (!dentry) {
			dentry = f2p_d_alloc_parallel(parent, &name, &wq);
			if (IS_ERR(dentry))
				return false;
		}
		if (d_in_lookup(dentry))
			break;
		inode = d_inode(dentry);
		if (inode && f2p_nodeid(inode) == o->nodeid &&
		    !f2p_is_bad(inode) &&
		    !f2p_inode_stale(inode, o->generation, &o->attr)) {
			/* the name we know: count the lookup, take the attrs */
			struct f2p_inode *fi = F2P_I(inode);

			spin_lock(&fi->lock);
			fi->nlookup++;
			spin_unlock(&fi->lock);
			f2p_change_attr(inode, &o->attr, attr_exp, version);
			f2p_set_entry_expiry(dentry, entry_exp);
			dput(dentry);
			return true;
		}
		/* the name moved on to another object: forget the old */
		d_invalidate(dentry);
		dput(dentry);
		dentry = NULL;
	}
	inode = f2p_iget(sb, o->nodeid, o->generation, &o->attr, attr_exp,
			 version);
	if (!inode) {
		d_lookup_done(dentry);
		dput(dentry);
		return false;
	}
	/* from here on the inode holds the lookup: eviction forgets it */
	alias = d_splice_alias(inode, dentry);
	d_lookup_done(dentry);
	if (IS_ERR(alias)) {
		dput(dentry);
		return true;
	}
	if (alias) {
		dput(dentry);
		dentry = alias;
	}
	f2p_set_entry_expiry(dentry, entry_exp);
	dput(dentry);
	return true;
}

/* Like f2p_parse_dirents, for READDIRPLUS records. */
static int f2p_parse_direntplus(struct file *file, struct dir_context *ctx,
				const char *buf, size_t nbytes, u64 version,
				struct f2p_rd_cache *rc)
{
	struct f2p_conn *fc = f2p_inode_conn(file_inode(file));
	bool full = false;
	int err = 0;

	while (nbytes >= FUSE_NAME_OFFSET_DIRENTPLUS) {
		const struct fuse_direntplus *dp = (const void *)buf;
		const struct fuse_dirent *d = &dp->dirent;
		size_t reclen = FUSE_DIRENTPLUS_SIZE(dp);
		bool bad;

		if (reclen > nbytes) {
			/* a cut-off record ends the reply; a lying one is an error */
			if (!d->namelen || d->namelen > F2P_NAME_MAX)
				err = -EIO;
			break;
		}
		bad = f2p_dirent_check(d);
		/*
		 * A broken record fails the listing.  Its own lookup is ours
		 * to give back; what follows it cannot be trusted to be
		 * records at all (a FORGET of a made-up nodeid could kill
		 * the server), so those lookups stay with the server.
		 */
		if (bad) {
			if (dp->entry_out.nodeid &&
			    !(d->namelen && f2p_is_dot(d->name, d->namelen)))
				f2p_give_back(fc, dp->entry_out.nodeid);
			err = -EIO;
			break;
		}
		f2p_rd_cache_add(rc, d);
		if (!full) {
			if (dir_emit(ctx, d->name, d->namelen, d->ino, d->type))
				ctx->pos = d->off;
			else
				full = true;
		}
		/* "." and ".." come without a counted lookup */
		if (dp->entry_out.nodeid && !f2p_is_dot(d->name, d->namelen) &&
		    !f2p_rdplus_bind(file->f_path.dentry, dp, version))
			f2p_give_back(fc, dp->entry_out.nodeid);
		buf += reclen;
		nbytes -= reclen;
	}
	return err ? err : full;
}

/* READDIRPLUS for this batch?  With AUTO, when names were looked up. */
static bool f2p_want_plus(struct inode *dir, struct dir_context *ctx)
{
	struct f2p_conn *fc = f2p_inode_conn(dir);

	if (!fc->readdirplus)
		return false;
	if (!fc->readdirplus_auto)
		return true;
	return test_and_clear_bit(F2P_I_RDPLUS_HINT, &F2P_I(dir)->state) ||
	       ctx->pos == 0;
}

/*
 * How much one READDIR asks for: a page, or where the VFS tells how big
 * the caller's buffer is, as much (up to max_pages), so that a listing
 * takes as few round trips as the caller allows.
 */
static size_t f2p_readdir_size(struct f2p_conn *fc, struct dir_context *ctx)
{
	size_t max = (size_t)fc->max_pages << PAGE_SHIFT;
	int count = f2p_dir_ctx_count(ctx);

	if (count <= (int)PAGE_SIZE)
		return PAGE_SIZE;
	return min_t(size_t, round_up((size_t)count, PAGE_SIZE), max);
}

static int f2p_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_read_in in = {};
	struct f2p_args args = {};
	struct f2p_rd_cache rc = {};
	bool plus;
	bool locked;
	u64 version;
	size_t size;
	ssize_t n;
	char *buf;
	int err = 0;

	if (f2p_is_bad(inode))
		return -EIO;
	if (ff->open_flags & FOPEN_CACHE_DIR) {
		err = f2p_dcache_readdir(file, ctx);
		if (err <= 0)
			return err;
		rc.dir = inode;
		rc.version = f2p_dcache_version(inode);
	}
	rc.pos = ctx->pos;
	plus = f2p_want_plus(inode, ctx);
	size = f2p_readdir_size(fc, ctx);
	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/*
	 * One READDIR per call: getdents comes back for more, and a reply
	 * that yields no record ends the listing instead of spinning.
	 */
	in.fh = ff->fh;
	in.offset = ctx->pos;
	in.size = size;
	in.flags = file->f_flags;
	args.opcode = plus ? FUSE_READDIRPLUS : FUSE_READDIR;
	args.nodeid = ff->nodeid;
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.out_numargs = 1;
	args.out_argvar = true;
	args.out_args[0].size = size;
	args.out_args[0].value = buf;
	version = atomic64_read(&fc->attr_version);
	/* binding READDIRPLUS entries may wait for lookups: unlock first */
	locked = f2p_dirop_lock(inode);
	n = f2p_request(fc, &args);
	f2p_dirop_unlock(inode, locked);
	if (n >= 0)
		f2p_invalidate_atime(inode);
	if (n < 0)
		err = n;
	else if (n > 0 && plus)
		err = f2p_parse_direntplus(file, ctx, buf, n, version, &rc);
	else if (n > 0)
		err = f2p_parse_dirents(ctx, buf, n, &rc);
	else if (rc.dir)
		f2p_dcache_end(inode, rc.version, rc.pos);
	kvfree(buf);
	return err < 0 ? err : 0;
}

const struct file_operations f2p_dir_fops = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= f2p_readdir,
	.open		= f2p_dir_open,
	.release	= f2p_dir_release,
	.fsync		= f2p_dir_fsync,
	.unlocked_ioctl	= f2p_dir_ioctl,
	.compat_ioctl	= f2p_compat_ioctl,
};
