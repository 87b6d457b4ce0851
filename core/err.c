/* SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdio.h>
#include <string.h>

static const char *const step_names[VR_STEP_MAX] = {
	[VR_STEP_NONE] = "setup",
	[VR_STEP_CLONE] = "clone3",
	[VR_STEP_IDMAP] = "write id map",
	[VR_STEP_SYNC] = "wait for parent",
	[VR_STEP_SETID] = "set ids",
	[VR_STEP_PRIVATE] = "make mounts private",
	[VR_STEP_ROOT] = "mount root",
	[VR_STEP_MKDIR] = "create mount point",
	[VR_STEP_BIND] = "bind",
	[VR_STEP_TMPFS] = "tmpfs",
	[VR_STEP_PROC] = "proc",
	[VR_STEP_DEV] = "dev",
	[VR_STEP_SYMLINK] = "symlink",
	[VR_STEP_PIVOT] = "pivot_root",
	[VR_STEP_READONLY] = "remount read-only",
	[VR_STEP_NET] = "bring up",
	[VR_STEP_HOSTNAME] = "sethostname",
	[VR_STEP_CHDIR] = "chdir",
	[VR_STEP_FDS] = "place fds",
	[VR_STEP_SETSID] = "setsid",
	[VR_STEP_LIMITS] = "limit",
	[VR_STEP_CAPS] = "drop capabilities",
	[VR_STEP_HARDEN] = "harden",
	[VR_STEP_NNP] = "no_new_privs",
	[VR_STEP_FORK] = "fork entry",
	[VR_STEP_EXEC] = "exec",
};

const char *vr_step_name(int step)
{
	if (step < 0 || step >= VR_STEP_MAX || !step_names[step])
		return "unknown step";
	return step_names[step];
}

/* Bounded copy by hand: strlcpy-like, no libc state touched. */
static void copy_path(char *dst, const char *src)
{
	size_t i = 0;

	if (src)
		for (; src[i] && i < VR_ERR_PATH - 1; i++)
			dst[i] = src[i];
	dst[i] = '\0';
}

void vr_err_set(struct vr_err *e, int step, int err, const char *path, const char *path2)
{
	if (!e)
		return;
	e->step = step;
	e->err = err;
	copy_path(e->path, path);
	copy_path(e->path2, path2);
}

char *vr_err_format(const struct vr_err *e, char *buf, size_t size)
{
	const char *msg = e->err ? strerror(e->err) : "failed";

	if (e->path[0] && e->path2[0])
		(void)snprintf(buf, size, "%s %s -> %s: %s", vr_step_name(e->step), e->path, e->path2, msg);
	else if (e->path[0])
		(void)snprintf(buf, size, "%s %s: %s", vr_step_name(e->step), e->path, msg);
	else
		(void)snprintf(buf, size, "%s: %s", vr_step_name(e->step), msg);
	return buf;
}
