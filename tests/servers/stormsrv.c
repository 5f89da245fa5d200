// SPDX-License-Identifier: GPL-2.0
/*
 * stormsrv: a raw-protocol FUSE server for the signal-storm test
 * (tests/guest/cases/89-storm.sh, issue 17): many requests in flight at
 * once, INTERRUPTs answered in every way the protocol allows, and now and
 * then a stall that loses the requests it holds and asks the kernel for
 * them again with NOTIFY_RESEND.
 *
 *   stormsrv [OPTION...] /dev/fd/N      (normally started by fuse2pt-mount)
 *
 *   seed=N        the random stream (1); the same seed makes the same
 *                 choices, as far as the threads' timing lets it
 *   threads=N     reader threads, each on its own device fd: the one it
 *                 was given and N-1 clones (4)
 *   hold=MS       every reply is held back a random 0..MS ms, answered
 *                 later by a timer thread (20)
 *   every=A-B     a stall begins every A..B ms (500-2000); every=0: never
 *   stall=A-B     each half of a stall lasts A..B ms (50-300)
 *   intr=KINDS    how an INTERRUPT of a held request is answered, picked
 *                 at random among KINDS (comma-separated; all three by
 *                 default): eagain (answered EAGAIN, the request stays
 *                 held), eintr (the request ends now with EINTR), ignore
 *
 * The tree is storm.h's.  Entries and attributes are valid for 0 s and
 * files open with FOPEN_DIRECT_IO, so every lookup, stat and read is a
 * request.
 *
 * A stall: once it is due, the next reader thread that reads a request
 * stops there (as a server thread that hangs while it works on one) and
 * all of them stop reading; the held replies are not sent.  After the
 * first half, the held requests are dropped unanswered and NOTIFY_RESEND
 * asks the kernel to send them again (they come back with
 * FUSE_UNIQUE_RESEND in their unique, behind the INTERRUPTs the kernel
 * still has queued), and the readers stay away for the second half.  A
 * kernel that refuses the notification (stock fuse before 6.9) gets the
 * dropped requests answered instead.
 *
 * An INTERRUPT of a request not held (not read yet, or read again after
 * a resend: the kernel sends INTERRUPTs first) is remembered; the request
 * may end with EINTR when it comes; an EAGAIN may be answered meanwhile.
 *
 * Log lines (stderr):
 *   stormsrv: ready: seed S, N thread(s)
 *   stormsrv: stall N: dropped K, resend accepted|rejected ERRNAME
 *   stormsrv: count NAME N      at exit, for each counter (see count_names)
 * STORMSRV_VERBOSE=1 also logs every request.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define RAW_PROG	"stormsrv"
#include "testlib.h"
#include "storm.h"

#define MAX_WRITE	(64 * 1024)
/* the kernel wants room for a WRITE of max_write bytes and its headers */
#define REQ_BUF_SIZE	(MAX_WRITE + 16 * 1024)
#define MAX_MINOR	40
#define MAX_THREADS	16
#define FIXED_TIME	1700000000ULL
#define EARLY_MAX	64
#define NSEC_PER_MS	1000000ULL

enum intr_kind { INTR_EAGAIN, INTR_EINTR, INTR_IGNORE, NR_INTR_KINDS };

static const char *const intr_kind_names[NR_INTR_KINDS] = {
	"eagain", "eintr", "ignore",
};

enum count {
	C_REQUESTS,		/* requests read (not INTERRUPT, not FORGET) */
	C_RESENT,		/* of them, with FUSE_UNIQUE_RESEND */
	C_INTR,			/* INTERRUPTs read */
	C_INTR_EAGAIN,		/* ... answered EAGAIN */
	C_INTR_EINTR,		/* ... that ended their request with EINTR */
	C_INTR_IGNORE,		/* ... ignored */
	C_INTR_UNKNOWN,		/* ... of a request not held */
	C_EARLY_EINTR,		/* requests ended with EINTR as they came */
	C_STALLS,
	C_DROPPED,		/* held requests dropped by the stalls */
	C_RESEND_SENT,
	C_RESEND_REJECTED,
	C_LATE,			/* replies the kernel no longer wanted (ENOENT) */
	NR_COUNTS
};

static const char *const count_names[NR_COUNTS] = {
	"requests", "resent", "intr", "intr-eagain", "intr-eintr",
	"intr-ignore", "intr-unknown", "early-eintr", "stalls", "dropped",
	"resend-sent", "resend-rejected", "late",
};

/*
 * A reply written but not sent yet: the whole message, header first.  It
 * goes to the fd its request came from: stock fuse looks for the request
 * among that fd's only.
 */
struct held {
	struct held *next;
	int fd;
	uint64_t unique;
	uint64_t due;			/* CLOCK_MONOTONIC, ns */
	size_t len;
	unsigned char msg[];
};

static struct {
	uint64_t seed;
	int threads;
	unsigned int hold_ms;
	unsigned int every_min, every_max;	/* 0: no stalls */
	unsigned int stall_min, stall_max;
	unsigned int intr_kinds;		/* bit per enum intr_kind */
	bool verbose;
} cfg = {
	.seed = 1,
	.threads = 4,
	.hold_ms = 20,
	.every_min = 500, .every_max = 2000,
	.stall_min = 50, .stall_max = 300,
	.intr_kinds = (1u << NR_INTR_KINDS) - 1,
};

static int fds[MAX_THREADS];
static unsigned long counts[NR_COUNTS];

/*
 * lock guards everything below it.  stalled is also read without it by
 * the readers, as a hint (the gate under the lock is what holds them).
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;	/* any change */
static struct held *held;
static bool initialized, stall_armed, stalled, done;
static uint64_t early[EARLY_MAX];	/* INTERRUPTed, not read yet */
static unsigned int nearly;

static void count(enum count c)
{
	__atomic_fetch_add(&counts[c], 1, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The random stream has a lock of its own: it is used under lock too. */
static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rng_state;

/* 0 .. n-1 */
static uint64_t rnd(uint64_t n)
{
	uint64_t r;

	if (!n)
		return 0;
	pthread_mutex_lock(&rng_lock);
	r = splitmix64(&rng_state) % n;
	pthread_mutex_unlock(&rng_lock);
	return r;
}

static unsigned int rnd_between(unsigned int lo, unsigned int hi)
{
	return hi > lo ? lo + rnd(hi - lo + 1) : lo;
}

static enum intr_kind pick_intr_kind(void)
{
	enum intr_kind k;

	do
		k = rnd(NR_INTR_KINDS);
	while (!(cfg.intr_kinds & (1u << k)));
	return k;
}

static const char *errno_name(int err)
{
	switch (err) {
	case ENOENT:	return "ENOENT";
	case EINVAL:	return "EINVAL";
	case ENODEV:	return "ENODEV";
	case ENOTCONN:	return "ENOTCONN";
	case ENOSYS:	return "ENOSYS";
	default:	return strerror(err);
	}
}

/* ---- messages ---- */

static struct held *new_msg(uint64_t unique, int error, size_t arglen)
{
	struct held *m = calloc(1, sizeof(*m) + sizeof(struct fuse_out_header) + arglen);
	struct fuse_out_header *oh;

	if (!m) {
		raw_log("out of memory");
		abort();
	}
	oh = (void *)m->msg;
	oh->len = sizeof(*oh) + arglen;
	oh->error = -error;
	oh->unique = unique;
	m->unique = unique;
	m->len = oh->len;
	return m;
}

static void *msg_arg(struct held *m)
{
	return m->msg + sizeof(struct fuse_out_header);
}

static struct held *error_msg(uint64_t unique, int error)
{
	return new_msg(unique, error, 0);
}

/* Write @m to its fd and free it. */
static void send_msg(struct held *m)
{
	ssize_t n = write(m->fd, m->msg, m->len);

	if (n < 0 && errno == ENOENT)	/* interrupted and ended, withdrawn, aborted */
		count(C_LATE);
	else if (n < 0 && errno != ENODEV)
		raw_log("write of reply %llu: %s", (unsigned long long)m->unique,
			errno_name(errno));
	free(m);
}

static void send_to(int fd, struct held *m)
{
	m->fd = fd;
	send_msg(m);
}

static void send_list(struct held *m)
{
	struct held *next;

	for (; m; m = next) {
		next = m->next;
		send_msg(m);
	}
}

static void free_list(struct held *m)
{
	struct held *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
}

/* Queue @m to be sent to @fd 0..hold_ms ms from now. */
static void hold(int fd, struct held *m)
{
	m->fd = fd;
	pthread_mutex_lock(&lock);
	m->due = now_ns() + rnd(cfg.hold_ms * 1000ULL + 1) * 1000;
	m->next = held;
	held = m;
	pthread_mutex_unlock(&lock);
}

/* ---- the tree ---- */

static int file_index(uint64_t nodeid)
{
	if (nodeid >= STORM_FILE_ID0 && nodeid < STORM_FILE_ID0 + STORM_FILES)
		return nodeid - STORM_FILE_ID0;
	return -1;
}

static bool fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	int k = file_index(nodeid);

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->blksize = 4096;
	a->atime = a->mtime = a->ctime = FIXED_TIME;
	if (nodeid == STORM_ROOT_ID || nodeid == STORM_DIR_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else if (k >= 0) {
		a->mode = S_IFREG | 0444;
		a->nlink = 1;
		a->size = storm_size[k];
	} else if (nodeid >= STORM_ENTRY_ID0 &&
		   nodeid < STORM_ENTRY_ID0 + STORM_ENTRIES) {
		a->mode = S_IFREG | 0444;
		a->nlink = 1;
		a->size = nodeid - STORM_ENTRY_ID0;
	} else {
		return false;
	}
	a->blocks = (a->size + 511) / 512;
	return true;
}

/* The children of a directory, in readdir order (after . and ..). */
static unsigned int children(uint64_t dir)
{
	if (dir == STORM_ROOT_ID)
		return STORM_FILES + 1;
	if (dir == STORM_DIR_ID)
		return STORM_ENTRIES;
	return 0;
}

static uint64_t child(uint64_t dir, unsigned int i, char *name, size_t size)
{
	if (dir == STORM_ROOT_ID && i < STORM_FILES) {
		storm_file_name(name, size, i);
		return STORM_FILE_ID0 + i;
	}
	if (dir == STORM_ROOT_ID) {
		snprintf(name, size, "%s", STORM_DIR);
		return STORM_DIR_ID;
	}
	storm_entry_name(name, size, i);
	return STORM_ENTRY_ID0 + i;
}

static uint64_t lookup(uint64_t dir, const char *name)
{
	unsigned int i, n = children(dir);
	char buf[16];
	uint64_t id;

	for (i = 0; i < n; i++) {
		id = child(dir, i, buf, sizeof(buf));
		if (!strcmp(buf, name))
			return id;
	}
	return 0;
}

/* ---- requests ---- */

static struct held *do_init(const struct fuse_in_header *h,
			    const struct fuse_init_in *in, size_t arglen)
{
	struct held *m;
	struct fuse_init_out *out;
	size_t len;

	if (arglen < 2 * sizeof(uint32_t) || in->major != FUSE_KERNEL_VERSION) {
		raw_log("INIT: unexpected request (len %zu)", arglen);
		return error_msg(h->unique, EPROTO);
	}
	if (in->minor < 5)
		len = FUSE_COMPAT_INIT_OUT_SIZE;
	else if (in->minor < 23)
		len = FUSE_COMPAT_22_INIT_OUT_SIZE;
	else
		len = sizeof(*out);
	m = new_msg(h->unique, 0, len);
	out = msg_arg(m);
	out->major = FUSE_KERNEL_VERSION;
	out->minor = in->minor < MAX_MINOR ? in->minor : MAX_MINOR;
	if (arglen >= offsetof(struct fuse_init_in, flags2)) {
		out->max_readahead = in->max_readahead;
		/* lookups and listings of one directory in parallel */
		out->flags = in->flags & (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS);
	}
	out->max_write = MAX_WRITE;
	out->time_gran = 1;
	return m;
}

static struct held *do_lookup(const struct fuse_in_header *h,
			      const char *name, size_t arglen)
{
	struct fuse_entry_out *out;
	struct held *m;
	uint64_t id;

	if (!arglen || name[arglen - 1] != '\0')
		return error_msg(h->unique, EINVAL);
	id = lookup(h->nodeid, name);
	if (!id)
		return error_msg(h->unique, ENOENT);
	m = new_msg(h->unique, 0, sizeof(*out));
	out = msg_arg(m);
	out->nodeid = id;
	out->generation = 1;
	fill_attr(id, &out->attr);
	return m;
}

static struct held *do_getattr(const struct fuse_in_header *h)
{
	struct fuse_attr_out *out;
	struct held *m = new_msg(h->unique, 0, sizeof(*out));

	out = msg_arg(m);
	if (!fill_attr(h->nodeid, &out->attr)) {
		free(m);
		return error_msg(h->unique, ENOENT);
	}
	return m;
}

static struct held *do_open(const struct fuse_in_header *h, bool dir)
{
	struct fuse_open_out *out;
	struct held *m;

	if (dir != !!children(h->nodeid))
		return error_msg(h->unique, dir ? ENOTDIR : EISDIR);
	m = new_msg(h->unique, 0, sizeof(*out));
	out = msg_arg(m);
	out->fh = h->nodeid;
	out->open_flags = dir ? 0 : FOPEN_DIRECT_IO;
	return m;
}

static struct held *do_read(const struct fuse_in_header *h,
			    const struct fuse_read_in *in)
{
	int k = file_index(h->nodeid);
	unsigned char *p;
	struct held *m;
	uint64_t i, len = 0;

	if (k < 0)
		return error_msg(h->unique, EINVAL);
	if (in->offset < storm_size[k])
		len = storm_size[k] - in->offset;
	if (len > in->size)
		len = in->size;
	m = new_msg(h->unique, 0, len);
	p = msg_arg(m);
	for (i = 0; i < len; i++)
		p[i] = storm_byte(k, in->offset + i);
	return m;
}

static struct held *do_readdir(const struct fuse_in_header *h,
			       const struct fuse_read_in *in)
{
	unsigned int n = children(h->nodeid);
	unsigned char buf[8192];
	size_t used = 0, max = in->size < sizeof(buf) ? in->size : sizeof(buf);
	struct held *m;
	uint64_t i;

	/* offsets: 0 ".", 1 "..", 2.. the children; d_off is the next one */
	for (i = in->offset; i < n + 2; i++) {
		struct fuse_dirent *d = (void *)(buf + used);
		char name[16];
		uint64_t ino;
		size_t nl, sz;

		if (i < 2) {
			snprintf(name, sizeof(name), "%s", i ? ".." : ".");
			ino = h->nodeid;
		} else {
			ino = child(h->nodeid, i - 2, name, sizeof(name));
		}
		nl = strlen(name);
		sz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nl);
		if (used + sz > max)
			break;
		memset(d, 0, sz);
		d->ino = ino;
		d->off = i + 1;
		d->namelen = nl;
		d->type = children(ino) ? DT_DIR : DT_REG;
		memcpy(d->name, name, nl);
		used += sz;
	}
	m = new_msg(h->unique, 0, used);
	memcpy(msg_arg(m), buf, used);
	return m;
}

static struct held *do_statfs(const struct fuse_in_header *h)
{
	struct fuse_statfs_out *out;
	struct held *m = new_msg(h->unique, 0, sizeof(*out));

	out = msg_arg(m);
	out->st.bsize = out->st.frsize = 4096;
	out->st.namelen = 255;
	return m;
}

/* The answer to a request other than INIT, INTERRUPT and FORGET. */
static struct held *answer(const struct fuse_in_header *h, const void *arg,
			   size_t arglen)
{
	switch (h->opcode) {
	case FUSE_LOOKUP:	return do_lookup(h, arg, arglen);
	case FUSE_GETATTR:	return do_getattr(h);
	case FUSE_OPEN:		return do_open(h, false);
	case FUSE_OPENDIR:	return do_open(h, true);
	case FUSE_READ:		return do_read(h, arg);
	case FUSE_READDIR:	return do_readdir(h, arg);
	case FUSE_STATFS:	return do_statfs(h);
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_ACCESS:
	case FUSE_DESTROY:
		return new_msg(h->unique, 0, 0);
	default:
		return error_msg(h->unique, ENOSYS);
	}
}

/* ---- interrupts ---- */

/* Remember an INTERRUPT of a request not read (again) yet.  Locked. */
static void early_add_locked(uint64_t unique)
{
	unsigned int i;

	for (i = 0; i < nearly; i++)
		if (early[i] == unique)
			return;
	if (nearly == EARLY_MAX)	/* forget the oldest */
		memmove(early, early + 1, --nearly * sizeof(early[0]));
	early[nearly++] = unique;
}

/* Was the request of @unique interrupted before we read it? */
static bool early_take(uint64_t unique)
{
	bool found = false;
	unsigned int i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nearly && !found; i++) {
		if (early[i] == unique) {
			early[i] = early[--nearly];
			found = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static void do_interrupt(int fd, const struct fuse_in_header *h,
			 const struct fuse_interrupt_in *in)
{
	struct held **pp, *target = NULL;
	enum intr_kind kind;

	count(C_INTR);
	pthread_mutex_lock(&lock);
	for (pp = &held; *pp; pp = &(*pp)->next) {
		if ((*pp)->unique == in->unique) {
			target = *pp;
			break;
		}
	}
	if (!target) {
		early_add_locked(in->unique);
		pthread_mutex_unlock(&lock);
		count(C_INTR_UNKNOWN);
		/* "ask again": the kernel does if it still has it sent */
		if ((cfg.intr_kinds & (1u << INTR_EAGAIN)) && rnd(2))
			send_to(fd, error_msg(h->unique, EAGAIN));
		return;
	}
	kind = pick_intr_kind();
	fd = target->fd;	/* where the kernel looks for the request */
	if (kind == INTR_EINTR)
		*pp = target->next;
	pthread_mutex_unlock(&lock);

	switch (kind) {
	case INTR_EAGAIN:
		count(C_INTR_EAGAIN);
		send_to(fd, error_msg(h->unique, EAGAIN));
		break;
	case INTR_EINTR:
		count(C_INTR_EINTR);
		free(target);
		send_to(fd, error_msg(in->unique, EINTR));
		break;
	default:
		count(C_INTR_IGNORE);
		break;
	}
}

/* ---- threads ---- */

static void dispatch(int fd, const struct fuse_in_header *h, const void *arg,
		     size_t arglen)
{
	if (cfg.verbose)
		raw_log("opcode %u unique %#llx nodeid %llu len %u", h->opcode,
			(unsigned long long)h->unique,
			(unsigned long long)h->nodeid, h->len);
	switch (h->opcode) {
	case FUSE_INTERRUPT:
		do_interrupt(fd, h, arg);
		return;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
		return;
	}
	count(C_REQUESTS);
	if (h->unique & FUSE_UNIQUE_RESEND)
		count(C_RESENT);
	if (h->opcode == FUSE_INIT) {
		send_to(fd, do_init(h, arg, arglen));
		pthread_mutex_lock(&lock);
		initialized = true;
		pthread_cond_broadcast(&wake);
		pthread_mutex_unlock(&lock);
		return;
	}
	if (h->opcode == FUSE_DESTROY) {
		send_to(fd, answer(h, arg, arglen));
		return;
	}
	if (early_take(h->unique) && pick_intr_kind() == INTR_EINTR) {
		count(C_EARLY_EINTR);
		send_to(fd, error_msg(h->unique, EINTR));
		return;
	}
	hold(fd, answer(h, arg, arglen));
}

/* Wait while a stall keeps the readers away.  False once we are done. */
static bool reader_gate(void)
{
	bool go;

	pthread_mutex_lock(&lock);
	while (stalled && !done)
		pthread_cond_wait(&wake, &lock);
	go = !done;
	pthread_mutex_unlock(&lock);
	return go;
}

/* A request was read: if a stall is due, this reader stops here. */
static void maybe_stall_here(const struct fuse_in_header *h)
{
	if (h->opcode == FUSE_INTERRUPT || h->opcode == FUSE_FORGET ||
	    h->opcode == FUSE_BATCH_FORGET ||
	    !__atomic_load_n(&stall_armed, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&lock);
	if (stall_armed) {
		stall_armed = false;
		stalled = true;
		pthread_cond_broadcast(&wake);
	}
	pthread_mutex_unlock(&lock);
}

static int failed;

static void *reader(void *arg)
{
	int self = (int)(intptr_t)arg;
	struct pollfd pfd = { .fd = fds[self], .events = POLLIN };
	unsigned char *buf = malloc(REQ_BUF_SIZE);
	const struct fuse_in_header *h = (const void *)buf;
	ssize_t n;

	if (!buf)
		abort();
	while (reader_gate()) {
		n = poll(&pfd, 1, 200);
		if (n < 0 && errno != EINTR) {
			raw_log("poll on thread %d: %s", self, strerror(errno));
			failed = 1;
			break;
		}
		if (n <= 0 || __atomic_load_n(&stalled, __ATOMIC_RELAXED))
			continue;
		n = read(fds[self], buf, REQ_BUF_SIZE);
		if (n < 0) {
			/* another reader took it; or it vanished meanwhile */
			if (errno == EAGAIN || errno == EINTR || errno == ENOENT)
				continue;
			if (errno != ENODEV) {
				raw_log("read on thread %d: %s", self, strerror(errno));
				failed = 1;
			}
			break;
		}
		if ((size_t)n < sizeof(*h) || h->len != (size_t)n) {
			raw_log("malformed request: read %zd bytes, header says %u",
				n, (size_t)n >= sizeof(*h) ? h->len : 0);
			failed = 1;
			break;
		}
		maybe_stall_here(h);
		dispatch(fds[self], h, buf + sizeof(*h), n - sizeof(*h));
	}
	free(buf);
	return NULL;
}

/*
 * Sleep @ms, or less if we are done (or, with @until_stalled, a reader
 * stalled) meanwhile.  Called with lock held.
 */
static void nap_locked(unsigned int ms, bool until_stalled)
{
	struct timespec ts;
	uint64_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec + ms * NSEC_PER_MS;
	ts.tv_sec = t / 1000000000ULL;
	ts.tv_nsec = t % 1000000000ULL;
	while (!done && !(until_stalled && stalled) &&
	       pthread_cond_timedwait(&wake, &lock, &ts) != ETIMEDOUT)
		;
}

/* Sends the held replies when they are due, except during a stall. */
static void *answerer(void *arg)
{
	struct timespec tick = { .tv_nsec = NSEC_PER_MS };
	struct held *due, **pp, *m;
	uint64_t now;

	(void)arg;
	for (;;) {
		nanosleep(&tick, NULL);
		due = NULL;
		pthread_mutex_lock(&lock);
		if (done) {
			pthread_mutex_unlock(&lock);
			break;
		}
		now = now_ns();
		for (pp = &held; !stalled && *pp;) {
			m = *pp;
			if (m->due > now) {
				pp = &m->next;
				continue;
			}
			*pp = m->next;
			m->next = due;
			due = m;
		}
		pthread_mutex_unlock(&lock);
		send_list(due);
	}
	return NULL;
}

/* One stall; returns false once we are done.  Called with lock held. */
static bool stall_once(unsigned long nr)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh),
		.error = FUSE_NOTIFY_RESEND,
	};
	struct held *lost, *m;
	unsigned long nlost = 0;
	int err;

	nap_locked(rnd_between(cfg.every_min, cfg.every_max), false);
	/* the next reader to read a request stops; an idle server anyway */
	stall_armed = true;
	nap_locked(100, true);
	stall_armed = false;
	stalled = true;
	if (done)
		return false;
	count(C_STALLS);
	nap_locked(rnd_between(cfg.stall_min, cfg.stall_max), false);

	lost = held;
	held = NULL;
	for (m = lost; m; m = m->next)
		nlost++;
	__atomic_fetch_add(&counts[C_DROPPED], nlost, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
	err = raw_write(fds[0], &oh, NULL, 0);
	if (err) {
		count(C_RESEND_REJECTED);
		send_list(lost);
	} else {
		count(C_RESEND_SENT);
		free_list(lost);
	}
	raw_log("stall %lu: dropped %lu, resend %s%s", nr, nlost,
		err ? "rejected " : "accepted", err ? errno_name(err) : "");
	pthread_mutex_lock(&lock);

	nap_locked(rnd_between(cfg.stall_min, cfg.stall_max), false);
	stalled = false;
	pthread_cond_broadcast(&wake);
	return !done;
}

static void *staller(void *arg)
{
	unsigned long nr = 0;

	(void)arg;
	pthread_mutex_lock(&lock);
	while (!initialized && !done)
		pthread_cond_wait(&wake, &lock);
	while (!done && stall_once(++nr))
		;
	stalled = false;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* ---- setup ---- */

/* A new fd on the same device as @fd, attached with FUSE_DEV_IOC_CLONE. */
static int clone_fd(int fd)
{
	char link[64], path[PATH_MAX];
	uint32_t master = fd;
	ssize_t n;
	int nfd;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return -1;
	path[n] = '\0';
	nfd = open(path, O_RDWR | O_CLOEXEC);
	if (nfd < 0)
		return -1;
	if (ioctl(nfd, FUSE_DEV_IOC_CLONE, &master) < 0) {
		raw_log("FUSE_DEV_IOC_CLONE on %s: %s", path, strerror(errno));
		close(nfd);
		return -1;
	}
	return nfd;
}

static bool parse_range(const char *val, unsigned int *lo, unsigned int *hi)
{
	char *end;

	*lo = *hi = strtoul(val, &end, 10);
	if (*end == '-')
		*hi = strtoul(end + 1, &end, 10);
	return !*end && *hi >= *lo;
}

static bool parse_intr(char *val)
{
	char *tok;
	int k;

	cfg.intr_kinds = 0;
	for (tok = strtok(val, ","); tok; tok = strtok(NULL, ",")) {
		for (k = 0; k < NR_INTR_KINDS; k++)
			if (!strcmp(tok, intr_kind_names[k]))
				break;
		if (k == NR_INTR_KINDS)
			return false;
		cfg.intr_kinds |= 1u << k;
	}
	return cfg.intr_kinds != 0;
}

static bool parse_opt(char *opt)
{
	char *val = strchr(opt, '=');

	if (!val)
		return false;
	*val++ = '\0';
	if (!strcmp(opt, "seed"))
		cfg.seed = strtoull(val, NULL, 0);
	else if (!strcmp(opt, "threads"))
		cfg.threads = atoi(val);
	else if (!strcmp(opt, "hold"))
		cfg.hold_ms = atoi(val);
	else if (!strcmp(opt, "every"))
		return parse_range(val, &cfg.every_min, &cfg.every_max);
	else if (!strcmp(opt, "stall"))
		return parse_range(val, &cfg.stall_min, &cfg.stall_max);
	else if (!strcmp(opt, "intr"))
		return parse_intr(val);
	else
		return false;
	return cfg.threads >= 1 && cfg.threads <= MAX_THREADS;
}

int main(int argc, char **argv)
{
	pthread_t readers[MAX_THREADS], timer, stall;
	int i;

	if (argc < 2 || (fds[0] = raw_parse_fd(argv[argc - 1])) < 0) {
		fprintf(stderr, "usage: stormsrv [seed=N] [threads=N] [hold=MS] "
			"[every=A-B] [stall=A-B] [intr=KINDS] /dev/fd/N\n");
		return 2;
	}
	for (i = 1; i < argc - 1; i++) {
		if (!parse_opt(argv[i])) {
			raw_log("bad option '%s'", argv[i]);
			return 2;
		}
	}
	cfg.verbose = getenv("STORMSRV_VERBOSE") != NULL;
	setvbuf(stderr, NULL, _IOLBF, 0);
	rng_state = cfg.seed;
	for (i = 1; i < cfg.threads; i++) {
		fds[i] = clone_fd(fds[0]);
		if (fds[i] < 0)
			return 1;
	}
	/* readers poll, so a stall can keep them from reading */
	for (i = 0; i < cfg.threads; i++)
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	raw_log("ready: seed %llu, %d thread(s)", (unsigned long long)cfg.seed,
		cfg.threads);

	for (i = 0; i < cfg.threads; i++)
		pthread_create(&readers[i], NULL, reader, (void *)(intptr_t)i);
	pthread_create(&timer, NULL, answerer, NULL);
	if (cfg.every_max)
		pthread_create(&stall, NULL, staller, NULL);
	for (i = 0; i < cfg.threads; i++)
		pthread_join(readers[i], NULL);

	pthread_mutex_lock(&lock);
	done = true;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(timer, NULL);
	if (cfg.every_max)
		pthread_join(stall, NULL);
	free_list(held);

	for (i = 0; i < NR_COUNTS; i++)
		raw_log("count %s %lu", count_names[i], counts[i]);
	return failed;
}
