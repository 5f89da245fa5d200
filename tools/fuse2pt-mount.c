// SPDX-License-Identifier: GPL-2.0
/*
 * fuse2pt-mount: mount a FUSE filesystem on fuse2pt (or stock fuse) and
 * hand the mounted device fd to the server.
 *
 *   fuse2pt-mount [-t fuse2pt|fuse] [-o KERNEL_OPTS] MOUNTPOINT PROG [ARGS...]
 *
 * libfuse (3.3 and later) treats a mount point of the form /dev/fd/N as
 * "fd N is an already mounted FUSE device" and skips its own mount, so any
 * libfuse server runs on fuse2pt this way, and so do the raw-protocol test
 * servers, which take the same last argument.
 *
 * Exit status, as mount(8) documents it, until PROG is running: 1 bad
 * usage, 2 a system error (out of memory), 32 the mount failed or PROG
 * could not be run (the mount is taken away again).  Once PROG runs, it
 * is PROG's own: this tool becomes PROG (exec, no fork).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define PROGNAME	"fuse2pt-mount"
#define MOUNT_DATA_MAX	4096	/* the kernel copies at most one page */

/* tools/Makefile passes the version from the file VERSION */
#ifndef F2P_VERSION
#define F2P_VERSION	"(unknown version: built without tools/Makefile)"
#endif

/* mount(8)'s exit codes */
#define EX_USAGE	1
#define EX_SYSERR	2
#define EX_FAIL		32

struct fs_kind {
	const char *name;	/* -t argument, and the type's prefix */
	const char *device;
	const char *module;	/* what to tell the user to load */
};

static const struct fs_kind kinds[] = {
	{ "fuse2pt", "/dev/fuse2pt", "fuse2pt" },
	{ "fuse",    "/dev/fuse",    "fuse" },
};

static void die(int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROGNAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: " PROGNAME " [-t fuse2pt|fuse] [-o KERNEL_OPTS] MOUNTPOINT PROG [ARGS...]\n"
		"       " PROGNAME " --help | --version\n");
	if (status) {
		fprintf(out, "Try '" PROGNAME " --help' for more.\n");
		exit(status);
	}
	fprintf(out,
		"\n"
		"Opens the FUSE device, mounts it on MOUNTPOINT as type\n"
		"TYPE.<basename of PROG>, then runs PROG ARGS... /dev/fd/N with\n"
		"the mounted device on fd N.\n"
		"  -t TYPE   fuse2pt (default: /dev/fuse2pt) or fuse (/dev/fuse)\n"
		"  -o OPTS   extra kernel mount options, appended after fd,rootmode,\n"
		"            user_id,group_id (may be given more than once)\n"
		"Exit status before PROG runs: 1 bad usage, 2 system error,\n"
		"32 mount failed or PROG not run; then PROG's own.\n"
		"See fuse2pt-mount(8).\n");
	exit(status);
}

static const struct fs_kind *find_kind(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	die(EX_USAGE, "unknown type '%s' (use fuse2pt or fuse)", name);
}

/* Append ",opts" to the accumulated -o string (which starts empty). */
static void add_opts(char *buf, size_t size, const char *opts)
{
	size_t used = strlen(buf);
	int n;

	if (!*opts)
		return;
	n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", opts);
	if (n < 0 || (size_t)n >= size - used)
		die(EX_USAGE, "mount options too long");
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The subtype ends up in /proc/mounts: keep it to one harmless word. */
static void check_subtype(const char *name)
{
	const char *p;

	if (!*name)
		die(EX_USAGE, "cannot derive a subtype from an empty program name");
	for (p = name; *p; p++)
		if (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
			die(EX_USAGE, "program name '%s' is not usable as a subtype", name);
}

/*
 * Without O_CLOEXEC on purpose: the descriptor must survive the exec,
 * it is the server's only link to the mount.
 */
static int open_device(const struct fs_kind *kind)
{
	int fd = open(kind->device, O_RDWR);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		die(EX_FAIL, "cannot open %s: %s (is the %s module loaded?)",
		    kind->device, strerror(errno), kind->module);
	die(EX_FAIL, "cannot open %s: %s", kind->device, strerror(errno));
}

static void do_mount(const struct fs_kind *kind, const char *mountpoint,
		     const char *subtype, int fd, const char *extra)
{
	char type[256], data[MOUNT_DATA_MAX];
	struct stat st;
	int n;

	if (stat(mountpoint, &st) < 0)
		die(EX_FAIL, "cannot stat mount point %s: %s", mountpoint, strerror(errno));

	n = snprintf(type, sizeof(type), "%s.%s", kind->name, subtype);
	if (n < 0 || (size_t)n >= sizeof(type))
		die(EX_USAGE, "subtype '%s' too long", subtype);

	n = snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s%s",
		     fd, (unsigned int)(st.st_mode & S_IFMT),
		     (unsigned int)getuid(), (unsigned int)getgid(),
		     *extra ? "," : "", extra);
	if (n < 0 || (size_t)n >= sizeof(data))
		die(EX_USAGE, "mount options too long");

	if (mount(subtype, mountpoint, type, MS_NOSUID | MS_NODEV, data) < 0)
		die(EX_FAIL, "mount of type %s on %s failed: %s (options %s; see dmesg)",
		    type, mountpoint, strerror(errno), data);
}

/* PROG ARGS... /dev/fd/N, NULL */
static char **server_argv(char **prog_and_args, int nargs, int fd)
{
	static char fd_path[32];
	char **argv = calloc(nargs + 2, sizeof(*argv));
	int i;

	if (!argv)
		return NULL;
	for (i = 0; i < nargs; i++)
		argv[i] = prog_and_args[i];
	snprintf(fd_path, sizeof(fd_path), "/dev/fd/%d", fd);
	argv[nargs] = fd_path;
	return argv;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct fs_kind *kind = &kinds[0];
	char extra[MOUNT_DATA_MAX] = "";
	const char *mountpoint, *subtype;
	char **sargv;
	int opt, fd, err;

	/* '+': options after PROG belong to PROG */
	while ((opt = getopt_long(argc, argv, "+t:o:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			kind = find_kind(optarg);
			break;
		case 'o':
			add_opts(extra, sizeof(extra), optarg);
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
	if (argc - optind < 2)
		usage(stderr, EX_USAGE);

	mountpoint = argv[optind];
	subtype = base_name(argv[optind + 1]);
	check_subtype(subtype);

	fd = open_device(kind);
	do_mount(kind, mountpoint, subtype, fd, extra);

	sargv = server_argv(&argv[optind + 1], argc - optind - 1, fd);
	if (sargv)
		execvp(sargv[0], sargv);
	err = sargv ? errno : ENOMEM;

	/*
	 * Nobody will ever serve this mount: take it away before exiting
	 * (lazily, in case something already walked into it), and closing
	 * the device on exit then fails whatever is still waiting.
	 */
	if (umount2(mountpoint, MNT_DETACH) < 0)
		fprintf(stderr, PROGNAME ": warning: umount of %s failed: %s\n",
			mountpoint, strerror(errno));
	die(sargv ? EX_FAIL : EX_SYSERR, "cannot run %s: %s",
	    argv[optind + 1], strerror(err));
}
