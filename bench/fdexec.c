/* SPDX-License-Identifier: MIT */
/* fdexec: the unsandboxed twin of a voidrun "fds" broker, for the TLS
 * benchmark. It makes a seqpacket socketpair, starts SERVER with one end at
 * fd FD (as profiles/tls.lua gives every TLS worker one end of
 * vr.socketpair{ type = "seqpacket" } at fd 5), and for every batch of fds
 * received on the other end fork+execs WORKER with the first received fd
 * as its stdin and stdout (as the "http" broker's conn = { 0, 1 }): one
 * plain process per stream where voidrun starts one void.
 *
 *   fdexec FD SERVER [ARGS...] -- WORKER [ARGS...]
 *
 * It ends (and TERMs SERVER) on SIGTERM or SIGINT, or when the socket
 * reaches end of file. Workers are reaped by SIGCHLD = SIG_IGN. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "voidrun/fdpass.h"

static volatile pid_t server;

static void stop(int sig)
{
	if (server > 0)
		(void)kill(server, SIGTERM);
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	int sp[2], fd, sep = 0;

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (argc < 5 || sep < 3 || sep + 1 >= argc || (fd = atoi(argv[1])) < 3) {
		fputs("usage: fdexec FD(>=3) SERVER [ARGS...] -- WORKER [ARGS...]\n", stderr);
		return 2;
	}
	argv[sep] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		perror("fdexec: socketpair");
		return 1;
	}
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	signal(SIGCHLD, SIG_IGN);
	server = fork();
	if (server < 0) {
		perror("fdexec: fork");
		return 1;
	}
	if (server == 0) {
		/* dup2 clears close-on-exec on the copy (and when the end is
		 * already at FD, fcntl does): SERVER and its children inherit the
		 * end at FD, nothing else of ours */
		if (sp[0] == fd ? fcntl(fd, F_SETFD, 0) < 0 : dup2(sp[0], fd) < 0)
			_exit(127);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execvp(argv[2], argv + 2);
		perror("fdexec: exec SERVER");
		_exit(127);
	}
	close(sp[0]);
	for (;;) {
		int fds[VOIDRUN_FD_MAX];
		char data[64];
		size_t nfds = 0;
		int r = voidrun_recv_fds(sp[1], fds, VOIDRUN_FD_MAX, &nfds, data, sizeof(data));

		if (r == -EINTR)
			continue;
		if (r < 0 || (r == 0 && nfds == 0))
			break;
		if (nfds == 0)
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			signal(SIGCHLD, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			if (dup2(fds[0], 0) < 0 || dup2(fds[0], 1) < 0)
				_exit(127);
			execvp(argv[sep + 1], argv + sep + 1);
			_exit(127);
		}
		for (size_t k = 0; k < nfds; k++)
			close(fds[k]);
	}
	(void)kill(server, SIGTERM);
	return 0;
}
