// SPDX-License-Identifier: GPL-2.0
/*
 * pttool: the small I/O operations the passthrough cases need and the
 * shell has no command for.  FILE may be "fd:N" for an inherited
 * descriptor.  Errors are printed as the errno's name (EIO, ENODEV, ...)
 * on stdout and give exit status 1, so a case can compare them.
 *
 *   pttool mmapread FILE             MAP_SHARED read of the whole file -> stdout
 *   pttool mmapwrite FILE OFF STR    MAP_SHARED store of STR at OFF, msync
 *   pttool mmapprivate FILE OFF STR  MAP_PRIVATE store: the mapping sees STR,
 *                                    the file does not; prints "private ok"
 *   pttool mmaptry FILE              map one page read-only: "ok" or errno
 *   pttool maps FILE                 map FILE, print its /proc/self/maps path
 *   pttool mapsdev FILE              map FILE, print the device and inode
 *                                    /proc/self/maps shows ("fe:01 1234")
 *   pttool spliceread FILE           FILE -> pipe (splice) -> stdout
 *   pttool splicewrite FILE OFF      stdin -> pipe -> FILE at OFF (splice)
 *   pttool sendfile SRC DST          sendfile(2) SRC into DST (truncated)
 *   pttool copyrange SRC DST         copy_file_range(2) of all of SRC into
 *                                    DST (truncated): "ok" or errno
 *   pttool open FILE [rw|ro|wo]      open only: "ok" or errno
 *   pttool readahead FILE            readahead(2) of the whole file, then
 *                                    posix_fadvise(POSIX_FADV_WILLNEED):
 *                                    "ok" or errno
 *   pttool append-rwf FILE STR       write STR with pwritev2(offset 0,
 *                                    RWF_APPEND) on an O_WRONLY open: "ok"
 *   pttool append-setfl FILE STR     open O_WRONLY, fcntl(F_SETFL,
 *                                    O_APPEND), write STR: "ok" or errno
 *   pttool sum FILE                  a checksum of FILE's bytes (read(2))
 *   pttool mmaphold FILE             map FILE shared, close it, print
 *                                    "mapped SUM" (the mapping's checksum);
 *                                    then for each line on stdin print
 *                                    "sum SUM" again, until end of input
 *   pttool aioread FILE N SIZE       O_DIRECT, N reads of SIZE bytes at
 *                                    0, SIZE, ... in one io_submit(2):
 *                                    "submitted=N submit_ms=T completed=N
 *                                    wait_ms=T data=ok|bad" (data compared
 *                                    with pread(2) of a plain open)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/aio_abi.h>

static int fail(const char *what)
{
	int err = errno;

	printf("%s\n", strerrorname_np(err) ?: "E?");
	fprintf(stderr, "pttool: %s: %s\n", what, strerror(err));
	return 1;
}

static int open_arg(const char *name, int flags)
{
	if (!strncmp(name, "fd:", 3))
		return atoi(name + 3);
	return open(name, flags, 0644);
}

static int cmd_mmapread(const char *name)
{
	struct stat s;
	void *p;
	int fd = open_arg(name, O_RDONLY);

	if (fd < 0)
		return fail("open");
	if (fstat(fd, &s))
		return fail("fstat");
	if (!s.st_size)
		return 0;
	p = mmap(NULL, s.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	if (fwrite(p, 1, s.st_size, stdout) != (size_t)s.st_size)
		return fail("write");
	munmap(p, s.st_size);
	return 0;
}

static int cmd_mmapwrite(const char *name, off_t off, const char *str,
			 int shared)
{
	size_t len = strlen(str);
	off_t base = off & ~(off_t)(sysconf(_SC_PAGESIZE) - 1);
	size_t maplen = off - base + len;
	char *p, *check;
	struct stat s;
	int fd = open_arg(name, shared ? O_RDWR : O_RDONLY);

	if (fd < 0)
		return fail("open");
	if (fstat(fd, &s))
		return fail("fstat");
	if (off + (off_t)len > s.st_size) {
		errno = EINVAL;
		return fail("range past end of file");
	}
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
		 shared ? MAP_SHARED : MAP_PRIVATE, fd, base);
	if (p == MAP_FAILED)
		return fail("mmap");
	memcpy(p + (off - base), str, len);
	if (shared) {
		if (msync(p, maplen, MS_SYNC))
			return fail("msync");
		munmap(p, maplen);
		return 0;
	}
	/* private: the mapping has it, the file must not */
	check = malloc(len);
	if (!check || pread(fd, check, len, off) != (ssize_t)len)
		return fail("pread");
	if (memcmp(p + (off - base), str, len) || !memcmp(check, str, len)) {
		printf("private mapping leaked into the file\n");
		return 1;
	}
	munmap(p, maplen);
	printf("private ok\n");
	return 0;
}

static int cmd_mmaptry(const char *name)
{
	void *p;
	int fd = open_arg(name, O_RDONLY);

	if (fd < 0)
		return fail("open");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	munmap(p, 4096);
	printf("ok\n");
	return 0;
}

static int cmd_maps(const char *name, int dev)
{
	char line[4096], want[64];
	FILE *f;
	void *p;
	int fd = open_arg(name, O_RDONLY), found = 1;

	if (fd < 0)
		return fail("open");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return fail("/proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		char *path;

		if (strncmp(line, want, strlen(want)))
			continue;
		found = 0;
		if (dev) {	/* start-end perms offset dev inode path */
			char d[32];
			unsigned long ino;

			if (sscanf(line, "%*s %*s %*s %31s %lu", d, &ino) == 2)
				printf("%s %lu\n", d, ino);
			else
				found = 1;
			continue;
		}
		path = strchr(line, '/');
		fputs(path ? path : "(no path)\n", stdout);
	}
	fclose(f);
	munmap(p, 4096);
	return found;
}

static int cmd_spliceread(const char *name)
{
	char buf[65536];
	loff_t off = 0;
	int pfd[2];
	int fd = open_arg(name, O_RDONLY);

	if (fd < 0)
		return fail("open");
	if (pipe(pfd))
		return fail("pipe");
	for (;;) {
		ssize_t n = splice(fd, &off, pfd[1], NULL, sizeof(buf), 0);
		ssize_t m;

		if (n < 0)
			return fail("splice");
		if (!n)
			return 0;
		while (n > 0) {
			m = read(pfd[0], buf, n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf));
			if (m <= 0)
				return fail("read pipe");
			if (fwrite(buf, 1, m, stdout) != (size_t)m)
				return fail("write");
			n -= m;
		}
	}
}

static int cmd_splicewrite(const char *name, loff_t off)
{
	char buf[65536];
	int pfd[2];
	int fd = open_arg(name, O_WRONLY | O_CREAT);

	if (fd < 0)
		return fail("open");
	if (pipe(pfd))
		return fail("pipe");
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf)), m;

		if (n < 0)
			return fail("read stdin");
		if (!n)
			return 0;
		if (write(pfd[1], buf, n) != n)
			return fail("write pipe");
		while (n > 0) {
			m = splice(pfd[0], NULL, fd, &off, n, 0);
			if (m <= 0)
				return fail("splice");
			n -= m;
		}
	}
}

static int cmd_sendfile(const char *src, const char *dst)
{
	int in = open_arg(src, O_RDONLY);
	int out = open_arg(dst, O_WRONLY | O_CREAT | O_TRUNC);
	struct stat s;
	off_t off = 0;

	if (in < 0 || out < 0)
		return fail("open");
	if (fstat(in, &s))
		return fail("fstat");
	while (off < s.st_size) {
		ssize_t n = sendfile(out, in, &off, s.st_size - off);

		if (n < 0)
			return fail("sendfile");
		if (!n)
			break;
	}
	return 0;
}

static int cmd_copyrange(const char *src, const char *dst)
{
	int in = open_arg(src, O_RDONLY);
	int out = open_arg(dst, O_WRONLY | O_CREAT | O_TRUNC);
	loff_t off_in = 0, off_out = 0;
	struct stat s;

	if (in < 0 || out < 0)
		return fail("open");
	if (fstat(in, &s))
		return fail("fstat");
	while (off_in < s.st_size) {
		ssize_t n = copy_file_range(in, &off_in, out, &off_out,
					    s.st_size - off_in, 0);

		if (n < 0)
			return fail("copy_file_range");
		if (!n)
			break;
	}
	printf("ok\n");
	return 0;
}

static int cmd_open(const char *name, const char *how)
{
	int flags = O_RDONLY;

	if (how && !strcmp(how, "rw"))
		flags = O_RDWR;
	else if (how && !strcmp(how, "wo"))
		flags = O_WRONLY;
	if (open(name, flags) < 0)
		return fail("open");
	printf("ok\n");
	return 0;
}

static int cmd_append(const char *name, const char *str, int setfl)
{
	struct iovec iov = { .iov_base = (void *)str, .iov_len = strlen(str) };
	ssize_t n;
	int fd = open_arg(name, O_WRONLY);

	if (fd < 0)
		return fail("open");
	if (setfl) {
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND))
			return fail("fcntl");
		n = write(fd, str, iov.iov_len);
	} else {
		n = pwritev2(fd, &iov, 1, 0, RWF_APPEND);
	}
	if (n < 0)
		return fail(setfl ? "write" : "pwritev2");
	if ((size_t)n != iov.iov_len) {
		errno = EIO;
		return fail("short write");
	}
	printf("ok\n");
	return 0;
}

/* FNV-1a: enough to tell two contents apart */
static uint64_t sum_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define SUM_SEED 0xcbf29ce484222325ULL

static int cmd_sum(const char *name)
{
	unsigned char buf[65536];
	uint64_t h = SUM_SEED;
	ssize_t n;
	int fd = open_arg(name, O_RDONLY);

	if (fd < 0)
		return fail("open");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = sum_bytes(h, buf, n);
	if (n < 0)
		return fail("read");
	printf("%016llx\n", (unsigned long long)h);
	return 0;
}

static int cmd_mmaphold(const char *name)
{
	char line[64];
	struct stat s;
	void *p;
	int fd = open_arg(name, O_RDONLY);

	if (fd < 0)
		return fail("open");
	if (fstat(fd, &s))
		return fail("fstat");
	if (!s.st_size) {
		errno = EINVAL;
		return fail("empty file");
	}
	p = mmap(NULL, s.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	close(fd);
	printf("mapped %016llx\n",
	       (unsigned long long)sum_bytes(SUM_SEED, p, s.st_size));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		printf("sum %016llx\n",
		       (unsigned long long)sum_bytes(SUM_SEED, p, s.st_size));
		fflush(stdout);
	}
	munmap(p, s.st_size);
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int cmd_aioread(const char *name, int nr, size_t size)
{
	struct io_event ev[64];
	struct iocb cb[64], *cbp[64];
	aio_context_t ctx = 0;
	struct timespec t0;
	long submit_ms, wait_ms;
	int fd, plain, i, done = 0, sub, good = 1;
	char *buf, *want;

	if (nr < 1 || nr > 64 || !size) {
		errno = EINVAL;
		return fail("arguments");
	}
	fd = open(name, O_RDONLY | O_DIRECT);
	plain = open(name, O_RDONLY);
	if (fd < 0 || plain < 0)
		return fail("open");
	if (posix_memalign((void **)&buf, 4096, nr * size))
		return fail("posix_memalign");
	want = malloc(size);
	if (!want)
		return fail("malloc");
	if (syscall(SYS_io_setup, nr, &ctx))
		return fail("io_setup");
	memset(cb, 0, sizeof(cb));
	for (i = 0; i < nr; i++) {
		cb[i].aio_fildes = fd;
		cb[i].aio_lio_opcode = IOCB_CMD_PREAD;
		cb[i].aio_buf = (uintptr_t)(buf + i * size);
		cb[i].aio_nbytes = size;
		cb[i].aio_offset = (off_t)i * size;
		cb[i].aio_data = i;
		cbp[i] = &cb[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sub = syscall(SYS_io_submit, ctx, nr, cbp);
	submit_ms = ms_since(&t0);
	if (sub < 0)
		return fail("io_submit");
	while (done < sub) {
		int n = syscall(SYS_io_getevents, ctx, 1, sub - done, ev, NULL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail("io_getevents");
		}
		for (i = 0; i < n; i++) {
			int k = ev[i].data;

			if (ev[i].res != (long long)size ||
			    pread(plain, want, size, (off_t)k * size) != (ssize_t)size ||
			    memcmp(want, buf + k * size, size))
				good = 0;
		}
		done += n;
	}
	wait_ms = ms_since(&t0);
	syscall(SYS_io_destroy, ctx);
	printf("submitted=%d submit_ms=%ld completed=%d wait_ms=%ld data=%s\n",
	       sub, submit_ms, done, wait_ms, good ? "ok" : "bad");
	return 0;
}

static int cmd_readahead(const char *name)
{
	int fd = open_arg(name, O_RDONLY);
	struct stat s;
	int err;

	if (fd < 0)
		return fail("open");
	if (fstat(fd, &s))
		return fail("fstat");
	if (readahead(fd, 0, s.st_size))
		return fail("readahead");
	err = posix_fadvise(fd, 0, s.st_size, POSIX_FADV_WILLNEED);
	if (err) {
		errno = err;
		return fail("posix_fadvise");
	}
	printf("ok\n");
	return 0;
}


int main(int argc, char *argv[])
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "readahead") && argc == 3)
		return cmd_readahead(argv[2]);
	if (!strcmp(c, "mmapread") && argc == 3)
		return cmd_mmapread(argv[2]);
	if (!strcmp(c, "mmapwrite") && argc == 5)
		return cmd_mmapwrite(argv[2], atoll(argv[3]), argv[4], 1);
	if (!strcmp(c, "mmapprivate") && argc == 5)
		return cmd_mmapwrite(argv[2], atoll(argv[3]), argv[4], 0);
	if (!strcmp(c, "mmaptry") && argc == 3)
		return cmd_mmaptry(argv[2]);
	if (!strcmp(c, "maps") && argc == 3)
		return cmd_maps(argv[2], 0);
	if (!strcmp(c, "mapsdev") && argc == 3)
		return cmd_maps(argv[2], 1);
	if (!strcmp(c, "spliceread") && argc == 3)
		return cmd_spliceread(argv[2]);
	if (!strcmp(c, "splicewrite") && argc == 4)
		return cmd_splicewrite(argv[2], atoll(argv[3]));
	if (!strcmp(c, "sendfile") && argc == 4)
		return cmd_sendfile(argv[2], argv[3]);
	if (!strcmp(c, "copyrange") && argc == 4)
		return cmd_copyrange(argv[2], argv[3]);
	if (!strcmp(c, "open") && (argc == 3 || argc == 4))
		return cmd_open(argv[2], argc == 4 ? argv[3] : NULL);
	if (!strcmp(c, "append-rwf") && argc == 4)
		return cmd_append(argv[2], argv[3], 0);
	if (!strcmp(c, "append-setfl") && argc == 4)
		return cmd_append(argv[2], argv[3], 1);
	if (!strcmp(c, "sum") && argc == 3)
		return cmd_sum(argv[2]);
	if (!strcmp(c, "mmaphold") && argc == 3)
		return cmd_mmaphold(argv[2]);
	if (!strcmp(c, "aioread") && argc == 5)
		return cmd_aioread(argv[2], atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of pttool.c\n");
	return 2;
}
