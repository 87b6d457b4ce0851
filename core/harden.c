/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "harden.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"
#include "void.h"

/* ------------------------------------------------------------- seccomp */

/* A filter is at most two programs, installed in order: the deny rules
 * with conditions that carve exceptions out of allows, then the rest (see
 * vr_seccomp_compile). The default filter is one. */
#define VR_SC_MAX_PROGS 2

struct vr_seccomp {
	size_t n;
	struct sock_fprog progs[VR_SC_MAX_PROGS];
	/* A policy whose kills are named (vr_sc_policy.name_kills): the
	 * program installed with a listener for pid 1, and the default
	 * filter to install instead of the embedded one, without the entries
	 * this policy kills (see vr_seccomp_compile). */
	bool listen;               /* the last program gets the listener */
	struct vr_seccomp *base;
	/* The same policy with the kernel's kills, for where pid 1 cannot
	 * listen: a function entry, which may not share pid 1's fds, and a
	 * voidrun run under a supervisor that listens already (EBUSY). */
	struct vr_seccomp *plain;
};

int vr_seccomp_resolve(const char *name)
{
	int nr;

	if (!name || !name[0])
		return -ENOENT;
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return -ENOENT;
	/* libseccomp's pseudo numbers (< -1) name calls other ABIs have. */
	return nr < 0 ? -ENOSYS : nr;
}

void vr_seccomp_free(struct vr_seccomp *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->progs[i].filter);
	vr_seccomp_free(s->base);
	vr_seccomp_free(s->plain);
	free(s);
}

static struct vr_seccomp *seccomp_new(void)
{
	return calloc(1, sizeof(struct vr_seccomp));
}

size_t vr_seccomp_size(const struct vr_seccomp *s)
{
	size_t n = 0;

	for (size_t i = 0; s && i < s->n; i++)
		n += s->progs[i].len;
	return n;
}

static struct vr_seccomp *seccomp_dup(const struct vr_seccomp *s)
{
	struct vr_seccomp *d = seccomp_new();

	if (!d)
		return NULL;
	d->listen = s->listen;
	if ((s->base && !(d->base = seccomp_dup(s->base))) || (s->plain && !(d->plain = seccomp_dup(s->plain)))) {
		vr_seccomp_free(d);
		return NULL;
	}
	for (size_t i = 0; i < s->n; i++) {
		size_t bytes = s->progs[i].len * sizeof(struct sock_filter);
		d->progs[i].filter = malloc(bytes);
		if (!d->progs[i].filter) {
			vr_seccomp_free(d);
			return NULL;
		}
		memcpy(d->progs[i].filter, s->progs[i].filter, bytes);
		d->progs[i].len = s->progs[i].len;
		d->n++;
	}
	return d;
}

/* Append a program of n instructions (copied) to s. */
static int add_prog(struct vr_seccomp *s, const struct sock_filter *insns, size_t n)
{
	struct sock_filter *copy;

	if (s->n >= VR_SC_MAX_PROGS || n == 0 || n > BPF_MAXINSNS)
		return -E2BIG;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, insns, n * sizeof(*copy));
	s->progs[s->n++] = (struct sock_fprog){ .len = (unsigned short)n, .filter = copy };
	return 0;
}

/* libseccomp 2.5 exports BPF only to an fd (seccomp_export_bpf_mem came in
 * 2.6): through a memfd, read back whole. */
static int export_prog(scmp_filter_ctx ctx, struct vr_seccomp *s)
{
	_cleanup_close_ int fd = memfd_create("voidrun-seccomp", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *insns = NULL;
	off_t size;
	ssize_t n;
	int r;

	if (fd < 0)
		return vr_neg_errno();
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return vr_neg_errno();
	if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter)))
		return -E2BIG;
	insns = malloc((size_t)size);
	if (!insns)
		return -ENOMEM;
	n = pread(fd, insns, (size_t)size, 0);
	if (n != size)
		return n < 0 ? vr_neg_errno() : -EIO;
	return add_prog(s, insns, (size_t)size / sizeof(struct sock_filter));
}

static bool valid_action(int action)
{
	return action >= VR_SC_ALLOW && action <= VR_SC_LOG;
}

static uint32_t scmp_action(int action, int err, bool notify)
{
	switch (action) {
	case VR_SC_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)err);
	case VR_SC_KILL:
		return notify ? SCMP_ACT_NOTIFY : SCMP_ACT_KILL_PROCESS;
	case VR_SC_TRAP:
		return SCMP_ACT_TRAP;
	case VR_SC_LOG:
		return SCMP_ACT_LOG;
	default:
		return SCMP_ACT_ALLOW;
	}
}

/* A context for the native architecture only. Calls of another ABI (i386
 * through int 0x80, x32 with its number bit) carry numbers from other
 * tables: rules written for the native numbers would not apply to them,
 * so they kill the process instead (libseccomp's "bad arch" action, which
 * also covers x32 on x86_64). */
static scmp_filter_ctx new_ctx(uint32_t def, bool optimize)
{
	scmp_filter_ctx ctx = seccomp_init(def);

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	/* A binary tree instead of a list: long allow lists stay cheap.
	 * Older libseccomp lacks the attribute; the list is still right. */
	if (optimize)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	return ctx;
}

static const enum scmp_compare scmp_ops[] = {
	[VR_SC_EQ] = SCMP_CMP_EQ, [VR_SC_NE] = SCMP_CMP_NE, [VR_SC_LT] = SCMP_CMP_LT,
	[VR_SC_LE] = SCMP_CMP_LE, [VR_SC_GT] = SCMP_CMP_GT, [VR_SC_GE] = SCMP_CMP_GE,
	[VR_SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const struct vr_sc_rule *rule)
{
	struct scmp_arg_cmp cmp[6];

	for (size_t i = 0; i < rule->n_conds; i++) {
		const struct vr_sc_cond *c = &rule->conds[i];
		cmp[i] = (struct scmp_arg_cmp){ .arg = c->arg, .op = scmp_ops[c->op] };
		if (c->op == VR_SC_MASKED_EQ) {
			cmp[i].datum_a = c->mask;
			cmp[i].datum_b = c->value;
		} else {
			cmp[i].datum_a = c->value;
		}
	}
	return seccomp_rule_add_array(ctx, action, rule->nr, (unsigned)rule->n_conds, cmp);
}

static bool valid_rule(const struct vr_sc_rule *rule)
{
	unsigned seen = 0;

	/* libseccomp takes one comparison per argument in a rule. */
	if (rule->nr < 0 || rule->n_conds > 6 || (rule->n_conds && !rule->conds))
		return false;
	for (size_t i = 0; i < rule->n_conds; i++) {
		const struct vr_sc_cond *c = &rule->conds[i];
		if (c->arg > 5 || c->op < VR_SC_EQ || c->op > VR_SC_MASKED_EQ || (seen & (1u << c->arg)))
			return false;
		seen |= 1u << c->arg;
	}
	return true;
}

/* Whether rules has an unconditional rule for nr with the given kind. */
static bool has_plain(const struct vr_sc_policy *p, int nr, bool deny)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].nr == nr && p->rules[i].deny == deny && p->rules[i].n_conds == 0)
			return true;
	return false;
}

static bool has_cond(const struct vr_sc_policy *p, int nr, bool deny)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].nr == nr && p->rules[i].deny == deny && p->rules[i].n_conds > 0)
			return true;
	return false;
}

static int default_compile(const struct vr_sc_policy *killer, bool unix_only, struct vr_seccomp **ret);

/* libseccomp merges the rules of one system call into a decision tree, and
 * an unconditional rule there silently swallows conditional ones of another
 * action. So that "deny wins where both match" holds, deny rules with
 * conditions go into a second program whose default is to allow: the
 * kernel runs both and keeps the most restrictive answer. */
int vr_seccomp_compile(const struct vr_sc_policy *p, struct vr_seccomp **ret)
{
	struct vr_seccomp *s = NULL;
	scmp_filter_ctx rules_ctx = NULL, exceptions_ctx = NULL;
	uint32_t def, deny, exception;
	int execve_nr = seccomp_syscall_resolve_name("execve");
	const int exits[] = { SCMP_SYS(exit), SCMP_SYS(exit_group) };
	bool uses_errno;
	int r = -EINVAL;

	*ret = NULL;
	if (!valid_action(p->def) || !valid_action(p->deny) || p->deny == VR_SC_ALLOW ||
	    (p->n_rules && !p->rules))
		return -EINVAL;
	uses_errno = p->def == VR_SC_ERRNO || p->deny == VR_SC_ERRNO;
	if (uses_errno && (p->err < 1 || p->err > 4095))
		return -EINVAL;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct vr_sc_rule *rule = &p->rules[i];
		if (!valid_rule(rule))
			return -EINVAL;
		/* Contradictions: allowed and denied outright; conditions on an
		 * allow that an outright deny would override; execve denied,
		 * which would kill the entry before it starts. */
		if (rule->n_conds == 0 && !rule->deny && has_plain(p, rule->nr, true))
			return -EINVAL;
		if (rule->n_conds == 0 && rule->deny && has_cond(p, rule->nr, false))
			return -EINVAL;
		if (rule->n_conds == 0 && rule->deny && rule->nr == execve_nr)
			return -EINVAL;
	}

	/* Named kills: the call waits for pid 1, which kills the process
	 * and reports the call (vr_harden_apply_entry). One program of a
	 * process may have a listener, so the conditional denies keep the
	 * kernel's own kill: those stay unnamed. */
	def = scmp_action(p->def, p->err, p->name_kills);
	deny = scmp_action(p->deny, p->err, p->name_kills);
	exception = scmp_action(p->deny, p->err, false);
	s = seccomp_new();
	rules_ctx = new_ctx(def, true);
	if (!s || !rules_ctx) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct vr_sc_rule *rule = &p->rules[i];
		uint32_t action = rule->deny ? deny : SCMP_ACT_ALLOW;

		if (rule->deny && rule->n_conds) {
			/* Redundant under an outright deny; else an exception. */
			if (has_plain(p, rule->nr, true))
				continue;
			if (!exceptions_ctx)
				exceptions_ctx = new_ctx(SCMP_ACT_ALLOW, true);
			if (!exceptions_ctx) {
				r = -ENOMEM;
				goto out;
			}
			r = add_rule(exceptions_ctx, exception, rule);
		} else {
			/* What the default does anyway needs no rule (libseccomp
			 * refuses one), nor do conditions under an outright allow. */
			if (action == def || (!rule->deny && rule->n_conds && has_plain(p, rule->nr, false)))
				continue;
			r = add_rule(rules_ctx, action, rule);
		}
		if (r < 0)
			goto out;
	}
	if (def != SCMP_ACT_ALLOW && !has_plain(p, execve_nr, false)) {
		r = seccomp_rule_add(rules_ctx, SCMP_ACT_ALLOW, execve_nr, 0);
		if (r < 0)
			goto out;
	}
	/* Named kills wait for pid 1, which waits for the entry until it
	 * has exec'd: an entry whose exec failed must be able to exit. */
	for (size_t i = 0; p->name_kills && i < VR_ARRAY_SIZE(exits); i++) {
		if (has_plain(p, exits[i], false) || has_cond(p, exits[i], false) || has_cond(p, exits[i], true))
			continue;
		if (has_plain(p, exits[i], true)) {
			if (p->deny == VR_SC_KILL) {
				r = -EINVAL;
				goto out;
			}
			continue;
		}
		if (p->def != VR_SC_KILL)
			continue;
		r = seccomp_rule_add(rules_ctx, SCMP_ACT_ALLOW, exits[i], 0);
		if (r < 0)
			goto out;
	}
	/* The rules last: their default may deny seccomp(2) itself. */
	r = exceptions_ctx ? export_prog(exceptions_ctx, s) : 0;
	if (r >= 0)
		r = export_prog(rules_ctx, s);
	if (r >= 0 && p->name_kills && (p->def == VR_SC_KILL || p->deny == VR_SC_KILL)) {
		struct vr_sc_policy plain = *p;
		plain.name_kills = false;
		s->listen = true;
		r = default_compile(p, false, &s->base);
		if (r >= 0)
			r = vr_seccomp_compile(&plain, &s->plain);
	}
out:
	if (rules_ctx)
		seccomp_release(rules_ctx);
	if (exceptions_ctx)
		seccomp_release(exceptions_ctx);
	if (r < 0) {
		vr_seccomp_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* The default filter's plain entries, each failing with EPERM: what a
 * confined program never needs and what has been the way out of
 * containers before. doc/seccomp.md gives the reason for each. */
static const char *const default_deny[] = {
	/* kernel modules */
	"init_module", "finit_module", "delete_module", "create_module", "query_module",
	"get_kernel_syms",
	/* replacing or stopping the kernel */
	"kexec_load", "kexec_file_load", "reboot",
	/* programs run by the kernel, and its performance counters */
	"bpf", "perf_event_open",
	/* faults handled in user space: a tool to widen kernel races */
	"userfaultfd",
	/* the kernel keyrings, which are not namespaced */
	"keyctl", "add_key", "request_key",
	/* other processes' memory and files */
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
	/* mounts: the void's file system is built; nothing may change it */
	"mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
	"fsmount", "fsconfig", "fspick", "mount_setattr",
	/* namespaces: no way back out, and no new ones */
	"setns", "unshare",
	/* io_uring runs operations that seccomp never sees */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* state of the whole system */
	"acct", "swapon", "swapoff", "syslog", "quotactl", "quotactl_fd", "lookup_dcookie",
	"nfsservctl", "vhangup", "_sysctl", "uselib",
	/* hardware */
	"iopl", "ioperm", "vm86", "vm86old",
	/* clocks, which are not namespaced */
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
	/* files by handle, around the mount table */
	"open_by_handle_at", "name_to_handle_at",
	NULL,
};

const char *const *vr_seccomp_default_names(void)
{
	return default_deny;
}

/* personality(2) only for what Linux programs use: PER_LINUX,
 * PER_LINUX32, PER_LINUX32|UNAME26 and the 0xffffffff query (the values
 * Docker allows). Any other persona or flag (READ_IMPLIES_EXEC,
 * ADDR_NO_RANDOMIZE...) fails with EPERM. libseccomp cannot say "none of
 * these values" (one comparison per argument and rule), so these few
 * instructions are put in front of libseccomp's program s->progs[0]:
 * they answer personality calls of the native ABI, and jump to its first
 * instruction for everything else (it loads what it needs afresh). One
 * program rather than two: each costs a seccomp(2) call and a JIT compile
 * per launch. The kernel takes the persona as an unsigned int: only the
 * low half of the register counts. */
static int prepend_personality(struct vr_seccomp *s)
{
#ifdef SYS_personality
	const uint32_t arch = seccomp_arch_native();
	const uint32_t lo = offsetof(struct seccomp_data, args[0]) + (__BYTE_ORDER == __BIG_ENDIAN ? 4 : 0);
	enum { N = 11 };  /* the prefix's length: its "everything else" target */
	const struct sock_filter prefix[N] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, N - 2),
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 0, N - 4),
		/* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0, 4, 0),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8, 3, 0),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20008, 2, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0),
		/* 9 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		/* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog *main = &s->progs[0];
	size_t n = main->len + N;
	struct sock_filter *both;

	if (s->n < 1 || n > BPF_MAXINSNS)
		return -E2BIG;
	both = malloc(n * sizeof(*both));
	if (!both)
		return -ENOMEM;
	memcpy(both, prefix, sizeof(prefix));
	memcpy(both + N, main->filter, main->len * sizeof(*both));
	free(main->filter);
	main->filter = both;
	main->len = (unsigned short)n;
#else
	(void)s;
#endif
	return 0;
}

/* clone's flags argument: the second on s390, the first elsewhere. */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

/* What p does with every call of nr: its action, or 0 when that depends
 * on the arguments. */
static int policy_verdict(const struct vr_sc_policy *p, int nr)
{
	if (has_cond(p, nr, true) || has_cond(p, nr, false))
		return 0;
	if (has_plain(p, nr, true))
		return p->deny;
	if (has_plain(p, nr, false))
		return VR_SC_ALLOW;
	return p->def;
}

/* The default filter; with a policy whose kills are named, without the
 * plain entries that policy kills outright. The kernel keeps the most
 * restrictive answer of all filters, and to it a failure with EPERM ranks
 * above a notification: left in, the default's EPERM would turn the
 * policy's kill of, say, ptrace into a mere failure. The policy's filter
 * still stops those calls, so nothing gets through that did before. */
static int default_compile(const struct vr_sc_policy *killer, bool unix_only, struct vr_seccomp **ret)
{
	static const uint64_t ns_flags[] = {
		CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
		CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
	};
	/* ioctl's request is an unsigned int to the kernel: compare the low
	 * half only, or 0x100005412 would pass for something else. */
	static const uint64_t ioctls[] = { TIOCSTI, TIOCLINUX };
	struct vr_seccomp *s = seccomp_new();
	scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ALLOW, true);
	int r = 0;

	if (!s || !ctx) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; default_deny[i] && r >= 0; i++) {
		int nr = vr_seccomp_resolve(default_deny[i]);
		if (nr == -ENOSYS)
			continue;  /* not on this architecture */
		if (nr >= 0 && killer && policy_verdict(killer, nr) == VR_SC_KILL)
			continue;
		r = nr < 0 ? nr : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* clone3 passes its flags in memory, out of a filter's reach: ENOSYS,
	 * so that libc falls back to clone, whose flags are checked. */
	if (r >= 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; i < VR_ARRAY_SIZE(ns_flags) && r >= 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_CMP(CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	for (size_t i = 0; i < VR_ARRAY_SIZE(ioctls) && r >= 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]));
	/* A void in a shared network namespace makes unix sockets only (the
	 * whole family argument is compared: a family with its upper half
	 * set, which the kernel would read as its lower half, fails too). */
	if (unix_only && r >= 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	if (r >= 0)
		r = export_prog(ctx, s);
	if (r >= 0)
		r = prepend_personality(s);
out:
	if (ctx)
		seccomp_release(ctx);
	if (r < 0) {
		vr_seccomp_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int vr_seccomp_default_compile(bool unix_only, struct vr_seccomp **ret)
{
	return default_compile(NULL, unix_only, ret);
}

char *vr_seccomp_name(int nr)
{
	return seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

const void *vr_seccomp_prog(const struct vr_seccomp *s, size_t i, size_t *ret_len)
{
	if (!s || i >= s->n)
		return NULL;
	*ret_len = s->progs[i].len;
	return s->progs[i].filter;
}

#ifdef VR_SECCOMP_PREBUILT
/* The default filter, and its variant for voids in a shared network
 * namespace, as vr-seccomp-gen compiled them at build time, with this
 * file's vr_seccomp_default_compile and the build's libseccomp: a launch
 * pays nothing for it (libseccomp's first use in a process costs about
 * 0.3 ms). A unit test checks that they match a fresh compile. */
#include "seccomp_default.h"

static const struct vr_seccomp prebuilt[2] = { VR_SECCOMP_DEFAULT_INIT, VR_SECCOMP_UNIX_INIT };

int vr_seccomp_default(bool unix_only, const struct vr_seccomp **ret)
{
	*ret = &prebuilt[unix_only];
	return 0;
}
#else
/* Compiled on first use (a cross build cannot run the generator). */
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct vr_seccomp *default_filter[2];
static int default_error;

static void default_init(void)
{
	default_error = vr_seccomp_default_compile(false, &default_filter[0]);
	if (default_error >= 0)
		default_error = vr_seccomp_default_compile(true, &default_filter[1]);
}

int vr_seccomp_default(bool unix_only, const struct vr_seccomp **ret)
{
	(void)pthread_once(&default_once, default_init);
	*ret = default_filter[unix_only];
	return default_error;
}
#endif

int vr_seccomp_install(const struct vr_seccomp *s, int *ret_listener)
{
	if (ret_listener)
		*ret_listener = -1;
	/* Without a listener its kills would fail with ENOSYS: the kernel's. */
	if (s && s->listen && !ret_listener)
		s = s->plain;
	for (size_t i = 0; s && i < s->n; i++) {
		bool listen = s->listen && i == s->n - 1;
		long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				 listen ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &s->progs[i]);
		if (r < 0 && listen && errno == EBUSY) {
			/* A filter of ours already has a listener: the
			 * plain program's conditional part is the same. */
			const struct sock_fprog *last = &s->plain->progs[s->plain->n - 1];
			r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, last);
			listen = false;
		}
		if (r < 0)
			return vr_neg_errno();
		if (listen)
			*ret_listener = (int)r;
	}
	return 0;
}

int vr_seccomp_install_unix_only(void)
{
	const struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) +
						    (__BYTE_ORDER == __BIG_ENDIAN ? 4 : 0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
	};
	const struct sock_fprog prog = { .len = VR_ARRAY_SIZE(insns), .filter = (struct sock_filter *)insns };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? vr_neg_errno() : 0;
}

/* ------------------------------------------------------------ Landlock */

/* Newer than the kernel headers Debian 12 ships (6.1). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6 (the headers' lacks scoped).
 * The kernel takes a longer struct than it knows if the rest is zero. */
struct vr_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE)
#define LL_WRITE                                                                                      \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |    \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |          \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |             \
	 LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_DEVICE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* What a rule on a file (not a directory) may grant. */
#define LL_FILE                                                                                       \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |        \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* The file-system rights an ABI can restrict. MAKE_CHAR and MAKE_BLOCK are
 * left to the kernel's own check (no CAP_MKNOD: EPERM) and nodev mounts. */
static uint64_t ll_handled_fs(int abi)
{
	uint64_t fs = LL_READ | LL_WRITE;

	fs &= ~(LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE);
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static pthread_once_t abi_once = PTHREAD_ONCE_INIT;
static int abi_cached;

static void abi_init(void)
{
	long r = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	abi_cached = r >= 1 ? (int)r : -EOPNOTSUPP;
}

int vr_landlock_abi(void)
{
	(void)pthread_once(&abi_once, abi_init);
	return abi_cached;
}

/* ------------------------------------------------------------- harden */

struct vr_ll_rule {
	char *path;        /* inside the void */
	uint64_t access;   /* LANDLOCK_ACCESS_FS_*, before masking by the ABI */
};

struct vr_harden {
	struct vr_seccomp *seccomp;  /* the profile's, after the default; or NULL */
	uint64_t caps;               /* kept */
	struct vr_ll_rule *rules;
	size_t n_rules;
	int abi;                     /* vr_landlock_abi(), probed in the parent */
};

int vr_harden_new(struct vr_harden **ret)
{
	struct vr_harden *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->abi = vr_landlock_abi();
	*ret = h;
	return 0;
}

void vr_harden_free(struct vr_harden *h)
{
	if (!h)
		return;
	vr_seccomp_free(h->seccomp);
	for (size_t i = 0; i < h->n_rules; i++)
		free(h->rules[i].path);
	free(h->rules);
	free(h);
}

int vr_harden_set_seccomp(struct vr_harden *h, const struct vr_seccomp *s)
{
	struct vr_seccomp *copy = s ? seccomp_dup(s) : NULL;

	if (s && !copy)
		return -ENOMEM;
	vr_seccomp_free(h->seccomp);
	h->seccomp = copy;
	return 0;
}

int vr_harden_set_caps(struct vr_harden *h, uint64_t keep)
{
	int last = cap_max_bits() - 1;

	if (last < 0 || last > 63 || (last < 63 && (keep >> (last + 1)) != 0))
		return -EINVAL;
	h->caps = keep;
	return 0;
}

uint64_t vr_harden_caps(const struct vr_harden *h)
{
	return h ? h->caps : 0;
}

int vr_harden_launcher_caps(uint64_t *ret_permitted, uint64_t *ret_bounding)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return vr_neg_errno();
	*ret_permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	*ret_bounding = 0;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;  /* past the last capability this kernel knows */
		if (r)
			*ret_bounding |= 1ULL << c;
	}
	return 0;
}

static int add_ll_rule(struct vr_harden *h, const char *dir, const char *sub, uint64_t access)
{
	struct vr_ll_rule *n = realloc(h->rules, (h->n_rules + 1) * sizeof(*n));
	size_t len = strlen(dir);
	char *path;

	if (!n)
		return -ENOMEM;
	h->rules = n;
	path = malloc(len + (sub ? strlen(sub) + 1 : 0) + 1);
	if (!path)
		return -ENOMEM;
	strcpy(path, dir);
	if (sub) {
		if (len == 0 || path[len - 1] != '/')
			strcat(path, "/");
		strcat(path, sub);
	}
	h->rules[h->n_rules++] = (struct vr_ll_rule){ .path = path, .access = access };
	return 0;
}

/* The second wall mirrors the first: what a mount lets the void do, a
 * Landlock rule lets it do too, and nothing else. Below the root (which
 * holds the read-only binds) reading and executing; writing where a bind
 * is writable or a tmpfs is; device use below /dev and through binds that
 * keep devices; writing to /proc's files (oom_score_adj, comm...). What a
 * rule cannot reach is everything the void's tree does not hold: a host
 * directory reached through an fd or a /proc magic link. */
int vr_harden_landlock_plan(struct vr_harden *h, const struct vr_plan *p)
{
	int r = 0;

	for (size_t i = 0; i < h->n_rules; i++)
		free(h->rules[i].path);
	h->n_rules = 0;
	if (!(p->ns_flags & CLONE_NEWNS))
		return 0;
	r = add_ll_rule(h, "/", NULL, LL_READ);
	for (size_t i = 0; i < p->n_mounts && r >= 0; i++) {
		const struct vr_mount_op *m = &p->mounts[i];

		switch (m->kind) {
		case VR_MNT_BIND:
			if (m->flags & VR_BIND_RW)
				r = add_ll_rule(h, m->dst, NULL, LL_WRITE);
			if (r >= 0 && (m->flags & VR_BIND_DEV))
				r = add_ll_rule(h, m->dst, NULL, LL_DEVICE);
			break;
		case VR_MNT_TMPFS:
			r = add_ll_rule(h, m->dst, NULL, LL_WRITE);
			break;
		case VR_MNT_PROC:
			r = add_ll_rule(h, m->dst, NULL, LANDLOCK_ACCESS_FS_WRITE_FILE);
			break;
		case VR_MNT_DEV:
			r = add_ll_rule(h, m->dst, NULL, LL_DEVICE);
			if (r >= 0)
				r = add_ll_rule(h, m->dst, "shm", LL_WRITE);
			break;
		default:
			break;  /* directories and symlinks are part of the root */
		}
	}
	return r;
}

int vr_harden_prepare(const struct vr_harden *h)
{
	const struct vr_seccomp *s;

	(void)h;
	(void)vr_landlock_abi();
	return vr_seccomp_default(false, &s);
}

int vr_harden_apply_caps(const struct vr_harden *h)
{
	uint64_t keep = vr_harden_caps(h);

	for (unsigned c = 0; c < 64; c++)
		if ((keep & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return vr_neg_errno();
	return 0;
}

/* Everything below runs in the child: system calls only. */

static int ll_add(int ruleset, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };

	return syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0 ? vr_neg_errno() : 0;
}

/* A rule on the file behind an inherited standard fd, with the rights its
 * open mode has, so that reopening it (/dev/stdout, /proc/self/fd/1) works
 * as it would without Landlock. Pipes and sockets need none (Landlock does
 * not check them), directories get none. */
static void ll_add_stdio(int ruleset, int fd, uint64_t handled)
{
	struct stat st;
	uint64_t access = 0;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return;
	if ((fl & O_ACCMODE) != O_WRONLY)
		access |= LANDLOCK_ACCESS_FS_READ_FILE;
	if ((fl & O_ACCMODE) != O_RDONLY)
		access |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	if (!S_ISREG(st.st_mode))
		access |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	(void)ll_add(ruleset, fd, access & handled & LL_FILE);
}

static int apply_landlock(const struct vr_harden *h, const char **ret_what)
{
	struct vr_ruleset_attr attr = { 0 };
	int abi = h ? h->abi : vr_landlock_abi();
	bool fs = h && h->n_rules > 0 && abi >= 2;
	int ruleset, r = 0;

	/* Cross-directory renames are always refused under ABI 1 (REFER is
	 * implied and cannot be granted): file-system rules need ABI 2. */
	if (fs)
		attr.handled_access_fs = ll_handled_fs(abi);
	/* No abstract unix socket and no signal across the void's edge. */
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	if (!attr.handled_access_fs && !attr.scoped)
		return 0;
	*ret_what = "landlock";
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return vr_neg_errno();
	for (size_t i = 0; fs && i < h->n_rules && r >= 0; i++) {
		struct stat st;
		int fd = open(h->rules[i].path, O_PATH | O_CLOEXEC);
		uint64_t access = h->rules[i].access & attr.handled_access_fs;

		if (fd < 0 || fstat(fd, &st) < 0) {
			r = vr_neg_errno();
			*ret_what = h->rules[i].path;
		} else {
			if (!S_ISDIR(st.st_mode))
				access &= LL_FILE;
			r = access ? ll_add(ruleset, fd, access) : 0;
			if (r < 0)
				*ret_what = h->rules[i].path;
		}
		if (fd >= 0)
			(void)close(fd);
	}
	for (int fd = 0; fs && fd < 3 && r >= 0; fd++)
		ll_add_stdio(ruleset, fd, attr.handled_access_fs);
	if (r >= 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		r = vr_neg_errno();
	(void)close(ruleset);
	return r;
}

int vr_harden_apply_entry(const struct vr_harden *h, bool unix_only, const char **ret_what, int *ret_listener)
{
	const struct vr_seccomp *def;
	int r;

	if (ret_listener)
		*ret_listener = -1;
	/* Landlock first: the profile's filter may deny its system calls. */
	r = apply_landlock(h, ret_what);
	if (r < 0)
		return r;
	*ret_what = "seccomp";
	/* Compiled by vr_harden_prepare before the clone; never here. Each
	 * program installed costs a process tens of microseconds (the JIT,
	 * the action cache): the unix-only rule comes within the default,
	 * but for a policy's own variant of it (named kills, rare), which
	 * gets it as a program of its own. */
	r = vr_seccomp_default(unix_only, &def);
	if (r < 0 || !def)
		return r < 0 ? r : -ENOTRECOVERABLE;
	if (h && h->seccomp && h->seccomp->base) {
		def = h->seccomp->base;
		if (unix_only && (r = vr_seccomp_install_unix_only()) < 0)
			return r;
	}
	r = vr_seccomp_install(def, NULL);
	if (r >= 0 && h)
		r = vr_seccomp_install(h->seccomp, ret_listener);
	return r;
}

/* ----------------------------------------------------- what enter needs */

int vr_harden_add_landlock_rule(struct vr_harden *h, const char *path, uint64_t access)
{
	/* Only what Landlock knows of file systems, only absolute paths: a
	 * rule from a peer (voidrun enter's grants) is checked like a plan's. */
	if (!path || path[0] != '/' || (access & ~(LL_READ | LL_WRITE | LL_DEVICE)) != 0)
		return -EINVAL;
	return add_ll_rule(h, path, NULL, access);
}

int vr_harden_landlock_rule(const struct vr_harden *h, size_t i, const char **ret_path, uint64_t *ret_access)
{
	if (!h || i >= h->n_rules)
		return -ENOENT;
	*ret_path = h->rules[i].path;
	*ret_access = h->rules[i].access;
	return 0;
}

const void *vr_harden_entry_prog(const struct vr_harden *h, size_t i, size_t *ret_len)
{
	const struct vr_seccomp *def = NULL, *own = h ? h->seccomp : NULL;

	if (own && own->base)
		def = own->base;
	else if (vr_seccomp_default(false, &def) < 0 || !def)
		return NULL;
	/* Without pid 1 to listen, a policy's named kills are the kernel's:
	 * the plain form (as vr_seccomp_install installs it without one). */
	if (own && own->listen)
		own = own->plain;
	if (i < def->n)
		return vr_seccomp_prog(def, i, ret_len);
	return vr_seccomp_prog(own, i - def->n, ret_len);
}

int vr_harden_apply_landlock(const struct vr_harden *h, const char **ret_what)
{
	return apply_landlock(h, ret_what);
}
