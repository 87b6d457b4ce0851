-- SPDX-License-Identifier: MIT
-- Seeing into running layouts: `voidrun ps [--json]` and
-- `voidrun enter LAYOUT VOID [CMD...]` (doc/inspect.md). What they show
-- comes from the registry (lua/voidrun/registry.lua) and from /proc, read
-- now: never from what a profile asked for.

local core = require "voidrun.core"
local registry = require "voidrun.registry"

local M = {}

local EXIT_FAIL, EXIT_USAGE = 125, 2

local function say(fmt, ...)
  io.stderr:write("voidrun: ", fmt:format(...), "\n")
end

---------------------------------------------------------------- JSON

-- JSON is dkjson's (Debian: lua-dkjson), loaded by what speaks it (ps
-- --json, the control socket's replies, enter's reading of them), never by
-- a launch. Not lua-cjson: a C module cannot be loaded by a statically
-- linked voidrun (it finds no Lua API to bind to), which is what serves
-- the control socket, and cjson 2.1.0 writes numbers with 14 significant
-- digits at most (a cgroup's cpu_usec grows past that).
--
-- dkjson writes a table with no keys as [], and a list as an array: a
-- table that may be empty says which it is. Object keys are sorted
-- (M.encode). Strings are bytes: control characters, quotes and
-- backslashes are escaped (and a few invisible Unicode characters, as
-- \uXXXX), other bytes passed through (the kernel's names and paths are
-- not always UTF-8); all read back the same.
local ARRAY, OBJECT = { __jsontype = "array" }, { __jsontype = "object" }
local function array(t) return setmetatable(t or {}, ARRAY) end
M.array = array
function M.object(t) return setmetatable(t or {}, OBJECT) end

-- dkjson, loaded on first use. Raises one line if it is not installed.
function M.dkjson()
  local ok, json = pcall(require, "dkjson")
  if not ok then error("dkjson is not installed (Debian: apt-get install lua-dkjson)", 0) end
  return json
end

-- The JSON text of x, each object's keys sorted, but those of list order,
-- when given, first, in that order (dkjson's keyorder: one list for every
-- object, each taking the keys it has). Raises an error for what JSON
-- cannot hold (a function, a cycle).
function M.encode(x, order)
  local keys, listed, seen = {}, {}, {}
  for _, k in ipairs(order or {}) do listed[k] = true end
  local function walk(t)
    if type(t) ~= "table" or seen[t] then return end
    seen[t] = true
    for k, v in pairs(t) do
      if type(k) == "string" and not listed[k] then
        listed[k] = true
        keys[#keys + 1] = k
      end
      walk(v)
    end
  end
  walk(x)
  table.sort(keys)
  local all = {}
  for _, k in ipairs(order or {}) do all[#all + 1] = k end
  for _, k in ipairs(keys) do all[#all + 1] = k end
  return M.dkjson().encode(x, { keyorder = all })
end

---------------------------------------------------------------- /proc

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
M.slurp = slurp

-- A process's command line as ps shows it; [name] for a kernel thread
-- or a zombie, which have none.
function M.command(proc)
  return #proc.cmdline > 0 and table.concat(proc.cmdline, " ") or ("[" .. proc.name .. "]")
end

-- Every process's parent: { [pid] = ppid }, and what else /proc/PID/stat
-- said: { [pid] = { stat = the fields after the name, from the state on } }.
local function parents()
  local pp, procs = {}, {}
  for _, name in ipairs(core.listdir("/proc") or {}) do
    if name:match("^%d+$") then
      local s = slurp("/proc/" .. name .. "/stat")
      -- the name (field 2) may hold spaces and parentheses
      local rest = s and s:match(".*%)%s+(.*)")
      local ppid = rest and rest:match("^%S+%s+(%d+)")
      if ppid then
        pp[tonumber(name)] = tonumber(ppid)
        procs[tonumber(name)] = { stat = rest }
      end
    end
  end
  return pp, procs
end

local NS = { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" }

-- One process as ps shows it, with its children (a tree). Its resident
-- memory goes to procs[pid].rss_kb (for top; ps does not show it).
local function process(pid, children, procs)
  local status = slurp("/proc/" .. pid .. "/status")
  if not status then return nil end
  if procs[pid] then procs[pid].rss_kb = math.tointeger(tonumber(status:match("\nVmRSS:%s*(%d+)"))) end
  local nspid = status:match("\nNSpid:([^\n]*)") or ""
  local ids = {}
  for n in nspid:gmatch("%d+") do ids[#ids + 1] = tonumber(n) end
  local argv = array()
  for a in (slurp("/proc/" .. pid .. "/cmdline") or ""):gmatch("([^%z]*)%z") do argv[#argv + 1] = a end
  local p = {
    pid = pid, nspid = ids[#ids], nspids = array(ids),
    name = status:match("^Name:%s*([^\n]*)") or "?", cmdline = argv, children = array(),
  }
  for _, c in ipairs(children[pid] or {}) do
    local cp = process(c, children, procs)
    if cp then p.children[#p.children + 1] = cp end
  end
  return p
end

-- The cgroup v2 path of process pid ("/..."), or nil.
function M.cgroup_of(pid)
  local s = slurp("/proc/" .. pid .. "/cgroup")
  return s and s:match("0::([^\n]*)")
end

-- The text of a file of cgroup v2 path cg, or nil.
function M.cgroup_file(cg, file)
  return cg and slurp("/sys/fs/cgroup" .. (cg == "/" and "" or cg) .. "/" .. file)
end

-- A cgroup v2 value of the void's cgroup, or nil.
local function cgroup_value(cg, file, pattern)
  local s = M.cgroup_file(cg, file)
  if not s then return nil end
  return math.tointeger(tonumber(s:match(pattern or "^(%d+)")))
end

-- What ps reports of one registered void.
local function void_info(v, children, procs)
  local info = { name = v.name, kind = v.kind, restarts = v.restarts, running = false }
  if not v.pid then return info end
  local p = process(v.pid, children, procs)
  if not p then return info end
  info.running, info.pid, info.tree = true, v.pid, p
  -- pid 1 is not dumpable (core/void.c): only root may read its ns
  -- links. Its children, exec'd in the void, share them and are readable.
  info.namespaces = M.object()
  for _, ns in ipairs(NS) do
    local l = core.readlink("/proc/" .. v.pid .. "/ns/" .. ns)
    for _, c in ipairs(p.children) do
      l = l or core.readlink("/proc/" .. c.pid .. "/ns/" .. ns)
    end
    info.namespaces[ns] = l and math.tointeger(tonumber(l:match("%[(%d+)%]")))
  end
  info.cgroup = M.cgroup_of(v.pid)
  info.memory_bytes = cgroup_value(info.cgroup, "memory.current")
  info.cpu_usec = cgroup_value(info.cgroup, "cpu.stat", "usage_usec%s+(%d+)")
  return info
end

-- The workers of the brokers of registered layout e: { [broker name] =
-- array of worker trees }. A broker's workers are not registered (one
-- registry write per connection would cost each): they are the children
-- of voidrun in a pid namespace below its own that are not a registered
-- void's pid 1. With several brokers, a worker is its broker's when its
-- entry runs the program the registry names for that broker, or, not
-- started yet (prepared ahead), when its mounts have that program.
local function workers(e, children, procs)
  local registered, brokers, of = {}, {}, {}
  for _, v in ipairs(e.voids) do
    if v.pid then registered[v.pid] = true end
    if v.kind == "broker" then
      brokers[#brokers + 1] = v
      of[v.name] = array()
    end
  end
  if #brokers == 0 then return of end
  -- how deep voidrun's pid namespace is: the number of its NSpid ids
  local nspid = (slurp("/proc/" .. e.pid .. "/status") or ""):match("\nNSpid:([^\n]*)") or ""
  local depth = select(2, nspid:gsub("%d+", ""))
  for _, pid in ipairs(children[e.pid] or {}) do
    local w = not registered[pid] and process(pid, children, procs)
    if w and #w.nspids > depth then
      local b = #brokers == 1 and brokers[1] or nil
      local prog = w.children[1] and w.children[1].cmdline[1]
      for _, x in ipairs(brokers) do
        if not b and x.program and x.program == prog then b = x end
      end
      if not b and not w.children[1] then
        local points = {}
        for line in (slurp("/proc/" .. pid .. "/mountinfo") or ""):gmatch("[^\n]+") do
          local point = line:match("^%S+ %S+ %S+ %S+ (%S+)")
          if point then points[point] = true end
        end
        for _, x in ipairs(brokers) do
          if not b and x.program and points[x.program] then b = x end
        end
      end
      if b then table.insert(of[b.name], { pid = pid, tree = w }) end
    end
  end
  return of
end

-- Every live layout of this user, stale entries cleaned (what ps --json
-- prints), and the /proc figures of their processes that ps does not
-- print: { [pid] = { stat = "S 1 ...", rss_kb = n } } (voidrun.top).
function M.collect()
  local entries = registry.list()
  local children = {}
  local pp, procs = parents()
  for pid, ppid in pairs(pp) do
    children[ppid] = children[ppid] or {}
    table.insert(children[ppid], pid)
  end
  for _, l in pairs(children) do table.sort(l) end
  local layouts = array()
  for _, e in ipairs(entries) do
    local voids = array()
    local of = workers(e, children, procs)
    for _, v in ipairs(e.voids) do
      voids[#voids + 1] = void_info(v, children, procs)
      voids[#voids].workers = of[v.name]
    end
    -- (started: whole seconds, read back from "%.3f" as a float)
    layouts[#layouts + 1] = { pid = e.pid, profile = e.profile, started = math.tointeger(e.started) or e.started,
                              voids = voids }
  end
  return { layouts = layouts }, procs
end

-- What `voidrun ps` prints of collect()'s data.
function M.text(data)
  local out = {}
  local function p(fmt, ...) out[#out + 1] = fmt:format(...) end
  local function tree(proc, depth)
    p("%s%-7d %-4s %s", ("  "):rep(depth), proc.pid, proc.nspid or "?", M.command(proc))
    for _, c in ipairs(proc.children) do tree(c, depth + 1) end
  end
  for _, l in ipairs(data.layouts) do
    p("voidrun %d  %s  started %s", l.pid, l.profile, os.date("%Y-%m-%d %H:%M:%S", math.floor(l.started or 0)))
    for _, v in ipairs(l.voids) do
      local more = v.restarts > 0 and ("  restarts " .. v.restarts) or ""
      if v.workers then
        p("  broker %s: %d worker%s%s", v.name, #v.workers, #v.workers == 1 and "" or "s", more)
        if #v.workers > 0 then p("    %-7s %-4s %s", "PID", "VPID", "COMMAND") end
        for _, w in ipairs(v.workers) do tree(w.tree, 2) end
      elseif not v.running then
        p("  %s %s: not running%s", v.kind, v.name, more)
      else
        local use = {}
        if v.memory_bytes then use[#use + 1] = ("memory %.1f MiB"):format(v.memory_bytes / 1048576) end
        if v.cpu_usec then use[#use + 1] = ("cpu %.2f s"):format(v.cpu_usec / 1e6) end
        p("  void %s: cgroup %s%s%s", v.name, v.cgroup or "?", #use > 0 and ("  " .. table.concat(use, "  ")) or "", more)
        local ns = {}
        for _, n in ipairs(NS) do ns[#ns + 1] = n .. ":" .. tostring(v.namespaces[n] or "?") end
        p("    ns %s", table.concat(ns, " "))
        p("    %-7s %-4s %s", "PID", "VPID", "COMMAND")
        tree(v.tree, 2)
      end
    end
  end
  return #out > 0 and (table.concat(out, "\n") .. "\n") or ""
end

-- voidrun ps [--json]
function M.ps(argv, i)
  local json = false
  for k = i, #argv do
    if argv[k] == "--json" then json = true
    else
      say("ps: unknown argument '%s' (usage: voidrun ps [--json])", argv[k])
      return EXIT_USAGE
    end
  end
  local data = M.collect()
  if not json then
    io.stdout:write(M.text(data))
    return 0
  end
  local ok, text = pcall(M.encode, data)
  if not ok then
    say("ps: %s", text)
    return EXIT_FAIL
  end
  io.stdout:write(text, "\n")
  return 0
end

---------------------------------------------------------------- enter

-- The registered layout TARGET names: its voidrun's pid, or its profile
-- (path, file name, or file name without .lua) when only one layout has it.
function M.find(target)
  local entries = registry.list()
  local pid = math.tointeger(tonumber(target))
  local found = {}
  for _, e in ipairs(entries) do
    local base = e.profile:match("([^/]*)$")
    if (pid and e.pid == pid) or (not pid and (e.profile == target or base == target
        or base:gsub("%.lua$", "") == target)) then
      found[#found + 1] = e
    end
  end
  if #found == 0 then return nil, ("no running layout '%s' (see voidrun ps)"):format(target) end
  if #found > 1 then
    local pids = {}
    for _, e in ipairs(found) do pids[#pids + 1] = e.pid end
    return nil, ("'%s' names %d layouts (pids %s): name one by its pid"):format(target, #found, table.concat(pids, ", "))
  end
  return found[1]
end

-- voidrun enter LAYOUT VOID [CMD...]
function M.enter(argv, i)
  local target, name = argv[i], argv[i + 1]
  if not target or not name then
    say("usage: voidrun enter LAYOUT VOID [CMD...]")
    return EXIT_USAGE
  end
  local cmd = {}
  for k = i + 2, #argv do cmd[#cmd + 1] = argv[k] end
  if cmd[1] == "--" then table.remove(cmd, 1) end
  if #cmd == 0 then cmd = { "/bin/sh" } end
  if cmd[1]:sub(1, 1) ~= "/" then
    say("enter: %s: name the command by its absolute path in the void", cmd[1])
    return EXIT_USAGE
  end
  local e, err = M.find(target)
  if not e then
    say("enter: %s", err)
    return EXIT_FAIL
  end
  local v
  for _, x in ipairs(e.voids) do if x.name == name then v = x end end
  if not v then
    say("enter: layout %d has no void '%s'", e.pid, name)
    return EXIT_FAIL
  end
  if not v.pid then
    say("enter: void '%s' is not running%s", name, v.kind == "broker" and " (a broker: enter one of its workers is not supported)" or "")
    return EXIT_FAIL
  end
  -- Enter through the void's entry (pid 2 in the void), not its pid 1:
  -- pid 1 is kept non-dumpable (a copy of voidrun's memory), and the
  -- kernel lets only root past that; the entry, exec'd in the void, has
  -- the same namespaces and is the user's to enter.
  local pp = parents()
  local target
  for pid, ppid in pairs(pp) do
    if ppid == v.pid and (not target or pid < target) then target = pid end
  end
  if not target then
    say("enter: void '%s' has no process to enter (its entry ended)", name)
    return EXIT_FAIL
  end
  local pidfd, perr = core.pidfd_open(target)
  if not pidfd then
    say("enter: %s: %s", name, perr)
    return EXIT_FAIL
  end
  -- The pidfd pins the process: make sure it is still a child of the
  -- void's pid 1, itself a child of that voidrun, still the registered
  -- one (no pid was reused since the registry was written).
  local function ppid_of(pid)
    return tonumber((slurp("/proc/" .. pid .. "/stat") or ""):match(".*%)%s+%S+%s+(%d+)"))
  end
  if ppid_of(target) ~= v.pid or ppid_of(v.pid) ~= e.pid or registry.starttime(e.pid) ~= e.starttime then
    core.close(pidfd)
    say("enter: void '%s' ended", name)
    return EXIT_FAIL
  end
  -- The void's own restrictions (its seccomp policy, Landlock rules and
  -- cgroup) are known to its voidrun only: asked over its control socket
  -- (lua/voidrun/control.lua). Unreachable (a voidrun of before the
  -- socket, or one that could not make it): the default filter, said.
  local control = require "voidrun.control"
  local grants
  local reply, rerr = control.request(e.file .. ".sock", "grants " .. name, e.pid)
  if reply and not reply.ok then
    core.close(pidfd)
    say("enter: %s: %s", name, tostring(reply.error))
    return EXIT_FAIL
  elseif reply and reply.pid ~= v.pid then
    core.close(pidfd)
    say("enter: void '%s' restarted meanwhile: try again", name)
    return EXIT_FAIL
  elseif reply then
    grants, rerr = control.grants(reply)
  end
  if not grants then
    say("enter: %s: cannot ask voidrun %d for the void's grants (%s): the command gets the default " ..
      "seccomp filter only, not the void's own policy, Landlock rules or cgroup", name, e.pid, rerr)
  end
  local env = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/" }
  local term = core.environ().TERM
  if term then env[#env + 1] = "TERM=" .. term end
  local r, msg = core.enter(pidfd, cmd, env, grants)
  core.close(pidfd)
  if not r then
    say("enter: %s: %s", name, msg)
    return EXIT_FAIL
  end
  return r.signal and 128 + r.signal or r.status
end

return M
