// SPDX-License-Identifier: GPL-2.0
/*
 * splicefreeze: the lock order of a splice into a FUSE file, against a
 * freeze of the passthrough backing file system.
 *
 *   splicefreeze MODE-FILE FILE BACKING-DIR PAUSE-MS INTO
 *
 * FILE is on a ptsrv mount (tests/passthrough/ptsrv.c, --mode-file
 * MODE-FILE, --write-delay at least 8 x PAUSE-MS) whose source is
 * BACKING-DIR, a file system that can be frozen (ext4).  FILE is opened
 * in passthrough ("pt") and in passthrough with direct io ("ptdio": its
 * writes go to the server, under the inode lock).  Then, PAUSE-MS apart:
 *   X  writes "x" at 8192 through the ptdio file: holds the inode lock
 *      while the server sits on the WRITE
 *   B  writes 4096 'B' at 0 through the passthrough file: waits for the
 *      inode lock, then writes the backing file under it (which needs the
 *      backing file system's freeze protection)
 *   A  splices 4096 'P' from a pipe into FILE at 4096: through the ptdio
 *      file (INTO "ptdio": its write goes to the server) or the
 *      passthrough file (INTO "pt": to the backing file)
 *   C  splices 4096 'P' from the same pipe into a file of BACKING-DIR,
 *      directly: holds that file system's freeze protection, wants the pipe
 *   F  freezes BACKING-DIR (FIFREEZE): waits for C
 * A splice that locks the pipe before the inode (iter_file_splice_write
 * alone) makes a circle once X's reply lets B in: A holds the pipe and
 * waits for the inode, B holds the inode and waits for the freeze, F
 * waits for C, C for the pipe.  No signal ends it.  A splice that takes
 * the inode first leaves the pipe to C: F finishes at once, the thaw
 * (FITHAW) follows, and everything ends.
 *
 * The steps are threads: they share the file table, so none of them
 * closes (and FLUSHes) the FUSE files when it ends.
 *
 * Prints what each step did, and last a line "RESULT: ...".  Exit: 0 all
 * ended and the data is right; 1 a step failed or the data is wrong; 2
 * tasks are stuck at the deadline (their kernel stacks are printed; they
 * stay stuck, and so may this program's exit, closing its FUSE files).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"

enum { T_X, T_B, T_A, T_C, T_F, NTASKS };
static const char *const task_name[NTASKS] = { "X", "B", "A", "C", "F" };

static int fd_pt, fd_dio, fd_into, pipe_rd, target, backing;
static pid_t tid[NTASKS];
static int status[NTASKS];
static atomic_int ended[NTASKS];

static void set_mode(const char *file, const char *mode)
{
	FILE *f = fopen(file, "w");

	if (!f || fprintf(f, "%s\n", mode) < 0 || fclose(f)) {
		perror(file);
		exit(1);
	}
}

/* What each task does; its exit status is 0 when it did it in full. */
static int task_body(int t)
{
	char buf[4096];
	loff_t off;

	switch (t) {
	case T_X:
		return pwrite(fd_dio, "x", 1, 8192) == 1 ? 0 : 1;
	case T_B:
		memset(buf, 'B', sizeof(buf));
		return pwrite(fd_pt, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : 1;
	case T_A:
		off = 4096;
		return splice(pipe_rd, NULL, fd_into, &off, 4096, 0) == 4096 ? 0 : 1;
	case T_C:
		off = 0;
		return splice(pipe_rd, NULL, target, &off, 4096, 0) == 4096 ? 0 : 1;
	case T_F:
		return ioctl(backing, FIFREEZE, 0) ? 1 : 0;
	}
	return 1;
}

static void *task_main(void *arg)
{
	int t = (int)(long)arg;

	tid[t] = gettid();
	status[t] = task_body(t);
	if (status[t])
		fprintf(stderr, "splicefreeze: %s: %s\n", task_name[t], strerror(errno));
	atomic_store(&ended[t], 1);
	return NULL;
}

static void start(int t)
{
	pthread_t th;

	if (pthread_create(&th, NULL, task_main, (void *)(long)t) ||
	    pthread_detach(th)) {
		perror("pthread_create");
		exit(1);
	}
}

/* True when task @want (or all, want < 0) has ended. */
static int done(int want)
{
	int t, all = 1;

	if (want >= 0)
		return atomic_load(&ended[want]);
	for (t = 0; t < NTASKS; t++)
		all &= atomic_load(&ended[t]);
	return all;
}

static int wait_until(int want, long deadline)
{
	while (!done(want)) {
		if (mono_ms() > deadline)
			return 0;
		nap_ms(20);
	}
	return 1;
}

static void show_stack(int t)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", (int)tid[t]);
	printf("task %s (tid %d) stuck:\n", task_name[t], (int)tid[t]);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("  %s", line);
	fclose(f);
}

static int check_range(const char *what, const char *buf, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != c) {
			printf("data: %s: byte %zu is 0x%02x, not '%c'\n",
			       what, i, (unsigned char)buf[i], c);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char fill[8192], got[8193], path[4096];
	long pause_ms, t0, froze_ms = -1;
	int p[2], t, bad = 0;

	if (argc != 6 || (strcmp(argv[5], "pt") && strcmp(argv[5], "ptdio"))) {
		fprintf(stderr, "usage: splicefreeze MODE-FILE FILE BACKING-DIR PAUSE-MS pt|ptdio\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pause_ms = atol(argv[4]);
	set_mode(argv[1], "pt");
	fd_pt = open(argv[2], O_RDWR);
	set_mode(argv[1], "ptdio");
	fd_dio = open(argv[2], O_RDWR);
	set_mode(argv[1], "pt");
	fd_into = strcmp(argv[5], "pt") ? fd_dio : fd_pt;
	snprintf(path, sizeof(path), "%s/splicefreeze-target", argv[3]);
	target = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	backing = open(argv[3], O_RDONLY | O_DIRECTORY);
	if (fd_pt < 0 || fd_dio < 0 || target < 0 || backing < 0) {
		perror("open");
		return 1;
	}
	/* both splices' data, and no writer left: an empty pipe is the end */
	memset(fill, 'P', sizeof(fill));
	if (pipe(p) || write(p[1], fill, sizeof(fill)) != sizeof(fill)) {
		perror("pipe");
		return 1;
	}
	close(p[1]);
	pipe_rd = p[0];

	t0 = mono_ms();
	for (t = 0; t < NTASKS; t++) {
		if (t)
			nap_ms(pause_ms);
		start(t);
		printf("%5ld ms: %s started\n", mono_ms() - t0, task_name[t]);
	}
	fflush(stdout);
	/* the freeze: at once when nothing holds the pipe against C */
	if (wait_until(T_F, mono_ms() + 20 * pause_ms)) {
		froze_ms = mono_ms() - t0;
		printf("%5ld ms: F ended (status %d): the freeze %s\n", froze_ms,
		       status[T_F], status[T_F] ? "failed" : "is done");
		if (!status[T_F] && ioctl(backing, FITHAW, 0)) {
			perror("FITHAW");
			bad = 1;
		}
	}
	if (!wait_until(-1, mono_ms() + 20 * pause_ms)) {
		printf("DEADLOCK: after %ld ms, the freeze %s; still waiting:",
		       mono_ms() - t0, froze_ms < 0 ? "never finished" : "finished");
		for (t = 0; t < NTASKS; t++)
			if (!ended[t])
				printf(" %s", task_name[t]);
		printf("\n");
		for (t = 0; t < NTASKS; t++)
			if (!ended[t])
				show_stack(t);
		printf("RESULT: deadlock\n");
		return 2;
	}
	for (t = 0; t < NTASKS; t++) {
		printf("%s: status %d\n", task_name[t], status[t]);
		bad |= status[t] != 0;
	}
	memset(got, 0, sizeof(got));
	if (pread(fd_pt, got, sizeof(got), 0) != sizeof(got)) {
		perror("pread");
		printf("RESULT: FAILED\n");
		return 1;
	}
	bad |= check_range("B's write", got, 4096, 'B');
	bad |= check_range("A's splice", got + 4096, 4096, 'P');
	bad |= check_range("X's write", got + 8192, 1, 'x');
	if (pread(open(path, O_RDONLY), got, 4096, 0) != 4096) {
		perror(path);
		printf("RESULT: FAILED\n");
		return 1;
	}
	bad |= check_range("C's splice", got, 4096, 'P');
	printf("RESULT: %s\n", bad ? "FAILED" : "all ended, data right");
	return bad;
}
