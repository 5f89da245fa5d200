// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous direct I/O (FUSE_ASYNC_DIO): an io_submit() or io_uring
 * read or write of a direct-io (or O_DIRECT) file does not wait for the
 * server.  Its range goes out as background READs or WRITEs of at most
 * max_read / max_write bytes each, and the kiocb completes when the last
 * of them has been answered (or ended by an abort).
 *
 * The result is what the synchronous path would have returned for the
 * same answers: the bytes up to the first chunk (in file order) that came
 * back short or failed, or that chunk's error when it is the first one.
 *
 * Writes copy the caller's data at submission; reads hold the caller's
 * pages and copy each answer into them as it comes.  Each chunk's buffer
 * is charged to the submitter's memory cgroup, and the submitter waits
 * (killably) before each chunk while the connection has max_background
 * background requests (f2p_bg_wait_room): however large the I/O and
 * however slow the server, what it holds in the kernel is bounded.
 * Writes that extend the file, and O_SYNC/O_DSYNC writes, take the
 * synchronous path.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/bvec.h>
#include <linux/pagemap.h>
#include "fuse2pt.h"

struct f2p_dio {
	struct kiocb *iocb;
	struct inode *inode;
	loff_t pos;		/* where the I/O starts */
	bool write;
	bool counted;		/* holds a parallel-writer count (iomode.c) */
	bool dirty;		/* read into user pages: dirty them at the end */
	atomic_t pending;	/* chunks in flight, plus the submitter */
	spinlock_t lock;
	size_t stop;		/* first short or failed byte, from the start */
	int err;		/* the error of the chunk that stopped there */
	/* reads: the caller's pages, held until the end */
	struct bio_vec *bvec;
	unsigned int nr_bvec;
	size_t held;		/* bytes the bvecs cover */
};

struct f2p_dio_chunk {
	struct f2p_args args;
	struct f2p_dio *dio;
	size_t off;		/* from the start of the I/O */
	size_t len;
	void *buf;
	union {
		struct fuse_read_in read_in;
		struct {
			struct fuse_write_in in;
			struct fuse_write_out out;
		} write;
	};
};

/* A chunk stopped at @pos (from the start), with @err or short. */
static void f2p_dio_stop(struct f2p_dio *dio, size_t pos, int err)
{
	spin_lock(&dio->lock);
	if (pos < dio->stop) {
		dio->stop = pos;
		dio->err = err;
	}
	spin_unlock(&dio->lock);
}

static ssize_t f2p_dio_result(struct f2p_dio *dio)
{
	if (!dio->stop && dio->err)
		return dio->err;
	return dio->stop;
}

/* Everything answered: let go of what the I/O held; returns its result. */
static ssize_t f2p_dio_finish(struct f2p_dio *dio)
{
	struct inode *inode = dio->inode;
	struct f2p_inode *fi = F2P_I(inode);
	ssize_t ret = f2p_dio_result(dio);
	unsigned int i;

	for (i = 0; i < dio->nr_bvec; i++) {
		struct page *page = dio->bvec[i].bv_page;

		if (dio->dirty)
			set_page_dirty_lock(page);
		put_page(page);
	}
	kvfree(dio->bvec);
	if (dio->write) {
		/* never past the size: truncates wait (inode_dio_wait) */
		spin_lock(&fi->lock);
		/* times moved on the server: ask before trusting */
		fi->attr_version =
			atomic64_inc_return(&f2p_inode_conn(inode)->attr_version);
		fi->attr_expire = 0;
		spin_unlock(&fi->lock);
		if (dio->counted)
			f2p_iomode_dio_write_end(inode);
		inode_dio_end(inode);
	} else if (ret >= 0) {
		f2p_invalidate_atime(inode);
	}
	return ret;
}

/* The last answer is in: complete the kiocb. */
static void f2p_dio_put(struct f2p_dio *dio)
{
	struct kiocb *iocb = dio->iocb;
	ssize_t ret;

	if (!atomic_dec_and_test(&dio->pending))
		return;
	ret = f2p_dio_finish(dio);
	kfree(dio);
	f2p_ki_complete(iocb, ret);
}

static void f2p_dio_chunk_free(struct f2p_dio_chunk *ch)
{
	kvfree(ch->buf);
	kfree(ch);
}

static void f2p_dio_read_end(struct f2p_conn *fc, struct f2p_args *args,
			     int error)
{
	struct f2p_dio_chunk *ch = container_of(args, struct f2p_dio_chunk,
						args);
	struct f2p_dio *dio = ch->dio;
	size_t n = args->out_size;
	struct iov_iter it;

	if (error) {
		f2p_dio_stop(dio, ch->off, error);
	} else {
		/* the device took no more than we asked for */
		n = min(n, ch->len);
		iov_iter_bvec(&it, ITER_DEST, dio->bvec, dio->nr_bvec,
			      dio->held);
		iov_iter_advance(&it, ch->off);
		if (copy_to_iter(ch->buf, n, &it) != n)
			f2p_dio_stop(dio, ch->off, -EFAULT);
		else if (n < ch->len)
			f2p_dio_stop(dio, ch->off + n, 0);
	}
	f2p_dio_chunk_free(ch);
	f2p_dio_put(dio);
}

static void f2p_dio_write_end(struct f2p_conn *fc, struct f2p_args *args,
			      int error)
{
	struct f2p_dio_chunk *ch = container_of(args, struct f2p_dio_chunk,
						args);
	struct f2p_dio *dio = ch->dio;

	if (error)
		f2p_dio_stop(dio, ch->off, error);
	else if (ch->write.out.size > ch->len)
		f2p_dio_stop(dio, ch->off, -EIO);	/* wrote more than given? */
	else if (ch->write.out.size < ch->len)
		f2p_dio_stop(dio, ch->off + ch->write.out.size, 0);
	f2p_dio_chunk_free(ch);
	f2p_dio_put(dio);
}

static struct f2p_dio *f2p_dio_alloc(struct kiocb *iocb, bool write,
				     size_t size)
{
	struct f2p_dio *dio = kzalloc(sizeof(*dio), GFP_KERNEL);

	if (!dio)
		return NULL;
	dio->iocb = iocb;
	dio->pos = iocb->ki_pos;
	dio->inode = file_inode(iocb->ki_filp);
	dio->write = write;
	atomic_set(&dio->pending, 1);
	spin_lock_init(&dio->lock);
	dio->stop = size;
	return dio;
}

static struct f2p_dio_chunk *f2p_dio_chunk_alloc(struct f2p_dio *dio,
						 size_t off, size_t len)
{
	struct f2p_dio_chunk *ch = kzalloc(sizeof(*ch), GFP_KERNEL);

	if (!ch)
		return NULL;
	ch->buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!ch->buf) {
		kfree(ch);
		return NULL;
	}
	ch->dio = dio;
	ch->off = off;
	ch->len = len;
	return ch;
}

/* Queue one chunk; false when nothing more should be sent. */
static bool f2p_dio_send(struct f2p_conn *fc, struct f2p_dio_chunk *ch)
{
	/* the server sees who does the I/O, as for a synchronous one */
	ch->args.bgcreds = true;
	atomic_inc(&ch->dio->pending);
	/* on failure ->end has run: the chunk is gone */
	return !f2p_request_bg(fc, &ch->args, GFP_KERNEL);
}

/*
 * Submission is over; the caller has moved ki_pos past what it sent.
 * Everything answered already: the result goes back at once, and ki_pos
 * (the file position of a read or write at offset -1) moves only past
 * what was transferred.  Else the kiocb completes later.
 */
static ssize_t f2p_dio_submitted(struct f2p_dio *dio)
{
	struct kiocb *iocb = dio->iocb;
	ssize_t ret;

	if (!atomic_dec_and_test(&dio->pending))
		return -EIOCBQUEUED;
	ret = f2p_dio_finish(dio);
	iocb->ki_pos = dio->pos + max_t(ssize_t, ret, 0);
	kfree(dio);
	return ret;
}

/*
 * Worth doing asynchronously: an async kiocb of a direct-io or O_DIRECT
 * file, on a server that accepted ASYNC_DIO.  Reads need pages to land in
 * (user memory or a bvec); writes must neither extend the file nor ask
 * for a sync.
 */
bool f2p_dio_async_ok(struct kiocb *iocb, struct iov_iter *iter)
{
	struct f2p_file *ff = iocb->ki_filp->private_data;
	struct inode *inode = file_inode(iocb->ki_filp);

	if (is_sync_kiocb(iocb) || !READ_ONCE(ff->fc->async_dio) ||
	    !iov_iter_count(iter))
		return false;
	if (!(ff->open_flags & FOPEN_DIRECT_IO) &&
	    !(iocb->ki_flags & IOCB_DIRECT))
		return false;
	if (iov_iter_rw(iter) == READ)
		return f2p_user_backed_iter(iter) || iov_iter_is_bvec(iter);
	return !(iocb->ki_flags & IOCB_DSYNC) &&
	       iocb->ki_pos + iov_iter_count(iter) <= i_size_read(inode);
}

/* Hold the pages @to names, as bvecs; returns the bytes held or an error. */
static ssize_t f2p_dio_hold_pages(struct f2p_dio *dio, struct iov_iter *to)
{
	size_t want = iov_iter_count(to);
	unsigned int max = iov_iter_npages(to, INT_MAX);
	struct page **pages;
	unsigned int nr = 0, i;
	ssize_t ret = 0;

	pages = kvmalloc_array(max, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	dio->bvec = kvmalloc_array(max, sizeof(*dio->bvec), GFP_KERNEL_ACCOUNT);
	if (!pages || !dio->bvec) {
		kvfree(pages);
		return -ENOMEM;
	}
	while (dio->held < want && nr < max) {
		size_t poff, left;
		ssize_t n = f2p_iov_iter_get_pages(to, pages + nr,
						   want - dio->held, max - nr,
						   &poff);

		if (n <= 0) {
			ret = n ?: -EFAULT;
			break;
		}
		for (left = n, i = nr; left; i++) {
			size_t len = min_t(size_t, left, PAGE_SIZE - poff);

			bvec_set_page(&dio->bvec[i], pages[i], len, poff);
			left -= len;
			poff = 0;
		}
		nr = i;
		dio->nr_bvec = nr;
		dio->held += n;
	}
	kvfree(pages);
	return dio->held ?: ret;
}

ssize_t f2p_dio_read_async(struct kiocb *iocb, struct iov_iter *to)
{
	struct f2p_file *ff = iocb->ki_filp->private_data;
	struct f2p_conn *fc = ff->fc;
	size_t chunk_max = f2p_dio_read_max(fc), off = 0;
	struct f2p_dio *dio;
	ssize_t held;

	dio = f2p_dio_alloc(iocb, false, iov_iter_count(to));
	if (!dio)
		return -ENOMEM;
	dio->dirty = f2p_user_backed_iter(to);
	held = f2p_dio_hold_pages(dio, to);
	if (held < 0) {
		f2p_dio_stop(dio, 0, held);
		return f2p_dio_submitted(dio);
	}
	/* what we could not hold is not read: a short read */
	f2p_dio_stop(dio, held, 0);

	while (off < held) {
		size_t len = min_t(size_t, chunk_max, held - off);
		struct f2p_dio_chunk *ch;
		int err = f2p_bg_wait_room(fc);

		if (err) {
			f2p_dio_stop(dio, off, err);
			break;
		}
		ch = f2p_dio_chunk_alloc(dio, off, len);
		if (!ch) {
			f2p_dio_stop(dio, off, -ENOMEM);
			break;
		}
		f2p_read_args(&ch->args, &ch->read_in, ff, iocb->ki_pos + off,
			      len, iocb->ki_filp->f_flags);
		ch->args.out_args[0].value = ch->buf;
		ch->args.end = f2p_dio_read_end;
		off += len;
		if (!f2p_dio_send(fc, ch))
			break;
	}
	iocb->ki_pos += off;
	return f2p_dio_submitted(dio);
}

/*
 * Called under the inode lock, shared when @counted (the parallel-writer
 * count then ends with the I/O, not with the lock).
 */
ssize_t f2p_dio_write_async(struct kiocb *iocb, struct iov_iter *from,
			    bool counted)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct f2p_file *ff = iocb->ki_filp->private_data;
	struct f2p_conn *fc = ff->fc;
	size_t chunk_max = fc->max_write, off = 0;
	size_t size = iov_iter_count(from);
	struct f2p_dio *dio;

	dio = f2p_dio_alloc(iocb, true, size);
	if (!dio) {
		if (counted)
			f2p_iomode_dio_write_end(inode);
		return -ENOMEM;
	}
	dio->counted = counted;
	/* a truncate waits for the writes in flight */
	inode_dio_begin(inode);

	while (off < size) {
		size_t len = min(chunk_max, size - off);
		struct f2p_dio_chunk *ch;
		int err = f2p_bg_wait_room(fc);
		size_t got;

		if (err) {
			f2p_dio_stop(dio, off, err);
			break;
		}
		ch = f2p_dio_chunk_alloc(dio, off, len);
		if (!ch) {
			f2p_dio_stop(dio, off, -ENOMEM);
			break;
		}
		got = copy_from_iter(ch->buf, len, from);
		if (!got) {
			f2p_dio_chunk_free(ch);
			f2p_dio_stop(dio, off, -EFAULT);
			break;
		}
		f2p_write_args(&ch->args, &ch->write.in, &ch->write.out, ff,
			       iocb->ki_pos + off, ch->buf, got,
			       iocb->ki_filp->f_flags, 0);
		ch->len = got;
		ch->args.end = f2p_dio_write_end;
		off += got;
		if (got < len)
			f2p_dio_stop(dio, off, -EFAULT);
		if (!f2p_dio_send(fc, ch) || got < len)
			break;
	}
	iocb->ki_pos += off;
	return f2p_dio_submitted(dio);
}
