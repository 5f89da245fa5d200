// SPDX-License-Identifier: GPL-2.0
/*
 * iopoll: one ioctl or one poll on a file, for 45-ioctl-poll.sh.
 *
 *   iopoll ioctl PATH NR DIR SIZE   ioctl _IOC(DIR, 'T', NR, SIZE) on PATH;
 *                                   DIR is none, r, w or rw; the buffer
 *                                   starts as the u64 41 (then zeros)
 *   iopoll poll PATH TIMEOUT_MS     poll(POLLIN) on PATH
 *
 * Prints "ret=R data=HEX" (the bytes the ioctl could have written, for
 * _IOC_READ) or "err=ERRNAME", and "rc=N revents=HEX" for poll; exits 0
 * when the call itself could be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

static const char *ename(int e)
{
	switch (e) {
	case EIO:	return "EIO";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case EPERM:	return "EPERM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case ENOSYS:	return "ENOSYS";
	case ENOTCONN:	return "ENOTCONN";
	default:	return "E?";
	}
}

static int do_ioctl(const char *path, const char *nr, const char *dir,
		    const char *size)
{
	unsigned char buf[256] = { 0 };
	unsigned long n = strtoul(nr, NULL, 0), sz = strtoul(size, NULL, 0);
	uint64_t v = 41;
	unsigned int d, cmd;
	int fd, ret;
	size_t i;

	if (!strcmp(dir, "none"))
		d = _IOC_NONE;
	else if (!strcmp(dir, "r"))
		d = _IOC_READ;
	else if (!strcmp(dir, "w"))
		d = _IOC_WRITE;
	else if (!strcmp(dir, "rw"))
		d = _IOC_READ | _IOC_WRITE;
	else
		return 2;
	if (sz > sizeof(buf))
		return 2;
	memcpy(buf, &v, sizeof(v));
	cmd = _IOC(d, 'T', n, sz);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("open: %s\n", ename(errno));
		return 1;
	}
	ret = ioctl(fd, cmd, buf);
	if (ret < 0) {
		printf("err=%s\n", ename(errno));
	} else {
		printf("ret=%d", ret);
		if (d & _IOC_READ) {
			printf(" data=");
			for (i = 0; i < sz; i++)
				printf("%02x", buf[i]);
		}
		printf("\n");
	}
	close(fd);
	return 0;
}

static int do_poll(const char *path, const char *timeout)
{
	struct pollfd p = { .events = POLLIN };
	int rc;

	p.fd = open(path, O_RDONLY);
	if (p.fd < 0) {
		printf("open: %s\n", ename(errno));
		return 1;
	}
	rc = poll(&p, 1, atoi(timeout));
	if (rc < 0)
		printf("err=%s\n", ename(errno));
	else
		printf("rc=%d revents=%#x\n", rc, p.revents);
	close(p.fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 6 && !strcmp(argv[1], "ioctl"))
		return do_ioctl(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && !strcmp(argv[1], "poll"))
		return do_poll(argv[2], argv[3]);
	fprintf(stderr, "usage: iopoll ioctl PATH NR none|r|w|rw SIZE | iopoll poll PATH TIMEOUT_MS\n");
	return 2;
}
