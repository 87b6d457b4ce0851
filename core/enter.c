/* SPDX-License-Identifier: MIT */
/* Entering a running void (core/enter.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "enter.h"
#include "harden.h"
#include "util.h"

#ifndef SECBIT_NOROOT
#include <linux/securebits.h>
#endif

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#define ENTER_NS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
		  CLONE_NEWUTS | CLONE_NEWCGROUP)

enum { STEP_SETID = 1, STEP_CAPS, STEP_EXEC, STEP_CGROUP, STEP_LANDLOCK, STEP_SECCOMP };

/* What a failing child writes to the close-on-exec pipe: fixed size, in
 * one write(2). */
struct enter_msg {
	int step;
	int err;
};

int vr_enter_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? vr_neg_errno() : fd;
}

static _Noreturn void child_fail(int fd, int step)
{
	struct enter_msg m = { .step = step, .err = errno ? errno : EIO };

	(void)!write(fd, &m, sizeof(m));
	_exit(127);
}

/* The child, already in every namespace of the void: become what a void's
 * entry is. Allocates nothing; only async-signal-safe calls and libcap's
 * syscall wrappers (cap_set_secbits, cap_drop_bound: no allocation). */
static _Noreturn void child(int fd, const struct vr_enter *e, const struct vr_seccomp *filter)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = { 0 };
	unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
	const char *what = NULL;

	/* Nothing of the caller but stdio reaches the command: voidrun's
	 * own fds were opened close-on-exec, and this makes sure of it. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(fd, STEP_EXEC);
	/* Into the void's cgroup, so that its limits hold the command too.
	 * "0" is the writer itself. The files were opened on the host before
	 * setns: the kernel checks a write against the opener's credentials
	 * and cgroup namespace, so the move works from inside the void's. */
	for (size_t i = 0; i < e->n_cgroup_fds; i++)
		if (write(e->cgroup_fds[i], "0", 1) != 1)
			child_fail(fd, STEP_CGROUP);
	/* Supplementary groups of the host user would still open host files
	 * through the void's binds: drop them. An unprivileged user's userns
	 * denies setgroups (EPERM): then it has none that it did not have. */
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		child_fail(fd, STEP_SETID);
	if (setresgid(e->gid, e->gid, e->gid) < 0 || setresuid(e->uid, e->uid, e->uid) < 0)
		child_fail(fd, STEP_SETID);
	/* As in the void's entry (core/void.c): root inside is not special,
	 * the bounding set is emptied so that exec as uid 0 gains nothing,
	 * ambient cleared, then every set emptied and no_new_privs set. */
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		child_fail(fd, STEP_CAPS);
	for (unsigned long cap = 0;; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;  /* past the last capability this kernel knows */
			child_fail(fd, STEP_CAPS);
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    syscall(SYS_capset, &hdr, none) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(fd, STEP_CAPS);
	if (chdir("/") < 0)
		child_fail(fd, STEP_EXEC);
	/* As the void's entry: Landlock first (the policy may deny its
	 * calls), then the filters, so that what runs here can do what the
	 * void can and no more. Without the void's own (its voidrun could not
	 * be asked), the default filter every void has. */
	if (e->harden && vr_harden_apply_landlock(e->harden, &what) < 0)
		child_fail(fd, STEP_LANDLOCK);
	for (size_t i = 0; i < e->n_progs; i++)
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &e->progs[i]) < 0)
			child_fail(fd, STEP_SECCOMP);
	if (!e->progs && filter && vr_seccomp_install(filter, NULL) < 0)
		child_fail(fd, STEP_SECCOMP);
	execve(e->path, e->argv, e->envp);
	child_fail(fd, STEP_EXEC);
}

int vr_enter_exec(int pidfd, const struct vr_enter *e, int *ret_status, const char **ret_step)
{
	static const char *const steps[] = { "fork", "setid", "caps", "exec", "cgroup", "landlock", "seccomp" };
	_cleanup_close_ int rd = -1, wr = -1;
	struct enter_msg m;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	const struct vr_seccomp *filter = NULL;

	*ret_step = "setns";
	if (!e->path || e->path[0] != '/' || !e->argv || !e->argv[0] || !e->envp ||
	    (!e->n_progs != !e->progs) || (e->n_cgroup_fds && !e->cgroup_fds))
		return -EINVAL;
	/* Made ready here: the child may not allocate. */
	*ret_step = "seccomp";
	if (vr_seccomp_default(false, &filter) < 0)
		return -EIO;
	*ret_step = "setns";
#ifdef __SANITIZE_ADDRESS__
	/* LeakSanitizer's check at exit stops the process's threads from a
	 * tracer it clone(2)s. Once this process has joined the void's pid
	 * namespace, that tracer is born in it, where getppid() is 0: it takes
	 * its parent for dead and exits, and the check waits for it forever
	 * (a sched_yield loop). So check for leaks here, while it still can;
	 * this also turns the check at exit off. What runs after it (the
	 * fork, the wait, the report of the status) goes unchecked. Sanitized
	 * builds only: the check is LeakSanitizer's. */
	__lsan_do_leak_check();
#endif
	/* One setns(2) with a pidfd joins every namespace at once, user
	 * namespace first: its capabilities allow the rest. */
	if (setns(pidfd, ENTER_NS) < 0)
		return vr_neg_errno();
	*ret_step = "fork";
	if (pipe2(fds, O_CLOEXEC) < 0)
		return vr_neg_errno();
	rd = fds[0];
	wr = fds[1];
	/* The pid namespace applies to children only: fork into it. */
	pid = fork();
	if (pid < 0)
		return vr_neg_errno();
	if (pid == 0)
		child(wr, e, filter);
	vr_closep(&wr);
	wr = -1;
	do
		n = read(rd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vr_neg_errno();
	if (n == (ssize_t)sizeof(m)) {
		*ret_step = steps[m.step >= 0 && m.step <= STEP_SECCOMP ? m.step : 0];
		return -m.err;
	}
	*ret_step = NULL;
	*ret_status = status;
	return 0;
}
