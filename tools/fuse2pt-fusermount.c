// SPDX-License-Identifier: GPL-2.0
/*
 * fuse2pt-fusermount: a fusermount for fuse2pt, for FUSE programs that run
 * "fusermount" or "fusermount3" to mount (Go's and Rust's FUSE libraries,
 * libfuse when its own mount(2) fails).  mount.fuse2pt puts the directory
 * that holds it, under both names, first in such a program's PATH.
 *
 *   fusermount [-o OPTIONS] [--] MOUNTPOINT     with _FUSE_COMMFD=N
 *   fusermount -u [-q] [-z] [--] MOUNTPOINT
 *   fusermount -h | -V
 *
 * Mounting speaks fusermount's _FUSE_COMMFD protocol: the caller passes
 * one end of a Unix socket as descriptor N; this program opens
 * /dev/fuse2pt, mounts it on MOUNTPOINT as type fuse2pt[.SUBTYPE], sends
 * the descriptor back over the socket (SCM_RIGHTS, with one byte of
 * data) and exits 0.  It never opens /dev/fuse, so it never makes a stock
 * fuse mount.
 *
 * It is not set-uid and adds no privilege: the kernel lets only
 * CAP_SYS_ADMIN mount fuse2pt, so an ordinary user who runs it gets
 * EPERM and a message.  Under mount.fuse2pt its mount(2) call is caught
 * (seccomp user notification) and made by mount.fuse2pt, which mounts
 * only the directory root named, with root's options.
 *
 * "-u" unmounts only a mount point whose topmost mount is of type fuse2pt
 * or fuse2pt.SUBTYPE, never following a symlink; -z detaches it (lazy).
 *
 * Exit status: 0 done, 1 anything refused or failed (as fusermount).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW	8
#endif

#define PROGNAME	"fuse2pt-fusermount"
#define FSTYPE		"fuse2pt"
#define DEVICE		"/dev/fuse2pt"
#define COMMFD_ENV	"_FUSE_COMMFD"
#define OPTS_MAX	4096

#ifndef F2P_VERSION
#define F2P_VERSION	"(unknown version: built without tools/Makefile)"
#endif

static const char *me = PROGNAME;	/* the name it was run as */
static int quiet;

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s (fuse2pt): ", me);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define die(...) do { msg(__VA_ARGS__); exit(1); } while (0)

static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: %s [-o OPTIONS] [--] MOUNTPOINT     (with _FUSE_COMMFD set by the caller)\n"
		"       %s -u [-q] [-z] [--] MOUNTPOINT\n"
		"       %s -h | -V\n", me, me, me);
	if (status)
		exit(status);
	fprintf(out,
		"\n"
		"fuse2pt's fusermount: mounts /dev/fuse2pt (type fuse2pt.SUBTYPE) for a FUSE\n"
		"library that runs fusermount, and hands it the device over the socket\n"
		"_FUSE_COMMFD names.  Not set-uid: only root can mount (directly, or through\n"
		"mount -t fuse2pt.PROG, which puts this program first in PROG's PATH).\n"
		"  -u  unmount (fuse2pt mounts only)   -z  lazily   -q  quieter\n"
		"Options: ro, rw, [no]suid, [no]dev, [no]exec, sync, async, dirsync,\n"
		"[no]atime, [no]diratime, allow_other, default_permissions, max_read=N,\n"
		"fsname=NAME, subtype=NAME; nonempty is accepted and has no effect.\n"
		"See mount.fuse2pt(8).\n");
	exit(0);
}

struct mopts {
	unsigned long flags;
	char kernel[OPTS_MAX];
	char fsname[PATH_MAX];
	char subtype[256];
};

static void add_kernel(struct mopts *m, const char *opt)
{
	size_t used = strlen(m->kernel);

	if (used + strlen(opt) + 2 > sizeof(m->kernel))
		die("options too long");
	snprintf(m->kernel + used, sizeof(m->kernel) - used, ",%s", opt);
}

static const struct {
	const char *name;
	unsigned long set, clear;
} flag_words[] = {
	{ "ro", MS_RDONLY, 0 },		{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },	{ "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "noatime", MS_NOATIME, 0 },	{ "atime", 0, MS_NOATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
};

/* The subtype and fsname end up in /proc/mounts: no separators there. */
static void copy_word(const char *what, const char *val, char *out, size_t size)
{
	const char *p;

	if (!*val || strlen(val) >= size)
		die("bad option %s='%s': empty or too long", what, val);
	for (p = val; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == ',')
			die("bad option %s='%s': not one plain word", what, val);
	strcpy(out, val);
}

static void one_option(struct mopts *m, char *opt)
{
	char *eq = strchr(opt, '=');
	const char *val = eq ? eq + 1 : NULL;
	size_t i;

	if (eq)
		*eq = '\0';
	for (i = 0; !val && i < sizeof(flag_words) / sizeof(flag_words[0]); i++) {
		if (strcmp(opt, flag_words[i].name) == 0) {
			m->flags = (m->flags & ~flag_words[i].clear) | flag_words[i].set;
			return;
		}
	}
	if (!val && (strcmp(opt, "allow_other") == 0 || strcmp(opt, "default_permissions") == 0)) {
		add_kernel(m, opt);
	} else if (val && strcmp(opt, "max_read") == 0) {
		char buf[64];
		char *end;

		errno = 0;
		if (!isdigit((unsigned char)*val) || strtoul(val, &end, 10) > 0xffffffffUL || *end || errno)
			die("bad option max_read=%s: not a number", val);
		snprintf(buf, sizeof(buf), "max_read=%s", val);
		add_kernel(m, buf);
	} else if (val && strcmp(opt, "fsname") == 0) {
		copy_word("fsname", val, m->fsname, sizeof(m->fsname));
	} else if (val && strcmp(opt, "subtype") == 0) {
		copy_word("subtype", val, m->subtype, sizeof(m->subtype));
	} else if (!val && strcmp(opt, "nonempty") == 0) {
		/* fusermount3 accepts it and does nothing with it, as here */
	} else if (strcmp(opt, "fd") == 0 || strcmp(opt, "rootmode") == 0 ||
		   strcmp(opt, "user_id") == 0 || strcmp(opt, "group_id") == 0) {
		die("bad option '%s': it is set by fusermount itself", opt);
	} else if (strcmp(opt, "blkdev") == 0 || strcmp(opt, "blksize") == 0) {
		die("bad option '%s': block-device FUSE mounts (fuseblk) do not exist on fuse2pt", opt);
	} else if (strcmp(opt, "auto_unmount") == 0) {
		die("option auto_unmount is not supported: fuse2pt's fusermount does not stay "
		    "behind to unmount; unmount with umount or fuse2pt-umount");
	} else {
		die("unknown option '%s%s%s'", opt, val ? "=" : "", val ? val : "");
	}
}

/*
 * Split at the commas; a backslash keeps the next character, as
 * fusermount3 reads its options ("subtype=a\,b" is one option, a,b).
 */
static void parse_options(struct mopts *m, const char *list)
{
	char *opt = malloc(strlen(list) + 1);
	const char *p = list;
	size_t len;

	if (!opt)
		die("out of memory");
	while (*p) {
		for (len = 0; *p && *p != ','; p++) {
			if (*p == '\\' && p[1])
				p++;
			opt[len++] = *p;
		}
		opt[len] = '\0';
		if (len)
			one_option(m, opt);
		if (*p)
			p++;
	}
	free(opt);
}

/* Send fd over the socket sock, with one byte of data, as fusermount does. */
static int send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* The descriptor _FUSE_COMMFD names, which must be a socket. */
static int comm_fd(void)
{
	const char *env = getenv(COMMFD_ENV);
	struct stat st;
	char *end;
	long fd;

	if (!env || !*env)
		die("%s is not set: this program is run by FUSE libraries, which pass "
		    "the socket for the device in it; to mount by hand use mount -t fuse2pt.PROG",
		    COMMFD_ENV);
	errno = 0;
	fd = strtol(env, &end, 10);
	if (*end || errno || fd < 0 || fd > INT_MAX)
		die("%s=%s is not a descriptor number", COMMFD_ENV, env);
	if (fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		die("%s=%s: descriptor %ld is not an open socket", COMMFD_ENV, env, fd);
	return (int)fd;
}

static int do_mount(const char *mountpoint, const char *optlist)
{
	struct mopts m = { .flags = 0 };
	char dir[PATH_MAX], fstype[300], data[OPTS_MAX + 128];
	struct stat st;
	int sock, fd, n;

	if (optlist)
		parse_options(&m, optlist);
	sock = comm_fd();
	/* what fusermount imposes on users; root gets what it asks for */
	if (getuid() != 0)
		m.flags |= MS_NOSUID | MS_NODEV;
	if (!realpath(mountpoint, dir))
		die("mount point %s: %s", mountpoint, strerror(errno));
	if (stat(dir, &st) < 0)
		die("mount point %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		die("mount point %s is neither a directory nor a regular file", dir);

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s: %s%s", DEVICE, strerror(errno),
		    errno == ENOENT ? " (is the fuse2pt module loaded?)" : "");
	n = snprintf(fstype, sizeof(fstype), FSTYPE "%s%s", *m.subtype ? "." : "", m.subtype);
	if (n < 0 || (size_t)n >= sizeof(fstype))
		die("subtype too long");
	snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s", fd,
		 (unsigned int)(st.st_mode & S_IFMT), (unsigned int)getuid(),
		 (unsigned int)getgid(), m.kernel);
	if (mount(*m.fsname ? m.fsname : FSTYPE, dir, fstype, m.flags, data) < 0) {
		int err = errno;

		if (err == EPERM)
			die("cannot mount %s on %s: %s: only root may mount fuse2pt file systems "
			    "(fuse2pt has no unprivileged mounts and this program is not set-uid); "
			    "as root: mount -t fuse2pt.PROG", fstype, dir, strerror(err));
		die("cannot mount %s on %s: %s", fstype, dir, strerror(err));
	}
	if (send_fd(sock, fd) < 0) {
		int err = errno;

		umount2(dir, MNT_DETACH);
		die("cannot send the device to the caller over %s: %s (%s unmounted again)",
		    COMMFD_ENV, strerror(err), dir);
	}
	return 0;
}

/* The type of the mount with this id, from mountinfo; "" when not found. */
static void mount_type(unsigned long long id, char *type, size_t size)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	*type = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long mid;
		char *sep;

		/* id parent major:minor root mountpoint ... - TYPE source ... */
		if (sscanf(line, "%llu ", &mid) != 1 || mid != id ||
		    !(sep = strstr(line, " - ")))
			continue;
		sep += 3;
		snprintf(type, size, "%.*s", (int)strcspn(sep, " "), sep);
		break;
	}
	fclose(f);
}

/*
 * Unmount the topmost mount on MOUNTPOINT if it is fuse2pt's.  The parent
 * directory is opened once and everything goes through that descriptor:
 * the mount point is looked at (its last component never through a
 * symlink; statx gives its mount's id and whether it is a mount root) and
 * then unmounted as PARENT_FD/NAME.  While it is a mount point nobody can
 * rename, remove or replace it, so a run as root cannot be turned against
 * another mount by renaming directories meanwhile.
 */
static int do_unmount(const char *mountpoint, int lazy)
{
	char dir[PATH_MAX], parent[PATH_MAX], at[PATH_MAX + 32], type[256];
	const char *slash, *base;
	struct statx stx;
	int pfd, fd, err;

	/* the parent resolved, the last component as given: never a symlink */
	slash = strrchr(mountpoint, '/');
	base = slash ? slash + 1 : mountpoint;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		if (!realpath(mountpoint, dir))
			die("%s: %s", mountpoint, strerror(errno));
	} else {
		if (!slash)
			strcpy(parent, ".");
		else if (slash == mountpoint)
			strcpy(parent, "/");
		else
			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - mountpoint), mountpoint);
		if (!realpath(parent, dir))
			die("%s: %s", parent, strerror(errno));
		if (strlen(dir) + 1 + strlen(base) >= sizeof(dir))
			die("%s: path too long", mountpoint);
		if (strcmp(dir, "/") != 0)
			strcat(dir, "/");
		strcat(dir, base);
	}
	if (strcmp(dir, "/") == 0)
		die("/ is not unmounted by fusermount");
	slash = strrchr(dir, '/');
	snprintf(parent, sizeof(parent), "%.*s", slash == dir ? 1 : (int)(slash - dir), dir);
	base = slash + 1;

	pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		die("%s: %s", parent, strerror(errno));
	fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", dir, strerror(errno));
	/*
	 * Asking for nothing (mask 0, no sync) is answered without the file
	 * system, which refuses other users and may not answer at all; the
	 * mount id and the mount-root bit come from the VFS.  A symlink (not
	 * followed) is never a mount root.
	 */
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, 0, &stx) < 0)
		die("%s: %s", dir, strerror(errno));
	close(fd);	/* it would keep the mount busy */
	if (!(stx.stx_mask & STATX_MNT_ID) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		die("%s: this kernel does not say which mount a file is on (statx, Linux 5.8)", dir);
	if (!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		if (quiet)
			exit(1);
		die("%s is not mounted", dir);
	}
	mount_type(stx.stx_mnt_id, type, sizeof(type));
	if (strcmp(type, FSTYPE) != 0 && strncmp(type, FSTYPE ".", sizeof(FSTYPE)) != 0)
		die("%s is of type %s, not fuse2pt: this fusermount unmounts only fuse2pt mounts",
		    dir, *type ? type : "(unknown)");
	snprintf(at, sizeof(at), "/proc/self/fd/%d/%s", pfd, base);
	if (umount2(at, UMOUNT_NOFOLLOW | (lazy ? MNT_DETACH : 0)) < 0) {
		err = errno;
		die("cannot unmount %s: %s%s", dir, strerror(err),
		    err == EPERM ? " (only root may unmount fuse2pt file systems)" : "");
	}
	close(pfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *optlist = NULL, *slash;
	int opt, unmount = 0, lazy = 0;

	if (argv[0] && *argv[0]) {
		slash = strrchr(argv[0], '/');
		me = slash ? slash + 1 : argv[0];
	}
	while ((opt = getopt_long(argc, argv, "ho:uqzV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("%s (fuse2pt) %s\n", me, F2P_VERSION);
			return 0;
		case 'o':
			optlist = optarg;
			break;
		case 'u':
			unmount = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'z':
			lazy = 1;
			break;
		default:
			usage(stderr, 1);
		}
	}
	if (argc - optind != 1)
		usage(stderr, 1);
	if (unmount) {
		if (optlist)
			die("-u takes no -o options");
		return do_unmount(argv[optind], lazy);
	}
	if (lazy)
		die("-z goes with -u");
	return do_mount(argv[optind], optlist);
}
