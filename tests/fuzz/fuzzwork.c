// SPDX-License-Identifier: GPL-2.0
/*
 * fuzzwork: the workload that runs on a fuzzsrv mount (tests/fuzz/fuzzsrv.c)
 * while the server damages replies.  It stats, lists, reads, maps, writes,
 * renames and removes files and xattrs at random for a while, under a
 * timer signal (so requests get interrupted), and counts what each
 * operation returned.  A watchdog process checks that every single
 * system call ends: one that takes longer than the limit is a hang.
 *
 *   fuzzwork [-d SECONDS] [-s SEED] [-t HANG_SECONDS] [-j WORKERS] MOUNTPOINT
 *
 * WORKERS processes (default 2) run at once, on the same names; now and
 * then the watchdog kills one with SIGKILL (wherever it is: waiting for
 * a reply, perhaps) and starts another in its place.
 *
 * Output (stdout), after the run:
 *   fuzzwork: ops N, seconds S
 *   fuzzwork: errno NAME N            (every result, all operations)
 *   fuzzwork: op NAME RESULT N ...    (per operation)
 * and on a hang "fuzzwork: HANG op NAME path PATH for N s" with the
 * stuck process' kernel stack; the exit status is then 3.
 * Data read back that differs from the known contents is counted as the
 * result "mismatch" (damaged READ replies make that expected).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "testlib.h"

#define NR_RESULTS	140	/* errno values, then the extra results */
#define R_OK_		0
#define R_SIGBUS	136
#define R_MISMATCH	137
#define R_SHORT		138
#define BIG_SIZE	300000

enum op {
	OP_STAT, OP_LSTAT, OP_READDIR, OP_READ, OP_READLINK, OP_GETXATTR,
	OP_LISTXATTR, OP_SETXATTR, OP_REMOVEXATTR, OP_CREATE, OP_WRITE,
	OP_TRUNCATE, OP_RENAME, OP_UNLINK, OP_RMDIR, OP_MKDIR, OP_SYMLINK,
	OP_LINK, OP_MMAP_READ, OP_MMAP_WRITE, OP_STATFS, OP_CHMOD, OP_UTIMES,
	OP_FSYNC, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"stat", "lstat", "readdir", "read", "readlink", "getxattr",
	"listxattr", "setxattr", "removexattr", "create", "write",
	"truncate", "rename", "unlink", "rmdir", "mkdir", "symlink",
	"link", "mmap-read", "mmap-write", "statfs", "chmod", "utimes",
	"fsync",
};

#define MAX_WORKERS	8

/* shared between a worker and the watchdog; one per worker */
struct shared {
	volatile uint64_t ops;
	volatile int cur_op;		/* -1: between operations */
	volatile time_t op_start;
	char path[512];
	unsigned long result[NR_OPS][NR_RESULTS];
};

static struct shared *shm, *sh;	/* all workers', this one's */
static const char *mnt;
static uint64_t rng = 1;
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t in_mmap;

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(splitmix64(&rng) % n) : 0;
}

static const char *const static_paths[] = {
	"", "hello", "big", "empty", "link", "dangling", "sub", "sub/a",
	"sub/deep", "sub/deep/x", "sub/up", "w", "nonexistent",
};

/* A path under the mount: a static one, or one in the scratch area. */
static const char *pick_path(char *buf, size_t size, bool scratch)
{
	if (!scratch && rnd(3) == 0) {
		snprintf(buf, size, "%s/%s", mnt,
			 static_paths[rnd(sizeof(static_paths) / sizeof(static_paths[0]))]);
		return buf;
	}
	switch (rnd(4)) {
	case 0:
		snprintf(buf, size, "%s/w/d%u", mnt, rnd(4));
		break;
	case 1:
		snprintf(buf, size, "%s/w/d%u/f%u", mnt, rnd(4), rnd(4));
		break;
	default:
		snprintf(buf, size, "%s/w/f%u", mnt, rnd(12));
	}
	return buf;
}

static void begin(enum op op, const char *path)
{
	snprintf(sh->path, sizeof(sh->path), "%s", path);
	sh->op_start = time(NULL);
	sh->cur_op = op;
}

static void end(enum op op, int result)
{
	sh->cur_op = -1;
	sh->ops++;
	if (result < 0 || result >= NR_RESULTS)
		result = NR_RESULTS - 1;
	sh->result[op][result]++;
}

/* end() with errno when @rc < 0 */
static void end_rc(enum op op, long rc)
{
	end(op, rc < 0 ? errno : R_OK_);
}

static unsigned char expected_byte(const char *name, size_t i)
{
	if (strcmp(name, "big") == 0)
		return (unsigned char)(i * 7 + i / 251);
	if (strcmp(name, "hello") == 0)
		return (unsigned char)"hello, world\n"[i % 13];
	return 0;
}

/* Known contents of a static file, or NULL. */
static const char *known(const char *path, size_t *size)
{
	const char *name = path + strlen(mnt) + 1;

	if (strcmp(name, "big") == 0 || strcmp(name, "sub/up") == 0) {
		*size = BIG_SIZE;
		return "big";
	}
	if (strcmp(name, "hello") == 0 || strcmp(name, "link") == 0) {
		*size = 13;
		return "hello";
	}
	return NULL;
}

static void op_read(const char *path)
{
	static unsigned char buf[65536];
	size_t ksize = 0, off = 0, i;
	const char *k = known(path, &ksize);
	int fd, res = R_OK_;
	ssize_t n;

	begin(OP_READ, path);
	fd = open(path, O_RDONLY | (rnd(8) == 0 ? O_DIRECT : 0));
	if (fd < 0)
		return end(OP_READ, errno);
	for (;;) {
		n = read(fd, buf, 1 + rnd(sizeof(buf) - 1));
		if (n < 0) {
			res = errno;
			break;
		}
		if (!n)
			break;
		for (i = 0; k && i < (size_t)n && res == R_OK_; i++)
			if (off + i >= ksize || buf[i] != expected_byte(k, off + i))
				res = R_MISMATCH;
		off += n;
		if (rnd(4) == 0 && lseek(fd, rnd(BIG_SIZE), SEEK_SET) >= 0)
			k = NULL;	/* the offset is not tracked */
		if (off > 4 * BIG_SIZE)
			break;
	}
	if (k && res == R_OK_ && off != ksize)
		res = R_SHORT;
	close(fd);
	end(OP_READ, res);
}

static void op_readdir(const char *path)
{
	char sub[1024];
	struct dirent *de;
	struct stat st;
	int n = 0, res = R_OK_;
	DIR *d;

	begin(OP_READDIR, path);
	d = opendir(path);
	if (!d)
		return end(OP_READDIR, errno);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			res = errno;
			break;
		}
		if (++n > 500)
			break;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (rnd(2))
			(void)fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
	}
	closedir(d);
	end(OP_READDIR, res);
}

static void on_sigbus(int sig)
{
	(void)sig;
	if (in_mmap)
		siglongjmp(bus_jmp, 1);
	_exit(4);
}

/* Touch every KiB of a mapping; SIGBUS (a failed page read) ends it. */
static int touch(unsigned char *p, size_t len, bool write)
{
	volatile unsigned long sum = 0;
	size_t i;

	in_mmap = 1;
	if (sigsetjmp(bus_jmp, 1)) {
		in_mmap = 0;
		return R_SIGBUS;
	}
	for (i = 0; i < len; i += 1024) {
		if (write)
			p[i] = (unsigned char)i;
		else
			sum += p[i];
	}
	in_mmap = 0;
	if (write && msync(p, len, MS_SYNC) < 0)
		return errno;
	return R_OK_;
}

static void op_mmap(const char *path, bool write)
{
	enum op op = write ? OP_MMAP_WRITE : OP_MMAP_READ;
	size_t len = 4096 * (1 + rnd(80));
	unsigned char *p;
	int fd, res = R_OK_;

	begin(op, path);
	fd = open(path, write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return end(op, errno);
	p = mmap(NULL, len, write ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		res = errno;
		close(fd);
		return end(op, res);
	}
	res = touch(p, len, write);
	munmap(p, len);
	close(fd);
	end(op, res);
}

static void op_write(const char *path, enum op op)
{
	static unsigned char buf[200000];
	size_t len = rnd(8) ? rnd(9000) : rnd(sizeof(buf));
	int flags = O_WRONLY, fd, res = R_OK_;

	begin(op, path);
	if (op == OP_CREATE)
		flags |= O_CREAT | (rnd(2) ? O_EXCL : O_TRUNC);
	else if (rnd(4) == 0)
		flags |= O_APPEND;
	fd = open(path, flags, 0644);
	if (fd < 0)
		return end(op, errno);
	memset(buf, 'a' + rnd(26), len);
	if (pwrite(fd, buf, len, flags & O_APPEND ? 0 : rnd(70000)) < 0)
		res = errno;
	if (res == R_OK_ && rnd(4) == 0 && ftruncate(fd, rnd(100000)) < 0)
		res = errno;
	if (res == R_OK_ && rnd(4) == 0 && fsync(fd) < 0)
		res = errno;
	if (close(fd) < 0 && res == R_OK_)
		res = errno;
	end(op, res);
}

static void one_op(void)
{
	char p1[512], p2[512], buf[512];
	enum op op = rnd(NR_OPS + 4);	/* listings four times as often */
	struct stat st;
	struct statfs sfs;
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
	static const char *const xnames[] = { "user.a", "user.b", "user.c", "user.d", "user.e" };
	const char *xn = xnames[rnd(5)];
	ssize_t n;

	if (op >= NR_OPS)
		op = OP_READDIR;
	pick_path(p1, sizeof(p1), false);
	switch (op) {
	case OP_STAT:
		begin(op, p1);
		end_rc(op, stat(p1, &st));
		break;
	case OP_LSTAT:
		begin(op, p1);
		end_rc(op, lstat(p1, &st));
		break;
	case OP_READDIR:
		if (rnd(3) == 0)
			snprintf(p1, sizeof(p1), "%s%s", mnt, rnd(2) ? "" : "/w");
		op_readdir(p1);
		break;
	case OP_READ:
		if (rnd(2))
			snprintf(p1, sizeof(p1), "%s/%s", mnt, rnd(2) ? "big" : "hello");
		op_read(p1);
		break;
	case OP_READLINK:
		begin(op, p1);
		n = readlink(p1, buf, sizeof(buf));
		end_rc(op, n);
		break;
	case OP_GETXATTR:
		begin(op, p1);
		n = rnd(3) ? lgetxattr(p1, xn, buf, sizeof(buf)) : lgetxattr(p1, xn, NULL, 0);
		end_rc(op, n);
		break;
	case OP_LISTXATTR:
		begin(op, p1);
		n = llistxattr(p1, buf, rnd(3) ? sizeof(buf) : rnd(8));
		end_rc(op, n);
		break;
	case OP_SETXATTR:
		begin(op, p1);
		end_rc(op, lsetxattr(p1, xn, "value-of-an-xattr", rnd(18), rnd(3)));
		break;
	case OP_REMOVEXATTR:
		begin(op, p1);
		end_rc(op, lremovexattr(p1, xn));
		break;
	case OP_CREATE:
	case OP_WRITE:
		op_write(pick_path(p1, sizeof(p1), true), op);
		break;
	case OP_TRUNCATE:
		pick_path(p1, sizeof(p1), true);
		begin(op, p1);
		end_rc(op, truncate(p1, rnd(3) ? rnd(100000) : 0));
		break;
	case OP_RENAME:
		pick_path(p1, sizeof(p1), true);
		pick_path(p2, sizeof(p2), true);
		begin(op, p1);
		end_rc(op, renameat2(AT_FDCWD, p1, AT_FDCWD, p2, rnd(3) ? 0 : RENAME_NOREPLACE));
		break;
	case OP_UNLINK:
	case OP_RMDIR:
		pick_path(p1, sizeof(p1), true);
		begin(op, p1);
		end_rc(op, op == OP_UNLINK ? unlink(p1) : rmdir(p1));
		break;
	case OP_MKDIR:
		snprintf(p1, sizeof(p1), "%s/w/d%u", mnt, rnd(4));
		begin(op, p1);
		end_rc(op, mkdir(p1, 0755));
		break;
	case OP_SYMLINK:
	case OP_LINK:
		pick_path(p1, sizeof(p1), true);
		pick_path(p2, sizeof(p2), true);
		begin(op, p2);
		end_rc(op, op == OP_LINK ? link(p1, p2) : symlink(rnd(2) ? "f1" : p1, p2));
		break;
	case OP_MMAP_READ:
	case OP_MMAP_WRITE:
		if (op == OP_MMAP_WRITE)
			pick_path(p1, sizeof(p1), true);
		else if (rnd(2))
			snprintf(p1, sizeof(p1), "%s/big", mnt);
		op_mmap(p1, op == OP_MMAP_WRITE);
		break;
	case OP_STATFS:
		begin(op, p1);
		end_rc(op, statfs(p1, &sfs));
		break;
	case OP_CHMOD:
		pick_path(p1, sizeof(p1), true);
		begin(op, p1);
		end_rc(op, chmod(p1, rnd(2) ? 0600 : 0755));
		break;
	case OP_UTIMES:
		pick_path(p1, sizeof(p1), true);
		begin(op, p1);
		end_rc(op, utimensat(AT_FDCWD, p1, rnd(2) ? ts : NULL, 0));
		break;
	case OP_FSYNC: {
		int fd;

		begin(op, p1);
		fd = open(p1, O_RDONLY);
		if (fd < 0)
			end(op, errno);
		else {
			end_rc(op, fsync(fd));
			close(fd);
		}
		break;
	}
	default:
		break;
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void worker(time_t stop)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 13000 }, { 0, 13000 } };

	/* no SA_RESTART: a signal can end a request early (INTERRUPT) */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (time(NULL) < stop)
		one_op();
	_exit(0);
}

static const char *result_name(int r)
{
	static char buf[16];
	const char *s;

	switch (r) {
	case R_OK_:		return "ok";
	case R_SIGBUS:		return "SIGBUS";
	case R_MISMATCH:	return "mismatch";
	case R_SHORT:		return "short";
	}
	s = strerrorname_np(r);
	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", r);
	return buf;
}

static void report(int workers)
{
	unsigned long total[NR_RESULTS] = { 0 }, n;
	int op, r, w;

	for (op = 0; op < NR_OPS; op++) {
		printf("fuzzwork: op %s", op_names[op]);
		for (r = 0; r < NR_RESULTS; r++) {
			for (n = 0, w = 0; w < workers; w++)
				n += shm[w].result[op][r];
			if (!n)
				continue;
			total[r] += n;
			printf(" %s %lu", result_name(r), n);
		}
		printf("\n");
	}
	for (r = 0; r < NR_RESULTS; r++)
		if (total[r])
			printf("fuzzwork: errno %s %lu\n", result_name(r), total[r]);
}

static void dump_stuck(pid_t pid, const struct shared *w)
{
	char path[64], line[256];
	FILE *f;

	printf("fuzzwork: HANG op %s path %s for %ld s\n",
	       op_names[w->cur_op], w->path, (long)(time(NULL) - w->op_start));
	snprintf(path, sizeof(path), "/proc/%d/stack", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("fuzzwork:   %s", line);
	if (f)
		fclose(f);
}

/* Start worker @w (its slot of counts), to run until @stop. */
static pid_t start_worker(int w, time_t stop)
{
	uint64_t r = rng + rnd(1000000);
	pid_t pid;

	shm[w].cur_op = -1;
	pid = fork();
	if (!pid) {
		sh = &shm[w];
		rng = r ^ ((uint64_t)w << 32);
		worker(stop);
	}
	return pid;
}

/* SIGKILL one worker; false when it is not gone within 10 s. */
static bool kill_worker(pid_t pid)
{
	int tries;

	kill(pid, SIGKILL);
	for (tries = 0; tries < 200; tries++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return true;
		usleep(50000);
	}
	return false;
}

/* Is worker @w stuck in one call for longer than @hang seconds? */
static bool stuck(const struct shared *w, unsigned int hang)
{
	int cur = w->cur_op;

	return cur >= 0 && time(NULL) - w->op_start > (time_t)hang &&
	       w->cur_op == cur;
}

/* Kill every worker; true when all of them are gone within 10 s. */
static bool kill_all(pid_t *pids, int workers)
{
	int w, tries, left = 0;

	for (w = 0; w < workers; w++)
		if (pids[w])
			kill(pids[w], SIGKILL);
	for (tries = 0; tries < 100; tries++) {
		for (left = 0, w = 0; w < workers; w++) {
			if (pids[w] && waitpid(pids[w], NULL, WNOHANG) == pids[w])
				pids[w] = 0;
			left += !!pids[w];
		}
		if (!left)
			return true;
		usleep(100000);
	}
	return false;
}

int main(int argc, char **argv)
{
	unsigned int seconds = 20, hang = 10;
	int opt, status, rc = 0, workers = 2, w, running;
	pid_t pids[MAX_WORKERS] = { 0 };
	uint64_t seed = 1, ops = 0;
	time_t t0 = time(NULL), next_kill = t0 + 1;
	unsigned int killed = 0;

	while ((opt = getopt(argc, argv, "d:s:t:j:")) != -1) {
		switch (opt) {
		case 'd': seconds = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': hang = atoi(optarg); break;
		case 'j': workers = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || workers < 1 || workers > MAX_WORKERS)
		goto usage;
	mnt = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	shm = mmap(NULL, sizeof(*shm) * workers, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return perror("mmap"), 2;
	rng = seed * 2654435761ULL + 1;
	for (w = 0; w < workers; w++) {
		pids[w] = start_worker(w, t0 + seconds);
		if (pids[w] < 0)
			return perror("fork"), 2;
	}
	/* the watchdog: every call must end within @hang seconds */
	for (running = workers; running && !rc; usleep(100000)) {
		for (w = 0; w < workers; w++) {
			if (!pids[w])
				continue;
			if (waitpid(pids[w], &status, WNOHANG) == pids[w]) {
				pids[w] = 0;
				running--;
				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					printf("fuzzwork: worker %d died: status %#x\n", w, status);
					rc = 1;
				}
			} else if (stuck(&shm[w], hang)) {
				dump_stuck(pids[w], &shm[w]);
				rc = 3;
			}
		}
		/* every 1-3 s, one worker dies wherever it is, another starts */
		w = rnd(workers);
		if (rc || !pids[w] || time(NULL) < next_kill ||
		    time(NULL) >= t0 + (time_t)seconds - 1)
			continue;
		next_kill = time(NULL) + 1 + rnd(3);
		if (!kill_worker(pids[w])) {
			dump_stuck(pids[w], &shm[w]);
			printf("fuzzwork: worker %d survives SIGKILL\n", w);
			rc = 3;
			continue;
		}
		killed++;
		pids[w] = start_worker(w, t0 + seconds);
		if (pids[w] < 0) {
			pids[w] = 0;
			running--;
		}
	}
	if (!kill_all(pids, workers))
		printf("fuzzwork: a worker survives SIGKILL\n");
	for (w = 0; w < workers; w++)
		ops += shm[w].ops;
	printf("fuzzwork: ops %llu, seconds %ld, workers killed %u\n",
	       (unsigned long long)ops, (long)(time(NULL) - t0), killed);
	report(workers);
	return rc;
usage:
	fprintf(stderr, "usage: fuzzwork [-d SECONDS] [-s SEED] [-t HANG_SECONDS] [-j WORKERS] MOUNTPOINT\n");
	return 2;
}
