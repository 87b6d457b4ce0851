/* SPDX-License-Identifier: MIT */
/* Brokers: a fresh void for every connection, message or batch of fds.
 *
 * A broker holds a prepared plan and a source. Per worker it does no
 * profile work and runs no Lua: it accepts (or reads), spawns the plan
 * with the connection placed in the worker, closes its own copy, and
 * later reaps the worker. Each worker is a new void, used once. */
#pragma once

#include <poll.h>
#include <stddef.h>

#include "void.h"

enum vr_broker_kind {
	VR_BROKER_ACCEPT = 1,  /* source: a listening socket; one worker per connection */
	VR_BROKER_MESSAGE,     /* source: a channel end; one worker per message, on its stdin */
	VR_BROKER_FDS,         /* source: a unix socket; one worker per batch of fds received */
};

#define VR_BROKER_MAX_FDS 8

struct vr_broker_opts {
	int kind;                    /* enum vr_broker_kind */
	int source;                  /* the source fd (the broker makes it non-blocking) */
	const struct vr_plan *plan;  /* the worker's plan; must outlive the broker */
	unsigned max_workers;        /* >= 1: running workers and waiting connections */
	int idle_timeout_ms;         /* ACCEPT: a connection that sends nothing for this
	                              * long is closed before any worker starts; -1: none */
	int time_limit_ms;           /* a worker still running after this is killed; -1: none */
	int conn_fds[VR_BROKER_MAX_FDS]; /* where the connection (ACCEPT), or the i-th
	                              * received fd (FDS), goes in the worker */
	size_t n_conn_fds;           /* 0: the defaults (ACCEPT: 0 and 1; FDS: 0, 1, 2...) */
	unsigned prepared;           /* ACCEPT and MESSAGE: voids kept built ahead, waiting
	                              * for their connection (vr_void_prepare); 0: none */
};

struct vr_broker_stats {
	unsigned long accepted;   /* connections accepted, messages or batches read */
	unsigned long started;    /* workers spawned */
	unsigned long failed;     /* workers that could not be spawned or built */
	unsigned long ended;      /* workers reaped */
	unsigned long crashed;    /* ... of which killed by a signal or exited non-zero */
	unsigned long timed_out;  /* workers killed at the time limit */
	unsigned long idle;       /* connections closed for sending nothing */
	unsigned running;         /* workers now running */
	unsigned waiting;         /* connections waiting for their first byte */
	unsigned peak;            /* the most workers ever running at once */
	unsigned long prepared;   /* workers started from a void built ahead */
	/* What the workers reaped so far used (core/limit.h), where known:
	 * the largest peak of memory of any, the cpu time of all, OOM kills. */
	struct vr_usage usage;
};

struct vr_broker;

/* Returns 0 and a broker, or -EINVAL (bad kind, max_workers 0, fd numbers
 * out of range), -ENOMEM, or the errno of making the source non-blocking. */
int vr_broker_new(const struct vr_broker_opts *opts, struct vr_broker **ret);

/* Kill and reap every worker, close waiting connections, free. The source
 * is the caller's. Accepts NULL. */
void vr_broker_free(struct vr_broker *b);

/* Run the brokers until one of the watch fds is ready, a broker has
 * nothing left to do (vr_broker_active), or timeout_ms passes (-1: no
 * timeout). Accepting, spawning, reaping, idle and time limits are
 * all handled here. Returns the number of watch fds ready (their revents
 * set), 0 at the timeout, or -errno. */
int vr_broker_serve(struct vr_broker *const *brokers, size_t n, struct pollfd *watch, size_t n_watch,
		    int timeout_ms);

/* Stop taking new work; send sig to every running worker (0: none). */
void vr_broker_stop(struct vr_broker *b, int sig);

/* Send sig to every running worker. */
void vr_broker_kill(struct vr_broker *b, int sig);

/* Whether the broker still has a source to serve or workers to reap. */
int vr_broker_active(const struct vr_broker *b);

void vr_broker_get_stats(const struct vr_broker *b, struct vr_broker_stats *ret);

/* The last worker build failure, if any (for the caller to report). */
int vr_broker_last_error(const struct vr_broker *b, struct vr_err *ret);
