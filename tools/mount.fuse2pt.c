// SPDX-License-Identifier: GPL-2.0
/*
 * mount.fuse2pt: the mount(8) helper for FUSE programs on fuse2pt.
 *
 *   mount -t fuse2pt.PROG SOURCE DIR [-o OPTS]
 *   mount -t fuse2pt PROG#SOURCE DIR [-o OPTS]
 *   /etc/fstab:  SOURCE  DIR  fuse2pt.PROG  OPTS  0 0
 *
 * mount(8) runs "mount.fuse2pt SOURCE DIR [-sfnv] [-o OPTS] [-t TYPE]".
 * The helper does the kernel mount itself, on a fresh /dev/fuse2pt
 * descriptor, and then runs "PROG SOURCE /dev/fd/N [-o PROG_OPTS]":
 * libfuse (3.3 and later) takes a /dev/fd/N mount point as an already
 * mounted FUSE device.  So OPTS are split: what the kernel understands
 * goes to mount(2), what only this helper understands is used here, and
 * everything else is the program's.
 *
 * The program normally daemonizes; its first process exiting with status
 * 0 means the file system is up.  Any other exit, or failing to start it,
 * takes the mount away again, so a failed mount leaves nothing behind.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PROGNAME	"mount.fuse2pt"
#define FSTYPE		"fuse2pt"
#define DEVICE		"/dev/fuse2pt"
#define OPTS_MAX	4096	/* the kernel copies one page of options */
#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW	256
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME	(1 << 25)
#endif

/* mount(8)'s exit codes */
#define EX_USAGE	1
#define EX_FAIL		32

struct opts {
	unsigned long flags;		/* MS_* */
	char kernel[OPTS_MAX];		/* allow_other,default_permissions,... */
	char prog[OPTS_MAX];		/* handed to the program with -o */
	const char *setuid_user;
	const char *fsname;
	const char *subtype;
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
		"       " PROGNAME " PROG#SOURCE MOUNTPOINT [-o OPTIONS]\n"
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
		"  fsname=NAME (the source shown in /proc/mounts), subtype=NAME\n"
		"  (type fuse2pt.NAME), and mount(8)'s defaults, auto, noauto,\n"
		"  nofail, _netdev, user, users, owner, comment=, x-*.\n"
		"Every other option is passed to PROG.\n"
		"  -f  do everything but the mount    -v  say what is done\n"
		"  -s  accepted (sloppy)              -n  accepted (no mtab)\n");
	exit(status);
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

/* mount(8)'s own options, meaningless to the kernel and to the program */
static const char *const ignored_opts[] = {
	"defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser",
	"users", "owner", "group", "drop_privileges", NULL,
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

/* A copy of the value of one "name=value" option, or NULL when empty. */
static const char *value_of(const char *opt, size_t len, size_t namelen)
{
	char *v;

	if (len <= namelen + 1)
		return NULL;
	v = strndup(opt + namelen + 1, len - namelen - 1);
	if (!v)
		die(EX_FAIL, "out of memory");
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
		die(EX_USAGE, "bad option '%s': blksize is for block-device mounts (fuse2ptblk), not fuse2pt", shown);
	} else if (IS("allow_root")) {
		die(EX_USAGE, "bad option '%s': not supported on fuse2pt, use allow_other", shown);
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
 * (libfuse's own parser does the same), so "a\,b" is one option, passed
 * on as written.
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
		return strdup(prog);
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	for (dir = path; ; dir = end + 1) {
		end = strchr(dir, ':');
		n = end ? (size_t)(end - dir) : strlen(dir);
		if (n && snprintf(full, sizeof(full), "%.*s/%s", (int)n, dir, prog) < (int)sizeof(full)) {
			struct stat st;

			if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
				return strdup(full);
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
		return -1;
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

/* Load the module when the device is missing, as mount.fuse3 relies on
 * fuse being loaded on demand. */
static void ensure_module(void)
{
	char *modprobe[] = { "modprobe", FSTYPE, NULL };
	struct stat st;
	int rc, i;

	if (device_present())
		return;
	if (stat("/sys/module/" FSTYPE, &st) < 0) {
		if (verbose)
			msg("%s missing, running modprobe %s", DEVICE, FSTYPE);
		if (!getenv("PATH"))
			setenv("PATH", DEFAULT_PATH, 1);
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

/* Field 5 of a mountinfo line, with its \ooo escapes undone, equals dir? */
static int field_is(const char *field, size_t len, const char *dir)
{
	size_t i;

	for (i = 0; i < len; i++, dir++) {
		char c = field[i];

		if (c == '\\' && i + 3 < len && isdigit((unsigned char)field[i + 1])) {
			c = (char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) |
				   (field[i + 3] - '0'));
			i += 3;
		}
		if (*dir != c)
			return 0;
	}
	return *dir == '\0';
}

/* The file system type of the topmost mount on dir, or "" (static). */
static const char *top_mount_type(const char *dir)
{
	static char type[256];
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	type[0] = '\0';
	if (!f)
		return type;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *mp, *sep;
		int i;

		for (i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p)
			continue;
		mp = p;
		p = strchr(mp, ' ');
		sep = strstr(line, " - ");
		if (!p || !sep || !field_is(mp, p - mp, dir))
			continue;
		sep += 3;
		snprintf(type, sizeof(type), "%.*s", (int)strcspn(sep, " "), sep);
	}
	fclose(f);
	return type;
}

/*
 * The program's first process exiting with 0 only says it got going: a
 * libfuse program answers INIT after it daemonized, and may refuse it.
 * A stat of the mount waits for INIT; a connection that is already dead
 * answers ENOTCONN or ECONNREFUSED.  Done in a child, so that a program
 * that never answers costs a warning, not a hung mount(8).
 */
static int check_answers(const char *dir)
{
	struct stat st;
	pid_t pid = fork();
	int i, status;

	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(stat(dir, &st) < 0 ? errno : 0);
	for (i = 0; i < 300; i++) {
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
		usleep(100 * 1000);
	}
	msg("warning: %s does not answer yet after 30 s; leaving it mounted", dir);
	return 0;
}

/* Take back a mount nobody will serve; only ours, never what is below. */
static void undo_mount(const char *dir, const char *type)
{
	if (strcmp(top_mount_type(dir), type) != 0)
		return;
	if (umount2(dir, MNT_DETACH) < 0)
		msg("warning: could not unmount %s again: %s", dir, strerror(errno));
}

static void drop_to(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		msg("cannot become user %s: %s", pw->pw_name, strerror(errno));
		_exit(126);
	}
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
		_exit(126);
}

/*
 * Run the program; its status decides.  A close-on-exec pipe tells a
 * failed exec apart from a program that ran and failed.
 */
static int start_program(const char *path, char **argv, const struct passwd *pw, int fd)
{
	int pfd[2], st, err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		die(EX_FAIL, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die(EX_FAIL, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		if (pw)
			drop_to(pw);
		execv(path, argv);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	/* the program holds the only device descriptor from now on */
	close(fd);
	close(pfd[1]);
	do {
		n = read(pfd[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (n == (ssize_t)sizeof(err)) {
		msg("cannot run %s: %s", path, strerror(err));
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		msg("%s exited with status %d", path, WEXITSTATUS(st));
	else
		msg("%s was killed by signal %d", path, WTERMSIG(st));
	return -1;
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

int main(int argc, char **argv)
{
	struct opts o = { .flags = MS_NOSUID | MS_NODEV };
	const char *type = NULL, *source, *dir_arg, *prog = NULL, *p;
	char dir[PATH_MAX], fstype[300], data[OPTS_MAX], fd_path[32];
	char *path, *src, *hash, *pargv[6];
	int opt, fake = 0, fd, n, i;
	struct passwd *pw = NULL;
	struct stat st;
	uid_t uid = getuid();
	gid_t gid = getgid();

	while ((opt = getopt(argc, argv, "o:t:N:sfnvh")) != -1) {
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
	src = strdup(source);
	if (!src)
		die(EX_FAIL, "out of memory");
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

	if (geteuid() != 0)
		die(EX_USAGE, "only root can mount fuse2pt file systems (for now)");

	path = find_program(prog);
	if (!path)
		die(EX_FAIL, "out of memory");

	if (!realpath(dir_arg, dir))
		die(EX_FAIL, "mount point %s: %s", dir_arg, strerror(errno));
	if (stat(dir, &st) < 0)
		die(EX_FAIL, "mount point %s: %s", dir, strerror(errno));

	if (o.setuid_user) {
		pw = getpwnam(o.setuid_user);
		if (!pw)
			die(EX_USAGE, "bad option 'setuid=%s': no such user", o.setuid_user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}

	ensure_module();
	fd = open_device();

	n = snprintf(fstype, sizeof(fstype), FSTYPE "%s%s", o.subtype ? "." : "",
		     o.subtype ? o.subtype : "");
	if (n < 0 || (size_t)n >= sizeof(fstype))
		die(EX_USAGE, "subtype '%s' too long", o.subtype ? o.subtype : "");
	n = snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u%s%s",
		     fd, (unsigned int)(st.st_mode & S_IFMT), (unsigned int)uid,
		     (unsigned int)gid, *o.kernel ? "," : "", o.kernel);
	if (n < 0 || (size_t)n >= sizeof(data))
		die(EX_USAGE, "options too long");

	/* PROG [SOURCE] /dev/fd/N [-o PROG_OPTS] */
	snprintf(fd_path, sizeof(fd_path), "/dev/fd/%d", fd);
	i = 0;
	pargv[i++] = (char *)base_name(prog);
	if (*source && strcmp(source, "none") != 0)
		pargv[i++] = (char *)source;
	pargv[i++] = fd_path;
	if (*o.prog) {
		pargv[i++] = "-o";
		pargv[i++] = o.prog;
	}
	pargv[i] = NULL;

	if (verbose || fake) {
		msg("mount(\"%s\", \"%s\", \"%s\", 0x%lx, \"%s\")",
		    o.fsname ? o.fsname : source, dir, fstype, o.flags, data);
		fprintf(stderr, PROGNAME ": run%s%s:", pw ? " as " : "", pw ? pw->pw_name : "");
		for (i = 0; pargv[i]; i++)
			fprintf(stderr, " %s", pargv[i]);
		fprintf(stderr, " (%s)\n", path);
	}
	if (fake)
		return 0;

	if (mount(o.fsname ? o.fsname : (*source ? source : prog), dir, fstype,
		  o.flags, data) < 0) {
		int err = errno;

		if (err == ENODEV)
			die(EX_FAIL, "the kernel does not know file system type %s "
			    "(is the %s module loaded?)", fstype, FSTYPE);
		die(EX_FAIL, "mount of %s on %s failed: %s (kernel options %s; see dmesg)",
		    fstype, dir, strerror(err), data);
	}
	if (start_program(path, pargv, pw, fd) < 0) {
		undo_mount(dir, fstype);
		die(EX_FAIL, "%s not mounted: %s did not start", dir, base_name(prog));
	}
	n = check_answers(dir);
	if (n) {
		undo_mount(dir, fstype);
		die(EX_FAIL, "%s not mounted: %s started but the file system does not answer "
		    "(%s; it may have refused the kernel's INIT, see dmesg)",
		    dir, base_name(prog), strerror(n));
	}
	return 0;
}
