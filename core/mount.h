/* SPDX-License-Identifier: MIT */
/* Mount primitives. All are plain system calls, safe to use in the child
 * between clone3 and execve (no allocation, no stdio). Each returns 0 or
 * -errno, the errno of the mount call that failed. */
#pragma once

#include <stdbool.h>

/* Mount flags voidrun asks for on every mount it makes: nothing a void is
 * given may carry set-uid binaries or device nodes (but /dev itself). */
#define VR_MOUNT_RDONLY  0x1u
#define VR_MOUNT_NOSUID  0x2u
#define VR_MOUNT_NODEV   0x4u
#define VR_MOUNT_NOEXEC  0x8u

/* Make every mount under path private (recursively), so nothing done in
 * this mount namespace propagates back to the host and nothing new on the
 * host propagates in. */
int vr_mount_make_private(const char *path);

/* Mount a tmpfs at dst with options data (e.g. "mode=0755,size=1m"). */
int vr_mount_tmpfs(const char *dst, const char *data, unsigned flags);

/* Bind src onto dst, recursively (a non-recursive bind of a tree holding
 * mounts locked by a user namespace is refused by the kernel anyway, and
 * would reveal what they cover). flags apply VR_MOUNT_* to the whole new
 * tree. -ENOENT when either path is missing, -ENOTDIR/-EISDIR when their
 * kinds differ. */
int vr_mount_bind(const char *src, const char *dst, unsigned flags);

/* Clone the tree at src into a detached mount (open_tree OPEN_TREE_CLONE,
 * recursive) with VR_MOUNT_* flags applied. Returns the mount fd (close-on-
 * exec) or -errno. Attach it with vr_mount_attach. */
int vr_mount_clone_tree(const char *src, unsigned flags);

/* Move the detached mount fd onto dst (move_mount). */
int vr_mount_attach(int fd, const char *dst);

/* Add flags (VR_MOUNT_*) to the mount at path, and with recursive to
 * every mount below it (mount_setattr). */
int vr_mount_set_flags(const char *path, unsigned flags, bool recursive);

/* Make the mount at path read-only (only this mount, not those below it;
 * its other flags are kept; the filesystem itself is untouched). */
int vr_mount_remount_ro(const char *path);

/* Mount a procfs at dst, nosuid,nodev,noexec. Requires being in a pid
 * namespace whose owner user namespace we have CAP_SYS_ADMIN in. */
int vr_mount_proc(const char *dst);

/* Make dir the root: pivot_root(".", ".") inside it, then detach the old
 * root lazily (the runc method; needs no directory for the old root).
 * Leaves the cwd at the new "/". */
int vr_mount_pivot(const char *dir);

/* umount2(path, flags). */
int vr_mount_umount(const char *path, int flags);

/* mkdir -p of path with mode 0755, in place: path must be writable, it is
 * restored before return. EEXIST is not an error. */
int vr_mount_mkdirs(char *path);
