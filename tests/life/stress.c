// SPDX-License-Identifier: GPL-2.0
/*
 * stress: parallel clients mixing metadata and data operations on one
 * mount, every byte checked (issue #6, case 87-stress).
 *
 *   stress DIR CLIENTS SECONDS SEED
 *
 * Each client is a process with a directory of its own, DIR/cN, and a
 * model of what it put there: which of its NAMES slots hold a file, and
 * for each file the seed and length of its contents.  Operations pick a
 * slot at random: create, overwrite, append, truncate, read back and
 * compare, stat and compare the size, rename to another slot, link and
 * unlink, fsync, mkdir/rmdir of a subdirectory.  Besides, all clients
 * race on DIR/shared, where only the outcome's kind is checked: a name
 * may be there or not, but any other error is one.
 *
 * At the end each client lists its directory and checks it against the
 * model.  Prints "client N: OPS ops, ERRORS errors" per client and a
 * final "stress: N clients, F failed"; exits 1 if any client saw an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NAMES		32		/* file slots per client */
#define MAX_LEN		(256 * 1024)	/* largest file */
#define SHARED_NAMES	8

struct slot {
	bool used;
	uint32_t seed;		/* contents: byte i is fill(seed, i) */
	size_t len;
};

struct client {
	int id;
	char dir[4096];
	char shared[4096];
	struct slot slot[NAMES];
	bool subdir;
	uint64_t rng;
	unsigned long ops, errors;
	unsigned char buf[MAX_LEN], want[MAX_LEN];
};

static uint32_t next_rand(struct client *c)
{
	/* xorshift64*: reproducible from the seed, no libc state */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (uint32_t)((c->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static unsigned char fill(uint32_t seed, size_t i)
{
	uint32_t x = seed ^ (uint32_t)(i / 7) * 2654435761u;

	return (unsigned char)(x >> 13) ^ (unsigned char)i;
}

static void fill_buf(unsigned char *b, uint32_t seed, size_t from, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = fill(seed, from + i);
}

static void bad(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad(struct client *c, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	if (c->errors > 20)
		return;		/* the first few say enough */
	fprintf(stderr, "client %d error: ", c->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void path_of(struct client *c, int n, char *p, size_t size)
{
	snprintf(p, size, "%s/f%02d", c->dir, n);
}

static bool write_all(int fd, const unsigned char *b, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, b, len, off);

		if (n <= 0)
			return false;
		b += n;
		len -= n;
		off += n;
	}
	return true;
}

/* New contents for slot @n (created if free): a fresh seed and length. */
static void op_write(struct client *c, int n)
{
	struct slot *s = &c->slot[n];
	size_t len = next_rand(c) % MAX_LEN;
	uint32_t seed = next_rand(c);
	char p[4200];
	int fd;

	path_of(c, n, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		bad(c, "open %s for writing: %s", p, strerror(errno));
		return;
	}
	fill_buf(c->buf, seed, 0, len);
	if (!write_all(fd, c->buf, len, 0))
		bad(c, "write %s (%zu bytes): %s", p, len, strerror(errno));
	if (close(fd))
		bad(c, "close %s: %s", p, strerror(errno));
	s->used = true;
	s->seed = seed;
	s->len = len;
}

/* Append to slot @n: the pattern goes on where the file ends. */
static void op_append(struct client *c, int n)
{
	struct slot *s = &c->slot[n];
	size_t add = next_rand(c) % 16384;
	char p[4200];
	int fd;

	if (!s->used || s->len + add > MAX_LEN)
		return;
	path_of(c, n, p, sizeof(p));
	fd = open(p, O_WRONLY | O_APPEND);
	if (fd < 0) {
		bad(c, "open %s for appending: %s", p, strerror(errno));
		return;
	}
	fill_buf(c->buf, s->seed, s->len, add);
	if (write(fd, c->buf, add) != (ssize_t)add)
		bad(c, "append %zu bytes to %s: %s", add, p, strerror(errno));
	close(fd);
	s->len += add;
}

static void op_truncate(struct client *c, int n)
{
	struct slot *s = &c->slot[n];
	size_t len;
	char p[4200];

	if (!s->used)
		return;
	len = next_rand(c) % (s->len + 1);
	path_of(c, n, p, sizeof(p));
	if (truncate(p, len)) {
		bad(c, "truncate %s to %zu: %s", p, len, strerror(errno));
		return;
	}
	s->len = len;
}

/* Read slot @n whole and compare with the model. */
static void op_verify(struct client *c, int n)
{
	struct slot *s = &c->slot[n];
	char p[4200];
	size_t got = 0;
	ssize_t r;
	int fd;

	path_of(c, n, p, sizeof(p));
	fd = open(p, O_RDONLY);
	if (!s->used) {
		if (fd >= 0 || errno != ENOENT)
			bad(c, "%s should not exist: %s", p,
			    fd >= 0 ? "it opens" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0) {
		bad(c, "open %s: %s", p, strerror(errno));
		return;
	}
	while (got < MAX_LEN && (r = read(fd, c->buf + got, MAX_LEN - got)) > 0)
		got += r;
	close(fd);
	if (got != s->len) {
		bad(c, "%s: read %zu bytes, want %zu", p, got, s->len);
		return;
	}
	fill_buf(c->want, s->seed, 0, got);
	if (memcmp(c->buf, c->want, got))
		bad(c, "%s: contents differ from what was written", p);
}

static void op_stat(struct client *c, int n)
{
	struct slot *s = &c->slot[n];
	struct stat st;
	char p[4200];

	path_of(c, n, p, sizeof(p));
	if (stat(p, &st)) {
		if (s->used || errno != ENOENT)
			bad(c, "stat %s: %s", p, strerror(errno));
		return;
	}
	if (!s->used)
		bad(c, "stat %s: exists, should not", p);
	else if ((size_t)st.st_size != s->len || !S_ISREG(st.st_mode))
		bad(c, "stat %s: size %lld mode %o, want %zu regular",
		    p, (long long)st.st_size, st.st_mode, s->len);
}

/* rename slot @n onto slot @m (replacing it) */
static void op_rename(struct client *c, int n, int m)
{
	char p[4200], q[4200];

	if (!c->slot[n].used || n == m)
		return;
	path_of(c, n, p, sizeof(p));
	path_of(c, m, q, sizeof(q));
	if (rename(p, q)) {
		bad(c, "rename %s %s: %s", p, q, strerror(errno));
		return;
	}
	c->slot[m] = c->slot[n];
	c->slot[n].used = false;
}

/* hard link slot @n as slot @m, then unlink @n: the data must follow */
static void op_link(struct client *c, int n, int m)
{
	char p[4200], q[4200];

	if (!c->slot[n].used || c->slot[m].used || n == m)
		return;
	path_of(c, n, p, sizeof(p));
	path_of(c, m, q, sizeof(q));
	if (link(p, q)) {
		bad(c, "link %s %s: %s", p, q, strerror(errno));
		return;
	}
	c->slot[m] = c->slot[n];
	if (unlink(p)) {
		bad(c, "unlink %s: %s", p, strerror(errno));
		return;
	}
	c->slot[n].used = false;
}

static void op_unlink(struct client *c, int n)
{
	char p[4200];

	path_of(c, n, p, sizeof(p));
	if (unlink(p)) {
		if (c->slot[n].used || errno != ENOENT)
			bad(c, "unlink %s: %s", p, strerror(errno));
		return;
	}
	if (!c->slot[n].used)
		bad(c, "unlink %s: succeeded on a file that should not exist", p);
	c->slot[n].used = false;
}

static void op_fsync(struct client *c, int n)
{
	char p[4200];
	int fd;

	if (!c->slot[n].used)
		return;
	path_of(c, n, p, sizeof(p));
	fd = open(p, O_RDWR);
	if (fd < 0 || fsync(fd))
		bad(c, "fsync %s: %s", p, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void op_subdir(struct client *c)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/sub", c->dir);
	if (c->subdir ? rmdir(p) : mkdir(p, 0755))
		bad(c, "%s %s: %s", c->subdir ? "rmdir" : "mkdir", p, strerror(errno));
	else
		c->subdir = !c->subdir;
}

/* The shared directory: every client races there; only errnos count. */
static void op_shared(struct client *c)
{
	char p[4200], q[4200];
	int a = next_rand(c) % SHARED_NAMES, b = next_rand(c) % SHARED_NAMES;
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/s%d", c->shared, a);
	snprintf(q, sizeof(q), "%s/s%d", c->shared, b);
	switch (next_rand(c) % 4) {
	case 0:
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST)
			bad(c, "create %s: %s", p, strerror(errno));
		break;
	case 1:
		if (unlink(p) && errno != ENOENT)
			bad(c, "unlink %s: %s", p, strerror(errno));
		break;
	case 2:
		if (rename(p, q) && errno != ENOENT)
			bad(c, "rename %s %s: %s", p, q, strerror(errno));
		break;
	default:
		if (stat(p, &st) ? errno != ENOENT : !S_ISREG(st.st_mode))
			bad(c, "stat %s: %s", p, strerror(errno));
		break;
	}
}

/* Everything in the directory is what the model says, no more. */
static void final_check(struct client *c)
{
	bool seen[NAMES] = { false };
	struct dirent *e;
	DIR *d;
	int n;

	for (n = 0; n < NAMES; n++) {
		op_verify(c, n);
		op_stat(c, n);
	}
	d = opendir(c->dir);
	if (!d) {
		bad(c, "opendir %s: %s", c->dir, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, "sub") && c->subdir)
			continue;
		if (sscanf(e->d_name, "f%d", &n) == 1 && n >= 0 && n < NAMES &&
		    c->slot[n].used && !seen[n]) {
			seen[n] = true;
			continue;
		}
		bad(c, "listing of %s: unexpected entry '%s'", c->dir, e->d_name);
	}
	closedir(d);
	for (n = 0; n < NAMES; n++)
		if (c->slot[n].used && !seen[n])
			bad(c, "listing of %s: f%02d is missing", c->dir, n);
}

static int run_client(const char *top, int id, int seconds, unsigned int seed)
{
	static struct client c;
	time_t end = time(NULL) + seconds;

	c.id = id;
	c.rng = ((uint64_t)seed << 16) ^ (uint64_t)(id + 1) * 0x9E3779B97F4A7C15ULL;
	snprintf(c.dir, sizeof(c.dir), "%s/c%d", top, id);
	snprintf(c.shared, sizeof(c.shared), "%s/shared", top);
	if (mkdir(c.dir, 0755)) {
		fprintf(stderr, "client %d: mkdir %s: %s\n", id, c.dir, strerror(errno));
		return 1;
	}
	while (time(NULL) < end) {
		int n = next_rand(&c) % NAMES, m = next_rand(&c) % NAMES;

		switch (next_rand(&c) % 16) {
		case 0: case 1: case 2:	op_write(&c, n); break;
		case 3:			op_append(&c, n); break;
		case 4:			op_truncate(&c, n); break;
		case 5: case 6: case 7:	op_verify(&c, n); break;
		case 8:			op_stat(&c, n); break;
		case 9:			op_rename(&c, n, m); break;
		case 10:		op_link(&c, n, m); break;
		case 11:		op_unlink(&c, n); break;
		case 12:		op_fsync(&c, n); break;
		case 13:		op_subdir(&c); break;
		default:		op_shared(&c); break;
		}
		c.ops++;
	}
	final_check(&c);
	printf("client %d: %lu ops, %lu errors\n", id, c.ops, c.errors);
	fflush(stdout);
	/* the parent adds up: ops in the exit code would not fit */
	return c.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	int clients, seconds, i, failed = 0, status;
	unsigned int seed;
	char shared[4096];

	if (argc != 5) {
		fprintf(stderr, "usage: stress DIR CLIENTS SECONDS SEED\n");
		return 2;
	}
	clients = atoi(argv[2]);
	seconds = atoi(argv[3]);
	seed = strtoul(argv[4], NULL, 0);
	if (clients < 1 || clients > 64 || seconds < 1) {
		fprintf(stderr, "stress: 1..64 clients, at least 1 second\n");
		return 2;
	}
	snprintf(shared, sizeof(shared), "%s/shared", argv[1]);
	if (mkdir(shared, 0755) && errno != EEXIST) {
		fprintf(stderr, "stress: mkdir %s: %s\n", shared, strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < clients; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("stress: fork");
			return 1;
		}
		if (pid == 0)
			_exit(run_client(argv[1], i, seconds, seed));
	}
	for (i = 0; i < clients; i++) {
		if (wait(&status) < 0) {
			perror("stress: wait");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	printf("stress: %d clients, %d failed\n", clients, failed);
	return failed ? 1 : 0;
}
