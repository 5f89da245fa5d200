// SPDX-License-Identifier: GPL-2.0
/*
 * locks: POSIX, OFD and flock lock semantics on one file, printed one
 * line per check so that two mounts (stock fuse and fuse2pt over the same
 * server) can be compared with diff.
 *
 *   locks [-g GROUPS] FILE
 *
 * FILE must exist and be openable read-write.  The checks are done by
 * "agents": child processes A, B, C, D, each with its own open files of
 * FILE, told what to do over a pipe by the parent, which prints what they
 * got.  Holders in F_GETLK answers are printed by name ("pid=A"), never
 * as numbers: -1 and 0 as themselves, any other pid as "other".
 *
 * A wait that must block is recognised by the agent being inside fcntl()
 * or flock() (/proc/PID/syscall) with no answer for BLOCKED_MS; it is
 * then ended by the holder's unlock or by a signal (SIGUSR1, handler
 * without SA_RESTART unless the check says otherwise).  A wait that is
 * not interrupted by the signal is let go by the holder after SIGNAL_MS
 * and printed as such, so that no check can hang on a server that
 * ignores interrupts.
 *
 * GROUPS (comma separated, default all): posix getlk split upgrade ofd
 * flock close wait intr deadlock.  The last line is "locks: N checks".
 * Exit status: 0 whatever the checks found; 1 when an agent died or did
 * not answer (the checks after that are not run); 2 for bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define NAGENTS		4
#define MAX_FDS		4
#define BLOCKED_MS	300
#define SETTLE_MS	1000	/* an answer that may come or not */
#define SIGNAL_MS	2000
#define ANSWER_MS	30000
#define RELEASE_MS	10000	/* a release after close is asynchronous */

enum op {
	OP_OPEN, OP_CLOSE, OP_SETLK, OP_SETLKW, OP_GETLK, OP_OFD_SETLK,
	OP_OFD_SETLKW, OP_OFD_GETLK, OP_FLOCK, OP_SIGMODE, OP_EXIT,
};

static const char *const op_name[] = {
	[OP_OPEN] = "open", [OP_CLOSE] = "close", [OP_SETLK] = "F_SETLK",
	[OP_SETLKW] = "F_SETLKW", [OP_GETLK] = "F_GETLK",
	[OP_OFD_SETLK] = "F_OFD_SETLK", [OP_OFD_SETLKW] = "F_OFD_SETLKW",
	[OP_OFD_GETLK] = "F_OFD_GETLK", [OP_FLOCK] = "flock",
	[OP_SIGMODE] = "sigmode", [OP_EXIT] = "exit",
};

struct cmd {
	enum op op;
	int fd;			/* index into the agent's fds */
	short type;		/* F_RDLCK, F_WRLCK, F_UNLCK */
	long long start, len;
	int arg;		/* flock operation; SA_RESTART for sigmode */
};

struct res {
	int ret;
	int err;
	struct flock fl;
};

struct agent {
	char name;
	pid_t pid;
	int cmd_fd, res_fd;
	bool busy;		/* a command sent, its answer not yet read */
};

static const char *path;
static struct agent ag[NAGENTS];
static unsigned int nchecks;

/* ------------------------------------------------------------------ */
/* The agent's side.                                                    */

static void on_usr1(int sig)
{
	(void)sig;
}

static void set_sigmode(bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
}

static int lock_cmd(enum op op)
{
	switch (op) {
	case OP_SETLK: return F_SETLK;
	case OP_SETLKW: return F_SETLKW;
	case OP_GETLK: return F_GETLK;
	case OP_OFD_SETLK: return F_OFD_SETLK;
	case OP_OFD_SETLKW: return F_OFD_SETLKW;
	default: return F_OFD_GETLK;
	}
}

static void agent_loop(int in, int out)
{
	int fds[MAX_FDS], i;
	struct cmd c;
	struct res r;
	ssize_t n;

	for (i = 0; i < MAX_FDS; i++)
		fds[i] = -1;
	set_sigmode(false);
	for (;;) {
		n = read(in, &c, sizeof(c));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(c))
			_exit(0);
		memset(&r, 0, sizeof(r));
		errno = 0;
		switch (c.op) {
		case OP_OPEN:
			r.ret = fds[c.fd] = open(path, O_RDWR | O_CLOEXEC);
			break;
		case OP_CLOSE:
			r.ret = close(fds[c.fd]);
			fds[c.fd] = -1;
			break;
		case OP_SETLK: case OP_SETLKW: case OP_GETLK:
		case OP_OFD_SETLK: case OP_OFD_SETLKW: case OP_OFD_GETLK:
			r.fl.l_type = c.type;
			r.fl.l_whence = SEEK_SET;
			r.fl.l_start = c.start;
			r.fl.l_len = c.len;
			r.ret = fcntl(fds[c.fd], lock_cmd(c.op), &r.fl);
			break;
		case OP_FLOCK:
			r.ret = flock(fds[c.fd], c.arg);
			break;
		case OP_SIGMODE:
			set_sigmode(c.arg);
			break;
		case OP_EXIT:
			_exit(0);
		}
		r.err = r.ret < 0 ? errno : 0;
		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
}

/* ------------------------------------------------------------------ */
/* The parent's side.                                                   */

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list ap;
	int i;

	fflush(stdout);
	fprintf(stderr, "locks: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	for (i = 0; i < NAGENTS; i++)
		if (ag[i].pid > 0)
			kill(ag[i].pid, SIGKILL);
	printf("locks: ABORTED after %u checks\n", nchecks);
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void agent_start(int i)
{
	int to[2], from[2];
	pid_t pid;

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		fatal("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (!pid) {
		close(to[1]);
		close(from[0]);
		agent_loop(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	ag[i] = (struct agent){ .name = 'A' + i, .pid = pid,
				.cmd_fd = to[1], .res_fd = from[0] };
}

static void send_cmd(struct agent *a, struct cmd c)
{
	if (a->busy)
		fatal("agent %c is still busy", a->name);
	if (write(a->cmd_fd, &c, sizeof(c)) != sizeof(c))
		fatal("agent %c: write: %s", a->name, strerror(errno));
	a->busy = true;
}

/* Wait up to @ms for the agent's answer: true when it came. */
static bool get_res(struct agent *a, long ms, struct res *r)
{
	struct pollfd p = { .fd = a->res_fd, .events = POLLIN };
	ssize_t n;
	int k;

	do {
		k = poll(&p, 1, ms);
	} while (k < 0 && errno == EINTR);
	if (k < 0)
		fatal("poll: %s", strerror(errno));
	if (!k)
		return false;
	n = read(a->res_fd, r, sizeof(*r));
	if (n != sizeof(*r))
		fatal("agent %c died (read %zd)", a->name, n);
	a->busy = false;
	return true;
}

static struct res must_res(struct agent *a)
{
	struct res r;

	if (!get_res(a, ANSWER_MS, &r))
		fatal("agent %c did not answer within %d ms", a->name,
		      ANSWER_MS);
	return r;
}

static struct res run(struct agent *a, struct cmd c)
{
	send_cmd(a, c);
	return must_res(a);
}

/*
 * Wait until the agent is inside fcntl() or flock() (from then on a signal
 * cannot be missed by the wait) or has answered already: false when
 * neither happened within ANSWER_MS.
 */
static bool in_lock_syscall(struct agent *a)
{
	struct pollfd p = { .fd = a->res_fd, .events = POLLIN };
	char name[64], buf[64];
	long long t0 = now_ms();
	FILE *f;
	long nr;

	snprintf(name, sizeof(name), "/proc/%d/syscall", a->pid);
	while (now_ms() - t0 < ANSWER_MS) {
		if (poll(&p, 1, 0) > 0)
			return true;
		f = fopen(name, "r");
		if (!f)
			fatal("%s: %s", name, strerror(errno));
		nr = -1;
		if (fgets(buf, sizeof(buf), f) && buf[0] >= '0' && buf[0] <= '9')
			nr = strtol(buf, NULL, 10);
		fclose(f);
		if (nr == SYS_fcntl || nr == SYS_flock)
			return true;
		nap_ms(10);
	}
	return false;
}

static const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "E?";
}

static const char *type_name(short t)
{
	return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" :
	       t == F_UNLCK ? "UN" : "??";
}

static const char *pid_name(pid_t pid)
{
	static char buf[8];
	int i;

	if (pid == -1)
		return "-1";
	if (pid == 0)
		return "0";
	for (i = 0; i < NAGENTS; i++)
		if (ag[i].pid == pid) {
			snprintf(buf, sizeof(buf), "%c", ag[i].name);
			return buf;
		}
	return "other";
}

/* Checks are numbered within their group, so one group's extra line
 * leaves the numbers of the others alone in a diff. */
static void __attribute__((format(printf, 2, 3)))
check(const char *group, const char *fmt, ...)
{
	static const char *last;
	static unsigned int n;
	va_list ap;

	if (group != last)
		n = 0;
	last = group;
	nchecks++;
	printf("%s.%02u: ", group, ++n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* "ok" or the errno name of a set-lock-like result. */
static const char *res_str(const struct res *r)
{
	return r->ret < 0 ? errname(r->err) : "ok";
}

/* A getlk result as text. */
static const char *lk_str(const struct res *r)
{
	static char buf[128];

	if (r->ret < 0)
		snprintf(buf, sizeof(buf), "%s", errname(r->err));
	else if (r->fl.l_type == F_UNLCK)
		snprintf(buf, sizeof(buf), "type=UN");
	else
		snprintf(buf, sizeof(buf), "type=%s start=%lld len=%lld pid=%s",
			 type_name(r->fl.l_type), (long long)r->fl.l_start,
			 (long long)r->fl.l_len, pid_name(r->fl.l_pid));
	return buf;
}

static struct agent *A = &ag[0], *B = &ag[1], *C = &ag[2], *D = &ag[3];

static struct res lk(struct agent *a, enum op op, int fd, short type,
		     long long start, long long len)
{
	return run(a, (struct cmd){ .op = op, .fd = fd, .type = type,
				    .start = start, .len = len });
}

static const char *set(struct agent *a, enum op op, int fd, short type,
		       long long start, long long len)
{
	struct res r = lk(a, op, fd, type, start, len);

	return res_str(&r);
}

static const char *get(struct agent *a, enum op op, int fd, short type,
		       long long start, long long len)
{
	struct res r = lk(a, op, fd, type, start, len);

	return lk_str(&r);
}

static const char *fl(struct agent *a, int fd, int op)
{
	struct res r = run(a, (struct cmd){ .op = OP_FLOCK, .fd = fd,
					   .arg = op });

	return res_str(&r);
}

static void agent_open(struct agent *a, int fd)
{
	struct res r = run(a, (struct cmd){ .op = OP_OPEN, .fd = fd });

	if (r.ret < 0)
		fatal("agent %c: open %s: %s", a->name, path,
		      strerror(r.err));
}

static void agent_close(struct agent *a, int fd)
{
	struct res r = run(a, (struct cmd){ .op = OP_CLOSE, .fd = fd });

	if (r.ret < 0)
		fatal("agent %c: close: %s", a->name, strerror(r.err));
}

/* Everyone drops everything, so the groups do not depend on each other. */
static void unlock_all(void)
{
	int i;

	for (i = 0; i < NAGENTS; i++) {
		if (ag[i].pid <= 0)
			continue;
		lk(&ag[i], OP_SETLK, 0, F_UNLCK, 0, 0);
		lk(&ag[i], OP_OFD_SETLK, 0, F_UNLCK, 0, 0);
		run(&ag[i], (struct cmd){ .op = OP_FLOCK, .fd = 0,
					  .arg = LOCK_UN });
	}
}

/*
 * Start a wait that must block: "blocked" once the agent sits in the lock
 * call with no answer for BLOCKED_MS, else what it answered.
 */
static const char *start_wait(struct agent *a, struct cmd c, struct res *r)
{
	send_cmd(a, c);
	if (!in_lock_syscall(a))
		fatal("agent %c never entered %s", a->name, op_name[c.op]);
	if (get_res(a, BLOCKED_MS, r))
		return res_str(r);
	return "blocked";
}

/* After the holder's release: what the waiter got (it must answer). */
static const char *end_wait(struct agent *a)
{
	static char buf[32];
	struct res r = must_res(a);

	snprintf(buf, sizeof(buf), "%s", res_str(&r));
	return buf;
}

/*
 * Interrupt a blocked wait with SIGUSR1: its answer within SIGNAL_MS, or
 * "still blocked"; then @release runs (the holder lets go) and, if the
 * wait was still blocked, "then: RESULT" tells how it ended.
 */
static void interrupt_wait(const char *group, const char *what,
			   struct agent *a, void (*release)(void))
{
	struct res r;

	kill(a->pid, SIGUSR1);
	if (get_res(a, SIGNAL_MS, &r)) {
		check(group, "%s, after SIGUSR1: %s", what, res_str(&r));
		release();
		return;
	}
	release();
	check(group, "%s, after SIGUSR1: still blocked; after the holder's release: %s",
	      what, end_wait(a));
}

/* Poll until @a can take the lock (or RELEASE_MS passed): result. */
static const char *try_until(struct agent *a, enum op op, int fd, short type,
			     long long start, long long len)
{
	long long t0 = now_ms();
	struct res r;

	for (;;) {
		if (op == OP_FLOCK)
			r = run(a, (struct cmd){ .op = OP_FLOCK, .fd = fd,
						 .arg = type });
		else
			r = lk(a, op, fd, type, start, len);
		if (r.ret == 0 || now_ms() - t0 > RELEASE_MS)
			return res_str(&r);
		nap_ms(20);
	}
}

/* ------------------------------------------------------------------ */

static void g_posix(void)
{
	const char *g = "posix";

	check(g, "A F_SETLK WR 0+100: %s", set(A, OP_SETLK, 0, F_WRLCK, 0, 100));
	check(g, "B F_SETLK WR 50+10 (overlaps A): %s", set(B, OP_SETLK, 0, F_WRLCK, 50, 10));
	check(g, "B F_SETLK RD 99+1 (overlaps A): %s", set(B, OP_SETLK, 0, F_RDLCK, 99, 1));
	check(g, "B F_SETLK WR 100+10 (adjacent): %s", set(B, OP_SETLK, 0, F_WRLCK, 100, 10));
	check(g, "A F_SETLK WR 0+100 again (own lock): %s", set(A, OP_SETLK, 0, F_WRLCK, 0, 100));
	check(g, "C F_SETLK RD 0+0 (whole file): %s", set(C, OP_SETLK, 0, F_RDLCK, 0, 0));
	check(g, "C F_SETLK WR 200+0 (to EOF and past): %s", set(C, OP_SETLK, 0, F_WRLCK, 200, 0));
	check(g, "B F_SETLK WR 1000000+1 (inside C's lock): %s", set(B, OP_SETLK, 0, F_WRLCK, 1000000, 1));
	check(g, "A F_SETLK UN 0+100: %s", set(A, OP_SETLK, 0, F_UNLCK, 0, 100));
	check(g, "B F_SETLK WR 50+10 after A's unlock: %s", set(B, OP_SETLK, 0, F_WRLCK, 50, 10));
	check(g, "A F_SETLK UN of a range it does not hold: %s", set(A, OP_SETLK, 0, F_UNLCK, 500, 10));
	check(g, "B F_SETLK WR with negative start: %s", set(B, OP_SETLK, 0, F_WRLCK, -1, 10));
	check(g, "B F_SETLK RD on 5+-5 (the 5 bytes before): %s", set(B, OP_SETLK, 0, F_RDLCK, 5, -5));
	unlock_all();
}

static void g_getlk(void)
{
	const char *g = "getlk";

	set(A, OP_SETLK, 0, F_WRLCK, 0, 100);
	set(B, OP_SETLK, 0, F_RDLCK, 100, 10);
	check(g, "C F_GETLK WR 0+10: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 10));
	check(g, "C F_GETLK RD 50+1: %s", get(C, OP_GETLK, 0, F_RDLCK, 50, 1));
	check(g, "C F_GETLK WR 105+1: %s", get(C, OP_GETLK, 0, F_WRLCK, 105, 1));
	check(g, "C F_GETLK RD 105+1 (shared): %s", get(C, OP_GETLK, 0, F_RDLCK, 105, 1));
	check(g, "C F_GETLK WR 300+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 300, 0));
	check(g, "A F_GETLK WR 0+100 (own lock): %s", get(A, OP_GETLK, 0, F_WRLCK, 0, 100));
	check(g, "A F_GETLK WR 90+20 (own and B's): %s", get(A, OP_GETLK, 0, F_WRLCK, 90, 20));
	check(g, "B F_GETLK WR 0+0: %s", get(B, OP_GETLK, 0, F_WRLCK, 0, 0));
	check(g, "C F_GETLK with bad type: %s", get(C, OP_GETLK, 0, 77, 0, 1));
	unlock_all();
}

static void g_split(void)
{
	const char *g = "split";

	set(A, OP_SETLK, 0, F_WRLCK, 0, 300);
	check(g, "A F_SETLK UN 100+100 inside its WR 0+300: %s", set(A, OP_SETLK, 0, F_UNLCK, 100, 100));
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	check(g, "C F_GETLK WR 100+100 (the hole): %s", get(C, OP_GETLK, 0, F_WRLCK, 100, 100));
	check(g, "C F_GETLK WR 150+100: %s", get(C, OP_GETLK, 0, F_WRLCK, 150, 100));
	check(g, "C F_SETLK WR 100+100 (the hole): %s", set(C, OP_SETLK, 0, F_WRLCK, 100, 100));
	check(g, "C F_SETLK WR 99+2: %s", set(C, OP_SETLK, 0, F_WRLCK, 99, 2));
	set(C, OP_SETLK, 0, F_UNLCK, 0, 0);
	check(g, "A F_SETLK RD 50+200 over its two WR pieces: %s", set(A, OP_SETLK, 0, F_RDLCK, 50, 200));
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	check(g, "C F_GETLK WR 60+10: %s", get(C, OP_GETLK, 0, F_WRLCK, 60, 10));
	check(g, "C F_GETLK RD 0+0: %s", get(C, OP_GETLK, 0, F_RDLCK, 0, 0));
	check(g, "C F_GETLK RD 260+10: %s", get(C, OP_GETLK, 0, F_RDLCK, 260, 10));
	unlock_all();
	/* neighbours of the same type merge */
	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	set(A, OP_SETLK, 0, F_WRLCK, 10, 10);
	set(A, OP_SETLK, 0, F_WRLCK, 30, 10);
	check(g, "A WR 0+10, 10+10, 30+10; C F_GETLK WR 0+25: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 25));
	check(g, "A F_SETLK WR 15+20 (bridges): %s", set(A, OP_SETLK, 0, F_WRLCK, 15, 20));
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	unlock_all();
}

static void g_upgrade(void)
{
	const char *g = "upgrade";

	check(g, "A F_SETLK RD 0+100: %s", set(A, OP_SETLK, 0, F_RDLCK, 0, 100));
	check(g, "B F_SETLK RD 0+100 (shared): %s", set(B, OP_SETLK, 0, F_RDLCK, 0, 100));
	check(g, "A F_SETLK WR 0+100 (upgrade, B reads): %s", set(A, OP_SETLK, 0, F_WRLCK, 0, 100));
	check(g, "C F_GETLK WR 0+10 (A's read lock kept): %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 10));
	check(g, "B F_SETLK UN 0+100: %s", set(B, OP_SETLK, 0, F_UNLCK, 0, 100));
	check(g, "A F_SETLK WR 0+100 (upgrade): %s", set(A, OP_SETLK, 0, F_WRLCK, 0, 100));
	check(g, "C F_GETLK RD 0+10: %s", get(C, OP_GETLK, 0, F_RDLCK, 0, 10));
	check(g, "A F_SETLK RD 0+100 (downgrade): %s", set(A, OP_SETLK, 0, F_RDLCK, 0, 100));
	check(g, "C F_GETLK RD 0+10: %s", get(C, OP_GETLK, 0, F_RDLCK, 0, 10));
	check(g, "C F_GETLK WR 0+10: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 10));
	check(g, "A F_SETLK WR 40+20 (upgrade of a middle part): %s", set(A, OP_SETLK, 0, F_WRLCK, 40, 20));
	check(g, "C F_GETLK RD 0+0: %s", get(C, OP_GETLK, 0, F_RDLCK, 0, 0));
	check(g, "C F_GETLK WR 60+40: %s", get(C, OP_GETLK, 0, F_WRLCK, 60, 40));
	unlock_all();
}

static void g_ofd(void)
{
	const char *g = "ofd";

	agent_open(A, 1);
	check(g, "A fd0 F_OFD_SETLK WR 0+10: %s", set(A, OP_OFD_SETLK, 0, F_WRLCK, 0, 10));
	check(g, "A fd1 F_OFD_SETLK WR 5+10 (other open, same process): %s", set(A, OP_OFD_SETLK, 1, F_WRLCK, 5, 10));
	check(g, "A fd1 F_OFD_GETLK WR 0+10: %s", get(A, OP_OFD_GETLK, 1, F_WRLCK, 0, 10));
	check(g, "A fd0 F_OFD_GETLK WR 0+10 (own): %s", get(A, OP_OFD_GETLK, 0, F_WRLCK, 0, 10));
	check(g, "A fd1 F_SETLK WR 0+1 (POSIX, same process): %s", set(A, OP_SETLK, 1, F_WRLCK, 0, 1));
	check(g, "B F_SETLK WR 5+1 (POSIX, other process): %s", set(B, OP_SETLK, 0, F_WRLCK, 5, 1));
	check(g, "B F_SETLK RD 10+10: %s", set(B, OP_SETLK, 0, F_RDLCK, 10, 10));
	check(g, "A fd0 F_OFD_SETLK WR 15+1 (B's POSIX RD): %s", set(A, OP_OFD_SETLK, 0, F_WRLCK, 15, 1));
	check(g, "A fd0 F_OFD_SETLK RD 15+1: %s", set(A, OP_OFD_SETLK, 0, F_RDLCK, 15, 1));
	check(g, "A fd0 F_OFD_GETLK WR 10+10: %s", get(A, OP_OFD_GETLK, 0, F_WRLCK, 10, 10));
	check(g, "B F_GETLK WR 0+10: %s", get(B, OP_GETLK, 0, F_WRLCK, 0, 10));
	/* closing another fd of the process leaves OFD locks alone */
	agent_close(A, 1);
	check(g, "A closed fd1; C F_GETLK WR 0+10: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 10));
	check(g, "A fd0 F_OFD_SETLK UN 0+0: %s", set(A, OP_OFD_SETLK, 0, F_UNLCK, 0, 0));
	check(g, "C F_GETLK WR 0+10: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 10));
	unlock_all();
}

static void g_flock(void)
{
	const char *g = "flock";

	check(g, "A LOCK_SH: %s", fl(A, 0, LOCK_SH));
	check(g, "B LOCK_SH: %s", fl(B, 0, LOCK_SH));
	check(g, "C LOCK_EX|LOCK_NB: %s", fl(C, 0, LOCK_EX | LOCK_NB));
	check(g, "A LOCK_EX|LOCK_NB (upgrade, B shares): %s", fl(A, 0, LOCK_EX | LOCK_NB));
	check(g, "B LOCK_UN: %s", fl(B, 0, LOCK_UN));
	/* a failed conversion has dropped A's shared lock */
	check(g, "C LOCK_EX|LOCK_NB: %s", fl(C, 0, LOCK_EX | LOCK_NB));
	check(g, "C LOCK_UN: %s", fl(C, 0, LOCK_UN));
	check(g, "A LOCK_SH: %s", fl(A, 0, LOCK_SH));
	check(g, "A LOCK_EX|LOCK_NB (upgrade, alone): %s", fl(A, 0, LOCK_EX | LOCK_NB));
	check(g, "B LOCK_SH|LOCK_NB: %s", fl(B, 0, LOCK_SH | LOCK_NB));
	check(g, "A LOCK_SH (downgrade): %s", fl(A, 0, LOCK_SH));
	check(g, "B LOCK_SH|LOCK_NB: %s", fl(B, 0, LOCK_SH | LOCK_NB));
	check(g, "C LOCK_EX|LOCK_NB: %s", fl(C, 0, LOCK_EX | LOCK_NB));
	fl(A, 0, LOCK_UN);
	fl(B, 0, LOCK_UN);
	check(g, "A LOCK_EX: %s", fl(A, 0, LOCK_EX));
	check(g, "B F_SETLK WR 0+0 (flock and POSIX do not meet): %s", set(B, OP_SETLK, 0, F_WRLCK, 0, 0));
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	agent_open(A, 1);
	check(g, "A fd1 LOCK_EX|LOCK_NB (other open, same process): %s", fl(A, 1, LOCK_EX | LOCK_NB));
	check(g, "A fd1 LOCK_SH|LOCK_NB: %s", fl(A, 1, LOCK_SH | LOCK_NB));
	agent_close(A, 1);
	check(g, "A fd0 LOCK_UN: %s", fl(A, 0, LOCK_UN));
	check(g, "B LOCK_EX|LOCK_NB: %s", fl(B, 0, LOCK_EX | LOCK_NB));
	check(g, "A LOCK_UN without a lock: %s", fl(A, 0, LOCK_UN));
	check(g, "A flock with a bad operation: %s", fl(A, 0, LOCK_NB));
	unlock_all();
}

static void g_close(void)
{
	const char *g = "close";
	int status;

	/* POSIX locks go with any close of the file by their process */
	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	agent_open(A, 1);
	agent_close(A, 1);
	check(g, "A WR 0+10, another fd closed; B F_GETLK WR 0+0: %s", get(B, OP_GETLK, 0, F_WRLCK, 0, 0));
	/* flock locks go with the last close of their open file */
	agent_open(A, 1);
	check(g, "A fd1 LOCK_EX: %s", fl(A, 1, LOCK_EX));
	agent_close(A, 1);
	check(g, "A closed fd1; B LOCK_EX|LOCK_NB (retried): %s", try_until(B, OP_FLOCK, 0, LOCK_EX | LOCK_NB, 0, 0));
	fl(B, 0, LOCK_UN);
	/* OFD locks too */
	agent_open(A, 1);
	check(g, "A fd1 F_OFD_SETLK WR 20+10: %s", set(A, OP_OFD_SETLK, 1, F_WRLCK, 20, 10));
	agent_close(A, 1);
	check(g, "A closed fd1; B F_SETLK WR 20+10 (retried): %s", try_until(B, OP_SETLK, 0, F_WRLCK, 20, 10));
	unlock_all();

	/* everything goes when the process exits */
	agent_start(3);
	agent_open(D, 0);
	agent_open(D, 1);
	check(g, "D F_SETLK WR 0+10: %s", set(D, OP_SETLK, 0, F_WRLCK, 0, 10));
	check(g, "D fd1 F_OFD_SETLK RD 20+10: %s", set(D, OP_OFD_SETLK, 1, F_RDLCK, 20, 10));
	check(g, "D LOCK_EX: %s", fl(D, 0, LOCK_EX));
	check(g, "B F_GETLK WR 0+0: %s", get(B, OP_GETLK, 0, F_WRLCK, 0, 0));
	check(g, "B F_GETLK WR 20+0: %s", get(B, OP_GETLK, 0, F_WRLCK, 20, 0));
	check(g, "B LOCK_SH|LOCK_NB: %s", fl(B, 0, LOCK_SH | LOCK_NB));
	send_cmd(D, (struct cmd){ .op = OP_EXIT });
	if (waitpid(D->pid, &status, 0) != D->pid)
		fatal("waitpid D: %s", strerror(errno));
	close(D->cmd_fd);
	close(D->res_fd);
	D->pid = 0;
	check(g, "D exited; B F_SETLK WR 0+10: %s", try_until(B, OP_SETLK, 0, F_WRLCK, 0, 10));
	check(g, "D exited; B F_SETLK WR 20+10 (retried): %s", try_until(B, OP_SETLK, 0, F_WRLCK, 20, 10));
	check(g, "D exited; B LOCK_EX|LOCK_NB (retried): %s", try_until(B, OP_FLOCK, 0, LOCK_EX | LOCK_NB, 0, 0));
	unlock_all();
}

static void a_unlock_0_10(void) { set(A, OP_SETLK, 0, F_UNLCK, 0, 10); }
static void a_ofd_unlock(void) { set(A, OP_OFD_SETLK, 0, F_UNLCK, 0, 0); }
static void a_flock_un(void) { fl(A, 0, LOCK_UN); }

static void g_wait(void)
{
	const char *g = "wait";
	struct res r;

	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	check(g, "B F_SETLKW WR 5+10 (A holds 0+10): %s",
	      start_wait(B, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 5, .len = 10 }, &r));
	a_unlock_0_10();
	check(g, "A unlocked; B's F_SETLKW: %s", end_wait(B));
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	unlock_all();

	set(A, OP_SETLK, 0, F_RDLCK, 0, 10);
	check(g, "B F_SETLKW RD 0+10 (A reads): %s", set(B, OP_SETLKW, 0, F_RDLCK, 0, 10));
	unlock_all();

	set(A, OP_OFD_SETLK, 0, F_WRLCK, 0, 10);
	check(g, "B F_OFD_SETLKW WR 0+1 (A's OFD lock): %s",
	      start_wait(B, (struct cmd){ .op = OP_OFD_SETLKW, .type = F_WRLCK, .start = 0, .len = 1 }, &r));
	a_ofd_unlock();
	check(g, "A unlocked; B's F_OFD_SETLKW: %s", end_wait(B));
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	unlock_all();

	fl(A, 0, LOCK_EX);
	check(g, "B LOCK_SH (A has LOCK_EX): %s",
	      start_wait(B, (struct cmd){ .op = OP_FLOCK, .arg = LOCK_SH }, &r));
	a_flock_un();
	check(g, "A LOCK_UN; B's LOCK_SH: %s", end_wait(B));
	check(g, "C LOCK_EX|LOCK_NB: %s", fl(C, 0, LOCK_EX | LOCK_NB));
	unlock_all();

	/* two waiters, one lock */
	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	check(g, "B F_SETLKW WR 0+10: %s",
	      start_wait(B, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 }, &r));
	check(g, "C F_SETLKW WR 0+10: %s",
	      start_wait(C, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 }, &r));
	a_unlock_0_10();
	{
		struct pollfd p[2] = {
			{ .fd = B->res_fd, .events = POLLIN },
			{ .fd = C->res_fd, .events = POLLIN },
		};
		struct agent *won, *other;

		if (poll(p, 2, RELEASE_MS) <= 0)
			fatal("no waiter answered after the unlock");
		won = p[0].revents ? B : C;
		other = won == B ? C : B;
		r = must_res(won);
		check(g, "A unlocked; the first waiter's F_SETLKW: %s", res_str(&r));
		check(g, "the other waiter: %s", get_res(other, BLOCKED_MS, &r) ? res_str(&r) : "still blocked");
		if (other->busy) {
			set(won, OP_SETLK, 0, F_UNLCK, 0, 0);
			check(g, "the first unlocked; the other's F_SETLKW: %s", end_wait(other));
		}
	}
	unlock_all();
}

static void g_intr(void)
{
	const char *g = "intr";
	struct res r;

	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	check(g, "B F_SETLKW WR 0+10: %s",
	      start_wait(B, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 }, &r));
	interrupt_wait(g, "B F_SETLKW", B, a_unlock_0_10);
	check(g, "C F_SETLK WR 0+10 (B must not hold it): %s", set(C, OP_SETLK, 0, F_WRLCK, 0, 10));
	check(g, "A F_GETLK WR 0+0: %s", get(A, OP_GETLK, 0, F_WRLCK, 0, 0));
	unlock_all();

	set(A, OP_OFD_SETLK, 0, F_WRLCK, 0, 10);
	check(g, "B F_OFD_SETLKW WR 0+10: %s",
	      start_wait(B, (struct cmd){ .op = OP_OFD_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 }, &r));
	interrupt_wait(g, "B F_OFD_SETLKW", B, a_ofd_unlock);
	check(g, "C F_SETLK WR 0+10 (B must not hold it): %s", set(C, OP_SETLK, 0, F_WRLCK, 0, 10));
	unlock_all();

	fl(A, 0, LOCK_EX);
	check(g, "B LOCK_EX: %s", start_wait(B, (struct cmd){ .op = OP_FLOCK, .arg = LOCK_EX }, &r));
	interrupt_wait(g, "B LOCK_EX", B, a_flock_un);
	check(g, "C LOCK_EX|LOCK_NB (who holds it now): %s", fl(C, 0, LOCK_EX | LOCK_NB));
	unlock_all();

	/* with SA_RESTART the wait goes on after the handler */
	run(B, (struct cmd){ .op = OP_SIGMODE, .arg = 1 });
	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	check(g, "SA_RESTART: B F_SETLKW WR 0+10: %s",
	      start_wait(B, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 }, &r));
	kill(B->pid, SIGUSR1);
	check(g, "SA_RESTART: after SIGUSR1: %s", get_res(B, BLOCKED_MS, &r) ? res_str(&r) : "still blocked");
	a_unlock_0_10();
	if (B->busy)
		check(g, "SA_RESTART: A unlocked; B's F_SETLKW: %s", end_wait(B));
	check(g, "SA_RESTART: C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	run(B, (struct cmd){ .op = OP_SIGMODE, .arg = 0 });
	unlock_all();
}

static void b_unlock_all(void) { set(B, OP_SETLK, 0, F_UNLCK, 0, 0); }

static void g_deadlock(void)
{
	const char *g = "deadlock";
	struct res r;

	set(A, OP_SETLK, 0, F_WRLCK, 0, 10);
	set(B, OP_SETLK, 0, F_WRLCK, 20, 10);
	check(g, "A F_SETLKW WR 20+10 (B's): %s",
	      start_wait(A, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 20, .len = 10 }, &r));
	send_cmd(B, (struct cmd){ .op = OP_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 });
	if (!in_lock_syscall(B))
		fatal("agent B never entered F_SETLKW");
	if (get_res(B, SETTLE_MS, &r)) {
		check(g, "B F_SETLKW WR 0+10 (A's, A waits for B): %s", res_str(&r));
	} else {
		check(g, "B F_SETLKW WR 0+10 (A's, A waits for B): blocked (no deadlock detection)");
		kill(B->pid, SIGUSR1);
		if (!get_res(B, SIGNAL_MS, &r))
			fatal("A and B wait for each other, and B's wait did not end with SIGUSR1");
		check(g, "B F_SETLKW, after SIGUSR1: %s", res_str(&r));
	}
	if (A->busy) {
		b_unlock_all();
		check(g, "B unlocked; A's F_SETLKW: %s", end_wait(A));
	}
	check(g, "C F_GETLK WR 0+0: %s", get(C, OP_GETLK, 0, F_WRLCK, 0, 0));
	unlock_all();

	/* OFD locks do not take part in deadlock detection */
	set(A, OP_OFD_SETLK, 0, F_WRLCK, 0, 10);
	set(B, OP_OFD_SETLK, 0, F_WRLCK, 20, 10);
	check(g, "OFD: A F_OFD_SETLKW WR 20+10: %s",
	      start_wait(A, (struct cmd){ .op = OP_OFD_SETLKW, .type = F_WRLCK, .start = 20, .len = 10 }, &r));
	check(g, "OFD: B F_OFD_SETLKW WR 0+10: %s",
	      start_wait(B, (struct cmd){ .op = OP_OFD_SETLKW, .type = F_WRLCK, .start = 0, .len = 10 }, &r));
	if (B->busy) {
		kill(B->pid, SIGUSR1);
		check(g, "OFD: B after SIGUSR1: %s", get_res(B, SIGNAL_MS, &r) ? res_str(&r) : "still blocked");
	}
	set(B, OP_OFD_SETLK, 0, F_UNLCK, 0, 0);
	if (B->busy) {
		a_ofd_unlock();
		check(g, "OFD: B's wait in the end: %s", end_wait(B));
	}
	if (A->busy)
		check(g, "OFD: A's F_OFD_SETLKW: %s", end_wait(A));
	unlock_all();
}

static const struct {
	const char *name;
	void (*fn)(void);
} groups[] = {
	{ "posix", g_posix }, { "getlk", g_getlk }, { "split", g_split },
	{ "upgrade", g_upgrade }, { "ofd", g_ofd }, { "flock", g_flock },
	{ "close", g_close }, { "wait", g_wait }, { "intr", g_intr },
	{ "deadlock", g_deadlock },
};

#define NGROUPS	(sizeof(groups) / sizeof(groups[0]))

static bool wanted(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned int i;
	int c;

	while ((c = getopt(argc, argv, "g:")) != -1) {
		if (c != 'g') {
			fprintf(stderr, "usage: locks [-g GROUPS] FILE\n");
			return 2;
		}
		only = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: locks [-g GROUPS] FILE\n");
		return 2;
	}
	path = argv[optind];
	if (access(path, R_OK | W_OK)) {
		fprintf(stderr, "locks: %s: %s\n", path, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		agent_start(i);
		agent_open(&ag[i], 0);
	}
	for (i = 0; i < NGROUPS; i++)
		if (wanted(only, groups[i].name))
			groups[i].fn();
	for (i = 0; i < NAGENTS; i++) {
		if (ag[i].pid <= 0)
			continue;
		send_cmd(&ag[i], (struct cmd){ .op = OP_EXIT });
		waitpid(ag[i].pid, NULL, 0);
	}
	printf("locks: %u checks\n", nchecks);
	return 0;
}
