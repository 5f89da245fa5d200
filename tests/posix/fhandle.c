// SPDX-License-Identifier: GPL-2.0
/*
 * fhandle: file handles on a FUSE mount, printed so that two mounts can be
 * compared with diff.
 *
 *   fhandle rw MNT          makes its objects under MNT (a writable server)
 *   fhandle ro MNT NAME     uses the existing regular file MNT/NAME
 *   fhandle fid MNT NAME    only encodes handles of MNT/NAME, plain and
 *                           AT_HANDLE_FID (a handle that names but need
 *                           not open), and tries to open the FID one
 *
 * Each check prints "CHECK: RESULT", RESULT being "ok", "errno=ENAME" or
 * values.  No inode numbers or handle bytes are printed (they are the
 * server's), only whether they match.  The checks:
 *   encode.*      name_to_handle_at: the size asked for, the type, and
 *                 EOVERFLOW for a buffer too small
 *   cached.*      open_by_handle_at while the object is in the caches
 *   dropped.*     the same after "echo 3 > drop_caches" (three times):
 *                 the object is forgotten, so only a server with
 *                 EXPORT_SUPPORT can bring it back.  Not "echo 2": the
 *                 VFS keeps an inode that still has page cache off its
 *                 LRU, so whether it is forgotten would depend on what
 *                 the last read left cached
 *   root.*        the root's handle, after the drops (never forgotten)
 *   deleted.*     a handle of a file since unlinked
 *   corrupt.*     a damaged handle: generation, nodeid, type, length
 *
 * Exit status: 0 whatever the checks found, 2 for bad arguments or a
 * setup that failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define HANDLE_MAX	128
#define CONTENT		"file handle test data\n"

struct fh {
	struct file_handle h;
	unsigned char buf[HANDLE_MAX];
};

static int mount_fd;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static void result(const char *check, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(const char *check, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", check);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "fhandle: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void drop_caches(void)
{
	int i, fd;

	sync();
	for (i = 0; i < 3; i++) {
		fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (fd < 0 || write(fd, "3", 1) != 1)
			die("drop_caches");
		close(fd);
		usleep(200 * 1000);
	}
}

/* name_to_handle_at of PATH into *fh; prints nothing, dies on failure */
static void encode(const char *path, struct fh *fh)
{
	int mnt_id;

	memset(fh, 0, sizeof(*fh));
	fh->h.handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, path, &fh->h, &mnt_id, 0))
		die(path);
}

/*
 * open_by_handle_at with FLAGS; on success report whether it is the same
 * object as EXPECT (inode number) and, for a file, whether it reads DATA.
 */
static void decode(const char *check, const struct fh *fh, int flags,
		   const struct stat *expect, const char *data)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open_by_handle_at(mount_fd, (struct file_handle *)&fh->h, flags);
	if (fd < 0) {
		result(check, "errno=%s", ename(errno));
		return;
	}
	if (fstat(fd, &st)) {
		result(check, "fstat errno=%s", ename(errno));
		close(fd);
		return;
	}
	if (data) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		result(check, "ok same-inode=%s read=%s",
		       st.st_ino == expect->st_ino ? "yes" : "no",
		       n < 0 ? ename(errno) :
		       strcmp(buf, data) ? "differs" : "same");
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int entries = 0;

		if (!d) {
			result(check, "fdopendir errno=%s", ename(errno));
			close(fd);
			return;
		}
		while ((de = readdir(d)))
			entries++;
		result(check, "ok same-inode=%s dir-entries=%d",
		       st.st_ino == expect->st_ino ? "yes" : "no", entries);
		closedir(d);
		return;
	} else {
		result(check, "ok same-inode=%s",
		       st.st_ino == expect->st_ino ? "yes" : "no");
	}
	close(fd);
}

static void check_encode(const char *path)
{
	struct fh fh;
	int mnt_id, r;

	memset(&fh, 0, sizeof(fh));
	fh.h.handle_bytes = 0;
	r = name_to_handle_at(AT_FDCWD, path, &fh.h, &mnt_id, 0);
	result("encode.too-small", "%s bytes-wanted=%u",
	       r ? ename(errno) : "no error", fh.h.handle_bytes);
	fh.h.handle_bytes = HANDLE_MAX;
	r = name_to_handle_at(AT_FDCWD, path, &fh.h, &mnt_id, 0);
	if (r)
		result("encode.file", "errno=%s", ename(errno));
	else
		result("encode.file", "ok bytes=%u type=0x%x",
		       fh.h.handle_bytes, fh.h.handle_type);
}

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID	0x200
#endif

/* fid mode: what a mount whose server refused exporting gives */
static void run_fid(const char *name)
{
	struct stat st;
	struct fh fh;
	int mnt_id;

	if (stat(name, &st))
		die(name);
	check_encode(name);
	memset(&fh, 0, sizeof(fh));
	fh.h.handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, name, &fh.h, &mnt_id, AT_HANDLE_FID)) {
		result("encode.fid", "errno=%s", ename(errno));
		return;
	}
	result("encode.fid", "ok bytes=%u type=0x%x", fh.h.handle_bytes,
	       fh.h.handle_type);
	decode("fid.open", &fh, O_RDONLY, &st, NULL);
}

static void check_corrupt(const struct fh *good, const struct stat *st,
			  const char *data)
{
	struct fh fh;

	/* the generation is the last of the three words */
	fh = *good;
	if (fh.h.handle_bytes >= 12)
		fh.buf[8] ^= 0x5a;
	decode("corrupt.generation", &fh, O_RDONLY, st, data);

	/* a nodeid nobody handed out (the high word of the first) */
	fh = *good;
	if (fh.h.handle_bytes >= 12)
		memset(fh.buf, 0x7e, 4);
	decode("corrupt.nodeid", &fh, O_RDONLY, st, data);

	fh = *good;
	memset(fh.buf, 0, 8);
	decode("corrupt.nodeid-zero", &fh, O_RDONLY, st, data);

	fh = *good;
	fh.h.handle_type ^= 0x40;
	decode("corrupt.type", &fh, O_RDONLY, st, data);

	fh = *good;
	fh.h.handle_bytes = 4;
	decode("corrupt.short", &fh, O_RDONLY, st, data);

	fh = *good;
	fh.h.handle_bytes = 0;
	decode("corrupt.zero-length", &fh, O_RDONLY, st, data);
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		die(path);
	close(fd);
}

static void run_rw(void)
{
	struct fh file, dir, gone, root;
	struct stat fst, dst, gst, rst;

	mkdir("fh.dir", 0755);
	write_file("fh.dir/inner", CONTENT);
	write_file("fh.file", CONTENT);
	write_file("fh.gone", CONTENT);
	if (stat("fh.file", &fst) || stat("fh.dir", &dst) ||
	    stat("fh.gone", &gst) || stat(".", &rst))
		die("stat");

	check_encode("fh.file");
	encode("fh.file", &file);
	encode("fh.dir", &dir);
	encode("fh.gone", &gone);
	encode(".", &root);

	decode("cached.file", &file, O_RDONLY, &fst, CONTENT);
	decode("cached.dir", &dir, O_RDONLY | O_DIRECTORY, &dst, NULL);
	check_corrupt(&file, &fst, CONTENT);

	if (unlink("fh.gone"))
		die("unlink fh.gone");
	decode("deleted.cached", &gone, O_RDONLY, &gst, CONTENT);

	drop_caches();
	decode("dropped.file", &file, O_RDONLY, &fst, CONTENT);
	decode("dropped.dir", &dir, O_RDONLY | O_DIRECTORY, &dst, NULL);
	decode("dropped.deleted", &gone, O_RDONLY, &gst, CONTENT);
	decode("root.dropped", &root, O_RDONLY | O_DIRECTORY, &rst, NULL);
	/* the generation check must hold for a re-found object too */
	check_corrupt(&file, &fst, CONTENT);
	/*
	 * No "relooked" check here: found again by path, the file may have
	 * a new nodeid (passthrough_ll's are addresses of its own memory).
	 */

	unlink("fh.file");
	unlink("fh.dir/inner");
	rmdir("fh.dir");
}

static void run_ro(const char *name)
{
	struct fh file, root;
	struct stat fst, rst;
	char data[256];
	ssize_t n;
	int fd;

	fd = open(name, O_RDONLY);
	if (fd < 0)
		die(name);
	n = read(fd, data, sizeof(data) - 1);
	if (n < 0)
		die(name);
	data[n] = '\0';
	close(fd);
	if (stat(name, &fst) || stat(".", &rst))
		die("stat");

	check_encode(name);
	encode(name, &file);
	encode(".", &root);
	decode("cached.file", &file, O_RDONLY, &fst, data);
	check_corrupt(&file, &fst, data);
	drop_caches();
	decode("dropped.file", &file, O_RDONLY, &fst, data);
	decode("root.dropped", &root, O_RDONLY | O_DIRECTORY, &rst, NULL);
	if (stat(name, &fst))
		die("stat");
	decode("relooked.file", &file, O_RDONLY, &fst, data);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "rw") && strcmp(argv[1], "ro") &&
			 strcmp(argv[1], "fid")) ||
	    (strcmp(argv[1], "rw") && argc != 4)) {
		fprintf(stderr, "usage: fhandle rw MNT | fhandle ro|fid MNT NAME\n");
		return 2;
	}
	if (chdir(argv[2]))
		die(argv[2]);
	mount_fd = open(".", O_RDONLY | O_DIRECTORY);
	if (mount_fd < 0)
		die(argv[2]);
	if (!strcmp(argv[1], "rw"))
		run_rw();
	else if (!strcmp(argv[1], "ro"))
		run_ro(argv[3]);
	else
		run_fid(argv[3]);
	printf("fhandle: done\n");
	return 0;
}
