-- scale.lua: start N voids at once and time until every one is READY (built,
-- its entry exec'd), for bench/scale.sh. Run by voidrun's interpreter:
--   voidrun lua bench/scale.lua N
-- Each void is the smallest blocking void: every namespace new, an empty
-- root with only /bin/sleep and its libraries, running `sleep 3600`. The
-- plan is compiled once and spawned N times (as a broker does: no Lua or
-- profile work per void). All N are started before the first is waited for,
-- so they are built concurrently.
-- Prints "ready N MS" on stdout once all are ready, then waits for a line
-- on stdin (the caller measures memory meanwhile), kills every void
-- (SIGKILL), reaps them, and prints "down N MS".
local vr = require "voidrun"
local core = require "voidrun.core"
local profile = require "voidrun.profile"

local n = math.tointeger(tonumber(arg[1] or "")) or error("usage: voidrun lua bench/scale.lua N", 0)
local void = vr.void "sleeper" { exec = { "/bin/sleep", "3600" }, fs = { vr.exe "/bin/sleep" } }
local plan <close> = core.plan(profile.plan_table(void, { fds = {} }))

local t0 = core.now()
local hs = {}
for i = 1, n do
  hs[i] = assert(plan:spawn())
end
for i = 1, n do
  local ok, err = hs[i]:ready()
  if not ok then error("void " .. i .. ": " .. tostring(err), 0) end
end
io.stdout:write(string.format("ready %d %.3f\n", n, (core.now() - t0) * 1000))
io.stdout:flush()
io.stdin:read("l")
local t1 = core.now()
for i = 1, n do hs[i]:kill(9) end
for i = 1, n do hs[i]:wait() end
io.stdout:write(string.format("down %d %.3f\n", n, (core.now() - t1) * 1000))
