/* SPDX-License-Identifier: MIT */
/* The voidrun executable: a Lua 5.4 state with voidrun.core and the
 * embedded profile library preloaded, running voidrun.cli under one
 * protected call with a traceback handler (the shape of lua.c). The CLI in
 * Lua decides what the user sees and the exit code. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "embedded.h"

int luaopen_voidrun_core(lua_State *L);

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

static void preload(lua_State *L)
{
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, luaopen_voidrun_core);
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

	L = luaL_newstate();
	/* No collection while the library and the profile load: a launch
	 * allocates little and is short; the collector restarts before a
	 * layout is supervised and for test runs and scripts (cli.lua). */
	if (L)
		lua_gc(L, LUA_GCSTOP);
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
