// SPDX-License-Identifier: GPL-2.0
/*
 * Regular files: OPEN/RELEASE/FLUSH and reads, through the page cache or,
 * for FOPEN_DIRECT_IO files, straight from the server.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>
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

/* Let go of the inode a RELEASE kept; NULL if umount took it already. */
static struct inode *f2p_release_detach(struct f2p_conn *fc,
					struct f2p_file *ff)
{
	struct inode *inode;

	spin_lock(&fc->lock);
	list_del_init(&ff->release_entry);
	inode = ff->release_inode;
	ff->release_inode = NULL;
	spin_unlock(&fc->lock);
	return inode;
}

static void f2p_release_end(struct f2p_conn *fc, struct f2p_args *args,
			    int error)
{
	struct f2p_file *ff = container_of(args, struct f2p_file, args);

	/* now the inode may go, and its FORGET after this RELEASE */
	iput(f2p_release_detach(fc, ff));
	kfree(ff);
}

/*
 * umount: RELEASEs still queued keep their place for the server, but the
 * inodes they hold must go with the superblock now.
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
static void f2p_file_put(struct f2p_file *ff)
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

void f2p_read_args(struct f2p_args *args, struct fuse_read_in *in,
		   struct f2p_file *ff, loff_t pos, size_t count,
		   unsigned int f_flags)
{
	in->fh = ff->fh;
	in->offset = pos;
	in->size = count;
	in->flags = f_flags;
	args->opcode = FUSE_READ;
	args->nodeid = ff->nodeid;
	args->in_numargs = 1;
	args->in_args[0].size = sizeof(*in);
	args->in_args[0].value = in;
	args->out_numargs = 1;
	args->out_argvar = true;
	args->out_args[0].size = count;
}

/*
 * A READ answered short ends the file there: what the server holds is
 * smaller than our i_size says.  Unless newer attributes (or a write)
 * arrived since @version, the size follows, so readers stop at the
 * server's end of file instead of reading zeros up to a stale size.
 * With the writeback cache the size is ours: data past the server's end
 * may be waiting in dirty pages.
 */
static void f2p_read_eof(struct inode *inode, loff_t end, u64 version)
{
	struct f2p_inode *fi = F2P_I(inode);

	if (f2p_inode_conn(inode)->writeback_cache)
		return;
	spin_lock(&fi->lock);
	if (fi->attr_version <= version && end < i_size_read(inode)) {
		fi->attr_version =
			atomic64_inc_return(&f2p_inode_conn(inode)->attr_version);
		i_size_write(inode, end);
	}
	spin_unlock(&fi->lock);
}

/* Fill the locked @folio from the server; it stays locked. */
int f2p_read_folio_locked(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file ? file->private_data : NULL;
	size_t size = folio_size(folio);
	struct fuse_read_in in = {};
	struct f2p_args args = {};
	u64 version;
	ssize_t n;

	if (!ff || f2p_is_bad(inode))
		return -EIO;
	f2p_read_args(&args, &in, ff, folio_pos(folio), size, file->f_flags);
	args.out_folios = &folio;
	args.out_nr_folios = 1;
	version = atomic64_read(&fc->attr_version);
	n = f2p_request(fc, &args);
	if (n < 0)
		return n;
	f2p_invalidate_atime(inode);
	/* a short read is end of file: the rest of the folio is zeros */
	if (n < size) {
		folio_zero_segment(folio, n, size);
		f2p_read_eof(inode, folio_pos(folio) + n, version);
	}
	folio_mark_uptodate(folio);
	return 0;
}

static int f2p_read_folio(struct file *file, struct folio *folio)
{
	int err = f2p_read_folio_locked(file, folio);

	folio_unlock(folio);
	return err;
}

/*
 * One readahead READ.  Its folios stay locked until the reply lands in
 * them; the file stays referenced so that its RELEASE comes after it.
 */
struct f2p_ra {
	struct f2p_args args;
	struct fuse_read_in in;
	struct f2p_file *ff;
	u64 version;
	struct folio *folios[];
};

static void f2p_ra_end(struct f2p_conn *fc, struct f2p_args *args, int error)
{
	struct f2p_ra *ra = container_of(args, struct f2p_ra, args);
	struct inode *inode = ra->folios[0]->mapping->host;
	size_t n = args->out_size, off = 0;
	unsigned int i;

	/* the inode is ours only while a folio is locked: touch it first */
	if (!error) {
		f2p_invalidate_atime(inode);
		if (n < ra->in.size)
			f2p_read_eof(inode, ra->in.offset + n, ra->version);
	}
	for (i = 0; i < args->out_nr_folios; i++) {
		struct folio *folio = ra->folios[i];
		size_t fs = folio_size(folio);

		/* past what the server had is end of file: zeros */
		if (!error) {
			if (off + fs > n)
				folio_zero_segment(folio, off < n ? n - off : 0, fs);
			folio_mark_uptodate(folio);
		}
		/* one not filled stays !uptodate: read_folio asks again */
		folio_unlock(folio);
		off += fs;
	}
	f2p_file_put(ra->ff);
	kfree(ra);
}

/*
 * Readahead: the folios the VFS wants next go out as READs of up to
 * max_pages and max_read, replies copied straight into them.  With
 * ASYNC_READ the reader does not wait: it finds the folios locked until
 * their reply is in, and the next window's READ can be on its way while
 * it copies this one.
 */
static void f2p_readahead(struct readahead_control *rac)
{
	struct inode *inode = rac->mapping->host;
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = rac->file ? rac->file->private_data : NULL;
	size_t max = max_t(size_t, PAGE_SIZE,
			   min_t(size_t, fc->max_read,
				 (size_t)fc->max_pages << PAGE_SHIFT));
	/* a large folio that did not fit the READ before opens the next */
	struct folio *folio = NULL;

	if (!ff || f2p_is_bad(inode))
		return;
	/*
	 * readahead(2) and fadvise(WILLNEED) reach here for any file: a
	 * passthrough file's data is the backing file's, never ours to cache.
	 */
	if (ff->backing_file || READ_ONCE(F2P_I(inode)->fb))
		return;
	/* a busy server gets no READ that nobody waits for yet */
	if (f2p_conn_congested(fc) && rac->ra->async_size >= readahead_count(rac))
		return;
	while (folio || readahead_count(rac)) {
		unsigned int nr = min_t(size_t, readahead_count(rac) +
					(folio ? folio_nr_pages(folio) : 0),
					max >> PAGE_SHIFT);
		struct f2p_ra *ra;
		size_t bytes = 0;

		ra = kzalloc(struct_size(ra, folios, nr), GFP_KERNEL);
		if (!ra) {
			/* the folios left go back unread; this one is ours */
			if (folio)
				folio_unlock(folio);
			return;
		}
		/* a folio is never larger than a READ: see f2p_file_folios() */
		while (ra->args.out_nr_folios < nr &&
		       (folio || (folio = readahead_folio(rac)))) {
			if (bytes && bytes + folio_size(folio) > max)
				break;
			ra->folios[ra->args.out_nr_folios++] = folio;
			bytes += folio_size(folio);
			folio = NULL;
		}
		if (!ra->args.out_nr_folios) {
			kfree(ra);
			return;
		}
		ra->ff = ff;
		refcount_inc(&ff->count);
		f2p_read_args(&ra->args, &ra->in, ff, folio_pos(ra->folios[0]),
			      bytes, rac->file->f_flags);
		ra->args.out_folios = ra->folios;
		ra->version = atomic64_read(&fc->attr_version);
		if (fc->async_read) {
			/* the reader's READ, sent as it would send it */
			ra->args.bgcreds = true;
			ra->args.end = f2p_ra_end;
			f2p_request_bg(fc, &ra->args, GFP_KERNEL);
		} else {
			ssize_t n = f2p_request(fc, &ra->args);

			ra->args.out_size = max_t(ssize_t, n, 0);
			f2p_ra_end(fc, &ra->args, min_t(ssize_t, n, 0));
		}
	}
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

/* The most one direct READ asks for. */
size_t f2p_dio_read_max(const struct f2p_conn *fc)
{
	size_t max = min_t(size_t, fc->max_read,
			   (size_t)fc->max_pages << PAGE_SHIFT);

	return max_t(size_t, max, PAGE_SIZE);
}

/*
 * Copy @len bytes of @pages to @to; returns what was copied (less on a
 * fault).  The read side of f2p_pages_fill().  A copy, never
 * copy_page_to_iter(): on 6.1 a splice's pipe iterator would take a
 * reference to the kept page itself, which the next read overwrites
 * (and whose lack of a mapping the pipe reports as ENODATA).
 */
static size_t f2p_pages_drain(struct page **pages, size_t len,
			      struct iov_iter *to)
{
	size_t done = 0;

	while (done < len) {
		size_t n = min_t(size_t, PAGE_SIZE, len - done);
		void *src = kmap_local_page(pages[done >> PAGE_SHIFT]);
		size_t got = copy_to_iter(src, n, to);

		kunmap_local(src);
		done += got;
		if (got < n)
			break;
	}
	return done;
}

/* FOPEN_DIRECT_IO: bypass the page cache, bounce through a kernel buffer. */
static ssize_t f2p_direct_read(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct f2p_file *ff = file->private_data;
	struct f2p_conn *fc = ff->fc;
	size_t chunk_max = f2p_dio_read_max(fc);
	struct folio **folios;
	struct f2p_wbuf *wb;
	ssize_t total = 0;
	unsigned int i;

	/* the replies land in a kept buffer's pages, not fresh zeroed ones */
	wb = f2p_wbuf_get(fc, min(chunk_max, iov_iter_count(to)) ?: 1);
	if (!wb)
		return -ENOMEM;
	folios = kmalloc_array(wb->nr, sizeof(*folios), GFP_KERNEL);
	if (!folios) {
		f2p_wbuf_put(fc, wb);
		return -ENOMEM;
	}
	for (i = 0; i < wb->nr; i++)
		folios[i] = page_folio(wb->pages[i]);
	while (iov_iter_count(to)) {
		size_t want = min(chunk_max, iov_iter_count(to)), done;
		struct fuse_read_in in = {};
		struct f2p_args args = {};
		ssize_t n;

		f2p_read_args(&args, &in, ff, iocb->ki_pos, want, file->f_flags);
		args.out_folios = folios;
		args.out_nr_folios = DIV_ROUND_UP(want, PAGE_SIZE);
		n = f2p_request(fc, &args);
		if (n < 0) {
			if (!total)
				total = n;
			break;
		}
		f2p_invalidate_atime(file_inode(file));
		/* only what this reply wrote: the pages held older data */
		done = f2p_pages_drain(wb->pages, n, to);
		iocb->ki_pos += done;
		total += done;
		if (done < n) {
			if (!total)
				total = -EFAULT;
			break;
		}
		if (n < want)
			break;
	}
	kfree(folios);
	f2p_wbuf_put(fc, wb);
	return total;
}

static ssize_t f2p_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct f2p_file *ff = file->private_data;
	int err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (ff->backing_file && !(ff->open_flags & FOPEN_DIRECT_IO))
		return f2p_pt_read_iter(iocb, to);
	if ((ff->open_flags & FOPEN_DIRECT_IO) ||
	    (iocb->ki_flags & IOCB_DIRECT)) {
		/*
		 * From the server, after our dirty pages got there (O_DIRECT,
		 * or a direct-io file mapped shared: DIRECT_IO_ALLOW_MMAP)
		 */
		if (file->f_mapping->nrpages && iov_iter_count(to)) {
			err = filemap_write_and_wait_range(file->f_mapping,
					iocb->ki_pos,
					iocb->ki_pos + iov_iter_count(to) - 1);
			if (err)
				return err;
		}
		if (f2p_dio_async_ok(iocb, to))
			return f2p_dio_read_async(iocb, to);
		return f2p_direct_read(iocb, to);
	}
	/*
	 * Reading past what we think is the end: the file may have grown.
	 * With AUTO_INVAL_DATA every read checks that the cache is current.
	 */
	if (ff->fc->auto_inval_data ||
	    iocb->ki_pos + iov_iter_count(to) > i_size_read(inode)) {
		err = f2p_update_attr(inode, file, false);
		if (err)
			return err;
	}
	return generic_file_read_iter(iocb, to);
}

void f2p_write_args(struct f2p_args *args, struct fuse_write_in *in,
		    struct fuse_write_out *out, struct f2p_file *ff, loff_t pos,
		    const void *buf, size_t len, unsigned int f_flags,
		    u32 write_flags)
{
	in->fh = ff->fh;
	in->offset = pos;
	in->size = len;
	in->write_flags = write_flags;
	in->flags = f_flags;
	args->opcode = FUSE_WRITE;
	args->nodeid = ff->nodeid;
	args->in_numargs = 2;
	args->in_args[0].size = ff->fc->minor < 9 ? FUSE_COMPAT_WRITE_IN_SIZE :
						    sizeof(*in);
	args->in_args[0].value = in;
	args->in_args[1].size = len;
	args->in_args[1].value = (void *)buf;
	args->out_numargs = 1;
	args->out_args[0].size = sizeof(*out);
	args->out_args[0].value = out;
}

/* WRITE @len bytes held in @pages (from offset 0) at @pos. */
static ssize_t f2p_send_write(struct f2p_file *ff, loff_t pos,
			      struct page **pages, size_t len,
			      unsigned int f_flags, u32 write_flags)
{
	struct f2p_conn *fc = ff->fc;
	struct fuse_write_in in = {};
	struct fuse_write_out out = {};
	struct f2p_args args = {};
	ssize_t err;

	f2p_write_args(&args, &in, &out, ff, pos, NULL, len, f_flags,
		       write_flags);
	args.in_pages = pages;
	err = f2p_request(fc, &args);
	if (err)
		return err;
	/* a server may write less, never more than it was given */
	if (out.size > len)
		return -EIO;
	return out.size;
}

/* Fill @pages from @from, up to @len bytes; returns what was copied. */
static size_t f2p_pages_fill(struct page **pages, size_t len,
			     struct iov_iter *from)
{
	size_t done = 0;

	while (done < len) {
		size_t n = min_t(size_t, PAGE_SIZE, len - done);
		size_t got = copy_page_from_iter(pages[done >> PAGE_SHIFT], 0,
						 n, from);

		done += got;
		if (got < n)
			break;
	}
	return done;
}

/*
 * Write-through: data goes to the server at once, in max_write chunks,
 * and the page cache over the range is dropped so later reads ask again.
 */
static ssize_t f2p_write_chunks(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct f2p_file *ff = file->private_data;
	size_t chunk_max = ff->fc->max_write;
	struct f2p_wbuf *wb;
	ssize_t total = 0;

	wb = f2p_wbuf_get(ff->fc, min(chunk_max, iov_iter_count(from)));
	if (!wb)
		return -ENOMEM;
	while (iov_iter_count(from)) {
		size_t want = min(chunk_max, iov_iter_count(from));
		size_t got = f2p_pages_fill(wb->pages, want, from);
		ssize_t n;

		if (!got) {
			if (!total)
				total = -EFAULT;
			break;
		}
		n = f2p_send_write(ff, iocb->ki_pos, wb->pages, got,
				   file->f_flags, 0);
		if (n < 0) {
			iov_iter_revert(from, got);
			if (!total)
				total = n;
			break;
		}
		iocb->ki_pos += n;
		total += n;
		if (n < got) {
			iov_iter_revert(from, got - n);
			break;
		}
	}
	f2p_wbuf_put(ff->fc, wb);
	return total;
}

/*
 * FOPEN_PARALLEL_DIRECT_WRITES: a direct write that leaves the size and
 * the file's privileges alone (not appending, not past the end, no
 * set-id bit to drop) takes the inode lock shared.
 */
static bool f2p_write_may_share(struct kiocb *iocb, struct iov_iter *from)
{
	struct f2p_file *ff = iocb->ki_filp->private_data;
	struct inode *inode = file_inode(iocb->ki_filp);

	return (ff->open_flags & FOPEN_PARALLEL_DIRECT_WRITES) &&
	       !(iocb->ki_flags & IOCB_APPEND) &&
	       !(inode->i_mode & (S_ISUID | S_ISGID)) &&
	       iocb->ki_pos + iov_iter_count(from) <= i_size_read(inode);
}

/* Returns whether the lock is shared (and counted as a parallel writer). */
static bool f2p_write_lock(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (f2p_write_may_share(iocb, from)) {
		inode_lock_shared(inode);
		/* the size may have moved while we waited */
		if (f2p_write_may_share(iocb, from) &&
		    f2p_iomode_dio_write_start(inode))
			return true;
		inode_unlock_shared(inode);
	}
	inode_lock(inode);
	return false;
}

static void f2p_write_unlock(struct inode *inode, bool shared)
{
	if (shared) {
		inode_unlock_shared(inode);
		f2p_iomode_dio_write_end(inode);
	} else {
		inode_unlock(inode);
	}
}

static ssize_t f2p_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct f2p_inode *fi = F2P_I(inode);
	struct f2p_file *ff = file->private_data;
	loff_t start;
	ssize_t ret;
	bool shared;

	if (f2p_is_bad(inode))
		return -EIO;
	/* PASSTHROUGH|DIRECT_IO: data to the server, only mmap passes through */
	if (ff->backing_file && !(ff->open_flags & FOPEN_DIRECT_IO))
		return f2p_pt_write_iter(iocb, from);
	/* writeback cache: the page cache takes it, O_APPEND at our size */
	if (ff->fc->writeback_cache && !(ff->open_flags & FOPEN_DIRECT_IO) &&
	    !(iocb->ki_flags & IOCB_DIRECT))
		return f2p_wb_write_iter(iocb, from);
	if (iocb->ki_flags & IOCB_APPEND) {
		/* the end of file is the server's, not our cached idea of it */
		ret = f2p_update_attr(inode, file, false);
		if (ret)
			return ret;
	}
	shared = f2p_write_lock(iocb, from);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (!ret)
		ret = file_update_time(file);	/* writeback cache: ours */
	if (ret)
		goto out;
	start = iocb->ki_pos;
	/* mapped pages dirtied over this range must not land after us */
	ret = filemap_write_and_wait_range(inode->i_mapping, start,
					   start + iov_iter_count(from) - 1);
	if (ret)
		goto out;
	if (f2p_dio_async_ok(iocb, from)) {
		/* no cached copy may outlive the write: drop it now */
		invalidate_inode_pages2_range(inode->i_mapping,
				start >> PAGE_SHIFT,
				(start + iov_iter_count(from) - 1) >> PAGE_SHIFT);
		/* the parallel writer count goes with the I/O */
		ret = f2p_dio_write_async(iocb, from, shared);
		if (shared)
			inode_unlock_shared(inode);
		else
			inode_unlock(inode);
		return ret;
	}
	ret = f2p_write_chunks(iocb, from);
	if (ret > 0) {
		spin_lock(&fi->lock);
		if (iocb->ki_pos > i_size_read(inode))
			i_size_write(inode, iocb->ki_pos);
		/*
		 * Size and times changed on the server: ask before trusting,
		 * and let no answer sent before the write shrink the file
		 * (and drop its cache) again.
		 */
		fi->attr_version = atomic64_inc_return(&ff->fc->attr_version);
		fi->attr_expire = 0;
		spin_unlock(&fi->lock);
		invalidate_inode_pages2_range(inode->i_mapping,
					      start >> PAGE_SHIFT,
					      (iocb->ki_pos - 1) >> PAGE_SHIFT);
	}
out:
	f2p_write_unlock(inode, shared);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
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
	return iter_file_splice_write(pipe, out, ppos, len, flags);
}

/* ---- space and server-side copies ---- */

static long f2p_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t length)
{
	struct inode *inode = file_inode(file);
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file->private_data;
	struct fuse_fallocate_in in = {
		.fh = ff->fh,
		.offset = offset,
		.length = length,
		.mode = mode,
	};
	struct f2p_args args = {
		.opcode = FUSE_FALLOCATE,
		.nodeid = ff->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
	};
	bool clears = mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE);
	loff_t end = offset + length;
	ssize_t err;

	if (f2p_is_bad(inode))
		return -EIO;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
		     FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (READ_ONCE(fc->no_fallocate))
		return -EOPNOTSUPP;

	inode_lock(inode);
	if (clears) {
		/* our dirty pages over the range would undo the server's zeros */
		err = filemap_write_and_wait_range(inode->i_mapping, offset,
						   end - 1);
		if (err)
			goto out;
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode)) {
		err = inode_newsize_ok(inode, end);
		if (err)
			goto out;
	}
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_fallocate, true);
		err = -EOPNOTSUPP;
	}
	if (err)
		goto out;
	if (!(mode & FALLOC_FL_KEEP_SIZE))
		file_update_time(file);
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode))
		i_size_write(inode, end);
	if (clears)
		truncate_pagecache_range(inode, offset, end - 1);
	f2p_attr_stale(inode);
out:
	inode_unlock(inode);
	return err;
}

static ssize_t f2p_copy_on_server(struct file *file_in, loff_t pos_in,
				  struct file *file_out, loff_t pos_out,
				  size_t len, unsigned int flags)
{
	struct inode *in_inode = file_inode(file_in);
	struct inode *out_inode = file_inode(file_out);
	struct f2p_conn *fc = f2p_inode_conn(in_inode);
	struct f2p_file *ff_in = file_in->private_data;
	struct f2p_file *ff_out = file_out->private_data;
	struct fuse_copy_file_range_in in = {
		.fh_in = ff_in->fh,
		.off_in = pos_in,
		.nodeid_out = ff_out->nodeid,
		.fh_out = ff_out->fh,
		.off_out = pos_out,
		.len = len,
		.flags = flags,
	};
	struct fuse_write_out out = {};
	struct f2p_args args = {
		.opcode = FUSE_COPY_FILE_RANGE,
		.nodeid = ff_in->nodeid,
		.in_numargs = 1,
		.in_args = { { sizeof(in), &in } },
		.out_numargs = 1,
		.out_args = { { sizeof(out), &out } },
	};
	ssize_t err;

	/* only one server can copy between its own files */
	if (file_out->f_op != &f2p_file_fops ||
	    f2p_inode_conn(out_inode) != fc)
		return -EXDEV;
	if (flags)
		return -EINVAL;
	if (f2p_is_bad(in_inode) || f2p_is_bad(out_inode))
		return -EIO;
	if (READ_ONCE(fc->no_copy_file_range))
		return -EOPNOTSUPP;

	inode_lock(out_inode);
	/* the server copies what it has: hand it our dirty pages first */
	err = filemap_write_and_wait_range(in_inode->i_mapping, pos_in,
					   pos_in + len - 1);
	if (!err)
		err = filemap_write_and_wait_range(out_inode->i_mapping,
						   pos_out, pos_out + len - 1);
	if (!err)
		err = file_remove_privs(file_out);
	if (err)
		goto out;
	err = f2p_request(fc, &args);
	if (err == -ENOSYS) {
		WRITE_ONCE(fc->no_copy_file_range, true);
		err = -EOPNOTSUPP;
	}
	if (err)
		goto out;
	if (out.size > len) {
		err = -EIO;
		goto out;
	}
	if (out.size) {
		file_update_time(file_out);
		truncate_inode_pages_range(out_inode->i_mapping, pos_out,
					   pos_out + out.size - 1);
		if (pos_out + (loff_t)out.size > i_size_read(out_inode))
			i_size_write(out_inode, pos_out + out.size);
	}
	f2p_attr_stale(out_inode);
	err = out.size;
out:
	inode_unlock(out_inode);
	return err;
}

/*
 * The reply's count is 32 bits: a larger copy could not say how much it
 * did.  Ask for at most the largest whole number of pages below 4 GiB;
 * the caller sees a short copy and goes on, as from any filesystem.
 */
#define F2P_COPY_MAX	((size_t)U32_MAX & PAGE_MASK)

static ssize_t f2p_copy_file_range(struct file *file_in, loff_t pos_in,
				   struct file *file_out, loff_t pos_out,
				   size_t len, unsigned int flags)
{
	ssize_t ret;

	len = min(len, F2P_COPY_MAX);
	ret = f2p_copy_on_server(file_in, pos_in, file_out, pos_out, len,
				 flags);

	/* a server without COPY_FILE_RANGE: copy through us instead */
	if (ret == -EOPNOTSUPP || ret == -EXDEV)
		ret = f2p_splice_copy(file_in, pos_in, file_out, pos_out, len);
	return ret;
}

/* ---- shared writable mappings: dirty folios go out as WRITE ---- */

struct f2p_file *f2p_write_file_get(struct inode *inode)
{
	struct f2p_inode *fi = F2P_I(inode);
	struct f2p_file *ff = NULL;

	spin_lock(&fi->lock);
	if (!list_empty(&fi->write_files)) {
		ff = list_first_entry(&fi->write_files, struct f2p_file,
				      write_entry);
		atomic_inc(&ff->wb_users);
	}
	spin_unlock(&fi->lock);
	return ff;
}

void f2p_write_file_put(struct f2p_file *ff)
{
	if (atomic_dec_and_test(&ff->wb_users))
		wake_up_var(&ff->wb_users);
}

/* Send the part of @folio below i_size; the folio stays as it is. */
static int f2p_write_folio_data(struct inode *inode, struct folio *folio)
{
	loff_t pos = folio_pos(folio), size = i_size_read(inode);
	struct page **pages;
	struct f2p_file *ff;
	unsigned long i;
	size_t len;
	ssize_t n;

	if (pos >= size)
		return 0;	/* truncated meanwhile: nothing to keep */
	len = min_t(loff_t, folio_size(folio), size - pos);
	pages = kmalloc_array(folio_nr_pages(folio), sizeof(*pages),
			      GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < folio_nr_pages(folio); i++)
		pages[i] = folio_page(folio, i);
	ff = f2p_write_file_get(inode);
	if (ff) {
		/* from the cache, not from a caller: the server may tell */
		n = f2p_send_write(ff, pos, pages, len, 0, FUSE_WRITE_CACHE);
		f2p_write_file_put(ff);
		if (n >= 0 && n < len)
			n = -EIO;
		/* mtime moved on the server */
		f2p_attr_stale(inode);
	} else {
		n = -EIO;
	}
	kfree(pages);
	return n < 0 ? n : 0;
}

/*
 * Writeback gathers contiguous dirty folios, each under writeback and
 * unlocked, and sends them as one WRITE of up to max_write bytes (and
 * max_pages pages), straight from their pages.
 */
struct f2p_wb_batch {
	struct inode *inode;
	struct folio **folios;
	struct page **pages;
	unsigned int nr, max;
	size_t bytes, max_bytes;
};

/* Send the batch's part below i_size, and end writeback of every folio. */
static int f2p_wb_batch_send(struct f2p_wb_batch *b)
{
	struct inode *inode = b->inode;
	loff_t pos, size = i_size_read(inode);
	struct f2p_file *ff;
	unsigned int i, p;
	ssize_t n = 0;
	size_t len;

	if (!b->nr)
		return 0;
	pos = folio_pos(b->folios[0]);
	/* past the end (truncated meanwhile): nothing to keep */
	if (pos < size) {
		len = min_t(loff_t, b->bytes, size - pos);
		/* the batch's pages in order, a large folio's each */
		for (i = 0, p = 0; i < b->nr; i++) {
			unsigned long j;

			for (j = 0; j < folio_nr_pages(b->folios[i]); j++)
				b->pages[p++] = folio_page(b->folios[i], j);
		}
		ff = f2p_write_file_get(inode);
		if (ff) {
			n = f2p_send_write(ff, pos, b->pages, len, 0,
					   FUSE_WRITE_CACHE);
			f2p_write_file_put(ff);
			if (n >= 0 && n < len)
				n = -EIO;
		} else {
			n = -EIO;
		}
		/* mtime moved on the server */
		f2p_attr_stale(inode);
	}
	for (i = 0; i < b->nr; i++) {
		if (n < 0)
			mapping_set_error(b->folios[i]->mapping, n);
		folio_end_writeback(b->folios[i]);
	}
	b->nr = 0;
	b->bytes = 0;
	return n < 0 ? n : 0;
}

static int f2p_writeback_folio(struct folio *folio,
			       struct writeback_control *wbc, void *data)
{
	struct f2p_wb_batch *b = data;
	struct folio *last = b->nr ? b->folios[b->nr - 1] : NULL;
	int err = 0;

	/* not next to the batch, or no room left: send the batch first */
	if (last && (b->nr == b->max ||
		     b->bytes + folio_size(folio) > b->max_bytes ||
		     folio_pos(last) + folio_size(last) != folio_pos(folio)))
		err = f2p_wb_batch_send(b);
	folio_start_writeback(folio);
	folio_unlock(folio);
	b->folios[b->nr++] = folio;
	b->bytes += folio_size(folio);
	return err;
}

static int f2p_writepages(struct address_space *mapping,
			  struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_wb_batch b = { .inode = inode };
	int err, err2;

	if (f2p_is_bad(inode))
		return -EIO;
	b.max_bytes = min_t(size_t, fc->max_write,
			    (size_t)fc->max_pages << PAGE_SHIFT);
	b.max_bytes = max_t(size_t, b.max_bytes, PAGE_SIZE);
	b.max = b.max_bytes >> PAGE_SHIFT;
	b.folios = kmalloc_array(b.max, sizeof(*b.folios), GFP_KERNEL);
	b.pages = kmalloc_array(b.max, sizeof(*b.pages), GFP_KERNEL);
	/* nothing started yet: the folios stay dirty for a later try */
	if (!b.folios || !b.pages) {
		kfree(b.folios);
		kfree(b.pages);
		return -ENOMEM;
	}
	err = f2p_write_cache_folios(mapping, wbc, f2p_writeback_folio, &b);
	err2 = f2p_wb_batch_send(&b);
	kfree(b.folios);
	kfree(b.pages);
	return err ?: err2;
}

/* invalidate_inode_pages2() met a dirty folio: write it out first */
static int f2p_launder_folio(struct folio *folio)
{
	if (!folio_clear_dirty_for_io(folio))
		return 0;
	return f2p_write_folio_data(folio->mapping->host, folio);
}

static vm_fault_t f2p_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);
	struct inode *inode = file_inode(vmf->vma->vm_file);

	/* writeback cache: the mtime is ours to move (else a no-op) */
	file_update_time(vmf->vma->vm_file);
	folio_lock(folio);
	if (folio->mapping != inode->i_mapping) {
		/* truncated under us: let the fault retry */
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	/* the server must get what was there when writeback started */
	folio_wait_writeback(folio);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct f2p_vm_ops = {
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= f2p_page_mkwrite,
};

static int f2p_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct f2p_file *ff = file->private_data;

	if (ff->backing_file)
		return f2p_pt_mmap(file, vma);
	/* an inode in passthrough mode has no page cache to map */
	if (READ_ONCE(F2P_I(file_inode(file))->fb))
		return -ENODEV;
	/*
	 * A direct-io file has no cache to share writes through, unless the
	 * server allows one (DIRECT_IO_ALLOW_MMAP): the file then turns
	 * cached for good.  A private mapping is a copy, fresh from the
	 * server.
	 */
	if (ff->open_flags & FOPEN_DIRECT_IO) {
		struct inode *inode = file_inode(file);
		int err;

		if ((vma->vm_flags & VM_MAYSHARE) &&
		    !READ_ONCE(ff->fc->direct_io_allow_mmap))
			return -ENODEV;
		invalidate_inode_pages2(file->f_mapping);
		if (vma->vm_flags & VM_MAYSHARE) {
			err = f2p_iomode_mmap_cached(inode, ff);
			if (err)
				return err;
		}
	}
	file_accessed(file);
	vma->vm_ops = &f2p_vm_ops;
	return 0;
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
