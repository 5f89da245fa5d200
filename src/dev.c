// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/fuse2pt: the server's side of the connection.
 *
 * read() hands out one request (or forget) per call, write() takes one
 * reply per call.  Everything a server writes is checked before it
 * reaches a waiting caller: the header length against the bytes written,
 * the error against the errno range, the unique against what is really
 * in flight, and the payload against what the request can hold.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pipe_fs_i.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/highmem.h>
#include <linux/sched/signal.h>
#include "fuse2pt.h"

static DEFINE_MUTEX(f2p_attach_mutex);

static struct f2p_conn *f2p_dev_conn(struct file *file)
{
	struct f2p_dev *fud = READ_ONCE(file->private_data);

	return fud ? fud->fc : NULL;
}

static int f2p_dev_open(struct inode *inode, struct file *file)
{
	/* unattached until a mount names this fd; see f2p_dev_attach() */
	file->private_data = NULL;
	return nonseekable_open(inode, file);
}

int f2p_dev_attach(struct file *file, struct f2p_conn *fc)
{
	struct f2p_dev *fud;
	int err = 0;

	fud = kzalloc(sizeof(*fud), GFP_KERNEL);
	if (!fud)
		return -ENOMEM;
	mutex_lock(&f2p_attach_mutex);
	if (file->private_data) {
		err = -EINVAL;
		kfree(fud);
	} else {
		fud->fc = f2p_conn_get(fc);
		/* the connection lives until its last device file is closed */
		spin_lock(&fc->lock);
		fc->dev_count++;
		spin_unlock(&fc->lock);
		smp_store_release(&file->private_data, fud);
	}
	mutex_unlock(&f2p_attach_mutex);
	return err;
}

/*
 * FUSE_DEV_IOC_CLONE: make this fresh device file serve the connection of
 * the device file named by the u32 fd at @argp, so a multi-threaded
 * server can give each thread a file of its own.  Requests are read from,
 * and answered on, any file of the connection.
 */
static long f2p_dev_ioctl_clone(struct file *file, u32 __user *argp)
{
	struct f2p_conn *fc;
	struct file *old;
	u32 oldfd;
	long err;

	if (get_user(oldfd, argp))
		return -EFAULT;
	old = fget(oldfd);
	if (!old)
		return -EINVAL;
	err = -EINVAL;
	/* only another of our own, already mounted, device files */
	if (old->f_op == file->f_op && old != file) {
		fc = f2p_dev_conn(old);
		if (fc)
			err = f2p_dev_attach(file, fc);
	}
	fput(old);
	return err;
}

static bool f2p_dev_has_work(struct f2p_conn *fc)
{
	return !list_empty(&fc->pending) || !list_empty(&fc->forgets) ||
	       !list_empty(&fc->interrupts);
}

/*
 * Where a request goes.  read() gives us the server's buffer; splice()
 * gives us a pipe, and the pages for it are allocated only once the
 * request is chosen and its size known (a server may splice with a
 * megabyte of room for every 80-byte LOOKUP).
 */
struct f2p_sink {
	size_t room;			/* bytes the reader can take */
	struct iov_iter *to;		/* read: the reader's buffer */
	struct iov_iter iter;		/* splice: over the pages below */
	struct bio_vec *bv;
	unsigned int npages;
	struct bio_vec inline_bv[2];
};

/*
 * The iterator to copy @len bytes into, or NULL without memory.  A splice
 * sink may also take @lent bytes of @pages after them by reference: the
 * pipe then holds those pages, not a copy.
 */
static struct iov_iter *f2p_sink_open(struct f2p_sink *s, size_t len,
				      struct page **pages, size_t lent)
{
	unsigned int i, j, own = DIV_ROUND_UP(len, PAGE_SIZE);
	unsigned int n = own + DIV_ROUND_UP(lent, PAGE_SIZE);

	if (s->to)
		return s->to;
	s->bv = n <= ARRAY_SIZE(s->inline_bv) ? s->inline_bv :
		kmalloc_array(n, sizeof(*s->bv), GFP_KERNEL);
	if (!s->bv)
		return NULL;
	for (i = 0; i < own; i++) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			break;
		bvec_set_page(&s->bv[i], page,
			      min_t(size_t, PAGE_SIZE, len - i * PAGE_SIZE), 0);
	}
	s->npages = i;
	if (i < own)
		return NULL;
	for (j = 0; i < n; i++, j++) {
		get_page(pages[j]);
		bvec_set_page(&s->bv[i], pages[j],
			      min_t(size_t, PAGE_SIZE, lent - j * PAGE_SIZE), 0);
	}
	s->npages = n;
	iov_iter_bvec(&s->iter, ITER_DEST, s->bv, own, len);
	return &s->iter;
}

/* splice: hand the sink's pages to @pipe, or drop them all on error */
static ssize_t f2p_sink_to_pipe(struct f2p_sink *s,
				struct pipe_inode_info *pipe, ssize_t len)
{
	ssize_t ret;
	unsigned int i;

	for (i = 0; i < s->npages; i++) {
		struct pipe_buffer buf = {
			.ops	= &nosteal_pipe_buf_ops,
			.page	= s->bv[i].bv_page,
			.len	= s->bv[i].bv_len,
		};

		if (len < 0) {
			put_page(buf.page);
			continue;
		}
		/* add_to_pipe() releases the page when it fails */
		ret = add_to_pipe(pipe, &buf);
		if (ret < 0)
			len = ret;
	}
	if (s->bv != s->inline_bv)
		kfree(s->bv);
	return len;
}

/*
 * INTERRUPT names the request by its unique; its own unique is that with
 * the low bit set.  Formatted under the lock, copied after.
 */
static ssize_t f2p_read_interrupt(struct f2p_conn *fc, struct f2p_sink *s)
	__releases(&fc->lock)
{
	struct iov_iter *to;
	struct f2p_req *req;
	struct {
		struct fuse_in_header h;
		struct fuse_interrupt_in in;
	} msg = {};

	req = list_first_entry(&fc->interrupts, struct f2p_req, intr_entry);
	list_del_init(&req->intr_entry);
	msg.h.len = sizeof(msg);
	msg.h.opcode = FUSE_INTERRUPT;
	msg.h.unique = req->in_h.unique | 1;
	msg.in.unique = req->in_h.unique;
	spin_unlock(&fc->lock);

	to = f2p_sink_open(s, sizeof(msg), NULL, 0);
	if (!to)
		return -ENOMEM;
	if (copy_to_iter(&msg, sizeof(msg), to) != sizeof(msg))
		return -EFAULT;
	return sizeof(msg);
}

/* FORGET needs no request: format it straight from the forget record. */
static ssize_t f2p_read_forget(struct f2p_forget *forget, u64 unique,
			       struct f2p_sink *s)
{
	struct fuse_in_header h = {
		.len = sizeof(h) + sizeof(struct fuse_forget_in),
		.opcode = FUSE_FORGET,
		.unique = unique,
		.nodeid = forget->nodeid,
	};
	struct fuse_forget_in in = { .nlookup = forget->nlookup };
	struct iov_iter *to = f2p_sink_open(s, h.len, NULL, 0);

	kfree(forget);
	if (!to)
		return -ENOMEM;
	if (copy_to_iter(&h, sizeof(h), to) != sizeof(h) ||
	    copy_to_iter(&in, sizeof(in), to) != sizeof(in))
		return -EFAULT;
	return h.len;
}

/*
 * More than one forget waiting and a server that knows BATCH_FORGET
 * (protocol 7.16): one message carries as many as the reader's buffer
 * takes.  Called with fc->lock held, which it drops.
 */
static ssize_t f2p_read_forget_batch(struct f2p_conn *fc, struct f2p_sink *s)
	__releases(&fc->lock)
{
	struct fuse_in_header h = { .opcode = FUSE_BATCH_FORGET };
	struct fuse_batch_forget_in in = {};
	size_t room = (s->room - sizeof(h) - sizeof(in)) /
		      sizeof(struct fuse_forget_one);
	struct f2p_forget *forget, *next;
	struct iov_iter *to;
	LIST_HEAD(batch);
	ssize_t ret;

	while (in.count < room && !list_empty(&fc->forgets)) {
		list_move_tail(fc->forgets.next, &batch);
		in.count++;
	}
	fc->reqctr += 2;
	h.unique = fc->reqctr;
	spin_unlock(&fc->lock);

	h.len = sizeof(h) + sizeof(in) + in.count * sizeof(struct fuse_forget_one);
	ret = h.len;
	to = f2p_sink_open(s, h.len, NULL, 0);
	if (!to)
		ret = -ENOMEM;
	else if (copy_to_iter(&h, sizeof(h), to) != sizeof(h) ||
	    copy_to_iter(&in, sizeof(in), to) != sizeof(in))
		ret = -EFAULT;
	list_for_each_entry_safe(forget, next, &batch, list) {
		struct fuse_forget_one one = {
			.nodeid = forget->nodeid,
			.nlookup = forget->nlookup,
		};

		if (ret > 0 && copy_to_iter(&one, sizeof(one), to) != sizeof(one))
			ret = -EFAULT;
		kfree(forget);
	}
	return ret;
}

/*
 * The data of a WRITE (the last in arg) may be in pages: a splice
 * reader gets them lent, header and data in pipe buffers of their own,
 * when its pipe has a slot for each; everyone else gets a copy.
 */
static int f2p_copy_in_args(struct f2p_req *req, struct f2p_sink *s)
{
	struct f2p_args *args = req->args;
	unsigned int last = args->in_numargs - 1, i;
	size_t lent = 0;
	struct iov_iter *to;

	if (args->in_pages && !s->to) {
		size_t size = args->in_args[last].size;
		size_t head = req->in_h.len - size;

		if ((DIV_ROUND_UP(head, PAGE_SIZE) +
		     DIV_ROUND_UP(size, PAGE_SIZE)) * PAGE_SIZE <= s->room)
			lent = size;
	}
	to = f2p_sink_open(s, req->in_h.len - lent, args->in_pages, lent);
	if (!to)
		return -ENOMEM;
	if (copy_to_iter(&req->in_h, sizeof(req->in_h), to) != sizeof(req->in_h))
		return -EFAULT;
	for (i = 0; i < args->in_numargs; i++) {
		struct f2p_arg *a = &args->in_args[i];
		size_t done;

		if (i < last || !args->in_pages) {
			if (copy_to_iter(a->value, a->size, to) != a->size)
				return -EFAULT;
			continue;
		}
		for (done = 0; done < a->size - lent; done += PAGE_SIZE) {
			size_t n = min_t(size_t, PAGE_SIZE, a->size - done);

			if (copy_page_to_iter(args->in_pages[done >> PAGE_SHIFT],
					      0, n, to) != n)
				return -EFAULT;
		}
	}
	return 0;
}

static ssize_t f2p_dev_do_read(struct f2p_conn *fc, struct file *file,
			       struct f2p_sink *s)
{
	size_t nbytes = s->room;
	struct f2p_req *req;
	u64 unique;
	ssize_t ret;
	int err;

	/* a reader must be able to take the largest request we may send */
	if (nbytes < max_t(size_t, FUSE_MIN_READ_BUFFER,
			   sizeof(struct fuse_in_header) +
			   sizeof(struct fuse_write_in) + fc->max_write))
		return -EINVAL;
restart:
	spin_lock(&fc->lock);
	while (!f2p_dev_has_work(fc)) {
		if (!fc->connected || fc->aborted) {
			spin_unlock(&fc->lock);
			return -ENODEV;
		}
		spin_unlock(&fc->lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible_exclusive(fc->waitq,
				!fc->connected || fc->aborted ||
				f2p_dev_has_work(fc));
		if (err)
			return err;
		spin_lock(&fc->lock);
	}
	if (fc->aborted) {
		spin_unlock(&fc->lock);
		return -ENODEV;
	}

	if (!list_empty(&fc->interrupts))
		return f2p_read_interrupt(fc, s);

	/* forgets go first, but never starve real requests for long */
	if (!list_empty(&fc->forgets) &&
	    (list_empty(&fc->pending) || fc->forget_streak++ < 16)) {
		struct f2p_forget *forget;

		if (fc->minor >= 16 && !list_is_singular(&fc->forgets))
			return f2p_read_forget_batch(fc, s);
		forget = list_first_entry(&fc->forgets, struct f2p_forget, list);
		list_del(&forget->list);
		fc->reqctr += 2;
		unique = fc->reqctr;
		spin_unlock(&fc->lock);
		return f2p_read_forget(forget, unique, s);
	}
	fc->forget_streak = 0;

	req = list_first_entry(&fc->pending, struct f2p_req, list);
	if (req->in_h.len > nbytes) {
		/*
		 * The size check above covers the largest WRITE, not every
		 * request: a SETXATTR value or an ioctl argument may be larger
		 * than max_write.  Such a request can never be read, so it
		 * fails here; SETXATTR with E2BIG (the value is too large for
		 * this server), everything else with EIO, as stock fuse does.
		 */
		list_del_init(&req->list);
		set_bit(F2P_R_SENT, &req->flags);
		spin_unlock(&fc->lock);
		req->error = req->args->opcode == FUSE_SETXATTR ? -E2BIG : -EIO;
		f2p_req_end(fc, req);
		goto restart;
	}
	set_bit(F2P_R_SENT, &req->flags);
	set_bit(F2P_R_LOCKED, &req->flags);
	list_move_tail(&req->list, &fc->processing);
	spin_unlock(&fc->lock);

	err = f2p_copy_in_args(req, s);
	ret = err ? err : req->in_h.len;

	spin_lock(&fc->lock);
	clear_bit(F2P_R_LOCKED, &req->flags);
	if (test_bit(F2P_R_ABORTED, &req->flags)) {
		list_del_init(&req->list);
		spin_unlock(&fc->lock);
		req->error = -ECONNABORTED;
		f2p_req_end(fc, req);
		return err ? err : -ENODEV;
	}
	if (err || req->args->noreply) {
		list_del_init(&req->list);
		spin_unlock(&fc->lock);
		req->error = err ? -EIO : 0;
		f2p_req_end(fc, req);
		return ret;
	}
	/* the caller was signalled before the server saw the request */
	if (test_bit(F2P_R_INTERRUPTED, &req->flags))
		f2p_queue_interrupt_locked(fc, req);
	spin_unlock(&fc->lock);
	return ret;
}

static ssize_t f2p_dev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct f2p_conn *fc = f2p_dev_conn(iocb->ki_filp);

	struct f2p_sink s = { .room = iov_iter_count(to), .to = to };

	if (!fc)
		return -EPERM;
	return f2p_dev_do_read(fc, iocb->ki_filp, &s);
}

/*
 * A server (libfuse does by default) may splice requests into a pipe.
 * The splice core has made @len fit the pipe's free room; each request
 * gets pages of its own size, handed to the pipe whole.
 */
static ssize_t f2p_dev_splice_read(struct file *in, loff_t *ppos,
				   struct pipe_inode_info *pipe, size_t len,
				   unsigned int flags)
{
	struct f2p_conn *fc = f2p_dev_conn(in);
	struct f2p_sink s = { .room = len };
	ssize_t ret;

	if (!fc)
		return -EPERM;
	ret = f2p_dev_do_read(fc, in, &s);
	return f2p_sink_to_pipe(&s, pipe, ret);
}

static struct f2p_req *f2p_find_req(struct f2p_conn *fc, u64 unique)
{
	struct f2p_req *req;

	list_for_each_entry(req, &fc->processing, list)
		if (req->in_h.unique == unique &&
		    !test_bit(F2P_R_LOCKED, &req->flags))
			return req;
	return NULL;
}

/* Fill the folios of @args in order with @len bytes. */
static int f2p_copy_to_folios(struct f2p_args *args, size_t len,
			      struct iov_iter *from)
{
	struct folio **folios = args->out_folios;
	unsigned int left = args->out_nr_folios;
	size_t done = 0, off = 0;

	while (done < len) {
		size_t chunk;
		size_t got;
		void *p;

		if (!left)
			return -EINVAL;	/* the caller's sizes disagree */
		chunk = min_t(size_t, len - done,
			      PAGE_SIZE - offset_in_page(off));
		p = f2p_kmap_local_folio(*folios, off);
		got = copy_from_iter(p, chunk, from);
		f2p_kunmap_local(p);
		if (got != chunk)
			return -EFAULT;
		done += chunk;
		off += chunk;
		if (off == f2p_folio_size(*folios)) {
			folios++;
			left--;
			off = 0;
		}
	}
	return 0;
}

/*
 * Copy the payload into the caller's buffers.  The payload must fill every
 * out argument exactly, except that the last may be short when the caller
 * said so (out_argvar); anything longer is refused.
 */
static int f2p_copy_out_args(struct f2p_req *req, size_t nbytes,
			     struct iov_iter *from)
{
	struct f2p_args *args = req->args;
	size_t want = 0, lastsz, last;
	unsigned int i;

	if (!args->out_numargs)
		return nbytes ? -EINVAL : 0;
	for (i = 0; i < args->out_numargs; i++)
		want += args->out_args[i].size;
	if (nbytes > want || (nbytes < want && !args->out_argvar))
		return -EINVAL;
	/* only the last argument may be short, never the ones before it */
	lastsz = args->out_args[args->out_numargs - 1].size;
	if (want - nbytes > lastsz)
		return -EINVAL;
	last = lastsz - (want - nbytes);

	for (i = 0; i < args->out_numargs; i++) {
		struct f2p_arg *a = &args->out_args[i];
		bool is_last = i == args->out_numargs - 1;
		size_t len = is_last ? last : a->size;

		if (is_last && args->out_folios) {
			int err = f2p_copy_to_folios(args, len, from);

			if (err)
				return err;
		} else if (copy_from_iter(a->value, len, from) != len) {
			return -EFAULT;
		}
	}
	req->out_size = last;
	return 0;
}

/*
 * The answer to an INTERRUPT: ENOSYS means "never send them", EAGAIN
 * "not now, ask again".  It carries no payload.
 */
static ssize_t f2p_interrupt_reply(struct f2p_conn *fc,
				   const struct fuse_out_header *oh,
				   size_t nbytes)
	__releases(&fc->lock)
{
	struct f2p_req *req = f2p_find_req(fc, oh->unique & ~1ULL);
	ssize_t ret = nbytes;

	if (!req)
		ret = -ENOENT;
	else if (nbytes != sizeof(*oh))
		ret = -EINVAL;
	else if (oh->error == -ENOSYS)
		fc->no_interrupt = true;
	else if (oh->error == -EAGAIN && !test_bit(F2P_R_INTERRUPTED, &req->flags))
		ret = -EINVAL;	/* "ask again" about what we never asked */
	else if (oh->error == -EAGAIN)
		f2p_queue_interrupt_locked(fc, req);
	spin_unlock(&fc->lock);
	return ret;
}

static ssize_t f2p_dev_do_write(struct f2p_conn *fc, struct iov_iter *from)
{
	size_t nbytes = iov_iter_count(from);
	struct fuse_out_header oh;
	struct f2p_req *req;
	int err;

	if (nbytes < sizeof(oh))
		return -EINVAL;
	if (copy_from_iter(&oh, sizeof(oh), from) != sizeof(oh))
		return -EFAULT;
	if (oh.len != nbytes)
		return -EINVAL;
	/* unique 0 carries a notification, its code in the error field */
	if (!oh.unique) {
		err = f2p_notify(fc, oh.error, from);
		return err ? err : nbytes;
	}
	/* errors are negative errnos; a payload goes only with success */
	if (oh.error > 0 || oh.error <= -512)
		return -EINVAL;

	spin_lock(&fc->lock);
	if (fc->aborted) {
		spin_unlock(&fc->lock);
		return -ENOENT;
	}
	if (oh.unique & 1)
		return f2p_interrupt_reply(fc, &oh, nbytes);	/* unlocks */
	req = f2p_find_req(fc, oh.unique);
	if (!req) {
		spin_unlock(&fc->lock);
		return -ENOENT;
	}
	list_del_init(&req->list);
	set_bit(F2P_R_LOCKED, &req->flags);
	spin_unlock(&fc->lock);

	if (oh.error) {
		/* an error carries no payload; one that does is broken */
		err = nbytes != sizeof(oh) ? -EINVAL : 0;
		req->error = err ? -EIO : oh.error;
	} else {
		err = f2p_copy_out_args(req, nbytes - sizeof(oh), from);
		/* a malformed answer is the server's bug; the caller sees EIO */
		req->error = err ? -EIO : 0;
	}
	clear_bit(F2P_R_LOCKED, &req->flags);
	f2p_req_end(fc, req);
	return err ? err : nbytes;
}

static ssize_t f2p_dev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct f2p_conn *fc = f2p_dev_conn(iocb->ki_filp);

	if (!fc)
		return -EPERM;
	return f2p_dev_do_write(fc, from);
}

static __poll_t f2p_dev_poll(struct file *file, poll_table *wait)
{
	struct f2p_conn *fc = f2p_dev_conn(file);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	if (!fc)
		return EPOLLERR;
	poll_wait(file, &fc->waitq, wait);
	spin_lock(&fc->lock);
	if (fc->aborted || (!fc->connected && !f2p_dev_has_work(fc)))
		mask = EPOLLERR;
	else if (f2p_dev_has_work(fc))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&fc->lock);
	return mask;
}

static int f2p_dev_fasync(int fd, struct file *file, int on)
{
	struct f2p_conn *fc = f2p_dev_conn(file);

	if (!fc)
		return -EPERM;
	return fasync_helper(fd, file, on, &fc->fasync);
}

static long f2p_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct f2p_conn *fc = f2p_dev_conn(file);
	void __user *argp = (void __user *)arg;

	if (cmd == FUSE_DEV_IOC_CLONE)
		return f2p_dev_ioctl_clone(file, argp);
	if (!fc)
		return -EPERM;
	switch (cmd) {
	case FUSE_DEV_IOC_BACKING_OPEN:
		return f2p_backing_ioctl_open(fc, argp);
	case FUSE_DEV_IOC_BACKING_CLOSE:
		return f2p_backing_ioctl_close(fc, argp);
	default:
		return -ENOTTY;
	}
}

static int f2p_dev_release(struct inode *inode, struct file *file)
{
	struct f2p_dev *fud = file->private_data;
	bool last;

	if (!fud)
		return 0;
	spin_lock(&fud->fc->lock);
	last = !--fud->fc->dev_count;
	spin_unlock(&fud->fc->lock);
	/* the server is gone: nobody will ever answer what is queued */
	if (last)
		f2p_conn_abort(fud->fc);
	fasync_helper(-1, file, 0, &fud->fc->fasync);
	f2p_conn_put(fud->fc);
	kfree(fud);
	return 0;
}

const struct file_operations f2p_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= f2p_dev_open,
	.read_iter	= f2p_dev_read_iter,
	.write_iter	= f2p_dev_write_iter,
	.poll		= f2p_dev_poll,
	.release	= f2p_dev_release,
	.fasync		= f2p_dev_fasync,
	.unlocked_ioctl	= f2p_dev_ioctl,
	.splice_read	= f2p_dev_splice_read,
	.splice_write	= iter_file_splice_write,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice f2p_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= F2P_NAME,
	.fops	= &f2p_dev_fops,
	.mode	= 0666,
};

int f2p_dev_init(void)
{
	return misc_register(&f2p_misc);
}

void f2p_dev_exit(void)
{
	misc_deregister(&f2p_misc);
}
