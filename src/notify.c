// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications: messages the server sends on its own (unique 0, the
 * code in the error field) to tell us our caches went stale.
 *
 *   INVAL_INODE   attributes, and data in a byte range, are no longer true
 *   INVAL_ENTRY   a name is no longer true (or, EXPIRE_ONLY, only aged)
 *   DELETE        a name went away, and with it maybe the object
 *   STORE         here is data of a file: put it in the page cache
 *   RETRIEVE      send back (as a NOTIFY_REPLY request) what we cache
 *   POLL          a polled file may be ready now (poll.c)
 *
 * They arrive from the server's write(); the superblock is held against
 * umount by fc->killsb while one is applied.  Anything malformed is
 * refused with EINVAL to the writer, nothing else happens; a nodeid we
 * do not know is ENOENT.
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
	f2p_attr_stale(inode);
	/* a negative offset means: attributes only */
	if (o->off >= 0 && (S_ISREG(inode->i_mode) || S_ISLNK(inode->i_mode))) {
		first = o->off >> PAGE_SHIFT;
		/* a range past the largest offset is the rest of the file */
		if (o->len > 0 && o->len <= LLONG_MAX - o->off)
			last = (o->off + o->len - 1) >> PAGE_SHIFT;
		invalidate_inode_pages2_range(inode->i_mapping, first, last);
	} else if (o->off >= 0 && S_ISDIR(inode->i_mode)) {
		/* a directory's data is its cached listing: all of it goes */
		f2p_dcache_drop(inode);
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
	f2p_attr_stale(dir);
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
			f2p_attr_stale(inode);
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

/*
 * STORE, after its header: @num bytes at @pos, straight from the writer
 * into the page cache.  A page the data covers from its start up to its
 * end (or to the end of the file) becomes up to date; one it covers only
 * partly keeps its data until the page is next read from the server.
 */
static int f2p_store_data(struct inode *inode, loff_t pos, size_t num,
			  struct iov_iter *from)
{
	struct f2p_inode *fi = F2P_I(inode);
	struct address_space *mapping = inode->i_mapping;
	loff_t end = pos + num, isize;
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t off = offset_in_page(pos);

	/* the data may reach past our idea of the end: the file grew */
	spin_lock(&fi->lock);
	isize = i_size_read(inode);
	if (end > isize) {
		fi->attr_version =
			atomic64_inc_return(&f2p_inode_conn(inode)->attr_version);
		i_size_write(inode, end);
		fi->attr_expire = 0;
		isize = end;
	}
	spin_unlock(&fi->lock);

	while (num) {
		size_t n = min_t(size_t, num, PAGE_SIZE - off);
		struct folio *folio;
		struct page *page;
		size_t got;
		void *p;

		page = find_or_create_page(mapping, index,
					   mapping_gfp_mask(mapping));
		if (!page)
			return -ENOMEM;
		folio = page_folio(page);
		p = kmap_local_page(page);
		got = copy_from_iter(p + off, n, from);
		kunmap_local(p);
		/* (a large folio is read whole: it waits for its read) */
		if (got == n && !folio_test_uptodate(folio) &&
		    !folio_test_large(folio) && !off &&
		    (n == PAGE_SIZE || end == isize)) {
			folio_zero_segment(folio, n, PAGE_SIZE);
			folio_mark_uptodate(folio);
		}
		flush_dcache_folio(folio);
		folio_unlock(folio);
		folio_put(folio);
		if (got != n)
			return -EFAULT;
		num -= n;
		off = 0;
		index++;
	}
	return 0;
}

static int f2p_notify_store(struct f2p_conn *fc, struct iov_iter *from)
{
	size_t size = iov_iter_count(from);
	struct fuse_notify_store_out o;
	struct inode *inode = NULL;
	size_t num;
	int err;

	if (size < sizeof(o))
		return -EINVAL;
	if (copy_from_iter(&o, sizeof(o), from) != sizeof(o))
		return -EFAULT;
	/* the size must be what follows, and fit a file */
	if (o.size != size - sizeof(o) || o.offset >= MAX_LFS_FILESIZE)
		return -EINVAL;
	/* data past the largest file size is dropped, as stock fuse does */
	num = min_t(u64, o.size, MAX_LFS_FILESIZE - o.offset);

	down_read(&fc->killsb);
	if (fc->sb)
		inode = f2p_notify_ilookup(fc->sb, o.nodeid);
	if (!inode)
		err = -ENOENT;
	else if (!S_ISREG(inode->i_mode))
		err = -EINVAL;	/* only a file's data lives in its page cache */
	else
		err = f2p_store_data(inode, o.offset, num, from);
	/* inside killsb: a last iput after umount went on would be too late */
	iput(inode);
	up_read(&fc->killsb);
	return err;
}

/* the NOTIFY_REPLY request: its arguments, and the data after them */
struct f2p_retrieve {
	struct f2p_args args;
	struct fuse_notify_retrieve_in in;
	u8 data[];
};

/*
 * A NOTIFY_REPLY has no caller to hold it back: a server that sends
 * RETRIEVEs and reads no requests would have us queue data without end
 * (the likely cause of a long 7.3 fuzz run that ran out of memory, its
 * unreclaimable slab at 1.7 GB).  Beyond this many unread, RETRIEVE is
 * refused with EAGAIN.
 */
#define F2P_MAX_RETRIEVES	32

static void f2p_retrieve_end(struct f2p_conn *fc, struct f2p_args *args,
			     int error)
{
	kvfree(container_of(args, struct f2p_retrieve, args));
	atomic_dec(&fc->retrieves);
}

/*
 * Copy what the page cache holds from @pos on, up to @num bytes, stopping
 * at the first page that is missing or not up to date (its content would
 * not be the file's).
 */
static size_t f2p_retrieve_copy(struct inode *inode, loff_t pos, size_t num,
				u8 *dst)
{
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t off = offset_in_page(pos), done = 0;

	while (done < num) {
		size_t n = min_t(size_t, num - done, PAGE_SIZE - off);
		struct page *page = find_get_page(inode->i_mapping, index);
		bool ok;

		if (!page)
			break;
		ok = folio_test_uptodate(page_folio(page));
		if (ok)
			memcpy_from_page(dst + done, page, off, n);
		put_page(page);
		if (!ok)
			break;
		done += n;
		off = 0;
		index++;
	}
	return done;
}

static int f2p_retrieve(struct f2p_conn *fc, struct inode *inode,
			const struct fuse_notify_retrieve_out *o)
{
	loff_t isize = i_size_read(inode);
	size_t num = min(o->size, fc->max_write), max;
	struct f2p_retrieve *rr;

	/* nothing past the end of the file, nor more pages than a request */
	if (o->offset > isize)
		num = 0;
	else
		num = min_t(u64, num, isize - o->offset);
	max = ((size_t)fc->max_pages << PAGE_SHIFT) - offset_in_page(o->offset);
	num = min(num, max);

	if (atomic_inc_return(&fc->retrieves) > F2P_MAX_RETRIEVES) {
		atomic_dec(&fc->retrieves);
		return -EAGAIN;
	}
	rr = kvzalloc(struct_size(rr, data, num), GFP_KERNEL);
	if (!rr) {
		atomic_dec(&fc->retrieves);
		return -ENOMEM;
	}
	num = f2p_retrieve_copy(inode, o->offset, num, rr->data);
	rr->in.offset = o->offset;
	rr->in.size = num;
	rr->args.opcode = FUSE_NOTIFY_REPLY;
	rr->args.nodeid = o->nodeid;
	rr->args.in_numargs = 2;
	rr->args.in_args[0].size = sizeof(rr->in);
	rr->args.in_args[0].value = &rr->in;
	rr->args.in_args[1].size = num;
	rr->args.in_args[1].value = rr->data;
	rr->args.end = f2p_retrieve_end;
	return f2p_request_notify_reply(fc, &rr->args, o->notify_unique);
}

static int f2p_notify_retrieve(struct f2p_conn *fc, struct super_block *sb,
			       const void *buf, size_t size)
{
	const struct fuse_notify_retrieve_out *o = buf;
	struct inode *inode;
	int err;

	if (size != sizeof(*o) || o->offset >= MAX_LFS_FILESIZE)
		return -EINVAL;
	inode = f2p_notify_ilookup(sb, o->nodeid);
	if (!inode)
		return -ENOENT;
	/* only a file's data lives in its page cache */
	err = S_ISREG(inode->i_mode) ? f2p_retrieve(fc, inode, o) : -EINVAL;
	iput(inode);
	return err;
}

static int f2p_notify_apply(struct f2p_conn *fc, struct super_block *sb,
			    int code, const void *buf, size_t size)
{
	const struct fuse_notify_inval_entry_out *ie = buf;
	const struct fuse_notify_delete_out *de = buf;
	const char *name;

	switch (code) {
	case FUSE_NOTIFY_INVAL_INODE:
		return f2p_notify_inval_inode(sb, buf, size);
	case FUSE_NOTIFY_RETRIEVE:
		return f2p_notify_retrieve(fc, sb, buf, size);
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

	/* its data can be large: it goes from the writer to the pages */
	if (code == FUSE_NOTIFY_STORE)
		return f2p_notify_store(fc, from);
	/* a bare header: it names nothing */
	if (code == FUSE_NOTIFY_RESEND)
		return size ? -EINVAL : f2p_resend(fc);
	if (size > F2P_NOTIFY_MAX)
		return -EINVAL;
	buf = kmalloc(size ?: 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (copy_from_iter(buf, size, from) != size) {
		kfree(buf);
		return -EFAULT;
	}
	/* wakes a file, not the superblock: no umount to hold off */
	if (code == FUSE_NOTIFY_POLL) {
		err = f2p_poll_notify(fc, buf, size);
		kfree(buf);
		return err;
	}
	down_read(&fc->killsb);
	if (fc->sb)
		err = f2p_notify_apply(fc, fc->sb, code, buf, size);
	else
		err = -ENOENT;	/* unmounted: nothing cached any more */
	up_read(&fc->killsb);
	kfree(buf);
	return err;
}
