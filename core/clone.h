/* SPDX-License-Identifier: MIT */
/* clone3(2), with its flags addressable by name so that the Lua binding and
 * profiles can speak of "newuser" rather than CLONE_NEWUSER. */
#pragma once

#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

/* Newer than some libc headers. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct vr_clone_opts {
	uint64_t flags;      /* CLONE_* flags */
	int exit_signal;     /* signal sent to the parent on exit; 0 for none */
	int cgroup_fd;       /* with CLONE_INTO_CGROUP: the cgroup directory fd; else -1 */
	int *ret_pidfd;      /* with CLONE_PIDFD: where the pidfd is stored */
};

/* Look up a flag by its name ("newuser", "newns", "newpid", "newnet",
 * "newipc", "newuts", "newcgroup", "newtime", "files", "fs", "sighand",
 * "vm", "vfork", "parent", "thread", "sysvsem", "into_cgroup", "pidfd",
 * "clear_sighand", "io").
 * Returns 0 and stores the flag in *ret, or -EINVAL for an unknown name. */
int vr_clone_flag(const char *name, uint64_t *ret);

/* The name of a single flag bit, or NULL. */
const char *vr_clone_flag_name(uint64_t flag);

/* Every namespace flag voidrun gives a void by default: user, mount, pid,
 * net, ipc, uts and cgroup. */
#define VR_CLONE_ALL_NS \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

/* clone3 without a new stack: fork semantics (CLONE_VM without a stack is
 * refused with -EINVAL). Returns the child's pid in the parent, 0 in the
 * child, or -errno: -EINVAL for contradictory flags (CLONE_INTO_CGROUP
 * without a cgroup fd, CLONE_PIDFD without ret_pidfd), -EPERM or -ENOSPC
 * when a namespace may not be created, -EBADF for a bad cgroup fd. */
pid_t vr_clone3(const struct vr_clone_opts *opts);
