-- SPDX-License-Identifier: MIT
-- The profile language: what `require "voidrun"` gives a profile, how a
-- profile file is loaded in a restricted environment, and how a layout is
-- validated as a whole and compiled into plans for the C core.
--
-- Profiles read declaratively: a void is a table of what it is given, and
-- every helper (vr.ro, vr.exe, ...) returns a plain value. Keys are strict:
-- an unknown field or a wrong type is an error at the user's line, because
-- a typo must never weaken a sandbox.

local core = require "voidrun.core"
local channel = require "voidrun.channel"

local M = {}

-- voidrun's version (vr.version in a profile, voidrun --version)
M.VERSION = "0.1.0"

---------------------------------------------------------------- errors

-- "file:line" of the caller `level` frames above the function calling
-- this (1 = that function's caller). Uses the full source name, not
-- Lua's 60-character short_src.
local function where(level)
  local info = debug.getinfo(level + 2, "Sl")
  if not info or info.currentline < 0 then return nil end
  local src = info.source:sub(1, 1) == "@" and info.source:sub(2) or info.short_src
  return src .. ":" .. info.currentline
end

-- Raise msg at the caller `level` frames up, as "file:line: msg".
local function fail(level, msg, ...)
  msg = select("#", ...) > 0 and msg:format(...) or msg
  local w = where(level + 1)
  error(w and (w .. ": " .. msg) or msg, 0)
end
M.fail = fail
M.where = where

-- Raise msg located at a recorded position ("file:line" or nil).
local function fail_at(pos, msg, ...)
  msg = select("#", ...) > 0 and msg:format(...) or msg
  error(pos and (pos .. ": " .. msg) or msg, 0)
end

---------------------------------------------------------------- fs entries

-- Every fs entry shares this metatable, so a stray string or table in
-- `fs` is recognised and refused rather than guessed at.
local Entry = { __name = "voidrun.fs", __metatable = "voidrun.fs" }
Entry.__index = Entry

local function is_entry(v)
  return type(v) == "table" and getmetatable(v) == "voidrun.fs"
end
M.is_entry = is_entry

local function entry(t)
  return setmetatable(t, Entry)
end

-- A path inside a void: absolute, normalised, no "." or ".." component.
local function void_path(p, what, level)
  if type(p) ~= "string" then
    fail(level + 1, "%s must be a string path, got %s", what, type(p))
  end
  if p:sub(1, 1) ~= "/" then
    fail(level + 1, "%s '%s' must be an absolute path", what, p)
  end
  local parts = {}
  for c in p:gmatch("[^/]+") do
    if c == "." or c == ".." then
      fail(level + 1, "%s '%s' must not contain '.' or '..'", what, p)
    end
    parts[#parts + 1] = c
  end
  return "/" .. table.concat(parts, "/")
end

-- An existing host path, checked now so that a typo is reported at the
-- profile line rather than when the void is built.
local function host_path(p, what, level)
  p = void_path(p, what, level + 1)
  local kind, err = core.stat(p)
  if not kind then fail(level + 1, "%s", err) end
  return p, kind
end

local function bind(src, dst, rw, level)
  local s, kind = host_path(src, "source", level + 1)
  local d = dst == nil and s or void_path(dst, "target", level + 1)
  return entry { kind = "bind", src = s, dst = d, rw = rw, dir = kind == "dir", pos = where(level + 1) }
end

local function read_shebang(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local line = f:read("l") or ""
  f:close()
  return line:match("^#!%s*(/%S+)")
end

-- The binary, its ELF interpreter and library closure (or, for a script,
-- its interpreter's), each bound read-only where the loader looks.
local function exe(path, dst, level, depth)
  local p = host_path(path, "executable", level + 1)
  local real = assert(core.realpath(p))
  local binds = { { src = real, dst = dst and void_path(dst, "target", level + 1) or p } }
  local deps, err, errno = core.elf_deps(p)
  if not deps then
    local interp = errno == 8 --[[ENOEXEC]] and read_shebang(p)
    if not interp then
      fail(level + 1, "vr.exe: %s", err)
    end
    if (depth or 0) > 4 then fail(level + 1, "vr.exe: %s: interpreter nesting too deep", p) end
    local sub = exe(interp, nil, level + 1, (depth or 0) + 1)
    for _, b in ipairs(sub.binds) do binds[#binds + 1] = b end
  else
    for _, d in ipairs(deps) do
      binds[#binds + 1] = { src = d.host, dst = d.inside }
    end
  end
  return entry { kind = "exe", path = p, binds = binds, pos = where(level + 1) }
end

---------------------------------------------------------------- void specs

-- The fields a void table may have, with their checkers. Each checker
-- returns the normalised value or raises at the profile line.
local fields = {}

function fields.exec(v, level)
  if type(v) ~= "table" then fail(level + 1, "exec must be a list of strings, got %s", type(v)) end
  if #v == 0 then fail(level + 1, "exec is empty: name the program to run") end
  local argv = {}
  for i = 1, #v do
    local a = v[i]
    if type(a) == "number" then a = tostring(a) end
    -- a channel end stands for its fd number in the void
    if type(a) ~= "string" and not (i > 1 and channel.is_end(a)) then
      fail(level + 1, "exec[%d] must be a string or a channel end, got %s", i, type(a))
    end
    argv[i] = a
  end
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > #v then
      fail(level + 1, "exec must be a plain list (found key %s)", tostring(k))
    end
  end
  if argv[1]:sub(1, 1) ~= "/" then
    fail(level + 1, "exec[1] '%s' must be an absolute path inside the void", argv[1])
  end
  return argv
end

function fields.fs(v, level)
  if type(v) ~= "table" then fail(level + 1, "fs must be a list of entries, got %s", type(v)) end
  local n = 0
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 then
      fail(level + 1, "fs must be a plain list (found key %s)", tostring(k))
    end
    if k > n then n = k end
  end
  local out, devs = {}, 0
  for i = 1, n do
    local e = v[i]
    if not is_entry(e) then
      fail(level + 1, "fs[%d] must be an entry from vr.exe, vr.ro, vr.rw, vr.tmpfs, vr.proc, vr.dev, " ..
        "vr.dir or vr.symlink, got %s", i, type(e))
    end
    if e.kind == "dev" then
      devs = devs + 1
      if devs > 1 then fail(level + 1, "fs[%d]: a void has one vr.dev at most", i) end
    end
    out[i] = e
  end
  return out
end

function fields.env(v, level)
  if type(v) ~= "table" then fail(level + 1, "env must be a table of NAME = value, got %s", type(v)) end
  local env = {}
  for k, val in pairs(v) do
    if type(k) ~= "string" or not k:match("^[^=%z]+$") then
      fail(level + 1, "env key %s must be a variable name", tostring(k))
    end
    if type(val) == "number" then val = tostring(val) end
    if type(val) ~= "string" then fail(level + 1, "env.%s must be a string, got %s", k, type(val)) end
    env[k] = val
  end
  return env
end

local function check_end(v, what, level)
  if not channel.is_end(v) then
    fail(level + 1, "%s must be a channel end (vr.pipe, vr.socketpair, vr.file, vr.dup, vr.stdin...), got %s",
      what, type(v))
  end
  return v
end

function fields.stdin(v, level) local e = check_end(v, "stdin", level + 1) return e end
function fields.stdout(v, level) local e = check_end(v, "stdout", level + 1) return e end
function fields.stderr(v, level) local e = check_end(v, "stderr", level + 1) return e end

-- fds = { [3] = end, ... }: ends at fixed fd numbers.
function fields.fds(v, level)
  if type(v) ~= "table" then fail(level + 1, "fds must be a table { [n] = end }, got %s", type(v)) end
  local out = {}
  for n, e in pairs(v) do
    if math.type(n) ~= "integer" or n < 0 or n > 1023 then
      fail(level + 1, "fds key %s must be an fd number from 0 to 1023", tostring(n))
    end
    out[n] = check_end(e, ("fds[%d]"):format(n), level + 1)
  end
  return out
end

-- ends = { end, ... }: ends at the next free fd numbers (from 3), for a
-- function entry, which finds them by the objects themselves.
function fields.ends(v, level)
  if type(v) ~= "table" then fail(level + 1, "ends must be a list of channel ends, got %s", type(v)) end
  local out = {}
  for i, e in ipairs(v) do out[i] = check_end(e, ("ends[%d]"):format(i), level + 1) end
  return out
end

-- run = function(ctx) ... end: a function entry instead of exec.
function fields.run(v, level)
  if type(v) ~= "function" then fail(level + 1, "run must be a function, got %s", type(v)) end
  return v
end

function fields.after(v, level)
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" then fail(level + 1, "after must be a list of void names, got %s", type(v)) end
  for i, n in ipairs(v) do
    if type(n) ~= "string" then fail(level + 1, "after[%d] must be a void name, got %s", i, type(n)) end
  end
  return v
end

local on_exit_values = { ignore = true, stop_all = true, restart = true }
function fields.on_exit(v, level)
  if not on_exit_values[v] then
    fail(level + 1, "on_exit must be \"ignore\", \"stop_all\" or \"restart\", got %s", tostring(v))
  end
  return v
end

function fields.restarts(v, level)
  if math.type(v) ~= "integer" or v < 0 then fail(level + 1, "restarts must be a count, got %s", tostring(v)) end
  return v
end

function fields.grace(v, level)
  if type(v) ~= "number" or v < 0 then fail(level + 1, "grace must be seconds, got %s", tostring(v)) end
  return v
end

function fields.main(v, level)
  if type(v) ~= "boolean" then fail(level + 1, "main must be true or false, got %s", type(v)) end
  return v
end

-- Stop before exec for a debugger (layout.lua; `voidrun --debug` sets it
-- for every void).
function fields.debug(v, level)
  if type(v) ~= "boolean" then fail(level + 1, "debug must be true or false, got %s", type(v)) end
  return v
end

function fields.cwd(v, level)
  local p = void_path(v, "cwd", level + 1)  -- not a tail call: it would hide the profile's line
  return p
end

function fields.hostname(v, level)
  if type(v) ~= "string" or #v == 0 or #v > 64 then
    fail(level + 1, "hostname must be a string of 1 to 64 characters")
  end
  return v
end

M.fields = fields

local function field_names()
  local names = {}
  for k in pairs(fields) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- Other modules add keys to the void table through these: a checker
-- (value, level) -> normalised value, raising at the profile line, and a
-- plan hook (void, plan table) that adds what core.plan needs.
M.plan_hooks = {}
-- Whole-layout checks of those modules (layout) -> raises, and the
-- functions they add to the profile API (vr, layout).
M.validate_hooks = {}
M.api_hooks = {}

function M.add_field(name, checker, plan_hook)
  assert(not fields[name], "field defined twice: " .. name)
  fields[name] = checker
  if plan_hook then M.plan_hooks[#M.plan_hooks + 1] = plan_hook end
end

local Void = { __name = "voidrun.Void" }
Void.__index = Void
M.Void = Void

-- Check a void table and return its normalised description.
function M.check_void(name, spec, level)
  if type(spec) ~= "table" then
    fail(level + 1, "void '%s' must be given a table, got %s", name, type(spec))
  end
  local v = setmetatable({ name = name, pos = where(level + 1), fs = {}, env = {}, cwd = "/",
                           hostname = "void", fds = {}, ends = {}, after = {}, on_exit = "ignore",
                           restarts = 5, grace = 5, main = false }, Void)
  for k in pairs(spec) do
    if type(k) ~= "string" or not fields[k] then
      fail(level + 1, "unknown field '%s' in void '%s' (fields: %s)", tostring(k), name,
        table.concat(field_names(), ", "))
    end
  end
  for _, k in ipairs(field_names()) do
    if spec[k] ~= nil then v[k] = fields[k](spec[k], level + 1) end
  end
  if not v.exec and not v.run then
    fail(level + 1, "void '%s' has no exec: name the program to run (or give a function as run)", name)
  end
  if v.exec and v.run then fail(level + 1, "void '%s' has both exec and run: give one", name) end
  return v
end

local function depth(path)
  local n = 0
  for _ in path:gmatch("[^/]+") do n = n + 1 end
  return n
end

-- Whether path is dir or below it.
local function under(path, dir)
  return path == dir or dir == "/" or path:sub(1, #dir + 1) == dir .. "/"
end

-- Expand the fs entries into the ordered mount list of the plan, checking
-- that no two entries claim one path and that exec names something the
-- void can see.
function M.mounts(v)
  local mounts, by_dst = {}, {}
  local function add(m, pos)
    local prev = by_dst[m.dst]
    if prev then
      if prev.kind == m.kind and prev.src == m.src and prev.rw == m.rw and prev.options == m.options then
        return
      end
      fail_at(pos, "void '%s': %s is given twice (also at %s)", v.name, m.dst, prev.pos or "?")
    end
    m.pos = pos
    by_dst[m.dst] = m
    mounts[#mounts + 1] = m
  end
  for _, e in ipairs(v.fs) do
    if e.kind == "exe" then
      for _, b in ipairs(e.binds) do add({ kind = "bind", src = b.src, dst = b.dst }, e.pos) end
    elseif e.kind == "bind" then
      add({ kind = "bind", src = e.src, dst = e.dst, rw = e.rw or nil, dir = e.dir }, e.pos)
    else
      add({ kind = e.kind, src = e.src, dst = e.dst, options = e.options }, e.pos)
    end
  end
  -- Parents before children, so a bind of /usr never hides one of
  -- /usr/lib/x; otherwise in the profile's order.
  for i, m in ipairs(mounts) do m.order = i end
  table.sort(mounts, function(a, b)
    local da, db = depth(a.dst), depth(b.dst)
    if da ~= db then return da < db end
    return a.order < b.order
  end)
  for _, m in ipairs(mounts) do
    m.order = nil
    -- A path below a symlink would be resolved through it while the void
    -- is built; refuse rather than build something else than was asked.
    for _, o in ipairs(mounts) do
      if o.kind == "symlink" and o ~= m and under(m.dst, o.dst) then
        fail_at(m.pos, "void '%s': %s lies below the symlink %s", v.name, m.dst, o.dst)
      end
    end
  end
  if not v.exec then return mounts end
  local path, covered = v.exec[1], false
  for _, m in ipairs(mounts) do
    if m.dst == path or ((m.kind == "tmpfs" or m.dir) and under(path, m.dst)) then covered = true end
  end
  if not covered then
    fail_at(v.pos, "void '%s': exec %s is not in the void's fs (add vr.exe \"%s\")", v.name, path, path)
  end
  return mounts
end

-- The table voidrun.core.plan takes.
function M.plan_table(v, extra)
  local env = {}
  for k, val in pairs(v.env) do env[#env + 1] = k .. "=" .. val end
  table.sort(env)
  local t = {
    path = v.exec and v.exec[1] or "/", argv = v.exec or { v.name }, env = env, cwd = v.cwd,
    hostname = v.hostname, mounts = v.mounts or M.mounts(v), fds = {},
  }
  for _, hook in ipairs(M.plan_hooks) do hook(v, t) end
  for k, val in pairs(extra or {}) do t[k] = val end
  return t
end

---------------------------------------------------------------- params

-- Convert an override (a string) to the type of the param's default.
local function convert(name, default, raw, source)
  local t = type(default)
  if t == "string" then return raw end
  if t == "number" then
    local n = tonumber(raw)
    if not n then error(("%s: param '%s' must be a number, got '%s'"):format(source, name, raw), 0) end
    if math.type(default) == "integer" then
      n = math.tointeger(n)
      if not n then error(("%s: param '%s' must be an integer, got '%s'"):format(source, name, raw), 0) end
    end
    return n
  end
  local b = ({ ["true"] = true, yes = true, on = true, ["1"] = true,
               ["false"] = false, no = false, off = false, ["0"] = false })[raw:lower()]
  if b == nil then
    error(("%s: param '%s' must be true or false, got '%s'"):format(source, name, raw), 0)
  end
  return b
end

M.convert = convert

local function env_name(name)
  return "VOIDRUN_" .. name:upper()
end
M.env_name = env_name

---------------------------------------------------------------- the API

-- The table `require "voidrun"` returns inside a profile, bound to the
-- layout being loaded. Each function raises at its caller's line.
function M.api(layout)
  local vr = { args = layout.args, version = M.VERSION }

  function vr.param(name, default, doc)
    -- Lower case only: the environment variable is VOIDRUN_ and the name
    -- in upper case, and the two must map one to one.
    if type(name) ~= "string" or not name:match("^[%l_][%l%d_]*$") then
      fail(1, "vr.param: the name must be a lower-case identifier, got %s", tostring(name))
    end
    local t = type(default)
    if t ~= "string" and t ~= "number" and t ~= "boolean" then
      fail(1, "vr.param '%s': the default must be a string, number or boolean, got %s", name, t)
    end
    if doc ~= nil and type(doc) ~= "string" then fail(1, "vr.param '%s': doc must be a string", name) end
    if layout.params[name] then
      fail(1, "vr.param '%s' is declared twice (also at %s)", name, layout.params[name].pos)
    end
    local value, source = default, "default"
    local raw = layout.set[name]
    if raw ~= nil then
      source = "--set " .. name
    else
      raw = layout.environ[env_name(name)]
      if raw ~= nil then source = env_name(name) end
    end
    if raw ~= nil then value = convert(name, default, raw, source) end
    layout.params[name] = { name = name, default = default, doc = doc, value = value, source = source,
                            pos = where(1) }
    layout.param_order[#layout.param_order + 1] = name
    return value
  end

  function vr.void(name)
    if type(name) ~= "string" or not name:match("^[%w_][%w_.-]*$") then
      fail(1, "vr.void: the name must be a word (letters, digits, _ . -), got %s", tostring(name))
    end
    return function(spec)
      local v = M.check_void(name, spec, 1)
      if layout.by_name then
        local prev = layout.by_name[name]
        if prev then fail(1, "void '%s' is defined twice (also at %s)", name, prev.pos) end
        layout.by_name[name] = v
        layout.voids[#layout.voids + 1] = v
      end
      return v
    end
  end

  -- A broker: a fresh void (the worker) for every connection accepted on
  -- a listener, every message read from a channel, or every batch of fds
  -- received on a socket.
  local each_values = { connection = true, message = true, fds = true }
  local broker_keys = { on = true, each = true, worker = true, max_workers = true, idle_timeout = true,
                        timeout = true, conn = true, after = true, prepared = true, netns = true }
  function vr.broker(name)
    if type(name) ~= "string" or not name:match("^[%w_][%w_.-]*$") then
      fail(1, "vr.broker: the name must be a word (letters, digits, _ . -), got %s", tostring(name))
    end
    return function(spec)
      if type(spec) ~= "table" then fail(1, "broker '%s' must be given a table, got %s", name, type(spec)) end
      for k in pairs(spec) do
        if not broker_keys[k] then
          fail(1, "unknown field '%s' in broker '%s' (fields: after, conn, each, idle_timeout, max_workers, netns, " ..
            "on, prepared, timeout, worker)", tostring(k), name)
        end
      end
      local on = spec.on
      if not channel.is_end(on) then fail(1, "broker '%s': on must be a listener or a channel end", name) end
      local each = spec.each or (on.chan.kind == "listener" and "connection" or "message")
      if not each_values[each] then
        fail(1, "broker '%s': each must be \"connection\", \"message\" or \"fds\", got %s", name, tostring(each))
      end
      if each == "connection" and on.chan.kind ~= "listener" then
        fail(1, "broker '%s': each = \"connection\" needs a listener (vr.tcp_listen, vr.unix_listen)", name)
      end
      local max = spec.max_workers or 64
      if math.type(max) ~= "integer" or max < 1 or max > 65536 then
        fail(1, "broker '%s': max_workers must be from 1 to 65536, got %s", name, tostring(max))
      end
      for _, k in ipairs { "idle_timeout", "timeout" } do
        if spec[k] ~= nil and (type(spec[k]) ~= "number" or spec[k] < 0) then
          fail(1, "broker '%s': %s must be seconds, got %s", name, k, tostring(spec[k]))
        end
      end
      local conn = spec.conn or ({ connection = { 0, 1 }, message = { 0 }, fds = { 0, 1, 2 } })[each]
      if math.type(conn) == "integer" then conn = { conn } end
      if type(conn) ~= "table" or #conn == 0 or #conn > 8 then
        fail(1, "broker '%s': conn must be an fd number or a list of up to 8", name)
      end
      for _, n in ipairs(conn) do
        if math.type(n) ~= "integer" or n < 0 or n > 1023 then
          fail(1, "broker '%s': conn holds fd numbers from 0 to 1023, got %s", name, tostring(n))
        end
      end
      if type(spec.worker) ~= "table" then fail(1, "broker '%s' has no worker: the void to start", name) end
      local w = M.check_void(name, spec.worker, 1)
      for _, n in ipairs(conn) do
        if (n == 0 and w.stdin) or (n == 1 and w.stdout) or (n == 2 and w.stderr) or w.fds[n] then
          fail(1, "broker '%s': the worker's fd %d is the connection's (conn)", name, n)
        end
      end
      -- Voids built ahead of need: each is still a fresh void used once.
      local prepared = spec.prepared
      if prepared == nil then prepared = each == "fds" and 0 or math.min(2, max) end
      if math.type(prepared) ~= "integer" or prepared < 0 or prepared > 64 or (each == "fds" and prepared > 0) then
        fail(1, "broker '%s': prepared must be from 0 to 64 (0 with each = \"fds\"), got %s", name, tostring(prepared))
      end
      -- The workers' network namespace: one empty one for all, or each its own.
      if spec.netns ~= nil and spec.netns ~= "shared" and spec.netns ~= "own" then
        fail(1, "broker '%s': netns must be \"shared\" or \"own\", got %s", name, tostring(spec.netns))
      end
      if spec.netns == "shared" and w.net ~= nil then
        fail(1, "broker '%s': netns = \"shared\" is for workers without net", name)
      end
      local b = setmetatable({ name = name, pos = where(1), broker = true, on = on, each = each, prepared = prepared,
                               netns = spec.netns,
                               max_workers = max, idle_timeout = spec.idle_timeout, timeout = spec.timeout,
                               conn = conn, worker = w, after = fields.after(spec.after or {}, 1),
                               on_exit = "ignore", grace = w.grace, main = false }, Void)
      if layout.by_name then
        local prev = layout.by_name[name]
        if prev then fail(1, "void '%s' is defined twice (also at %s)", name, prev.pos) end
        layout.by_name[name] = b
        layout.voids[#layout.voids + 1] = b
      end
      return b
    end
  end

  -- A listening socket voidrun opens before any void starts: for a broker
  -- (one worker per connection) or a void that accepts by itself.
  function vr.tcp_listen(opts)
    if type(opts) ~= "table" then fail(1, "vr.tcp_listen: expected a table { host =, port = }") end
    for k in pairs(opts) do
      if k ~= "host" and k ~= "port" and k ~= "backlog" then fail(1, "vr.tcp_listen: unknown option '%s'", tostring(k)) end
    end
    local host, port, backlog = opts.host or "127.0.0.1", opts.port, opts.backlog or 128
    if type(host) ~= "string" or not (host:match("^[%d.]+$") or host:match(":")) then
      fail(1, "vr.tcp_listen: host must be an IPv4 or IPv6 address, got %s", tostring(host))
    end
    if math.type(port) ~= "integer" or port < 0 or port > 65535 then
      fail(1, "vr.tcp_listen: port must be from 0 to 65535, got %s", tostring(port))
    end
    if math.type(backlog) ~= "integer" or backlog < 1 then fail(1, "vr.tcp_listen: bad backlog") end
    local e = channel.listener({ kind = "tcp", host = host, port = port, backlog = backlog }, where(1))
    return e
  end

  function vr.unix_listen(opts)
    if type(opts) ~= "table" then fail(1, "vr.unix_listen: expected a table { path = }") end
    for k in pairs(opts) do
      if k ~= "path" and k ~= "backlog" then fail(1, "vr.unix_listen: unknown option '%s'", tostring(k)) end
    end
    local path = void_path(opts.path, "vr.unix_listen path", 1)
    host_path(path:match("^(.*)/[^/]*$") or "/", "vr.unix_listen directory", 1)
    local e = channel.listener({ kind = "unix", path = path, backlog = opts.backlog or 128 }, where(1))
    return e
  end

  -- (No tail calls here: they would drop the caller's frame, and with it
  -- the profile line that errors must name.)
  function vr.exe(path, dst) local e = exe(path, dst, 1) return e end
  function vr.ro(src, dst) local e = bind(src, dst, false, 1) return e end
  function vr.rw(src, dst) local e = bind(src, dst, true, 1) return e end

  function vr.tmpfs(dst, opts)
    local d = void_path(dst, "vr.tmpfs target", 1)
    local o = { "mode=" .. "0755" }
    if opts ~= nil then
      if type(opts) ~= "table" then fail(1, "vr.tmpfs: options must be a table {size=, mode=}") end
      for k, val in pairs(opts) do
        if k == "size" and (type(val) == "string" and val:match("^%d+[kKmMgG%%]?$") or math.type(val) == "integer") then
          o[#o + 1] = "size=" .. val
        elseif k == "mode" and type(val) == "string" and val:match("^[0-7][0-7][0-7][0-7]?$") then
          o[1] = "mode=" .. val
        else
          fail(1, "vr.tmpfs: bad option %s=%s", tostring(k), tostring(val))
        end
      end
    end
    return entry { kind = "tmpfs", dst = d, options = table.concat(o, ","), pos = where(1) }
  end

  function vr.proc(dst)
    return entry { kind = "proc", dst = void_path(dst or "/proc", "vr.proc target", 1), pos = where(1) }
  end

  function vr.dev(dst)
    return entry { kind = "dev", dst = void_path(dst or "/dev", "vr.dev target", 1), pos = where(1) }
  end

  function vr.dir(dst)
    return entry { kind = "dir", dst = void_path(dst, "vr.dir target", 1), pos = where(1) }
  end

  function vr.symlink(target, dst)
    if type(target) ~= "string" or #target == 0 then fail(1, "vr.symlink: the target must be a string") end
    return entry { kind = "symlink", src = target, dst = void_path(dst, "vr.symlink path", 1), pos = where(1) }
  end

  function vr.pipe()
    local p = channel.pipe(where(1))
    return p
  end

  function vr.socketpair(opts)
    local t = "stream"
    if opts ~= nil then
      if type(opts) ~= "table" then fail(1, "vr.socketpair: options must be a table { type = ... }") end
      for k in pairs(opts) do
        if k ~= "type" then fail(1, "vr.socketpair: unknown option '%s'", tostring(k)) end
      end
      t = opts.type or t
      if t ~= "stream" and t ~= "dgram" and t ~= "seqpacket" then
        fail(1, "vr.socketpair: type must be \"stream\", \"dgram\" or \"seqpacket\", got %s", tostring(t))
      end
    end
    local s = channel.socketpair(t, where(1))
    return s
  end

  -- A file voidrun opens with its own rights before any void starts, and
  -- passes in as an fd: a void can use a key it can never name or reach.
  local modes = { r = true, w = true, a = true, rw = true }
  function vr.file(path, mode)
    mode = mode or "r"
    -- relative to the directory voidrun was started in, as a command's
    -- file arguments are
    if type(path) == "string" and path ~= "" and path:sub(1, 1) ~= "/" then path = vr.cwd .. "/" .. path end
    if not modes[mode] then fail(1, "vr.file: mode must be \"r\", \"w\", \"a\" or \"rw\", got %s", tostring(mode)) end
    local p
    if mode == "r" then
      p = host_path(path, "vr.file", 1)
    else
      p = void_path(path, "vr.file", 1)
      local dir = p:match("^(.*)/[^/]*$")
      if dir ~= "" then host_path(dir, "vr.file", 1) end
    end
    local e = channel.file(p, mode, where(1))
    return e
  end

  function vr.dup(e)
    check_end(e, "vr.dup's argument", 1)
    local d = channel.dup(e, where(1))
    return d
  end

  vr.stdin, vr.stdout, vr.stderr = channel.stdio.stdin, channel.stdio.stdout, channel.stdio.stderr
  for _, hook in ipairs(M.api_hooks) do hook(vr, layout) end

  -- The directory voidrun was started in (absolute), for profiles that
  -- give a void the user's working directory.
  vr.cwd = core.realpath(".")

  -- A program shipped with voidrun (the probe, fib): its path on the host.
  function vr.libexec(name)
    if type(name) ~= "string" or not name:match("^[%w_.-]+$") then fail(1, "vr.libexec: bad name") end
    local path = M.libexec(name)
    return path
  end

  -- A path relative to the profile's own directory.
  function vr.here(rel)
    if type(rel) ~= "string" then fail(1, "vr.here: expected a relative path") end
    local path = layout.dir .. "/" .. rel
    return path
  end

  return vr
end

function M.libexec(name)
  local dir = assert(core.exe_dir())
  return dir:gsub("/bin$", "") .. "/libexec/voidrun/" .. name
end

---------------------------------------------------------------- loading

-- Globals a profile may use: pure functions, no I/O, no loading of code.
local safe_globals = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen",
  "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "xpcall",
  "_VERSION",
}

local function copy(t, skip)
  local c = {}
  for k, v in pairs(t) do if not (skip and skip[k]) then c[k] = v end end
  return c
end

local function sandbox_env(api)
  local env = {}
  for _, k in ipairs(safe_globals) do env[k] = _G[k] end
  env.string = copy(string, { dump = true })
  env.table = copy(table)
  env.math = copy(math)
  env.utf8 = copy(utf8)
  env.os = { time = os.time, date = os.date, clock = os.clock }
  env.require = function(name)
    if name == "voidrun" then return api end
    error(("module '%s' is not available in a profile (only \"voidrun\")"):format(tostring(name)), 2)
  end
  -- The string metatable is shared with voidrun's own library: a profile
  -- may not reach it (and through it, the string functions voidrun uses).
  env.getmetatable = function(v)
    if type(v) ~= "table" then return nil end
    return getmetatable(v)
  end
  env._G = env
  return env
end

-- Load a profile: returns the layout, or raises "file:line: message".
-- opts.args: vr.args; opts.set: { name = "raw" } overrides; opts.environ:
-- a table of environment variables (defaults to the process's).
function M.load(path, opts)
  opts = opts or {}
  local layout = {
    file = path, dir = core.realpath(path:match("^(.*)/[^/]*$") or ".") or ".",
    args = opts.args or {}, set = opts.set or {}, environ = opts.environ or core.environ("VOIDRUN_"),
    params = {}, param_order = {}, voids = {}, by_name = {},
  }
  local api = M.api(layout)
  local chunk, err = loadfile(path, "t", sandbox_env(api))
  if not chunk then
    error(err:gsub("^cannot open (%S+)", "cannot open profile %1"), 0)
  end
  chunk()
  M.validate(layout)
  return layout
end

-- Whole-layout checks, once the profile has run.
function M.validate(layout)
  for name in pairs(layout.set) do
    if not layout.params[name] then
      error(("--set %s: the profile declares no param '%s'%s"):format(name, name, M.declared(layout)), 0)
    end
  end
  for k in pairs(layout.environ) do
    local name = k:match("^VOIDRUN_(.+)$")
    if name and not layout.params[name:lower()] then
      error(("%s: the profile declares no param '%s'%s"):format(k, name:lower(), M.declared(layout)), 0)
    end
  end
  if #layout.voids == 0 then
    error(layout.file .. ": the profile defines no void (vr.void \"name\" { exec = ... })", 0)
  end
  for _, v in ipairs(layout.voids) do
    if v.broker then v.worker.mounts = M.mounts(v.worker) else v.mounts = M.mounts(v) end
  end
  for _, hook in ipairs(M.validate_hooks) do hook(layout) end
  require("voidrun.layout").validate(layout)
end

function M.declared(layout)
  if #layout.param_order == 0 then return " (it declares none)" end
  return " (declared: " .. table.concat(layout.param_order, ", ") .. ")"
end

---------------------------------------------------------------- networks

-- The `net` key, vr.network and vr.host_link are voidrun.net's, loaded
-- the first time a profile uses one of them: most launches have no
-- network and do not load it. (No tail calls: they would hide the
-- profile's line.)
local function net() return require "voidrun.net" end

M.add_field("net", function(v, level) local r = net().check(v, level + 1) return r end,
  function(v, t) if v.net then net().plan(v, t) end end)

M.api_hooks[#M.api_hooks + 1] = function(vr)
  function vr.network(opts) local n = net().network(opts, 1) return n end
  function vr.host_link(opts) local l = net().host_link(opts, 1) return l end
end

-- Without a void that has a net, there is nothing to check.
M.validate_hooks[#M.validate_hooks + 1] = function(layout)
  for _, v in ipairs(layout.voids) do
    if v.net or (v.broker and v.worker.net) then return net().validate(layout) end
  end
end

return M
