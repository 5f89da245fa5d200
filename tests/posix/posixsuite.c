// SPDX-License-Identifier: GPL-2.0
/*
 * posixsuite: POSIX filesystem behaviour, printed so that two mounts can
 * be compared with diff.
 *
 *   posixsuite [-g GROUP] [-u UID:GID] [-N FILES] DIR
 *
 * -N FILES is the size of the dir group's big directory (10000).
 *
 * Every group runs in a forked child inside a fresh DIR/ps.GROUP, which
 * the parent removes afterwards (reported as the check GROUP.cleanup).
 * Each check prints one line "GROUP.CHECK: RESULT", where RESULT is "ok",
 * "errno=ENAME" or values.  Nothing that legitimately differs between two
 * mounts is printed: no inode or device numbers, no absolute times (only
 * relations such as "mtime advanced: yes"), no paths outside DIR.  The
 * last line is "posixsuite: N checks".
 *
 * -u UID:GID is needed by the perms group: it is set up as root, then its
 * child drops to UID:GID (setgroups(0), setgid, setuid) for the checks.
 * Without -u that group is skipped with a note.
 *
 * Exit status: 0 whatever the checks found, 2 for bad arguments or a DIR
 * that cannot be used.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		(1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT		(1 << 2)
#endif

#define KIB		1024
#define MIB		(1024 * 1024)
#define GROUP_TIMEOUT	900	/* seconds a group may run before it is killed */
#define CONC_SECONDS	3
#define CONC_TIMEOUT	30
#define NFILES		10000	/* default of -N */

static long nfiles = NFILES;

#define STR_(x)		#x
#define STR(x)		STR_(x)

/* ------------------------------------------------------------------ */
/* output                                                             */

struct shared {
	unsigned long checks;		/* counted across forked groups */
};

static struct shared *shm;
static const char *cur_group = "main";
static int have_user;
static uid_t user_uid;
static gid_t user_gid;

static void count_check(void)
{
	__atomic_add_fetch(&shm->checks, 1, __ATOMIC_RELAXED);
}

static void report(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(const char *name, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("%s.%s: %s\n", cur_group, name, buf);
	count_check();
}

#define ERRNAME(x)	{ x, #x }
static const struct {
	int num;
	const char *name;
} errnames[] = {
	ERRNAME(EPERM), ERRNAME(ENOENT), ERRNAME(ESRCH), ERRNAME(EINTR),
	ERRNAME(EIO), ERRNAME(ENXIO), ERRNAME(E2BIG), ERRNAME(ENOEXEC),
	ERRNAME(EBADF), ERRNAME(ECHILD), ERRNAME(EAGAIN), ERRNAME(ENOMEM),
	ERRNAME(EACCES), ERRNAME(EFAULT), ERRNAME(EBUSY), ERRNAME(EEXIST),
	ERRNAME(EXDEV), ERRNAME(ENODEV), ERRNAME(ENOTDIR), ERRNAME(EISDIR),
	ERRNAME(EINVAL), ERRNAME(ENFILE), ERRNAME(EMFILE), ERRNAME(ENOTTY),
	ERRNAME(ETXTBSY), ERRNAME(EFBIG), ERRNAME(ENOSPC), ERRNAME(ESPIPE),
	ERRNAME(EROFS), ERRNAME(EMLINK), ERRNAME(EPIPE), ERRNAME(ERANGE),
	ERRNAME(EDEADLK), ERRNAME(ENAMETOOLONG), ERRNAME(ENOLCK),
	ERRNAME(ENOSYS), ERRNAME(ENOTEMPTY), ERRNAME(ELOOP),
	ERRNAME(ENODATA), ERRNAME(EOVERFLOW), ERRNAME(EOPNOTSUPP),
	ERRNAME(ENOTCONN), ERRNAME(ECONNABORTED), ERRNAME(ESTALE),
	ERRNAME(EDQUOT), ERRNAME(ECANCELED), ERRNAME(EBADMSG),
	ERRNAME(EPROTO), ERRNAME(EUCLEAN), ERRNAME(ENOTBLK),
	ERRNAME(EMSGSIZE), ERRNAME(ETIMEDOUT), ERRNAME(ENOKEY),
};

static const char *errname(int err)
{
	static char unknown[32];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == err)
			return errnames[i].name;
	snprintf(unknown, sizeof(unknown), "%d", err);
	return unknown;
}

/* Small strings for composing one line from several results. */
static char *scratch(void)
{
	static char ring[16][512];
	static unsigned int next;

	return ring[next++ % 16];
}

static const char *yesno(int v)
{
	return v ? "yes" : "no";
}

/* A syscall's result as 0.. or -errno. */
static long e(long r)
{
	return r < 0 ? -errno : r;
}

/* "ok" for r >= 0, else "errno=ENAME". */
static const char *rcs(long r)
{
	char *s;

	if (r >= 0)
		return "ok";
	s = scratch();
	snprintf(s, 512, "errno=%s", errname((int)-r));
	return s;
}

static void report_rc(const char *name, long r)
{
	report(name, "%s", rcs(r));
}

static const char *ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:	return "reg";
	case S_IFDIR:	return "dir";
	case S_IFLNK:	return "lnk";
	case S_IFCHR:	return "chr";
	case S_IFBLK:	return "blk";
	case S_IFIFO:	return "fifo";
	case S_IFSOCK:	return "sock";
	}
	return "unknown";
}

/* What a stat shows that two mounts of one server must agree on. */
static const char *stat_str(const struct stat *st)
{
	char *s = scratch();
	int n;

	n = snprintf(s, 512, "type=%s mode=0%o nlink=%lu", ftype(st->st_mode),
		     (unsigned int)st->st_mode, (unsigned long)st->st_nlink);
	if (!S_ISDIR(st->st_mode))	/* directory sizes are the fs's own */
		n += snprintf(s + n, 512 - n, " size=%lld",
			      (long long)st->st_size);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		n += snprintf(s + n, 512 - n, " rdev=%u:%u",
			      major(st->st_rdev), minor(st->st_rdev));
	snprintf(s + n, 512 - n, " uid=%u gid=%u",
		 (unsigned int)st->st_uid, (unsigned int)st->st_gid);
	return s;
}

static const char *desc(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return rcs(-errno);
	return stat_str(&st);
}

static const char *ldesc(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return rcs(-errno);
	return stat_str(&st);
}

static const char *fdesc(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return rcs(-errno);
	return stat_str(&st);
}

/* "0100644" or "errno=E" */
static const char *mode_of(const char *path)
{
	struct stat st;
	char *s;

	if (lstat(path, &st) < 0)
		return rcs(-errno);
	s = scratch();
	snprintf(s, 512, "0%o", (unsigned int)st.st_mode);
	return s;
}

static long size_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return st.st_size;
}

static const char *size_str(const char *path)
{
	long r = size_of(path);
	char *s;

	if (r < 0)
		return rcs(r);
	s = scratch();
	snprintf(s, 512, "%ld", r);
	return s;
}

static const char *nlink_str(const char *path)
{
	struct stat st;
	char *s;

	if (lstat(path, &st) < 0)
		return rcs(-errno);
	s = scratch();
	snprintf(s, 512, "%lu", (unsigned long)st.st_nlink);
	return s;
}

/* ------------------------------------------------------------------ */
/* file helpers                                                       */

static long write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static long pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, off);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Read up to len bytes at off; returns the count (short only at EOF). */
static long pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, p + got, len - got, off + got);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static long put_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static long put_str(const char *path, const char *s)
{
	return put_file(path, s, strlen(s));
}

static long read_file(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	long r;

	if (fd < 0)
		return -errno;
	r = pread_full(fd, buf, len, 0);
	close(fd);
	return r;
}

/* A small file's content, made printable, or "errno=E". */
static const char *content(const char *path)
{
	char buf[200];
	char *s;
	long n, i;

	n = read_file(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return rcs(n);
	s = scratch();
	for (i = 0; i < n; i++)
		s[i] = (buf[i] >= 32 && buf[i] < 127) ? buf[i] : '.';
	s[n] = 0;
	return s;
}

static const char *fd_content(int fd)
{
	char buf[200];
	char *s;
	long n, i;

	n = pread_full(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return rcs(n);
	s = scratch();
	for (i = 0; i < n; i++)
		s[i] = (buf[i] >= 32 && buf[i] < 127) ? buf[i] : '.';
	s[n] = 0;
	return s;
}

/* open + close: 0 or -errno */
static long try_open(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags, mode);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Deterministic content: byte at file position pos for a given salt. */
static unsigned char pat_byte(uint64_t pos, uint32_t salt)
{
	uint64_t x = pos * 0x9e3779b97f4a7c15ULL + salt;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (unsigned char)x;
}

static void pat_fill(void *buf, size_t len, uint64_t pos, uint32_t salt)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat_byte(pos + i, salt);
}

#define FNV_INIT	0xcbf29ce484222325ULL

static uint64_t fnv(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* FNV-1a of a file's bytes [off, off+len); -errno, or 0 with *sum set. */
static long fd_sum(int fd, off_t off, size_t len, uint64_t *sum)
{
	static char buf[128 * KIB + 7];
	uint64_t h = FNV_INIT;
	size_t chunk;
	long n;

	while (len) {
		chunk = len < sizeof(buf) ? len : sizeof(buf);
		n = pread_full(fd, buf, chunk, off);
		if (n < 0)
			return n;
		h = fnv(h, buf, n);
		if ((size_t)n < chunk)
			break;
		off += n;
		len -= n;
	}
	*sum = h;
	return 0;
}

/* Fresh file of len pattern bytes. */
static long put_pattern(const char *path, size_t len, uint32_t salt)
{
	char *buf = malloc(len ? len : 1);
	long r;

	if (!buf)
		return -ENOMEM;
	pat_fill(buf, len, 0, salt);
	r = put_file(path, buf, len);
	free(buf);
	return r;
}

static int ts_ge(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* A timestamp within 10 s of time(). */
static int ts_recent(const struct timespec *ts)
{
	time_t now = time(NULL);

	return ts->tv_sec >= now - 10 && ts->tv_sec <= now + 10;
}

static long old_times_rc;	/* of the last set_old_times() */

/* Set atime and mtime to a fixed old value. */
static long set_old_times(const char *path)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	old_times_rc = e(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
	return old_times_rc;
}

/* After set_old_times: "yes" if mtime moved to about now. */
static const char *mtime_advanced(const char *path)
{
	struct stat st;
	char *s;

	if (old_times_rc < 0) {
		s = scratch();
		snprintf(s, 512, "unknown (setting old times: %s)",
			 rcs(old_times_rc));
		return s;
	}
	if (lstat(path, &st) < 0)
		return rcs(-errno);
	return yesno(st.st_mtim.tv_sec > 1000000000 && ts_recent(&st.st_mtim));
}

/*
 * ctime checks: wait a few clock ticks so that the coarse clock read now
 * is later than the file's current ctime, then any update made by the
 * operation that follows sets a ctime at or after that reading.
 */
static struct timespec ctime_mark(void)
{
	struct timespec ts;

	usleep(30 * 1000);
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts;
}

static const char *ctime_since(const char *path, const struct timespec *mark)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return rcs(-errno);
	return yesno(ts_ge(&st.st_ctim, mark));
}

/* access(2) as 0 or -errno, in one call (safe inside argument lists) */
static long acc(const char *path, int mode)
{
	return e(access(path, mode));
}

static long do_renameat2(const char *from, const char *to, unsigned int flags)
{
	return e(syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags));
}

/*
 * In a forked helper: die when the parent does, so that a group killed
 * on timeout, or a posixsuite killed by the harness, leaves no process.
 */
static void die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
}

/* fork + execve path; 0 if it ran and exited 0, else -errno of execve. */
static long try_exec(const char *path)
{
	char *argv[] = { (char *)path, NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(errno & 0xff);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st))
		return -EINTR;
	return -WEXITSTATUS(st);
}

/* Remove path and everything below it; 0 or the first -errno. */
static long rm_tree_at(int dfd, const char *name);

static long rm_dir_entries(int fd)
{
	struct dirent *de;
	long r, err = 0;
	int dup_fd;
	DIR *d;

	dup_fd = dup(fd);
	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = rm_tree_at(fd, de->d_name);
		if (r < 0 && r != -ENOENT && !err)
			err = r;
	}
	closedir(d);
	return err;
}

static long rm_tree_at(int dfd, const char *name)
{
	struct stat st;
	long r = 0;
	int fd, pass;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return e(unlinkat(dfd, name, 0));
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* entries may appear late (a FUSE server's hidden files): retry */
	for (pass = 0; pass < 3; pass++) {
		r = rm_dir_entries(fd);
		if (unlinkat(dfd, name, AT_REMOVEDIR) == 0) {
			r = 0;
			break;
		}
		if (r == 0)
			r = -errno;
		if (errno != ENOTEMPTY)
			break;
		usleep(100 * 1000);
	}
	close(fd);
	return r;
}

static long rm_tree(const char *path)
{
	return rm_tree_at(AT_FDCWD, path);
}

/* ------------------------------------------------------------------ */
/* create/open                                                        */

static void create_excl(void)
{
	long r;

	report_rc("excl_new", try_open("new", O_CREAT | O_EXCL | O_WRONLY, 0644));
	report_rc("excl_existing_eexist",
		  try_open("new", O_CREAT | O_EXCL | O_WRONLY, 0644));
	report("excl_new_stat", "%s", desc("new"));
	mkdir("d", 0755);
	report_rc("excl_on_dir_eexist",
		  try_open("d", O_CREAT | O_EXCL | O_RDONLY, 0644));
	symlink("nowhere", "dangling");
	report_rc("excl_on_dangling_symlink_eexist",
		  try_open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0644));
	r = try_open("dangling", O_CREAT | O_WRONLY, 0644);
	report("creat_through_dangling_symlink", "%s target=%s", rcs(r),
	       ldesc("nowhere"));
}

static void create_trunc(void)
{
	long r;
	int fd;

	put_str("data", "0123456789");
	r = try_open("data", O_CREAT | O_WRONLY, 0644);
	report("creat_existing_keeps_data", "%s size=%s", rcs(r),
	       size_str("data"));
	fd = open("data", O_WRONLY | O_TRUNC);
	if (fd < 0) {
		report_rc("trunc", -errno);
	} else {
		report("trunc", "ok fstat: %s", fdesc(fd));
		close(fd);
	}
	put_str("data2", "0123456789");
	r = try_open("data2", O_RDONLY | O_TRUNC, 0);
	report("trunc_rdonly", "%s size=%s", rcs(r), size_str("data2"));
	put_str("data3", "0123456789");
	r = try_open("data3", O_CREAT | O_TRUNC | O_WRONLY, 0600);
	report("creat_trunc_existing", "%s %s", rcs(r), desc("data3"));
}

static void create_dir_errors(void)
{
	mkdir("dir", 0755);
	report_rc("open_dir_rdonly", try_open("dir", O_RDONLY, 0));
	report_rc("open_dir_wronly_eisdir", try_open("dir", O_WRONLY, 0));
	report_rc("open_dir_rdwr_eisdir", try_open("dir", O_RDWR, 0));
	report_rc("open_dir_creat_eisdir",
		  try_open("dir", O_CREAT | O_WRONLY, 0644));
	put_str("file", "x");
	report_rc("odirectory_on_file_enotdir",
		  try_open("file", O_RDONLY | O_DIRECTORY, 0));
	report_rc("odirectory_on_dir", try_open("dir", O_RDONLY | O_DIRECTORY, 0));
	report_rc("file_in_path_enotdir", try_open("file/x", O_RDONLY, 0));
	report_rc("creat_file_in_path_enotdir",
		  try_open("file/x", O_CREAT | O_WRONLY, 0644));
	report_rc("trailing_slash_on_file_enotdir", try_open("file/", O_RDONLY, 0));
	report_rc("enoent", try_open("missing", O_RDONLY, 0));
	report_rc("enoent_parent", try_open("nodir/x", O_CREAT | O_WRONLY, 0644));
	report_rc("creat_trailing_slash_eisdir",
		  try_open("newfile/", O_CREAT | O_WRONLY, 0644));
}

static void create_names(void)
{
	char name[1100], path[4300];
	size_t i;
	long r;

	memset(name, 'n', 255);
	name[255] = 0;
	r = try_open(name, O_CREAT | O_WRONLY, 0644);
	report("name_255", "%s stat=%s", rcs(r), rcs(acc(name, F_OK)));
	unlink(name);
	memset(name, 'm', 256);
	name[256] = 0;
	report_rc("name_256_enametoolong", try_open(name, O_CREAT | O_WRONLY, 0644));
	report_rc("name_256_lookup_enametoolong", e(access(name, F_OK)));
	memset(name, 'l', 1025);
	name[1025] = 0;
	report_rc("name_1025_lookup_enametoolong", e(access(name, F_OK)));
	report_rc("name_1025_mkdir_enametoolong", e(mkdir(name, 0755)));

	/* a long relative path of "./" components to an existing file */
	put_str("x", "x");
	for (i = 0; i < 2047; i++)
		memcpy(path + 2 * i, "./", 2);
	strcpy(path + 2 * i, "x");		/* 4095 bytes */
	report_rc("path_4095_ok", try_open(path, O_RDONLY, 0));
	for (i = 0; i < 2100; i++)
		memcpy(path + 2 * i, "./", 2);
	strcpy(path + 2 * i, "x");		/* 4201 bytes */
	report_rc("path_over_path_max_enametoolong", try_open(path, O_RDONLY, 0));
}

static void create_modes(void)
{
	long r;
	int fd;

	fd = creat("c777", 0777);
	report("creat_0777_umask022", "%s", fd < 0 ? rcs(-errno) : fdesc(fd));
	if (fd >= 0)
		close(fd);
	fd = creat("c666", 0666);
	report("creat_0666_umask022", "%s", fd < 0 ? rcs(-errno) : fdesc(fd));
	if (fd >= 0)
		close(fd);
	fd = open("c7777", O_CREAT | O_EXCL | O_WRONLY, 07777);
	report("creat_07777_umask022", "%s", fd < 0 ? rcs(-errno) : fdesc(fd));
	if (fd >= 0)
		close(fd);
	fd = open("c000", O_CREAT | O_EXCL | O_RDWR, 0);
	if (fd < 0) {
		report_rc("creat_0000_rdwr_fd_usable", -errno);
		return;
	}
	r = e(write(fd, "ab", 2));
	report("creat_0000_rdwr_fd_usable", "write=%s %s", rcs(r), fdesc(fd));
	close(fd);
}

static void create_append(void)
{
	long r;
	int fd;

	put_str("app", "hello");
	fd = open("app", O_WRONLY | O_APPEND);
	if (fd < 0) {
		report_rc("append_goes_to_end", -errno);
		return;
	}
	lseek(fd, 0, SEEK_SET);
	r = e(write(fd, " world", 6));
	report("append_goes_to_end", "write=%s offset=%ld content=%s", rcs(r),
	       (long)lseek(fd, 0, SEEK_CUR), content("app"));
	close(fd);
}

static void create_special(void)
{
	long r;
	int fd;

	r = e(mknod("fifo", S_IFIFO | 0644, 0));
	report("mknod_fifo", "%s %s", rcs(r), ldesc("fifo"));
	r = e(mknod("chr", S_IFCHR | 0600, makedev(1, 3)));
	report("mknod_chr", "%s %s", rcs(r), ldesc("chr"));
	r = e(mknod("reg", S_IFREG | 0640, 0));
	report("mknod_reg", "%s %s", rcs(r), ldesc("reg"));
	fd = open(".", O_TMPFILE | O_RDWR, 0600);
	if (fd < 0) {
		report_rc("o_tmpfile", -errno);
		return;
	}
	r = e(write(fd, "tmp", 3));
	report("o_tmpfile", "ok write=%s %s", rcs(r), fdesc(fd));
	close(fd);
}

static void grp_create(void)
{
	create_excl();
	create_trunc();
	create_dir_errors();
	create_names();
	create_modes();
	create_append();
	create_special();
}

/* ------------------------------------------------------------------ */
/* mkdir/rmdir                                                        */

static void mkdir_basic(void)
{
	report_rc("mkdir", e(mkdir("d", 0755)));
	report("mkdir_stat", "%s", ldesc("d"));
	report_rc("exists_eexist", e(mkdir("d", 0755)));
	put_str("f", "f");
	report_rc("over_file_eexist", e(mkdir("f", 0755)));
	symlink("nowhere", "dangling");
	report_rc("over_dangling_symlink_eexist", e(mkdir("dangling", 0755)));
	report_rc("enoent_parent", e(mkdir("nodir/x", 0755)));
	report_rc("enotdir_parent", e(mkdir("f/x", 0755)));
	report_rc("trailing_slash", e(mkdir("t/", 0755)));
	report_rc("mode_0777_umask022", e(mkdir("m777", 0777)));
	report("mode_0777_umask022_mode", "%s", mode_of("m777"));
	mkdir("m1777", 01777);
	report("mode_01777", "%s", mode_of("m1777"));
	mkdir("m7777", 07777);
	report("mode_07777", "%s", mode_of("m7777"));
}

static void mkdir_sgid(void)
{
	long r;

	mkdir("g", 0755);
	r = e(chown("g", 0, 1234));
	if (r == 0)
		r = e(chmod("g", 02755));
	report("sgid_parent", "%s %s", rcs(r), ldesc("g"));
	r = e(mkdir("g/sub", 0755));
	report("sgid_inherited_by_subdir", "%s %s", rcs(r), ldesc("g/sub"));
	r = put_str("g/file", "x");
	report("sgid_gid_inherited_by_file", "%s %s", rcs(r), ldesc("g/file"));
}

static void mkdir_rmdir(void)
{
	long r;
	int cwd;

	mkdir("full", 0755);
	put_str("full/f", "x");
	report_rc("rmdir_nonempty_enotempty", e(rmdir("full")));
	put_str("file", "x");
	report_rc("rmdir_file_enotdir", e(rmdir("file")));
	report_rc("rmdir_dot_einval", e(rmdir(".")));
	report_rc("rmdir_dir_dot_einval", e(rmdir("full/.")));
	report_rc("rmdir_dotdot", e(rmdir("full/..")));
	report_rc("rmdir_missing_enoent", e(rmdir("missing")));
	mkdir("empty", 0755);
	r = e(rmdir("empty"));
	report("rmdir_empty", "%s then=%s", rcs(r), ldesc("empty"));
	mkdir("slash", 0755);
	report_rc("rmdir_trailing_slash", e(rmdir("slash/")));
	mkdir("target", 0755);
	symlink("target", "dirlink");
	report_rc("rmdir_symlink_to_dir_enotdir", e(rmdir("dirlink")));
	report_rc("rmdir_symlink_slash", e(rmdir("dirlink/")));

	mkdir("cw", 0755);
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	if (cwd < 0 || chdir("cw") < 0) {
		report_rc("rmdir_cwd", -errno);
		return;
	}
	r = e(rmdir("../cw"));
	report("rmdir_cwd", "%s create_in_removed_cwd=%s", rcs(r),
	       rcs(try_open("x", O_CREAT | O_WRONLY, 0644)));
	if (fchdir(cwd) < 0)
		_exit(1);
	close(cwd);
}

static void mkdir_nlink(void)
{
	const char *n0, *n1, *n3, *nf, *nr;

	mkdir("nl", 0755);
	n0 = nlink_str("nl");
	mkdir("nl/a", 0755);
	n1 = nlink_str("nl");
	mkdir("nl/b", 0755);
	mkdir("nl/c", 0755);
	n3 = nlink_str("nl");
	put_str("nl/file", "x");
	nf = nlink_str("nl");
	rmdir("nl/b");
	nr = nlink_str("nl");
	report("nlink", "empty=%s one_subdir=%s three_subdirs=%s with_file=%s after_rmdir=%s",
	       n0, n1, n3, nf, nr);
	report("nlink_subdir", "%s", nlink_str("nl/a"));
}

static void mkdir_times(void)
{
	struct timespec mark;

	mkdir("tp", 0755);
	set_old_times("tp");
	mark = ctime_mark();
	mkdir("tp/sub", 0755);
	report("parent_mtime_after_mkdir", "mtime advanced: %s ctime updated: %s",
	       mtime_advanced("tp"), ctime_since("tp", &mark));
	set_old_times("tp");
	mark = ctime_mark();
	rmdir("tp/sub");
	report("parent_mtime_after_rmdir", "mtime advanced: %s ctime updated: %s",
	       mtime_advanced("tp"), ctime_since("tp", &mark));
}

static void grp_mkdir(void)
{
	mkdir_basic();
	mkdir_sgid();
	mkdir_rmdir();
	mkdir_nlink();
	mkdir_times();
}

/* ------------------------------------------------------------------ */
/* unlink/link/symlink/readlink                                       */

static const char *readlink_str(const char *path, size_t size)
{
	char buf[4200];
	char *s;
	ssize_t n;

	if (size > sizeof(buf))
		size = sizeof(buf);
	n = readlink(path, buf, size);
	if (n < 0)
		return rcs(-errno);
	s = scratch();
	snprintf(s, 512, "len=%zd target=%.*s", n, (int)(n < 200 ? n : 200), buf);
	return s;
}

/* A symlink with a long target round trips: "len=N match=yes". */
static void link_long_target(const char *name, const char *check, size_t len)
{
	char *target = malloc(len + 1), *back = malloc(len + 16);
	struct stat st;
	ssize_t n;
	size_t i;
	long r;

	if (!target || !back)
		_exit(1);
	for (i = 0; i < len; i++)
		target[i] = (i % 50 == 49) ? '/' : 'a' + i % 26;
	target[len] = 0;
	r = e(symlink(target, name));
	if (r < 0) {
		report_rc(check, r);
	} else if ((n = readlink(name, back, len + 16)) < 0) {
		report(check, "ok readlink=%s", rcs(-errno));
	} else {
		r = e(lstat(name, &st));
		report(check, "ok len=%zd match=%s lstat_size=%lld", n,
		       yesno(n == (ssize_t)len && !memcmp(target, back, len)),
		       r < 0 ? -1LL : (long long)st.st_size);
	}
	free(target);
	free(back);
}

static void link_unlink(void)
{
	long r;

	put_str("u", "x");
	r = e(unlink("u"));
	report("unlink", "%s then=%s", rcs(r), ldesc("u"));
	report_rc("unlink_missing_enoent", e(unlink("u")));
	mkdir("d", 0755);
	report_rc("unlink_dir", e(unlink("d")));
	put_str("f", "x");
	report_rc("unlink_trailing_slash_enotdir", e(unlink("f/")));
	report_rc("unlink_through_file_enotdir", e(unlink("f/x")));
}

static void link_hard(void)
{
	long r;
	int fd;

	put_str("a", "linkdata");
	r = e(link("a", "b"));
	report("link", "%s", rcs(r));
	report("link_nlink", "a=%s b=%s", nlink_str("a"), nlink_str("b"));
	report("link_content", "a=%s b=%s", content("a"), content("b"));
	content("a");		/* cache a's pages, then change them via b */
	fd = open("b", O_WRONLY);
	r = fd < 0 ? -errno : pwrite_all(fd, "LINKDATA", 8, 0);
	if (fd >= 0)
		close(fd);
	report("link_write_via_other_name", "%s a=%s", rcs(r), content("a"));
	report_rc("link_existing_eexist", e(link("a", "b")));
	mkdir("dir", 0755);
	report_rc("link_dir_eperm", e(link("dir", "dir2")));
	report_rc("link_missing_enoent", e(link("missing", "m2")));
	report_rc("link_into_missing_dir_enoent", e(link("a", "nodir/a")));
	report_rc("link_into_dir", e(link("a", "dir/a")));
	report("link_nlink_three", "a=%s", nlink_str("a"));
	r = e(unlink("b"));
	report("unlink_one_name", "%s a=%s nlink=%s", rcs(r), content("a"),
	       nlink_str("a"));
}

static void link_symlink(void)
{
	long r;

	r = e(symlink("some/target", "s"));
	report("symlink", "%s %s", rcs(r), ldesc("s"));
	report("readlink", "%s", readlink_str("s", 4096));
	report("readlink_short_buffer", "%s", readlink_str("s", 4));
	put_str("file", "filedata");
	mkdir("dir", 0755);
	report("readlink_file_einval", "%s", readlink_str("file", 4096));
	report("readlink_dir_einval", "%s", readlink_str("dir", 4096));
	report("readlink_missing_enoent", "%s", readlink_str("missing", 4096));
	report_rc("symlink_existing_eexist", e(symlink("x", "file")));
	report_rc("symlink_empty_target_enoent", e(symlink("", "empty")));
	report("dangling", "stat=%s lstat=%s", desc("s"), ldesc("s"));

	symlink("file", "tofile");
	report("follow_to_file", "stat=%s content=%s", desc("tofile"),
	       content("tofile"));
	symlink("dir", "todir");
	put_str("dir/inner", "inner");
	report("follow_dir_in_path", "%s", content("todir/inner"));
	report_rc("o_nofollow_eloop", try_open("tofile", O_RDONLY | O_NOFOLLOW, 0));
	report_rc("o_path_nofollow", try_open("tofile", O_PATH | O_NOFOLLOW, 0));

	symlink("l2", "l1");
	symlink("l1", "l2");
	symlink("self", "self");
	report_rc("loop_stat_eloop", e(access("l1", F_OK)));
	report_rc("loop_open_creat_eloop", try_open("l1", O_CREAT | O_WRONLY, 0644));
	report_rc("self_loop_eloop", e(access("self", F_OK)));
	report("loop_lstat", "%s", ldesc("l1"));

	r = e(link("tofile", "tofile2"));
	report("link_to_symlink", "%s %s", rcs(r), ldesc("tofile2"));
	r = e(unlink("tofile"));
	report("unlink_symlink_keeps_target", "%s target=%s", rcs(r),
	       content("file"));
}

static void grp_link(void)
{
	link_unlink();
	link_hard();
	link_symlink();
	link_long_target("long1000", "symlink_target_1000", 1000);
	link_long_target("long4095", "symlink_target_4095", 4095);
	link_long_target("long4096", "symlink_target_4096_enametoolong", 4096);
}

/* ------------------------------------------------------------------ */
/* rename                                                             */

static void rename_files(void)
{
	long r;

	put_str("a", "AAA");
	put_str("b", "BBBBB");
	r = e(rename("a", "b"));
	report("file_over_file", "%s a=%s b=%s %s", rcs(r), ldesc("a"),
	       content("b"), ldesc("b"));
	put_str("s", "self");
	r = e(rename("s", "s"));
	report("self", "%s content=%s", rcs(r), content("s"));
	put_str("h1", "hard");
	link("h1", "h2");
	r = e(rename("h1", "h2"));
	report("onto_own_hardlink", "%s h1=%s h2=%s nlink=%s", rcs(r),
	       content("h1"), content("h2"), nlink_str("h2"));
	report_rc("missing_source_enoent", e(rename("missing", "x")));
	report_rc("into_missing_dir_enoent", e(rename("s", "nodir/s")));
	report_rc("into_file_path_enotdir", e(rename("s", "b/s")));
	mkdir("other", 0755);
	r = e(rename("s", "other/s"));
	report("across_dirs", "%s old=%s new=%s", rcs(r), ldesc("s"),
	       content("other/s"));
	symlink("b", "sl");
	r = e(rename("sl", "sl2"));
	report("symlink", "%s %s", rcs(r), readlink_str("sl2", 100));
	report_rc("dot_source", e(rename(".", "dotx")));
	report_rc("dotdot_target", e(rename("b", "other/..")));
}

static void rename_dirs(void)
{
	struct stat a, b;
	long r;

	put_str("f", "f");
	mkdir("d", 0755);
	report_rc("file_over_dir_eisdir", e(rename("f", "d")));
	report_rc("dir_over_file_enotdir", e(rename("d", "f")));
	mkdir("src", 0755);
	put_str("src/child", "child");
	mkdir("empty", 0755);
	r = e(rename("src", "empty"));
	report("dir_over_empty_dir", "%s src=%s child=%s", rcs(r), ldesc("src"),
	       content("empty/child"));
	mkdir("full", 0755);
	put_str("full/x", "x");
	report_rc("dir_over_nonempty_dir", e(rename("empty", "full")));
	mkdir("p", 0755);
	mkdir("p/sub", 0755);
	report_rc("dir_into_own_subdir_einval", e(rename("p", "p/sub/p")));
	report_rc("dir_onto_own_child_einval", e(rename("p", "p/sub")));

	mkdir("n1", 0755);
	mkdir("n2", 0755);
	mkdir("n1/mv", 0755);
	r = e(rename("n1/mv", "n2/mv"));
	report("dir_across_dirs", "%s nlink old_parent=%s new_parent=%s", rcs(r),
	       nlink_str("n1"), nlink_str("n2"));
	r = 0;
	if (stat("n2/mv/..", &a) < 0 || stat("n2", &b) < 0)
		r = -errno;
	report("dir_across_dirs_dotdot", "%s is_new_parent=%s", rcs(r),
	       yesno(r == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev));
}

static void rename_flags(void)
{
	long r;

	put_str("x", "X1");
	put_str("y", "Y1");
	report_rc("noreplace_existing_eexist", do_renameat2("x", "y", RENAME_NOREPLACE));
	report("noreplace_existing_state", "x=%s y=%s", content("x"), content("y"));
	r = do_renameat2("x", "z", RENAME_NOREPLACE);
	report("noreplace_new", "%s x=%s z=%s", rcs(r), ldesc("x"), content("z"));

	put_str("ef", "XX");
	mkdir("ed", 0755);
	put_str("ed/inner", "inner");
	r = do_renameat2("ef", "ed", RENAME_EXCHANGE);
	report("exchange_file_dir", "%s ef=%s ed=%s", rcs(r), ldesc("ef"),
	       ldesc("ed"));
	report("exchange_file_dir_content", "ef/inner=%s ed=%s",
	       content("ef/inner"), content("ed"));
	put_str("xp", "PP");
	put_str("xq", "QQQ");
	r = do_renameat2("xp", "xq", RENAME_EXCHANGE);
	report("exchange_files", "%s xp=%s xq=%s", rcs(r), content("xp"), content("xq"));
	report_rc("exchange_missing_enoent",
		  do_renameat2("xp", "missing", RENAME_EXCHANGE));
	report_rc("exchange_noreplace_einval",
		  do_renameat2("xp", "xq", RENAME_EXCHANGE | RENAME_NOREPLACE));
	report_rc("unknown_flag_einval", do_renameat2("xp", "xq", 1 << 7));

	put_str("w", "W");
	r = do_renameat2("w", "w2", RENAME_WHITEOUT);
	report("whiteout", "%s w=%s w2=%s", rcs(r), ldesc("w"), ldesc("w2"));
}

static void rename_open_files(void)
{
	struct timespec mark;
	long r;
	int fd;

	put_str("o", "open");
	fd = open("o", O_RDWR);
	r = e(rename("o", "o2"));
	if (fd >= 0)
		pwrite_all(fd, "OPEN", 4, 0);
	report("open_file_moved", "%s o2=%s", rcs(r), content("o2"));
	if (fd >= 0)
		close(fd);

	put_str("t", "old target");
	put_str("n", "new");
	fd = open("t", O_RDONLY);
	r = e(rename("n", "t"));
	report("over_open_file", "%s via_fd=%s t=%s", rcs(r),
	       fd < 0 ? rcs(-errno) : fd_content(fd), content("t"));
	if (fd >= 0)
		close(fd);

	put_str("c", "ctime");
	mark = ctime_mark();
	r = e(rename("c", "c2"));
	report("ctime_of_moved_file", "%s ctime updated: %s", rcs(r),
	       ctime_since("c2", &mark));
}

static void grp_rename(void)
{
	rename_files();
	rename_dirs();
	rename_flags();
	rename_open_files();
}

/* ------------------------------------------------------------------ */
/* attributes                                                         */

/*
 * A timestamp as printed: exact when it is one of the old values the
 * checks set (before 2017), "now" when within 10 s of time(), else
 * "other" -- never a real absolute time.
 */
static void time_fmt(char *buf, size_t size, const struct timespec *ts)
{
	if (ts->tv_sec < 1500000000)
		snprintf(buf, size, "%lld.%09ld", (long long)ts->tv_sec, ts->tv_nsec);
	else
		snprintf(buf, size, "%s", ts_recent(ts) ? "now" : "other");
}

static const char *times_str(const char *path, int flags)
{
	char at[32], mt[32];
	struct stat st;
	char *s;

	if (fstatat(AT_FDCWD, path, &st, flags) < 0)
		return rcs(-errno);
	time_fmt(at, sizeof(at), &st.st_atim);
	time_fmt(mt, sizeof(mt), &st.st_mtim);
	s = scratch();
	snprintf(s, 512, "atime=%s mtime=%s", at, mt);
	return s;
}

/* "yes" if atime and mtime are both within 10 s of now */
static const char *times_now(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return rcs(-errno);
	return yesno(ts_recent(&st.st_atim) && ts_recent(&st.st_mtim));
}

static void attrs_chmod(void)
{
	struct timespec mark;
	long r;
	int fd;

	put_str("f", "x");
	mark = ctime_mark();
	r = e(chmod("f", 0640));
	report("chmod_0640", "%s mode=%s ctime updated: %s", rcs(r), mode_of("f"),
	       ctime_since("f", &mark));
	r = e(chmod("f", 07777));
	report("chmod_07777", "%s mode=%s", rcs(r), mode_of("f"));
	fd = open("f", O_RDONLY);
	r = fd < 0 ? -errno : e(fchmod(fd, 0600));
	report("fchmod_0600", "%s mode=%s", rcs(r), mode_of("f"));
	if (fd >= 0)
		close(fd);
	symlink("f", "sl");
	r = e(chmod("sl", 0604));
	report("chmod_follows_symlink", "%s target=%s", rcs(r), mode_of("f"));
	mkdir("d", 0755);
	r = e(chmod("d", 01777));
	report("chmod_dir_sticky", "%s mode=%s", rcs(r), mode_of("d"));
}

static void attrs_chown(void)
{
	long r;

	put_str("o", "x");
	r = e(chown("o", 1234, 5678));
	report("chown", "%s %s", rcs(r), ldesc("o"));
	r = e(chown("o", -1, -1));
	report("chown_minus_one_keeps", "%s %s", rcs(r), ldesc("o"));
	r = e(chown("o", -1, 42));
	report("chown_gid_only", "%s %s", rcs(r), ldesc("o"));
	symlink("o", "ol");
	r = e(lchown("ol", 4321, 8765));
	report("lchown_symlink", "%s link=%s target=%s", rcs(r), ldesc("ol"),
	       ldesc("o"));
	put_str("su", "#!/bin/sh\n");
	chmod("su", 06755);
	r = e(chown("su", 1234, -1));
	report("chown_clears_suid", "%s mode=%s", rcs(r), mode_of("su"));
	put_str("sg", "x");
	chmod("sg", 02745);
	r = e(chown("sg", 1234, -1));
	report("chown_keeps_sgid_without_group_exec", "%s mode=%s", rcs(r),
	       mode_of("sg"));
}

static void attrs_utimens(void)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 500000000 } };
	long r;
	int fd;

	put_str("t", "x");
	r = e(utimensat(AT_FDCWD, "t", ts, 0));
	report("utimens_explicit", "%s %s", rcs(r), times_str("t", 0));
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1300000000;
	ts[1].tv_nsec = 250000000;
	r = e(utimensat(AT_FDCWD, "t", ts, 0));
	report("utime_omit_atime", "%s %s", rcs(r), times_str("t", 0));
	ts[0].tv_sec = 1100000000;
	ts[0].tv_nsec = 7;
	ts[1].tv_nsec = UTIME_OMIT;
	r = e(utimensat(AT_FDCWD, "t", ts, 0));
	report("utime_omit_mtime", "%s %s", rcs(r), times_str("t", 0));
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_nsec = UTIME_NOW;
	r = e(utimensat(AT_FDCWD, "t", ts, 0));
	report("utime_now", "%s now within 10s of time(): %s", rcs(r), times_now("t"));
	set_old_times("t");
	r = e(utimensat(AT_FDCWD, "t", NULL, 0));
	report("utime_null", "%s now within 10s of time(): %s", rcs(r), times_now("t"));
	set_old_times("t");
	fd = open("t", O_RDONLY);
	r = fd < 0 ? -errno : e(futimens(fd, NULL));
	report("futimens_null", "%s now within 10s of time(): %s", rcs(r),
	       times_now("t"));
	if (fd >= 0)
		close(fd);

	set_old_times("t");
	symlink("t", "tl");
	ts[0].tv_sec = 1000000001;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 1000000002;
	ts[1].tv_nsec = 0;
	r = e(utimensat(AT_FDCWD, "tl", ts, AT_SYMLINK_NOFOLLOW));
	report("utimens_symlink_nofollow", "%s link=%s target=%s", rcs(r),
	       r < 0 ? "-" : times_str("tl", AT_SYMLINK_NOFOLLOW),
	       times_str("t", 0));
}

static void attrs_mtime(void)
{
	struct timespec mark;
	long r;
	int fd;

	put_str("m", "0123456789");
	set_old_times("m");
	mark = ctime_mark();
	fd = open("m", O_WRONLY);
	r = fd < 0 ? -errno : pwrite_all(fd, "ab", 2, 3);
	report("mtime_after_write", "%s mtime advanced: %s ctime updated: %s",
	       rcs(r), mtime_advanced("m"), ctime_since("m", &mark));
	if (fd >= 0)
		close(fd);
	set_old_times("m");
	mark = ctime_mark();
	r = e(truncate("m", 4));
	report("mtime_after_truncate", "%s mtime advanced: %s ctime updated: %s",
	       rcs(r), mtime_advanced("m"), ctime_since("m", &mark));
	set_old_times("m");
	r = try_open("m", O_WRONLY | O_TRUNC, 0);
	report("mtime_after_o_trunc", "%s mtime advanced: %s", rcs(r),
	       mtime_advanced("m"));
	mark = ctime_mark();
	r = e(link("m", "m2"));
	report("ctime_after_link", "%s ctime updated: %s", rcs(r),
	       ctime_since("m", &mark));
	mark = ctime_mark();
	r = e(unlink("m2"));
	report("ctime_after_unlink_of_other_name", "%s ctime updated: %s", rcs(r),
	       ctime_since("m", &mark));
}

static void attrs_truncate(void)
{
	char buf[10000];
	long r, n;
	int fd;

	put_str("tr", "0123456789");
	r = e(truncate("tr", 10000));
	n = read_file("tr", buf, sizeof(buf));
	report("truncate_grow", "%s size=%s read=%ld head=%s tail zeros=%s", rcs(r),
	       size_str("tr"), n, yesno(n >= 10 && !memcmp(buf, "0123456789", 10)),
	       yesno(n == 10000 && all_zero(buf + 10, 9990)));
	r = e(truncate("tr", 5));
	report("truncate_shrink", "%s size=%s content=%s", rcs(r), size_str("tr"),
	       content("tr"));
	r = e(truncate("tr", 8));
	report("truncate_regrow_zeros", "%s content=%s", rcs(r), content("tr"));
	fd = open("tr", O_RDONLY);
	r = fd < 0 ? -errno : e(ftruncate(fd, 2));
	report("ftruncate_rdonly", "%s size=%s", rcs(r), size_str("tr"));
	if (fd >= 0)
		close(fd);
	fd = open("tr", O_RDWR);
	r = fd < 0 ? -errno : e(ftruncate(fd, 3));
	report("ftruncate", "%s size=%s content=%s", rcs(r), size_str("tr"),
	       content("tr"));
	if (fd >= 0)
		close(fd);
	report_rc("truncate_negative_einval", e(truncate("tr", -1)));
	mkdir("d", 0755);
	report_rc("truncate_dir_eisdir", e(truncate("d", 0)));
	report_rc("truncate_missing_enoent", e(truncate("missing", 0)));
}

static void attrs_misc(void)
{
	struct stat st;
	char *buf;
	long r;
	int fd;

	put_str("su", "data");
	chmod("su", 06755);
	fd = open("su", O_WRONLY | O_APPEND);
	r = fd < 0 ? -errno : write_all(fd, "more", 4);
	if (fd >= 0)
		close(fd);
	report("suid_after_write_by_root", "%s mode=%s", rcs(r), mode_of("su"));
	r = e(truncate("su", 1));
	report("suid_after_truncate_by_root", "%s mode=%s", rcs(r), mode_of("su"));

	buf = malloc(MIB);
	if (!buf)
		_exit(1);
	pat_fill(buf, MIB, 0, 1);
	r = put_file("big", buf, MIB);
	free(buf);
	if (r == 0)
		r = e(stat("big", &st));
	report("blocks_after_1mib", "%s size=%lld blocks>0: %s", rcs(r),
	       r ? 0LL : (long long)st.st_size, yesno(r == 0 && st.st_blocks > 0));

	put_str("noexec", "#!/bin/sh\nexit 0\n");
	chmod("noexec", 0644);
	report_rc("exec_0644_as_root_eacces", try_exec("./noexec"));
	report("access_as_root", "0644: R=%s W=%s X=%s",
	       rcs(acc("noexec", R_OK)), rcs(acc("noexec", W_OK)),
	       rcs(acc("noexec", X_OK)));
	chmod("noexec", 0);
	report("access_as_root_mode_0", "R=%s W=%s X=%s",
	       rcs(acc("noexec", R_OK)), rcs(acc("noexec", W_OK)),
	       rcs(acc("noexec", X_OK)));
	report_rc("access_missing_enoent", e(access("missing", F_OK)));
}

static void grp_attrs(void)
{
	attrs_chmod();
	attrs_chown();
	attrs_utimens();
	attrs_mtime();
	attrs_truncate();
	attrs_misc();
}

/* ------------------------------------------------------------------ */
/* data                                                               */

static const char *seek_str(int fd, off_t off, int whence)
{
	off_t r = lseek(fd, off, whence);
	char *s;

	if (r < 0)
		return rcs(-errno);
	s = scratch();
	snprintf(s, 512, "%lld", (long long)r);
	return s;
}

/* a count, or "errno=E" */
static const char *nrs(long r)
{
	char *s;

	if (r < 0)
		return rcs(r);
	s = scratch();
	snprintf(s, 512, "%ld", r);
	return s;
}

/* "yes" if fd holds the bytes of str at off */
static const char *bytes_at(int fd, off_t off, const char *str)
{
	size_t len = strlen(str);
	char buf[256];
	long n;

	n = pread_full(fd, buf, len, off);
	if (n < 0)
		return rcs(n);
	return yesno(n == (long)len && !memcmp(buf, str, len));
}

static const char *fsize_str(int fd)
{
	struct stat st;
	char *s;

	if (fstat(fd, &st) < 0)
		return rcs(-errno);
	s = scratch();
	snprintf(s, 512, "%lld", (long long)st.st_size);
	return s;
}

/* "yes" if bytes [off, off+len) of fd are all zero */
static const char *zeros_at(int fd, off_t off, size_t len)
{
	char *buf = malloc(len);
	long n;
	int z;

	if (!buf)
		_exit(1);
	n = pread_full(fd, buf, len, off);
	z = n == (long)len && all_zero(buf, len);
	free(buf);
	return n < 0 ? rcs(n) : yesno(z);
}

/* "yes" if bytes [off, off+len) of fd hold the pattern */
static const char *pattern_at(int fd, off_t off, size_t len, uint32_t salt)
{
	unsigned char *buf = malloc(len);
	long n;
	size_t i;
	int ok;

	if (!buf)
		_exit(1);
	n = pread_full(fd, buf, len, off);
	ok = n == (long)len;
	for (i = 0; ok && i < len; i++)
		ok = buf[i] == pat_byte(off + i, salt);
	free(buf);
	return n < 0 ? rcs(n) : yesno(ok);
}

static void data_offsets(void)
{
	static const long offs[] = { 0, 4095, 4096, MIB + 3 };
	char name[32], out[16];
	size_t i;
	long r;
	int fd;

	fd = open("rw", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		report_rc("rw_open", -errno);
		return;
	}
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		pat_fill(out, sizeof(out), offs[i], 7);
		r = pwrite_all(fd, out, sizeof(out), offs[i]);
		snprintf(name, sizeof(name), "rw_at_%ld", offs[i]);
		report(name, "write=%s match=%s size=%s", rcs(r),
		       pattern_at(fd, offs[i], sizeof(out), 7), fsize_str(fd));
	}
	report("rw_gaps_read_zeros", "%s %s", zeros_at(fd, 16, 4095 - 16),
	       zeros_at(fd, 4096 + 16, MIB + 3 - 4096 - 16));
	close(fd);
	fd = open("rw", O_RDONLY);
	report("rw_reopen", "%s", fd < 0 ? rcs(-errno) :
	       pattern_at(fd, MIB + 3, 16, 7));
	if (fd >= 0)
		close(fd);
}

static void data_pread_pwrite(void)
{
	char buf[200];
	long r, n;
	int fd;

	fd = open("pp", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		report_rc("pp_open", -errno);
		return;
	}
	write_all(fd, "abc", 3);
	r = e(pwrite(fd, "XYZ", 3, 100));
	report("pwrite_keeps_offset", "pwrite=%s offset=%s size=%s", nrs(r),
	       seek_str(fd, 0, SEEK_CUR), fsize_str(fd));
	memset(buf, '#', sizeof(buf));
	n = e(pread(fd, buf, 10, 98));
	report("pread_across_hole", "read=%s zeros=%s data=%s offset=%s", nrs(n),
	       yesno(n >= 2 && all_zero(buf, 2)),
	       yesno(n == 5 && !memcmp(buf + 2, "XYZ", 3)), seek_str(fd, 0, SEEK_CUR));
	report("pread_at_eof", "read=%s", nrs(e(pread(fd, buf, 10, 103))));
	report("pread_past_eof", "read=%s", nrs(e(pread(fd, buf, 10, 5000))));
	report("pread_short_at_end", "read=%s", nrs(e(pread(fd, buf, 100, 101))));
	report("lseek_end", "%s", seek_str(fd, 0, SEEK_END));
	report("lseek_negative_einval", "%s", seek_str(fd, -5, SEEK_SET));
	lseek(fd, 100, SEEK_SET);
	n = e(read(fd, buf, 3));
	report("read_after_lseek", "read=%s data=%s", nrs(n),
	       yesno(n == 3 && !memcmp(buf, "XYZ", 3)));
	report("write_zero_len", "%s", nrs(e(write(fd, buf, 0))));
	report_rc("pwrite_negative_offset_einval", e(pwrite(fd, "x", 1, -1)));
	report_rc("pwrite_offset_overflow_einval",
		  e(pwrite(fd, "xy", 2, 0x7fffffffffffffffLL)));
	close(fd);
	fd = open("pp", O_RDONLY);
	report_rc("write_on_rdonly_ebadf", fd < 0 ? -errno : e(write(fd, "x", 1)));
	close(fd);
	fd = open("pp", O_WRONLY);
	report_rc("read_on_wronly_ebadf", fd < 0 ? -errno : e(read(fd, buf, 1)));
	close(fd);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	report_rc("read_on_dir_eisdir", fd < 0 ? -errno : e(read(fd, buf, 1)));
	close(fd);
}

static void data_sparse(void)
{
	char buf[4096];
	struct stat st;
	long r;
	int fd;

	fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		report_rc("sparse_open", -errno);
		return;
	}
	pat_fill(buf, sizeof(buf), MIB, 3);
	r = pwrite_all(fd, buf, sizeof(buf), MIB);
	report("sparse_write", "%s size=%s", rcs(r), fsize_str(fd));
	report("seek_data_hole",
	       "data_from_0=%s hole_from_0=%s hole_from_data=%s data_at_eof=%s hole_past_eof=%s",
	       seek_str(fd, 0, SEEK_DATA), seek_str(fd, 0, SEEK_HOLE),
	       seek_str(fd, MIB, SEEK_HOLE), seek_str(fd, MIB + 4096, SEEK_DATA),
	       seek_str(fd, MIB + 8192, SEEK_HOLE));
	report("sparse_hole_reads_zeros", "%s", zeros_at(fd, 0, MIB));
	report("sparse_data_intact", "%s", pattern_at(fd, MIB, 4096, 3));
	r = e(fstat(fd, &st));
	report("sparse_allocated_less_than_size", "%s",
	       r < 0 ? rcs(r) : yesno(st.st_blocks * 512 < st.st_size));
	close(fd);
}

static void data_append(void)
{
	long r1, r2, r3, r4;
	int a, b;

	put_str("ap", "");
	a = open("ap", O_WRONLY | O_APPEND);
	b = open("ap", O_WRONLY | O_APPEND);
	if (a < 0 || b < 0) {
		report_rc("append_two_fds", -errno);
		return;
	}
	r1 = write_all(a, "A", 1);
	r2 = write_all(b, "BB", 2);
	r3 = write_all(a, "CCC", 3);
	report("append_two_fds", "%s %s %s content=%s offsets=%s,%s", rcs(r1),
	       rcs(r2), rcs(r3), content("ap"), seek_str(a, 0, SEEK_CUR),
	       seek_str(b, 0, SEEK_CUR));
	r4 = e(pwrite(a, "Z", 1, 0));
	report("append_pwrite_appends", "%s content=%s", rcs(r4), content("ap"));
	close(a);
	close(b);
}

static void data_big(void)
{
	static const size_t chunks[] = { 4093, 65537, 1, 777, 131071, 12289, 3 };
	const size_t total = 10 * MIB, rchunk = 100003;
	uint64_t hw = FNV_INIT, hr = FNV_INIT;
	size_t off = 0, len, i = 0;
	char *buf;
	long r = 0, n;
	int fd;

	buf = malloc(131071 + rchunk);
	fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!buf || fd < 0) {
		report_rc("big_10mib_odd_chunks", -errno);
		return;
	}
	while (off < total && r == 0) {
		len = chunks[i++ % 7];
		if (len > total - off)
			len = total - off;
		pat_fill(buf, len, off, 99);
		hw = fnv(hw, buf, len);
		r = write_all(fd, buf, len);
		off += len;
	}
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, rchunk)) > 0)
		hr = fnv(hr, buf, n);
	if (n < 0 && r == 0)
		r = -errno;
	report("big_10mib_odd_chunks", "%s size=%s fnv=%016llx match=%s", rcs(r),
	       fsize_str(fd), (unsigned long long)hw, yesno(hw == hr));
	close(fd);
	free(buf);
}

static void data_mmap_shared(void)
{
	const char *other;
	char *p;
	long r;
	int fd, fd2;

	fd = open("map", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 8192) < 0) {
		report_rc("mmap_shared_write", -errno);
		return;
	}
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		report_rc("mmap_shared_write", -errno);
		close(fd);
		return;
	}
	memcpy(p + 100, "shared-one", 10);
	memcpy(p + 5000, "shared-two", 10);
	r = e(msync(p, 8192, MS_SYNC));
	fd2 = open("map", O_RDONLY);
	other = fd2 < 0 ? rcs(-errno) : bytes_at(fd2, 100, "shared-one");
	report("mmap_shared_write", "msync=%s read() sees it: %s other fd: %s size=%s",
	       rcs(r), bytes_at(fd, 5000, "shared-two"), other, fsize_str(fd));
	if (fd2 >= 0)
		close(fd2);
	r = pwrite_all(fd, "fresh", 5, 200);
	report("mmap_sees_pwrite", "%s %s", rcs(r), yesno(!memcmp(p + 200, "fresh", 5)));
	munmap(p, 8192);
	close(fd);
}

static void data_mmap_private(void)
{
	char buf[8];
	char *p;
	int fd;

	fd = open("map", O_RDWR);
	if (fd < 0) {
		report_rc("mmap_private_write", -errno);
		return;
	}
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		report_rc("mmap_private_write", -errno);
		close(fd);
		return;
	}
	memcpy(p + 300, "private", 7);
	pread_full(fd, buf, 7, 300);
	report("mmap_private_write", "mapping sees it: %s read() sees it: %s",
	       yesno(!memcmp(p + 300, "private", 7)),
	       yesno(!memcmp(buf, "private", 7)));
	munmap(p, 8192);
	close(fd);
}

static void data_sync(void)
{
	int fd, dfd;

	fd = open("sync", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write_all(fd, "sync", 4);
	report_rc("fsync", e(fsync(fd)));
	report_rc("fdatasync", e(fdatasync(fd)));
	report_rc("syncfs", e(syncfs(fd)));
	close(fd);
	fd = open("sync", O_RDONLY);
	report_rc("fsync_rdonly_fd", e(fsync(fd)));
	close(fd);
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	report_rc("fsync_dir", e(fsync(dfd)));
	close(dfd);
}

static void data_fallocate(void)
{
	char buf[65536];
	struct stat st;
	long r;
	int fd;

	fd = open("fa", O_RDWR | O_CREAT | O_TRUNC, 0644);
	r = e(fallocate(fd, 0, 0, 65536));
	fstat(fd, &st);
	report("fallocate_mode0", "%s size=%lld blocks>0: %s", rcs(r),
	       (long long)st.st_size, yesno(st.st_blocks > 0));
	r = e(fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
	report("fallocate_keep_size", "%s size=%s", rcs(r), fsize_str(fd));
	pat_fill(buf, sizeof(buf), 0, 11);
	pwrite_all(fd, buf, sizeof(buf), 0);
	r = e(fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 4096, 8192));
	report("fallocate_punch_hole", "%s size=%s zeros=%s before intact=%s after intact=%s",
	       rcs(r), fsize_str(fd), zeros_at(fd, 4096, 8192),
	       pattern_at(fd, 0, 4096, 11), pattern_at(fd, 12288, 65536 - 12288, 11));
	report_rc("fallocate_punch_without_keep_size",
		  e(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096)));
	report_rc("fallocate_zero_len_einval", e(fallocate(fd, 0, 0, 0)));
	close(fd);
	fd = open("fa", O_RDONLY);
	report_rc("fallocate_rdonly_ebadf", e(fallocate(fd, 0, 0, 4096)));
	close(fd);
}

/* expected FNV of pattern bytes [off, off+len) */
static uint64_t pattern_sum(off_t off, size_t len, uint32_t salt)
{
	unsigned char b;
	uint64_t h = FNV_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		b = pat_byte(off + i, salt);
		h = fnv(h, &b, 1);
	}
	return h;
}

static void data_copy(void)
{
	loff_t in_off = 1000, out_off = 0;
	off_t sf_off = 2000;
	uint64_t sum = 0;
	long total = 0, n, r;
	int in, out;

	put_pattern("src", 100000, 5);
	in = open("src", O_RDONLY);
	out = open("cfr", O_RDWR | O_CREAT | O_TRUNC, 0644);
	while (total < 50000) {
		n = copy_file_range(in, &in_off, out, &out_off, 50000 - total, 0);
		if (n <= 0)
			break;
		total += n;
	}
	r = n < 0 ? -errno : fd_sum(out, 0, 50000, &sum);
	report("copy_file_range", "%s bytes=%ld size=%s fnv=%016llx match=%s",
	       rcs(r), total, fsize_str(out), (unsigned long long)sum,
	       yesno(sum == pattern_sum(1000, 50000, 5)));
	in_off = 200000;
	report("copy_file_range_past_eof", "%s",
	       nrs(e(copy_file_range(in, &in_off, out, &out_off, 100, 0))));
	close(out);

	out = open("sf", O_RDWR | O_CREAT | O_TRUNC, 0644);
	total = 0;
	while (total < 70000) {
		n = sendfile(out, in, &sf_off, 70000 - total);
		if (n <= 0)
			break;
		total += n;
	}
	r = n < 0 ? -errno : fd_sum(out, 0, 70000, &sum);
	report("sendfile", "%s bytes=%ld size=%s fnv=%016llx match=%s offset=%lld",
	       rcs(r), total, fsize_str(out), (unsigned long long)sum,
	       yesno(sum == pattern_sum(2000, 70000, 5)), (long long)sf_off);
	close(out);
	close(in);
}

static void data_far(void)
{
	const off_t tib = 1LL << 40;
	long r;
	int fd;

	fd = open("far", O_RDWR | O_CREAT | O_TRUNC, 0644);
	r = pwrite_all(fd, "far", 3, tib);
	report("pwrite_at_1tib", "%s size=%s zeros before=%s data=%s", rcs(r),
	       fsize_str(fd), zeros_at(fd, tib - 4096, 4096), bytes_at(fd, tib, "far"));
	r = e(ftruncate(fd, 0));
	report("truncate_1tib_to_0", "%s size=%s", rcs(r), fsize_str(fd));
	close(fd);
}

static void grp_data(void)
{
	data_offsets();
	data_pread_pwrite();
	data_sparse();
	data_append();
	data_big();
	data_mmap_shared();
	data_mmap_private();
	data_sync();
	data_fallocate();
	data_copy();
	data_far();
}

/* ------------------------------------------------------------------ */
/* directory listing                                                  */

struct listing {
	char **names;		/* without "." and ".." */
	size_t n, cap;
	size_t dots, reg, unknown, other;
	uint64_t sum;		/* FNV of the sorted names, '\n' after each */
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static void listing_add(struct listing *l, const struct dirent *de)
{
	if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
		l->dots++;
		return;
	}
	if (de->d_type == DT_REG)
		l->reg++;
	else if (de->d_type == DT_UNKNOWN)
		l->unknown++;
	else
		l->other++;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->names = realloc(l->names, l->cap * sizeof(*l->names));
		if (!l->names)
			_exit(1);
	}
	l->names[l->n] = strdup(de->d_name);
	if (!l->names[l->n])
		_exit(1);
	l->n++;
}

static void listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

/* Read a whole directory with opendir/readdir; 0 or -errno. */
static long list_dir(const char *path, struct listing *l)
{
	struct dirent *de;
	size_t i;
	long r = 0;
	DIR *d;

	memset(l, 0, sizeof(*l));
	d = opendir(path);
	if (!d)
		return -errno;
	errno = 0;
	while ((de = readdir(d)))
		listing_add(l, de);
	if (errno)
		r = -errno;
	closedir(d);
	qsort(l->names, l->n, sizeof(*l->names), cmp_names);
	l->sum = FNV_INIT;
	for (i = 0; i < l->n; i++) {
		l->sum = fnv(l->sum, l->names[i], strlen(l->names[i]));
		l->sum = fnv(l->sum, "\n", 1);
	}
	return r;
}

static long make_files(const char *fmt, int count)
{
	char name[64];
	long r = 0;
	int i, fd;

	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), fmt, i);
		fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0) {
			if (!r)
				r = -errno;
			continue;
		}
		close(fd);
	}
	return r;
}

/* The listing is exactly the names fmt gives for 0..count-1. */
static int listing_is(const struct listing *l, const char *fmt, int count)
{
	char name[64];
	int i;

	if (l->n != (size_t)count)
		return 0;
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), fmt, i);
		if (strcmp(name, l->names[i]))
			return 0;
	}
	return 1;
}

static void dir_many(void)
{
	struct listing l;
	char name[64];
	long r, deleted = 0, err = 0;
	size_t i;

	mkdir("many", 0755);
	r = make_files("many/f%05d", nfiles);
	report("many_create", "%s", rcs(r));
	r = list_dir("many", &l);
	report("many_readdir", "%s count=%zu fnv=%016llx dots=%zu names as created: %s",
	       rcs(r), l.n, (unsigned long long)l.sum, l.dots,
	       yesno(listing_is(&l, "f%05d", nfiles)));
	report("many_readdir_dtypes", "reg=%zu unknown=%zu other=%zu",
	       l.reg, l.unknown, l.other);
	for (i = 0; i < l.n; i++) {
		snprintf(name, sizeof(name), "many/%s", l.names[i]);
		if (unlink(name) == 0)
			deleted++;
		else if (!err)
			err = -errno;
	}
	report("many_unlink", "%s deleted=%ld", rcs(err), deleted);
	listing_free(&l);
	r = list_dir("many", &l);
	report("many_after_unlink", "%s count=%zu dots=%zu", rcs(r), l.n, l.dots);
	listing_free(&l);
	report_rc("many_rmdir", e(rmdir("many")));
}

static void dir_unlink_while_reading(void)
{
	struct listing l;
	struct dirent *de;
	char name[64];
	long r;
	int idx;
	DIR *d;

	mkdir("ru", 0755);
	r = make_files("ru/r%04d", 2000);
	d = opendir("ru");
	if (r < 0 || !d) {
		report_rc("readdir_while_unlinking", r < 0 ? r : -errno);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
		/* and one that readdir has not reached yet, probably */
		if (sscanf(de->d_name, "r%d", &idx) == 1) {
			snprintf(name, sizeof(name), "r%04d", 1999 - idx);
			unlinkat(dirfd(d), name, 0);
		}
	}
	closedir(d);
	report("readdir_while_unlinking", "done");
	r = list_dir("ru", &l);
	report("readdir_while_unlinking_left", "%s count=%zu", rcs(r), l.n);
	listing_free(&l);
}

/* seekdir back to recorded positions, in a scrambled order */
static void dir_seek(void)
{
	static const int picks[] = { 250, 0, 137, 501, 1, 420, 42, 499 };
	static char names[600][NAME_MAX + 1];
	static long pos[600];
	struct dirent *de;
	int n = 0, matched = 0, checked = 0, k, end_ok;
	long endpos;
	size_t i;
	DIR *d;

	mkdir("td", 0755);
	make_files("td/t%03d", 500);
	d = opendir("td");
	if (!d) {
		report_rc("telldir_seekdir", -errno);
		return;
	}
	for (;;) {
		pos[n] = telldir(d);
		de = readdir(d);
		if (!de || n >= 599)
			break;
		snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	}
	endpos = telldir(d);
	for (i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		k = picks[i];
		if (k >= n)
			continue;
		checked++;
		seekdir(d, pos[k]);
		de = readdir(d);
		if (!de || strcmp(de->d_name, names[k]))
			continue;
		de = readdir(d);
		if (k + 1 < n ? de && !strcmp(de->d_name, names[k + 1]) : !de)
			matched++;
	}
	seekdir(d, endpos);
	end_ok = readdir(d) == NULL;
	report("telldir_seekdir", "entries=%d checked=%d matched=%d end=%s",
	       n, checked, matched, yesno(end_ok));
	rewinddir(d);
	for (n = 0; readdir(d); n++)
		;
	report("rewinddir", "entries=%d", n);
	closedir(d);
}

static void dir_misc(void)
{
	struct listing l;
	struct dirent *de;
	struct stat st;
	int n, before, ino_ok = 1, seen = 0, err;
	long r;
	DIR *d;

	mkdir("empty", 0755);
	r = list_dir("empty", &l);
	report("empty_dir", "%s entries=%zu dots=%zu", rcs(r), l.n, l.dots);
	listing_free(&l);

	mkdir("gone", 0755);
	d = opendir("gone");
	r = e(rmdir("gone"));
	errno = 0;
	for (n = 0; d && readdir(d); n++)
		;
	err = errno;
	report("readdir_after_rmdir", "rmdir=%s entries=%d errno=%s", rcs(r), n,
	       err ? errname(err) : "0");
	if (d)
		closedir(d);

	mkdir("nw", 0755);
	d = opendir("nw");
	for (before = 0; d && readdir(d); before++)
		;
	put_str("nw/new", "x");
	if (d)
		rewinddir(d);
	for (n = 0; d && readdir(d); n++)
		;
	report("new_entry_after_rewind", "before=%d after=%d", before, n);
	if (d)
		closedir(d);

	d = opendir("td");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_ino != de->d_ino)
			ino_ok = 0;
		seen++;
	}
	if (d)
		closedir(d);
	report("d_ino_matches_stat", "entries=%d match=%s", seen, yesno(ino_ok));
}

static void dir_times(void)
{
	set_old_times("nw");
	put_str("nw/another", "x");
	report("mtime_after_create", "mtime advanced: %s", mtime_advanced("nw"));
	set_old_times("nw");
	unlink("nw/another");
	report("mtime_after_unlink", "mtime advanced: %s", mtime_advanced("nw"));
	set_old_times("nw");
	rename("nw/new", "nw/renamed");
	report("mtime_after_rename_within", "mtime advanced: %s", mtime_advanced("nw"));
	put_str("nw/f", "x");
	set_old_times("nw");
	put_str("nw/f", "changed");
	report("mtime_unchanged_by_file_write", "mtime advanced: %s",
	       mtime_advanced("nw"));
}

static void grp_dir(void)
{
	dir_many();
	dir_unlink_while_reading();
	dir_seek();
	dir_misc();
	dir_times();
}

/* ------------------------------------------------------------------ */
/* extended attributes                                                */

/* getxattr with a buffer of size bytes: "size=N value=..." or errno */
static const char *getx(const char *path, const char *name, size_t size)
{
	char buf[256];
	ssize_t n;
	char *s;

	if (size > sizeof(buf))
		size = sizeof(buf);
	n = getxattr(path, name, size ? buf : NULL, size);
	if (n < 0)
		return rcs(-errno);
	s = scratch();
	if (!size)
		snprintf(s, 512, "size=%zd", n);
	else
		snprintf(s, 512, "size=%zd value=%.*s", n, (int)n, buf);
	return s;
}

/* the user.* names, sorted, comma-separated */
static const char *listx(const char *path)
{
	char buf[4096], *names[64], *p, *s;
	ssize_t n;
	int cnt = 0, i, len = 0;

	n = listxattr(path, buf, sizeof(buf));
	if (n < 0)
		return rcs(-errno);
	for (p = buf; p < buf + n && cnt < 64; p += strlen(p) + 1)
		if (!strncmp(p, "user.", 5))
			names[cnt++] = p;
	qsort(names, cnt, sizeof(names[0]), cmp_names);
	s = scratch();
	s[0] = 0;
	for (i = 0; i < cnt && len < 400; i++)
		len += snprintf(s + len, 512 - len, "%s%s", i ? "," : "", names[i]);
	if (!cnt)
		strcpy(s, "(none)");
	return s;
}

static long setx(const char *path, const char *name, const char *val, int flags)
{
	return e(setxattr(path, name, val, strlen(val), flags));
}

static void xattr_basic(void)
{
	char buf[4096];
	ssize_t n0, n;
	long r;

	put_str("x", "x");
	report_rc("set", setx("x", "user.test", "value1", 0));
	report("get", "%s", getx("x", "user.test", 256));
	report("get_size_query", "%s", getx("x", "user.test", 0));
	report("get_small_buffer_erange", "%s", getx("x", "user.test", 3));
	report("get_missing_enodata", "%s", getx("x", "user.missing", 256));
	setx("x", "user.second", "2", 0);
	report("list", "%s", listx("x"));
	n0 = e(listxattr("x", NULL, 0));
	n = listxattr("x", buf, sizeof(buf));
	report("list_size_query", "%s matches list: %s", rcs(n0),
	       yesno(n0 >= 0 && n0 == n));
	report_rc("list_small_buffer_erange", e(listxattr("x", buf, 1)));
	report_rc("create_existing_eexist",
		  setx("x", "user.test", "other", XATTR_CREATE));
	report_rc("create_new", setx("x", "user.new", "new", XATTR_CREATE));
	report_rc("replace_missing_enodata",
		  setx("x", "user.nothere", "v", XATTR_REPLACE));
	r = setx("x", "user.test", "replaced", XATTR_REPLACE);
	report("replace_existing", "%s %s", rcs(r), getx("x", "user.test", 256));
	r = e(removexattr("x", "user.test"));
	report("remove", "%s then=%s", rcs(r), getx("x", "user.test", 256));
	report_rc("remove_missing_enodata", e(removexattr("x", "user.test")));
	report("list_after_remove", "%s", listx("x"));
	r = setx("x", "user.empty", "", 0);
	report("empty_value", "%s %s", rcs(r), getx("x", "user.empty", 256));
}

static void xattr_more(void)
{
	char name[300], *big;
	size_t size = 65537;
	long r;
	int fd;

	big = malloc(size);
	if (!big)
		_exit(1);
	pat_fill(big, 4000, 0, 21);
	r = e(setxattr("x", "user.large", big, 4000, 0));
	memset(big + 4000, 0, 4000);
	if (r == 0)
		r = e(getxattr("x", "user.large", big + 4000, 4000));
	report("large_value_4000", "%s match=%s", rcs(r),
	       yesno(r == 4000 && !memcmp(big, big + 4000, 4000)));
	memset(big, 'v', size);
	report_rc("value_65537_e2big", e(setxattr("x", "user.huge", big, size, 0)));
	free(big);

	strcpy(name, "user.");
	memset(name + 5, 'n', 250);
	name[255] = 0;
	report_rc("name_255", setx("x", name, "v", 0));
	strcpy(name + 255, "n");
	report_rc("name_256_erange", setx("x", name, "v", 0));
	report_rc("unknown_namespace", setx("x", "foo.bar", "v", 0));
	report_rc("empty_name", setx("x", "", "v", 0));

	mkdir("xd", 0755);
	r = setx("xd", "user.dir", "dv", 0);
	report("on_dir", "%s %s", rcs(r), getx("xd", "user.dir", 256));
	symlink("x", "xl");
	report_rc("on_symlink_eperm", e(lsetxattr("xl", "user.l", "v", 1, 0)));
	report("get_through_symlink", "%s", getx("xl", "user.second", 256));
	report("lget_on_symlink", "%s",
	       rcs(e(lgetxattr("xl", "user.second", name, sizeof(name)))));
	fd = open("x", O_RDONLY);
	r = e(fsetxattr(fd, "user.fd", "viafd", 5, 0));
	report("fset_fget", "%s %s", rcs(r), getx("x", "user.fd", 256));
	close(fd);
}

static void grp_xattr(void)
{
	xattr_basic();
	xattr_more();
}

/* ------------------------------------------------------------------ */
/* permissions, as an unprivileged user                               */

static void perms_file(const char *path, mode_t mode, uid_t uid, gid_t gid,
		       const char *data)
{
	put_str(path, data);
	if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0)
		report_rc("setup", -errno);
}

static long perms_setup(void)
{
	uid_t u = user_uid, other = user_uid + 1;
	gid_t g = user_gid, ogid = user_gid + 1;

	if (mkdir("rootdir", 0755) < 0 || mkdir("sticky", 0777) < 0 ||
	    mkdir("private", 0700) < 0 || mkdir("traverse", 0711) < 0 ||
	    mkdir("open", 0777) < 0 || chmod("sticky", 01777) < 0 ||
	    chmod("open", 0777) < 0)
		return -errno;
	perms_file("rootdir/f", 0644, 0, 0, "f");
	perms_file("secret", 0600, 0, 0, "secret");
	perms_file("mine", 0644, u, g, "mine");
	perms_file("mine_ro", 0444, u, g, "mine_ro");
	perms_file("mine_og", 0644, u, ogid, "mine_og");
	perms_file("rootfile", 0644, 0, 0, "rootfile");
	perms_file("rootfile2", 0644, 0, 0, "rootfile2");
	perms_file("rootfile3", 0644, 0, 0, "rootfile3");
	perms_file("sticky/other", 0666, other, ogid, "other");
	perms_file("sticky/other2", 0666, other, ogid, "other2");
	perms_file("sticky/own", 0644, u, g, "own");
	perms_file("noexec", 0644, 0, 0, "#!/bin/sh\nexit 0\n");
	perms_file("private/f", 0644, 0, 0, "f");
	perms_file("traverse/f", 0644, 0, 0, "f");
	perms_file("suidfile", 06777, 0, 0, "suid");
	return 0;
}

static long drop_privileges(void)
{
	if (setgroups(0, NULL) < 0 || setgid(user_gid) < 0 ||
	    setuid(user_uid) < 0)
		return -errno;
	if (getuid() != user_uid || geteuid() != user_uid || getegid() != user_gid)
		return -EPERM;
	return 0;
}

static const char *access3(const char *path)
{
	char *s = scratch();

	snprintf(s, 512, "R=%s W=%s X=%s", rcs(acc(path, R_OK)),
		 rcs(acc(path, W_OK)), rcs(acc(path, X_OK)));
	return s;
}

/* chdir(path), then back to where we were: 0 or -errno of the chdir */
static long chdir_and_back(const char *path)
{
	int cwd = open(".", O_RDONLY | O_DIRECTORY);
	long r;

	if (cwd < 0)
		return -errno;
	r = e(chdir(path));
	if (r == 0 && fchdir(cwd) < 0)
		_exit(1);
	close(cwd);
	return r;
}

static void perms_namespace(void)
{
	long r;

	report_rc("create_in_root_dir_eacces",
		  try_open("rootdir/new", O_CREAT | O_WRONLY, 0644));
	report_rc("mkdir_in_root_dir_eacces", e(mkdir("rootdir/nd", 0755)));
	report_rc("unlink_in_root_dir_eacces", e(unlink("rootdir/f")));
	report_rc("unlink_sticky_other_eperm", e(unlink("sticky/other")));
	report_rc("rename_sticky_other_eperm",
		  e(rename("sticky/other2", "sticky/renamed")));
	report_rc("unlink_sticky_own", e(unlink("sticky/own")));
	r = put_str("open/byuser", "u");
	report("create_in_0777_dir", "%s %s", rcs(r), ldesc("open/byuser"));
	r = e(mkdir("open/userdir", 0755));
	report("mkdir_in_0777_dir", "%s %s", rcs(r), ldesc("open/userdir"));
	report_rc("link_to_root_file", e(link("rootfile", "open/hl")));
	report_rc("opendir_private_eacces", try_open("private", O_RDONLY, 0));
	report_rc("stat_in_private_eacces", acc("private/f", F_OK));
	report_rc("chdir_private_eacces", chdir_and_back("private"));
	report_rc("stat_in_0711_dir", acc("traverse/f", F_OK));
	report_rc("opendir_0711_eacces", try_open("traverse", O_RDONLY, 0));
}

static void perms_files(void)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	long r;
	int fd;

	report_rc("read_root_0600_eacces", try_open("secret", O_RDONLY, 0));
	report_rc("read_root_0644", try_open("rootfile", O_RDONLY, 0));
	report_rc("write_root_0644_eacces", try_open("rootfile", O_WRONLY, 0));
	report_rc("write_own_0444_eacces", try_open("mine_ro", O_WRONLY, 0));
	report_rc("truncate_root_file_eacces", e(truncate("rootfile", 0)));
	report_rc("chmod_root_file_eperm", e(chmod("rootfile2", 0777)));
	report_rc("chown_own_file_to_root_eperm", e(chown("mine", 0, -1)));
	r = e(chmod("mine", 0600));
	report("chmod_own_file", "%s mode=%s", rcs(r), mode_of("mine"));
	r = e(chmod("mine_og", 02755));
	report("chmod_sgid_not_group_member", "%s mode=%s", rcs(r),
	       mode_of("mine_og"));
	report_rc("utime_now_root_file_eacces",
		  e(utimensat(AT_FDCWD, "rootfile3", NULL, 0)));
	report_rc("utime_explicit_root_file_eperm",
		  e(utimensat(AT_FDCWD, "rootfile3", ts, 0)));
	report_rc("utime_now_own_0444", e(utimensat(AT_FDCWD, "mine_ro", NULL, 0)));
	report_rc("exec_0644_eacces", try_exec("./noexec"));

	fd = open("suidfile", O_WRONLY);
	r = fd < 0 ? -errno : write_all(fd, "x", 1);
	if (fd >= 0)
		close(fd);
	report("write_clears_suid_sgid", "%s mode=%s", rcs(r), mode_of("suidfile"));
}

static void perms_access(void)
{
	report("access_root_0600", "%s", access3("secret"));
	report("access_own_0444", "%s", access3("mine_ro"));
	report("access_root_dir_0755", "%s", access3("rootdir"));
	report("access_root_0644", "%s", access3("noexec"));
	report("access_private_dir_0700", "%s", access3("private"));
}

static void grp_perms(void)
{
	long r;

	r = perms_setup();
	if (r < 0) {
		report_rc("setup", r);
		return;
	}
	r = drop_privileges();
	report_rc("drop_privileges", r);
	if (r < 0)
		return;
	perms_namespace();
	perms_files();
	perms_access();
}

/* ------------------------------------------------------------------ */
/* concurrency: renames against lookups                               */

struct conc {
	int stop;
	long renames, rename_other;	/* successes, errors but ENOENT */
	long found, missing, bad;	/* lookup results */
	int bad_errno;
	mode_t bad_mode;
};

static struct conc *conc;
static pid_t conc_pids[8];
static int conc_n;

static void conc_timeout(int sig)
{
	static const char msg[] = "concurrency.timeout: FAIL (workers still running after "
				  STR(CONC_TIMEOUT) "s)\n";
	int i;

	(void)sig;
	for (i = 0; i < conc_n; i++)
		kill(conc_pids[i], SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	count_check();
	_exit(1);
}

static void conc_renamer(void)
{
	long ok = 0, other = 0;

	while (!__atomic_load_n(&conc->stop, __ATOMIC_RELAXED)) {
		if (rename("a", "b") == 0)
			ok++;
		else if (errno != ENOENT)
			other++;
		if (rename("b", "a") == 0)
			ok++;
		else if (errno != ENOENT)
			other++;
	}
	__atomic_add_fetch(&conc->renames, ok, __ATOMIC_RELAXED);
	__atomic_add_fetch(&conc->rename_other, other, __ATOMIC_RELAXED);
	_exit(0);
}

static void conc_bad(int err, mode_t mode)
{
	__atomic_add_fetch(&conc->bad, 1, __ATOMIC_RELAXED);
	conc->bad_errno = err;
	conc->bad_mode = mode;
}

/* One lookup: stat, and open+read, of a name that may come and go. */
static void conc_lookup(const char *name, long *found, long *missing)
{
	struct stat st;
	char buf[16];
	long n;
	int fd;

	if (lstat(name, &st) < 0) {
		if (errno == ENOENT)
			(*missing)++;
		else
			conc_bad(errno, 0);
	} else if (S_ISREG(st.st_mode) && st.st_size == 7) {
		(*found)++;
	} else {
		conc_bad(0, st.st_mode);
	}
	fd = open(name, O_RDONLY);
	if (fd < 0) {
		if (errno != ENOENT)
			conc_bad(errno, 0);
		return;
	}
	n = pread_full(fd, buf, sizeof(buf), 0);
	if (n != 7 || memcmp(buf, "payload", 7))
		conc_bad(n < 0 ? (int)-n : 0, 0);
	close(fd);
}

static void conc_looker(void)
{
	long found = 0, missing = 0;

	while (!__atomic_load_n(&conc->stop, __ATOMIC_RELAXED)) {
		conc_lookup("a", &found, &missing);
		conc_lookup("b", &found, &missing);
	}
	__atomic_add_fetch(&conc->found, found, __ATOMIC_RELAXED);
	__atomic_add_fetch(&conc->missing, missing, __ATOMIC_RELAXED);
	_exit(0);
}

static void grp_concurrency(void)
{
	int i, st, exited = 0, na, nb;
	pid_t pid, self = getpid();

	conc = mmap(NULL, sizeof(*conc), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (conc == MAP_FAILED) {
		report_rc("setup", -errno);
		return;
	}
	put_str("a", "payload");
	signal(SIGALRM, conc_timeout);
	alarm(CONC_TIMEOUT);
	fflush(stdout);
	for (i = 0; i < 8; i++) {
		pid = fork();
		if (pid == 0) {
			die_with_parent(self);
			if (i < 4)
				conc_renamer();
			conc_looker();
		}
		if (pid > 0)
			conc_pids[conc_n++] = pid;
	}
	sleep(CONC_SECONDS);
	__atomic_store_n(&conc->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < conc_n; i++)
		if (waitpid(conc_pids[i], &st, 0) > 0 && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			exited++;
	alarm(0);
	report("workers", "started=%d exited=%d", conc_n, exited);
	report("renames_done", "%s", yesno(conc->renames > 0));
	report("renames_failed_only_with_enoent", "%s", yesno(conc->rename_other == 0));
	report("lookups_saw_only_enoent_or_regular_file", "%s", yesno(conc->bad == 0));
	if (conc->bad)
		report("lookups_bad_example", "errno=%s mode=0%o",
		       conc->bad_errno ? errname(conc->bad_errno) : "0",
		       (unsigned int)conc->bad_mode);
	report("lookups_found_file", "%s", yesno(conc->found > 0));
	na = acc("a", F_OK) == 0;
	nb = acc("b", F_OK) == 0;
	report("final_one_name", "%s content=%s", yesno(na + nb == 1),
	       content(na ? "a" : "b"));
}

/* ------------------------------------------------------------------ */
/* main                                                               */

static const struct ps_group {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "create",		grp_create },
	{ "mkdir",		grp_mkdir },
	{ "link",		grp_link },
	{ "rename",		grp_rename },
	{ "attrs",		grp_attrs },
	{ "data",		grp_data },
	{ "dir",		grp_dir },
	{ "xattr",		grp_xattr },
	{ "perms",		grp_perms },
	{ "concurrency",	grp_concurrency },
};

#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))

static volatile sig_atomic_t group_timed_out;

static void group_alarm(int sig)
{
	(void)sig;
	group_timed_out = 1;
}

/* Wait for the group's child, killing it after GROUP_TIMEOUT seconds. */
static void wait_group(pid_t pid)
{
	struct sigaction sa;
	int st = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = group_alarm;	/* no SA_RESTART: waitpid returns */
	sigaction(SIGALRM, &sa, NULL);
	group_timed_out = 0;
	alarm(GROUP_TIMEOUT);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return;
		if (group_timed_out) {
			kill(pid, SIGKILL);
			report("timeout", "FAIL (killed after %ds)", GROUP_TIMEOUT);
			group_timed_out = 0;
		}
	}
	alarm(0);
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		report("crashed", "FAIL signal=SIG%s", sigabbrev_np(WTERMSIG(st)));
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		report("exit", "FAIL status=%d", WEXITSTATUS(st));
}

static void run_group(const struct ps_group *g)
{
	pid_t pid, main_pid = getpid();
	struct timespec t0, t1;
	char dir[64];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cur_group = g->name;
	if (!strcmp(g->name, "perms") && !have_user) {
		printf("perms: skipped (needs -u UID:GID)\n");
		return;
	}
	snprintf(dir, sizeof(dir), "ps.%s", g->name);
	rm_tree(dir);			/* left over from an interrupted run */
	if (mkdir(dir, 0755) < 0) {
		report_rc("setup", -errno);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report_rc("fork", -errno);
	} else if (pid == 0) {
		die_with_parent(main_pid);
		if (chdir(dir) < 0) {
			report_rc("chdir", -errno);
			_exit(0);
		}
		g->run();
		fflush(stdout);
		_exit(0);
	} else {
		wait_group(pid);
	}
	report_rc("cleanup", rm_tree(dir));
	/* Timing is not a result (it differs between runs): stderr. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "time: group %s %.1fs\n", g->name,
		(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: posixsuite [-g GROUP] [-u UID:GID] [-N FILES] DIR\ngroups:");
	for (i = 0; i < NGROUPS; i++)
		fprintf(stderr, " %s", groups[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

static int parse_user(const char *arg)
{
	unsigned long u, g;
	char *end;

	errno = 0;
	u = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != ':')
		return -1;
	arg = end + 1;
	g = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || u > 0xfffffffeUL || g > 0xfffffffeUL)
		return -1;
	user_uid = u;
	user_gid = g;
	have_user = 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	size_t i, ran = 0;
	struct stat st;
	int opt;

	while ((opt = getopt(argc, argv, "g:u:N:h")) != -1) {
		switch (opt) {
		case 'g':
			only = optarg;
			break;
		case 'u':
			if (parse_user(optarg) < 0)
				usage();
			break;
		case 'N':
			nfiles = strtol(optarg, NULL, 10);
			if (nfiles < 1 || nfiles > 99999)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (only && !strcmp(only, "perms") && !have_user) {
		fprintf(stderr, "posixsuite: the perms group needs -u UID:GID\n");
		exit(2);
	}
	if (stat(argv[optind], &st) < 0 || !S_ISDIR(st.st_mode) ||
	    chdir(argv[optind]) < 0) {
		fprintf(stderr, "posixsuite: %s: not a usable directory\n",
			argv[optind]);
		exit(2);
	}
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		perror("posixsuite: mmap");
		exit(2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < NGROUPS; i++) {
		if (only && strcmp(only, groups[i].name))
			continue;
		run_group(&groups[i]);
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "posixsuite: unknown group '%s'\n", only);
		usage();
	}
	printf("posixsuite: %lu checks\n", shm->checks);
	return 0;
}
