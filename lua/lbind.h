/* SPDX-License-Identifier: MIT */
/* Shared by the files of the voidrun.core binding (lcore.c and the files
 * that bind one core module each). Internal to lua/. */
#pragma once

#include <lauxlib.h>
#include <lua.h>

struct vr_plan;

/* fail, "what: strerror(-r)", -r. Returns 3 (values pushed). */
int vr_lua_fail(lua_State *L, int r, const char *what);

/* core.plan's table at index t: the fields each module owns. Raise on
 * misuse (the Lua layer checked the profile; this is the last guard). */
void vr_lua_plan_limit(lua_State *L, int t, struct vr_plan *p);
void vr_lua_plan_harden(lua_State *L, int t, struct vr_plan *p);
void vr_lua_plan_net(lua_State *L, int t, struct vr_plan *p);

/* The vr_plan of the Plan userdata at arg (raises if it is none or freed). */
struct vr_plan *vr_lua_check_plan(lua_State *L, int arg);

/* The Plan userdata at idx will spawn from state L (for function entries). */
void vr_lua_plan_set_state(lua_State *L, int idx);

/* The vr_void of the Void userdata at arg (raises if it is none). */
struct vr_void;
struct vr_void *vr_lua_check_void(lua_State *L, int arg);

/* Add what the void's limits did and what it used (timed_out, oom_kills,
 * usage; status 124 after the time limit) to the wait result table on top
 * of the stack. */
void vr_lua_wait_limits(lua_State *L, const struct vr_void *v);
/* Push a usage table { memory_peak =, cpu_usec =, oom_kills =, timed_out =,
 * cgroup = } (absent fields unknown). */
struct vr_usage;
void vr_lua_push_usage(lua_State *L, const struct vr_usage *u);

/* Add a module's functions to the voidrun.core table on top of the stack. */
void vr_lua_open_limit(lua_State *L);
void vr_lua_open_harden(lua_State *L);
void vr_lua_open_broker(lua_State *L);
void vr_lua_open_inspect(lua_State *L);
void vr_lua_open_net(lua_State *L);
