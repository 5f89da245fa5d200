// SPDX-License-Identifier: GPL-2.0
/*
 * mount.fuse2pt: the mount(8) helper for FUSE programs on fuse2pt.
 *
 *   mount -t fuse2pt.PROG SOURCE DIR [-o OPTS]
 *   mount -t fuse2pt PROG#SOURCE DIR [-o OPTS]
 *   /etc/fstab:  SOURCE  DIR  fuse2pt.PROG  OPTS  0 0
 *
 * mount(8) runs "mount.fuse2pt SOURCE DIR [-sfnv] [-o OPTS] [-t TYPE]".
 * OPTS are split: what the kernel understands goes to mount(2), what only
 * this helper understands is used here, and everything else is the
 * program's.  A program gets its mount in one of two ways (mount_by=):
 *
 *  - helper (programs whose file names libfuse3.so, and scripts): the
 *    helper does the kernel mount itself, on a fresh /dev/fuse2pt
 *    descriptor, and runs "PROG SOURCE /dev/fd/N [-o PROG_OPTS]": libfuse
 *    (3.3 and later) takes a /dev/fd/N mount point as an already mounted
 *    FUSE device;
 *  - program (every other ELF program: libfuse 2, Go and Rust FUSE
 *    libraries, statically linked ones): the helper runs "PROG SOURCE DIR
 *    [-o PROG_OPTS]", catches the program's own mount(2) with a seccomp
 *    user notification filter and makes that mount itself, as fuse2pt,
 *    on DIR only, with root's options; programs that run fusermount find
 *    fuse2pt's (tools/fuse2pt-fusermount.c) first in PATH.  See "the
 *    program mounts DIR itself" below for the rules.  Going by what the
 *    program does at the syscall level covers static programs and
 *    libfuse's own set-uid fusermount alike, with no library preloaded
 *    and no mount namespace, and the mount still lands in the caller's
 *    namespace, where mount(8) expects it.
 *
 * DIR is held by a descriptor from before the program starts, and every
 * mount and unmount goes through descriptors (struct mnt), never through
 * a path the program could change meanwhile.
 *
 * The program normally daemonizes; its first process exiting with status
 * 0 means it got going, and the mount must then answer within
 * ANSWER_SECS.  Any other exit, failing to start it, or a mount that does
 * not answer in time takes the mount away again (a connection nobody
 * serves is aborted first), so a failed mount leaves nothing behind.
 *
 * Exit status as mount(8) documents it for helpers: 0 mounted, 1 bad
 * usage, options or permissions, 2 a system error (memory, fork, pipe),
 * 32 the mount failed.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>

#define PROGNAME	"mount.fuse2pt"
#define FSTYPE		"fuse2pt"
#define DEVICE		"/dev/fuse2pt"
#define CTL_DIR		"/sys/fs/fuse2pt/connections"
#define CTL_FSTYPE	"fuse2ptctl"
#define OPTS_MAX	4096	/* the kernel copies one page of options */
#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ANSWER_SECS	30
/* fuse2pt-fusermount as fusermount and fusermount3 (tools/Makefile) */
#ifndef SHIM_DIR
#define SHIM_DIR	"/usr/lib/fuse2pt/bin"
#endif

/* tools/Makefile passes the version from the file VERSION */
#ifndef F2P_VERSION
#define F2P_VERSION	"(unknown version: built without tools/Makefile)"
#endif

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW	256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME	(1 << 25)
#endif

/* mount(8)'s exit codes */
#define EX_USAGE	1
#define EX_SYSERR	2
#define EX_FAIL		32

struct opts {
	unsigned long flags;		/* MS_* */
	char kernel[OPTS_MAX];		/* allow_other,default_permissions,... */
	char prog[OPTS_MAX];		/* handed to the program with -o */
	const char *setuid_user;
	const char *fsname;
	const char *subtype;
	int drop_privileges;
	enum { BY_AUTO, BY_HELPER, BY_PROGRAM } mount_by;
};

static int verbose;

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs(PROGNAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define die(code, ...) do { msg(__VA_ARGS__); exit(code); } while (0)

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: " PROGNAME " SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS] [-t fuse2pt.PROG]\n"
		"       " PROGNAME " PROG#SOURCE MOUNTPOINT [-sfnv] [-o OPTIONS]\n"
		"       " PROGNAME " --help | --version\n");
	if (status) {
		fprintf(out, "Try '" PROGNAME " --help' for more.\n");
		exit(status);
	}
	fprintf(out,
		"\n"
		"Mounts a FUSE program on fuse2pt: normally run by mount(8) for\n"
		"'mount -t fuse2pt.PROG SOURCE DIR' and fstab lines of type fuse2pt.PROG.\n"
		"Runs PROG SOURCE /dev/fd/N -o PROGRAM_OPTIONS on the mounted device.\n"
		"\n"
		"Options taken by the kernel: allow_other, default_permissions,\n"
		"  max_read=N, ro, rw, nosuid/suid, nodev/dev (default nosuid,nodev),\n"
		"  noexec/exec, sync/async, dirsync, [no]atime, [no]diratime,\n"
		"  [no]relatime, [no]strictatime, [no]lazytime, nosymfollow.\n"
		"Options taken by this helper: setuid=USER (run PROG as USER),\n"
		"  drop_privileges (PROG runs with no capabilities and no_new_privs),\n"
		"  fsname=NAME (the source shown in /proc/mounts), subtype=NAME\n"
		"  (type fuse2pt.NAME), and mount(8)'s defaults, auto, noauto,\n"
		"  nofail, _netdev, user, users, owner, group, comment=, x-*.\n"
		"Every other option is passed to PROG.\n"
		"  -f  dry run: print what would be done, do nothing (no root needed)\n"
		"  -v  print each step      -s, -n  accepted and ignored\n"
		"Exit status: 0 mounted, 1 bad usage, options or permissions,\n"
		"2 system error, 32 mount failed.  See mount.fuse2pt(8).\n");
	exit(status);
}

static void version(void)
{
	printf(PROGNAME " (fuse2pt) %s\n", F2P_VERSION);
	exit(0);
}

static void *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		die(EX_SYSERR, "out of memory");
	return p;
}

static void append(char *buf, const char *what, size_t len)
{
	size_t used = strlen(buf);

	if (used + !!used + len + 1 > OPTS_MAX)
		die(EX_USAGE, "options too long");
	if (used)
		buf[used++] = ',';
	memcpy(buf + used, what, len);
	buf[used + len] = '\0';
}

struct flag_opt {
	const char *name;
	unsigned long set, clear;
};

static const struct flag_opt flag_opts[] = {
	{ "ro",		MS_RDONLY,	0 },
	{ "rw",		0,		MS_RDONLY },
	{ "nosuid",	MS_NOSUID,	0 },
	{ "suid",	0,		MS_NOSUID },
	{ "nodev",	MS_NODEV,	0 },
	{ "dev",	0,		MS_NODEV },
	{ "noexec",	MS_NOEXEC,	0 },
	{ "exec",	0,		MS_NOEXEC },
	{ "sync",	MS_SYNCHRONOUS,	0 },
	{ "async",	0,		MS_SYNCHRONOUS },
	{ "dirsync",	MS_DIRSYNC,	0 },
	{ "noatime",	MS_NOATIME,	0 },
	{ "atime",	0,		MS_NOATIME },
	{ "nodiratime",	MS_NODIRATIME,	0 },
	{ "diratime",	0,		MS_NODIRATIME },
	{ "relatime",	MS_RELATIME,	0 },
	{ "norelatime",	0,		MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "nostrictatime", 0,		MS_STRICTATIME },
	{ "lazytime",	MS_LAZYTIME,	0 },
	{ "nolazytime",	0,		MS_LAZYTIME },
	{ "nosymfollow", MS_NOSYMFOLLOW, 0 },
	{ "silent",	MS_SILENT,	0 },
	{ "loud",	0,		MS_SILENT },
};

/* The names of the MS_* bits the options above can set, for -v and -f. */
static const struct {
	unsigned long bit;
	const char *name;
} flag_names[] = {
	{ MS_RDONLY, "MS_RDONLY" },
	{ MS_NOSUID, "MS_NOSUID" },
	{ MS_NODEV, "MS_NODEV" },
	{ MS_NOEXEC, "MS_NOEXEC" },
	{ MS_SYNCHRONOUS, "MS_SYNCHRONOUS" },
	{ MS_DIRSYNC, "MS_DIRSYNC" },
	{ MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW" },
	{ MS_NOATIME, "MS_NOATIME" },
	{ MS_NODIRATIME, "MS_NODIRATIME" },
	{ MS_SILENT, "MS_SILENT" },
	{ MS_RELATIME, "MS_RELATIME" },
	{ MS_STRICTATIME, "MS_STRICTATIME" },
	{ MS_LAZYTIME, "MS_LAZYTIME" },
};

/* flags as "MS_A|MS_B", "0" for none; bits without a name in hex */
static const char *flags_text(unsigned long flags)
{
	static char buf[512];
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(flags & flag_names[i].bit))
			continue;
		used += snprintf(buf + used, sizeof(buf) - used, "%s%s",
				 used ? "|" : "", flag_names[i].name);
		flags &= ~flag_names[i].bit;
	}
	if (flags)
		used += snprintf(buf + used, sizeof(buf) - used, "%s0x%lx",
				 used ? "|" : "", flags);
	if (!used)
		snprintf(buf, sizeof(buf), "0");
	return buf;
}

/* mount(8)'s own options, meaningless to the kernel and to the program */
static const char *const ignored_opts[] = {
	"defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser",
	"users", "owner", "group", NULL,
};

/* what the helper decides, so the user may not */
static const char *const reserved_opts[] = {
	"fd", "rootmode", "user_id", "group_id", NULL,
};

static int in_list(const char *const *list, const char *name, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && strncmp(*list, name, len) == 0)
			return 1;
	return 0;
}

static void check_number(const char *opt, const char *val)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(val, &end, 10);
	if (!*val || *end || errno || !isdigit((unsigned char)*val) || n > UINT_MAX)
		die(EX_USAGE, "bad option '%s': expected a number", opt);
}

/*
 * The value of one "name=value" option the helper itself uses, or NULL
 * when empty, with the option list's backslash escapes undone ("a\,b"
 * is "a,b"), as libfuse does for the options it takes.
 */
static const char *value_of(const char *opt, size_t len, size_t namelen)
{
	const char *in;
	char *v, *out;

	if (len <= namelen + 1)
		return NULL;
	v = xstrndup(opt + namelen + 1, len - namelen - 1);
	for (in = out = v; *in; in++) {
		if (*in == '\\' && in[1])
			in++;
		*out++ = *in;
	}
	*out = '\0';
	return v;
}

static void one_option(struct opts *o, const char *opt, size_t len)
{
	const char *eq = memchr(opt, '=', len);
	size_t namelen = eq ? (size_t)(eq - opt) : len;
	char shown[OPTS_MAX];
	size_t i;

	snprintf(shown, sizeof(shown), "%.*s", (int)len, opt);
	if (namelen == 0)
		die(EX_USAGE, "bad option '%s': no name", shown);

	for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++) {
		if (!eq && strlen(flag_opts[i].name) == len &&
		    strncmp(flag_opts[i].name, opt, len) == 0) {
			o->flags = (o->flags & ~flag_opts[i].clear) | flag_opts[i].set;
			return;
		}
	}
	if (in_list(ignored_opts, opt, namelen) ||
	    (namelen == 7 && strncmp(opt, "comment", 7) == 0) ||
	    strncmp(opt, "x-", 2) == 0)
		return;
	if (in_list(reserved_opts, opt, namelen))
		die(EX_USAGE, "bad option '%s': %.*s is set by " PROGNAME " itself",
		    shown, (int)namelen, opt);

#define IS(name) (namelen == strlen(name) && strncmp(opt, name, namelen) == 0)
	if (IS("allow_other") || IS("default_permissions")) {
		if (eq)
			die(EX_USAGE, "bad option '%s': takes no value", shown);
		append(o->kernel, opt, len);
	} else if (IS("max_read")) {
		check_number(shown, strchr(shown, '=') ? strchr(shown, '=') + 1 : "");
		append(o->kernel, opt, len);
	} else if (IS("blksize")) {
		die(EX_USAGE, "bad option '%s': blksize is for FUSE block-device mounts, which fuse2pt does not have", shown);
	} else if (IS("allow_root")) {
		die(EX_USAGE, "bad option '%s': not supported on fuse2pt, use allow_other", shown);
	} else if (IS("drop_privileges")) {
		if (eq)
			die(EX_USAGE, "bad option '%s': takes no value", shown);
		o->drop_privileges = 1;
	} else if (IS("mount_by")) {
		const char *v = value_of(opt, len, namelen);

		if (v && strcmp(v, "helper") == 0)
			o->mount_by = BY_HELPER;
		else if (v && strcmp(v, "program") == 0)
			o->mount_by = BY_PROGRAM;
		else
			die(EX_USAGE, "bad option '%s': mount_by is helper or program", shown);
	} else if (IS("setuid")) {
		o->setuid_user = value_of(opt, len, namelen);
		if (!o->setuid_user)
			die(EX_USAGE, "bad option '%s': setuid needs a user name", shown);
	} else if (IS("fsname")) {
		o->fsname = value_of(opt, len, namelen);
		if (!o->fsname)
			die(EX_USAGE, "bad option '%s': fsname needs a value", shown);
	} else if (IS("subtype")) {
		o->subtype = value_of(opt, len, namelen);
		if (!o->subtype)
			die(EX_USAGE, "bad option '%s': subtype needs a value", shown);
	} else {
		append(o->prog, opt, len);
	}
#undef IS
}

/*
 * Split a -o list at the commas.  A backslash keeps the next character
 * (libfuse's own parser does the same), so "a\,b" is one option; the
 * program gets its options as written, with the backslashes.
 */
static void parse_options(struct opts *o, const char *list)
{
	const char *start = list, *p;

	for (p = list; ; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != ',' && *p)
			continue;
		if (p > start)
			one_option(o, start, p - start);
		if (!*p)
			break;
		start = p + 1;
	}
}

/* PROG's full path: as given when it has a slash, else found in PATH. */
static char *find_program(const char *prog)
{
	const char *path = getenv("PATH"), *dir, *end;
	static char full[PATH_MAX];
	size_t n;

	if (strchr(prog, '/')) {
		if (access(prog, X_OK) < 0)
			die(EX_FAIL, "program %s: %s", prog, strerror(errno));
		return xstrndup(prog, strlen(prog));
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	for (dir = path; ; dir = end + 1) {
		end = strchr(dir, ':');
		n = end ? (size_t)(end - dir) : strlen(dir);
		if (n && snprintf(full, sizeof(full), "%.*s/%s", (int)n, dir, prog) < (int)sizeof(full)) {
			struct stat st;

			if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
				return xstrndup(full, strlen(full));
		}
		if (!end)
			break;
	}
	die(EX_FAIL, "program '%s' not found (searched %s); install it or give its full path",
	    prog, path);
}

static int run_wait(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die(EX_SYSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0 && !verbose)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int device_present(void)
{
	struct stat st;

	return stat(DEVICE, &st) == 0 && S_ISCHR(st.st_mode);
}

static int module_present(void)
{
	struct stat st;

	return stat("/sys/module/" FSTYPE, &st) == 0;
}

/* Load the module when the device is missing, as mount.fuse3 relies on
 * fuse being loaded on demand. */
static void ensure_module(void)
{
	char *modprobe[] = { "modprobe", FSTYPE, NULL };
	int rc, i;

	if (device_present())
		return;
	if (!module_present()) {
		if (verbose)
			printf(PROGNAME ": %s missing: modprobe %s\n", DEVICE, FSTYPE);
		if (!getenv("PATH"))
			setenv("PATH", DEFAULT_PATH, 1);
		fflush(stdout);
		rc = run_wait(modprobe);
		if (rc != 0)
			die(EX_FAIL, "the %s module is not loaded and 'modprobe %s' failed%s "
			    "(is fuse2pt-dkms or 'make install' done for this kernel?)",
			    FSTYPE, FSTYPE, rc == 127 ? " (modprobe not found)" : "");
	}
	/* devtmpfs makes the node during module init; udev may follow */
	for (i = 0; i < 50 && !device_present(); i++)
		usleep(100 * 1000);
	if (!device_present())
		die(EX_FAIL, "module %s is loaded but %s does not exist "
		    "(is devtmpfs mounted on /dev?)", FSTYPE, DEVICE);
}

/*
 * Without O_CLOEXEC on purpose: the descriptor is the program's only link
 * to the mount.
 */
static int open_device(void)
{
	int fd = open(DEVICE, O_RDWR);

	if (fd < 0)
		die(EX_FAIL, "cannot open %s: %s", DEVICE, strerror(errno));
	return fd;
}

/* The number the next open() will get: what a dry run shows as fd=N. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? 3 : fd;
}

/*
 * The new mount API, called by number: glibc before 2.36 has no wrappers,
 * and 2.36's <sys/mount.h> cannot be included beside <linux/mount.h>.  The
 * values are the kernel's ABI (include/uapi/linux/mount.h).
 */
#ifndef SYS_move_mount
#define SYS_move_mount		429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen		430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig		431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount		432
#endif
#define FSOPEN_CLOEXEC_		0x1
#define FSMOUNT_CLOEXEC_	0x1
#define FSCONFIG_SET_FLAG_	0
#define FSCONFIG_SET_STRING_	1
#define FSCONFIG_CMD_CREATE_	6
#define MOVE_MOUNT_F_EMPTY_PATH_ 0x04
#define MOVE_MOUNT_T_EMPTY_PATH_ 0x40
#define MOUNT_ATTR_RDONLY_	0x01
#define MOUNT_ATTR_NOSUID_	0x02
#define MOUNT_ATTR_NODEV_	0x04
#define MOUNT_ATTR_NOEXEC_	0x08
#define MOUNT_ATTR_NOATIME_	0x10
#define MOUNT_ATTR_STRICTATIME_	0x20
#define MOUNT_ATTR_NODIRATIME_	0x80
#define MOUNT_ATTR_NOSYMFOLLOW_	0x00200000

/*
 * Our mount, held by descriptors, never by name: the mount point is opened
 * (O_PATH, no symlink followed) before any program runs, the mount is made
 * detached (fsopen, fsmount) and moved onto that very directory, and the
 * descriptor fsmount gives is the mount's root.  A program that renames
 * or swaps the directory, or a path through a symlink, cannot make
 * mount.fuse2pt mount elsewhere or unmount anybody else's mount.
 */
struct mnt {
	int dir_fd;		/* the mount point, O_PATH */
	int root_fd;		/* our mount's root; -1 until mounted */
	dev_t dev;		/* its superblock: connection (major << 20 | minor) */
	unsigned long long id;	/* its mount id (mountinfo's first field) */
};

/* the kernel copies at most this much of one fsconfig(2) string */
#define FSCONFIG_STR_MAX	255

#ifndef SYS_openat2
#define SYS_openat2		437
#endif
#define RESOLVE_NO_SYMLINKS_	0x04

/* open(path, O_PATH) through no symlink at all (openat2, 5.6) */
static int open_nofollow(const char *path)
{
	struct {
		__u64 flags, mode, resolve;
	} how = { O_PATH | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS_ };
	int fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* /proc/self/fd/N: a name for exactly what descriptor N holds */
static const char *fd_name(int fd)
{
	static char buf[2][32];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "/proc/self/fd/%d", fd);
	return buf[i];
}

/* The kernel's messages about a failed configuration, into why. */
static void fs_log(int fsfd, char *why, size_t whylen)
{
	char line[512];
	size_t used = strlen(why);
	ssize_t n;

	while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		/* "e fuse2pt: text": the level letter dropped */
		used += snprintf(why + used, used < whylen ? whylen - used : 0, "%s%s",
				 used ? "; " : "", n > 2 && line[1] == ' ' ? line + 2 : line);
		if (used >= whylen)
			break;
	}
}

/*
 * Mount fstype (fuse2pt or fuse2pt.SUBTYPE) on m->dir_fd with mount(2)'s
 * flags and comma-separated data, split as mount(2) splits it.  0, or an
 * errno with the kernel's reason (when it gave one) in why.
 */
static int make_mount(struct mnt *m, const char *source, const char *fstype,
		      unsigned long flags, const char *data, char *why, size_t whylen)
{
	static const struct {
		unsigned long ms;
		const char *key;
	} sb_flags[] = {
		{ MS_RDONLY, "ro" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
		{ MS_LAZYTIME, "lazytime" },
	};
	unsigned int attrs = 0;
	const char *dot = strchr(fstype, '.');
	char *copy, *opt, *save = NULL;
	int fsfd, fd, err = 0;
	struct statx stx;
	size_t i;

	*why = '\0';
	if (strlen(source) > FSCONFIG_STR_MAX || (dot && strlen(dot + 1) > FSCONFIG_STR_MAX)) {
		snprintf(why, whylen, "the source (fsname) and the subtype may have at most %d "
			 "bytes each", FSCONFIG_STR_MAX);
		return ENAMETOOLONG;
	}
	fsfd = syscall(SYS_fsopen, FSTYPE, FSOPEN_CLOEXEC_);
	if (fsfd < 0)
		return errno;
#define CONFIG(cmd, key, val) \
	(syscall(SYS_fsconfig, fsfd, (cmd), (key), (val), 0) < 0 ? (err = errno) : 0)
	CONFIG(FSCONFIG_SET_STRING_, "source", source);
	if (!err && dot)
		CONFIG(FSCONFIG_SET_STRING_, "subtype", dot + 1);
	for (i = 0; !err && i < sizeof(sb_flags) / sizeof(sb_flags[0]); i++)
		if (flags & sb_flags[i].ms)
			CONFIG(FSCONFIG_SET_FLAG_, sb_flags[i].key, NULL);
	copy = xstrndup(data, strlen(data));
	for (opt = strtok_r(copy, ",", &save); !err && opt; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');

		if (eq && strlen(eq + 1) > FSCONFIG_STR_MAX) {
			*eq = '\0';
			snprintf(why, whylen, "option %s= may have at most %d bytes", opt,
				 FSCONFIG_STR_MAX);
			err = ENAMETOOLONG;
		} else if (eq) {
			*eq = '\0';
			CONFIG(FSCONFIG_SET_STRING_, opt, eq + 1);
		} else {
			CONFIG(FSCONFIG_SET_FLAG_, opt, NULL);
		}
	}
	free(copy);
	if (!err)
		CONFIG(FSCONFIG_CMD_CREATE_, NULL, NULL);
#undef CONFIG
	if (err) {
		if (err != ENAMETOOLONG)
			fs_log(fsfd, why, whylen);
		close(fsfd);
		return err;
	}

	if (flags & MS_RDONLY)
		attrs |= MOUNT_ATTR_RDONLY_;
	if (flags & MS_NOSUID)
		attrs |= MOUNT_ATTR_NOSUID_;
	if (flags & MS_NODEV)
		attrs |= MOUNT_ATTR_NODEV_;
	if (flags & MS_NOEXEC)
		attrs |= MOUNT_ATTR_NOEXEC_;
	if (flags & MS_NODIRATIME)
		attrs |= MOUNT_ATTR_NODIRATIME_;
	if (flags & MS_NOSYMFOLLOW)
		attrs |= MOUNT_ATTR_NOSYMFOLLOW_;
	/* as mount(2): relatime unless noatime, strictatime over both */
	if (flags & MS_STRICTATIME)
		attrs |= MOUNT_ATTR_STRICTATIME_;
	else if (flags & MS_NOATIME)
		attrs |= MOUNT_ATTR_NOATIME_;
	fd = syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC_, attrs);
	if (fd < 0) {
		err = errno;
		fs_log(fsfd, why, whylen);
		close(fsfd);
		return err;
	}
	close(fsfd);
	/*
	 * Its device and mount id while it is still detached, asking for
	 * nothing without sync: answered by the VFS, never by the file
	 * system, whose server has not answered INIT yet (it may not even
	 * have the device yet).  Nothing can fail once it is attached.
	 */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, 0, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) ||
	    syscall(SYS_move_mount, fd, "", m->dir_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH_ | MOVE_MOUNT_T_EMPTY_PATH_) < 0) {
		err = errno ? errno : ENOSYS;
		close(fd);	/* a detached mount goes with its last descriptor */
		return err;
	}
	m->root_fd = fd;
	m->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	m->id = stx.stx_mnt_id;
	return 0;
}

static int write_abort(const char *dir, dev_t dev)
{
	char path[PATH_MAX];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%u/abort", dir, (major(dev) << 20) | minor(dev));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

/*
 * Abort the connection of our mount through its control file abort
 * (connection N is the mount's device number, the kernel's
 * major << 20 | minor).  The control file system is mounted on CTL_DIR
 * for the time it takes when nobody has mounted it there.
 */
static int abort_connection(const struct mnt *m)
{
	int ok;

	if (write_abort(CTL_DIR, m->dev))
		return 1;
	if (mount(CTL_FSTYPE, CTL_DIR, CTL_FSTYPE, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return 0;
	ok = write_abort(CTL_DIR, m->dev);
	if (umount2(CTL_DIR, MNT_DETACH) < 0)
		msg("warning: could not unmount %s again: %s", CTL_DIR, strerror(errno));
	return ok;
}

/*
 * Whether mountinfo has a mount whose own id (field 0) or parent's id
 * (field 1) is id; 1 when it cannot tell.  Lines are read whole, however
 * long, so that no tail of one is taken for a line of its own.
 */
static int mountinfo_has(unsigned long long id, int field)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return 1;
	while (!found && getline(&line, &cap, f) > 0) {
		unsigned long long v[2];

		found = sscanf(line, "%llu %llu ", &v[0], &v[1]) == 2 && v[field] == id;
	}
	free(line);
	fclose(f);
	return found;
}

/*
 * Take back a mount nobody will serve: ours, through its root's
 * descriptor.  umount2() of that name reaches the topmost mount at the
 * place (the lookup goes down the stack), so it is only done while
 * nothing is mounted on ours: another mount made on DIR meanwhile, by
 * anybody, stays, and ours stays under it (its connection aborted).
 */
static const char *undo_mount(struct mnt *m, const char *dir)
{
	const char *done = "unmounted again";

	if (m->root_fd < 0)
		return "nothing was mounted";
	/*
	 * The connection first: the last reference to the mount ends its
	 * superblock, whose writeback would otherwise wait on a server that
	 * may still be there and not answer.
	 */
	abort_connection(m);
	if (mountinfo_has(m->id, 1)) {
		done = "left under what was mounted on it since";
		msg("warning: not unmounting %s again: something else is mounted on it now "
		    "(its connection is aborted; unmount both by hand)", dir);
	} else if (umount2(fd_name(m->root_fd), MNT_DETACH) < 0) {
		done = "could not be unmounted again";
		msg("warning: could not unmount %s again: %s", dir, strerror(errno));
	} else if (mountinfo_has(m->id, 0)) {
		/* something was mounted on ours in between: that one went */
		done = "left mounted: what another mount put on it was unmounted instead";
		msg("warning: %s is still mounted (mount id %llu): a mount made on it meanwhile "
		    "was unmounted instead", dir, m->id);
	}
	close(m->root_fd);
	m->root_fd = -1;
	return done;
}

/*
 * The program's first process exiting with 0 only says it got going: a
 * libfuse program answers INIT after it daemonized, and may refuse it.
 * A stat of the mount waits for INIT; a connection that is already dead
 * answers ENOTCONN or ECONNREFUSED.  The stat runs in a child, so that a
 * program that never answers cannot hang mount(8): after ANSWER_SECS its
 * connection is aborted, which ends the child's wait.  With setuid= the
 * child stats as that user, the mount's owner: without allow_other
 * fuse2pt refuses anybody else at once, before INIT.
 *
 * 0 when the mount answers, an errno when it answered with a dead
 * connection, -1 when it did not answer in time.
 */
static int check_answers(const char *dir, struct mnt *m, const struct passwd *pw)
{
	struct timespec now, end;
	struct stat st;
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		int err = errno;

		die(EX_SYSERR, "fork: %s (%s %s)", strerror(err), dir, undo_mount(m, dir));
	}
	if (pid == 0) {
		if (pw && (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
			   setuid(pw->pw_uid) < 0))
			_exit(0);	/* cannot check: take it as answering */
		_exit(fstat(m->root_fd, &st) < 0 ? errno : 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ANSWER_SECS;
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (!WIFEXITED(status))
				return 0;
			switch (WEXITSTATUS(status)) {
			case ENOTCONN:
			case ECONNREFUSED:
			case ECONNABORTED:
				return WEXITSTATUS(status);
			}
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		usleep(100 * 1000);
	}
	if (!abort_connection(m))
		msg("warning: could not abort the connection of %s (%s/%u/abort); "
		    "it ends when the program exits", dir, CTL_DIR,
		    (major(m->dev) << 20) | minor(m->dev));
	/* the wait for INIT is killable, should the abort not have ended it */
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* capget/capset of the calling thread, both 32-bit halves */
static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(data, 0, 2 * sizeof(*data));
	return syscall(SYS_capget, &hdr, data);
}

static int caps_clear(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return syscall(SYS_capset, &hdr, data);
}

static int cap_effective(int cap)
{
	struct __user_cap_data_struct data[2];

	if (caps_get(data) < 0)
		return 0;
	return !!(data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap));
}

/* Where the child failed before it could become the program. */
enum child_step { STEP_TRAP, STEP_BOUND, STEP_USER, STEP_CAPS, STEP_EXEC };

static const char *const step_text[] = {
	[STEP_TRAP] = "cannot catch the program's mount(2) calls (seccomp user notification)",
	[STEP_BOUND] = "cannot drop the capability bounding set",
	[STEP_USER] = "cannot become the setuid= user",
	[STEP_CAPS] = "cannot drop capabilities",
	[STEP_EXEC] = "cannot run",
};

struct child_err {
	int step;
	int err;
};

static void __attribute__((noreturn)) child_fail(int pfd, int step)
{
	struct child_err ce = { step, errno };

	if (write(pfd, &ce, sizeof(ce)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * drop_privileges, first half, while CAP_SETPCAP is still there: empty
 * the bounding set, so nothing executed later gains a capability, and set
 * the securebits for good (each locked): NOROOT, so uid 0 gains nothing
 * at exec; NO_SETUID_FIXUP, so a change of uid neither drops nor
 * restores capabilities (drop_caps clears them); KEEP_CAPS locked off.
 */
static void drop_bounding(int pfd)
{
	int cap;

	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			child_fail(pfd, STEP_BOUND);
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0) < 0)
		child_fail(pfd, STEP_BOUND);
}

/* drop_privileges, second half: no capabilities, no way to get any back */
static void drop_caps(int pfd)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		child_fail(pfd, STEP_CAPS);
	if (caps_clear() < 0)
		child_fail(pfd, STEP_CAPS);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(pfd, STEP_CAPS);
}

static void become_user(const struct passwd *pw, int pfd)
{
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		child_fail(pfd, STEP_USER);
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
		child_fail(pfd, STEP_USER);
}

/*
 * The program mounts DIR itself (mount_by=program), and mount.fuse2pt makes
 * that mount.  A seccomp filter installed in the child before exec turns
 * every mount(2) of the program and of whatever it runs (its fusermount,
 * libfuse's set-uid fusermount included) into a user notification that
 * serve_one() answers here; fsopen(2) fails with ENOSYS, so that a program
 * trying the new mount API falls back to mount(2).  The filter stays with
 * the program: after mount.fuse2pt has exited its mount(2) calls fail with
 * ENOSYS.
 *
 * A FUSE mount request (type fuse, fuse.*, fuse2pt, fuse2pt.*) is made
 * here, once, as root decided it: on DIR (the request must name that
 * directory as the program sees it, in mount.fuse2pt's mount namespace),
 * of type fuse2pt.SUBTYPE with root's source and options.  From the
 * request only restrictions are taken (ro, nosuid, nodev, noexec, sync,
 * dirsync, noatime, nodiratime, default_permissions, max_read), and
 * allow_other when the program runs as root with every uid 0 (who could
 * have mounted with it anyway), root's options have it, or /etc/fuse.conf
 * says user_allow_other (fusermount3's rule for users).  The request's
 * fd=N must be the program's open /dev/fuse or
 * /dev/fuse2pt; the program's descriptor N is then replaced by one of
 * /dev/fuse2pt (SECCOMP_ADDFD_FLAG_SETFD), so it serves fuse2pt without
 * knowing.  Other mounts (not FUSE, or bind, move, remount, propagation
 * changes) go on to the kernel unchanged, which checks them as always.
 * The program is hostile by assumption: what it names is looked at in
 * children with a deadline (look_in_child), what it says is printed with
 * control characters masked, and a request that cannot be read is refused.
 */
struct serve {
	const char *dir, *msrc, *fstype, *prog;
	const struct opts *o;
	struct mnt *m;		/* the mount point's descriptor, then our mount */
	dev_t dir_dev;
	ino_t dir_ino;
	unsigned int uid, gid, rootmode;
	int by_helper;		/* it was given the mounted device as /dev/fd/N */
	int listener;
	__u64 cur_id;		/* the notification being answered */
	int cur_pidfd;		/* its caller, from right after it came; -1 */
	int mounted;
	int spent;		/* a mount was made once: never another */
	int wedged;		/* a child is stuck in the listener: never touch it */
	char refused[1024];	/* why the last FUSE mount request was refused */
};

#ifndef MS_MGC_VAL
#define MS_MGC_VAL	0xc0ed0000
#define MS_MGC_MSK	0xffff0000
#endif
#define MS_NOT_NEW	(MS_REMOUNT | MS_BIND | MS_MOVE | MS_SHARED | MS_PRIVATE | \
			 MS_SLAVE | MS_UNBINDABLE)
/* flags a program may add to root's: each only takes something away */
#define MS_PROG_MAY	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | \
			 MS_DIRSYNC | MS_NOATIME | MS_NODIRATIME)

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT	0x40000000
#endif
#define NR_MOUNT_X86_64		165
#define NR_MOUNT_I386		21
#define NR_FSOPEN		430	/* the same on x86_64 and i386 */

#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV_	(1UL << 5)

/* In the child, before exec: install the filter, return its listener. */
static int trap_mounts(void)
{
	/* (a jump's offsets count instructions after the next one) */
	struct sock_filter f[] = {
		/* 0: */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* x32 calls are the x86_64 numbers with one more bit */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(__u32)__X32_SYSCALL_BIT),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_MOUNT_X86_64, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_FSOPEN, 6, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 7: */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_MOUNT_I386, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_FSOPEN, 1, 2),
		/* 11: mount */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		/* 12: fsopen */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
		/* 13: */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	int l;

#if !defined(__x86_64__) && !defined(__i386__)
	/* the filter knows x86's system call numbers only */
	(void)prog;
	errno = ENOSYS;
	return -1;
#endif
	/*
	 * Once a call is being answered, only a fatal signal may end its wait
	 * (5.19): a restarted mount(2) would find its mount made already.
	 */
	l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV_, &prog);
	if (l < 0 && errno == EINVAL)
		l = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			    &prog);
	return l;
}

/* Pass or take one descriptor over a Unix socket (SCM_RIGHTS). */
static int fd_send(int sock, int fd)
{
	char byte = 0, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *c;

	memset(buf, 0, sizeof(buf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int fd_recv(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		if (n == 0)
			errno = 0;	/* closed without sending */
		return -1;
	}
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = (mh.msg_flags & MSG_CTRUNC) ? EMSGSIZE : EBADMSG;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * A NUL-terminated string of the stopped caller at addr, into buf; -1 when
 * it cannot be read or does not fit.  The caller may change its memory
 * meanwhile: what is read only decides whether and which errno to answer,
 * never what is mounted where.
 */
static int peek_string(int mem, __u64 addr, char *buf, size_t size)
{
	size_t got = 0;

	if (!addr)
		return -1;
	while (got < size) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		ssize_t n;

		if (chunk > size - got)
			chunk = size - got;
		n = pread(mem, buf + got, chunk, (off_t)(addr + got));
		if (n <= 0)
			return -1;
		if (memchr(buf + got, '\0', n))
			return 0;
		got += n;
	}
	return -1;
}

static int is_fuse_type(const char *type)
{
	static const char *const names[] = { "fuse", "fuseblk", FSTYPE, NULL };
	const char *const *n;

	for (n = names; *n; n++) {
		size_t len = strlen(*n);

		if (strncmp(type, *n, len) == 0 && (type[len] == '\0' || type[len] == '.'))
			return 1;
	}
	return 0;
}

/* A name in a comma-separated list? */
static int has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == '\0' || p[len] == ',' ||
						     p[len] == '='))
			return 1;
	return 0;
}

/*
 * Whether /etc/fuse.conf has a line user_allow_other: fusermount3's rule
 * for an ordinary user's allow_other, kept for the programs served here.
 */
static int user_allow_other(void)
{
	char line[256];
	FILE *f = fopen("/etc/fuse.conf", "re");
	int yes = 0;

	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f))
		yes = strncmp(line, "user_allow_other", 16) == 0 &&
		      (line[16] == '\n' || line[16] == '\0' || isspace((unsigned char)line[16]));
	fclose(f);
	return yes;
}

/*
 * The real, effective, saved and file-system uid of pid (/proc/PID/status);
 * -1 each when unknown.  A program runs as root only with all four 0: a
 * user's run of a set-uid root program (libfuse's fusermount) does not,
 * and fusermount3 goes by the real uid too.
 */
static void proc_uids(pid_t pid, long id[4])
{
	char path[64], line[256];
	FILE *f;

	id[0] = id[1] = id[2] = id[3] = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld %ld %ld", &id[0], &id[1], &id[2], &id[3]) == 4)
			break;
	fclose(f);
}

static int same_ns(pid_t pid)
{
	char path[64], mine[64], theirs[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	a = readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1);
	b = readlink(path, theirs, sizeof(theirs) - 1);
	return a > 0 && a == b && memcmp(mine, theirs, a) == 0;
}

/*
 * A program's paths and memory may lead into a FUSE file system nobody
 * answers (one of its own), where a stat, or a read of its memory backed
 * by such a file, would wait for good, even killed.  So each such look
 * runs in a child given LOOK_MS: fn fills size bytes at out, which come
 * back through a pipe.  The child keeps no descriptor of ours but the
 * pipe and the ones named in keep (-1: none), so a child that stays stuck
 * holds nothing: not the listener, not DIR, not our mount.  One that
 * takes longer is killed and reaped later (stuck[]); one stuck where even
 * SIGKILL does not reach is left to init when the helper exits.  0 when
 * the look finished.
 */
#define LOOK_MS		5000
#define STUCK_MAX	16

static pid_t stuck[STUCK_MAX];
/*
 * A look had to be killed: the program leads us into something that does
 * not answer, and every further look could leave one more stuck child
 * (root's, not counted against the user).  Its later requests are
 * refused unread.
 */
static int looks_hung;

static void reap_stuck(void)
{
	int i, status;

	for (i = 0; i < STUCK_MAX; i++)
		if (stuck[i] > 0 && waitpid(stuck[i], &status, WNOHANG) == stuck[i])
			stuck[i] = 0;
}

#ifndef SYS_close_range
#define SYS_close_range	436
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal	424
#endif

/* Close every descriptor from 3 on but those in keep[] (-1 ends it). */
static void close_others(const int *keep, int n)
{
	int lo = 3, i, j, next;

	for (;;) {
		/* the smallest kept descriptor at or above lo */
		next = INT_MAX;
		for (i = 0; i < n; i++)
			if (keep[i] >= lo && keep[i] < next)
				next = keep[i];
		if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) < 0)
			for (j = lo; j < next && j < 65536; j++)
				close(j);
		if (next == INT_MAX)
			return;
		lo = next + 1;
	}
}

static int look_in_child(void (*fn)(const void *arg, void *out), const void *arg,
			 void *out, size_t size, int keep1, int keep2)
{
	struct timespec t0, now;
	size_t got = 0;
	int p[2], status, i;
	pid_t pid;

	reap_stuck();
	if (looks_hung || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int keep[3] = { p[1], keep1, keep2 };
		const char *c = out;
		ssize_t n;
		int null;

		close_others(keep, 3);
		/* nothing of the caller's: a stuck child must not hold its output */
		null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		memset(out, 0, size);
		fn(arg, out);
		while (got < size && (n = write(p[1], c + got, size - got)) > 0)
			got += n;
		_exit(0);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < size) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = LOOK_MS - (now.tv_sec - t0.tv_sec) * 1000 -
		       (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (left <= 0)
			break;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		n = read(p[0], (char *)out + got, size - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(p[0]);
	if (got == size) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return 0;
	}
	kill(pid, SIGKILL);
	looks_hung = 1;
	if (waitpid(pid, &status, WNOHANG) != pid)
		for (i = 0; i < STUCK_MAX; i++)
			if (stuck[i] <= 0) {
				stuck[i] = pid;
				break;
			}
	return -1;
}

struct stat_look {
	int err;
	struct stat st;
};

static void look_stat(const void *arg, void *out)
{
	struct stat_look *l = out;

	if (stat(arg, &l->st) < 0)
		l->err = errno;
}

/* stat(2) of a path a program named; an errno, ETIMEDOUT when it hung */
static int timed_stat(const char *path, struct stat *st)
{
	struct stat_look l;

	if (look_in_child(look_stat, path, &l, sizeof(l), -1, -1) < 0)
		return ETIMEDOUT;
	*st = l.st;
	return l.err;
}

/* a program's descriptor: what it is, and whether it is close-on-exec */
struct fd_look {
	pid_t pid;
	int fd;
	/* out: */
	int err, cloexec;
	struct stat st;
};

static void look_fd(const void *arg, void *out)
{
	const struct fd_look *q = arg;
	struct fd_look *l = out;
	char path[64], line[256];
	unsigned long flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)q->pid, q->fd);
	if (stat(path, &l->st) < 0) {
		l->err = errno;
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)q->pid, q->fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	fclose(f);
	l->cloexec = !!(flags & O_CLOEXEC);
}

/* what a mount(2) call asks, read from the caller's memory */
struct mount_look {
	pid_t pid;
	__u64 type_at, target_at, opts_at;
	/* out: */
	int mem_err;		/* /proc/PID/mem could not be opened */
	int type_ok, target_ok, opts_ok;
	char type[256], target[PATH_MAX], opts[OPTS_MAX];
};

static void look_mount(const void *arg, void *out)
{
	const struct mount_look *q = arg;
	struct mount_look *l = out;
	char path[64];
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)q->pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem < 0) {
		l->mem_err = errno ? errno : EIO;
		return;
	}
	l->type_ok = peek_string(mem, q->type_at, l->type, sizeof(l->type)) == 0;
	l->target_ok = peek_string(mem, q->target_at, l->target, sizeof(l->target)) == 0;
	l->opts_ok = !q->opts_at || peek_string(mem, q->opts_at, l->opts, sizeof(l->opts)) == 0;
	if (!q->opts_at)
		l->opts[0] = '\0';
	close(mem);
}

/*
 * A program's text as it may go to a terminal or a log: control
 * characters (C0, DEL, and C1 whether as a raw byte or UTF-8) and bytes
 * that are not UTF-8 become '?'.
 */
static void printable(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		int len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			  (*p & 0xf8) == 0xf0 ? 4 : 0;
		int i, ok = len > 0;

		for (i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (len == 1)
			ok = *p >= 0x20 && *p != 0x7f;
		else if (ok && len == 2)		/* overlong; C1: U+0080-U+009F */
			ok = *p >= 0xc2 && !(*p == 0xc2 && p[1] < 0xa0);
		else if (ok && len == 3)		/* overlong; surrogates; bidi */
			ok = !(*p == 0xe0 && p[1] < 0xa0) && !(*p == 0xed && p[1] >= 0xa0) &&
			     !(*p == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) &&
			     !(*p == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
		else if (ok && len == 4)		/* overlong; past U+10FFFF */
			ok = !(*p == 0xf0 && p[1] < 0x90) && *p <= 0xf4 &&
			     !(*p == 0xf4 && p[1] >= 0x90);
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += len;
	}
}

/*
 * Put our device descriptor in place of the program's fd=N.  The kernel
 * closes the program's old descriptor there, in the program, while the
 * listener waits (uninterruptibly once signalled): should that close wait
 * on a file system that does not answer, only the child doing this hangs.
 */
struct hand_fd {
	int listener;
	struct seccomp_notif_addfd add;
};

static void hand_fd(const void *arg, void *out)
{
	const struct hand_fd *h = arg;
	struct seccomp_notif_addfd add = h->add;

	*(int *)out = ioctl(h->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 ? errno : 0;
}

/*
 * Check a FUSE mount request and make the mount; 0 or an errno for the
 * caller, with the reason in sv->refused.
 */
static int serve_fuse_mount(struct serve *sv, pid_t pid, const char *target,
			    unsigned long flags, const char *type, const char *req)
{
	char path[PATH_MAX + 64], data[OPTS_MAX], extra[OPTS_MAX], kwhy[512];
	char *copy, *opt, *save = NULL;
	unsigned long want = sv->o->flags | (flags & MS_PROG_MAY);
	long theirs = -1, uid[4];
	struct fd_look fdq = { 0 }, fdl;
	struct hand_fd add = { 0 };
	struct stat st, dev;
	int fd, err, n, root;

#define REFUSE(e, ...) do { snprintf(sv->refused, sizeof(sv->refused), __VA_ARGS__); \
			    printable(sv->refused); return (e); } while (0)
	if (strncmp(type, "fuseblk", 7) == 0)
		REFUSE(EINVAL, "it asked for a block-device FUSE mount (%.100s), which fuse2pt does not have",
		       type);
	if (sv->by_helper)
		REFUSE(EPERM, "it mounts %.200s by itself instead of serving the mounted device it was "
		       "given as /dev/fd/N (it does not take one); mount it with -o mount_by=program",
		       target);
	if (sv->mounted)
		REFUSE(EBUSY, "it asked for a second FUSE mount (on %.200s); mount.fuse2pt makes one", target);
	if (sv->spent)
		REFUSE(EBUSY, "it asked again (on %.200s) after its mount was taken back; "
		       "mount.fuse2pt makes one", target);
	if (!same_ns(pid))
		REFUSE(EPERM, "it mounts in a mount namespace of its own, where mount.fuse2pt does not mount");
	snprintf(path, sizeof(path), "/proc/%d/%s/%s", (int)pid, *target == '/' ? "root" : "cwd",
		 target);
	err = timed_stat(path, &st);
	if (err == ETIMEDOUT)
		REFUSE(EPERM, "its mount point %.200s did not answer a stat within %d ms", target,
		       LOOK_MS);
	if (err || st.st_dev != sv->dir_dev || st.st_ino != sv->dir_ino)
		REFUSE(EPERM, "it asked to mount on %.200s, not on %.200s", target, sv->dir);

	/* the program's own options: fd=N, and what it may add to root's */
	extra[0] = '\0';
	proc_uids(pid, uid);
	root = !uid[0] && !uid[1] && !uid[2] && !uid[3];
	copy = xstrndup(req, strlen(req));
	for (opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		size_t namelen = eq ? (size_t)(eq - opt) : strlen(opt);
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)(namelen < 31 ? namelen : 31), opt);
		if (strcmp(name, "fd") == 0 && eq) {
			char *end;

			errno = 0;
			theirs = strtol(eq + 1, &end, 10);
			if (*end || errno || !isdigit((unsigned char)eq[1]) || theirs > INT_MAX)
				theirs = -1;
		} else if (strcmp(name, "rootmode") == 0 || strcmp(name, "user_id") == 0 ||
			   strcmp(name, "group_id") == 0) {
			/* set by mount.fuse2pt */
		} else if ((!eq && strcmp(name, "default_permissions") == 0) ||
			   (!eq && strcmp(name, "allow_other") == 0 &&
			    (root || has_word(sv->o->kernel, name) || user_allow_other())) ||
			   (eq && strcmp(name, "max_read") == 0 &&
			    strspn(eq + 1, "0123456789") == strlen(eq + 1) && eq[1] &&
			    strlen(eq + 1) < 11)) {
			if (!has_word(sv->o->kernel, name) && !has_word(extra, name))
				append(extra, opt, strlen(opt));
		} else if (!eq && strcmp(name, "allow_other") == 0) {
			free(copy);
			REFUSE(EPERM, "it asked for allow_other while running as uid %ld (effective "
			       "%ld), which neither root's options nor /etc/fuse.conf "
			       "(user_allow_other) allow", uid[0], uid[1]);
		} else {
			snprintf(path, sizeof(path), "%s", opt);
			free(copy);
			REFUSE(EINVAL, "its mount option '%.200s' is not one fuse2pt takes from a program",
			       path);
		}
	}
	free(copy);
	if (theirs < 0)
		REFUSE(EINVAL, "its mount options name no device (fd=N)");
	fdq.pid = pid;
	fdq.fd = (int)theirs;
	if (look_in_child(look_fd, &fdq, &fdl, sizeof(fdl), -1, -1) < 0)
		REFUSE(EPERM, "its fd=%ld could not be looked at within %d ms", theirs, LOOK_MS);
	if (fdl.err || !S_ISCHR(fdl.st.st_mode) || stat(DEVICE, &dev) < 0 ||
	    (fdl.st.st_rdev != dev.st_rdev && fdl.st.st_rdev != makedev(10, 229)))
		REFUSE(EINVAL, "its fd=%ld is not an open /dev/fuse or " DEVICE, theirs);

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		REFUSE(EIO, "cannot open " DEVICE ": %s", strerror(errno));
	n = snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s%s%s%s",
		     fd, sv->rootmode, sv->uid, sv->gid, *sv->o->kernel ? "," : "",
		     sv->o->kernel, *extra ? "," : "", extra);
	if (n < 0 || (size_t)n >= sizeof(data)) {
		close(fd);
		REFUSE(EINVAL, "options too long");
	}
	if (verbose) {
		char line[OPTS_MAX * 3];

		snprintf(line, sizeof(line), "%s asks to mount %s (type %s, \"%s\"); making it: "
			 "mount(\"%s\", \"%s\", \"%s\", %s, \"%s\")", sv->prog, target, type, req,
			 sv->msrc, sv->dir, sv->fstype, flags_text(want), data);
		printable(line);
		printf(PROGNAME ": %s\n", line);
		fflush(stdout);
	}
	err = make_mount(sv->m, sv->msrc, sv->fstype, want, data, kwhy, sizeof(kwhy));
	if (err) {
		close(fd);
		REFUSE(err, "mount of %.100s on %.100s failed: %s%s%.200s (kernel options %.200s)",
		       sv->fstype, sv->dir, strerror(err), *kwhy ? ": " : "", kwhy, data);
	}
	sv->mounted = 1;
	sv->spent = 1;
	add.listener = sv->listener;
	add.add.flags = SECCOMP_ADDFD_FLAG_SETFD;
	add.add.srcfd = (__u32)fd;
	add.add.newfd = (__u32)theirs;
	add.add.newfd_flags = fdl.cloexec ? O_CLOEXEC : 0;
	add.add.id = sv->cur_id;
	if (look_in_child(hand_fd, &add, &err, sizeof(err), sv->listener, fd) < 0) {
		/* the listener is in a state only that child may touch now */
		sv->wedged = 1;
		/* its call can never be answered; the pidfd names exactly it */
		if (sv->cur_pidfd >= 0)
			syscall(SYS_pidfd_send_signal, sv->cur_pidfd, SIGKILL, NULL, 0);
		close(fd);
		undo_mount(sv->m, sv->dir);
		sv->mounted = 0;
		REFUSE(EIO, "it did not take the " DEVICE " descriptor within %d ms (closing "
		       "its old descriptor %ld waits on something that does not answer)",
		       LOOK_MS, theirs);
	}
	close(fd);
	if (err) {
		undo_mount(sv->m, sv->dir);
		sv->mounted = 0;
		REFUSE(EIO, "cannot hand it the " DEVICE " descriptor: %s", strerror(err));
	}
	return 0;
#undef REFUSE
}

/*
 * Answer one notification: a FUSE mount is made here or refused, anything
 * else goes on to the kernel.  A caller that died meanwhile is skipped.
 */
static void serve_one(struct serve *sv)
{
	static struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	struct mount_look q = { 0 }, *l;
	char path[64];
	int err = 0, fuse = 0;
	unsigned long flags;

	if (!sizes.seccomp_notif &&
	    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		die(EX_SYSERR, "seccomp(SECCOMP_GET_NOTIF_SIZES): %s", strerror(errno));
	req = calloc(1, sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req));
	resp = calloc(1, sizes.seccomp_notif_resp > sizeof(*resp) ?
		      sizes.seccomp_notif_resp : sizeof(*resp));
	l = calloc(1, sizeof(*l));
	if (!req || !resp || !l)
		die(EX_SYSERR, "out of memory");
	if (ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		goto out;	/* EINTR, or ENOENT: the caller is gone */
	sv->cur_id = req->id;
	resp->id = req->id;
	/* the caller held from here: its pid cannot be reused while it waits */
	sv->cur_pidfd = syscall(SYS_pidfd_open, req->pid, 0);

	/* as the kernel does: the old magic number in the top bits means nothing */
	flags = (unsigned long)req->data.args[3];
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~(unsigned long)MS_MGC_MSK;
	q.pid = req->pid;
	q.type_at = req->data.args[2];
	q.target_at = req->data.args[1];
	q.opts_at = req->data.args[4];
	if (looks_hung) {
		err = EPERM;
		fuse = 1;
		snprintf(sv->refused, sizeof(sv->refused),
			 "an earlier look at its requests did not finish; no more are looked at");
	} else if (look_in_child(look_mount, &q, l, sizeof(*l), -1, -1) < 0) {
		/* what it asks is unknown: fail closed */
		err = EPERM;
		fuse = 1;
		snprintf(sv->refused, sizeof(sv->refused),
			 "its mount(2) arguments could not be read within %d ms", LOOK_MS);
	} else if (l->mem_err) {
		err = EPERM;
		fuse = 1;
		snprintf(sv->refused, sizeof(sv->refused),
			 "its mount(2) arguments cannot be read (/proc/%d/mem: %s)",
			 (int)req->pid, strerror(l->mem_err));
	} else if (!(flags & MS_NOT_NEW) && !l->type_ok) {
		/* a new mount of a type it does not say: nothing to pass on */
		err = q.type_at ? EFAULT : EINVAL;
		fuse = 1;
		snprintf(sv->refused, sizeof(sv->refused),
			 "its file system type cannot be read (or is longer than %zu bytes)",
			 sizeof(l->type) - 1);
	} else if (!(flags & MS_NOT_NEW) && is_fuse_type(l->type)) {
		fuse = 1;
		if (!l->target_ok) {
			err = EFAULT;
			snprintf(sv->refused, sizeof(sv->refused), "its mount point cannot be read");
		} else if (!l->opts_ok) {
			err = EFAULT;
			snprintf(sv->refused, sizeof(sv->refused), "its mount options cannot be read");
		}
	}
	/* what was read is the caller's only while the caller still waits */
	if (sv->wedged || ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		goto out;
	if (!fuse) {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		if (!err)
			err = serve_fuse_mount(sv, req->pid, l->target, flags, l->type, l->opts);
		if (err) {
			char comm[64] = "?";
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/comm", (int)req->pid);
			f = fopen(path, "re");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(f);
			}
			printable(comm);
			msg("refused the mount(2) of process %d (%s), run by %s: %s",
			    (int)req->pid, comm, sv->prog, sv->refused);
		}
		resp->error = -err;
	}
	if (sv->wedged)
		goto out;	/* no answer: the stuck child holds the call */
	if (ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && fuse && !err) {
		/* the caller died between the mount and the answer */
		undo_mount(sv->m, sv->dir);
		sv->mounted = 0;
		snprintf(sv->refused, sizeof(sv->refused), "it died while its mount was made");
	}
out:
	if (sv->cur_pidfd >= 0)
		close(sv->cur_pidfd);
	sv->cur_pidfd = -1;
	free(l);
	free(req);
	free(resp);
}

/*
 * Wait up to ms milliseconds and answer one notification if one comes.
 * -1 when none can come any more: no listener, or no process left that
 * has the filter (the listener hangs up).
 */
static int serve_for(struct serve *sv, int ms)
{
	struct pollfd p = { .fd = sv->listener, .events = POLLIN };

	if (sv->listener < 0 || sv->wedged)
		return -1;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	if (p.revents & POLLIN) {
		serve_one(sv);
		return 0;
	}
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) ? -1 : 0;
}

/*
 * Run the program; its first process' status decides.  A close-on-exec
 * pipe carries a failure of the child before or in exec, which tells it
 * apart from a program that ran and failed.  The child installs the mount
 * filter before it drops anything, sends its listener back, and gets
 * SHIM_DIR first in PATH; its mount requests are served while the first
 * process runs.  0 when the program exited with 0;
 * otherwise the reason is in why.
 */
static int start_program(const char *path, char **argv, const struct passwd *pw,
			 int drop, int fd, struct serve *sv, char *why, size_t whylen)
{
	struct child_err ce;
	int pfd[2], sp[2] = { -1, -1 }, st, r, serving, killed = 0, recv_err = 0;
	struct timespec kt = { 0 };
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	if (sv && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		if (sv) {
			close(sp[0]);
			close(sp[1]);
		}
		return -errno;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (sv) {
			const char *old = getenv("PATH");
			char newpath[8192];
			int l;

			close(sp[0]);
			/*
			 * Without the filter (one with a listener may be there
			 * already, from a container manager) a program given
			 * /dev/fd/N still runs, just unguarded.
			 */
			l = trap_mounts();
			if (l >= 0 && fd_send(sp[1], l) < 0)
				child_fail(pfd[1], STEP_TRAP);
			if (l < 0 && !sv->by_helper)
				child_fail(pfd[1], STEP_TRAP);
			if (l >= 0)
				close(l);
			close(sp[1]);
			snprintf(newpath, sizeof(newpath), "%s:%s", SHIM_DIR,
				 old && *old ? old : DEFAULT_PATH);
			setenv("PATH", newpath, 1);
		}
		if (drop)
			drop_bounding(pfd[1]);
		if (pw)
			become_user(pw, pfd[1]);
		if (drop)
			drop_caps(pfd[1]);
		execv(path, argv);
		child_fail(pfd[1], STEP_EXEC);
	}
	/* the program holds the only device descriptor from now on */
	if (fd >= 0)
		close(fd);
	close(pfd[1]);
	if (sv) {
		close(sp[1]);
		sv->listener = fd_recv(sp[0]);
		recv_err = errno;
		close(sp[0]);
	}
	/*
	 * The pipe closes at exec.  Until then the child changes user and
	 * directory (the user's home, which may be on a file system of
	 * theirs that does not answer): it gets ANSWER_SECS.
	 */
	{
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };

		do {
			r = poll(&pf, 1, ANSWER_SECS * 1000);
		} while (r < 0 && errno == EINTR);
		if (r <= 0) {
			kill(pid, SIGKILL);
			close(pfd[0]);
			snprintf(why, whylen, "did not get to exec %s within %d s (as %s: its "
				 "home directory does not answer?)", path, ANSWER_SECS,
				 pw ? pw->pw_name : "root");
			for (r = 0; r < 20 && waitpid(pid, &st, WNOHANG) != pid; r++)
				usleep(100 * 1000);
			if (r == 20)
				msg("warning: the child that was to run %s is stuck; left behind", path);
			return 1;
		}
	}
	do {
		n = read(pfd[0], &ce, sizeof(ce));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	/*
	 * The program runs, but its filter's listener did not arrive: its
	 * mount(2) would fail with ENOSYS.  Stop it and say so.
	 */
	if (sv && !sv->by_helper && sv->listener < 0 && n != (ssize_t)sizeof(ce)) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		snprintf(why, whylen, "the listener of %s's mount filter did not reach "
			 PROGNAME " (%s); %s was stopped", argv[0],
			 recv_err ? strerror(recv_err) : "the socket was closed", argv[0]);
		return 1;
	}
	/* serve while the first process runs; wait for it once none can come */
	serving = sv && sv->listener >= 0;
	for (;;) {
		r = waitpid(pid, &st, serving || killed ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(why, whylen, "lost its first process: %s", strerror(errno));
			return 1;
		}
		if (serving && serve_for(sv, 100) < 0)
			serving = 0;
		/*
		 * A call that can never be answered: the program is killed,
		 * and not waited for long (it may be stuck where SIGKILL
		 * does not reach yet).
		 */
		if (sv && sv->wedged) {
			if (!killed) {
				kill(pid, SIGKILL);
				killed = 1;
				clock_gettime(CLOCK_MONOTONIC, &kt);
			} else {
				struct timespec now;

				clock_gettime(CLOCK_MONOTONIC, &now);
				if (now.tv_sec - kt.tv_sec > 2) {
					snprintf(why, whylen, "%s was killed and is left behind, "
						 "stuck: %.400s", argv[0], sv->refused);
					return 1;
				}
				if (!serving)
					usleep(100 * 1000);
			}
		}
	}
	if (n == (ssize_t)sizeof(ce)) {
		const char *what = ce.step == STEP_EXEC ? path :
				   ce.step == STEP_USER ? pw->pw_name : NULL;

		if (ce.step < STEP_TRAP || ce.step > STEP_EXEC)
			ce.step = STEP_EXEC;
		snprintf(why, whylen, "%s%s%s: %s", step_text[ce.step], what ? " " : "",
			 what ? what : "", strerror(ce.err));
		return 1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(why, whylen, "%s exited with status %d", argv[0], WEXITSTATUS(st));
	else
		snprintf(why, whylen, "%s was killed by signal %d (%s)", argv[0],
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (sv && *sv->refused)
		snprintf(why + strlen(why), whylen - strlen(why), " after its mount was refused: %s",
			 sv->refused);
	return 1;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The subtype is part of the type in /proc/mounts: one plain word. */
static void check_word(const char *what, const char *s)
{
	const char *p;

	if (!*s)
		die(EX_USAGE, "empty %s", what);
	for (p = s; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == ',')
			die(EX_USAGE, "%s '%s' is not one plain word", what, s);
}

/* what -v and -f print: mount(2)'s arguments exactly, and the command */
static void show_plan(const char *prefix, const char *msrc, const char *dir,
		      const char *fstype, unsigned long flags, const char *data,
		      char **pargv, const char *path, const struct passwd *pw, int drop,
		      int by_program)
{
	int i;

	if (by_program)
		printf("%sserve the program's own mount(2) of %s (mount_by=program) as "
		       "mount(\"%s\", \"%s\", \"%s\", %s, \"%s\"), fd= then being a new " DEVICE
		       " descriptor that replaces the program's\n", prefix, dir, msrc, dir, fstype,
		       flags_text(flags), data);
	else
		printf("%smount(\"%s\", \"%s\", \"%s\", %s, \"%s\")\n", prefix, msrc, dir,
		       fstype, flags_text(flags), data);
	printf("%srun%s%s%s:", prefix, pw ? " as " : "", pw ? pw->pw_name : "",
	       drop ? " without capabilities, no_new_privs set" : "");
	for (i = 0; pargv[i]; i++)
		printf(" %s", pargv[i]);
	printf(" (%s)%s\n", path, by_program ? " with " SHIM_DIR " first in its PATH" : "");
	fflush(stdout);
}

/*
 * mount_by's default: 1 (helper) when the program can take a mounted
 * device as /dev/fd/N, which libfuse 3 can (its file names libfuse3.so,
 * linked or loaded by name), or when it is not an ELF file (a script: what
 * it runs is unknown); 0 (program) for any other ELF program: libfuse 2,
 * Go and Rust FUSE libraries, statically linked ones.
 */
static int takes_dev_fd(const char *path)
{
	struct stat st;
	void *m;
	int fd, r = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || st.st_size < 4) {
		close(fd);
		return 1;
	}
	m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 1;
	if (memcmp(m, "\177ELF", 4) == 0)
		r = memmem(m, st.st_size, "libfuse3.so", 11) != NULL;
	munmap(m, st.st_size);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .flags = MS_NOSUID | MS_NODEV };
	const char *type = NULL, *source, *dir_arg, *prog = NULL, *msrc, *p;
	char dir[PATH_MAX], fstype[300], data[OPTS_MAX], fd_path[32], why[512];
	char *path, *src, *hash, *pargv[6];
	int opt, fake = 0, fd, n, i;
	struct serve sv = { 0 };
	struct mnt m = { .dir_fd = -1, .root_fd = -1 };
	int by_program;
	struct passwd *pw = NULL;
	struct stat st;
	uid_t uid = getuid();
	gid_t gid = getgid();

	while ((opt = getopt_long(argc, argv, "o:t:N:sfnvhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			parse_options(&o, optarg);
			break;
		case 't':
			type = optarg;
			break;
		case 'f':
			fake = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 's':
		case 'n':
			break;
		case 'N':
			die(EX_USAGE, "-N (mount in another namespace) is not supported");
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			version();
			break;
		default:
			usage(stderr, EX_USAGE);
		}
	}
	if (argc - optind != 2)
		usage(stderr, EX_USAGE);
	source = argv[optind];
	dir_arg = argv[optind + 1];

	/* Which program: fuse2pt.PROG, or the old PROG#SOURCE form. */
	if (!type) {
		p = base_name(argv[0]);
		type = strncmp(p, "mount.", 6) == 0 ? p + 6 : FSTYPE;
	}
	if (strncmp(type, FSTYPE ".", sizeof(FSTYPE)) == 0 && type[sizeof(FSTYPE)]) {
		prog = type + sizeof(FSTYPE);
	} else if (strcmp(type, FSTYPE) != 0) {
		die(EX_USAGE, "unknown type '%s': " PROGNAME " mounts fuse2pt.PROG (or fuse2pt with PROG#SOURCE)",
		    type);
	}
	src = xstrndup(source, strlen(source));
	hash = strchr(src, '#');
	if (!prog) {
		if (!hash || hash == src)
			die(EX_USAGE, "type fuse2pt needs the program in the source, as PROG#SOURCE "
			    "(or use type fuse2pt.PROG)");
		*hash = '\0';
		prog = src;
		/*
		 * As with fuse's PROG#SOURCE: type and source in /proc/mounts
		 * stay as fstab has them, so mount -a sees the entry mounted.
		 */
		if (!o.fsname)
			o.fsname = source;
		source = hash + 1;
	} else if (!o.subtype) {
		o.subtype = base_name(prog);
	}
	check_word("program name", base_name(prog));
	if (o.subtype)
		check_word("subtype", o.subtype);

	/* a dry run needs no privileges: it does nothing that needs them */
	if (!fake && geteuid() != 0)
		die(EX_USAGE, "only root can mount fuse2pt file systems (for now)");
	if (!fake && o.drop_privileges &&
	    (!cap_effective(CAP_SYS_ADMIN) || !cap_effective(CAP_SETPCAP)))
		die(EX_USAGE, "drop_privileges needs CAP_SYS_ADMIN and CAP_SETPCAP "
		    "(to mount, then take every capability from the program)");

	path = find_program(prog);
	by_program = o.mount_by == BY_PROGRAM ||
		     (o.mount_by == BY_AUTO && !takes_dev_fd(path));

	if (!realpath(dir_arg, dir))
		die(EX_FAIL, "mount point %s: %s", dir_arg, strerror(errno));
	/*
	 * Held from here on: every mount and unmount goes through it.  The
	 * path is resolved again without following any symlink: realpath()
	 * left none, so one now means something was swapped in meanwhile.
	 */
	m.dir_fd = open_nofollow(dir);
	if (m.dir_fd < 0 || fstat(m.dir_fd, &st) < 0)
		die(EX_FAIL, "mount point %s: %s%s", dir, strerror(errno),
		    errno == ELOOP ? " (a symbolic link appeared in its path)" : "");
	if (!fake && access(fd_name(m.dir_fd), F_OK) < 0)
		die(EX_SYSERR, "%s: %s (is /proc mounted?)", fd_name(m.dir_fd), strerror(errno));

	if (o.setuid_user) {
		pw = getpwnam(o.setuid_user);
		if (!pw)
			die(EX_USAGE, "bad option 'setuid=%s': no such user", o.setuid_user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}

	if (fake) {
		printf(PROGNAME ": dry run (-f): nothing is loaded, mounted or started\n");
		if (!device_present() && !module_present())
			printf("would run: modprobe %s (%s is missing)\n", FSTYPE, DEVICE);
		else if (!device_present())
			printf("would wait for %s (module %s is loaded)\n", DEVICE, FSTYPE);
		fd = next_fd();
		if (!by_program)
			printf("would open %s as fd %d\n", DEVICE, fd);
	} else {
		ensure_module();
		fd = by_program ? next_fd() : open_device();
	}

	n = snprintf(fstype, sizeof(fstype), FSTYPE "%s%s", o.subtype ? "." : "",
		     o.subtype ? o.subtype : "");
	if (n < 0 || (size_t)n >= sizeof(fstype))
		die(EX_USAGE, "subtype '%s' too long", o.subtype ? o.subtype : "");
	n = snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s%s",
		     fd, (unsigned int)(st.st_mode & S_IFMT), (unsigned int)uid,
		     (unsigned int)gid, *o.kernel ? "," : "", o.kernel);
	if (n < 0 || (size_t)n >= sizeof(data))
		die(EX_USAGE, "options too long");
	msrc = o.fsname ? o.fsname : (*source ? source : prog);

	/* PROG [SOURCE] /dev/fd/N|DIR [-o PROG_OPTS] */
	snprintf(fd_path, sizeof(fd_path), "/dev/fd/%d", fd);
	i = 0;
	pargv[i++] = (char *)base_name(prog);
	if (*source && strcmp(source, "none") != 0)
		pargv[i++] = (char *)source;
	pargv[i++] = by_program ? dir : fd_path;
	if (*o.prog) {
		pargv[i++] = "-o";
		pargv[i++] = o.prog;
	}
	pargv[i] = NULL;

	sv.dir = dir;
	sv.msrc = msrc;
	sv.fstype = fstype;
	sv.prog = pargv[0];
	sv.o = &o;
	sv.m = &m;
	sv.dir_dev = st.st_dev;
	sv.dir_ino = st.st_ino;
	sv.uid = uid;
	sv.gid = gid;
	sv.rootmode = st.st_mode & S_IFMT;
	sv.listener = -1;
	sv.cur_pidfd = -1;
	sv.by_helper = !by_program;

	if (fake || verbose)
		show_plan(fake ? "would " : PROGNAME ": ", msrc, dir, fstype, o.flags, data, pargv,
			  path, pw, o.drop_privileges, by_program);
	if (fake) {
		printf("would wait for %s to answer (at most %d s after %s's first process exits 0)\n",
		       dir, ANSWER_SECS, pargv[0]);
		return 0;
	}

	if (!by_program) {
		char kwhy[512];
		int err = make_mount(&m, msrc, fstype, o.flags, data, kwhy, sizeof(kwhy));

		if (err == ENODEV)
			die(EX_FAIL, "the kernel does not know file system type %s "
			    "(is the %s module loaded?)", fstype, FSTYPE);
		if (err)
			die(EX_FAIL, "mount of %s on %s failed: %s%s%s (kernel options %s)",
			    fstype, dir, strerror(err), *kwhy ? ": " : "", kwhy, data);
		sv.mounted = 1;
		n = start_program(path, pargv, pw, o.drop_privileges, fd, &sv, why, sizeof(why));
	} else {
		n = start_program(path, pargv, pw, o.drop_privileges, -1, &sv, why, sizeof(why));
	}
	if (n) {
		/* a failed pipe or fork: nobody has the device but us */
		undo_mount(&m, dir);
		if (n < 0)
			die(EX_SYSERR, "%s not mounted: cannot start %s: %s", dir,
			    pargv[0], strerror(-n));
		die(EX_FAIL, "%s not mounted: %s%s", dir, why,
		    by_program && access("/dev/fuse", F_OK) < 0 ?
		    " (mount_by=program: programs that mount by themselves open /dev/fuse, "
		    "which is missing: load the fuse module)" : "");
	}
	if (by_program && !sv.mounted) {
		/* a daemon the first process left behind may still be mounting */
		struct timespec t0, now;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			if (serve_for(&sv, 100) < 0)
				break;	/* nobody left who could mount */
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while (!sv.mounted && now.tv_sec - t0.tv_sec < ANSWER_SECS);
	}
	if (sv.listener >= 0)
		close(sv.listener);
	if (by_program && !sv.mounted && sv.wedged)
		die(EX_FAIL, "%s not mounted: %s", dir, sv.refused);
	if (by_program && !sv.mounted)
		die(EX_FAIL, "%s not mounted: %s exited 0, but no mount(2) of a FUSE file system "
		    "on %s reached " PROGNAME " (waited until none of its processes was left, "
		    "at most %d s)%s%s", dir, pargv[0], dir, ANSWER_SECS,
		    *sv.refused ? "; refused: " : " (it mounts in a way " PROGNAME
		    " cannot serve, or not at all)", sv.refused);
	n = check_answers(dir, &m, pw);
	if (n) {
		const char *done = undo_mount(&m, dir);

		if (n < 0)
			die(EX_FAIL, "%s not mounted: %s started but its file system did not "
			    "answer within %d s; %s", dir, pargv[0], ANSWER_SECS, done);
		die(EX_FAIL, "%s not mounted: %s started but the file system does not answer "
		    "(%s; it may have refused the kernel's INIT, see dmesg)",
		    dir, pargv[0], strerror(n));
	}
	return 0;
}
