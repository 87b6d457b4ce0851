/* SPDX-License-Identifier: MIT */
/* uid and gid maps of a user namespace (user_namespaces(7)). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vr_idmap {
	unsigned inside;   /* first id inside the namespace */
	unsigned outside;  /* first id in the parent namespace */
	unsigned count;    /* how many ids */
};

/* Write the uid and gid maps of the user namespace that process pid is in.
 * With deny_setgroups, "deny" is written to /proc/PID/setgroups first: the
 * kernel requires it before an unprivileged process may write a gid map,
 * and it stops the namespace from ever dropping supplementary groups.
 * Either map may be empty (n == 0) to leave it unwritten.
 * Returns 0, or -errno: -EPERM when the caller may not map those ids,
 * -ESRCH when pid is gone, -EINVAL for a malformed or overlapping map. */
int vr_idmap_write(pid_t pid, const struct vr_idmap *uids, size_t n_uids,
		   const struct vr_idmap *gids, size_t n_gids, bool deny_setgroups);

/* Format a map as the kernel reads it ("0 1000 1\n..."). Returns the length
 * written (without NUL), or -ENOSPC when buf is too small. */
int vr_idmap_format(const struct vr_idmap *map, size_t n, char *buf, size_t size);
