/* SPDX-License-Identifier: MIT */
/* connect: a load client for echo servers on loopback. Each connection
 * connects, sends SIZE bytes, half-closes, reads the echo to end of file,
 * checks it and closes. P processes run N connections each, one after the
 * other, so P = 1 is a sequential client.
 *
 *   connect HOST PORT N [P [SIZE]]
 *
 * Prints: connections, seconds, connections per second, and the median and
 * 90th percentile connect-to-close latency in ms, as one line:
 *   conns=800 secs=1.02 rate=784.3 median_ms=1.21 p90_ms=1.62 errors=0
 * Addresses other than loopback are refused: this is a test tool. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One connection; returns 0 or -1. */
static int one(const struct sockaddr_in *sa, const char *msg, size_t size, char *buf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    write(fd, msg, size) != (ssize_t)size || shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf + got, size + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	return n == 0 && got == size && memcmp(buf, msg, size) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long n, p, size;
	double *lat, t0, t1;
	int *errors;
	char *msg, *buf;

	if (argc < 4) {
		fputs("usage: connect HOST PORT N [P [SIZE]]\n", stderr);
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fputs("connect: HOST must be a loopback IPv4 address\n", stderr);
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	n = atol(argv[3]);
	p = argc > 4 ? atol(argv[4]) : 1;
	size = argc > 5 ? atol(argv[5]) : 64;
	if (n < 1 || p < 1 || p > 256 || size < 1 || size > 1 << 20) {
		fputs("connect: N >= 1, 1 <= P <= 256, 1 <= SIZE <= 1 MiB\n", stderr);
		return 2;
	}
	/* Results shared with the child processes. */
	lat = mmap(NULL, sizeof(double) * (size_t)(n * p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	errors = mmap(NULL, sizeof(int) * (size_t)p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	msg = malloc((size_t)size);
	buf = malloc((size_t)size + 1);
	if (lat == MAP_FAILED || errors == MAP_FAILED || !msg || !buf)
		return 1;
	for (long i = 0; i < size; i++)
		msg[i] = (char)('a' + i % 26);

	t0 = now();
	for (long k = 0; k < p; k++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			for (long i = 0; i < n; i++) {
				double a = now();
				if (one(&sa, msg, (size_t)size, buf) < 0)
					errors[k]++;
				lat[k * n + i] = (now() - a) * 1000;
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	t1 = now();

	long total = n * p, errs = 0;
	for (long k = 0; k < p; k++)
		errs += errors[k];
	qsort(lat, (size_t)total, sizeof(double), cmp);
	printf("conns=%ld secs=%.3f rate=%.1f median_ms=%.3f p90_ms=%.3f errors=%ld\n", total, t1 - t0,
	       (double)total / (t1 - t0), lat[total / 2], lat[total * 9 / 10], errs);
	return errs ? 1 : 0;
}
