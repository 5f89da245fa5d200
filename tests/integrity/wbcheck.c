// SPDX-License-Identifier: GPL-2.0
/*
 * wbcheck: what a writeback-cache mount must show, as direct checks.
 *
 *   wbcheck MNT SRC
 *
 * MNT is a FUSE mount of SRC (passthrough_ll -o writeback,cache=auto).
 * Each check works on its own file, prints one line "NAME: ok" or
 * "NAME: FAIL why", and compares with SRC where the data must have
 * reached the server:
 *   deferred   a write stays in the cache (SRC unchanged) until fsync
 *   extend     size after extending writes, before and after close
 *   mtime      the mtime after write+fsync (and after close) is the
 *              server's mtime too
 *   truncate   truncate down (by path) with dirty pages, then write past
 *              the new end: the hole reads as zeros
 *   append     O_APPEND appends at the size with dirty data in it
 *   partial    a small write into a page the cache does not hold keeps
 *              the rest of the page from the server
 * Exit 0 if all are ok, 1 otherwise, 2 on usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *mnt, *src;
static int failed;

static void result(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", name);
	if (!fmt) {
		printf("ok\n");
		return;
	}
	failed = 1;
	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static char *path(const char *dir, const char *name)
{
	static char buf[2][4096];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int xpwrite(int fd, char c, size_t len, off_t off)
{
	char *b = malloc(len);
	ssize_t n;

	memset(b, c, len);
	n = pwrite(fd, b, len, off);
	free(b);
	return n == (ssize_t)len ? 0 : -1;
}

static long long fsize(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : (long long)st.st_size;
}

/* whole file at P equals EXP (LEN bytes)? */
static int same(const char *p, const char *exp, size_t len, char *why,
		size_t whylen)
{
	char *b = malloc(len + 1);
	int fd = open(p, O_RDONLY);
	ssize_t n = -1;
	size_t i;

	if (fd >= 0) {
		n = pread(fd, b, len + 1, 0);
		close(fd);
	}
	if (n != (ssize_t)len) {
		snprintf(why, whylen, "%s: read %zd bytes, want %zu", p, n, len);
		free(b);
		return 0;
	}
	for (i = 0; i < len; i++)
		if (b[i] != exp[i]) {
			snprintf(why, whylen, "%s: byte %zu is 0x%02x, want 0x%02x",
				 p, i, (unsigned char)b[i], (unsigned char)exp[i]);
			free(b);
			return 0;
		}
	free(b);
	return 1;
}

static void check_deferred(void)
{
	int fd = open(path(mnt, "deferred"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	long long before, after;

	if (fd < 0 || xpwrite(fd, 'd', 6000, 0))
		return result("deferred", "open/write: %s", strerror(errno));
	before = fsize(path(src, "deferred"));
	fsync(fd);
	after = fsize(path(src, "deferred"));
	close(fd);
	if (before != 0 || after != 6000)
		return result("deferred", "server size %lld before fsync, %lld after (want 0, 6000)",
			      before, after);
	result("deferred", NULL);
}

static void check_extend(void)
{
	static char exp[25000];
	char why[512];
	struct stat st;
	int fd = open(path(mnt, "extend"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	memset(exp, 'a', 10000);
	memset(exp + 20000, 'b', 5000);
	if (fd < 0 || xpwrite(fd, 'a', 10000, 0) || xpwrite(fd, 'b', 5000, 20000))
		return result("extend", "open/write: %s", strerror(errno));
	if (fstat(fd, &st) || st.st_size != 25000)
		return result("extend", "fstat size %lld, want 25000", (long long)st.st_size);
	if (fsize(path(mnt, "extend")) != 25000)
		return result("extend", "stat size %lld, want 25000", fsize(path(mnt, "extend")));
	if (!same(path(mnt, "extend"), exp, sizeof(exp), why, sizeof(why)))
		return result("extend", "before close: %s", why);
	close(fd);
	if (fsize(path(mnt, "extend")) != 25000)
		return result("extend", "stat after close %lld", fsize(path(mnt, "extend")));
	if (!same(path(src, "extend"), exp, sizeof(exp), why, sizeof(why)))
		return result("extend", "server after close: %s", why);
	result("extend", NULL);
}

static int mtime_eq(const char *name, char *why, size_t whylen)
{
	struct stat m, s;

	if (stat(path(mnt, name), &m) || stat(path(src, name), &s)) {
		snprintf(why, whylen, "stat: %s", strerror(errno));
		return 0;
	}
	if (m.st_mtim.tv_sec != s.st_mtim.tv_sec ||
	    m.st_mtim.tv_nsec != s.st_mtim.tv_nsec) {
		snprintf(why, whylen, "mount %ld.%09ld, server %ld.%09ld",
			 (long)m.st_mtim.tv_sec, m.st_mtim.tv_nsec,
			 (long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
		return 0;
	}
	return 1;
}

static void check_mtime(void)
{
	int fd = open(path(mnt, "mtime"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char why[512];

	/*
	 * A write in the same clock tick as the create leaves the mtime as
	 * it was, and then the server's own from the WRITE wins (on stock
	 * fuse too): let the tick pass.
	 */
	usleep(20000);
	if (fd < 0 || xpwrite(fd, 'm', 3000, 0))
		return result("mtime", "open/write: %s", strerror(errno));
	usleep(20000);
	if (fsync(fd))
		return result("mtime", "fsync: %s", strerror(errno));
	if (!mtime_eq("mtime", why, sizeof(why)))
		return result("mtime", "after fsync: %s", why);
	usleep(20000);
	if (xpwrite(fd, 'n', 3000, 5000))
		return result("mtime", "write: %s", strerror(errno));
	usleep(20000);
	close(fd);
	if (!mtime_eq("mtime", why, sizeof(why)))
		return result("mtime", "after close: %s", why);
	result("mtime", NULL);
}

static void check_truncate(void)
{
	static char exp[10100];
	char why[512];
	struct stat st;
	int fd = open(path(mnt, "truncate"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	memset(exp, 't', 3000);
	memset(exp + 10000, 'c', 100);
	if (fd < 0 || xpwrite(fd, 't', 100000, 0))
		return result("truncate", "open/write: %s", strerror(errno));
	if (truncate(path(mnt, "truncate"), 3000))
		return result("truncate", "truncate: %s", strerror(errno));
	if (fstat(fd, &st) || st.st_size != 3000)
		return result("truncate", "size after truncate %lld, want 3000",
			      (long long)st.st_size);
	if (xpwrite(fd, 'c', 100, 10000))
		return result("truncate", "write: %s", strerror(errno));
	if (!same(path(mnt, "truncate"), exp, sizeof(exp), why, sizeof(why)))
		return result("truncate", "before close: %s", why);
	close(fd);
	if (!same(path(src, "truncate"), exp, sizeof(exp), why, sizeof(why)))
		return result("truncate", "server after close: %s", why);
	result("truncate", NULL);
}

static void check_append(void)
{
	static char exp[5004];
	char why[512];
	struct stat st;
	int fd = open(path(mnt, "append"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	int afd;

	memset(exp, 'x', 5000);
	memcpy(exp + 5000, "tail", 4);
	if (fd < 0 || xpwrite(fd, 'x', 5000, 0))
		return result("append", "open/write: %s", strerror(errno));
	afd = open(path(mnt, "append"), O_WRONLY | O_APPEND);
	if (afd < 0 || write(afd, "tail", 4) != 4)
		return result("append", "append: %s", strerror(errno));
	if (fstat(fd, &st) || st.st_size != 5004)
		return result("append", "size %lld, want 5004", (long long)st.st_size);
	if (!same(path(mnt, "append"), exp, sizeof(exp), why, sizeof(why)))
		return result("append", "before close: %s", why);
	close(afd);
	close(fd);
	if (!same(path(src, "append"), exp, sizeof(exp), why, sizeof(why)))
		return result("append", "server after close: %s", why);
	result("append", NULL);
}

static void check_partial(void)
{
	static char exp[8192];
	char why[512];
	int fd = open(path(src, "partial"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	memset(exp, 'p', sizeof(exp));
	if (fd < 0 || xpwrite(fd, 'p', sizeof(exp), 0) || close(fd))
		return result("partial", "source: %s", strerror(errno));
	memset(exp + 100, 'w', 10);
	memset(exp + 5000, 'w', 10);
	fd = open(path(mnt, "partial"), O_WRONLY);
	if (fd < 0 || xpwrite(fd, 'w', 10, 100) || xpwrite(fd, 'w', 10, 5000))
		return result("partial", "open/write: %s", strerror(errno));
	if (!same(path(mnt, "partial"), exp, sizeof(exp), why, sizeof(why)))
		return result("partial", "before close: %s", why);
	close(fd);
	if (!same(path(src, "partial"), exp, sizeof(exp), why, sizeof(why)))
		return result("partial", "server after close: %s", why);
	result("partial", NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: wbcheck MNT SRC\n");
		return 2;
	}
	mnt = argv[1];
	src = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	check_deferred();
	check_extend();
	check_mtime();
	check_truncate();
	check_append();
	check_partial();
	return failed;
}
