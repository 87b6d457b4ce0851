-- SPDX-License-Identifier: MIT
-- Channels between voids: pipes, socketpairs, files voidrun opens, and
-- voidrun's own stdio. A channel has ends; an end is given to one void
-- (as stdin/stdout/stderr, at a fixed fd, in `ends`, or inside `exec`,
-- where it becomes its fd number). Inside a void, a function entry uses
-- the ends it was given as objects: read, write, send_fd, recv_fd, close.

local core = require "voidrun.core"

local M = {}

local End = { __name = "voidrun.end", __metatable = "voidrun.end" }
End.__index = End
M.End = End

function M.is_end(v)
  return type(v) == "table" and getmetatable(v) == "voidrun.end"
end

-- A new end of channel `chan` ("tx", "rx", 1, 2, "file", "stdin", ...).
-- `what` describes it in messages ("the write end of the pipe made at
-- x.lua:3").
local function new_end(chan, side, what)
  return setmetatable({ chan = chan, side = side, what = what }, End)
end

function M.pipe(pos)
  local chan = { kind = "pipe", pos = pos }
  chan.tx = new_end(chan, "tx", "the write end of the pipe made at " .. pos)
  chan.rx = new_end(chan, "rx", "the read end of the pipe made at " .. pos)
  chan.ends = { chan.tx, chan.rx }
  return { tx = chan.tx, rx = chan.rx }
end

function M.socketpair(type_, pos)
  local chan = { kind = "socketpair", type = type_, pos = pos }
  chan.ends = {
    new_end(chan, 1, "end 1 of the socketpair made at " .. pos),
    new_end(chan, 2, "end 2 of the socketpair made at " .. pos),
  }
  return { chan.ends[1], chan.ends[2] }
end

function M.file(path, mode, pos)
  local chan = { kind = "file", path = path, mode = mode, pos = pos }
  chan.ends = { new_end(chan, "file", ("the file %s opened at %s"):format(path, pos)) }
  return chan.ends[1]
end

-- A listening socket: { kind = "tcp", host, port, backlog } or
-- { kind = "unix", path, backlog }.
function M.listener(spec, pos)
  local chan = { kind = "listener", spec = spec, pos = pos }
  local what = spec.kind == "tcp" and ("the listener on %s port %d made at %s"):format(spec.host, spec.port, pos)
    or ("the listener on %s made at %s"):format(spec.path, pos)
  chan.ends = { new_end(chan, "listener", what) }
  return chan.ends[1]
end

-- A second use of an end: the same open file description, duplicated, for
-- a second void. Sharing must be asked for: a pipe end silently given to
-- two voids would keep a reader from ever seeing end of file.
function M.dup(e, pos)
  local d = new_end(e.chan, e.side, ("a vr.dup (at %s) of %s"):format(pos, e.what))
  d.base = e.base or e
  return d
end

-- voidrun's own stdin, stdout and stderr, which any number of voids may
-- be given (stdout and stderr are every void's by default).
M.stdio = {}
for fd, name in pairs { [0] = "stdin", [1] = "stdout", [2] = "stderr" } do
  local chan = { kind = "stdio", fd = fd }
  M.stdio[name] = new_end(chan, name, "voidrun's " .. name)
  chan.ends = { M.stdio[name] }
end

-- Open a channel in voidrun: returns { [end] = host fd } or fail, message.
function M.open(chan)
  local a, b, err
  if chan.kind == "pipe" then
    a, b = core.pipe()
    if not a then return nil, b end
    return { [chan.rx] = a, [chan.tx] = b }
  elseif chan.kind == "socketpair" then
    a, b = core.socketpair(chan.type)
    if not a then return nil, b end
    return { [chan.ends[1]] = a, [chan.ends[2]] = b }
  elseif chan.kind == "file" then
    a, err = core.open(chan.path, chan.mode)
    if not a then return nil, ("%s: vr.file %s"):format(chan.pos, err) end
    return { [chan.ends[1]] = a }
  elseif chan.kind == "listener" then
    local s = chan.spec
    if s.kind == "tcp" then
      a, b = core.tcp_listen(s.host, s.port, s.backlog)
    else
      a, b = core.unix_listen(s.path, s.backlog)
    end
    if not a then return nil, ("%s: cannot listen: %s"):format(chan.pos, b) end
    chan.port = s.kind == "tcp" and b or nil
    return { [chan.ends[1]] = a }
  end
  return { [chan.ends[1]] = chan.fd }
end

---------------------------------------------------------------- in a void

local function fd_of(e)
  local fd = rawget(e, "fd")
  if not fd then error(("%s is not given to this void"):format(e.what), 3) end
  return fd
end

-- Read up to n bytes (default 65536); "" at end of file.
function End:read(n)
  local s, err = core.read(fd_of(self), n or 65536)
  if not s then error(err, 2) end
  return s
end

-- Read everything until end of file.
function End:read_all()
  local parts = {}
  while true do
    local s = self:read()
    if s == "" then return table.concat(parts) end
    parts[#parts + 1] = s
  end
end

-- Iterate over lines (without their newline) until end of file.
function End:lines()
  local buf, eof = "", false
  return function()
    while true do
      local line, rest = buf:match("^([^\n]*)\n(.*)$")
      if line then
        buf = rest
        return line
      end
      if eof then
        if buf ~= "" then
          local last = buf
          buf = ""
          return last
        end
        return nil
      end
      local s = self:read()
      if s == "" then eof = true else buf = buf .. s end
    end
  end
end

function End:write(...)
  local fd = fd_of(self)
  for i = 1, select("#", ...) do
    local ok, err = core.write(fd, tostring((select(i, ...))))
    if not ok then error(err, 2) end
  end
  return self
end

-- Send an fd over this end (a socketpair end): another end given to this
-- void, or an end received earlier. data is an optional payload.
function End:send_fd(e, data)
  local fd = M.is_end(e) and fd_of(e) or e
  local ok, err = core.send_fds(fd_of(self), { fd }, data)
  if not ok then error(err, 2) end
  return self
end

-- Receive one fd: returns it as an end (and the payload), or nil at end
-- of stream.
function End:recv_fd()
  local data, fds = core.recv_fds(fd_of(self), 1)
  if not data then error(fds, 2) end
  if #fds == 0 then return nil, data end
  return setmetatable({ fd = fds[1], what = "a received fd" }, End), data
end

function End:close()
  core.close(fd_of(self))
  rawset(self, "fd", nil)
end

return M
