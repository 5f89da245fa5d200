// SPDX-License-Identifier: GPL-2.0
/*
 * Reads of regular files: READ requests that fill the page cache, one
 * folio at a time (read_folio) or in batches sent without waiting
 * (readahead), and direct reads of FOPEN_DIRECT_IO files, whose replies
 * land in a kernel buffer and are copied to the reader.  Passthrough
 * files never get here: their reads go to the backing file.
 */
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/fs.h>
#include "fuse2pt.h"

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
	struct inode *inode = f2p_folio_mapping(folio)->host;
	struct f2p_conn *fc = f2p_inode_conn(inode);
	struct f2p_file *ff = file ? file->private_data : NULL;
	size_t size = f2p_folio_size(folio);
	struct fuse_read_in in = {};
	struct f2p_args args = {};
	u64 version;
	ssize_t n;

	if (!ff || f2p_is_bad(inode))
		return -EIO;
	f2p_read_args(&args, &in, ff, f2p_folio_pos(folio), size,
		      file->f_flags);
	args.out_folios = &folio;
	args.out_nr_folios = 1;
	version = atomic64_read(&fc->attr_version);
	n = f2p_request(fc, &args);
	if (n < 0)
		return n;
	f2p_invalidate_atime(inode);
	/* a short read is end of file: the rest of the folio is zeros */
	if (n < size) {
		f2p_folio_zero_segment(folio, n, size);
		f2p_read_eof(inode, f2p_folio_pos(folio) + n, version);
	}
	f2p_folio_mark_uptodate(folio);
	return 0;
}

int f2p_read_folio(struct file *file, struct folio *folio)
{
	int err = f2p_read_folio_locked(file, folio);

	f2p_folio_unlock(folio);
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
	struct inode *inode = f2p_folio_mapping(ra->folios[0])->host;
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
		size_t fs = f2p_folio_size(folio);

		/* past what the server had is end of file: zeros */
		if (!error) {
			if (off + fs > n)
				f2p_folio_zero_segment(folio,
						       off < n ? n - off : 0,
						       fs);
			f2p_folio_mark_uptodate(folio);
		}
		/* one not filled stays !uptodate: read_folio asks again */
		f2p_folio_unlock(folio);
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
void f2p_readahead(struct readahead_control *rac)
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
	if (f2p_conn_congested(fc) &&
	    f2p_readahead_async_size(rac) >= readahead_count(rac))
		return;
	while (folio || readahead_count(rac)) {
		unsigned int nr = min_t(size_t, readahead_count(rac) +
					(folio ? f2p_folio_nr_pages(folio) : 0),
					max >> PAGE_SHIFT);
		struct f2p_ra *ra;
		size_t bytes = 0;

		ra = kzalloc(struct_size(ra, folios, nr), GFP_KERNEL);
		if (!ra) {
			/* the folios left go back unread; this one is ours */
			if (folio)
				f2p_folio_unlock(folio);
			return;
		}
		/* a folio is never larger than a READ: see f2p_file_folios() */
		while (ra->args.out_nr_folios < nr &&
		       (folio || (folio = f2p_readahead_folio(rac)))) {
			if (bytes && bytes + f2p_folio_size(folio) > max)
				break;
			ra->folios[ra->args.out_nr_folios++] = folio;
			bytes += f2p_folio_size(folio);
			folio = NULL;
		}
		if (!ra->args.out_nr_folios) {
			kfree(ra);
			return;
		}
		ra->ff = ff;
		refcount_inc(&ff->count);
		f2p_read_args(&ra->args, &ra->in, ff,
			      f2p_folio_pos(ra->folios[0]), bytes,
			      rac->file->f_flags);
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
		void *src = f2p_kmap_local_page(pages[done >> PAGE_SHIFT]);
		size_t got = copy_to_iter(src, n, to);

		f2p_kunmap_local(src);
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
		folios[i] = f2p_page_folio(wb->pages[i]);
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

ssize_t f2p_read_iter(struct kiocb *iocb, struct iov_iter *to)
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
