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
-- of that key in order (values unescaped), and t.first(key) the first.
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
    -- The result line of a command: "ok" or an errno name.
    result = function(action)
      for _, r in ipairs(t.result or {}) do
        local a, rest = r:match("^(%S+) (.*)$")
        if a == action then return rest end
      end
    end,
  } })
end

return M
