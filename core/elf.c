/* SPDX-License-Identifier: MIT */
/* Work out what a dynamically linked program needs from the filesystem by
 * doing what glibc's ld.so does (elf/dl-load.c, _dl_map_object): read
 * PT_INTERP and DT_NEEDED with libelf, then search each needed name in
 * DT_RPATH, DT_RUNPATH, /etc/ld.so.cache (read as elf/dl-cache.c reads it)
 * and the built-in directories, breadth first, so a void can be given
 * exactly those files.
 *
 * LD_LIBRARY_PATH and LD_PRELOAD are deliberately ignored: a void starts
 * with a clean environment, and the caller's environment must not decide
 * which host files are bound into it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "elfdeps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define LD_SO_CACHE "/etc/ld.so.cache"
#define NO_LOADER SIZE_MAX

/* ---- small owned containers ------------------------------------------ */

struct strv {
	char **v;
	size_t n, cap;
};

static void strv_done(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){ 0 };
}

/* Append str, taking ownership of it even on failure. */
static int strv_push(struct strv *s, char *str)
{
	if (!str)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = reallocarray(s->v, cap, sizeof(*v));

		if (!v) {
			free(str);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return 0;
}

static bool strv_has(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return true;
	return false;
}

static void elf_endp(Elf **e)
{
	if (*e)
		(void)elf_end(*e);
}

#define _cleanup_elf_ __attribute__((cleanup(elf_endp)))

/* ---- paths ------------------------------------------------------------ */

/* Lexically clean an absolute path ("//", "." and ".." removed, no
 * trailing slash). Inside the void every directory on the way to a bind is
 * a real directory the plan creates, so ".." there means the lexical
 * parent; this is also what makes two spellings of a place one bind. */
static char *path_clean(const char *p)
{
	size_t len = strlen(p);
	char *out = malloc(len + 2);
	size_t o = 0;

	if (!out)
		return NULL;
	while (*p) {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

/* dir/name; dir may end with a slash. */
static char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	char *s;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (asprintf(&s, "%.*s/%s", (int)dl, dir, name) < 0)
		return NULL;
	return s;
}

/* The absolute, lexically cleaned form of p, relative ones taken from the
 * current directory as the loader would. */
static char *path_absolute(const char *p)
{
	_cleanup_free_ char *cwd = NULL, *joined = NULL;

	if (p[0] == '/')
		return path_clean(p);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	joined = path_join(cwd, p);
	return joined ? path_clean(joined) : NULL;
}

/* The canonical path of the file open on fd, opened as path: the one
 * readlink of /proc/self/fd that names it, where realpath(3) would take one
 * per component of path. realpath(3) when /proc is not mounted or the
 * file is gone from its directory. Returns NULL with errno set. */
static char *fd_realpath(int fd, const char *path)
{
	static const char deleted[] = " (deleted)";
	char proc[32], buf[PATH_MAX];
	ssize_t n;

	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf));
	if (n > 0 && (size_t)n < sizeof(buf) && buf[0] == '/') {
		buf[n] = '\0';
		if ((size_t)n < strlen(deleted) || strcmp(buf + n - strlen(deleted), deleted) != 0)
			return strdup(buf);
	}
	return realpath(path, NULL);
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- reading one ELF file --------------------------------------------- */

struct elf_info {
	unsigned char cls, data;   /* EI_CLASS, EI_DATA */
	GElf_Half machine, type;
	char *interp;              /* PT_INTERP */
	char *soname;              /* DT_SONAME */
	char *rpath;               /* DT_RPATH, dropped when there is a DT_RUNPATH */
	char *runpath;             /* DT_RUNPATH */
	struct strv needed;        /* DT_NEEDED, in order */
	bool nodeflib;             /* DF_1_NODEFLIB: no cache, no built-in dirs */
	bool pie;                  /* DF_1_PIE: an executable, not loadable as a library */
	dev_t dev;
	ino_t ino;
};

static void elf_info_done(struct elf_info *i)
{
	free(i->interp);
	free(i->soname);
	free(i->rpath);
	free(i->runpath);
	strv_done(&i->needed);
	*i = (struct elf_info){ 0 };
}

/* Open a file that may be an ELF object. Refuses anything but a regular
 * file: O_NONBLOCK keeps a FIFO planted in a search path from hanging us. */
static int elf_open(const char *path, struct stat *st)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return vr_neg_errno();
	if (fstat(fd, st) < 0)
		return vr_neg_errno();
	if (!S_ISREG(st->st_mode))
		return -ENOEXEC;
	return TAKE_FD(fd);
}

/* A string of the dynamic string table, or NULL when the offset is out of
 * bounds or unterminated (a corrupt or hostile file). */
static const char *dynstr(const Elf_Data *strtab, GElf_Xword off)
{
	const char *s = strtab->d_buf;

	if (off >= strtab->d_size || !memchr(s + off, '\0', strtab->d_size - off))
		return NULL;
	return s + off;
}

/* File offset of a virtual address, through the PT_LOAD segments: the
 * section headers may be stripped, the program headers never are. */
static int vaddr_to_offset(Elf *elf, size_t phnum, GElf_Addr vaddr, GElf_Off *ret)
{
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*ret = ph.p_offset + (vaddr - ph.p_vaddr);
			return 0;
		}
	}
	return -ENOEXEC;
}

static int strdup_to(char **dst, const char *s)
{
	if (!s)
		return -ENOEXEC;
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* Read the dynamic section found at off/size into ret. */
static int elf_read_dynamic(Elf *elf, size_t phnum, GElf_Off off, GElf_Xword size,
			    struct elf_info *ret)
{
	GElf_Addr strtab_vaddr = 0;
	GElf_Xword strsz = 0;
	GElf_Off strtab_off;
	Elf_Data *dyn, *strtab;
	GElf_Dyn d;
	int r;

	dyn = elf_getdata_rawchunk(elf, (int64_t)off, size, ELF_T_DYN);
	if (!dyn)
		return -ENOEXEC;
	for (int i = 0; gelf_getdyn(dyn, i, &d) && d.d_tag != DT_NULL; i++) {
		if (d.d_tag == DT_STRTAB)
			strtab_vaddr = d.d_un.d_ptr;
		else if (d.d_tag == DT_STRSZ)
			strsz = d.d_un.d_val;
		else if (d.d_tag == DT_FLAGS_1) {
			ret->nodeflib = d.d_un.d_val & DF_1_NODEFLIB;
			ret->pie = d.d_un.d_val & DF_1_PIE;
		}
	}
	if (strtab_vaddr == 0 || strsz == 0)
		return 0; /* nothing named: a static-pie, say */
	r = vaddr_to_offset(elf, phnum, strtab_vaddr, &strtab_off);
	if (r < 0)
		return r;
	strtab = elf_getdata_rawchunk(elf, (int64_t)strtab_off, strsz, ELF_T_BYTE);
	if (!strtab)
		return -ENOEXEC;

	for (int i = 0; gelf_getdyn(dyn, i, &d) && d.d_tag != DT_NULL; i++) {
		const char *s;

		switch (d.d_tag) {
		case DT_NEEDED:
			s = dynstr(strtab, d.d_un.d_val);
			if (!s)
				return -ENOEXEC;
			r = strv_push(&ret->needed, strdup(s));
			break;
		case DT_SONAME:
			r = strdup_to(&ret->soname, dynstr(strtab, d.d_un.d_val));
			break;
		case DT_RPATH:
			r = strdup_to(&ret->rpath, dynstr(strtab, d.d_un.d_val));
			break;
		case DT_RUNPATH:
			r = strdup_to(&ret->runpath, dynstr(strtab, d.d_un.d_val));
			break;
		default:
			r = 0;
		}
		if (r < 0)
			return r;
	}
	/* As in glibc's get-dynamic-info.h: with a RUNPATH, RPATH is ignored,
	 * for this object and for the objects it loads. */
	if (ret->runpath) {
		free(ret->rpath);
		ret->rpath = NULL;
	}
	return 0;
}

/* Read what we need from the ELF file open on fd. Returns 0, -ENOEXEC when
 * it is not a usable ELF file, -ENOMEM, or, when want is given, 1 for an
 * ELF file of another class or machine, which the loader passes over
 * (glibc's open_verify: a 32-bit libc in /lib32 is no error, a text file
 * where a library should be is). Maps the file rather than reading it:
 * only the headers and the dynamic section are touched. */
static int elf_read(int fd, const struct elf_info *want, struct elf_info *ret)
{
	_cleanup_elf_ Elf *elf = NULL;
	GElf_Off dyn_off = 0;
	GElf_Xword dyn_size = 0;
	const char *ident;
	GElf_Ehdr eh;
	size_t phnum;

	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;
	ident = elf_getident(elf, NULL);
	if (!ident || !gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	ret->cls = (unsigned char)ident[EI_CLASS];
	ret->data = (unsigned char)ident[EI_DATA];
	ret->machine = eh.e_machine;
	ret->type = eh.e_type;
	if (want && (ret->cls != want->cls || ret->machine != want->machine))
		return 1;
	if (want && ret->data != want->data)
		return -ENOEXEC;
	if (elf_getphdrnum(elf, &phnum) < 0)
		return -ENOEXEC;

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return -ENOEXEC;
		if (ph.p_type == PT_INTERP && !ret->interp) {
			Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);

			if (!d || d->d_size == 0 || !memchr(d->d_buf, '\0', d->d_size))
				return -ENOEXEC;
			ret->interp = strdup(d->d_buf);
			if (!ret->interp)
				return -ENOMEM;
		} else if (ph.p_type == PT_DYNAMIC && dyn_size == 0) {
			dyn_off = ph.p_offset;
			dyn_size = ph.p_filesz;
		}
	}
	if (dyn_size == 0)
		return 0;
	return elf_read_dynamic(elf, phnum, dyn_off, dyn_size, ret);
}

/* ---- /etc/ld.so.cache -------------------------------------------------- */

/* The file's layout, as glibc's sysdeps/generic/dl-cache.h defines it:
 * the new format's header, then nlibs entries, then the strings. Read
 * with memcpy: the mapping promises no alignment to a hostile file. */
#define CACHE_MAGIC_OLD "ld.so-1.7.0"
#define CACHE_MAGIC_NEW "glibc-ld.so.cache1.1"
#define CACHE_OLD_HEADER 16    /* magic[11], nlibs (aligned) */
#define CACHE_OLD_ENTRY 12     /* flags, key, value */
#define CACHE_NEW_HEADER 48    /* magic[20], nlibs, len_strings, flags, pad[3], extension, unused[3] */
#define CACHE_NEW_ENTRY 24     /* flags, key, value, osversion, hwcap (u64) */
#define CACHE_FLAG_TYPE_MASK 0x00ff
#define CACHE_FLAG_ELF 0x0001
#define CACHE_FLAG_ELF_LIBC6 0x0003
#define CACHE_ENDIAN_MASK 3
#define CACHE_ENDIAN_UNSET 0
#define CACHE_ENDIAN_HOST (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3)

static uint32_t cache_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t cache_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int vr_ldcache_open(const char *path, struct vr_ldcache *ret)
{
	_cleanup_close_ int fd = -1;
	const unsigned char *map, *nw;
	struct stat st;
	size_t size, off = 0;
	uint32_t nlibs;
	void *m;

	*ret = (struct vr_ldcache){ 0 };
	fd = open(path ? path : LD_SO_CACHE, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return vr_neg_errno();
	if (fstat(fd, &st) < 0)
		return vr_neg_errno();
	if (!S_ISREG(st.st_mode) || st.st_size < CACHE_NEW_HEADER || (uint64_t)st.st_size > SIZE_MAX / 2)
		return -ENOEXEC;
	size = (size_t)st.st_size;
	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return vr_neg_errno();
	map = m;
	/* The old format may come first, the new one then follows its table
	 * (aligned as the new header is, to 8 bytes). */
	if (memcmp(map, CACHE_MAGIC_OLD, strlen(CACHE_MAGIC_OLD)) == 0) {
		uint32_t old = cache_u32(map + 12);

		if ((size - CACHE_OLD_HEADER) / CACHE_OLD_ENTRY < old)
			goto bad;
		off = (CACHE_OLD_HEADER + (size_t)old * CACHE_OLD_ENTRY + 7) & ~(size_t)7;
	}
	if (size < CACHE_NEW_HEADER || off > size - CACHE_NEW_HEADER)
		goto bad;
	nw = map + off;
	if (memcmp(nw, CACHE_MAGIC_NEW, strlen(CACHE_MAGIC_NEW)) != 0)
		goto bad;
	/* A cache of the other byte order (a foreign root's) is unusable,
	 * to the loader as to us. Caches from before the flag say nothing. */
	if ((nw[28] & CACHE_ENDIAN_MASK) != CACHE_ENDIAN_UNSET && (nw[28] & CACHE_ENDIAN_MASK) != CACHE_ENDIAN_HOST)
		goto bad;
	nlibs = cache_u32(nw + 20);
	if ((size - off - CACHE_NEW_HEADER) / CACHE_NEW_ENTRY < nlibs)
		goto bad;
	*ret = (struct vr_ldcache){ .map = map, .size = size, .data = nw, .data_size = size - off, .nlibs = nlibs };
	return 0;
bad:
	(void)munmap(m, size);
	return -ENOEXEC;
}

/* The string at offset off of the table, or NULL when it is out of bounds
 * or unterminated (a corrupt or hostile cache). */
static const char *cache_str(const struct vr_ldcache *c, uint32_t off)
{
	if (off >= c->data_size || !memchr(c->data + off, '\0', c->data_size - off))
		return NULL;
	return (const char *)c->data + off;
}

/* glibc's _dl_cache_libcmp, the order ldconfig sorts by: digit runs
 * compare as numbers and sort after everything else; other characters as
 * plain chars, as there. */
static int cache_cmp(const char *a, const char *b)
{
	while (*a) {
		if (isdigit((unsigned char)*a)) {
			unsigned long x = 0, y = 0;

			if (!isdigit((unsigned char)*b))
				return 1;
			while (isdigit((unsigned char)*a))
				x = x * 10 + (unsigned long)(*a++ - '0');
			while (isdigit((unsigned char)*b))
				y = y * 10 + (unsigned long)(*b++ - '0');
			if (x != y)
				return x < y ? -1 : 1;
		} else if (isdigit((unsigned char)*b)) {
			return -1;
		} else if (*a != *b) {
			return *a - *b;
		} else {
			a++;
			b++;
		}
	}
	return -*b;
}

size_t vr_ldcache_lookup(const struct vr_ldcache *c, const char *name, const char **ret, size_t max)
{
	const unsigned char *libs = c->data + CACHE_NEW_HEADER;
	size_t lo = 0, hi = c->nlibs, n = 0, i;
	bool found = false;

	/* the first entry whose key is not above name: ldconfig sorted the
	 * table by cache_cmp, in descending order (an entry whose key is
	 * corrupt ends the search, as in the loader) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *key = cache_str(c, cache_u32(libs + mid * CACHE_NEW_ENTRY + 4));
		int cmp;

		if (!key)
			return 0;
		cmp = cache_cmp(name, key);
		if (cmp == 0)
			found = true;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!found)
		return 0;
	for (i = lo; i < c->nlibs; i++) {
		const unsigned char *e = libs + i * CACHE_NEW_ENTRY;
		const char *key = cache_str(c, cache_u32(e + 4));
		const char *value = cache_str(c, cache_u32(e + 8));
		uint32_t flags = cache_u32(e);

		if (!key || cache_cmp(name, key) != 0)
			break;
		/* a copy for some CPUs only (glibc-hwcaps, legacy hwcap), or
		 * not an ELF library: not what the loader takes by default */
		if (!value || cache_u64(e + 16) != 0)
			continue;
		if ((flags & CACHE_FLAG_TYPE_MASK) != CACHE_FLAG_ELF && (flags & CACHE_FLAG_TYPE_MASK) != CACHE_FLAG_ELF_LIBC6)
			continue;
		if (n < max)
			ret[n] = value;
		n++;
	}
	return n;
}

void vr_ldcache_close(struct vr_ldcache *c)
{
	if (!c)
		return;
	if (c->map)
		(void)munmap((void *)c->map, c->size);
	*c = (struct vr_ldcache){ 0 };
}

/* ---- the search ------------------------------------------------------- */

/* An object loaded so far, kept for what its dependents need of it. */
struct obj {
	char *origin;       /* its directory, for $ORIGIN */
	char *rpath;        /* DT_RPATH (NULL when it has a DT_RUNPATH) */
	char *runpath;      /* DT_RUNPATH */
	struct strv needed; /* DT_NEEDED */
	bool nodeflib;
	size_t loader;      /* the object whose DT_NEEDED loaded it, or NO_LOADER */
	dev_t dev;
	ino_t ino;
};

struct ctx {
	struct elf_info want;     /* class and machine every object must have */
	char multiarch[2][64];    /* /lib/<triplet>, /usr/lib/<triplet> */
	const char *builtin[6];   /* the loader's built-in directories */
	size_t n_builtin;
	const char *home;         /* first built-in dir that exists: where cache-found libraries go */
	char *lib;                /* $LIB */
	const char *platform;     /* $PLATFORM, or NULL */
	struct vr_ldcache cache;  /* /etc/ld.so.cache, mapped at the first search that gets there */
	bool cache_tried;
	struct strv names;        /* names already satisfied (DT_NEEDED, DT_SONAME) */
	struct obj *objs;
	size_t n_objs, cap_objs;
	struct vr_elf_deps out;
	size_t cap_out;
	char *errpath;
	size_t errsize;
	bool failed;              /* errpath has been set */
};

static void obj_done(struct obj *o)
{
	free(o->origin);
	free(o->rpath);
	free(o->runpath);
	strv_done(&o->needed);
}

static void ctx_done(struct ctx *c)
{
	for (size_t i = 0; i < c->n_objs; i++)
		obj_done(&c->objs[i]);
	free(c->objs);
	free(c->lib);
	vr_ldcache_close(&c->cache);
	strv_done(&c->names);
	vr_elf_deps_free(&c->out);
}

/* Name what failed, once: the first, innermost report is the precise one. */
static int fail(struct ctx *c, int r, const char *what)
{
	if (c->failed)
		return r;
	c->failed = true;
	if (c->errpath && c->errsize > 0)
		(void)snprintf(c->errpath, c->errsize, "%s", what);
	return r;
}

/* The multiarch triplet Debian's ld.so searches for objects of this kind,
 * from the binary rather than from how voidrun was built, so that a 32-bit
 * program on a 64-bit host gets its own directories. */
static const char *multiarch(const struct elf_info *w)
{
	bool is64 = w->cls == ELFCLASS64, le = w->data == ELFDATA2LSB;

	switch (w->machine) {
	case EM_X86_64:
		return is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
	case EM_386:
		return "i386-linux-gnu";
	case EM_AARCH64:
		return le ? "aarch64-linux-gnu" : "aarch64_be-linux-gnu";
	case EM_ARM:
		/* Which of the two ABIs cannot be told from the machine alone;
		 * hard-float is what current distributions ship. */
		return "arm-linux-gnueabihf";
	case EM_RISCV:
		return is64 ? "riscv64-linux-gnu" : NULL;
	case EM_PPC64:
		return le ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu";
	case EM_PPC:
		return "powerpc-linux-gnu";
	case EM_S390:
		return is64 ? "s390x-linux-gnu" : NULL;
#ifdef EM_LOONGARCH
	case EM_LOONGARCH:
		return is64 ? "loongarch64-linux-gnu" : NULL;
#endif
	default:
		return NULL;
	}
}

/* The loader's built-in search path, which it uses with no ld.so.cache:
 * multiarch directories on Debian and its derivatives, lib64 on the
 * Fedora-style 64-bit layout, then /lib and /usr/lib. The order keeps the
 * distribution's own layout first where both exist. */
static int builtin_init(struct ctx *c)
{
	const char *t = multiarch(&c->want);
	size_t n = 0;

	if (t) {
		(void)snprintf(c->multiarch[0], sizeof(c->multiarch[0]), "/lib/%s", t);
		(void)snprintf(c->multiarch[1], sizeof(c->multiarch[1]), "/usr/lib/%s", t);
		c->builtin[n++] = c->multiarch[0];
		c->builtin[n++] = c->multiarch[1];
	}
	if (c->want.cls == ELFCLASS64) {
		c->builtin[n++] = "/lib64";
		c->builtin[n++] = "/usr/lib64";
	}
	c->builtin[n++] = "/lib";
	c->builtin[n++] = "/usr/lib";
	c->n_builtin = n;

	/* A library the host loader finds through ld.so.cache is placed in
	 * the first built-in directory this host really has, since the void
	 * has no cache: a multiarch directory on Debian, /lib64 on Fedora. */
	for (size_t i = 0; i < n && !c->home; i++)
		if (is_dir(c->builtin[i]))
			c->home = c->builtin[i];
	if (!c->home)
		c->home = c->builtin[0];
	/* glibc's $LIB is that same directory, relative to the root. */
	c->lib = strdup(c->home + 1);
	if (!c->lib)
		return -ENOMEM;
	c->platform = (const char *)getauxval(AT_PLATFORM);
	return 0;
}

static bool is_builtin(const struct ctx *c, const char *dir)
{
	for (size_t i = 0; i < c->n_builtin; i++)
		if (strcmp(c->builtin[i], dir) == 0)
			return true;
	return false;
}

/* Length of the dynamic string token `name` at s (just past its '$'),
 * "NAME" or "{NAME}", or 0 when s does not start with it. */
static size_t dst_len(const char *s, const char *name)
{
	bool curly = *s == '{';
	size_t l = strlen(name);

	if (strncmp(s + curly, name, l) != 0)
		return 0;
	if (curly)
		return s[l + 1] == '}' ? l + 2 : 0;
	return isalnum((unsigned char)s[l]) || s[l] == '_' ? 0 : l;
}

static int append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *b = realloc(*buf, ncap);

		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = ncap;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Expand $ORIGIN, $LIB and $PLATFORM (also as ${...}) in s, as the loader
 * does in RPATH, RUNPATH and DT_NEEDED. Returns 0, 1 when a token has no
 * value here (the loader then drops that element), or -ENOMEM. An unknown
 * token stays as written, as in glibc. */
static int expand(const struct ctx *c, const char *s, const char *origin, char **ret)
{
	static const char *const names[] = { "ORIGIN", "LIB", "PLATFORM" };
	const char *const values[] = { origin, c->lib, c->platform };
	_cleanup_free_ char *out = NULL;
	size_t len = 0, cap = 0;
	int r;

	r = append(&out, &len, &cap, "", 0);
	while (r >= 0 && *s) {
		const char *piece = s;
		size_t n = 1, skip = 1;

		for (size_t i = 0; *s == '$' && i < VR_ARRAY_SIZE(names); i++) {
			size_t l = dst_len(s + 1, names[i]);

			if (l == 0)
				continue;
			if (!values[i])
				return 1;
			piece = values[i];
			n = strlen(piece);
			skip = l + 1;
			break;
		}
		r = append(&out, &len, &cap, piece, n);
		s += skip;
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}

/* A file found for a needed name. */
struct found {
	char *path;          /* as opened, for $ORIGIN */
	char *real;          /* with symlinks resolved: the host path */
	char *inside;        /* where it goes in the void */
	struct elf_info info;
};

static void found_done(struct found *f)
{
	free(f->path);
	free(f->real);
	free(f->inside);
	elf_info_done(&f->info);
	*f = (struct found){ 0 };
}

/* Try path as the library. Returns 1 when it is a usable object (f filled
 * in), 0 to go on searching, or -errno to stop, with errpath set to path:
 * as in glibc's open_path, only a missing or unreadable file or one of
 * another class or machine lets the search go on; anything else there
 * makes the loader fail, and so it makes us fail rather than bind a
 * library the program would never get. */
static int try_file(struct ctx *c, const char *path, struct found *f)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	fd = elf_open(path, &st);
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -EACCES)
		return 0;
	if (fd < 0)
		return fail(c, fd, path);
	r = elf_read(fd, &c->want, &f->info);
	/* Only shared objects load as libraries: glibc refuses ET_EXEC and
	 * position-independent executables. */
	if (r == 0 && (f->info.type != ET_DYN || f->info.pie))
		r = -ENOEXEC;
	if (r != 0) {
		elf_info_done(&f->info);
		return r > 0 ? 0 : fail(c, r, path);
	}
	f->info.dev = st.st_dev;
	f->info.ino = st.st_ino;
	/* The bind source must not be a symlink: binding one would bind its
	 * target anyway, but resolving here makes the plan say what it does. */
	f->real = fd_realpath(fd, path);
	if (!f->real) {
		r = vr_neg_errno();
		found_done(f);
		return fail(c, r, path);
	}
	f->path = strdup(path);
	if (!f->path) {
		found_done(f);
		return -ENOMEM;
	}
	return 1;
}

/* Try dir/name. keep: the void's loader will search dir itself, so the
 * library keeps its place; otherwise it goes to the home directory. */
static int try_dir(struct ctx *c, const char *dir, bool keep, const char *name, struct found *f)
{
	_cleanup_free_ char *path = path_join(dir, name);
	_cleanup_free_ char *clean = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = try_file(c, path, f);
	if (r <= 0)
		return r;
	clean = path_clean(keep ? dir : c->home);
	f->inside = clean ? path_join(clean, name) : NULL;
	if (!f->inside) {
		found_done(f);
		return -ENOMEM;
	}
	return 1;
}

/* Try path, which the cache gives for name. The void has no cache: the
 * library keeps its place where the loader searches that directory
 * without one (a built-in directory), else it goes to the home
 * directory, under the name the loader will look for. */
static int try_cached(struct ctx *c, const char *path, const char *name, struct found *f)
{
	_cleanup_free_ char *dir = NULL;
	char *slash;
	int r;

	/* ldconfig writes absolute paths: anything else is not its doing */
	if (path[0] != '/')
		return 0;
	r = try_file(c, path, f);
	if (r <= 0)
		return r;
	dir = path_clean(path);
	if (!dir) {
		found_done(f);
		return -ENOMEM;
	}
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	f->inside = path_join(is_builtin(c, dir) ? dir : c->home, name);
	if (!f->inside) {
		found_done(f);
		return -ENOMEM;
	}
	return 1;
}

/* Try each directory of a colon-separated RPATH/RUNPATH of the object o. */
static int try_path_list(struct ctx *c, const struct obj *o, const char *list, const char *name,
			 struct found *f)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *e = strtok_r(copy, ":", &save); e; e = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *dir = NULL;
		int r = expand(c, e, o->origin, &dir);

		if (r < 0)
			return r;
		/* A relative directory would be taken from the current one of
		 * the process inside the void, which we cannot know here; a
		 * relative RPATH is a known hazard anyway, so it is not bound. */
		if (r > 0 || dir[0] != '/')
			continue;
		r = try_dir(c, dir, true, name, f);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Search name as needed by object `from`, in the loader's order. Returns 1
 * when found, 0 when not, or -errno. */
static int search(struct ctx *c, size_t from, const char *name, struct found *f)
{
	const struct obj *o = &c->objs[from];
	int r;

	if (strchr(name, '/')) {
		_cleanup_free_ char *p = NULL;

		r = expand(c, name, o->origin, &p);
		if (r != 0)
			return r < 0 ? r : 0;
		r = try_file(c, p, f);
		if (r <= 0)
			return r;
		f->inside = path_absolute(p);
		if (!f->inside) {
			found_done(f);
			return -ENOMEM;
		}
		return 1;
	}

	/* RPATH of this object, then of the one that loaded it and so on up to
	 * the executable, unless this object has a RUNPATH. */
	if (!o->runpath)
		for (size_t l = from; l != NO_LOADER; l = c->objs[l].loader)
			if (c->objs[l].rpath) {
				r = try_path_list(c, &c->objs[l], c->objs[l].rpath, name, f);
				if (r != 0)
					return r;
			}
	if (o->runpath) {
		r = try_path_list(c, o, o->runpath, name, f);
		if (r != 0)
			return r;
	}
	if (o->nodeflib)
		return 0;

	/* ld.so.cache, mapped once per call and only when a search gets this
	 * far. Without a usable cache the loader goes on to its built-in
	 * directories, and so do we. */
	if (!c->cache_tried) {
		c->cache_tried = true;
		r = vr_ldcache_open(LD_SO_CACHE, &c->cache);
		if (r == -ENOMEM)
			return r;
	}
	if (c->cache.map) {
		const char *hits[4];
		size_t n = vr_ldcache_lookup(&c->cache, name, hits, VR_ARRAY_SIZE(hits));

		for (size_t i = 0; i < n && i < VR_ARRAY_SIZE(hits); i++) {
			r = try_cached(c, hits[i], name, f);
			if (r != 0)
				return r;
		}
	}
	for (size_t i = 0; i < c->n_builtin; i++) {
		r = try_dir(c, c->builtin[i], true, name, f);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Add a bind of host (its symlinks resolved: fd_realpath) at inside. */
static int out_add(struct ctx *c, const char *real, const char *inside)
{
	_cleanup_free_ char *host = NULL, *in = NULL;
	struct vr_elf_dep *d;

	for (size_t i = 0; i < c->out.n; i++)
		if (strcmp(c->out.deps[i].inside, inside) == 0)
			return 0;
	host = strdup(real);
	in = strdup(inside);
	if (!host || !in)
		return -ENOMEM;
	if (c->out.n == c->cap_out) {
		size_t cap = c->cap_out ? c->cap_out * 2 : 16;

		d = reallocarray(c->out.deps, cap, sizeof(*d));
		if (!d)
			return -ENOMEM;
		c->out.deps = d;
		c->cap_out = cap;
	}
	c->out.deps[c->out.n++] = (struct vr_elf_dep){ .host = TAKE_PTR(host), .inside = TAKE_PTR(in) };
	return 0;
}

/* Take the object described by info (found at path) as loaded by loader.
 * Moves its strings out of info. */
static int obj_add(struct ctx *c, const char *path, struct elf_info *info, size_t loader)
{
	_cleanup_free_ char *origin = NULL;
	char *slash;

	/* Like the loader, which walks each object's DT_NEEDED once even if
	 * it was reached under two names. */
	for (size_t i = 0; i < c->n_objs; i++)
		if (c->objs[i].dev == info->dev && c->objs[i].ino == info->ino)
			return 0;
	origin = path_absolute(path);
	if (!origin)
		return -ENOMEM;
	slash = strrchr(origin, '/');
	slash[slash == origin ? 1 : 0] = '\0';
	if (c->n_objs == c->cap_objs) {
		size_t cap = c->cap_objs ? c->cap_objs * 2 : 16;
		struct obj *o = reallocarray(c->objs, cap, sizeof(*o));

		if (!o)
			return -ENOMEM;
		c->objs = o;
		c->cap_objs = cap;
	}
	c->objs[c->n_objs++] = (struct obj){
		.origin = TAKE_PTR(origin),
		.rpath = TAKE_PTR(info->rpath),
		.runpath = TAKE_PTR(info->runpath),
		.needed = info->needed,
		.nodeflib = info->nodeflib,
		.loader = loader,
		.dev = info->dev,
		.ino = info->ino,
	};
	info->needed = (struct strv){ 0 };
	return 0;
}

/* Note a name the loader would match a later DT_NEEDED against. */
static int name_add(struct ctx *c, const char *name)
{
	if (!name || strv_has(&c->names, name))
		return 0;
	return strv_push(&c->names, strdup(name));
}

/* The interpreter goes in at exactly its PT_INTERP path: the kernel opens
 * that path, not a searched one. Its soname is noted so that libc's own
 * DT_NEEDED on it is already satisfied, as in the loader. */
static int add_interp(struct ctx *c, const char *interp)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *inside = NULL, *real = NULL;
	struct elf_info info = { 0 };
	struct stat st;
	int r;

	if (interp[0] != '/')
		return fail(c, -ENOEXEC, interp);
	fd = elf_open(interp, &st);
	if (fd < 0)
		return fail(c, fd, interp);
	real = fd_realpath(fd, interp);
	if (!real)
		return fail(c, vr_neg_errno(), interp);
	r = elf_read(fd, &c->want, &info);
	if (r > 0)
		r = -ENOEXEC;
	if (r >= 0) {
		r = name_add(c, info.soname);
		if (r >= 0)
			r = name_add(c, interp);
	}
	elf_info_done(&info);
	if (r < 0)
		return fail(c, r, interp);
	inside = path_clean(interp);
	if (!inside)
		return fail(c, -ENOMEM, interp);
	r = out_add(c, real, inside);
	return r < 0 ? fail(c, r, interp) : 0;
}

/* Load the libraries, breadth first as the loader does, so that the first
 * object to need a name decides where it is searched for. */
static int resolve(struct ctx *c)
{
	for (size_t i = 0; i < c->n_objs; i++) {
		for (size_t j = 0; j < c->objs[i].needed.n; j++) {
			/* objs may move as it grows: index it afresh each time */
			const char *name = c->objs[i].needed.v[j];
			struct found f = { 0 };
			int r;

			if (strv_has(&c->names, name))
				continue;
			r = search(c, i, name, &f);
			if (r == 0)
				return fail(c, -ENOENT, name);
			if (r < 0)
				return fail(c, r, name);
			r = name_add(c, name);
			if (r >= 0)
				r = name_add(c, f.info.soname);
			if (r >= 0)
				r = out_add(c, f.real, f.inside);
			if (r >= 0)
				r = obj_add(c, f.path, &f.info, i);
			if (r < 0)
				(void)fail(c, r, f.path);
			found_done(&f);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int vr_elf_deps(const char *path, struct vr_elf_deps *ret, char *errpath, size_t errsize)
{
	__attribute__((cleanup(ctx_done))) struct ctx c = { .errpath = errpath, .errsize = errsize };
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *real = NULL;
	struct elf_info bin = { 0 };
	struct stat st;
	int r;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(&c, -ENOEXEC, path);
	fd = elf_open(path, &st);
	if (fd < 0)
		return fail(&c, fd, path);
	r = elf_read(fd, NULL, &bin);
	if (r >= 0 && bin.type != ET_EXEC && bin.type != ET_DYN)
		r = -ENOEXEC;
	/* $ORIGIN of the executable is where the kernel says it is
	 * (/proc/self/exe), with symlinks resolved. */
	if (r >= 0) {
		real = fd_realpath(fd, path);
		if (!real)
			r = vr_neg_errno();
	}
	if (r < 0)
		goto fail_bin;
	c.want = (struct elf_info){ .cls = bin.cls, .data = bin.data, .machine = bin.machine };
	r = builtin_init(&c);
	if (r < 0)
		goto fail_bin;
	if (bin.interp) {
		r = add_interp(&c, bin.interp);
		if (r < 0) {
			elf_info_done(&bin);
			return r;
		}
		c.out.interp = TAKE_PTR(bin.interp);
	}
	bin.dev = st.st_dev;
	bin.ino = st.st_ino;
	r = obj_add(&c, real, &bin, NO_LOADER);
	elf_info_done(&bin);
	if (r < 0)
		return fail(&c, r, path);
	r = resolve(&c);
	if (r < 0)
		return r;
	*ret = c.out;
	c.out = (struct vr_elf_deps){ 0 };
	return 0;

fail_bin:
	elf_info_done(&bin);
	return fail(&c, r, path);
}

void vr_elf_deps_free(struct vr_elf_deps *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->deps[i].host);
		free(d->deps[i].inside);
	}
	free(d->deps);
	free(d->interp);
	*d = (struct vr_elf_deps){ 0 };
}
