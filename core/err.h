/* SPDX-License-Identifier: MIT */
/* What failed while a void was being built: the step, the errno and the
 * paths involved. Fixed-size so that the child, which must not allocate
 * between clone3 and execve, can fill it in and write it to a pipe whole. */
#pragma once

#include <stddef.h>

enum vr_step {
	VR_STEP_NONE = 0,
	VR_STEP_CLONE,       /* clone3 itself */
	VR_STEP_IDMAP,       /* writing uid_map/gid_map/setgroups */
	VR_STEP_SYNC,        /* the parent went away before the void was built */
	VR_STEP_SETID,       /* setresuid/setresgid/setgroups inside the void */
	VR_STEP_PRIVATE,     /* making the inherited mounts private */
	VR_STEP_ROOT,        /* mounting the void's root tmpfs */
	VR_STEP_MKDIR,       /* creating a mount point */
	VR_STEP_BIND,        /* a bind mount */
	VR_STEP_TMPFS,       /* a tmpfs mount */
	VR_STEP_PROC,        /* mounting /proc */
	VR_STEP_DEV,         /* building the minimal /dev */
	VR_STEP_SYMLINK,     /* creating a symlink */
	VR_STEP_PIVOT,       /* pivot_root and dropping the old root */
	VR_STEP_READONLY,    /* remounting the root read-only */
	VR_STEP_NET,         /* bringing up lo in the new network namespace */
	VR_STEP_HOSTNAME,    /* sethostname */
	VR_STEP_CHDIR,       /* chdir to the working directory */
	VR_STEP_FDS,         /* placing and closing file descriptors */
	VR_STEP_SETSID,      /* setsid */
	VR_STEP_LIMITS,      /* applying resource limits */
	VR_STEP_CAPS,        /* dropping capabilities */
	VR_STEP_HARDEN,      /* Landlock and seccomp */
	VR_STEP_NNP,         /* PR_SET_NO_NEW_PRIVS */
	VR_STEP_FORK,        /* pid 1 forking the entry */
	VR_STEP_EXEC,        /* execve of the entry */
	VR_STEP_MAX
};

#define VR_ERR_PATH 1024

struct vr_err {
	int step;                 /* enum vr_step */
	int err;                  /* positive errno */
	char path[VR_ERR_PATH];   /* the path acted on, or "" */
	char path2[VR_ERR_PATH];  /* the second path (a bind's target), or "" */
};

/* A short English name for a step ("bind", "mount /proc", ...). Never NULL. */
const char *vr_step_name(int step);

/* Fill *e; paths may be NULL. Safe in the child: no allocation, no stdio. */
void vr_err_set(struct vr_err *e, int step, int err, const char *path, const char *path2);

/* Format "STEP PATH -> PATH2: strerror" into buf. Returns buf. Parent only. */
char *vr_err_format(const struct vr_err *e, char *buf, size_t size);
