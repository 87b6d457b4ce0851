-- SPDX-License-Identifier: MIT
-- The `limits` key of a void: resource limits, checked at the profile's
-- line when it is loaded, and the words voidrun says when a limit ended a
-- void (doc/limits.md).
--
--   limits = { memory = "64M", swap = 0, pids = 32, cpu = 0.5, time = 10,
--              nofile = 64, core = 0, fsize = "1G", stack = "8M", nproc = 100 }
--
-- memory, swap, pids and cpu are cgroup limits; time is kept by the void's
-- pid 1; the rest are rlimits (soft = hard). core/limit.h applies them.

local core = require "voidrun.core"
local profile = require "voidrun.profile"

local M = {}

-- What each limit takes, and its smallest value (core/limit.h says why).
local kinds = {
  memory = "size", swap = "size", pids = "count", cpu = "cores", time = "seconds",
  nofile = "count", nproc = "count", core = "size", fsize = "size", stack = "size",
  as = "size", memlock = "size",
}
local minimum = { memory = 1 << 20, pids = 2, nproc = 2, nofile = 4 }

local function names()
  local t = {}
  for k in pairs(kinds) do t[#t + 1] = k end
  table.sort(t)
  return table.concat(t, ", ")
end

---------------------------------------------------------------- formats

-- 67108864 -> "64M"; exact multiples only, else bytes.
function M.size(n)
  for _, u in ipairs { { "T", 40 }, { "G", 30 }, { "M", 20 }, { "K", 10 } } do
    if n >= (1 << u[2]) and n % (1 << u[2]) == 0 then return ("%d%s"):format(n >> u[2], u[1]) end
  end
  return tostring(n)
end

-- 3276800 -> "3.1M": usage, rounded.
local function approx(n)
  for _, u in ipairs { { "G", 30 }, { "M", 20 }, { "K", 10 } } do
    if n >= (1 << u[2]) then return ("%.1f%s"):format(n / (1 << u[2]), u[1]) end
  end
  return ("%dB"):format(n)
end

-- 10 -> "10", 0.5 -> "0.5"
local function num(x)
  if math.type(x) == "integer" or x == math.floor(x) then return ("%d"):format(x) end
  return ("%g"):format(x)
end

---------------------------------------------------------------- checking

local function value(name, kind, v, level)
  if kind == "size" then
    local n = math.type(v) == "float" and math.tointeger(v) or v
    if math.type(n) == "integer" then
      if n >= 0 and n >= (minimum[name] or 0) then return n end
    elseif type(v) == "string" then
      n = core.parse_size(v)
      if n and n >= (minimum[name] or 0) then return n end
    end
    if minimum[name] then
      profile.fail(level + 1, "limits.%s: expected a size of at least %s (bytes, or digits with K, M, G or T: " ..
        "\"64M\"), got %s", name, M.size(minimum[name]), tostring(v))
    end
    profile.fail(level + 1, "limits.%s: expected a size (bytes, or digits with K, M, G or T: \"64M\"), got %s",
      name, tostring(v))
  elseif kind == "count" then
    local n = math.type(v) == "float" and math.tointeger(v) or v
    if math.type(n) == "integer" and n >= (minimum[name] or 0) then return n end
    profile.fail(level + 1, "limits.%s: expected an integer of at least %d, got %s", name, minimum[name] or 0,
      tostring(v))
  elseif kind == "cores" then
    -- cpu.max's quota: 1 ms per 100 ms period at least, 0.01 of a CPU
    if type(v) == "number" and v >= 0.01 and v <= 1024 then return v end
    profile.fail(level + 1, "limits.cpu: expected a number of CPUs from 0.01 to 1024 (0.5: half a CPU), got %s",
      tostring(v))
  else
    if type(v) == "number" and v >= 0.001 and v <= 1e9 then return v end
    profile.fail(level + 1, "limits.time: expected a number of seconds, at least 0.001, got %s", tostring(v))
  end
end

-- The checker of the `limits` field: returns { name = value } with sizes
-- as byte counts, or raises at the profile's line.
local function check(t, level)
  if type(t) ~= "table" or profile.is_entry(t) then
    profile.fail(level + 1, "limits must be a table of NAME = value, got %s", type(t))
  end
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" or not kinds[k] then
      profile.fail(level + 1, "unknown limit '%s' (limits: %s)", tostring(k), names())
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do out[k] = value(k, kinds[k], t[k], level + 1) end
  return out
end

profile.add_field("limits", check, function(v, t)
  if v.limits and next(v.limits) then t.limits = v.limits end
end)

---------------------------------------------------------------- saying

-- "memory=64M swap=0 pids=32 cpu=0.5 time=10s", for voidrun check.
function M.describe(l)
  local out = {}
  for _, k in ipairs { "memory", "swap", "pids", "cpu", "time", "nofile", "nproc", "core", "fsize", "stack",
                       "as", "memlock" } do
    local x = l[k]
    if x then
      local s = kinds[k] == "size" and M.size(x) or kinds[k] == "seconds" and (num(x) .. "s") or num(x)
      out[#out + 1] = k .. "=" .. s
    end
  end
  return table.concat(out, " ")
end

-- Why a limit ended void v, from its wait result r, or nil: the one line
-- voidrun says in place of "killed by signal 9".
function M.explain(v, r)
  local l = v.limits or {}
  if r.timed_out then
    return ("time limit (%s s) reached, killed"):format(num(l.time or 0))
  end
  if r.oom_kills and r.oom_kills > 0 then
    local what = l.memory and (" (memory limit %s)"):format(M.size(l.memory)) or ""
    if r.signal == 9 then return "killed by the OOM killer" .. what end
    return ("the OOM killer killed %d process%s in the void%s"):format(r.oom_kills,
      r.oom_kills == 1 and "" or "es", what)
  end
  return nil
end

-- "peak memory 3.1M, cpu time 0.012 s", for --stats.
function M.stats(u)
  if not u then return "no usage known" end
  local parts = {}
  parts[#parts + 1] = u.memory_peak and ("peak memory %s"):format(approx(u.memory_peak)) or "peak memory unknown"
  parts[#parts + 1] = u.cpu_usec and ("cpu time %.3f s"):format(u.cpu_usec / 1e6) or "cpu time unknown"
  if u.oom_kills and u.oom_kills > 0 then parts[#parts + 1] = ("%d OOM kill(s)"):format(u.oom_kills) end
  return table.concat(parts, ", ")
end

return M
