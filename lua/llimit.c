/* SPDX-License-Identifier: MIT */
/* voidrun.core: resource limits (filled in by the resource-control issue). */
#include "lbind.h"

void vr_lua_plan_limit(lua_State *L, int t, struct vr_plan *p)
{
	(void)L;
	(void)t;
	(void)p;
}

void vr_lua_open_limit(lua_State *L)
{
	(void)L;
}
