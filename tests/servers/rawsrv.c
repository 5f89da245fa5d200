// SPDX-License-Identifier: GPL-2.0
/*
 * rawsrv: a FUSE server that speaks the wire protocol itself, without
 * libfuse, so that a test can send the kernel exactly one malformed reply
 * and see what the kernel makes of it.
 *
 *   rawsrv MODE /dev/fd/N        (normally started by fuse2pt-mount)
 *   rawsrv MODE DIR [-o fusermount]
 *                                mount DIR itself, as programs that do not
 *                                take /dev/fd/N do: as root with mount(2)
 *                                of type fuse.rawsrv on /dev/fuse; with
 *                                "-o fusermount" through fusermount3 from
 *                                PATH and its _FUSE_COMMFD protocol; then
 *                                it goes to the background (the tests
 *                                also build it statically: rawsrv-static);
 *                                RAWSRV_MOUNT_OPTS adds options to its
 *                                mount(2), RAWSRV_MOUNT_MGC=1 sets the old
 *                                magic number MS_MGC_VAL in its flags
 *   rawsrv --list                print the modes
 *
 * The tree is fixed:
 *   /          nodeid 1, directory 0755
 *   /file      nodeid 2, regular 0644, "hello from rawsrv\n"
 *   /link      nodeid 3, symlink to "file"
 *   /dir       nodeid 4, empty directory 0755
 *
 * Every MODE but "good" breaks one reply (see modes[] below) and keeps all
 * others correct.  Each deliberately bad write is reported on stderr as
 *   rawsrv: bad-write LABEL: accepted|rejected ERRNAME
 * so a test can compare what the kernel said to the server as well as what
 * it said to the user.  RAWSRV_VERBOSE=1 also logs every request.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define RAW_PROG	"rawsrv"
#include "testlib.h"

/* The kernel wants room for a whole WRITE of max_write bytes. */
#define MAX_WRITE	(128 * 1024)
#define REQ_BUF_SIZE	(1024 * 1024 + 4096)
#define MAX_MINOR	40
#define FILE_DATA	"hello from rawsrv\n"
#define FIXED_TIME	1700000000ULL

enum mode {
	MODE_GOOD,
	MODE_INIT_BAD_MAJOR,
	MODE_INIT_SHORT,
	MODE_WRONG_LEN,
	MODE_WRONG_LEN_SHORT,
	MODE_UNKNOWN_UNIQUE,
	MODE_TYPE_CHANGE,
	MODE_NODEID0,
	MODE_ROOT_NOT_DIR,
	MODE_BAD_DIRENT,
	MODE_BAD_DIRENT_HUGE,
	MODE_BAD_DIRENT_SLASH,
	MODE_HUGE_ERROR,
	MODE_ERROR_PAYLOAD,
	MODE_BAD_SIZE,
	MODE_NO_REPLY,
	MODE_BIG_FILE,
};

static const struct {
	const char *name;
	const char *what;
} modes[] = {
	[MODE_GOOD]		= { "good", "every reply correct" },
	[MODE_INIT_BAD_MAJOR]	= { "init-bad-major", "INIT reply says major 8" },
	[MODE_INIT_SHORT]	= { "init-short", "INIT reply has 4 bytes of payload (major only)" },
	[MODE_WRONG_LEN]	= { "wrong-len", "GETATTR file: out_header.len 64 more than written, then the right reply" },
	[MODE_WRONG_LEN_SHORT]	= { "wrong-len-short", "GETATTR file: consistent header, half a fuse_attr_out" },
	[MODE_UNKNOWN_UNIQUE]	= { "unknown-unique", "GETATTR file: a reply with a never issued unique, then the right reply" },
	[MODE_TYPE_CHANGE]	= { "type-change", "LOOKUP file says regular, GETATTR file says directory" },
	[MODE_NODEID0]		= { "nodeid0", "LOOKUP file returns nodeid 0" },
	[MODE_ROOT_NOT_DIR]	= { "root-not-dir", "GETATTR of the root says regular file" },
	[MODE_BAD_DIRENT]	= { "bad-dirent", "READDIR /: the record after 'file' has namelen 200 running past the reply end" },
	[MODE_BAD_DIRENT_HUGE]	= { "bad-dirent-huge", "READDIR /: the record after 'file' has namelen 1 MiB" },
	[MODE_BAD_DIRENT_SLASH]	= { "bad-dirent-slash", "READDIR /: the record after 'file' is named 'a/b'" },
	[MODE_HUGE_ERROR]	= { "huge-error", "GETATTR file: error -5000, then error +5, then the right reply" },
	[MODE_ERROR_PAYLOAD]	= { "error-payload", "GETATTR file: error -ENOENT with a payload" },
	[MODE_BAD_SIZE]		= { "bad-size", "GETATTR file: size 2^63" },
	[MODE_NO_REPLY]		= { "no-reply", "GETATTR file: never answered" },
	[MODE_BIG_FILE]		= { "big-file", "file is 16 GiB (reads past the data end at EOF); COPY_FILE_RANGE logs its length and claims it all copied" },
};

#define NR_MODES	(sizeof(modes) / sizeof(modes[0]))

enum {
	ROOT_ID = FUSE_ROOT_ID,
	FILE_ID,
	LINK_ID,
	DIR_ID,
};

struct node {
	uint64_t nodeid;
	const char *name;	/* in the root; "" for the root itself */
	uint32_t mode;
	const char *data;	/* file contents or symlink target */
};

static const struct node nodes[] = {
	{ ROOT_ID, "",     S_IFDIR | 0755, NULL },
	{ FILE_ID, "file", S_IFREG | 0644, FILE_DATA },
	{ LINK_ID, "link", S_IFLNK | 0777, "file" },
	{ DIR_ID,  "dir",  S_IFDIR | 0755, NULL },
};

#define NR_NODES	(sizeof(nodes) / sizeof(nodes[0]))

struct server {
	int fd;
	enum mode mode;
	bool verbose;
};

struct request {
	const struct fuse_in_header *h;
	const void *arg;	/* the payload after the header */
	size_t arglen;
};

static unsigned char req_buf[REQ_BUF_SIZE] __attribute__((aligned(8)));

/* Symbolic names, so test logs compare equal across libc versions. */
static const char *errno_name(int err)
{
	switch (err) {
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case E2BIG:	return "E2BIG";
	case EFAULT:	return "EFAULT";
	case EINVAL:	return "EINVAL";
	case ENODEV:	return "ENODEV";
	case ERANGE:	return "ERANGE";
	case ENOSYS:	return "ENOSYS";
	case EPROTO:	return "EPROTO";
	case ENOTCONN:	return "ENOTCONN";
	case ECONNABORTED: return "ECONNABORTED";
	default:	return "E?";
	}
}

static const char *opcode_name(uint32_t op)
{
	switch (op) {
	case FUSE_LOOKUP:	return "LOOKUP";
	case FUSE_FORGET:	return "FORGET";
	case FUSE_GETATTR:	return "GETATTR";
	case FUSE_READLINK:	return "READLINK";
	case FUSE_OPEN:		return "OPEN";
	case FUSE_READ:		return "READ";
	case FUSE_STATFS:	return "STATFS";
	case FUSE_RELEASE:	return "RELEASE";
	case FUSE_FLUSH:	return "FLUSH";
	case FUSE_INIT:		return "INIT";
	case FUSE_OPENDIR:	return "OPENDIR";
	case FUSE_READDIR:	return "READDIR";
	case FUSE_RELEASEDIR:	return "RELEASEDIR";
	case FUSE_ACCESS:	return "ACCESS";
	case FUSE_INTERRUPT:	return "INTERRUPT";
	case FUSE_DESTROY:	return "DESTROY";
	case FUSE_BATCH_FORGET:	return "BATCH_FORGET";
	case FUSE_STATX:	return "STATX";
	default:		return "other";
	}
}

static const struct node *find_node(uint64_t nodeid)
{
	size_t i;

	for (i = 0; i < NR_NODES; i++)
		if (nodes[i].nodeid == nodeid)
			return &nodes[i];
	return NULL;
}

static const struct node *find_child(uint64_t parent, const char *name)
{
	size_t i;

	if (parent != ROOT_ID)
		return NULL;
	for (i = 1; i < NR_NODES; i++)
		if (strcmp(nodes[i].name, name) == 0)
			return &nodes[i];
	return NULL;
}

/* ---- writing replies ---- */

/* Returns 0 or the errno of a failed writev(). */
static int write_reply(struct server *s, const struct fuse_out_header *oh,
		       const void *arg, size_t arglen)
{
	return raw_write(s->fd, oh, arg, arglen);
}

static void reply(struct server *s, const struct request *r, int error,
		  const void *arg, size_t arglen)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + arglen,
		.error = error,
		.unique = r->h->unique,
	};
	int err = write_reply(s, &oh, arg, arglen);

	/* ENOENT: the request was interrupted or aborted meanwhile. */
	if (err)
		raw_log("reply to %s unique %llu failed: %s",
			opcode_name(r->h->opcode),
			(unsigned long long)r->h->unique, errno_name(err));
}

static void reply_err(struct server *s, const struct request *r, int err)
{
	reply(s, r, -err, NULL, 0);
}

/*
 * Write a deliberately malformed reply: header as given, body of arglen
 * bytes.  The kernel's verdict is the point of the test, so log it.
 */
static void bad_write(struct server *s, const char *label,
		      const struct fuse_out_header *oh,
		      const void *arg, size_t arglen)
{
	int err = write_reply(s, oh, arg, arglen);

	if (err)
		raw_log("bad-write %s: rejected %s", label, errno_name(err));
	else
		raw_log("bad-write %s: accepted", label);
}

/* ---- attributes ---- */

static void fill_attr(const struct node *n, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = n->nodeid;
	a->mode = n->mode;
	a->nlink = S_ISDIR(n->mode) ? 2 : 1;
	if (n->nodeid == ROOT_ID)
		a->nlink = 3;	/* "dir" adds its ".." */
	a->size = n->data ? strlen(n->data) : 0;
	a->blocks = (a->size + 511) / 512;
	a->atime = a->mtime = a->ctime = FIXED_TIME;
	a->uid = getuid();
	a->gid = getgid();
	a->blksize = 4096;
}

/* What GETATTR reports: the truth, unless the mode lies about it. */
static void getattr_attr(struct server *s, const struct node *n,
			 struct fuse_attr *a)
{
	fill_attr(n, a);
	if (s->mode == MODE_TYPE_CHANGE && n->nodeid == FILE_ID)
		a->mode = S_IFDIR | 0755;
	if (s->mode == MODE_ROOT_NOT_DIR && n->nodeid == ROOT_ID)
		a->mode = S_IFREG | 0644;
	if (s->mode == MODE_BAD_SIZE && n->nodeid == FILE_ID)
		a->size = 1ULL << 63;
	if (s->mode == MODE_BIG_FILE && n->nodeid == FILE_ID)
		a->size = 16ULL << 30;
}

/* ---- INIT ---- */

/* The reply size the kernel expects for the minor it speaks. */
static size_t init_out_size(uint32_t kernel_minor)
{
	if (kernel_minor < 5)
		return FUSE_COMPAT_INIT_OUT_SIZE;
	if (kernel_minor < 23)
		return FUSE_COMPAT_22_INIT_OUT_SIZE;
	return sizeof(struct fuse_init_out);
}

static void do_init(struct server *s, const struct request *r)
{
	const struct fuse_init_in *in = r->arg;
	struct fuse_init_out out;
	size_t len;

	if (r->arglen < 2 * sizeof(uint32_t) || in->major != 7) {
		raw_log("INIT: unexpected request (len %zu)", r->arglen);
		reply_err(s, r, EPROTO);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < MAX_MINOR ? in->minor : MAX_MINOR;
	if (r->arglen >= offsetof(struct fuse_init_in, flags))
		out.max_readahead = in->max_readahead;
	out.max_write = MAX_WRITE;
	out.time_gran = 1;
	len = init_out_size(in->minor);

	if (s->mode == MODE_INIT_BAD_MAJOR)
		out.major = 8;
	if (s->mode == MODE_INIT_SHORT)
		len = sizeof(out.major);

	if (s->verbose)
		raw_log("INIT: kernel %u.%u, replying %u.%u with %zu bytes",
			in->major, in->minor, out.major, out.minor, len);
	reply(s, r, 0, &out, len);
}

/* ---- namespace ---- */

static int do_lookup(struct server *s, const struct request *r)
{
	const char *name = r->arg;
	struct fuse_entry_out out;
	const struct node *n;

	if (!r->arglen || name[r->arglen - 1] != '\0')
		return EINVAL;
	n = find_child(r->h->nodeid, name);
	if (!n)
		return ENOENT;

	memset(&out, 0, sizeof(out));
	out.nodeid = n->nodeid;
	out.entry_valid = 1;
	/* attr_valid 0: every stat asks again, so GETATTR modes trigger */
	fill_attr(n, &out.attr);
	if (s->mode == MODE_BIG_FILE && n->nodeid == FILE_ID)
		out.attr.size = 16ULL << 30;	/* no GETATTR before the first use */
	if (s->mode == MODE_NODEID0 && n->nodeid == FILE_ID)
		out.nodeid = 0;
	reply(s, r, 0, &out, sizeof(out));
	return 0;
}

/*
 * The GETATTR modes only ever misbehave on "file".  Returns true when the
 * request is done with; false when the correct reply is still to be sent
 * (the kernel rejected the bad write, so the request is still waiting).
 */
static bool getattr_misbehaves(struct server *s, const struct request *r)
{
	struct fuse_attr_out out;
	struct fuse_out_header oh = {
		.len = sizeof(oh) + sizeof(out),
		.unique = r->h->unique,
	};

	memset(&out, 0, sizeof(out));
	getattr_attr(s, find_node(FILE_ID), &out.attr);

	switch (s->mode) {
	case MODE_WRONG_LEN:
		oh.len += 64;
		bad_write(s, "len-larger-than-written", &oh, &out, sizeof(out));
		return false;
	case MODE_WRONG_LEN_SHORT:
		oh.len = sizeof(oh) + sizeof(out) / 2;
		bad_write(s, "short-attr-out", &oh, &out, sizeof(out) / 2);
		return true;
	case MODE_UNKNOWN_UNIQUE:
		/* even, so not an interrupt id, and far beyond any issued */
		oh.unique = r->h->unique + (1ULL << 40);
		bad_write(s, "unknown-unique", &oh, &out, sizeof(out));
		return false;
	case MODE_HUGE_ERROR:
		oh.len = sizeof(oh);
		oh.error = -5000;
		bad_write(s, "error-minus-5000", &oh, NULL, 0);
		oh.error = EIO;
		bad_write(s, "error-positive", &oh, NULL, 0);
		return false;
	case MODE_ERROR_PAYLOAD:
		oh.error = -ENOENT;
		bad_write(s, "error-with-payload", &oh, &out, sizeof(out));
		return true;
	case MODE_NO_REPLY:
		raw_log("not replying to GETATTR unique %llu",
			(unsigned long long)r->h->unique);
		return true;
	default:
		return false;
	}
}

static int do_getattr(struct server *s, const struct request *r)
{
	const struct node *n = find_node(r->h->nodeid);
	struct fuse_attr_out out;

	if (!n)
		return ENOENT;
	if (n->nodeid == FILE_ID && getattr_misbehaves(s, r))
		return 0;
	memset(&out, 0, sizeof(out));
	getattr_attr(s, n, &out.attr);
	reply(s, r, 0, &out, sizeof(out));
	return 0;
}

static int do_readlink(struct server *s, const struct request *r)
{
	const struct node *n = find_node(r->h->nodeid);

	if (!n || !S_ISLNK(n->mode))
		return EINVAL;
	reply(s, r, 0, n->data, strlen(n->data));
	return 0;
}

static int do_access(struct server *s, const struct request *r)
{
	if (!find_node(r->h->nodeid))
		return ENOENT;
	reply(s, r, 0, NULL, 0);
	return 0;
}

static void do_statfs(struct server *s, const struct request *r)
{
	struct fuse_statfs_out out;

	memset(&out, 0, sizeof(out));
	out.st.blocks = 1000;
	out.st.bfree = 500;
	out.st.bavail = 500;
	out.st.files = 100;
	out.st.ffree = 96;
	out.st.bsize = 4096;
	out.st.frsize = 4096;
	out.st.namelen = 255;
	reply(s, r, 0, &out, sizeof(out));
}

/* ---- files ---- */

static int do_open(struct server *s, const struct request *r, bool dir)
{
	const struct node *n = find_node(r->h->nodeid);
	struct fuse_open_out out;

	if (!n)
		return ENOENT;
	if (dir && !S_ISDIR(n->mode))
		return ENOTDIR;
	if (!dir && S_ISDIR(n->mode))
		return EISDIR;
	memset(&out, 0, sizeof(out));
	out.fh = n->nodeid;
	reply(s, r, 0, &out, sizeof(out));
	return 0;
}

static int do_read(struct server *s, const struct request *r)
{
	const struct fuse_read_in *in = r->arg;
	const struct node *n = find_node(r->h->nodeid);
	size_t size, count;

	if (r->arglen < offsetof(struct fuse_read_in, read_flags))
		return EINVAL;
	if (!n || !S_ISREG(n->mode))
		return EINVAL;
	size = strlen(n->data);
	if (in->offset >= size) {
		reply(s, r, 0, NULL, 0);	/* end of file */
		return 0;
	}
	count = size - in->offset;
	if (count > in->size)
		count = in->size;
	reply(s, r, 0, n->data + in->offset, count);
	return 0;
}

/*
 * COPY_FILE_RANGE: nothing is copied (the data is fixed); the length the
 * kernel asked for is logged, and the answer claims all of it, as much
 * as the 32-bit count of the reply holds.
 */
static int do_copy_file_range(struct server *s, const struct request *r)
{
	const struct fuse_copy_file_range_in *in = r->arg;
	struct fuse_write_out out;

	if (r->arglen < sizeof(*in))
		return EINVAL;
	fprintf(stderr, RAW_PROG ": copy_file_range off_in=%llu off_out=%llu len=%llu\n",
		(unsigned long long)in->off_in, (unsigned long long)in->off_out,
		(unsigned long long)in->len);
	memset(&out, 0, sizeof(out));
	out.size = (uint32_t)in->len;
	reply(s, r, 0, &out, sizeof(out));
	return 0;
}

/* ---- directories ---- */

struct dir_entry {
	uint64_t ino;
	const char *name;
	uint32_t namelen;	/* what the record claims */
	uint32_t type;
	bool truncate;		/* the reply ends inside this record's name */
};

static uint32_t dtype_of(uint32_t mode)
{
	if (S_ISDIR(mode))
		return DT_DIR;
	if (S_ISLNK(mode))
		return DT_LNK;
	return DT_REG;
}

/* The listing of directory @dir, with this mode's damage applied. */
static size_t list_dir(struct server *s, const struct node *dir,
		       struct dir_entry *ents)
{
	size_t nr = 0, i;

	ents[nr++] = (struct dir_entry){ dir->nodeid, ".", 1, DT_DIR, false };
	ents[nr++] = (struct dir_entry){ ROOT_ID, "..", 2, DT_DIR, false };
	if (dir->nodeid != ROOT_ID)
		return nr;
	for (i = 1; i < NR_NODES; i++) {
		const struct node *n = &nodes[i];
		struct dir_entry *e = &ents[nr++];

		*e = (struct dir_entry){ n->nodeid, n->name, strlen(n->name),
					 dtype_of(n->mode), false };
		if (n->nodeid != LINK_ID)
			continue;
		if (s->mode == MODE_BAD_DIRENT) {
			e->namelen = 200;
			e->truncate = true;
		} else if (s->mode == MODE_BAD_DIRENT_HUGE) {
			e->namelen = 1024 * 1024;
			e->truncate = true;
		} else if (s->mode == MODE_BAD_DIRENT_SLASH) {
			e->name = "a/b";
			e->namelen = 3;
		}
	}
	return nr;
}

/*
 * Append one record at @buf + @used within @size; returns the new used
 * size, or @used unchanged when it does not fit.  A truncated record
 * carries only the real name, padded, and always ends the reply.
 */
static size_t put_dirent(char *buf, size_t used, size_t size,
			 const struct dir_entry *e, uint64_t next_off)
{
	size_t name_bytes = e->truncate ? strlen(e->name) : e->namelen;
	size_t reclen = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + name_bytes);
	struct fuse_dirent *d = (struct fuse_dirent *)(buf + used);

	if (reclen > size - used)
		return used;
	memset(d, 0, reclen);
	d->ino = e->ino;
	d->off = next_off;
	d->namelen = e->namelen;
	d->type = e->type;
	memcpy(d->name, e->name, name_bytes);
	return used + reclen;
}

static int do_readdir(struct server *s, const struct request *r)
{
	static char buf[64 * 1024] __attribute__((aligned(8)));
	const struct fuse_read_in *in = r->arg;
	const struct node *dir = find_node(r->h->nodeid);
	struct dir_entry ents[NR_NODES + 2];
	size_t nr, used = 0, size, i, next;

	if (r->arglen < offsetof(struct fuse_read_in, read_flags))
		return EINVAL;
	if (!dir || !S_ISDIR(dir->mode))
		return ENOTDIR;
	size = in->size < sizeof(buf) ? in->size : sizeof(buf);
	nr = list_dir(s, dir, ents);

	/* offsets are entry indices: record i says "continue at i + 1" */
	for (i = in->offset; i < nr; i++) {
		next = put_dirent(buf, used, size, &ents[i], i + 1);
		if (next == used)
			break;
		used = next;
		if (ents[i].truncate)
			break;
	}
	reply(s, r, 0, buf, used);
	return 0;
}

/* ---- the loop ---- */

static void log_interrupt(const struct request *r)
{
	const struct fuse_interrupt_in *in = r->arg;

	if (r->arglen < sizeof(*in))
		raw_log("INTERRUPT: short request (%zu bytes)", r->arglen);
	else
		raw_log("INTERRUPT for unique %llu",
			(unsigned long long)in->unique);
}

/*
 * Handlers return 0 once they have replied (or when no reply is due), or
 * an errno for the caller to send back.  Returns false after DESTROY.
 */
static bool dispatch(struct server *s, const struct request *r)
{
	int err;

	switch (r->h->opcode) {
	case FUSE_INIT:		do_init(s, r); return true;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:	return true;	/* never answered */
	case FUSE_LOOKUP:	err = do_lookup(s, r); break;
	case FUSE_GETATTR:	err = do_getattr(s, r); break;
	case FUSE_READLINK:	err = do_readlink(s, r); break;
	case FUSE_ACCESS:	err = do_access(s, r); break;
	case FUSE_STATFS:	do_statfs(s, r); return true;
	case FUSE_OPENDIR:	err = do_open(s, r, true); break;
	case FUSE_OPEN:		err = do_open(s, r, false); break;
	case FUSE_READ:		err = do_read(s, r); break;
	case FUSE_READDIR:	err = do_readdir(s, r); break;
	case FUSE_COPY_FILE_RANGE: err = do_copy_file_range(s, r); break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
		reply(s, r, 0, NULL, 0);
		return true;
	case FUSE_DESTROY:
		reply(s, r, 0, NULL, 0);
		return false;
	case FUSE_INTERRUPT:
		/*
		 * Logged always: tests check that an interrupt came.  ENOSYS
		 * to its (odd) unique tells the kernel to send no more.
		 */
		log_interrupt(r);
		err = ENOSYS;
		break;
	default:
		err = ENOSYS;
	}
	if (err)
		reply_err(s, r, err);
	return true;
}

/* Returns 0 when the kernel unmounted us, 1 on a real failure. */
static int serve(struct server *s)
{
	for (;;) {
		const struct fuse_in_header *h = (const void *)req_buf;
		struct request r;
		ssize_t n = raw_read(s->fd, req_buf, sizeof(req_buf));

		if (n <= 0)
			return n < 0;
		r.h = h;
		r.arg = req_buf + sizeof(*h);
		r.arglen = n - sizeof(*h);
		if (s->verbose)
			raw_log("%s(%u) unique %llu nodeid %llu len %u",
				opcode_name(h->opcode), h->opcode,
				(unsigned long long)h->unique,
				(unsigned long long)h->nodeid, h->len);
		if (!dispatch(s, &r))
			return 0;
	}
}

/* The device fd fusermount3 sends back over sock, or -1. */
static int recv_device(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Mount dir by ourselves; the device fd, or -1. */
static int self_mount(const char *dir, bool use_fusermount)
{
	const char *extra = getenv("RAWSRV_MOUNT_OPTS");
	unsigned long flags = MS_NOSUID | MS_NODEV;
	char opts[256], env[16];
	int fd, sp[2], st;
	pid_t pid;

	/* the old magic number in the top bits, as old programs still pass */
	if (getenv("RAWSRV_MOUNT_MGC"))
		flags |= 0xc0ed0000UL;
	if (extra && strlen(extra) > 100)
		extra = NULL;
	if (!use_fusermount) {
		fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			raw_log("open /dev/fuse: %s", strerror(errno));
			return -1;
		}
		snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s", fd,
			 (unsigned int)getuid(), (unsigned int)getgid(), extra ? "," : "",
			 extra ? extra : "");
		if (mount("rawsrv", dir, "fuse.rawsrv", flags, opts) < 0) {
			raw_log("mount(2) of %s: %s", dir, strerror(errno));
			return -1;
		}
		return fd;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(sp[0]);
		snprintf(env, sizeof(env), "%d", sp[1]);
		setenv("_FUSE_COMMFD", env, 1);
		execlp("fusermount3", "fusermount3", "-o", "subtype=rawsrv", "--", dir, (char *)NULL);
		raw_log("cannot run fusermount3: %s", strerror(errno));
		_exit(127);
	}
	close(sp[1]);
	fd = recv_device(sp[0]);
	close(sp[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || fd < 0) {
		raw_log("fusermount3 failed (status 0x%x)", st);
		return -1;
	}
	return fd;
}

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: rawsrv MODE /dev/fd/N\n       rawsrv MODE DIR [-o fusermount]\n"
		"       rawsrv --list\nmodes:\n");
	for (i = 0; i < NR_MODES; i++)
		fprintf(stderr, "  %-18s %s\n", modes[i].name, modes[i].what);
	exit(2);
}

int main(int argc, char **argv)
{
	struct server s = { .verbose = getenv("RAWSRV_VERBOSE") != NULL };
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < NR_MODES; i++)
			printf("%s\n", modes[i].name);
		return 0;
	}
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "-o") == 0 &&
			   strcmp(argv[4], "fusermount") == 0))
		usage();
	for (i = 0; i < NR_MODES; i++)
		if (strcmp(argv[1], modes[i].name) == 0)
			break;
	if (i == NR_MODES) {
		raw_log("unknown mode '%s'", argv[1]);
		usage();
	}
	s.mode = i;
	if (strncmp(argv[2], "/dev/fd/", 8) != 0) {
		pid_t pid;
		int null;

		s.fd = self_mount(argv[2], argc == 5);
		if (s.fd < 0)
			return 1;
		/* in the background, as a mounting program does */
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0)
			return 0;
		/* a daemon keeps nobody's pipes open: stdio to /dev/null */
		setsid();
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
	} else {
		s.fd = raw_parse_fd(argv[2]);
	}
	if (s.fd < 0) {
		raw_log("last argument must be /dev/fd/N, not '%s'", argv[2]);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (s.verbose)
		raw_log("mode %s, device fd %d", modes[s.mode].name, s.fd);
	return serve(&s);
}
