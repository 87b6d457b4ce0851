/* SPDX-License-Identifier: MIT */
/* The void: plan validation first, then whole voids run from host binaries
 * bound into an empty root (dash as /bin/sh, true, sleep, and the libc and
 * loader they need). Every test ends with no child process left and as many
 * fds open as it began with: the teardown checks both, after releasing
 * whatever a failed test left, so one failure does not cascade. */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone.h"
#include "fd.h"
#include "void.h"

/* What the voids run, and where it sits in them. */
static const struct {
	const char *host;
	const char *dst;
} host_files[] = {
	{ "/usr/bin/dash", "/bin/sh" },
	{ "/usr/bin/true", "/bin/true" },
	{ "/usr/bin/sleep", "/bin/sleep" },
	{ "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6" },
	{ "/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2" },
};



/* ---- fixture ------------------------------------------------------------ */

struct vstate {
	int fds_before;
	struct vr_plan *plan;
	struct vr_void v;
	int fds[4];  /* fds of the test's own, closed by the teardown */
	sigset_t mask;
	char tmp[PATH_MAX]; /* a host directory of the test's, or "" */
};

static int setup(void **state)
{
	struct vstate *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->v = (struct vr_void){ .pid = -1, .pidfd = -1, .status_fd = -1, .sync_fd = -1 };
	for (size_t i = 0; i < 4; i++)
		s->fds[i] = -1;
	(void)sigprocmask(SIG_SETMASK, NULL, &s->mask);
	s->fds_before = vr_test_count_fds();
	*state = s;
	return s->fds_before < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct vstate *s = *state;
	int r = 0, left, after;

	/* Whatever a failed test left running. */
	if (s->v.pidfd >= 0) {
		siginfo_t si;
		(void)syscall(SYS_pidfd_send_signal, s->v.pidfd, SIGKILL, NULL, 0);
		(void)waitid(P_PIDFD, (id_t)s->v.pidfd, &si, WEXITED);
	}
	vr_void_release(&s->v);
	vr_plan_free(s->plan);
	for (size_t i = 0; i < 4; i++)
		if (s->fds[i] >= 0)
			(void)close(s->fds[i]);
	(void)sigprocmask(SIG_SETMASK, &s->mask, NULL);
	if (s->tmp[0] && vr_test_rmtree(s->tmp) < 0) {
		fprintf(stderr, "teardown: removing %s: %s\n", s->tmp, strerror(errno));
		r = -1;
	}

	left = vr_test_kill_leftovers();
	if (left) {
		fprintf(stderr, "teardown: %d child process(es) left behind\n", left);
		r = -1;
	}
	after = vr_test_count_fds();
	if (after != s->fds_before) {
		fprintf(stderr, "teardown: %d fds open before the test, %d after\n", s->fds_before, after);
		r = -1;
	}
	free(s);
	return r;
}

/* ---- helpers ------------------------------------------------------------ */

/* A plan with the host binaries bound in; skips loudly when a void cannot
 * be had here. */
#define new_plan(s) new_plan_(s, __func__)
static struct vr_plan *new_plan_(struct vstate *s, const char *test)
{
	if (!vr_test_can_userns())
		VR_SKIP("%s: a void needs a user namespace, not available to this user", test);
	for (size_t i = 0; i < sizeof(host_files) / sizeof(host_files[0]); i++)
		if (access(host_files[i].host, R_OK) < 0)
			VR_SKIP("%s: the host has no %s to bind into the void (%s)", test, host_files[i].host,
				strerror(errno));
	assert_int_equal(vr_plan_new(&s->plan), 0);
	for (size_t i = 0; i < sizeof(host_files) / sizeof(host_files[0]); i++)
		assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, host_files[i].host, host_files[i].dst, 0, NULL), 0);
	return s->plan;
}

/* An argv array and its length, as vr_plan_set_exec takes them. */
#define ARGV(...) ((const char *const[]){ __VA_ARGS__ }), sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

static void set_exec(struct vr_plan *p, const char *path, const char *const *argv, size_t n)
{
	assert_int_equal(vr_plan_set_exec(p, path, argv, n), 0);
}

static void sh_c(struct vr_plan *p, const char *script)
{
	set_exec(p, "/bin/sh", ARGV("sh", "-c", script));
}

static void spawn(struct vstate *s)
{
	struct vr_err err;
	char msg[4096];
	int r;

	memset(&err, 0, sizeof(err));
	r = vr_void_spawn(s->plan, &s->v, &err);
	if ((r == -EPERM || r == -ENOSPC || r == -EUSERS) && err.step == VR_STEP_CLONE)
		VR_SKIP("the kernel refused the void's namespaces: %s", vr_err_format(&err, msg, sizeof(msg)));
	if (r < 0)
		fail_msg("vr_void_spawn: %s", vr_err_format(&err, msg, sizeof(msg)));
	assert_true(s->v.pid > 0);
	assert_true(s->v.pidfd >= 0);
}

/* Spawn and wait. Returns vr_void_wait's result; fails the test on -errno. */
static int run(struct vstate *s, int sigfd, int *status, struct vr_err *err)
{
	int r;

	spawn(s);
	memset(err, 0, sizeof(*err));
	r = vr_void_wait(&s->v, sigfd, status, err);
	assert_true(r == 0 || r == 1);
	/* Released: nothing left to signal. */
	assert_int_equal(s->v.pidfd, -1);
	assert_int_equal(s->v.status_fd, -1);
	assert_int_equal(s->v.sync_fd, -1);
	assert_int_equal(vr_void_kill(&s->v, SIGKILL), -ESRCH);
	return r;
}

/* Run the plan; it must end with the entry's exit status code. */
static void expect_exit(struct vstate *s, int code)
{
	struct vr_err err;
	char msg[4096];
	int st = -1;

	if (run(s, -1, &st, &err) != 0)
		fail_msg("the void could not be built: %s", vr_err_format(&err, msg, sizeof(msg)));
	if (!WIFEXITED(st))
		fail_msg("the entry did not exit (wait status %#x)", st);
	assert_int_equal(WEXITSTATUS(st), code);
}

/* ---- plan validation ---------------------------------------------------- */

static void test_plan_set_exec_invalid(void **state)
{
	struct vstate *s = *state;
	struct vr_plan *p;

	assert_int_equal(vr_plan_new(&s->plan), 0);
	p = s->plan;
	assert_int_equal(vr_plan_set_exec(p, "/bin/true", (const char *const[]){ "true" }, 0), -EINVAL);
	assert_null(p->path);
	assert_int_equal(p->n_argv, 0);
	set_exec(p, "/bin/true", ARGV("true"));
	assert_int_equal(vr_plan_set_exec(p, "/bin/sh", (const char *const[]){ "sh" }, 0), -EINVAL);
	assert_int_equal(vr_plan_set_exec(p, "bin/true", ARGV("true")), -EINVAL);
	assert_int_equal(vr_plan_set_exec(p, "./true", ARGV("true")), -EINVAL);
	assert_int_equal(vr_plan_set_exec(p, "", ARGV("true")), -EINVAL);
	assert_int_equal(vr_plan_set_exec(p, NULL, ARGV("true")), -EINVAL);
	/* The failures changed nothing; the success before them is kept. */
	assert_string_equal(p->path, "/bin/true");
	assert_int_equal(p->n_argv, 1);

	set_exec(p, "/bin/sh", ARGV("sh", "-c", "exit 0"));
	assert_string_equal(p->path, "/bin/sh");
	assert_int_equal(p->n_argv, 3);
	assert_string_equal(p->argv[2], "exit 0");
	assert_null(p->argv[3]);
}

static void test_plan_add_mount_invalid(void **state)
{
	static const char *const bad_dst[] = {
		"bin/true", "", "./x", "/a/../b", "/..", "/a/..", "/a/.", "/./a", "/a/./b", "/.", "..", "/a/../",
	};
	static const char *const good_dst[] = { "/a/..b", "/...", "/.hidden", "/a//b/", "/" };
	struct vstate *s = *state;
	char long_dst[PATH_MAX + 2];

	assert_int_equal(vr_plan_new(&s->plan), 0);
	for (size_t i = 0; i < sizeof(bad_dst) / sizeof(bad_dst[0]); i++) {
		assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, "/usr", bad_dst[i], 0, NULL), -EINVAL);
		assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_TMPFS, NULL, bad_dst[i], 0, NULL), -EINVAL);
	}
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_TMPFS, NULL, NULL, 0, NULL), -EINVAL);
	memset(long_dst, 'a', sizeof(long_dst) - 1);
	long_dst[0] = '/';
	long_dst[sizeof(long_dst) - 1] = '\0';
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_TMPFS, NULL, long_dst, 0, NULL), -EINVAL);
	/* Unknown kinds; a bind or symlink with no source. */
	assert_int_equal(vr_plan_add_mount(s->plan, 0, "/usr", "/usr", 0, NULL), -EINVAL);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_SYMLINK + 1, "/usr", "/usr", 0, NULL), -EINVAL);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, NULL, "/usr", 0, NULL), -EINVAL);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, "", "/usr", 0, NULL), -EINVAL);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_SYMLINK, NULL, "/l", 0, NULL), -EINVAL);
	assert_int_equal(s->plan->n_mounts, 0);

	/* Dots inside a name are no "." or ".." component. */
	for (size_t i = 0; i < sizeof(good_dst) / sizeof(good_dst[0]); i++)
		assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_DIR, NULL, good_dst[i], 0, NULL), 0);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_TMPFS, NULL, "/tmp", 0, "size=1m"), 0);
	assert_int_equal(s->plan->n_mounts, sizeof(good_dst) / sizeof(good_dst[0]) + 1);
	assert_string_equal(s->plan->mounts[s->plan->n_mounts - 1].data, "size=1m");
}

static void test_plan_add_fd_invalid(void **state)
{
	struct vstate *s = *state;

	assert_int_equal(vr_plan_new(&s->plan), 0);
	assert_int_equal(vr_plan_add_fd(s->plan, 1, 1024), -EINVAL);
	assert_int_equal(vr_plan_add_fd(s->plan, 1, INT_MAX), -EINVAL);
	assert_int_equal(vr_plan_add_fd(s->plan, 1, -1), -EINVAL);
	assert_int_equal(vr_plan_add_fd(s->plan, -1, 3), -EINVAL);
	assert_int_equal(s->plan->n_fds, 0);
	assert_int_equal(vr_plan_add_fd(s->plan, 1, 1023), 0);
	assert_int_equal(vr_plan_add_fd(s->plan, 2, 0), 0);
	assert_int_equal(vr_plan_add_fd(s->plan, 1, 1023), -EINVAL); /* placed twice */
	assert_int_equal(vr_plan_add_fd(s->plan, 2, 1023), -EINVAL); /* by another src too */
	assert_int_equal(vr_plan_add_fd(s->plan, 1, 5), 0);           /* one src, two places: fine */
	assert_int_equal(s->plan->n_fds, 3);
}

static void test_plan_add_env_invalid(void **state)
{
	struct vstate *s = *state;

	assert_int_equal(vr_plan_new(&s->plan), 0);
	assert_int_equal(s->plan->n_envp, 0);
	assert_null(s->plan->envp[0]); /* empty by default */
	assert_int_equal(vr_plan_add_env(s->plan, "NOEQUALS"), -EINVAL);
	assert_int_equal(vr_plan_add_env(s->plan, ""), -EINVAL);
	assert_int_equal(vr_plan_add_env(s->plan, "=value"), -EINVAL);
	assert_int_equal(s->plan->n_envp, 0);
	assert_int_equal(vr_plan_add_env(s->plan, "EMPTY="), 0);
	assert_int_equal(vr_plan_add_env(s->plan, "K=a=b"), 0);
	assert_int_equal(s->plan->n_envp, 2);
	assert_string_equal(s->plan->envp[0], "EMPTY=");
	assert_string_equal(s->plan->envp[1], "K=a=b");
	assert_null(s->plan->envp[2]);
}

static void test_plan_defaults(void **state)
{
	struct vstate *s = *state;

	vr_plan_free(NULL);
	assert_int_equal(vr_plan_new(&s->plan), 0);
	assert_int_equal(s->plan->ns_flags, VR_CLONE_ALL_NS);
	assert_int_equal(s->plan->uid, 0);
	assert_int_equal(s->plan->gid, 0);
	assert_string_equal(s->plan->hostname, "void");
	assert_string_equal(s->plan->cwd, "/");
	assert_null(s->plan->path);
	assert_int_equal(s->plan->n_mounts, 0);
	assert_int_equal(s->plan->n_fds, 0);
	assert_true(s->plan->devnull >= 0);
	assert_true(fcntl(s->plan->devnull, F_GETFD) & FD_CLOEXEC);
}

/* Spawning a plan with nothing to run: refused before any clone. */
static void test_spawn_without_exec(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;

	assert_int_equal(vr_plan_new(&s->plan), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vr_void_spawn(s->plan, &s->v, &err), -EINVAL);
	assert_int_equal(err.step, VR_STEP_EXEC);
	assert_int_equal(err.err, EINVAL);
	assert_int_equal(s->v.pid, -1);
	assert_int_equal(s->v.pidfd, -1);
}

/* ---- voids that cannot be built ----------------------------------------- */

static void test_bind_missing_source(void **state)
{
	static const char missing[] = "/nonexistent-vr-test/missing";
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, missing, "/data", 0, NULL), 0);
	set_exec(s->plan, "/bin/true", ARGV("true"));
	assert_int_equal(run(s, -1, &st, &err), 1);
	assert_int_equal(err.step, VR_STEP_BIND);
	assert_int_equal(err.err, ENOENT);
	assert_string_equal(err.path, missing);
	assert_string_equal(err.path2, "/data");
}

static void test_exec_missing(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	set_exec(s->plan, "/bin/nothing", ARGV("nothing"));
	assert_int_equal(run(s, -1, &st, &err), 1);
	assert_int_equal(err.step, VR_STEP_EXEC);
	assert_int_equal(err.err, ENOENT);
	assert_string_equal(err.path, "/bin/nothing");
}

/* The entry is found but may not run: a directory. */
static void test_exec_not_a_file(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	set_exec(s->plan, "/bin", ARGV("bin"));
	assert_int_equal(run(s, -1, &st, &err), 1);
	assert_int_equal(err.step, VR_STEP_EXEC);
	assert_int_equal(err.err, EACCES);
	assert_string_equal(err.path, "/bin");
}

static void test_chdir_missing(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	set_exec(s->plan, "/bin/true", ARGV("true"));
	assert_int_equal(vr_plan_set_string(&s->plan->cwd, "/nowhere"), 0);
	assert_int_equal(run(s, -1, &st, &err), 1);
	assert_int_equal(err.step, VR_STEP_CHDIR);
	assert_int_equal(err.err, ENOENT);
	assert_string_equal(err.path, "/nowhere");
}

/* ---- voids that run ------------------------------------------------------ */

static void test_run_true(void **state)
{
	struct vstate *s = *state;

	new_plan(s);
	set_exec(s->plan, "/bin/true", ARGV("true"));
	expect_exit(s, 0);
}

static void test_exit_code(void **state)
{
	struct vstate *s = *state;

	new_plan(s);
	sh_c(s->plan, "exit 7");
	expect_exit(s, 7);
}

/* pid 1 is the void's init: the entry is pid 2, its child, with only the
 * environment planned, in "/", seeing only what was bound. */
static void test_entry_surroundings(void **state)
{
	struct vstate *s = *state;

	new_plan(s);
	sh_c(s->plan, "test $$ = 2 || exit 10; test $PPID = 1 || exit 11; "
		      "test -z \"$HOME\" || exit 12; test \"$PWD\" = / || exit 13; "
		      "test \"$K\" = v || exit 14; test -e /tmp && exit 15; "
		      "test -x /bin/true || exit 16; exit 0");
	assert_int_equal(vr_plan_add_env(s->plan, "K=v"), 0);
	expect_exit(s, 0);
}

/* The entry's real wait status: killed by a signal, not "exit 137". */
static void test_killed(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	sh_c(s->plan, "kill -9 $$");
	assert_int_equal(run(s, -1, &st, &err), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

/* As root a void's pid 1 runs in voidrun's own memory (core/void.c,
 * spawn_vm): the plan may be freed the moment it was spawned (the void
 * holds it), and the void's change of ids (to 1000 here) is its own, not
 * that of voidrun or of any of voidrun's threads. */
static void test_plan_freed_ids_kept(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	char msg[4096];
	int st = -1;

	uid_t r0, e0, s0, r, e, saved;

	assert_int_equal(getresuid(&r0, &e0, &s0), 0);
	new_plan(s);
	s->plan->uid = s->plan->gid = 1000;
	set_exec(s->plan, "/bin/true", ARGV("true"));
	spawn(s);
	vr_plan_free(s->plan);
	s->plan = NULL;
	if (vr_void_wait(&s->v, -1, &st, &err) != 0)
		fail_msg("the void could not be built: %s", vr_err_format(&err, msg, sizeof(msg)));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(getresuid(&r, &e, &saved), 0);
	assert_int_equal(r, r0);
	assert_int_equal(e, e0);
	assert_int_equal(saved, s0);
}

static void test_ready_good(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	sh_c(s->plan, "exit 3");
	spawn(s);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vr_void_ready(&s->v, &err), 0);
	assert_int_equal(vr_void_ready(&s->v, &err), 0); /* once ready, ready */
	assert_int_equal(err.step, VR_STEP_NONE);
	assert_int_equal(vr_void_wait(&s->v, -1, &st, &err), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
}

static void test_ready_bad(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	set_exec(s->plan, "/bin/nothing", ARGV("nothing"));
	spawn(s);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vr_void_ready(&s->v, &err), 1);
	assert_int_equal(err.step, VR_STEP_EXEC);
	assert_int_equal(err.err, ENOENT);
	assert_string_equal(err.path, "/bin/nothing");
	/* The void is ending: wait reaps it, and still says it could not be
	 * built (the entry never ran: there is no status of its to give). */
	memset(&err, 0, sizeof(err));
	assert_int_equal(vr_void_wait(&s->v, -1, &st, &err), 1);
	assert_int_equal(err.step, VR_STEP_EXEC);
	assert_int_equal(err.err, ENOENT);
}

static void test_kill_term(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	sh_c(s->plan, "sleep 100");
	spawn(s);
	assert_int_equal(vr_void_ready(&s->v, &err), 0);
	assert_int_equal(vr_void_kill(&s->v, SIGTERM), 0);
	assert_int_equal(vr_void_wait(&s->v, -1, &st, &err), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	assert_int_equal(vr_void_kill(&s->v, SIGTERM), -ESRCH);
}

/* A signal read from the caller's signalfd reaches the entry. */
static void test_wait_forwards_signals(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	sigset_t set;
	int st = -1;

	new_plan(s);
	sh_c(s->plan, "sleep 100");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, NULL), 0); /* the teardown restores */
	s->fds[0] = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	assert_true(s->fds[0] >= 0);
	spawn(s);
	assert_int_equal(vr_void_ready(&s->v, &err), 0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0); /* pending, so the signalfd is readable */
	assert_int_equal(vr_void_wait(&s->v, s->fds[0], &st, &err), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGUSR1);
}

/* SIGKILL to pid 1 ends the whole void at once; what is left of the entry
 * goes with it. */
static void test_kill_pid1(void **state)
{
	struct vstate *s = *state;
	struct vr_err err;
	int st = -1;

	new_plan(s);
	sh_c(s->plan, "sleep 100");
	spawn(s);
	assert_int_equal(vr_void_ready(&s->v, &err), 0);
	assert_int_equal(vr_void_kill(&s->v, SIGKILL), 0);
	assert_int_equal(vr_void_wait(&s->v, -1, &st, &err), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

/* An fd placed at 5 is open in the void; 4 is not, nor an fd the test
 * holds without close-on-exec. */
static void test_fd_placed(void **state)
{
	struct vstate *s = *state;
	char leak[2] = "", buf[16];
	int p[2], fd = -1;
	ssize_t n;

	new_plan(s);
	/* A free fd number from 6 to 9 (dash knows no more), not close-on-exec. */
	for (int i = 6; i <= 9 && fd < 0; i++)
		if (!vr_fd_is_open(i))
			fd = i;
	if (fd < 0)
		VR_SKIP("fds 6 to 9 are all taken in this test process");
	assert_int_equal(dup2(s->plan->devnull, fd), fd);
	s->fds[0] = fd;
	assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	leak[0] = (char)('0' + fd);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s->fds[1] = p[0];
	s->fds[2] = p[1];
	assert_int_equal(vr_plan_add_fd(s->plan, p[1], 5), 0);
	set_exec(s->plan, "/bin/sh",
		 ARGV("sh", "-c",
		      "echo five >&5 || exit 3; "
		      "if { true >&4; } 2>&-; then exit 4; fi; "
		      "if { true >&\"$1\"; } 2>&-; then exit 6; fi; exit 0",
		      "sh", leak));
	expect_exit(s, 0);

	/* Only the void had the write end besides us: close ours, read all. */
	assert_int_equal(close(p[1]), 0);
	s->fds[2] = -1;
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_int_equal(n, 5);
	buf[n] = '\0';
	assert_string_equal(buf, "five\n");
	assert_int_equal(read(p[0], buf, 1), 0);
}

/* Placed fds may overlap: src 5 -> 6 and src 6 -> 5 swap, and a source
 * sitting where another one goes is not overwritten first. */
static void test_fd_swap(void **state)
{
	struct vstate *s = *state;
	int a[2], b[2];
	char buf[8];

	new_plan(s);
	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	s->fds[0] = a[0];
	s->fds[1] = a[1];
	s->fds[2] = b[0];
	s->fds[3] = b[1];
	/* a's write end goes to 6 and b's to 5, whatever numbers they have. */
	assert_int_equal(vr_plan_add_fd(s->plan, a[1], 6), 0);
	assert_int_equal(vr_plan_add_fd(s->plan, b[1], 5), 0);
	sh_c(s->plan, "echo a >&6 && echo b >&5");
	expect_exit(s, 0);
	assert_int_equal(close(a[1]), 0);
	assert_int_equal(close(b[1]), 0);
	s->fds[1] = s->fds[3] = -1;
	assert_int_equal(read(a[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "a\n", 2);
	assert_int_equal(read(b[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "b\n", 2);
}

/* /dev and /proc as planned: device nodes that work, the void's own
 * procfs showing the fds placed and no other, its hostname; the root, /dev
 * and default binds read-only. */
static void test_dev_and_proc(void **state)
{
	struct vstate *s = *state;

	new_plan(s);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_DEV, NULL, "/dev", 0, NULL), 0);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_PROC, NULL, "/proc", 0, NULL), 0);
	assert_int_equal(vr_plan_add_fd(s->plan, s->plan->devnull, 5), 0);
	sh_c(s->plan, "test -c /dev/null || exit 10; echo x >/dev/null || exit 11; "
		      "test -e /proc/self/fd/5 || exit 12; test -e /proc/self/fd/4 && exit 13; "
		      "test -e /proc/self/fd/6 && exit 14; test -e /proc/1 || exit 15; "
		      "test -e /proc/3 && exit 16; "
		      "read h </proc/sys/kernel/hostname; test \"$h\" = void || exit 17; "
		      "if { true >/dev/new; } 2>&-; then exit 18; fi; "
		      "if { true >/new; } 2>&-; then exit 19; fi; "
		      "if { true >/bin/true; } 2>&-; then exit 20; fi; exit 0");
	expect_exit(s, 0);
}

/* A read-write bind writes through to the host; the default one refuses. */
static void test_bind_rw(void **state)
{
	struct vstate *s = *state;
	char tmpl[] = "/tmp/vr-test-void-XXXXXX", path[PATH_MAX + 8];

	new_plan(s);
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, s->tmp));
	/* As root the void is nobody on the host. */
	assert_int_equal(chmod(s->tmp, 0777), 0);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, s->tmp, "/rw", VR_BIND_RW, NULL), 0);
	assert_int_equal(vr_plan_add_mount(s->plan, VR_MNT_BIND, s->tmp, "/ro", 0, NULL), 0);
	sh_c(s->plan, "echo through >/rw/f || exit 10; read x </ro/f; test \"$x\" = through || exit 11; "
		      "if { true >/ro/g; } 2>&-; then exit 12; fi; exit 0");
	expect_exit(s, 0);
	(void)snprintf(path, sizeof(path), "%s/f", s->tmp);
	assert_int_equal(access(path, F_OK), 0);
	(void)snprintf(path, sizeof(path), "%s/g", s->tmp);
	assert_int_equal(access(path, F_OK), -1);
}

/* Run /bin/true with the caller's stdout and stderr closed: the void must
 * still be built (they stay closed in it). Exit codes say what failed. */
static int closed_stdio(void *arg)
{
	struct vr_plan *p = NULL;
	struct vr_void v;
	struct vr_err err;
	int st = -1, r;

	(void)arg;
	(void)close(STDOUT_FILENO);
	(void)close(STDERR_FILENO);
	if (vr_plan_new(&p) < 0)
		return 10;
	for (size_t i = 0; i < sizeof(host_files) / sizeof(host_files[0]); i++)
		if (vr_plan_add_mount(p, VR_MNT_BIND, host_files[i].host, host_files[i].dst, 0, NULL) < 0)
			return 11;
	if (vr_plan_set_exec(p, "/bin/true", (const char *const[]){ "true" }, 1) < 0)
		return 12;
	if (vr_void_spawn(p, &v, &err) < 0)
		return 13;
	r = vr_void_wait(&v, -1, &st, &err);
	vr_plan_free(p);
	if (r == 1)
		return 20 + err.step;  /* the step that failed, offset by 20 */
	if (r < 0)
		return 14;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 15;
}

static void test_closed_stdio(void **state)
{
	struct vstate *s = *state;
	int r;

	new_plan(s); /* for the skips only */
	r = vr_test_in_child(closed_stdio, NULL);
	if (r >= 20 && r < 20 + VR_STEP_MAX)
		fail_msg("with stdout and stderr closed, the void failed at step \"%s\"", vr_step_name(r - 20));
	assert_int_equal(r, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_plan_set_exec_invalid),
		T(test_plan_add_mount_invalid),
		T(test_plan_add_fd_invalid),
		T(test_plan_add_env_invalid),
		T(test_plan_defaults),
		T(test_spawn_without_exec),
		T(test_bind_missing_source),
		T(test_exec_missing),
		T(test_exec_not_a_file),
		T(test_chdir_missing),
		T(test_run_true),
		T(test_exit_code),
		T(test_entry_surroundings),
		T(test_killed),
		T(test_plan_freed_ids_kept),
		T(test_ready_good),
		T(test_ready_bad),
		T(test_kill_term),
		T(test_wait_forwards_signals),
		T(test_kill_pid1),
		T(test_fd_placed),
		T(test_fd_swap),
		T(test_dev_and_proc),
		T(test_bind_rw),
		T(test_closed_stdio),
	};
#undef T

	return vr_test_run(tests);
}
