/* SPDX-License-Identifier: MIT */
/* Build-time tool: compile a Lua module to bytecode with the very Lua
 * library voidrun links, so the embedded modules load without being parsed
 * at every start (parsing the profile library cost more than the whole
 * rest of a launch). Debug information is kept for tracebacks. Profiles
 * themselves are always loaded as text. Usage: vr-luac OUT IN */
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	return fwrite(p, 1, n, ud) != n;
}

int main(int argc, char **argv)
{
	lua_State *L;
	FILE *out;
	int r;

	if (argc != 3) {
		fputs("usage: vr-luac OUT IN\n", stderr);
		return 2;
	}
	L = luaL_newstate();
	if (!L || luaL_loadfilex(L, argv[2], "t") != LUA_OK) {
		fprintf(stderr, "vr-luac: %s\n", L ? lua_tostring(L, -1) : "out of memory");
		return 1;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	r = lua_dump(L, writer, out, 1);
	if (fclose(out) != 0 || r != 0) {
		fprintf(stderr, "vr-luac: cannot write %s\n", argv[1]);
		return 1;
	}
	lua_close(L);
	return 0;
}
