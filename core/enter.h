/* SPDX-License-Identifier: MIT */
/* Entering a running void: a command run inside the namespaces of the
 * void's pid 1, with what a void's entry has (its ids inside, no
 * capabilities, no_new_privs), so that what it shows is what the void can
 * see and do. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct sock_fprog;
struct vr_harden;

struct vr_enter {
	const char *path;          /* what to execve, as the void sees it */
	char *const *argv;         /* NULL-terminated */
	char *const *envp;         /* NULL-terminated */
	unsigned uid, gid;         /* ids inside the void (0 for every void) */
	/* The void's own restrictions, from its voidrun (doc/inspect.md):
	 * without them (NULL, 0) the command gets the default filter only.
	 * The caller keeps them; they are read in the child, which allocates
	 * nothing. */
	const struct sock_fprog *progs;  /* seccomp programs, installed in order
					  * instead of the default (n_progs >= 1) */
	size_t n_progs;
	const struct vr_harden *harden;  /* its Landlock rules (paths in the void) */
	const int *cgroup_fds;           /* cgroup.procs of its cgroup, opened O_WRONLY */
	size_t n_cgroup_fds;
};

/* Join the namespaces of the process pidfd refers to (user, mount, pid,
 * net, ipc, uts, cgroup, in one setns(2)), then fork: the child, pid n of
 * the void's pid namespace, joins the void's cgroup (e->cgroup_fds),
 * drops every capability, sets no_new_privs, takes e->uid/gid, changes to
 * "/", applies e->harden's Landlock rules, installs e->progs (or the
 * default filter) and execs e->path. The calling process waits for it
 * and stores its wait status in *ret_status.
 *
 * The caller joins the namespaces itself (like nsenter(1)): call this only
 * from a process that will do nothing else but report the status. It must
 * be single-threaded (setns into a user namespace requires it).
 *
 * Returns 0 when the command ran; -errno otherwise: -EINVAL for a
 * relative e->path, or progs without n_progs (or the reverse); the errno of setns
 * (-EPERM: not allowed into that user namespace; -ESRCH: the void ended),
 * of fork, or of the child's step that failed (-ENOENT: no e->path in the
 * void). *ret_step then names that step ("setns", "cgroup", "setid",
 * "caps", "landlock", "seccomp", "exec"). */
int vr_enter_exec(int pidfd, const struct vr_enter *e, int *ret_status, const char **ret_step);

/* pidfd_open(2) of pid, close-on-exec by nature. Returns the fd or -errno
 * (-ESRCH: no such process). */
int vr_enter_pidfd(pid_t pid);
