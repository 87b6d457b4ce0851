/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int vr_idmap_format(const struct vr_idmap *map, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, size - len, "%u %u %u\n", map[i].inside, map[i].outside, map[i].count);
		if (w < 0 || (size_t)w >= size - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	return (int)len;
}

/* The kernel accepts a map only in one write(2): a short write is a failure. */
static int write_file_at(int dirfd, const char *name, const char *data, size_t len)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return vr_neg_errno();
	w = write(fd, data, len);
	if (w < 0)
		return vr_neg_errno();
	if ((size_t)w != len)
		return -EIO;
	return 0;
}

static int write_map(int dirfd, const char *name, const struct vr_idmap *map, size_t n)
{
	char buf[4096];
	int len;

	if (n == 0)
		return 0;
	len = vr_idmap_format(map, n, buf, sizeof(buf));
	if (len < 0)
		return len;
	return write_file_at(dirfd, name, buf, (size_t)len);
}

int vr_idmap_write(pid_t pid, const struct vr_idmap *uids, size_t n_uids,
		   const struct vr_idmap *gids, size_t n_gids, bool deny_setgroups)
{
	char path[64];
	_cleanup_close_ int dirfd = -1;
	int r;

	(void)snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ESRCH : vr_neg_errno();

	r = write_map(dirfd, "uid_map", uids, n_uids);
	if (r < 0)
		return r;
	if (deny_setgroups) {
		r = write_file_at(dirfd, "setgroups", "deny", 4);
		if (r < 0)
			return r;
	}
	return write_map(dirfd, "gid_map", gids, n_gids);
}
