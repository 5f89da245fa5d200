// SPDX-License-Identifier: GPL-2.0
/*
 * rawbad: a FUSE server speaking the wire protocol itself (no libfuse)
 * that sends malformed replies of the newer reply types: xattrs,
 * READDIRPLUS records, impossible attributes in LOOKUP/GETATTR, and
 * malformed notifications.  Used by tests/guest/cases/51-raw-replies.sh.
 *
 *   rawbad MODE /dev/fd/N        (normally started by fuse2pt-mount)
 *   rawbad --list                print the modes
 *
 * The tree:
 *   /           nodeid 1, directory
 *   /file       nodeid 2, "version 1\n" ("version 2\n" after "bump")
 *   /x          nodeid 3, regular file carrying user.a = "hello"
 *   /d          nodeid 4, directory: a (10), bad (11), z (12)
 *   /old        nodeid 5 (named "new" after "rename")
 *   /t          nodeid 6, regular file whose attributes the attr modes break
 *
 * The INIT reply accepts FUSE_DO_READDIRPLUS (without AUTO, so every
 * directory read is a READDIRPLUS).  In mode xa-set-big it sets max_write
 * to SMALL_MAX_WRITE, and requests are read into SMALL_READ_BUF bytes,
 * the least the kernel takes: a SETXATTR with a larger value cannot
 * reach the server (mainline fails it with E2BIG, any other request too
 * large with EIO).  Entries and attributes are valid for
 * an hour, except in the attr modes, and files open with FOPEN_KEEP_CACHE,
 * so only a notification can make the kernel see a change.
 *
 * Hidden modes (not in --list, so 51-raw-replies.sh does not run them),
 * for 45-ioctl-poll.sh:
 *   ioctl         IOCTL and POLL answered; the ioctl's _IOC_NR picks a
 *                 good or a broken reply (see do_ioctl()); POLL answers
 *                 POLLIN once "poll-ready" was sent
 *   ioctl-enosys  IOCTL and POLL answered with ENOSYS
 *   resend        the first READ goes unanswered: NOTIFY_RESEND asks the
 *                 kernel to send it again (86-resend.sh); a kernel that
 *                 refuses the notification gets its answer late instead
 *   statx         for 53-raw-statx.sh: STATX answered, with btime, per file
 *                 of the root's sx-* files (nodeids 20-27, see do_statx()):
 *                 sx-good, sx-short, sx-mode-fmt, sx-type, sx-nsec,
 *                 sx-nobtime, sx-partial, sx-extra
 *   statx-enosys  the same files, but STATX of sx-good is answered
 *                 with ENOSYS (of the root, before, as in "statx")
 *   ext           for 54-raw-create-ext.sh: INIT accepts FUSE_SECURITY_CTX
 *                 and FUSE_CREATE_SUPP_GROUP when offered; the root holds
 *                 g (nodeid 30, mode 0777) and gs (31, 02777), both of
 *                 group EXT_GID (4242); MKNOD, MKDIR, SYMLINK, CREATE and
 *                 TMPFILE in them are checked (do_ext_create()), logged
 *                 and answered with a new object
 *
 * Notifications are sent on command: with RAWBAD_CTL=PATH set, a thread
 * reads command lines from the FIFO at PATH (see ctl_command()).
 *
 * Log lines on stderr a test compares:
 *   rawbad: bad-write LABEL: accepted|rejected ERRNAME
 *   rawbad: notify LABEL: accepted|rejected ERRNAME
 *   rawbad: notify-reply unique U nodeid N offset O size S data TEXT
 *                                         (a NOTIFY_REPLY to a RETRIEVE;
 *                                          TEXT is the data, \n as "|")
 *   rawbad: forget-unknown NODEID          (a FORGET for a nodeid never handed out)
 *   rawbad: forget-over NODEID             (more forgotten than handed out)
 *   rawbad: count OPNAME N                 (at exit, requests seen per opcode)
 *   rawbad: ioctl NR in=N out=N flags=X     (each IOCTL, ioctl modes)
 *   rawbad: poll flags=X events=X           (each POLL, ioctl modes)
 *   rawbad: balance NODEID HANDED FORGOTTEN (at exit)
 *   rawbad: statx NODEID sx_mask=X sx_flags=X getattr_flags=X  (each STATX)
 *   rawbad: count-sx NAME LOOKUP n GETATTR n STATX n  (at exit, statx
 *                                         modes, each sx-* file asked about)
 *   rawbad: resend: ...                     (resend mode, see resend_hold())
 *   rawbad: ext-init secctx=0|1 supp-group=0|1  (ext mode: what INIT offered)
 *   rawbad: ext OPNAME NAME uid=U gid=G extlen=N [secctx nr=K [XATTR/LEN..]]
 *           [groups G,..]                   (ext mode: each creating request)
 *   rawbad: ext-bad OPNAME NAME: WHY        (ext mode: a malformed extension)
 * RAWBAD_VERBOSE=1 also logs every request.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <poll.h>

#define RAW_PROG	"rawbad"
#include "testlib.h"

#define MAX_WRITE	(128 * 1024)
#define REQ_BUF_SIZE	(1024 * 1024 + 4096)
#define SMALL_MAX_WRITE	4096
/* the kernel's least: room for a WRITE of max_write, at least 8 KiB */
#define SMALL_WRITE_REQ	(sizeof(struct fuse_in_header) + \
			 sizeof(struct fuse_write_in) + SMALL_MAX_WRITE)
#define SMALL_READ_BUF	(SMALL_WRITE_REQ > FUSE_MIN_READ_BUFFER ? \
			 SMALL_WRITE_REQ : FUSE_MIN_READ_BUFFER)
#define MAX_MINOR	40
#define FIXED_TIME	1700000000ULL
#define LONG_VALID	3600
#define MAX_NODEID	96
#define XATTR_VALUE	"hello"
#define XATTR_LIST	"user.a\0user.b"	/* plus the final NUL: 14 bytes */

enum {
	ROOT_ID = FUSE_ROOT_ID,
	FILE_ID,
	X_ID,
	D_ID,
	OLD_ID,
	T_ID,
	A_ID = 10,
	BAD_ID,
	Z_ID,
	/* statx modes: one way of answering STATX per file */
	SX_GOOD = 20,
	SX_SHORT,
	SX_MODE_FMT,
	SX_TYPE,
	SX_NSEC,
	SX_NOBTIME,
	SX_PARTIAL,
	SX_EXTRA,
	SX_END,
	/* ext mode: two directories of group EXT_GID, then what is made */
	EXT_G_ID = 30,
	EXT_GS_ID,
	EXT_NEW_ID = 40,
};

#define EXT_GID		4242

static const char *const sx_names[] = {
	"sx-good", "sx-short", "sx-mode-fmt", "sx-type", "sx-nsec",
	"sx-nobtime", "sx-partial", "sx-extra",
};

#define BTIME_SEC	(FIXED_TIME - 1000)
#define BTIME_NSEC	123456789

static const char *const mode_names[] = {
	"good",
	/* xattrs */
	"xa-size-huge", "xa-size-small", "xa-value-long",
	"xl-no-nul", "xl-empty-name", "xl-size-lie", "xa-enosys",
	/* a SETXATTR larger than the server's read buffer */
	"xa-set-big",
	/* READDIRPLUS of /d: the record of "bad" is damaged */
	"rdp-namelen0", "rdp-namelen-past", "rdp-namelen-huge", "rdp-slash",
	"rdp-nul", "rdp-mode0", "rdp-mode-fmt", "rdp-nodeid0",
	"rdp-nodeid-root", "rdp-type-mismatch",
	/* attributes of /t */
	"lookup-mode0", "lookup-mode-fmt", "lookup-size-huge",
	"getattr-mode0", "getattr-mode-fmt", "getattr-size-huge",
};

#define NR_MODES	(sizeof(mode_names) / sizeof(mode_names[0]))

static const char *const hidden_modes[] = {
	"ioctl", "ioctl-enosys", "resend", "statx", "statx-enosys", "ext",
};

#define NR_HIDDEN	(sizeof(hidden_modes) / sizeof(hidden_modes[0]))

struct server {
	int fd;
	const char *mode;
	bool verbose;
};

struct request {
	const struct fuse_in_header *h;
	const void *arg;
	size_t arglen;
};

static unsigned char req_buf[REQ_BUF_SIZE] __attribute__((aligned(8)));
static struct server srv;

/* state shared with the notification thread */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static bool bumped, renamed;
static bool poll_ready;
static uint64_t poll_kh;	/* the last handle POLL asked us to notify */
static unsigned long handed[MAX_NODEID + 1], forgotten[MAX_NODEID + 1];
static unsigned long op_count[64];
/* statx modes: LOOKUP, GETATTR and STATX of each sx-* file */
static unsigned long sx_count[SX_END - SX_GOOD][3];
/* ext mode: the objects made, by nodeid (0: none), and the next nodeid */
static uint32_t ext_mode[MAX_NODEID + 1];
static uint32_t ext_uid[MAX_NODEID + 1], ext_gid[MAX_NODEID + 1];
static uint64_t ext_next = EXT_NEW_ID;

static bool is_mode(const char *m)
{
	return strcmp(srv.mode, m) == 0;
}

static const char *errno_name(int err)
{
	switch (err) {
	case 0:		return "OK";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case E2BIG:	return "E2BIG";
	case EFAULT:	return "EFAULT";
	case EINVAL:	return "EINVAL";
	case ENODEV:	return "ENODEV";
	case ERANGE:	return "ERANGE";
	case ENOSYS:	return "ENOSYS";
	case ENOTDIR:	return "ENOTDIR";
	case EPROTO:	return "EPROTO";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOTCONN:	return "ENOTCONN";
	case ENODATA:	return "ENODATA";
	case ENOTTY:	return "ENOTTY";
	default:	return "E?";
	}
}

static const char *opcode_name(uint32_t op)
{
	switch (op) {
	case FUSE_LOOKUP:	return "LOOKUP";
	case FUSE_FORGET:	return "FORGET";
	case FUSE_GETATTR:	return "GETATTR";
	case FUSE_OPEN:		return "OPEN";
	case FUSE_READ:		return "READ";
	case FUSE_STATFS:	return "STATFS";
	case FUSE_RELEASE:	return "RELEASE";
	case FUSE_SETXATTR:	return "SETXATTR";
	case FUSE_GETXATTR:	return "GETXATTR";
	case FUSE_LISTXATTR:	return "LISTXATTR";
	case FUSE_REMOVEXATTR:	return "REMOVEXATTR";
	case FUSE_FLUSH:	return "FLUSH";
	case FUSE_INIT:		return "INIT";
	case FUSE_OPENDIR:	return "OPENDIR";
	case FUSE_READDIR:	return "READDIR";
	case FUSE_RELEASEDIR:	return "RELEASEDIR";
	case FUSE_ACCESS:	return "ACCESS";
	case FUSE_INTERRUPT:	return "INTERRUPT";
	case FUSE_DESTROY:	return "DESTROY";
	case FUSE_BATCH_FORGET:	return "BATCH_FORGET";
	case FUSE_READDIRPLUS:	return "READDIRPLUS";
	case FUSE_STATX:	return "STATX";
	case FUSE_IOCTL:	return "IOCTL";
	case FUSE_POLL:		return "POLL";
	case FUSE_MKNOD:	return "MKNOD";
	case FUSE_MKDIR:	return "MKDIR";
	case FUSE_SYMLINK:	return "SYMLINK";
	case FUSE_CREATE:	return "CREATE";
	case FUSE_TMPFILE:	return "TMPFILE";
	default:		return "other";
	}
}

/* ---- writing ---- */

static int write_msg(const struct fuse_out_header *oh, const void *arg,
		     size_t arglen)
{
	return raw_write(srv.fd, oh, arg, arglen);
}

static void reply(const struct request *r, int error, const void *arg,
		  size_t arglen)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + arglen,
		.error = error,
		.unique = r->h->unique,
	};
	int err = write_msg(&oh, arg, arglen);

	if (err)
		raw_log("reply to %s unique %llu failed: %s",
			opcode_name(r->h->opcode),
			(unsigned long long)r->h->unique, errno_name(err));
}

static void reply_err(const struct request *r, int err)
{
	reply(r, -err, NULL, 0);
}

/* A deliberately malformed reply of arglen bytes; logs the verdict. */
static void bad_reply(const char *label, const struct request *r,
		      const void *arg, size_t arglen)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + arglen,
		.unique = r->h->unique,
	};
	int err = write_msg(&oh, arg, arglen);

	raw_log("bad-write %s: %s%s", label, err ? "rejected " : "accepted",
		err ? errno_name(err) : "");
}

/* ---- lookup counts ---- */

static void hand_out(uint64_t nodeid)
{
	if (!nodeid)
		return;
	pthread_mutex_lock(&state_lock);
	if (nodeid <= MAX_NODEID)
		handed[nodeid]++;
	pthread_mutex_unlock(&state_lock);
}

/* statx modes: @which is 0 LOOKUP, 1 GETATTR, 2 STATX */
static void sx_counted(uint64_t nodeid, int which)
{
	if (nodeid < SX_GOOD || nodeid >= SX_END)
		return;
	pthread_mutex_lock(&state_lock);
	sx_count[nodeid - SX_GOOD][which]++;
	pthread_mutex_unlock(&state_lock);
}

static void forget_one(uint64_t nodeid, uint64_t nlookup)
{
	pthread_mutex_lock(&state_lock);
	if (nodeid > MAX_NODEID || !handed[nodeid]) {
		raw_log("forget-unknown %llu", (unsigned long long)nodeid);
	} else {
		forgotten[nodeid] += nlookup;
		if (forgotten[nodeid] > handed[nodeid])
			raw_log("forget-over %llu", (unsigned long long)nodeid);
	}
	pthread_mutex_unlock(&state_lock);
	if (srv.verbose)
		raw_log("forget %llu %llu", (unsigned long long)nodeid,
			(unsigned long long)nlookup);
}

static void do_forget(const struct request *r)
{
	const struct fuse_forget_in *in = r->arg;

	if (r->arglen >= sizeof(*in))
		forget_one(r->h->nodeid, in->nlookup);
}

static void do_batch_forget(const struct request *r)
{
	const struct fuse_batch_forget_in *in = r->arg;
	const struct fuse_forget_one *one;
	uint32_t i;

	if (r->arglen < sizeof(*in))
		return;
	one = (const void *)(in + 1);
	for (i = 0; i < in->count; i++) {
		if (sizeof(*in) + (i + 1) * sizeof(*one) > r->arglen)
			break;
		forget_one(one[i].nodeid, one[i].nlookup);
	}
}

/* ---- the tree ---- */

static uint32_t node_mode(uint64_t nodeid)
{
	uint32_t mode = 0;

	if (is_mode("ext")) {
		if (nodeid == EXT_G_ID)
			return S_IFDIR | 0777;
		if (nodeid == EXT_GS_ID)
			return S_IFDIR | S_ISGID | 0777;
		if (nodeid >= EXT_NEW_ID && nodeid <= MAX_NODEID) {
			pthread_mutex_lock(&state_lock);
			mode = ext_mode[nodeid];
			pthread_mutex_unlock(&state_lock);
			if (mode)
				return mode;
		}
	}
	switch (nodeid) {
	case ROOT_ID:
	case D_ID:
		return S_IFDIR | 0755;
	case FILE_ID: case X_ID: case OLD_ID: case T_ID:
	case A_ID: case BAD_ID: case Z_ID:
		return S_IFREG | 0644;
	default:
		if (nodeid >= SX_GOOD && nodeid < SX_END)
			return S_IFREG | 0644;
		return 0;
	}
}

static const char *file_data(uint64_t nodeid)
{
	bool b;

	if (nodeid != FILE_ID)
		return "";
	pthread_mutex_lock(&state_lock);
	b = bumped;
	pthread_mutex_unlock(&state_lock);
	return b ? "version 2\n" : "version 1\n";
}

static void fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->mode = node_mode(nodeid);
	a->nlink = S_ISDIR(a->mode) ? 2 : 1;
	a->size = strlen(file_data(nodeid));
	a->blocks = (a->size + 511) / 512;
	a->atime = a->mtime = a->ctime = FIXED_TIME;
	a->uid = getuid();
	a->gid = getgid();
	a->blksize = 4096;
	if (is_mode("ext") && (nodeid == EXT_G_ID || nodeid == EXT_GS_ID))
		a->gid = EXT_GID;
	if (is_mode("ext") && nodeid >= EXT_NEW_ID && nodeid <= MAX_NODEID) {
		pthread_mutex_lock(&state_lock);
		a->uid = ext_uid[nodeid];
		a->gid = ext_gid[nodeid];
		pthread_mutex_unlock(&state_lock);
	}
}

static bool attr_mode_for(const char *what)
{
	char m[32];

	snprintf(m, sizeof(m), "%s-mode0", what);
	if (is_mode(m))
		return true;
	snprintf(m, sizeof(m), "%s-mode-fmt", what);
	if (is_mode(m))
		return true;
	snprintf(m, sizeof(m), "%s-size-huge", what);
	return is_mode(m);
}

/* Breaks the attributes of /t as the attr modes want; @what is lookup or getattr. */
static void damage_attr(const char *what, uint64_t nodeid, struct fuse_attr *a)
{
	size_t n = strlen(what);

	if (nodeid != T_ID || !attr_mode_for(what))
		return;
	if (strcmp(srv.mode + n, "-mode0") == 0)
		a->mode = 0;
	else if (strcmp(srv.mode + n, "-mode-fmt") == 0)
		a->mode = S_IFMT | 0644;
	else
		a->size = ~0ULL;
}

static uint64_t child_of(uint64_t parent, const char *name)
{
	bool ren;

	pthread_mutex_lock(&state_lock);
	ren = renamed;
	pthread_mutex_unlock(&state_lock);
	if (parent == ROOT_ID) {
		if (!strcmp(name, "file"))
			return FILE_ID;
		if (!strcmp(name, "x"))
			return X_ID;
		if (!strcmp(name, "d"))
			return D_ID;
		if (!strcmp(name, ren ? "new" : "old"))
			return OLD_ID;
		if (!strcmp(name, "t"))
			return T_ID;
		if (is_mode("ext") && !strcmp(name, "g"))
			return EXT_G_ID;
		if (is_mode("ext") && !strcmp(name, "gs"))
			return EXT_GS_ID;
		if (!strncmp(srv.mode, "statx", 5)) {
			size_t i;

			for (i = 0; i < SX_END - SX_GOOD; i++)
				if (!strcmp(name, sx_names[i]))
					return SX_GOOD + i;
		}
	} else if (parent == D_ID) {
		if (!strcmp(name, "a"))
			return A_ID;
		if (!strcmp(name, "bad"))
			return BAD_ID;
		if (!strcmp(name, "z"))
			return Z_ID;
	}
	return 0;
}

static void fill_entry(uint64_t nodeid, struct fuse_entry_out *e)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = nodeid;
	fill_attr(nodeid, &e->attr);
	if (nodeid == T_ID && (attr_mode_for("lookup") || attr_mode_for("getattr")))
		return;		/* valid 0: every stat asks again */
	e->entry_valid = LONG_VALID;
	e->attr_valid = LONG_VALID;
}

/* ---- INIT ---- */

static void do_init(const struct request *r)
{
	const struct fuse_init_in *in = r->arg;
	struct fuse_init_out out;
	size_t len;

	if (r->arglen < 2 * sizeof(uint32_t) || in->major != 7) {
		raw_log("INIT: unexpected request (len %zu)", r->arglen);
		reply_err(r, EPROTO);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < MAX_MINOR ? in->minor : MAX_MINOR;
	if (r->arglen >= offsetof(struct fuse_init_in, flags2)) {
		out.max_readahead = in->max_readahead;
		out.flags = in->flags & FUSE_DO_READDIRPLUS;
		if (!(in->flags & FUSE_DO_READDIRPLUS))
			raw_log("INIT: kernel does not offer FUSE_DO_READDIRPLUS");
	}
	if (is_mode("ext") && r->arglen >= sizeof(*in) &&
	    (in->flags & FUSE_INIT_EXT)) {
		uint64_t want = FUSE_SECURITY_CTX | FUSE_CREATE_SUPP_GROUP;
		uint64_t offer = in->flags | (uint64_t)in->flags2 << 32;

		raw_log("ext-init secctx=%d supp-group=%d",
			!!(offer & FUSE_SECURITY_CTX),
			!!(offer & FUSE_CREATE_SUPP_GROUP));
		out.flags |= FUSE_INIT_EXT | (uint32_t)(offer & want);
		out.flags2 = (offer & want) >> 32;
	} else if (is_mode("ext")) {
		raw_log("ext-init secctx=0 supp-group=0");
	}
	out.max_write = is_mode("xa-set-big") ? SMALL_MAX_WRITE : MAX_WRITE;
	out.time_gran = 1;
	if (in->minor < 5)
		len = FUSE_COMPAT_INIT_OUT_SIZE;
	else if (in->minor < 23)
		len = FUSE_COMPAT_22_INIT_OUT_SIZE;
	else
		len = sizeof(out);
	reply(r, 0, &out, len);
}

/* ---- namespace ---- */

static int do_lookup(const struct request *r)
{
	const char *name = r->arg;
	struct fuse_entry_out out;
	uint64_t id;

	if (!r->arglen || name[r->arglen - 1] != '\0')
		return EINVAL;
	id = child_of(r->h->nodeid, name);
	if (!id)
		return ENOENT;
	fill_entry(id, &out);
	damage_attr("lookup", id, &out.attr);
	hand_out(id);
	sx_counted(id, 0);
	reply(r, 0, &out, sizeof(out));
	return 0;
}

static int do_getattr(const struct request *r)
{
	struct fuse_attr_out out;

	if (!node_mode(r->h->nodeid))
		return ENOENT;
	memset(&out, 0, sizeof(out));
	fill_attr(r->h->nodeid, &out.attr);
	damage_attr("getattr", r->h->nodeid, &out.attr);
	if (!(r->h->nodeid == T_ID && attr_mode_for("getattr")))
		out.attr_valid = LONG_VALID;
	reply(r, 0, &out, sizeof(out));
	return 0;
}

/* ---- creating requests and their extensions (ext mode) ---- */

struct ext_line {
	char s[1024];
	size_t n;
};

static void ext_add(struct ext_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ext_add(struct ext_line *l, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->n >= sizeof(l->s))
		return;
	va_start(ap, fmt);
	k = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += k;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * The arguments before the extensions are exactly @len bytes: their
 * name ("-" for a TMPFILE without one), or NULL when they do not end
 * there.
 */
static const char *ext_args(const struct request *r, size_t len)
{
	const char *a = r->arg;
	size_t fixed, n;

	switch (r->h->opcode) {
	case FUSE_MKNOD:	fixed = sizeof(struct fuse_mknod_in); break;
	case FUSE_MKDIR:	fixed = sizeof(struct fuse_mkdir_in); break;
	case FUSE_CREATE:	fixed = sizeof(struct fuse_create_in); break;
	case FUSE_TMPFILE:
		/* the name, if any, is the tmpfile dentry's ("/") */
		if (len == sizeof(struct fuse_create_in))
			return "-";
		fixed = sizeof(struct fuse_create_in);
		break;
	case FUSE_SYMLINK:
		/* the name and the target, each with its NUL */
		n = strnlen(a, len);
		if (!n || n + 2 >= len)
			return NULL;
		return strnlen(a + n + 1, len - n - 1) == len - n - 2 ? a : NULL;
	default:
		return NULL;
	}
	if (len < fixed + 2)
		return NULL;
	a += fixed;
	len -= fixed;
	n = strnlen(a, len);
	return n && n + 1 == len ? a : NULL;
}

/* One security-context record (@nr contexts): NULL, or what is wrong. */
static const char *ext_secctx(const unsigned char *rec, size_t size,
			      uint32_t nr, struct ext_line *l, size_t *end)
{
	size_t pos = sizeof(struct fuse_secctx_header), nl;
	struct fuse_secctx sc;
	const char *name;
	uint32_t i;

	ext_add(l, " secctx nr=%u", nr);
	for (i = 0; i < nr; i++) {
		if (size - pos < sizeof(sc))
			return "secctx cut short";
		memcpy(&sc, rec + pos, sizeof(sc));
		if (sc.padding)
			return "secctx padding not zero";
		pos += sizeof(sc);
		name = (const char *)rec + pos;
		nl = strnlen(name, size - pos);
		if (!nl || nl == size - pos)
			return "secctx xattr name";
		pos += nl + 1;
		if (sc.size > size - pos)
			return "secctx context past its record";
		ext_add(l, " %s/%u", name, sc.size);
		pos += sc.size;
	}
	if (FUSE_REC_ALIGN(pos) != size)
		return "secctx record size";
	*end = pos;
	return NULL;
}

/* The groups record: NULL, or what is wrong. */
static const char *ext_groups(const unsigned char *rec, size_t size,
			      struct ext_line *l, size_t *end)
{
	size_t pos = sizeof(struct fuse_ext_header) + sizeof(struct fuse_supp_groups);
	uint32_t nr, i, g;

	if (size < pos)
		return "groups cut short";
	memcpy(&nr, rec + sizeof(struct fuse_ext_header), sizeof(nr));
	if (nr > (size - pos) / sizeof(g))
		return "groups past their record";
	ext_add(l, " groups");
	for (i = 0; i < nr; i++) {
		memcpy(&g, rec + pos, sizeof(g));
		ext_add(l, "%s%u", i ? "," : " ", g);
		pos += sizeof(g);
	}
	if (FUSE_REC_ALIGN(pos) != size)
		return "groups record size";
	*end = pos;
	return NULL;
}

/* Walk the records of @ext (@len bytes): NULL, or what is wrong. */
static const char *ext_records(const unsigned char *ext, size_t len,
			       struct ext_line *l)
{
	size_t off = 0, end;
	struct fuse_ext_header xh;
	const char *why;

	while (off < len) {
		if (len - off < sizeof(xh))
			return "record header cut short";
		memcpy(&xh, ext + off, sizeof(xh));
		if (xh.size < sizeof(xh) || xh.size % 8 || xh.size > len - off)
			return "record size";
		if (xh.type <= FUSE_MAX_NR_SECCTX) {
			why = ext_secctx(ext + off, xh.size, xh.type, l, &end);
		} else if (xh.type == FUSE_EXT_GROUPS) {
			why = ext_groups(ext + off, xh.size, l, &end);
		} else {
			ext_add(l, " type=%u/%u", xh.type, xh.size);
			why = NULL;
			end = xh.size;
		}
		if (why)
			return why;
		if (!all_zero(ext + off + end, xh.size - end))
			return "record padding not zero";
		off += xh.size;
	}
	return NULL;
}

static uint32_t ext_new_mode(const struct request *r)
{
	const struct fuse_mknod_in *mk = r->arg;
	const struct fuse_mkdir_in *md = r->arg;
	const struct fuse_create_in *cr = r->arg;

	switch (r->h->opcode) {
	case FUSE_MKNOD:	return mk->mode;
	case FUSE_MKDIR:	return S_IFDIR | (md->mode & 07777);
	case FUSE_SYMLINK:	return S_IFLNK | 0777;
	default:		return S_IFREG | (cr->mode & 07777);
	}
}

/*
 * MKNOD, MKDIR, SYMLINK, CREATE, TMPFILE: check the extension area
 * (total_extlen within the request, the arguments ending where it
 * begins, each record's size, padding and contents), log it, and make
 * the object.
 */
static int do_ext_create(const struct request *r)
{
	static unsigned char ext[65536 * 8] __attribute__((aligned(8)));
	const char *op = opcode_name(r->h->opcode), *name, *why;
	size_t extlen = (size_t)r->h->total_extlen * 8, arglen;
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	struct ext_line l = { .n = 0 };
	uint32_t mode;
	uint64_t id;

	if (!is_mode("ext"))
		return ENOSYS;
	if (extlen > r->arglen) {
		raw_log("ext-bad %s -: total_extlen %zu bytes, the request has %zu",
			op, extlen, r->arglen);
		return EIO;
	}
	arglen = r->arglen - extlen;
	name = ext_args(r, arglen);
	if (!name) {
		raw_log("ext-bad %s -: the arguments do not end where the extensions begin (args %zu, extlen %zu)",
			op, arglen, extlen);
		return EIO;
	}
	memcpy(ext, (const char *)r->arg + arglen, extlen);
	ext_add(&l, "ext %s %s uid=%u gid=%u extlen=%u", op, name,
		r->h->uid, r->h->gid, r->h->total_extlen);
	why = ext_records(ext, extlen, &l);
	if (why) {
		raw_log("ext-bad %s %s: %s", op, name, why);
		return EIO;
	}
	raw_log("%s", l.s);

	mode = ext_new_mode(r);
	pthread_mutex_lock(&state_lock);
	if (ext_next > MAX_NODEID) {
		pthread_mutex_unlock(&state_lock);
		return ENOSPC;
	}
	id = ext_next++;
	ext_mode[id] = mode;
	ext_uid[id] = r->h->uid;
	ext_gid[id] = r->h->nodeid == EXT_GS_ID ? EXT_GID : r->h->gid;
	pthread_mutex_unlock(&state_lock);

	memset(&out, 0, sizeof(out));
	fill_entry(id, &out.e);
	out.e.attr.nlink = S_ISDIR(mode) ? 2 : 1;
	hand_out(id);
	if (r->h->opcode == FUSE_CREATE || r->h->opcode == FUSE_TMPFILE)
		reply(r, 0, &out, sizeof(out));
	else
		reply(r, 0, &out.e, sizeof(out.e));
	return 0;
}

/* ---- STATX (statx modes) ---- */

/* the statx(2) mask bits, as the wire uses them */
#define SX_TYPE_BIT	0x0001U
#define SX_MODE_BIT	0x0002U
#define SX_SIZE_BIT	0x0200U
#define SX_BASIC	0x07ffU
#define SX_BTIME_BIT	0x0800U

static void sx_time(struct fuse_sx_time *t, uint64_t sec, uint32_t nsec)
{
	t->tv_sec = sec;
	t->tv_nsec = nsec;
}

/*
 * The true attributes (GETATTR's) plus btime, then broken per file:
 *   sx-good      as is
 *   sx-short     16 bytes short
 *   sx-mode-fmt  file type S_IFMT
 *   sx-type      a directory (the file is a regular file)
 *   sx-nsec      btime nanoseconds 1500000000
 *   sx-nobtime   btime filled in, but not in the mask
 *   sx-partial   mask: type, mode, size, btime; size 4242, nlink 9
 *   sx-extra     mask and attributes all ones (bits never asked for)
 */
static int do_statx(const struct request *r)
{
	const struct fuse_statx_in *in = r->arg;
	uint64_t id = r->h->nodeid;
	struct fuse_statx_out out;
	struct fuse_statx *sx = &out.stat;
	struct fuse_attr a;

	if (strncmp(srv.mode, "statx", 5) != 0)
		return ENOSYS;		/* as before STATX existed */
	if (r->arglen != sizeof(*in))
		return EINVAL;
	raw_log("statx %llu sx_mask=%#x sx_flags=%#x getattr_flags=%#x",
		(unsigned long long)id, in->sx_mask, in->sx_flags,
		in->getattr_flags);
	if (is_mode("statx-enosys") && id == SX_GOOD)
		return ENOSYS;
	if (!node_mode(id))
		return ENOENT;
	fill_attr(id, &a);
	memset(&out, 0, sizeof(out));
	out.attr_valid = LONG_VALID;
	sx->mask = SX_BASIC | SX_BTIME_BIT;
	sx->blksize = a.blksize;
	sx->nlink = a.nlink;
	sx->uid = a.uid;
	sx->gid = a.gid;
	sx->mode = a.mode;
	sx->ino = a.ino;
	sx->size = a.size;
	sx->blocks = a.blocks;
	sx_time(&sx->atime, a.atime, 0);
	sx_time(&sx->mtime, a.mtime, 0);
	sx_time(&sx->ctime, a.ctime, 0);
	sx_time(&sx->btime, BTIME_SEC, BTIME_NSEC);
	switch (id) {
	case SX_SHORT:
		bad_reply("statx-short", r, &out, sizeof(out) - 16);
		return 0;
	case SX_MODE_FMT:
		sx->mode = S_IFMT | 0644;
		break;
	case SX_TYPE:
		sx->mode = S_IFDIR | 0755;
		break;
	case SX_NSEC:
		sx->btime.tv_nsec = 1500000000;
		break;
	case SX_NOBTIME:
		sx->mask = SX_BASIC;
		break;
	case SX_PARTIAL:
		sx->mask = SX_TYPE_BIT | SX_MODE_BIT | SX_SIZE_BIT | SX_BTIME_BIT;
		sx->size = 4242;
		sx->nlink = 9;
		break;
	case SX_EXTRA:
		sx->mask = ~0U;
		sx->attributes = ~0ULL;
		sx->attributes_mask = ~0ULL;
		break;
	}
	reply(r, 0, &out, sizeof(out));
	return 0;
}

static void do_statfs(const struct request *r)
{
	struct fuse_statfs_out out;

	memset(&out, 0, sizeof(out));
	out.st.blocks = 1000;
	out.st.bfree = 500;
	out.st.bavail = 500;
	out.st.files = 100;
	out.st.ffree = 90;
	out.st.bsize = 4096;
	out.st.frsize = 4096;
	out.st.namelen = 255;
	reply(r, 0, &out, sizeof(out));
}

static int do_open(const struct request *r, bool dir)
{
	uint32_t m = node_mode(r->h->nodeid);
	struct fuse_open_out out;

	if (!m)
		return ENOENT;
	if (dir != !!S_ISDIR(m))
		return dir ? ENOTDIR : EISDIR;
	memset(&out, 0, sizeof(out));
	out.fh = r->h->nodeid;
	if (!dir)
		out.open_flags = FOPEN_KEEP_CACHE;
	reply(r, 0, &out, sizeof(out));
	return 0;
}

static int do_read(const struct request *r)
{
	const struct fuse_read_in *in = r->arg;
	const char *data = file_data(r->h->nodeid);
	size_t size = strlen(data), count;

	if (r->arglen < offsetof(struct fuse_read_in, read_flags))
		return EINVAL;
	if (in->offset >= size) {
		reply(r, 0, NULL, 0);
		return 0;
	}
	count = size - in->offset;
	if (count > in->size)
		count = in->size;
	reply(r, 0, data + in->offset, count);
	return 0;
}

/* ---- xattrs (only /x has any: user.a = "hello"; the list names user.b too) ---- */

static int do_getxattr(const struct request *r)
{
	static char big[MAX_WRITE];
	const struct fuse_getxattr_in *in = r->arg;
	const char *name = (const char *)(in + 1);
	struct fuse_getxattr_out out = { 0 };
	size_t vlen = strlen(XATTR_VALUE);

	if (r->arglen <= sizeof(*in) || ((const char *)r->arg)[r->arglen - 1])
		return EINVAL;
	if (r->h->nodeid != X_ID || strcmp(name, "user.a") != 0)
		return ENODATA;
	if (in->size == 0) {
		out.size = vlen;
		if (is_mode("xa-size-huge"))
			out.size = 100000;
		else if (is_mode("xa-size-small"))
			out.size = 2;
		reply(r, 0, &out, sizeof(out));
		return 0;
	}
	if (is_mode("xa-value-long")) {
		/* 8 bytes more than the caller's buffer holds */
		size_t n = in->size + 8 < sizeof(big) ? in->size + 8 : sizeof(big);

		memset(big, 'v', n);
		bad_reply("getxattr-longer-than-asked", r, big, n);
		return 0;
	}
	if (is_mode("xa-size-small") && in->size < vlen) {
		/* a liar does not say ERANGE: it sends the whole value */
		bad_reply("getxattr-value-past-size", r, XATTR_VALUE, vlen);
		return 0;
	}
	if (in->size < vlen)
		return ERANGE;
	reply(r, 0, XATTR_VALUE, vlen);
	return 0;
}

static int do_listxattr(const struct request *r)
{
	static const char empty_name[] = "user.a\0\0user.b";	/* 15 bytes with the final NUL */
	const struct fuse_getxattr_in *in = r->arg;
	struct fuse_getxattr_out out = { 0 };
	const char *list = XATTR_LIST;
	size_t llen = sizeof(XATTR_LIST);	/* 14, final NUL included */

	if (r->arglen < sizeof(*in))
		return EINVAL;
	if (r->h->nodeid != X_ID) {
		llen = 0;
	} else if (is_mode("xl-no-nul")) {
		llen--;
	} else if (is_mode("xl-empty-name")) {
		list = empty_name;
		llen = sizeof(empty_name);
	}
	if (in->size == 0) {
		out.size = llen;
		if (is_mode("xl-size-lie") && r->h->nodeid == X_ID)
			out.size = 100000;
		reply(r, 0, &out, sizeof(out));
		return 0;
	}
	if (in->size < llen) {
		if (!is_mode("xl-size-lie"))
			return ERANGE;
		bad_reply("listxattr-past-size", r, list, llen);
		return 0;
	}
	reply(r, 0, list, llen);
	return 0;
}

static int do_setxattr(void)
{
	if (is_mode("xa-enosys"))
		return ENOSYS;
	return EPERM;
}

/* ---- READDIRPLUS ---- */

struct rdp_entry {
	uint64_t nodeid;	/* entry_out.nodeid */
	uint64_t ino;		/* dirent.ino */
	const char *name;
	uint32_t name_bytes;	/* bytes of name actually sent */
	uint32_t namelen;	/* what the record claims */
	uint32_t type;
	uint32_t attr_mode;	/* entry_out.attr.mode */
	bool truncate;		/* the reply ends inside this record */
};

static size_t list_dir(uint64_t dir, struct rdp_entry *e)
{
	static char longname[2001];
	static const struct { uint64_t id; const char *name; } root[] = {
		{ FILE_ID, "file" }, { X_ID, "x" }, { D_ID, "d" },
		{ OLD_ID, "old" }, { T_ID, "t" },
	};
	size_t nr = 0, i;

	e[nr++] = (struct rdp_entry){ 0, dir, ".", 1, 1, DT_DIR, 0, false };
	e[nr++] = (struct rdp_entry){ 0, ROOT_ID, "..", 2, 2, DT_DIR, 0, false };
	if (dir == ROOT_ID) {
		for (i = 0; i < sizeof(root) / sizeof(root[0]); i++) {
			const char *name = root[i].name;
			uint32_t m = node_mode(root[i].id);

			if (root[i].id == OLD_ID && renamed)
				name = "new";
			e[nr++] = (struct rdp_entry){ root[i].id, root[i].id, name,
				strlen(name), strlen(name), S_ISDIR(m) ? DT_DIR : DT_REG,
				m, false };
		}
		return nr;
	}
	e[nr++] = (struct rdp_entry){ A_ID, A_ID, "a", 1, 1, DT_REG, S_IFREG | 0644, false };
	e[nr] = (struct rdp_entry){ BAD_ID, BAD_ID, "bad", 3, 3, DT_REG, S_IFREG | 0644, false };
	if (is_mode("rdp-namelen0")) {
		e[nr].namelen = 0;
	} else if (is_mode("rdp-namelen-past")) {
		e[nr].namelen = 200;
		e[nr].truncate = true;
	} else if (is_mode("rdp-namelen-huge")) {
		memset(longname, 'n', sizeof(longname) - 1);
		e[nr].name = longname;
		e[nr].name_bytes = e[nr].namelen = sizeof(longname) - 1;
	} else if (is_mode("rdp-slash")) {
		e[nr].name = "b/d";
	} else if (is_mode("rdp-nul")) {
		e[nr].name = "b\0d";
	} else if (is_mode("rdp-mode0")) {
		e[nr].attr_mode = 0;
	} else if (is_mode("rdp-mode-fmt")) {
		e[nr].attr_mode = S_IFMT | 0644;
	} else if (is_mode("rdp-nodeid0")) {
		e[nr].nodeid = 0;
	} else if (is_mode("rdp-nodeid-root")) {
		e[nr].nodeid = ROOT_ID;
	} else if (is_mode("rdp-type-mismatch")) {
		e[nr].type = DT_DIR;
	}
	nr++;
	e[nr++] = (struct rdp_entry){ Z_ID, Z_ID, "z", 1, 1, DT_REG, S_IFREG | 0644, false };
	return nr;
}

static int do_readdir(const struct request *r, bool plus)
{
	static char buf[64 * 1024] __attribute__((aligned(8)));
	const struct fuse_read_in *in = r->arg;
	struct rdp_entry ents[8];
	size_t nr, used = 0, size, i;
	uint32_t m = node_mode(r->h->nodeid);

	if (r->arglen < offsetof(struct fuse_read_in, read_flags))
		return EINVAL;
	if (!S_ISDIR(m))
		return ENOTDIR;
	size = in->size < sizeof(buf) ? in->size : sizeof(buf);
	pthread_mutex_lock(&state_lock);
	nr = list_dir(r->h->nodeid, ents);
	pthread_mutex_unlock(&state_lock);

	/* offsets are entry indices: record i says "continue at i + 1" */
	for (i = in->offset; i < nr; i++) {
		const struct rdp_entry *e = &ents[i];
		size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
		size_t reclen = FUSE_DIRENT_ALIGN(hdr + e->name_bytes);
		struct fuse_dirent *d;

		if (reclen > size - used)
			break;
		memset(buf + used, 0, reclen);
		if (plus) {
			struct fuse_direntplus *dp = (void *)(buf + used);

			/* a truncated record never reaches the kernel whole */
			if (e->nodeid && !e->truncate) {
				fill_entry(e->nodeid, &dp->entry_out);
				dp->entry_out.attr.mode = e->attr_mode;
				dp->entry_out.attr.ino = e->ino;
				hand_out(e->nodeid);
			}
			d = &dp->dirent;
		} else {
			d = (void *)(buf + used);
		}
		d->ino = e->ino;
		d->off = i + 1;
		d->namelen = e->namelen;
		d->type = e->type;
		memcpy(d->name, e->name, e->name_bytes);
		used += reclen;
		if (e->truncate)
			break;
	}
	reply(r, 0, buf, used);
	return 0;
}

/* ---- ioctl and poll (hidden mode "ioctl") ---- */

/* the ioctl numbers 45-ioctl-poll.sh uses, type 'T' */
enum {
	IOC_GOOD = 1,		/* result 7, data = the u64 given plus 1 */
	IOC_LONG,		/* more data than the caller asked for */
	IOC_RETRY,		/* FUSE_IOCTL_RETRY: unrestricted only */
	IOC_RESULT_RANGE,	/* result -600: no errno */
	IOC_RESULT_ENOSYS,	/* result -ENOSYS */
	IOC_SHORT,		/* reply shorter than fuse_ioctl_out */
	IOC_IOVS,		/* out_iovs set without RETRY */
	IOC_ERROR_RANGE,	/* header error -600, then EPERM */
	IOC_PARTIAL,		/* 5 of the bytes asked for, result 5 */
	IOC_ENOSYS,		/* header ENOSYS */
};

static void ioctl_reply(const struct request *r, const struct fuse_ioctl_out *o,
			const void *data, size_t len)
{
	char buf[sizeof(*o) + 64];

	memcpy(buf, o, sizeof(*o));
	memcpy(buf + sizeof(*o), data, len);
	reply(r, 0, buf, sizeof(*o) + len);
}

static int do_ioctl(const struct request *r)
{
	const struct fuse_ioctl_in *in = r->arg;
	struct fuse_ioctl_out o = { 0 };
	char data[64] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct fuse_out_header oh = { .unique = r->h->unique };
	uint64_t v = 0;

	if (!is_mode("ioctl"))
		return ENOSYS;
	if (r->arglen < sizeof(*in) || r->arglen != sizeof(*in) + in->in_size)
		return EINVAL;
	raw_log("ioctl %u in=%u out=%u flags=%#x", _IOC_NR(in->cmd),
		in->in_size, in->out_size, in->flags);
	if (_IOC_TYPE(in->cmd) != 'T')
		return EINVAL;
	switch (_IOC_NR(in->cmd)) {
	case IOC_GOOD:
		if (in->in_size != 8 || in->out_size != 8)
			return EINVAL;
		memcpy(&v, (const char *)r->arg + sizeof(*in), 8);
		v++;
		o.result = 7;
		ioctl_reply(r, &o, &v, 8);
		return 0;
	case IOC_LONG:
		ioctl_reply(r, &o, data, in->out_size + 4);
		return 0;
	case IOC_RETRY:
		o.flags = FUSE_IOCTL_RETRY;
		ioctl_reply(r, &o, NULL, 0);
		return 0;
	case IOC_RESULT_RANGE:
		o.result = -600;
		ioctl_reply(r, &o, NULL, 0);
		return 0;
	case IOC_RESULT_ENOSYS:
		o.result = -ENOSYS;
		ioctl_reply(r, &o, NULL, 0);
		return 0;
	case IOC_SHORT:
		bad_reply("ioctl-short", r, &o, 8);
		reply_err(r, EPERM);	/* ignored if the kernel took the first */
		return 0;
	case IOC_IOVS:
		o.out_iovs = 1;
		ioctl_reply(r, &o, data, in->out_size);
		return 0;
	case IOC_ERROR_RANGE:
		oh.len = sizeof(oh);
		oh.error = -600;
		raw_log("bad-write ioctl-error-600: %s",
			write_msg(&oh, NULL, 0) ? "rejected" : "accepted");
		reply_err(r, EPERM);
		return 0;
	case IOC_PARTIAL:
		o.result = 5;
		ioctl_reply(r, &o, data, 5);
		return 0;
	case IOC_ENOSYS:
		return ENOSYS;
	case 11:	/* _IO: no data either way */
		o.result = 11;
		ioctl_reply(r, &o, NULL, 0);
		return 0;
	}
	return EINVAL;
}

static int do_poll(const struct request *r)
{
	const struct fuse_poll_in *in = r->arg;
	struct fuse_poll_out out = { 0 };

	if (!is_mode("ioctl"))
		return ENOSYS;
	if (r->arglen != sizeof(*in))
		return EINVAL;
	raw_log("poll flags=%#x events=%#x", in->flags, in->events);
	pthread_mutex_lock(&state_lock);
	if (in->flags & FUSE_POLL_SCHEDULE_NOTIFY)
		poll_kh = in->kh;
	if (poll_ready)
		out.revents = POLLIN;
	pthread_mutex_unlock(&state_lock);
	reply(r, 0, &out, sizeof(out));
	return 0;
}

/* ---- notifications ---- */

/* Sends one notification of @code with @len bytes of @arg; logs the verdict. */
static void notify(const char *label, int code, const void *arg, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len,
		.error = code,
		.unique = 0,
	};
	int err = write_msg(&oh, arg, len);

	raw_log("notify %s: %s%s", label, err ? "rejected " : "accepted",
		err ? errno_name(err) : "");
}

/* An INVAL_ENTRY or DELETE body: header, name bytes, and what ends it. */
static size_t entry_msg(char *buf, int code, uint64_t parent, uint64_t child,
			const char *name, size_t name_bytes, uint32_t namelen,
			bool nul)
{
	size_t hdr;

	if (code == FUSE_NOTIFY_DELETE) {
		struct fuse_notify_delete_out o = {
			.parent = parent, .child = child, .namelen = namelen,
		};

		hdr = sizeof(o);
		memcpy(buf, &o, hdr);
	} else {
		struct fuse_notify_inval_entry_out o = {
			.parent = parent, .namelen = namelen,
		};

		hdr = sizeof(o);
		memcpy(buf, &o, hdr);
	}
	memcpy(buf + hdr, name, name_bytes);
	buf[hdr + name_bytes] = nul ? '\0' : 'X';
	return hdr + name_bytes + 1;
}

/*
 * NOTIFY_POLL: "poll-ready" makes the file ready and wakes the handle
 * POLL last named; "poll-stale" names it again (after the file closed);
 * "poll-garbage" and "poll-kh0" name handles never given out;
 * "poll-short" is a broken message.
 */
static void ctl_poll(const char *cmd)
{
	struct fuse_notify_poll_wakeup_out w;

	pthread_mutex_lock(&state_lock);
	w.kh = poll_kh;
	if (!strcmp(cmd, "poll-ready"))
		poll_ready = true;
	pthread_mutex_unlock(&state_lock);
	if (!strcmp(cmd, "poll-ready") || !strcmp(cmd, "poll-stale")) {
		if (!w.kh)
			raw_log("notify %s: no handle to wake (no POLL asked for one)", cmd);
		notify(cmd, FUSE_NOTIFY_POLL, &w, sizeof(w));
	} else if (!strcmp(cmd, "poll-garbage")) {
		w.kh ^= 0xdeadbeef00000000ULL | 0x5a5a;
		notify(cmd, FUSE_NOTIFY_POLL, &w, sizeof(w));
	} else if (!strcmp(cmd, "poll-kh0")) {
		w.kh = 0;
		notify(cmd, FUSE_NOTIFY_POLL, &w, sizeof(w));
	} else if (!strcmp(cmd, "poll-short")) {
		notify(cmd, FUSE_NOTIFY_POLL, &w, 4);
	} else {
		raw_log("ctl %s: unknown command", cmd);
	}
}

/* STORE of @len bytes of @data at @off into @nodeid, @size in the header */
static void store(const char *label, uint64_t nodeid, uint64_t off,
		  uint32_t size, const char *data, size_t len)
{
	static char buf[4096];
	struct fuse_notify_store_out o = {
		.nodeid = nodeid, .offset = off, .size = size,
	};

	memcpy(buf, &o, sizeof(o));
	memcpy(buf + sizeof(o), data, len);
	notify(label, FUSE_NOTIFY_STORE, buf, sizeof(o) + len);
}

/* RETRIEVE @size bytes at @off of @nodeid; @len bytes of the struct sent */
static void retrieve(const char *label, uint64_t nodeid, uint64_t off,
		     uint32_t size, size_t len)
{
	static uint64_t unique = 0x10000;
	char buf[sizeof(struct fuse_notify_retrieve_out) + 8] = { 0 };
	struct fuse_notify_retrieve_out o = {
		.notify_unique = unique++, .nodeid = nodeid, .offset = off,
		.size = size,
	};

	memcpy(buf, &o, sizeof(o));
	notify(label, FUSE_NOTIFY_RETRIEVE, buf, len);
}

/* INVAL_INODE of file for @len bytes at @off (negative: attributes only) */
static void inval_range(const char *label, int64_t off, int64_t len)
{
	struct fuse_notify_inval_inode_out ii = {
		.ino = FILE_ID, .off = off, .len = len,
	};

	notify(label, FUSE_NOTIFY_INVAL_INODE, &ii, sizeof(ii));
}

/* store-, retrieve- and inval-range commands; false if @cmd is none */
static bool ctl_cache_command(const char *cmd)
{
	const size_t ro = sizeof(struct fuse_notify_retrieve_out);
	const uint64_t maxlfs = INT64_MAX;
	static const char v3[] = "version 3\n";

	if (!strcmp(cmd, "store-good"))
		store(cmd, FILE_ID, 0, 10, v3, 10);
	else if (!strcmp(cmd, "store-extend"))
		store(cmd, FILE_ID, 4096, 5, "tail\n", 5);
	else if (!strcmp(cmd, "store-short"))
		notify(cmd, FUSE_NOTIFY_STORE, v3, 10);
	else if (!strcmp(cmd, "store-size-long"))
		store(cmd, FILE_ID, 0, 20, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "store-size-short"))
		store(cmd, FILE_ID, 0, 5, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "store-unknown"))
		store(cmd, 999, 0, 10, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "store-nodeid0"))
		store(cmd, 0, 0, 10, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "store-dir"))
		store(cmd, D_ID, 0, 10, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "store-maxlfs"))
		store(cmd, FILE_ID, maxlfs, 10, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "store-past-maxlfs"))
		store(cmd, FILE_ID, 1ULL << 63, 10, "XXXXXXXXXX", 10);
	else if (!strcmp(cmd, "inval-range-other"))
		inval_range(cmd, 4096, 100);
	else if (!strcmp(cmd, "inval-attr-only"))
		inval_range(cmd, -1, 0);
	else if (!strcmp(cmd, "inval-range-page0"))
		inval_range(cmd, 5, 1);
	else if (!strcmp(cmd, "retrieve-good"))
		retrieve(cmd, FILE_ID, 0, 4096, ro);
	else if (!strcmp(cmd, "retrieve-mid"))
		retrieve(cmd, FILE_ID, 3, 4, ro);
	else if (!strcmp(cmd, "retrieve-past-end"))
		retrieve(cmd, FILE_ID, 100, 10, ro);
	else if (!strcmp(cmd, "retrieve-extended"))
		retrieve(cmd, FILE_ID, 4096, 100, ro);
	else if (!strcmp(cmd, "retrieve-uncached"))
		retrieve(cmd, X_ID, 0, 100, ro);
	else if (!strcmp(cmd, "retrieve-unknown"))
		retrieve(cmd, 999, 0, 100, ro);
	else if (!strcmp(cmd, "retrieve-dir"))
		retrieve(cmd, D_ID, 0, 100, ro);
	else if (!strcmp(cmd, "retrieve-short"))
		retrieve(cmd, FILE_ID, 0, 100, ro - 8);
	else if (!strcmp(cmd, "retrieve-long"))
		retrieve(cmd, FILE_ID, 0, 100, ro + 8);
	else if (!strcmp(cmd, "retrieve-maxlfs"))
		retrieve(cmd, FILE_ID, maxlfs, 100, ro);
	else if (!strcmp(cmd, "retrieve-past-maxlfs"))
		retrieve(cmd, FILE_ID, 1ULL << 63, 100, ro);
	else
		return false;
	return true;
}

/* The kernel's answer to a RETRIEVE: logged, never answered. */
static void do_notify_reply(const struct request *r)
{
	const struct fuse_notify_retrieve_in *in = r->arg;
	char text[128];
	size_t i, n;

	if (r->arglen < sizeof(*in) || r->arglen - sizeof(*in) != in->size) {
		raw_log("notify-reply unique %llu malformed: %zu bytes",
			(unsigned long long)r->h->unique, r->arglen);
		return;
	}
	n = in->size < sizeof(text) - 1 ? in->size : sizeof(text) - 1;
	for (i = 0; i < n; i++) {
		char c = ((const char *)(in + 1))[i];

		text[i] = c == '\n' ? '|' : (c >= ' ' && c < 127 ? c : '?');
	}
	text[n] = '\0';
	raw_log("notify-reply unique %llu nodeid %llu offset %llu size %u data %s",
		(unsigned long long)r->h->unique,
		(unsigned long long)r->h->nodeid,
		(unsigned long long)in->offset, in->size, text);
}

static void ctl_command(const char *cmd)
{
	static char buf[4096], longname[2001];
	struct fuse_notify_inval_inode_out ii = { .ino = FILE_ID, .off = 0, .len = 0 };
	size_t n;
	int code;

	memset(longname, 'n', sizeof(longname) - 1);
	if (!strncmp(cmd, "poll-", 5)) {
		ctl_poll(cmd);
	} else if (ctl_cache_command(cmd)) {
		return;
	} else if (!strcmp(cmd, "bump")) {
		pthread_mutex_lock(&state_lock);
		bumped = true;
		pthread_mutex_unlock(&state_lock);
		raw_log("ctl bump: done");
	} else if (!strcmp(cmd, "rename")) {
		pthread_mutex_lock(&state_lock);
		renamed = true;
		pthread_mutex_unlock(&state_lock);
		raw_log("ctl rename: done");
	} else if (!strcmp(cmd, "inval-inode-good")) {
		notify(cmd, FUSE_NOTIFY_INVAL_INODE, &ii, sizeof(ii));
	} else if (!strcmp(cmd, "inval-inode-short")) {
		notify(cmd, FUSE_NOTIFY_INVAL_INODE, &ii, sizeof(ii) - 8);
	} else if (!strcmp(cmd, "inval-inode-long")) {
		memset(buf, 0, sizeof(ii) + 8);
		memcpy(buf, &ii, sizeof(ii));
		notify(cmd, FUSE_NOTIFY_INVAL_INODE, buf, sizeof(ii) + 8);
	} else if (!strcmp(cmd, "inval-inode-unknown")) {
		ii.ino = 999;
		notify(cmd, FUSE_NOTIFY_INVAL_INODE, &ii, sizeof(ii));
	} else if (!strcmp(cmd, "unknown-code-99")) {
		notify(cmd, 99, &ii, sizeof(ii));
	} else {
		/* entry notifications: "inval-entry-WHAT" or "delete-WHAT" */
		const char *what;

		if (!strncmp(cmd, "inval-entry-", 12)) {
			code = FUSE_NOTIFY_INVAL_ENTRY;
			what = cmd + 12;
		} else if (!strncmp(cmd, "delete-", 7)) {
			code = FUSE_NOTIFY_DELETE;
			what = cmd + 7;
		} else {
			raw_log("ctl %s: unknown command", cmd);
			return;
		}
		/* the target is "old" (cached) unless the command says otherwise */
		if (!strcmp(what, "good")) {
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "old", 3, 3, true);
		} else if (!strcmp(what, "short")) {
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "old", 3, 3, true);
			n = (code == FUSE_NOTIFY_DELETE ? sizeof(struct fuse_notify_delete_out)
			     : sizeof(struct fuse_notify_inval_entry_out)) - 4;
		} else if (!strcmp(what, "size-no-nul-byte")) {
			/* the size leaves out the terminating byte */
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "old", 3, 3, true) - 1;
		} else if (!strcmp(what, "no-nul")) {
			/* right size, but the byte after the name is not NUL */
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "old", 3, 3, false);
		} else if (!strcmp(what, "slash")) {
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "d/a", 3, 3, true);
		} else if (!strcmp(what, "inner-nul")) {
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "old\0x", 5, 5, true);
		} else if (!strcmp(what, "namelen0")) {
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, "", 0, 0, true);
		} else if (!strcmp(what, "namelen-huge")) {
			n = entry_msg(buf, code, ROOT_ID, OLD_ID, longname,
				      sizeof(longname) - 1, sizeof(longname) - 1, true);
		} else if (!strcmp(what, "unknown-parent")) {
			n = entry_msg(buf, code, 999, OLD_ID, "old", 3, 3, true);
		} else if (!strcmp(what, "unknown-child")) {
			n = entry_msg(buf, code, ROOT_ID, 999, "old", 3, 3, true);
		} else if (!strcmp(what, "parent-not-dir")) {
			n = entry_msg(buf, code, FILE_ID, OLD_ID, "old", 3, 3, true);
		} else {
			raw_log("ctl %s: unknown command", cmd);
			return;
		}
		notify(cmd, code, buf, n);
	}
}

/* Reads commands from the FIFO at @arg, a line each, until the process ends. */
static void *ctl_thread(void *arg)
{
	const char *path = arg;
	char line[256];

	for (;;) {
		FILE *f = fopen(path, "r");

		if (!f) {
			raw_log("ctl: cannot open %s: %s", path, strerror(errno));
			return NULL;
		}
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0])
				ctl_command(line);
		}
		fclose(f);
	}
	return NULL;
}

/* ---- resend mode ---- */

/*
 * True when @r is held back: the first READ is not answered, and
 * NOTIFY_RESEND should bring it back with FUSE_UNIQUE_RESEND set.
 */
static bool resend_hold(const struct request *r)
{
	static bool held;
	struct fuse_out_header oh = {
		.len = sizeof(oh),
		.error = FUSE_NOTIFY_RESEND,
	};
	int err;

	if (!is_mode("resend") || r->h->opcode != FUSE_READ)
		return false;
	if (r->h->unique & FUSE_UNIQUE_RESEND) {
		raw_log("resend: READ again, unique marked");
		return false;
	}
	if (held) {
		raw_log("resend: READ again, unique not marked");
		return false;
	}
	held = true;
	raw_log("resend: holding a READ");
	err = write_msg(&oh, NULL, 0);
	raw_log("notify resend: %s%s", err ? "rejected " : "accepted",
		err ? errno_name(err) : "");
	if (err)
		raw_log("resend: answering the held READ late");
	return !err;
}

/* ---- the loop ---- */

static bool dispatch(const struct request *r)
{
	int err;

	if (r->h->opcode < sizeof(op_count) / sizeof(op_count[0]))
		op_count[r->h->opcode]++;
	if (r->h->opcode == FUSE_GETATTR)
		sx_counted(r->h->nodeid, 1);
	else if (r->h->opcode == FUSE_STATX)
		sx_counted(r->h->nodeid, 2);
	switch (r->h->opcode) {
	case FUSE_INIT:		do_init(r); return true;
	case FUSE_FORGET:	do_forget(r); return true;
	case FUSE_BATCH_FORGET:	do_batch_forget(r); return true;
	case FUSE_LOOKUP:	err = do_lookup(r); break;
	case FUSE_GETATTR:	err = do_getattr(r); break;
	case FUSE_STATFS:	do_statfs(r); return true;
	case FUSE_OPENDIR:	err = do_open(r, true); break;
	case FUSE_OPEN:		err = do_open(r, false); break;
	case FUSE_READ:		err = do_read(r); break;
	case FUSE_READDIR:	err = do_readdir(r, false); break;
	case FUSE_READDIRPLUS:	err = do_readdir(r, true); break;
	case FUSE_GETXATTR:	err = do_getxattr(r); break;
	case FUSE_LISTXATTR:	err = do_listxattr(r); break;
	case FUSE_IOCTL:	err = do_ioctl(r); break;
	case FUSE_POLL:		err = do_poll(r); break;
	case FUSE_STATX:	err = do_statx(r); break;
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_SYMLINK:
	case FUSE_CREATE:
	case FUSE_TMPFILE:	err = do_ext_create(r); break;
	case FUSE_SETXATTR:
	case FUSE_REMOVEXATTR:	err = do_setxattr(); break;
	case FUSE_ACCESS:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
		reply(r, 0, NULL, 0);
		return true;
	case FUSE_NOTIFY_REPLY:
		do_notify_reply(r);
		return true;
	case FUSE_DESTROY:
		reply(r, 0, NULL, 0);
		return false;
	default:
		err = ENOSYS;
	}
	if (err)
		reply_err(r, err);
	return true;
}

static void summary(void)
{
	static const uint32_t counted[] = {
		FUSE_SETXATTR, FUSE_GETXATTR, FUSE_LISTXATTR, FUSE_REMOVEXATTR,
		FUSE_READDIR, FUSE_READDIRPLUS, FUSE_IOCTL, FUSE_POLL,
	};
	size_t i;

	for (i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
		raw_log("count %s %lu", opcode_name(counted[i]), op_count[counted[i]]);
	pthread_mutex_lock(&state_lock);
	for (i = 0; i <= MAX_NODEID; i++)
		if (handed[i])
			raw_log("balance %zu %lu %lu", i, handed[i], forgotten[i]);
	if (!strncmp(srv.mode, "statx", 5))
		for (i = 0; i < SX_END - SX_GOOD; i++)
			if (sx_count[i][0] || sx_count[i][1] || sx_count[i][2])
				raw_log("count-sx %s LOOKUP %lu GETATTR %lu STATX %lu",
					sx_names[i], sx_count[i][0],
					sx_count[i][1], sx_count[i][2]);
	pthread_mutex_unlock(&state_lock);
}

static int serve(void)
{
	for (;;) {
		const struct fuse_in_header *h = (const void *)req_buf;
		struct request r;
		ssize_t n = raw_read(srv.fd, req_buf, is_mode("xa-set-big") ?
				     SMALL_READ_BUF : sizeof(req_buf));

		if (n <= 0)
			return n < 0;
		r.h = h;
		r.arg = req_buf + sizeof(*h);
		r.arglen = n - sizeof(*h);
		if (srv.verbose)
			raw_log("%s(%u) unique %llu nodeid %llu len %u",
				opcode_name(h->opcode), h->opcode,
				(unsigned long long)h->unique,
				(unsigned long long)h->nodeid, h->len);
		if (resend_hold(&r))
			continue;
		if (!dispatch(&r))
			return 0;
	}
}

int main(int argc, char **argv)
{
	const char *ctl = getenv("RAWBAD_CTL");
	size_t i;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < NR_MODES; i++)
			printf("%s\n", mode_names[i]);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: rawbad MODE /dev/fd/N | rawbad --list\n");
		return 2;
	}
	for (i = 0; i < NR_MODES; i++)
		if (strcmp(argv[1], mode_names[i]) == 0)
			srv.mode = mode_names[i];
	for (i = 0; i < NR_HIDDEN; i++)
		if (strcmp(argv[1], hidden_modes[i]) == 0)
			srv.mode = hidden_modes[i];
	if (!srv.mode) {
		raw_log("unknown mode '%s'", argv[1]);
		return 2;
	}
	srv.verbose = getenv("RAWBAD_VERBOSE") != NULL;
	srv.fd = raw_parse_fd(argv[2]);
	if (srv.fd < 0) {
		raw_log("last argument must be /dev/fd/N, not '%s'", argv[2]);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (ctl) {
		pthread_t t;

		if (pthread_create(&t, NULL, ctl_thread, (void *)ctl) != 0) {
			raw_log("cannot start the control thread");
			return 1;
		}
		pthread_detach(t);
	}
	rc = serve();
	summary();
	return rc;
}
