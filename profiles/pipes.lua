-- pipes: a sender void writes messages that a receiver void reads.
-- The sender is Debian's seq, holding nothing but the write end of a pipe
-- (as its stdout); the receiver is a Lua function running in a void that
-- holds nothing but the read end. Neither can see a file of the host.
--   voidrun profiles/pipes.lua            (100 messages)
--   voidrun --set count=5 --label profiles/pipes.lua
local vr = require "voidrun"
local count = vr.param("count", 100, "how many messages to send")

local p = vr.pipe()

vr.void "sender" {
  exec = { "/usr/bin/seq", "-f", "message %g", 1, count },
  fs = { vr.exe "/usr/bin/seq" },
  stdout = p.tx,
}

vr.void "receiver" {
  stdin = p.rx,
  stdout = vr.stdout,
  run = function(ctx)
    local n, bytes = 0, 0
    for line in p.rx:lines() do
      n = n + 1
      bytes = bytes + #line + 1
    end
    vr.stdout:write(("%s: received %d messages, %d bytes\n"):format(ctx.name, n, bytes))
  end,
}
