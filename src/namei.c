// SPDX-License-Identifier: GPL-2.0
/*
 * Names: LOOKUP, the dentry cache's trust in what the server said (entry
 * timeouts, revalidation), and symlink targets.
 */
#include <linux/slab.h>
#include <linux/namei.h>
#include <linux/jiffies.h>
#include "fuse2pt.h"

/* dentries remember until when the server vouched for them */
static void f2p_set_entry_expiry(struct dentry *entry, u64 when)
{
	entry->d_fsdata = (void *)(unsigned long)when;
}

static u64 f2p_entry_expiry(const struct dentry *entry)
{
	return (unsigned long)READ_ONCE(entry->d_fsdata);
}

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
	int err;

	if (f2p_is_bad(dir))
		return ERR_PTR(-EIO);
	err = f2p_lookup_name(dir->i_sb, f2p_nodeid(dir), &entry->d_name,
			      &out, &inode);
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
	set_delayed_call(done, f2p_free_link, buf);
	return buf;
}

const struct inode_operations f2p_symlink_iops = {
	.get_link	= f2p_get_link,
	.getattr	= f2p_getattr,
};

const struct inode_operations f2p_dir_iops = {
	.lookup		= f2p_lookup,
	.getattr	= f2p_getattr,
	.permission	= f2p_permission,
};
