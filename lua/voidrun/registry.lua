-- SPDX-License-Identifier: MIT
-- The registry of running layouts: each running voidrun keeps one private
-- file, named by its pid, in a runtime directory only its owner can read:
--   /run/voidrun                  as root
--   $XDG_RUNTIME_DIR/voidrun      otherwise
--   /tmp/voidrun-UID              when XDG_RUNTIME_DIR is unset
-- The directory is 0700 and must be a directory (not a symlink) owned by
-- the user; the files are 0600. A file is written when the layout starts,
-- rewritten when a void starts, ends or restarts, and removed when voidrun
-- exits (a to-be-closed value: also when it ends by a Lua error). A
-- voidrun killed by SIGKILL leaves its file behind: it is stale once its
-- pid is gone or belongs to another process (the start time, field 22 of
-- /proc/PID/stat, differs), and list() removes it.
--
-- Next to its file, PID.sock is the voidrun's control socket
-- (voidrun.control): it goes with the file, and a stale one with a
-- stale file.
--
-- File format, one record a line, fields separated by tabs, a field's
-- "\", tab and newline escaped as \\, \t, \n:
--   voidrun 1 | pid N | starttime TICKS | started UNIX_TIME | profile PATH
--   void NAME PID|- broker|void RESTARTS [WORKER_PROGRAM]
-- (a broker's workers are not written here, one write per worker would
-- cost each connection: ps finds them in /proc, and tells which broker a
-- worker is of by the path of the program its workers run.)

local core = require "voidrun.core"

local M = {}

local function esc(s)
  return (tostring(s):gsub("[\\\t\n]", { ["\\"] = "\\\\", ["\t"] = "\\t", ["\n"] = "\\n" }))
end

local function unesc(s)
  return (s:gsub("\\(.)", { ["\\"] = "\\", t = "\t", n = "\n" }))
end

-- The start time of pid (clock ticks after boot), or nil when it is gone
-- (a zombie is gone: killed, not yet reaped by its parent).
function M.starttime(pid)
  local f = io.open("/proc/" .. math.tointeger(pid) .. "/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  -- the name (field 2) may hold spaces and parentheses: fields 3.. follow
  -- the last ')'
  local rest = s and s:match(".*%)%s+(.*)")
  if not rest then return nil end
  if rest:match("^[ZX]") then return nil end
  local i = 2
  for field in rest:gmatch("%S+") do
    i = i + 1
    if i == 22 then return field end
  end
  return nil
end

-- The runtime directory, created if missing. Returns path | nil, msg.
function M.dir(create)
  local uid = core.getuid()
  local env = core.environ()
  local base, dir
  if uid == 0 then
    base, dir = "/run", "/run/voidrun"
  elseif env.XDG_RUNTIME_DIR and env.XDG_RUNTIME_DIR:sub(1, 1) == "/" then
    base, dir = env.XDG_RUNTIME_DIR, env.XDG_RUNTIME_DIR .. "/voidrun"
  else
    base, dir = "/tmp", "/tmp/voidrun-" .. uid
  end
  local st = core.lstat(dir)
  if not st then
    if not create then return nil, dir .. ": no such directory" end
    if not core.lstat(base) then return nil, base .. ": no such directory" end
    local ok, err, errno = core.mkdir(dir, tonumber("700", 8))
    if not ok and errno ~= 17 then return nil, err end
    st = core.lstat(dir)
    if not st then return nil, dir .. ": vanished" end
  end
  -- In /tmp anyone may have made it first: use it only if it is ours and
  -- private, never through a symlink.
  if st.type ~= "dir" then return nil, dir .. ": not a directory" end
  if st.uid ~= uid then return nil, dir .. ": not owned by uid " .. uid end
  if st.mode & tonumber("077", 8) ~= 0 then return nil, dir .. ": not private (mode must be 0700)" end
  return dir
end

local Entry = {}
Entry.__index = Entry

local function render(e)
  local out = {
    "voidrun\t1", "pid\t" .. e.pid, "starttime\t" .. esc(e.starttime),
    ("started\t%.3f"):format(e.started), "profile\t" .. esc(e.profile),
  }
  for _, v in ipairs(e.voids) do
    out[#out + 1] = ("void\t%s\t%s\t%s\t%d%s"):format(esc(v.name), v.pid or "-", v.kind, v.restarts or 0,
      v.program and ("\t" .. esc(v.program)) or "")
  end
  return table.concat(out, "\n") .. "\n"
end

-- Parse a registry file's text. Returns the entry table or nil.
function M.parse(text)
  local e = { voids = {} }
  for line in text:gmatch("[^\n]+") do
    local f = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = unesc(field) end
    if f[1] == "pid" then e.pid = math.tointeger(tonumber(f[2]))
    elseif f[1] == "starttime" then e.starttime = f[2]
    elseif f[1] == "started" then e.started = tonumber(f[2])
    elseif f[1] == "profile" then e.profile = f[2]
    elseif f[1] == "void" then
      e.voids[#e.voids + 1] = { name = f[2], pid = math.tointeger(tonumber(f[3])), kind = f[4],
                                restarts = math.tointeger(tonumber(f[5])) or 0, program = f[6] }
    end
  end
  if not e.pid or not e.starttime or not e.profile then return nil end
  return e
end

-- Register this voidrun's layout. run: a layout Run (voidrun.layout);
-- its voids are read at each update. Returns an entry to close (it is
-- removed then) or nil, msg when the directory cannot be used (voidrun
-- runs anyway: registration is for seeing in, never required).
function M.register(run)
  local dir, err = M.dir(true)
  if not dir then return nil, err end
  local pid = core.getpid()
  local self = setmetatable({
    run = run, path = dir .. "/" .. pid, pid = pid, starttime = M.starttime(pid),
    started = os.time(), profile = run.layout.file and (core.realpath(run.layout.file) or run.layout.file) or "?",
  }, Entry)
  -- (The first write is the layout's, once its voids have started: a
  -- launch pays for one write and one removal.)
  return self
end

-- Rewrite the file from the layout's current voids.
function Entry:update()
  if self.closed or core.getpid() ~= self.pid then return true end
  local voids = {}
  for _, v in ipairs(self.run.layout.order or self.run.layout.voids) do
    local st = self.run.voids[v]
    local pid = st and st.running and st.handle and st.handle.pid or nil
    local exec = v.broker and v.worker.exec
    voids[#voids + 1] = { name = v.name, pid = pid, kind = v.broker and "broker" or "void",
                          restarts = st and st.restarts or 0,
                          program = exec and type(exec[1]) == "string" and exec[1] or nil }
  end
  return core.write_private(self.path, render {
    pid = self.pid, starttime = self.starttime, started = self.started, profile = self.profile,
    voids = voids,
  })
end

-- The control socket (voidrun.control) while no client has come: what
-- voidrun.layout's loop asks of a control Server, for the listening
-- socket alone. The code that answers clients is loaded with the first
-- one (most launches have none, and loading it was about 40 us of each).
local Listener = {}
Listener.__index = Listener

function Listener:add(fds, by_fd, now, timeout)
  if self.server then return self.server:add(fds, by_fd, now, timeout) end
  fds[#fds + 1] = self.fd
  by_fd[self.fd] = { control = self }
  return timeout
end

function Listener:ready(fd)
  if not self.server then self.server = require("voidrun.control").serve(self.fd, self.path, self.run, self.pid) end
  return self.server:ready(fd)
end

function Listener:expire(now)
  if self.server then self.server:expire(now) end
end

function Listener:close()
  if self.server then return self.server:close() end
  if self.closed then return end
  self.closed = true
  -- as Server:close: a forked copy of voidrun (a function entry) leaves
  -- the socket to the voidrun it is of
  if core.getpid() ~= self.pid then return end
  core.close(self.fd)
  os.remove(self.path)
end

-- Open the control socket (voidrun.control) for run. Returns it | nil,
-- msg (voidrun runs anyway, as without registration).
function Entry:listen(run)
  if self.closed or self.control then return self.control end
  -- a file named by this pid can only be stale (of a voidrun killed
  -- before this pid was reused), and list() would remove the new socket
  -- with it
  os.remove(self.path)
  local path = self.path .. ".sock"
  local fd, err = core.ctl_listen(path)
  if not fd then return nil, err end
  self.control = setmetatable({ fd = fd, path = path, pid = core.getpid(), run = run }, Listener)
  return self.control
end

function Entry:close()
  if self.closed then return end
  self.closed = true
  if self.control then self.control:close() end
  -- a forked copy of voidrun (a function entry's process) never removes
  -- the layout's file: only the voidrun that wrote it
  if core.getpid() == self.pid then os.remove(self.path) end
end
Entry.__close = Entry.close
Entry.__gc = Entry.close

-- Every live entry of this user's registry, sorted by pid; stale ones
-- (their voidrun gone, or its pid reused) are removed on the way.
-- Returns the list, and the number of stale entries removed.
function M.list()
  local dir = M.dir(false)
  if not dir then return {}, 0 end
  local out, removed = {}, 0
  for _, name in ipairs(core.listdir(dir) or {}) do
    local path = dir .. "/" .. name
    if name:match("^%d+$") then
      local f = io.open(path)
      local e = f and M.parse(f:read("a"))
      if f then f:close() end
      if e and e.pid == tonumber(name) and M.starttime(e.pid) == e.starttime then
        e.file = path
        out[#out + 1] = e
      elseif f then
        os.remove(path)
        os.remove(path .. ".sock")  -- its control socket, if it had one
        removed = removed + 1
      end
    elseif name:match("^%d+%.tmp$") and not M.starttime(tonumber(name:match("^%d+"))) then
      os.remove(path)  -- a half-written file of a voidrun that is gone
    elseif name:match("^%d+%.sock$") and not M.starttime(tonumber(name:match("^%d+"))) then
      os.remove(path)  -- the socket of a voidrun gone before its first write
    end
  end
  table.sort(out, function(a, b) return a.pid < b.pid end)
  return out, removed
end

return M
