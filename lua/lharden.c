/* SPDX-License-Identifier: MIT */
/* voidrun.core: seccomp, capabilities, Landlock.
 *
 * A seccomp policy is compiled once, by core.seccomp_compile, into a
 * "voidrun.Seccomp" userdata holding plain BPF; each plan made from it
 * copies the instructions (core.plan{ seccomp = filter }), so that a
 * profile's filter is compiled once however many voids it starts. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "lbind.h"
#include "harden.h"
#include "void.h"

#define SECCOMP_MT "voidrun.Seccomp"

struct seccomp_ud {
	struct vr_seccomp *s;
};

static struct vr_seccomp *check_seccomp(lua_State *L, int arg)
{
	struct seccomp_ud *u = luaL_checkudata(L, arg, SECCOMP_MT);

	luaL_argcheck(L, u->s, arg, "filter was freed");
	return u->s;
}

static int seccomp_gc(lua_State *L)
{
	struct seccomp_ud *u = luaL_checkudata(L, 1, SECCOMP_MT);

	vr_seccomp_free(u->s);
	u->s = NULL;
	return 0;
}

/* filter:size() -> the number of BPF instructions */
static int l_seccomp_size(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)vr_seccomp_size(check_seccomp(L, 1)));
	return 1;
}

/* seccomp_resolve(name) -> nr | fail, msg, errno (ENOENT: no such system
 * call; ENOSYS: not on this architecture) */
static int l_seccomp_resolve(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	int nr = vr_seccomp_resolve(name);

	if (nr < 0)
		return vr_lua_fail(L, nr, name);
	lua_pushinteger(L, nr);
	return 1;
}

/* seccomp_default_names() -> { name, ... }: the default filter's plain
 * entries (the @default group). */
static int l_seccomp_default_names(lua_State *L)
{
	const char *const *names = vr_seccomp_default_names();

	lua_newtable(L);
	for (lua_Integer i = 0; names[i]; i++) {
		lua_pushstring(L, names[i]);
		lua_seti(L, -2, i + 1);
	}
	return 1;
}

static const char *const action_names[] = { "allow", "errno", "kill", "trap", "log", NULL };

static int check_action(lua_State *L, int t, const char *key, const char *def)
{
	lua_getfield(L, t, key);
	int a = luaL_checkoption(L, -1, def, action_names) + VR_SC_ALLOW;
	lua_pop(L, 1);
	return a;
}

static lua_Integer check_int_field(lua_State *L, int t, const char *key, lua_Integer def)
{
	lua_Integer v;

	lua_getfield(L, t, key);
	v = luaL_optinteger(L, -1, def);
	lua_pop(L, 1);
	return v;
}

/* The arrays of one compile, in a userdata so that an error raised while
 * reading the table frees them with the Lua state. */
struct compile_buf {
	struct vr_sc_rule *rules;
	struct vr_sc_cond *conds;
};

static int compile_buf_gc(lua_State *L)
{
	struct compile_buf *b = lua_touserdata(L, 1);

	free(b->rules);
	free(b->conds);
	b->rules = NULL;
	b->conds = NULL;
	return 0;
}

/* seccomp_compile{ default = "allow"|"errno"|"kill"|"trap"|"log",
 *   deny_action = "errno"|..., errno = n, name_kills = bool,
 *   rules = { { nr = n, deny = bool, args = { { arg = 0..5,
 *     op = "=="|"!="|"<"|"<="|">"|">="|"&", value = n, mask = n } } } } }
 *   -> Seccomp. The profile layer has checked the policy; what is wrong
 *   here raises. */
static int l_seccomp_compile(lua_State *L)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=", "&", NULL };
	struct vr_sc_policy pol = { 0 };
	struct compile_buf *b;
	struct seccomp_ud *u;
	size_t n_rules, n_conds = 0;
	int r;

	luaL_checktype(L, 1, LUA_TTABLE);
	pol.def = check_action(L, 1, "default", "allow");
	pol.deny = check_action(L, 1, "deny_action", "errno");
	lua_Integer err = check_int_field(L, 1, "errno", EPERM);
	luaL_argcheck(L, err >= 1 && err <= 4095, 1, "errno out of range");
	pol.err = (int)err;
	lua_getfield(L, 1, "name_kills");
	pol.name_kills = lua_toboolean(L, -1);
	lua_pop(L, 1);

	b = lua_newuserdatauv(L, sizeof(*b), 0);  /* index 2 */
	*b = (struct compile_buf){ 0 };
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, compile_buf_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);

	lua_getfield(L, 1, "rules");  /* index 3 */
	luaL_argcheck(L, lua_istable(L, 3), 1, "rules must be a list");
	n_rules = lua_rawlen(L, 3);
	luaL_argcheck(L, n_rules < 65536, 1, "too many rules");
	for (size_t i = 1; i <= n_rules; i++) {
		lua_geti(L, 3, (lua_Integer)i);
		luaL_argcheck(L, lua_istable(L, -1), 1, "a rule must be a table");
		if (lua_getfield(L, -1, "args") == LUA_TTABLE)
			n_conds += lua_rawlen(L, -1);
		lua_pop(L, 2);
	}
	b->rules = calloc(n_rules ? n_rules : 1, sizeof(*b->rules));
	b->conds = calloc(n_conds ? n_conds : 1, sizeof(*b->conds));
	if (!b->rules || !b->conds)
		return luaL_error(L, "out of memory");

	size_t c = 0;
	for (size_t i = 0; i < n_rules; i++) {
		struct vr_sc_rule *rule = &b->rules[i];
		lua_geti(L, 3, (lua_Integer)i + 1);
		int rt = lua_gettop(L);
		lua_Integer nr = check_int_field(L, rt, "nr", -1);
		luaL_argcheck(L, nr >= 0 && nr <= INT_MAX, 1, "a rule needs a system call number");
		rule->nr = (int)nr;
		lua_getfield(L, rt, "deny");
		rule->deny = lua_toboolean(L, -1);
		lua_pop(L, 1);
		rule->conds = &b->conds[c];
		if (lua_getfield(L, rt, "args") == LUA_TTABLE) {
			size_t n = lua_rawlen(L, -1);
			for (size_t k = 1; k <= n; k++) {
				struct vr_sc_cond *cond = &b->conds[c++];
				lua_geti(L, -1, (lua_Integer)k);
				int ct = lua_gettop(L);
				luaL_argcheck(L, lua_istable(L, ct), 1, "a condition must be a table");
				lua_Integer arg = check_int_field(L, ct, "arg", -1);
				luaL_argcheck(L, arg >= 0 && arg <= 5, 1, "argument index out of range");
				cond->arg = (unsigned)arg;
				lua_getfield(L, ct, "op");
				cond->op = luaL_checkoption(L, -1, NULL, ops) + VR_SC_EQ;
				lua_pop(L, 1);
				cond->value = (uint64_t)check_int_field(L, ct, "value", 0);
				cond->mask = (uint64_t)check_int_field(L, ct, "mask", -1);
				lua_pop(L, 1);
			}
			rule->n_conds = n;
		}
		lua_pop(L, 2);
	}
	pol.rules = b->rules;
	pol.n_rules = n_rules;

	u = lua_newuserdatauv(L, sizeof(*u), 0);
	u->s = NULL;
	luaL_setmetatable(L, SECCOMP_MT);
	r = vr_seccomp_compile(&pol, &u->s);
	if (r == -EINVAL)
		return luaL_error(L, "seccomp: contradictory or malformed policy");
	if (r < 0)
		return luaL_error(L, "seccomp: %s", strerror(-r));
	return 1;
}

/* errno_from_name("EACCES") -> 13 | nil */
static int l_errno_from_name(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);

	for (int e = 1; e < 4096; e++) {
		const char *s = strerrorname_np(e);
		if (s && strcmp(s, name) == 0) {
			lua_pushinteger(L, e);
			return 1;
		}
	}
	lua_pushnil(L);
	return 1;
}

/* landlock_abi() -> n | fail, msg, errno */
static int l_landlock_abi(lua_State *L)
{
	int abi = vr_landlock_abi();

	if (abi < 0)
		return vr_lua_fail(L, abi, "landlock");
	lua_pushinteger(L, abi);
	return 1;
}

/* cap_from_name(name) -> n | nil: "net_bind_service" or
 * "cap_net_bind_service", any case; nil for a name neither libcap nor this
 * kernel knows. */
static int l_cap_from_name(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	cap_value_t v;

	if (strncasecmp(name, "cap_", 4) != 0) {
		lua_pushfstring(L, "cap_%s", name);
		name = lua_tostring(L, -1);
	}
	if (cap_from_name(name, &v) < 0 || v < 0 || v >= cap_max_bits() || v > 63) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushinteger(L, v);
	return 1;
}

/* cap_to_name(n) -> "net_bind_service" */
static int l_cap_to_name(lua_State *L)
{
	lua_Integer v = luaL_checkinteger(L, 1);
	char *s;

	luaL_argcheck(L, v >= 0 && v <= 63, 1, "not a capability");
	s = cap_to_name((cap_value_t)v);
	if (!s)
		return vr_lua_fail(L, -ENOMEM, "cap_to_name");
	lua_pushstring(L, strncmp(s, "cap_", 4) == 0 ? s + 4 : s);
	cap_free(s);
	return 1;
}

/* launcher_caps() -> permitted, bounding (bit n = capability n) */
static int l_launcher_caps(lua_State *L)
{
	uint64_t prm, bnd;
	int r = vr_harden_launcher_caps(&prm, &bnd);

	if (r < 0)
		return vr_lua_fail(L, r, "capget");
	lua_pushinteger(L, (lua_Integer)prm);
	lua_pushinteger(L, (lua_Integer)bnd);
	return 2;
}

/* core.plan's fields: seccomp = a filter from seccomp_compile, caps = a
 * mask of capabilities to keep. Every plan gets a harden set, since its
 * Landlock rules follow from its mounts. */
void vr_lua_plan_harden(lua_State *L, int t, struct vr_plan *p)
{
	struct vr_harden *h;
	int r = vr_harden_new(&h);

	if (r < 0)
		luaL_error(L, "out of memory");
	vr_harden_free(p->harden);
	p->harden = h;  /* owned by the plan from here, so a raise frees it */
	if (lua_getfield(L, t, "seccomp") != LUA_TNIL) {
		r = vr_harden_set_seccomp(h, check_seccomp(L, lua_gettop(L)));
		if (r < 0)
			luaL_error(L, "out of memory");
	}
	lua_pop(L, 1);
	if (lua_getfield(L, t, "caps") != LUA_TNIL) {
		lua_Integer keep = luaL_checkinteger(L, -1);
		if (vr_harden_set_caps(h, (uint64_t)keep) < 0)
			luaL_error(L, "plan field 'caps' names a capability this kernel lacks");
	}
	lua_pop(L, 1);
	if (vr_harden_landlock_plan(h, p) < 0)
		luaL_error(L, "out of memory");
}

/* ------------------------------------------------ a running void's grants */

#define HARDEN_MT "voidrun.Harden"

/* What a void's entry was hardened with, kept while the void runs for
 * voidrun enter (its control socket's "grants"): the plan's, read in place.
 * The handle holds the plan (vr_plan.refs), which its void may still be
 * reading: a plan is not changed once spawned. */
struct harden_ud {
	struct vr_plan *plan;
};

static int harden_gc(lua_State *L)
{
	struct harden_ud *u = luaL_checkudata(L, 1, HARDEN_MT);

	vr_plan_free(u->plan);
	u->plan = NULL;
	return 0;
}

/* plan:take_harden() -> Harden: a handle on the plan's hardening that
 * outlives plan:free(). */
static int l_plan_take_harden(lua_State *L)
{
	struct vr_plan *p = vr_lua_check_plan(L, 1);
	struct harden_ud *u = lua_newuserdatauv(L, sizeof(*u), 0);

	u->plan = NULL;
	luaL_setmetatable(L, HARDEN_MT);
	(void)__atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
	u->plan = p;
	return 1;
}

/* harden:grants() -> { seccomp = { program... }, landlock = { { path =,
 * access = }... } }: the BPF programs (struct sock_filter bytes) an entry
 * installs, in order (vr_harden_entry_prog), and its Landlock rules
 * (paths in the void, LANDLOCK_ACCESS_FS_* bits). */
static int l_harden_grants(lua_State *L)
{
	struct harden_ud *u = luaL_checkudata(L, 1, HARDEN_MT);
	const struct vr_harden *h = u->plan ? u->plan->harden : NULL;
	const void *prog;
	const char *path;
	uint64_t access;
	size_t len;

	lua_createtable(L, 0, 2);
	lua_newtable(L);
	for (size_t i = 0; (prog = vr_harden_entry_prog(h, i, &len)); i++) {
		lua_pushlstring(L, prog, len * sizeof(struct sock_filter));
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "seccomp");
	lua_newtable(L);
	for (size_t i = 0; vr_harden_landlock_rule(h, i, &path, &access) == 0; i++) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, path);
		lua_setfield(L, -2, "path");
		lua_pushinteger(L, (lua_Integer)access);
		lua_setfield(L, -2, "access");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "landlock");
	return 1;
}

static const luaL_Reg harden_methods[] = {
	{ "grants", l_harden_grants },
	{ "free", harden_gc },
	{ NULL, NULL },
};

static const luaL_Reg funcs[] = {
	{ "seccomp_resolve", l_seccomp_resolve },
	{ "seccomp_default_names", l_seccomp_default_names },
	{ "seccomp_compile", l_seccomp_compile },
	{ "errno_from_name", l_errno_from_name },
	{ "landlock_abi", l_landlock_abi },
	{ "cap_from_name", l_cap_from_name },
	{ "cap_to_name", l_cap_to_name },
	{ "launcher_caps", l_launcher_caps },
	{ NULL, NULL },
};

static const luaL_Reg seccomp_methods[] = {
	{ "size", l_seccomp_size },
	{ "free", seccomp_gc },
	{ NULL, NULL },
};

void vr_lua_open_harden(lua_State *L)
{
	luaL_newmetatable(L, SECCOMP_MT);
	lua_pushcfunction(L, seccomp_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, seccomp_gc);
	lua_setfield(L, -2, "__close");
	luaL_newlib(L, seccomp_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	luaL_newmetatable(L, HARDEN_MT);
	lua_pushcfunction(L, harden_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, harden_gc);
	lua_setfield(L, -2, "__close");
	luaL_newlib(L, harden_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	/* plan:take_harden(), beside the methods lcore.c gives plans. */
	if (luaL_getmetatable(L, "voidrun.Plan") == LUA_TTABLE) {
		if (lua_getfield(L, -1, "__index") == LUA_TTABLE) {
			lua_pushcfunction(L, l_plan_take_harden);
			lua_setfield(L, -2, "take_harden");
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
}
