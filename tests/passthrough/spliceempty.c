// SPDX-License-Identifier: GPL-2.0
/*
 * spliceempty: a splice into a file that waits for an empty pipe must not
 * hold the file's inode lock while it waits.
 *
 *   spliceempty FILE PAUSE-MS
 *
 * A thread splices from an empty pipe (its write end open) into FILE.
 * While it waits, a pwrite of FILE must finish within 16 x PAUSE-MS, and
 * a splice with SPLICE_F_NONBLOCK from that empty pipe must fail with
 * EAGAIN at once.  Then 4096 bytes go into the pipe and the waiting
 * splice must take them, at offset 4096.  Prints what happened and a last
 * line "RESULT: ..."; exit 0 when all held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"

static int fd, pipe_fd[2];
static atomic_int done_splice, done_write;
static ssize_t splice_ret, write_ret;

static void *splicer(void *arg)
{
	loff_t off = 4096;

	(void)arg;
	splice_ret = splice(pipe_fd[0], NULL, fd, &off, 4096, 0);
	atomic_store(&done_splice, 1);
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	write_ret = pwrite(fd, "w", 1, 0);
	atomic_store(&done_write, 1);
	return NULL;
}

static int wait_flag(atomic_int *flag, long ms)
{
	long end = mono_ms() + ms;

	while (!atomic_load(flag)) {
		if (mono_ms() > end)
			return 0;
		nap_ms(10);
	}
	return 1;
}

int main(int argc, char **argv)
{
	char buf[4096], got[4096];
	long pause_ms, t0;
	pthread_t ts, tw;
	loff_t off = 0;
	int bad = 0, i;
	ssize_t r;

	if (argc != 3) {
		fprintf(stderr, "usage: spliceempty FILE PAUSE-MS\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pause_ms = atol(argv[2]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || pipe(pipe_fd)) {
		perror(argv[1]);
		return 1;
	}
	if (pthread_create(&ts, NULL, splicer, NULL)) {
		perror("pthread_create");
		return 1;
	}
	nap_ms(pause_ms);
	if (atomic_load(&done_splice)) {
		printf("the splice from an empty pipe did not wait: %zd\n", splice_ret);
		printf("RESULT: FAILED\n");
		return 1;
	}
	t0 = mono_ms();
	if (pthread_create(&tw, NULL, writer, NULL)) {
		perror("pthread_create");
		return 1;
	}
	if (wait_flag(&done_write, 16 * pause_ms)) {
		printf("pwrite while the splice waits: %zd after %ld ms\n",
		       write_ret, mono_ms() - t0);
		bad |= write_ret != 1;
	} else {
		printf("pwrite while the splice waits: not done after %ld ms (the splice holds the inode)\n",
		       mono_ms() - t0);
		bad = 1;
	}
	t0 = mono_ms();
	r = splice(pipe_fd[0], NULL, fd, &off, 4096, SPLICE_F_NONBLOCK);
	printf("SPLICE_F_NONBLOCK from the empty pipe: %zd (%s) after %ld ms\n",
	       r, r < 0 ? strerror(errno) : "data?", mono_ms() - t0);
	bad |= !(r < 0 && errno == EAGAIN);
	memset(buf, 'Q', sizeof(buf));
	if (write(pipe_fd[1], buf, sizeof(buf)) != sizeof(buf)) {
		perror("write to the pipe");
		return 1;
	}
	if (!wait_flag(&done_splice, 30 * pause_ms)) {
		printf("the waiting splice did not take the data in %ld ms\n", 30 * pause_ms);
		printf("RESULT: FAILED\n");
		return 1;
	}
	pthread_join(ts, NULL);
	if (wait_flag(&done_write, 20 * pause_ms))
		pthread_join(tw, NULL);
	printf("the waiting splice: %zd\n", splice_ret);
	bad |= splice_ret != 4096;
	if (pread(fd, got, sizeof(got), 4096) != sizeof(got)) {
		perror("pread");
		bad = 1;
	} else {
		for (i = 0; i < 4096 && got[i] == 'Q'; i++)
			;
		if (i < 4096) {
			printf("data at 4096 + %d is 0x%02x, not 'Q'\n", i, (unsigned char)got[i]);
			bad = 1;
		}
	}
	printf("RESULT: %s\n", bad ? "FAILED" : "the wait held no lock, data right");
	return bad;
}
