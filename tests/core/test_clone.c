/* SPDX-License-Identifier: MIT */
/* vr_clone_flag and vr_clone3, in the manner of the kernel's
 * tools/testing/selftests/clone3: the failure paths first, then what each
 * flag really does, observed from both sides of the clone. Every child is
 * reaped by the test that made it; the teardown fails a test that leaves a
 * child behind (and kills it, so the next test starts clean). */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone.h"
#include "idmap.h"


/* ---- fixture: a fresh temp dir; no child may outlive a test ----------- */

struct tmp {
	char dir[PATH_MAX]; /* realpath of a fresh, empty directory */
	int cwd;            /* the cwd at setup, restored at teardown */
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t || vr_test_mkdtemp("clone", t->dir) < 0) {
		free(t);
		return -1;
	}
	t->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->cwd < 0) {
		(void)rmdir(t->dir);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}


static int teardown(void **state)
{
	struct tmp *t = *state;
	int left = vr_test_kill_leftovers();
	int r = 0;

	if (fchdir(t->cwd) < 0)
		r = -1;
	(void)close(t->cwd);
	if (rmdir(t->dir) < 0) {
		fprintf(stderr, "teardown: rmdir %s: %s\n", t->dir, strerror(errno));
		r = -1;
	}
	if (left) {
		fprintf(stderr, "teardown: %d child process(es) left behind\n", left);
		r = -1;
	}
	free(t);
	return r;
}

/* ---- helpers ---------------------------------------------------------- */

/* Wait for one child (clone children too) and return its exit code, or
 * 128+signal. */
static int reap(pid_t pid)
{
	int st;
	pid_t r;

	do
		r = waitpid(pid, &st, __WALL);
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, pid);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* In a child: die with the test runner, whatever happens to it. */
static void child_start(void)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

static pid_t clone_flags(uint64_t flags)
{
	return vr_clone3(&(struct vr_clone_opts){ .flags = flags, .exit_signal = SIGCHLD, .cgroup_fd = -1 });
}

/* Namespace flags this process may ask for: a user namespace gives the
 * capabilities the others need when we are not root. 0 when none can. */
static uint64_t ns_with_privilege(uint64_t ns)
{
	if (vr_test_is_root())
		return ns;
	if (vr_test_can_userns())
		return ns | CLONE_NEWUSER;
	return 0;
}

static unsigned overflow_id(const char *file)
{
	unsigned v = 65534;
	FILE *f = fopen(file, "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65534;
		(void)fclose(f);
	}
	return v;
}

static ssize_t read_byte(int fd, char *c)
{
	ssize_t r;

	do
		r = read(fd, c, 1);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Whether path is a mount point in the mountinfo file given. */
static bool mountinfo_has(const char *mountinfo, const char *path)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen(mountinfo, "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, path) == 0)
			found = true;
	(void)fclose(f);
	return found;
}

/* ---- vr_clone_flag ---------------------------------------------------- */

static void test_flag_unknown(void **state)
{
	static const char *const bad[] = { "", "NEWUSER", "newusr", "new user", "newuser ", "clone_newuser", "settls", "all" };
	uint64_t v = 0x5a5a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vr_clone_flag(bad[i], &v), -EINVAL);
		assert_int_equal(v, 0x5a5a); /* untouched on failure */
	}
	assert_null(vr_clone_flag_name(0));
	assert_null(vr_clone_flag_name(CLONE_NEWUSER | CLONE_NEWNS)); /* not a single flag */
	assert_null(vr_clone_flag_name(CLONE_SETTLS));
}

static void test_flag_every_name(void **state)
{
	static const struct {
		const char *name;
		uint64_t flag;
	} names[] = {
		{ "newuser", CLONE_NEWUSER },   { "newns", CLONE_NEWNS },
		{ "newpid", CLONE_NEWPID },     { "newnet", CLONE_NEWNET },
		{ "newipc", CLONE_NEWIPC },     { "newuts", CLONE_NEWUTS },
		{ "newcgroup", CLONE_NEWCGROUP }, { "newtime", CLONE_NEWTIME },
		{ "files", CLONE_FILES },       { "fs", CLONE_FS },
		{ "sighand", CLONE_SIGHAND },   { "vm", CLONE_VM },
		{ "vfork", CLONE_VFORK },       { "parent", CLONE_PARENT },
		{ "thread", CLONE_THREAD },     { "sysvsem", CLONE_SYSVSEM },
		{ "into_cgroup", CLONE_INTO_CGROUP }, { "pidfd", CLONE_PIDFD },
		{ "clear_sighand", CLONE_CLEAR_SIGHAND }, { "io", CLONE_IO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t v = 0;

		assert_int_equal(vr_clone_flag(names[i].name, &v), 0);
		assert_int_equal(v, names[i].flag);
		assert_string_equal(vr_clone_flag_name(names[i].flag), names[i].name);
	}
	/* The default set is exactly the seven namespaces the header names. */
	assert_int_equal(VR_CLONE_ALL_NS, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
						  CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP);
}

/* ---- vr_clone3: failure paths ------------------------------------------ */

static void test_clone3_vm_without_stack(void **state)
{
	(void)state;
	assert_int_equal(clone_flags(CLONE_VM), -EINVAL);
	assert_int_equal(clone_flags(CLONE_VM | CLONE_SIGHAND), -EINVAL);
	assert_int_equal(clone_flags(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD), -EINVAL);
}

static void test_clone3_pidfd_without_ret(void **state)
{
	(void)state;
	assert_int_equal(vr_clone3(&(struct vr_clone_opts){
				 .flags = CLONE_PIDFD, .exit_signal = SIGCHLD, .cgroup_fd = -1, .ret_pidfd = NULL }),
			 -EINVAL);
}

static void test_clone3_cgroup_without_fd(void **state)
{
	(void)state;
	assert_int_equal(clone_flags(CLONE_INTO_CGROUP), -EINVAL);
}

static void test_clone3_bad_cgroup_fd(void **state)
{
	int fd;
	pid_t pid;

	(void)state;
	/* An fd number that is surely closed. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	pid = vr_clone3(&(struct vr_clone_opts){
		.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup_fd = fd });
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		(void)reap(pid);
		fail_msg("clone3 into the closed fd %d as a cgroup succeeded", fd);
	}
	if (pid == -E2BIG || pid == -ENOSYS)
		VR_SKIP("clone3: this kernel has no CLONE_INTO_CGROUP (%s)", strerror(-pid));
	assert_int_equal(pid, -EBADF);

	/* An open fd that is no cgroup directory: also -EBADF. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	pid = vr_clone3(&(struct vr_clone_opts){
		.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup_fd = fd });
	(void)close(fd);
	if (pid == 0)
		_exit(0);
	if (pid > 0) {
		(void)reap(pid);
		fail_msg("clone3 into /dev/null as a cgroup succeeded");
	}
	assert_int_equal(pid, -EBADF);
}

/* Contradictions the kernel itself refuses come back as -EINVAL, with no
 * child created. */
static void test_clone3_kernel_einval(void **state)
{
	(void)state;
	assert_int_equal(clone_flags(CLONE_NEWUSER | CLONE_FS), -EINVAL);
	assert_int_equal(clone_flags(CLONE_NEWNS | CLONE_FS), -EINVAL);
	assert_int_equal(clone_flags(CLONE_SIGHAND), -EINVAL);   /* needs CLONE_VM */
	assert_int_equal(clone_flags(CLONE_NEWPID | CLONE_THREAD), -EINVAL);
}

/* ---- vr_clone3: semantics ---------------------------------------------- */

/* Open /dev/zero, close `keep`, exit with the new fd's number. */
static int files_child(int keep)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fd > 250 || close(keep) < 0)
		_exit(255);
	_exit(fd);
}

static void test_clone3_files(void **state)
{
	struct stat zero, st;
	int keep, fd;
	pid_t pid;

	(void)state;
	assert_int_equal(stat("/dev/zero", &zero), 0);

	/* Without CLONE_FILES, the child's table is a copy: nothing changes. */
	keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(keep >= 0);
	pid = clone_flags(0);
	assert_true(pid >= 0);
	if (pid == 0)
		files_child(keep);
	fd = reap(pid);
	assert_true(fd < 250);
	assert_true(fcntl(keep, F_GETFD) >= 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);

	/* With it, the child's open and close happen to our table. */
	pid = clone_flags(CLONE_FILES);
	assert_true(pid >= 0);
	if (pid == 0)
		files_child(keep);
	fd = reap(pid);
	assert_true(fd < 250);
	assert_int_equal(fcntl(keep, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, zero.st_rdev);
	assert_int_equal(close(fd), 0);
}

static void test_clone3_fs(void **state)
{
	struct tmp *t = *state;
	char cwd[PATH_MAX];
	pid_t pid;

	/* Without CLONE_FS the child's chdir stays its own. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_not_equal(cwd, t->dir);
	pid = clone_flags(0);
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(chdir(t->dir) == 0 ? 0 : 1);
	assert_int_equal(reap(pid), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_not_equal(cwd, t->dir);

	pid = clone_flags(CLONE_FS);
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(chdir(t->dir) == 0 ? 0 : 1);
	assert_int_equal(reap(pid), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_string_equal(cwd, t->dir);
	/* the teardown restores the cwd */
}

static void test_clone3_newpid(void **state)
{
	uint64_t flags = ns_with_privilege(CLONE_NEWPID);
	pid_t pid;

	(void)state;
	if (!flags)
		VR_SKIP("CLONE_NEWPID: not root and no user namespaces for this user");
	pid = clone_flags(flags);
	if (pid == -EPERM || pid == -ENOSPC)
		VR_SKIP("CLONE_NEWPID refused: %s", strerror(-pid));
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(getpid() == 1 && getppid() == 0 ? 0 : 1);
	assert_true(pid > 1);
	assert_int_equal(reap(pid), 0);
}

static int only_lo(void)
{
	struct if_nameindex *ifs = if_nameindex();
	int r = 1;

	if (ifs && ifs[0].if_name && strcmp(ifs[0].if_name, "lo") == 0 && !ifs[1].if_name)
		r = 0;
	if (ifs)
		if_freenameindex(ifs);
	return r;
}

static void test_clone3_newnet(void **state)
{
	uint64_t flags = ns_with_privilege(CLONE_NEWNET);
	pid_t pid;

	(void)state;
	if (!flags)
		VR_SKIP("CLONE_NEWNET: not root and no user namespaces for this user");
	pid = clone_flags(flags);
	if (pid == -EPERM || pid == -ENOSPC)
		VR_SKIP("CLONE_NEWNET refused: %s", strerror(-pid));
	assert_true(pid >= 0);
	if (pid == 0) {
		child_start();
		_exit(only_lo());
	}
	assert_int_equal(reap(pid), 0);
}

/* Child side of the user namespace test. to_parent/from_parent are the
 * pipe ends it talks on; exit codes name the check that failed. */
static int userns_child(int to_parent, int from_parent, unsigned ouid, unsigned ogid)
{
	char c;

	child_start();
	if (getuid() != ouid || geteuid() != ouid)
		return 10;  /* unmapped: the overflow uid */
	if (getgid() != ogid)
		return 11;
	if (write(to_parent, "u", 1) != 1)
		return 12;
	if (read_byte(from_parent, &c) != 1)
		return 13;  /* the parent gave up */
	if (getuid() != 0 || geteuid() != 0)
		return 14;  /* mapped: root of the namespace */
	if (getgid() != 0)
		return 15;
	return 0;
}

static void test_clone3_newuser(void **state)
{
	unsigned ouid = overflow_id("/proc/sys/kernel/overflowuid");
	unsigned ogid = overflow_id("/proc/sys/kernel/overflowgid");
	struct vr_idmap u = { 0, (unsigned)geteuid(), 1 }, g = { 0, (unsigned)getegid(), 1 };
	int up[2], down[2];
	char c;
	pid_t pid;

	(void)state;
	if (!vr_test_can_userns())
		VR_SKIP("CLONE_NEWUSER: user namespaces are not available to this user");
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	pid = clone_flags(CLONE_NEWUSER);
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(userns_child(up[1], down[0], ouid, ogid));
	(void)close(up[1]);
	(void)close(down[0]);

	/* The child checked its unmapped ids before it said so. */
	if (read_byte(up[0], &c) != 1) {
		(void)close(up[0]);
		(void)close(down[1]);
		fail_msg("child before the map: exit %d (10: uid not %u, 11: gid not %u)", reap(pid), ouid, ogid);
	}
	assert_int_equal(vr_idmap_write(pid, &u, 1, &g, 1, !vr_test_is_root()), 0);
	assert_int_equal(write(down[1], "m", 1), 1);
	(void)close(up[0]);
	(void)close(down[1]);
	assert_int_equal(reap(pid), 0);
}

/* The child mounts a tmpfs on dir once mapped, says so, and waits. */
static int newns_child(const char *dir, int to_parent, int from_parent)
{
	char path[PATH_MAX + 16], c;
	int fd;

	child_start();
	if (read_byte(from_parent, &c) != 1)
		return 10;
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0)
		return 11;
	(void)snprintf(path, sizeof(path), "%s/marker", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return 12;
	(void)close(fd);
	if (write(to_parent, "m", 1) != 1)
		return 13;
	if (read_byte(from_parent, &c) != 1)
		return 14;
	return 0;
}

static void test_clone3_newns(void **state)
{
	struct tmp *t = *state;
	struct vr_idmap u = { 0, (unsigned)geteuid(), 1 }, g = { 0, (unsigned)getegid(), 1 };
	char path[PATH_MAX + 32], c;
	int up[2], down[2];
	pid_t pid;

	if (!vr_test_can_userns())
		VR_SKIP("CLONE_NEWNS: needs a user namespace, not available to this user");
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	pid = clone_flags(CLONE_NEWUSER | CLONE_NEWNS);
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(newns_child(t->dir, up[1], down[0]));
	(void)close(up[1]);
	(void)close(down[0]);
	assert_int_equal(vr_idmap_write(pid, &u, 1, &g, 1, !vr_test_is_root()), 0);
	assert_int_equal(write(down[1], "m", 1), 1);
	if (read_byte(up[0], &c) != 1) {
		(void)close(up[0]);
		(void)close(down[1]);
		fail_msg("child could not mount: exit %d", reap(pid));
	}

	/* Mounted over there (so this test can fail)... */
	(void)snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	assert_true(mountinfo_has(path, t->dir));
	/* ...and not here. */
	assert_false(mountinfo_has("/proc/self/mountinfo", t->dir));
	(void)snprintf(path, sizeof(path), "%s/marker", t->dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(write(down[1], "x", 1), 1);
	(void)close(up[0]);
	(void)close(down[1]);
	assert_int_equal(reap(pid), 0);
	assert_false(mountinfo_has("/proc/self/mountinfo", t->dir));
}

static void test_clone3_pidfd(void **state)
{
	struct pollfd pfd;
	siginfo_t si;
	int pidfd = -1, p[2];
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = vr_clone3(&(struct vr_clone_opts){
		.flags = CLONE_PIDFD, .exit_signal = SIGCHLD, .cgroup_fd = -1, .ret_pidfd = &pidfd });
	assert_true(pid >= 0);
	if (pid == 0) {
		child_start();
		(void)close(p[1]);
		_exit(read_byte(p[0], &c) == 0 ? 9 : 1);
	}
	(void)close(p[0]);
	assert_true(pidfd >= 0);
	assert_true(fcntl(pidfd, F_GETFD) & FD_CLOEXEC);

	/* Still blocked on the pipe: not readable. */
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0);

	(void)close(p[1]); /* lets it exit */
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, -1), 1);
	assert_true(pfd.revents & POLLIN);

	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED), 0);
	assert_int_equal(si.si_pid, pid);
	assert_int_equal(si.si_code, CLD_EXITED);
	assert_int_equal(si.si_status, 9);
	assert_int_equal(close(pidfd), 0);
}

/* With no exit signal the child is a "clone" child: invisible to a plain
 * waitpid, reaped with __WALL. */
static void test_clone3_exit_signal_zero(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	pid = vr_clone3(&(struct vr_clone_opts){ .flags = 0, .exit_signal = 0, .cgroup_fd = -1 });
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	assert_int_equal(waitpid(pid, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(waitpid(pid, &st, __WALL), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flag_unknown),
		cmocka_unit_test(test_flag_every_name),
		cmocka_unit_test_setup_teardown(test_clone3_vm_without_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_pidfd_without_ret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_cgroup_without_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_bad_cgroup_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_kernel_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_fs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_newpid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_newnet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_newuser, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_newns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_pidfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone3_exit_signal_zero, setup, teardown),
	};

	return vr_test_run(tests);
}
