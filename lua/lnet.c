/* SPDX-License-Identifier: MIT */
/* voidrun.core: networks of a layout (core/net.h). A Net handle holds the
 * layout's bridge namespace; the plan's `net_links` attach a void to its
 * bridges or to the host, and `host_net` leaves it in the host's network
 * namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "lbind.h"
#include "net.h"
#include "void.h"

#define NET_MT "voidrun.Net"

struct net_ud {
	struct vr_net *net;  /* NULL once closed */
};

static struct net_ud *check_net(lua_State *L, int arg)
{
	return luaL_checkudata(L, arg, NET_MT);
}

static struct vr_net *check_open_net(lua_State *L, int arg)
{
	struct net_ud *u = check_net(L, arg);

	if (!u->net)
		luaL_argerror(L, arg, "the networks are closed");
	return u->net;
}

/* __gc, __close and close(): idempotent. */
static int net_gc(lua_State *L)
{
	struct net_ud *u = check_net(L, 1);

	vr_net_free(u->net);
	u->net = NULL;
	return 0;
}

static bool opt_bool(lua_State *L, int t, const char *k)
{
	bool b;

	lua_getfield(L, t, k);
	b = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return b;
}

/* net_open{ bridges = bool, host = bool } -> Net | fail, msg, errno */
static int l_net_open(lua_State *L)
{
	struct net_ud *u;
	struct vr_err err;
	char msg[2 * VR_ERR_PATH + 128];
	bool bridges, host;
	int r;

	luaL_checktype(L, 1, LUA_TTABLE);
	bridges = opt_bool(L, 1, "bridges");
	host = opt_bool(L, 1, "host");
	/* The handle exists, closed, before the namespace does. */
	u = lua_newuserdatauv(L, sizeof(*u), 0);
	u->net = NULL;
	luaL_setmetatable(L, NET_MT);
	memset(&err, 0, sizeof(err));
	r = vr_net_open(bridges, host, &u->net, &err);
	if (r < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, vr_err_format(&err, msg, sizeof(msg)));
		lua_pushinteger(L, -r);
		return 3;
	}
	return 1;
}

/* net:bridge() -> ifindex | fail, msg, errno */
static int l_net_bridge(lua_State *L)
{
	int r = vr_net_bridge(check_open_net(L, 1));

	if (r < 0)
		return vr_lua_fail(L, r, "bridge");
	lua_pushinteger(L, r);
	return 1;
}

/* net:ns_inode() -> the bridge namespace's inode, or nil */
static int l_net_ns_inode(lua_State *L)
{
	unsigned long ino = vr_net_bridge_ns_inode(check_open_net(L, 1));

	if (!ino)
		return 0;
	lua_pushinteger(L, (lua_Integer)ino);
	return 1;
}

/* net_userns() -> true | fail, msg, errno */
static int l_net_userns(lua_State *L)
{
	int r = vr_net_enter_userns();

	if (r < 0)
		return vr_lua_fail(L, r, "user namespace");
	lua_pushboolean(L, 1);
	return 1;
}

static uint32_t check_ip(lua_State *L, int t, const char *k)
{
	uint32_t a;

	lua_getfield(L, t, k);
	if (vr_net_parse_ip(lua_tostring(L, -1), &a) < 0)
		luaL_error(L, "plan.net_links: %s must be an IPv4 address", k);
	lua_pop(L, 1);
	return a;
}

/* plan.host_net = true: no network namespace of its own.
 * plan.net_links = { { net = Net, bridge = ifindex, ip =, prefix = } |
 *                    { net = Net, ip =, peer = } }. The Net must stay open
 * while the plan is used (the layout closes it last). */
void vr_lua_plan_net(lua_State *L, int t, struct vr_plan *p)
{
	int lt;

	if (opt_bool(L, t, "host_net"))
		p->ns_flags &= ~(uint64_t)CLONE_NEWNET;
	if (lua_getfield(L, t, "net_links") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	luaL_argcheck(L, lua_istable(L, -1), 1, "plan.net_links must be a table");
	if (!(p->ns_flags & CLONE_NEWNET))
		luaL_error(L, "plan.net_links needs a network namespace of the void's own");
	lt = lua_gettop(L);
	for (lua_Integer i = 1; lua_geti(L, lt, i) != LUA_TNIL; i++) {
		int e = lua_gettop(L);
		struct vr_net_link *l;

		if (p->n_net_links >= VR_NET_MAX_LINKS)
			luaL_error(L, "plan.net_links: at most %d links", VR_NET_MAX_LINKS);
		luaL_argcheck(L, lua_istable(L, e), 1, "plan.net_links holds tables");
		l = &p->net_links[p->n_net_links];
		memset(l, 0, sizeof(*l));
		lua_getfield(L, e, "net");
		l->net = check_open_net(L, lua_gettop(L));
		lua_pop(L, 1);
		l->addr = check_ip(L, e, "ip");
		if (lua_getfield(L, e, "bridge") != LUA_TNIL) {
			l->bridge = (int)luaL_checkinteger(L, -1);
			lua_getfield(L, e, "prefix");
			lua_Integer prefix = luaL_checkinteger(L, -1);
			if (l->bridge <= 0 || prefix < 1 || prefix > 30)
				luaL_error(L, "plan.net_links: bad bridge or prefix");
			l->prefix = (unsigned)prefix;
			lua_pop(L, 1);
		} else {
			l->peer = check_ip(L, e, "peer");
			l->prefix = 32;
		}
		lua_settop(L, e - 1);
		p->n_net_links++;
	}
	lua_settop(L, lt - 1);
}

static const luaL_Reg net_methods[] = {
	{ "bridge", l_net_bridge },
	{ "ns_inode", l_net_ns_inode },
	{ "close", net_gc },
	{ NULL, NULL },
};

static const luaL_Reg funcs[] = {
	{ "net_open", l_net_open },
	{ "net_userns", l_net_userns },
	{ NULL, NULL },
};

void vr_lua_open_net(lua_State *L)
{
	luaL_newmetatable(L, NET_MT);
	lua_pushcfunction(L, net_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, net_gc);
	lua_setfield(L, -2, "__close");
	luaL_newlib(L, net_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	luaL_setfuncs(L, funcs, 0);
}
