// SPDX-License-Identifier: GPL-2.0
/*
 * statxop: a series of statx(2) calls on each of several files, one line
 * of result per call, for tests that compare what two kernels give the
 * user (53-raw-statx.sh).  One process for the whole series: under an
 * emulated guest every exec counts.
 *
 *   statxop OPS PATH...
 *
 * OPS is a string of letters, each one call, made on each PATH in turn:
 *   x  mask BASIC_STATS|BTIME          s  mask BASIC_STATS
 *   f  mask BASIC_STATS|BTIME, AT_STATX_FORCE_SYNC
 *   F  mask BASIC_STATS, AT_STATX_FORCE_SYNC
 *   d  mask BASIC_STATS|BTIME, AT_STATX_DONT_SYNC
 *   z  mask 0 (asks for nothing): printed as "NAME z: mask=M dev=MAJ:MIN"
 *
 * A line is "NAME OP: err=ERRNAME" or "NAME OP: mask=M mode=... btime=S.N"
 * with NAME the last part of PATH.  The mask leaves out the mount id bits
 * the VFS adds by itself; the fields (those the tests' servers vary) are
 * printed as the kernel returned them whether the mask names them or
 * not, except btime ("-" when the mask does not name it).  The exit status is 0 whenever the calls
 * were made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* added by the VFS, not the filesystem; newer than some headers */
#define MNT_ID_BITS	(0x1000U | 0x4000U)

static const char *err_name(int e)
{
	switch (e) {
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case EINVAL:	return "EINVAL";
	case ENOSYS:	return "ENOSYS";
	case EACCES:	return "EACCES";
	case ENOTCONN:	return "ENOTCONN";
	default:	return "E?";
	}
}

static void ts(const char *name, const struct statx_timestamp *t)
{
	printf(" %s=%lld.%09u", name, (long long)t->tv_sec, t->tv_nsec);
}

static void one(const char *path, char op)
{
	unsigned int mask = STATX_BASIC_STATS | STATX_BTIME;
	const char *name = strrchr(path, '/');
	struct statx st;
	int flags = 0;

	name = name ? name + 1 : path;
	switch (op) {
	case 'x': break;
	case 's': mask = STATX_BASIC_STATS; break;
	case 'f': flags = AT_STATX_FORCE_SYNC; break;
	case 'F': mask = STATX_BASIC_STATS; flags = AT_STATX_FORCE_SYNC; break;
	case 'd': flags = AT_STATX_DONT_SYNC; break;
	case 'z': mask = 0; break;
	default:
		printf("%s %c: unknown op\n", name, op);
		return;
	}
	memset(&st, 0xa5, sizeof(st));
	if (statx(AT_FDCWD, path, flags, mask, &st) != 0) {
		printf("%s %c: err=%s\n", name, op, err_name(errno));
		return;
	}
	if (op == 'z') {
		printf("%s z: mask=%#x dev=%u:%u\n", name,
		       st.stx_mask & ~MNT_ID_BITS, st.stx_dev_major,
		       st.stx_dev_minor);
		return;
	}
	printf("%s %c: mask=%#x mode=%o nlink=%u size=%llu blocks=%llu ino=%llu"
	       " attr=%#llx", name, op, st.stx_mask & ~MNT_ID_BITS, st.stx_mode,
	       st.stx_nlink, (unsigned long long)st.stx_size,
	       (unsigned long long)st.stx_blocks,
	       (unsigned long long)st.stx_ino,
	       (unsigned long long)st.stx_attributes);
	ts("mtime", &st.stx_mtime);
	if (st.stx_mask & STATX_BTIME)
		ts("btime", &st.stx_btime);
	else
		fputs(" btime=-", stdout);
	putchar('\n');
}

int main(int argc, char **argv)
{
	const char *op;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: statxop OPS PATH...  (OPS: letters of xsfFdz)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 2; i < argc; i++)
		for (op = argv[1]; *op; op++)
			one(argv[i], *op);
	return 0;
}
