/* SPDX-License-Identifier: MIT */
/* voidrun.core: brokers (core/broker.h) as "voidrun.Broker" userdata. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "broker.h"
#include "lbind.h"

#define BROKER_MT "voidrun.Broker"

struct broker_ud {
	struct vr_broker *b;
};

static struct broker_ud *check_broker(lua_State *L, int arg)
{
	return luaL_checkudata(L, arg, BROKER_MT);
}

/* __gc and __close: kill and reap the workers, free. Idempotent. */
static int broker_gc(lua_State *L)
{
	struct broker_ud *u = check_broker(L, 1);

	vr_broker_free(u->b);
	u->b = NULL;
	return 0;
}

static lua_Integer opt_ms(lua_State *L, int t, const char *key)
{
	lua_Integer ms = -1;

	if (lua_getfield(L, t, key) != LUA_TNIL) {
		lua_Number s = luaL_checknumber(L, -1);
		luaL_argcheck(L, s >= 0 && s < 1e7, 1, key);
		ms = (lua_Integer)(s * 1000);
	}
	lua_pop(L, 1);
	return ms;
}

/* broker{ kind = "accept"|"message"|"fds", source = fd, plan = Plan,
 *         max_workers = n, idle_timeout = s, time_limit = s,
 *         conn_fds = { n, ... } } -> Broker */
static int l_broker(lua_State *L)
{
	static const char *const kinds[] = { "accept", "message", "fds", NULL };
	struct vr_broker_opts o;
	struct broker_ud *u;
	int r;

	memset(&o, 0, sizeof(o));
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "kind");
	o.kind = luaL_checkoption(L, -1, NULL, kinds) + VR_BROKER_ACCEPT;
	lua_getfield(L, 1, "source");
	o.source = (int)luaL_checkinteger(L, -1);
	lua_getfield(L, 1, "max_workers");
	lua_Integer max = luaL_optinteger(L, -1, 64);
	luaL_argcheck(L, max >= 1 && max <= 65536, 1, "max_workers must be 1 to 65536");
	o.max_workers = (unsigned)max;
	lua_pop(L, 3);
	o.idle_timeout_ms = (int)opt_ms(L, 1, "idle_timeout");
	o.time_limit_ms = (int)opt_ms(L, 1, "time_limit");
	lua_getfield(L, 1, "prepared");
	lua_Integer prepared = luaL_optinteger(L, -1, 0);
	luaL_argcheck(L, prepared >= 0 && prepared <= 64, 1, "prepared must be 0 to 64");
	o.prepared = (unsigned)prepared;
	lua_pop(L, 1);
	if (lua_getfield(L, 1, "conn_fds") == LUA_TTABLE) {
		for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
			luaL_argcheck(L, o.n_conn_fds < VR_BROKER_MAX_FDS, 1, "too many conn_fds");
			o.conn_fds[o.n_conn_fds++] = (int)luaL_checkinteger(L, -1);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* The plan userdata: kept alive as the broker's user value. */
	lua_getfield(L, 1, "plan");
	o.plan = *(struct vr_plan **)luaL_checkudata(L, -1, "voidrun.Plan");
	luaL_argcheck(L, o.plan != NULL, 1, "plan was freed");

	u = lua_newuserdatauv(L, sizeof(*u), 1);
	u->b = NULL;
	luaL_setmetatable(L, BROKER_MT);
	lua_pushvalue(L, -2);
	lua_setiuservalue(L, -2, 1);
	r = vr_broker_new(&o, &u->b);
	if (r == -EINVAL)
		return luaL_argerror(L, 1, "invalid broker options");
	if (r < 0)
		return vr_lua_fail(L, r, "broker");
	return 1;
}

/* serve({Broker...}, {fd...} [, timeout_ms]) -> { [fd] = true } for the
 * watched fds that became ready ({} at the timeout). */
static int l_serve(lua_State *L)
{
	struct vr_broker *bs[64];
	struct pollfd watch[256];
	size_t nb = 0, nw = 0;
	lua_Integer timeout = luaL_optinteger(L, 3, -1);
	int r;

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	for (lua_Integer i = 1; lua_geti(L, 1, i) != LUA_TNIL; i++) {
		struct broker_ud *u = check_broker(L, -1);
		luaL_argcheck(L, u->b && nb < 64, 1, "a freed broker, or too many");
		bs[nb++] = u->b;
		/* A function entry runs in the state that spawns it: this one. */
		lua_getiuservalue(L, -1, 1);
		vr_lua_plan_set_state(L, -1);
		lua_pop(L, 2);
	}
	lua_pop(L, 1);
	for (lua_Integer i = 1; lua_geti(L, 2, i) != LUA_TNIL; i++) {
		luaL_argcheck(L, nw < 256, 2, "too many fds");
		watch[nw++] = (struct pollfd){ .fd = (int)luaL_checkinteger(L, -1), .events = POLLIN };
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	r = vr_broker_serve(bs, nb, watch, nw, timeout > 0x7fffffff ? 0x7fffffff : (int)timeout);
	if (r < 0)
		return vr_lua_fail(L, r, "serve");
	lua_createtable(L, 0, r);
	for (size_t i = 0; i < nw; i++)
		if (watch[i].revents) {
			lua_pushboolean(L, 1);
			lua_seti(L, -2, watch[i].fd);
		}
	return 1;
}

static int l_broker_stop(lua_State *L)
{
	struct broker_ud *u = check_broker(L, 1);

	if (u->b)
		vr_broker_stop(u->b, (int)luaL_optinteger(L, 2, 0));
	return 0;
}

static int l_broker_kill(lua_State *L)
{
	struct broker_ud *u = check_broker(L, 1);

	if (u->b)
		vr_broker_kill(u->b, (int)luaL_optinteger(L, 2, SIGTERM));
	return 0;
}

static int l_broker_active(lua_State *L)
{
	struct broker_ud *u = check_broker(L, 1);

	lua_pushboolean(L, u->b && vr_broker_active(u->b));
	return 1;
}

#define SET(field) (lua_pushinteger(L, (lua_Integer)st.field), lua_setfield(L, -2, #field))

static int l_broker_stats(lua_State *L)
{
	struct broker_ud *u = check_broker(L, 1);
	struct vr_broker_stats st;
	struct vr_err err;
	char msg[2 * VR_ERR_PATH + 128];

	memset(&st, 0, sizeof(st));
	if (u->b)
		vr_broker_get_stats(u->b, &st);
	lua_createtable(L, 0, 11);
	SET(accepted);
	SET(started);
	SET(failed);
	SET(ended);
	SET(crashed);
	SET(timed_out);
	SET(idle);
	SET(running);
	SET(waiting);
	SET(peak);
	SET(prepared);
	vr_lua_push_usage(L, &st.usage);
	lua_setfield(L, -2, "usage");
	if (u->b && vr_broker_last_error(u->b, &err)) {
		lua_pushstring(L, vr_err_format(&err, msg, sizeof(msg)));
		lua_setfield(L, -2, "last_error");
	}
	return 1;
}

static const luaL_Reg broker_methods[] = {
	{ "stop", l_broker_stop },
	{ "kill", l_broker_kill },
	{ "active", l_broker_active },
	{ "stats", l_broker_stats },
	{ "free", broker_gc },
	{ NULL, NULL },
};

void vr_lua_open_broker(lua_State *L)
{
	luaL_newmetatable(L, BROKER_MT);
	lua_pushcfunction(L, broker_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, broker_gc);
	lua_setfield(L, -2, "__close");
	luaL_newlib(L, broker_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);

	lua_pushcfunction(L, l_broker);
	lua_setfield(L, -2, "broker");
	lua_pushcfunction(L, l_serve);
	lua_setfield(L, -2, "serve");
}
