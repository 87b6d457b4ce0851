/* SPDX-License-Identifier: MIT */
/* voidrun-tls: the TLS handler of profiles/tls.lua, run in a void per
 * connection. It holds only the connection (fds 0 and 1), the certificate
 * chain and the private key as fds (opened by voidrun), and one end of a
 * socket to the HTTP broker. It terminates TLS, hands the HTTP broker one
 * end of a fresh socketpair (a new HTTP void is started for it), and
 * relays plaintext between the two. It can open no file and reach no
 * network: a bug in the TLS library exposes one connection and the key.
 *
 *   voidrun-tls CERT_FD KEY_FD HTTP_FD */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "voidrun/fdpass.h"

static void die(const char *what)
{
	fprintf(stderr, "voidrun-tls: %s", what);
	ERR_print_errors_fp(stderr);
	fputc('\n', stderr);
	exit(1);
}

/* The whole file behind fd, read with pread: every worker shares the one
 * open file description voidrun made, so its offset is not ours to move. */
static BIO *read_fd(int fd)
{
	struct stat st;
	char *buf;
	off_t off = 0;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > 1 << 20)
		die("cannot read a PEM file from its fd");
	buf = malloc((size_t)st.st_size);
	if (!buf)
		die("out of memory");
	while (off < st.st_size) {
		ssize_t n = pread(fd, buf + off, (size_t)(st.st_size - off), off);
		if (n <= 0)
			die("short read of a PEM file");
		off += n;
	}
	return BIO_new_mem_buf(buf, (int)st.st_size);  /* buf lives as long as the process */
}

static SSL_CTX *context(int cert_fd, int key_fd)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *certs = read_fd(cert_fd), *keys = read_fd(key_fd);
	X509 *leaf, *extra;
	EVP_PKEY *key;

	if (!ctx || !certs || !keys)
		die("cannot set up TLS");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	leaf = PEM_read_bio_X509(certs, NULL, NULL, NULL);
	if (!leaf || SSL_CTX_use_certificate(ctx, leaf) != 1)
		die("bad certificate");
	while ((extra = PEM_read_bio_X509(certs, NULL, NULL, NULL)))
		if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1)
			die("bad certificate chain");
	ERR_clear_error();  /* the end of the chain reads as an error */
	key = PEM_read_bio_PrivateKey(keys, NULL, NULL, NULL);
	if (!key || SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		die("bad private key");
	return ctx;
}

/* Relay until both directions are done. */
static void relay(SSL *ssl, int plain)
{
	char buf[16384];
	int tls_open = 1, plain_open = 1;

	while (tls_open || plain_open) {
		struct pollfd p[2] = { { .fd = 0, .events = POLLIN }, { .fd = plain, .events = POLLIN } };
		if (!(tls_open && SSL_pending(ssl)) && poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (tls_open && (SSL_pending(ssl) || (p[0].revents & (POLLIN | POLLHUP | POLLERR)))) {
			int n = SSL_read(ssl, buf, sizeof(buf));
			if (n > 0) {
				for (int off = 0; off < n;) {
					ssize_t w = write(plain, buf + off, (size_t)(n - off));
					if (w <= 0)
						return;
					off += (int)w;
				}
			} else {
				int e = SSL_get_error(ssl, n);
				if (e != SSL_ERROR_WANT_READ) {
					/* the client is done sending: so is the HTTP side's input */
					tls_open = 0;
					(void)shutdown(plain, SHUT_WR);
					if (e != SSL_ERROR_ZERO_RETURN)
						plain_open = plain_open && e == SSL_ERROR_SYSCALL;
				}
			}
		}
		if (plain_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(plain, buf, sizeof(buf));
			if (n <= 0) {
				plain_open = 0;
				(void)SSL_shutdown(ssl);
				return;  /* the response is complete */
			}
			if (SSL_write(ssl, buf, (int)n) <= 0)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	int sp[2], http_fd;
	SSL_CTX *ctx;
	SSL *ssl;

	if (argc != 4) {
		fputs("usage: voidrun-tls CERT_FD KEY_FD HTTP_FD (the connection on 0 and 1)\n", stderr);
		return 2;
	}
	ctx = context(atoi(argv[1]), atoi(argv[2]));
	http_fd = atoi(argv[3]);
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, 0) != 1)
		die("cannot set up TLS");
	if (SSL_accept(ssl) != 1)
		die("handshake failed: ");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		die("socketpair");
	if (voidrun_send_fd(http_fd, sp[1], "", 0) < 0)
		die("cannot reach the HTTP broker");
	close(sp[1]);
	relay(ssl, sp[0]);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return 0;
}
