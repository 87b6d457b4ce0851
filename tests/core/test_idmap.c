/* SPDX-License-Identifier: MIT */
/* vr_idmap_format and vr_idmap_write, against the kernel's rules for
 * uid_map, gid_map and setgroups (user_namespaces(7)): one write per map,
 * only one's own id unless privileged, setgroups denied before an
 * unprivileged gid map. Each namespace is a child that waits on a pipe
 * until the test has written its maps, then checks them from inside. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone.h"
#include "idmap.h"

/* ---- fixture: the namespace child of a test ----------------------------- */

struct ns {
	pid_t pid;  /* a child in a new user namespace, or -1 */
	int ctl;    /* write end of the pipe it waits on, or -1 */
};

static int setup(void **state)
{
	struct ns *n = calloc(1, sizeof(*n));

	if (!n)
		return -1;
	n->pid = -1;
	n->ctl = -1;
	*state = n;
	return 0;
}

static int teardown(void **state)
{
	struct ns *n = *state;
	int r = 0;

	if (n->ctl >= 0)
		(void)close(n->ctl);
	if (n->pid > 0) {
		/* The test failed before it reaped its child. */
		(void)kill(n->pid, SIGKILL);
		(void)waitpid(n->pid, NULL, 0);
	}
	if (waitpid(-1, NULL, WNOHANG | __WALL) != -1 || errno != ECHILD) {
		fprintf(stderr, "teardown: a child process was left behind\n");
		r = -1;
	}
	free(n);
	return r;
}

static ssize_t read_byte(int fd, char *c)
{
	ssize_t r;

	do
		r = read(fd, c, 1);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Start a child in a new user namespace. It waits until ns_go, then exits
 * with after() (0 when after is NULL). Returns 0 or -errno. No cmocka
 * asserts here: this also runs in a forked child of the test. */
static int ns_spawn(struct ns *n, int (*after)(void))
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = vr_clone3(&(struct vr_clone_opts){ .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD, .cgroup_fd = -1 });
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		(void)close(p[1]);
		if (read_byte(p[0], &c) != 1)
			_exit(100);
		_exit(after ? after() : 0);
	}
	(void)close(p[0]);
	if (pid < 0) {
		(void)close(p[1]);
		return pid;
	}
	n->pid = pid;
	n->ctl = p[1];
	return 0;
}

/* Let the child run its checks and exit. Returns 0 or -errno. */
static int ns_go(struct ns *n)
{
	ssize_t w = write(n->ctl, "g", 1);

	(void)close(n->ctl);
	n->ctl = -1;
	return w == 1 ? 0 : -EIO;
}

/* Reap the child: its exit code, 128+signal, or -1. */
static int ns_reap(struct ns *n)
{
	int st;

	if (waitpid(n->pid, &st, 0) != n->pid)
		return -1;
	n->pid = -1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static int ns_finish(struct ns *n)
{
	return ns_go(n) < 0 ? -1 : ns_reap(n);
}

/* The contents of /proc/PID/NAME, whitespace runs squeezed to one space. */
static void read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64], raw[512];
	size_t len, o = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	f = fopen(path, "re");
	assert_non_null(f);
	len = fread(raw, 1, sizeof(raw) - 1, f);
	(void)fclose(f);
	raw[len] = '\0';
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		bool space = raw[i] == ' ' || raw[i] == '\t';
		if (space && (o == 0 || buf[o - 1] == ' ' || buf[o - 1] == '\n'))
			continue;
		buf[o++] = space ? ' ' : raw[i];
	}
	buf[o] = '\0';
}

#define NEED_USERNS()                                                                   \
	do {                                                                            \
		if (!vr_test_can_userns())                                              \
			VR_SKIP("%s: user namespaces are not available to this user", __func__); \
	} while (0)

/* ---- vr_idmap_format ---------------------------------------------------- */

static void test_format_too_small(void **state)
{
	const struct vr_idmap m[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
	char buf[64];

	(void)state;
	assert_int_equal(vr_idmap_format(m, 1, buf, 0), -ENOSPC);
	assert_int_equal(vr_idmap_format(NULL, 0, buf, 0), -ENOSPC);
	/* "0 1000 1\n" is 9 bytes: it needs 10 with the NUL. */
	assert_int_equal(vr_idmap_format(m, 1, buf, 9), -ENOSPC);
	assert_int_equal(vr_idmap_format(m, 1, buf, 1), -ENOSPC);
	/* The first line fits, the second does not. */
	assert_int_equal(vr_idmap_format(m, 2, buf, 12), -ENOSPC);
}

static void test_format_text(void **state)
{
	const struct vr_idmap m[] = { { 0, 1000, 1 }, { 1, 100000, 65536 }, { UINT_MAX - 1, 0, 1 } };
	char buf[128];

	(void)state;
	assert_int_equal(vr_idmap_format(m, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(vr_idmap_format(m, 1, buf, 10), 9); /* exactly enough */
	assert_string_equal(buf, "0 1000 1\n");
	assert_int_equal(vr_idmap_format(m, 3, buf, sizeof(buf)), 39);
	assert_string_equal(buf, "0 1000 1\n1 100000 65536\n4294967294 0 1\n");
	assert_int_equal(strlen(buf), 39);
}

/* ---- vr_idmap_write: failure paths -------------------------------------- */

static void test_write_gone_pid(void **state)
{
	const struct vr_idmap u = { 0, (unsigned)geteuid(), 1 };
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(vr_idmap_write(pid, &u, 1, NULL, 0, false), -ESRCH);
	assert_int_equal(vr_idmap_write(pid, NULL, 0, NULL, 0, true), -ESRCH);
}

/* The kernel takes one write per map; the second is refused. */
static void test_write_twice(void **state)
{
	struct ns *n = *state;
	const struct vr_idmap u = { 0, (unsigned)geteuid(), 1 }, g = { 0, (unsigned)getegid(), 1 };
	bool deny = !vr_test_is_root();

	NEED_USERNS();
	assert_int_equal(ns_spawn(n, NULL), 0);
	assert_int_equal(vr_idmap_write(n->pid, &u, 1, NULL, 0, false), 0);
	assert_int_equal(vr_idmap_write(n->pid, &u, 1, NULL, 0, false), -EPERM);
	/* The gid map is still unwritten: it takes its one write too. */
	assert_int_equal(vr_idmap_write(n->pid, NULL, 0, &g, 1, deny), 0);
	assert_int_equal(vr_idmap_write(n->pid, NULL, 0, &g, 1, deny), -EPERM);
	assert_int_equal(ns_finish(n), 0);
}

/* A refused map is not written at all: the one write is still there. */
static void test_write_malformed(void **state)
{
	struct ns *n = *state;
	const struct vr_idmap u = { 0, (unsigned)geteuid(), 1 };
	const struct vr_idmap overlap[] = { { 0, (unsigned)geteuid(), 1 }, { 0, (unsigned)geteuid(), 1 } };
	const struct vr_idmap empty = { 0, (unsigned)geteuid(), 0 };
	char buf[128];

	NEED_USERNS();
	assert_int_equal(ns_spawn(n, NULL), 0);
	assert_int_equal(vr_idmap_write(n->pid, overlap, 2, NULL, 0, false), -EINVAL);
	assert_int_equal(vr_idmap_write(n->pid, &empty, 1, NULL, 0, false), -EINVAL);
	read_proc(n->pid, "uid_map", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(vr_idmap_write(n->pid, &u, 1, NULL, 0, false), 0);
	assert_int_equal(ns_finish(n), 0);
}

/* Dropped to an unprivileged uid: mapping another uid (root) is refused
 * with -EPERM, a gid map without "deny" too; one's own ids with deny work.
 * Runs as root too, in a child that gives root up first. */
static int unprivileged_maps(void *arg)
{
	struct ns n = { -1, -1 };
	const struct vr_idmap root = { 0, 0, 1 };
	struct vr_idmap u, g;
	int r;

	(void)arg;
	if (geteuid() == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			return 20;
		/* A change of uid made us non-dumpable: /proc/PID would then
		 * belong to root, and the maps could not even be opened. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			return 21;
	}
	u = (struct vr_idmap){ 0, (unsigned)geteuid(), 1 };
	g = (struct vr_idmap){ 0, (unsigned)getegid(), 1 };
	if (ns_spawn(&n, NULL) < 0)
		return 26;
	if ((r = vr_idmap_write(n.pid, &root, 1, NULL, 0, false)) != -EPERM) {
		fprintf(stderr, "uid map to root: %d, wanted -EPERM\n", r);
		return 22;
	}
	if ((r = vr_idmap_write(n.pid, &u, 1, &g, 1, false)) != -EPERM) {
		fprintf(stderr, "gid map without deny: %d, wanted -EPERM\n", r);
		return 23;
	}
	/* The uid map went in before the gid map was refused. */
	if ((r = vr_idmap_write(n.pid, NULL, 0, &g, 1, true)) != 0) {
		fprintf(stderr, "own gid map with deny: %d, wanted 0\n", r);
		return 24;
	}
	return ns_finish(&n) == 0 ? 0 : 25;
}

static void test_write_unprivileged_eperm(void **state)
{
	(void)state;
	NEED_USERNS();
	assert_int_equal(vr_test_in_child(unprivileged_maps, NULL), 0);
}

/* ---- vr_idmap_write: what the namespace sees ----------------------------- */

static int setgroups_refused(void)
{
	if (getuid() != 0 || getgid() != 0)
		return 10;
	if (setgroups(0, NULL) == 0)
		return 11;
	return errno == EPERM ? 0 : 12;
}

static void test_write_deny_setgroups(void **state)
{
	struct ns *n = *state;
	const struct vr_idmap u = { 0, (unsigned)geteuid(), 1 }, g = { 0, (unsigned)getegid(), 1 };
	char buf[128];

	NEED_USERNS();
	assert_int_equal(ns_spawn(n, setgroups_refused), 0);
	read_proc(n->pid, "setgroups", buf, sizeof(buf));
	assert_string_equal(buf, "allow\n");
	assert_int_equal(vr_idmap_write(n->pid, &u, 1, &g, 1, true), 0);
	read_proc(n->pid, "setgroups", buf, sizeof(buf));
	assert_string_equal(buf, "deny\n");
	assert_int_equal(ns_finish(n), 0);
}

static int setgroups_allowed(void)
{
	return setgroups(0, NULL) == 0 ? 0 : 10;
}

static void test_write_root_allows_setgroups(void **state)
{
	struct ns *n = *state;
	const struct vr_idmap u = { 0, 65534, 1 }, g = { 0, 65534, 1 };
	char buf[128];

	if (!vr_test_is_root())
		VR_SKIP("%s: a gid map without deny needs root", __func__);
	NEED_USERNS();
	assert_int_equal(ns_spawn(n, setgroups_allowed), 0);
	assert_int_equal(vr_idmap_write(n->pid, &u, 1, &g, 1, false), 0);
	read_proc(n->pid, "setgroups", buf, sizeof(buf));
	assert_string_equal(buf, "allow\n");
	assert_int_equal(ns_finish(n), 0);
}

/* Mapped to nobody, the child (still host root) is unmapped until it
 * becomes the namespace's root: then it is 65534 on the host. */
static int become_root(void)
{
	if (getuid() != 65534)  /* host uid 0 is not mapped: the overflow uid */
		return 10;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return 11;
	return getuid() == 0 && getgid() == 0 ? 0 : 12;
}

static void test_write_root_to_nobody(void **state)
{
	struct ns *n = *state;
	const struct vr_idmap u = { 0, 65534, 1 }, g = { 0, 65534, 1 };
	char buf[4096];
	siginfo_t si;

	if (!vr_test_is_root())
		VR_SKIP("%s: mapping to uid 65534 needs root", __func__);
	NEED_USERNS();
	assert_int_equal(ns_spawn(n, become_root), 0);
	assert_int_equal(vr_idmap_write(n->pid, &u, 1, &g, 1, false), 0);
	read_proc(n->pid, "uid_map", buf, sizeof(buf));
	assert_string_equal(buf, "0 65534 1\n");
	read_proc(n->pid, "gid_map", buf, sizeof(buf));
	assert_string_equal(buf, "0 65534 1\n");
	assert_int_equal(ns_go(n), 0);

	/* Keep it a zombie to see its ids as the host does. */
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)n->pid, &si, WEXITED | WNOWAIT), 0);
	read_proc(n->pid, "status", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nUid: 65534 65534 65534 65534\n"));
	assert_non_null(strstr(buf, "\nGid: 65534 65534 65534 65534\n"));
	assert_int_equal(ns_reap(n), 0);
}

/* Several lines in one write: the whole map arrives. */
static void test_write_multiline(void **state)
{
	struct ns *n = *state;
	const struct vr_idmap u[] = { { 0, 65534, 1 }, { 1, 100000, 1000 } };
	char buf[128];

	if (!vr_test_is_root())
		VR_SKIP("%s: a map of several lines needs root", __func__);
	NEED_USERNS();
	assert_int_equal(ns_spawn(n, NULL), 0);
	assert_int_equal(vr_idmap_write(n->pid, u, 2, NULL, 0, false), 0);
	read_proc(n->pid, "uid_map", buf, sizeof(buf));
	assert_string_equal(buf, "0 65534 1\n1 100000 1000\n");
	read_proc(n->pid, "gid_map", buf, sizeof(buf));
	assert_string_equal(buf, ""); /* n_gids == 0 leaves it unwritten */
	assert_int_equal(ns_finish(n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_too_small),
		cmocka_unit_test(test_format_text),
		cmocka_unit_test_setup_teardown(test_write_gone_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_unprivileged_eperm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_deny_setgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_root_allows_setgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_root_to_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_multiline, setup, teardown),
	};

	return vr_test_run(tests);
}
