/* SPDX-License-Identifier: MIT */
/* vr_elf_deps against what glibc's loader really does: system binaries
 * cross-checked with ldd, and small programs built here at run time to
 * reach RUNPATH, RPATH, $ORIGIN, static linking and the failure paths; the
 * ld.so.cache reader against ldconfig -p and against caches written here,
 * corrupt ones included. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfdeps.h"

struct tmp {
	char dir[PATH_MAX]; /* realpath of a fresh directory */
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t || vr_test_mkdtemp("elf", t->dir) < 0) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	int r = vr_test_rmtree(t->dir);

	free(t);
	return r;
}

/* ---- helpers ---------------------------------------------------------- */

/* snprintf that fails the test rather than truncate a path. */
__attribute__((format(printf, 3, 4))) static void pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	assert_true(r >= 0 && (size_t)r < size);
}

/* Run a shell command built from fmt; returns its exit status, or -1. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(r > 0 && (size_t)r < sizeof(cmd));
	r = system(cmd);
	return r >= 0 && WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static bool have_cc(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = sh("cc --version >/dev/null 2>&1") == 0;
	return cached;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static const struct vr_elf_dep *by_inside(const struct vr_elf_deps *d, const char *inside)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->deps[i].inside, inside) == 0)
			return &d->deps[i];
	return NULL;
}

static const struct vr_elf_dep *by_name(const struct vr_elf_deps *d, const char *soname)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(base(d->deps[i].inside), soname) == 0)
			return &d->deps[i];
	return NULL;
}

/* What holds for every successful result: the interpreter first at its
 * PT_INTERP path, absolute inside paths, no duplicates, and host paths that
 * exist and are regular files, never symlinks. */
static void check_sane(const struct vr_elf_deps *d)
{
	if (d->interp) {
		assert_true(d->n >= 1);
		assert_string_equal(d->deps[0].inside, d->interp);
	}
	for (size_t i = 0; i < d->n; i++) {
		struct stat st;

		assert_non_null(d->deps[i].host);
		assert_non_null(d->deps[i].inside);
		assert_true(d->deps[i].inside[0] == '/');
		assert_int_equal(lstat(d->deps[i].host, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(d->deps[i].inside, d->deps[j].inside);
	}
}

/* Cross-check with the real loader: every library ldd resolves for path is
 * in d under the same name, bound from the same file, and nothing else is.
 * Returns false (having said why) when ldd cannot be used. */
static bool check_ldd(const struct vr_elf_deps *d, const char *path)
{
	char cmd[PATH_MAX + 32], line[2 * PATH_MAX];
	size_t seen = 0;
	FILE *p;

	pathf(cmd, sizeof(cmd), "ldd '%s' 2>/dev/null", path);
	p = popen(cmd, "re");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p)) {
		char name[PATH_MAX], file[PATH_MAX], real[PATH_MAX];
		const struct vr_elf_dep *dep;

		if (strstr(line, "not found")) {
			(void)pclose(p);
			fail_msg("ldd says a library of %s is missing: %s", path, line);
		}
		if (sscanf(line, " %4095s => %4095s", name, file) != 2 || file[0] != '/') {
			/* "/lib64/ld-linux-x86-64.so.2 (0x...)": the interpreter */
			if (sscanf(line, " %4095s (", name) == 1 && name[0] == '/')
				seen++;
			continue;
		}
		seen++;
		dep = by_name(d, base(name));
		if (!dep) {
			(void)pclose(p);
			fail_msg("%s: ldd finds %s, vr_elf_deps does not", path, name);
		}
		/* A glibc-hwcaps variant is the same library built for a newer
		 * CPU; which copy is bound is not checked here. */
		if (!strstr(file, "/glibc-hwcaps/")) {
			assert_non_null(realpath(file, real));
			assert_string_equal(dep->host, real);
		}
	}
	if (pclose(p) != 0 || seen == 0) {
		fprintf(stderr, "note: ldd unusable on %s, cross-check skipped\n", path);
		return false;
	}
	assert_int_equal(seen, d->n);
	return true;
}

/* Build a shared library dir/lib<name>.so.1 (soname libNAME.so.1) from
 * the C text src, with extra linker flags. */
static void build_lib(const char *dir, const char *name, const char *src, const char *flags)
{
	char c[PATH_MAX];

	pathf(c, sizeof(c), "%s/%s.c", dir, name);
	put(c, src);
	assert_int_equal(sh("cc -shared -fPIC -o '%s/lib%s.so.1' -Wl,-soname,lib%s.so.1 '%s' %s",
			    dir, name, name, c, flags), 0);
}

/* ---- failure paths ------------------------------------------------------ */

static void test_free_zeroed(void **state)
{
	struct vr_elf_deps d = { 0 };

	(void)state;
	vr_elf_deps_free(&d);
	vr_elf_deps_free(&d);
	vr_elf_deps_free(NULL);
	assert_null(d.deps);
	assert_null(d.interp);
	assert_int_equal(d.n, 0);
}

static void test_missing_path(void **state)
{
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "";

	(void)state;
	assert_int_equal(vr_elf_deps("/nonexistent/voidrun-test", &d, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/voidrun-test");
	/* A NULL errpath is allowed, and a short one is truncated. */
	assert_int_equal(vr_elf_deps("/nonexistent/voidrun-test", &d, NULL, 0), -ENOENT);
	assert_int_equal(vr_elf_deps("/nonexistent/voidrun-test", &d, err, 5), -ENOENT);
	assert_string_equal(err, "/non");
}

static void test_not_elf(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", text[PATH_MAX], empty[PATH_MAX];

	pathf(text, sizeof(text), "%s/text", t->dir);
	pathf(empty, sizeof(empty), "%s/empty", t->dir);
	put(text, "#!/bin/sh\necho not an ELF file\n");
	put(empty, "");
	assert_int_equal(vr_elf_deps(text, &d, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, text);
	assert_int_equal(vr_elf_deps(empty, &d, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, empty);
	/* A directory opens read-only, but is no program. */
	assert_int_equal(vr_elf_deps(t->dir, &d, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, t->dir);
	if (access("/etc/hostname", R_OK) == 0) {
		assert_int_equal(vr_elf_deps("/etc/hostname", &d, err, sizeof(err)), -ENOEXEC);
		assert_string_equal(err, "/etc/hostname");
	}
}

static void test_missing_library(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", prog[PATH_MAX], c[PATH_MAX];

	if (!have_cc())
		VR_SKIP("no C compiler to build a program with a missing library");
	pathf(c, sizeof(c), "%s/foo.c", t->dir);
	put(c, "int foo(void) { return 0; }\n");
	/* No -soname: DT_NEEDED is then the file name, "libfoo.so". */
	assert_int_equal(sh("cc -shared -fPIC -o '%s/libfoo.so' '%s'", t->dir, c), 0);
	pathf(c, sizeof(c), "%s/main.c", t->dir);
	put(c, "int foo(void);\nint main(void) { return foo(); }\n");
	pathf(prog, sizeof(prog), "%s/prog", t->dir);
	assert_int_equal(sh("cc -o '%s' '%s' -L'%s' -lfoo", prog, c, t->dir), 0);
	assert_int_equal(sh("rm '%s/libfoo.so'", t->dir), 0);

	assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "libfoo.so");
	assert_null(d.deps);
}

/* glibc passes over a library of another machine (as of another class) and
 * goes on searching, but a file there that is no ELF object at all makes it
 * fail. Both are checked against the real loader by running the program. */
static void test_search_skips_other_machine(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", prog[PATH_MAX], c[PATH_MAX], want[PATH_MAX];
	const struct vr_elf_dep *dep;
	unsigned char em[2] = { 183, 0 }; /* EM_AARCH64, little-endian */
	int fd;

	if (!have_cc())
		VR_SKIP("no C compiler to build test libraries");
	assert_int_equal(sh("mkdir -p '%s/a' '%s/b' '%s/t'", t->dir, t->dir, t->dir), 0);
	pathf(c, sizeof(c), "%s/b", t->dir);
	build_lib(c, "qux", "int qux(void) { return 0; }\n", "");
	/* a/libqux.so.1: the same library claiming another machine */
	assert_int_equal(sh("cp '%s/b/libqux.so.1' '%s/a/'", t->dir, t->dir), 0);
	pathf(c, sizeof(c), "%s/a/libqux.so.1", t->dir);
	fd = open(c, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, em, sizeof(em), 18), 2); /* e_machine */
	assert_int_equal(close(fd), 0);

	pathf(c, sizeof(c), "%s/main.c", t->dir);
	put(c, "int qux(void);\nint main(void) { return qux(); }\n");
	pathf(prog, sizeof(prog), "%s/prog", t->dir);
	assert_int_equal(sh("cc -o '%s' '%s' '%s/b/libqux.so.1' "
			    "-Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/a:$ORIGIN/t:$ORIGIN/b'",
			    prog, c, t->dir), 0);
	assert_int_equal(sh("'%s'", prog), 0);

	assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), 0);
	check_sane(&d);
	pathf(want, sizeof(want), "%s/b/libqux.so.1", t->dir);
	dep = by_inside(&d, want);
	assert_non_null(dep);
	assert_string_equal(dep->host, want);
	vr_elf_deps_free(&d);

	/* Now a text file in t/, searched before b/. */
	pathf(c, sizeof(c), "%s/t/libqux.so.1", t->dir);
	put(c, "not a library\n");
	assert_int_not_equal(sh("'%s' 2>/dev/null", prog), 0);
	assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), -ENOEXEC);
	assert_string_equal(err, c);
}

/* ---- system programs ---------------------------------------------------- */

static void test_echo(void **state)
{
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "";
	const struct vr_elf_dep *libc;
	struct stat st;

	(void)state;
	assert_int_equal(vr_elf_deps("/bin/echo", &d, err, sizeof(err)), 0);
	check_sane(&d);
	assert_non_null(d.interp);
#if defined(__x86_64__) && defined(__LP64__)
	assert_string_equal(d.interp, "/lib64/ld-linux-x86-64.so.2");
#endif
	assert_string_equal(d.deps[0].inside, d.interp);
	assert_int_equal(stat(d.interp, &st), 0);

	libc = by_name(&d, "libc.so.6");
	assert_non_null(libc);
	/* Where Debian's loader finds it: the multiarch directory, which is
	 * also a built-in one, so the library keeps that place. */
#if defined(__x86_64__) && defined(__LP64__)
	if (access("/lib/x86_64-linux-gnu/libc.so.6", F_OK) == 0)
		assert_string_equal(libc->inside, "/lib/x86_64-linux-gnu/libc.so.6");
#endif
	/* libc needs ld-linux-x86-64.so.2, satisfied by the interpreter. */
	assert_int_equal(d.n, 2);
	(void)check_ldd(&d, "/bin/echo");
	vr_elf_deps_free(&d);
	vr_elf_deps_free(&d);
}

/* A program whose libraries have libraries of their own. */
static void test_deep(void **state)
{
	static const char *const candidates[] = {
		"/usr/bin/curl", "/usr/bin/cmake", "/usr/bin/git", "/usr/bin/ssh", "/usr/bin/python3",
	};
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (access(candidates[i], X_OK) != 0)
			continue;
		assert_int_equal(vr_elf_deps(candidates[i], &d, err, sizeof(err)), 0);
		if (d.n <= 6) {
			vr_elf_deps_free(&d);
			continue;
		}
		check_sane(&d);
		assert_non_null(by_name(&d, "libc.so.6"));
		(void)check_ldd(&d, candidates[i]);
		vr_elf_deps_free(&d);
		return;
	}
	VR_SKIP("no installed program with more than five libraries (curl, cmake, git, ssh, python3)");
}

static void test_static(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", prog[PATH_MAX], c[PATH_MAX];
	bool any = false;

	if (!have_cc())
		VR_SKIP("no C compiler to build a static program");
	pathf(c, sizeof(c), "%s/main.c", t->dir);
	put(c, "int main(void) { return 0; }\n");

	pathf(prog, sizeof(prog), "%s/static", t->dir);
	if (sh("cc -static -o '%s' '%s' 2>/dev/null", prog, c) == 0) {
		any = true;
		assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), 0);
		assert_int_equal(d.n, 0);
		assert_null(d.interp);
		vr_elf_deps_free(&d);
	}
	/* static-pie: ET_DYN with a PT_DYNAMIC, but no PT_INTERP and nothing
	 * needed. */
	pathf(prog, sizeof(prog), "%s/static-pie", t->dir);
	if (sh("cc -static-pie -fPIE -o '%s' '%s' 2>/dev/null", prog, c) == 0) {
		any = true;
		assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), 0);
		assert_int_equal(d.n, 0);
		assert_null(d.interp);
		vr_elf_deps_free(&d);
	}
	if (!any)
		VR_SKIP("cc cannot link statically (no libc.a?)");
}

/* The programs the shipped profiles run (profiles/), as far as they are
 * installed here: resolved as ldd resolves them, each library where the
 * void's loader looks without a cache (a built-in directory). */
static void test_profile_programs(void **state)
{
	static const char *const programs[] = {
		"/bin/true", "/bin/cat", "/bin/echo", "/bin/gzip", "/bin/busybox", "/usr/bin/seq",
	};
	size_t tried = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		struct vr_elf_deps d = { 0 };
		char err[PATH_MAX] = "";

		if (access(programs[i], X_OK) != 0)
			continue;
		tried++;
		assert_int_equal(vr_elf_deps(programs[i], &d, err, sizeof(err)), 0);
		check_sane(&d);
		for (size_t j = 0; j < d.n; j++) {
			if (d.interp && j == 0)
				continue;
#if defined(__x86_64__) && defined(__LP64__)
			if (access("/lib/x86_64-linux-gnu", F_OK) == 0 && strncmp(d.deps[j].inside, "/lib/x86_64-linux-gnu/", 22) != 0
			    && strncmp(d.deps[j].inside, "/usr/lib/x86_64-linux-gnu/", 26) != 0)
				fail_msg("%s: %s is not in a built-in directory", programs[i], d.deps[j].inside);
#endif
		}
		(void)check_ldd(&d, programs[i]);
		vr_elf_deps_free(&d);
	}
	if (tried == 0)
		VR_SKIP("none of the profiles' programs is installed");
}

/* ---- /etc/ld.so.cache --------------------------------------------------- */

/* Every entry ldconfig -p lists (but copies for some CPUs only) is found
 * by vr_ldcache_lookup under its name, at the path ldconfig names. */
static void test_ldcache_ldconfig(void **state)
{
	struct vr_ldcache c = { 0 };
	char line[2 * PATH_MAX];
	size_t checked = 0;
	FILE *p;

	(void)state;
	if (vr_ldcache_open(NULL, &c) < 0)
		VR_SKIP("no usable /etc/ld.so.cache here");
	p = popen("PATH=/sbin:/usr/sbin:$PATH ldconfig -p 2>/dev/null", "re");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char name[PATH_MAX], flags[256], file[PATH_MAX];
		const char *hits[16];
		size_t n;
		bool seen = false;

		if (sscanf(line, " %4095s (%255[^)]) => %4095s", name, flags, file) != 3)
			continue;
		if (strstr(flags, "hwcap"))
			continue;
		n = vr_ldcache_lookup(&c, name, hits, 16);
		for (size_t i = 0; i < n && i < 16; i++)
			seen = seen || strcmp(hits[i], file) == 0;
		if (!seen) {
			(void)pclose(p);
			fail_msg("ldconfig -p lists %s => %s, vr_ldcache_lookup gives %zu other path(s)", name, file, n);
		}
		checked++;
	}
	(void)pclose(p);
	vr_ldcache_close(&c);
	vr_ldcache_close(&c);
	if (checked == 0)
		VR_SKIP("ldconfig -p listed nothing");
}

struct cache_ent {
	int32_t flags;
	const char *key, *value;
	uint64_t hwcap;
};

/* Write a cache in glibc's new format (after an empty old-format table
 * when old is set) with the entries given, in that order. */
static void write_cache(const char *path, bool old, uint8_t endian, const struct cache_ent *e, size_t n)
{
	unsigned char buf[4096] = { 0 };
	size_t base = old ? 16 : 0, strings = base + 48 + n * 24, pos = strings;
	uint32_t nlibs = (uint32_t)n;
	FILE *f;

	if (old)
		memcpy(buf, "ld.so-1.7.0", 11); /* nlibs 0 at offset 12 */
	memcpy(buf + base, "glibc-ld.so.cache1.1", 20);
	memcpy(buf + base + 20, &nlibs, 4);
	buf[base + 28] = endian;
	for (size_t i = 0; i < n; i++) {
		unsigned char *ent = buf + base + 48 + i * 24;
		uint32_t key, value;

		key = (uint32_t)(pos - base);
		memcpy(buf + pos, e[i].key, strlen(e[i].key) + 1);
		pos += strlen(e[i].key) + 1;
		value = (uint32_t)(pos - base);
		memcpy(buf + pos, e[i].value, strlen(e[i].value) + 1);
		pos += strlen(e[i].value) + 1;
		assert_true(pos < sizeof(buf));
		memcpy(ent, &e[i].flags, 4);
		memcpy(ent + 4, &key, 4);
		memcpy(ent + 8, &value, 4);
		memcpy(ent + 16, &e[i].hwcap, 8);
	}
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, pos, f), pos);
	assert_int_equal(fclose(f), 0);
}

/* Sorted as ldconfig sorts, descending with numbers compared as numbers
 * (10 after 9: a plain strcmp would search the wrong half). */
static const struct cache_ent cache_ents[] = {
	{ 0x0303, "libz.so.1", "/lib/x/libz.so.1", 0 },
	{ 0x0303, "libfoo.so.10", "/lib/x/libfoo.so.10", 0 },
	{ 0x0303, "libfoo.so.9", "/lib/x/glibc-hwcaps/x86-64-v3/libfoo.so.9", 1ULL << 62 },
	{ 0x0303, "libfoo.so.9", "/lib/x/libfoo.so.9", 0 },
	{ 0x0003, "libfoo.so.9", "/lib32/libfoo.so.9", 0 },
	{ 0x0000, "libbar.so.1", "/lib/x/libbar.so.1", 0 }, /* libc4: no ELF library */
	{ 0x0303, "libaaa.so.1", "/lib/x/libaaa.so.1", 0 },
};

#define N_CACHE_ENTS (sizeof(cache_ents) / sizeof(cache_ents[0]))

static void check_cache(const char *path)
{
	struct vr_ldcache c = { 0 };
	const char *hits[4];

	assert_int_equal(vr_ldcache_open(path, &c), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libfoo.so.9", hits, 4), 2);
	assert_string_equal(hits[0], "/lib/x/libfoo.so.9");
	assert_string_equal(hits[1], "/lib32/libfoo.so.9");
	/* more entries than room: the count, and the first ones */
	hits[1] = NULL;
	assert_int_equal(vr_ldcache_lookup(&c, "libfoo.so.9", hits, 1), 2);
	assert_string_equal(hits[0], "/lib/x/libfoo.so.9");
	assert_null(hits[1]);
	assert_int_equal(vr_ldcache_lookup(&c, "libfoo.so.10", hits, 4), 1);
	assert_string_equal(hits[0], "/lib/x/libfoo.so.10");
	assert_int_equal(vr_ldcache_lookup(&c, "libz.so.1", hits, 4), 1);
	assert_int_equal(vr_ldcache_lookup(&c, "libaaa.so.1", hits, 4), 1);
	assert_int_equal(vr_ldcache_lookup(&c, "libbar.so.1", hits, 4), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libfoo.so", hits, 4), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libnone.so.1", hits, 4), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "", hits, 4), 0);
	vr_ldcache_close(&c);
}

static void test_ldcache_written(void **state)
{
	struct tmp *t = *state;
	char path[PATH_MAX];
	uint8_t host = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3;

	pathf(path, sizeof(path), "%s/ld.so.cache", t->dir);
	write_cache(path, false, host, cache_ents, N_CACHE_ENTS);
	check_cache(path);
	/* a cache from before the byte-order flag */
	write_cache(path, false, 0, cache_ents, N_CACHE_ENTS);
	check_cache(path);
	/* the new format after the old one, as glibc 2.2 to 2.31 wrote it */
	write_cache(path, true, host, cache_ents, N_CACHE_ENTS);
	check_cache(path);
}

/* A bad cache is refused, or yields nothing where it is bad: never a
 * read outside the file, never a path that is not in it. */
static void test_ldcache_corrupt(void **state)
{
	struct tmp *t = *state;
	struct vr_ldcache c = { 0 };
	char path[PATH_MAX];
	const char *hits[4];
	uint8_t host = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3;
	uint32_t big = 100000, off;
	unsigned char buf[4096];
	size_t size;
	FILE *f;
	int fd;

	pathf(path, sizeof(path), "%s/missing", t->dir);
	assert_int_equal(vr_ldcache_open(path, &c), -ENOENT);
	assert_null(c.map);
	vr_ldcache_close(&c);
	assert_int_equal(vr_ldcache_open(t->dir, &c), -ENOEXEC);

	pathf(path, sizeof(path), "%s/ld.so.cache", t->dir);
	put(path, "");
	assert_int_equal(vr_ldcache_open(path, &c), -ENOEXEC);
	put(path, "not a cache, but long enough to hold the header of one........\n");
	assert_int_equal(vr_ldcache_open(path, &c), -ENOEXEC);

	/* the other byte order */
	write_cache(path, false, host ^ 1, cache_ents, N_CACHE_ENTS);
	assert_int_equal(vr_ldcache_open(path, &c), -ENOEXEC);

	/* more entries than the file holds */
	write_cache(path, false, host, cache_ents, N_CACHE_ENTS);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &big, 4, 20), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(vr_ldcache_open(path, &c), -ENOEXEC);

	/* an old-format table claiming more than the file */
	write_cache(path, true, host, cache_ents, N_CACHE_ENTS);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &big, 4, 12), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(vr_ldcache_open(path, &c), -ENOEXEC);

	/* a key offset past the end: the search ends there, empty-handed */
	write_cache(path, false, host, cache_ents, N_CACHE_ENTS);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &big, 4, 48 + 3 * 24 + 4), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(vr_ldcache_open(path, &c), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libfoo.so.9", hits, 4), 0);
	vr_ldcache_close(&c);

	/* the last value unterminated at the end of the file: left out */
	write_cache(path, false, host, cache_ents, N_CACHE_ENTS);
	f = fopen(path, "re");
	assert_non_null(f);
	size = fread(buf, 1, sizeof(buf), f);
	assert_int_equal(fclose(f), 0);
	assert_true(size > 0 && buf[size - 1] == '\0');
	assert_int_equal(truncate(path, (off_t)size - 1), 0);
	assert_int_equal(vr_ldcache_open(path, &c), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libaaa.so.1", hits, 4), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libz.so.1", hits, 4), 1);
	vr_ldcache_close(&c);

	/* a value offset pointing at a key: whatever string is there, but
	 * never outside the file */
	write_cache(path, false, host, cache_ents, N_CACHE_ENTS);
	off = 48 + 7 * 24;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &off, 4, 48 + 8), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(vr_ldcache_open(path, &c), 0);
	assert_int_equal(vr_ldcache_lookup(&c, "libz.so.1", hits, 4), 1);
	assert_string_equal(hits[0], "libz.so.1");
	vr_ldcache_close(&c);
}

/* ---- RUNPATH and RPATH -------------------------------------------------- */

/* bin/prog has RUNPATH $ORIGIN/../lib; lib/libbar.so.1 has its own RUNPATH
 * $ORIGIN/sub, where libbaz.so.1 is: each object's $ORIGIN is its own
 * directory, and the ".." is gone from the inside path. */
static void test_runpath_origin(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", prog[PATH_MAX], c[PATH_MAX], lib[PATH_MAX], want[PATH_MAX];
	const struct vr_elf_dep *dep;

	if (!have_cc())
		VR_SKIP("no C compiler to build a program with a RUNPATH");
	assert_int_equal(sh("mkdir -p '%s/bin' '%s/lib/sub'", t->dir, t->dir), 0);
	pathf(lib, sizeof(lib), "%s/lib", t->dir);
	pathf(c, sizeof(c), "%s/lib/sub", t->dir);
	build_lib(c, "baz", "int baz(void) { return 0; }\n", "");
	pathf(c, sizeof(c), "'%s/lib/sub/libbaz.so.1' -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/sub'",
		       t->dir);
	build_lib(lib, "bar", "int baz(void);\nint bar(void) { return baz(); }\n", c);

	pathf(c, sizeof(c), "%s/main.c", t->dir);
	put(c, "int bar(void);\nint main(void) { return bar(); }\n");
	pathf(prog, sizeof(prog), "%s/bin/prog", t->dir);
	assert_int_equal(sh("cc -o '%s' '%s' '%s/libbar.so.1' -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'",
			    prog, c, lib), 0);
	assert_int_equal(sh("'%s'", prog), 0); /* the real loader agrees */

	assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), 0);
	check_sane(&d);
	pathf(want, sizeof(want), "%s/lib/libbar.so.1", t->dir);
	dep = by_inside(&d, want);
	assert_non_null(dep);
	assert_string_equal(dep->host, want);
	pathf(want, sizeof(want), "%s/lib/sub/libbaz.so.1", t->dir);
	dep = by_inside(&d, want);
	assert_non_null(dep);
	assert_string_equal(dep->host, want);
	(void)check_ldd(&d, prog);
	vr_elf_deps_free(&d);
}

/* Build bin/prog needing lib/libbar.so.1, which needs lib/libbaz.so.1 but
 * has no search path of its own; prog's search path is $ORIGIN/../lib,
 * written as DT_RPATH or DT_RUNPATH. */
static void build_inherit(const struct tmp *t, const char *dtags, char *prog, size_t size)
{
	char c[PATH_MAX], lib[PATH_MAX], flags[PATH_MAX];

	assert_int_equal(sh("mkdir -p '%s/bin' '%s/lib'", t->dir, t->dir), 0);
	pathf(lib, sizeof(lib), "%s/lib", t->dir);
	build_lib(lib, "baz", "int baz(void) { return 0; }\n", "");
	pathf(flags, sizeof(flags), "'%s/libbaz.so.1'", lib);
	build_lib(lib, "bar", "int baz(void);\nint bar(void) { return baz(); }\n", flags);
	pathf(c, sizeof(c), "%s/main.c", t->dir);
	put(c, "int bar(void);\nint main(void) { return bar(); }\n");
	pathf(prog, size, "%s/bin/prog", t->dir);
	/* -rpath-link lets ld find libbaz without recording a path for it. */
	assert_int_equal(sh("cc -o '%s' '%s' '%s/libbar.so.1' -Wl,-rpath-link,'%s' -Wl,%s -Wl,-rpath,'$ORIGIN/../lib'",
			    prog, c, lib, lib, dtags), 0);
}

/* An executable's DT_RPATH also serves the libraries it loads. */
static void test_rpath_inherited(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", prog[PATH_MAX], want[PATH_MAX];

	if (!have_cc())
		VR_SKIP("no C compiler to build a program with an RPATH");
	build_inherit(t, "--disable-new-dtags", prog, sizeof(prog));
	assert_int_equal(sh("'%s'", prog), 0);

	assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), 0);
	check_sane(&d);
	pathf(want, sizeof(want), "%s/lib/libbaz.so.1", t->dir);
	assert_non_null(by_inside(&d, want));
	vr_elf_deps_free(&d);
}

/* A DT_RUNPATH serves only the object that has it. */
static void test_runpath_not_inherited(void **state)
{
	struct tmp *t = *state;
	struct vr_elf_deps d = { 0 };
	char err[PATH_MAX] = "", prog[PATH_MAX];

	if (!have_cc())
		VR_SKIP("no C compiler to build a program with a RUNPATH");
	build_inherit(t, "--enable-new-dtags", prog, sizeof(prog));
	assert_int_not_equal(sh("'%s' 2>/dev/null", prog), 0);

	assert_int_equal(vr_elf_deps(prog, &d, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "libbaz.so.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_zeroed),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test_setup_teardown(test_not_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_library, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_skips_other_machine, setup, teardown),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_profile_programs),
		cmocka_unit_test(test_ldcache_ldconfig),
		cmocka_unit_test_setup_teardown(test_ldcache_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ldcache_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runpath_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpath_inherited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runpath_not_inherited, setup, teardown),
	};

	return vr_test_run(tests);
}
