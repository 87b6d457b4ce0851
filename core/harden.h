/* SPDX-License-Identifier: MIT */
/* Hardening of a void: seccomp filter, capabilities kept, Landlock.
 * (The hardening issue fills this in.) */
#pragma once

struct vr_harden;

/* Free; accepts NULL. */
void vr_harden_free(struct vr_harden *h);

/* In the entry process, right before execve (or the entry function), with
 * no_new_privs set and capabilities dropped: apply Landlock and seccomp.
 * Child-safe: no allocation. Returns 0 or -errno; *ret_what names what
 * failed. h may be NULL (the defaults). */
int vr_harden_apply_entry(const struct vr_harden *h, const char **ret_what);
