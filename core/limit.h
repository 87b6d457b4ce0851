/* SPDX-License-Identifier: MIT */
/* Resource limits of a void: cgroups, rlimits, a wall-clock time limit.
 * (The resource-control issue fills this in.) */
#pragma once

struct vr_limit;

/* Free limits; accepts NULL. */
void vr_limit_free(struct vr_limit *l);

/* In the child, before capabilities are dropped: apply what must be
 * applied from inside (rlimits). Child-safe: no allocation. Returns 0 or
 * -errno; on failure *ret_what names the limit. Accepts NULL. */
int vr_limit_apply_child(const struct vr_limit *l, const char **ret_what);
