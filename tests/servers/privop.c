// SPDX-License-Identifier: GPL-2.0
/*
 * privop: one file attribute or lock operation, for
 * tests/guest/cases/44-privilege.sh (run as whichever user setpriv makes).
 *
 *   privop getflags PATH            ioctl(FS_IOC_GETFLAGS) on an open PATH
 *   privop setflags PATH FLAGS      ioctl(FS_IOC_SETFLAGS)
 *   privop fsgetxattr PATH          ioctl(FS_IOC_FSGETXATTR)
 *   privop fssetxattr PATH XFLAGS [PROJID]
 *                                   ioctl(FS_IOC_FSSETXATTR); the other
 *                                   fields as FSGETXATTR gave them
 *   privop fgetattr PATH            file_getattr(2) (6.17), no open file
 *   privop fsetattr PATH XFLAGS     file_setattr(2)
 *   privop locks A B                on A, then B: open, F_SETLK a write
 *                                   lock, flock(LOCK_EX), close; then the
 *                                   same on A from a child process
 *
 * Prints one line: "ret=0" with what was got ("flags=0x..",
 * "xflags=0x.. projid=N"), or "err=ERRNAME" for the first failing call;
 * locks prints "pid1=N" and "pid2=N" (the child's) first.  Exit status 0
 * whenever the calls were made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/fs.h>

/* x86_64 numbers and layout of 6.17's file_getattr/file_setattr */
#define NR_FILE_GETATTR	468
#define NR_FILE_SETATTR	469

struct privop_file_attr {
	uint64_t fa_xflags;
	uint32_t fa_extsize;
	uint32_t fa_nextents;
	uint32_t fa_projid;
	uint32_t fa_cowextsize;
};

static const char *err_name(int e)
{
	switch (e) {
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case EBADF:	return "EBADF";
	case EACCES:	return "EACCES";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case EROFS:	return "EROFS";
	case ENOSYS:	return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTCONN:	return "ENOTCONN";
	default:	return "E?";
	}
}

static int fail(void)
{
	printf("err=%s\n", err_name(errno));
	return 0;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "privop: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int open_any(const char *path)
{
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static int attr_op(const char *op, int argc, char **argv)
{
	struct fsxattr xa = {};
	unsigned int flags = 0;
	int fd = open_any(argv[2]);

	if (fd < 0)
		return fail();
	if (!strcmp(op, "getflags") && argc == 3) {
		if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
			return fail();
		printf("ret=0 flags=0x%x\n", flags);
	} else if (!strcmp(op, "setflags") && argc == 4) {
		flags = num(argv[3]);
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags))
			return fail();
		printf("ret=0\n");
	} else if (!strcmp(op, "fsgetxattr") && argc == 3) {
		if (ioctl(fd, FS_IOC_FSGETXATTR, &xa))
			return fail();
		printf("ret=0 xflags=0x%x projid=%u\n", xa.fsx_xflags,
		       xa.fsx_projid);
	} else if (!strcmp(op, "fssetxattr") && (argc == 4 || argc == 5)) {
		if (ioctl(fd, FS_IOC_FSGETXATTR, &xa))
			return fail();
		xa.fsx_xflags = num(argv[3]);
		if (argc == 5)
			xa.fsx_projid = num(argv[4]);
		if (ioctl(fd, FS_IOC_FSSETXATTR, &xa))
			return fail();
		printf("ret=0\n");
	} else {
		return 2;
	}
	close(fd);
	return 0;
}

static int syscall_op(const char *op, int argc, char **argv)
{
	struct privop_file_attr fa = {};

	if (!strcmp(op, "fgetattr") && argc == 3) {
		if (syscall(NR_FILE_GETATTR, AT_FDCWD, argv[2], &fa, sizeof(fa), 0))
			return fail();
		printf("ret=0 xflags=0x%llx\n", (unsigned long long)fa.fa_xflags);
	} else if (!strcmp(op, "fsetattr") && argc == 4) {
		fa.fa_xflags = num(argv[3]);
		if (syscall(NR_FILE_SETATTR, AT_FDCWD, argv[2], &fa, sizeof(fa), 0))
			return fail();
		printf("ret=0\n");
	} else {
		return 2;
	}
	return 0;
}

/* open, F_SETLK a write lock, flock(LOCK_EX), close: 0 or -1 */
static int lock_one(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fcntl(fd, F_SETLK, &fl) || flock(fd, LOCK_EX))
		return -1;
	return close(fd);
}

/*
 * This process locks both files, then a child (a table of files of its
 * own, allocated while ours lives, so never at the same address) the
 * first one.
 */
static int locks_op(const char *a, const char *b)
{
	int status;
	pid_t child;

	printf("pid1=%d\n", (int)getpid());
	if (lock_one(a) || lock_one(b))
		return fail();
	fflush(stdout);
	child = fork();
	if (child < 0)
		return fail();
	if (!child) {
		printf("pid2=%d\n", (int)getpid());
		if (lock_one(a))
			fail();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(child, &status, 0) < 0)
		return fail();
	printf("ret=0\n");
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc == 4 && !strcmp(argv[1], "locks"))
		ret = locks_op(argv[2], argv[3]);
	else if (argc >= 3 && (!strcmp(argv[1], "fgetattr") ||
			       !strcmp(argv[1], "fsetattr")))
		ret = syscall_op(argv[1], argc, argv);
	else if (argc >= 3)
		ret = attr_op(argv[1], argc, argv);
	if (ret == 2)
		fprintf(stderr, "usage: privop getflags|setflags|fsgetxattr|"
			"fssetxattr|fgetattr|fsetattr PATH [ARGS] | locks A B\n");
	return ret;
}
