// SPDX-License-Identifier: GPL-2.0
/*
 * File handles: name_to_handle_at/open_by_handle_at and NFS export.
 *
 * A handle names an object by the server's nodeid and generation, and a
 * connectable one adds its parent's.  Decoding finds the inode in our
 * inode cache.  An inode we no longer have can only come back if the
 * server accepted FUSE_EXPORT_SUPPORT: it then answers LOOKUP of "." in
 * the nodeid itself (and ".." for a directory's parent) even after it
 * was told to FORGET it.  Without that an uncached object is stale.
 *
 * Everything in a handle comes from the user (or an NFS client): a
 * nodeid we do not know is stale, never a reason to trust it.
 */
#include <linux/exportfs.h>
#include "fuse2pt.h"

/* our handle types (the values of FILEID_INO64_GEN{,_PARENT}) */
#define F2P_FILEID		0x81
#define F2P_FILEID_PARENT	0x82
/* in 32-bit words: nodeid (two), generation; the parent's after it */
#define F2P_FH_WORDS		3
#define F2P_FH_WORDS_PARENT	6

static void f2p_fh_put(u32 *fh, u64 nodeid, u32 generation)
{
	fh[0] = upper_32_bits(nodeid);
	fh[1] = lower_32_bits(nodeid);
	fh[2] = generation;
}

static u64 f2p_fh_nodeid(const u32 *fh)
{
	return ((u64)fh[0] << 32) | fh[1];
}

static int f2p_encode_fh(struct inode *inode, u32 *fh, int *max_len,
			 struct inode *parent)
{
	int words = parent ? F2P_FH_WORDS_PARENT : F2P_FH_WORDS;

	if (*max_len < words) {
		*max_len = words;
		return FILEID_INVALID;
	}
	f2p_fh_put(fh, f2p_nodeid(inode), inode->i_generation);
	if (parent)
		f2p_fh_put(fh + F2P_FH_WORDS, f2p_nodeid(parent),
			   parent->i_generation);
	*max_len = words;
	return parent ? F2P_FILEID_PARENT : F2P_FILEID;
}

/*
 * LOOKUP of @name ("." or "..") in @nodeid: the server's way of finding
 * an object by nodeid alone.  The reply is checked as every LOOKUP reply
 * is (f2p_lookup_name); a name that is gone means a stale handle.
 */
static struct inode *f2p_lookup_special(struct super_block *sb, u64 nodeid,
					const char *name)
{
	struct qstr qname = QSTR_INIT(name, strlen(name));
	struct fuse_entry_out out;
	struct inode *inode;
	int err;

	err = f2p_lookup_name(sb, nodeid, &qname, &out, &inode);
	if (err == -ENOENT)
		err = -ESTALE;
	if (err)
		return ERR_PTR(err);
	if (!inode)
		return ERR_PTR(-ESTALE);
	return inode;
}

/* The inode behind a handle's @nodeid and @generation, or an error. */
static struct inode *f2p_fh_inode(struct super_block *sb, u64 nodeid,
				  u32 generation)
{
	struct f2p_conn *fc = f2p_sb_conn(sb);
	struct inode *inode;

	if (!nodeid)
		return ERR_PTR(-ESTALE);
	inode = ilookup5(sb, nodeid, f2p_inode_test, &nodeid);
	if (!inode) {
		if (!READ_ONCE(fc->export_support))
			return ERR_PTR(-ESTALE);
		inode = f2p_lookup_special(sb, nodeid, ".");
		if (IS_ERR(inode))
			return inode;
		/* the server answered for another object than we asked */
		if (f2p_nodeid(inode) != nodeid) {
			iput(inode);
			return ERR_PTR(-EIO);
		}
	}
	/* a reused nodeid, or an object the server contradicted */
	if (inode->i_generation != generation || f2p_is_bad(inode)) {
		iput(inode);
		return ERR_PTR(-ESTALE);
	}
	return inode;
}

static struct dentry *f2p_fh_dentry(struct super_block *sb, const u32 *fh)
{
	struct inode *inode = f2p_fh_inode(sb, f2p_fh_nodeid(fh), fh[2]);

	if (IS_ERR(inode))
		return ERR_CAST(inode);
	return d_obtain_alias(inode);
}

static struct dentry *f2p_fh_to_dentry(struct super_block *sb, struct fid *fid,
				       int fh_len, int fh_type)
{
	if ((fh_type != F2P_FILEID && fh_type != F2P_FILEID_PARENT) ||
	    fh_len < F2P_FH_WORDS)
		return NULL;
	return f2p_fh_dentry(sb, fid->raw);
}

static struct dentry *f2p_fh_to_parent(struct super_block *sb, struct fid *fid,
				       int fh_len, int fh_type)
{
	if (fh_type != F2P_FILEID_PARENT || fh_len < F2P_FH_WORDS_PARENT)
		return NULL;
	return f2p_fh_dentry(sb, fid->raw + F2P_FH_WORDS);
}

/* A directory's parent, for reconnecting a directory found by handle. */
static struct dentry *f2p_get_parent(struct dentry *child)
{
	struct inode *dir = d_inode(child);
	struct super_block *sb = dir->i_sb;
	struct inode *parent;
	bool locked;

	/* the root is its own parent */
	if (f2p_nodeid(dir) == FUSE_ROOT_ID)
		return dget(sb->s_root);
	if (!READ_ONCE(f2p_sb_conn(sb)->export_support))
		return ERR_PTR(-ESTALE);
	if (f2p_is_bad(dir))
		return ERR_PTR(-EIO);
	locked = f2p_dirop_lock(dir);
	parent = f2p_lookup_special(sb, f2p_nodeid(dir), "..");
	f2p_dirop_unlock(dir, locked);
	if (IS_ERR(parent))
		return ERR_CAST(parent);
	if (!S_ISDIR(parent->i_mode)) {
		iput(parent);
		return ERR_PTR(-EIO);
	}
	return d_obtain_alias(parent);
}

const struct export_operations f2p_export_ops = {
	.encode_fh	= f2p_encode_fh,
	.fh_to_dentry	= f2p_fh_to_dentry,
	.fh_to_parent	= f2p_fh_to_parent,
	.get_parent	= f2p_get_parent,
};

/*
 * A server that answered INIT with FUSE_NO_EXPORT_SUPPORT wants no file
 * handles that can be opened (nor NFS export).  Handles that only name
 * an object (fanotify's, AT_HANDLE_FID where the kernel has it) stay;
 * the VFS refuses everything else for want of fh_to_dentry.
 */
const struct export_operations f2p_export_fid_ops = {
	.encode_fh	= f2p_encode_fh,
};
