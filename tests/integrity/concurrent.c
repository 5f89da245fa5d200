// SPDX-License-Identifier: GPL-2.0
/*
 * concurrent: processes sharing one file under fcntl byte-range locks.
 *
 *   concurrent [-r READERS] [-w WRITERS] [-t SECONDS] [-n RECORDS]
 *              [-s SEED] [-T] [-I] [-D] [-v] FILE
 *
 * FILE is made of RECORDS records of 4096 bytes.  A record holds
 *   magic, its own index, a generation, the id of the writer, a payload
 *   derived from (seed, index, generation, writer), a checksum of the rest.
 * Writers (each its own process and open file) take an F_SETLKW write lock
 * on one or a few neighbouring records, read them, check them, and write
 * them back with the generation one higher, either in one pwrite or (not
 * with -D) each record in two pwrites split at a random byte, so a record
 * is only whole when the lock really keeps readers out.  Readers take read
 * locks on a few records and read them with pread or through a shared
 * mapping, and check each one: magic, index, checksum, payload, and that
 * its generation never goes back for that reader.  At the end the parent
 * checks that every record's generation equals the number of times the
 * writers wrote it (no lost update).
 *
 * -T  also: one process keeps truncating FILE.trunc down and up again
 *     while another reads it through a mapping; SIGBUS past EOF is caught
 *     (sigsetjmp) and counted, and every byte read must be the pattern or
 *     zero.
 * -I  also: one process holds a write lock for 20 ms at a time while
 *     another waits for it in F_SETLKW with a 5 ms timer; the wait must
 *     end with EINTR (counted; none at all is a failure).
 * -D  open FILE with O_DIRECT.
 *
 * Prints one summary line; exit 0 when every record read was whole,
 * 1 on any torn or inconsistent record, lost update, unexpected error or
 * crashed or hung child, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#define REC_SIZE	4096
#define REC_MAGIC	0x52503246u	/* "F2PR" */
#define INITIAL_WRITER	0xffffffffu
#define MAX_BATCH	8
#define MAX_MESSAGES	10
#define TRUNC_PAGES	64
#define HANG_GRACE	60		/* seconds past -t before a child is hung */

typedef unsigned char u8;

struct record_head {
	uint32_t magic;
	uint32_t index;
	uint64_t gen;
	uint32_t writer;
	uint32_t pad;
};

#define PAYLOAD_OFF	sizeof(struct record_head)
#define SUM_OFF		(REC_SIZE - 8)

/* Counters all processes add to; lives in a shared anonymous mapping. */
struct shared {
	unsigned long reads, map_reads, writes, split_writes;
	unsigned long torn, stale, errors;
	unsigned long trunc_cycles, trunc_reads, sigbus, bad_bytes;
	unsigned long eintr, lock_waits_won;
	unsigned long rec_writes[];	/* per record, by the writers */
};

enum role { READER, WRITER, TRUNCATOR, MAPPER, HOLDER, WAITER };

static const char *const role_name[] = {
	[READER] = "reader", [WRITER] = "writer", [TRUNCATOR] = "truncator",
	[MAPPER] = "mapper", [HOLDER] = "holder", [WAITER] = "waiter",
};

static const char *path;
static char *trunc_path;
static unsigned int nreaders = 4, nwriters = 2, nrec = 32;
static unsigned int seconds = 5;
static uint64_t seed;
static bool do_trunc, do_intr, verbose;
static int open_flags = O_RDWR | O_CLOEXEC;
static struct shared *sh;
static struct timespec deadline;

/* Per process. */
static enum role my_role;
static unsigned int my_id;
static unsigned int messages;
static uint64_t rng;

#define ADD(field, n)	__atomic_fetch_add(&sh->field, (n), __ATOMIC_RELAXED)

/* ------------------------------------------------------------------ */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd64(void)
{
	return mix64(rng += 0x9e3779b97f4a7c15ULL);
}

static uint64_t rnd(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rnd64() * n) >> 64);
}

static uint64_t checksum(const u8 *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void payload(u8 *p, uint32_t index, uint64_t gen, uint32_t writer)
{
	uint64_t s = mix64(seed ^ mix64(((uint64_t)index << 32 | writer) ^
				       mix64(gen)));
	size_t i;

	for (i = 0; i + 8 <= SUM_OFF - PAYLOAD_OFF; i += 8) {
		uint64_t v = mix64(s += 0x9e3779b97f4a7c15ULL);

		memcpy(p + i, &v, 8);
	}
}

static void make_record(u8 *rec, uint32_t index, uint64_t gen,
			uint32_t writer)
{
	struct record_head h = {
		.magic = REC_MAGIC, .index = index, .gen = gen,
		.writer = writer,
	};
	uint64_t sum;

	memcpy(rec, &h, sizeof(h));
	payload(rec + PAYLOAD_OFF, index, gen, writer);
	sum = checksum(rec, SUM_OFF);
	memcpy(rec + SUM_OFF, &sum, 8);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (messages++ >= MAX_MESSAGES)
		return;
	fprintf(stderr, "concurrent: %s %u (pid %d): ", role_name[my_role],
		my_id, getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "concurrent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* An unexpected error in a child: count it and stop that child. */
static void __attribute__((noreturn, format(printf, 1, 2)))
child_fail(const char *fmt, ...)
{
	va_list ap;

	ADD(errors, 1);
	fprintf(stderr, "concurrent: %s %u (pid %d): ", role_name[my_role],
		my_id, getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/*
 * Is the record that should be record @index whole?  Returns NULL when it
 * is, else what is wrong with it.
 */
static const char *record_problem(const u8 *rec, uint32_t index)
{
	static u8 expect[REC_SIZE];
	struct record_head h;
	uint64_t sum;

	memcpy(&h, rec, sizeof(h));
	memcpy(&sum, rec + SUM_OFF, 8);
	if (h.magic != REC_MAGIC)
		return "bad magic";
	if (h.index != index)
		return "wrong index";
	if (h.writer != INITIAL_WRITER && h.writer >= nwriters)
		return "bad writer id";
	if (sum != checksum(rec, SUM_OFF))
		return "checksum mismatch";
	payload(expect, index, h.gen, h.writer);
	if (memcmp(expect, rec + PAYLOAD_OFF, SUM_OFF - PAYLOAD_OFF))
		return "payload is not that of its generation";
	return NULL;
}

static bool check_record(const u8 *rec, uint32_t index, const char *how)
{
	const char *why = record_problem(rec, index);
	struct record_head h;
	size_t i;

	if (!why)
		return true;
	memcpy(&h, rec, sizeof(h));
	ADD(torn, 1);
	say("record %u (offset 0x%x) read by %s is torn: %s (magic 0x%08x index %u gen %" PRIu64 " writer %u)",
	    index, index * REC_SIZE, how, why, h.magic, h.index, h.gen,
	    h.writer);
	if (messages <= MAX_MESSAGES) {
		fprintf(stderr, "  first bytes:");
		for (i = 0; i < 32; i++)
			fprintf(stderr, " %02x", rec[i]);
		fprintf(stderr, "\n");
	}
	return false;
}

static uint64_t record_gen(const u8 *rec)
{
	struct record_head h;

	memcpy(&h, rec, sizeof(h));
	return h.gen;
}

static bool time_left(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec < deadline.tv_nsec);
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* F_SETLKW, retried after EINTR. */
static void lock(int fd, short type, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET,
		.l_start = start, .l_len = len,
	};

	while (fcntl(fd, F_SETLKW, &fl)) {
		if (errno != EINTR)
			child_fail("fcntl(F_SETLKW, %s, 0x%llx, %lld): %s",
				   type == F_RDLCK ? "F_RDLCK" :
				   type == F_WRLCK ? "F_WRLCK" : "F_UNLCK",
				   (long long)start, (long long)len,
				   strerror(errno));
	}
}

static void full_pread(int fd, u8 *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = pread(fd, buf + done, len - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			child_fail("pread 0x%llx len %zu: %s",
				   (long long)(off + done), len - done,
				   r ? strerror(errno) : "unexpected EOF");
		done += r;
	}
}

static void full_pwrite(int fd, const u8 *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = pwrite(fd, buf + done, len - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			child_fail("pwrite 0x%llx len %zu: %s",
				   (long long)(off + done), len - done,
				   r ? strerror(errno) : "returned 0");
		done += r;
	}
}

static u8 *alloc_buf(size_t len)
{
	void *p;

	if (posix_memalign(&p, REC_SIZE, len))
		child_fail("out of memory");
	return p;
}

static int open_file(const char *p, int flags)
{
	int fd = open(p, flags, 0644);

	if (fd < 0)
		child_fail("open %s: %s", p, strerror(errno));
	return fd;
}

/* ------------------------------------------------------------------ */
/* Readers and writers of the records.                                  */

static void run_writer(void)
{
	int fd = open_file(path, open_flags);
	u8 *buf = alloc_buf(MAX_BATCH * REC_SIZE);
	unsigned int first, k, i;

	while (time_left()) {
		k = rnd(4) ? 1 : 1 + rnd(MAX_BATCH);
		if (k > nrec)
			k = nrec;
		first = rnd(nrec - k + 1);
		lock(fd, F_WRLCK, (off_t)first * REC_SIZE, (off_t)k * REC_SIZE);
		full_pread(fd, buf, k * REC_SIZE, (off_t)first * REC_SIZE);
		for (i = 0; i < k; i++) {
			u8 *rec = buf + i * REC_SIZE;

			check_record(rec, first + i, "its writer");
			make_record(rec, first + i, record_gen(rec) + 1, my_id);
		}
		if ((open_flags & O_DIRECT) || rnd(2)) {
			full_pwrite(fd, buf, k * REC_SIZE,
				    (off_t)first * REC_SIZE);
		} else {
			/* Each record in two writes: torn unless locked. */
			for (i = 0; i < k; i++) {
				off_t off = (off_t)(first + i) * REC_SIZE;
				size_t split = 1 + rnd(REC_SIZE - 1);

				full_pwrite(fd, buf + i * REC_SIZE + split,
					    REC_SIZE - split, off + split);
				full_pwrite(fd, buf + i * REC_SIZE, split, off);
			}
			ADD(split_writes, 1);
		}
		for (i = 0; i < k; i++)
			ADD(rec_writes[first + i], 1);
		lock(fd, F_UNLCK, (off_t)first * REC_SIZE, (off_t)k * REC_SIZE);
		ADD(writes, 1);
	}
	close(fd);
}

static void run_reader(void)
{
	int fd = open_file(path, open_flags);
	u8 *buf = alloc_buf(MAX_BATCH * REC_SIZE);
	uint64_t *seen = calloc(nrec, sizeof(*seen));
	size_t maplen = (size_t)nrec * REC_SIZE;
	unsigned int first, k, i;
	bool via_map;
	u8 *map;

	if (!seen)
		child_fail("out of memory");
	map = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		if (errno != ENODEV)
			child_fail("mmap: %s", strerror(errno));
		if (my_id == 0)
			fprintf(stderr, "concurrent: mmap: %s; readers use pread only\n",
				strerror(errno));
		map = NULL;
	}
	while (time_left()) {
		k = 1 + rnd(MAX_BATCH);
		if (k > nrec)
			k = nrec;
		first = rnd(nrec - k + 1);
		via_map = map && rnd(4) == 0;
		lock(fd, F_RDLCK, (off_t)first * REC_SIZE, (off_t)k * REC_SIZE);
		if (via_map)
			memcpy(buf, map + (size_t)first * REC_SIZE,
			       (size_t)k * REC_SIZE);
		else
			full_pread(fd, buf, k * REC_SIZE,
				   (off_t)first * REC_SIZE);
		lock(fd, F_UNLCK, (off_t)first * REC_SIZE, (off_t)k * REC_SIZE);
		for (i = 0; i < k; i++) {
			u8 *rec = buf + i * REC_SIZE;
			uint64_t gen = record_gen(rec);

			if (!check_record(rec, first + i,
					  via_map ? "mmap" : "pread"))
				continue;
			if (gen < seen[first + i]) {
				ADD(stale, 1);
				say("record %u went back from generation %" PRIu64 " to %" PRIu64 " (%s)",
				    first + i, seen[first + i], gen,
				    via_map ? "mmap" : "pread");
			}
			seen[first + i] = gen;
		}
		ADD(reads, 1);
		if (via_map)
			ADD(map_reads, 1);
	}
	if (map)
		munmap(map, maplen);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Truncating a file that another process reads through a mapping.     */

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

static u8 pattern(size_t off)
{
	return off % 251 + 1;	/* never zero */
}

static void run_truncator(void)
{
	size_t size = TRUNC_PAGES * 4096, i;
	int fd = open_file(trunc_path, O_RDWR | O_CLOEXEC);
	u8 *buf = alloc_buf(size);

	for (i = 0; i < size; i++)
		buf[i] = pattern(i);
	while (time_left()) {
		full_pwrite(fd, buf, size, 0);
		if (ftruncate(fd, rnd(size)))
			child_fail("ftruncate down: %s", strerror(errno));
		sleep_us(rnd(500));
		if (ftruncate(fd, size))
			child_fail("ftruncate up: %s", strerror(errno));
		sleep_us(rnd(200));
		ADD(trunc_cycles, 1);
	}
	close(fd);
}

static void run_mapper(void)
{
	size_t size = TRUNC_PAGES * 4096;
	int fd = open_file(trunc_path, O_RDONLY | O_CLOEXEC);
	struct sigaction sa;
	volatile u8 *map;
	/* Kept in memory: a SIGBUS jumps back into the loop. */
	volatile size_t off = 0, j = 0;
	volatile unsigned long reads = 0, bus = 0, bad = 0;
	u8 b;

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED && errno == ENODEV) {
		fprintf(stderr, "concurrent: mapper: MAP_SHARED: %s; using MAP_PRIVATE\n",
			strerror(errno));
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	}
	if (map == MAP_FAILED)
		child_fail("mmap %s: %s", trunc_path, strerror(errno));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);

	while (time_left()) {
		off = rnd(size - 64);
		if (sigsetjmp(bus_jmp, 1)) {
			bus++;
			continue;
		}
		for (j = 0; j < 64; j++) {
			b = map[off + j];
			if (b && b != pattern(off + j)) {
				bad++;
				say("mapping of %s at 0x%zx reads 0x%02x, expected 0x%02x or 0",
				    trunc_path, off + j, b, pattern(off + j));
			}
		}
		reads++;
	}
	ADD(trunc_reads, reads);
	ADD(sigbus, bus);
	ADD(bad_bytes, bad);
	munmap((void *)map, size);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Lock waits interrupted by a signal.                                  */

static void on_alarm(int sig)
{
	(void)sig;
}

static off_t intr_lock_off(void)
{
	return (off_t)(nrec + 1) * REC_SIZE;	/* past the records */
}

static void run_holder(void)
{
	int fd = open_file(path, open_flags);

	while (time_left()) {
		lock(fd, F_WRLCK, intr_lock_off(), 1);
		sleep_us(20000);
		lock(fd, F_UNLCK, intr_lock_off(), 1);
		sleep_us(1000);
	}
	close(fd);
}

static void run_waiter(void)
{
	int fd = open_file(path, open_flags);
	struct itimerval arm = { .it_value = { 0, 5000 } }, off = { 0 };
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET,
		.l_start = intr_lock_off(), .l_len = 1,
	};
	unsigned long eintr = 0, won = 0;
	struct sigaction sa;
	int r, err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);

	/* Give the holder the first turn. */
	sleep_us(5000);
	while (time_left()) {
		fl.l_type = F_WRLCK;
		setitimer(ITIMER_REAL, &arm, NULL);
		r = fcntl(fd, F_SETLKW, &fl);
		err = errno;
		setitimer(ITIMER_REAL, &off, NULL);
		if (r == 0) {
			won++;
			lock(fd, F_UNLCK, intr_lock_off(), 1);
		} else if (err == EINTR) {
			eintr++;
		} else {
			child_fail("F_SETLKW: %s", strerror(err));
		}
		sleep_us(rnd(3000));
	}
	ADD(eintr, eintr);
	ADD(lock_waits_won, won);
	close(fd);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: concurrent [-r READERS] [-w WRITERS] [-t SECONDS] [-n RECORDS]\n"
		"                  [-s SEED] [-T] [-I] [-D] [-v] FILE\n"
		"  -r N   reader processes (default 4)\n"
		"  -w N   writer processes (default 2)\n"
		"  -t S   run for S seconds (default 5)\n"
		"  -n N   records of 4096 bytes in FILE (default 32)\n"
		"  -s N   seed (default: from the clock)\n"
		"  -T     also truncate FILE.trunc under a process reading it mapped\n"
		"  -I     also interrupt F_SETLKW waits with a timer signal\n"
		"  -D     open FILE with O_DIRECT\n"
		"  -v     more counters in the summary\n");
}

static unsigned long parse_num(const char *s, char opt, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		die("-%c: bad number '%s'", opt, s);
	return v;
}

static pid_t start(enum role role, unsigned int id)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid)
		return pid;
	my_role = role;
	my_id = id;
	rng = mix64(seed ^ ((uint64_t)role << 48) ^ ((uint64_t)id << 32));
	switch (role) {
	case READER:	run_reader(); break;
	case WRITER:	run_writer(); break;
	case TRUNCATOR:	run_truncator(); break;
	case MAPPER:	run_mapper(); break;
	case HOLDER:	run_holder(); break;
	case WAITER:	run_waiter(); break;
	}
	exit(messages ? 1 : 0);
}

static void setup_files(void)
{
	size_t len = (size_t)nrec * REC_SIZE;
	u8 *buf;
	unsigned int i;
	int fd;

	if (posix_memalign((void **)&buf, REC_SIZE, len))
		die("out of memory");
	for (i = 0; i < nrec; i++)
		make_record(buf + (size_t)i * REC_SIZE, i, 0, INITIAL_WRITER);
	fd = open(path, open_flags | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		die("writing %s: %s", path, strerror(errno));
	close(fd);
	free(buf);

	if (do_trunc) {
		fd = open(trunc_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0)
			die("open %s: %s", trunc_path, strerror(errno));
		if (ftruncate(fd, TRUNC_PAGES * 4096))
			die("ftruncate %s: %s", trunc_path, strerror(errno));
		close(fd);
	}
}

/* Every record whole, and written exactly as often as the writers say. */
static unsigned long final_check(void)
{
	size_t len = (size_t)nrec * REC_SIZE;
	unsigned long lost = 0;
	struct stat sb;
	unsigned int i;
	u8 *buf;
	int fd;

	my_role = READER;
	my_id = 0;
	messages = 0;
	if (posix_memalign((void **)&buf, REC_SIZE, len))
		die("out of memory");
	fd = open(path, open_flags);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || sb.st_size != (off_t)len) {
		fprintf(stderr, "concurrent: final: %s is %lld bytes, expected %zu\n",
			path, (long long)sb.st_size, len);
		lost++;
	}
	if (pread(fd, buf, len, 0) != (ssize_t)len)
		die("final read of %s: %s", path, strerror(errno));
	close(fd);
	for (i = 0; i < nrec; i++) {
		u8 *rec = buf + (size_t)i * REC_SIZE;

		if (!check_record(rec, i, "the final check"))
			continue;
		if (record_gen(rec) != sh->rec_writes[i]) {
			lost++;
			fprintf(stderr, "concurrent: record %u: generation %" PRIu64 " after %lu writes (lost update)\n",
				i, record_gen(rec), sh->rec_writes[i]);
		}
	}
	free(buf);
	return lost;
}

int main(int argc, char **argv)
{
	unsigned int nchildren = 0, i, bad_children = 0;
	unsigned long lost;
	struct timespec now;
	bool have_seed = false, ok;
	pid_t *pids;
	int c, status;
	size_t shlen;

	while ((c = getopt(argc, argv, "r:w:t:n:s:TIDvh")) != -1) {
		switch (c) {
		case 'r': nreaders = parse_num(optarg, c, 1000); break;
		case 'w': nwriters = parse_num(optarg, c, 1000); break;
		case 't': seconds = parse_num(optarg, c, 86400); break;
		case 'n': nrec = parse_num(optarg, c, 1u << 20); break;
		case 's':
			seed = parse_num(optarg, c, ~0UL);
			have_seed = true;
			break;
		case 'T': do_trunc = true; break;
		case 'I': do_intr = true; break;
		case 'D': open_flags |= O_DIRECT; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !nrec) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (asprintf(&trunc_path, "%s.trunc", path) < 0)
		die("out of memory");
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &now);
		seed = (uint64_t)now.tv_sec * 1000003 ^ now.tv_nsec;
	}

	shlen = sizeof(*sh) + nrec * sizeof(sh->rec_writes[0]);
	sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	setup_files();

	pids = calloc(nreaders + nwriters + 4, sizeof(*pids));
	if (!pids)
		die("out of memory");
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	fflush(stdout);
	for (i = 0; i < nwriters; i++)
		pids[nchildren++] = start(WRITER, i);
	for (i = 0; i < nreaders; i++)
		pids[nchildren++] = start(READER, i);
	if (do_trunc) {
		pids[nchildren++] = start(TRUNCATOR, 0);
		pids[nchildren++] = start(MAPPER, 0);
	}
	if (do_intr) {
		pids[nchildren++] = start(HOLDER, 0);
		pids[nchildren++] = start(WAITER, 0);
	}

	/* Reap; a child still there long after the end is hung. */
	for (;;) {
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			for (i = 0; i < nchildren; i++)
				if (pids[i] == pid)
					pids[i] = 0;
			if (WIFSIGNALED(status)) {
				fprintf(stderr, "concurrent: child %d killed by signal %d (%s)\n",
					pid, WTERMSIG(status),
					strsignal(WTERMSIG(status)));
				bad_children++;
			} else if (WEXITSTATUS(status)) {
				bad_children++;
			}
			continue;
		}
		if (pid < 0)
			break;	/* ECHILD: all reaped */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec + HANG_GRACE) {
			for (i = 0; i < nchildren; i++) {
				if (!pids[i])
					continue;
				fprintf(stderr, "concurrent: child %d hung, killing it\n",
					pids[i]);
				kill(pids[i], SIGKILL);
				bad_children++;
			}
			while (waitpid(-1, &status, 0) > 0)
				;
			break;
		}
		sleep_us(10000);
	}

	lost = final_check();
	ok = !bad_children && !lost && !sh->torn && !sh->stale &&
	     !sh->errors && !sh->bad_bytes && (!do_intr || sh->eintr);
	if (do_intr && !sh->eintr)
		fprintf(stderr, "concurrent: no F_SETLKW wait was interrupted (EINTR) in %u s\n",
			seconds);

	printf("concurrent: readers=%u writers=%u secs=%u records=%u reads=%lu writes=%lu torn=%lu stale=%lu lost=%lu",
	       nreaders, nwriters, seconds, nrec, sh->reads, sh->writes,
	       sh->torn, sh->stale, lost);
	if (do_trunc)
		printf(" truncs=%lu mapreads=%lu sigbus=%lu badbytes=%lu",
		       sh->trunc_cycles, sh->trunc_reads, sh->sigbus,
		       sh->bad_bytes);
	if (do_intr)
		printf(" eintr=%lu lockwon=%lu", sh->eintr, sh->lock_waits_won);
	if (verbose)
		printf(" viammap=%lu splitwrites=%lu errors=%lu seed=%" PRIu64,
		       sh->map_reads, sh->split_writes, sh->errors, seed);
	printf(" %s\n", ok ? "ok" : "FAILED");
	if (do_trunc)
		unlink(trunc_path);
	return ok ? 0 : 1;
}
