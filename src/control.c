// SPDX-License-Identifier: GPL-2.0
/*
 * The control filesystem: /sys/fs/fuse2pt/connections/N, one directory
 * per mounted connection (N is the superblock's device number, as stock
 * fuse names its own), holding
 *
 *   abort                 any write tears the connection down
 *   waiting               requests callers are waiting on
 *   max_background        background requests the server may have at once
 *   congestion_threshold  background requests past which readahead backs off
 *
 * and, read only, what passthrough does (the counts live in the
 * connection, whose definition says where each moves):
 *
 *   backing_files             backing ids registered and not closed
 *   open_passthrough          files open now in passthrough mode
 *   open_cached               files open now through the page cache
 *   open_direct               files open now with direct io alone
 *   passthrough_read_bytes    bytes read by passthrough read and splice
 *   passthrough_write_bytes   bytes written so (neither counts mmap, nor
 *                             aio the backing filesystem queued)
 *   passthrough_refused       opens refused by passthrough's rules
 *   passthrough_refused_last  why the last one was, as a line of text
 *
 * Nothing here is pinned in the dcache: the directories are looked up in
 * a registry of connections whenever a path is walked, and every dentry
 * is dropped as soon as it is unused.  So a connection appears when it is
 * registered (mount) and is gone the moment it is unregistered (umount),
 * whether or not the control filesystem is mounted at the time, and no
 * dentry ever has to be created or removed behind the VFS' back.  An open
 * control file holds a reference on its connection, never a stale
 * pointer.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "fuse2pt.h"

#define F2P_CTL_NAME	F2P_NAME "ctl"
#define F2P_CTL_MAGIC	0x46325043	/* "F2PC" */

/* the registry: dev_t -> connection, whose references it does not hold */
static DEFINE_MUTEX(f2p_ctl_mutex);
static DEFINE_XARRAY(f2p_ctl_conns);
static struct kobject *f2p_ctl_kobj;

/* what a show may write: the longest reason line fits */
#define F2P_CTL_SHOW_MAX	128

struct f2p_ctl_attr {
	const char *name;
	umode_t mode;
	/* formats the value into buf (F2P_CTL_SHOW_MAX); returns its length */
	int (*show)(struct f2p_conn *fc, char *buf, size_t size);
	/* takes the user's text (NUL-terminated, at most 31 bytes) */
	int (*store)(struct f2p_conn *fc, const char *buf);
};

int f2p_ctl_add_conn(struct f2p_conn *fc)
{
	int err;

	mutex_lock(&f2p_ctl_mutex);
	err = xa_insert(&f2p_ctl_conns, fc->sb->s_dev, fc, GFP_KERNEL);
	if (!err)
		fc->dev = fc->sb->s_dev;
	mutex_unlock(&f2p_ctl_mutex);
	return err;
}

void f2p_ctl_remove_conn(struct f2p_conn *fc)
{
	mutex_lock(&f2p_ctl_mutex);
	/* only if it is ours: a mount that failed early never registered */
	if (fc->dev && xa_load(&f2p_ctl_conns, fc->dev) == fc)
		xa_erase(&f2p_ctl_conns, fc->dev);
	mutex_unlock(&f2p_ctl_mutex);
}

/* The connection registered as @dev, with a reference, or NULL. */
static struct f2p_conn *f2p_ctl_conn_get(unsigned long dev)
{
	struct f2p_conn *fc;

	mutex_lock(&f2p_ctl_mutex);
	fc = xa_load(&f2p_ctl_conns, dev);
	if (fc)
		f2p_conn_get(fc);
	mutex_unlock(&f2p_ctl_mutex);
	return fc;
}

/* ---- the files ---- */

static int f2p_ctl_show_waiting(struct f2p_conn *fc, char *buf, size_t size)
{
	return scnprintf(buf, size, "%d\n", atomic_read(&fc->num_waiting));
}

static int f2p_ctl_show_max_bg(struct f2p_conn *fc, char *buf, size_t size)
{
	return scnprintf(buf, size, "%u\n", READ_ONCE(fc->max_background));
}

static int f2p_ctl_show_congestion(struct f2p_conn *fc, char *buf,
				   size_t size)
{
	return scnprintf(buf, size, "%u\n",
			 READ_ONCE(fc->congestion_threshold));
}

static int f2p_ctl_store_abort(struct f2p_conn *fc, const char *buf)
{
	f2p_conn_abort(fc);
	return 0;
}

/*
 * Limits travel as 16 bits in INIT; the same range applies here.  Whoever
 * may write the file (the mounting user) may set any value up to the
 * module's per-user limit; beyond it needs CAP_SYS_ADMIN.
 */
static int f2p_ctl_parse_limit(const char *buf, unsigned int *val)
{
	unsigned int v;
	int err = kstrtouint(strim((char *)buf), 0, &v);

	if (err)
		return err;
	if (!v || v > U16_MAX)
		return -EINVAL;
	*val = v;
	return 0;
}

static int f2p_ctl_store_max_bg(struct f2p_conn *fc, const char *buf)
{
	unsigned int v;
	int err = f2p_ctl_parse_limit(buf, &v);

	if (err)
		return err;
	if (v > f2p_bg_user_limit(false) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	f2p_conn_set_bg_limits(fc, v, 0, true);
	return 0;
}

static int f2p_ctl_store_congestion(struct f2p_conn *fc, const char *buf)
{
	unsigned int v;
	int err = f2p_ctl_parse_limit(buf, &v);

	if (err)
		return err;
	if (v > f2p_bg_user_limit(true) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	f2p_conn_set_bg_limits(fc, 0, v, true);
	return 0;
}

static int f2p_ctl_show_backing(struct f2p_conn *fc, char *buf, size_t size)
{
	return scnprintf(buf, size, "%u\n", READ_ONCE(fc->backing_files));
}

static int f2p_ctl_show_open_pt(struct f2p_conn *fc, char *buf, size_t size)
{
	return scnprintf(buf, size, "%d\n", atomic_read(&fc->open_passthrough));
}

static int f2p_ctl_show_open_cached(struct f2p_conn *fc, char *buf,
				    size_t size)
{
	return scnprintf(buf, size, "%d\n", atomic_read(&fc->open_cached));
}

static int f2p_ctl_show_open_direct(struct f2p_conn *fc, char *buf,
				    size_t size)
{
	return scnprintf(buf, size, "%d\n", atomic_read(&fc->open_direct));
}

static int f2p_ctl_show_read_bytes(struct f2p_conn *fc, char *buf,
				   size_t size)
{
	return scnprintf(buf, size, "%lld\n",
			 (long long)atomic64_read(&fc->pt_read_bytes));
}

static int f2p_ctl_show_write_bytes(struct f2p_conn *fc, char *buf,
				    size_t size)
{
	return scnprintf(buf, size, "%lld\n",
			 (long long)atomic64_read(&fc->pt_write_bytes));
}

static int f2p_ctl_show_refused(struct f2p_conn *fc, char *buf, size_t size)
{
	return scnprintf(buf, size, "%lld\n",
			 (long long)atomic64_read(&fc->pt_refused));
}

/* The last refusal in words: reason and detail (f2p_iomode_refuse()). */
static int f2p_ctl_show_refused_last(struct f2p_conn *fc, char *buf,
				     size_t size)
{
	u64 last = atomic64_read(&fc->pt_refused_last);
	u32 detail = lower_32_bits(last);

	switch (upper_32_bits(last)) {
	case F2P_PT_NOT_NEGOTIATED:
		return scnprintf(buf, size, "passthrough was not negotiated\n");
	case F2P_PT_BAD_FLAGS:
		return scnprintf(buf, size,
				 "open flags %#x may not come with FOPEN_PASSTHROUGH\n",
				 detail);
	case F2P_PT_BAD_ID:
		return scnprintf(buf, size, "backing id %d is not registered\n",
				 (s32)detail);
	case F2P_PT_OTHER_BACKING:
		return scnprintf(buf, size,
				 "the inode is open in passthrough mode on another backing file\n");
	case F2P_PT_INODE_PASSTHROUGH:
		return scnprintf(buf, size,
				 "the inode is open in passthrough mode\n");
	case F2P_PT_INODE_CACHED:
		return scnprintf(buf, size,
				 "the inode is open in cached mode\n");
	case F2P_PT_BACKING_OPEN:
		return scnprintf(buf, size,
				 "the backing file could not be opened: error -%u\n",
				 detail);
	case F2P_PT_TOO_DEEP:
		return scnprintf(buf, size,
				 "backing file stacked too deep: depth %u, max_stack_depth %u\n",
				 detail, READ_ONCE(fc->max_stack_depth));
	default:
		return scnprintf(buf, size, "\n");
	}
}

/*
 * The passthrough files are for the owner alone, as waiting is: the
 * directory (0500) lets nobody else in, so 0444 would only mislead.
 */
static const struct f2p_ctl_attr f2p_ctl_attrs[] = {
	{ "abort", 0200, NULL, f2p_ctl_store_abort },
	{ "waiting", 0400, f2p_ctl_show_waiting, NULL },
	{ "max_background", 0600, f2p_ctl_show_max_bg, f2p_ctl_store_max_bg },
	{ "congestion_threshold", 0600, f2p_ctl_show_congestion,
	  f2p_ctl_store_congestion },
	{ "backing_files", 0400, f2p_ctl_show_backing, NULL },
	{ "open_passthrough", 0400, f2p_ctl_show_open_pt, NULL },
	{ "open_cached", 0400, f2p_ctl_show_open_cached, NULL },
	{ "open_direct", 0400, f2p_ctl_show_open_direct, NULL },
	{ "passthrough_read_bytes", 0400, f2p_ctl_show_read_bytes, NULL },
	{ "passthrough_write_bytes", 0400, f2p_ctl_show_write_bytes, NULL },
	{ "passthrough_refused", 0400, f2p_ctl_show_refused, NULL },
	{ "passthrough_refused_last", 0400, f2p_ctl_show_refused_last, NULL },
};

/* a file's inode knows its attribute, its directory's inode the device */
static unsigned long f2p_ctl_dir_dev(const struct inode *dir)
{
	return (unsigned long)dir->i_private;
}

static int f2p_ctl_open(struct inode *inode, struct file *file)
{
	struct dentry *parent = file->f_path.dentry->d_parent;
	struct f2p_conn *fc = f2p_ctl_conn_get(f2p_ctl_dir_dev(d_inode(parent)));

	if (!fc)
		return -ENOENT;
	file->private_data = fc;
	return nonseekable_open(inode, file);
}

static int f2p_ctl_release(struct inode *inode, struct file *file)
{
	f2p_conn_put(file->private_data);
	return 0;
}

static ssize_t f2p_ctl_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	const struct f2p_ctl_attr *attr = file_inode(file)->i_private;
	char buf[F2P_CTL_SHOW_MAX];
	int len;

	if (!attr->show)
		return -EINVAL;
	len = attr->show(file->private_data, buf, sizeof(buf));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t f2p_ctl_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	const struct f2p_ctl_attr *attr = file_inode(file)->i_private;
	char buf[32];
	size_t len = min(count, sizeof(buf) - 1);
	int err;

	if (!attr->store)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	err = attr->store(file->private_data, buf);
	return err ? err : count;
}

static const struct file_operations f2p_ctl_file_fops = {
	.owner		= THIS_MODULE,
	.open		= f2p_ctl_open,
	.release	= f2p_ctl_release,
	.read		= f2p_ctl_read,
	.write		= f2p_ctl_write,
};

/* ---- inodes and directories ---- */

static struct inode *f2p_ctl_inode(struct super_block *sb, umode_t mode,
				   kuid_t uid, kgid_t gid)
{
	struct inode *inode = new_inode(sb);
	struct timespec64 now;

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	inode->i_uid = uid;
	inode->i_gid = gid;
	now = current_time(inode);
	f2p_inode_set_atime(inode, now);
	f2p_inode_set_mtime(inode, now);
	f2p_inode_set_ctime(inode, now);
	if (S_ISDIR(mode))
		set_nlink(inode, 2);
	return inode;
}

/*
 * What a lookup needs of the connection, copied under the registry's
 * lock so the connection may go away right after.
 */
static bool f2p_ctl_owner(unsigned long dev, kuid_t *uid, kgid_t *gid)
{
	struct f2p_conn *fc;

	mutex_lock(&f2p_ctl_mutex);
	fc = xa_load(&f2p_ctl_conns, dev);
	if (fc) {
		*uid = fc->user_id;
		*gid = fc->group_id;
	}
	mutex_unlock(&f2p_ctl_mutex);
	return fc;
}

static int f2p_ctl_conn_iterate(struct file *file, struct dir_context *ctx)
{
	size_t i;

	if (!dir_emit_dots(file, ctx))
		return 0;
	for (i = ctx->pos - 2; i < ARRAY_SIZE(f2p_ctl_attrs); i++) {
		const char *name = f2p_ctl_attrs[i].name;

		if (!dir_emit(ctx, name, strlen(name), 100 + i, DT_REG))
			return 0;
		ctx->pos++;
	}
	return 0;
}

static struct dentry *f2p_ctl_conn_lookup(struct inode *dir,
					  struct dentry *dentry,
					  unsigned int flags)
{
	const struct f2p_ctl_attr *attr = NULL;
	struct inode *inode = NULL;
	kuid_t uid;
	kgid_t gid;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f2p_ctl_attrs); i++)
		if (!strcmp(dentry->d_name.name, f2p_ctl_attrs[i].name))
			attr = &f2p_ctl_attrs[i];
	if (attr && f2p_ctl_owner(f2p_ctl_dir_dev(dir), &uid, &gid)) {
		inode = f2p_ctl_inode(dir->i_sb, S_IFREG | attr->mode, uid, gid);
		if (!inode)
			return ERR_PTR(-ENOMEM);
		inode->i_private = (void *)attr;
		inode->i_fop = &f2p_ctl_file_fops;
	}
	return d_splice_alias(inode, dentry);
}

static const struct file_operations f2p_ctl_conn_fops = {
	.iterate_shared	= f2p_ctl_conn_iterate,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
};

static const struct inode_operations f2p_ctl_conn_iops = {
	.lookup		= f2p_ctl_conn_lookup,
};

/* The root lists the registry; a position is the next device to show. */
static int f2p_ctl_root_iterate(struct file *file, struct dir_context *ctx)
{
	char name[16];

	if (!dir_emit_dots(file, ctx))
		return 0;
	for (;;) {
		unsigned long dev = ctx->pos - 2;
		int len;

		if (!xa_find(&f2p_ctl_conns, &dev, ULONG_MAX, XA_PRESENT))
			break;
		len = scnprintf(name, sizeof(name), "%lu", dev);
		if (!dir_emit(ctx, name, len, dev, DT_DIR))
			return 0;
		ctx->pos = (loff_t)dev + 3;
	}
	return 0;
}

static struct dentry *f2p_ctl_root_lookup(struct inode *dir,
					  struct dentry *dentry,
					  unsigned int flags)
{
	struct inode *inode = NULL;
	unsigned long dev;
	kuid_t uid;
	kgid_t gid;

	if (!kstrtoul(dentry->d_name.name, 10, &dev) && dev &&
	    f2p_ctl_owner(dev, &uid, &gid)) {
		inode = f2p_ctl_inode(dir->i_sb, S_IFDIR | 0500, uid, gid);
		if (!inode)
			return ERR_PTR(-ENOMEM);
		inode->i_private = (void *)dev;
		inode->i_op = &f2p_ctl_conn_iops;
		inode->i_fop = &f2p_ctl_conn_fops;
	}
	return d_splice_alias(inode, dentry);
}

static const struct file_operations f2p_ctl_root_fops = {
	.iterate_shared	= f2p_ctl_root_iterate,
	.read		= generic_read_dir,
	.llseek		= generic_file_llseek,
};

static const struct inode_operations f2p_ctl_root_iops = {
	.lookup		= f2p_ctl_root_lookup,
};

/* ---- the filesystem ---- */

static const struct super_operations f2p_ctl_super_ops = {
	.statfs		= simple_statfs,
};

/* never cache a name: the registry is the truth */
static const struct dentry_operations f2p_ctl_dentry_ops = {
	.d_delete	= always_delete_dentry,
};

static int f2p_ctl_fill_super(struct super_block *sb, struct fs_context *fsc)
{
	struct inode *root;

	sb->s_magic = F2P_CTL_MAGIC;
	sb->s_op = &f2p_ctl_super_ops;
	sb->s_time_gran = 1;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	f2p_set_default_d_op(sb, &f2p_ctl_dentry_ops);

	root = f2p_ctl_inode(sb, S_IFDIR | 0755, GLOBAL_ROOT_UID,
			     GLOBAL_ROOT_GID);
	if (!root)
		return -ENOMEM;
	root->i_ino = 1;
	root->i_op = &f2p_ctl_root_iops;
	root->i_fop = &f2p_ctl_root_fops;
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int f2p_ctl_get_tree(struct fs_context *fsc)
{
	/* one instance, however often it is mounted */
	return get_tree_single(fsc, f2p_ctl_fill_super);
}

static const struct fs_context_operations f2p_ctl_context_ops = {
	.get_tree	= f2p_ctl_get_tree,
};

static int f2p_ctl_init_fs_context(struct fs_context *fsc)
{
	fsc->ops = &f2p_ctl_context_ops;
	return 0;
}

static struct file_system_type f2p_ctl_fs_type = {
	.owner			= THIS_MODULE,
	.name			= F2P_CTL_NAME,
	.init_fs_context	= f2p_ctl_init_fs_context,
	.kill_sb		= kill_anon_super,
};
MODULE_ALIAS_FS(F2P_CTL_NAME);

int f2p_ctl_init(void)
{
	int err;

	f2p_ctl_kobj = kobject_create_and_add(F2P_NAME, fs_kobj);
	if (!f2p_ctl_kobj)
		return -ENOMEM;
	err = sysfs_create_mount_point(f2p_ctl_kobj, "connections");
	if (err)
		goto undo_kobj;
	err = register_filesystem(&f2p_ctl_fs_type);
	if (err)
		goto undo_mount_point;
	return 0;

undo_mount_point:
	sysfs_remove_mount_point(f2p_ctl_kobj, "connections");
undo_kobj:
	kobject_put(f2p_ctl_kobj);
	return err;
}

void f2p_ctl_exit(void)
{
	unregister_filesystem(&f2p_ctl_fs_type);
	sysfs_remove_mount_point(f2p_ctl_kobj, "connections");
	kobject_put(f2p_ctl_kobj);
	/* every mount unregistered at umount, and rmmod waits for them all */
	WARN_ON(!xa_empty(&f2p_ctl_conns));
}
