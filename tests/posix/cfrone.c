// SPDX-License-Identifier: GPL-2.0
/*
 * cfrone: one copy_file_range(2) call within a file, with the numbers
 * given, and what it returned.
 *
 *   cfrone FILE OFF_IN OFF_OUT LEN     prints "ret=N" or "err=ERRNAME"
 *
 * Exit status 0 when the call returned, 1 when it failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	loff_t off_in, off_out;
	size_t len;
	ssize_t n;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: cfrone FILE OFF_IN OFF_OUT LEN\n");
		return 2;
	}
	off_in = strtoll(argv[2], NULL, 0);
	off_out = strtoll(argv[3], NULL, 0);
	len = strtoull(argv[4], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("open=%s\n", strerrorname_np(errno));
		return 1;
	}
	n = copy_file_range(fd, &off_in, fd, &off_out, len, 0);
	if (n < 0) {
		printf("err=%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("ret=%zd\n", n);
	return 0;
}
