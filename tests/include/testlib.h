/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test programs share (tests/lib/build.sh puts this directory on
 * their include path):
 *
 *   raw_log(FMT, ...)            a line on stderr, prefixed "RAW_PROG: "
 *   raw_parse_fd("/dev/fd/N")    N, or -1 when the argument is not that
 *   raw_read(FD, BUF, SIZE)      one request from the FUSE device
 *   raw_write(FD, OH, ARG, LEN)  one reply (or notification)
 *   splitmix64(&STATE)           a seeded pseudo-random stream
 *   mono_ms(), nap_ms(MS)        the monotonic clock in ms; a sleep of MS
 *
 * The raw_* helpers serve the programs that speak the FUSE wire protocol
 * without libfuse; such a program defines RAW_PROG before including this.
 */
#ifndef FUSE2PT_TESTLIB_H
#define FUSE2PT_TESTLIB_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/uio.h>

static inline long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* the whole of @ms, signals or not */
static inline void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#ifdef RAW_PROG
#include "fuse2pt_wire.h"

static void raw_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), unused));

/* One whole line even with several threads logging. */
static void raw_log(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fputs(RAW_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* fuse2pt-mount hands the servers their device as /dev/fd/N. */
static inline int raw_parse_fd(const char *path)
{
	const char *prefix = "/dev/fd/";
	char *end;
	long fd;

	if (strncmp(path, prefix, strlen(prefix)) != 0)
		return -1;
	errno = 0;
	fd = strtol(path + strlen(prefix), &end, 10);
	if (errno || *end || end == path + strlen(prefix) || fd < 0 || fd > 65535)
		return -1;
	return (int)fd;
}

/*
 * Read one request into @buf: returns its length (the header's len is
 * checked), 0 once the kernel unmounted us (ENODEV), -1 on a failure,
 * which is logged.  Requests that vanished (ENOENT: interrupted or
 * aborted) and signals are read past.
 */
static inline ssize_t raw_read(int fd, void *buf, size_t size)
{
	const struct fuse_in_header *h = buf;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, size);
		if (n >= 0)
			break;
		if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
			continue;
		if (errno == ENODEV)
			return 0;
		raw_log("read: %s", strerror(errno));
		return -1;
	}
	if ((size_t)n < sizeof(*h) || h->len != (size_t)n) {
		raw_log("malformed request: read %zd bytes, header says %u",
			n, (size_t)n >= sizeof(*h) ? h->len : 0);
		return -1;
	}
	return n;
}

/* Write header and payload in one write(); 0 or the write's errno. */
static inline int raw_write(int fd, const struct fuse_out_header *oh,
			    const void *arg, size_t arglen)
{
	struct iovec iov[2] = {
		{ (void *)oh, sizeof(*oh) },
		{ (void *)arg, arglen },
	};

	return writev(fd, iov, arglen ? 2 : 1) < 0 ? errno : 0;
}
#endif /* RAW_PROG */

#endif /* FUSE2PT_TESTLIB_H */
