// SPDX-License-Identifier: GPL-2.0
/*
 * ptraw: a passthrough server that speaks the FUSE protocol itself, for
 * the INIT and OPEN replies a libfuse server cannot send.
 *
 *   ptraw INIT OPEN BACKING /dev/fd/N      (started by fuse2pt-mount)
 *
 * One file, /file, whose attributes and data are BACKING's.
 * INIT reply:
 *   pt        FUSE_PASSTHROUGH, max_stack_depth 1
 *   pt-wb     FUSE_PASSTHROUGH and FUSE_WRITEBACK_CACHE (must not enable it)
 *   depth0    FUSE_PASSTHROUGH, max_stack_depth 0 (must not enable it)
 *   depth3    FUSE_PASSTHROUGH, max_stack_depth 3 (must not enable it)
 *   none      no FUSE_PASSTHROUGH
 * OPEN reply: BACKING_OPEN is tried first, its result logged; then
 *   pt        FOPEN_PASSTHROUGH with the id (a plain open if it failed)
 *   keep      FOPEN_PASSTHROUGH|FOPEN_KEEP_CACHE with the id
 *   badid     FOPEN_PASSTHROUGH with id 4242, never registered
 *   plain     no FOPEN_PASSTHROUGH
 * On stderr: "ptraw: backing-open OK|ERRNAME" at each OPEN, and at exit
 * "ptraw: counts open=N read=N release=N".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "fuse2pt_wire.h"

#define BUF_SIZE	(1024 * 1024 + 4096)
#define FILE_ID		2

static unsigned char buf[BUF_SIZE] __attribute__((aligned(8)));
static const char *init_mode, *open_mode, *backing;
static int devfd, bfd;
static unsigned long nopen, nread, nrelease;

static void reply(const struct fuse_in_header *h, int err, const void *p,
		  size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + (err ? 0 : len),
		.error = -err,
		.unique = h->unique,
	};
	struct iovec iov[2] = { { &oh, sizeof(oh) }, { (void *)p, err ? 0 : len } };

	if (writev(devfd, iov, 2) < 0)
		fprintf(stderr, "ptraw: reply to opcode %u: %s\n", h->opcode,
			strerrorname_np(errno));
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	struct stat s;

	memset(a, 0, sizeof(*a));
	a->ino = ino;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
		return;
	}
	fstat(bfd, &s);
	a->mode = S_IFREG | 0644;
	a->nlink = 1;
	a->size = s.st_size;
	a->blocks = s.st_blocks;
	a->mtime = s.st_mtim.tv_sec;
	a->mtimensec = s.st_mtim.tv_nsec;
}

static void do_init(const struct fuse_in_header *h)
{
	struct fuse_init_out o = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_write = 128 * 1024,
		.max_readahead = 128 * 1024,
	};
	uint64_t flags = FUSE_INIT_EXT | FUSE_BIG_WRITES;

	if (strcmp(init_mode, "none")) {
		flags |= FUSE_PASSTHROUGH;
		o.max_stack_depth = 1;
	}
	if (!strcmp(init_mode, "pt-wb"))
		flags |= FUSE_WRITEBACK_CACHE;
	if (!strcmp(init_mode, "depth0"))
		o.max_stack_depth = 0;
	if (!strcmp(init_mode, "depth3"))
		o.max_stack_depth = 3;
	o.flags = (uint32_t)flags;
	o.flags2 = flags >> 32;
	reply(h, 0, &o, sizeof(o));
}

static void do_open(const struct fuse_in_header *h)
{
	struct fuse_backing_map map = { .fd = bfd };
	struct fuse_open_out o = { .fh = 1 };
	int id;

	if (h->nodeid != FILE_ID) {
		reply(h, 0, &o, sizeof(o));	/* OPENDIR */
		return;
	}
	nopen++;
	id = ioctl(devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	fprintf(stderr, "ptraw: backing-open %s\n", id > 0 ? "OK" : strerrorname_np(errno));
	if (!strcmp(open_mode, "badid")) {
		o.open_flags = FOPEN_PASSTHROUGH;
		o.backing_id = 4242;
	} else if (id > 0 && strcmp(open_mode, "plain")) {
		o.open_flags = FOPEN_PASSTHROUGH;
		o.backing_id = id;
		if (!strcmp(open_mode, "keep"))
			o.open_flags |= FOPEN_KEEP_CACHE;
	}
	/* the id lives until RELEASE, which names it as the file handle */
	if (id > 0)
		o.fh = id;
	reply(h, 0, &o, sizeof(o));
}

static void do_release(const struct fuse_in_header *h,
		       const struct fuse_release_in *in)
{
	uint32_t u = in->fh;

	nrelease++;
	if (u > 1)
		ioctl(devfd, FUSE_DEV_IOC_BACKING_CLOSE, &u);
	reply(h, 0, NULL, 0);
}

static void do_read(const struct fuse_in_header *h, const struct fuse_read_in *in)
{
	static char data[128 * 1024];
	size_t n = in->size < sizeof(data) ? in->size : sizeof(data);
	ssize_t r;

	nread++;
	r = pread(bfd, data, n, in->offset);
	if (r < 0)
		reply(h, errno, NULL, 0);
	else
		reply(h, 0, data, r);
}

int main(int argc, char *argv[])
{
	if (argc != 5 || strncmp(argv[4], "/dev/fd/", 8)) {
		fprintf(stderr, "usage: ptraw INIT OPEN BACKING /dev/fd/N\n");
		return 2;
	}
	init_mode = argv[1];
	open_mode = argv[2];
	backing = argv[3];
	devfd = atoi(argv[4] + 8);
	bfd = open(backing, O_RDWR);
	if (bfd < 0) {
		perror(backing);
		return 2;
	}
	for (;;) {
		ssize_t n = read(devfd, buf, sizeof(buf));
		const struct fuse_in_header *h = (const void *)buf;
		const void *arg = buf + sizeof(*h);

		if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < 0)
			break;		/* ENODEV: unmounted */
		switch (h->opcode) {
		case FUSE_INIT:
			do_init(h);
			break;
		case FUSE_LOOKUP: {
			struct fuse_entry_out e = { .nodeid = FILE_ID };

			if (h->nodeid != FUSE_ROOT_ID || strcmp(arg, "file")) {
				reply(h, ENOENT, NULL, 0);
				break;
			}
			fill_attr(&e.attr, FILE_ID);
			reply(h, 0, &e, sizeof(e));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out a = {};

			fill_attr(&a.attr, h->nodeid);
			reply(h, 0, &a, sizeof(a));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR:
			do_open(h);
			break;
		case FUSE_READ:
			do_read(h, arg);
			break;
		case FUSE_RELEASE:
			do_release(h, arg);
			break;
		case FUSE_RELEASEDIR:
		case FUSE_FLUSH:
			reply(h, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;
		case FUSE_DESTROY:
			reply(h, 0, NULL, 0);
			break;
		default:
			reply(h, ENOSYS, NULL, 0);
		}
	}
	fprintf(stderr, "ptraw: counts open=%lu read=%lu release=%lu\n",
		nopen, nread, nrelease);
	return 0;
}
