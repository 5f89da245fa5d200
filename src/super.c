// SPDX-License-Identifier: GPL-2.0
/*
 * The filesystem type, its mount options and the superblock.
 *
 * A mount names the server's /dev/fuse2pt fd in its options; the device
 * and the superblock then share one connection.  Option errors are
 * reported through the fs_context log, so `mount` shows the reason.
 */
#include <linux/module.h>
#include <linux/fs_parser.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/seq_file.h>
#include <linux/backing-dev.h>
#include "fuse2pt.h"

struct f2p_mount_opts {
	const char *subtype;
	unsigned int fd;
	umode_t rootmode;
	kuid_t user_id;
	kgid_t group_id;
	unsigned int max_read;
	bool fd_set:1;
	bool rootmode_set:1;
	bool user_id_set:1;
	bool group_id_set:1;
	bool default_permissions:1;
	bool allow_other:1;
};

/* The mount options a fuse2pt mount takes (mount.fuse2pt sets the first six). */
enum f2p_mount_opt {
	F2P_MO_FD,
	F2P_MO_ROOTMODE,
	F2P_MO_UID,
	F2P_MO_GID,
	F2P_MO_SOURCE,
	F2P_MO_SUBTYPE,
	F2P_MO_MAX_READ,
	F2P_MO_ALLOW_OTHER,
	F2P_MO_DEFAULT_PERMS,
	F2P_MO_BLKSIZE,
};

static const struct fs_parameter_spec f2p_param_specs[] = {
	fsparam_u32("fd", F2P_MO_FD),
	fsparam_u32oct("rootmode", F2P_MO_ROOTMODE),
	fsparam_u32("user_id", F2P_MO_UID),
	fsparam_u32("group_id", F2P_MO_GID),
	fsparam_string("source", F2P_MO_SOURCE),
	fsparam_string("subtype", F2P_MO_SUBTYPE),
	fsparam_u32("max_read", F2P_MO_MAX_READ),
	fsparam_flag("allow_other", F2P_MO_ALLOW_OTHER),
	fsparam_flag("default_permissions", F2P_MO_DEFAULT_PERMS),
	fsparam_u32("blksize", F2P_MO_BLKSIZE),
	{}
};

/* The root may be of any file type, but must have one. */
static bool f2p_rootmode_ok(unsigned int mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: case S_IFREG: case S_IFLNK: case S_IFIFO:
	case S_IFSOCK: case S_IFCHR: case S_IFBLK:
		return true;
	}
	return false;
}

/* A string option may be given once; the parameter's string becomes ours. */
static int f2p_take_string(struct fs_context *fsc, struct fs_parameter *param,
			   const char **dst)
{
	if (*dst)
		return invalfc(fsc, "%s= given twice", param->key);
	*dst = param->string;
	param->string = NULL;
	return 0;
}

static int f2p_parse_param(struct fs_context *fsc, struct fs_parameter *param)
{
	struct f2p_mount_opts *opts = fsc->fs_private;
	struct fs_parse_result res;
	int opt = fs_parse(fsc, f2p_param_specs, param, &res);
	u32 v = res.uint_32;

	if (opt < 0)
		return opt;
	switch ((enum f2p_mount_opt)opt) {
	case F2P_MO_SOURCE:
		return f2p_take_string(fsc, param, &fsc->source);
	case F2P_MO_SUBTYPE:
		return f2p_take_string(fsc, param, &opts->subtype);
	case F2P_MO_FD:
		opts->fd = v;
		opts->fd_set = true;
		return 0;
	case F2P_MO_ROOTMODE:
		if (!f2p_rootmode_ok(v))
			return invalfc(fsc, "rootmode %o names no file type", v);
		opts->rootmode = v;
		opts->rootmode_set = true;
		return 0;
	case F2P_MO_UID:
		/* ids are the mounter's namespace's; one it cannot map is refused */
		opts->user_id = make_kuid(fsc->user_ns, v);
		opts->user_id_set = uid_valid(opts->user_id);
		return opts->user_id_set ? 0 :
		       invalfc(fsc, "user_id %u has no mapping here", v);
	case F2P_MO_GID:
		opts->group_id = make_kgid(fsc->user_ns, v);
		opts->group_id_set = gid_valid(opts->group_id);
		return opts->group_id_set ? 0 :
		       invalfc(fsc, "group_id %u has no mapping here", v);
	case F2P_MO_MAX_READ:
		opts->max_read = v;
		return 0;
	case F2P_MO_ALLOW_OTHER:
		opts->allow_other = true;
		return 0;
	case F2P_MO_DEFAULT_PERMS:
		opts->default_permissions = true;
		return 0;
	case F2P_MO_BLKSIZE:
		/* stock fuse takes it for fuseblk only; fuse2pt has no such type */
		return invalfc(fsc, "blksize= is for block-device mounts, which fuse2pt does not offer");
	}
	return -EINVAL;
}

static void f2p_free_fsc(struct fs_context *fsc)
{
	struct f2p_mount_opts *opts = fsc->fs_private;

	if (opts)
		kfree(opts->subtype);
	kfree(opts);
}

static int f2p_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	struct f2p_conn *fc = f2p_sb_conn(sb);
	struct fuse_statfs_out out = {};
	struct f2p_args args = {};
	ssize_t err;

	buf->f_type = F2P_SUPER_MAGIC;
	if (!f2p_allow_current(fc))
		return 0;

	args.opcode = FUSE_STATFS;
	args.nodeid = f2p_nodeid(d_inode(dentry));
	args.out_numargs = 1;
	args.out_args[0].size = f2p_statfs_out_size(fc);
	args.out_args[0].value = &out;
	err = f2p_request(fc, &args);
	if (err)
		return err;

	buf->f_bsize = out.st.bsize;
	buf->f_frsize = out.st.frsize;
	buf->f_blocks = out.st.blocks;
	buf->f_bfree = out.st.bfree;
	buf->f_bavail = out.st.bavail;
	buf->f_files = out.st.files;
	buf->f_ffree = out.st.ffree;
	buf->f_namelen = out.st.namelen;
	return 0;
}

static int f2p_show_options(struct seq_file *m, struct dentry *root)
{
	struct super_block *sb = root->d_sb;
	struct f2p_conn *fc = f2p_sb_conn(sb);

	seq_printf(m, ",user_id=%u", from_kuid_munged(fc->user_ns, fc->user_id));
	seq_printf(m, ",group_id=%u", from_kgid_munged(fc->user_ns, fc->group_id));
	if (fc->default_permissions)
		seq_puts(m, ",default_permissions");
	if (fc->allow_other)
		seq_puts(m, ",allow_other");
	if (fc->max_read != ~0U)
		seq_printf(m, ",max_read=%u", fc->max_read);
	return 0;
}

static void f2p_umount_begin(struct super_block *sb)
{
	/* umount -f: the admin gives up on the server */
	f2p_conn_abort(f2p_sb_conn(sb));
}

/*
 * syncfs(2): our dirty pages first (the VFS did that before calling us),
 * then the server's own caches, if it has SYNCFS.
 */
static int f2p_sync_fs(struct super_block *sb, int wait)
{
	struct f2p_conn *fc = f2p_sb_conn(sb);
	struct fuse_syncfs_in in = {};
	struct f2p_args args = {
		.opcode = FUSE_SYNCFS,
		.nodeid = FUSE_ROOT_ID,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
	};
	ssize_t err;

	/*
	 * Only the waiting pass, and not from umount (kill_sb cleared fc->sb
	 * first): a stalled server must not hold the umount.
	 */
	if (!wait || READ_ONCE(fc->no_syncfs) || !READ_ONCE(fc->connected) ||
	    !READ_ONCE(fc->sb))
		return 0;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_syncfs, true);
		err = 0;
	}
	return err;
}

static const struct super_operations f2p_super_ops = {
	.sync_fs	= f2p_sync_fs,
	.alloc_inode	= f2p_alloc_inode,
	.free_inode	= f2p_free_inode,
	.evict_inode	= f2p_evict_inode,
	.write_inode	= f2p_write_inode,
	.statfs		= f2p_statfs,
	.show_options	= f2p_show_options,
	.umount_begin	= f2p_umount_begin,
};

static int f2p_make_root(struct super_block *sb, umode_t mode)
{
	struct f2p_conn *fc = f2p_sb_conn(sb);
	struct fuse_attr attr = {
		.mode = mode,
		.ino = FUSE_ROOT_ID,
		.nlink = 1,
		.uid = from_kuid(fc->user_ns, fc->user_id),
		.gid = from_kgid(fc->user_ns, fc->group_id),
	};
	struct inode *root;

	/* attributes expire at once: the first stat asks the server */
	root = f2p_iget(sb, FUSE_ROOT_ID, 0, &attr, 0, 0);
	if (!root)
		return -ENOMEM;
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

/*
 * A passthrough write through one fuse2pt mount to a backing file on
 * another holds the freeze protection and the inode lock of both, the
 * upper mount's first.  The VFS gives every superblock of a file system
 * type the same lock classes, so lockdep would take that for one lock
 * taken twice ("possible recursive locking") and stop checking anything
 * else.  So our locks get classes of their own:
 *
 * - a superblock's freeze levels, a class per superblock: registered in
 *   fill_super, before anyone can take them, and unregistered in kill_sb.
 *   They are only ever taken as subclass 0, which unregistering frees.
 * - a regular file's i_rwsem, a class per stack depth, as overlayfs does:
 *   rename takes it as a subclass, which a per-superblock key would leave
 *   behind at umount.  Files appear once INIT has set the depth, and a
 *   passthrough open checks that its backing file is shallower than the
 *   mount it serves (iomode.c), so a file and its backing file are never
 *   in one class.
 * - a regular-file root (rootmode), made before INIT and so before the
 *   depth is known: a class of its superblock's own.  No rename moves a
 *   root, so it is only taken as subclass 0.
 *
 * Without lockdep the keys are empty and nothing here runs.
 */
static void f2p_lockdep_classes_init(struct super_block *sb,
				     struct f2p_conn *fc)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	static const char *const names[] = {
		"f2p_sb_writers", "f2p_sb_pagefaults", "f2p_sb_internal",
	};
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(names) != SB_FREEZE_LEVELS);
	for (i = 0; i < SB_FREEZE_LEVELS; i++) {
		lockdep_register_key(&fc->sb_writers_key[i]);
		lockdep_set_class_and_name(&sb->s_writers.rw_sem[i],
					   &fc->sb_writers_key[i], names[i]);
	}
	lockdep_register_key(&fc->root_file_key);
#endif
}

static void f2p_lockdep_classes_exit(struct f2p_conn *fc)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	int i;

	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		lockdep_unregister_key(&fc->sb_writers_key[i]);
	lockdep_unregister_key(&fc->root_file_key);
#endif
}

/* A new regular file's i_rwsem takes its class (see above). */
void f2p_lockdep_reg_inode(struct inode *inode)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	static struct lock_class_key keys[FILESYSTEM_MAX_STACK_DEPTH + 1];
	static const char *const names[] = {
		"f2p_file_i_rwsem/0", "f2p_file_i_rwsem/1", "f2p_file_i_rwsem/2",
	};
	int depth = inode->i_sb->s_stack_depth;

	BUILD_BUG_ON(ARRAY_SIZE(names) != ARRAY_SIZE(keys));
	if (F2P_I(inode)->nodeid == FUSE_ROOT_ID) {
		lockdep_set_class_and_name(&inode->i_rwsem,
					   &f2p_inode_conn(inode)->root_file_key,
					   "f2p_root_file_i_rwsem");
		return;
	}
	if (WARN_ON_ONCE(depth < 0 || depth >= ARRAY_SIZE(keys)))
		return;
	lockdep_set_class_and_name(&inode->i_rwsem, &keys[depth],
				   names[depth]);
#endif
}

static int f2p_fill_super(struct super_block *sb, struct fs_context *fsc)
{
	struct f2p_mount_opts *opts = fsc->fs_private;
	struct f2p_conn *fc;
	struct file *file;
	int err;

	file = fget(opts->fd);
	if (!file)
		return invalfc(fsc, "fd %u is not open", opts->fd);
	err = -EINVAL;
	if (file->f_op != &f2p_dev_fops) {
		errorfc(fsc, "fd %u is not /dev/" F2P_NAME, opts->fd);
		goto out_fput;
	}
	if (file->f_cred->user_ns != fsc->user_ns) {
		errorfc(fsc, "fd %u was opened in another user namespace",
			opts->fd);
		goto out_fput;
	}

	err = -ENOMEM;
	fc = f2p_conn_alloc(fsc);
	if (!fc)
		goto out_fput;
	fc->user_id = opts->user_id;
	fc->group_id = opts->group_id;
	fc->default_permissions = opts->default_permissions;
	fc->allow_other = opts->allow_other;
	fc->max_read = opts->max_read ? opts->max_read : ~0U;
	fc->sb = sb;
	sb->s_fs_info = fc;
	f2p_lockdep_classes_init(sb, fc);

	sb->s_magic = F2P_SUPER_MAGIC;
	sb->s_op = &f2p_super_ops;
	sb->s_xattr = f2p_xattr_handlers;
	/* handles work for every server; uncached objects need EXPORT_SUPPORT */
	sb->s_export_op = &f2p_export_ops;
	f2p_set_default_d_op(sb, &f2p_dentry_ops);
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	/*
	 * As stock fuse: the VFS leaves umask and ACLs to us at once, and
	 * permission checks ask ->get_inode_acl(), which only a server with
	 * FUSE_POSIX_ACL answers.
	 */
	sb->s_flags |= SB_POSIXACL;
	sb->s_iflags |= SB_I_IMA_UNVERIFIABLE_SIGNATURE;
	if (opts->subtype) {
		sb->s_subtype = opts->subtype;
		opts->subtype = NULL;
	}

	/*
	 * Named MAJ:MIN after the mount's st_dev, as stock fuse names its
	 * own: /sys/class/bdi/MAJ:MIN/read_ahead_kb is where libfuse's FAQ
	 * sends users to tune readahead.
	 */
	err = super_setup_bdi_name(sb, "%u:%u", MAJOR(sb->s_dev),
				   MINOR(sb->s_dev));
	if (err)
		goto out_fput;
	sb->s_bdi->ra_pages = fc->max_pages;

	err = f2p_make_root(sb, opts->rootmode);
	if (err)
		goto out_fput;

	err = f2p_dev_attach(file, fc);
	if (err) {
		errorfc(fsc, "fd %u is already mounted", opts->fd);
		goto out_fput;
	}
	fput(file);
	/* the control directory; kill_sb removes it if we fail from here */
	err = f2p_ctl_add_conn(fc);
	if (err)
		return err;
	return f2p_send_init(fc);

out_fput:
	/* on failure the superblock is torn down by f2p_kill_sb */
	fput(file);
	return err;
}

static int f2p_get_tree(struct fs_context *fsc)
{
	struct f2p_mount_opts *opts = fsc->fs_private;

	if (!opts->fd_set)
		return invalfc(fsc, "no fd= given");
	if (!opts->rootmode_set)
		return invalfc(fsc, "no rootmode= given");
	if (!opts->user_id_set)
		return invalfc(fsc, "no user_id= given");
	if (!opts->group_id_set)
		return invalfc(fsc, "no group_id= given");
	return get_tree_nodev(fsc, f2p_fill_super);
}

static int f2p_reconfigure(struct fs_context *fsc)
{
	/* only the generic flags (ro, nosuid, ...) change on remount */
	sync_filesystem(fsc->root->d_sb);
	return 0;
}

static const struct fs_context_operations f2p_context_ops = {
	.free		= f2p_free_fsc,
	.parse_param	= f2p_parse_param,
	.get_tree	= f2p_get_tree,
	.reconfigure	= f2p_reconfigure,
};

static int f2p_init_fs_context(struct fs_context *fsc)
{
	struct f2p_mount_opts *opts = kzalloc(sizeof(*opts), GFP_KERNEL);

	if (!opts)
		return -ENOMEM;
	fsc->fs_private = opts;
	fsc->ops = &f2p_context_ops;
	return 0;
}

static void f2p_kill_sb(struct super_block *sb)
{
	struct f2p_conn *fc = f2p_sb_conn(sb);

	if (fc) {
		/* (while the control directory still lets an admin abort) */
		f2p_release_detach_all(fc);
		/* before the device number is freed for another mount to take */
		f2p_ctl_remove_conn(fc);
		/* notifications find no superblock from now on */
		down_write(&fc->killsb);
		spin_lock(&fc->lock);
		fc->sb = NULL;
		spin_unlock(&fc->lock);
		up_write(&fc->killsb);
	}
	kill_anon_super(sb);
	if (!fc)
		return;
	/* nothing takes this superblock's freeze levels or root any more */
	f2p_lockdep_classes_exit(fc);
	f2p_send_destroy(fc);
	f2p_conn_shutdown(fc);
	f2p_conn_put(fc);
}

static struct file_system_type f2p_fs_type = {
	.owner			= THIS_MODULE,
	.name			= F2P_NAME,
	.fs_flags		= FS_HAS_SUBTYPE,
	.init_fs_context	= f2p_init_fs_context,
	.parameters		= f2p_param_specs,
	.kill_sb		= f2p_kill_sb,
};
MODULE_ALIAS_FS(F2P_NAME);

int f2p_fs_init(void)
{
	return register_filesystem(&f2p_fs_type);
}

void f2p_fs_exit(void)
{
	unregister_filesystem(&f2p_fs_type);
}
