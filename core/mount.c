/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static unsigned long ms_flags(unsigned flags)
{
	unsigned long f = 0;

	if (flags & VR_MOUNT_RDONLY)
		f |= MS_RDONLY;
	if (flags & VR_MOUNT_NOSUID)
		f |= MS_NOSUID;
	if (flags & VR_MOUNT_NODEV)
		f |= MS_NODEV;
	if (flags & VR_MOUNT_NOEXEC)
		f |= MS_NOEXEC;
	return f;
}

static uint64_t attr_flags(unsigned flags)
{
	uint64_t a = 0;

	if (flags & VR_MOUNT_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & VR_MOUNT_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (flags & VR_MOUNT_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (flags & VR_MOUNT_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

int vr_mount_make_private(const char *path)
{
	return mount(NULL, path, NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? vr_neg_errno() : 0;
}

int vr_mount_tmpfs(const char *dst, const char *data, unsigned flags)
{
	return mount("tmpfs", dst, "tmpfs", ms_flags(flags), data) < 0 ? vr_neg_errno() : 0;
}

int vr_mount_clone_tree(const char *src, unsigned flags)
{
	struct mount_attr attr = { .attr_set = attr_flags(flags) };
	_cleanup_close_ int fd = -1;

	fd = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return vr_neg_errno();
	/* Flags set on the detached copy apply to every mount in it before it
	 * becomes visible anywhere: no window where a read-only bind is
	 * writable, unlike the classic bind-then-remount. */
	if (attr.attr_set &&
	    syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return vr_neg_errno();
	return TAKE_FD(fd);
}

int vr_mount_attach(int fd, const char *dst)
{
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return vr_neg_errno();
	return 0;
}

int vr_mount_bind(const char *src, const char *dst, unsigned flags)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return vr_neg_errno();
	if (flags == 0)
		return 0;
	struct mount_attr attr = { .attr_set = attr_flags(flags) };
	if (syscall(SYS_mount_setattr, AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return vr_neg_errno();
	return 0;
}

int vr_mount_set_flags(const char *path, unsigned flags, bool recursive)
{
	struct mount_attr attr = { .attr_set = attr_flags(flags) };

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof(attr)) < 0)
		return vr_neg_errno();
	return 0;
}

int vr_mount_remount_ro(const char *path)
{
	/* mount_setattr adds the one flag; a MS_REMOUNT|MS_BIND would reset
	 * every per-mount flag not named (nosuid, nodev, noexec). */
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &attr, sizeof(attr)) < 0)
		return vr_neg_errno();
	return 0;
}

int vr_mount_proc(const char *dst)
{
	return mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? vr_neg_errno() : 0;
}

int vr_mount_pivot(const char *dir)
{
	if (chdir(dir) < 0)
		return vr_neg_errno();
	/* With new_root == put_old the old root ends up mounted on top of the
	 * new one at "/"; detaching "." then removes it and everything of the
	 * host below it, in one step. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return vr_neg_errno();
	if (umount2(".", MNT_DETACH) < 0)
		return vr_neg_errno();
	if (chdir("/") < 0)
		return vr_neg_errno();
	return 0;
}

int vr_mount_umount(const char *path, int flags)
{
	return umount2(path, flags) < 0 ? vr_neg_errno() : 0;
}

int vr_mount_mkdirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		int r = mkdir(path, 0755);
		*p = c;
		if (r < 0 && errno != EEXIST)
			return vr_neg_errno();
		if (c == '\0')
			return 0;
	}
}
