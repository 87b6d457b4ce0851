/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "limit.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define BIT(k) (1u << (k))
#define _cleanup_limit_run_ __attribute__((cleanup(vr_limit_run_freep)))

/* cpu.max's period: the kernel's default CFS period, 100 ms. A quota is
 * cores x period; the kernel's smallest quota, 1 ms, is 0.01 cores. */
#define CPU_PERIOD_US 100000

static const char *const names[VR_LIMIT_MAX] = {
	[VR_LIMIT_MEMORY] = "memory", [VR_LIMIT_SWAP] = "swap",   [VR_LIMIT_PIDS] = "pids",
	[VR_LIMIT_CPU] = "cpu",       [VR_LIMIT_TIME] = "time",   [VR_LIMIT_NOFILE] = "nofile",
	[VR_LIMIT_NPROC] = "nproc",   [VR_LIMIT_CORE] = "core",   [VR_LIMIT_FSIZE] = "fsize",
	[VR_LIMIT_STACK] = "stack",   [VR_LIMIT_AS] = "as",       [VR_LIMIT_MEMLOCK] = "memlock",
};

/* The rlimit behind each key from VR_LIMIT_NOFILE on. */
static const int resources[VR_LIMIT_MAX] = {
	[VR_LIMIT_NOFILE] = RLIMIT_NOFILE, [VR_LIMIT_NPROC] = RLIMIT_NPROC, [VR_LIMIT_CORE] = RLIMIT_CORE,
	[VR_LIMIT_FSIZE] = RLIMIT_FSIZE,   [VR_LIMIT_STACK] = RLIMIT_STACK, [VR_LIMIT_AS] = RLIMIT_AS,
	[VR_LIMIT_MEMLOCK] = RLIMIT_MEMLOCK,
};

int vr_limit_key(const char *name)
{
	for (int k = 0; k < VR_LIMIT_MAX; k++)
		if (name && strcmp(names[k], name) == 0)
			return k;
	return -EINVAL;
}

const char *vr_limit_name(int k)
{
	return k >= 0 && k < VR_LIMIT_MAX ? names[k] : NULL;
}

int vr_limit_parse_size(const char *s, uint64_t *ret)
{
	const char *p = s;
	uint64_t v = 0;
	unsigned shift = 0;

	if (!s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return -EINVAL;
	}
	if (shift && p[1] != '\0')
		return -EINVAL;
	if (v > ((uint64_t)INT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

int vr_limit_new(struct vr_limit **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void vr_limit_free(struct vr_limit *l)
{
	free(l);
}

int vr_limit_set(struct vr_limit *l, int k, uint64_t v)
{
	uint64_t min = 0, max = INT64_MAX;

	switch (k) {
	case VR_LIMIT_MEMORY: min = 1 << 20; break;  /* less cannot even start pid 1 */
	case VR_LIMIT_PIDS:
	case VR_LIMIT_NPROC: min = 2; break;          /* pid 1 and the entry */
	case VR_LIMIT_NOFILE: min = 4; break;         /* pid 1 keeps its status pipe at fd 3 */
	case VR_LIMIT_CPU: min = 10, max = 1024000; break;
	case VR_LIMIT_TIME: min = 1; break;
	default:
		if (k < 0 || k >= VR_LIMIT_MAX)
			return -EINVAL;
	}
	if (v < min || v > max)
		return -EINVAL;
	l->value[k] = v;
	l->set |= BIT(k);
	return 0;
}

unsigned vr_limit_controllers(const struct vr_limit *l)
{
	unsigned need = 0;

	if (!l)
		return 0;
	if (l->set & (BIT(VR_LIMIT_MEMORY) | BIT(VR_LIMIT_SWAP)))
		need |= VR_CG_BIT(VR_CG_MEMORY);
	if (l->set & BIT(VR_LIMIT_PIDS))
		need |= VR_CG_BIT(VR_CG_PIDS);
	if (l->set & BIT(VR_LIMIT_CPU))
		need |= VR_CG_BIT(VR_CG_CPU);
	return need;
}

int vr_limit_apply_child(const struct vr_limit *l, const char **ret_what)
{
	int r = vr_limit_apply_cgroupns(l, ret_what);

	return r < 0 ? r : vr_limit_apply_rlimits(l, ret_what);
}

int vr_limit_apply_cgroupns(const struct vr_limit *l, const char **ret_what)
{
	/* The void is in its cgroup by now (clone3 put it there, or the
	 * parent wrote its pid before the go byte): a cgroup namespace made
	 * here is rooted at it, so the void sees itself at "/". The one
	 * clone3 made is rooted at voidrun's cgroup, since the kernel creates
	 * namespaces before it moves the child. */
	if (l && vr_limit_controllers(l) && unshare(CLONE_NEWCGROUP) < 0) {
		*ret_what = "cgroup namespace";
		return vr_neg_errno();
	}
	return 0;
}

int vr_limit_apply_rlimits(const struct vr_limit *l, const char **ret_what)
{
	if (!l)
		return 0;
	/* Soft and hard alike, so nothing in the void can raise a limit back.
	 * Lowering is always allowed; raising a hard limit above voidrun's
	 * own fails with EPERM and is reported, not ignored. */
	for (int k = VR_LIMIT_NOFILE; k < VR_LIMIT_MAX; k++) {
		struct rlimit rl;
		if (!(l->set & BIT(k)))
			continue;
		rl.rlim_cur = rl.rlim_max = (rlim_t)l->value[k];
		if (setrlimit(resources[k], &rl) < 0) {
			*ret_what = names[k];
			return vr_neg_errno();
		}
	}
	return 0;
}

/* Nanoseconds left of l's time limit counted from start: -1 without one,
 * 0 once it is up. */
static int64_t time_left_ns(const struct vr_limit *l, const struct timespec *start)
{
	struct timespec now;
	int64_t ns;

	if (!l || !(l->set & BIT(VR_LIMIT_TIME)))
		return -1;
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ns = ((int64_t)start->tv_sec - now.tv_sec) * 1000000000LL + (start->tv_nsec - now.tv_nsec) +
	     (int64_t)l->value[VR_LIMIT_TIME] * 1000000LL;
	return ns > 0 ? ns : 0;
}

int vr_limit_sigwait(const struct vr_limit *l, const struct timespec *start, const sigset_t *set, siginfo_t *si)
{
	int64_t ns = time_left_ns(l, start);
	struct timespec left;
	int sig;

	if (ns < 0) {
		sig = sigwaitinfo(set, si);
		return sig < 0 ? vr_neg_errno() : sig;
	}
	if (ns == 0)
		return -ETIMEDOUT;
	left.tv_sec = (time_t)(ns / 1000000000LL);
	left.tv_nsec = (long)(ns % 1000000000LL);
	sig = sigtimedwait(set, si, &left);
	if (sig < 0)
		return errno == EAGAIN ? -ETIMEDOUT : vr_neg_errno();
	return sig;
}

int vr_limit_time_left(const struct vr_limit *l, const struct timespec *start)
{
	int64_t ns = time_left_ns(l, start);

	if (ns <= 0)
		return (int)ns;
	return ns / 1000000 >= INT_MAX ? INT_MAX : (int)((ns + 999999) / 1000000);
}

/* ------------------------------------------------------------ run time */

struct vr_limit_run {
	struct vr_limit l;  /* a copy: the plan may be freed while the void runs */
	struct vr_cgroup *cg;
	bool ended;
	struct vr_usage final;
};

static int fail(struct vr_err *e, int r, int k, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct vr_err *e, int r, int k, const char *fmt, ...)
{
	char msg[VR_ERR_PATH];
	int n = snprintf(msg, sizeof(msg), "%s: ", names[k]);
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	vr_err_set(e, VR_STEP_LIMITS, -r, msg, NULL);
	return r;
}

/* The first cgroup limit asked for: it names a failure of the cgroup. */
static int first_cgroup_key(const struct vr_limit *l)
{
	for (int k = VR_LIMIT_MEMORY; k <= VR_LIMIT_CPU; k++)
		if (l->set & BIT(k))
			return k;
	return VR_LIMIT_MEMORY;
}

static int put(struct vr_limit_run *r, int ctl, const char *file, uint64_t v, int k, struct vr_err *e)
{
	char s[32];
	int x;

	(void)snprintf(s, sizeof(s), "%" PRIu64, v);
	x = vr_cgroup_write(r->cg, ctl, file, s);
	if (x == -ENOENT)
		return fail(e, x, k, "the kernel has no %s/%s", vr_cgroup_path(r->cg, ctl), file);
	if (x < 0)
		return fail(e, x, k, "writing %s to %s/%s", s, vr_cgroup_path(r->cg, ctl), file);
	return 0;
}

static int write_limits(struct vr_limit_run *r, struct vr_err *e)
{
	const struct vr_limit *l = &r->l;
	bool v2 = vr_cgroup_version(r->cg) == 2;
	int x;

	if (l->set & BIT(VR_LIMIT_MEMORY)) {
		x = put(r, VR_CG_MEMORY, v2 ? "memory.max" : "memory.limit_in_bytes", l->value[VR_LIMIT_MEMORY],
			VR_LIMIT_MEMORY, e);
		if (x < 0)
			return x;
	}
	if (l->set & BIT(VR_LIMIT_SWAP)) {
		if (v2) {
			x = put(r, VR_CG_MEMORY, "memory.swap.max", l->value[VR_LIMIT_SWAP], VR_LIMIT_SWAP, e);
		} else if (!(l->set & BIT(VR_LIMIT_MEMORY))) {
			/* v1 limits memory + swap together (memsw): swap alone
			 * has no meaning there. */
			return fail(e, -EINVAL, VR_LIMIT_SWAP, "cgroup v1 limits swap only together with memory");
		} else {
			x = put(r, VR_CG_MEMORY, "memory.memsw.limit_in_bytes",
				l->value[VR_LIMIT_MEMORY] + l->value[VR_LIMIT_SWAP], VR_LIMIT_SWAP, e);
		}
		if (x < 0)
			return x;
	}
	if (l->set & BIT(VR_LIMIT_PIDS)) {
		x = put(r, VR_CG_PIDS, "pids.max", l->value[VR_LIMIT_PIDS], VR_LIMIT_PIDS, e);
		if (x < 0)
			return x;
	}
	if (l->set & BIT(VR_LIMIT_CPU)) {
		uint64_t quota = l->value[VR_LIMIT_CPU] * (CPU_PERIOD_US / 1000);
		if (v2) {
			char s[64];
			(void)snprintf(s, sizeof(s), "%" PRIu64 " %d", quota, CPU_PERIOD_US);
			x = vr_cgroup_write(r->cg, VR_CG_CPU, "cpu.max", s);
			if (x < 0)
				return fail(e, x, VR_LIMIT_CPU, "writing %s to %s/cpu.max", s,
					    vr_cgroup_path(r->cg, VR_CG_CPU));
		} else {
			x = put(r, VR_CG_CPU, "cpu.cfs_period_us", CPU_PERIOD_US, VR_LIMIT_CPU, e);
			if (x >= 0)
				x = put(r, VR_CG_CPU, "cpu.cfs_quota_us", quota, VR_LIMIT_CPU, e);
			if (x < 0)
				return x;
		}
	}
	return 0;
}

int vr_limit_run_new(const struct vr_limit *l, struct vr_limit_run **ret, struct vr_err *e)
{
	_cleanup_limit_run_ struct vr_limit_run *r = NULL;
	unsigned need = vr_limit_controllers(l);
	int x;

	*ret = NULL;
	if (!need)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return vr_err_set(e, VR_STEP_LIMITS, ENOMEM, NULL, NULL), -ENOMEM;
	r->l = *l;
	char why[VR_ERR_PATH - 16];
	x = vr_cgroup_create(need, &r->cg, why, sizeof(why));
	if (x < 0)
		return fail(e, x, first_cgroup_key(l), "%s", why);
	x = write_limits(r, e);
	if (x < 0)
		return x;
	*ret = TAKE_PTR(r);
	return 0;
}

int vr_limit_run_cgroup_fd(const struct vr_limit_run *r)
{
	return r ? vr_cgroup_dirfd(r->cg) : -1;
}

const struct vr_cgroup *vr_limit_run_cgroup(const struct vr_limit_run *r)
{
	return r && !r->ended ? r->cg : NULL;
}

int vr_limit_run_start(struct vr_limit_run *r, pid_t pid, struct vr_err *e)
{
	int x;

	/* cgroup v1: CLONE_INTO_CGROUP reaches only the v2 hierarchy, so the
	 * child is moved now, while it still waits for its go byte and has
	 * neither run anything nor forked. */
	if (!r || vr_cgroup_version(r->cg) != 1)
		return 0;
	x = vr_cgroup_attach(r->cg, pid);
	if (x < 0)
		return fail(e, x, first_cgroup_key(&r->l), "moving the void into its cgroup");
	return 0;
}

int vr_limit_run_usage(const struct vr_limit_run *r, struct vr_usage *u)
{
	struct vr_cgroup *cg;
	bool v2;

	*u = (struct vr_usage){ 0 };
	if (!r)
		return 0;
	if (r->ended) {
		*u = r->final;
		return 0;
	}
	cg = r->cg;
	if (!cg)
		return 0;
	v2 = vr_cgroup_version(cg) == 2;
	u->have |= VR_USAGE_CGROUP;
	/* memory.peak is Linux 5.19; v1 has always kept a high-water mark. */
	if (vr_cgroup_read(cg, VR_CG_MEMORY, v2 ? "memory.peak" : "memory.max_usage_in_bytes", NULL,
			   &u->memory_peak) == 0)
		u->have |= VR_USAGE_MEMORY;
	if (vr_cgroup_read(cg, VR_CG_MEMORY, v2 ? "memory.events" : "memory.oom_control", "oom_kill",
			   &u->oom_kills) == 0)
		u->have |= VR_USAGE_OOM;
	/* cpu.stat is there on every v2 cgroup, controller or not. */
	if (v2 && vr_cgroup_read(cg, VR_CG_MEMORY, "cpu.stat", "usage_usec", &u->cpu_usec) == 0)
		u->have |= VR_USAGE_CPU;
	return 0;
}

static void finish(struct vr_limit_run *r)
{
	if (r->ended)
		return;
	(void)vr_limit_run_usage(r, &r->final);
	(void)vr_cgroup_kill(r->cg);
	(void)vr_cgroup_destroy(r->cg);
	r->cg = NULL;
	r->ended = true;
}

void vr_limit_run_end(struct vr_limit_run *r, const struct rusage *ru, struct vr_usage *ret)
{
	struct vr_usage u = { 0 };

	if (r) {
		finish(r);
		u = r->final;
	}
	/* Without a cgroup, pid 1's rusage: its own times and those of every
	 * process it reaped (the whole void, since each orphan in the pid
	 * namespace is reparented to it), and the largest RSS among them. */
	if (ru && !(u.have & VR_USAGE_MEMORY)) {
		u.memory_peak = (uint64_t)ru->ru_maxrss * 1024;
		u.have |= VR_USAGE_MEMORY;
	}
	if (ru && !(u.have & VR_USAGE_CPU)) {
		u.cpu_usec = (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 +
			     (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
		u.have |= VR_USAGE_CPU;
	}
	if (r)
		r->final = u;
	*ret = u;
}

void vr_limit_run_free(struct vr_limit_run *r)
{
	if (!r)
		return;
	finish(r);
	free(r);
}
