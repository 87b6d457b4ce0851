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
 * /etc/ld.so.cache (see vr_ldcache_lookup) and the loader's built-in
 * directories, keeping only files of the same ELF class and machine. A
 * library is placed inside the void at the path where it was found when
 * the loader would search that directory without /etc/ld.so.cache (a
 * RUNPATH/RPATH directory or a built-in one), else in the first built-in
 * directory, so the void needs no ld.so.cache.
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

/* The loader's cache of libraries (/etc/ld.so.cache, written by ldconfig
 * from the directories of /etc/ld.so.conf), mapped read-only. */
struct vr_ldcache {
	const unsigned char *map;  /* the whole file */
	size_t size;
	const unsigned char *data; /* the new-format table: string offsets count from here */
	size_t data_size;
	unsigned nlibs;
};

/* Map the cache file at path (NULL: /etc/ld.so.cache). Only glibc's "new"
 * format (glibc-ld.so.cache1.1, alone or after the old table) is read,
 * as glibc's loader has written and read it since 2.2; a cache of the
 * other byte order is refused as the loader refuses it.
 * Returns 0, or -errno: -ENOENT (and the like) when the file cannot be
 * opened, -ENOEXEC when it is not a cache in that format or its tables
 * overrun the file, -ENOMEM. The loader then searches its built-in
 * directories alone, and so does vr_elf_deps. Release with vr_ldcache_close. */
int vr_ldcache_open(const char *path, struct vr_ldcache *ret);

/* Look up name (a DT_NEEDED, e.g. "libc.so.6") as the loader does: a
 * binary search in the table ldconfig sorted, then every entry for exactly
 * that name, in the table's order (ldconfig puts the most specific
 * architecture first). Entries of a glibc-hwcaps subdirectory or a legacy
 * hwcap (a copy the loader takes only on some CPUs) and entries that are
 * no ELF library are left out: those the void's own loader would not
 * find without the cache either. Stores up to max paths (pointing into
 * the mapping) in ret and returns how many entries there are, which may be
 * more than max. The caller checks each file's class and machine. */
size_t vr_ldcache_lookup(const struct vr_ldcache *c, const char *name, const char **ret, size_t max);

/* Unmap the cache. Accepts a zeroed struct; idempotent. */
void vr_ldcache_close(struct vr_ldcache *c);
