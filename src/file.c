// SPDX-License-Identifier: GPL-2.0
/*
 * Regular files: OPEN, RELEASE and FLUSH, fsync, seeking and splicing,
 * and the operation tables that send each call to its part: reads in
 * read.c, write-through writes in write.c, mappings and writepages in
 * mmap.c, FALLOCATE and COPY_FILE_RANGE in space.c, the writeback cache
 * in writeback.c, direct I/O in dio.c, passthrough in passthrough.c.
 *
 * An f2p_file is counted: the open file holds one reference and each
 * readahead READ still out another; the last one sends the RELEASE.
 * Writeback borrows a writable open file (wb_users), and that file's
 * release waits until every borrower has let it go.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/huge_mm.h>
#include "fuse2pt.h"

struct f2p_file *f2p_file_alloc(struct f2p_conn *fc)
{
	struct f2p_file *ff = kzalloc(sizeof(*ff), GFP_KERNEL);

	if (ff) {
		ff->fc = fc;
		refcount_set(&ff->count, 1);
		INIT_LIST_HEAD(&ff->write_entry);
		INIT_LIST_HEAD(&ff->release_entry);
		init_waitqueue_head(&ff->poll_wait);
	}
	return ff;
}

/*
 * OPEN or OPENDIR with @f_flags: for an open(2), or a handle of our own
 * (ioctl.c).  The reply stays in the per-file argument space.
 */
struct f2p_file *f2p_file_open_flags(struct inode *inode, unsigned int f_flags,
				     bool isdir)
{
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff;
	ssize_t err;

	ff = f2p_file_alloc(fc);
	if (!ff)
		return ERR_PTR(-ENOMEM);
	ff->nodeid = f2p_nodeid(inode);

	ff->open.in.flags = f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY);
	if (isdir || !fc->atomic_o_trunc)
		ff->open.in.flags &= ~O_TRUNC;
	ff->args.opcode = isdir ? FUSE_OPENDIR : FUSE_OPEN;
	ff->args.nodeid = ff->nodeid;
	ff->args.in_numargs = 1;
	ff->args.in_args[0].size = sizeof(ff->open.in);
	ff->args.in_args[0].value = &ff->open.in;
	ff->args.out_numargs = 1;
	ff->args.out_args[0].size = sizeof(ff->open.out);
	ff->args.out_args[0].value = &ff->open.out;
	err = f2p_request(fc, &ff->args);
	if (err) {
		kfree(ff);
		return ERR_PTR(err);
	}
	ff->fh = ff->open.out.fh;
	ff->open_flags = ff->open.out.open_flags;
	return ff;
}

struct f2p_file *f2p_file_open(struct inode *inode, struct file *file,
			       bool isdir)
{
	return f2p_file_open_flags(inode, file->f_flags, isdir);
}

/*
 * The RELEASE has ended: now its inode may go, and the inode's FORGET
 * after it.  Unless umount took the inode already, the iput is counted
 * (release_iputs, under fc->lock with the taking), so that umount can
 * wait for an inode taken just before it looked.
 */
static void f2p_release_end(struct f2p_conn *fc, struct f2p_args *args,
			    int error)
{
	struct f2p_file *ff = container_of(args, struct f2p_file, args);
	struct inode *inode;

	spin_lock(&fc->lock);
	list_del_init(&ff->release_entry);
	inode = ff->release_inode;
	ff->release_inode = NULL;
	if (inode)
		atomic_inc(&fc->release_iputs);
	spin_unlock(&fc->lock);
	kfree(ff);
	if (inode) {
		iput(inode);
		if (atomic_dec_and_test(&fc->release_iputs))
			wake_up_var(&fc->release_iputs);
	}
}

/*
 * umount: RELEASEs still queued keep their place for the server, but the
 * inodes they hold must go with the superblock now, and so must those a
 * RELEASE's end is putting this moment.
 */
void f2p_release_detach_all(struct f2p_conn *fc)
{
	struct f2p_file *ff;

	spin_lock(&fc->lock);
	while (!list_empty(&fc->releases)) {
		struct inode *inode;

		ff = list_first_entry(&fc->releases, struct f2p_file,
				      release_entry);
		list_del_init(&ff->release_entry);
		inode = ff->release_inode;
		ff->release_inode = NULL;
		spin_unlock(&fc->lock);
		iput(inode);
		spin_lock(&fc->lock);
	}
	spin_unlock(&fc->lock);
	wait_var_event(&fc->release_iputs, !atomic_read(&fc->release_iputs));
}

/* umount takes back the inode of a RELEASE not yet answered (or sent) */
static void f2p_release_track(struct f2p_file *ff)
{
	spin_lock(&ff->fc->lock);
	if (ff->release_inode && list_empty(&ff->release_entry))
		list_add_tail(&ff->release_entry, &ff->fc->releases);
	spin_unlock(&ff->fc->lock);
}

/*
 * RELEASE travels in the background: close(2) must not wait for the
 * server.  The open reply's space now carries the release request, and
 * the file's memory goes with the request's end.
 */
void f2p_file_put_release(struct f2p_file *ff, unsigned int f_flags,
			  bool isdir)
{
	memset(&ff->args, 0, sizeof(ff->args));
	ff->release.fh = ff->fh;
	ff->release.flags = f_flags & ~O_EXCL;
	ff->release.release_flags = 0;
	ff->release.lock_owner = 0;
	/* flock()s taken through this file end with its last close */
	if (READ_ONCE(ff->flock_owner)) {
		ff->release.release_flags = FUSE_RELEASE_FLOCK_UNLOCK;
		ff->release.lock_owner = ff->flock_owner;
	}
	ff->args.opcode = isdir ? FUSE_RELEASEDIR : FUSE_RELEASE;
	ff->args.nodeid = ff->nodeid;
	ff->args.in_numargs = 1;
	ff->args.in_args[0].size = sizeof(ff->release);
	ff->args.in_args[0].value = &ff->release;
	ff->args.force = true;
	ff->args.end = f2p_release_end;
	f2p_release_track(ff);
	f2p_request_bg(ff->fc, &ff->args, GFP_KERNEL | __GFP_NOFAIL);
}

/* The last reference sends the RELEASE: after every READ it had out. */
void f2p_file_put(struct f2p_file *ff)
{
	if (refcount_dec_and_test(&ff->count))
		f2p_file_put_release(ff, ff->close_flags, false);
}

void f2p_file_release(struct inode *inode, struct file *file, bool isdir)
{
	struct f2p_file *ff = file->private_data;

	if (!ff)
		return;
	file->private_data = NULL;
	ihold(inode);
	ff->release_inode = inode;
	if (isdir) {
		f2p_file_put_release(ff, file->f_flags, true);
		return;
	}
	/* readahead may hold the RELEASE back; umount must not wait */
	f2p_release_track(ff);
	ff->close_flags = file->f_flags;
	f2p_file_put(ff);
}

/*
 * What every freshly opened regular file needs, however it was opened:
 * its io mode first.  A refused file is released to the server here.
 */
int f2p_file_opened(struct inode *inode, struct file *file)
{
	struct f2p_file *ff = file->private_data;
	int err;

	err = f2p_iomode_open(inode, file, ff);
	if (err) {
		file->private_data = NULL;
		f2p_file_put_release(ff, file->f_flags, false);
		return err;
	}
	if (ff->open_flags & FOPEN_STREAM)
		stream_open(inode, file);
	else if (ff->open_flags & FOPEN_NONSEEKABLE)
		nonseekable_open(inode, file);
	/* dirty pages of a shared mapping are written back through us */
	if ((file->f_mode & FMODE_WRITE) && !ff->backing_file) {
		struct f2p_inode *fi = F2P_I(inode);

		spin_lock(&fi->lock);
		list_add_tail(&ff->write_entry, &fi->write_files);
		spin_unlock(&fi->lock);
	}
	/*
	 * Unless the server vouches for our cache, start from scratch, in
	 * every io mode: pages cached before a passthrough open would
	 * otherwise outlive it and come back after its release.
	 */
	if (!(ff->open_flags & FOPEN_KEEP_CACHE))
		invalidate_inode_pages2(inode->i_mapping);
	return 0;
}

static int f2p_open(struct inode *inode, struct file *file)
{
	struct f2p_file *ff;
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	err = generic_file_open(inode, file);
	if (err)
		return err;
	/* the server truncates at OPEN: our dirty pages must not land after */
	if ((file->f_flags & O_TRUNC) && f2p_inode_conn(inode)->writeback_cache) {
		err = filemap_write_and_wait(inode->i_mapping);
		if (err)
			return err;
	}
	ff = f2p_file_open(inode, file, false);
	if (IS_ERR(ff))
		return PTR_ERR(ff);
	file->private_data = ff;
	/* O_DIRECT reads and writes go to the server (passthrough: see iomode) */
	file->f_mode |= FMODE_CAN_ODIRECT;
	return f2p_file_opened(inode, file);
}

/* Stop lending @ff to writeback, after its last dirty page went out. */
static void f2p_write_file_remove(struct inode *inode, struct f2p_file *ff)
{
	struct f2p_inode *fi = F2P_I(inode);
	bool last;

	if (list_empty_careful(&ff->write_entry))
		return;
	spin_lock(&fi->lock);
	last = list_is_singular(&fi->write_files);
	spin_unlock(&fi->lock);
	if (last)
		f2p_wb_sync(inode);
	spin_lock(&fi->lock);
	list_del_init(&ff->write_entry);
	spin_unlock(&fi->lock);
	wait_var_event(&ff->wb_users, !atomic_read(&ff->wb_users));
}

static int f2p_release(struct inode *inode, struct file *file)
{
	struct f2p_file *ff = file->private_data;

	if (ff) {
		f2p_write_file_remove(inode, ff);
		f2p_iomode_release(inode, ff);
		f2p_poll_release(ff);
	}
	f2p_file_release(inode, file, false);
	return 0;
}

static int f2p_flush(struct file *file, fl_owner_t id)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_flush_in in = {};
	struct f2p_args args = {};
	ssize_t err;

	if (f2p_is_bad(inode))
		return -EIO;
	/* close(2) reports what writing back dirty pages ran into */
	err = f2p_wb_sync(inode);
	if (err)
		return err;
	if (fc->no_flush || (ff->open_flags & FOPEN_NOFLUSH))
		return 0;
	in.fh = ff->fh;
	in.lock_owner = f2p_lock_owner(fc, id);
	args.opcode = FUSE_FLUSH;
	args.nodeid = ff->nodeid;
	args.in_numargs = 1;
	args.in_args[0].size = sizeof(in);
	args.in_args[0].value = &in;
	args.force = true;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		fc->no_flush = true;
		err = 0;
	}
	return err;
}

static int f2p_fsync(struct file *file, loff_t start, loff_t end,
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
		.opcode = FUSE_FSYNC,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
	};
	ssize_t err;

	if (f2p_is_bad(inode))
		return -EIO;
	err = file_write_and_wait_range(file, start, end);
	/* writeback cache: the times we keep go to the server too */
	if (!err && fc->writeback_cache)
		err = sync_inode_metadata(inode, 1);
	if (err || fc->no_fsync)
		return err;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		fc->no_fsync = true;
		err = 0;
	}
	return err;
}

/* SEEK_DATA and SEEK_HOLE: only the server knows where its holes are. */
static loff_t f2p_lseek_server(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_lseek_in in = {
		.fh = ff->fh,
		.offset = offset,
		.whence = whence,
	};
	struct fuse_lseek_out out = {};
	struct f2p_args args = {
		.opcode = FUSE_LSEEK,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
		.out_numargs = 1,
		.out_args = { { sizeof(out), &out } },
	};
	ssize_t err;

	/* data still in our page cache is not on the server yet */
	err = filemap_write_and_wait(inode->i_mapping);
	if (err)
		return err;
	err = f2p_request(fc, &args);
	if (err)
		return err;
	if ((s64)out.offset < 0)
		return -EIO;
	return vfs_setpos(file, out.offset, inode->i_sb->s_maxbytes);
}

static loff_t f2p_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	loff_t ret;
	int err;

	if ((whence == SEEK_DATA || whence == SEEK_HOLE) &&
	    !READ_ONCE(fc->no_lseek)) {
		ret = f2p_lseek_server(file, offset, whence);
		if (ret != -ENOSYS)
			return ret;
		/* without LSEEK the whole file is data, as for any fs */
		WRITE_ONCE(fc->no_lseek, true);
	}

	if (whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE) {
		err = f2p_update_attr(inode, file, true);
		if (err)
			return err;
	}
	return generic_file_llseek(file, offset, whence);
}

static ssize_t f2p_splice_read(struct file *in, loff_t *ppos,
			       struct pipe_inode_info *pipe, size_t len,
			       unsigned int flags)
{
	struct f2p_file *ff = in->private_data;

	if (ff->open_flags & FOPEN_DIRECT_IO)
		return f2p_copy_splice_read(in, ppos, pipe, len, flags);
	if (ff->backing_file)
		return f2p_pt_splice_read(in, ppos, pipe, len, flags);
	return f2p_cached_splice_read(in, ppos, pipe, len, flags);
}

static ssize_t f2p_splice_write(struct pipe_inode_info *pipe,
				struct file *out, loff_t *ppos, size_t len,
				unsigned int flags)
{
	struct f2p_file *ff = out->private_data;

	if (ff->backing_file && !(ff->open_flags & FOPEN_DIRECT_IO))
		return f2p_pt_splice_write(pipe, out, ppos, len, flags);
	return f2p_write_splice(pipe, out, ppos, len, flags);
}


/*
 * Large folios in a file's page cache, where the kernel lets us bound
 * them: none larger than one READ (max_read, max_pages) or one WRITE
 * (max_write), so that no folio is ever split over requests.  Not with
 * the writeback cache, whose buffered writes go through write_begin a
 * page at a time.  Called on a new inode, before anyone can map it.
 */
void f2p_file_folios(struct inode *inode)
{
#ifdef F2P_HAVE_FOLIO_ORDER_RANGE
	struct f2p_conn *fc = f2p_inode_conn(inode);
	size_t max = min3((size_t)fc->max_read, (size_t)fc->max_write,
			  (size_t)fc->max_pages << PAGE_SHIFT);

	if (fc->writeback_cache || max < 2 * PAGE_SIZE)
		return;
	mapping_set_folio_order_range(inode->i_mapping, 0,
				      ilog2(max >> PAGE_SHIFT));
#endif
}

const struct file_operations f2p_file_fops = {
	.llseek		= f2p_llseek,
	.read_iter	= f2p_read_iter,
	.write_iter	= f2p_write_iter,
	.fsync		= f2p_fsync,
	.mmap		= f2p_mmap,
	/*
	 * Large mappings on a 2 MiB boundary (where the kernel aligns file
	 * mappings at all): a passthrough mapping is the backing file's,
	 * whose large folios can then be mapped whole.
	 */
	.get_unmapped_area = thp_get_unmapped_area,
	.open		= f2p_open,
	.flush		= f2p_flush,
	.release	= f2p_release,
	.splice_read	= f2p_splice_read,
	.splice_write	= f2p_splice_write,
	.fallocate	= f2p_fallocate,
	.lock		= f2p_lock,
	.flock		= f2p_flock,
	.copy_file_range = f2p_copy_file_range,
	.unlocked_ioctl	= f2p_file_ioctl,
	.compat_ioctl	= f2p_compat_ioctl,
	.poll		= f2p_file_poll,
};

const struct address_space_operations f2p_file_aops = {
	.read_folio	= f2p_read_folio,
	.readahead	= f2p_readahead,
	.writepages	= f2p_writepages,
	.write_begin	= f2p_write_begin,
	.write_end	= f2p_write_end,
	.dirty_folio	= filemap_dirty_folio,
	.launder_folio	= f2p_launder_folio,
};
