/* SPDX-License-Identifier: MIT */
/* Pipes, socketpairs and passing descriptors over unix sockets. Every fd
 * made here is close-on-exec: an fd reaches a void only because a plan
 * placed it there. */
#pragma once

#include <stddef.h>

/* pipe2(O_CLOEXEC). fds[0] is the read end. Returns 0 or -errno. */
int vr_fd_pipe(int fds[2]);

/* socketpair(AF_UNIX) of type SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET,
 * close-on-exec. Returns 0 or -errno (-EINVAL for another type). */
int vr_fd_socketpair(int type, int fds[2]);

/* Send n fds (1..VR_FD_MAX_PASS) over a unix socket with SCM_RIGHTS,
 * along with the payload data/len (at least one byte is sent: a zero-length
 * payload becomes one NUL byte, since a stream socket cannot carry ancillary
 * data alone). Returns the payload bytes sent or -errno (-EINVAL for n out
 * of range, -EPIPE when the peer is gone). */
#define VR_FD_MAX_PASS 253  /* = VOIDRUN_FD_MAX of voidrun/fdpass.h */
int vr_fd_send(int sock, const int *fds, size_t n, const void *data, size_t len);

/* Receive up to max fds and up to len payload bytes. Received fds are
 * close-on-exec (MSG_CMSG_CLOEXEC). *ret_n is set to the number of fds.
 * Returns the payload bytes received (0 at end of stream) or -errno;
 * -EMSGSIZE when more fds arrived than max (they are closed, none leak). */
int vr_fd_recv(int sock, int *fds, size_t max, size_t *ret_n, void *data, size_t len);

/* A listening TCP socket on host (an IPv4 or IPv6 literal) and port (0:
 * any free port), close-on-exec, SO_REUSEADDR. Returns the fd or -errno
 * (-EINVAL for a host that is not a literal address). */
int vr_fd_tcp_listen(const char *host, int port, int backlog);

/* A listening unix stream socket at path, close-on-exec; a stale socket
 * file there is replaced (no other file is). Returns the fd or -errno. */
int vr_fd_unix_listen(const char *path, int backlog);

/* A blocking TCP connection to host (a literal address) and port,
 * close-on-exec. Returns the fd or -errno (-EINVAL for a bad address). */
int vr_fd_tcp_connect(const char *host, int port);

/* The local port of a bound socket, or -errno. */
int vr_fd_local_port(int fd);

/* Whether fd is open. */
int vr_fd_is_open(int fd);
