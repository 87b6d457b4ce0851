-- SPDX-License-Identifier: MIT
-- The control socket of a running voidrun (doc/inspect.md): a unix
-- socket next to its registry file, PID.sock, that only its owner can
-- reach (mode 0600 in the private registry directory, and the peer's uid
-- checked with SO_PEERCRED), for live queries and commands:
--
--   status        the layout as voidrun knows it
--   grants VOID   what `voidrun enter` needs to hold a command as the
--                 void's entry is held: seccomp programs, Landlock rules,
--                 cgroup directories
--   stop          stop the layout, as SIGTERM does
--
-- One request a connection: a line (at most 4 KiB, ended by a newline or
-- by the end of what the client sends), answered by one line of JSON,
-- {"ok":true,...} or {"ok":false,"error":"..."}, then the connection is
-- closed. The supervision loop polls the listening socket like any of its
-- fds; a client has a second to send its line, and voidrun never blocks
-- on one (every socket is non-blocking).

local core = require "voidrun.core"

local M = {}

M.MAX_REQUEST = 4096
M.TIMEOUT = 1        -- seconds a client has to send its request
local EAGAIN, EINTR = 11, 4

function M.path(dir, pid)
  return dir .. "/" .. pid .. ".sock"
end

---------------------------------------------------------------- JSON in

-- Decode JSON text (a reply, written by voidrun.ps's encode) with dkjson,
-- which returns what it read and where it stopped, or an error; what
-- follows the value is an error here. Returns the value (objects and
-- arrays are tables, null is nil) | nil, message: never raises, whatever
-- the peer sent.
function M.decode(text)
  local ok, v, pos, err = pcall(function() return require("voidrun.ps").dkjson().decode(text, 1, nil) end)
  if not ok then return nil, "json: " .. tostring(v) end
  if err then return nil, "json: " .. err end
  if text:find("[^ \t\r\n]", pos) then return nil, ("json: trailing text at byte %d"):format(pos) end
  return v
end

local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function unhex(s)
  if type(s) ~= "string" or #s % 2 ~= 0 or s:find("[^%x]") then return nil end
  return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

---------------------------------------------------------------- requests

-- What a request asks of run (a layout Run, voidrun.layout). Returns the
-- reply table.
local function handle(run, line)
  local cmd, arg = line:match("^(%S+)%s*(.-)%s*$")
  local ps = require "voidrun.ps"
  if cmd == "status" and arg == "" then
    local e = run.registry
    local voids = ps.array()
    for _, v in ipairs(run.layout.order or run.layout.voids) do
      local st = run.voids[v]
      local pid = st and st.running and st.handle and st.handle.pid or nil
      voids[#voids + 1] = { name = v.name, kind = v.broker and "broker" or "void", running = pid ~= nil,
                            pid = pid, restarts = st and st.restarts or 0,
                            cgroup = pid and ps.array(st.handle:cgroup_dirs()) or nil }
    end
    return { ok = true, layout = { pid = e.pid, profile = e.profile, started = e.started,
                                   stopping = run.stopping == true, voids = voids } }
  elseif cmd == "grants" and arg ~= "" then
    local v = run.layout.by_name and run.layout.by_name[arg]
    if not v then
      for _, x in ipairs(run.layout.voids) do if x.name == arg then v = x end end
    end
    if not v then return { ok = false, error = ("no void '%s'"):format(arg) } end
    if v.broker then
      return { ok = false, error = ("'%s' is a broker: its workers cannot be entered yet"):format(arg) }
    end
    local st = run.voids[v]
    if not (st and st.running and st.handle and st.harden) then
      return { ok = false, error = ("void '%s' is not running"):format(arg) }
    end
    local g = st.harden:grants()
    local progs, rules = ps.array(), ps.array()
    for i, p in ipairs(g.seccomp) do progs[i] = hex(p) end
    for i, r in ipairs(g.landlock) do rules[i] = { path = r.path, access = r.access } end
    return { ok = true, void = v.name, pid = st.handle.pid, seccomp = progs, landlock = rules,
             cgroup = ps.array(st.handle:cgroup_dirs()) }
  elseif cmd == "stop" and arg == "" then
    -- as SIGTERM does (voidrun.layout's loop): each void gets SIGTERM,
    -- then SIGKILL after its grace
    run:stop_all(15)
    return { ok = true }
  end
  return { ok = false, error = ("unknown request '%s' (status, grants VOID, stop)"):format(line:sub(1, 64)) }
end

---------------------------------------------------------------- server

local Server = {}
Server.__index = Server

-- Listen at path for run. Returns the server | nil, message.
function M.listen(path, run)
  local fd, err = core.ctl_listen(path)
  if not fd then return nil, err end
  return M.serve(fd, path, run)
end

-- The server of fd, a socket listening at path (core.ctl_listen) since
-- voidrun pid (default: this process) opened it.
function M.serve(fd, path, run, pid)
  return setmetatable({ fd = fd, path = path, pid = pid or core.getpid(), uid = core.getuid(), run = run,
                        conns = {}, n = 0 }, Server)
end

-- A reply says first whether it is one of success, then why not.
local REPLY_ORDER = { "ok", "error" }

local function reply(fd, t)
  local ok, text = pcall(function() return require("voidrun.ps").encode(t, REPLY_ORDER) end)
  if not ok then text = '{"ok":false,"error":"cannot encode the reply"}' end
  -- non-blocking: a reply larger than the socket's buffer (never, at a
  -- few KiB) or a client that went away is dropped
  core.write(fd, text .. "\n")
  core.close(fd)
end

-- Add the server's fds to a poll set (fds, by_fd: voidrun.layout's loop);
-- returns timeout lowered to the nearest client deadline. Without
-- clients: the listening socket only.
function Server:add(fds, by_fd, now, timeout)
  fds[#fds + 1] = self.fd
  by_fd[self.fd] = { control = self }
  if self.n == 0 then return timeout end
  for fd, c in pairs(self.conns) do
    fds[#fds + 1] = fd
    by_fd[fd] = { control = self }
    local ms = math.max(0, math.ceil((c.deadline - now) * 1000))
    timeout = timeout < 0 and ms or math.min(timeout, ms)
  end
  return timeout
end

function Server:drop(fd)
  if self.conns[fd] then
    self.conns[fd] = nil
    self.n = self.n - 1
  end
  core.close(fd)
end

-- One of the server's fds is ready.
function Server:ready(fd)
  if fd == self.fd then
    -- what waits, a few at a time: a flood does not starve the voids
    for _ = 1, 8 do
      local c, uid = core.ctl_accept(self.fd)
      if not c then break end
      if uid ~= self.uid then
        -- the socket's mode and directory keep others out; this holds
        -- even against one who could pass them (CAP_DAC_OVERRIDE)
        reply(c, { ok = false, error = ("refused: uid %d is not voidrun's owner"):format(uid) })
      elseif self.n >= 16 then
        reply(c, { ok = false, error = "busy" })
      else
        self.conns[c] = { buf = "", deadline = core.now() + M.TIMEOUT }
        self.n = self.n + 1
      end
    end
    return
  end
  local c = self.conns[fd]
  if not c then return end
  local s, _, errno = core.read(fd, M.MAX_REQUEST)
  if not s then
    if errno ~= EAGAIN and errno ~= EINTR then self:drop(fd) end
    return
  end
  c.buf = c.buf .. s
  local line = c.buf:match("^([^\n]*)\n") or (s == "" and c.buf) or nil
  if not line and #c.buf < M.MAX_REQUEST then return end
  self.conns[fd] = nil
  self.n = self.n - 1
  if not line then
    -- what else it sent, as far as it is there (closing with unread
    -- data would reset the connection before the client reads why)
    for _ = 1, 16 do
      local more = core.read(fd, 4096)
      if not more or more == "" then break end
    end
    reply(fd, { ok = false, error = ("request longer than %d bytes"):format(M.MAX_REQUEST) })
    return
  end
  local ok, r = pcall(handle, self.run, line)
  reply(fd, ok and r or { ok = false, error = tostring(r) })
end

-- Drop the clients whose second is up.
function Server:expire(now)
  if self.n == 0 then return end
  for fd, c in pairs(self.conns) do
    if now >= c.deadline then self:drop(fd) end
  end
end

function Server:close()
  if self.closed then return end
  self.closed = true
  -- a forked copy of voidrun (a function entry) leaves the socket to the
  -- voidrun it is of: its fd numbers may be the void's own by now
  if core.getpid() ~= self.pid then return end
  for fd in pairs(self.conns) do core.close(fd) end
  self.conns, self.n = {}, 0
  core.close(self.fd)
  os.remove(self.path)
end

---------------------------------------------------------------- client

-- Send one request to the socket at path; pid, when given, is the voidrun
-- that must be listening there (SO_PEERCRED). Returns the reply table |
-- nil, message.
function M.request(path, line, pid)
  local fd, uid, peer = core.ctl_connect(path, 2000)
  if not fd then return nil, uid end
  if uid ~= core.getuid() or (pid and peer ~= pid) then
    core.close(fd)
    return nil, ("%s: not the socket of voidrun %s"):format(path, pid or "")
  end
  local ok, err = core.write(fd, line .. "\n")
  local buf = {}
  while ok do
    local s, rerr = core.read(fd, 65536)
    if not s then ok, err = nil, rerr
    elseif s == "" then break
    else buf[#buf + 1] = s end
  end
  core.close(fd)
  if not ok then return nil, err end
  local r, derr = M.decode(table.concat(buf))
  if type(r) ~= "table" then return nil, "bad reply: " .. (derr or "not an object") end
  return r
end

-- The grants of a reply to "grants VOID", as core.enter takes them.
-- Returns the table | nil, message.
function M.grants(r)
  local g = { seccomp = {}, landlock = {}, cgroup = {} }
  if type(r.seccomp) ~= "table" or #r.seccomp == 0 then return nil, "no seccomp programs" end
  for i, p in ipairs(r.seccomp) do
    g.seccomp[i] = unhex(p)
    if not g.seccomp[i] then return nil, "a seccomp program is not hex" end
  end
  for i, x in ipairs(type(r.landlock) == "table" and r.landlock or {}) do
    g.landlock[i] = { path = x.path, access = x.access }
  end
  for i, d in ipairs(type(r.cgroup) == "table" and r.cgroup or {}) do g.cgroup[i] = d end
  return g
end

return M
