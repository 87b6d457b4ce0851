-- cp: the privilege-separated copy of the original prototype.
--   voidrun profiles/cp.lua SOURCE DEST
--
-- Three voids, each holding only its part of the authority:
--   args   parses the command line, in a void that has nothing at all;
--          it sends the two paths to `open` over a socketpair.
--   open   holds the directory voidrun was started in (read-write, at
--          /work) and nothing else; it opens the two files and passes
--          their fds to `copy`, then ends.
--   copy   holds nothing but the two fds it receives, and copies.
-- Paths are relative to the directory voidrun was started in, or absolute
-- below it; the copy is byte-identical to cp's.
local vr = require "voidrun"

local request = vr.socketpair { type = "seqpacket" }
local handoff = vr.socketpair { type = "seqpacket" }
local cwd = vr.cwd

vr.void "args" {
  ends = { request[1] },
  run = function(ctx)
    local a = ctx.args
    local function usage(msg)
      vr.stderr:write("cp: ", msg, "\nusage: voidrun profiles/cp.lua SOURCE DEST\n")
      return 1
    end
    if #a < 1 then return usage("missing file operand") end
    if #a < 2 then return usage(("missing destination file operand after '%s'"):format(a[1])) end
    if #a > 2 then return usage("extra operand '" .. a[3] .. "'") end
    local paths = {}
    for i = 1, 2 do
      local p = a[i]
      if p:sub(1, 1) == "/" then
        if p:sub(1, #cwd + 1) ~= cwd .. "/" then
          return usage(("'%s' is outside %s, the directory voidrun was started in"):format(p, cwd))
        end
        p = p:sub(#cwd + 2)
      end
      if p == "" or p:find("\0", 1, true) then return usage(("bad path '%s'"):format(a[i])) end
      paths[i] = p
    end
    request[1]:write(paths[1] .. "\0" .. paths[2])
  end,
  stderr = vr.stderr,
}

vr.void "open" {
  fs = { vr.rw(cwd, "/work") },
  cwd = "/work",
  ends = { request[2], handoff[1] },
  after = { "args" },
  run = function(ctx)
    local msg = request[2]:read()
    if msg == "" then return 1 end  -- args refused the command line
    local src, dst = msg:match("^(.-)%z(.*)$")
    local from, err = ctx.open(src, "r")
    if not from then
      vr.stderr:write(("cp: cannot open '%s' for reading: %s\n"):format(src, err:gsub("^.-: ", "")))
      return 1
    end
    local to, err2 = ctx.open(dst, "w")
    if not to then
      vr.stderr:write(("cp: cannot create regular file '%s': %s\n"):format(dst, err2:gsub("^.-: ", "")))
      return 1
    end
    handoff[1]:send_fd(from, "from")
    handoff[1]:send_fd(to, "to")
  end,
  stderr = vr.stderr,
}

vr.void "copy" {
  ends = { handoff[2] },
  after = { "open" },
  run = function()
    local from = handoff[2]:recv_fd()
    local to = handoff[2]:recv_fd()
    if not from or not to then return 1 end  -- open refused
    while true do
      local chunk = from:read(65536)
      if chunk == "" then break end
      to:write(chunk)
    end
    to:close()
  end,
}
