-- SPDX-License-Identifier: MIT
-- `require "voidrun"` for trusted Lua: test harnesses and scripts run by
-- `voidrun test` or `voidrun lua`. It has the profile vocabulary (vr.void,
-- vr.exe, vr.ro, ...) and adds what a harness needs: load a profile, run a
-- void, capture its output, find and parse the probe.
--
-- (Inside a profile, `require "voidrun"` gives the vocabulary alone,
-- bound to the layout being loaded: see voidrun.profile.)

local core = require "voidrun.core"
local profile = require "voidrun.profile"
require "voidrun.limits"  -- the `limits` key
-- The seccomp and caps keys: profile.lua must know them before any
-- profile is loaded. (It declares `net`, vr.network and vr.host_link
-- itself: voidrun.net is loaded when a profile uses them.)
require "voidrun.harden"

local VERSION = profile.VERSION

-- The vocabulary, unbound: vr.void here returns the void's description
-- without registering it anywhere.
local vr = profile.api { args = {}, set = {}, environ = {}, params = {}, param_order = {}, dir = "." }
vr.version = VERSION
vr.core = core
vr.args = arg and { table.unpack(arg, 1) } or {}

-- A harness declares params too; their overrides come from the
-- environment (VOIDRUN_NAME), converted as a profile's are.
function vr.param(name, default, doc)
  local var = profile.env_name(name)
  local raw = os.getenv(var)
  if raw == nil then return default end
  return profile.convert(name, default, raw, var)
end

-- Load a profile file: returns its layout (voids, params) or raises
-- "file:line: message". opts = { args = {...}, set = { name = "value" },
-- environ = { VOIDRUN_X = "..." } (the process environment by default) }.
function vr.load(path, opts)
  return profile.load(path, opts)
end

-- (The harness only: a launch does not load this module, so ps may come.)
local read_file = require("voidrun.ps").slurp

-- Run one void to its end. v is a void description (from vr.void) or a
-- plain void table. opts:
--   stdout, stderr = "capture" (returned as result.stdout/.stderr),
--                    or an fd number to place there;
--   stdin = an fd number (default /dev/null);
--   fds = { [n] = fd } more fds to place; sigfd = a signalfd to forward.
-- Returns { status = n, code = n | nil, signal = n | nil, error = msg |
-- nil, stdout = ..., stderr = ... }: status is what voidrun would exit
-- with (the code, 128+signal, or 125 when the void could not be built).
function vr.run(v, opts)
  opts = opts or {}
  if getmetatable(v) ~= profile.Void then v = profile.check_void("main", v, 1) end
  local fds, tmp = {}, {}
  for _, name in ipairs { "stdin", "stdout", "stderr" } do
    local want = opts[name]
    local n = ({ stdin = 0, stdout = 1, stderr = 2 })[name]
    if want == "capture" then
      local path = os.tmpname()
      local fd = assert(core.open(path, "w"))
      tmp[name] = { path = path, fd = fd }
      fds[#fds + 1] = { src = fd, dst = n }
    elseif want ~= nil then
      fds[#fds + 1] = { src = want, dst = n }
    end
  end
  for n, fd in pairs(opts.fds or {}) do fds[#fds + 1] = { src = fd, dst = n } end

  local ok, plan = pcall(core.plan, profile.plan_table(v, { fds = fds }))
  local result
  if not ok then
    result = { status = 125, error = tostring(plan) }
  else
    local void, err = plan:spawn()
    plan:free()  -- its /dev/null fd would otherwise live until collected
    if not void then
      result = { status = 125, error = err }
    else
      result = void:wait(opts.sigfd)
    end
  end
  for name, t in pairs(tmp) do
    core.close(t.fd)
    result[name] = read_file(t.path)
    os.remove(t.path)
  end
  return result
end

-- Start a void and return its handle without waiting: handle:ready(),
-- handle:wait(), handle:kill(sig), handle.pid. Unwaited handles are killed
-- when collected (or when a to-be-closed variable holding one goes out of
-- scope).
function vr.spawn(v, opts)
  opts = opts or {}
  if getmetatable(v) ~= profile.Void then v = profile.check_void("main", v, 1) end
  local fds = {}
  for n, fd in pairs(opts.fds or {}) do fds[#fds + 1] = { src = fd, dst = n } end
  local plan <close> = core.plan(profile.plan_table(v, { fds = fds }))
  return plan:spawn()
end

-- The probe shipped with voidrun (a static binary that reports what it
-- sees from inside a void), and a parser for its report.
-- (Loaded on first use: a profile run never needs it.)
setmetatable(vr, { __index = function(t, k)
  if k ~= "probe" then return nil end
  local probe = require "voidrun.probe"
  rawset(t, "probe", probe)
  return probe
end })

return vr
