/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

int vr_fd_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) < 0 ? vr_neg_errno() : 0;
}

int vr_fd_socketpair(int type, int fds[2])
{
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -EINVAL;
	return socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) < 0 ? vr_neg_errno() : 0;
}

int vr_fd_send(int sock, const int *fds, size_t n, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VR_FD_MAX_PASS)];
		struct cmsghdr align;
	} u;
	char nul = '\0';
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t w;

	if (n == 0 || n > VR_FD_MAX_PASS)
		return -EINVAL;
	if (len == 0) {
		iov.iov_base = &nul;
		iov.iov_len = 1;
	}
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n);

	do
		w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return vr_neg_errno();
	return (int)(len == 0 ? 0 : w);
}

int vr_fd_recv(int sock, int *fds, size_t max, size_t *ret_n, void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VR_FD_MAX_PASS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	size_t got = 0;
	int overflow = 0;
	ssize_t r;

	*ret_n = 0;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return vr_neg_errno();

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < max)
				fds[got++] = fd;
			else {
				(void)close(fd);
				overflow = 1;
			}
		}
	}
	/* The kernel truncated the control data: fds were lost in transit. */
	if (msg.msg_flags & MSG_CTRUNC)
		overflow = 1;
	if (overflow) {
		for (size_t i = 0; i < got; i++)
			(void)close(fds[i]);
		return -EMSGSIZE;
	}
	*ret_n = got;
	return (int)r;
}

int vr_fd_tcp_listen(const char *host, int port, int backlog)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;
	_cleanup_close_ int fd = -1;

	if (port < 0 || port > 65535)
		return -EINVAL;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vr_neg_errno();
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0)
		return vr_neg_errno();
	return TAKE_FD(fd);
}

int vr_fd_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return vr_neg_errno();
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

int vr_fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}
