// SPDX-License-Identifier: GPL-2.0
/*
 * lifeio: the I/O a lifecycle test needs and the shell cannot do.
 *
 *   lifeio sigread FILE    read 4096 bytes with a SIGUSR1 handler installed
 *                          (no SA_RESTART), so a SIGUSR1 interrupts the read
 *                          rather than killing us
 *   lifeio mmap FILE       map FILE shared and touch every page (with
 *                          LIFEIO_PAGE_DELAY_MS=N, N ms between pages)
 *   lifeio clone DEV FILE  open DEV and FUSE_DEV_IOC_CLONE it from FILE's fd
 *
 * Either prints "ready" before the operation and then "ok N" (bytes or
 * pages) or "error NAME" (the errno's symbolic name), and exits 0 either
 * way; a test compares the line between fuse2pt and stock fuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "fuse2pt_wire.h"

static volatile sig_atomic_t got_signal;

static const char *errname(int err)
{
	switch (err) {
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENOTCONN: return "ENOTCONN";
	case ECONNABORTED: return "ECONNABORTED";
	case ENOENT: return "ENOENT";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	default: return strerror(err);
	}
}

static void on_usr1(int sig)
{
	(void)sig;
	got_signal = 1;
}

static int do_sigread(const char *path)
{
	struct sigaction sa;
	char buf[4096];
	ssize_t n;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("error %s (open)\n", errname(errno));
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		printf("error %s%s\n", errname(errno),
		       got_signal ? " (after signal)" : "");
	else
		printf("ok %zd%s\n", n, got_signal ? " (after signal)" : "");
	close(fd);
	return 0;
}

static int do_mmap(const char *path)
{
	const char *delay = getenv("LIFEIO_PAGE_DELAY_MS");
	useconds_t pause = delay ? (useconds_t)atoi(delay) * 1000 : 0;
	struct stat st;
	unsigned long sum = 0;
	volatile unsigned char *p;
	off_t off;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("error %s (open)\n", errname(errno));
		return 0;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("error %s (mmap)\n", errname(errno));
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	/* a fault the server never answers ends in SIGBUS once it dies */
	for (off = 0; off < st.st_size; off += 4096) {
		sum += p[off];
		if (pause)
			usleep(pause);
	}
	printf("ok %lld pages (sum %lu)\n", (long long)(st.st_size / 4096), sum);
	return 0;
}

static int do_clone(const char *dev, const char *path)
{
	int fd = open(dev, O_RDWR);
	int old = open(path, O_RDONLY);
	uint32_t oldfd = old;

	if (fd < 0 || old < 0) {
		printf("error %s (open)\n", errname(errno));
		return 0;
	}
	if (ioctl(fd, FUSE_DEV_IOC_CLONE, &oldfd) < 0)
		printf("error %s\n", errname(errno));
	else
		printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "sigread"))
		return do_sigread(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "mmap"))
		return do_mmap(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "clone"))
		return do_clone(argv[2], argv[3]);
	fprintf(stderr, "usage: lifeio sigread|mmap FILE, lifeio clone DEV FILE\n");
	return 2;
}
