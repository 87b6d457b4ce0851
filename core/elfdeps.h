/* SPDX-License-Identifier: MIT */
/* What a program needs from the filesystem to start: its ELF interpreter
 * and the closure of its shared libraries, each with the host file to bind
 * and the path inside the void where the loader will look for it. */
#pragma once

#include <stddef.h>

struct vr_elf_dep {
	char *host;    /* an existing host path to bind from (symlinks resolved) */
	char *inside;  /* the absolute path inside the void to bind it at */
};

struct vr_elf_deps {
	char *interp;             /* PT_INTERP as written in the binary, or NULL (static) */
	size_t n;
	struct vr_elf_dep *deps;  /* interpreter first (if any), then libraries, no duplicates */
};

/* Resolve what the ELF program at path needs, as the dynamic loader would:
 * PT_INTERP; then every DT_NEEDED, recursively, searched in DT_RPATH (when
 * there is no DT_RUNPATH), DT_RUNPATH ($ORIGIN, $LIB, $PLATFORM expanded),
 * the directories of /etc/ld.so.conf (with its include globs), and the
 * loader's built-in directories, keeping only files of the same ELF class
 * and machine. A library is placed inside the void at the path where it
 * was found when the loader would search that directory without
 * /etc/ld.so.cache (a RUNPATH/RPATH directory or a built-in one), else in
 * the first built-in directory, so the void needs no ld.so.cache.
 * The binary itself is not in the list.
 *
 * Returns 0, or -errno: -ENOENT when path or a needed library is missing,
 * -ENOEXEC when path (or a library) is not a usable ELF file, -ENOMEM.
 * On failure, when errpath is not NULL, it receives the path or library
 * name that failed (truncated to errsize). *ret is valid only on success
 * and must be released with vr_elf_deps_free. */
int vr_elf_deps(const char *path, struct vr_elf_deps *ret, char *errpath, size_t errsize);

/* Free what vr_elf_deps allocated. Accepts a zeroed struct; idempotent. */
void vr_elf_deps_free(struct vr_elf_deps *d);
