// SPDX-License-Identifier: GPL-2.0
/*
 * Names: LOOKUP, the dentry cache's trust in what the server said (entry
 * timeouts, revalidation), and symlink targets.
 */
#include <linux/slab.h>
#include <linux/namei.h>
#include <linux/jiffies.h>
#include <linux/pagemap.h>
#include "fuse2pt.h"


static void f2p_entry_args(struct f2p_conn *fc, struct f2p_args *args,
			   u64 nodeid, const struct qstr *name,
			   struct fuse_entry_out *out)
{
	memset(out, 0, sizeof(*out));
	args->opcode = FUSE_LOOKUP;
	args->nodeid = nodeid;
	args->in_numargs = 1;
	args->in_args[0].size = name->len + 1;
	args->in_args[0].value = (void *)name->name;
	args->out_numargs = 1;
	args->out_args[0].size = f2p_entry_out_size(fc);
	args->out_args[0].value = out;
}

/*
 * Ask the server for @name in directory @nodeid.  On success *inodep is
 * the inode, or NULL for a name that does not exist (the server said
 * ENOENT, or nodeid 0 meaning "no such entry, and you may cache that").
 */
int f2p_lookup_name(struct super_block *sb, u64 nodeid,
		    const struct qstr *name, struct fuse_entry_out *out,
		    struct inode **inodep)
{
	struct f2p_conn *fc = f2p_sb_conn(sb);
	struct f2p_args args = {};
	struct inode *inode;
	u64 version;
	ssize_t err;

	*inodep = NULL;
	if (name->len > F2P_NAME_MAX)
		return -ENAMETOOLONG;

	f2p_entry_args(fc, &args, nodeid, name, out);
	version = atomic64_read(&fc->attr_version);
	err = f2p_request(fc, &args);
	if (err)
		return err;
	if (!out->nodeid)
		return 0;

	if (!f2p_attr_ok(&out->attr) ||
	    (out->nodeid == FUSE_ROOT_ID && out->generation)) {
		err = -EIO;
		goto forget;
	}
	inode = f2p_iget(sb, out->nodeid, out->generation, &out->attr,
			 f2p_expiry(out->attr_valid, out->attr_valid_nsec),
			 version);
	if (!inode) {
		err = -ENOMEM;
		goto forget;
	}
	*inodep = inode;
	return 0;

forget:
	/* the server counted this lookup: give it back */
	{
		struct f2p_forget *forget = kzalloc(sizeof(*forget), GFP_KERNEL);

		if (forget)
			f2p_queue_forget(fc, forget, out->nodeid, 1);
	}
	return err;
}

static struct dentry *f2p_lookup(struct inode *dir, struct dentry *entry,
				 unsigned int flags)
{
	struct fuse_entry_out out;
	struct inode *inode;
	struct dentry *alias;
	bool locked;
	int err;

	if (f2p_is_bad(dir))
		return ERR_PTR(-EIO);
	/* names looked up one at a time: the next listing may bring attrs */
	set_bit(F2P_I_RDPLUS_HINT, &F2P_I(dir)->state);
	locked = f2p_dirop_lock(dir);
	err = f2p_lookup_name(dir->i_sb, f2p_nodeid(dir), &entry->d_name,
			      &out, &inode);
	f2p_dirop_unlock(dir, locked);
	if (err == -ENOENT) {
		/* not cached: the next walk asks again */
		f2p_set_entry_expiry(entry, 0);
		return d_splice_alias(NULL, entry);
	}
	if (err)
		return ERR_PTR(err);

	alias = d_splice_alias(inode, entry);
	if (IS_ERR(alias))
		return alias;
	f2p_set_entry_expiry(alias ? alias : entry,
			     f2p_expiry(out.entry_valid, out.entry_valid_nsec));
	return alias;
}

/*
 * Quick verdict without talking to the server: 1 valid, 0 invalid,
 * -ECHILD "ask again where you may sleep", 2 "must ask the server".
 */
static int f2p_dentry_fresh(struct dentry *entry, unsigned int flags)
{
	struct inode *inode = d_inode_rcu(entry);

	if (inode && f2p_is_bad(inode))
		return 0;
	if (time_before64(get_jiffies_64(), f2p_entry_expiry(entry)))
		return 1;
	if (!inode)
		return 0;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	return 2;
}

/* The entry's timeout ran out: ask the server whether it still holds. */
static int f2p_dentry_recheck(struct inode *dir, const struct qstr *name,
		       struct dentry *entry)
{
	struct inode *inode = d_inode(entry);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct fuse_entry_out out;
	struct f2p_args args = {};
	struct f2p_inode *fi;
	u64 version;
	ssize_t err;

	f2p_entry_args(fc, &args, f2p_nodeid(dir), name, &out);
	version = atomic64_read(&fc->attr_version);
	err = f2p_request(fc, &args);
	if (err == -ENOMEM || err == -EINTR)
		return err;
	if (err || !out.nodeid)
		return 0;

	if (out.nodeid != f2p_nodeid(inode)) {
		/* the name now means another object; return its lookup */
		struct f2p_forget *forget = kzalloc(sizeof(*forget), GFP_KERNEL);

		if (forget)
			f2p_queue_forget(fc, forget, out.nodeid, 1);
		return 0;
	}
	fi = F2P_I(inode);
	spin_lock(&fi->lock);
	fi->nlookup++;
	spin_unlock(&fi->lock);
	if (!f2p_attr_ok(&out.attr) ||
	    f2p_inode_stale(inode, out.generation, &out.attr))
		return 0;
	f2p_change_attr(inode, &out.attr,
			f2p_expiry(out.attr_valid, out.attr_valid_nsec),
			version);
	f2p_set_entry_expiry(entry,
			     f2p_expiry(out.entry_valid, out.entry_valid_nsec));
	return 1;
}

F2P_DEFINE_D_REVALIDATE(f2p_d_revalidate, f2p_dentry_fresh, f2p_dentry_recheck);

const struct dentry_operations f2p_dentry_ops = {
	.d_revalidate	= f2p_d_revalidate,
};

static void f2p_free_link(void *buf)
{
	kfree(buf);
}

/*
 * FUSE_CACHE_SYMLINKS: the target is kept in the symlink's page cache,
 * its first page, NUL-terminated here (not by i_size, which is the
 * server's word and may disagree).  It goes with the inode's data:
 * INVAL_INODE, or new attributes that changed size or mtime.
 */
static int f2p_symlink_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = f2p_folio_mapping(folio)->host;
	char *buf = f2p_folio_address(folio);
	struct f2p_args args = {
		.opcode = FUSE_READLINK,
		.nodeid = f2p_nodeid(inode),
		.out_numargs = 1,
		.out_argvar = true,
		.out_args = { { F2P_SYMLINK_MAX, buf } },
	};
	ssize_t len = -EIO;

	if (!f2p_is_bad(inode))
		len = f2p_request(f2p_inode_conn(inode), &args);
	if (len >= 0) {
		buf[len] = '\0';
		f2p_folio_mark_uptodate(folio);
	}
	f2p_folio_unlock(folio);
	return len < 0 ? len : 0;
}

F2P_DEFINE_READ_FOLIO_PAGE(f2p_symlink_read_folio)

const struct address_space_operations f2p_symlink_aops = {
	F2P_AOP_READ_FOLIO(f2p_symlink_read_folio),
};

static void f2p_put_link_folio(void *folio)
{
	f2p_folio_put(folio);
}

static const char *f2p_get_cached_link(struct inode *inode,
				       struct delayed_call *done)
{
	struct folio *folio = f2p_read_mapping_folio(inode->i_mapping, 0, NULL);

	if (IS_ERR(folio))
		return ERR_CAST(folio);
	set_delayed_call(done, f2p_put_link_folio, folio);
	return f2p_folio_address(folio);
}

static const char *f2p_get_link(struct dentry *dentry, struct inode *inode,
				struct delayed_call *done)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_args args = {};
	ssize_t len;
	char *buf;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	if (f2p_is_bad(inode))
		return ERR_PTR(-EIO);
	if (fc->cache_symlinks)
		return f2p_get_cached_link(inode, done);
	buf = kmalloc(F2P_SYMLINK_MAX + 1, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);

	args.opcode = FUSE_READLINK;
	args.nodeid = f2p_nodeid(inode);
	args.out_numargs = 1;
	args.out_argvar = true;
	args.out_args[0].size = F2P_SYMLINK_MAX;
	args.out_args[0].value = buf;
	len = f2p_request(fc, &args);
	if (len < 0) {
		kfree(buf);
		return ERR_PTR(len);
	}
	buf[len] = '\0';
	f2p_invalidate_atime(inode);
	set_delayed_call(done, f2p_free_link, buf);
	return buf;
}

F2P_DEFINE_IOP_GETATTR(f2p_getattr)
F2P_DEFINE_IOP_PERMISSION(f2p_permission)
F2P_DEFINE_IOP_SETATTR(f2p_setattr)

const struct inode_operations f2p_symlink_iops = {
	.get_link	= f2p_get_link,
	.getattr	= F2P_IOP(f2p_getattr),
	.setattr	= F2P_IOP(f2p_setattr),
	.listxattr	= f2p_listxattr,
};

/* ---- changing the namespace ---- */

/*
 * The directory's size, times and link count are the server's to say;
 * its cached listing is out of date.
 */
static void f2p_dir_changed(struct inode *dir)
{
	f2p_attr_stale(dir);
	f2p_dcache_drop(dir);
}

/* The inode lost a name: its link count and ctime are now stale. */
static void f2p_entry_unlinked(struct dentry *entry)
{
	struct inode *inode = d_inode(entry);

	spin_lock(&inode->i_lock);
	if (inode->i_nlink > 0)
		drop_nlink(inode);
	spin_unlock(&inode->i_lock);
	f2p_attr_stale(inode);
}

/*
 * Send a request that makes a new name (MKNOD, MKDIR, SYMLINK, LINK) and
 * bind the answer to @entry.  Returns the alias the dcache chose, NULL
 * when @entry itself was used, or an error.
 */
static struct dentry *f2p_new_entry(struct inode *dir, struct dentry *entry,
				    struct f2p_args *args, umode_t mode)
{
	struct f2p_conn *fc = f2p_inode_conn(dir);
	struct fuse_entry_out out = {};
	struct dentry *alias;
	struct inode *inode;
	u64 version;
	ssize_t err;

	if (f2p_is_bad(dir))
		return ERR_PTR(-EIO);
	/* a new object may carry extensions; a new name for one does not */
	if (args->opcode != FUSE_LINK) {
		err = f2p_create_ext(dir, entry, mode, args);
		if (err)
			return ERR_PTR(err);
	}
	args->nodeid = f2p_nodeid(dir);
	args->out_numargs = 1;
	args->out_args[0].size = f2p_entry_out_size(fc);
	args->out_args[0].value = &out;
	version = atomic64_read(&fc->attr_version);
	err = f2p_request(fc, args);
	f2p_create_ext_free(args);
	if (err)
		return ERR_PTR(err);

	/* the server must hand back an object of the type it was asked for */
	if (!out.nodeid || !f2p_attr_ok(&out.attr) ||
	    ((out.attr.mode ^ mode) & S_IFMT)) {
		if (out.nodeid)
			f2p_give_back(fc, out.nodeid);
		return ERR_PTR(-EIO);
	}
	inode = f2p_iget(dir->i_sb, out.nodeid, out.generation, &out.attr,
			 f2p_expiry(out.attr_valid, out.attr_valid_nsec),
			 version);
	if (!inode) {
		f2p_give_back(fc, out.nodeid);
		return ERR_PTR(-ENOMEM);
	}
	f2p_dir_changed(dir);

	d_drop(entry);
	alias = d_splice_alias(inode, entry);
	if (IS_ERR(alias))
		return alias;
	f2p_set_entry_expiry(alias ? alias : entry,
			     f2p_expiry(out.entry_valid, out.entry_valid_nsec));
	return alias;
}

static int f2p_new_entry_int(struct inode *dir, struct dentry *entry,
			     struct f2p_args *args, umode_t mode)
{
	struct dentry *alias = f2p_new_entry(dir, entry, args, mode);

	if (IS_ERR(alias))
		return PTR_ERR(alias);
	dput(alias);
	return 0;
}

/*
 * The superblock says SB_POSIXACL, so the VFS leaves the umask to us:
 * a server that took DONT_MASK applies it (or a default ACL instead),
 * for any other we do.
 */
static umode_t f2p_create_mode(struct inode *dir, umode_t mode)
{
	if (!f2p_inode_conn(dir)->dont_mask)
		mode &= ~current_umask();
	return mode;
}

static int f2p_mknod(F2P_IDMAP_T *idmap, struct inode *dir,
		     struct dentry *entry, umode_t mode, dev_t rdev)
{
	struct fuse_mknod_in in = {
		.mode = f2p_create_mode(dir, mode),
		.rdev = new_encode_dev(rdev),
		.umask = current_umask(),
	};
	struct f2p_args args = {
		.opcode = FUSE_MKNOD,
		.in_numargs = 2,
		.in_args = {
			{ sizeof(in), &in },
			{ entry->d_name.len + 1, (void *)entry->d_name.name },
		},
	};

	return f2p_new_entry_int(dir, entry, &args, mode);
}

static int f2p_create_node(F2P_IDMAP_T *idmap, struct inode *dir,
			   struct dentry *entry, umode_t mode)
{
	return f2p_mknod(idmap, dir, entry, mode, 0);
}

F2P_DEFINE_CREATE(f2p_create, f2p_create_node);

static struct dentry *f2p_mkdir_entry(struct inode *dir, struct dentry *entry,
				      umode_t mode)
{
	struct fuse_mkdir_in in = {
		.mode = f2p_create_mode(dir, mode),
		.umask = current_umask(),
	};
	struct f2p_args args = {
		.opcode = FUSE_MKDIR,
		.in_numargs = 2,
		.in_args = {
			{ sizeof(in), &in },
			{ entry->d_name.len + 1, (void *)entry->d_name.name },
		},
	};

	return f2p_new_entry(dir, entry, &args, S_IFDIR);
}

F2P_DEFINE_MKDIR(f2p_mkdir, f2p_mkdir_entry);

static int f2p_symlink(F2P_IDMAP_T *idmap, struct inode *dir,
		       struct dentry *entry, const char *target)
{
	struct f2p_args args = {
		.opcode = FUSE_SYMLINK,
		.in_numargs = 2,
		.in_args = {
			{ entry->d_name.len + 1, (void *)entry->d_name.name },
			{ strlen(target) + 1, (void *)target },
		},
	};

	return f2p_new_entry_int(dir, entry, &args, S_IFLNK);
}

static int f2p_link(struct dentry *old, struct inode *dir,
		    struct dentry *entry)
{
	struct inode *inode = d_inode(old);
	struct fuse_link_in in = { .oldnodeid = f2p_nodeid(inode) };
	struct f2p_args args = {
		.opcode = FUSE_LINK,
		.in_numargs = 2,
		.in_args = {
			{ sizeof(in), &in },
			{ entry->d_name.len + 1, (void *)entry->d_name.name },
		},
	};
	int err;

	err = f2p_new_entry_int(dir, entry, &args, inode->i_mode);
	f2p_attr_stale(inode);
	return err;
}

static int f2p_remove(struct inode *dir, struct dentry *entry, u32 opcode)
{
	struct f2p_args args = {
		.opcode = opcode,
		.nodeid = f2p_nodeid(dir),
		.in_numargs = 1,
		.in_args = {
			{ entry->d_name.len + 1, (void *)entry->d_name.name },
		},
	};
	ssize_t err;

	if (f2p_is_bad(dir))
		return -EIO;
	err = f2p_request(f2p_inode_conn(dir), &args);
	if (err)
		return err;
	f2p_dir_changed(dir);
	f2p_entry_unlinked(entry);
	if (opcode == FUSE_RMDIR)
		clear_nlink(d_inode(entry));
	return 0;
}

static int f2p_unlink(struct inode *dir, struct dentry *entry)
{
	return f2p_remove(dir, entry, FUSE_UNLINK);
}

static int f2p_rmdir(struct inode *dir, struct dentry *entry)
{
	return f2p_remove(dir, entry, FUSE_RMDIR);
}

static int f2p_rename(F2P_IDMAP_T *idmap, struct inode *olddir,
		      struct dentry *oldent, struct inode *newdir,
		      struct dentry *newent, unsigned int flags)
{
	struct f2p_conn *fc = f2p_inode_conn(olddir);
	struct fuse_rename2_in in = {
		.newdir = f2p_nodeid(newdir),
		.flags = flags,
	};
	struct f2p_args args = {
		.opcode = flags ? FUSE_RENAME2 : FUSE_RENAME,
		.nodeid = f2p_nodeid(olddir),
		.in_numargs = 3,
		.in_args = {
			{ flags ? sizeof(in) : sizeof(struct fuse_rename_in), &in },
			{ oldent->d_name.len + 1, (void *)oldent->d_name.name },
			{ newent->d_name.len + 1, (void *)newent->d_name.name },
		},
	};
	ssize_t err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if (f2p_is_bad(olddir) || f2p_is_bad(newdir))
		return -EIO;
	if (flags && fc->no_rename2)
		return -EINVAL;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS && flags) {
		fc->no_rename2 = true;
		return -EINVAL;
	}
	if (err)
		return err;

	f2p_attr_stale(d_inode(oldent));
	if (flags & RENAME_EXCHANGE)
		f2p_attr_stale(d_inode(newent));
	else if (d_really_is_positive(newent))
		f2p_entry_unlinked(newent);
	f2p_dir_changed(olddir);
	if (olddir != newdir)
		f2p_dir_changed(newdir);
	return 0;
}

/*
 * CREATE makes and opens a file in one round trip; servers without it
 * get MKNOD and a separate OPEN.
 */
/*
 * finish_open's ->open for CREATE and TMPFILE.  The io mode is decided in
 * here, because the VFS judges O_DIRECT by what ->open left in f_mode.
 */
static int f2p_created_open(struct inode *inode, struct file *file)
{
	int err = generic_file_open(inode, file);

	if (err)
		return err;
	f2p_set_odirect(file, true);
	return f2p_file_opened(inode, file);
}

static int f2p_create_open(struct inode *dir, struct dentry *entry,
			   struct file *file, unsigned int flags, umode_t mode,
			   u32 opcode)
{
	struct f2p_conn *fc = f2p_inode_conn(dir);
	struct fuse_create_in in = {
		.flags = flags & ~O_NOCTTY,
		.mode = f2p_create_mode(dir, mode),
		.umask = current_umask(),
	};
	struct fuse_entry_out out = {};
	struct f2p_file *ff;
	struct inode *inode;
	u64 version;
	ssize_t err;

	ff = f2p_file_alloc(fc);
	if (!ff)
		return -ENOMEM;
	ff->args.opcode = opcode;
	ff->args.nodeid = f2p_nodeid(dir);
	/*
	 * A tmpfile has no name, but TMPFILE carries its dentry's ("/") all
	 * the same, as mainline's does: servers skip it.
	 */
	ff->args.in_numargs = 2;
	ff->args.in_args[0].size = sizeof(in);
	ff->args.in_args[0].value = &in;
	ff->args.in_args[1].size = entry->d_name.len + 1;
	ff->args.in_args[1].value = (void *)entry->d_name.name;
	ff->args.out_numargs = 2;
	ff->args.out_args[0].size = f2p_entry_out_size(fc);
	ff->args.out_args[0].value = &out;
	ff->args.out_args[1].size = sizeof(ff->open.out);
	ff->args.out_args[1].value = &ff->open.out;
	err = f2p_create_ext(dir, entry, mode, &ff->args);
	if (err) {
		kfree(ff);
		return err;
	}
	version = atomic64_read(&fc->attr_version);
	err = f2p_request(fc, &ff->args);
	/* ff->args carries the RELEASE later */
	f2p_create_ext_free(&ff->args);
	if (err) {
		kfree(ff);
		return err;
	}
	ff->fh = ff->open.out.fh;
	ff->open_flags = ff->open.out.open_flags;

	if (!out.nodeid || !f2p_attr_ok(&out.attr) || !S_ISREG(out.attr.mode)) {
		err = -EIO;
		goto out_release;
	}
	ff->nodeid = out.nodeid;
	inode = f2p_iget(dir->i_sb, out.nodeid, out.generation, &out.attr,
			 f2p_expiry(out.attr_valid, out.attr_valid_nsec),
			 version);
	if (!inode) {
		err = -ENOMEM;
		goto out_release;
	}
	if (opcode == FUSE_TMPFILE) {
		/* d_tmpfile takes the one link away that a tmpfile never had */
		if (!inode->i_nlink)
			set_nlink(inode, 1);
		f2p_d_tmpfile(file, inode);
		entry = file->f_path.dentry;
	} else {
		d_instantiate(entry, inode);
		f2p_set_entry_expiry(entry, f2p_expiry(out.entry_valid,
						       out.entry_valid_nsec));
		f2p_dir_changed(dir);
	}
	/* not f_op->open: the answer already opened it */
	file->private_data = ff;
	err = finish_open(file, entry, f2p_created_open);
	/*
	 * An opened file is released by fput; one the io mode refused was
	 * released already; only an open that failed before is ours to end.
	 */
	if (err && !(file->f_mode & FMODE_OPENED) && file->private_data) {
		file->private_data = NULL;
		f2p_file_put_release(ff, flags, false);
	}
	return err;

out_release:
	/* the server made and opened something we cannot use: undo both */
	if (out.nodeid)
		f2p_give_back(fc, out.nodeid);
	ff->nodeid = out.nodeid;
	f2p_file_put_release(ff, flags, false);
	return err;
}

static int f2p_atomic_open(struct inode *dir, struct dentry *entry,
			   struct file *file, unsigned int flags,
			   umode_t mode)
{
	struct f2p_conn *fc = f2p_inode_conn(dir);
	struct dentry *res = NULL;
	int err;

	if (d_in_lookup(entry)) {
		res = f2p_lookup(dir, entry, 0);
		if (IS_ERR(res))
			return PTR_ERR(res);
		if (res)
			entry = res;
	}
	if (!(flags & O_CREAT) || d_really_is_positive(entry))
		goto no_open;

	file->f_mode |= FMODE_CREATED;
	if (!fc->no_create) {
		err = f2p_create_open(dir, entry, file, flags, mode,
				      FUSE_CREATE);
		if (err != -ENOSYS)
			goto out;
		fc->no_create = true;
	}
	err = f2p_mknod(NULL, dir, entry, mode, 0);
	if (err)
		goto out;
no_open:
	return finish_no_open(file, res);
out:
	dput(res);
	return err;
}

/* (unused where ->tmpfile() cannot open: see F2P_TMPFILE_IOP) */
static int __maybe_unused f2p_tmpfile(F2P_IDMAP_T *idmap, struct inode *dir,
				      struct file *file, umode_t mode)
{
	struct f2p_conn *fc = f2p_inode_conn(dir);
	int err;

	if (f2p_is_bad(dir))
		return -EIO;
	if (READ_ONCE(fc->no_tmpfile))
		return -EOPNOTSUPP;
	err = f2p_create_open(dir, file->f_path.dentry, file, file->f_flags,
			      mode, FUSE_TMPFILE);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_tmpfile, true);
		err = -EOPNOTSUPP;
	}
	return err;
}

F2P_DEFINE_IOP_MKNOD(f2p_mknod)
F2P_DEFINE_IOP_SYMLINK(f2p_symlink)
F2P_DEFINE_IOP_RENAME(f2p_rename)

const struct inode_operations f2p_dir_iops = {
	.lookup		= f2p_lookup,
	.getattr	= F2P_IOP(f2p_getattr),
	.permission	= F2P_IOP(f2p_permission),
	.setattr	= F2P_IOP(f2p_setattr),
	.create		= f2p_create,
	.atomic_open	= f2p_atomic_open,
	.mknod		= F2P_IOP(f2p_mknod),
	.mkdir		= f2p_mkdir,
	.symlink	= F2P_IOP(f2p_symlink),
	.link		= f2p_link,
	.unlink		= f2p_unlink,
	.rmdir		= f2p_rmdir,
	.rename		= F2P_IOP(f2p_rename),
	F2P_TMPFILE_IOP(f2p_tmpfile)
	.listxattr	= f2p_listxattr,
	F2P_ACL_IOPS,
	F2P_FILEATTR_IOPS
};
