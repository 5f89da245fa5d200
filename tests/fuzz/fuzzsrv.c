// SPDX-License-Identifier: GPL-2.0
/*
 * fuzzsrv: a hostile FUSE server.  It speaks the wire protocol itself (no
 * libfuse) and serves a small in-memory tree correctly, except that a
 * seeded PRNG picks a fraction of the replies and damages them: lengths
 * that lie, errors out of range, impossible attributes, broken directory
 * records, bad node ids, wrong or stale uniques, replies to interrupted
 * requests, and garbage notifications of every code.  The kernel must
 * turn each into an error for one operation (or refuse the write), never
 * into a crash, a WARN, a hang or a leak.
 *
 *   fuzzsrv [-s SEED] [-r PERMILLE] [-g N] [-q] /dev/fd/N
 *                                   (started by fuse2pt-mount)
 *
 * -r: how many replies in a thousand are damaged (default 100); a
 * quarter as many notifications come between requests, and an eighth as
 * many requests are held back to be answered later, out of order.
 * -g: the first N replies are all correct (so the mount comes up).
 * -q: no per-request log.  At exit (the kernel unmounted us: ENODEV) the
 * counts go to stderr as lines
 *   fuzzsrv: replies N / damaged N / rejected N / notify N
 *   fuzzsrv: kind NAME sent N rejected N
 *   fuzzsrv: op NAME N
 * Everything a test needs to reproduce a run is the seed and the rate.
 *
 * The tree (uid/gid of the server):
 *   /hello "hello, world\n"   /big 300000 bytes of a known pattern
 *   /empty (0 bytes)          /link -> hello     /dangling -> nowhere
 *   /sub/a "a\n"  /sub/deep/x "x\n"  /sub/up -> ../big
 *   /w (empty; the workload creates below it)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define RAW_PROG	"fuzzsrv"
#include "testlib.h"

#define REQ_BUF_SIZE	(1024 * 1024 + 4096)
#define OUT_BUF_SIZE	(256 * 1024)
#define MAX_MINOR	40
#define MAX_NODES	4096		/* slots; ids grow, slot = id % MAX_NODES */
#define MAX_ENTS	4096
#define MAX_NAME	255
#define MAX_FILE	(4 << 20)
#define MAX_XATTRS	4
#define XNAME_MAX	64
#define XVAL_MAX	256
#define BIG_SIZE	300000
#define RECENT		64		/* answered uniques remembered */
#define DEFER_MAX	8		/* requests held back at a time */
#define DEFER_ARG	4096
#define MAX_LFS		0x7fffffffffffffffULL
/*
 * Per thousand: how often the root's type may go wrong or an entry may
 * name the root.  Either makes the root bad for good (in stock fuse too),
 * after which the rest of the run only sees EIO.
 */
#define ROOT_DAMAGE	2
#define USAGE		"usage: fuzzsrv [-s SEED] [-r PERMILLE] [-g N] [-q] /dev/fd/N\n"

/* ---- the PRNG: a seed names a run ---- */

static __thread uint64_t rng_state;	/* the notifier has its own */

static uint64_t rnd(void)
{
	return splitmix64(&rng_state);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(uint32_t permille)
{
	return rnd_below(1000) < permille;
}

static void rnd_fill(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len--)
		*p++ = (unsigned char)rnd();
}

/* Numbers a parser is likely to trip on. */
static uint64_t rnd_evil64(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL,
		0x100000000ULL, MAX_LFS, MAX_LFS + 1, ~0ULL, ~0ULL - 1,
		4096, 4095, 1ULL << 40,
	};

	if (chance(300))
		return rnd();
	return v[rnd_below(sizeof(v) / sizeof(v[0]))];
}

static uint32_t rnd_evil32(void)
{
	return (uint32_t)rnd_evil64() ^ (chance(200) ? (uint32_t)rnd() : 0);
}

/* ---- what gets counted ---- */

enum kind {
	K_LEN_SHORT,		/* header says fewer bytes than written */
	K_LEN_LONG,		/* header says more bytes than written */
	K_BODY_SHORT,		/* consistent header, body cut short */
	K_BODY_LONG,		/* consistent header, junk appended */
	K_ERR_POSITIVE,
	K_ERR_HUGE,		/* below -4095 */
	K_ERR_ZERO_EMPTY,	/* success with no body where one is due */
	K_ERR_WITH_BODY,	/* an error and a payload */
	K_BODY_RANDOM,		/* right length, random bytes */
	K_ATTR_MODE,
	K_ATTR_SIZE,
	K_ATTR_NLINK0,
	K_ATTR_MISC,		/* times, blksize, blocks, ino, rdev */
	K_VALID_HUGE,		/* entry/attr timeouts at their limits */
	K_ENTRY_NODEID,		/* 0, root, huge, another node's */
	K_ENTRY_GEN,
	K_DIRENT_NAME,		/* '/', NUL, empty, "." or ".." */
	K_DIRENT_NAMELEN,	/* namelen past the end, huge, 0 */
	K_DIRENT_OFF,
	K_DIRENT_INO,
	K_DIRENT_TYPE,
	K_OPEN_FLAGS,		/* random FOPEN_* bits and backing ids */
	K_WRITE_SIZE,		/* more written than asked, or less */
	K_XATTR_SIZE,
	K_STATFS,
	K_UNIQUE_WRONG,		/* an unknown unique, then the right reply */
	K_UNIQUE_DUP,		/* the right reply, then again */
	K_UNIQUE_STALE,		/* a reply to an answered request */
	K_UNIQUE_INTR,		/* a reply to an interrupted, answered request */
	K_DEFER,		/* answered later, out of order */
	K_NOTIFY,
	NR_KINDS
};

static const char *const kind_names[NR_KINDS] = {
	[K_LEN_SHORT] = "len-short", [K_LEN_LONG] = "len-long",
	[K_BODY_SHORT] = "body-short", [K_BODY_LONG] = "body-long",
	[K_ERR_POSITIVE] = "err-positive", [K_ERR_HUGE] = "err-huge",
	[K_ERR_ZERO_EMPTY] = "err-zero-empty", [K_ERR_WITH_BODY] = "err-with-body",
	[K_BODY_RANDOM] = "body-random", [K_ATTR_MODE] = "attr-mode",
	[K_ATTR_SIZE] = "attr-size", [K_ATTR_NLINK0] = "attr-nlink0",
	[K_ATTR_MISC] = "attr-misc", [K_VALID_HUGE] = "valid-huge",
	[K_ENTRY_NODEID] = "entry-nodeid", [K_ENTRY_GEN] = "entry-generation",
	[K_DIRENT_NAME] = "dirent-name", [K_DIRENT_NAMELEN] = "dirent-namelen",
	[K_DIRENT_OFF] = "dirent-off", [K_DIRENT_INO] = "dirent-ino",
	[K_DIRENT_TYPE] = "dirent-type", [K_OPEN_FLAGS] = "open-flags",
	[K_WRITE_SIZE] = "write-size", [K_XATTR_SIZE] = "xattr-size",
	[K_STATFS] = "statfs", [K_UNIQUE_WRONG] = "unique-wrong",
	[K_UNIQUE_DUP] = "unique-dup", [K_UNIQUE_STALE] = "unique-stale",
	[K_UNIQUE_INTR] = "unique-interrupted", [K_DEFER] = "deferred",
	[K_NOTIFY] = "notify",
};

#define NR_NOTIFY	12	/* codes 0..10 and one beyond */

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned long replies, damaged, rejected, notify, interrupts;
	unsigned long kind_sent[NR_KINDS], kind_rejected[NR_KINDS];
	unsigned long notify_sent[NR_NOTIFY], notify_rejected[NR_NOTIFY];
	unsigned long op[64];
} stats;

static bool quiet;

static const char *const op_names[64] = {
	[FUSE_LOOKUP] = "LOOKUP", [FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR", [FUSE_SETATTR] = "SETATTR",
	[FUSE_READLINK] = "READLINK", [FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD", [FUSE_MKDIR] = "MKDIR",
	[FUSE_UNLINK] = "UNLINK", [FUSE_RMDIR] = "RMDIR",
	[FUSE_RENAME] = "RENAME", [FUSE_LINK] = "LINK", [FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ", [FUSE_WRITE] = "WRITE", [FUSE_STATFS] = "STATFS",
	[FUSE_RELEASE] = "RELEASE", [FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR", [FUSE_GETXATTR] = "GETXATTR",
	[FUSE_LISTXATTR] = "LISTXATTR", [FUSE_REMOVEXATTR] = "REMOVEXATTR",
	[FUSE_FLUSH] = "FLUSH", [FUSE_INIT] = "INIT", [FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR", [FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR", [FUSE_ACCESS] = "ACCESS",
	[FUSE_CREATE] = "CREATE", [FUSE_INTERRUPT] = "INTERRUPT",
	[FUSE_DESTROY] = "DESTROY", [FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET", [FUSE_READDIRPLUS] = "READDIRPLUS",
	[FUSE_RENAME2] = "RENAME2", [FUSE_STATX] = "STATX",
};

/* ---- the tree ---- */

struct xattr {
	char name[XNAME_MAX + 1];
	unsigned char value[XVAL_MAX];
	uint32_t size;
	bool used;
};

struct node {
	uint64_t id;		/* 0: free slot */
	uint32_t mode, nlink, uid, gid;
	uint64_t nlookup;
	uint32_t nopen;
	uint64_t mtime, ctime, atime;
	unsigned char *data;	/* file contents or symlink target */
	size_t size;
	struct xattr xa[MAX_XATTRS];
};

struct dent {
	uint64_t parent, child;	/* parent 0: free */
	char name[MAX_NAME + 1];
};

static struct node nodes[MAX_NODES];
static struct dent ents[MAX_ENTS];
static uint64_t next_id = FUSE_ROOT_ID;
static uint64_t now_sec = 1700000000ULL;

static struct node *node_get(uint64_t id)
{
	struct node *n;

	if (!id)
		return NULL;
	n = &nodes[id % MAX_NODES];
	return n->id == id ? n : NULL;
}

static struct node *node_new(uint32_t mode)
{
	struct node *n = NULL;
	size_t tries;

	for (tries = 0; tries < MAX_NODES; tries++) {
		n = &nodes[next_id % MAX_NODES];
		if (!n->id)
			break;
		next_id++;
	}
	if (tries == MAX_NODES)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->id = next_id++;
	n->mode = mode;
	n->nlink = S_ISDIR(mode) ? 2 : 1;
	n->uid = getuid();
	n->gid = getgid();
	n->atime = n->mtime = n->ctime = now_sec;
	return n;
}

static void node_put_maybe(struct node *n)
{
	if (n->id == FUSE_ROOT_ID || n->nlink || n->nlookup || n->nopen)
		return;
	free(n->data);
	memset(n, 0, sizeof(*n));
}

static struct dent *dent_find(uint64_t parent, const char *name)
{
	size_t i;

	for (i = 0; i < MAX_ENTS; i++)
		if (ents[i].parent == parent && strcmp(ents[i].name, name) == 0)
			return &ents[i];
	return NULL;
}

static bool dir_empty(uint64_t dir)
{
	size_t i;

	for (i = 0; i < MAX_ENTS; i++)
		if (ents[i].parent == dir)
			return false;
	return true;
}

static struct dent *dent_add(uint64_t parent, const char *name, uint64_t child)
{
	size_t i;

	for (i = 0; i < MAX_ENTS; i++) {
		if (ents[i].parent)
			continue;
		ents[i].parent = parent;
		ents[i].child = child;
		snprintf(ents[i].name, sizeof(ents[i].name), "%s", name);
		return &ents[i];
	}
	return NULL;
}

static int set_data(struct node *n, const void *data, size_t size)
{
	unsigned char *p = malloc(size ? size : 1);

	if (!p)
		return ENOMEM;
	memcpy(p, data, size);
	free(n->data);
	n->data = p;
	n->size = size;
	return 0;
}

static struct node *mk(uint64_t parent, const char *name, uint32_t mode,
		       const void *data, size_t size)
{
	struct node *n = node_new(mode);

	if (!n)
		return NULL;
	if (data)
		set_data(n, data, size);
	if (parent) {
		dent_add(parent, name, n->id);
		if (S_ISDIR(mode))
			node_get(parent)->nlink++;
	}
	return n;
}

static void build_tree(void)
{
	unsigned char *big = malloc(BIG_SIZE);
	struct node *sub, *deep;
	size_t i;

	for (i = 0; i < BIG_SIZE; i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	mk(0, "", S_IFDIR | 0755, NULL, 0);
	mk(FUSE_ROOT_ID, "hello", S_IFREG | 0644, "hello, world\n", 13);
	mk(FUSE_ROOT_ID, "big", S_IFREG | 0644, big, BIG_SIZE);
	mk(FUSE_ROOT_ID, "empty", S_IFREG | 0644, "", 0);
	mk(FUSE_ROOT_ID, "link", S_IFLNK | 0777, "hello", 5);
	mk(FUSE_ROOT_ID, "dangling", S_IFLNK | 0777, "nowhere", 7);
	sub = mk(FUSE_ROOT_ID, "sub", S_IFDIR | 0755, NULL, 0);
	mk(sub->id, "a", S_IFREG | 0644, "a\n", 2);
	deep = mk(sub->id, "deep", S_IFDIR | 0755, NULL, 0);
	mk(deep->id, "x", S_IFREG | 0600, "x\n", 2);
	mk(sub->id, "up", S_IFLNK | 0777, "../big", 6);
	mk(FUSE_ROOT_ID, "w", S_IFDIR | 0777, NULL, 0);
	free(big);
}

static void fill_attr(const struct node *n, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = n->id;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->size = n->size;
	a->blocks = (n->size + 511) / 512;
	a->atime = n->atime;
	a->mtime = n->mtime;
	a->ctime = n->ctime;
	a->uid = n->uid;
	a->gid = n->gid;
	a->blksize = 4096;
}

/* ---- requests and replies ---- */

struct request {
	struct fuse_in_header h;
	const unsigned char *arg;
	size_t arglen;
};

/* A reply under construction: the body, and what its bytes mean. */
enum body {
	B_NONE, B_DATA, B_ENTRY, B_ATTR, B_OPEN, B_CREATE, B_WRITE,
	B_STATFS, B_XATTR_SIZE, B_DIRENTS, B_DIRENTPLUS,
};

struct reply {
	int error;		/* positive errno or 0 */
	enum body body;
	size_t len;
	unsigned char buf[OUT_BUF_SIZE] __attribute__((aligned(8)));
};

struct server {
	int fd;
	uint32_t rate;		/* damaged replies per thousand */
	unsigned long grace;	/* replies left before any damage */
	uint32_t minor;
	uint64_t init_flags;
	uint64_t recent[RECENT];	/* answered uniques */
	unsigned int recent_pos;
	uint64_t intr[RECENT];		/* interrupted and answered */
	unsigned int intr_pos;
	bool initialized;
	uint64_t seed;
	int notify_pipe[2];
	struct deferred {
		struct fuse_in_header h;
		unsigned char arg[DEFER_ARG];
		size_t arglen;
		uint64_t due;		/* ms, monotonic */
		bool used;
	} defer[DEFER_MAX];
};

static unsigned char req_buf[REQ_BUF_SIZE] __attribute__((aligned(8)));
static struct reply rep;

static int write_msg(struct server *s, const struct fuse_out_header *oh,
		     const void *body, size_t len)
{
	return raw_write(s->fd, oh, body, len);
}

static void remember(uint64_t *ring, unsigned int *pos, uint64_t unique)
{
	ring[*pos % RECENT] = unique;
	(*pos)++;
}

static uint64_t recall(const uint64_t *ring, unsigned int pos)
{
	if (!pos)
		return 0;
	return ring[rnd_below(pos < RECENT ? pos : RECENT)];
}

static int send_plain(struct server *s, uint64_t unique, int error,
		      const void *body, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len,
		.error = -error,
		.unique = unique,
	};

	return write_msg(s, &oh, body, len);
}

/* ---- damage ---- */

static bool has_attr(enum body b)
{
	return b == B_ENTRY || b == B_ATTR || b == B_CREATE;
}

static struct fuse_attr *reply_attr(struct reply *r)
{
	if (r->body == B_ATTR)
		return &((struct fuse_attr_out *)r->buf)->attr;
	return &((struct fuse_entry_out *)r->buf)->attr;
}

/*
 * A node id the kernel may know: mostly one of the tree's first ones
 * (likely cached), else any handed out, or a little past them.  Rarely
 * the root: a root whose type changes is bad for good (in stock fuse
 * too), and every later operation would just see EIO.
 */
static uint64_t some_nodeid(void)
{
	uint64_t last = __atomic_load_n(&next_id, __ATOMIC_RELAXED);

	if (chance(500))
		return 2 + rnd_below(11);
	if (chance(100))
		return last + rnd_below(4);
	if (chance(20))
		return FUSE_ROOT_ID;
	return 2 + rnd_below((uint32_t)(last < 3 ? 1 : last - 2));
}

/* A node id for an entry reply: a known one, or a strange one. */
static uint64_t entry_nodeid(void)
{
	uint64_t id = chance(400) ? some_nodeid() : rnd_evil64();

	return id == FUSE_ROOT_ID && !chance(ROOT_DAMAGE) ? 2 : id;
}

static void damage_attr(struct fuse_attr *a, enum kind k)
{
	static const uint32_t modes[] = {
		0, 0170000, S_IFDIR | 0755, S_IFREG | 0644, S_IFLNK | 0777,
		S_IFIFO | 0644, S_IFSOCK | 0644, S_IFCHR | 0644, S_IFBLK | 0600,
		0xffffffff, 07777,
	};

	switch (k) {
	case K_ATTR_MODE:
		a->mode = chance(800) ? modes[rnd_below(sizeof(modes) / sizeof(modes[0]))]
				      : (uint32_t)rnd();
		break;
	case K_ATTR_SIZE:
		a->size = chance(500) ? (1ULL << 63) + rnd_below(1000) : rnd_evil64();
		if (chance(300))
			a->size = MAX_LFS + 1;
		break;
	case K_ATTR_NLINK0:
		a->nlink = chance(800) ? 0 : rnd_evil32();
		break;
	default:
		switch (rnd_below(6)) {
		case 0: a->mtimensec = rnd_evil32(); a->atimensec = rnd_evil32(); break;
		case 1: a->mtime = rnd_evil64(); a->ctime = rnd_evil64(); break;
		case 2: a->blksize = rnd_evil32(); break;
		case 3: a->blocks = rnd_evil64(); break;
		case 4: a->ino = rnd_evil64(); break;
		default: a->rdev = rnd_evil32(); a->flags = rnd_evil32(); break;
		}
	}
}

/* Walk the records of a READDIR(PLUS) body; damage the one chosen. */
static void damage_dirents(struct reply *r, enum kind k)
{
	size_t pos = 0, nrec = 0, pick, hdr;
	bool plus = r->body == B_DIRENTPLUS;
	struct fuse_dirent *d;

	hdr = plus ? offsetof(struct fuse_direntplus, dirent) : 0;
	while (pos + hdr + FUSE_NAME_OFFSET <= r->len) {
		d = (struct fuse_dirent *)(r->buf + pos + hdr);
		nrec++;
		pos += FUSE_DIRENT_ALIGN(hdr + FUSE_NAME_OFFSET + d->namelen);
	}
	if (!nrec)
		return;
	pick = rnd_below(nrec);
	for (pos = 0; pick--; ) {
		d = (struct fuse_dirent *)(r->buf + pos + hdr);
		pos += FUSE_DIRENT_ALIGN(hdr + FUSE_NAME_OFFSET + d->namelen);
	}
	d = (struct fuse_dirent *)(r->buf + pos + hdr);
	switch (k) {
	case K_DIRENT_NAME:
		switch (rnd_below(4)) {
		case 0: if (d->namelen) d->name[rnd_below(d->namelen)] = '/'; break;
		case 1: if (d->namelen) d->name[rnd_below(d->namelen)] = '\0'; break;
		case 2: memcpy(d->name, "..", d->namelen < 2 ? d->namelen : 2);
			d->namelen = d->namelen < 2 ? d->namelen : 2; break;
		default: d->name[0] = '.'; d->namelen = 1; break;
		}
		break;
	case K_DIRENT_NAMELEN:
		switch (rnd_below(4)) {
		case 0: d->namelen = 0; break;
		case 1: d->namelen += 8 + rnd_below(200); break;
		case 2: d->namelen = 1024 + rnd_below(4096); break;
		default: d->namelen = rnd_evil32(); break;
		}
		break;
	case K_DIRENT_OFF:
		d->off = chance(300) ? 0 : rnd_evil64();
		break;
	case K_DIRENT_INO:
		d->ino = rnd_evil64();
		break;
	case K_DIRENT_TYPE:
		d->type = chance(500) ? rnd_below(16) : rnd_evil32();
		break;
	case K_ENTRY_NODEID:
	case K_ENTRY_GEN:
	case K_ATTR_MODE:
	case K_ATTR_SIZE:
	case K_ATTR_NLINK0:
	case K_ATTR_MISC:
	case K_VALID_HUGE: {
		struct fuse_entry_out *e = (struct fuse_entry_out *)(r->buf + pos);

		if (!plus)
			break;
		if (k == K_ENTRY_NODEID)
			e->nodeid = entry_nodeid();
		else if (k == K_ENTRY_GEN)
			e->generation = rnd_evil64();
		else if (k == K_VALID_HUGE)
			e->entry_valid = e->attr_valid = ~0ULL;
		else
			damage_attr(&e->attr, k);
		break;
	}
	default:
		break;
	}
}

/*
 * Which kinds make sense for this reply: a list to pick from.  Mostly
 * (when @framing is false and the reply has a structure) only the kinds
 * that damage its contents: the framing kinds are refused by the device
 * and never reach the code that parses a reply.
 */
static size_t applicable(const struct reply *r, enum kind *out, bool framing)
{
	size_t n = 0;
	enum kind k;

	if (r->error || r->body == B_NONE || r->body == B_DATA)
		framing = true;
	if (framing) {
		for (k = K_LEN_SHORT; k <= K_ERR_WITH_BODY; k++)
			out[n++] = k;
		out[n++] = K_UNIQUE_WRONG;
		out[n++] = K_UNIQUE_DUP;
		out[n++] = K_UNIQUE_STALE;
		out[n++] = K_UNIQUE_INTR;
	}
	if (r->len)
		out[n++] = K_BODY_RANDOM;
	if (r->error)
		return n;
	if (has_attr(r->body) || r->body == B_DIRENTPLUS) {
		out[n++] = K_ATTR_MODE;
		out[n++] = K_ATTR_SIZE;
		out[n++] = K_ATTR_NLINK0;
		out[n++] = K_ATTR_MISC;
		out[n++] = K_VALID_HUGE;
	}
	if (r->body == B_ENTRY || r->body == B_CREATE || r->body == B_DIRENTPLUS) {
		out[n++] = K_ENTRY_NODEID;
		out[n++] = K_ENTRY_GEN;
	}
	if (r->body == B_DIRENTS || r->body == B_DIRENTPLUS) {
		out[n++] = K_DIRENT_NAME;
		out[n++] = K_DIRENT_NAMELEN;
		out[n++] = K_DIRENT_OFF;
		out[n++] = K_DIRENT_INO;
		out[n++] = K_DIRENT_TYPE;
	}
	if (r->body == B_OPEN || r->body == B_CREATE)
		out[n++] = K_OPEN_FLAGS;
	if (r->body == B_WRITE)
		out[n++] = K_WRITE_SIZE;
	if (r->body == B_XATTR_SIZE || r->body == B_DATA)
		out[n++] = K_XATTR_SIZE;
	if (r->body == B_STATFS)
		out[n++] = K_STATFS;
	return n;
}

/*
 * Change the body (and r->error, r->len) for kinds that are about the
 * contents.  Returns false for kinds handled by the caller.
 */
static bool damage_body(struct reply *r, enum kind k)
{
	switch (k) {
	case K_BODY_RANDOM:
		rnd_fill(r->buf, r->len);
		return true;
	case K_ATTR_MODE:
	case K_ATTR_SIZE:
	case K_ATTR_NLINK0:
	case K_ATTR_MISC:
		if (r->body == B_DIRENTPLUS)
			damage_dirents(r, k);
		else
			damage_attr(reply_attr(r), k);
		return true;
	case K_VALID_HUGE:
		if (r->body == B_DIRENTPLUS) {
			damage_dirents(r, k);
		} else if (r->body == B_ATTR) {
			((struct fuse_attr_out *)r->buf)->attr_valid = ~0ULL;
			((struct fuse_attr_out *)r->buf)->attr_valid_nsec = rnd_evil32();
		} else {
			struct fuse_entry_out *e = (void *)r->buf;

			e->entry_valid = rnd_evil64();
			e->attr_valid = ~0ULL;
			e->entry_valid_nsec = rnd_evil32();
		}
		return true;
	case K_ENTRY_NODEID:
	case K_ENTRY_GEN:
		if (r->body == B_DIRENTPLUS) {
			damage_dirents(r, k);
		} else {
			struct fuse_entry_out *e = (void *)r->buf;

			if (k == K_ENTRY_GEN)
				e->generation = rnd_evil64();
			else
				e->nodeid = entry_nodeid();
		}
		return true;
	case K_DIRENT_NAME:
	case K_DIRENT_NAMELEN:
	case K_DIRENT_OFF:
	case K_DIRENT_INO:
	case K_DIRENT_TYPE:
		damage_dirents(r, k);
		return true;
	case K_OPEN_FLAGS: {
		struct fuse_open_out *o = (void *)(r->buf +
			(r->body == B_CREATE ? sizeof(struct fuse_entry_out) : 0));

		o->open_flags = chance(500) ? 1U << rnd_below(32) : (uint32_t)rnd();
		if (chance(500))
			o->backing_id = (int32_t)rnd_evil32();
		return true;
	}
	case K_WRITE_SIZE:
		((struct fuse_write_out *)r->buf)->size = rnd_evil32();
		return true;
	case K_XATTR_SIZE:
		if (r->body == B_XATTR_SIZE)
			((struct fuse_getxattr_out *)r->buf)->size = rnd_evil32();
		else if (r->len + 64 < sizeof(r->buf))	/* value longer than asked */
			r->len += 1 + rnd_below(64);
		return true;
	case K_STATFS: {
		struct fuse_kstatfs *st = &((struct fuse_statfs_out *)r->buf)->st;

		st->bsize = chance(300) ? 0 : rnd_evil32();
		st->frsize = chance(300) ? 0 : rnd_evil32();
		st->namelen = rnd_evil32();
		st->blocks = rnd_evil64();
		st->bfree = rnd_evil64();
		return true;
	}
	default:
		return false;
	}
}

static void count(enum kind k, int err)
{
	stats.kind_sent[k]++;
	if (err)
		stats.kind_rejected[k]++;
	if (err)
		stats.rejected++;
}

/* ---- sending replies, some damaged ---- */

/*
 * Send @r as the reply to @q.  With probability s->rate/1000 one damage
 * kind is applied first; whenever the kernel refused the damaged write
 * (so the request still waits) the true reply follows, so no request is
 * left hanging by the fuzzing itself.
 */
static void send_reply(struct server *s, const struct request *q, struct reply *r)
{
	enum kind list[NR_KINDS], k;
	struct fuse_out_header oh;
	size_t n, len;
	int err;

	stats.replies++;
	remember(s->recent, &s->recent_pos, q->h.unique);
	if (s->grace)
		s->grace--;
	if (s->grace || !chance(s->rate)) {
		send_plain(s, q->h.unique, r->error, r->buf, r->error ? 0 : r->len);
		return;
	}
	stats.damaged++;
	n = applicable(r, list, chance(300));
	k = list[rnd_below(n)];
	/*
	 * The root's attributes stay valid (mostly): see some_nodeid().
	 * Also in stock fuse, one invalid type or size makes it bad for good.
	 */
	if ((k == K_ATTR_MODE || k == K_ATTR_SIZE || k == K_BODY_RANDOM) &&
	    q->h.nodeid == FUSE_ROOT_ID && r->body == B_ATTR && !chance(ROOT_DAMAGE))
		k = K_ATTR_MISC;
	len = r->error ? 0 : r->len;
	oh.unique = q->h.unique;
	oh.error = -r->error;
	oh.len = sizeof(oh) + len;

	switch (k) {
	case K_UNIQUE_DUP:
		err = write_msg(s, &oh, r->buf, len);
		count(k, write_msg(s, &oh, r->buf, len));
		if (err)
			raw_log("true reply to unique %llu refused: %s",
				(unsigned long long)oh.unique, strerror(err));
		return;
	case K_UNIQUE_WRONG:
	case K_UNIQUE_STALE:
	case K_UNIQUE_INTR:
		if (k == K_UNIQUE_WRONG)
			oh.unique = chance(500) ? rnd() : q->h.unique + 2 * (1 + rnd_below(8));
		else if (k == K_UNIQUE_STALE)
			oh.unique = recall(s->recent, s->recent_pos);
		else
			oh.unique = s->intr_pos ? recall(s->intr, s->intr_pos) : q->h.unique | 1;
		count(k, write_msg(s, &oh, r->buf, len));
		break;
	case K_LEN_SHORT:
		oh.len = sizeof(oh) + (len ? rnd_below((uint32_t)len) : 0);
		if (chance(200))
			oh.len = rnd_below(sizeof(oh));
		count(k, write_msg(s, &oh, r->buf, len));
		break;
	case K_LEN_LONG:
		oh.len += 1 + (chance(500) ? rnd_below(64) : rnd_evil32());
		count(k, write_msg(s, &oh, r->buf, len));
		break;
	case K_BODY_SHORT:
		len = len ? rnd_below((uint32_t)len) : 0;
		oh.len = sizeof(oh) + len;
		oh.error = 0;
		count(k, write_msg(s, &oh, r->buf, len));
		return;		/* accepted or not: the kernel had its answer */
	case K_BODY_LONG:
		len += 1 + rnd_below(256);
		if (len > sizeof(r->buf))
			len = sizeof(r->buf);
		memset(r->buf + (r->error ? 0 : r->len), 0xa5, len - (r->error ? 0 : r->len));
		oh.len = sizeof(oh) + len;
		count(k, write_msg(s, &oh, r->buf, len));
		break;
	case K_ERR_POSITIVE:
		oh.error = 1 + rnd_below(200);
		oh.len = sizeof(oh);
		count(k, write_msg(s, &oh, NULL, 0));
		break;
	case K_ERR_HUGE:
		oh.error = chance(500) ? -4096 - (int)rnd_below(100000) : INT32_MIN;
		oh.len = sizeof(oh);
		count(k, write_msg(s, &oh, NULL, 0));
		break;
	case K_ERR_ZERO_EMPTY:
		oh.error = 0;
		oh.len = sizeof(oh);
		count(k, write_msg(s, &oh, NULL, 0));
		return;
	case K_ERR_WITH_BODY:
		oh.error = -(1 + (int)rnd_below(130));
		len = 8 + rnd_below(128);
		rnd_fill(r->buf, len);
		oh.len = sizeof(oh) + len;
		count(k, write_msg(s, &oh, r->buf, len));
		return;
	default:
		damage_body(r, k);
		oh.len = sizeof(oh) + r->len;
		count(k, write_msg(s, &oh, r->buf, r->len));
		return;		/* the damaged reply is the answer */
	}
	/*
	 * The kinds that break the framing or the unique: the request is
	 * still waiting unless the kernel took the damaged write for its
	 * answer, which the write's result does not always tell (a wrong
	 * unique matching another waiting request is accepted); sending
	 * the true reply again is harmless when it was.
	 */
	send_plain(s, q->h.unique, r->error, r->buf, r->error ? 0 : r->len);
}

static void reply_err(struct server *s, const struct request *q, int err)
{
	rep.error = err;
	rep.body = B_NONE;
	rep.len = 0;
	send_reply(s, q, &rep);
}

static void reply_ok(struct server *s, const struct request *q, enum body b,
		     const void *body, size_t len)
{
	rep.error = 0;
	rep.body = b;
	rep.len = len;
	if (body != rep.buf)
		memcpy(rep.buf, body, len);
	send_reply(s, q, &rep);
}

/* ---- notifications ---- */

static size_t notify_body(unsigned int code, unsigned char *buf, size_t max)
{
	size_t len = rnd_below(chance(800) ? 64 : (uint32_t)max);
	const char *names[] = { "hello", "big", "sub", "w", "a", "deep", "f1", "d0", "" };
	const char *name = names[rnd_below(sizeof(names) / sizeof(names[0]))];

	rnd_fill(buf, max < 512 ? max : 512);
	if (chance(300))
		return len;
	/* plausible headers, so the parsers get past their first checks */
	switch (code) {
	case FUSE_NOTIFY_INVAL_INODE: {
		struct fuse_notify_inval_inode_out *o = (void *)buf;

		o->ino = chance(700) ? some_nodeid() : rnd_evil64();
		o->off = (int64_t)(chance(500) ? rnd_below(4096) : rnd_evil64());
		o->len = (int64_t)(chance(500) ? rnd_below(8192) : rnd_evil64());
		return sizeof(*o) + (chance(800) ? 0 : rnd_below(16));
	}
	case FUSE_NOTIFY_INVAL_ENTRY:
	case FUSE_NOTIFY_DELETE: {
		size_t hl = code == FUSE_NOTIFY_DELETE ?
			sizeof(struct fuse_notify_delete_out) :
			sizeof(struct fuse_notify_inval_entry_out);
		uint32_t nl = (uint32_t)strlen(name);
		/* the tree's directories: /, /sub, /sub/deep, /w */
		static const uint64_t dirs[] = { 1, 7, 9, 12 };
		uint64_t parent = chance(600) ? dirs[rnd_below(4)] :
				  chance(500) ? some_nodeid() : rnd_evil64();

		if (code == FUSE_NOTIFY_DELETE) {
			struct fuse_notify_delete_out *o = (void *)buf;

			o->parent = parent;
			o->child = some_nodeid();
			o->namelen = chance(800) ? nl : rnd_evil32();
		} else {
			struct fuse_notify_inval_entry_out *o = (void *)buf;

			o->parent = parent;
			o->namelen = chance(800) ? nl : rnd_evil32();
			o->flags = chance(700) ? 0 : rnd_evil32();
		}
		memcpy(buf + hl, name, nl + 1);
		if (chance(100))
			buf[hl + nl] = 'z';	/* no terminating NUL */
		return hl + nl + (chance(800) ? 1 : rnd_below(3));
	}
	case FUSE_NOTIFY_STORE:
	case FUSE_NOTIFY_RETRIEVE:
		if (code == FUSE_NOTIFY_STORE) {
			struct fuse_notify_store_out *o = (void *)buf;

			o->nodeid = chance(700) ? some_nodeid() : rnd_evil64();
			o->offset = chance(600) ? rnd_below(400000) : rnd_evil64();
			o->size = chance(600) ? rnd_below(9000) : rnd_evil32();
			len = sizeof(*o) + (chance(600) ? o->size : rnd_below(9000));
		} else {
			struct fuse_notify_retrieve_out *o = (void *)buf;

			o->notify_unique = rnd();
			o->nodeid = chance(700) ? some_nodeid() : rnd_evil64();
			o->offset = chance(600) ? rnd_below(400000) : rnd_evil64();
			o->size = chance(600) ? rnd_below(70000) : rnd_evil32();
			len = sizeof(*o) + (chance(900) ? 0 : rnd_below(16));
		}
		return len < max ? len : max;
	default:
		return len;
	}
}

static void send_notify(struct server *s)
{
	static unsigned char buf[16384];
	unsigned int code = rnd_below(NR_NOTIFY);
	struct fuse_out_header oh = { .unique = 0 };
	size_t len;
	int err;

	if (code == NR_NOTIFY - 1)
		code = 11 + rnd_below(1000);
	len = notify_body(code, buf, sizeof(buf));
	oh.error = (int32_t)code;
	oh.len = sizeof(oh) + len;
	if (chance(50))
		oh.len = sizeof(oh) + len + 1 + rnd_below(100);
	err = write_msg(s, &oh, buf, len);
	code = code < NR_NOTIFY ? code : NR_NOTIFY - 1;
	pthread_mutex_lock(&stats_lock);
	stats.notify++;
	stats.notify_sent[code]++;
	stats.kind_sent[K_NOTIFY]++;
	if (err) {
		stats.notify_rejected[code]++;
		stats.kind_rejected[K_NOTIFY]++;
	}
	pthread_mutex_unlock(&stats_lock);
}

/*
 * Notifications come from a thread of their own, one per token the main
 * loop drops into a pipe: applying one may wait for a directory or page
 * lock that a caller holds while its request waits to be read, so the
 * main loop must go on reading meanwhile (as in any multi-threaded
 * server).  When the notifier is behind, tokens are dropped.
 */
static void *notifier(void *arg)
{
	struct server *s = arg;
	char token;

	rng_state = s->seed ^ 0x6e6f74696679ULL;
	while (read(s->notify_pipe[0], &token, 1) == 1)
		send_notify(s);
	return NULL;
}

static void notify_soon(struct server *s)
{
	char token = 0;

	if (write(s->notify_pipe[1], &token, 1) < 0 && errno != EAGAIN)
		raw_log("notify pipe: %s", strerror(errno));
}

/* ---- operations ---- */

static const char *arg_name(const struct request *q, size_t off)
{
	if (q->arglen <= off || !memchr(q->arg + off, 0, q->arglen - off))
		return NULL;
	return (const char *)q->arg + off;
}

static void fill_entry(struct fuse_entry_out *e, struct node *n)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = n->id;
	e->entry_valid = rnd_below(3);
	e->attr_valid = rnd_below(3);
	e->attr_valid_nsec = rnd_below(1000000000);
	fill_attr(n, &e->attr);
	n->nlookup++;
}

static void reply_entry(struct server *s, const struct request *q, struct node *n)
{
	struct fuse_entry_out *e = (void *)rep.buf;

	fill_entry(e, n);
	reply_ok(s, q, B_ENTRY, e, sizeof(*e));
}

static void do_lookup(struct server *s, const struct request *q)
{
	const char *name = arg_name(q, 0);
	struct dent *d;

	if (!name)
		return reply_err(s, q, EINVAL);
	d = dent_find(q->h.nodeid, name);
	if (!d || !node_get(d->child))
		return reply_err(s, q, ENOENT);
	reply_entry(s, q, node_get(d->child));
}

static void forget_one(uint64_t id, uint64_t nlookup)
{
	struct node *n = node_get(id);

	if (!n)
		return;
	n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
	node_put_maybe(n);
}

static void do_forget(const struct request *q)
{
	const struct fuse_batch_forget_in *b = (const void *)q->arg;
	const struct fuse_forget_one *one;
	uint32_t i;

	if (q->h.opcode == FUSE_FORGET) {
		if (q->arglen >= sizeof(struct fuse_forget_in))
			forget_one(q->h.nodeid, ((const struct fuse_forget_in *)q->arg)->nlookup);
		return;
	}
	if (q->arglen < sizeof(*b))
		return;
	one = (const void *)(b + 1);
	for (i = 0; i < b->count && (i + 1) * sizeof(*one) + sizeof(*b) <= q->arglen; i++)
		forget_one(one[i].nodeid, one[i].nlookup);
}

static void reply_attr_of(struct server *s, const struct request *q, struct node *n)
{
	struct fuse_attr_out *o = (void *)rep.buf;

	memset(o, 0, sizeof(*o));
	o->attr_valid = rnd_below(3);
	fill_attr(n, &o->attr);
	reply_ok(s, q, B_ATTR, o, sizeof(*o));
}

static int resize(struct node *n, uint64_t size)
{
	unsigned char *p;

	if (size > MAX_FILE)
		return EFBIG;
	p = realloc(n->data, size ? size : 1);
	if (!p)
		return ENOMEM;
	if (size > n->size)
		memset(p + n->size, 0, size - n->size);
	n->data = p;
	n->size = size;
	return 0;
}

static void do_setattr(struct server *s, const struct request *q, struct node *n)
{
	const struct fuse_setattr_in *in = (const void *)q->arg;
	int err;

	if (q->arglen < sizeof(*in))
		return reply_err(s, q, EINVAL);
	if (in->valid & FATTR_SIZE) {
		if (!S_ISREG(n->mode))
			return reply_err(s, q, EINVAL);
		err = resize(n, in->size);
		if (err)
			return reply_err(s, q, err);
		n->mtime = ++now_sec;
	}
	if (in->valid & FATTR_MODE)
		n->mode = (n->mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FATTR_UID)
		n->uid = in->uid;
	if (in->valid & FATTR_GID)
		n->gid = in->gid;
	if (in->valid & FATTR_MTIME)
		n->mtime = in->mtime;
	if (in->valid & FATTR_ATIME)
		n->atime = in->atime;
	n->ctime = ++now_sec;
	reply_attr_of(s, q, n);
}

static void do_readlink(struct server *s, const struct request *q, struct node *n)
{
	if (!S_ISLNK(n->mode))
		return reply_err(s, q, EINVAL);
	reply_ok(s, q, B_DATA, n->data, n->size);
}

/*
 * Can NAME be added to q's directory?  Returns the directory, or NULL
 * after answering the request with the reason it cannot.
 */
static struct node *check_new(struct server *s, const struct request *q,
			      const char *name)
{
	struct node *dir = node_get(q->h.nodeid);
	int err = 0;

	if (!name)
		err = EINVAL;
	else if (!dir || !S_ISDIR(dir->mode))
		err = ENOTDIR;
	else if (strlen(name) > MAX_NAME)
		err = ENAMETOOLONG;
	else if (dent_find(dir->id, name))
		err = EEXIST;
	if (!err)
		return dir;
	reply_err(s, q, err);
	return NULL;
}

/* MKNOD, MKDIR, SYMLINK, CREATE: a new node named NAME in q's node. */
static struct node *new_child(struct server *s, const struct request *q,
			      const char *name, uint32_t mode)
{
	struct node *dir = check_new(s, q, name), *n;

	if (!dir)
		return NULL;
	n = node_new(mode);
	if (n && !dent_add(dir->id, name, n->id)) {
		memset(n, 0, sizeof(*n));
		n = NULL;
	}
	if (!n) {
		reply_err(s, q, ENOSPC);
		return NULL;
	}
	if (S_ISDIR(mode))
		dir->nlink++;
	dir->mtime = dir->ctime = ++now_sec;
	n->uid = q->h.uid;
	n->gid = q->h.gid;
	return n;
}

static void do_mknod(struct server *s, const struct request *q)
{
	const struct fuse_mknod_in *in = (const void *)q->arg;
	struct node *n;

	if (q->arglen < sizeof(*in))
		return reply_err(s, q, EINVAL);
	if (!S_ISREG(in->mode) && !S_ISFIFO(in->mode))
		return reply_err(s, q, EPERM);
	n = new_child(s, q, arg_name(q, sizeof(*in)), in->mode & (S_IFMT | 07777));
	if (n)
		reply_entry(s, q, n);
}

static void do_mkdir(struct server *s, const struct request *q)
{
	const struct fuse_mkdir_in *in = (const void *)q->arg;
	struct node *n;

	if (q->arglen < sizeof(*in))
		return reply_err(s, q, EINVAL);
	n = new_child(s, q, arg_name(q, sizeof(*in)), S_IFDIR | (in->mode & 07777));
	if (n)
		reply_entry(s, q, n);
}

static void do_symlink(struct server *s, const struct request *q)
{
	const char *name = arg_name(q, 0), *target;
	struct node *n;

	target = name ? arg_name(q, strlen(name) + 1) : NULL;
	if (!target)
		return reply_err(s, q, EINVAL);
	n = new_child(s, q, name, S_IFLNK | 0777);
	if (!n)
		return;
	set_data(n, target, strlen(target));
	reply_entry(s, q, n);
}

static void do_create(struct server *s, const struct request *q)
{
	const struct fuse_create_in *in = (const void *)q->arg;
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} *out = (void *)rep.buf;
	struct node *n;

	if (q->arglen < sizeof(*in))
		return reply_err(s, q, EINVAL);
	n = new_child(s, q, arg_name(q, sizeof(*in)), S_IFREG | (in->mode & 07777));
	if (!n)
		return;
	fill_entry(&out->e, n);
	memset(&out->o, 0, sizeof(out->o));
	out->o.fh = n->id;
	n->nopen++;
	reply_ok(s, q, B_CREATE, out, sizeof(*out));
}

static void unlink_dent(struct dent *d)
{
	struct node *n = node_get(d->child), *dir = node_get(d->parent);

	d->parent = 0;
	if (dir)
		dir->mtime = dir->ctime = ++now_sec;
	if (!n)
		return;
	if (S_ISDIR(n->mode)) {
		n->nlink = 0;
		if (dir)
			dir->nlink--;
	} else if (n->nlink) {
		n->nlink--;
	}
	n->ctime = now_sec;
	node_put_maybe(n);
}

static void do_remove(struct server *s, const struct request *q, bool dir)
{
	const char *name = arg_name(q, 0);
	struct dent *d;
	struct node *n;

	if (!name)
		return reply_err(s, q, EINVAL);
	d = dent_find(q->h.nodeid, name);
	n = d ? node_get(d->child) : NULL;
	if (!n)
		return reply_err(s, q, ENOENT);
	if (dir && !S_ISDIR(n->mode))
		return reply_err(s, q, ENOTDIR);
	if (!dir && S_ISDIR(n->mode))
		return reply_err(s, q, EISDIR);
	if (dir && !dir_empty(n->id))
		return reply_err(s, q, ENOTEMPTY);
	unlink_dent(d);
	reply_err(s, q, 0);
}

/* Is @anc an ancestor of (or the same as) directory @id? */
static bool is_ancestor(uint64_t anc, uint64_t id)
{
	size_t i, depth;

	for (depth = 0; depth < 64 && id; depth++) {
		if (id == anc)
			return true;
		if (id == FUSE_ROOT_ID)
			return false;
		for (i = 0; i < MAX_ENTS; i++)
			if (ents[i].parent && ents[i].child == id)
				break;
		if (i == MAX_ENTS)
			return false;
		id = ents[i].parent;
	}
	return false;
}

static void do_rename(struct server *s, const struct request *q)
{
	size_t hl = q->h.opcode == FUSE_RENAME2 ? sizeof(struct fuse_rename2_in) :
						   sizeof(struct fuse_rename_in);
	const struct fuse_rename2_in *in = (const void *)q->arg;
	const char *from = arg_name(q, hl), *to;
	struct dent *d, *t;
	struct node *n, *tn;
	uint32_t flags;

	to = from ? arg_name(q, hl + strlen(from) + 1) : NULL;
	if (q->arglen < hl || !to)
		return reply_err(s, q, EINVAL);
	flags = q->h.opcode == FUSE_RENAME2 ? in->flags : 0;
	if (flags & ~1U)		/* NOREPLACE only */
		return reply_err(s, q, EINVAL);
	d = dent_find(q->h.nodeid, from);
	n = d ? node_get(d->child) : NULL;
	if (!n || !node_get(in->newdir))
		return reply_err(s, q, ENOENT);
	if (strlen(to) > MAX_NAME)
		return reply_err(s, q, ENAMETOOLONG);
	if (S_ISDIR(n->mode) && is_ancestor(n->id, in->newdir))
		return reply_err(s, q, EINVAL);
	t = dent_find(in->newdir, to);
	tn = t ? node_get(t->child) : NULL;
	if (t == d)
		return reply_err(s, q, 0);
	if (t && (flags & 1))
		return reply_err(s, q, EEXIST);
	if (tn && S_ISDIR(tn->mode) && (!S_ISDIR(n->mode) || !dir_empty(tn->id)))
		return reply_err(s, q, S_ISDIR(n->mode) ? ENOTEMPTY : EISDIR);
	if (tn && !S_ISDIR(tn->mode) && S_ISDIR(n->mode))
		return reply_err(s, q, ENOTDIR);
	if (t)
		unlink_dent(t);
	if (S_ISDIR(n->mode) && d->parent != in->newdir) {
		node_get(d->parent)->nlink--;
		node_get(in->newdir)->nlink++;
	}
	d->parent = 0;
	dent_add(in->newdir, to, n->id);
	n->ctime = ++now_sec;
	reply_err(s, q, 0);
}

static void do_link(struct server *s, const struct request *q)
{
	const struct fuse_link_in *in = (const void *)q->arg;
	const char *name = arg_name(q, sizeof(*in));
	struct node *n, *dir;

	if (q->arglen < sizeof(*in))
		return reply_err(s, q, EINVAL);
	n = node_get(in->oldnodeid);
	if (!n || S_ISDIR(n->mode))
		return reply_err(s, q, EPERM);
	dir = check_new(s, q, name);
	if (!dir)
		return;
	if (!dent_add(dir->id, name, n->id))
		return reply_err(s, q, ENOSPC);
	n->nlink++;
	n->ctime = dir->mtime = ++now_sec;
	reply_entry(s, q, n);
}

static void do_open(struct server *s, const struct request *q, struct node *n, bool dir)
{
	struct fuse_open_out *o = (void *)rep.buf;

	if (dir != !!S_ISDIR(n->mode))
		return reply_err(s, q, dir ? ENOTDIR : EISDIR);
	memset(o, 0, sizeof(*o));
	o->fh = n->id;
	if (!dir && chance(100))
		o->open_flags = FOPEN_KEEP_CACHE;
	/* directories: the listing cache, filled from (mutated) replies */
	if (dir && chance(300))
		o->open_flags = FOPEN_CACHE_DIR |
				(chance(500) ? FOPEN_KEEP_CACHE : 0);
	n->nopen++;
	reply_ok(s, q, B_OPEN, o, sizeof(*o));
}

static void do_release(struct server *s, const struct request *q, struct node *n)
{
	if (n && n->nopen) {
		n->nopen--;
		node_put_maybe(n);
	}
	reply_err(s, q, 0);
}

static void do_read(struct server *s, const struct request *q, struct node *n)
{
	const struct fuse_read_in *in = (const void *)q->arg;
	size_t cnt;

	if (q->arglen < offsetof(struct fuse_read_in, lock_owner))
		return reply_err(s, q, EINVAL);
	if (!S_ISREG(n->mode))
		return reply_err(s, q, EISDIR);
	if (in->offset >= n->size)
		return reply_ok(s, q, B_DATA, NULL, 0);
	cnt = n->size - in->offset;
	if (cnt > in->size)
		cnt = in->size;
	if (cnt > sizeof(rep.buf) - 512)
		cnt = sizeof(rep.buf) - 512;
	reply_ok(s, q, B_DATA, n->data + in->offset, cnt);
}

static void do_write(struct server *s, const struct request *q, struct node *n)
{
	const struct fuse_write_in *in = (const void *)q->arg;
	struct fuse_write_out *o = (void *)rep.buf;
	int err;

	if (q->arglen < sizeof(*in) || q->arglen - sizeof(*in) < in->size)
		return reply_err(s, q, EINVAL);
	if (!S_ISREG(n->mode))
		return reply_err(s, q, EISDIR);
	if (in->offset + in->size > n->size) {
		err = resize(n, in->offset + in->size);
		if (err)
			return reply_err(s, q, err);
	}
	memcpy(n->data + in->offset, q->arg + sizeof(*in), in->size);
	n->mtime = n->ctime = ++now_sec;
	memset(o, 0, sizeof(*o));
	o->size = in->size;
	reply_ok(s, q, B_WRITE, o, sizeof(*o));
}

static void do_statfs(struct server *s, const struct request *q)
{
	struct fuse_statfs_out *o = (void *)rep.buf;

	memset(o, 0, sizeof(*o));
	o->st.blocks = 100000;
	o->st.bfree = o->st.bavail = 50000;
	o->st.files = MAX_NODES;
	o->st.ffree = MAX_NODES / 2;
	o->st.bsize = o->st.frsize = 4096;
	o->st.namelen = MAX_NAME;
	reply_ok(s, q, B_STATFS, o, sizeof(*o));
}

/* ---- xattrs ---- */

static struct xattr *xa_find(struct node *n, const char *name)
{
	int i;

	for (i = 0; i < MAX_XATTRS; i++)
		if (n->xa[i].used && strcmp(n->xa[i].name, name) == 0)
			return &n->xa[i];
	return NULL;
}

static void do_setxattr(struct server *s, const struct request *q, struct node *n)
{
	/* SETXATTR_EXT is not offered: the short form */
	const struct fuse_setxattr_in *in = (const void *)q->arg;
	size_t hl = FUSE_COMPAT_SETXATTR_IN_SIZE;
	const char *name = arg_name(q, hl);
	struct xattr *x;
	int i;

	if (!name || q->arglen < hl + strlen(name) + 1 + in->size)
		return reply_err(s, q, EINVAL);
	if (strlen(name) > XNAME_MAX || in->size > XVAL_MAX)
		return reply_err(s, q, ERANGE);
	x = xa_find(n, name);
	if (x && (in->flags & 1))		/* XATTR_CREATE */
		return reply_err(s, q, EEXIST);
	if (!x && (in->flags & 2))		/* XATTR_REPLACE */
		return reply_err(s, q, ENODATA);
	for (i = 0; !x && i < MAX_XATTRS; i++)
		if (!n->xa[i].used)
			x = &n->xa[i];
	if (!x)
		return reply_err(s, q, ENOSPC);
	x->used = true;
	snprintf(x->name, sizeof(x->name), "%s", name);
	memcpy(x->value, q->arg + hl + strlen(name) + 1, in->size);
	x->size = in->size;
	reply_err(s, q, 0);
}

/* GETXATTR and LISTXATTR: size 0 asks for the size only. */
static void reply_xattr_data(struct server *s, const struct request *q,
			     const void *data, uint32_t size)
{
	const struct fuse_getxattr_in *in = (const void *)q->arg;
	struct fuse_getxattr_out *o = (void *)rep.buf;

	if (q->arglen < sizeof(*in))
		return reply_err(s, q, EINVAL);
	if (!in->size) {
		memset(o, 0, sizeof(*o));
		o->size = size;
		return reply_ok(s, q, B_XATTR_SIZE, o, sizeof(*o));
	}
	if (in->size < size)
		return reply_err(s, q, ERANGE);
	reply_ok(s, q, B_DATA, data, size);
}

static void do_getxattr(struct server *s, const struct request *q, struct node *n)
{
	const char *name = arg_name(q, sizeof(struct fuse_getxattr_in));
	struct xattr *x = name ? xa_find(n, name) : NULL;

	if (!x)
		return reply_err(s, q, ENODATA);
	reply_xattr_data(s, q, x->value, x->size);
}

static void do_listxattr(struct server *s, const struct request *q, struct node *n)
{
	char list[MAX_XATTRS * (XNAME_MAX + 1)];
	uint32_t len = 0;
	int i;

	for (i = 0; i < MAX_XATTRS; i++) {
		if (!n->xa[i].used)
			continue;
		memcpy(list + len, n->xa[i].name, strlen(n->xa[i].name) + 1);
		len += strlen(n->xa[i].name) + 1;
	}
	reply_xattr_data(s, q, list, len);
}

static void do_removexattr(struct server *s, const struct request *q, struct node *n)
{
	const char *name = arg_name(q, 0);
	struct xattr *x = name ? xa_find(n, name) : NULL;

	if (!x)
		return reply_err(s, q, ENODATA);
	x->used = false;
	reply_err(s, q, 0);
}

/* ---- directories ---- */

static uint32_t dtype(uint32_t mode)
{
	if (S_ISDIR(mode))
		return DT_DIR;
	if (S_ISLNK(mode))
		return DT_LNK;
	if (S_ISFIFO(mode))
		return DT_FIFO;
	return DT_REG;
}

/* Append one record; false when it does not fit in @max. */
static bool put_dirent(bool plus, size_t *used, size_t max, struct node *n,
		       const char *name, uint64_t off)
{
	size_t nl = strlen(name), hdr = plus ? sizeof(struct fuse_entry_out) : 0;
	size_t rec = FUSE_DIRENT_ALIGN(hdr + FUSE_NAME_OFFSET + nl);
	struct fuse_dirent *d;

	if (*used + rec > max)
		return false;
	memset(rep.buf + *used, 0, rec);
	d = (struct fuse_dirent *)(rep.buf + *used + hdr);
	d->ino = n->id;
	d->off = off;
	d->namelen = (uint32_t)nl;
	d->type = dtype(n->mode);
	memcpy(d->name, name, nl);
	/* "." and ".." carry no entry: nodeid 0 tells the kernel to skip */
	if (plus && strcmp(name, ".") && strcmp(name, ".."))
		fill_entry((struct fuse_entry_out *)(rep.buf + *used), n);
	*used += rec;
	return true;
}

static void do_readdir(struct server *s, const struct request *q, struct node *dir)
{
	const struct fuse_read_in *in = (const void *)q->arg;
	bool plus = q->h.opcode == FUSE_READDIRPLUS;
	size_t used = 0, max, i;
	struct node *parent = dir;

	if (q->arglen < offsetof(struct fuse_read_in, lock_owner))
		return reply_err(s, q, EINVAL);
	if (!S_ISDIR(dir->mode))
		return reply_err(s, q, ENOTDIR);
	max = in->size < sizeof(rep.buf) - 4096 ? in->size : sizeof(rep.buf) - 4096;
	for (i = 0; i < MAX_ENTS; i++)
		if (ents[i].parent && ents[i].child == dir->id && node_get(ents[i].parent))
			parent = node_get(ents[i].parent);
	/* offsets: "." 1, ".." 2, entry slot i: i + 3 */
	if (in->offset < 1 && !put_dirent(plus, &used, max, dir, ".", 1))
		goto out;
	if (in->offset < 2 && !put_dirent(plus, &used, max, parent, "..", 2))
		goto out;
	for (i = in->offset > 2 ? in->offset - 2 : 0; i < MAX_ENTS; i++) {
		struct node *n;

		if (ents[i].parent != dir->id || !(n = node_get(ents[i].child)))
			continue;
		if (!put_dirent(plus, &used, max, n, ents[i].name, i + 3))
			break;
	}
out:
	reply_ok(s, q, plus ? B_DIRENTPLUS : B_DIRENTS, rep.buf, used);
}

/* ---- INIT ---- */

static void do_init(struct server *s, const struct request *q)
{
	const struct fuse_init_in *in = (const void *)q->arg;
	struct fuse_init_out o;
	uint64_t offered, want;

	if (q->arglen < offsetof(struct fuse_init_in, flags2) || in->major != 7) {
		send_plain(s, q->h.unique, EPROTO, NULL, 0);
		return;
	}
	offered = in->flags;
	if (q->arglen >= offsetof(struct fuse_init_in, unused) &&
	    (in->flags & FUSE_INIT_EXT))
		offered |= (uint64_t)in->flags2 << 32;
	/* what this server handles; each seed takes a subset */
	want = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC | FUSE_BIG_WRITES |
	       FUSE_AUTO_INVAL_DATA | FUSE_DO_READDIRPLUS |
	       FUSE_READDIRPLUS_AUTO | FUSE_WRITEBACK_CACHE |
	       FUSE_PARALLEL_DIROPS | FUSE_CACHE_SYMLINKS | FUSE_MAX_PAGES |
	       FUSE_EXPLICIT_INVAL_DATA | FUSE_DONT_MASK;
	want &= rnd();
	memset(&o, 0, sizeof(o));
	o.major = 7;
	o.minor = in->minor < MAX_MINOR ? in->minor : MAX_MINOR;
	s->minor = o.minor;
	o.max_readahead = in->max_readahead;
	o.flags = (uint32_t)(offered & want);
	o.max_background = 4 + rnd_below(12);
	o.congestion_threshold = o.max_background * 3 / 4;
	o.max_write = 4096 << rnd_below(6);
	o.time_gran = 1;
	o.max_pages = 1 + rnd_below(64);
	s->init_flags = offered & want;
	s->initialized = true;
	raw_log("INIT: kernel %u.%u, flags %#llx, max_write %u", in->major,
		in->minor, (unsigned long long)s->init_flags, o.max_write);
	send_plain(s, q->h.unique, 0, &o, sizeof(o));
}

/* ---- dispatch ---- */

static void dispatch(struct server *s, const struct request *q)
{
	uint32_t op = q->h.opcode;
	struct node *n = node_get(q->h.nodeid);

	stats.op[op < 64 ? op : 0]++;
	switch (op) {
	case FUSE_INIT:		return do_init(s, q);
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:	return do_forget(q);
	case FUSE_NOTIFY_REPLY:	return;		/* never answered */
	case FUSE_INTERRUPT:	return;		/* handled in serve() */
	case FUSE_DESTROY:	return reply_err(s, q, 0);
	case FUSE_STATFS:	return do_statfs(s, q);
	case FUSE_LOOKUP:	return do_lookup(s, q);
	case FUSE_MKNOD:	return do_mknod(s, q);
	case FUSE_MKDIR:	return do_mkdir(s, q);
	case FUSE_SYMLINK:	return do_symlink(s, q);
	case FUSE_CREATE:	return do_create(s, q);
	case FUSE_UNLINK:	return do_remove(s, q, false);
	case FUSE_RMDIR:	return do_remove(s, q, true);
	case FUSE_RENAME:
	case FUSE_RENAME2:	return do_rename(s, q);
	case FUSE_LINK:		return do_link(s, q);
	}
	if (!n)
		return reply_err(s, q, op == FUSE_RELEASE || op == FUSE_RELEASEDIR ? 0 : ENOENT);
	switch (op) {
	case FUSE_GETATTR:	return reply_attr_of(s, q, n);
	case FUSE_SETATTR:	return do_setattr(s, q, n);
	case FUSE_READLINK:	return do_readlink(s, q, n);
	case FUSE_OPEN:		return do_open(s, q, n, false);
	case FUSE_OPENDIR:	return do_open(s, q, n, true);
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:	return do_release(s, q, n);
	case FUSE_READ:		return do_read(s, q, n);
	case FUSE_WRITE:	return do_write(s, q, n);
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:	return do_readdir(s, q, n);
	case FUSE_SETXATTR:	return do_setxattr(s, q, n);
	case FUSE_GETXATTR:	return do_getxattr(s, q, n);
	case FUSE_LISTXATTR:	return do_listxattr(s, q, n);
	case FUSE_REMOVEXATTR:	return do_removexattr(s, q, n);
	case FUSE_ACCESS:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:	return reply_err(s, q, 0);
	default:		return reply_err(s, q, ENOSYS);
	}
}

/* ---- held-back requests and interrupts ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Requests that want an answer, small enough to keep. */
static bool may_defer(const struct request *q)
{
	switch (q->h.opcode) {
	case FUSE_INIT:
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_NOTIFY_REPLY:
	case FUSE_DESTROY:
		return false;
	default:
		return q->arglen <= DEFER_ARG;
	}
}

/*
 * Hold a request back, to answer it later, out of order (the kernel may
 * interrupt it meanwhile).  The deferral counts as its damage.
 */
static void defer_req(struct server *s, const struct request *q)
{
	int i;

	stats.damaged++;
	stats.kind_sent[K_DEFER]++;
	for (i = 0; i < DEFER_MAX; i++) {
		if (s->defer[i].used)
			continue;
		s->defer[i].h = q->h;
		memcpy(s->defer[i].arg, q->arg, q->arglen);
		s->defer[i].arglen = q->arglen;
		s->defer[i].due = now_ms() + 2 + rnd_below(40);
		s->defer[i].used = true;
		return;
	}
	dispatch(s, q);	/* no room: answer now */
}

/*
 * Answer held-back requests: those due (all when @all), or one at random
 * whether due or not.  Returns the ms until the next is due, or -1.
 */
static int run_deferred(struct server *s, bool all)
{
	int i, start = (int)rnd_below(DEFER_MAX), next = -1;
	uint64_t now = now_ms();

	for (i = 0; i < DEFER_MAX; i++) {
		struct deferred *d = &s->defer[(start + i) % DEFER_MAX];
		struct request q;

		if (!d->used)
			continue;
		if (all && d->due > now) {
			if (next < 0 || d->due - now < (uint64_t)next)
				next = (int)(d->due - now);
			continue;
		}
		d->used = false;
		q.h = d->h;
		q.arg = d->arg;
		q.arglen = d->arglen;
		dispatch(s, &q);
		if (!all)
			break;
	}
	return next;
}

/*
 * INTERRUPT: a held-back request it names is answered EINTR at once
 * (and remembered, for replies to it later); others are answered anyway.
 */
static void interrupt(struct server *s, const struct request *q)
{
	const struct fuse_interrupt_in *in = (const void *)q->arg;
	int i;

	stats.interrupts++;
	stats.op[FUSE_INTERRUPT]++;
	if (q->arglen < sizeof(*in))
		return;
	for (i = 0; i < DEFER_MAX; i++) {
		struct deferred *d = &s->defer[i];

		if (!d->used || d->h.unique != in->unique)
			continue;
		if (chance(200)) {	/* "ask me again" */
			send_plain(s, q->h.unique, EAGAIN, NULL, 0);
			return;
		}
		d->used = false;
		send_plain(s, in->unique, EINTR, NULL, 0);
		stats.replies++;
		remember(s->intr, &s->intr_pos, in->unique);
		return;
	}
}

/* Wait up to @ms (-1: for ever) for a request; true if one is there. */
static bool wait_input(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static void print_stats(void)
{
	int i;

	raw_log("replies %lu / damaged %lu / rejected %lu / notify %lu / interrupts %lu",
		stats.replies, stats.damaged, stats.rejected, stats.notify,
		stats.interrupts);
	for (i = 0; i < NR_KINDS; i++)
		raw_log("kind %s sent %lu rejected %lu", kind_names[i],
			stats.kind_sent[i], stats.kind_rejected[i]);
	for (i = 0; i < NR_NOTIFY; i++)
		raw_log("notify-code %s%d sent %lu rejected %lu",
			i == NR_NOTIFY - 1 ? ">=" : "", i, stats.notify_sent[i],
			stats.notify_rejected[i]);
	for (i = 0; i < 64; i++)
		if (stats.op[i])
			raw_log("op %s %lu", op_names[i] ? op_names[i] : "other",
				stats.op[i]);
}

static int serve(struct server *s)
{
	for (;;) {
		const struct fuse_in_header *h = (const void *)req_buf;
		struct request q;
		ssize_t n;

		/* held-back requests are answered when their time comes */
		for (;;) {
			int next = run_deferred(s, true);

			if (next < 0 || wait_input(s->fd, next))
				break;
		}
		n = raw_read(s->fd, req_buf, sizeof(req_buf));
		if (n <= 0)
			return n < 0;
		q.h = *h;
		q.arg = req_buf + sizeof(*h);
		q.arglen = n - sizeof(*h);
		if (!quiet)
			raw_log("%s unique %llu nodeid %llu",
				h->opcode < 64 && op_names[h->opcode] ? op_names[h->opcode] : "other",
				(unsigned long long)h->unique,
				(unsigned long long)h->nodeid);
		if (h->opcode == FUSE_INTERRUPT)
			interrupt(s, &q);
		else if (!s->grace && may_defer(&q) && chance(s->rate / 8))
			defer_req(s, &q);
		else
			dispatch(s, &q);
		if (s->initialized && !s->grace && chance(s->rate / 4))
			notify_soon(s);
		if (chance(100))
			run_deferred(s, false);
	}
}

int main(int argc, char **argv)
{
	static struct server s;
	uint64_t seed = 1;
	pthread_t thread;
	int opt, rc;

	s.rate = 100;
	while ((opt = getopt(argc, argv, "s:r:g:q")) != -1) {
		switch (opt) {
		case 'g': s.grace = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'r': s.rate = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': quiet = true; break;
		default:
			fprintf(stderr, USAGE);
			return 2;
		}
	}
	if (optind != argc - 1 || (s.fd = raw_parse_fd(argv[optind])) < 0) {
		fprintf(stderr, USAGE);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	rng_state = seed;
	s.seed = seed;
	build_tree();
	if (pipe2(s.notify_pipe, O_NONBLOCK) < 0 ||
	    fcntl(s.notify_pipe[0], F_SETFL, 0) < 0 ||
	    pthread_create(&thread, NULL, notifier, &s)) {
		raw_log("cannot start the notifier thread");
		return 1;
	}
	raw_log("seed %llu, %u damaged replies per thousand",
		(unsigned long long)seed, s.rate);
	rc = serve(&s);
	pthread_mutex_lock(&stats_lock);
	print_stats();
	pthread_mutex_unlock(&stats_lock);
	return rc;
}
