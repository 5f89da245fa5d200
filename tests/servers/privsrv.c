// SPDX-License-Identifier: GPL-2.0
/*
 * privsrv: a raw-protocol FUSE server that logs what a server must not be
 * trusted with, for tests/guest/cases/44-privilege.sh.
 *
 *   privsrv [owner=UID] /dev/fd/N
 *
 * The tree (everything mode 0666 or 0777, so that only ownership decides):
 *   /           nodeid 1, directory, root's
 *   /file       nodeid 2, regular, UID's (default 1000)
 *   /rootfile   nodeid 3, regular, root's
 *   /dir        nodeid 4, directory, UID's
 *
 * It answers FUSE_IOCTL for FS_IOC_GETFLAGS, FS_IOC_SETFLAGS,
 * FS_IOC_FSGETXATTR and FS_IOC_FSSETXATTR from a table of attributes per
 * node (every other command: ENOTTY), takes FUSE_POSIX_LOCKS and
 * FUSE_FLOCK_LOCKS and grants every lock.  On stderr, one line each:
 *
 *   privsrv: ioctl CMD node=N uid=U dir=0|1 [value=0xX]
 *   privsrv: owner OP node=N fh=F pid=P owner=0xX     (OP: getlk, setlk,
 *            flock, flush, release: the lock_owner of each)
 *
 * value is the flags of SETFLAGS, the xflags (and projid=) of FSSETXATTR.
 */
#define RAW_PROG "privsrv"
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
#include <linux/fs.h>
#include "testlib.h"

#define BUF_SIZE	(128 * 1024 + 4096)
#define NR_NODES	4

struct node {
	const char *name;
	uint32_t mode;
	bool root_owned;
	/* FS_*_FL as FS_IOC_GETFLAGS gives them; FSGETXATTR maps the common ones */
	uint32_t flags;
	uint32_t xflags_other;	/* xflags with no FS_*_FL twin */
	uint32_t projid, extsize, cowextsize;
};

static struct node nodes[NR_NODES] = {
	{ .name = "",         .mode = S_IFDIR | 0777, .root_owned = true },
	{ .name = "file",     .mode = S_IFREG | 0666 },
	{ .name = "rootfile", .mode = S_IFREG | 0666, .root_owned = true },
	{ .name = "dir",      .mode = S_IFDIR | 0777 },
};

/* the flags both interfaces carry, in the two encodings */
static const struct { uint32_t fl, xfl; } common[] = {
	{ FS_SYNC_FL,		FS_XFLAG_SYNC },
	{ FS_IMMUTABLE_FL,	FS_XFLAG_IMMUTABLE },
	{ FS_APPEND_FL,		FS_XFLAG_APPEND },
	{ FS_NODUMP_FL,		FS_XFLAG_NODUMP },
	{ FS_NOATIME_FL,	FS_XFLAG_NOATIME },
	{ FS_PROJINHERIT_FL,	FS_XFLAG_PROJINHERIT },
};

#define NR_COMMON	(sizeof(common) / sizeof(common[0]))

static int devfd;
static uint32_t owner_uid = 1000;
static uint64_t next_fh = 1;

static void reply(uint64_t unique, int error, const void *arg, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + (error ? 0 : len),
		.error = -error,
		.unique = unique,
	};
	int err = raw_write(devfd, &oh, error ? NULL : arg, error ? 0 : len);

	if (err && err != ENOENT)
		raw_log("reply to %llu: %s", (unsigned long long)unique,
			strerror(err));
}

static struct node *node_of(uint64_t nodeid)
{
	return nodeid >= 1 && nodeid <= NR_NODES ? &nodes[nodeid - 1] : NULL;
}

static void fill_attr(uint64_t nodeid, struct fuse_attr *a)
{
	const struct node *n = node_of(nodeid);

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->mode = n->mode;
	a->nlink = S_ISDIR(n->mode) ? 2 : 1;
	a->uid = a->gid = n->root_owned ? 0 : owner_uid;
	a->blksize = 4096;
	a->mtime = a->ctime = a->atime = 1700000000;
}

static uint32_t to_xflags(const struct node *n)
{
	uint32_t x = n->xflags_other;
	size_t i;

	for (i = 0; i < NR_COMMON; i++)
		if (n->flags & common[i].fl)
			x |= common[i].xfl;
	return x;
}

static void from_xflags(struct node *n, uint32_t x)
{
	size_t i;

	n->xflags_other = x;
	for (i = 0; i < NR_COMMON; i++) {
		n->flags &= ~common[i].fl;
		if (x & common[i].xfl)
			n->flags |= common[i].fl;
		n->xflags_other &= ~common[i].xfl;
	}
}

static const char *cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case FS_IOC_GETFLAGS:	return "GETFLAGS";
	case FS_IOC_SETFLAGS:	return "SETFLAGS";
	case FS_IOC_FSGETXATTR:	return "FSGETXATTR";
	case FS_IOC_FSSETXATTR:	return "FSSETXATTR";
	default:		return "other";
	}
}

static void do_ioctl(const struct fuse_in_header *h,
		     const struct fuse_ioctl_in *in)
{
	struct {
		struct fuse_ioctl_out out;
		union {
			uint32_t flags;
			struct fsxattr xa;
		} u;
	} r = {};
	const void *data = in + 1;
	struct node *n = node_of(h->nodeid);
	uint32_t cmd = in->cmd;
	size_t len = 0;
	char value[64] = "";

	if (cmd == FS_IOC_SETFLAGS && in->in_size >= 4) {
		memcpy(&n->flags, data, 4);
		snprintf(value, sizeof(value), " value=0x%x", n->flags);
	} else if (cmd == FS_IOC_FSSETXATTR && in->in_size >= sizeof(r.u.xa)) {
		struct fsxattr xa;

		memcpy(&xa, data, sizeof(xa));
		from_xflags(n, xa.fsx_xflags);
		n->projid = xa.fsx_projid;
		n->extsize = xa.fsx_extsize;
		n->cowextsize = xa.fsx_cowextsize;
		snprintf(value, sizeof(value), " value=0x%x projid=%u",
			 xa.fsx_xflags, xa.fsx_projid);
	} else if (cmd == FS_IOC_GETFLAGS && in->out_size >= 4) {
		r.u.flags = n->flags;
		len = 4;
	} else if (cmd == FS_IOC_FSGETXATTR && in->out_size >= sizeof(r.u.xa)) {
		r.u.xa.fsx_xflags = to_xflags(n);
		r.u.xa.fsx_projid = n->projid;
		r.u.xa.fsx_extsize = n->extsize;
		r.u.xa.fsx_cowextsize = n->cowextsize;
		len = sizeof(r.u.xa);
	} else {
		r.out.result = -ENOTTY;
	}
	raw_log("ioctl %s node=%llu uid=%u dir=%d%s", cmd_name(cmd),
		(unsigned long long)h->nodeid, h->uid,
		!!(in->flags & FUSE_IOCTL_DIR), value);
	reply(h->unique, 0, &r, sizeof(r.out) + len);
}

static void log_owner(const char *op, const struct fuse_in_header *h,
		      uint64_t fh, uint64_t owner)
{
	raw_log("owner %s node=%llu fh=%llu pid=%u owner=0x%016llx", op,
		(unsigned long long)h->nodeid, (unsigned long long)fh, h->pid,
		(unsigned long long)owner);
}

static void do_init(const struct fuse_in_header *h,
		    const struct fuse_init_in *in)
{
	struct fuse_init_out out = {};
	uint32_t want = FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS | FUSE_IOCTL_DIR;

	out.major = FUSE_KERNEL_VERSION;
	out.minor = in->minor < 38 ? in->minor : 38;
	out.max_readahead = in->max_readahead;
	out.flags = in->flags & want;
	out.max_write = 128 * 1024;
	out.time_gran = 1;
	reply(h->unique, 0, &out, sizeof(out));
}

static void do_lookup(const struct fuse_in_header *h, const char *name)
{
	struct fuse_entry_out out = {};
	uint64_t i;

	for (i = 2; h->nodeid == 1 && i <= NR_NODES; i++)
		if (!strcmp(name, nodes[i - 1].name))
			break;
	if (h->nodeid != 1 || i > NR_NODES)
		return reply(h->unique, ENOENT, NULL, 0);
	out.nodeid = i;
	out.generation = 1;
	out.entry_valid = out.attr_valid = 60;
	fill_attr(i, &out.attr);
	reply(h->unique, 0, &out, sizeof(out));
}

static void dispatch(const struct fuse_in_header *h, const void *arg)
{
	struct fuse_open_out oo = {};
	struct fuse_attr_out ao = {};
	struct fuse_statfs_out so = {};
	struct fuse_lk_out lo = {};

	if (h->opcode != FUSE_INIT && h->opcode != FUSE_DESTROY &&
	    h->opcode != FUSE_FORGET && h->opcode != FUSE_BATCH_FORGET &&
	    h->opcode != FUSE_INTERRUPT && !node_of(h->nodeid))
		return reply(h->unique, ENOENT, NULL, 0);
	switch (h->opcode) {
	case FUSE_INIT:
		do_init(h, arg);
		break;
	case FUSE_LOOKUP:
		do_lookup(h, arg);
		break;
	case FUSE_GETATTR:
	case FUSE_SETATTR:
		fill_attr(h->nodeid, &ao.attr);
		ao.attr_valid = 60;
		reply(h->unique, 0, &ao, sizeof(ao));
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		oo.fh = next_fh++;
		reply(h->unique, 0, &oo, sizeof(oo));
		break;
	case FUSE_READ:
	case FUSE_READDIR:
		reply(h->unique, 0, NULL, 0);
		break;
	case FUSE_STATFS:
		so.st.bsize = so.st.frsize = 4096;
		so.st.namelen = 255;
		reply(h->unique, 0, &so, sizeof(so));
		break;
	case FUSE_IOCTL:
		do_ioctl(h, arg);
		break;
	case FUSE_GETLK: {
		const struct fuse_lk_in *in = arg;

		log_owner("getlk", h, in->fh, in->owner);
		lo.lk.type = F_UNLCK;
		reply(h->unique, 0, &lo, sizeof(lo));
		break;
	}
	case FUSE_SETLK:
	case FUSE_SETLKW: {
		const struct fuse_lk_in *in = arg;

		log_owner(in->lk_flags & FUSE_LK_FLOCK ? "flock" : "setlk", h,
			  in->fh, in->owner);
		reply(h->unique, 0, NULL, 0);
		break;
	}
	case FUSE_FLUSH: {
		const struct fuse_flush_in *in = arg;

		log_owner("flush", h, in->fh, in->lock_owner);
		reply(h->unique, 0, NULL, 0);
		break;
	}
	case FUSE_RELEASE: {
		const struct fuse_release_in *in = arg;

		if (in->release_flags & FUSE_RELEASE_FLOCK_UNLOCK)
			log_owner("release", h, in->fh, in->lock_owner);
		reply(h->unique, 0, NULL, 0);
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
	case FUSE_INTERRUPT:
		break;
	default:
		reply(h->unique, ENOSYS, NULL, 0);
		break;
	}
}

int main(int argc, char **argv)
{
	unsigned char *buf = malloc(BUF_SIZE);
	ssize_t n;
	int i;

	if (argc < 2 || (devfd = raw_parse_fd(argv[argc - 1])) < 0) {
		fprintf(stderr, "usage: privsrv [owner=UID] /dev/fd/N\n");
		return 2;
	}
	for (i = 1; i < argc - 1; i++) {
		if (!strncmp(argv[i], "owner=", 6)) {
			owner_uid = strtoul(argv[i] + 6, NULL, 10);
		} else {
			fprintf(stderr, "privsrv: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!buf)
		return 1;
	while ((n = raw_read(devfd, buf, BUF_SIZE)) > 0)
		dispatch((const void *)buf, buf + sizeof(struct fuse_in_header));
	return n < 0 ? 1 : 0;
}
