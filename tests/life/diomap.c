// SPDX-License-Identifier: GPL-2.0
/*
 * diomap: a shared mmap of a direct-io file made while a parallel direct
 * write of the same process is out (issue 17 item 12).
 *
 *   diomap FILE CHUNK DELAY_MS SERVER_LOG
 *
 * FILE is served with FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES and
 * DIRECT_IO_ALLOW_MMAP, CHUNK is the connection's max_write, and the
 * server answers each WRITE DELAY_MS after it came, logging it as
 * "WRITE <offset> <size>" in SERVER_LOG (stallsrv dio pdw allow_mmap
 * wdelay=DELAY_MS).  FILE holds at least 5 * CHUNK bytes.
 *
 * Thread W writes 2 * CHUNK bytes at offset 0 (inside the file: the write
 * may run beside others) with one pwritev(): the first CHUNK from memory
 * it has touched, the second from a private mapping of FILE at 4 * CHUNK
 * that nobody has read.  Copying the second chunk faults, and the fault
 * must read the page from the server, which it does (or retries) holding
 * mmap_lock.  (An untouched anonymous page would not do: from 6.7 on a
 * read fault maps the zero page under the VMA's own lock.)
 *
 * Thread M waits until the server holds W's first WRITE, then maps FILE
 * shared.  A kernel whose ->mmap waits for the parallel writers with
 * mmap_lock held for write deadlocks here: W cannot fault in its second
 * chunk.  After 2 * DELAY_MS + 15 s we say so and exit, which kills W's
 * fault and so lets both go.
 *
 * Output, and the exit status:
 *   written N, mapped-while-writing yes|no, data ok   0 (all as they must be)
 *   hang: ...                                         1
 *   data differs at N, or other failures              1
 *   inconclusive: ...                                 3 (run it again)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

static int fd;
static size_t chunk;
static unsigned int delay_ms;
static const char *server_log;
static unsigned char *first, *second;	/* W's two source chunks */
static unsigned char *map;		/* M's shared mapping */

static volatile pid_t w_tid, m_tid;
static volatile double t_write, t_written, t_map, t_mapped;
static volatile ssize_t written = -1;
static volatile int w_err, m_err;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *writer(void *arg)
{
	struct iovec iov[2] = {
		{ .iov_base = first, .iov_len = chunk },
		{ .iov_base = second, .iov_len = chunk },
	};
	ssize_t n;

	(void)arg;
	w_tid = gettid();
	t_write = now();
	n = pwritev(fd, iov, 2, 0);
	w_err = n < 0 ? errno : 0;
	t_written = now();
	written = n;
	return NULL;
}

/* whether SERVER_LOG shows the WRITE at offset 0 */
static bool first_write_held(void)
{
	char line[256];
	bool seen = false;
	FILE *f = fopen(server_log, "r");

	if (!f)
		return false;
	while (!seen && fgets(line, sizeof(line), f))
		seen = !strncmp(line, "WRITE 0 ", 8);
	fclose(f);
	return seen;
}

static void *mapper(void *arg)
{
	void *p;

	(void)arg;
	m_tid = gettid();
	while (!first_write_held() && written < 0)
		usleep(2000);
	t_map = now();
	p = mmap(NULL, 2 * chunk, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	t_mapped = now();
	if (p == MAP_FAILED)
		m_err = errno;
	else
		map = p;
	return NULL;
}

/* "state S syscall 296 wchan xyz" of one of our threads */
static void thread_state(const char *who, pid_t tid)
{
	char path[64], buf[512], *s;
	char state = '?', sc[64] = "?", wchan[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (s = strrchr(buf, ')')))
			state = s[2];
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%63s", sc) != 1)
			strcpy(sc, "?");
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(wchan, sizeof(wchan), f))
			strcpy(wchan, "?");
		fclose(f);
	}
	printf(" %s: state %c syscall %s wchan %s;", who, state, sc, wchan);
}

static int join_until(pthread_t t, const struct timespec *deadline)
{
	return pthread_timedjoin_np(t, NULL, deadline);
}

int main(int argc, char **argv)
{
	unsigned char *expect, *back;
	struct timespec deadline;
	pthread_t w, m;
	size_t i;
	int bad = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: diomap FILE CHUNK DELAY_MS SERVER_LOG\n");
		return 2;
	}
	chunk = strtoul(argv[2], NULL, 0);
	delay_ms = strtoul(argv[3], NULL, 0);
	server_log = argv[4];
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	first = malloc(chunk);
	expect = malloc(2 * chunk);
	back = malloc(2 * chunk);
	if (!first || !expect || !back)
		return 1;
	for (i = 0; i < chunk; i++)
		first[i] = 'A' + i % 23;
	memcpy(expect, first, chunk);
	/* what the second chunk will copy, read past any cache */
	if (pread(fd, expect + chunk, chunk, 4 * chunk) != (ssize_t)chunk) {
		printf("pread of the source range failed\n");
		return 1;
	}
	second = mmap(NULL, chunk, PROT_READ, MAP_PRIVATE, fd, 4 * chunk);
	if (second == MAP_FAILED) {
		printf("private mmap: %s\n", strerror(errno));
		return 1;
	}

	pthread_create(&w, NULL, writer, NULL);
	pthread_create(&m, NULL, mapper, NULL);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2 * delay_ms / 1000 + 15;
	if (join_until(w, &deadline) || join_until(m, &deadline)) {
		printf("hang: after %.1f s", now() - t_write);
		thread_state("writer", w_tid);
		thread_state("mapper", m_tid);
		printf("\n");
		_exit(1);	/* kills W's fault, and so frees M */
	}

	if (t_map == 0 || t_map - t_write >= delay_ms / 1000.0) {
		printf("inconclusive: the mmap came %.3f s after the write "
		       "started, not inside its first WRITE (%u ms)\n",
		       t_map ? t_map - t_write : -1.0, delay_ms);
		return 3;
	}
	if (written != (ssize_t)(2 * chunk)) {
		printf("write: %zd (%s), want %zu\n", written,
		       written < 0 ? strerror(w_err) : "short", 2 * chunk);
		return 1;
	}
	printf("written %zd\n", written);
	if (!map) {
		printf("shared mmap: %s\n", strerror(m_err));
		return 1;
	}
	printf("mapped-while-writing %s\n",
	       t_mapped < t_written ? "yes" : "no");
	if (pread(fd, back, 2 * chunk, 0) != (ssize_t)(2 * chunk)) {
		printf("pread back failed\n");
		return 1;
	}
	for (i = 0; i < 2 * chunk && !bad; i++) {
		if (back[i] != expect[i]) {
			printf("data differs at %zu (read back)\n", i);
			bad = 1;
		} else if (map[i] != expect[i]) {
			printf("data differs at %zu (the mapping)\n", i);
			bad = 1;
		}
	}
	if (!bad)
		printf("data ok\n");
	return bad;
}
