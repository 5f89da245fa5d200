// SPDX-License-Identifier: GPL-2.0
/*
 * exercise: a data-integrity exerciser for one file.
 *
 *   exercise [-s SEED] [-n NUM_OPS] [-l MAXLEN] [-o MAXFILESIZE]
 *            [-k VERIFY_EVERY] [-O OPLIST] [-D] [-v] FILE
 *
 * A seeded random mix of operations is applied to FILE (and to a second
 * scratch file FILE.src used as the other end of copy_file_range and
 * sendfile).  The program keeps a model of both files' bytes and sizes and
 * checks every byte it reads back against it.  The same seed and flags give
 * the same run.
 *
 * Operations (names for -O; "-name" disables, "name" or "+name" enables,
 * groups: all, none, mmap, fallocate, splice, sync):
 *   read        pread at a random offset; short past EOF
 *   write       pwrite of seeded random bytes
 *   trunc       ftruncate shrinking or growing (growth reads as zeros)
 *   mmapread    MAP_SHARED read of a range, and of the zero tail past EOF
 *   mmapwrite   MAP_SHARED store (file extended first), msync sometimes
 *   falloc      fallocate mode 0 (may extend the file)
 *   keepsize    fallocate FALLOC_FL_KEEP_SIZE
 *   punch       fallocate FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE
 *   cfr         copy_file_range within FILE, FILE.src -> FILE, FILE -> FILE.src
 *   spliceread  splice FILE -> pipe -> buffer
 *   splicewrite buffer -> pipe -> splice -> FILE
 *   sendfile    FILE -> pipe, FILE.src -> FILE, FILE -> FILE.src
 *   fsync, fdatasync
 *   reopen      close and open again, then check the size
 * Every VERIFY_EVERY ops and at the end both files are read whole with
 * read(2) and through a fresh mapping, and their size is checked with fstat
 * and lseek(SEEK_END); at the end once more after a close and reopen.
 *
 * -D opens both files O_DIRECT: every read/write/splice/copy offset, length
 * and buffer is then 4096-aligned (truncate, fallocate and mmap are not).
 *
 * An op the filesystem does not do (fallocate: EOPNOTSUPP/ENOSYS;
 * copy_file_range: EXDEV/EOPNOTSUPP/EINVAL/ENOSYS; splice, sendfile:
 * EINVAL/ENOSYS; mmap: ENODEV) is disabled for the rest of the run with one
 * line on stderr.
 *
 * Exit: 0 all reads matched, 1 a mismatch or an unexpected error (the op,
 * the bytes and the last 20 ops are printed on stderr), 2 usage or setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#define DIO_ALIGN	4096
#define LOG_LEN		20
#define VERIFY_CHUNK	(256 * 1024)

typedef unsigned char u8;

/* ------------------------------------------------------------------ */
/* The pseudo-random stream: splitmix64.                               */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static uint64_t rnd(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rnd64() * n) >> 64);
}

static void fill_random(u8 *p, size_t len)
{
	uint64_t v;

	while (len >= 8) {
		v = rnd64();
		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		v = rnd64();
		memcpy(p, &v, len);
	}
}

/* ------------------------------------------------------------------ */
/* Operations.                                                         */

enum op_kind {
	OP_READ,
	OP_WRITE,
	OP_TRUNC,
	OP_MAPREAD,
	OP_MAPWRITE,
	OP_FALLOC,
	OP_KEEPSIZE,
	OP_PUNCH,
	OP_CFR,
	OP_SPLICEREAD,
	OP_SPLICEWRITE,
	OP_SENDFILE,
	OP_FSYNC,
	OP_FDATASYNC,
	OP_REOPEN,
	NR_OPS,
	OP_VERIFY = NR_OPS,	/* not drawn at random; only logged */
	OP_SETUP,
};

#define BIT(op)		(1u << (op))

static struct {
	const char *name;
	unsigned int weight;
	bool enabled;
} ops[NR_OPS] = {
	[OP_READ]	 = { "read",        20, true },
	[OP_WRITE]	 = { "write",       20, true },
	[OP_TRUNC]	 = { "trunc",        4, true },
	[OP_MAPREAD]	 = { "mmapread",     8, true },
	[OP_MAPWRITE]	 = { "mmapwrite",    8, true },
	[OP_FALLOC]	 = { "falloc",       3, true },
	[OP_KEEPSIZE]	 = { "keepsize",     2, true },
	[OP_PUNCH]	 = { "punch",        3, true },
	[OP_CFR]	 = { "cfr",          6, true },
	[OP_SPLICEREAD]	 = { "spliceread",   4, true },
	[OP_SPLICEWRITE] = { "splicewrite",  4, true },
	[OP_SENDFILE]	 = { "sendfile",     4, true },
	[OP_FSYNC]	 = { "fsync",        1, true },
	[OP_FDATASYNC]	 = { "fdatasync",    1, true },
	[OP_REOPEN]	 = { "reopen",       1, true },
};

static const struct {
	const char *name;
	unsigned int mask;
} op_groups[] = {
	{ "all",	 BIT(NR_OPS) - 1 },
	{ "mmap",	 BIT(OP_MAPREAD) | BIT(OP_MAPWRITE) },
	{ "fallocate",	 BIT(OP_FALLOC) | BIT(OP_KEEPSIZE) | BIT(OP_PUNCH) },
	{ "splice",	 BIT(OP_SPLICEREAD) | BIT(OP_SPLICEWRITE) },
	{ "sync",	 BIT(OP_FSYNC) | BIT(OP_FDATASYNC) },
	{ "truncate",	 BIT(OP_TRUNC) },
	{ "copy_file_range", BIT(OP_CFR) },
};

/* Variants, for the log. */
enum { CFR_SAME, CFR_FROM_SRC, CFR_TO_SRC };
enum { SF_TO_PIPE, SF_FROM_SRC, SF_TO_SRC };
enum { MS_SYNC_V, MS_ASYNC_V, MS_NONE_V };

struct logent {
	unsigned long num;
	int op;
	int variant;
	long long off;
	long long len;
	long long off2;		/* destination offset of a copy */
	long long res;		/* bytes done; -1 when not applicable */
	long long size_before;
	long long size_after;
	bool skipped;
};

/* ------------------------------------------------------------------ */
/* State.                                                              */

struct model {
	const char *name;	/* "file" or "src", for messages */
	u8 *buf;		/* max_size bytes; zero from size on */
	long long size;
};

static const char *path;
static char *src_path;
static int fd = -1, src_fd = -1;
static int open_flags;
static bool use_src;
static struct model file = { .name = "file" }, src = { .name = "src" };

static uint64_t seed;
static unsigned long num_ops = 10000;
static unsigned long verify_every = 1000;
static long long max_size = 1024 * 1024;
static long long max_len = 64 * 1024;
static long long align = 1;
static long page_size;
static bool verbose;
static bool mmap_ok = true;

static u8 *iobuf;		/* max_len + DIO_ALIGN, aligned */
static u8 *vbuf;		/* max_size + VERIFY_CHUNK, aligned */
static u8 *zero_page;
static int pipe_fd[2] = { -1, -1 };
static long long pipe_cap;

static struct logent oplog[LOG_LEN];
static unsigned long nlogged;
static struct logent *cur;
static unsigned long opnum;

static struct {
	unsigned long reads, writes, truncs, mmapr, mmapw, falloc, cfr, splice;
	unsigned long sendfile, syncs, reopens, verifies, short_copies, skipped;
} st;

/* ------------------------------------------------------------------ */
/* Reporting.                                                          */

static const char *describe(const struct logent *e)
{
	static char b[256];
	const char *name = e->op < NR_OPS ? ops[e->op].name :
			   e->op == OP_VERIFY ? "verify" : "setup";
	static const char *const cfr_var[] = {
		[CFR_SAME] = "file -> file",
		[CFR_FROM_SRC] = "src -> file",
		[CFR_TO_SRC] = "file -> src",
	};
	static const char *const sf_var[] = {
		[SF_TO_PIPE] = "file -> pipe",
		[SF_FROM_SRC] = "src -> file",
		[SF_TO_SRC] = "file -> src",
	};
	static const char *const ms_var[] = {
		[MS_SYNC_V] = "msync(MS_SYNC)",
		[MS_ASYNC_V] = "msync(MS_ASYNC)",
		[MS_NONE_V] = "no msync",
	};
	int n;

	switch (e->op) {
	case OP_READ:
	case OP_MAPREAD:
	case OP_SPLICEREAD:
	case OP_WRITE:
	case OP_SPLICEWRITE:
	case OP_FALLOC:
	case OP_KEEPSIZE:
	case OP_PUNCH:
		n = snprintf(b, sizeof(b), "%-11s 0x%llx len %lld", name,
			     e->off, e->len);
		break;
	case OP_MAPWRITE:
		n = snprintf(b, sizeof(b), "%-11s 0x%llx len %lld %s", name,
			     e->off, e->len, ms_var[e->variant]);
		break;
	case OP_TRUNC:
		n = snprintf(b, sizeof(b), "%-11s to 0x%llx", name, e->off);
		break;
	case OP_CFR:
		n = snprintf(b, sizeof(b), "%-11s %s 0x%llx -> 0x%llx len %lld",
			     name, cfr_var[e->variant], e->off, e->off2, e->len);
		break;
	case OP_SENDFILE:
		n = snprintf(b, sizeof(b), "%-11s %s 0x%llx -> 0x%llx len %lld",
			     name, sf_var[e->variant], e->off, e->off2, e->len);
		break;
	case OP_REOPEN:
		n = snprintf(b, sizeof(b), "%-11s %s", name,
			     e->variant ? "file and src" : "file");
		break;
	default:
		n = snprintf(b, sizeof(b), "%-11s", name);
		break;
	}
	if (n < 0 || n >= (int)sizeof(b))
		return b;
	if (e->res >= 0)
		n += snprintf(b + n, sizeof(b) - n, " => %lld", e->res);
	if (n >= (int)sizeof(b))
		return b;
	if (e->skipped)
		snprintf(b + n, sizeof(b) - n, " (skipped)");
	else if (e->size_after != e->size_before)
		snprintf(b + n, sizeof(b) - n, " [size 0x%llx -> 0x%llx]",
			 e->size_before, e->size_after);
	else
		snprintf(b + n, sizeof(b) - n, " [size 0x%llx]", e->size_after);
	return b;
}

static void print_log(void)
{
	unsigned long first = nlogged > LOG_LEN ? nlogged - LOG_LEN : 0;
	unsigned long i;

	fprintf(stderr, "last %lu operations (oldest first):\n",
		nlogged - first);
	for (i = first; i < nlogged; i++) {
		const struct logent *e = &oplog[i % LOG_LEN];

		fprintf(stderr, "  %8lu %s\n", e->num, describe(e));
	}
}

static void fail_head(void)
{
	fflush(stdout);
	fprintf(stderr, "exercise: FAILED seed=%" PRIu64 " at op %lu: %s\n",
		seed, cur ? cur->num : 0, cur ? describe(cur) : "(none)");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fail_head();
	fprintf(stderr, "  ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_log();
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "exercise: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void hex_line(const char *label, long long base, const u8 *p,
		     size_t n)
{
	size_t i;

	fprintf(stderr, "  %-8s @0x%08llx:", label, base);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

/*
 * Compare n bytes read from file offset @off of model @m against the
 * model; on a difference print where and what, and fail.
 */
static void check_bytes(const char *how, const struct model *m, long long off,
			const u8 *expect, const u8 *got, size_t n)
{
	size_t i, last, bad = 0, start, cnt;

	if (!memcmp(expect, got, n))
		return;
	for (i = 0; i < n && expect[i] == got[i]; i++)
		;
	for (last = n - 1; expect[last] == got[last]; last--)
		;
	for (size_t j = i; j <= last; j++)
		bad += expect[j] != got[j];
	start = i >= 8 ? i - 8 : 0;
	cnt = n - start < 16 ? n - start : 16;

	fail_head();
	fprintf(stderr, "  %s of %s: data mismatch in 0x%llx len %zu (%s size 0x%llx)\n",
		how, m->name, off, n, m->name, m->size);
	fprintf(stderr, "  first bad byte at offset 0x%llx (%lld), last at 0x%llx, %zu bytes differ\n",
		off + (long long)i, off + (long long)i, off + (long long)last,
		bad);
	hex_line("expected", off + start, expect + start, cnt);
	hex_line("got", off + start, got + start, cnt);
	print_log();
	exit(1);
}

/* A read that got a different number of bytes than the model holds. */
static void check_count(const char *how, const struct model *m, long long off,
			long long want, long long got)
{
	if (want == got)
		return;
	fail("%s of %s at 0x%llx: got %lld bytes, expected %lld (%s size 0x%llx)",
	     how, m->name, off, got, want, m->name, m->size);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fail("SIGBUS at address %p", si->si_addr);
}

static void disable_op(int op, const char *why, int err)
{
	if (!ops[op].enabled)
		return;
	ops[op].enabled = false;
	fprintf(stderr, "exercise: %s disabled: %s: %s\n", ops[op].name, why,
		strerror(err));
}

/* ------------------------------------------------------------------ */
/* Picking offsets and lengths.                                         */

static long long align_down(long long v)
{
	return v & ~(align - 1);
}

static long long align_up(long long v)
{
	return (v + align - 1) & ~(align - 1);
}

/* An offset in [0, max_size), often near EOF or a page boundary. */
static long long pick_off(long long size)
{
	long long off;

	switch (rnd(8)) {
	case 0:
	case 1:
		off = size - max_len + (long long)rnd(2 * max_len);
		break;
	case 2:
		off = (long long)rnd(max_size / page_size + 1) * page_size;
		if (rnd(2))
			off -= (long long)rnd(16) + 1;
		break;
	default:
		off = rnd(max_size);
		break;
	}
	if (off < 0)
		off = 0;
	if (off >= max_size)
		off = max_size - 1;
	return align_down(off);
}

/* An offset inside [0, size); size > 0. */
static long long pick_off_within(long long size)
{
	long long off;

	if (rnd(4) == 0 && size > max_len)
		off = size - 1 - (long long)rnd(max_len);
	else
		off = rnd(size);
	return align_down(off);
}

/* A length in [1, max_len] (a multiple of align), sometimes tiny or paged. */
static long long pick_len(void)
{
	long long len;

	switch (rnd(6)) {
	case 0:
		len = 1 + rnd(max_len < 32 ? max_len : 32);
		break;
	case 1:
		len = (long long)rnd(max_len / page_size + 1) * page_size;
		break;
	default:
		len = 1 + rnd(max_len);
		break;
	}
	len = align_up(len);
	if (len < align || len < 1)
		len = align > 1 ? align : 1;
	if (len > max_len)
		len = max_len;
	return len;
}

/* Keep [off, off + len) inside max_size. */
static long long clip(long long off, long long len)
{
	return off + len > max_size ? max_size - off : len;
}

/* What a read of [off, off + len) of @m should return. */
static long long avail(const struct model *m, long long off, long long len)
{
	if (off >= m->size)
		return 0;
	return m->size - off < len ? m->size - off : len;
}

static void model_extend(struct model *m, long long end)
{
	if (end > m->size)
		m->size = end;
}

static void model_truncate(struct model *m, long long size)
{
	if (size < m->size)
		memset(m->buf + size, 0, m->size - size);
	m->size = size;
}

/* ------------------------------------------------------------------ */
/* I/O helpers that fail loudly.                                        */

/* pread until @len bytes or EOF; with O_DIRECT stop after a short read. */
static long long read_full(int f, u8 *buf, long long len, long long off,
			   const char *what)
{
	long long done = 0;
	ssize_t r;

	while (done < len) {
		r = pread(f, buf + done, len - done, off + done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail("%s: pread 0x%llx len %lld: %s", what, off + done,
			     len - done, strerror(errno));
		}
		if (r == 0)
			break;
		done += r;
		if (done % align)
			break;
	}
	return done;
}

static void write_full(int f, const u8 *buf, long long len, long long off,
		       const char *what)
{
	long long done = 0;
	ssize_t r;

	while (done < len) {
		r = pwrite(f, buf + done, len - done, off + done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail("%s: pwrite 0x%llx len %lld: %s", what, off + done,
			     len - done, strerror(errno));
		}
		if (r == 0)
			fail("%s: pwrite 0x%llx len %lld returned 0", what,
			     off + done, len - done);
		done += r;
	}
}

static void pipe_read_full(u8 *buf, long long len)
{
	long long done = 0;
	ssize_t r;

	while (done < len) {
		r = read(pipe_fd[0], buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("read from pipe: %s", r ? strerror(errno) : "EOF");
		done += r;
	}
}

static void pipe_write_full(const u8 *buf, long long len)
{
	long long done = 0;
	ssize_t r;

	while (done < len) {
		r = write(pipe_fd[1], buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("write to pipe: %s", r ? strerror(errno) : "0");
		done += r;
	}
}

/* Throw away what a failed splice left in the pipe. */
static void pipe_drain(long long len)
{
	u8 tmp[4096];
	ssize_t r;

	while (len > 0) {
		r = read(pipe_fd[0], tmp, len < 4096 ? len : 4096);
		if (r <= 0)
			break;
		len -= r;
	}
}

static int fd_of(const struct model *m)
{
	return m == &file ? fd : src_fd;
}

static void *map_range(const struct model *m, long long pgoff, long long len,
		       int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd_of(m), pgoff);

	if (p != MAP_FAILED)
		return p;
	if (errno == ENODEV) {
		disable_op(OP_MAPREAD, "mmap", errno);
		disable_op(OP_MAPWRITE, "mmap", errno);
		mmap_ok = false;
		return NULL;
	}
	fail("mmap %s 0x%llx len %lld: %s", m->name, pgoff, len,
	     strerror(errno));
}

/* The bytes from EOF to the end of its page must read as zeros. */
static void check_tail(const struct model *m, const u8 *map, long long pgoff,
		       long long map_end)
{
	long long tail_end = (m->size + page_size - 1) & ~(page_size - 1);

	if (m->size % page_size == 0 || m->size < pgoff || m->size > map_end)
		return;
	check_bytes("mmap read past EOF", m, m->size, zero_page,
		    map + (m->size - pgoff), tail_end - m->size);
}

/* ------------------------------------------------------------------ */
/* The operations.                                                      */

static void do_read(struct logent *e)
{
	long long off = pick_off(file.size), len = pick_len();
	long long want, got;

	e->off = off;
	e->len = len;
	want = avail(&file, off, len);
	got = read_full(fd, iobuf, len, off, "read");
	e->res = got;
	check_bytes("read", &file, off, file.buf + off, iobuf,
		    got < want ? got : want);
	check_count("read", &file, off, want, got);
	st.reads++;
}

static void do_write(struct logent *e)
{
	long long off = pick_off(file.size);
	long long len = clip(off, pick_len());

	e->off = off;
	e->len = len;
	fill_random(iobuf, len);
	write_full(fd, iobuf, len, off, "write");
	memcpy(file.buf + off, iobuf, len);
	model_extend(&file, off + len);
	st.writes++;
}

static void do_trunc(struct logent *e)
{
	long long size;

	switch (rnd(10)) {
	case 0:
		size = rnd(page_size);
		break;
	case 1:
	case 2:
	case 3:
		size = file.size - max_len + (long long)rnd(2 * max_len);
		break;
	case 4:
		size = (long long)rnd(max_size / page_size + 1) * page_size;
		break;
	default:
		size = rnd(max_size + 1);
		break;
	}
	if (size < 0)
		size = 0;
	if (size > max_size)
		size = max_size;
	e->off = size;
	if (ftruncate(fd, size))
		fail("ftruncate to 0x%llx: %s", size, strerror(errno));
	model_truncate(&file, size);
	st.truncs++;
}

static void do_mapread(struct logent *e)
{
	long long off, len, pgoff, maplen;
	u8 *p;

	if (!file.size) {
		e->skipped = true;
		return;
	}
	off = rnd(4) ? (long long)rnd(file.size) :
		       file.size - 1 - (long long)rnd(file.size < max_len ?
						       file.size : max_len);
	len = 1 + rnd(max_len);
	if (rnd(4) == 0 || len > file.size - off)
		len = file.size - off;	/* often up to EOF, to see the tail */
	e->off = off;
	e->len = len;
	pgoff = off & ~(page_size - 1);
	maplen = off + len - pgoff;
	p = map_range(&file, pgoff, maplen, PROT_READ);
	if (!p) {
		e->skipped = true;
		return;
	}
	check_bytes("mmap read", &file, off, file.buf + off, p + (off - pgoff),
		    len);
	check_tail(&file, p, pgoff, pgoff + maplen);
	if (munmap(p, maplen))
		fail("munmap: %s", strerror(errno));
	st.mmapr++;
}

static void do_mapwrite(struct logent *e)
{
	long long off = pick_off(file.size);
	long long len = clip(off, 1 + rnd(max_len));
	long long pgoff, maplen;
	u8 *p;

	e->off = off;
	e->len = len;
	e->variant = rnd(3);
	if (off + len > file.size) {
		if (ftruncate(fd, off + len))
			fail("ftruncate to 0x%llx before mmap write: %s",
			     off + len, strerror(errno));
		model_extend(&file, off + len);
	}
	pgoff = off & ~(page_size - 1);
	maplen = off + len - pgoff;
	p = map_range(&file, pgoff, maplen, PROT_READ | PROT_WRITE);
	if (!p) {
		e->skipped = true;
		return;
	}
	fill_random(iobuf, len);
	memcpy(p + (off - pgoff), iobuf, len);
	memcpy(file.buf + off, iobuf, len);
	if (e->variant != MS_NONE_V &&
	    msync(p, maplen, e->variant == MS_SYNC_V ? MS_SYNC : MS_ASYNC))
		fail("msync: %s", strerror(errno));
	if (munmap(p, maplen))
		fail("munmap: %s", strerror(errno));
	st.mmapw++;
}

static void do_falloc(struct logent *e, int op)
{
	long long off = pick_off(file.size);
	long long len = clip(off, pick_len());
	int mode = 0;

	e->off = off;
	e->len = len;
	if (op == OP_KEEPSIZE)
		mode = FALLOC_FL_KEEP_SIZE;
	else if (op == OP_PUNCH)
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	if (fallocate(fd, mode, off, len)) {
		if (errno == EOPNOTSUPP || errno == ENOSYS) {
			disable_op(op, "fallocate", errno);
			e->skipped = true;
			return;
		}
		fail("fallocate mode 0x%x 0x%llx len %lld: %s", mode, off, len,
		     strerror(errno));
	}
	if (op == OP_FALLOC) {
		model_extend(&file, off + len);
	} else if (op == OP_PUNCH && off < file.size) {
		long long end = off + len < file.size ? off + len : file.size;

		memset(file.buf + off, 0, end - off);
	}
	st.falloc++;
}

/*
 * Pick a source range of @from and a destination offset in @to for a copy;
 * the two do not overlap when they are the same file.  Returns false when
 * there is nothing to copy.
 */
static bool pick_copy(const struct model *from, const struct model *to,
		      long long *soff, long long *doff, long long *len)
{
	int tries;

	if (!from->size)
		return false;
	for (tries = 0; tries < 8; tries++) {
		*soff = pick_off_within(from->size);
		*doff = pick_off(to->size);
		*len = clip(*doff, pick_len());
		if (from != to || *soff + *len <= *doff ||
		    *doff + *len <= *soff)
			return true;
	}
	return false;
}

/*
 * Copy with copy_file_range or sendfile until the source's EOF or @len,
 * taking short copies as they come, and follow it in the model.
 */
static void copy_loop(struct logent *e, bool use_sendfile,
		      struct model *from, struct model *to,
		      long long soff, long long doff, long long len)
{
	long long want = avail(from, soff, len), done = 0;
	int op = use_sendfile ? OP_SENDFILE : OP_CFR;
	ssize_t r;

	e->off = soff;
	e->off2 = doff;
	e->len = len;
	if (use_sendfile && lseek(fd_of(to), doff, SEEK_SET) != doff)
		fail("lseek %s to 0x%llx: %s", to->name, doff, strerror(errno));
	/*
	 * The first call asks for all of @len, past the source's EOF, and
	 * must be cut to @want; after a short copy the rest is asked for
	 * exactly (a same file copy past EOF may have grown the source).
	 */
	while (done < want || (!done && !want)) {
		off_t so = soff + done, dof = doff + done;
		long long ask = done ? want - done : len;

		if (use_sendfile)
			r = sendfile(fd_of(to), fd_of(from), &so, ask);
		else
			r = copy_file_range(fd_of(from), &so, fd_of(to), &dof,
					    ask, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (!done && (errno == EXDEV || errno == EOPNOTSUPP ||
				      errno == EINVAL || errno == ENOSYS)) {
				char why[128];

				snprintf(why, sizeof(why),
					 "%s %s 0x%llx -> %s 0x%llx len %lld",
					 use_sendfile ? "sendfile" :
					 "copy_file_range", from->name, soff,
					 to->name, doff, len);
				disable_op(op, why, errno);
				e->skipped = true;
				return;
			}
			fail("%s after %lld bytes: %s", ops[op].name, done,
			     strerror(errno));
		}
		if (r == 0)
			break;
		if (r > want - done || so != soff + done + r ||
		    (!use_sendfile && dof != doff + done + r))
			fail("%s returned %zd for %lld bytes (%lld before EOF), offsets now 0x%llx 0x%llx",
			     ops[op].name, r, ask, want - done, (long long)so,
			     (long long)dof);
		/* Same file copies never overlap, so memcpy is fine. */
		memcpy(to->buf + doff + done, from->buf + soff + done, r);
		done += r;
		model_extend(to, doff + done);
		e->res = done;
		if (done < want)
			st.short_copies++;
		if (done % align)
			break;
	}
	e->res = done;
	if (done != want)
		fail("%s copied %lld bytes, the source has %lld from 0x%llx",
		     ops[op].name, done, want, soff);
	if (use_sendfile) {
		off_t pos = lseek(fd_of(to), 0, SEEK_CUR);

		if (pos != doff + done)
			fail("sendfile left the file position at 0x%llx, expected 0x%llx",
			     (long long)pos, doff + done);
	}
}

static void do_cfr(struct logent *e)
{
	struct model *from = &file, *to = &file;
	long long soff, doff, len;

	e->variant = rnd(3);
	if (e->variant == CFR_FROM_SRC)
		from = &src;
	else if (e->variant == CFR_TO_SRC)
		to = &src;
	if (!pick_copy(from, to, &soff, &doff, &len)) {
		e->skipped = true;
		return;
	}
	copy_loop(e, false, from, to, soff, doff, len);
	if (!e->skipped)
		st.cfr++;
}

/* Read [off, off + len) of the file into iobuf through the pipe. */
static long long pipe_read_file(struct logent *e, int op, long long off,
				long long len)
{
	long long done = 0;
	ssize_t r;

	while (done < len) {
		long long chunk = len - done < pipe_cap ? len - done : pipe_cap;
		off_t o = off + done;

		if (op == OP_SPLICEREAD)
			r = splice(fd, &o, pipe_fd[1], NULL, chunk, 0);
		else
			r = sendfile(pipe_fd[1], fd, &o, chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (!done && (errno == EINVAL || errno == ENOSYS ||
				      errno == EOPNOTSUPP)) {
				disable_op(op, "file to pipe", errno);
				e->skipped = true;
				return 0;
			}
			fail("%s 0x%llx len %lld to pipe: %s", ops[op].name,
			     off + done, chunk, strerror(errno));
		}
		if (r == 0)
			break;
		if (r > chunk || o != off + done + r)
			fail("%s returned %zd for %lld bytes, offset now 0x%llx",
			     ops[op].name, r, chunk, (long long)o);
		pipe_read_full(iobuf + done, r);
		done += r;
		if (done % align)
			break;
	}
	return done;
}

static void check_pipe_read(struct logent *e, int op)
{
	long long off = pick_off(file.size), len = pick_len();
	long long want = avail(&file, off, len), got;

	e->off = off;
	e->len = len;
	got = pipe_read_file(e, op, off, len);
	if (e->skipped)
		return;
	e->res = got;
	check_bytes(ops[op].name, &file, off, file.buf + off, iobuf,
		    got < want ? got : want);
	check_count(ops[op].name, &file, off, want, got);
}

static void do_spliceread(struct logent *e)
{
	check_pipe_read(e, OP_SPLICEREAD);
	if (!e->skipped)
		st.splice++;
}

static void do_splicewrite(struct logent *e)
{
	long long off = pick_off(file.size);
	long long len = clip(off, pick_len());
	long long done = 0;
	ssize_t r;

	e->off = off;
	e->len = len;
	fill_random(iobuf, len);
	while (done < len) {
		long long chunk = len - done < pipe_cap ? len - done : pipe_cap;
		long long moved = 0;

		pipe_write_full(iobuf + done, chunk);
		while (moved < chunk) {
			off_t o = off + done + moved;

			r = splice(pipe_fd[0], NULL, fd, &o, chunk - moved, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && !done && !moved &&
			    (errno == EINVAL || errno == ENOSYS ||
			     errno == EOPNOTSUPP)) {
				pipe_drain(chunk);
				disable_op(OP_SPLICEWRITE, "pipe to file", errno);
				e->skipped = true;
				return;
			}
			if (r <= 0)
				fail("splice pipe to 0x%llx len %lld: %s",
				     off + done + moved, chunk - moved,
				     r ? strerror(errno) : "returned 0");
			if (o != off + done + moved + r)
				fail("splice returned %zd but moved the offset to 0x%llx",
				     r, (long long)o);
			moved += r;
		}
		memcpy(file.buf + off + done, iobuf + done, chunk);
		done += chunk;
		model_extend(&file, off + done);
	}
	st.splice++;
}

static void do_sendfile(struct logent *e)
{
	struct model *from = &file, *to = &src;
	long long soff, doff, len;

	e->variant = rnd(3);
	if (e->variant == SF_TO_PIPE) {
		check_pipe_read(e, OP_SENDFILE);
	} else {
		if (e->variant == SF_FROM_SRC) {
			from = &src;
			to = &file;
		}
		if (!pick_copy(from, to, &soff, &doff, &len)) {
			e->skipped = true;
			return;
		}
		copy_loop(e, true, from, to, soff, doff, len);
	}
	if (!e->skipped) {
		st.splice++;
		st.sendfile++;
	}
}

static void do_sync(int op)
{
	int r = op == OP_FSYNC ? fsync(fd) : fdatasync(fd);

	if (r)
		fail("%s: %s", ops[op].name, strerror(errno));
	st.syncs++;
}

static int open_file(const char *p, int flags)
{
	int f = open(p, open_flags | flags, 0644);

	if (f < 0)
		fail("open %s: %s", p, strerror(errno));
	return f;
}

static void check_size(const struct model *m)
{
	struct stat sb;
	off_t end;

	if (fstat(fd_of(m), &sb))
		fail("fstat %s: %s", m->name, strerror(errno));
	if (sb.st_size != m->size)
		fail("fstat says %s is 0x%llx bytes, expected 0x%llx", m->name,
		     (long long)sb.st_size, m->size);
	end = lseek(fd_of(m), 0, SEEK_END);
	if (end != m->size)
		fail("lseek(SEEK_END) on %s says 0x%llx, expected 0x%llx (%s)",
		     m->name, (long long)end, m->size,
		     end < 0 ? strerror(errno) : "wrong");
}

static void do_reopen(struct logent *e)
{
	e->variant = use_src && rnd(2);
	if (close(fd))
		fail("close file: %s", strerror(errno));
	fd = open_file(path, 0);
	check_size(&file);
	if (e->variant) {
		if (close(src_fd))
			fail("close src: %s", strerror(errno));
		src_fd = open_file(src_path, 0);
		check_size(&src);
	}
	st.reopens++;
}

/* Read a whole file with read(2) and through one fresh mapping. */
static void verify_model(const struct model *m)
{
	int f = fd_of(m);
	long long done = 0;
	ssize_t r;
	u8 *p;

	check_size(m);
	if (lseek(f, 0, SEEK_SET))
		fail("lseek %s to 0: %s", m->name, strerror(errno));
	for (;;) {
		r = read(f, vbuf + done, VERIFY_CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail("verify: read %s at 0x%llx: %s", m->name, done,
			     strerror(errno));
		}
		if (r == 0)
			break;
		done += r;
		if (done > m->size)
			break;
		if (r % align)
			break;
	}
	check_bytes("verify read", m, 0, m->buf, vbuf,
		    done < m->size ? done : m->size);
	check_count("verify read", m, 0, m->size, done);

	if (!mmap_ok || !m->size)
		return;
	p = map_range(m, 0, m->size, PROT_READ);
	if (!p)
		return;
	check_bytes("verify mmap", m, 0, m->buf, p, m->size);
	check_tail(m, p, 0, m->size);
	if (munmap(p, m->size))
		fail("munmap: %s", strerror(errno));
}

static struct logent *log_start(int op)
{
	struct logent *e = &oplog[nlogged++ % LOG_LEN];

	memset(e, 0, sizeof(*e));
	e->num = opnum;
	e->op = op;
	e->res = -1;
	e->size_before = file.size;
	e->size_after = file.size;
	cur = e;
	return e;
}

static void log_end(struct logent *e)
{
	e->size_after = file.size;
	if (e->skipped)
		st.skipped++;
	if (verbose)
		printf("%8lu %s\n", e->num, describe(e));
}

static void verify_all(void)
{
	struct logent *e = log_start(OP_VERIFY);

	verify_model(&file);
	if (use_src)
		verify_model(&src);
	st.verifies++;
	log_end(e);
}

static int pick_op(void)
{
	unsigned int total = 0, r;
	int i;

	for (i = 0; i < NR_OPS; i++)
		if (ops[i].enabled)
			total += ops[i].weight;
	if (!total)
		return -1;
	r = rnd(total);
	for (i = 0; i < NR_OPS; i++) {
		if (!ops[i].enabled)
			continue;
		if (r < ops[i].weight)
			return i;
		r -= ops[i].weight;
	}
	return -1;
}

static void run_op(int op)
{
	struct logent *e = log_start(op);

	switch (op) {
	case OP_READ:		do_read(e); break;
	case OP_WRITE:		do_write(e); break;
	case OP_TRUNC:		do_trunc(e); break;
	case OP_MAPREAD:	do_mapread(e); break;
	case OP_MAPWRITE:	do_mapwrite(e); break;
	case OP_FALLOC:
	case OP_KEEPSIZE:
	case OP_PUNCH:		do_falloc(e, op); break;
	case OP_CFR:		do_cfr(e); break;
	case OP_SPLICEREAD:	do_spliceread(e); break;
	case OP_SPLICEWRITE:	do_splicewrite(e); break;
	case OP_SENDFILE:	do_sendfile(e); break;
	case OP_FSYNC:
	case OP_FDATASYNC:	do_sync(op); break;
	case OP_REOPEN:		do_reopen(e); break;
	}
	log_end(e);
}

/* ------------------------------------------------------------------ */
/* Setup.                                                               */

static void usage(FILE *out)
{
	int i;

	fprintf(out,
		"usage: exercise [-s SEED] [-n NUM_OPS] [-l MAXLEN] [-o MAXFILESIZE]\n"
		"                [-k VERIFY_EVERY] [-O OPLIST] [-D] [-v] FILE\n"
		"  -s SEED         seed of the random stream (default: from the clock, printed)\n"
		"  -n NUM_OPS      operations to run (default 10000)\n"
		"  -l MAXLEN       longest single I/O (default 64k)\n"
		"  -o MAXFILESIZE  the file never grows past this (default 1m)\n"
		"  -k N            verify both files whole every N ops (default 1000, 0: only at the end)\n"
		"  -O OPLIST       comma list: NAME or +NAME enables, -NAME disables\n"
		"  -D              O_DIRECT; all I/O 4096-aligned\n"
		"  -v              log every operation on stdout\n"
		"ops:");
	for (i = 0; i < NR_OPS; i++)
		fprintf(out, " %s", ops[i].name);
	fprintf(out, "\ngroups:");
	for (i = 0; i < (int)(sizeof(op_groups) / sizeof(op_groups[0])); i++)
		fprintf(out, " %s", op_groups[i].name);
	fprintf(out, " none\n");
}

static unsigned int op_mask(const char *name)
{
	size_t i;

	for (i = 0; i < NR_OPS; i++)
		if (!strcmp(name, ops[i].name))
			return BIT(i);
	for (i = 0; i < sizeof(op_groups) / sizeof(op_groups[0]); i++)
		if (!strcmp(name, op_groups[i].name))
			return op_groups[i].mask;
	return 0;
}

static void parse_ops(const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int mask;
	bool on;
	int i;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		on = true;
		if (*tok == '-' || *tok == '+')
			on = *tok++ == '+';
		if (!strcmp(tok, "none")) {
			mask = BIT(NR_OPS) - 1;
			on = !on;
		} else {
			mask = op_mask(tok);
		}
		if (!mask) {
			usage(stderr);
			die("unknown op '%s' in -O", tok);
		}
		for (i = 0; i < NR_OPS; i++)
			if (mask & BIT(i))
				ops[i].enabled = on;
	}
	free(copy);
}

static long long parse_num(const char *s, char opt)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die("-%c: bad number '%s'", opt, s);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end || v > (1ULL << 40))
		die("-%c: bad number '%s'", opt, s);
	return v;
}

static void *alloc_aligned(size_t len)
{
	void *p;

	if (posix_memalign(&p, DIO_ALIGN, len))
		die("out of memory (%zu bytes)", len);
	memset(p, 0, len);
	return p;
}

static void setup_src(void)
{
	struct logent *e = log_start(OP_SETUP);
	long long size = max_size / 2 + rnd(max_size / 2 + 1);

	src_fd = open_file(src_path, O_CREAT | O_TRUNC);
	src.size = size;
	fill_random(src.buf, size);
	write_full(src_fd, src.buf, align_up(size), 0, "setup src");
	if (ftruncate(src_fd, size))
		fail("ftruncate src: %s", strerror(errno));
	memset(src.buf + size, 0, align_up(size) - size);
	log_end(e);
}

int main(int argc, char **argv)
{
	bool have_seed = false;
	struct sigaction sa;
	struct timespec ts;
	int c, op;

	while ((c = getopt(argc, argv, "s:n:l:o:k:O:Dvh")) != -1) {
		switch (c) {
		case 's':
			seed = parse_num(optarg, c);
			have_seed = true;
			break;
		case 'n':
			num_ops = parse_num(optarg, c);
			break;
		case 'l':
			max_len = parse_num(optarg, c);
			break;
		case 'o':
			max_size = parse_num(optarg, c);
			break;
		case 'k':
			verify_every = parse_num(optarg, c);
			break;
		case 'O':
			parse_ops(optarg);
			break;
		case 'D':
			align = DIO_ALIGN;
			open_flags |= O_DIRECT;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003 ^ ts.tv_nsec ^ getpid();
		printf("exercise: seed=%" PRIu64 "\n", seed);
	}
	rng_state = seed;

	page_size = sysconf(_SC_PAGESIZE);
	max_size = align_down(max_size);
	max_len = align_down(max_len);
	if (max_size < (align > 1 ? align : 1) || max_len < 1)
		die("-o and -l must be at least %lld", align);
	if (max_len > max_size)
		max_len = max_size;

	file.buf = alloc_aligned(max_size + DIO_ALIGN);
	src.buf = alloc_aligned(max_size + DIO_ALIGN);
	iobuf = alloc_aligned(max_len + DIO_ALIGN);
	vbuf = alloc_aligned(max_size + VERIFY_CHUNK);
	zero_page = alloc_aligned(page_size);

	if (pipe2(pipe_fd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pipe_cap = fcntl(pipe_fd[1], F_GETPIPE_SZ);
	if (pipe_cap <= 0)
		pipe_cap = 16 * 4096;
	pipe_cap = align_down(pipe_cap);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);

	open_flags |= O_RDWR | O_CLOEXEC;
	fd = open(path, open_flags | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open %s%s: %s", path, align > 1 ? " O_DIRECT" : "",
		    strerror(errno));
	use_src = ops[OP_CFR].enabled || ops[OP_SENDFILE].enabled;
	/* With both mmap ops off, verification does not map either. */
	mmap_ok = ops[OP_MAPREAD].enabled || ops[OP_MAPWRITE].enabled;
	if (use_src) {
		if (asprintf(&src_path, "%s.src", path) < 0)
			die("out of memory");
		setup_src();
	}

	for (opnum = 1; opnum <= num_ops; opnum++) {
		op = pick_op();
		if (op < 0) {
			fprintf(stderr, "exercise: every op is disabled\n");
			break;
		}
		run_op(op);
		if (verify_every && opnum % verify_every == 0)
			verify_all();
	}
	num_ops = --opnum;
	verify_all();
	/* What is left must also be what a fresh open sees. */
	if (close(fd) || (use_src && close(src_fd)))
		fail("close: %s", strerror(errno));
	fd = open_file(path, 0);
	if (use_src)
		src_fd = open_file(src_path, 0);
	verify_all();
	close(fd);
	if (use_src) {
		close(src_fd);
		unlink(src_path);
	}

	if (verbose)
		printf("exercise: sendfile=%lu syncs=%lu reopens=%lu verifies=%lu short_copies=%lu skipped=%lu\n",
		       st.sendfile, st.syncs, st.reopens, st.verifies,
		       st.short_copies, st.skipped);
	printf("exercise: seed=%" PRIu64 " ops=%lu ok (reads=%lu writes=%lu truncs=%lu mmapr=%lu mmapw=%lu falloc=%lu cfr=%lu splice=%lu)\n",
	       seed, num_ops, st.reads, st.writes, st.truncs, st.mmapr,
	       st.mmapw, st.falloc, st.cfr, st.splice);
	return 0;
}
