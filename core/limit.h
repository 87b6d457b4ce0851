/* SPDX-License-Identifier: MIT */
/* Resource limits of a void: a cgroup (memory, swap, pids, cpu), rlimits
 * (nofile, nproc, core, fsize, stack, as, memlock) and a wall-clock time
 * limit, and what the void used.
 *
 * Three moments (plan, then apply):
 *  - the plan holds a struct vr_limit, checked when each value is set;
 *  - vr_void_spawn makes a struct vr_limit_run from it before clone3 (the
 *    cgroup exists before the child does, which clone3 enters atomically
 *    with CLONE_INTO_CGROUP on cgroup v2), starts it between clone3 and the
 *    child's go byte (v1 hierarchies get the pid then), and vr_void_wait
 *    reads the usage and removes the cgroup once pid 1 is reaped;
 *  - in the child, vr_limit_apply_child sets the rlimits and moves the
 *    void into a cgroup namespace rooted at its own cgroup, and pid 1 keeps
 *    the time (vr_limit_sigwait): when it is up, pid 1 reports it and
 *    exits, and the kernel kills the rest of its pid namespace.
 *
 * Why pid 1 keeps the time rather than voidrun: it works however voidrun
 * waits (one void, a supervised layout, a broker's workers) and whether
 * it waits at all, and nothing in the void can stop it: pid 1 is not
 * dumpable, and the kernel drops SIGSTOP and SIGKILL sent to a pid
 * namespace's init from inside it. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "err.h"

enum vr_limit_key {
	VR_LIMIT_MEMORY,   /* bytes: cgroup memory.max / memory.limit_in_bytes */
	VR_LIMIT_SWAP,     /* bytes: memory.swap.max / memsw = memory + swap (v1) */
	VR_LIMIT_PIDS,     /* tasks: pids.max */
	VR_LIMIT_CPU,      /* thousandths of a CPU: cpu.max / cpu.cfs_quota_us */
	VR_LIMIT_TIME,     /* milliseconds of wall-clock time from the entry's start */
	VR_LIMIT_NOFILE,   /* the rlimits, from here on: soft = hard = value */
	VR_LIMIT_NPROC,
	VR_LIMIT_CORE,     /* bytes */
	VR_LIMIT_FSIZE,    /* bytes */
	VR_LIMIT_STACK,    /* bytes */
	VR_LIMIT_AS,       /* bytes */
	VR_LIMIT_MEMLOCK,  /* bytes */
	VR_LIMIT_MAX
};

/* The limits of one void: value[k] counts when bit k of set is. */
struct vr_limit {
	uint32_t set;
	uint64_t value[VR_LIMIT_MAX];
};

/* What a void used and how its limits ended it. */
struct vr_usage {
	uint64_t memory_peak;  /* bytes: the cgroup's peak, else the largest RSS of a process reaped by pid 1 */
	uint64_t cpu_usec;     /* user + system time of the whole void */
	uint64_t oom_kills;    /* processes the OOM killer killed in the void's cgroup */
	unsigned have;         /* VR_USAGE_* bits: which of the above are known */
	bool timed_out;        /* the time limit was reached and the void killed (set by vr_void_wait) */
};

#define VR_USAGE_MEMORY 0x1u  /* memory_peak */
#define VR_USAGE_CPU    0x2u  /* cpu_usec */
#define VR_USAGE_OOM    0x4u  /* oom_kills (only with a memory cgroup) */
#define VR_USAGE_CGROUP 0x8u  /* read from a cgroup, not from rusage */

/* A key by name ("memory", "nofile", ...). Returns it or -EINVAL. */
int vr_limit_key(const char *name);

/* The name of key k, or NULL. */
const char *vr_limit_name(int k);

/* Parse a size: decimal digits with an optional K, M, G or T suffix (any
 * case; binary multiples). Returns 0, -EINVAL when malformed, -ERANGE when
 * it does not fit in 63 bits. */
int vr_limit_parse_size(const char *s, uint64_t *ret);

/* A new, empty set of limits. Returns 0 or -ENOMEM. */
int vr_limit_new(struct vr_limit **ret);

/* Free limits; accepts NULL. */
void vr_limit_free(struct vr_limit *l);

/* Set limit k to value (in the unit of enum vr_limit_key). Returns 0, or
 * -EINVAL for an unknown key or a value out of its range: memory at least
 * 1M, pids and nproc at least 2 (pid 1 and the entry), nofile at least 4
 * (pid 1 keeps its status pipe at fd 3), cpu 10..1024000, time at least
 * 1 ms, every value below 2^63. */
int vr_limit_set(struct vr_limit *l, int k, uint64_t value);

/* The cgroup controllers l needs (a VR_CG_BIT mask of core/cgroup.h); 0
 * when l is NULL or sets none of memory, swap, pids, cpu. */
unsigned vr_limit_controllers(const struct vr_limit *l);

/* In the child, before capabilities are dropped: apply what must be
 * applied from inside (rlimits; a cgroup namespace rooted at the void's
 * own cgroup when it has one). Child-safe: no allocation. Returns 0 or
 * -errno; on failure *ret_what names the limit. Accepts NULL. */
int vr_limit_apply_child(const struct vr_limit *l, const char **ret_what);

/* The same in two steps, for a child that drops its capabilities before
 * it places its fds: the cgroup namespace (needs CAP_SYS_ADMIN in the
 * void's user namespace), then the rlimits (need none, and come after
 * the fds are placed: a low nofile would refuse a high fd number). */
int vr_limit_apply_cgroupns(const struct vr_limit *l, const char **ret_what);
int vr_limit_apply_rlimits(const struct vr_limit *l, const char **ret_what);

/* pid 1's wait for a signal (sigwaitinfo on set), but once the time limit
 * of l, counted from *start (CLOCK_MONOTONIC), has passed: -ETIMEDOUT.
 * Without a time limit, plain sigwaitinfo. Returns the signal or -errno
 * (-EINTR, -ETIMEDOUT). Child-safe. Accepts NULL. */
int vr_limit_sigwait(const struct vr_limit *l, const struct timespec *start, const sigset_t *set, siginfo_t *si);

/* The milliseconds left of l's time limit, counted from start
 * (CLOCK_MONOTONIC), for a poll(2) timeout: -1 without a time limit, 0
 * once it is up (a part of a millisecond left counts as one). */
int vr_limit_time_left(const struct vr_limit *l, const struct timespec *start);

/* ------------------------------------------------------------ run time */

struct vr_limit_run;

/* Before clone3: create the void's cgroup and write its limits. *ret is
 * NULL (and 0 returned) when l needs no cgroup. Returns 0, or -errno with *reterr naming the limit and why
 * (for a controller that cannot be had, the controller: see
 * vr_cgroup_create). */
int vr_limit_run_new(const struct vr_limit *l, struct vr_limit_run **ret, struct vr_err *reterr);

/* The cgroup v2 directory fd for CLONE_INTO_CGROUP, or -1 (none, or v1).
 * Accepts NULL. */
int vr_limit_run_cgroup_fd(const struct vr_limit_run *r);

/* The void's own cgroup while it runs (core/cgroup.h), or NULL: none,
 * or ended. Accepts NULL. */
struct vr_cgroup;
const struct vr_cgroup *vr_limit_run_cgroup(const struct vr_limit_run *r);

/* Between clone3 and the child's go byte: put pid into the v1
 * hierarchies. Returns 0, or -errno with *reterr set. Accepts NULL. */
int vr_limit_run_start(struct vr_limit_run *r, pid_t pid, struct vr_err *reterr);

/* What the void uses so far (from its cgroup; nothing is known without
 * one until it ends). Accepts NULL. Returns 0. */
int vr_limit_run_usage(const struct vr_limit_run *r, struct vr_usage *ret);

/* After pid 1 was reaped with rusage ru (its own and its reaped
 * descendants' times): fill *ret with the final usage (the cgroup's when
 * there is one, else from ru), kill anything left and remove the cgroup.
 * r may be NULL. */
void vr_limit_run_end(struct vr_limit_run *r, const struct rusage *ru, struct vr_usage *ret);

/* End (if not ended: what is left is killed, the cgroup removed) and
 * free. Accepts NULL. */
void vr_limit_run_free(struct vr_limit_run *r);

static inline void vr_limit_run_freep(struct vr_limit_run **r)
{
	vr_limit_run_free(*r);
}
