// SPDX-License-Identifier: GPL-2.0
/*
 * storm: a signal storm on callers of a FUSE mount (89-storm.sh, issue 17).
 *
 *   storm [-w WORKERS] [-s SEED] [-i SIGNAL_US] [-k KILL_MS] [-H HANG_S]
 *         MNT SECONDS
 *
 * WORKERS (8) processes read, stat and list the tree of storm.h under MNT
 * in loops, each with a SIGUSR1 handler installed without SA_RESTART.  A
 * thread sends SIGUSR1 to every worker each SIGNAL_US microseconds (100;
 * 0: never, for a calm run that checks the tree).  Every KILL_MS
 * milliseconds (10; 0: never) one worker, picked at random, gets SIGKILL
 * and a new one takes its place once it is gone.  At the end the workers
 * are asked to stop.  (Under emulation the signaller reaches far fewer
 * rounds than one per SIGNAL_US: "signals sent" says how many.)
 *
 * Checked: every byte a read returns is the file's (a short read is
 * allowed: the server may end a READ early with EINTR), stat gives the
 * right type and size, a complete listing has exactly the directory's
 * names, /missing is ENOENT.  A worker that is not gone HANG_S seconds
 * (10) after its SIGKILL, or after it was asked to stop, hangs: its state,
 * wchan and kernel stack are printed.
 *
 * Prints a summary, the last line "storm: PASS" or "storm: FAIL REASONS".
 * Errors other than EINTR are counted and printed by name ("errors: ..."),
 * and fail the run only when they are wrong answers (a stat of /missing
 * that succeeds).  Exit status: 0 pass, 1 wrong data or a worker that
 * died by itself, 3 a hang, 2 usage or setup.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include "testlib.h"
#include "storm.h"

#define MAX_WORKERS	64
#define MAX_ERRNO	256
#define MAX_READ	(160 * 1024)
#define MAX_REPORTS	5		/* wrong-data reports per worker */

enum op { OP_READ, OP_STAT, OP_LIST, OP_MISSING, NR_OPS };

static const char *const op_names[NR_OPS] = { "read", "stat", "readdir", "missing" };

/* What a worker slot has done, over all the processes that held it. */
struct slot_stats {
	unsigned long ops[NR_OPS];
	unsigned long eintr;
	unsigned long bytes;
	unsigned long short_reads;
	unsigned long wrong;		/* wrong data, sizes, listings */
	unsigned long err[MAX_ERRNO];	/* other errors, by errno */
	unsigned int reports;
};

/* Shared with the workers (MAP_SHARED): they may die at any instruction. */
struct shared {
	volatile int stop;
	struct slot_stats slot[MAX_WORKERS];
};

static struct {
	int workers;
	uint64_t seed;
	unsigned int signal_us;
	unsigned int kill_ms;
	unsigned int hang_s;
	const char *mnt;
	unsigned int seconds;
} cfg = { .workers = 8, .seed = 1, .signal_us = 100, .kill_ms = 10, .hang_s = 10 };

static struct shared *sh;

/* ---- the workers ---- */

static volatile sig_atomic_t signals_seen;

static void on_usr1(int sig)
{
	(void)sig;
	signals_seen++;
}

static uint64_t worker_rng;

static uint64_t wrnd(uint64_t n)
{
	return splitmix64(&worker_rng) % n;
}

static void say_wrong(struct slot_stats *st, int slot, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Count wrong data; describe the first few (one write: workers share stderr). */
static void say_wrong(struct slot_stats *st, int slot, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	st->wrong++;
	if (st->reports >= MAX_REPORTS)
		return;
	st->reports++;
	n = snprintf(line, sizeof(line), "storm: worker %d pid %d: WRONG: ", slot, getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(2, line, n) < 0)
		return;
}

/* A failed call: EINTR is what the storm is about; anything else is counted. */
static void failed_call(struct slot_stats *st)
{
	if (errno == EINTR)
		st->eintr++;
	else
		st->err[errno < MAX_ERRNO ? errno : 0]++;
}

static void op_read(struct slot_stats *st, int slot)
{
	static unsigned char buf[MAX_READ];
	unsigned int k = wrnd(STORM_FILES), tries = 1 + wrnd(3);
	uint64_t size = storm_size[k], off, want, i;
	char path[4096], name[16];
	ssize_t n;
	size_t len;
	int fd;

	storm_file_name(name, sizeof(name), k);
	snprintf(path, sizeof(path), "%s/%s", cfg.mnt, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return failed_call(st);
	while (tries--) {
		/* now and then past the end, and from the start with read() */
		off = wrnd(4) ? wrnd(size + 64) : 0;
		len = 1 + wrnd(MAX_READ);
		n = off ? pread(fd, buf, len, off) : read(fd, buf, len);
		if (!off && n >= 0 && lseek(fd, 0, SEEK_SET) < 0)
			failed_call(st);
		if (n < 0) {
			failed_call(st);
			continue;
		}
		want = off < size ? size - off : 0;
		if (want > len)
			want = len;
		if ((uint64_t)n > want) {
			say_wrong(st, slot, "%s: read of %zu at %llu returned %zd, the file has %llu",
				  name, len, (unsigned long long)off, n, (unsigned long long)size);
			continue;
		}
		if ((uint64_t)n < want)
			st->short_reads++;
		st->bytes += n;
		for (i = 0; i < (uint64_t)n; i++)
			if (buf[i] != storm_byte(k, off + i))
				break;
		if (i < (uint64_t)n)
			say_wrong(st, slot, "%s: byte %llu is %#x, want %#x (read of %zu at %llu returned %zd)",
				  name, (unsigned long long)(off + i), buf[i],
				  storm_byte(k, off + i), len, (unsigned long long)off, n);
	}
	if (close(fd) < 0)
		failed_call(st);
}

static void op_stat(struct slot_stats *st, int slot)
{
	char path[4096], name[16];
	struct stat sb;
	uint64_t size;

	if (wrnd(2)) {
		unsigned int k = wrnd(STORM_FILES);

		storm_file_name(name, sizeof(name), k);
		snprintf(path, sizeof(path), "%s/%s", cfg.mnt, name);
		size = storm_size[k];
	} else {
		unsigned int e = wrnd(STORM_ENTRIES);

		storm_entry_name(name, sizeof(name), e);
		snprintf(path, sizeof(path), "%s/%s/%s", cfg.mnt, STORM_DIR, name);
		size = e;
	}
	if (stat(path, &sb) < 0)
		return failed_call(st);
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != size)
		say_wrong(st, slot, "stat %s: mode %o size %lld, want a regular file of %llu",
			  name, sb.st_mode, (long long)sb.st_size, (unsigned long long)size);
}

static void op_missing(struct slot_stats *st, int slot)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", cfg.mnt, STORM_MISSING);
	if (stat(path, &sb) == 0)
		say_wrong(st, slot, "stat %s succeeded", STORM_MISSING);
	else if (errno != ENOENT)
		failed_call(st);
}

/* List the root or d; a complete listing must have exactly their names. */
static void op_list(struct slot_stats *st, int slot)
{
	static char buf[4096];
	bool root = wrnd(2), seen[STORM_ENTRIES + 1] = { false };
	unsigned int want = root ? STORM_FILES + 1 : STORM_ENTRIES, got = 0, i;
	char path[4096], name[16];
	long n, pos;
	int fd;

	snprintf(path, sizeof(path), "%s%s%s", cfg.mnt, root ? "" : "/", root ? "" : STORM_DIR);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return failed_call(st);
	for (;;) {
		n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0) {
			failed_call(st);
			goto out;	/* incomplete: nothing to check */
		}
		if (n == 0)
			break;
		for (pos = 0; pos < n;) {
			struct dirent64 *d = (void *)(buf + pos);

			pos += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			for (i = 0; i < want; i++) {
				if (root && i == STORM_FILES)
					snprintf(name, sizeof(name), "%s", STORM_DIR);
				else if (root)
					storm_file_name(name, sizeof(name), i);
				else
					storm_entry_name(name, sizeof(name), i);
				if (!strcmp(name, d->d_name))
					break;
			}
			if (i == want || seen[i]) {
				say_wrong(st, slot, "listing of %s: %s '%s'", root ? "/" : STORM_DIR,
					  i == want ? "unknown name" : "twice", d->d_name);
				goto out;
			}
			seen[i] = true;
			got++;
		}
	}
	if (got != want)
		say_wrong(st, slot, "listing of %s: %u names, want %u",
			  root ? "/" : STORM_DIR, got, want);
out:
	if (close(fd) < 0)
		failed_call(st);
}

static void __attribute__((noreturn)) worker(int slot, uint64_t seed)
{
	struct slot_stats *st = &sh->slot[slot];
	struct sigaction sa;
	sigset_t usr1;
	enum op op;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: calls end with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	worker_rng = seed;
	while (!sh->stop) {
		op = wrnd(10);
		op = op < 4 ? OP_READ : op < 7 ? OP_STAT : op < 9 ? OP_LIST : OP_MISSING;
		switch (op) {
		case OP_READ:	 op_read(st, slot); break;
		case OP_STAT:	 op_stat(st, slot); break;
		case OP_LIST:	 op_list(st, slot); break;
		default:	 op_missing(st, slot); break;
		}
		st->ops[op]++;
	}
	_exit(0);
}

/* ---- the parent: signaller, killer, reaper ---- */

struct worker_proc {
	pid_t pid;		/* 0: none; under sig_lock while it may change */
	bool dying;		/* SIGKILLed, not reaped yet */
	bool hung;		/* reported as hanging */
	uint64_t since;		/* when it was killed (ms) */
	unsigned long spawned;
};

static struct worker_proc procs[MAX_WORKERS];
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile bool signaller_stop;
static unsigned long signals_sent, kills, hangs, self_deaths;
static uint64_t rng;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_us(unsigned long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *signaller(void *arg)
{
	int i;

	(void)arg;
	while (!signaller_stop) {
		/* the pids are not reaped while we hold the lock: never a stranger */
		pthread_mutex_lock(&sig_lock);
		for (i = 0; i < cfg.workers; i++)
			if (procs[i].pid > 0 && !procs[i].dying &&
			    kill(procs[i].pid, SIGUSR1) == 0)
				signals_sent++;
		pthread_mutex_unlock(&sig_lock);
		sleep_us(cfg.signal_us);
	}
	return NULL;
}

static void spawn(int slot)
{
	uint64_t seed = splitmix64(&rng);
	pid_t pid;

	/* SIGUSR1 is blocked here, so the child waits for its handler */
	pid = fork();
	if (pid < 0) {
		perror("storm: fork");
		exit(2);
	}
	if (pid == 0)
		worker(slot, seed);
	pthread_mutex_lock(&sig_lock);
	procs[slot].pid = pid;
	procs[slot].dying = false;
	procs[slot].hung = false;
	procs[slot].spawned++;
	pthread_mutex_unlock(&sig_lock);
}

/* The contents of /proc/PID/NAME, or "" */
static const char *proc_file(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Print what the kernel says a hanging worker does. */
static void describe(pid_t pid)
{
	char stat[1024], wchan[128], stack[4096];
	const char *state = strrchr(proc_file(pid, "stat", stat, sizeof(stat)), ')');

	proc_file(pid, "wchan", wchan, sizeof(wchan));
	proc_file(pid, "stack", stack, sizeof(stack));
	printf("storm:   pid %d state %c wchan %s, kernel stack:\n%s", pid,
	       state && state[1] && state[2] ? state[2] : '?', wchan, stack);
}

/* Has the worker in @slot exited?  Reaps it if so; *status set. */
static bool reap(int slot, int *status)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, procs[slot].pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid == 0)
		return false;
	pthread_mutex_lock(&sig_lock);
	/* now it cannot be signalled any more: reap it */
	waitpid(procs[slot].pid, status, 0);
	procs[slot].pid = 0;
	pthread_mutex_unlock(&sig_lock);
	return true;
}

/* The storm itself; returns when time is up or a worker hangs. */
static void run_storm(void)
{
	uint64_t end = now_ms() + cfg.seconds * 1000ULL, now;
	int i, status, live[MAX_WORKERS], nlive;

	while ((now = now_ms()) < end && !hangs) {
		for (i = 0; i < cfg.workers; i++) {
			if (reap(i, &status)) {
				if (!procs[i].dying) {
					self_deaths++;
					printf("storm: worker %d died by itself: %s %d\n", i,
					       WIFSIGNALED(status) ? "signal" : "status",
					       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				}
				spawn(i);
			} else if (procs[i].dying && !procs[i].hung &&
				   now - procs[i].since > cfg.hang_s * 1000ULL) {
				procs[i].hung = true;
				hangs++;
				printf("storm: HANG: worker %d pid %d not gone %u s after SIGKILL\n",
				       i, procs[i].pid, cfg.hang_s);
				describe(procs[i].pid);
			}
		}
		for (nlive = 0, i = 0; i < cfg.workers; i++)
			if (!procs[i].dying)
				live[nlive++] = i;
		if (nlive && cfg.kill_ms) {
			i = live[splitmix64(&rng) % nlive];
			procs[i].dying = true;
			procs[i].since = now;
			kill(procs[i].pid, SIGKILL);
			kills++;
		}
		sleep_us((cfg.kill_ms ? cfg.kill_ms : 10) * 1000UL);
	}
}

/* Ask the workers to stop; wait for them (the killed ones too). */
static void wind_down(void)
{
	uint64_t since = now_ms();
	int i, status, left;

	sh->stop = 1;
	do {
		left = 0;
		for (i = 0; i < cfg.workers; i++)
			if (procs[i].pid > 0 && !reap(i, &status))
				left++;
		if (left)
			sleep_us(10000);
	} while (left && now_ms() - since < cfg.hang_s * 1000ULL);
	for (i = 0; i < cfg.workers; i++) {
		if (procs[i].pid <= 0 || procs[i].hung)
			continue;
		hangs++;
		printf("storm: HANG: worker %d pid %d not gone %u s after the end%s\n", i,
		       procs[i].pid, cfg.hang_s, procs[i].dying ? " (SIGKILLed)" : "");
		describe(procs[i].pid);
		kill(procs[i].pid, SIGKILL);
	}
}

static const char *errno_name(int e)
{
	switch (e) {
	case EIO:		return "EIO";
	case ENOENT:		return "ENOENT";
	case ENOTCONN:		return "ENOTCONN";
	case ECONNABORTED:	return "ECONNABORTED";
	case EAGAIN:		return "EAGAIN";
	case EINVAL:		return "EINVAL";
	case ENOMEM:		return "ENOMEM";
	case EPERM:		return "EPERM";
	case ENOSYS:		return "ENOSYS";
	case EBADF:		return "EBADF";
	case ESTALE:		return "ESTALE";
	default:		return NULL;
	}
}

/* The totals; returns the exit status. */
static int report(void)
{
	struct slot_stats t;
	unsigned long ops = 0, errors = 0, respawns = 0;
	int i, e, op;
	char why[256] = "";

	memset(&t, 0, sizeof(t));
	for (i = 0; i < cfg.workers; i++) {
		struct slot_stats *s = &sh->slot[i];

		for (op = 0; op < NR_OPS; op++)
			t.ops[op] += s->ops[op];
		t.eintr += s->eintr;
		t.bytes += s->bytes;
		t.short_reads += s->short_reads;
		t.wrong += s->wrong;
		for (e = 0; e < MAX_ERRNO; e++)
			t.err[e] += s->err[e];
	}
	for (op = 0; op < NR_OPS; op++)
		ops += t.ops[op];
	for (i = 0; i < cfg.workers; i++)
		respawns += procs[i].spawned - 1;
	printf("storm: %d workers, %u s, seed %llu, SIGUSR1 every %u us, SIGKILL every %u ms\n",
	       cfg.workers, cfg.seconds, (unsigned long long)cfg.seed, cfg.signal_us, cfg.kill_ms);
	printf("storm: ops %lu (", ops);
	for (op = 0; op < NR_OPS; op++)
		printf("%s%s %lu", op ? ", " : "", op_names[op], t.ops[op]);
	printf("), %lu bytes read, %lu short reads\n", t.bytes, t.short_reads);
	printf("storm: eintr %lu, signals sent %lu, kills %lu, respawns %lu\n", t.eintr,
	       signals_sent, kills, respawns);
	printf("storm: errors:");
	for (e = 0; e < MAX_ERRNO; e++) {
		if (!t.err[e])
			continue;
		errors += t.err[e];
		if (errno_name(e))
			printf(" %s %lu", errno_name(e), t.err[e]);
		else
			printf(" errno%d %lu", e, t.err[e]);
	}
	printf("%s\n", errors ? "" : " none");
	printf("storm: wrong %lu, died by themselves %lu, hangs %lu\n", t.wrong, self_deaths, hangs);
	if (t.wrong)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " wrong-data");
	if (self_deaths)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " worker-died");
	if (hangs)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), " hang");
	printf("storm: %s%s\n", *why ? "FAIL" : "PASS", why);
	return hangs ? 3 : *why ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: storm [-w WORKERS] [-s SEED] [-i SIGNAL_US] [-k KILL_MS] "
		"[-H HANG_S] MNT SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	pthread_t sig_thread;
	sigset_t usr1;
	int i, c;

	while ((c = getopt(argc, argv, "w:s:i:k:H:")) != -1) {
		switch (c) {
		case 'w': cfg.workers = atoi(optarg); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'i': cfg.signal_us = atoi(optarg); break;
		case 'k': cfg.kill_ms = atoi(optarg); break;
		case 'H': cfg.hang_s = atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 2 || cfg.workers < 1 || cfg.workers > MAX_WORKERS ||
	    !cfg.hang_s)
		usage();
	cfg.mnt = argv[optind];
	cfg.seconds = atoi(argv[optind + 1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	rng = cfg.seed;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("storm: mmap");
		return 2;
	}
	/* SIGUSR1 stays blocked in the parent and in each child until its handler is in */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	for (i = 0; i < cfg.workers; i++)
		spawn(i);
	if (cfg.signal_us && pthread_create(&sig_thread, NULL, signaller, NULL)) {
		fprintf(stderr, "storm: cannot start the signaller\n");
		return 2;
	}
	run_storm();
	signaller_stop = true;
	if (cfg.signal_us)
		pthread_join(sig_thread, NULL);
	wind_down();
	return report();
}
