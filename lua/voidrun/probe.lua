-- SPDX-License-Identifier: MIT
-- The probe: a static program shipped with voidrun that reports, from
-- inside a void, what the void can see and do (tests/probe/README.md has
-- the format). A harness runs it in a void and asserts on the parsed
-- report, never on voidrun's own configuration.

local profile = require "voidrun.profile"

local M = {}

-- The probe's host path.
function M.path()
  return profile.libexec("voidrun-probe")
end

local function unescape(s)
  return (s:gsub("\\(%d%d%d)", function(o) return string.char(tonumber(o, 8)) end))
end

-- Parse a report: returns a table in which t[key] is the list of values
-- of that key in order (values unescaped); t.first(key) is the first one,
-- t.outcome(action) the result of the first `action` command ("ok" or an
-- errno name, such as "EPERM"), and t.outcomes(action) all of them.
function M.parse(text)
  local t = {}
  for line in text:gmatch("[^\n]+") do
    local k, v = line:match("^(%S+) ?(.*)$")
    if k then
      t[k] = t[k] or {}
      table.insert(t[k], unescape(v))
    end
  end
  return setmetatable(t, { __index = {
    first = function(key) return t[key] and t[key][1] end,
    outcome = function(action)
      for _, r in ipairs(t.result or {}) do
        local a, rest = r:match("^(%S+) (.*)$")
        if a == action then return rest end
      end
    end,
    outcomes = function(action)
      local all = {}
      for _, r in ipairs(t.result or {}) do
        local a, rest = r:match("^(%S+) (.*)$")
        if a == action then all[#all + 1] = rest end
      end
      return all
    end,
  } })
end

return M
