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
 *   fhandle export MNT STATS PID
 *                           a server with EXPORT_SUPPORT (ptsrv --export,
 *                           pid PID, writing STATS at SIGUSR1): every
 *                           handle is opened from cold caches, so the
 *                           kernel must find it by nodeid (LOOKUP of "."
 *                           and ".."); see run_export
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
 * FH_WAITING=FILE (the connection's "waiting" file in its control
 * directory): before the drops, wait until no request of the connection
 * is out (at most 30 s), instead of a fixed second.
 *
 * Exit status: 0 whatever the checks found, 2 for bad arguments or a
 * setup that failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
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

/* ROUNDS of "echo 3", NAP_MS apart */
static void drop_caches_n(int rounds, int nap_ms)
{
	int i, fd;

	sync();
	for (i = 0; i < rounds; i++) {
		fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (fd < 0 || write(fd, "3", 1) != 1)
			die("drop_caches");
		close(fd);
		if (nap_ms)
			usleep(nap_ms * 1000);
	}
}

/* the number in FILE, or -1 */
static long read_count(const char *file)
{
	char buf[32];
	ssize_t n;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void drop_caches(void)
{
	const char *waiting = getenv("FH_WAITING");
	int i;

	/*
	 * The last RELEASEs travel in the background and keep their inodes
	 * until answered (after any readahead READ still out): let them land,
	 * or an inode freed during the rounds may survive all three.  A
	 * loaded host can take seconds for that: the connection's waiting
	 * count says when it is done.
	 */
	if (!waiting || !*waiting) {
		usleep(1000 * 1000);
	} else {
		for (i = 0; i < 300 && read_count(waiting) != 0; i++)
			usleep(100 * 1000);
		if (read_count(waiting) != 0)
			fprintf(stderr, "fhandle: %s still not 0 after 30 s\n",
				waiting);
	}
	drop_caches_n(3, 200);
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
#ifndef AT_HANDLE_CONNECTABLE
#define AT_HANDLE_CONNECTABLE	0x002
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

/*
 * export mode.  Objects: fh.file, fh.gone (unlinked before the opens),
 * fh.dir/fh.sub (a directory two levels down) and fh.dir/fh.sub/deep,
 * whose handle is connectable (it carries fh.sub's nodeid too).  Once
 * the handles are made the process leaves the mount (cwd "/"; only the
 * mount fd, on the root, stays open) and before each open it drops the
 * caches (once for the refusals, which leave nothing the next one asks
 * for) and reads the server's stats, so that each result line says how
 * many LOOKUPs of "." and ".." that open cost the server: the proof that
 * the kernel had forgotten the object and found it by nodeid.
 *   export.setup         the kernel FORGOT objects at the first drop
 *   export.generation    the server gave the file a generation (not 0)
 *   export.file          a file: same inode, same contents
 *   export.dir           a directory: reconnected to the tree through ".."
 *                        (its path under the mount shows it)
 *   export.connectable   AT_HANDLE_CONNECTABLE of deep: the parent comes
 *                        back by nodeid and is reconnected through "..",
 *                        then deep by name, so the path shows.  A kernel
 *                        without the flag refuses it (EINVAL); a handle
 *                        with the parent is then put together by hand
 *                        (type 0x82), which such a kernel opens by the
 *                        object's part alone
 *   export.bad-parent    the connectable handle, the parent's generation
 *                        damaged (where the kernel has the flag)
 *   export.deleted       a file unlinked since: ESTALE
 *   export.nodeid        a nodeid the server never gave: ESTALE
 *   export.generation-*  the file's, the directory's generation damaged
 *   export.root          the root (no drop: it is never forgotten)
 */
static const char *exp_stats;
static pid_t exp_pid;
static char exp_mnt[4096];

struct exp_counts {
	long forget, dot, dotdot;
};

/* SIGUSR1 makes the server rewrite its stats; read them */
static void exp_read_stats(struct exp_counts *c)
{
	char name[64];
	long v;
	FILE *f = NULL;
	int i;

	unlink(exp_stats);
	if (kill(exp_pid, SIGUSR1))
		die("kill -USR1 server");
	for (i = 0; i < 200 && !(f = fopen(exp_stats, "r")); i++)
		usleep(20 * 1000);
	if (!f)
		die(exp_stats);
	memset(c, 0, sizeof(*c));
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "forget"))
			c->forget = v;
		else if (!strcmp(name, "lookup_dot"))
			c->dot = v;
		else if (!strcmp(name, "lookup_dotdot"))
			c->dotdot = v;
	}
	fclose(f);
}

/* the path of FD under the mount ("/fh.dir/fh.sub"), or what it is */
static const char *exp_path(int fd, char *buf, size_t len)
{
	char link[64];
	size_t n = strlen(exp_mnt);
	ssize_t r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = readlink(link, buf, len - 1);
	if (r < 0)
		return ename(errno);
	buf[r] = '\0';
	if (strncmp(buf, exp_mnt, n) || (buf[n] != '/' && buf[n] != '\0'))
		return "outside-the-mount";
	return buf[n] ? buf + n : "/";
}

/*
 * Drop the caches (with DROP), open FH, report as decode() does plus the
 * LOOKUPs of "." and ".." it took (and with PATH, where the object is in
 * the tree).
 */
static void exp_open(const char *check, bool drop, const struct fh *fh,
		     int flags, const struct stat *expect, const char *data,
		     bool path)
{
	struct exp_counts before, after;
	char buf[4096], where[4096 + 8] = "";
	struct stat st;
	int fd;

	/* nothing is dirty and the reads since are the server's stats */
	if (drop)
		drop_caches_n(2, 0);
	exp_read_stats(&before);
	fd = open_by_handle_at(mount_fd, (struct file_handle *)&fh->h, flags);
	if (fd < 0) {
		int e = errno;

		exp_read_stats(&after);
		result(check, "errno=%s dot=%ld dotdot=%ld", ename(e),
		       after.dot - before.dot, after.dotdot - before.dotdot);
		return;
	}
	if (path)
		snprintf(where, sizeof(where), " path=%s",
			 exp_path(fd, buf, sizeof(buf)));
	if (fstat(fd, &st)) {
		result(check, "fstat errno=%s", ename(errno));
		close(fd);
		return;
	}
	exp_read_stats(&after);
	if (data) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		result(check, "ok same-inode=%s read=%s%s dot=%ld dotdot=%ld",
		       st.st_ino == expect->st_ino ? "yes" : "no",
		       n < 0 ? ename(errno) : strcmp(buf, data) ? "differs" : "same",
		       where, after.dot - before.dot, after.dotdot - before.dotdot);
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		int entries = 0;

		if (!d) {
			result(check, "fdopendir errno=%s", ename(errno));
			close(fd);
			return;
		}
		while (readdir(d))
			entries++;
		closedir(d);
		result(check, "ok same-inode=%s dir-entries=%d%s dot=%ld dotdot=%ld",
		       st.st_ino == expect->st_ino ? "yes" : "no", entries,
		       where, after.dot - before.dot, after.dotdot - before.dotdot);
		return;
	}
	close(fd);
}

static void run_export(const char *mnt)
{
	struct fh file, dir, gone, root, conn, bad;
	struct stat fst, dst, gst, rst, cst;
	struct exp_counts c0, c1;
	bool connectable = true;
	uint32_t gen;
	int mnt_id;

	if (!realpath(mnt, exp_mnt))
		die(mnt);
	mkdir("fh.dir", 0755);
	mkdir("fh.dir/fh.sub", 0755);
	write_file("fh.dir/fh.sub/deep", CONTENT);
	write_file("fh.file", CONTENT);
	write_file("fh.gone", CONTENT);
	if (stat("fh.file", &fst) || stat("fh.dir/fh.sub", &dst) ||
	    stat("fh.gone", &gst) || stat(".", &rst) ||
	    stat("fh.dir/fh.sub/deep", &cst))
		die("stat");
	encode("fh.file", &file);
	encode("fh.dir/fh.sub", &dir);
	encode("fh.gone", &gone);
	encode(".", &root);
	memcpy(&gen, file.buf + 8, sizeof(gen));
	result("export.generation", "%s", gen ? "nonzero" : "zero");

	memset(&conn, 0, sizeof(conn));
	conn.h.handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, "fh.dir/fh.sub/deep", &conn.h, &mnt_id,
			      AT_HANDLE_CONNECTABLE)) {
		int e = errno;

		/* a kernel without AT_HANDLE_CONNECTABLE: deep's + fh.sub's */
		connectable = false;
		result("export.encode-connectable", "errno=%s", ename(e));
		encode("fh.dir/fh.sub/deep", &conn);
		if (conn.h.handle_bytes != 12 || dir.h.handle_bytes != 12)
			die("handle sizes");
		memcpy(conn.buf + 12, dir.buf, 12);
		conn.h.handle_bytes = 24;
		conn.h.handle_type = 0x82;
	} else {
		result("export.encode-connectable", "ok bytes=%u type=0x%x",
		       conn.h.handle_bytes, conn.h.handle_type);
	}
	if (unlink("fh.gone"))
		die("unlink fh.gone");

	/* leave the mount: only mount_fd (the root, never forgotten) stays */
	if (chdir("/"))
		die("chdir /");
	exp_read_stats(&c0);
	drop_caches_n(2, 50);
	exp_read_stats(&c1);
	result("export.setup", "forgets=%s", c1.forget > c0.forget ? "yes" : "no");

	exp_open("export.file", true, &file, O_RDONLY, &fst, CONTENT, false);
	exp_open("export.dir", true, &dir, O_RDONLY | O_DIRECTORY, &dst, NULL,
		 true);
	exp_open("export.connectable", true, &conn, O_RDONLY, &cst, CONTENT,
		 connectable);
	if (connectable && conn.h.handle_bytes >= 24) {
		bad = conn;
		bad.buf[20] ^= 0x5a;
		exp_open("export.bad-parent", true, &bad, O_RDONLY, &cst,
			 CONTENT, true);
	} else {
		result("export.bad-parent", "not-run (no AT_HANDLE_CONNECTABLE)");
	}
	/*
	 * The refusals after one drop: none of them leaves in the caches an
	 * object that a later one asks for (the two damaged generations are
	 * of different objects, and the others bring in nothing).
	 */
	exp_open("export.deleted", true, &gone, O_RDONLY, &gst, CONTENT, false);
	bad = file;
	memset(bad.buf, 0x7e, 4);
	exp_open("export.nodeid", false, &bad, O_RDONLY, &fst, CONTENT, false);
	bad = file;
	bad.buf[8] ^= 0x5a;
	exp_open("export.generation-file", false, &bad, O_RDONLY, &fst,
		 CONTENT, false);
	bad = dir;
	bad.buf[8] ^= 0x5a;
	exp_open("export.generation-dir", false, &bad, O_RDONLY | O_DIRECTORY,
		 &dst, NULL, false);
	/* the root is never forgotten: no drop, no LOOKUP */
	exp_open("export.root", false, &root, O_RDONLY | O_DIRECTORY, &rst,
		 NULL, true);

	if (fchdir(mount_fd))
		die("fchdir");
	unlink("fh.file");
	unlink("fh.dir/fh.sub/deep");
	rmdir("fh.dir/fh.sub");
	rmdir("fh.dir");
}

int main(int argc, char **argv)
{
	bool export = argc > 1 && !strcmp(argv[1], "export");

	if (argc < 3 || (strcmp(argv[1], "rw") && strcmp(argv[1], "ro") &&
			 strcmp(argv[1], "fid") && !export) ||
	    (export && argc != 5) ||
	    (!export && strcmp(argv[1], "rw") && argc != 4)) {
		fprintf(stderr, "usage: fhandle rw MNT | fhandle ro|fid MNT NAME | fhandle export MNT STATS PID\n");
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
	else if (export) {
		exp_stats = argv[3];
		exp_pid = atoi(argv[4]);
		run_export(argv[2]);
	}
	else
		run_fid(argv[3]);
	printf("fhandle: done\n");
	return 0;
}
