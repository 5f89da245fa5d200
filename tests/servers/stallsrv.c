// SPDX-License-Identifier: GPL-2.0
/*
 * stallsrv: a raw-protocol FUSE server for the lifecycle tests.  It serves
 * a root directory holding "file" (FILE_SIZE bytes of a known pattern,
 * writable, kept in memory) and an empty "dir", and misbehaves on request:
 *
 *   stall=OP[,OP]   never answer READ, WRITE, READDIR, GETATTR, OPEN or RELEASE
 *                   (names in lower case); each held request is logged as
 *                   "STALL <op> <unique>", so a test knows it is waiting
 *   intr=MODE       what an INTERRUPT of a held request gets: eintr (the
 *                   request ends with EINTR), eagain (the first INTERRUPT
 *                   is answered EAGAIN, the next ends the request with
 *                   EINTR), ignore (nothing; the default)
 *   threads=N       N threads, each reading its own device fd: the one it
 *                   was given and N-1 made with FUSE_DEV_IOC_CLONE
 *   cross           answer every request on another thread's fd
 *   delay=MS        sleep MS milliseconds before answering a READ
 *   wdelay=MS       sleep MS milliseconds before answering a WRITE (with one
 *                   thread nothing else is answered meanwhile); each WRITE
 *                   is logged as "WRITE <offset> <size>" when it comes
 *   dio             open the file with FOPEN_DIRECT_IO
 *   diowrite        ... only when opened for writing (a read-only open
 *                   is cached)
 *   pdw             FOPEN_PARALLEL_DIRECT_WRITES with FOPEN_DIRECT_IO
 *   allow_mmap      ask for FUSE_DIRECT_IO_ALLOW_MMAP in INIT (when offered):
 *                   a direct-io file may be mapped shared
 *   maxbg=N,cong=N  max_background and congestion_threshold for INIT
 *
 * The last argument is /dev/fd/N (as fuse2pt-mount passes it).  At exit it
 * prints "served: N N ..." (requests per thread) and "threads-used K".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "fuse2pt_wire.h"

#define MAX_WRITE	(64 * 1024)
#define BUF_SIZE	(MAX_WRITE + 8192)
#define FILE_SIZE	(1024 * 1024)
#define MAX_THREADS	16
#define MAX_HELD	256
#define ROOT_ID		1
#define FILE_ID		2
#define DIR_ID		3

struct held {
	uint64_t unique;
	int interrupts;
};

static struct {
	unsigned int stall;		/* bit per opcode class, see stall_bit */
	enum { INTR_IGNORE, INTR_EINTR, INTR_EAGAIN } intr;
	int nthreads;
	bool cross;
	bool dio, diowrite, pdw, allow_mmap;
	unsigned int delay_ms, wdelay_ms;
	unsigned int maxbg, cong;
} cfg = { .nthreads = 1 };

static int fds[MAX_THREADS];
static unsigned long served[MAX_THREADS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char data[FILE_SIZE];
static uint64_t file_size = FILE_SIZE;
static struct held held[MAX_HELD];
static int nheld;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const struct {
	const char *name;
	uint32_t opcode;
} stallable[] = {
	{ "read", FUSE_READ },
	{ "write", FUSE_WRITE },
	{ "readdir", FUSE_READDIR },
	{ "getattr", FUSE_GETATTR },
	{ "open", FUSE_OPEN },
	{ "release", FUSE_RELEASE },
};

#define NR_STALLABLE	(sizeof(stallable) / sizeof(stallable[0]))

static int stall_index(uint32_t opcode)
{
	size_t i;

	for (i = 0; i < NR_STALLABLE; i++)
		if (stallable[i].opcode == opcode)
			return i;
	return -1;
}

/* Write one reply: header plus at most one payload. */
static void reply(int self, uint64_t unique, int error, const void *arg,
		  size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + (error ? 0 : len),
		.error = -error,
		.unique = unique,
	};
	unsigned char buf[sizeof(oh) + 4096 + 256];
	int fd = fds[cfg.cross ? (self + 1) % cfg.nthreads : self];
	const void *out = buf;
	unsigned char *big = NULL;
	ssize_t n;

	if (error)
		len = 0;
	if (sizeof(oh) + len > sizeof(buf)) {
		big = malloc(sizeof(oh) + len);
		if (!big)
			abort();
		out = big;
	}
	memcpy((unsigned char *)out, &oh, sizeof(oh));
	if (len)
		memcpy((unsigned char *)out + sizeof(oh), arg, len);
	n = write(fd, out, sizeof(oh) + len);
	/* ENOENT: the request was interrupted or aborted meanwhile */
	if (n < 0 && errno != ENOENT)
		say("write of reply %llu: %s", (unsigned long long)unique,
		    strerror(errno));
	free(big);
}

static void fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->nlink = 1;
	a->blksize = 4096;
	a->mtime = a->ctime = a->atime = 1700000000;
	if (nodeid == FILE_ID) {
		a->mode = S_IFREG | 0666;
		a->size = file_size;
		a->blocks = (file_size + 511) / 512;
	} else {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	}
}

static void reply_attr(int self, uint64_t unique, uint64_t nodeid)
{
	struct fuse_attr_out out = {};

	fill_attr(nodeid, &out.attr);
	reply(self, unique, 0, &out, sizeof(out));
}

static void do_init(int self, const struct fuse_in_header *h,
		    const struct fuse_init_in *in)
{
	struct fuse_init_out out = {};

	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < 38 ? in->minor : 38;
	out.max_readahead = in->max_readahead;
	out.max_write = MAX_WRITE;
	out.time_gran = 1;
	out.max_background = cfg.maxbg;
	out.congestion_threshold = cfg.cong;
	if (cfg.allow_mmap && (in->flags & FUSE_INIT_EXT) &&
	    (in->flags2 & (FUSE_DIRECT_IO_ALLOW_MMAP >> 32))) {
		out.flags = FUSE_INIT_EXT;
		out.flags2 = FUSE_DIRECT_IO_ALLOW_MMAP >> 32;
	} else if (cfg.allow_mmap) {
		say("DIRECT_IO_ALLOW_MMAP not offered");
	}
	reply(self, h->unique, 0, &out, sizeof(out));
}

static void do_lookup(int self, const struct fuse_in_header *h,
		      const char *name)
{
	struct fuse_entry_out out = {};
	uint64_t id;

	if (h->nodeid == ROOT_ID && !strcmp(name, "file"))
		id = FILE_ID;
	else if (h->nodeid == ROOT_ID && !strcmp(name, "dir"))
		id = DIR_ID;
	else
		return reply(self, h->unique, ENOENT, NULL, 0);
	out.nodeid = id;
	out.generation = 1;
	fill_attr(id, &out.attr);
	reply(self, h->unique, 0, &out, sizeof(out));
}

static void do_readdir(int self, const struct fuse_in_header *h,
		       const struct fuse_read_in *in)
{
	static const char *const names[] = { ".", "..", "file", "dir" };
	static const uint64_t inos[] = { ROOT_ID, ROOT_ID, FILE_ID, DIR_ID };
	unsigned char buf[4096];
	size_t used = 0;
	uint64_t i;

	for (i = in->offset; h->nodeid == ROOT_ID && i < 4; i++) {
		struct fuse_dirent *d = (void *)(buf + used);
		size_t nl = strlen(names[i]);
		size_t sz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nl);

		if (used + sz > in->size || used + sz > sizeof(buf))
			break;
		memset(d, 0, sz);
		d->ino = inos[i];
		d->off = i + 1;
		d->namelen = nl;
		d->type = i == 2 ? DT_REG : DT_DIR;
		memcpy(d->name, names[i], nl);
		used += sz;
	}
	reply(self, h->unique, 0, buf, used);
}

static void do_read(int self, const struct fuse_in_header *h,
		    const struct fuse_read_in *in)
{
	uint64_t end = in->offset + in->size;
	unsigned char *copy;
	size_t len;

	if (cfg.delay_ms)
		nanosleep(&(struct timespec){ .tv_nsec = cfg.delay_ms * 1000000L },
			  NULL);
	pthread_mutex_lock(&lock);
	if (end > file_size)
		end = file_size;
	len = in->offset < end ? end - in->offset : 0;
	copy = malloc(len + 1);
	if (copy && len)
		memcpy(copy, data + in->offset, len);
	pthread_mutex_unlock(&lock);
	reply(self, h->unique, copy ? 0 : ENOMEM, copy, len);
	free(copy);
}

static void do_write(int self, const struct fuse_in_header *h,
		     const struct fuse_write_in *in)
{
	struct fuse_write_out out = {};
	const unsigned char *src = (const void *)(in + 1);

	if (cfg.wdelay_ms) {
		say("WRITE %llu %u", (unsigned long long)in->offset, in->size);
		nanosleep(&(struct timespec){ .tv_sec = cfg.wdelay_ms / 1000,
			  .tv_nsec = cfg.wdelay_ms % 1000 * 1000000L }, NULL);
	}
	if (in->offset > FILE_SIZE || in->size > FILE_SIZE - in->offset)
		return reply(self, h->unique, EFBIG, NULL, 0);
	pthread_mutex_lock(&lock);
	memcpy(data + in->offset, src, in->size);
	if (in->offset + in->size > file_size)
		file_size = in->offset + in->size;
	pthread_mutex_unlock(&lock);
	out.size = in->size;
	reply(self, h->unique, 0, &out, sizeof(out));
}

static void do_setattr(int self, const struct fuse_in_header *h,
		       const struct fuse_setattr_in *in)
{
	if ((in->valid & FATTR_SIZE) && h->nodeid == FILE_ID) {
		if (in->size > FILE_SIZE)
			return reply(self, h->unique, EFBIG, NULL, 0);
		pthread_mutex_lock(&lock);
		file_size = in->size;
		pthread_mutex_unlock(&lock);
	}
	reply_attr(self, h->unique, h->nodeid);
}

static void do_open(int self, const struct fuse_in_header *h,
		    const struct fuse_open_in *in)
{
	struct fuse_open_out out = {};

	if (cfg.dio || (cfg.diowrite && (in->flags & O_ACCMODE) != O_RDONLY))
		out.open_flags = FOPEN_DIRECT_IO;
	if (out.open_flags && cfg.pdw)
		out.open_flags |= FOPEN_PARALLEL_DIRECT_WRITES;
	reply(self, h->unique, 0, &out, sizeof(out));
}

/* An INTERRUPT: find the held request and do what intr= says. */
static void do_interrupt(int self, const struct fuse_in_header *h,
			 const struct fuse_interrupt_in *in)
{
	int i, target = -1;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nheld; i++)
		if (held[i].unique == in->unique)
			target = i;
	if (target < 0) {
		pthread_mutex_unlock(&lock);
		say("INTERRUPT %llu (not held)", (unsigned long long)in->unique);
		return;
	}
	held[target].interrupts++;
	say("INTERRUPT %llu #%d", (unsigned long long)in->unique,
	    held[target].interrupts);
	if (cfg.intr == INTR_IGNORE ||
	    (cfg.intr == INTR_EAGAIN && held[target].interrupts == 1)) {
		pthread_mutex_unlock(&lock);
		if (cfg.intr == INTR_EAGAIN) {
			say("EAGAIN %llu", (unsigned long long)in->unique);
			reply(self, h->unique, EAGAIN, NULL, 0);
		}
		return;
	}
	held[target] = held[--nheld];
	pthread_mutex_unlock(&lock);
	say("EINTR %llu", (unsigned long long)in->unique);
	reply(self, in->unique, EINTR, NULL, 0);
}

static bool hold(const struct fuse_in_header *h)
{
	int i = stall_index(h->opcode);

	if (i < 0 || !(cfg.stall & (1u << i)) ||
	    (h->opcode == FUSE_GETATTR && h->nodeid != FILE_ID))
		return false;
	pthread_mutex_lock(&lock);
	if (nheld < MAX_HELD)
		held[nheld++] = (struct held){ .unique = h->unique };
	pthread_mutex_unlock(&lock);
	say("STALL %s %llu", stallable[i].name, (unsigned long long)h->unique);
	return true;
}

/* Returns false once the connection is gone. */
static bool dispatch(int self, const struct fuse_in_header *h, const void *arg)
{
	struct fuse_open_out oo = {};
	struct fuse_statfs_out so = {};

	if (hold(h))
		return true;
	switch (h->opcode) {
	case FUSE_INIT:
		do_init(self, h, arg);
		break;
	case FUSE_LOOKUP:
		do_lookup(self, h, arg);
		break;
	case FUSE_GETATTR:
		reply_attr(self, h->unique, h->nodeid);
		break;
	case FUSE_SETATTR:
		do_setattr(self, h, arg);
		break;
	case FUSE_OPEN:
		do_open(self, h, arg);
		break;
	case FUSE_OPENDIR:
		reply(self, h->unique, 0, &oo, sizeof(oo));
		break;
	case FUSE_READ:
		do_read(self, h, arg);
		break;
	case FUSE_WRITE:
		do_write(self, h, arg);
		break;
	case FUSE_READDIR:
		do_readdir(self, h, arg);
		break;
	case FUSE_STATFS:
		so.st.bsize = so.st.frsize = 4096;
		so.st.namelen = 255;
		reply(self, h->unique, 0, &so, sizeof(so));
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_ACCESS:
		reply(self, h->unique, 0, NULL, 0);
		break;
	case FUSE_INTERRUPT:
		do_interrupt(self, h, arg);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
		break;
	case FUSE_DESTROY:
		reply(self, h->unique, 0, NULL, 0);
		break;
	default:
		reply(self, h->unique, ENOSYS, NULL, 0);
		break;
	}
	return true;
}

static void *serve(void *arg)
{
	int self = (int)(intptr_t)arg;
	unsigned char *buf = malloc(BUF_SIZE);

	if (!buf)
		abort();
	for (;;) {
		const struct fuse_in_header *h = (const void *)buf;
		ssize_t n = read(fds[self], buf, BUF_SIZE);

		if (n < 0) {
			if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
				continue;
			if (errno != ENODEV)
				say("read on thread %d: %s", self, strerror(errno));
			break;
		}
		if ((size_t)n < sizeof(*h) || h->len != (size_t)n) {
			say("malformed request of %zd bytes", n);
			break;
		}
		pthread_mutex_lock(&lock);
		served[self]++;
		pthread_mutex_unlock(&lock);
		dispatch(self, h, buf + sizeof(*h));
	}
	free(buf);
	return NULL;
}

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
		say("FUSE_DEV_IOC_CLONE on %s: %s", path, strerror(errno));
		close(nfd);
		return -1;
	}
	return nfd;
}

static void parse_opt(char *opt)
{
	char *val = strchr(opt, '=');
	char *tok;
	size_t i;

	if (val)
		*val++ = '\0';
	if (!strcmp(opt, "stall") && val) {
		for (tok = strtok(val, ","); tok; tok = strtok(NULL, ",")) {
			for (i = 0; i < NR_STALLABLE; i++)
				if (!strcmp(tok, stallable[i].name))
					cfg.stall |= 1u << i;
		}
	} else if (!strcmp(opt, "intr") && val) {
		cfg.intr = !strcmp(val, "eintr") ? INTR_EINTR :
			   !strcmp(val, "eagain") ? INTR_EAGAIN : INTR_IGNORE;
	} else if (!strcmp(opt, "threads") && val) {
		cfg.nthreads = atoi(val);
		if (cfg.nthreads < 1 || cfg.nthreads > MAX_THREADS)
			cfg.nthreads = 1;
	} else if (!strcmp(opt, "cross")) {
		cfg.cross = true;
	} else if (!strcmp(opt, "dio")) {
		cfg.dio = true;
	} else if (!strcmp(opt, "diowrite")) {
		cfg.diowrite = true;
	} else if (!strcmp(opt, "pdw")) {
		cfg.pdw = true;
	} else if (!strcmp(opt, "allow_mmap")) {
		cfg.allow_mmap = true;
	} else if (!strcmp(opt, "delay") && val) {
		cfg.delay_ms = atoi(val);
	} else if (!strcmp(opt, "wdelay") && val) {
		cfg.wdelay_ms = atoi(val);
	} else if (!strcmp(opt, "maxbg") && val) {
		cfg.maxbg = atoi(val);
	} else if (!strcmp(opt, "cong") && val) {
		cfg.cong = atoi(val);
	} else {
		say("unknown option '%s'", opt);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	pthread_t tids[MAX_THREADS];
	const char *dev;
	int i, used = 0;

	if (argc < 2 || strncmp(argv[argc - 1], "/dev/fd/", 8)) {
		fprintf(stderr, "usage: stallsrv [OPTION...] /dev/fd/N\n");
		return 2;
	}
	for (i = 1; i < argc - 1; i++)
		parse_opt(argv[i]);
	dev = argv[argc - 1] + 8;
	fds[0] = atoi(dev);
	for (i = 0; i < FILE_SIZE; i++)
		data[i] = 'a' + (i * 7 + i / 4096) % 26;
	for (i = 1; i < cfg.nthreads; i++) {
		fds[i] = clone_fd(fds[0]);
		if (fds[i] < 0)
			return 1;
	}
	say("ready: %d thread(s)", cfg.nthreads);
	for (i = 1; i < cfg.nthreads; i++)
		pthread_create(&tids[i], NULL, serve, (void *)(intptr_t)i);
	serve((void *)0);
	for (i = 1; i < cfg.nthreads; i++)
		pthread_join(tids[i], NULL);
	printf("served:");
	for (i = 0; i < cfg.nthreads; i++) {
		printf(" %lu", served[i]);
		used += served[i] > 0;
	}
	printf("\nthreads-used %d\n", used);
	return 0;
}
