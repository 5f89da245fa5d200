// SPDX-License-Identifier: GPL-2.0
/*
 * xattrop: one xattr system call with exact sizes, for raw-protocol tests
 * that compare what two kernels give the user.
 *
 *   xattrop get PATH NAME SIZE      getxattr with a SIZE-byte buffer
 *   xattrop list PATH SIZE          listxattr with a SIZE-byte buffer
 *   xattrop set PATH NAME VALUE     setxattr
 *   xattrop remove PATH NAME        removexattr
 *   xattrop read PATH               open, read 4 KiB, close: each one's result
 *
 * Prints one line: "ret=N" plus, for get and list with a buffer, the bytes
 * returned (printable as is, others as \ooo), or "err=ERRNAME".  The exit
 * status is 0 whenever the call was made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/xattr.h>

static const char *err_name(int e)
{
	switch (e) {
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case E2BIG:	return "E2BIG";
	case EINVAL:	return "EINVAL";
	case ERANGE:	return "ERANGE";
	case ENOSYS:	return "ENOSYS";
	case ENODATA:	return "ENODATA";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EPERM:	return "EPERM";
	case EACCES:	return "EACCES";
	case ENOTCONN:	return "ENOTCONN";
	default:	return "E?";
	}
}

static void show(ssize_t ret, const char *buf)
{
	ssize_t i;

	if (ret < 0) {
		printf("err=%s\n", err_name(errno));
		return;
	}
	printf("ret=%zd", ret);
	if (buf) {
		fputs(" value=", stdout);
		for (i = 0; i < ret; i++) {
			unsigned char c = buf[i];

			if (c > 32 && c < 127 && c != '\\')
				putchar(c);
			else
				printf("\\%03o", c);
		}
	}
	putchar('\n');
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*end || v > 16 * 1024 * 1024) {
		fprintf(stderr, "xattrop: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	char *buf = NULL;
	size_t size;
	ssize_t ret;

	if (argc == 5 && !strcmp(argv[1], "get")) {
		size = parse_size(argv[4]);
		if (size && !(buf = calloc(1, size)))
			return 2;
		ret = getxattr(argv[2], argv[3], buf, size);
		show(ret, buf);
	} else if (argc == 4 && !strcmp(argv[1], "list")) {
		size = parse_size(argv[3]);
		if (size && !(buf = calloc(1, size)))
			return 2;
		ret = listxattr(argv[2], buf, size);
		show(ret, buf);
	} else if (argc == 5 && !strcmp(argv[1], "set")) {
		ret = setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0);
		show(ret, NULL);
	} else if (argc == 4 && !strcmp(argv[1], "remove")) {
		ret = removexattr(argv[2], argv[3]);
		show(ret, NULL);
	} else if (argc == 3 && !strcmp(argv[1], "read")) {
		char data[4096];
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0) {
			printf("open err=%s\n", err_name(errno));
			return 0;
		}
		ret = read(fd, data, sizeof(data));
		fputs("open ok, read ", stdout);
		show(ret, NULL);
		ret = close(fd);
		fputs("close ", stdout);
		show(ret, NULL);
	} else {
		fprintf(stderr, "usage: xattrop get PATH NAME SIZE | list PATH SIZE |"
			" set PATH NAME VALUE | remove PATH NAME | read PATH\n");
		return 2;
	}
	free(buf);
	return 0;
}
