/* SPDX-License-Identifier: MIT */
/* cgroups for voids: find where a controller lives (cgroup v2, or a v1
 * hierarchy on a hybrid host), create one void's cgroup there, write its
 * control files, kill what it holds and remove it.
 *
 * This is mechanism only: which limit goes to which file is limit.c's
 * business. Nothing here reconfigures a hierarchy beyond what a void
 * needs: a "voidrun" directory below the chosen top, the controllers it
 * needs enabled on the way down (cgroup v2), and one directory per void,
 * removed again when the void ends.
 *
 * Where (the "top" below which "voidrun/" is made):
 *  - root: the hierarchy's root, or the topmost cgroup above its own that
 *    systemd marked as delegated (xattr trusted.delegate or user.delegate),
 *    provided no process sits in it directly;
 *  - any other user: the highest cgroup at or above its own that it may
 *    write (a delegated subtree such as user@UID.service). Without one,
 *    creating fails with -EACCES and says which controller is missing. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef PATH_MAX
#include <limits.h>
#endif

enum vr_cgroup_ctl {
	VR_CG_MEMORY,
	VR_CG_PIDS,
	VR_CG_CPU,
	VR_CG_N
};

#define VR_CG_BIT(c) (1u << (c))
#define VR_CG_ALL (VR_CG_BIT(VR_CG_N) - 1)

/* Where the cgroup file systems are mounted. */
struct vr_cgroup_mounts {
	char v2[PATH_MAX];           /* the cgroup2 mount, or "" */
	char v1[VR_CG_N][PATH_MAX];  /* the v1 hierarchy holding each controller, or "" */
};

/* "memory", "pids", "cpu"; NULL for anything else. */
const char *vr_cgroup_ctl_name(int ctl);

/* Parse the text of /proc/self/mountinfo. Pure (for tests). Returns 0;
 * a line that does not parse is skipped. */
int vr_cgroup_parse_mountinfo(const char *text, struct vr_cgroup_mounts *ret);

/* Which hierarchy serves the controllers in need (VR_CG_BIT mask): 2 when
 * every one is in v2_controllers (the space-separated contents of the v2
 * root's cgroup.controllers, or NULL without cgroup v2), else 1 when every
 * one has a v1 hierarchy in m. need 0 picks v2 when it is mounted. Pure.
 * Returns 1 or 2, or -ENODEV with *ret_missing set to the first controller
 * neither offers. */
int vr_cgroup_pick_version(const struct vr_cgroup_mounts *m, const char *v2_controllers, unsigned need,
			   int *ret_missing);

/* This process's cgroup in a hierarchy, from the text of /proc/self/cgroup:
 * ctl < 0 for cgroup v2 (the "0::" line), else the v1 line naming ctl.
 * Pure. Returns 0, -ENOENT when there is no such line, -ENAMETOOLONG. */
int vr_cgroup_parse_self(const char *text, int ctl, char *buf, size_t size);

struct vr_cgroup;

/* Create a fresh cgroup for one void holding the controllers in need,
 * named "PIDNS-PID-N" below TOP/voidrun/ in each hierarchy concerned
 * (empty ones left by a voidrun that died are removed on the way).
 * Returns 0, or -errno with a sentence in why naming the controller or
 * the path: -ENODEV when no hierarchy offers a controller, -EACCES when no
 * cgroup is delegated to the caller, -EBUSY when a controller cannot be
 * enabled because a process sits in the cgroup above, else the errno of
 * the mkdir or write that failed. */
int vr_cgroup_create(unsigned need, struct vr_cgroup **ret, char *why, size_t whylen);

/* 1 or 2. */
int vr_cgroup_version(const struct vr_cgroup *cg);

/* cgroup v2: an O_DIRECTORY fd of the cgroup, for clone3's
 * CLONE_INTO_CGROUP. -1 on v1, where no one directory holds everything. */
int vr_cgroup_dirfd(const struct vr_cgroup *cg);

/* The directory holding controller ctl (on v2, the one directory for
 * every ctl), or NULL when the cgroup has none for it. */
const char *vr_cgroup_path(const struct vr_cgroup *cg, int ctl);

/* The "voidrun" directory the cgroup lies in, for ctl (as above). */
const char *vr_cgroup_base(const struct vr_cgroup *cg, int ctl);

/* Write value to the control file named file of controller ctl's
 * directory. Returns 0, -ENOENT when the kernel lacks the file, -errno. */
int vr_cgroup_write(struct vr_cgroup *cg, int ctl, const char *file, const char *value);

/* Read a number from a control file of ctl's directory: with key NULL the
 * first word ("max" reads as UINT64_MAX), else the value on the line
 * "KEY N". Returns 0, -ENOENT (no such file or key), -EINVAL, -errno. */
int vr_cgroup_read(const struct vr_cgroup *cg, int ctl, const char *file, const char *key, uint64_t *ret);

/* Move pid into the cgroup in each hierarchy (cgroup.procs). Used on v1,
 * between clone3 and the child's start, since CLONE_INTO_CGROUP reaches
 * only the v2 hierarchy. Returns 0 or -errno. */
int vr_cgroup_attach(struct vr_cgroup *cg, pid_t pid);

/* SIGKILL everything in the cgroup: cgroup.kill on v2 (atomic, even
 * against a fork bomb), else every process cgroup.procs lists (each one
 * through a pidfd checked to still be in the cgroup, so a recycled pid is
 * never hit). Returns 0 or -errno. */
int vr_cgroup_kill(struct vr_cgroup *cg);

/* Kill what is left, remove the cgroup's directories (and "voidrun/"
 * when it has become empty), free. Returns 0, or the -errno of an rmdir
 * that kept failing (the directory is then left). Accepts NULL. */
int vr_cgroup_destroy(struct vr_cgroup *cg);
