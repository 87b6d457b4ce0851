/* SPDX-License-Identifier: MIT */
/* Entering a running void: a command run inside the namespaces of the
 * void's pid 1, with what a void's entry has (its ids inside, no
 * capabilities, no_new_privs), so that what it shows is what the void can
 * see and do. */
#pragma once

#include <sys/types.h>

struct vr_enter {
	const char *path;          /* what to execve, as the void sees it */
	char *const *argv;         /* NULL-terminated */
	char *const *envp;         /* NULL-terminated */
	unsigned uid, gid;         /* ids inside the void (0 for every void) */
};

/* Join the namespaces of the process pidfd refers to (user, mount, pid,
 * net, ipc, uts, cgroup, in one setns(2)), then fork: the child, pid n of
 * the void's pid namespace, drops every capability, sets no_new_privs,
 * takes e->uid/gid, changes to "/" and execs e->path. The calling process
 * waits for it and stores its wait status in *ret_status.
 *
 * The caller joins the namespaces itself (like nsenter(1)): call this only
 * from a process that will do nothing else but report the status. It must
 * be single-threaded (setns into a user namespace requires it).
 *
 * Returns 0 when the command ran; -errno otherwise: the errno of setns
 * (-EPERM: not allowed into that user namespace; -ESRCH: the void ended),
 * of fork, or of the child's step that failed (-ENOENT: no e->path in the
 * void). *ret_step then names that step ("setns", "setid", "caps", "exec"). */
int vr_enter_exec(int pidfd, const struct vr_enter *e, int *ret_status, const char **ret_step);

/* pidfd_open(2) of pid, close-on-exec by nature. Returns the fd or -errno
 * (-ESRCH: no such process). */
int vr_enter_pidfd(pid_t pid);
