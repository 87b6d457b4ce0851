/* SPDX-License-Identifier: MIT */
/* Hardening: seccomp policies compiled and installed in forked children
 * (failure paths first), the default filter's entries asserted by calling
 * them, foreign ABIs killed, Landlock detected and its scoping felt. Each
 * child returns 0, or the number of the check that failed. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"
#include "void.h"

#define EXIT_SIGSYS (128 + SIGSYS)

/* errno of a raw system call, 0 when it succeeded. */
#define ERR(call) ((call) < 0 ? errno : 0)

/* ---- failure paths ------------------------------------------------------ */

static void test_resolve(void **state)
{
	(void)state;
	assert_int_equal(vr_seccomp_resolve("getpid"), SYS_getpid);
	assert_int_equal(vr_seccomp_resolve("no_such_call"), -ENOENT);
	assert_int_equal(vr_seccomp_resolve(""), -ENOENT);
#ifdef __x86_64__
	/* known to libseccomp, but an i386 call */
	assert_int_equal(vr_seccomp_resolve("vm86"), -ENOSYS);
#endif
}

static int compile_rules(int def, int deny, const struct vr_sc_rule *rules, size_t n, struct vr_seccomp **ret)
{
	struct vr_sc_policy p = { .def = def, .deny = deny, .err = EACCES, .rules = rules, .n_rules = n };

	return vr_seccomp_compile(&p, ret);
}

static void test_bad_policies(void **state)
{
	struct vr_sc_cond arg6 = { .arg = 6, .op = VR_SC_EQ }, bad_op = { .arg = 0, .op = 99 };
	struct vr_sc_cond twice[2] = { { .arg = 0, .op = VR_SC_EQ }, { .arg = 0, .op = VR_SC_NE } };
	struct vr_sc_cond a0 = { .arg = 0, .op = VR_SC_EQ, .value = 1 };
	struct vr_seccomp *s = NULL;
	(void)state;

	/* actions */
	assert_int_equal(compile_rules(0, VR_SC_ERRNO, NULL, 0, &s), -EINVAL);
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ALLOW, NULL, 0, &s), -EINVAL);
	assert_int_equal(compile_rules(VR_SC_LOG + 1, VR_SC_ERRNO, NULL, 0, &s), -EINVAL);
	struct vr_sc_policy bad_err = { .def = VR_SC_ERRNO, .deny = VR_SC_KILL, .err = 0 };
	assert_int_equal(vr_seccomp_compile(&bad_err, &s), -EINVAL);
	bad_err.err = 4096;
	assert_int_equal(vr_seccomp_compile(&bad_err, &s), -EINVAL);
	/* rules */
	struct vr_sc_rule neg = { .nr = -1 };
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &neg, 1, &s), -EINVAL);
	struct vr_sc_rule r6 = { .nr = SYS_getpid, .deny = true, .conds = &arg6, .n_conds = 1 };
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &r6, 1, &s), -EINVAL);
	struct vr_sc_rule rop = { .nr = SYS_getpid, .deny = true, .conds = &bad_op, .n_conds = 1 };
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &rop, 1, &s), -EINVAL);
	struct vr_sc_rule rtwice = { .nr = SYS_getpid, .deny = true, .conds = twice, .n_conds = 2 };
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &rtwice, 1, &s), -EINVAL);
	/* contradictions */
	struct vr_sc_rule both[2] = { { .nr = SYS_getpid }, { .nr = SYS_getpid, .deny = true } };
	assert_int_equal(compile_rules(VR_SC_KILL, VR_SC_ERRNO, both, 2, &s), -EINVAL);
	struct vr_sc_rule shadowed[2] = { { .nr = SYS_socket, .conds = &a0, .n_conds = 1 },
					  { .nr = SYS_socket, .deny = true } };
	assert_int_equal(compile_rules(VR_SC_KILL, VR_SC_ERRNO, shadowed, 2, &s), -EINVAL);
	struct vr_sc_rule no_exec = { .nr = SYS_execve, .deny = true };
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &no_exec, 1, &s), -EINVAL);
	assert_null(s);
}

/* ---- installing --------------------------------------------------------- */

static int install(const struct vr_seccomp *s)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return vr_seccomp_install(s, NULL);
}

static int child_default(void *arg)
{
	const struct vr_seccomp *s = arg;
	char c = 'x';

	if (install(s) < 0)
		return 1;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
		return 2;
	if (ERR(ptrace(PTRACE_TRACEME, 0, NULL, NULL)) != EPERM)
		return 3;
	if (ERR(unshare(CLONE_NEWUSER)) != EPERM)
		return 4;
	if (ERR(syscall(SYS_clone3, NULL, 0)) != ENOSYS)
		return 5;
	if (ERR(syscall(SYS_clone, (unsigned long)(SIGCHLD | CLONE_NEWUSER), NULL, NULL, NULL, 0)) != EPERM)
		return 6;
	/* TIOCSTI is refused before the tty is looked at, also with junk in
	 * the upper half of the request, which the kernel ignores. */
	if (ERR(ioctl(0, TIOCSTI, &c)) != EPERM)
		return 7;
	if (ERR(syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c)) != EPERM)
		return 8;
	if (ERR(syscall(SYS_ioctl, 0, TIOCLINUX, &c)) != EPERM)
		return 9;
	if (ERR(personality(ADDR_NO_RANDOMIZE)) != EPERM || ERR(personality(READ_IMPLIES_EXEC)) != EPERM)
		return 10;
	if (personality(0xffffffff) < 0 || personality(PER_LINUX) < 0)
		return 11;
	if (ERR(syscall(SYS_keyctl, 0, -3, 0)) != EPERM || ERR(syscall(SYS_bpf, 0, NULL, 0)) != EPERM)
		return 12;
	if (ERR(syscall(SYS_mount, "none", "/", "tmpfs", 0UL, NULL)) != EPERM)
		return 13;
	/* what a program needs still works */
	if (getpid() <= 0 || ERR(syscall(SYS_getppid)) != 0)
		return 14;
	pid_t pid = fork();
	if (pid < 0)
		return 15;
	if (pid == 0)
		_exit(0);
	return waitpid(pid, NULL, 0) == pid ? 0 : 16;
}

static void test_default_filter(void **state)
{
	const struct vr_seccomp *s;
	(void)state;

	assert_int_equal(vr_seccomp_default(false, &s), 0);
	assert_non_null(s);
	assert_true(vr_seccomp_size(s) > 60);
	/* the same one, compiled once */
	const struct vr_seccomp *again;
	assert_int_equal(vr_seccomp_default(false, &again), 0);
	assert_ptr_equal(s, again);
	assert_int_equal(vr_test_in_child(child_default, (void *)s), 0);
}

/* The embedded default filter (compiled when voidrun was built) is what
 * the source and libseccomp compile now: a stale one would be a filter
 * nobody reviewed. */
static void test_default_matches_source(void **state)
{
	(void)state;

	for (int unix_only = 0; unix_only <= 1; unix_only++) {
		const struct vr_seccomp *def;
		struct vr_seccomp *fresh;
		const void *a, *b;
		size_t la, lb, i = 0;

		assert_int_equal(vr_seccomp_default(unix_only, &def), 0);
		assert_int_equal(vr_seccomp_default_compile(unix_only, &fresh), 0);
		for (; (a = vr_seccomp_prog(def, i, &la)) != NULL; i++) {
			b = vr_seccomp_prog(fresh, i, &lb);
			assert_non_null(b);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la * sizeof(struct sock_filter));
		}
		assert_true(i >= 1);
		assert_null(vr_seccomp_prog(fresh, i, &lb));
		vr_seccomp_free(fresh);
	}
}

static void test_default_names_resolve(void **state)
{
	const char *const *names = vr_seccomp_default_names();
	size_t n = 0;
	(void)state;

	for (; names[n]; n++) {
		int nr = vr_seccomp_resolve(names[n]);
		if (nr == -ENOENT)
			fail_msg("default filter names an unknown system call: %s", names[n]);
	}
	assert_true(n > 40);
}

static int child_errno_policy(void *arg)
{
	if (install(arg) < 0)
		return 1;
	if (ERR(syscall(SYS_getppid)) != EACCES)
		return 2;
	if (getpid() <= 0)
		return 3;
	return 0;
}

static void test_deny_errno(void **state)
{
	struct vr_sc_rule deny = { .nr = SYS_getppid, .deny = true };
	struct vr_seccomp *s;
	(void)state;

	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &deny, 1, &s), 0);
	assert_int_equal(vr_test_in_child(child_errno_policy, s), 0);
	vr_seccomp_free(s);
}

static int child_calls_getppid(void *arg)
{
	if (install(arg) < 0)
		return 1;
	(void)syscall(SYS_getppid);
	return 0;
}

/* default kill with an allow list: what is listed runs, the rest kills */
static void test_kill_policy(void **state)
{
	struct vr_sc_rule allow[] = {
		{ .nr = SYS_exit_group }, { .nr = SYS_exit }, { .nr = SYS_seccomp }, { .nr = SYS_prctl },
	};
	struct vr_seccomp *s;
	(void)state;

	assert_int_equal(compile_rules(VR_SC_KILL, VR_SC_ERRNO, allow, sizeof(allow) / sizeof(allow[0]), &s), 0);
	assert_int_equal(vr_test_in_child(child_calls_getppid, s), EXIT_SIGSYS);
	vr_seccomp_free(s);
}

static int child_socket_exception(void *arg)
{
	int fd;

	if (install(arg) < 0)
		return 1;
	if (ERR(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != EACCES)
		return 2;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 3;
	(void)close(fd);
	return 0;
}

/* A deny with conditions carves an exception out of an allow, which
 * libseccomp alone would swallow: socket allowed, but not AF_INET. */
static void test_deny_with_args(void **state)
{
	struct vr_sc_cond inet = { .arg = 0, .op = VR_SC_EQ, .value = AF_INET };
	struct vr_sc_rule rules[] = {
		{ .nr = SYS_socket },
		{ .nr = SYS_socket, .deny = true, .conds = &inet, .n_conds = 1 },
	};
	struct vr_seccomp *s;
	(void)state;

	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, rules, 2, &s), 0);
	assert_int_equal(vr_test_in_child(child_socket_exception, s), 0);
	vr_seccomp_free(s);
	/* and in a default-deny policy, where socket is allowed outright */
	assert_int_equal(compile_rules(VR_SC_ERRNO, VR_SC_ERRNO, rules, 2, &s), 0);
	vr_seccomp_free(s);
}

static int child_masked(void *arg)
{
	if (install(arg) < 0)
		return 1;
	/* SOCK_DGRAM | SOCK_CLOEXEC: the type's low byte is 2 */
	if (ERR(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != EACCES)
		return 2;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 3;
	(void)close(fd);
	return 0;
}

static void test_masked_condition(void **state)
{
	struct vr_sc_cond dgram = { .arg = 1, .op = VR_SC_MASKED_EQ, .mask = 0xff, .value = SOCK_DGRAM };
	struct vr_sc_rule rule = { .nr = SYS_socket, .deny = true, .conds = &dgram, .n_conds = 1 };
	struct vr_seccomp *s;
	(void)state;

	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &rule, 1, &s), 0);
	assert_int_equal(vr_test_in_child(child_masked, s), 0);
	vr_seccomp_free(s);
}

#ifdef __x86_64__
static int child_i386(void *arg)
{
	long ret;

	if (install(arg) < 0)
		return 1;
	/* getpid through the i386 entry point (number 20 there) */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	return 2;
}

static int child_x32(void *arg)
{
	if (install(arg) < 0)
		return 1;
	(void)syscall(0x40000000L | SYS_getpid);
	return 2;
}

/* Calls of another ABI carry numbers from other tables: they kill. */
static void test_foreign_abi_killed(void **state)
{
	const struct vr_seccomp *s;
	(void)state;

	assert_int_equal(vr_seccomp_default(false, &s), 0);
	assert_int_equal(vr_test_in_child(child_i386, (void *)s), EXIT_SIGSYS);
	assert_int_equal(vr_test_in_child(child_x32, (void *)s), EXIT_SIGSYS);
}
#endif

/* ---- Landlock and the whole entry --------------------------------------- */

static void test_landlock_abi(void **state)
{
	long raw = syscall(SYS_landlock_create_ruleset, NULL, 0, 1UL /* VERSION */);
	int abi = vr_landlock_abi();
	(void)state;

	if (raw < 0) {
		assert_int_equal(abi, -EOPNOTSUPP);
		VR_SKIP("this kernel has no Landlock (%s)", strerror(errno));
	}
	assert_int_equal(abi, raw);
	assert_true(abi >= 1);
}

/* A void in a shared network namespace makes unix sockets only: with the
 * filter of its own (arg NULL) and with the default's variant (non-NULL). */
static int child_unix_only(void *arg)
{
	const struct vr_seccomp *def;
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	if (!arg && vr_seccomp_install_unix_only() < 0)
		return 1;
	if (arg && (vr_seccomp_default(true, &def) < 0 || vr_seccomp_install(def, NULL) < 0))
		return 1;
	if (ERR(socket(AF_INET, SOCK_STREAM, 0)) != EAFNOSUPPORT || ERR(socket(AF_INET6, SOCK_DGRAM, 0)) != EAFNOSUPPORT)
		return 2;
	if (ERR(socket(AF_NETLINK, SOCK_RAW, 0)) != EAFNOSUPPORT)
		return 3;
	/* the upper half of the family is ignored by the kernel: also here */
	if (ERR(syscall(SYS_socket, 0x100000000UL | AF_INET, SOCK_STREAM, 0)) != EAFNOSUPPORT)
		return 4;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 5;
	(void)close(fd);
	return 0;
}

static void test_unix_only(void **state)
{
	(void)state;
	assert_int_equal(vr_test_in_child(child_unix_only, NULL), 0);
	assert_int_equal(vr_test_in_child(child_unix_only, "default"), 0);
}

/* A policy with named kills: its program takes a listener, and a killed
 * call waits there, its number readable, until the listener kills it. */
static int child_named_kill(void *arg)
{
	const struct vr_seccomp *s = arg;
	struct seccomp_notif req;
	int listener, st;
	pid_t pid;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	if (vr_seccomp_install(s, &listener) < 0 || listener < 0)
		return 3;
	pid = fork();
	if (pid == 0) {
		(void)syscall(SYS_getppid);
		_exit(0);  /* never: the call waits until killed */
	}
	memset(&req, 0, sizeof(req));
	if (pid < 0 || ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return 4;
	if (req.data.nr != SYS_getppid || (pid_t)req.pid != pid)
		return 5;
	(void)kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		return 6;
	return 0;
}

/* Where it cannot listen, the same policy kills as the kernel does. */
static int child_named_kill_plain(void *arg)
{
	int st;
	pid_t pid;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || vr_seccomp_install(arg, NULL) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		(void)syscall(SYS_getppid);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 2;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? 0 : 3;
}

static void test_named_kills(void **state)
{
	struct vr_sc_rule rule = { .nr = SYS_getppid, .deny = true };
	struct vr_sc_policy p = { .def = VR_SC_ALLOW, .deny = VR_SC_KILL, .rules = &rule, .n_rules = 1,
				  .name_kills = true };
	struct vr_seccomp *s = NULL;
	char *name = vr_seccomp_name(SYS_getppid);
	(void)state;

	assert_string_equal(name, "getppid");
	free(name);
	assert_int_equal(vr_seccomp_compile(&p, &s), 0);
	assert_int_equal(vr_test_in_child(child_named_kill, s), 0);
	assert_int_equal(vr_test_in_child(child_named_kill_plain, s), 0);
	vr_seccomp_free(s);
	/* exit_group denied with kill: an entry whose exec failed would wait
	 * forever for pid 1, which waits for it. */
	rule.nr = SYS_exit_group;
	assert_int_equal(vr_seccomp_compile(&p, &s), -EINVAL);
}

static int child_entry(void *arg)
{
	const char *what = NULL;
	pid_t parent = getppid();
	(void)arg;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	if (vr_harden_apply_entry(NULL, false, &what, NULL) < 0)
		return 2;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
		return 3;
	/* Landlock's signal scope: the test runner is outside the domain */
	if (vr_landlock_abi() >= 6 && ERR(kill(parent, 0)) != EPERM)
		return 4;
	return 0;
}

static void test_apply_entry_defaults(void **state)
{
	(void)state;
	assert_int_equal(vr_harden_prepare(NULL), 0);
	assert_int_equal(vr_test_in_child(child_entry, NULL), 0);
}

static void test_caps_bad(void **state)
{
	struct vr_harden *h;
	(void)state;

	assert_int_equal(vr_harden_new(&h), 0);
	assert_int_equal(vr_harden_caps(NULL), 0);
	/* bit 63: no kernel has that many capabilities */
	assert_int_equal(vr_harden_set_caps(h, 1ULL << 63), -EINVAL);
	assert_int_equal(vr_harden_caps(h), 0);
	assert_int_equal(vr_harden_set_caps(h, 1ULL << 10), 0);
	assert_int_equal(vr_harden_caps(h), 1ULL << 10);
	vr_harden_free(h);
	vr_harden_free(NULL);
}

/* A harden set built the way the Lua binding builds one: the profile's
 * filter copied in, Landlock rules derived from the plan's mounts. Freed
 * whole (ASan's leak check runs on this). */
static void test_harden_set(void **state)
{
	struct vr_sc_rule deny = { .nr = SYS_getppid, .deny = true };
	struct vr_seccomp *s;
	struct vr_harden *h;
	struct vr_plan *p;
	(void)state;

	assert_int_equal(vr_plan_new(&p), 0);
	assert_int_equal(vr_plan_add_mount(p, VR_MNT_BIND, "/usr", "/usr", 0, NULL), 0);
	assert_int_equal(vr_plan_add_mount(p, VR_MNT_BIND, "/tmp", "/data", VR_BIND_RW, NULL), 0);
	assert_int_equal(vr_plan_add_mount(p, VR_MNT_TMPFS, NULL, "/tmp", 0, "mode=0755"), 0);
	assert_int_equal(vr_plan_add_mount(p, VR_MNT_DEV, NULL, "/dev", 0, NULL), 0);
	assert_int_equal(vr_harden_new(&h), 0);
	assert_int_equal(compile_rules(VR_SC_ALLOW, VR_SC_ERRNO, &deny, 1, &s), 0);
	assert_int_equal(vr_harden_set_seccomp(h, s), 0);
	assert_int_equal(vr_harden_set_seccomp(h, s), 0);  /* replaces the copy */
	vr_seccomp_free(s);
	assert_int_equal(vr_harden_landlock_plan(h, p), 0);
	assert_int_equal(vr_harden_landlock_plan(h, p), 0);  /* derived afresh */
	assert_int_equal(vr_harden_prepare(h), 0);
	p->harden = h;  /* the plan owns it */
	vr_plan_free(p);
}

/* What voidrun enter rebuilds from a void's grants: the programs, in
 * order, hold a command as the entry is held (the policy's kills the
 * kernel's), and the Landlock rules restrict as the plan's do. */
static int child_entry_progs(void *arg)
{
	const struct vr_harden *h = arg;
	const void *insns;
	size_t len;
	int st;
	pid_t pid;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	for (size_t i = 0; (insns = vr_harden_entry_prog(h, i, &len)); i++) {
		struct sock_fprog prog = { .len = (unsigned short)len, .filter = (struct sock_filter *)insns };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			return 2;
	}
	pid = fork();
	if (pid == 0) {
		(void)syscall(SYS_getppid);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 3;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? 0 : 4;
}

static int child_enter_landlock(void *arg)
{
	const char *what = NULL;
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || vr_harden_apply_landlock(arg, &what) < 0)
		return 1;
	/* read below "/", and nothing else: no new file anywhere */
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 2;
	(void)close(fd);
	fd = open("/tmp/voidrun-test-landlock", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)close(fd);
		(void)unlink("/tmp/voidrun-test-landlock");
		return 3;
	}
	return errno == EACCES ? 0 : 4;
}

static void test_enter_grants(void **state)
{
	struct vr_sc_rule rule = { .nr = SYS_getppid, .deny = true };
	struct vr_sc_policy p = { .def = VR_SC_ALLOW, .deny = VR_SC_KILL, .rules = &rule, .n_rules = 1,
				  .name_kills = true };
	const struct vr_seccomp *def;
	struct vr_seccomp *s = NULL;
	struct vr_harden *h, *e;
	const char *path;
	uint64_t access;
	size_t len, n = 0;
	(void)state;

	/* without a harden: the default filter alone */
	assert_int_equal(vr_seccomp_default(false, &def), 0);
	assert_ptr_equal(vr_harden_entry_prog(NULL, 0, &len), vr_seccomp_prog(def, 0, &len));
	assert_null(vr_harden_entry_prog(NULL, 1, &len));
	/* with a policy whose kills are named: the default without them,
	 * then the policy's plain form */
	assert_int_equal(vr_harden_new(&h), 0);
	assert_int_equal(vr_seccomp_compile(&p, &s), 0);
	assert_int_equal(vr_harden_set_seccomp(h, s), 0);
	vr_seccomp_free(s);
	while (vr_harden_entry_prog(h, n, &len))
		n++;
	assert_true(n >= 2);
	assert_int_equal(vr_test_in_child(child_entry_progs, h), 0);
	vr_harden_free(h);

	/* Landlock rules: checked, read back, applied */
	assert_int_equal(vr_harden_new(&e), 0);
	assert_int_equal(vr_harden_add_landlock_rule(e, "tmp", 1), -EINVAL);
	assert_int_equal(vr_harden_add_landlock_rule(e, NULL, 1), -EINVAL);
	assert_int_equal(vr_harden_add_landlock_rule(e, "/", 1ULL << 40), -EINVAL);
	assert_int_equal(vr_harden_landlock_rule(e, 0, &path, &access), -ENOENT);
	assert_int_equal(vr_harden_add_landlock_rule(e, "/", 13), 0);
	assert_int_equal(vr_harden_landlock_rule(e, 0, &path, &access), 0);
	assert_string_equal(path, "/");
	assert_int_equal(access, 13);
	assert_int_equal(vr_harden_landlock_rule(e, 1, &path, &access), -ENOENT);
	if (vr_landlock_abi() >= 2)
		assert_int_equal(vr_test_in_child(child_enter_landlock, e), 0);
	vr_harden_free(e);
	if (vr_landlock_abi() < 2)
		VR_SKIP("Landlock file-system rules need ABI 2 (have %d)", vr_landlock_abi());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_bad_policies),
		cmocka_unit_test(test_default_names_resolve),
		cmocka_unit_test(test_default_matches_source),
		cmocka_unit_test(test_default_filter),
		cmocka_unit_test(test_deny_errno),
		cmocka_unit_test(test_kill_policy),
		cmocka_unit_test(test_deny_with_args),
		cmocka_unit_test(test_masked_condition),
#ifdef __x86_64__
		cmocka_unit_test(test_foreign_abi_killed),
#endif
		cmocka_unit_test(test_landlock_abi),
		cmocka_unit_test(test_apply_entry_defaults),
		cmocka_unit_test(test_named_kills),
		cmocka_unit_test(test_unix_only),
		cmocka_unit_test(test_caps_bad),
		cmocka_unit_test(test_harden_set),
		cmocka_unit_test(test_enter_grants),
	};

	return vr_test_run(tests);
}
