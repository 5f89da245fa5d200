// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications: messages the server sends on its own (unique 0, the
 * code in the error field) to tell us our caches went stale.
 *
 *   INVAL_INODE   attributes, and data in a byte range, are no longer true
 *   INVAL_ENTRY   a name is no longer true (or, EXPIRE_ONLY, only aged)
 *   DELETE        a name went away, and with it maybe the object
 *
 * They arrive from the server's write(); the superblock is held against
 * umount by fc->killsb while one is applied.  Anything malformed is
 * refused with EINVAL to the writer, nothing else happens.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/namei.h>
#include <linux/uio.h>
#include "fuse2pt.h"

/* the largest message we accept: a header struct, a name and its NUL */
#define F2P_NOTIFY_MAX	(32 + F2P_NAME_MAX + 1)

static struct inode *f2p_notify_ilookup(struct super_block *sb, u64 nodeid)
{
	if (!nodeid)
		return NULL;
	return ilookup5(sb, nodeid, f2p_inode_test, &nodeid);
}

static int f2p_notify_inval_inode(struct super_block *sb, const void *buf,
				  size_t size)
{
	const struct fuse_notify_inval_inode_out *o = buf;
	struct inode *inode;
	pgoff_t first, last = -1;

	if (size != sizeof(*o))
		return -EINVAL;
	inode = f2p_notify_ilookup(sb, o->ino);
	if (!inode)
		return -ENOENT;
	F2P_I(inode)->attr_expire = 0;
	/* a negative offset means: attributes only */
	if (o->off >= 0 && (S_ISREG(inode->i_mode) || S_ISLNK(inode->i_mode))) {
		first = o->off >> PAGE_SHIFT;
		if (o->len > 0)
			last = (o->off + o->len - 1) >> PAGE_SHIFT;
		invalidate_inode_pages2_range(inode->i_mapping, first, last);
	}
	iput(inode);
	return 0;
}

/*
 * Drop (or age) the dentry @name under @parent_id; with @child set, only
 * if it still names that object, which then loses its link.
 */
static int f2p_notify_entry(struct super_block *sb, u64 parent_id, u64 child,
			    const char *name, u32 namelen, bool expire_only)
{
	struct qstr q = QSTR_INIT(name, namelen);
	struct inode *dir, *inode;
	struct dentry *parent, *entry;
	int err = 0;

	dir = f2p_notify_ilookup(sb, parent_id);
	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->i_mode)) {
		iput(dir);
		return -ENOTDIR;
	}
	inode_lock_nested(dir, I_MUTEX_PARENT);
	F2P_I(dir)->attr_expire = 0;
	parent = d_find_alias(dir);
	if (!parent)
		goto out;
	q.hash = full_name_hash(parent, q.name, q.len);
	entry = d_lookup(parent, &q);
	dput(parent);
	if (!entry)
		goto out;
	inode = d_inode(entry);
	if (child && (!inode || f2p_nodeid(inode) != child)) {
		err = -ENOENT;
	} else if (expire_only) {
		f2p_set_entry_expiry(entry, 0);
	} else {
		if (child) {
			spin_lock(&inode->i_lock);
			if (inode->i_nlink > 0 && !S_ISDIR(inode->i_mode))
				drop_nlink(inode);
			spin_unlock(&inode->i_lock);
			F2P_I(inode)->attr_expire = 0;
		}
		d_invalidate(entry);
	}
	dput(entry);
out:
	inode_unlock(dir);
	iput(dir);
	return err;
}

/* the name after a struct: exactly namelen bytes, then NUL, then nothing */
static const char *f2p_notify_name(const void *buf, size_t size, size_t hdr,
				   u32 namelen)
{
	const char *name = (const char *)buf + hdr;

	if (!namelen || namelen > F2P_NAME_MAX || size != hdr + namelen + 1)
		return NULL;
	if (name[namelen] || memchr(name, '\0', namelen) ||
	    memchr(name, '/', namelen))
		return NULL;
	return name;
}

static int f2p_notify_apply(struct super_block *sb, int code, const void *buf,
			    size_t size)
{
	const struct fuse_notify_inval_entry_out *ie = buf;
	const struct fuse_notify_delete_out *de = buf;
	const char *name;

	switch (code) {
	case FUSE_NOTIFY_INVAL_INODE:
		return f2p_notify_inval_inode(sb, buf, size);
	case FUSE_NOTIFY_INVAL_ENTRY:
		if (size < sizeof(*ie) || (ie->flags & ~FUSE_EXPIRE_ONLY))
			return -EINVAL;
		name = f2p_notify_name(buf, size, sizeof(*ie), ie->namelen);
		if (!name)
			return -EINVAL;
		return f2p_notify_entry(sb, ie->parent, 0, name, ie->namelen,
					ie->flags & FUSE_EXPIRE_ONLY);
	case FUSE_NOTIFY_DELETE:
		if (size < sizeof(*de))
			return -EINVAL;
		name = f2p_notify_name(buf, size, sizeof(*de), de->namelen);
		if (!name || !de->child)
			return -EINVAL;
		return f2p_notify_entry(sb, de->parent, de->child, name,
					de->namelen, false);
	default:
		return -EINVAL;
	}
}

int f2p_notify(struct f2p_conn *fc, int code, struct iov_iter *from)
{
	size_t size = iov_iter_count(from);
	void *buf;
	int err;

	if (size > F2P_NOTIFY_MAX)
		return -EINVAL;
	buf = kmalloc(size ?: 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (copy_from_iter(buf, size, from) != size) {
		kfree(buf);
		return -EFAULT;
	}
	down_read(&fc->killsb);
	if (fc->sb)
		err = f2p_notify_apply(fc->sb, code, buf, size);
	else
		err = -ENOENT;	/* unmounted: nothing cached any more */
	up_read(&fc->killsb);
	kfree(buf);
	return err;
}
