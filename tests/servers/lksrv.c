// SPDX-License-Identifier: GPL-2.0
/*
 * lksrv: a raw-protocol FUSE server that keeps file locks itself.  It
 * takes FUSE_POSIX_LOCKS and FUSE_FLOCK_LOCKS at INIT, so the kernel
 * forwards F_GETLK/F_SETLK/F_SETLKW, OFD locks and flock() to it as
 * GETLK, SETLK and SETLKW, and answers them from its own lock table:
 *
 *   - POSIX and OFD locks ("posix" class) are byte ranges per owner
 *     (the kernel's lock_owner: a process' files for POSIX locks, the
 *     open file for OFD locks); setting one replaces the owner's locks
 *     in its range (splitting them), neighbours of one type merge;
 *   - flock locks (FUSE_LK_FLOCK) are whole-file locks per owner (the
 *     open file), in a class of their own; converting one drops the old
 *     lock first, as the kernel's own flock code does;
 *   - a SETLK that conflicts gets EAGAIN; a SETLKW that conflicts is not
 *     answered until the conflict is gone (answered 0 then) or an
 *     INTERRUPT for it comes (answered EINTR, nothing taken);
 *   - FLUSH drops the posix-class locks of its lock_owner; RELEASE drops
 *     the flock lock of its lock_owner (FUSE_RELEASE_FLOCK_UNLOCK) and
 *     every lock taken through its file handle (OFD locks).
 * No deadlock detection: a POSIX deadlock stays until a signal ends one
 * of the waits.
 *
 * The tree: the root holds "file" (a regular file of up to FILE_MAX bytes
 * kept in memory, empty at first) and "file.trunc" (the same, separate:
 * the second file of tests/integrity/concurrent -T).  Both always exist
 * (an O_CREAT open finds them; UNLINK is ENOSYS).
 *
 *   lksrv [noposix] [noflock] /dev/fd/N
 *
 * noposix / noflock leave the flag out of INIT (the kernel keeps those
 * locks itself then).  At exit (unmount) it prints on stdout
 *   "lksrv: getlk=N setlk=N setlkw=N flock=N waited=N granted-later=N
 *    interrupts=N eintr=N flush-unlocks=N release-unlocks=N locks-left=N"
 * where flock counts the SETLK/SETLKW with FUSE_LK_FLOCK, waited the
 * SETLKW that had to wait, and locks-left what the table held at the end.
 */
#define RAW_PROG "lksrv"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "testlib.h"

#define MAX_WRITE	(128 * 1024)
#define BUF_SIZE	(MAX_WRITE + 4096)
#define FILE_MAX	(4 * 1024 * 1024)
#define MAX_LOCKS	4096
#define MAX_WAITERS	256
#define ROOT_ID		1
#define NFILES		2

struct lock {
	bool used;
	bool flock;		/* class: flock, else posix (POSIX and OFD) */
	uint64_t nodeid, owner, fh;
	uint64_t start, end;	/* inclusive */
	uint32_t type, pid;
};

struct waiter {
	bool used;
	uint64_t unique, nodeid;
	struct fuse_lk_in in;
};

static const char *const names[NFILES] = { "file", "file.trunc" };

static struct {
	unsigned char *data;
	uint64_t size;
} files[NFILES];

static struct lock locks[MAX_LOCKS];
static struct waiter waiters[MAX_WAITERS];
static int devfd;
static bool want_posix = true, want_flock = true;
static uint64_t next_fh = 1;
static unsigned long n_getlk, n_setlk, n_setlkw, n_flock, n_waited, n_later;
static unsigned long n_intr, n_eintr, n_flush_unl, n_release_unl;

static void reply(uint64_t unique, int error, const void *arg, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + (error ? 0 : len),
		.error = -error,
		.unique = unique,
	};
	int err = raw_write(devfd, &oh, error ? NULL : arg, error ? 0 : len);

	/* ENOENT: the request was aborted meanwhile */
	if (err && err != ENOENT)
		raw_log("reply to %llu: %s", (unsigned long long)unique,
			strerror(err));
}

static int file_index(uint64_t nodeid)
{
	return nodeid >= 2 && nodeid < 2 + NFILES ? (int)(nodeid - 2) : -1;
}

static void fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	int i = file_index(nodeid);

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->blksize = 4096;
	a->mtime = a->ctime = a->atime = 1700000000;
	if (i >= 0) {
		a->mode = S_IFREG | 0666;
		a->nlink = 1;
		a->size = files[i].size;
		a->blocks = (files[i].size + 511) / 512;
	} else {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	}
}

/* ------------------------------------------------------------------ */
/* The lock table.                                                      */

static bool overlap(const struct lock *l, uint64_t start, uint64_t end)
{
	return l->start <= end && start <= l->end;
}

/* The held lock that keeps @in from being taken, the lowest first. */
static struct lock *conflict(uint64_t nodeid, const struct fuse_lk_in *in)
{
	bool flock = in->lk_flags & FUSE_LK_FLOCK;
	struct lock *best = NULL;
	int i;

	for (i = 0; i < MAX_LOCKS; i++) {
		struct lock *l = &locks[i];

		if (!l->used || l->nodeid != nodeid || l->flock != flock ||
		    l->owner == in->owner ||
		    !overlap(l, in->lk.start, in->lk.end) ||
		    (l->type != F_WRLCK && in->lk.type != F_WRLCK))
			continue;
		if (!best || l->start < best->start)
			best = l;
	}
	return best;
}

static struct lock *new_lock(void)
{
	int i;

	for (i = 0; i < MAX_LOCKS; i++)
		if (!locks[i].used)
			return &locks[i];
	return NULL;
}

/* Put @in into the table (no conflict left): 0 or an errno. */
static int apply(uint64_t nodeid, const struct fuse_lk_in *in)
{
	bool flock = in->lk_flags & FUSE_LK_FLOCK;
	uint64_t s = in->lk.start, e = in->lk.end;
	struct lock *l, *m;
	bool merged;
	int i, j;

	/* cut the owner's own locks out of [s, e] */
	for (i = 0; i < MAX_LOCKS; i++) {
		l = &locks[i];
		if (!l->used || l->nodeid != nodeid || l->flock != flock ||
		    l->owner != in->owner || !overlap(l, s, e))
			continue;
		if (l->start < s && l->end > e) {
			m = new_lock();
			if (!m)
				return ENOLCK;
			*m = *l;
			m->start = e + 1;
			l->end = s - 1;
		} else if (l->start < s) {
			l->end = s - 1;
		} else if (l->end > e) {
			l->start = e + 1;
		} else {
			l->used = false;
		}
	}
	if (in->lk.type == F_UNLCK)
		return 0;
	l = new_lock();
	if (!l)
		return ENOLCK;
	*l = (struct lock){
		.used = true, .flock = flock, .nodeid = nodeid,
		.owner = in->owner, .fh = in->fh, .start = s, .end = e,
		.type = in->lk.type, .pid = in->lk.pid,
	};
	/* merge with touching locks of the owner of the same type */
	do {
		merged = false;
		for (j = 0; j < MAX_LOCKS; j++) {
			m = &locks[j];
			if (m == l || !m->used || m->nodeid != nodeid ||
			    m->flock != flock || m->owner != l->owner ||
			    m->type != l->type)
				continue;
			if (m->start > l->end + 1 || l->start > m->end + 1)
				continue;
			if (m->start < l->start)
				l->start = m->start;
			if (m->end > l->end)
				l->end = m->end;
			m->used = false;
			merged = true;
		}
	} while (merged);
	return 0;
}

/* Some locks went away: wake the waiters that can go now, in order. */
static void retry_waiters(void)
{
	bool again;
	int i, err;

	do {
		again = false;
		for (i = 0; i < MAX_WAITERS; i++) {
			struct waiter *w = &waiters[i];

			if (!w->used || conflict(w->nodeid, &w->in))
				continue;
			err = apply(w->nodeid, &w->in);
			w->used = false;
			if (!err)
				n_later++;
			reply(w->unique, err, NULL, 0);
			again = true;
		}
	} while (again);
}

static int drop_locks(uint64_t nodeid, bool by_fh, uint64_t fh, int klass,
		      uint64_t owner)
{
	int i, n = 0;

	for (i = 0; i < MAX_LOCKS; i++) {
		struct lock *l = &locks[i];

		if (!l->used || l->nodeid != nodeid)
			continue;
		if (by_fh ? l->fh != fh :
		    (l->owner != owner || (int)l->flock != klass))
			continue;
		l->used = false;
		n++;
	}
	return n;
}

static bool sane_lk(const struct fuse_lk_in *in)
{
	return in->lk.start <= in->lk.end && in->lk.end <= INT64_MAX &&
	       (in->lk.type == F_RDLCK || in->lk.type == F_WRLCK ||
		in->lk.type == F_UNLCK);
}

static void do_getlk(const struct fuse_in_header *h,
		     const struct fuse_lk_in *in)
{
	struct fuse_lk_out out = {};
	struct lock *l;

	n_getlk++;
	if (!sane_lk(in))
		return reply(h->unique, EINVAL, NULL, 0);
	l = conflict(h->nodeid, in);
	if (l) {
		out.lk.start = l->start;
		out.lk.end = l->end;
		out.lk.type = l->type;
		out.lk.pid = l->pid;
	} else {
		out.lk.type = F_UNLCK;
	}
	reply(h->unique, 0, &out, sizeof(out));
}

static void do_setlk(const struct fuse_in_header *h,
		     const struct fuse_lk_in *in, bool wait)
{
	bool flock = in->lk_flags & FUSE_LK_FLOCK;
	int i, err;

	if (wait)
		n_setlkw++;
	else
		n_setlk++;
	if (flock)
		n_flock++;
	if (!sane_lk(in))
		return reply(h->unique, EINVAL, NULL, 0);
	if (flock) {
		/* a conversion drops the old lock first; the same is a no-op */
		for (i = 0; i < MAX_LOCKS; i++) {
			struct lock *l = &locks[i];

			if (l->used && l->flock && l->nodeid == h->nodeid &&
			    l->owner == in->owner) {
				if (l->type == in->lk.type)
					return reply(h->unique, 0, NULL, 0);
				l->used = false;
			}
		}
	}
	if (in->lk.type != F_UNLCK && conflict(h->nodeid, in)) {
		if (!wait) {
			err = EAGAIN;
		} else {
			for (i = 0; i < MAX_WAITERS && waiters[i].used; i++)
				;
			if (i == MAX_WAITERS) {
				err = ENOLCK;
			} else {
				waiters[i] = (struct waiter){
					.used = true, .unique = h->unique,
					.nodeid = h->nodeid, .in = *in,
				};
				n_waited++;
				err = -1;
			}
		}
	} else {
		err = apply(h->nodeid, in);
	}
	if (err >= 0)
		reply(h->unique, err, NULL, 0);
	retry_waiters();
}

static void do_interrupt(const struct fuse_interrupt_in *in)
{
	int i;

	n_intr++;
	for (i = 0; i < MAX_WAITERS; i++) {
		if (waiters[i].used && waiters[i].unique == in->unique) {
			waiters[i].used = false;
			n_eintr++;
			reply(in->unique, EINTR, NULL, 0);
			return;
		}
	}
	/* not waiting (answered already): nothing to do */
}

/* ------------------------------------------------------------------ */

static void do_init(const struct fuse_in_header *h,
		    const struct fuse_init_in *in)
{
	struct fuse_init_out out = {};
	uint32_t want = 0;

	if (want_posix)
		want |= FUSE_POSIX_LOCKS;
	if (want_flock)
		want |= FUSE_FLOCK_LOCKS;
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < 38 ? in->minor : 38;
	out.max_readahead = in->max_readahead;
	out.flags = in->flags & want;
	out.max_write = MAX_WRITE;
	out.time_gran = 1;
	if ((out.flags & want) != want)
		raw_log("the kernel does not offer all of 0x%x (offers 0x%x)",
			want, in->flags);
	reply(h->unique, 0, &out, sizeof(out));
}

static void do_lookup(const struct fuse_in_header *h, const char *name)
{
	struct fuse_entry_out out = {};
	int i;

	for (i = 0; i < NFILES; i++)
		if (h->nodeid == ROOT_ID && !strcmp(name, names[i]))
			break;
	if (i == NFILES)
		return reply(h->unique, ENOENT, NULL, 0);
	out.nodeid = 2 + i;
	out.generation = 1;
	out.entry_valid = out.attr_valid = 1;
	fill_attr(out.nodeid, &out.attr);
	reply(h->unique, 0, &out, sizeof(out));
}

static void do_readdir(const struct fuse_in_header *h,
		       const struct fuse_read_in *in)
{
	unsigned char buf[4096];
	size_t used = 0;
	uint64_t i;

	for (i = in->offset; h->nodeid == ROOT_ID && i < 2 + NFILES; i++) {
		const char *n = i == 0 ? "." : i == 1 ? ".." : names[i - 2];
		struct fuse_dirent *d = (void *)(buf + used);
		size_t nl = strlen(n);
		size_t sz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nl);

		if (used + sz > in->size || used + sz > sizeof(buf))
			break;
		memset(d, 0, sz);
		d->ino = i < 2 ? ROOT_ID : i;
		d->off = i + 1;
		d->namelen = nl;
		d->type = i < 2 ? DT_DIR : DT_REG;
		memcpy(d->name, n, nl);
		used += sz;
	}
	reply(h->unique, 0, buf, used);
}

static void do_read(const struct fuse_in_header *h,
		    const struct fuse_read_in *in)
{
	int f = file_index(h->nodeid);
	uint64_t end, len;

	if (f < 0)
		return reply(h->unique, EISDIR, NULL, 0);
	end = in->offset + in->size;
	if (end > files[f].size)
		end = files[f].size;
	len = in->offset < end ? end - in->offset : 0;
	reply(h->unique, 0, files[f].data + (len ? in->offset : 0), len);
}

static void do_write(const struct fuse_in_header *h,
		     const struct fuse_write_in *in)
{
	struct fuse_write_out out = {};
	int f = file_index(h->nodeid);

	if (f < 0)
		return reply(h->unique, EISDIR, NULL, 0);
	if (in->offset > FILE_MAX || in->size > FILE_MAX - in->offset)
		return reply(h->unique, EFBIG, NULL, 0);
	memcpy(files[f].data + in->offset, in + 1, in->size);
	if (in->offset + in->size > files[f].size)
		files[f].size = in->offset + in->size;
	out.size = in->size;
	reply(h->unique, 0, &out, sizeof(out));
}

static void do_setattr(const struct fuse_in_header *h,
		       const struct fuse_setattr_in *in)
{
	struct fuse_attr_out out = {};
	int f = file_index(h->nodeid);

	if ((in->valid & FATTR_SIZE) && f >= 0) {
		if (in->size > FILE_MAX)
			return reply(h->unique, EFBIG, NULL, 0);
		if (in->size > files[f].size)
			memset(files[f].data + files[f].size, 0,
			       in->size - files[f].size);
		files[f].size = in->size;
	}
	fill_attr(h->nodeid, &out.attr);
	out.attr_valid = 1;
	reply(h->unique, 0, &out, sizeof(out));
}

static void dispatch(const struct fuse_in_header *h, const void *arg)
{
	struct fuse_open_out oo = {};
	struct fuse_attr_out ao = {};
	struct fuse_statfs_out so = {};

	switch (h->opcode) {
	case FUSE_INIT:
		do_init(h, arg);
		break;
	case FUSE_LOOKUP:
		do_lookup(h, arg);
		break;
	case FUSE_GETATTR:
		fill_attr(h->nodeid, &ao.attr);
		ao.attr_valid = 1;
		reply(h->unique, 0, &ao, sizeof(ao));
		break;
	case FUSE_SETATTR:
		do_setattr(h, arg);
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		oo.fh = next_fh++;
		reply(h->unique, 0, &oo, sizeof(oo));
		break;
	case FUSE_READ:
		do_read(h, arg);
		break;
	case FUSE_WRITE:
		do_write(h, arg);
		break;
	case FUSE_READDIR:
		do_readdir(h, arg);
		break;
	case FUSE_STATFS:
		so.st.bsize = so.st.frsize = 4096;
		so.st.namelen = 255;
		reply(h->unique, 0, &so, sizeof(so));
		break;
	case FUSE_GETLK:
		do_getlk(h, arg);
		break;
	case FUSE_SETLK:
	case FUSE_SETLKW:
		do_setlk(h, arg, h->opcode == FUSE_SETLKW);
		break;
	case FUSE_INTERRUPT:
		do_interrupt(arg);
		break;
	case FUSE_FLUSH: {
		const struct fuse_flush_in *in = arg;
		int n = drop_locks(h->nodeid, false, 0, 0, in->lock_owner);

		n_flush_unl += n;
		reply(h->unique, 0, NULL, 0);
		if (n)
			retry_waiters();
		break;
	}
	case FUSE_RELEASE: {
		const struct fuse_release_in *in = arg;
		int n = 0;

		if (in->release_flags & FUSE_RELEASE_FLOCK_UNLOCK)
			n += drop_locks(h->nodeid, false, 0, 1, in->lock_owner);
		n += drop_locks(h->nodeid, true, in->fh, 0, 0);
		n_release_unl += n;
		reply(h->unique, 0, NULL, 0);
		if (n)
			retry_waiters();
		break;
	}
	case FUSE_RELEASEDIR:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_ACCESS:
	case FUSE_DESTROY:
		reply(h->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
		break;
	default:
		reply(h->unique, ENOSYS, NULL, 0);
		break;
	}
}

int main(int argc, char **argv)
{
	unsigned char *buf = malloc(BUF_SIZE);
	unsigned long left = 0;
	ssize_t n;
	int i;

	if (argc < 2 || (devfd = raw_parse_fd(argv[argc - 1])) < 0) {
		fprintf(stderr, "usage: lksrv [noposix] [noflock] /dev/fd/N\n");
		return 2;
	}
	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "noposix")) {
			want_posix = false;
		} else if (!strcmp(argv[i], "noflock")) {
			want_flock = false;
		} else {
			fprintf(stderr, "lksrv: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	for (i = 0; i < NFILES; i++)
		files[i].data = calloc(1, FILE_MAX);
	if (!buf || !files[0].data || !files[1].data)
		return 1;
	while ((n = raw_read(devfd, buf, BUF_SIZE)) > 0)
		dispatch((const void *)buf, buf + sizeof(struct fuse_in_header));
	for (i = 0; i < MAX_LOCKS; i++)
		left += locks[i].used;
	printf("lksrv: getlk=%lu setlk=%lu setlkw=%lu flock=%lu waited=%lu granted-later=%lu interrupts=%lu eintr=%lu flush-unlocks=%lu release-unlocks=%lu locks-left=%lu\n",
	       n_getlk, n_setlk, n_setlkw, n_flock, n_waited, n_later, n_intr,
	       n_eintr, n_flush_unl, n_release_unl, left);
	return n < 0 ? 1 : 0;
}
