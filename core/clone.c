/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "clone.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"


static const struct {
	const char *name;
	uint64_t flag;
} flag_names[] = {
	{ "newuser", CLONE_NEWUSER },
	{ "newns", CLONE_NEWNS },
	{ "newpid", CLONE_NEWPID },
	{ "newnet", CLONE_NEWNET },
	{ "newipc", CLONE_NEWIPC },
	{ "newuts", CLONE_NEWUTS },
	{ "newcgroup", CLONE_NEWCGROUP },
	{ "newtime", CLONE_NEWTIME },
	{ "files", CLONE_FILES },
	{ "fs", CLONE_FS },
	{ "sighand", CLONE_SIGHAND },
	{ "vm", CLONE_VM },
	{ "vfork", CLONE_VFORK },
	{ "parent", CLONE_PARENT },
	{ "thread", CLONE_THREAD },
	{ "sysvsem", CLONE_SYSVSEM },
	{ "io", CLONE_IO },
	{ "pidfd", CLONE_PIDFD },
	{ "clear_sighand", CLONE_CLEAR_SIGHAND },
	{ "into_cgroup", CLONE_INTO_CGROUP },
};

int vr_clone_flag(const char *name, uint64_t *ret)
{
	for (size_t i = 0; i < VR_ARRAY_SIZE(flag_names); i++)
		if (strcmp(flag_names[i].name, name) == 0) {
			*ret = flag_names[i].flag;
			return 0;
		}
	return -EINVAL;
}

const char *vr_clone_flag_name(uint64_t flag)
{
	for (size_t i = 0; i < VR_ARRAY_SIZE(flag_names); i++)
		if (flag_names[i].flag == flag)
			return flag_names[i].name;
	return NULL;
}

pid_t vr_clone3(const struct vr_clone_opts *opts)
{
	struct clone_args args;
	int pidfd = -1;
	long r;

	memset(&args, 0, sizeof(args));
	args.flags = opts->flags;
	args.exit_signal = (uint64_t)opts->exit_signal;

	/* Without a stack, a shared address space would have parent and
	 * child scribble on one stack: refuse it rather than corrupt. */
	if (opts->flags & (CLONE_VM | CLONE_THREAD | CLONE_SETTLS))
		return -EINVAL;
	if (opts->flags & CLONE_PIDFD) {
		if (!opts->ret_pidfd)
			return -EINVAL;
		args.pidfd = (uint64_t)(uintptr_t)&pidfd;
	}
	if (opts->flags & CLONE_INTO_CGROUP) {
		if (opts->cgroup_fd < 0)
			return -EINVAL;
		args.cgroup = (uint64_t)opts->cgroup_fd;
	}

	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0)
		return vr_neg_errno();
	if (r > 0 && (opts->flags & CLONE_PIDFD))
		*opts->ret_pidfd = pidfd;
	return (pid_t)r;
}
