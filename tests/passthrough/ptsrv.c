// SPDX-License-Identifier: GPL-2.0
/*
 * ptsrv: a FUSE passthrough test server on libfuse's lowlevel API.
 *
 *   ptsrv [OPTIONS] SOURCE MOUNTPOINT     (MOUNTPOINT: /dev/fd/N from fuse2pt-mount)
 *
 * Serves the directory SOURCE.  Every regular-file open is answered by the
 * "open mode" in force (--mode, or the first word of the --mode-file at the
 * time of the open):
 *   pt       passthrough; one backing id per inode, registered at the first
 *            passthrough open and closed at the last release (default)
 *   cached   plain open: the kernel uses its page cache
 *   keep     plain open with FOPEN_KEEP_CACHE
 *   dio      FOPEN_DIRECT_IO
 *   diopar   FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES
 *   ptdio    passthrough with FOPEN_DIRECT_IO (read/write to us, mmap not)
 *   ptpar    passthrough with FOPEN_DIRECT_IO|FOPEN_PARALLEL_DIRECT_WRITES
 *   ptkeep   passthrough with FOPEN_KEEP_CACHE (the kernel must refuse)
 *   ptnew    passthrough on a backing id of this open's own (a second
 *            backing file for the inode: refused while another is open)
 *   ptbadid  FOPEN_PASSTHROUGH naming backing id 9999, never registered
 *   ptearly  passthrough on an id of its own, closed (BACKING_CLOSE) at
 *            the next SIGUSR1, while the file is open: it must keep working
 *   ptopath  as pt, but what we open and register is an O_PATH descriptor:
 *            the server holds no open file of its own (so no write access
 *            to the source, and a read-only source is fine); SETATTR goes
 *            by path, fsync and fallocate fail with EBADF
 *   probe    run the BACKING_OPEN/CLOSE argument checks (results in the
 *            stats), then as pt
 * When BACKING_OPEN fails, the open is answered with its errno.
 *
 * Options:
 *   --mode M            default open mode
 *   --mode-file FILE    re-read at every open; empty or missing: --mode
 *   --stats FILE        counters as "name value" lines, written at exit and
 *                       whenever the server gets SIGUSR1 (which first closes
 *                       the ids of ptearly opens)
 *   --no-passthrough    do not ask for FUSE_CAP_PASSTHROUGH
 *   --writeback         also ask for the writeback cache (the kernel must
 *                       then not enable passthrough)
 *   --stack-depth N     conn->max_backing_stack_depth (0 or 1)
 *   --drop-caps         drop CAP_SYS_ADMIN after INIT (BACKING_OPEN: EPERM)
 *   --drop-fsetid       drop CAP_FSETID after INIT: writes on the backing
 *                       files, which run with our credentials, then drop
 *                       setuid/setgid as anyone's without CAP_FSETID do
 *   --timeout SECS      entry and attribute timeout (default 1)
 *   --inval-data K      auto: FUSE_CAP_AUTO_INVAL_DATA (libfuse's default),
 *                       explicit: FUSE_CAP_EXPLICIT_INVAL_DATA instead,
 *                       none: neither (both only where the kernel offers them)
 *   --acl               ask for FUSE_CAP_POSIX_ACL and FUSE_CAP_DONT_MASK,
 *                       pass xattrs (so ACLs) through to SOURCE, and make
 *                       new nodes as the caller with the caller's umask (the
 *                       source filesystem then applies default ACLs);
 *                       without it xattr requests get ENOSYS
 *   --cache-symlinks    ask for FUSE_CAP_CACHE_SYMLINKS
 *   --no-export         ask for FUSE_CAP_NO_EXPORT_SUPPORT where the kernel
 *                       offers it (no file handles that open; stats
 *                       no_export: whether it was offered and asked for)
 *   --export            ask for FUSE_CAP_EXPORT_SUPPORT (stats export: 1 when
 *                       granted) and keep every inode after the kernel
 *                       forgot it, so that a file handle can bring it back
 *   --write-delay MS    answer each WRITE only after MS milliseconds
 *   --allow-mmap        ask for FUSE_CAP_DIRECT_IO_ALLOW_MMAP ...
 *   --no-allow-mmap     ... or not (default: what libfuse does)
 *   --no-async-dio      do not accept FUSE_CAP_ASYNC_DIO
 *   --sync-read         do not accept FUSE_CAP_ASYNC_READ (one READ at a
 *                       time per file; the kernel waits for its readahead)
 *   --read-delay MS     answer each READ only after MS milliseconds
 *   --max-readahead N   conn->max_readahead: the kernel's readahead must
 *                       stay within N bytes
 *   -d                  libfuse debug output
 *
 * The stats also count READLINK requests (readlink) and say whether the
 * server got what it asked for (posix_acl, cache_symlinks: 1 or 0).
 *
 * File handles: every inode gets a generation of its own (a counter seeded
 * by the clock; the root's is 0), so that a nodeid the server reuses is
 * not mistaken for the old object.  LOOKUP of "." in a nodeid answers that
 * inode itself and LOOKUP of ".." in a directory its parent: the kernel
 * sends them (with EXPORT_SUPPORT) for an object it no longer has.  The
 * nodeid comes from a handle, so it is checked against our inodes first.
 * The stats count them: lookup_dot, lookup_dotdot, and lookup_stale for
 * the ones answered with an error (an unknown nodeid, an unlinked object).
 *
 * The stats count the requests that carry data (read, write) and the
 * file lifecycle (open, release, backing_open, backing_close, ...): a
 * passthrough test proves its data bypassed us by read 0, write 0.
 */
#define FUSE_USE_VERSION 317
#define _GNU_SOURCE
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/fsuid.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/capability.h>

/* the device ioctls, as in the FUSE uapi (protocol 7.40) */
struct pt_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};
#define PT_IOC_BACKING_OPEN	_IOW(229, 1, struct pt_backing_map)
#define PT_IOC_BACKING_CLOSE	_IOW(229, 2, uint32_t)
#define PT_BAD_ID		9999

enum pt_mode {
	M_PT, M_CACHED, M_KEEP, M_DIO, M_PTDIO, M_PTPAR, M_PTKEEP, M_PTNEW,
	M_PTBADID, M_PTEARLY, M_PROBE, M_DIOPAR, M_PTOPATH,
};

static const char *const mode_names[] = {
	[M_PT] = "pt", [M_CACHED] = "cached", [M_KEEP] = "keep",
	[M_DIO] = "dio", [M_PTDIO] = "ptdio", [M_PTPAR] = "ptpar",
	[M_PTKEEP] = "ptkeep", [M_PTNEW] = "ptnew", [M_PTBADID] = "ptbadid",
	[M_PTEARLY] = "ptearly", [M_PROBE] = "probe", [M_DIOPAR] = "diopar",
	[M_PTOPATH] = "ptopath",
};

struct pt_inode {
	struct pt_inode *next;
	dev_t dev;
	ino_t ino;
	int fd;			/* O_PATH */
	uint32_t generation;
	uint64_t nlookup;
	int backing_id;		/* the inode's shared id, 0 when none */
	int nbacking;		/* open files on backing_id */
};

struct pt_file {
	int fd;
	int own_id;		/* ptnew: an id only this file uses */
	bool shared;		/* holds a count on the inode's backing_id */
	bool opath;		/* ptopath: fd is O_PATH */
};

/* counters; single-threaded session, read racily by the stats thread */
static struct {
	unsigned long init, lookup, forget, getattr, setattr, open, create,
		      open_fail, release, read, write, read_bytes, write_bytes,
		      flush, fsync, fallocate, readdir, backing_open,
		      backing_open_fail, backing_close, passthrough_offered,
		      writeback_offered, passthrough_wanted, readlink,
		      posix_acl, cache_symlinks, no_export, export,
		      lookup_dot, lookup_dotdot, lookup_stale,
		      auto_inval_offered, explicit_inval_offered;
	int backing_open_errno;
	char probe[512];
} st;

static struct {
	const char *source;
	const char *mode_file;
	const char *stats;
	enum pt_mode mode;
	bool no_passthrough;
	bool writeback;
	bool drop_caps;
	bool drop_fsetid;
	bool acl;
	bool cache_symlinks;
	bool no_export;
	bool export;
	int allow_mmap;		/* 1 ask, 0 refuse, -1 libfuse's default */
	bool no_async_dio;
	bool sync_read;
	int write_delay_ms;
	int read_delay_ms;
	unsigned int max_readahead;
	int stack_depth;
	const char *inval_data;
	double timeout;
	int devfd;
} opt = { .stack_depth = 0, .timeout = 1.0, .devfd = -1, .allow_mmap = -1 };

static struct pt_inode root;
static struct pt_inode *inodes;
static uint32_t next_generation;

/* ptearly ids waiting for the next SIGUSR1 */
static pthread_mutex_t early_lock = PTHREAD_MUTEX_INITIALIZER;
static int early_ids[64];
static int nearly;

static void pt_backing_close_raw(int id);

/* ---- stats ---- */

static void stats_write(void)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!opt.stats)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.stats);
	f = fopen(tmp, "w");
	if (!f)
		return;
#define S(name) fprintf(f, #name " %lu\n", st.name)
	S(init); S(lookup); S(forget); S(getattr); S(setattr); S(open);
	S(create); S(open_fail); S(release); S(read); S(write);
	S(read_bytes); S(write_bytes); S(flush); S(fsync); S(fallocate);
	S(readdir); S(backing_open); S(backing_open_fail); S(backing_close);
	S(passthrough_offered); S(passthrough_wanted); S(writeback_offered);
	S(auto_inval_offered); S(explicit_inval_offered);
	S(readlink); S(posix_acl); S(cache_symlinks); S(no_export);
	S(export); S(lookup_dot); S(lookup_dotdot); S(lookup_stale);
#undef S
	fprintf(f, "backing_open_errno %s\n",
		st.backing_open_errno ? strerrorname_np(st.backing_open_errno) : "0");
	if (st.probe[0])
		fprintf(f, "%s", st.probe);
	fclose(f);
	rename(tmp, opt.stats);
}

static void *stats_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) || sig != SIGUSR1)
			continue;
		pthread_mutex_lock(&early_lock);
		while (nearly)
			pt_backing_close_raw(early_ids[--nearly]);
		pthread_mutex_unlock(&early_lock);
		stats_write();
	}
	return NULL;
}

/* ---- inodes ---- */

static struct pt_inode *pt_inode(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? &root : (struct pt_inode *)(uintptr_t)ino;
}

static fuse_ino_t pt_ino(struct pt_inode *in)
{
	return in == &root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

static void pt_forget_one(struct pt_inode *in, uint64_t n)
{
	struct pt_inode **pp;

	if (in == &root)
		return;
	in->nlookup -= n;
	if (in->nlookup)
		return;
	/*
	 * --export: the kernel may ask for this nodeid again after it forgot
	 * it, by LOOKUP of "." (or ".." of a child directory), when a file
	 * handle of the object is opened (open_by_handle_at, an NFS client).
	 * The nodeid must still name the same object then, so the inode is
	 * kept for the server's lifetime, nlookup 0 and all.  Its O_PATH fd
	 * also pins the source object, so that an unlinked one cannot hand
	 * its st_ino to a new file while we still know the old one.
	 */
	if (opt.export)
		return;
	for (pp = &inodes; *pp; pp = &(*pp)->next) {
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	}
	close(in->fd);
	free(in);
}

/*
 * The entry for FD (an O_PATH fd of ours, which this takes over): the
 * known inode of the same source object, or a new one.  Fills e and takes
 * a lookup count.
 */
static int pt_entry_fd(int fd, struct fuse_entry_param *e)
{
	struct pt_inode *in;

	memset(e, 0, sizeof(*e));
	e->attr_timeout = opt.timeout;
	e->entry_timeout = opt.timeout;
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	/* the root is no entry of the list (".." of a top directory) */
	if (e->attr.st_ino == root.ino && e->attr.st_dev == root.dev)
		in = &root;
	else
		for (in = inodes; in; in = in->next)
			if (in->ino == e->attr.st_ino && in->dev == e->attr.st_dev)
				break;
	if (in) {
		close(fd);
	} else {
		in = calloc(1, sizeof(*in));
		if (!in) {
			close(fd);
			return ENOMEM;
		}
		in->fd = fd;
		in->ino = e->attr.st_ino;
		in->dev = e->attr.st_dev;
		/* 0 is the root's; the kernel keeps 32 bits */
		if (!++next_generation)
			++next_generation;
		in->generation = next_generation;
		in->next = inodes;
		inodes = in;
	}
	in->nlookup++;
	e->ino = pt_ino(in);
	e->generation = in->generation;
	return 0;
}

/* look NAME up under PARENT; fills e and takes a lookup count */
static int pt_do_lookup(fuse_ino_t parent, const char *name,
			struct fuse_entry_param *e)
{
	int fd = openat(pt_inode(parent)->fd, name, O_PATH | O_NOFOLLOW);

	if (fd < 0)
		return errno;
	return pt_entry_fd(fd, e);
}

/* the inode of a nodeid the kernel may have taken from a file handle */
static struct pt_inode *pt_known_inode(fuse_ino_t ino)
{
	struct pt_inode *in;

	if (ino == FUSE_ROOT_ID)
		return &root;
	for (in = inodes; in; in = in->next)
		if (pt_ino(in) == ino)
			return in;
	return NULL;
}

/*
 * LOOKUP of "." (the inode INO itself) or ".." (the parent of directory
 * INO): how the kernel finds an object by nodeid alone.  An object that
 * was unlinked is gone (ENOENT: the handle is stale), however long we
 * keep its inode.
 */
static int pt_lookup_special(fuse_ino_t ino, const char *name,
			     struct fuse_entry_param *e)
{
	struct pt_inode *in = pt_known_inode(ino);
	struct stat s;
	int fd;

	if (!in)
		return ESTALE;
	if (fstatat(in->fd, "", &s, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (!s.st_nlink)
		return ENOENT;
	if (!strcmp(name, ".")) {
		fd = dup(in->fd);
	} else {
		if (!S_ISDIR(s.st_mode))
			return ENOTDIR;
		/* the root's parent is outside SOURCE: the root itself */
		if (in == &root)
			fd = dup(in->fd);
		else
			fd = openat(in->fd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW);
	}
	if (fd < 0)
		return errno;
	return pt_entry_fd(fd, e);
}

static int pt_reopen(struct pt_inode *in, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", in->fd);
	return open(path, flags & ~O_NOFOLLOW);
}

/* ---- backing ids ---- */

static int pt_backing_open(fuse_req_t req, int fd)
{
	int id;

	errno = 0;
	id = fuse_passthrough_open(req, fd);
	if (id <= 0) {
		st.backing_open_fail++;
		st.backing_open_errno = errno ? errno : EIO;
		return -st.backing_open_errno;
	}
	st.backing_open++;
	return id;
}

static void pt_backing_close_raw(int id)
{
	uint32_t u = id;

	if (ioctl(opt.devfd, PT_IOC_BACKING_CLOSE, &u) == 0)
		st.backing_close++;
}

static void probe_one(const char *name, unsigned long cmd, void *arg)
{
	char line[96];
	int r = ioctl(opt.devfd, cmd, arg);
	const char *res = r < 0 ? strerrorname_np(errno) : "ok";

	snprintf(line, sizeof(line), "probe_%s %s\n", name, res);
	strncat(st.probe, line, sizeof(st.probe) - strlen(st.probe) - 1);
	if (r > 0 && cmd == PT_IOC_BACKING_OPEN) {
		uint32_t id = r;

		ioctl(opt.devfd, PT_IOC_BACKING_CLOSE, &id);
	}
}

/* the argument checks of BACKING_OPEN and BACKING_CLOSE */
static void pt_probe(int fd)
{
	struct pt_backing_map m = { .fd = fd };
	char path[64];
	uint32_t id;
	int opath;

	st.probe[0] = 0;
	m.flags = 1;
	probe_one("flags", PT_IOC_BACKING_OPEN, &m);
	m.flags = 0;
	m.padding = 1;
	probe_one("padding", PT_IOC_BACKING_OPEN, &m);
	m.padding = 0;
	m.fd = -1;
	probe_one("badfd", PT_IOC_BACKING_OPEN, &m);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	opath = open(path, O_PATH);
	m.fd = opath;
	probe_one("opath", PT_IOC_BACKING_OPEN, &m);
	close(opath);
	m.fd = root.fd;
	probe_one("dir", PT_IOC_BACKING_OPEN, &m);
	id = 0;
	probe_one("close0", PT_IOC_BACKING_CLOSE, &id);
	id = PT_BAD_ID;
	probe_one("closeunknown", PT_IOC_BACKING_CLOSE, &id);
}

static enum pt_mode pt_current_mode(void)
{
	char buf[32] = "";
	size_t i;
	FILE *f;

	if (!opt.mode_file)
		return opt.mode;
	f = fopen(opt.mode_file, "r");
	if (!f)
		return opt.mode;
	if (fscanf(f, "%31s", buf) != 1)
		buf[0] = 0;
	fclose(f);
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(buf, mode_names[i]))
			return i;
	return opt.mode;
}

/*
 * Set fi up for the mode in force; fd is our open of the file.  Returns 0
 * or a positive errno to answer the open with.
 */
static int pt_setup_open(fuse_req_t req, struct pt_inode *in,
			 struct pt_file *pf, struct fuse_file_info *fi,
			 enum pt_mode mode)
{
	int id;

	switch (mode) {
	case M_CACHED:
		return 0;
	case M_KEEP:
		fi->keep_cache = 1;
		return 0;
	case M_DIO:
		fi->direct_io = 1;
		return 0;
	case M_DIOPAR:
		fi->direct_io = 1;
		fi->parallel_direct_writes = 1;
		return 0;
	case M_PTBADID:
		fi->backing_id = PT_BAD_ID;
		return 0;
	case M_PTNEW:
	case M_PTEARLY:
		id = pt_backing_open(req, pf->fd);
		if (id < 0)
			return -id;
		pf->own_id = id;
		fi->backing_id = id;
		return 0;
	case M_PROBE:
		pt_probe(pf->fd);
		/* fall through */
	case M_PT:
	case M_PTOPATH:
	case M_PTDIO:
	case M_PTPAR:
	case M_PTKEEP:
		if (!in->backing_id) {
			id = pt_backing_open(req, pf->fd);
			if (id < 0)
				return -id;
			in->backing_id = id;
		}
		in->nbacking++;
		pf->shared = true;
		fi->backing_id = in->backing_id;
		if (mode == M_PTDIO || mode == M_PTPAR)
			fi->direct_io = 1;
		if (mode == M_PTPAR)
			fi->parallel_direct_writes = 1;
		if (mode == M_PTKEEP)
			fi->keep_cache = 1;
		return 0;
	}
	return 0;
}

/* drop what an open holds on backing ids; req may be NULL */
static void pt_drop_backing(fuse_req_t req, struct pt_inode *in,
			    struct pt_file *pf)
{
	if (pf->own_id) {
		if (req)
			fuse_passthrough_close(req, pf->own_id);
		else
			pt_backing_close_raw(pf->own_id);
		if (req)
			st.backing_close++;
		pf->own_id = 0;
	}
	if (pf->shared) {
		pf->shared = false;
		if (--in->nbacking == 0 && in->backing_id) {
			if (req) {
				fuse_passthrough_close(req, in->backing_id);
				st.backing_close++;
			} else {
				pt_backing_close_raw(in->backing_id);
			}
			in->backing_id = 0;
		}
	}
}

static void pt_reply_open(fuse_req_t req, struct pt_inode *in,
			  struct pt_file *pf, struct fuse_file_info *fi,
			  const struct fuse_entry_param *e)
{
	int early = pf->own_id && pt_current_mode() == M_PTEARLY ? pf->own_id : 0;
	int r;

	fi->fh = (uintptr_t)pf;
	r = e ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);
	if (r) {
		/* the kernel will not send RELEASE for this one */
		pt_drop_backing(NULL, in, pf);
		close(pf->fd);
		free(pf);
		return;
	}
	if (early) {
		pthread_mutex_lock(&early_lock);
		if (nearly < (int)(sizeof(early_ids) / sizeof(early_ids[0]))) {
			early_ids[nearly++] = early;
			pf->own_id = 0;
		}
		pthread_mutex_unlock(&early_lock);
	}
}

/* ---- operations ---- */

static void pt_drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) == 0) {
		d[cap / 32].effective &= ~(1u << (cap % 32));
		d[cap / 32].permitted &= ~(1u << (cap % 32));
		if (syscall(SYS_capset, &h, d))
			perror("ptsrv: capset");
	}
}

static void pt_init(void *data, struct fuse_conn_info *conn)
{
	(void)data;
	st.init++;
	st.passthrough_offered = !!(conn->capable_ext & FUSE_CAP_PASSTHROUGH);
	if (!opt.no_passthrough && st.passthrough_offered) {
		fuse_set_feature_flag(conn, FUSE_CAP_PASSTHROUGH);
		conn->max_backing_stack_depth = opt.stack_depth;
		st.passthrough_wanted = 1;
	}
	st.writeback_offered = !!(conn->capable_ext & FUSE_CAP_WRITEBACK_CACHE);
	if (opt.writeback && st.writeback_offered)
		fuse_set_feature_flag(conn, FUSE_CAP_WRITEBACK_CACHE);
	else
		fuse_unset_feature_flag(conn, FUSE_CAP_WRITEBACK_CACHE);
	st.auto_inval_offered = !!(conn->capable & FUSE_CAP_AUTO_INVAL_DATA);
	st.explicit_inval_offered = !!(conn->capable & FUSE_CAP_EXPLICIT_INVAL_DATA);
	if (opt.inval_data && strcmp(opt.inval_data, "auto")) {
		fuse_unset_feature_flag(conn, FUSE_CAP_AUTO_INVAL_DATA);
		if (!strcmp(opt.inval_data, "explicit"))
			fuse_set_feature_flag(conn, FUSE_CAP_EXPLICIT_INVAL_DATA);
	} else if (opt.inval_data) {
		fuse_set_feature_flag(conn, FUSE_CAP_AUTO_INVAL_DATA);
	}
	if (!st.passthrough_offered)
		fprintf(stderr, "ptsrv: the kernel does not offer passthrough\n");
	if (opt.acl) {
		st.posix_acl = fuse_set_feature_flag(conn, FUSE_CAP_POSIX_ACL);
		fuse_set_feature_flag(conn, FUSE_CAP_DONT_MASK);
	}
	if (opt.cache_symlinks)
		st.cache_symlinks = fuse_set_feature_flag(conn, FUSE_CAP_CACHE_SYMLINKS);
	if (opt.no_export)
		st.no_export = fuse_set_feature_flag(conn, FUSE_CAP_NO_EXPORT_SUPPORT);
	if (opt.export)
		st.export = fuse_set_feature_flag(conn, FUSE_CAP_EXPORT_SUPPORT);
	if (opt.allow_mmap == 1)
		fuse_set_feature_flag(conn, FUSE_CAP_DIRECT_IO_ALLOW_MMAP);
	else if (opt.allow_mmap == 0)
		fuse_unset_feature_flag(conn, FUSE_CAP_DIRECT_IO_ALLOW_MMAP);
	if (opt.no_async_dio)
		fuse_unset_feature_flag(conn, FUSE_CAP_ASYNC_DIO);
	if (opt.sync_read)
		fuse_unset_feature_flag(conn, FUSE_CAP_ASYNC_READ);
	if (opt.max_readahead)
		conn->max_readahead = opt.max_readahead;
	if (opt.drop_caps)
		pt_drop_cap(CAP_SYS_ADMIN);
	if (opt.drop_fsetid)
		pt_drop_cap(CAP_FSETID);
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int err;

	st.lookup++;
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		if (name[1])
			st.lookup_dotdot++;
		else
			st.lookup_dot++;
		err = pt_lookup_special(parent, name, &e);
		if (err)
			st.lookup_stale++;
	} else {
		err = pt_do_lookup(parent, name, &e);
	}
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void pt_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	st.forget++;
	pt_forget_one(pt_inode(ino), nlookup);
	fuse_reply_none(req);
}

static void pt_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *fl)
{
	size_t i;

	for (i = 0; i < count; i++) {
		st.forget++;
		pt_forget_one(pt_inode(fl[i].ino), fl[i].nlookup);
	}
	fuse_reply_none(req);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat s;

	(void)fi;
	st.getattr++;
	if (fstatat(pt_inode(ino)->fd, "", &s, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &s, opt.timeout);
}

static void pt_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct pt_inode *in = pt_inode(ino);
	char path[64];
	int r = 0;

	st.setattr++;
	/* an O_PATH file (ptopath) can do neither fchmod nor ftruncate */
	if (fi && ((struct pt_file *)(uintptr_t)fi->fh)->opath)
		fi = NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", in->fd);
	if (to_set & FUSE_SET_ATTR_MODE)
		r = fi ? fchmod(((struct pt_file *)(uintptr_t)fi->fh)->fd, attr->st_mode)
		       : chmod(path, attr->st_mode);
	if (!r && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		r = fchownat(in->fd, "",
			     (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1,
			     (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	if (!r && (to_set & FUSE_SET_ATTR_SIZE))
		r = fi ? ftruncate(((struct pt_file *)(uintptr_t)fi->fh)->fd, attr->st_size)
		       : truncate(path, attr->st_size);
	if (!r && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
		struct timespec tv[2] = {
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT },
		};

		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			tv[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			tv[1] = attr->st_mtim;
		r = utimensat(AT_FDCWD, path, tv, 0);
	}
	if (r) {
		fuse_reply_err(req, errno);
		return;
	}
	st.getattr--;	/* the reply's getattr is part of this setattr */
	pt_getattr(req, ino, NULL);
}

static void pt_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlinkat(pt_inode(ino)->fd, "", buf, sizeof(buf) - 1);

	st.readlink++;
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	buf[n] = 0;
	fuse_reply_readlink(req, buf);
}

/*
 * --acl: a new node is made as the caller, with the caller's umask, so
 * that the source filesystem gives it owner, group and default ACL as it
 * would to the caller (the session is single-threaded).
 */
static void pt_as_caller(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	if (!opt.acl)
		return;
	umask(ctx->umask);
	setfsgid(ctx->gid);
	setfsuid(ctx->uid);
}

static void pt_as_self(void)
{
	if (!opt.acl)
		return;
	setfsuid(0);
	setfsgid(0);
	umask(0);
}

static void pt_entry_reply(fuse_req_t req, fuse_ino_t parent,
			   const char *name, int r)
{
	struct fuse_entry_param e;
	int err;

	if (r) {
		fuse_reply_err(req, errno);
		return;
	}
	err = pt_do_lookup(parent, name, &e);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void pt_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	int r;

	pt_as_caller(req);
	r = mkdirat(pt_inode(parent)->fd, name, mode);
	pt_as_self();
	pt_entry_reply(req, parent, name, r);
}

static void pt_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	int r;

	pt_as_caller(req);
	r = mknodat(pt_inode(parent)->fd, name, mode, rdev);
	pt_as_self();
	pt_entry_reply(req, parent, name, r);
}

static void pt_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	int r;

	pt_as_caller(req);
	r = symlinkat(link, pt_inode(parent)->fd, name);
	pt_as_self();
	pt_entry_reply(req, parent, name, r);
}

static void pt_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	char path[64];
	int r;

	/* the inode's O_PATH fd names it; follow that magic link */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pt_inode(ino)->fd);
	r = linkat(AT_FDCWD, path, pt_inode(newparent)->fd, newname,
		   AT_SYMLINK_FOLLOW);
	pt_entry_reply(req, newparent, newname, r);
}

static void pt_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(pt_inode(parent)->fd, name, 0) ? errno : 0);
}

static void pt_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(pt_inode(parent)->fd, name, AT_REMOVEDIR) ?
			    errno : 0);
}

static void pt_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	int r = renameat2(pt_inode(parent)->fd, name, pt_inode(newparent)->fd,
			  newname, flags);

	fuse_reply_err(req, r ? errno : 0);
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pt_inode *in = pt_inode(ino);
	struct pt_file *pf = calloc(1, sizeof(*pf));
	enum pt_mode mode = pt_current_mode();
	int err;

	st.open++;
	if (!pf) {
		st.open_fail++;
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/*
	 * O_APPEND is the kernel's business; our writes carry offsets.
	 * O_TRUNC is ours: libfuse takes ATOMIC_O_TRUNC, so the kernel
	 * leaves truncating at open to the server.
	 */
	pf->opath = mode == M_PTOPATH;
	pf->fd = pt_reopen(in, pf->opath ? O_PATH :
			   fi->flags & ~(O_APPEND | O_CREAT | O_EXCL));
	if (pf->fd < 0) {
		err = errno;
		goto fail;
	}
	err = pt_setup_open(req, in, pf, fi, mode);
	if (err) {
		close(pf->fd);
		goto fail;
	}
	pt_reply_open(req, in, pf, fi, NULL);
	return;
fail:
	st.open_fail++;
	free(pf);
	fuse_reply_err(req, err);
}

static void pt_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct pt_file *pf;
	int fd, err;

	st.create++;
	pt_as_caller(req);
	fd = openat(pt_inode(parent)->fd, name,
		    (fi->flags | O_CREAT) & ~(O_APPEND | O_NOFOLLOW), mode);
	pt_as_self();
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = pt_do_lookup(parent, name, &e);
	if (err) {
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf) {
		err = ENOMEM;
		goto fail;
	}
	pf->fd = fd;
	/* a new file is ours to have open: ptopath is pt here */
	err = pt_setup_open(req, pt_inode(e.ino), pf, fi, pt_current_mode());
	if (err)
		goto fail;
	pt_reply_open(req, pt_inode(e.ino), pf, fi, &e);
	return;
fail:
	free(pf);
	close(fd);
	st.open_fail++;
	/* the kernel never saw the entry: give back its lookup count */
	pt_forget_one(pt_inode(e.ino), 1);
	fuse_reply_err(req, err);
}

static struct pt_file *pt_file(struct fuse_file_info *fi)
{
	return (struct pt_file *)(uintptr_t)fi->fh;
}

static void pt_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct pt_file *pf = pt_file(fi);

	st.release++;
	pt_drop_backing(req, pt_inode(ino), pf);
	close(pf->fd);
	free(pf);
	fuse_reply_err(req, 0);
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	st.read++;
	st.read_bytes += size;
	if (opt.read_delay_ms)
		usleep(opt.read_delay_ms * 1000);
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = pt_file(fi)->fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void pt_write_buf(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_bufvec *in_buf, off_t off,
			 struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
	ssize_t n;

	(void)ino;
	st.write++;
	if (opt.write_delay_ms)
		usleep(opt.write_delay_ms * 1000);
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = pt_file(fi)->fd;
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in_buf, 0);
	if (n < 0) {
		fuse_reply_err(req, -n);
		return;
	}
	st.write_bytes += n;
	fuse_reply_write(req, n);
}

static void pt_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int fd;

	(void)ino;
	st.flush++;
	/* close(dup) is how a flush reaches the source filesystem */
	fd = dup(pt_file(fi)->fd);
	fuse_reply_err(req, fd < 0 ? errno : (close(fd) ? errno : 0));
}

static void pt_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int fd = pt_file(fi)->fd;

	(void)ino;
	st.fsync++;
	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}

static void pt_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t offset, off_t length, struct fuse_file_info *fi)
{
	(void)ino;
	st.fallocate++;
	fuse_reply_err(req, fallocate(pt_file(fi)->fd, mode, offset, length) ?
			    errno : 0);
}

static void pt_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	int fd = openat(pt_inode(ino)->fd, ".", O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = (uintptr_t)d;
	fuse_reply_open(req, fi);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t used = 0;
	struct dirent *de;

	(void)ino;
	st.readdir++;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	seekdir(d, off);
	while ((de = readdir(d))) {
		struct stat s = { .st_ino = de->d_ino, .st_mode = DTTOIF(de->d_type) };
		size_t n = fuse_add_direntry(req, buf + used, size - used,
					     de->d_name, &s, telldir(d));

		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void pt_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	(void)ino;
	closedir((DIR *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void pt_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs s;

	if (fstatvfs(pt_inode(ino)->fd, &s))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &s);
}

/* ---- xattrs (--acl): through the O_PATH fd's /proc path ---- */

static void pt_xpath(fuse_ino_t ino, char *path, size_t len)
{
	snprintf(path, len, "/proc/self/fd/%d", pt_inode(ino)->fd);
}

/*
 * getxattr (@name) and listxattr (@name NULL) answer alike: the size
 * asked for with size 0, else the bytes.
 */
static void pt_xget(fuse_req_t req, fuse_ino_t ino, const char *name,
		    size_t size)
{
	char path[64], *buf = NULL;
	ssize_t n;

	if (!opt.acl) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pt_xpath(ino, path, sizeof(path));
	n = name ? getxattr(path, name, buf, size) : listxattr(path, buf, size);
	if (n < 0)
		fuse_reply_err(req, errno);
	else if (!size)
		fuse_reply_xattr(req, n);
	else
		fuse_reply_buf(req, buf, n);
	free(buf);
}

static void pt_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	pt_xget(req, ino, name, size);
}

static void pt_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	pt_xget(req, ino, NULL, size);
}

static void pt_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	char path[64];

	if (!opt.acl) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	pt_xpath(ino, path, sizeof(path));
	fuse_reply_err(req, setxattr(path, name, value, size, flags) ? errno : 0);
}

static void pt_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	char path[64];

	if (!opt.acl) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	pt_xpath(ino, path, sizeof(path));
	fuse_reply_err(req, removexattr(path, name) ? errno : 0);
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init		= pt_init,
	.lookup		= pt_lookup,
	.forget		= pt_forget,
	.forget_multi	= pt_forget_multi,
	.getattr	= pt_getattr,
	.setattr	= pt_setattr,
	.readlink	= pt_readlink,
	.mknod		= pt_mknod,
	.mkdir		= pt_mkdir,
	.symlink	= pt_symlink,
	.link		= pt_link,
	.unlink		= pt_unlink,
	.rmdir		= pt_rmdir,
	.rename		= pt_rename,
	.open		= pt_open,
	.create		= pt_create,
	.read		= pt_read,
	.write_buf	= pt_write_buf,
	.flush		= pt_flush,
	.fsync		= pt_fsync,
	.fallocate	= pt_fallocate,
	.release	= pt_release,
	.opendir	= pt_opendir,
	.readdir	= pt_readdir,
	.releasedir	= pt_releasedir,
	.statfs		= pt_statfs,
	.getxattr	= pt_getxattr,
	.listxattr	= pt_listxattr,
	.setxattr	= pt_setxattr,
	.removexattr	= pt_removexattr,
};

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: ptsrv [--mode M] [--mode-file F] [--stats F] [--no-passthrough]\n"
		"             [--writeback] [--stack-depth N] [--drop-caps] [--drop-fsetid]\n"
		"             [--timeout S]\n"
		"             [--inval-data auto|explicit|none] [--acl] [--cache-symlinks]\n"
		"             [--no-export] [--export] [--write-delay MS] [--allow-mmap|--no-allow-mmap]\n"
		"             [--no-async-dio] [--sync-read] [--read-delay MS] [--max-readahead N]\n"
		"             [-d] SOURCE MOUNTPOINT\n");
	exit(status);
}

static enum pt_mode parse_mode(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	fprintf(stderr, "ptsrv: unknown mode '%s'\n", s);
	exit(2);
}

int main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "mode-file", required_argument, NULL, 'M' },
		{ "stats", required_argument, NULL, 's' },
		{ "no-passthrough", no_argument, NULL, 'N' },
		{ "writeback", no_argument, NULL, 'W' },
		{ "stack-depth", required_argument, NULL, 'D' },
		{ "drop-caps", no_argument, NULL, 'C' },
		{ "drop-fsetid", no_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ "inval-data", required_argument, NULL, 'I' },
		{ "acl", no_argument, NULL, 'A' },
		{ "cache-symlinks", no_argument, NULL, 'L' },
		{ "no-export", no_argument, NULL, 'X' },
		{ "export", no_argument, NULL, 'E' },
		{ "write-delay", required_argument, NULL, 'w' },
		{ "allow-mmap", no_argument, NULL, 'a' },
		{ "no-allow-mmap", no_argument, NULL, 'n' },
		{ "no-async-dio", no_argument, NULL, 'y' },
		{ "sync-read", no_argument, NULL, 'R' },
		{ "read-delay", required_argument, NULL, 'r' },
		{ "max-readahead", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *fargv[3] = { argv[0], NULL, NULL };
	struct fuse_args args;
	struct fuse_session *se;
	pthread_t thr;
	sigset_t set;
	struct stat s;
	int c, ret;
	bool debug = false;

	while ((c = getopt_long(argc, argv, "dh", lo, NULL)) != -1) {
		switch (c) {
		case 'm': opt.mode = parse_mode(optarg); break;
		case 'M': opt.mode_file = optarg; break;
		case 's': opt.stats = optarg; break;
		case 'N': opt.no_passthrough = true; break;
		case 'W': opt.writeback = true; break;
		case 'D': opt.stack_depth = atoi(optarg); break;
		case 'C': opt.drop_caps = true; break;
		case 'F': opt.drop_fsetid = true; break;
		case 't': opt.timeout = atof(optarg); break;
		case 'I': opt.inval_data = optarg; break;
		case 'A': opt.acl = true; break;
		case 'L': opt.cache_symlinks = true; break;
		case 'X': opt.no_export = true; break;
		case 'E': opt.export = true; break;
		case 'w': opt.write_delay_ms = atoi(optarg); break;
		case 'a': opt.allow_mmap = 1; break;
		case 'n': opt.allow_mmap = 0; break;
		case 'y': opt.no_async_dio = true; break;
		case 'R': opt.sync_read = true; break;
		case 'r': opt.read_delay_ms = atoi(optarg); break;
		case 'x': opt.max_readahead = strtoul(optarg, NULL, 0); break;
		case 'd': debug = true; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (argc - optind != 2)
		usage(2);
	opt.source = argv[optind];
	if (opt.acl)
		umask(0);
	root.fd = open(opt.source, O_PATH | O_DIRECTORY);
	if (root.fd < 0 || fstat(root.fd, &s)) {
		perror(opt.source);
		return 2;
	}
	root.dev = s.st_dev;
	root.ino = s.st_ino;
	root.nlookup = 1;
	next_generation = (uint32_t)time(NULL);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&thr, NULL, stats_thread, &set);
	pthread_detach(thr);

	if (debug)
		fargv[1] = "-d";
	args = (struct fuse_args)FUSE_ARGS_INIT(debug ? 2 : 1, fargv);
	se = fuse_session_new(&args, &pt_ops, sizeof(pt_ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) ||
	    fuse_session_mount(se, argv[optind + 1])) {
		fuse_session_destroy(se);
		return 1;
	}
	opt.devfd = fuse_session_fd(se);
	ret = fuse_session_loop(se);
	stats_write();
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return ret ? 1 : 0;
}
