/* SPDX-License-Identifier: MIT */
/* voidrun.core: seccomp, capabilities, Landlock (filled in by the hardening
 * issue). */
#include "lbind.h"

void vr_lua_plan_harden(lua_State *L, int t, struct vr_plan *p)
{
	(void)L;
	(void)t;
	(void)p;
}

void vr_lua_open_harden(lua_State *L)
{
	(void)L;
}
