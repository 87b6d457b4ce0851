/* SPDX-License-Identifier: MIT */
/* Pipes, socketpairs and fd passing: everything made close-on-exec, the
 * fds received are the very files sent, and no failure leaks an fd (the
 * open fds of the process are counted before and after every test). */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"


/* ---- fixture: the fd count must come back to where it was --------------- */

struct fdstate {
	int before;
};

static int setup(void **state)
{
	struct fdstate *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->before = vr_test_count_fds();
	*state = s;
	return s->before < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fdstate *s = *state;
	int after = vr_test_count_fds(), r = 0;

	if (after != s->before) {
		fprintf(stderr, "teardown: %d fds open before the test, %d after\n", s->before, after);
		r = -1;
	}
	free(s);
	return r;
}

static bool cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	assert_true(f >= 0);
	return f & FD_CLOEXEC;
}

static void same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_dev, sb.st_dev);
	assert_int_equal(sa.st_ino, sb.st_ino);
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(close(fds[i]), 0);
}

/* ---- failure paths -------------------------------------------------------- */

static void test_socketpair_bad_type(void **state)
{
	static const int bad[] = { 0, SOCK_RAW, SOCK_RDM, SOCK_PACKET, 42, -1,
				   SOCK_STREAM | SOCK_NONBLOCK, SOCK_STREAM | SOCK_CLOEXEC };
	int fds[2] = { -7, -7 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vr_fd_socketpair(bad[i], fds), -EINVAL);
		assert_int_equal(fds[0], -7);
		assert_int_equal(fds[1], -7);
	}
}

static void test_send_count_out_of_range(void **state)
{
	int sv[2], fds[VR_FD_MAX_PASS + 1];

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	for (size_t i = 0; i < VR_FD_MAX_PASS + 1; i++)
		fds[i] = 0;
	assert_int_equal(vr_fd_send(sv[0], fds, 0, "x", 1), -EINVAL);
	assert_int_equal(vr_fd_send(sv[0], fds, VR_FD_MAX_PASS + 1, "x", 1), -EINVAL);
	assert_int_equal(vr_fd_send(sv[0], fds, (size_t)-1, "x", 1), -EINVAL);
	close_all(sv, 2);
}

static void test_send_closed_peer(void **state)
{
	int sv[2], fd = 0;

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	assert_int_equal(close(sv[1]), 0);
	/* MSG_NOSIGNAL: -EPIPE, and no SIGPIPE to kill this test. */
	assert_int_equal(vr_fd_send(sv[0], &fd, 1, "x", 1), -EPIPE);
	assert_int_equal(vr_fd_send(sv[0], &fd, 1, NULL, 0), -EPIPE);
	assert_int_equal(close(sv[0]), 0);

	assert_int_equal(vr_fd_socketpair(SOCK_SEQPACKET, sv), 0);
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(vr_fd_send(sv[0], &fd, 1, "x", 1), -EPIPE);
	assert_int_equal(close(sv[0]), 0);
}

static void test_send_bad_fds(void **state)
{
	int sv[2], fd = -1, r;

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	assert_int_equal(vr_fd_send(sv[0], &fd, 1, "x", 1), -EBADF);
	assert_int_equal(vr_fd_send(-1, &sv[1], 1, "x", 1), -EBADF);
	/* Not a socket. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = vr_fd_send(fd, &fd, 1, "x", 1);
	assert_int_equal(r, -ENOTSOCK);
	assert_int_equal(close(fd), 0);
	close_all(sv, 2);
}

/* More fds than the receiver takes: -EMSGSIZE, and every one of them,
 * taken or not, closed again. */
static void test_recv_too_many(void **state)
{
	int sv[2], fds[3], got[3] = { -1, -1, -1 }, before;
	size_t n = 99;
	char buf[8];

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	assert_int_equal(vr_fd_pipe(fds), 0);
	fds[2] = fds[0];
	before = vr_test_count_fds();

	assert_int_equal(vr_fd_send(sv[0], fds, 3, "abc", 3), 3);
	assert_int_equal(vr_fd_recv(sv[1], got, 1, &n, buf, sizeof(buf)), -EMSGSIZE);
	assert_int_equal(n, 0);
	assert_int_equal(vr_test_count_fds(), before);

	/* With room for none at all. */
	assert_int_equal(vr_fd_send(sv[0], fds, 2, "de", 2), 2);
	assert_int_equal(vr_fd_recv(sv[1], NULL, 0, &n, buf, sizeof(buf)), -EMSGSIZE);
	assert_int_equal(n, 0);
	assert_int_equal(vr_test_count_fds(), before);

	/* The stream is still usable after. */
	assert_int_equal(vr_fd_send(sv[0], fds, 1, "f", 1), 1);
	assert_int_equal(vr_fd_recv(sv[1], got, 3, &n, buf, sizeof(buf)), 1);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], 'f');
	same_file(got[0], fds[0]);
	close_all(got, 1);
	close_all(fds, 2);
	close_all(sv, 2);
}

/* ---- what is made and passed ---------------------------------------------- */

static void test_pipe_cloexec(void **state)
{
	int p[2];
	char c = 0;

	(void)state;
	assert_int_equal(vr_fd_pipe(p), 0);
	assert_true(cloexec(p[0]));
	assert_true(cloexec(p[1]));
	/* fds[0] is the read end. */
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	assert_true((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
	assert_true((fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
	close_all(p, 2);
}

static void test_socketpair_cloexec(void **state)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int sv[2], type = 0;
		socklen_t len = sizeof(type);

		assert_int_equal(vr_fd_socketpair(types[i], sv), 0);
		assert_true(cloexec(sv[0]));
		assert_true(cloexec(sv[1]));
		assert_int_equal(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len), 0);
		assert_int_equal(type, types[i]);
		assert_int_equal(getsockopt(sv[1], SOL_SOCKET, SO_DOMAIN, &type, &len), 0);
		assert_int_equal(type, AF_UNIX);
		close_all(sv, 2);
	}
}

static void test_pass_one(void **state)
{
	int sv[2], fd, got = -1;
	size_t n = 0;
	char buf[16] = "";

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	fd = open("/dev/null", O_RDONLY); /* not close-on-exec on this side */
	assert_true(fd >= 0);
	assert_int_equal(vr_fd_send(sv[0], &fd, 1, "hello", 5), 5);
	assert_int_equal(vr_fd_recv(sv[1], &got, 1, &n, buf, sizeof(buf)), 5);
	assert_int_equal(n, 1);
	assert_memory_equal(buf, "hello", 5);
	assert_true(got >= 0 && got != fd);
	assert_true(cloexec(got));
	same_file(got, fd);
	assert_int_equal(close(got), 0);
	assert_int_equal(close(fd), 0);
	close_all(sv, 2);
}

static void test_pass_three(void **state)
{
	char tmpl[] = "/tmp/vr-test-fd-XXXXXX";
	int sv[2], p[2], fds[3], got[4] = { -1, -1, -1, -1 };
	size_t n = 0;
	char buf[16] = "";

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_SEQPACKET, sv), 0);
	assert_int_equal(vr_fd_pipe(p), 0);
	fds[0] = p[1];
	fds[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
	fds[2] = mkostemp(tmpl, O_CLOEXEC);
	assert_true(fds[1] >= 0 && fds[2] >= 0);
	assert_int_equal(unlink(tmpl), 0);

	assert_int_equal(vr_fd_send(sv[0], fds, 3, "three", 5), 5);
	assert_int_equal(vr_fd_recv(sv[1], got, 4, &n, buf, sizeof(buf)), 5);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "three", 5);
	for (size_t i = 0; i < 3; i++) {
		assert_true(cloexec(got[i]));
		same_file(got[i], fds[i]);
	}
	assert_int_equal(got[3], -1);
	/* In order, and working: what goes into the received pipe end
	 * comes out of ours. */
	assert_int_equal(write(got[0], "!", 1), 1);
	assert_int_equal(read(p[0], buf, 1), 1);
	assert_int_equal(buf[0], '!');
	close_all(got, 3);
	close_all(fds, 3);
	assert_int_equal(close(p[0]), 0);
	close_all(sv, 2);
}

/* A zero-length payload still carries the fds, as one NUL byte. */
static void test_pass_no_payload(void **state)
{
	int sv[2], fd, got = -1;
	size_t n = 0;
	char buf[4] = "xxx";

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(vr_fd_send(sv[0], &fd, 1, NULL, 0), 0);
	assert_int_equal(vr_fd_recv(sv[1], &got, 1, &n, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(n, 1);
	same_file(got, fd);
	assert_int_equal(close(got), 0);
	assert_int_equal(close(fd), 0);
	close_all(sv, 2);
}

/* The most the kernel passes in one message (SCM_MAX_FD). */
static void test_pass_max(void **state)
{
	int sv[2], fd, fds[VR_FD_MAX_PASS], got[VR_FD_MAX_PASS];
	size_t n = 0;
	char c;

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (size_t i = 0; i < VR_FD_MAX_PASS; i++)
		fds[i] = fd;
	assert_int_equal(vr_fd_send(sv[0], fds, VR_FD_MAX_PASS, "m", 1), 1);
	assert_int_equal(vr_fd_recv(sv[1], got, VR_FD_MAX_PASS, &n, &c, 1), 1);
	assert_int_equal(n, VR_FD_MAX_PASS);
	for (size_t i = 0; i < n; i++) {
		assert_true(cloexec(got[i]));
		same_file(got[i], fd);
	}
	close_all(got, n);
	assert_int_equal(close(fd), 0);
	close_all(sv, 2);
}

/* Data without fds, and the end of the stream. */
static void test_recv_plain_and_eof(void **state)
{
	int sv[2], got = -1;
	size_t n = 99;
	char buf[8] = "";

	(void)state;
	assert_int_equal(vr_fd_socketpair(SOCK_STREAM, sv), 0);
	assert_int_equal(write(sv[0], "plain", 5), 5);
	assert_int_equal(vr_fd_recv(sv[1], &got, 1, &n, buf, sizeof(buf)), 5);
	assert_int_equal(n, 0);
	assert_int_equal(got, -1);
	assert_memory_equal(buf, "plain", 5);
	assert_int_equal(close(sv[0]), 0);
	n = 99;
	assert_int_equal(vr_fd_recv(sv[1], &got, 1, &n, buf, sizeof(buf)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(vr_fd_recv(-1, &got, 1, &n, buf, sizeof(buf)), -EBADF);
}

static void test_is_open(void **state)
{
	int fd;

	(void)state;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(vr_fd_is_open(fd));
	assert_true(vr_fd_is_open(STDERR_FILENO) == (fcntl(STDERR_FILENO, F_GETFD) >= 0));
	assert_int_equal(close(fd), 0);
	assert_false(vr_fd_is_open(fd));
	assert_false(vr_fd_is_open(-1));
	assert_false(vr_fd_is_open(INT_MAX));
	/* An O_PATH fd is open too. */
	fd = open("/", O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(vr_fd_is_open(fd));
	assert_int_equal(close(fd), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_socketpair_bad_type),
		T(test_send_count_out_of_range),
		T(test_send_closed_peer),
		T(test_send_bad_fds),
		T(test_recv_too_many),
		T(test_pipe_cloexec),
		T(test_socketpair_cloexec),
		T(test_pass_one),
		T(test_pass_three),
		T(test_pass_no_payload),
		T(test_pass_max),
		T(test_recv_plain_and_eof),
		T(test_is_open),
	};
#undef T

	return vr_test_run(tests);
}
