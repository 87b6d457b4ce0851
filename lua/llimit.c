/* SPDX-License-Identifier: MIT */
/* voidrun.core: resource limits. The plan's `limits` table, size parsing,
 * a probe of where a void's cgroup would go, and what a void used. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "lbind.h"
#include "cgroup.h"
#include "limit.h"
#include "void.h"

/* The exit status of a void its time limit ended, as timeout(1)'s. */
#define EXIT_TIME_LIMIT 124

/* A limit's value in core's unit (see enum vr_limit_key): cpu in cores and
 * time in seconds become thousandths; sizes may be strings ("64M"). */
static uint64_t check_value(lua_State *L, int k, int idx)
{
	const char *name = vr_limit_name(k);
	int isnum;

	if (k == VR_LIMIT_CPU || k == VR_LIMIT_TIME) {
		lua_Number n = lua_tonumberx(L, idx, &isnum);
		if (!isnum || !(n > 0) || n > 1e15)
			luaL_error(L, "limit %s must be a positive number", name);
		return (uint64_t)llround(n * 1000);
	}
	if (lua_type(L, idx) == LUA_TSTRING) {
		uint64_t v;
		if (vr_limit_parse_size(lua_tostring(L, idx), &v) < 0)
			luaL_error(L, "limit %s: bad size '%s'", name, lua_tostring(L, idx));
		return v;
	}
	lua_Integer i = lua_tointegerx(L, idx, &isnum);
	if (!isnum || i < 0)
		luaL_error(L, "limit %s must be a non-negative integer or a size", name);
	return (uint64_t)i;
}

/* plan.limits = { memory = bytes | "64M", cpu = cores, time = seconds, ... } */
void vr_lua_plan_limit(lua_State *L, int t, struct vr_plan *p)
{
	int lt;

	if (lua_getfield(L, t, "limits") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "plan.limits must be a table");
	lt = lua_gettop(L);
	/* Owned by the plan from here, so a raise below frees it with it. */
	if (!p->limits && vr_limit_new(&p->limits) < 0)
		luaL_error(L, "out of memory");
	lua_pushnil(L);
	while (lua_next(L, lt)) {
		const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		int k = vr_limit_key(name);
		if (k < 0)
			luaL_error(L, "unknown limit '%s'", name ? name : luaL_typename(L, -2));
		if (vr_limit_set(p->limits, k, check_value(L, k, -1)) < 0)
			luaL_error(L, "limit %s is out of range", name);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* parse_size("64M") -> 67108864 | fail, msg, errno */
static int l_parse_size(lua_State *L)
{
	const char *s = luaL_checkstring(L, 1);
	uint64_t v;
	int r = vr_limit_parse_size(s, &v);

	if (r < 0)
		return vr_lua_fail(L, r, s);
	lua_pushinteger(L, (lua_Integer)v);
	return 1;
}

static unsigned check_controllers(lua_State *L, int arg)
{
	static const char *const ctls[] = { "memory", "pids", "cpu", NULL };
	unsigned need = 0;

	luaL_checktype(L, arg, LUA_TTABLE);
	for (lua_Integer i = 1; lua_geti(L, arg, i) != LUA_TNIL; i++) {
		need |= VR_CG_BIT(luaL_checkoption(L, -1, NULL, ctls));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return need;
}

/* cgroup_probe({"memory", "pids", ...}) -> { version = 1|2, bases = { memory
 * = ".../voidrun", ... } } | fail, why, errno. Creates a void's cgroup with
 * those controllers as a void would, and removes it again: whether limits
 * can be had here, and where (for tests that look for leftovers). */
static int l_cgroup_probe(lua_State *L)
{
	unsigned need = check_controllers(L, 1);
	struct vr_cgroup *cg;
	char why[VR_ERR_PATH];
	int r = vr_cgroup_create(need, &cg, why, sizeof(why));

	if (r < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, why);
		lua_pushinteger(L, -r);
		return 3;
	}
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, vr_cgroup_version(cg));
	lua_setfield(L, -2, "version");
	lua_newtable(L);
	for (int c = 0; c < VR_CG_N; c++) {
		if (!(need & VR_CG_BIT(c)) && !(need == 0 && c == 0))
			continue;
		lua_pushstring(L, vr_cgroup_base(cg, c));
		lua_setfield(L, -2, vr_cgroup_ctl_name(c));
	}
	lua_setfield(L, -2, "bases");
	r = vr_cgroup_destroy(cg);
	if (r < 0)
		return vr_lua_fail(L, r, "removing the probe's cgroup");
	return 1;
}

/* void:usage() -> { memory_peak = bytes, cpu_usec = n, oom_kills = n,
 * timed_out = bool, cgroup = bool }: while it runs, what its cgroup says
 * (nothing without one); once waited for, the final figures (from pid 1's
 * rusage where there is no cgroup). Absent fields are unknown. */
void vr_lua_push_usage(lua_State *L, const struct vr_usage *u)
{
	lua_createtable(L, 0, 5);
	if (u->have & VR_USAGE_MEMORY) {
		lua_pushinteger(L, (lua_Integer)u->memory_peak);
		lua_setfield(L, -2, "memory_peak");
	}
	if (u->have & VR_USAGE_CPU) {
		lua_pushinteger(L, (lua_Integer)u->cpu_usec);
		lua_setfield(L, -2, "cpu_usec");
	}
	if (u->have & VR_USAGE_OOM) {
		lua_pushinteger(L, (lua_Integer)u->oom_kills);
		lua_setfield(L, -2, "oom_kills");
	}
	lua_pushboolean(L, u->timed_out);
	lua_setfield(L, -2, "timed_out");
	lua_pushboolean(L, (u->have & VR_USAGE_CGROUP) != 0);
	lua_setfield(L, -2, "cgroup");
}

static int l_void_usage(lua_State *L)
{
	struct vr_void *v = vr_lua_check_void(L, 1);
	struct vr_usage u;

	if (v->pidfd >= 0)
		(void)vr_limit_run_usage(v->limits, &u);
	else
		u = v->usage;
	vr_lua_push_usage(L, &u);
	return 1;
}

/* void:cgroup_dirs() -> { dir... }: the directories of the void's own
 * cgroup while it runs (one on cgroup v2, one per hierarchy on v1), {}
 * when it has none (it shares voidrun's). voidrun enter joins them. */
static int l_void_cgroup_dirs(lua_State *L)
{
	struct vr_void *v = vr_lua_check_void(L, 1);
	const struct vr_cgroup *cg = v->pidfd >= 0 ? vr_limit_run_cgroup(v->limits) : NULL;
	lua_Integer n = 0;

	lua_newtable(L);
	for (int c = 0; cg && c < VR_CG_N; c++) {
		const char *dir = vr_cgroup_path(cg, c);
		bool seen = false;

		for (int d = 0; dir && d < c; d++) {
			const char *prev = vr_cgroup_path(cg, d);
			seen = seen || (prev && strcmp(prev, dir) == 0);
		}
		if (dir && !seen) {
			lua_pushstring(L, dir);
			lua_rawseti(L, -2, ++n);
		}
	}
	return 1;
}

void vr_lua_wait_limits(lua_State *L, const struct vr_void *v)
{
	if (v->usage.timed_out) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "timed_out");
		lua_pushinteger(L, EXIT_TIME_LIMIT);
		lua_setfield(L, -2, "status");
	}
	if ((v->usage.have & VR_USAGE_OOM) && v->usage.oom_kills > 0) {
		lua_pushinteger(L, (lua_Integer)v->usage.oom_kills);
		lua_setfield(L, -2, "oom_kills");
	}
	vr_lua_push_usage(L, &v->usage);
	lua_setfield(L, -2, "usage");
}

static const luaL_Reg funcs[] = {
	{ "parse_size", l_parse_size },
	{ "cgroup_probe", l_cgroup_probe },
	{ NULL, NULL },
};

void vr_lua_open_limit(lua_State *L)
{
	luaL_setfuncs(L, funcs, 0);
	/* void:usage(), beside the methods lcore.c gives voids. */
	if (luaL_getmetatable(L, "voidrun.Void") == LUA_TTABLE) {
		if (lua_getfield(L, -1, "methods") == LUA_TTABLE) {
			lua_pushcfunction(L, l_void_usage);
			lua_setfield(L, -2, "usage");
			lua_pushcfunction(L, l_void_cgroup_dirs);
			lua_setfield(L, -2, "cgroup_dirs");
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}
