/* SPDX-License-Identifier: MIT */
/* The voidrun executable: a Lua 5.4 state with voidrun.core and the
 * embedded profile library preloaded, running voidrun.cli under one
 * protected call with a traceback handler (the shape of lua.c). The CLI in
 * Lua decides what the user sees and the exit code.
 *
 * Built twice where voidrun is linked statically (VOIDRUN_STATIC_EXE in
 * CMakeLists.txt): bin/voidrun (VR_STATIC_EXE), and its dynamically linked
 * twin libexec/voidrun/voidrun-full (VR_TWIN), which exports the Lua API
 * to the C modules that `voidrun test`, `lua` and `top` load. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "embedded.h"

int luaopen_voidrun_core(lua_State *L);

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer's suppressions, in sanitized builds only: leaks of other
 * people's libraries, each with why it is not ours. ncurses keeps the
 * terminal it set up for the life of the process; when setupterm fails (an
 * unknown TERM: voidrun top's one-line error) the prescreen it allocated in
 * new_prescr is unreachable, and only ncurses' debug builds can free it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:new_prescr\n";
}

/* ... and quietly: a spec checks that an error is one line of stderr. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

/* The start-up heap. A launch loads the embedded library and the profile
 * with the collector stopped (see main): about 3000 small blocks, 300 KiB,
 * hardly any freed. Carving them out of one zero-filled arena in the bss,
 * in order, costs a fraction of malloc's bookkeeping per block (0.05 ms
 * of a `voidrun check`). Past the arena, and for every block that is not
 * in it, the allocator is realloc and free as in luaL_newstate, so the
 * arena bounds what start-up can keep from being reused (a block freed
 * in the arena is taken back only if it was the last one carved). */
#define ARENA_SIZE (1u << 20)
#define ARENA_ALIGN 16u

static _Alignas(ARENA_ALIGN) unsigned char arena[ARENA_SIZE];
static size_t arena_top;

static size_t arena_round(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static int in_arena(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)arena && (uintptr_t)p < (uintptr_t)arena + ARENA_SIZE;
}

static void *arena_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	unsigned char *p = ptr;
	void *n;

	(void)ud;
	if (p && !in_arena(p)) {
		if (nsize == 0) {
			free(p);
			return NULL;
		}
		return realloc(p, nsize);
	}
	/* (osize is a type tag, not a size, when ptr is NULL) */
	if (p && (size_t)(p - arena) + arena_round(osize) == arena_top) {
		/* the last block carved: freed, shrunk or grown in place */
		if (nsize == 0) {
			arena_top = (size_t)(p - arena);
			return NULL;
		}
		if (arena_round(nsize) <= ARENA_SIZE - (size_t)(p - arena)) {
			arena_top = (size_t)(p - arena) + arena_round(nsize);
			return p;
		}
	} else if (nsize == 0) {
		return NULL;
	} else if (p && nsize <= osize) {
		return p; /* shrinking in place never fails */
	}
	if (arena_round(nsize) <= ARENA_SIZE - arena_top) {
		n = arena + arena_top;
		arena_top += arena_round(nsize);
	} else {
		n = malloc(nsize);
		if (!n)
			return NULL;
	}
	if (p)
		memcpy(n, p, osize < nsize ? osize : nsize);
	return n;
}

/* package.preload loader for an embedded module: our own bytecode,
 * compiled at build time against this Lua (lua/luac.c). */
static int load_embedded(lua_State *L)
{
	const struct vr_embedded *m = lua_touserdata(L, lua_upvalueindex(1));
	char chunkname[128];

	(void)snprintf(chunkname, sizeof(chunkname), "@%s", m->path);
	if (luaL_loadbufferx(L, m->data, m->len, chunkname, "b") != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, m->name);
	lua_call(L, 1, 1);
	return 1;
}

#ifdef VR_TWIN
/* voidrun's directory, as the Lua library means it (core.exe_dir: where
 * bin/voidrun is, with libexec/voidrun beside it): the twin runs from
 * PREFIX/libexec/voidrun, voidrun from PREFIX/bin. */
static int twin_exe_dir(lua_State *L)
{
	static const char sub[] = "/libexec/voidrun";
	const size_t n = sizeof(sub) - 1;
	const char *dir;
	size_t len;

	lua_settop(L, 0);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_call(L, 0, LUA_MULTRET);
	dir = lua_tolstring(L, 1, &len);
	if (!dir || len < n || strcmp(dir + len - n, sub) != 0)
		return lua_gettop(L);
	lua_pushlstring(L, dir, len - n);
	lua_pushliteral(L, "/bin");
	lua_concat(L, 2);
	return 1;
}

static int open_core(lua_State *L)
{
	luaopen_voidrun_core(L);
	lua_getfield(L, -1, "exe_dir");
	lua_pushcclosure(L, twin_exe_dir, 1);
	lua_setfield(L, -2, "exe_dir");
	return 1;
}
#else
#define open_core luaopen_voidrun_core
#endif

#ifdef VR_STATIC_EXE
/* A static program cannot give its Lua API to the C modules it would
 * load (busted's lfs, system and term for `voidrun test`, whatever a
 * script requires for `voidrun lua`, curses.so for `voidrun top`): those
 * commands run in the twin, PREFIX/libexec/voidrun/voidrun-full, found as
 * the helper programs are (profile.libexec). Returns only on failure,
 * having said why. */
static void exec_twin(char **argv)
{
	static const char twin[] = "/libexec/voidrun/voidrun-full";
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0) {
		fprintf(stderr, "voidrun: /proc/self/exe: %s\n", strerror(n < 0 ? errno : ENOENT));
		return;
	}
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	n = (ssize_t)strlen(path);
	if (n >= 4 && strcmp(path + n - 4, "/bin") == 0)
		path[n - 4] = '\0';
	if (strlen(path) + sizeof(twin) > sizeof(path)) {
		fprintf(stderr, "voidrun: %s: %s\n", path, strerror(ENAMETOOLONG));
		return;
	}
	strcat(path, twin);
	(void)execv(path, argv);
	fprintf(stderr, "voidrun: %s: %s (needed for `voidrun %s`)\n", path, strerror(errno), argv[1]);
}
#endif

static void preload(lua_State *L)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, open_core);
	lua_setfield(L, -2, "voidrun.core");
	for (const struct vr_embedded *m = vr_embedded_modules; m->name; m++) {
		lua_pushlightuserdata(L, (void *)m);
		lua_pushcclosure(L, load_embedded, 1);
		lua_setfield(L, -2, m->name);
	}
	lua_pop(L, 1);
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static int run(lua_State *L)
{
	int argc = (int)lua_tointeger(L, 1);
	char **argv = lua_touserdata(L, 2);

	luaL_openlibs(L);
	preload(L);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "voidrun.cli");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "main");
	lua_createtable(L, argc, 0);
	for (int i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_seti(L, -2, i);
	}
	lua_call(L, 1, 1);
	return 1;
}

int main(int argc, char **argv)
{
	lua_State *L;
	int code;

	/* A closed stdin, stdout or stderr would be reused by the first file
	 * voidrun opens, which would then be written to as if it were
	 * output: give each missing one /dev/null. */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return 125;
#ifdef VR_STATIC_EXE
	if (argc > 1 && (strcmp(argv[1], "test") == 0 || strcmp(argv[1], "lua") == 0 || strcmp(argv[1], "top") == 0)) {
		exec_twin(argv);
		return 125;
	}
#endif

	L = luaL_newstate();
	/* No collection while the library and the profile load: a launch
	 * allocates little and is short; the collector restarts at a
	 * layout's first wake-up (layout.lua) and for test runs and scripts
	 * (cli.lua). */
	if (L) {
		lua_gc(L, LUA_GCSTOP);
		lua_setallocf(L, arena_alloc, NULL);
	}
	if (!L) {
		fputs("voidrun: cannot create a Lua state\n", stderr);
		return 125;
	}
	lua_pushcfunction(L, traceback);
	lua_pushcfunction(L, run);
	lua_pushinteger(L, argc);
	lua_pushlightuserdata(L, argv);
	if (lua_pcall(L, 2, 1, 1) != LUA_OK) {
		/* Only a bug in voidrun itself gets here: the CLI reports the
		 * user's mistakes in one line and returns a code. */
		fprintf(stderr, "voidrun: internal error: %s\n", lua_tostring(L, -1));
		code = 70;
	} else {
		code = (int)lua_tointeger(L, -1);
	}
	/* No lua_close: every void was waited for by now, and freeing the
	 * heap object by object only delays the exit the user waits on. */
	return code;
}
