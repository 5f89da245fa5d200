// SPDX-License-Identifier: GPL-2.0
/*
 * metabench: a metadata benchmark (tests/bench/guest-bench.sh).
 *
 *   metabench DIR N [READDIR_PASSES]
 *
 * In the empty directory DIR: creates N files, stats each, reads the
 * directory READDIR_PASSES times (default 10) from a fresh open, renames
 * each file, unlinks each.  Prints one line per phase, "OP OPS_PER_S"
 * (readdir counts entries read per second).  Exits non-zero on the first
 * error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *op, long ops, double t0)
{
	double dt = now() - t0;

	printf("%s %.0f\n", op, dt > 0 ? ops / dt : 0.0);
	fflush(stdout);
}

static void fail(const char *what, const char *name)
{
	fprintf(stderr, "metabench: %s %s: %s\n", what, name, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	char name[64], name2[64];
	struct stat st;
	long n, i, passes = 10, p, entries = 0;
	double t0;
	int dfd, fd;

	if (argc < 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: metabench DIR N [READDIR_PASSES]\n");
		return 2;
	}
	if (argc > 3)
		passes = atol(argv[3]);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		fail("open", argv[1]);

	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "file-%06ld", i);
		fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0)
			fail("create", name);
		close(fd);
	}
	report("create", n, t0);

	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "file-%06ld", i);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			fail("stat", name);
	}
	report("stat", n, t0);

	t0 = now();
	for (p = 0; p < passes; p++) {
		DIR *d;
		int fd2 = openat(dfd, ".", O_RDONLY | O_DIRECTORY);

		if (fd2 < 0)
			fail("open", ".");
		d = fdopendir(fd2);
		if (!d)
			fail("fdopendir", ".");
		errno = 0;
		while (readdir(d))
			entries++;
		if (errno)
			fail("readdir", argv[1]);
		closedir(d);
	}
	report("readdir", entries, t0);

	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "file-%06ld", i);
		snprintf(name2, sizeof(name2), "renamed-%06ld", i);
		if (renameat(dfd, name, dfd, name2) < 0)
			fail("rename", name);
	}
	report("rename", n, t0);

	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name2, sizeof(name2), "renamed-%06ld", i);
		if (unlinkat(dfd, name2, 0) < 0)
			fail("unlink", name2);
	}
	report("unlink", n, t0);
	close(dfd);
	return 0;
}
