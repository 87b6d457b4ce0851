/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "util.h"

#define VR_MESSAGE_MAX 65536

struct worker {
	struct vr_void v;
	long long deadline_ms;  /* time limit, or 0 */
};

struct waiting {
	int fd;                 /* an accepted connection, not yet handed over */
	long long deadline_ms;
};

struct vr_broker {
	struct vr_broker_opts o;
	struct vr_void *ready;  /* prepared voids, built and waiting */
	unsigned n_ready;
	unsigned ready_target;  /* 0 once a prepared void failed to build */
	bool stopped;           /* no new work: the source is done or stop was asked */
	struct worker *workers;
	unsigned n_workers;
	struct waiting *waiting;
	unsigned n_waiting;
	char *linebuf;          /* MESSAGE over a stream: bytes of the next line */
	size_t linelen;
	int has_error;
	struct vr_err last_error;
	struct vr_broker_stats st;
};

static long long now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vr_broker_new(const struct vr_broker_opts *o, struct vr_broker **ret)
{
	struct vr_broker *b;
	int flags;

	if (o->kind < VR_BROKER_ACCEPT || o->kind > VR_BROKER_FDS || o->max_workers == 0 ||
	    o->max_workers > 65536 || o->source < 0 || !o->plan || o->n_conn_fds > VR_BROKER_MAX_FDS)
		return -EINVAL;
	for (size_t i = 0; i < o->n_conn_fds; i++)
		if (o->conn_fds[i] < 0 || o->conn_fds[i] >= 1024)
			return -EINVAL;
	/* Reads of the source must never block the broker: every other
	 * source and worker is served from the same loop. */
	flags = fcntl(o->source, F_GETFL);
	if (flags < 0 || fcntl(o->source, F_SETFL, flags | O_NONBLOCK) < 0)
		return vr_neg_errno();

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->o = *o;
	if (b->o.n_conn_fds == 0) {
		b->o.n_conn_fds = o->kind == VR_BROKER_FDS ? VR_BROKER_MAX_FDS : 2;
		for (size_t i = 0; i < b->o.n_conn_fds; i++)
			b->o.conn_fds[i] = (int)i;
	}
	b->ready_target = o->kind == VR_BROKER_FDS ? 0 : o->prepared;
	b->ready = calloc(b->ready_target ? b->ready_target : 1, sizeof(*b->ready));
	b->workers = calloc(o->max_workers, sizeof(*b->workers));
	b->waiting = calloc(o->max_workers, sizeof(*b->waiting));
	b->linebuf = o->kind == VR_BROKER_MESSAGE ? malloc(VR_MESSAGE_MAX) : NULL;
	if (!b->ready || !b->workers || !b->waiting || (o->kind == VR_BROKER_MESSAGE && !b->linebuf)) {
		vr_broker_free(b);
		return -ENOMEM;
	}
	*ret = b;
	return 0;
}

static void add_usage(struct vr_usage *all, const struct vr_usage *one)
{
	if ((one->have & VR_USAGE_MEMORY) && one->memory_peak > all->memory_peak)
		all->memory_peak = one->memory_peak;
	if (one->have & VR_USAGE_CPU)
		all->cpu_usec += one->cpu_usec;
	if (one->have & VR_USAGE_OOM)
		all->oom_kills += one->oom_kills;
	all->have |= one->have;
}

static void reap(struct vr_broker *b, unsigned i)
{
	struct worker *w = &b->workers[i];
	struct vr_err err;
	int status = 0;
	int r = vr_void_wait(&w->v, -1, &status, &err);

	b->st.ended++;
	add_usage(&b->st.usage, &w->v.usage);
	if (r == 1) {
		b->st.failed++;
		b->last_error = err;
		b->has_error = 1;
	} else if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		b->st.crashed++;
	}
	/* Keep the array dense: the last worker takes this slot. */
	b->workers[i] = b->workers[--b->n_workers];
}

void vr_broker_kill(struct vr_broker *b, int sig)
{
	for (unsigned i = 0; i < b->n_workers; i++)
		(void)vr_void_kill(&b->workers[i].v, sig);
}

/* End the prepared voids: closing the channel they wait on ends them. */
static void drop_ready(struct vr_broker *b)
{
	for (unsigned i = 0; i < b->n_ready; i++) {
		int status;
		struct vr_err err;

		(void)vr_void_kill(&b->ready[i], SIGKILL);
		(void)vr_void_wait(&b->ready[i], -1, &status, &err);
	}
	b->n_ready = 0;
}

void vr_broker_stop(struct vr_broker *b, int sig)
{
	b->stopped = true;
	drop_ready(b);
	for (unsigned i = 0; i < b->n_waiting; i++)
		(void)close(b->waiting[i].fd);
	b->n_waiting = 0;
	if (sig)
		vr_broker_kill(b, sig);
}

void vr_broker_free(struct vr_broker *b)
{
	if (!b)
		return;
	vr_broker_stop(b, 0);
	if (b->workers) {
		vr_broker_kill(b, SIGKILL);
		while (b->n_workers)
			reap(b, b->n_workers - 1);
	}
	free(b->ready);
	free(b->workers);
	free(b->waiting);
	free(b->linebuf);
	free(b);
}

int vr_broker_active(const struct vr_broker *b)
{
	return !b->stopped || b->n_workers > 0;
}

void vr_broker_get_stats(const struct vr_broker *b, struct vr_broker_stats *ret)
{
	*ret = b->st;
	ret->running = b->n_workers;
	ret->waiting = b->n_waiting;
}

int vr_broker_last_error(const struct vr_broker *b, struct vr_err *ret)
{
	if (!b->has_error)
		return 0;
	*ret = b->last_error;
	return 1;
}

/* Build voids ahead until the pool is full: each waits, complete, for
 * the connection it will serve. A void that fails to build empties the
 * pool for good: the failure is then reported by direct spawns. */
static void fill_ready(struct vr_broker *b)
{
	while (!b->stopped && b->n_ready < b->ready_target) {
		struct vr_err err;

		if (vr_void_prepare(b->o.plan, b->o.conn_fds, b->o.n_conn_fds, &b->ready[b->n_ready], &err) < 0) {
			b->ready_target = 0;
			return;
		}
		b->n_ready++;
	}
}

/* A prepared void that ended before it was used: it could not be built,
 * and the broker builds voids when needed from now on; or it was killed
 * (core/void.c: wait_for_start), and another takes its place. */
static void check_ready(struct vr_broker *b, int pidfd)
{
	for (unsigned i = 0; i < b->n_ready; i++)
		if (b->ready[i].pidfd == pidfd) {
			int status;
			struct vr_err err;
			bool failed = vr_void_wait(&b->ready[i], -1, &status, &err) == 1;

			if (failed) {
				b->last_error = err;
				b->has_error = 1;
			}
			b->ready[i] = b->ready[--b->n_ready];
			if (failed) {
				drop_ready(b);
				b->ready_target = 0;
			}
			return;
		}
}

/* Spawn a worker with fds[i] placed at conn_fds[i] (n of them): a
 * prepared void if one is waiting, else a new one. The broker's copies
 * are the caller's to close. */
static void start_worker(struct vr_broker *b, const int *fds, size_t n)
{
	struct vr_fd_op extra[VR_BROKER_MAX_FDS];
	struct worker *w = &b->workers[b->n_workers];
	struct vr_err err;

	if (b->n_ready && n == b->o.n_conn_fds) {
		w->v = b->ready[--b->n_ready];
		if (vr_void_start(&w->v, fds, n) == 0) {
			b->st.prepared++;
			goto started;
		}
		/* It died meanwhile: let it go, and spawn instead. */
		int status;
		(void)vr_void_kill(&w->v, SIGKILL);
		(void)vr_void_wait(&w->v, -1, &status, &err);
	}
	for (size_t i = 0; i < n; i++)
		extra[i] = (struct vr_fd_op){ .src = fds[i], .dst = b->o.conn_fds[i] };
	if (vr_void_spawn_with(b->o.plan, extra, n, &w->v, &err) < 0) {
		b->st.failed++;
		b->last_error = err;
		b->has_error = 1;
		return;
	}
started:
	w->deadline_ms = b->o.time_limit_ms >= 0 ? now_ms() + b->o.time_limit_ms : 0;
	b->n_workers++;
	b->st.started++;
	if (b->n_workers > b->st.peak)
		b->st.peak = b->n_workers;
}

static unsigned in_flight(const struct vr_broker *b)
{
	return b->n_workers + b->n_waiting;
}

static void hand_over(struct vr_broker *b, int conn)
{
	int fds[VR_BROKER_MAX_FDS];

	/* The same connection at every place asked for (stdin and stdout
	 * by default): one socket, read and written by the worker. */
	for (size_t i = 0; i < b->o.n_conn_fds; i++)
		fds[i] = conn;
	start_worker(b, fds, b->o.n_conn_fds);
	(void)close(conn);
}

static void serve_accept(struct vr_broker *b)
{
	while (!b->stopped && in_flight(b) < b->o.max_workers) {
		int conn = accept4(b->o.source, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			/* EAGAIN: drained. ECONNABORTED and the like: the
			 * client went away; others are not this loop's to
			 * fix, and must not stop the service. */
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		b->st.accepted++;
		if (b->o.idle_timeout_ms >= 0) {
			b->waiting[b->n_waiting++] = (struct waiting){
				.fd = conn, .deadline_ms = now_ms() + b->o.idle_timeout_ms };
			continue;
		}
		hand_over(b, conn);
	}
}

/* A pipe holding the payload, for the worker's stdin. */
static void start_with_payload(struct vr_broker *b, const char *data, size_t len)
{
	int p[2];

	if (vr_fd_pipe(p) < 0) {
		b->st.failed++;
		return;
	}
	/* A fresh pipe holds 64 KiB, the largest message: never blocks. */
	if (len && write(p[1], data, len) != (ssize_t)len) {
		b->st.failed++;
	} else {
		(void)close(p[1]);
		p[1] = -1;
		start_worker(b, &p[0], 1);
	}
	(void)close(p[0]);
	if (p[1] >= 0)
		(void)close(p[1]);
}

static void serve_message(struct vr_broker *b)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	bool packets = getsockopt(b->o.source, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type != SOCK_STREAM;

	while (!b->stopped && in_flight(b) < b->o.max_workers) {
		if (packets) {
			/* A datagram or seqpacket socket: one message each. */
			ssize_t n = recv(b->o.source, b->linebuf, VR_MESSAGE_MAX, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0 && type == SOCK_SEQPACKET) {
				b->stopped = true;  /* the peer is gone */
				return;
			}
			if (n < 0)
				return;
			b->st.accepted++;
			start_with_payload(b, b->linebuf, (size_t)n);
			continue;
		}
		/* A pipe or stream: one line each. */
		char *nl = memchr(b->linebuf, '\n', b->linelen);
		if (nl) {
			size_t len = (size_t)(nl - b->linebuf) + 1;
			b->st.accepted++;
			start_with_payload(b, b->linebuf, len);
			memmove(b->linebuf, nl + 1, b->linelen - len);
			b->linelen -= len;
			continue;
		}
		if (b->linelen == VR_MESSAGE_MAX) {
			/* A line longer than a message may be: a message of its own. */
			b->st.accepted++;
			start_with_payload(b, b->linebuf, b->linelen);
			b->linelen = 0;
			continue;
		}
		ssize_t n = read(b->o.source, b->linebuf + b->linelen, VR_MESSAGE_MAX - b->linelen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n == 0) {
			/* End of the channel: a last line without newline is a
			 * message too; then there is no more work. */
			if (b->linelen) {
				b->st.accepted++;
				start_with_payload(b, b->linebuf, b->linelen);
				b->linelen = 0;
			}
			b->stopped = true;
			return;
		}
		b->linelen += (size_t)n;
	}
}

static void serve_fds(struct vr_broker *b)
{
	while (!b->stopped && in_flight(b) < b->o.max_workers) {
		int fds[VR_BROKER_MAX_FDS];
		char byte[256];
		size_t n;
		int r = vr_fd_recv(b->o.source, fds, b->o.n_conn_fds, &n, byte, sizeof(byte));

		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			return;
		if (r == 0 && n == 0) {
			b->stopped = true;  /* end of stream */
			return;
		}
		if (r < 0 || n == 0)
			continue;  /* a message without fds, or too many: dropped */
		/* Fewer fds than places: the last one fills the rest (one
		 * socket as both stdin and stdout). */
		int placed[VR_BROKER_MAX_FDS];
		for (size_t i = 0; i < b->o.n_conn_fds; i++)
			placed[i] = fds[i < n ? i : n - 1];
		b->st.accepted++;
		start_worker(b, placed, b->o.n_conn_fds);
		for (size_t i = 0; i < n; i++)
			(void)close(fds[i]);
	}
}

static void serve_source(struct vr_broker *b)
{
	switch (b->o.kind) {
	case VR_BROKER_ACCEPT:
		serve_accept(b);
		break;
	case VR_BROKER_MESSAGE:
		serve_message(b);
		break;
	case VR_BROKER_FDS:
		serve_fds(b);
		break;
	}
}

/* Poll slots: what each pollfd is for. */
enum { SLOT_WATCH, SLOT_SOURCE, SLOT_WORKER, SLOT_WAITING, SLOT_READY };

struct slot {
	int kind;
	struct vr_broker *b;
	int fd;  /* to find a worker or waiting connection again after others moved */
};

int vr_broker_serve(struct vr_broker *const *brokers, size_t nb, struct pollfd *watch, size_t n_watch,
		    int timeout_ms)
{
	long long end = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;

	for (;;) {
		size_t cap = n_watch, n = 0;
		long long now = now_ms(), next = end;
		int r, ready = 0;

		/* Refill the pool first: the next connection should find a void
		 * waiting for it. */
		for (size_t k = 0; k < nb; k++)
			fill_ready(brokers[k]);
		for (size_t k = 0; k < nb; k++)
			cap += 1 + brokers[k]->n_workers + brokers[k]->n_waiting + brokers[k]->n_ready;
		struct pollfd pfd[cap ? cap : 1];
		struct slot slot[cap ? cap : 1];

		for (size_t i = 0; i < n_watch; i++) {
			watch[i].revents = 0;
			pfd[n] = (struct pollfd){ .fd = watch[i].fd, .events = watch[i].events };
			slot[n++] = (struct slot){ SLOT_WATCH, NULL, (int)i };
		}
		for (size_t k = 0; k < nb; k++) {
			struct vr_broker *b = brokers[k];

			if (!b->stopped && in_flight(b) < b->o.max_workers) {
				pfd[n] = (struct pollfd){ .fd = b->o.source, .events = POLLIN };
				slot[n++] = (struct slot){ SLOT_SOURCE, b, b->o.source };
			}
			for (unsigned i = 0; i < b->n_workers; i++) {
				struct worker *w = &b->workers[i];
				pfd[n] = (struct pollfd){ .fd = w->v.pidfd, .events = POLLIN };
				slot[n++] = (struct slot){ SLOT_WORKER, b, w->v.pidfd };
				if (w->deadline_ms && (next < 0 || w->deadline_ms < next))
					next = w->deadline_ms;
			}
			for (unsigned i = 0; i < b->n_ready; i++) {
				pfd[n] = (struct pollfd){ .fd = b->ready[i].pidfd, .events = POLLIN };
				slot[n++] = (struct slot){ SLOT_READY, b, b->ready[i].pidfd };
			}
			for (unsigned i = 0; i < b->n_waiting; i++) {
				pfd[n] = (struct pollfd){ .fd = b->waiting[i].fd, .events = POLLIN };
				slot[n++] = (struct slot){ SLOT_WAITING, b, b->waiting[i].fd };
				if (next < 0 || b->waiting[i].deadline_ms < next)
					next = b->waiting[i].deadline_ms;
			}
		}

		r = poll(pfd, n, next < 0 ? -1 : (int)(next > now ? next - now : 0));
		if (r < 0 && errno != EINTR)
			return vr_neg_errno();
		now = now_ms();

		for (size_t i = 0; r > 0 && i < n; i++) {
			struct vr_broker *b = slot[i].b;

			if (!pfd[i].revents)
				continue;
			switch (slot[i].kind) {
			case SLOT_WATCH:
				watch[slot[i].fd].revents = pfd[i].revents;
				ready++;
				break;
			case SLOT_SOURCE:
				if (pfd[i].revents & (POLLERR | POLLNVAL))
					b->stopped = true;
				else
					serve_source(b);
				break;
			case SLOT_WORKER:
				for (unsigned w = 0; w < b->n_workers; w++)
					if (b->workers[w].v.pidfd == slot[i].fd) {
						reap(b, w);
						break;
					}
				break;
			case SLOT_READY:
				check_ready(b, slot[i].fd);
				break;
			case SLOT_WAITING:
				for (unsigned w = 0; w < b->n_waiting; w++)
					if (b->waiting[w].fd == slot[i].fd) {
						int conn = b->waiting[w].fd;
						b->waiting[w] = b->waiting[--b->n_waiting];
						hand_over(b, conn);
						break;
					}
				break;
			}
		}

		/* Limits. A freed slot may let the source be served again on the
		 * next round. */
		for (size_t k = 0; k < nb; k++) {
			struct vr_broker *b = brokers[k];

			for (unsigned i = 0; i < b->n_waiting;) {
				if (b->waiting[i].deadline_ms <= now) {
					(void)close(b->waiting[i].fd);
					b->waiting[i] = b->waiting[--b->n_waiting];
					b->st.idle++;
				} else {
					i++;
				}
			}
			for (unsigned i = 0; i < b->n_workers; i++) {
				struct worker *w = &b->workers[i];
				if (w->deadline_ms && w->deadline_ms <= now) {
					(void)vr_void_kill(&w->v, SIGKILL);
					w->deadline_ms = 0;
					b->st.timed_out++;
				}
			}
		}
		/* A broker whose source ended lets its prepared voids go; one that
		 * has nothing left to do is the caller's to notice: return. */
		bool finished = false;
		for (size_t k = 0; k < nb; k++) {
			if (brokers[k]->stopped && brokers[k]->n_ready)
				drop_ready(brokers[k]);
			finished |= !vr_broker_active(brokers[k]);
		}
		if (ready || finished)
			return ready;
		if (end >= 0 && now >= end)
			return 0;
	}
}
