-- SPDX-License-Identifier: MIT
-- Networks (doc/network.md): the `net` key of a void, vr.network and
-- vr.host_link, checked at the profile's line when it is loaded; and, when
-- a layout runs, the bridge namespace its networks live in. (voidrun.profile
-- declares the key and the two functions, and loads this module the first
-- time a profile uses one of them: a launch without networks does not.)
--
--   local backend = vr.network{ subnet = "10.89.0.0/24" }
--   vr.void "db"  { ..., net = { backend, ip = "10.89.0.2" } }
--   vr.void "web" { ..., net = vr.host_link{ ip = "10.90.0.2", host_ip = "10.90.0.1" } }
--   vr.void "x"   { ..., net = { { backend, ip = "10.89.0.4" }, vr.host_link{ ... } } }
--   vr.void "h"   { ..., net = "host" }   -- the host's network namespace
--
-- Without `net`, a void has a network namespace of its own with lo alone.

local core = require "voidrun.core"
local profile = require "voidrun.profile"

local M = {}

local fail = profile.fail
local MAX_LINKS = 8  -- VR_NET_MAX_LINKS

local function fail_at(pos, msg, ...)
  error((pos and (pos .. ": ") or "") .. msg:format(...), 0)
end

-- Values the profile cannot forge: their metatables are fixed here.
local Network = { __name = "voidrun.network", __metatable = "voidrun.network" }
local HostLink = { __name = "voidrun.host_link", __metatable = "voidrun.host_link" }

local function is_network(x) return type(x) == "table" and getmetatable(x) == "voidrun.network" end
local function is_host_link(x) return type(x) == "table" and getmetatable(x) == "voidrun.host_link" end

---------------------------------------------------------------- addresses

-- "10.89.0.2" -> 0x0a590002, or nil.
local function ip4(s)
  if type(s) ~= "string" then return nil end
  local a, b, c, d = s:match("^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)$")
  if not a then return nil end
  local n = 0
  for _, x in ipairs { a, b, c, d } do
    x = tonumber(x)
    if x > 255 then return nil end
    n = (n << 8) | x
  end
  return n
end

-- Addresses no link may use: this network (0/8), loopback (127/8),
-- multicast and reserved (224/3): a void's or the host's routing to them
-- must never change.
local function special(n)
  local a = n >> 24
  return a == 0 or a == 127 or a >= 224
end

local function mask(prefix)
  return (0xffffffff << (32 - prefix)) & 0xffffffff
end

local function ip_string(n)
  return ("%d.%d.%d.%d"):format(n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

---------------------------------------------------------------- vocabulary

local function check_keys(opts, allowed, what, level)
  if type(opts) ~= "table" or getmetatable(opts) ~= nil then
    fail(level + 1, "%s: expected a table { %s }", what, table.concat(allowed, " =, ") .. " =")
  end
  for k in pairs(opts) do
    local ok = false
    for _, a in ipairs(allowed) do ok = ok or k == a end
    if not ok then
      fail(level + 1, "%s: unknown option '%s' (options: %s)", what, tostring(k), table.concat(allowed, ", "))
    end
  end
end

-- vr.network{ subnet = "10.89.0.0/24" }: a private network of the voids
-- that join it, one bridge in the layout's own network namespace.
local function network(opts, level)
  check_keys(opts, { "subnet" }, "vr.network", level + 1)
  local s = opts.subnet
  local addr, prefix
  if type(s) == "string" then addr, prefix = s:match("^([%d.]+)/(%d%d?)$") end
  local base = ip4(addr)
  prefix = tonumber(prefix)
  if not base or not prefix or prefix < 8 or prefix > 30 then
    fail(level + 1, "vr.network: subnet must be an IPv4 subnet \"a.b.c.d/N\" with N from 8 to 30 " ..
      "(\"10.89.0.0/24\"), got %s", tostring(s))
  end
  if special(base) then
    fail(level + 1, "vr.network: subnet %s is not for links (0/8, 127/8 and 224/3 are refused)", s)
  end
  if base & ~mask(prefix) ~= 0 then
    fail(level + 1, "vr.network: subnet %s has host bits set (the subnet is %s/%d)", s,
      ip_string(base & mask(prefix)), prefix)
  end
  return setmetatable({ subnet = s, base = base, prefix = prefix, pos = profile.where(level + 1) }, Network)
end

-- vr.host_link{ ip = "10.90.0.2", host_ip = "10.90.0.1" }: a veth pair
-- between the host's network namespace and the void. Root only.
local function host_link(opts, level)
  check_keys(opts, { "ip", "host_ip" }, "vr.host_link", level + 1)
  local ip, host_ip = ip4(opts.ip), ip4(opts.host_ip)
  if not ip then fail(level + 1, "vr.host_link: ip must be an IPv4 address, got %s", tostring(opts.ip)) end
  if not host_ip then
    fail(level + 1, "vr.host_link: host_ip must be an IPv4 address, got %s", tostring(opts.host_ip))
  end
  if ip == host_ip then fail(level + 1, "vr.host_link: ip and host_ip must differ (both %s)", opts.ip) end
  for _, k in ipairs { "ip", "host_ip" } do
    if special(ip4(opts[k])) then
      fail(level + 1, "vr.host_link: %s %s is not for links (0/8, 127/8 and 224/3 are refused)", k, opts[k])
    end
  end
  if core.getuid() ~= 0 then
    fail(level + 1, "vr.host_link needs root: an unprivileged user cannot create a link in the host's " ..
      "network namespace (use vr.tcp_listen to let host clients in, or vr.network between voids; " ..
      "doc/network.md)")
  end
  return setmetatable({ ip = opts.ip, host_ip = opts.host_ip, addr = ip, host_addr = host_ip,
                        pos = profile.where(level + 1) }, HostLink)
end

-- vr.network and vr.host_link, called from the profile's functions of
-- those names (voidrun.profile): level 1 is the profile's line.
M.network, M.host_link = network, host_link

---------------------------------------------------------------- the key

-- { network, ip = "10.89.0.2" } -> a link description.
local function attachment(a, level)
  if is_host_link(a) then return { host_link = a } end
  if type(a) ~= "table" or getmetatable(a) ~= nil or not is_network(a[1]) then
    fail(level + 1, "net: expected { network, ip = \"a.b.c.d\" } (network from vr.network) or a vr.host_link")
  end
  for k in pairs(a) do
    if k ~= 1 and k ~= "ip" then
      fail(level + 1, "net: unknown key '%s' in a network attachment (keys: [1] the network, ip)", tostring(k))
    end
  end
  local n, addr = a[1], ip4(a.ip)
  if not addr then fail(level + 1, "net: ip must be an IPv4 address, got %s", tostring(a.ip)) end
  local m = mask(n.prefix)
  if addr & m ~= n.base then
    fail(level + 1, "net: ip %s is outside the network's subnet %s", a.ip, n.subnet)
  end
  if addr == n.base or addr == n.base | (~m & 0xffffffff) then
    fail(level + 1, "net: ip %s is the %s address of %s: give a host address", a.ip,
      addr == n.base and "network" or "broadcast", n.subnet)
  end
  return { network = n, ip = a.ip, addr = addr }
end

-- The checker of `net`: "host", an attachment, a host link, or a list of
-- them. Returns { host = true } or { links = { ... } }.
local function check(v, level)
  if v == "host" then return { host = true } end
  if type(v) ~= "table" then
    fail(level + 1, "net must be \"host\", { network, ip = }, a vr.host_link or a list of them, got %s",
      type(v) == "string" and ("\"" .. v .. "\"") or type(v))
  end
  local list
  if is_host_link(v) or is_network(v[1]) or v.ip ~= nil then
    list = { v }
  else
    list = {}
    for k in pairs(v) do
      if math.type(k) ~= "integer" or k < 1 or k > #v then
        fail(level + 1, "net: expected a list of attachments, found key %s", tostring(k))
      end
    end
    for i = 1, #v do list[i] = v[i] end
    if #list == 0 then fail(level + 1, "net: the list is empty (leave net out for lo alone)") end
  end
  if #list > MAX_LINKS then fail(level + 1, "net: at most %d links per void", MAX_LINKS) end
  local links, seen = {}, {}
  for i, a in ipairs(list) do
    local l = attachment(a, level + 1)
    if l.network then
      if seen[l.network] then fail(level + 1, "net: the network %s is joined twice", l.network.subnet) end
      seen[l.network] = true
    end
    links[i] = l
  end
  return { links = links }
end

M.check = check

-- The state of the running layout's networks (one layout per process).
local current

-- The plan hook of `net` (v has a net).
function M.plan(v, t)
  if v.net.host then
    t.host_net = true
    return
  end
  if not current then
    -- (vr.run and vr.spawn of a harness start a void alone, without a layout)
    error(("void '%s': vr.network and vr.host_link links need a layout run by voidrun"):format(v.name), 0)
  end
  local links = {}
  for i, l in ipairs(v.net.links) do
    if l.network then
      links[i] = { net = current.net, bridge = current.bridges[l.network], ip = l.ip, prefix = l.network.prefix }
    else
      links[i] = { net = current.net, ip = l.host_link.ip, peer = l.host_link.host_ip }
    end
  end
  t.net_links = links
end

-- Whole-layout checks: addresses unique, no broker worker on a network
-- (every worker would need an address of its own); and what the layout
-- needs opened (layout.net).
function M.validate(layout)
  local networks, by_net, host_ips, host = {}, {}, {}, false
  for _, v in ipairs(layout.voids) do
    local links = v.broker and v.worker.net and v.worker.net.links
    if links then
      fail_at(v.pos, "broker '%s': a worker cannot have vr.network or vr.host_link links (every worker " ..
        "would need an address of its own)", v.name)
    end
    for _, l in ipairs(v.net and v.net.links or {}) do
      if l.network then
        local n = l.network
        if not by_net[n] then
          by_net[n] = {}
          networks[#networks + 1] = n
        end
        local prev = by_net[n][l.addr]
        if prev then
          fail_at(v.pos, "void '%s': ip %s on %s is already given to void '%s'", v.name, l.ip, n.subnet, prev.name)
        end
        by_net[n][l.addr] = v
      else
        host = true
        local hl = l.host_link
        for _, a in ipairs { hl.addr, hl.host_addr } do
          local prev = host_ips[a]
          if prev then
            fail_at(v.pos, "void '%s': host link address %s is already given to void '%s'", v.name, ip_string(a),
              prev.name)
          end
        end
        host_ips[hl.addr], host_ips[hl.host_addr] = v, v
      end
    end
  end
  if #networks > 0 or host then layout.net = { networks = networks, host = host } end
end

---------------------------------------------------------------- running

-- An ordinary user's voidrun in a user namespace of its own, mapping
-- its uid and gid to themselves: where it has every capability over the
-- namespaces it then makes (networks; a broker's shared network
-- namespace, layout.lua). Entered once: a second would leave it without
-- any over those of the first. Root needs none.
local moved = false
function M.own_userns()
  if moved or core.getuid() == 0 then return true end
  local ok, err = core.net_userns()
  if not ok then return nil, err end
  moved = true
  return true
end

local Open = { __close = function(self) M.close(self) end }
Open.__index = Open

-- Open the layout's networks before its first void starts: returns a
-- handle to close (a to-be-closed variable) or nil, error.
function M.open(layout)
  local state = setmetatable({ bridges = {} }, Open)
  local need = layout.net
  if not need then return state end
  local networks = need.networks
  if #networks > 0 then
    -- Unprivileged: voidrun itself moves into a user namespace of its
    -- own first, so that it is capable over the bridge namespace and
    -- over every void's namespaces (net.h says why it must be).
    local ok, err = M.own_userns()
    if not ok then return nil, "networks: " .. err end
  end
  local net, err = core.net_open { bridges = #networks > 0, host = need.host }
  if not net then return nil, "networks: " .. err end
  state.net = net
  for _, n in ipairs(networks) do
    local index, berr = net:bridge()
    if not index then
      net:close()
      return nil, ("%s: vr.network %s: %s"):format(n.pos or "?", n.subnet, berr)
    end
    state.bridges[n] = index
  end
  current = state
  return state
end

function M.close(state)
  if current == state then current = nil end
  if state.net then state.net:close() end
  state.net = nil
end

-- The bridge namespace's inode while a layout runs (for tests, ps).
function M.ns_inode()
  return current and current.net and current.net:ns_inode()
end

-- "the host's", "eth0 10.89.0.2/24 (vr.network 10.89.0.0/24), eth1
-- 10.90.0.2 <-> host 10.90.0.1": for voidrun check, of a void with a net
-- (cli.lua says "lo only" of the others without loading this module).
function M.describe(v)
  if v.net.host then return "the host's network namespace" end
  local out = {}
  for i, l in ipairs(v.net.links) do
    local dev = "eth" .. (i - 1)
    if l.network then
      out[i] = ("%s %s/%d (vr.network %s)"):format(dev, l.ip, l.network.prefix, l.network.subnet)
    else
      out[i] = ("%s %s <-> host %s (vr.host_link)"):format(dev, l.host_link.ip, l.host_link.host_ip)
    end
  end
  return "lo, " .. table.concat(out, ", ")
end

M.is_network, M.is_host_link = is_network, is_host_link

return M
