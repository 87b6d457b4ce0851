/* SPDX-License-Identifier: MIT */
/* connect: a load client for servers on loopback. P processes run N
 * connections each, one after the other, so P = 1 is a sequential client.
 * What one connection does depends on the mode:
 *
 *   echo (default)  connect, send SIZE bytes, half-close, read the echo to
 *                   end of file, check it, close
 *   --eof           connect and read to end of file (a server whose worker
 *                   exits at once, /bin/true: the latency of one worker)
 *   --tls CAFILE    connect, a full TLS handshake (no session resumption,
 *                   the certificate checked against CAFILE for host name
 *                   "localhost"), one "GET PATH HTTP/1.0" (--get, default
 *                   "/"), read the reply to the end, check it starts with
 *                   an HTTP 200 status line (and, with --expect TEXT, that
 *                   the body holds TEXT), close
 *
 *   connect [--eof | --tls CAFILE [--get PATH] [--expect TEXT]] HOST PORT N [P [SIZE]]
 *
 * Prints one line: connections, seconds, connections per second, and the
 * 10th, 50th and 90th percentile connect-to-close latency in ms:
 *   conns=800 secs=1.02 rate=784.3 median_ms=1.21 p90_ms=1.62 errors=0 p10_ms=0.98
 * (p10 last, so that older parsers of the line keep working). A failed
 * connection is counted in errors and its latency still recorded; the exit
 * status is 1 if any failed. Addresses other than loopback are refused:
 * this is a test tool. */
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

#include <openssl/err.h>
#include <openssl/ssl.h>

enum mode { ECHO, EOF_ONLY, TLS };

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

static int dial(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One echo connection; returns 0 or -1. */
static int one_echo(const struct sockaddr_in *sa, const char *msg, size_t size, char *buf)
{
	int fd = dial(sa);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	if (write(fd, msg, size) != (ssize_t)size || shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf + got, size + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	return n == 0 && got == size && memcmp(buf, msg, size) == 0 ? 0 : -1;
}

/* One connection that only waits for the server to close it. */
static int one_eof(const struct sockaddr_in *sa)
{
	char buf[256];
	int fd = dial(sa);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n == 0 ? 0 : -1;
}

/* One HTTPS request over a fresh connection and a full handshake: a new
 * SSL object per connection and no session set on it, so nothing is
 * resumed. */
static int one_tls(const struct sockaddr_in *sa, SSL_CTX *ctx, const char *req, const char *expect)
{
	static char buf[1 << 16];
	size_t got = 0;
	int fd = dial(sa), n, ok = -1;
	SSL *ssl;

	if (fd < 0)
		return -1;
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, "localhost") != 1 ||
	    SSL_set1_host(ssl, "localhost") != 1 || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, (int)strlen(req)) != (int)strlen(req))
		goto out;
	while (got < sizeof(buf) - 1 && (n = SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	/* busybox answers HTTP/1.0 or 1.1; either way the status is 200 */
	if (strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 8, " 200", 4) == 0 && (!expect || strstr(buf, expect)))
		ok = 0;
	(void)SSL_shutdown(ssl);
out:
	if (ok < 0 && getenv("CONNECT_DEBUG"))
		ERR_print_errors_fp(stderr);
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	return ok;
}

static void usage(void)
{
	fputs("usage: connect [--eof | --tls CAFILE [--get PATH] [--expect TEXT]] HOST PORT N [P [SIZE]]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	enum mode mode = ECHO;
	const char *ca = NULL, *path = "/", *expect = NULL;
	char req[1024];
	long n, p, size;
	double *lat, t0, t1;
	int *errors, i = 1;
	char *msg, *buf;
	SSL_CTX *ctx = NULL;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--eof") == 0)
			mode = EOF_ONLY;
		else if (strcmp(argv[i], "--tls") == 0 && i + 1 < argc)
			mode = TLS, ca = argv[++i];
		else if (strcmp(argv[i], "--get") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc)
			expect = argv[++i];
		else
			usage();
	}
	argc -= i - 1;
	argv += i - 1;
	if (argc < 4)
		usage();
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
	if (mode == TLS) {
		/* One context for every connection (as a browser would have),
		 * with the session cache off: each connection does the whole
		 * handshake, which is what a new client costs the server. */
		ctx = SSL_CTX_new(TLS_client_method());
		if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			fprintf(stderr, "connect: cannot load CA file %s\n", ca);
			ERR_print_errors_fp(stderr);
			return 1;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	}
	/* Results shared with the child processes. */
	lat = mmap(NULL, sizeof(double) * (size_t)(n * p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	errors = mmap(NULL, sizeof(int) * (size_t)p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	msg = malloc((size_t)size);
	buf = malloc((size_t)size + 1);
	if (lat == MAP_FAILED || errors == MAP_FAILED || !msg || !buf)
		return 1;
	for (long k = 0; k < size; k++)
		msg[k] = (char)('a' + k % 26);

	t0 = now();
	for (long k = 0; k < p; k++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			for (long j = 0; j < n; j++) {
				double a = now();
				int r = mode == TLS ? one_tls(&sa, ctx, req, expect)
				      : mode == EOF_ONLY ? one_eof(&sa)
							 : one_echo(&sa, msg, (size_t)size, buf);
				if (r < 0)
					errors[k]++;
				lat[k * n + j] = (now() - a) * 1000;
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
	printf("conns=%ld secs=%.3f rate=%.1f median_ms=%.3f p90_ms=%.3f errors=%ld p10_ms=%.3f\n", total, t1 - t0,
	       (double)total / (t1 - t0), lat[total / 2], lat[total * 9 / 10], errs, lat[total / 10]);
	return errs ? 1 : 0;
}
