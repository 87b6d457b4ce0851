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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"
#include "voidrun/fdpass.h"

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

/* One implementation for voidrun and the programs in its voids: the
 * header-only voidrun/fdpass.h. */
int vr_fd_send(int sock, const int *fds, size_t n, const void *data, size_t len)
{
	return voidrun_send_fds(sock, fds, n, data, len);
}

int vr_fd_recv(int sock, int *fds, size_t max, size_t *ret_n, void *data, size_t len)
{
	return voidrun_recv_fds(sock, fds, max, ret_n, data, len);
}

/* host (an IPv4 or IPv6 literal) and port as a socket address. */
static int inet_address(const char *host, int port, struct sockaddr_storage *ss, socklen_t *ret_len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (port < 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	return 0;
}

int vr_fd_tcp_connect(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	_cleanup_close_ int fd = -1;
	int r = inet_address(host, port, &ss, &len);

	if (r < 0)
		return r;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
		return vr_neg_errno();
	return TAKE_FD(fd);
}

int vr_fd_tcp_listen(const char *host, int port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	_cleanup_close_ int fd = -1;
	int r = inet_address(host, port, &ss, &len);

	if (r < 0)
		return r;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vr_neg_errno();
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0)
		return vr_neg_errno();
	return TAKE_FD(fd);
}

int vr_fd_unix_listen(const char *path, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* A socket left by an earlier run that died is replaced; any other
	 * kind of file at the path is not ours to remove. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vr_neg_errno();
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0)
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
