-- SPDX-License-Identifier: MIT
-- The hardening keys of a void: `seccomp = { ... }`, a system-call policy,
-- and `caps = { ... }`, the capabilities it keeps. Both are checked when
-- the profile is loaded, at the profile's line; a seccomp policy is
-- compiled to BPF then, once per void description, and every plan made
-- from it copies the program. doc/seccomp.md and doc/profile.md describe
-- the keys; doc/threat-model.md says what they are for.

local core = require "voidrun.core"
local profile = require "voidrun.profile"

local M = {}

---------------------------------------------------------------- groups

-- Named groups of system calls (lua/voidrun/syscall_groups.lua), loaded
-- on first use. The plain entries of the default filter (core/harden.c),
-- which every void has, are the group @default: denying them in a policy
-- changes their action (to kill, say); asked of the core only when a
-- policy names the group.
local groups
local function get_groups()
  if not groups then
    groups = require "voidrun.syscall_groups"
    setmetatable(groups, { __index = function(t, k)
      if k ~= "@default" then return nil end
      local names = core.seccomp_default_names()
      rawset(t, k, names)
      return names
    end })
  end
  return groups
end
setmetatable(M, { __index = function(_, k) if k == "groups" then return get_groups() end end })

---------------------------------------------------------------- seccomp

local ACTIONS = { allow = true, errno = true, kill = true, trap = true, log = true }
local DENY_ACTIONS = { errno = true, kill = true, trap = true, log = true }
local OPS = { ["=="] = "==", ["~="] = "!=", ["!="] = "!=", ["<"] = "<", ["<="] = "<=",
              [">"] = ">", [">="] = ">=", ["&"] = "&" }
local KEYS = { "allow", "default", "deny", "deny_action", "errno" }

-- A checking error: raised as a table, turned into "file:line: msg" by
-- the field's checker, which knows the profile line.
local Bad = {}
local function bad(msg, ...)
  error(setmetatable({ msg = select("#", ...) > 0 and msg:format(...) or msg }, Bad), 0)
end

local function is_int(x) return math.type(x) == "integer" end

local function sorted_keys(t)
  local k = {}
  for name in pairs(t) do k[#k + 1] = name end
  table.sort(k)
  return k
end

-- The native number of a named call, false when this architecture lacks
-- it; an unknown name is an error.
local function resolve(name, where)
  local nr, _, errno = core.seccomp_resolve(name)
  if nr then return nr end
  if errno == 38 --[[ENOSYS]] then return false end
  bad("%s: unknown system call '%s'", where, name)
end

-- args = { [n] = { op, value } | { "&", mask, value } }, n = 1..6, the
-- argument's position. Returns the conditions for core.seccomp_compile.
local function parse_args(args, where)
  if type(args) ~= "table" then bad("%s: args must be a table { [n] = { op, value } }", where) end
  local conds = {}
  for n, c in pairs(args) do
    if not is_int(n) or n < 1 or n > 6 then
      bad("%s: args key %s must be an argument position 1 to 6", where, tostring(n))
    end
    if type(c) ~= "table" then bad("%s: args[%d] must be a table { op, value }", where, n) end
    local op = OPS[c[1]]
    if not op then
      bad("%s: args[%d]: unknown comparison %s (==, ~=, <, <=, >, >=, &)", where, n, tostring(c[1]))
    end
    local cond = { arg = n - 1, op = op }
    local want = op == "&" and 3 or 2
    for k in pairs(c) do
      if not is_int(k) or k < 1 or k > want then
        bad("%s: args[%d] must be { \"%s\", %s }", where, n, c[1], op == "&" and "mask, value" or "value")
      end
    end
    for k = 2, want do
      if not is_int(c[k]) then
        bad("%s: args[%d]: %s must be an integer, got %s", where, n, k == 2 and op == "&" and "the mask" or "the value",
          math.type(c[k]) or type(c[k]))
      end
    end
    if op == "&" then cond.mask, cond.value = c[2], c[3] else cond.value = c[2] end
    conds[#conds + 1] = cond
  end
  table.sort(conds, function(a, b) return a.arg < b.arg end)
  if #conds == 0 then bad("%s: args is empty: leave it out to match every call", where) end
  return conds
end

-- One list (allow or deny): returns { [nr] = { plain = "name"|"@group",
-- conds = { {conds...}, ... } } } and the names by number.
local function parse_list(list, key, acc, names)
  if type(list) ~= "table" then bad("seccomp.%s must be a list of system calls and @groups", key) end
  local n = 0
  for k in pairs(list) do
    if not is_int(k) or k < 1 then bad("seccomp.%s must be a plain list (found key %s)", key, tostring(k)) end
    if k > n then n = k end
  end
  for i = 1, n do
    local e = list[i]
    local where = ("seccomp.%s[%d]"):format(key, i)
    if type(e) == "string" and e:sub(1, 1) == "@" then
      local g = get_groups()[e]
      if not g then
        local _ = get_groups()["@default"]  -- loaded on demand: list it too
        bad("%s: unknown group '%s' (groups: %s)", where, e, table.concat(sorted_keys(get_groups()), ", "))
      end
      for _, name in ipairs(g) do
        local nr = resolve(name, where)
        if nr then
          names[nr] = name
          acc[nr] = acc[nr] or { conds = {} }
          acc[nr].group = acc[nr].group or e
        end
      end
    elseif type(e) == "string" then
      local nr = resolve(e, where)
      if nr then
        names[nr] = e
        acc[nr] = acc[nr] or { conds = {} }
        acc[nr].name = true
      end
    elseif type(e) == "table" then
      local name = e[1]
      if type(name) ~= "string" or name:sub(1, 1) == "@" then
        bad("%s must be { \"name\", args = {...} } (a system call, not a group)", where)
      end
      for k in pairs(e) do
        if k ~= 1 and k ~= "args" then bad("%s: unknown key %s (a rule is { \"name\", args = {...} })", where, tostring(k)) end
      end
      local nr = resolve(name, where .. " " .. name)
      local conds = e.args ~= nil and parse_args(e.args, where .. " " .. name) or nil
      if nr then
        names[nr] = name
        acc[nr] = acc[nr] or { conds = {} }
        if conds then
          table.insert(acc[nr].conds, conds)
        else
          acc[nr].name = true
        end
      end
    else
      bad("%s must be a system call name, an @group or { \"name\", args = {...} }, got %s", where, type(e))
    end
  end
end

local function errno_value(e)
  if is_int(e) then
    if e < 1 or e > 4095 then bad("seccomp.errno %d is out of range (1 to 4095)", e) end
    return e
  end
  if type(e) == "string" then
    local n = core.errno_from_name(e)
    if not n then bad("seccomp.errno: unknown errno name '%s'", e) end
    return n
  end
  bad("seccomp.errno must be an errno name such as \"EPERM\" or a number, got %s", type(e))
end

-- Check a policy and compile it. Precedence, per system call:
--   a call named in a list beats the same call reached through a group;
--   between groups, deny beats allow; allowed and denied by name is an
--   error; a deny with args carves an exception out of an allow; args on
--   an allow of a call that is denied outright could never apply: error.
-- exit or exit_group denied outright with kill (see core/harden.h).
local function plain_exit_kill(rules, deny_action)
  if deny_action ~= "kill" then return false end
  local exits = { [core.seccomp_resolve("exit")] = true, [core.seccomp_resolve("exit_group")] = true }
  for _, r in ipairs(rules) do
    if r.deny and not r.args and exits[r.nr] then return true end
  end
  return false
end

local function parse_seccomp(v)
  if type(v) ~= "table" then
    bad("seccomp must be a table { default =, errno =, allow =, deny =, deny_action = }, got %s", type(v))
  end
  for k in pairs(v) do
    if type(k) ~= "string" or not ({ allow = 1, default = 1, deny = 1, deny_action = 1, errno = 1 })[k] then
      bad("unknown key '%s' in seccomp (keys: %s)", tostring(k), table.concat(KEYS, ", "))
    end
  end
  local def = v.default == nil and "allow" or v.default
  if not ACTIONS[def] then
    bad("seccomp.default must be one of allow, errno, kill, trap, log; got %s", tostring(def))
  end
  local deny_action = v.deny_action == nil and "errno" or v.deny_action
  if not DENY_ACTIONS[deny_action] then
    bad("seccomp.deny_action must be one of errno, kill, trap, log; got %s", tostring(deny_action))
  end
  local err = errno_value(v.errno == nil and "EPERM" or v.errno)
  local allow, deny, names = {}, {}, {}
  if v.allow ~= nil then parse_list(v.allow, "allow", allow, names) end
  if v.deny ~= nil then parse_list(v.deny, "deny", deny, names) end

  local rules = {}
  local nrs = {}
  for nr in pairs(names) do nrs[#nrs + 1] = nr end
  table.sort(nrs)
  for _, nr in ipairs(nrs) do
    local a, d, name = allow[nr], deny[nr], names[nr]
    -- The outright decision, if any.
    local plain
    if a and a.name and d and d.name then
      bad("'%s' is both allowed and denied", name)
    elseif a and a.name then
      plain = "allow"
    elseif d and d.name then
      plain = "deny"
    elseif d and d.group then
      plain = "deny"
    elseif a and a.group then
      plain = "allow"
    end
    if plain == "deny" and a and #a.conds > 0 then
      bad("the allow of '%s' with args can never apply: it is denied outright (%s)", name,
        d.name and "by name" or "by " .. d.group)
    end
    if plain == "deny" and name == "execve" then
      bad("execve cannot be denied: the entry is started by it, after the filter is in place")
    end
    if plain then rules[#rules + 1] = { nr = nr, deny = plain == "deny" } end
    for _, conds in ipairs(a and a.conds or {}) do rules[#rules + 1] = { nr = nr, deny = false, args = conds } end
    for _, conds in ipairs(d and d.conds or {}) do rules[#rules + 1] = { nr = nr, deny = true, args = conds } end
  end
  if plain_exit_kill(rules, deny_action) then
    bad("exit and exit_group cannot be denied with kill: an entry whose exec failed must be able to exit")
  end
  -- Kills are named (voidrun says which call): pid 1 listens (core/harden.h).
  local spec = { default = def, deny_action = deny_action, errno = err, rules = rules,
                 name_kills = def == "kill" or deny_action == "kill" }
  local ok, filter = pcall(core.seccomp_compile, spec)
  if not ok then bad("%s", tostring(filter):gsub("^[^:]*:%d+: ", "")) end
  return { default = def, deny_action = deny_action, errno = err, filter = filter, rules = #rules }
end

---------------------------------------------------------------- caps

-- A void never exceeds its launcher. Run as root, the launcher's permitted
-- set is what it has to give. An unprivileged launcher has no capability
-- in the initial namespace, yet every one in a user namespace of its own,
-- which is where the void's live (they act on the void's own namespaces:
-- its network, its mounts); for it the bounding set says what it was
-- allowed to have, and was withheld if reduced (setpriv, systemd's
-- CapabilityBoundingSet=).
local function parse_caps(v)
  if type(v) ~= "table" then bad("caps must be a list of capability names, got %s", type(v)) end
  local n = 0
  for k in pairs(v) do
    if not is_int(k) or k < 1 then bad("caps must be a plain list (found key %s)", tostring(k)) end
    if k > n then n = k end
  end
  local prm, bnd = core.launcher_caps()
  local euid = core.getuid()
  local have = euid == 0 and prm or bnd
  local mask, list = 0, {}
  for i = 1, n do
    local name = v[i]
    if type(name) ~= "string" then bad("caps[%d] must be a capability name, got %s", i, type(name)) end
    local c = core.cap_from_name(name)
    if not c then bad("caps[%d]: unknown capability '%s'", i, name) end
    local canon = core.cap_to_name(c)
    if have and (have >> c) & 1 == 0 then
      bad("caps: the launcher lacks %s (%s), and a void never exceeds its launcher", canon,
        euid == 0 and "not in its permitted set" or "not in its bounding set")
    end
    if mask & (1 << c) == 0 then list[#list + 1] = canon end
    mask = mask | (1 << c)
  end
  table.sort(list)
  return { mask = mask, names = list }
end

---------------------------------------------------------------- fields

-- Checker wrapper: a Bad error becomes "file:line: msg" at the profile's
-- line (`level` counts from the checker, as profile.fields' do).
local function checker(parse)
  return function(v, level)
    local ok, r = pcall(parse, v)
    if not ok then
      if getmetatable(r) == Bad then profile.fail(level + 1, "%s", r.msg) end
      error(r, 0)
    end
    return r
  end
end

M.check_seccomp = checker(parse_seccomp)
M.check_caps = checker(parse_caps)

-- The one-line note, printed once per process, for a kernel without
-- Landlock's file-system rules (no Landlock, or ABI 1): voids still build,
-- with one wall less. A kernel that has them but cannot scope signals and
-- abstract sockets (ABI < 6, such as Debian 12's 6.1) gets no note: the
-- void's own namespaces already separate those, and a note on every run
-- of the project's main platform would only be noise (doc/profile.md).
local noted = false
local function note_landlock()
  if noted then return end
  noted = true
  local abi = core.landlock_abi()
  if not abi or abi < 2 then
    io.stderr:write(("voidrun: note: %s: voids run without Landlock's second wall\n"):format(
      abi and "this kernel's Landlock is ABI 1" or "this kernel has no Landlock"))
  end
end

-- Lines for `voidrun check`: the void's policy and kept capabilities, if
-- it has any (the default filter and Landlock are every void's).
function M.describe(v)
  local lines = {}
  local s = v.seccomp
  if s then
    local errno = (s.default == "errno" or s.deny_action == "errno")
      and (", errno %d (%s)"):format(s.errno, core.strerror(s.errno)) or ""
    lines[#lines + 1] = ("seccomp   default %s, %d rule%s, deny %s%s; %d BPF instructions after the default filter")
      :format(s.default, s.rules, s.rules == 1 and "" or "s", s.deny_action, errno, s.filter:size())
  end
  if v.caps and #v.caps.names > 0 then
    lines[#lines + 1] = "caps      " .. table.concat(v.caps.names, " ")
  end
  return lines
end

profile.add_field("seccomp", M.check_seccomp, function(v, t)
  note_landlock()
  if v.seccomp then t.seccomp = v.seccomp.filter end
end)

profile.add_field("caps", M.check_caps, function(v, t)
  if v.caps then t.caps = v.caps.mask end
end)

return M
