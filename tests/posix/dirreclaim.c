// SPDX-License-Identifier: GPL-2.0
/*
 * dirreclaim: listings of one directory read with a small getdents64
 * buffer while the directory's page cache is reclaimed between two calls,
 * each listing checked against the names the directory holds.  Made for
 * the listing cache of FOPEN_CACHE_DIR directories, which lives in the
 * directory's page cache and is filled a record or two per call when the
 * caller's buffer holds one name.
 *
 *   dirreclaim DIR NAMES BUFSIZE
 *
 * NAMES is a file of the names DIR holds besides "." and "..", one a
 * line.  A first listing, undisturbed, counts the getdents64 calls one
 * takes (CALLS) and reckons, from the names it gets, where the cache's
 * layout (fuse2pt's, and stock fuse's: records padded to 8 bytes, none
 * straddling a page) stands after each call, one more name being cached
 * than listed.  That picks, for each page, a call after which the cache
 * has just started the page (one record in it) and one after which the
 * page is about half full.  Then for each way of reclaiming, and for
 * each picked call C, a round:
 *
 *   reset    mkdir and rmdir DIR/.dirreclaim: a change through the
 *            mount drops a cached listing (on stock fuse too)
 *   fill     a listing with a reclaim after its call C: it fills the
 *            cache, so the reclaim takes the page being filled (and
 *            those before it), and the next calls append after records
 *            that are gone
 *   cached   a listing without one: from the cache if the fill left it
 *            whole, else from the server
 *   reread   a listing with a reclaim after call C again, reading the
 *            cache: it meets a page that is gone
 *
 * The ways of reclaiming:
 *
 *   drop1    echo 1 > /proc/sys/vm/drop_caches (all clean page cache),
 *            at the calls picked in the first two pages: only while the
 *            first page fills does a reader later meet the damage rather
 *            than the missing first page
 *   drop3    echo 3 (also dentries and inodes; DIR stays open), at the
 *            calls picked in the first page
 *   tail     POSIX_FADV_DONTNEED of DIR's pages from the last one the
 *            cache holds by now to the end, at every picked call: the
 *            pages before it stay, so that a reader gets as far as the
 *            page that was being filled
 *
 * Every listing must be exactly ".", ".." and the names of NAMES, each
 * once.  Printed: "calls: CALLS", then a line per way, "WAY: N
 * listings, all exact", or first a line for each listing that was not
 * (names missing, listed twice, unknown; the first of each), or that
 * failed.  Exit status 0 when all were exact, 1 when one was not, 2 for
 * bad arguments or a failed set-up.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define MAX_NAMES	8192
#define PAGE		4096
/* fuse_dirent: 24 bytes of header, the name padded to 8 bytes */
#define REC_SIZE(len)	((24 + (len) + 7) & ~7UL)

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

enum way { DROP1, DROP3, TAIL, NWAYS };
static const char *const way_name[NWAYS] = { "drop1", "drop3", "tail" };

static const char *dir_path;
static size_t bufsize;
static char *want[MAX_NAMES];	/* sorted, with "." and ".." */
static int nwant;

static void die(const char *what)
{
	fprintf(stderr, "dirreclaim: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_names(const char *file)
{
	char line[4096];
	FILE *f = fopen(file, "r");

	if (!f)
		die(file);
	want[nwant++] = strdup(".");
	want[nwant++] = strdup("..");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0])
			continue;
		if (nwant == MAX_NAMES) {
			fprintf(stderr, "dirreclaim: too many names\n");
			exit(2);
		}
		want[nwant++] = strdup(line);
	}
	fclose(f);
	qsort(want, nwant, sizeof(*want), cmp_names);
}

/* @name as printable text of at most 63 bytes, for a report */
static void shown(char *out, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i < 60; i++)
		out[i] = isprint((unsigned char)name[i]) ? name[i] : '?';
	strcpy(out + i, name[i] ? "..." : "");
}

/* Where the cache's next record goes after one of @len name bytes. */
static long long layout_add(long long at, size_t len)
{
	if (at % PAGE + REC_SIZE(len) > PAGE)
		at = (at + PAGE - 1) / PAGE * PAGE;
	return at + REC_SIZE(len);
}

static void reclaim(enum way way, int fd, long long cached)
{
	long long page = cached ? (cached - 1) / PAGE : 0;
	const char *what = way == DROP3 ? "3" : "1";
	int f, err;

	if (way == TAIL) {
		err = posix_fadvise(fd, page * PAGE, 0, POSIX_FADV_DONTNEED);
		if (err) {
			errno = err;
			die("posix_fadvise");
		}
		return;
	}
	f = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (f < 0 || write(f, what, 1) != 1)
		die("/proc/sys/vm/drop_caches");
	close(f);
}

/*
 * One listing from a new open, with a reclaim after call @at (0: none).
 * Fills @got with the names; returns their number and the calls it took
 * in @calls, or -1 (errno set) when a call failed.  @trace, if set, gets
 * for each call the bytes the cache holds after it.
 */
static int list(char **got, enum way way, int at, int *calls,
		long long *trace)
{
	char *buf = malloc(bufsize);
	long long cached = 0;
	int fd, n = 0, saved;
	size_t last = 0;
	long len, o;

	fd = open(dir_path, O_RDONLY | O_DIRECTORY);
	if (!buf || fd < 0)
		die(dir_path);
	*calls = 0;
	while ((len = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		++*calls;
		for (o = 0; o < len && n < MAX_NAMES;) {
			struct linux_dirent64 *d = (void *)(buf + o);

			got[n++] = strdup(d->d_name);
			last = strlen(d->d_name);
			cached = layout_add(cached, last);
			o += d->d_reclen;
		}
		/* one more than listed is cached, a name as long as the last */
		if (trace && *calls < MAX_NAMES)
			trace[*calls] = layout_add(cached, last);
		if (*calls == at)
			reclaim(way, fd, layout_add(cached, last));
	}
	saved = errno;
	close(fd);
	free(buf);
	if (len < 0) {
		errno = saved;
		return -1;
	}
	return n;
}

/* Compare a listing with the names; prints and returns 1 when it differs. */
static int check(const char *what, char **got, int n)
{
	int i = 0, j = 0, missing = 0, twice = 0, unknown = 0, c;
	char first_missing[64] = "", first_twice[64] = "";
	char first_unknown[64] = "";

	qsort(got, n, sizeof(*got), cmp_names);
	while (i < nwant || j < n) {
		c = i == nwant ? 1 : j == n ? -1 : strcmp(want[i], got[j]);
		if (c < 0) {
			if (!missing++)
				shown(first_missing, want[i]);
			i++;
		} else if (c > 0) {
			if (j && !strcmp(got[j], got[j - 1])) {
				if (!twice++)
					shown(first_twice, got[j]);
			} else if (!unknown++) {
				shown(first_unknown, got[j]);
			}
			j++;
		} else {
			i++;
			j++;
		}
	}
	if (!missing && !twice && !unknown)
		return 0;
	printf("%s: %d names, %d missing%s%s, %d listed twice%s%s, %d unknown%s%s\n",
	       what, n, missing, missing ? ": " : "", first_missing,
	       twice, twice ? ": " : "", first_twice,
	       unknown, unknown ? ": " : "", first_unknown);
	return 1;
}

/* One listing, checked; returns 1 when it was not exact. */
static int listing(const char *what, enum way way, int at)
{
	static char *got[MAX_NAMES];
	int n, calls, bad, i;

	n = list(got, way, at, &calls, NULL);
	if (n < 0) {
		printf("%s: getdents64: %s\n", what, strerror(errno));
		return 1;
	}
	bad = check(what, got, n);
	for (i = 0; i < n; i++)
		free(got[i]);
	return bad;
}

/* A change through the mount: a cached listing goes. */
static void reset(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/.dirreclaim", dir_path);
	if (mkdir(path, 0755) || rmdir(path))
		die(path);
}

/*
 * From the first listing's @trace of @calls calls: for each page of the
 * cache, the call after which the page has just been started and one
 * after which it is about half full, in @at (page by page, up to page
 * @pages - 1); returns how many.
 */
static int pick(const long long *trace, int calls, int pages, int *at)
{
	int c, first = 0, page = -1, n = 0;

	/* the last call returned the last name: the cache was whole */
	for (c = 1; c < calls && c < MAX_NAMES; c++) {
		int p = (trace[c] - 1) / PAGE;

		if (p == page)
			continue;
		if (first && c - 1 > first)
			at[n++] = (first + c - 1 + 1) / 2;
		if (p >= pages)
			return n;
		at[n++] = first = c;
		page = p;
	}
	if (first && calls - 1 > first)
		at[n++] = (first + calls - 1 + 1) / 2;
	return n;
}

int main(int argc, char **argv)
{
	static const int way_pages[NWAYS] = { 2, 1, MAX_NAMES };
	static long long trace[MAX_NAMES];
	static int at[MAX_NAMES];
	static char *got[MAX_NAMES];
	int calls, n, nat, bad = 0, listings, failed, i;
	enum way way;
	char what[64];

	if (argc != 4 || (bufsize = strtoul(argv[3], NULL, 0)) < 64) {
		fprintf(stderr, "usage: dirreclaim DIR NAMES BUFSIZE (at least 64)\n");
		return 2;
	}
	dir_path = argv[1];
	read_names(argv[2]);

	reset();
	n = list(got, DROP1, 0, &calls, trace);
	if (n < 0)
		die("getdents64");
	if (check("first", got, n))
		return 1;
	for (i = 0; i < n; i++)
		free(got[i]);
	printf("calls: %d\n", calls);

	for (way = 0; way < NWAYS; way++) {
		nat = pick(trace, calls, way_pages[way], at);
		listings = failed = 0;
		for (i = 0; i < nat; i++) {
			reset();
			snprintf(what, sizeof(what), "%s %d fill", way_name[way], at[i]);
			failed += listing(what, way, at[i]);
			snprintf(what, sizeof(what), "%s %d cached", way_name[way], at[i]);
			failed += listing(what, way, 0);
			snprintf(what, sizeof(what), "%s %d reread", way_name[way], at[i]);
			failed += listing(what, way, at[i]);
			listings += 3;
		}
		printf("%s: after calls", way_name[way]);
		for (i = 0; i < nat; i++)
			printf(" %d", at[i]);
		if (failed)
			printf(": %d of %d listings not exact\n", failed, listings);
		else
			printf(": %d listings, all exact\n", listings);
		bad |= !!failed;
	}
	return bad;
}
