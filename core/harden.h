/* SPDX-License-Identifier: MIT */
/* Hardening of a void: seccomp filters, the capabilities it keeps, and
 * Landlock. doc/seccomp.md lists the default filter and why each entry is
 * there; doc/threat-model.md says what all of this defends against.
 *
 * Plan, then apply: filters are compiled in the parent (libseccomp
 * allocates) into plain BPF programs; Landlock rules are kept as paths
 * inside the void. The child only makes system calls: it opens the paths
 * once its root is built, restricts itself and installs the programs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vr_plan;

/* ------------------------------------------------------------- seccomp */

/* What a filter does with a system call. */
enum vr_sc_action {
	VR_SC_ALLOW = 1,
	VR_SC_ERRNO,  /* fail with the policy's errno */
	VR_SC_KILL,   /* kill the whole process with SIGSYS (SECCOMP_RET_KILL_PROCESS) */
	VR_SC_TRAP,   /* send SIGSYS, which the program may catch (SECCOMP_RET_TRAP) */
	VR_SC_LOG,    /* allow, and log to the kernel's audit log */
};

/* Comparisons of a system call argument (64-bit, as the register holds it). */
enum vr_sc_op { VR_SC_EQ = 1, VR_SC_NE, VR_SC_LT, VR_SC_LE, VR_SC_GT, VR_SC_GE, VR_SC_MASKED_EQ };

struct vr_sc_cond {
	unsigned arg;    /* 0..5 */
	int op;          /* enum vr_sc_op */
	uint64_t value;
	uint64_t mask;   /* VR_SC_MASKED_EQ: (arg & mask) == value */
};

struct vr_sc_rule {
	int nr;                          /* native number (vr_seccomp_resolve) */
	bool deny;                       /* the policy's deny action; else allow */
	const struct vr_sc_cond *conds;  /* all must hold; none: always */
	size_t n_conds;
};

/* A policy. Where a deny rule and an allow rule both match a call, the deny
 * wins. An unconditional allow and an unconditional deny of one system
 * call, or conditions on an allow of a call denied unconditionally, are
 * contradictions (-EINVAL). execve is always allowed: the entry is started
 * by it, after the filter is installed. */
struct vr_sc_policy {
	int def;    /* action for calls no rule names */
	int deny;   /* action of the deny rules (not VR_SC_ALLOW) */
	int err;    /* errno of VR_SC_ERRNO, 1..4095 */
	const struct vr_sc_rule *rules;
	size_t n_rules;
	/* Kill through pid 1 so that voidrun can name the call: the kill
	 * actions become SECCOMP_RET_USER_NOTIF, the process waits in the
	 * call until pid 1, the listener, kills it (vr_harden_apply_entry).
	 * The compiled filter also holds the policy with the kernel's kills,
	 * for where pid 1 cannot listen (vr_seccomp_install). */
	bool name_kills;
};

/* A compiled filter: one or two BPF programs, installed in order. */
struct vr_seccomp;

/* The native number of a system call by name. Returns it (>= 0); -ENOENT
 * for a name libseccomp does not know; -ENOSYS for one it knows that does
 * not exist on this architecture (vm86 on x86_64). */
int vr_seccomp_resolve(const char *name);

/* Compile a policy for the native architecture; calls of any other ABI
 * (i386 and x32 on x86_64) kill the process. Returns 0 and *ret, -EINVAL
 * for a malformed or contradictory policy, -ENOMEM, or libseccomp's error. */
int vr_seccomp_compile(const struct vr_sc_policy *p, struct vr_seccomp **ret);

/* The default filter every void gets (not to be freed), or with unix_only
 * its variant (vr_seccomp_default_compile): compiled at build
 * time and embedded, or, in a build that could not run the generator,
 * compiled on first use and kept for the life of the process
 * (thread-safe). Returns 0 and *ret, or the error of compiling it
 * (remembered). */
int vr_seccomp_default(bool unix_only, const struct vr_seccomp **ret);

/* Compile the default filter afresh (for the build-time generator, and for
 * the test that the embedded one matches); with unix_only, its variant for
 * voids in a shared network namespace, where socket(2) makes AF_UNIX
 * sockets only (others fail with EAFNOSUPPORT). Returns 0 and *ret (to
 * free), -ENOMEM, or libseccomp's error. */
int vr_seccomp_default_compile(bool unix_only, struct vr_seccomp **ret);

/* The i-th program of s: its instructions (struct sock_filter) and their
 * count in *ret_len; NULL past the last. */
const void *vr_seccomp_prog(const struct vr_seccomp *s, size_t i, size_t *ret_len);

/* The plain entries of the default filter, each failing with EPERM, as a
 * NULL-terminated list of names (the profile group @default). Besides them
 * the default filter makes clone3 fail with ENOSYS and refuses clone with
 * namespace flags, the TIOCSTI and TIOCLINUX ioctls and personalities
 * other than Linux's (doc/seccomp.md). */
const char *const *vr_seccomp_default_names(void);

/* How many BPF instructions a filter has in all (for `voidrun check`). */
size_t vr_seccomp_size(const struct vr_seccomp *s);

/* Free; accepts NULL. */
void vr_seccomp_free(struct vr_seccomp *s);

/* The name of native system call nr (to free), or NULL. */
char *vr_seccomp_name(int nr);

/* Install a compiled filter in the calling thread. Needs no_new_privs (or
 * CAP_SYS_ADMIN). A filter compiled with name_kills stores the fd of its
 * listener (close-on-exec) in *ret_listener; where it cannot have one
 * (ret_listener NULL, or a filter installed earlier has one: EBUSY) it is
 * installed with the kernel's kills instead and *ret_listener is -1.
 * Child-safe. Returns 0 or -errno. */
int vr_seccomp_install(const struct vr_seccomp *s, int *ret_listener);

/* Install a filter under which socket(2) makes AF_UNIX sockets only
 * (others fail with EAFNOSUPPORT): for voids that share an empty network
 * namespace (vr_plan.join_netns) whose policy brings its own default
 * (vr_harden_apply_entry). Child-safe. Returns 0 or -errno. */
int vr_seccomp_install_unix_only(void);

/* ------------------------------------------------------------ Landlock */

/* The Landlock ABI version of the running kernel: >= 1, or -EOPNOTSUPP
 * when Landlock is not built in or disabled at boot. Probed once. */
int vr_landlock_abi(void);

/* ------------------------------------------------------------- harden */

struct vr_harden;

/* An empty set: the default filter, no capability, Landlock with no file
 * system rules (only scoping). Returns 0 or -ENOMEM. */
int vr_harden_new(struct vr_harden **ret);

/* Free; accepts NULL. */
void vr_harden_free(struct vr_harden *h);

/* Install s (copied) after the default filter. Returns 0 or -ENOMEM. */
int vr_harden_set_seccomp(struct vr_harden *h, const struct vr_seccomp *s);

/* Keep these capabilities (bit n = capability n) in the void: permitted,
 * effective, inheritable and ambient, so that they survive exec; the
 * bounding set is reduced to them (core/void.c, child_drop_caps). Returns
 * 0, or -EINVAL for a capability this kernel does not know. */
int vr_harden_set_caps(struct vr_harden *h, uint64_t keep);

/* The capabilities kept; 0 for NULL. */
uint64_t vr_harden_caps(const struct vr_harden *h);

/* The calling process's permitted and bounding sets (bit n = capability
 * n), against which a profile's caps are checked. Returns 0 or -errno. */
int vr_harden_launcher_caps(uint64_t *ret_permitted, uint64_t *ret_bounding);

/* Derive the Landlock file-system rules from plan's mounts (call once
 * they are all added): read and execute below the void's root, writes
 * where a bind is writable or a tmpfs is mounted, device use below /dev.
 * Without a new mount namespace there is no void root: no rules. Returns
 * 0 or -ENOMEM. */
int vr_harden_landlock_plan(struct vr_harden *h, const struct vr_plan *plan);

/* In the parent, before spawning: make sure the default filters are
 * compiled. Returns 0 or its error. */
int vr_harden_prepare(const struct vr_harden *h);

/* In pid 1, right after its capability sets were set to the kept ones:
 * raise them in the ambient set. Child-safe. Returns 0 or -errno. */
int vr_harden_apply_caps(const struct vr_harden *h);

/* In the entry process, right before execve (or the entry function), with
 * no_new_privs set and capabilities dropped: apply Landlock (where the
 * kernel has it) and install the seccomp filters (with unix_only, those
 * of a void in a shared network namespace). With a policy compiled
 * with name_kills, *ret_listener gets the fd of its listener for pid 1
 * (else -1; with ret_listener NULL its kills are the kernel's). Child-safe: no
 * allocation. Returns 0 or -errno; *ret_what names what failed ("landlock",
 * a path, "seccomp"). h may be NULL (the defaults). */
int vr_harden_apply_entry(const struct vr_harden *h, bool unix_only, const char **ret_what, int *ret_listener);

/* ----------------------------------------------------- what enter needs */
/* voidrun enter gives a command run in a running void the void's own
 * restrictions: voidrun hands them over its control socket (as bytes and
 * paths), enter rebuilds them (doc/inspect.md). */

/* Add a Landlock rule: access (LANDLOCK_ACCESS_FS_* bits) beneath path, a
 * path inside the void. Returns 0, -EINVAL for a relative path or a bit
 * that is not a file-system right, -ENOMEM. */
int vr_harden_add_landlock_rule(struct vr_harden *h, const char *path, uint64_t access);

/* The i-th Landlock rule of h (vr_harden_landlock_plan's, or added).
 * Returns 0, -ENOENT past the last. The path lives as long as h. */
int vr_harden_landlock_rule(const struct vr_harden *h, size_t i, const char **ret_path, uint64_t *ret_access);

/* The i-th BPF program an entry hardened by h installs, in order: the
 * default filter (or, for a policy with named kills, the default without
 * the calls it kills), then h's policy, with the kernel's kills where its
 * kills are named (its plain form). Instructions (struct sock_filter) and
 * their count in *ret_len; NULL past the last. h may be NULL (the default
 * filter alone). */
const void *vr_harden_entry_prog(const struct vr_harden *h, size_t i, size_t *ret_len);

/* Apply h's Landlock rules and scoping to the calling thread, as an entry
 * gets them (needs no_new_privs). Child-safe. Returns 0 or -errno;
 * *ret_what names what failed ("landlock" or a rule's path). */
int vr_harden_apply_landlock(const struct vr_harden *h, const char **ret_what);
