/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the core modules: cleanup attributes and ownership
 * hand-off in the manner of systemd and crun. Internal to core/. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void vr_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

static inline void vr_freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(vr_closep)))
#define _cleanup_free_ __attribute__((cleanup(vr_freep)))

/* Hand an fd out of a cleanup scope: returns it and leaves -1 behind. */
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })

#define VR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* errno of the last failed call, as a negative return value. Never 0. */
static inline int vr_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
