// SPDX-License-Identifier: GPL-2.0
/*
 * mkext: make one object of each creating request in a directory, with
 * the credentials given, for 54-raw-create-ext.sh.
 *
 *   mkext UID GID GROUPS DIR PREFIX
 *
 * GROUPS is a comma-separated list of supplementary groups, or "-" for
 * none.  The process takes them, then GID and UID (real, effective, saved
 * and so fs ids), sets umask 022 and makes, in DIR:
 *   PREFIX-f  open(O_CREAT|O_EXCL)   (CREATE)
 *   PREFIX-d  mkdir                  (MKDIR)
 *   PREFIX-l  symlink to "target"    (SYMLINK)
 *   PREFIX-p  mknod of a fifo        (MKNOD)
 *   an unnamed file, open(O_TMPFILE) (TMPFILE)
 * printing "PREFIX-X OP: OK" or the errno's name per object.  Exit 0 when
 * every call was made (whatever its result), 2 on bad usage or when the
 * credentials could not be taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

static void result(const char *prefix, const char *what, int rc)
{
	printf("%s%s: %s\n", prefix, what,
	       rc < 0 ? strerrorname_np(errno) : "OK");
}

static int take_creds(const char *uid_s, const char *gid_s, const char *groups)
{
	gid_t list[32];
	size_t n = 0;
	char *copy, *tok, *save;
	uid_t uid = strtoul(uid_s, NULL, 10);
	gid_t gid = strtoul(gid_s, NULL, 10);

	if (strcmp(groups, "-") != 0) {
		copy = strdup(groups);
		for (tok = strtok_r(copy, ",", &save); tok && n < 32;
		     tok = strtok_r(NULL, ",", &save))
			list[n++] = strtoul(tok, NULL, 10);
		free(copy);
	}
	if (setgroups(n, list) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		perror("mkext: taking the credentials");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char path[4096];
	const char *dir, *p;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: mkext UID GID GROUPS DIR PREFIX\n");
		return 2;
	}
	if (take_creds(argv[1], argv[2], argv[3]))
		return 2;
	umask(022);
	dir = argv[4];
	p = argv[5];

	snprintf(path, sizeof(path), "%s/%s-f", dir, p);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
	result(p, "-f create", fd);
	if (fd >= 0)
		close(fd);

	snprintf(path, sizeof(path), "%s/%s-d", dir, p);
	result(p, "-d mkdir", mkdir(path, 0755));

	snprintf(path, sizeof(path), "%s/%s-l", dir, p);
	result(p, "-l symlink", symlink("target", path));

	snprintf(path, sizeof(path), "%s/%s-p", dir, p);
	result(p, "-p mknod", mknod(path, S_IFIFO | 0644, 0));

	fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	result(p, " tmpfile", fd);
	if (fd >= 0)
		close(fd);
	return 0;
}
