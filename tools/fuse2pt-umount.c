// SPDX-License-Identifier: GPL-2.0
/*
 * fuse2pt-umount: unmount fuse2pt file systems (the companion of
 * mount.fuse2pt, like "fusermount3 -u" for stock fuse).
 *
 *   fuse2pt-umount [-z] [-q] MOUNTPOINT...
 *
 * Only a mount point whose topmost mount is of type fuse2pt or
 * fuse2pt.SUBTYPE is touched, so a typo cannot unmount something else.
 * The FUSE program sees DESTROY and exits by itself.
 *
 * Exit status as umount(8) documents it: 0 all unmounted, 1 bad usage or
 * not root, 32 nothing unmounted, 64 some unmounted and some not.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>

#define PROGNAME	"fuse2pt-umount"
#define FSTYPE		"fuse2pt"

/* tools/Makefile passes the version from the file VERSION */
#ifndef F2P_VERSION
#define F2P_VERSION	"(unknown version: built without tools/Makefile)"
#endif

/* umount(8)'s exit codes */
#define EX_USAGE	1
#define EX_FAIL		32
#define EX_SOME		64

/* One mountinfo field with its \ooo escapes undone into out. */
static void unescape(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		char c = in[i];

		if (c == '\\' && i + 3 < len && isdigit((unsigned char)in[i + 1])) {
			c = (char)(((in[i + 1] - '0') << 6) | ((in[i + 2] - '0') << 3) |
				   (in[i + 3] - '0'));
			i += 3;
		}
		out[o++] = c;
	}
	out[o] = '\0';
}

/* Type of the topmost mount on dir into type; 0 if there is none. */
static int top_mount_type(const char *dir, char *type, size_t size)
{
	char line[8192], mp[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end, *sep;
		int i;

		for (i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p || !(end = strchr(p, ' ')) || !(sep = strstr(line, " - ")))
			continue;
		unescape(p, end - p, mp, sizeof(mp));
		if (strcmp(mp, dir) != 0)
			continue;
		sep += 3;
		snprintf(type, size, "%.*s", (int)strcspn(sep, " "), sep);
		found = 1;
	}
	fclose(f);
	return found;
}

static int umount_one(const char *arg, int lazy, int quiet)
{
	char dir[PATH_MAX], type[256];

	if (!realpath(arg, dir)) {
		fprintf(stderr, PROGNAME ": %s: %s\n", arg, strerror(errno));
		return 1;
	}
	if (!top_mount_type(dir, type, sizeof(type))) {
		if (!quiet)
			fprintf(stderr, PROGNAME ": %s is not mounted\n", dir);
		return 1;
	}
	if (strcmp(type, FSTYPE) != 0 && strncmp(type, FSTYPE ".", sizeof(FSTYPE)) != 0) {
		fprintf(stderr, PROGNAME ": %s is mounted as type %s, not fuse2pt; not unmounting it\n",
			dir, type);
		return 1;
	}
	if (umount2(dir, lazy ? MNT_DETACH : 0) < 0) {
		fprintf(stderr, PROGNAME ": cannot unmount %s: %s%s\n", dir, strerror(errno),
			errno == EBUSY ? " (still in use; -z unmounts lazily)" : "");
		return 1;
	}
	return 0;
}

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: " PROGNAME " [-z] [-q] MOUNTPOINT...\n"
		"       " PROGNAME " --help | --version\n");
	if (status) {
		fprintf(out, "Try '" PROGNAME " --help' for more.\n");
		exit(status);
	}
	fprintf(out,
		"\n"
		"Unmounts fuse2pt file systems; refuses any other type.\n"
		"  -z  lazy: detach now, finish when no longer busy\n"
		"  -q  no message when MOUNTPOINT is not mounted\n"
		"Exit status: 0 all unmounted, 1 bad usage or not root,\n"
		"32 none unmounted, 64 some unmounted and some not.\n"
		"See fuse2pt-umount(8).\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, lazy = 0, quiet = 0, ok = 0, failed = 0;

	while ((opt = getopt_long(argc, argv, "zqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'z':
			lazy = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf(PROGNAME " (fuse2pt) %s\n", F2P_VERSION);
			return 0;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (optind == argc)
		usage(stderr, EX_USAGE);
	if (geteuid() != 0) {
		fprintf(stderr, PROGNAME ": only root can unmount fuse2pt file systems (for now)\n");
		return EX_USAGE;
	}
	for (; optind < argc; optind++) {
		if (umount_one(argv[optind], lazy, quiet) == 0)
			ok++;
		else
			failed++;
	}
	if (!failed)
		return 0;
	return ok ? EX_SOME : EX_FAIL;
}
