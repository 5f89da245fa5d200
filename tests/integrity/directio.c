// SPDX-License-Identifier: GPL-2.0
/*
 * directio: what direct I/O on a FUSE file does, as lines to compare
 * between stock fuse and fuse2pt.  The server opens FILE with
 * FOPEN_DIRECT_IO (passthrough_ll -o cache=never, ptsrv --mode dio).
 *
 *   directio aio FILE [-d]
 *       Linux AIO (io_submit, by syscall(2)) writes then reads of several
 *       sizes (1 byte .. 1 MiB, beyond max_write), each read checked
 *       against what was written, four at once to disjoint ranges, and a
 *       read across the end of file (short).  -d opens with O_DIRECT.
 *       Prints "SIZE write RES read RES data ok" lines.
 *   aioasync FILE
 *       One O_DIRECT 4 KiB io_submit write to a server that delays its
 *       WRITEs: "async yes" when io_submit returned before the answer
 *       (no event ready yet), "async no" when it waited for it.
 *   aiowait FILE
 *       One O_DIRECT 1 MiB io_submit write, then wait for its event,
 *       whatever happens to the server: "result ERRNO-NAME".
 *   aiobig FILE MIB CTLFILE
 *       One O_DIRECT io_submit write of MIB MiB to a server that holds its
 *       WRITEs: the most requests the connection held (CTLFILE, its
 *       "waiting" file) and the kernel memory taken, 3 s on ("waiting-max
 *       N", "kernel-mib N"); "ready" when the caller may kill the server.
 *   par FILE THREADS CTLFILE
 *       THREADS threads write disjoint ranges of a file of fixed size at
 *       once (pwrite, 64 KiB pieces), then every byte is checked.  The
 *       connection's "waiting" control file CTLFILE is sampled meanwhile:
 *       "parallel yes" when more than one WRITE was waiting at once.
 *   mmap FILE
 *       mmap of the direct-io file: private read-only, private writable,
 *       shared read-only, shared writable; each "ok" or its errno, and
 *       for the shared writable one whether data goes both ways.
 *
 * Exit 0 when every data check held, 1 otherwise, 2 on usage or setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int failed;

#define FAIL(...) do { printf("FAIL " __VA_ARGS__); printf("\n"); failed = 1; } while (0)

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static int io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static int io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static int io_submit(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, nr, iocbs);
}

static int io_getevents(aio_context_t ctx, long min, long max,
			struct io_event *ev, struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, ts);
}

/*
 * O_DIRECT after the open: the server opens its own file without it (so
 * a source filesystem without O_DIRECT, tmpfs before 6.6, does not
 * matter), while our I/O on the FUSE file is O_DIRECT.
 */
static void set_direct(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_DIRECT))
		die("fcntl O_DIRECT");
}

/* the byte at @off of pattern @seed */
static unsigned char pat(unsigned int seed, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL ^ seed * 0xbf58476dULL;

	return (unsigned char)(x >> 29);
}

static void fill(unsigned char *buf, size_t len, unsigned int seed,
		 uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat(seed, off + i);
}

/* first byte that differs from the pattern, or -1 */
static long check(const unsigned char *buf, size_t len, unsigned int seed,
		  uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pat(seed, off + i))
			return i;
	return -1;
}

static void prep(struct iocb *cb, int fd, int op, void *buf, size_t len,
		 uint64_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_lio_opcode = op;
	cb->aio_buf = (uintptr_t)buf;
	cb->aio_nbytes = len;
	cb->aio_offset = off;
}

/* submit @nr and wait for all; results in res[] (by iocb order) */
static int aio_run(aio_context_t ctx, struct iocb *cbs, int nr, long *res)
{
	struct iocb *p[8];
	struct io_event ev[8];
	int i, got = 0, n;

	for (i = 0; i < nr; i++) {
		cbs[i].aio_data = i;
		p[i] = &cbs[i];
	}
	n = io_submit(ctx, nr, p);
	if (n != nr)
		return n < 0 ? -errno : -EAGAIN;
	while (got < nr) {
		n = io_getevents(ctx, 1, nr - got, ev, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++)
			res[ev[i].data] = ev[i].res;
		got += n;
	}
	return 0;
}

static const size_t aio_sizes[] = {
	1, 4096, 100000, 131072, 131073, (1 << 20) + 123,
};

#define AIO_FILE	(2 << 20)

static int cmd_aio(const char *file, int odirect)
{
	size_t maxsz = (1 << 20) + 123;
	unsigned char *wb, *rb;
	aio_context_t ctx = 0;
	struct iocb cbs[4];
	long res[4];
	unsigned int seed = 7;
	size_t i;
	int fd, j;

	/* O_DIRECT may want aligned buffers on other filesystems */
	if (posix_memalign((void **)&wb, 4096, 4 * maxsz) ||
	    posix_memalign((void **)&rb, 4096, 4 * maxsz))
		die("posix_memalign");
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(file);
	if (odirect)
		set_direct(fd);
	/* the file has its size first: the async writes below do not extend */
	fill(wb, AIO_FILE, 1, 0);
	if (pwrite(fd, wb, AIO_FILE, 0) != AIO_FILE)
		die("pwrite");
	if (io_setup(8, &ctx))
		die("io_setup");

	for (i = 0; i < sizeof(aio_sizes) / sizeof(aio_sizes[0]); i++) {
		size_t sz = aio_sizes[i];
		uint64_t off = 4096 * i + i;	/* unaligned but for i == 0 */
		long bad;

		seed++;
		fill(wb, sz, seed, off);
		prep(&cbs[0], fd, IOCB_CMD_PWRITE, wb, sz, off);
		if (aio_run(ctx, cbs, 1, res))
			die("io_submit write");
		memset(rb, 0, sz);
		prep(&cbs[1], fd, IOCB_CMD_PREAD, rb, sz, off);
		if (aio_run(ctx, cbs + 1, 1, res + 1))
			die("io_submit read");
		printf("%zu write %ld read %ld", sz, res[0], res[1]);
		bad = check(rb, sz, seed, off);
		if (res[0] != (long)sz || res[1] != (long)sz || bad >= 0) {
			printf(" data bad at %ld\n", bad);
			failed = 1;
		} else {
			printf(" data ok\n");
		}
	}

	/* four at once, disjoint, each bigger than max_write */
	seed++;
	for (j = 0; j < 4; j++) {
		fill(wb + j * maxsz, 300000, seed, 5000 + j * 300000);
		prep(&cbs[j], fd, IOCB_CMD_PWRITE, wb + j * maxsz, 300000,
		     5000 + j * 300000);
	}
	if (aio_run(ctx, cbs, 4, res))
		die("io_submit 4 writes");
	printf("4x300000 write %ld %ld %ld %ld\n", res[0], res[1], res[2], res[3]);
	memset(rb, 0, 4 * maxsz);
	for (j = 0; j < 4; j++)
		prep(&cbs[j], fd, IOCB_CMD_PREAD, rb + j * maxsz, 300000,
		     5000 + j * 300000);
	if (aio_run(ctx, cbs, 4, res))
		die("io_submit 4 reads");
	printf("4x300000 read %ld %ld %ld %ld\n", res[0], res[1], res[2], res[3]);
	for (j = 0; j < 4; j++)
		if (res[j] != 300000 ||
		    check(rb + j * maxsz, 300000, seed, 5000 + j * 300000) >= 0)
			FAIL("4x300000: read %d bad", j);

	/* across the end of file: short, the data there is the file's */
	memset(rb, 0, maxsz);
	prep(&cbs[0], fd, IOCB_CMD_PREAD, rb, 400000, AIO_FILE - 150000);
	if (aio_run(ctx, cbs, 1, res))
		die("io_submit eof read");
	printf("eof read %ld\n", res[0]);
	if (res[0] != 150000 || check(rb, 150000, 1, AIO_FILE - 150000) >= 0)
		FAIL("eof read: want 150000 bytes of the first pattern");

	/* past the end: 0 */
	prep(&cbs[0], fd, IOCB_CMD_PREAD, rb, 4096, AIO_FILE + 4096);
	if (aio_run(ctx, cbs, 1, res))
		die("io_submit read past eof");
	printf("past-eof read %ld\n", res[0]);

	/* a bad buffer: EFAULT in both directions */
	prep(&cbs[0], fd, IOCB_CMD_PREAD, (void *)16, 8192, 0);
	if (aio_run(ctx, cbs, 1, res))
		printf("bad-buffer read submit error\n");
	else
		printf("bad-buffer read %s\n", res[0] < 0 ? strerrorname_np(-res[0]) : "ok?");

	io_destroy(ctx);
	close(fd);
	return failed;
}

static int cmd_aioasync(const char *file)
{
	struct timespec zero = { 0, 0 };
	struct io_event ev;
	struct iocb cb, *p = &cb;
	aio_context_t ctx = 0;
	unsigned char *buf;
	int fd, n;

	if (posix_memalign((void **)&buf, 4096, 4096))
		die("posix_memalign");
	fd = open(file, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		die(file);
	set_direct(fd);
	fill(buf, 4096, 3, 0);
	if (pwrite(fd, buf, 4096, 0) != 4096 || pwrite(fd, buf, 4096, 4096) != 4096)
		die("pwrite");
	if (io_setup(2, &ctx))
		die("io_setup");
	fill(buf, 4096, 4, 4096);
	prep(&cb, fd, IOCB_CMD_PWRITE, buf, 4096, 4096);
	if (io_submit(ctx, 1, &p) != 1)
		die("io_submit");
	n = io_getevents(ctx, 0, 1, &ev, &zero);
	printf("async %s\n", n == 0 ? "yes" : "no");
	if (n == 0 && io_getevents(ctx, 1, 1, &ev, NULL) != 1)
		die("io_getevents");
	printf("result %lld\n", (long long)ev.res);
	if (ev.res != 4096)
		failed = 1;
	io_destroy(ctx);
	if (pread(fd, buf, 4096, 4096) != 4096 || check(buf, 4096, 4, 4096) >= 0)
		FAIL("aioasync: data not written");
	close(fd);
	return failed;
}

/*
 * An O_DIRECT 1 MiB io_submit write to a server that does not answer (it
 * gets killed meanwhile): the event must still come, with an error.
 */
static int cmd_aiowait(const char *file)
{
	struct io_event ev;
	struct iocb cb, *p = &cb;
	aio_context_t ctx = 0;
	unsigned char *buf;
	int fd, n;

	if (posix_memalign((void **)&buf, 4096, 1 << 20))
		die("posix_memalign");
	fd = open(file, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 1 << 20))
		die(file);
	set_direct(fd);
	if (io_setup(2, &ctx))
		die("io_setup");
	fill(buf, 1 << 20, 5, 0);
	prep(&cb, fd, IOCB_CMD_PWRITE, buf, 1 << 20, 0);
	n = io_submit(ctx, 1, &p);
	printf("submitted %d\n", n);
	if (n != 1)
		return 1;
	while ((n = io_getevents(ctx, 1, 1, &ev, NULL)) < 0 && errno == EINTR)
		;
	if (n != 1)
		die("io_getevents");
	printf("result %s\n", (long long)ev.res < 0 ?
	       strerrorname_np(-(long long)ev.res) : "success?");
	io_destroy(ctx);
	close(fd);
	return 0;
}

/* MemFree of /proc/meminfo, in KiB (-1 if unreadable) */
static long mem_free_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int read_waiting(const char *ctl);

struct big_submit {
	aio_context_t ctx;
	struct iocb *cb;
	volatile int done;
	int n;
};

static void *big_submitter(void *arg)
{
	struct big_submit *b = arg;

	b->n = io_submit(b->ctx, 1, &b->cb);
	b->done = 1;
	return NULL;
}

/*
 * One O_DIRECT io_submit write of MIB MiB, within the file's size, to a
 * server that holds its WRITEs: how many requests the connection holds
 * (its "waiting" control file CTLFILE) and how much memory the kernel
 * took, 3 s later.  Prints "waiting-max N", "kernel-mib N" and whether
 * io_submit had returned; the server is then killed by the caller, and
 * the events must come.
 */
static int cmd_aiobig(const char *file, int mib, const char *ctl)
{
	size_t len = (size_t)mib << 20;
	struct big_submit b = {};
	struct iocb cb;
	struct io_event ev;
	pthread_t t;
	unsigned char *buf;
	long free0, free1;
	int fd, i, w, wmax = 0;

	if (posix_memalign((void **)&buf, 4096, len))
		die("posix_memalign");
	fill(buf, len, 9, 0);		/* the buffer is ours before we measure */
	fd = open(file, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, len))
		die(file);
	set_direct(fd);
	if (io_setup(2, &b.ctx))
		die("io_setup");
	prep(&cb, fd, IOCB_CMD_PWRITE, buf, len, 0);
	b.cb = &cb;
	free0 = mem_free_kib();
	if (pthread_create(&t, NULL, big_submitter, &b))
		die("pthread_create");
	for (i = 0; i < 30; i++) {
		usleep(100 * 1000);
		w = read_waiting(ctl);
		if (w > wmax)
			wmax = w;
	}
	free1 = mem_free_kib();
	printf("waiting-max %d\n", wmax);
	printf("kernel-mib %ld\n", free0 >= 0 && free1 >= 0 ? (free0 - free1) / 1024 : -1);
	printf("io_submit returned %s\n", b.done ? "yes" : "no");
	printf("ready\n");	/* the caller kills the server now */
	pthread_join(t, NULL);
	printf("submitted %d\n", b.n);
	if (b.n == 1) {
		while (io_getevents(b.ctx, 1, 1, &ev, NULL) < 0 && errno == EINTR)
			;
	}
	io_destroy(b.ctx);
	close(fd);
	return 0;
}

/* ---- parallel direct writes ---- */

#define PAR_PIECE	(64 << 10)
#define PAR_PIECES	4

static int par_fd;
static volatile int par_done;

static void *par_writer(void *arg)
{
	long t = (long)arg;
	unsigned char *buf = malloc(PAR_PIECE);
	int i;

	for (i = 0; i < PAR_PIECES; i++) {
		uint64_t off = ((uint64_t)t * PAR_PIECES + i) * PAR_PIECE;

		fill(buf, PAR_PIECE, 9, off);
		if (pwrite(par_fd, buf, PAR_PIECE, off) != PAR_PIECE) {
			perror("pwrite");
			failed = 1;
		}
	}
	free(buf);
	return NULL;
}

static int read_waiting(const char *ctl)
{
	char b[32];
	int fd = open(ctl, O_RDONLY), n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	return atoi(b);
}

static int cmd_par(const char *file, int threads, const char *ctl)
{
	size_t size = (size_t)threads * PAR_PIECES * PAR_PIECE;
	pthread_t th[16];
	unsigned char *buf;
	int maxw = 0, w;
	long t;

	if (threads < 1 || threads > 16)
		return 2;
	par_fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (par_fd < 0)
		die(file);
	/* the whole file exists first: the writes do not extend it */
	buf = calloc(1, size);
	if (!buf || pwrite(par_fd, buf, size, 0) != (ssize_t)size)
		die("pwrite");
	for (t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, par_writer, (void *)t);
	/* stop sampling when the writers are done */
	for (;;) {
		w = read_waiting(ctl);
		if (w > maxw)
			maxw = w;
		if (pthread_tryjoin_np(th[0], NULL) == 0)
			break;
	}
	for (t = 1; t < threads; t++)
		pthread_join(th[t], NULL);
	printf("parallel %s\n", maxw > 1 ? "yes" : "no");
	fprintf(stderr, "directio: most WRITEs waiting at once: %d\n", maxw);
	if (pread(par_fd, buf, size, 0) != (ssize_t)size)
		die("pread");
	if (check(buf, size, 9, 0) >= 0)
		FAIL("par: data at %ld", check(buf, size, 9, 0));
	else
		printf("par data ok\n");
	close(par_fd);
	return failed;
}

/* ---- mmap ---- */

static const char *map_try(int fd, int prot, int flags, void **p)
{
	*p = mmap(NULL, 8192, prot, flags, fd, 0);
	if (*p == MAP_FAILED)
		return strerrorname_np(errno);
	return "ok";
}

static int cmd_mmap(const char *file)
{
	unsigned char buf[8192];
	const char *r;
	void *p;
	int fd;

	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(file);
	fill(buf, 8192, 11, 0);
	if (pwrite(fd, buf, 8192, 0) != 8192)
		die("pwrite");

	r = map_try(fd, PROT_READ, MAP_PRIVATE, &p);
	printf("private-ro %s", r);
	if (p != MAP_FAILED) {
		printf(" data %s", check(p, 8192, 11, 0) < 0 ? "ok" : "bad");
		munmap(p, 8192);
	}
	printf("\n");

	r = map_try(fd, PROT_READ | PROT_WRITE, MAP_PRIVATE, &p);
	printf("private-rw %s", r);
	if (p != MAP_FAILED) {
		memset(p, 0x5a, 100);
		munmap(p, 8192);
		/* a private copy never reaches the file */
		if (pread(fd, buf, 8192, 0) != 8192)
			die("pread");
		printf(" file %s", check(buf, 8192, 11, 0) < 0 ? "unchanged" : "changed");
	}
	printf("\n");

	r = map_try(fd, PROT_READ, MAP_SHARED, &p);
	printf("shared-ro %s", r);
	if (p != MAP_FAILED) {
		printf(" data %s", check(p, 8192, 11, 0) < 0 ? "ok" : "bad");
		munmap(p, 8192);
	}
	printf("\n");

	r = map_try(fd, PROT_READ | PROT_WRITE, MAP_SHARED, &p);
	printf("shared-rw %s", r);
	if (p != MAP_FAILED) {
		unsigned char *m = p;

		/* mapping -> file */
		fill(m, 8192, 12, 0);
		if (msync(m, 8192, MS_SYNC))
			die("msync");
		if (pread(fd, buf, 8192, 0) != 8192)
			die("pread");
		printf(" to-file %s", check(buf, 8192, 12, 0) < 0 ? "ok" : "bad");
		/* file (a direct write) -> mapping */
		fill(buf, 4096, 13, 4096);
		if (pwrite(fd, buf, 4096, 4096) != 4096)
			die("pwrite");
		printf(" from-file %s", check(m + 4096, 4096, 13, 4096) < 0 ? "ok" : "bad");
		munmap(p, 8192);
	}
	printf("\n");
	close(fd);
	return failed;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "aio"))
		return cmd_aio(argv[2], argc > 3 && !strcmp(argv[3], "-d"));
	if (argc == 3 && !strcmp(argv[1], "aiowait"))
		return cmd_aiowait(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "aioasync"))
		return cmd_aioasync(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "par"))
		return cmd_par(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "mmap"))
		return cmd_mmap(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "aiobig"))
		return cmd_aiobig(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: directio aio FILE [-d] | aioasync FILE | aiowait FILE | aiobig FILE MIB CTLFILE | par FILE THREADS CTLFILE | mmap FILE\n");
	return 2;
}
