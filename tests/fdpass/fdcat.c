/* SPDX-License-Identifier: MIT */
/* fdcat SOCK: receive fds over the unix socket SOCK (a number) with
 * voidrun/fdpass.h and copy each one's content to stdout, after a line
 * "PAYLOAD:" naming what came with it, until the stream ends. A C program
 * in a void using the documented header, as a user's would. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "voidrun/fdpass.h"

int main(int argc, char **argv)
{
	char name[256], buf[65536];
	int sock, fd;
	size_t len;

	if (argc != 2) {
		fputs("usage: fdcat SOCKFD\n", stderr);
		return 2;
	}
	sock = atoi(argv[1]);
	while ((fd = voidrun_recv_fd(sock, name, sizeof(name) - 1, &len)) >= 0) {
		ssize_t n;

		name[len] = '\0';
		printf("%s:\n", name);
		fflush(stdout);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(1, buf, (size_t)n) != n)
				return 1;
		close(fd);
	}
	if (fd != -ENODATA) {
		fprintf(stderr, "fdcat: %s\n", strerror(-fd));
		return 1;
	}
	return 0;
}
