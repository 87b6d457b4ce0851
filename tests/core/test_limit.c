/* SPDX-License-Identifier: MIT */
/* Resource limits: sizes and ranges first (failure paths), then where
 * cgroups live (mountinfo and /proc/self/cgroup texts from a pure v2, a
 * hybrid and a co-mounted v1 machine), then real cgroups on this machine:
 * created, entered, read, killed and removed, with nothing left behind.
 * Tests that need root or a hierarchy this machine lacks skip and say so. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "clone.h"
#include "limit.h"

/* ------------------------------------------------------------ sizes */

static void test_parse_size_rejects(void **state)
{
	static const char *const bad[] = { "", "M", "64MB", "-1", " 1", "1 ", "1.5G", "0x10", "64Q", "K64" };
	uint64_t v = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vr_limit_parse_size(bad[i], &v), -EINVAL);
		assert_int_equal(v, 7);
	}
	assert_int_equal(vr_limit_parse_size(NULL, &v), -EINVAL);
	/* 2^63 and beyond do not fit */
	assert_int_equal(vr_limit_parse_size("9223372036854775808", &v), -ERANGE);
	assert_int_equal(vr_limit_parse_size("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(vr_limit_parse_size("8388608T", &v), -ERANGE);
	assert_int_equal(vr_limit_parse_size("8589934592G", &v), -ERANGE);
}

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "64", 64 },
		{ "64k", 64 << 10 },
		{ "64K", 64 << 10 },
		{ "64M", 64 << 20 },
		{ "64m", 64 << 20 },
		{ "1G", 1ULL << 30 },
		{ "2T", 2ULL << 40 },
		{ "007", 7 },
		{ "9223372036854775807", 9223372036854775807ULL },
		{ "8388607T", 8388607ULL << 40 },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(vr_limit_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
}

static void test_keys_and_ranges(void **state)
{
	struct vr_limit *l;

	(void)state;
	for (int k = 0; k < VR_LIMIT_MAX; k++)
		assert_int_equal(vr_limit_key(vr_limit_name(k)), k);
	assert_int_equal(vr_limit_key("memroy"), -EINVAL);
	assert_int_equal(vr_limit_key(NULL), -EINVAL);
	assert_null(vr_limit_name(VR_LIMIT_MAX));

	assert_int_equal(vr_limit_new(&l), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_MAX, 1), -EINVAL);
	assert_int_equal(vr_limit_set(l, -1, 1), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_MEMORY, (1 << 20) - 1), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_PIDS, 1), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_NPROC, 1), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_NOFILE, 3), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_CPU, 9), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_CPU, 1024001), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_TIME, 0), -EINVAL);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_FSIZE, 1ULL << 63), -EINVAL);
	assert_int_equal(l->set, 0);
	assert_int_equal(vr_limit_controllers(l), 0);

	assert_int_equal(vr_limit_set(l, VR_LIMIT_SWAP, 0), 0);
	assert_int_equal(vr_limit_controllers(l), VR_CG_BIT(VR_CG_MEMORY));
	assert_int_equal(vr_limit_set(l, VR_LIMIT_PIDS, 2), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_CPU, 10), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_TIME, 1), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_NOFILE, 4), 0);
	assert_int_equal(vr_limit_controllers(l), VR_CG_ALL);
	vr_limit_free(l);
	vr_limit_free(NULL);
	assert_int_equal(vr_limit_controllers(NULL), 0);
}

/* ------------------------------------------------------------ where */

static const char mi_v2[] =
	"22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"24 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n";

static const char mi_hybrid[] =
	"30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"35 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"38 30 0:34 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"39 30 0:35 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"40 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* cpu and cpuacct mounted together, an escaped mount point, a bind of a
 * cgroup below its hierarchy's root (not where the hierarchy starts), and
 * optional fields before the separator. */
static const char mi_v1[] =
	"50 25 0:40 /sub /mnt/bound rw - cgroup cgroup rw,memory\n"
	"51 25 0:41 / /sys/fs/cgroup/cpu,cpuacct rw shared:3 master:1 - cgroup cgroup rw,cpu,cpuacct\n"
	"52 25 0:42 / /cg/my\\040memory rw - cgroup cgroup rw,memory\n"
	"garbage line\n"
	"\n";

static void test_mountinfo(void **state)
{
	struct vr_cgroup_mounts *m = calloc(1, sizeof(*m));

	(void)state;
	assert_non_null(m);
	assert_int_equal(vr_cgroup_parse_mountinfo(mi_v2, m), 0);
	assert_string_equal(m->v2, "/sys/fs/cgroup");
	for (int c = 0; c < VR_CG_N; c++)
		assert_string_equal(m->v1[c], "");

	assert_int_equal(vr_cgroup_parse_mountinfo(mi_hybrid, m), 0);
	assert_string_equal(m->v2, "/sys/fs/cgroup/unified");
	assert_string_equal(m->v1[VR_CG_MEMORY], "/sys/fs/cgroup/memory");
	assert_string_equal(m->v1[VR_CG_PIDS], "/sys/fs/cgroup/pids");
	assert_string_equal(m->v1[VR_CG_CPU], "/sys/fs/cgroup/cpu");

	assert_int_equal(vr_cgroup_parse_mountinfo(mi_v1, m), 0);
	assert_string_equal(m->v2, "");
	assert_string_equal(m->v1[VR_CG_MEMORY], "/cg/my memory");
	assert_string_equal(m->v1[VR_CG_CPU], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(m->v1[VR_CG_PIDS], "");
	free(m);
}

static void test_pick_version(void **state)
{
	struct vr_cgroup_mounts *m = calloc(1, sizeof(*m));
	const unsigned all = VR_CG_ALL;
	int missing = 0;

	(void)state;
	assert_non_null(m);
	/* pure v2 */
	(void)vr_cgroup_parse_mountinfo(mi_v2, m);
	assert_int_equal(vr_cgroup_pick_version(m, "cpuset cpu io memory pids\n", all, &missing), 2);
	assert_int_equal(vr_cgroup_pick_version(m, "cpuset io memory pids\n", all, &missing), -ENODEV);
	assert_int_equal(missing, VR_CG_CPU);
	assert_int_equal(vr_cgroup_pick_version(m, "", VR_CG_BIT(VR_CG_PIDS), &missing), -ENODEV);
	assert_int_equal(missing, VR_CG_PIDS);
	assert_int_equal(vr_cgroup_pick_version(m, "", 0, &missing), 2);

	/* hybrid: v2 has only hugetlb, v1 has the rest */
	(void)vr_cgroup_parse_mountinfo(mi_hybrid, m);
	assert_int_equal(vr_cgroup_pick_version(m, "hugetlb\n", all, &missing), 1);
	/* one version at a time: memory on v2, pids only on v1 */
	m->v1[VR_CG_MEMORY][0] = '\0';
	assert_int_equal(vr_cgroup_pick_version(m, "memory\n", VR_CG_BIT(VR_CG_MEMORY) | VR_CG_BIT(VR_CG_PIDS),
						&missing),
			 -ENODEV);
	assert_int_equal(missing, VR_CG_PIDS);

	/* v1 only, without pids */
	(void)vr_cgroup_parse_mountinfo(mi_v1, m);
	assert_int_equal(vr_cgroup_pick_version(m, NULL, VR_CG_BIT(VR_CG_MEMORY) | VR_CG_BIT(VR_CG_CPU), &missing), 1);
	assert_int_equal(vr_cgroup_pick_version(m, NULL, all, &missing), -ENODEV);
	assert_int_equal(missing, VR_CG_PIDS);
	assert_int_equal(vr_cgroup_pick_version(m, NULL, 0, &missing), -ENODEV);
	free(m);
}

static void test_parse_self(void **state)
{
	const char *v2 = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope\n";
	const char *hy = "9:name=systemd:/\n8:pids:/a\n4:memory:/process_api/b\n2:cpu,cpuacct:/c\n0::/\n";
	char buf[256];

	(void)state;
	assert_int_equal(vr_cgroup_parse_self(v2, -1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope");
	assert_int_equal(vr_cgroup_parse_self(v2, VR_CG_MEMORY, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vr_cgroup_parse_self(hy, VR_CG_MEMORY, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/process_api/b");
	assert_int_equal(vr_cgroup_parse_self(hy, VR_CG_CPU, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/c");
	assert_int_equal(vr_cgroup_parse_self(hy, VR_CG_PIDS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/a");
	assert_int_equal(vr_cgroup_parse_self(hy, -1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/");
	assert_int_equal(vr_cgroup_parse_self(hy, VR_CG_PIDS, buf, 2), -ENAMETOOLONG);
	assert_int_equal(vr_cgroup_parse_self("", -1, buf, sizeof(buf)), -ENOENT);
}

/* ------------------------------------------------------------ real cgroups */

static bool exists(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0;
}

/* Whether pid's /proc/PID/cgroup names a cgroup ending in rel. */
static bool pid_in(pid_t pid, const char *dir)
{
	char path[64], buf[4096];
	const char *name = strrchr(dir, '/');
	FILE *f;
	size_t n;

	(void)snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	return name && strstr(buf, name) != NULL;
}

/* Create the cgroup or skip saying why (no delegated cgroup, no such
 * hierarchy). */
static struct vr_cgroup *create_or_skip(unsigned need)
{
	struct vr_cgroup *cg = NULL;
	char why[1024];
	int r;

	r = vr_cgroup_create(need, &cg, why, sizeof(why));
	if (r == -ENODEV || r == -EACCES || r == -EBUSY) {
		VR_SKIP("no cgroup here: %s", why);
		return NULL;
	}
	assert_int_equal(r, 0);
	return cg;
}

static int wait_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

static void test_cgroup_create_remove(void **state)
{
	unsigned need = VR_CG_BIT(VR_CG_MEMORY) | VR_CG_BIT(VR_CG_PIDS);
	struct vr_cgroup *cg;
	char dirs[VR_CG_N][4096] = { { 0 } };
	uint64_t v = 0;
	pid_t pid;
	int status;

	(void)state;
	cg = create_or_skip(need);
	if (!cg)
		return;
	for (int c = 0; c < VR_CG_N; c++)
		if (vr_cgroup_path(cg, c)) {
			assert_true(need & VR_CG_BIT(c));
			assert_true(exists(vr_cgroup_path(cg, c)));
			assert_non_null(strstr(vr_cgroup_path(cg, c), "/voidrun/"));
			(void)snprintf(dirs[c], sizeof(dirs[c]), "%s", vr_cgroup_path(cg, c));
		}
	assert_null(vr_cgroup_path(cg, VR_CG_N));
	assert_int_equal(vr_cgroup_write(cg, VR_CG_PIDS, "pids.max", "7"), 0);
	assert_int_equal(vr_cgroup_read(cg, VR_CG_PIDS, "pids.max", NULL, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(vr_cgroup_write(cg, VR_CG_PIDS, "no-such-file", "1"), -ENOENT);
	assert_int_equal(vr_cgroup_read(cg, VR_CG_PIDS, "pids.max", "nokey", &v), -ENOENT);

	/* A process moved in (as voidrun does on v1 before the go byte), then
	 * killed with the cgroup: destroy leaves nothing. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(wait_forever(NULL));
	assert_int_equal(vr_cgroup_attach(cg, pid), 0);
	assert_true(pid_in(pid, vr_cgroup_path(cg, VR_CG_PIDS)));
	assert_int_equal(vr_cgroup_kill(cg), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(vr_cgroup_destroy(cg), 0);
	for (int c = 0; c < VR_CG_N; c++)
		if (dirs[c][0])
			assert_false(exists(dirs[c]));
	assert_int_equal(vr_cgroup_destroy(NULL), 0);
}

/* A voidrun killed with SIGKILL leaves its voids' (empty) cgroups: the
 * next one made beside them removes those of ended voidruns. */
static void test_cgroup_sweeps_dead(void **state)
{
	struct vr_cgroup *cg, *cg2 = NULL;
	char stale[4096];
	struct stat st;
	pid_t dead;
	int status;

	(void)state;
	cg = create_or_skip(VR_CG_BIT(VR_CG_PIDS));
	if (!cg)
		return;
	fflush(NULL);
	dead = fork();
	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, &status, 0), dead);
	assert_int_equal(stat("/proc/self/ns/pid", &st), 0);
	(void)snprintf(stale, sizeof(stale), "%s/%lu-%d-1", vr_cgroup_base(cg, VR_CG_PIDS), (unsigned long)st.st_ino,
		       (int)dead);
	assert_int_equal(mkdir(stale, 0755), 0);
	assert_int_equal(vr_cgroup_create(VR_CG_BIT(VR_CG_PIDS), &cg2, NULL, 0), 0);
	assert_false(exists(stale));
	assert_int_equal(vr_cgroup_destroy(cg2), 0);
	assert_int_equal(vr_cgroup_destroy(cg), 0);
}

/* cgroup v2 (on a hybrid machine its controller-less hierarchy does):
 * clone3 straight into the cgroup, and cgroup.kill. */
static void test_cgroup_clone_into(void **state)
{
	struct vr_cgroup *cg;
	char dir[4096];
	int pidfd = -1, status;
	pid_t pid;

	(void)state;
	cg = create_or_skip(0);
	if (!cg)
		return;
	assert_int_equal(vr_cgroup_version(cg), 2);
	assert_true(vr_cgroup_dirfd(cg) >= 0);
	(void)snprintf(dir, sizeof(dir), "%s", vr_cgroup_path(cg, 0));
	fflush(NULL);
	pid = vr_clone3(&(struct vr_clone_opts){ .flags = CLONE_INTO_CGROUP | CLONE_PIDFD, .exit_signal = SIGCHLD,
						 .cgroup_fd = vr_cgroup_dirfd(cg), .ret_pidfd = &pidfd });
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(wait_forever(NULL));
	assert_true(pid_in(pid, dir));
	assert_int_equal(vr_cgroup_kill(cg), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	(void)close(pidfd);
	assert_int_equal(vr_cgroup_destroy(cg), 0);
	assert_false(exists(dir));
}

/* An ordinary user without a delegated cgroup: creating fails with
 * EACCES and the reason names the controller. */
static int unprivileged_create(void *arg)
{
	struct vr_cgroup *cg = NULL;
	char why[1024] = "";
	int r;

	(void)arg;
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return 10;
	r = vr_cgroup_create(VR_CG_BIT(VR_CG_MEMORY), &cg, why, sizeof(why));
	if (r == -ENODEV)
		return 11;  /* no memory controller at all: nothing to learn */
	if (r != -EACCES)
		return 12;
	return strstr(why, "'memory'") && strstr(why, "not delegated") ? 0 : 13;
}

static void test_cgroup_not_delegated(void **state)
{
	int r;

	(void)state;
	if (!vr_test_is_root()) {
		VR_SKIP("needs root to become another user");
		return;
	}
	r = vr_test_in_child(unprivileged_create, NULL);
	if (r == 11) {
		VR_SKIP("this machine has no memory controller");
		return;
	}
	assert_int_equal(r, 0);
}

/* The run-time side as vr_void_spawn drives it, around a forked child:
 * limits written, the child moved in (v1) or not (v2: clone3 would have),
 * usage read, everything removed at the end. */
static void test_limit_run(void **state)
{
	struct vr_limit *l;
	struct vr_limit_run *run = NULL;
	struct vr_err err = { 0 };
	struct vr_usage u;
	int r, status;
	pid_t pid;

	(void)state;
	assert_int_equal(vr_limit_new(&l), 0);
	assert_int_equal(vr_limit_run_new(l, &run, &err), 0);
	assert_null(run);  /* rlimits and time need no run-time state */
	assert_int_equal(vr_limit_set(l, VR_LIMIT_PIDS, 5), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_MEMORY, 32 << 20), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_CPU, 250), 0);
	r = vr_limit_run_new(l, &run, &err);
	if (r == -ENODEV || r == -EACCES || r == -EBUSY) {
		VR_SKIP("no cgroup here: %s", err.path);
		vr_limit_free(l);
		return;
	}
	assert_int_equal(r, 0);
	assert_non_null(run);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(wait_forever(NULL));
	if (vr_limit_run_cgroup_fd(run) < 0) {
		assert_int_equal(vr_limit_run_start(run, pid, &err), 0);
		assert_true(pid_in(pid, "/voidrun/"));
	}
	assert_int_equal(vr_limit_run_usage(run, &u), 0);
	assert_true(u.have & VR_USAGE_CGROUP);
	assert_false(u.timed_out);
	(void)kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	vr_limit_run_end(run, NULL, &u);
	assert_true(u.have & VR_USAGE_CGROUP);
	assert_true(u.have & VR_USAGE_OOM);
	assert_int_equal(u.oom_kills, 0);
	vr_limit_run_free(run);
	vr_limit_free(l);
}

/* ------------------------------------------------------------ child side */

static int apply_rlimits(void *arg)
{
	struct vr_limit *l = arg;
	const char *what = NULL;
	struct rlimit rl;

	if (vr_limit_apply_child(l, &what) < 0)
		return 10;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 8 || rl.rlim_max != 8)
		return 11;
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 12;
	/* the hard limit is down too: no way back up */
	rl.rlim_cur = rl.rlim_max = 16;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && geteuid() != 0)
		return 13;
	return 0;
}

static int raise_hard(void *arg)
{
	struct vr_limit *l = arg;
	const char *what = NULL;
	struct rlimit rl = { 64, 64 };

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 20;
	if (setresuid(65534, 65534, 65534) < 0)
		return 21;
	return vr_limit_apply_child(l, &what) == -EPERM && strcmp(what, "nofile") == 0 ? 0 : 22;
}

static void test_apply_child(void **state)
{
	struct vr_limit *l;
	const char *what = NULL;

	(void)state;
	assert_int_equal(vr_limit_apply_child(NULL, &what), 0);
	assert_int_equal(vr_limit_new(&l), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_NOFILE, 8), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_CORE, 0), 0);
	assert_int_equal(vr_limit_set(l, VR_LIMIT_TIME, 1000), 0);  /* kept by pid 1, not here */
	assert_int_equal(vr_test_in_child(apply_rlimits, l), 0);
	/* Raising a hard limit is refused and named, never ignored. */
	assert_int_equal(vr_limit_set(l, VR_LIMIT_NOFILE, 128), 0);
	if (vr_test_is_root())
		assert_int_equal(vr_test_in_child(raise_hard, l), 0);
	vr_limit_free(l);
}

static void test_sigwait_deadline(void **state)
{
	struct vr_limit *l;
	struct timespec start;
	sigset_t set;
	siginfo_t si;

	(void)state;
	assert_int_equal(vr_limit_new(&l), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);

	/* No time limit: a pending signal is returned as sigwaitinfo would. */
	(void)raise(SIGUSR2);
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(vr_limit_sigwait(NULL, &start, &set, &si), SIGUSR2);

	/* A deadline already past: -ETIMEDOUT at once. */
	assert_int_equal(vr_limit_set(l, VR_LIMIT_TIME, 1), 0);
	start.tv_sec -= 10;
	assert_int_equal(vr_limit_sigwait(l, &start, &set, &si), -ETIMEDOUT);

	/* A deadline ahead: the signal comes first. */
	assert_int_equal(vr_limit_set(l, VR_LIMIT_TIME, 3600 * 1000), 0);
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	(void)raise(SIGUSR2);
	assert_int_equal(vr_limit_sigwait(l, &start, &set, &si), SIGUSR2);

	/* Nothing pending and a short limit: the wait ends with -ETIMEDOUT. */
	assert_int_equal(vr_limit_set(l, VR_LIMIT_TIME, 20), 0);
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(vr_limit_sigwait(l, &start, &set, &si), -ETIMEDOUT);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	vr_limit_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size_rejects),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_keys_and_ranges),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_pick_version),
		cmocka_unit_test(test_parse_self),
		cmocka_unit_test(test_cgroup_not_delegated),
		cmocka_unit_test(test_cgroup_create_remove),
		cmocka_unit_test(test_cgroup_sweeps_dead),
		cmocka_unit_test(test_cgroup_clone_into),
		cmocka_unit_test(test_limit_run),
		cmocka_unit_test(test_apply_child),
		cmocka_unit_test(test_sigwait_deadline),
	};

	return vr_test_run(tests);
}
