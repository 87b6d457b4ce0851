/* SPDX-License-Identifier: MIT */
/* voidrun/fdpass.h: pass file descriptors between voids over a unix
 * socket (SCM_RIGHTS). Header-only, plain C99 with POSIX, so that a program
 * running in a void needs nothing of voidrun's but this file.
 *
 * A profile gives two voids the ends of a socketpair:
 *
 *     local s = vr.socketpair { type = "seqpacket" }
 *     vr.void "a" { exec = { "/a", s[1] }, ... }   -- "/a 3": the fd number
 *     vr.void "b" { exec = { "/b", s[2] }, ... }
 *
 * and "a" sends an fd it holds with voidrun_send_fd(3, fd, "name", 4);
 * "b" receives it with voidrun_recv_fd(3, buf, sizeof buf, &len).
 *
 * Every function returns >= 0 on success and -errno on failure. Received
 * fds are close-on-exec. voidrun's own core uses these same functions. */
#ifndef VOIDRUN_FDPASS_H
#define VOIDRUN_FDPASS_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The most fds one message carries (the kernel's SCM_MAX_FD). */
#define VOIDRUN_FD_MAX 253

/* Send n fds (1..VOIDRUN_FD_MAX) and len bytes of data (an empty payload
 * becomes one NUL byte: a stream socket cannot carry fds alone). Returns
 * the payload bytes sent; -EINVAL for a bad n; -EPIPE when the peer is
 * gone (no SIGPIPE is raised). */
static inline int voidrun_send_fds(int sock, const int *fds, size_t n, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VOIDRUN_FD_MAX)];
		struct cmsghdr align;
	} u;
	char nul = '\0';
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	ssize_t w;

	if (n == 0 || n > VOIDRUN_FD_MAX)
		return -EINVAL;
	iov.iov_base = len ? (void *)data : &nul;
	iov.iov_len = len ? len : 1;
	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
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
		return -errno;
	return len ? (int)w : 0;
}

/* Receive up to max fds into fds and up to len bytes into data; *ret_n
 * gets the number of fds. Returns the payload bytes (0 at end of stream);
 * -EMSGSIZE when more fds came than max (then none is kept open). */
static inline int voidrun_recv_fds(int sock, int *fds, size_t max, size_t *ret_n, void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VOIDRUN_FD_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr msg;
	size_t got = 0;
	int overflow = 0;
	ssize_t r;

	*ret_n = 0;
	iov.iov_base = data;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
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

/* One fd each way, the common case. */
static inline int voidrun_send_fd(int sock, int fd, const void *data, size_t len)
{
	return voidrun_send_fds(sock, &fd, 1, data, len);
}

/* Returns the received fd, -ENODATA at end of stream or when the message
 * carried no fd; *ret_len gets the payload length. */
static inline int voidrun_recv_fd(int sock, void *data, size_t len, size_t *ret_len)
{
	int fd = -1;
	size_t n;
	int r = voidrun_recv_fds(sock, &fd, 1, &n, data, len);

	if (r < 0)
		return r;
	if (ret_len)
		*ret_len = (size_t)r;
	return n == 1 ? fd : -ENODATA;
}

#endif
