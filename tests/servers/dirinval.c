// SPDX-License-Identifier: GPL-2.0
/*
 * dirinval: a root directory whose listing changes while its attributes
 * do not, for the directory cache and NOTIFY_INVAL_INODE.
 *
 *   dirinval [-d] [--no-notify] MOUNTPOINT
 *
 * The root lists ".", ".." and gG-f0 .. gG-f2, G being a generation that
 * starts at 0.  OPENDIR answers with cache_readdir and keep_cache, every
 * timeout is a day and the root's mtime never changes, so the kernel may
 * keep showing a listing as long as it likes.  A LOOKUP of "bump" (it
 * answers ENOENT) moves to the next generation and, unless --no-notify,
 * first sends NOTIFY_INVAL_INODE for the root (offset 0, length 0: all
 * of its data), which must drop the kernel's cached listing.
 * -d: libfuse's debug log on stderr (one "opcode: READDIR" per listing
 * request).
 */
#define FUSE_USE_VERSION 317
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fuse_lowlevel.h>

#define NFILES	3
#define FOREVER	86400.0

static struct fuse_session *se;
static bool notify = true;
static int generation;

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mtim.tv_sec = 1000000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
	}
}

static void di_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, FOREVER);
}

static void di_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	int g, k, n = 0;

	if (parent != FUSE_ROOT_ID)
		return (void)fuse_reply_err(req, ENOENT);
	if (!strcmp(name, "bump")) {
		generation++;
		if (notify)
			fuse_lowlevel_notify_inval_inode(se, FUSE_ROOT_ID, 0, 0);
		return (void)fuse_reply_err(req, ENOENT);
	}
	if (sscanf(name, "g%d-f%d%n", &g, &k, &n) != 2 || name[n] ||
	    g != generation || k < 0 || k >= NFILES)
		return (void)fuse_reply_err(req, ENOENT);
	memset(&e, 0, sizeof(e));
	e.ino = 2 + k;
	e.attr_timeout = FOREVER;
	e.entry_timeout = FOREVER;
	fill_stat(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void di_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void di_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	char *buf = malloc(size), name[32];
	size_t used = 0, len;
	struct stat st;
	int i;

	(void)fi;
	if (!buf)
		return (void)fuse_reply_err(req, ENOMEM);
	for (i = off; i < NFILES + 2; i++) {
		if (i < 2)
			snprintf(name, sizeof(name), "%s", i ? ".." : ".");
		else
			snprintf(name, sizeof(name), "g%d-f%d", generation, i - 2);
		fill_stat(i < 2 ? ino : (fuse_ino_t)i, &st);
		len = fuse_add_direntry(req, buf + used, size - used, name,
					&st, i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static const struct fuse_lowlevel_ops di_ops = {
	.lookup		= di_lookup,
	.getattr	= di_getattr,
	.opendir	= di_opendir,
	.readdir	= di_readdir,
};

int main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "no-notify", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char *fargv[3] = { argv[0], NULL, NULL };
	struct fuse_args args;
	bool debug = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "d", lo, NULL)) != -1) {
		switch (c) {
		case 'n': notify = false; break;
		case 'd': debug = true; break;
		default:
			fprintf(stderr, "usage: dirinval [-d] [--no-notify] MOUNTPOINT\n");
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: dirinval [-d] [--no-notify] MOUNTPOINT\n");
		return 2;
	}
	if (debug)
		fargv[1] = "-d";
	args = (struct fuse_args)FUSE_ARGS_INIT(debug ? 2 : 1, fargv);
	se = fuse_session_new(&args, &di_ops, sizeof(di_ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) ||
	    fuse_session_mount(se, argv[optind])) {
		fuse_session_destroy(se);
		return 1;
	}
	ret = fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return ret ? 1 : 0;
}
