// SPDX-License-Identifier: GPL-2.0
/*
 * dirseek: one directory listed through one open, several ways, printed
 * so that two mounts can be compared with diff.
 *
 *   dirseek DIR BUFSIZE
 *
 * Lines printed:
 *   list: NAME...       the names in the order getdents64 gave them,
 *                       read with a BUFSIZE byte buffer (a small one
 *                       takes many calls for one listing)
 *   rewind: same|differs  the listing again after lseek(fd, 0)
 *   seek: ok|N bad      lseek to each entry's offset (from the last entry
 *                       back to the first), one small getdents64: it must
 *                       start with that entry, and lseek(SEEK_CUR) must
 *                       then tell the offset getdents64 gave for the last
 *                       entry it returned
 *   telldir: ok|N bad   the same through readdir/telldir/seekdir
 *
 * Exit status: 0 when every check held, 1 when one did not, 2 for bad
 * arguments or a failed system call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define MAX_ENTRIES	4096

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct entry {
	char *name;
	long long off;		/* the offset after this entry */
};

static void die(const char *what)
{
	fprintf(stderr, "dirseek: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Read the whole listing from where fd stands. */
static int list(int fd, char *buf, size_t bufsize, struct entry *e)
{
	int n = 0;

	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, bufsize);
		long o;

		if (got < 0)
			die("getdents64");
		if (!got)
			return n;
		for (o = 0; o < got;) {
			struct linux_dirent64 *d = (void *)(buf + o);

			if (n == MAX_ENTRIES) {
				fprintf(stderr, "dirseek: too many entries\n");
				exit(2);
			}
			e[n].name = strdup(d->d_name);
			e[n].off = d->d_off;
			n++;
			o += d->d_reclen;
		}
	}
}

/* lseek to each entry's start; the next getdents64 must begin with it. */
static int check_seek(int fd, char *buf, size_t bufsize,
		      const struct entry *e, int n)
{
	int i, bad = 0;

	for (i = n - 1; i >= 0; i--) {
		long long at = i ? e[i - 1].off : 0;
		struct linux_dirent64 *d = (void *)buf, *last = NULL;
		long got, o;

		if (lseek(fd, at, SEEK_SET) != at)
			die("lseek");
		got = syscall(SYS_getdents64, fd, buf, bufsize);
		if (got < 0)
			die("getdents64");
		if (!got || strcmp(d->d_name, e[i].name)) {
			printf("  seek to entry %d (%s): got %s\n", i, e[i].name,
			       got ? d->d_name : "the end");
			bad++;
			continue;
		}
		for (o = 0; o < got; o += last->d_reclen)
			last = (void *)(buf + o);
		if (lseek(fd, 0, SEEK_CUR) != last->d_off) {
			printf("  after entry %d: position is not its d_off\n", i);
			bad++;
		}
	}
	return bad;
}

/* The same with libc's directory streams. */
static int check_telldir(const char *path, const struct entry *e, int n)
{
	DIR *dir = opendir(path);
	long *pos = calloc(n + 1, sizeof(*pos));
	struct dirent *de;
	int i, bad = 0;

	if (!dir || !pos)
		die("opendir");
	for (i = 0; i <= n; i++) {
		pos[i] = telldir(dir);
		de = readdir(dir);
		if (i < n && (!de || strcmp(de->d_name, e[i].name)))
			bad++;
		if (i == n && de)
			bad++;
	}
	/* every other one, from the middle out */
	for (i = n / 2; i < n; i += 2) {
		seekdir(dir, pos[i]);
		de = readdir(dir);
		if (!de || strcmp(de->d_name, e[i].name))
			bad++;
	}
	for (i = n / 2 - 1; i >= 0; i -= 2) {
		seekdir(dir, pos[i]);
		de = readdir(dir);
		if (!de || strcmp(de->d_name, e[i].name))
			bad++;
	}
	rewinddir(dir);
	de = readdir(dir);
	if (n && (!de || strcmp(de->d_name, e[0].name)))
		bad++;
	closedir(dir);
	free(pos);
	return bad;
}

int main(int argc, char **argv)
{
	static struct entry first[MAX_ENTRIES], again[MAX_ENTRIES];
	size_t bufsize;
	int fd, n, m, i, bad, fails = 0;
	char *buf;

	if (argc != 3 || (bufsize = strtoul(argv[2], NULL, 0)) < 64) {
		fprintf(stderr, "usage: dirseek DIR BUFSIZE (at least 64)\n");
		return 2;
	}
	buf = malloc(bufsize);
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (!buf || fd < 0)
		die(argv[1]);

	n = list(fd, buf, bufsize, first);
	printf("list:");
	for (i = 0; i < n; i++)
		printf(" %s", first[i].name);
	printf("\n");

	if (lseek(fd, 0, SEEK_SET))
		die("lseek");
	m = list(fd, buf, bufsize, again);
	bad = m != n;
	for (i = 0; !bad && i < n; i++)
		bad = strcmp(first[i].name, again[i].name) ||
		      first[i].off != again[i].off;
	printf("rewind: %s\n", bad ? "differs" : "same");
	fails += bad;

	bad = check_seek(fd, buf, bufsize, first, n);
	if (bad)
		printf("seek: %d bad\n", bad);
	else
		printf("seek: ok\n");
	fails += bad;

	bad = check_telldir(argv[1], first, n);
	if (bad)
		printf("telldir: %d bad\n", bad);
	else
		printf("telldir: ok\n");
	fails += bad;

	close(fd);
	return fails ? 1 : 0;
}
