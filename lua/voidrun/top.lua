-- SPDX-License-Identifier: MIT
-- `voidrun top`: a live full-screen view of the tree `voidrun ps` shows
-- (doc/inspect.md), with cpu and memory per void, a void's grants as
-- /proc tells them, and a shell inside it (`voidrun enter`).
--
-- What it shows is collected by voidrun.ps (the registry and /proc) once
-- a second and at once after a key, and at once when a layout's voidrun
-- or a void's pid 1 ends: top holds a pidfd of each and waits on them
-- with the keyboard (poll). Drawing is done with a small curses binding,
-- lua/lcurses.c, a module of its own loaded only here.

local core = require "voidrun.core"
local ps = require "voidrun.ps"

local M = {}

local EXIT_FAIL, EXIT_USAGE = 125, 2
local INTERVAL = 1.0     -- seconds between two scans of /proc
local TICKS = 100        -- USER_HZ: /proc's clock ticks a second, on every Linux port
local MIN_LINES, MIN_COLS = 8, 40
local MAX_PIDFDS = 60    -- screen:wait() polls at most 63 fds besides the keyboard

local function say(fmt, ...)
  io.stderr:write("voidrun: ", fmt:format(...), "\n")
end

local slurp = ps.slurp

-- Text from /proc may hold any byte: control characters would move the
-- cursor, so they are shown as '?'.
local function clean(s)
  return (tostring(s):gsub("%c", "?"))
end

-- text padded with spaces to width (a bar across the screen)
local function pad(text, width)
  return text .. (" "):rep(width - #text)
end

local function mib(bytes)
  if not bytes then return "-" end
  if bytes < 1048576 then return ("%.0f KiB"):format(bytes / 1024) end
  return ("%.1f MiB"):format(bytes / 1048576)
end

local function duration(s)
  s = math.max(0, math.floor(s))
  if s < 3600 then return ("%dm%02ds"):format(s // 60, s % 60) end
  if s < 86400 then return ("%dh%02dm"):format(s // 3600, s % 3600 // 60) end
  return ("%dd%02dh"):format(s // 86400, s % 86400 // 3600)
end

---------------------------------------------------------------- figures

-- Field n of /proc/PID/stat (as proc(5) numbers them) from the text after
-- the name, which starts with field 3.
local function stat_field(rest, n)
  local i = 2
  for f in rest:gmatch("%S+") do
    i = i + 1
    if i == n then return tonumber(f) end
  end
  return nil
end

-- Every process of a tree, depth first.
local function each_process(p, fn)
  fn(p)
  for _, c in ipairs(p.children) do each_process(c, fn) end
end

-- The cpu time of a void's processes in clock ticks, with that of their
-- ended children which they waited for (so a short-lived command still
-- counts), their resident memory in bytes, and their number.
local function usage(tree, procs)
  local ticks, rss, n = 0, 0, 0
  each_process(tree, function(p)
    local pr = procs[p.pid]
    n = n + 1
    if pr then
      for f = 14, 17 do ticks = ticks + (stat_field(pr.stat, f) or 0) end
      rss = rss + (pr.rss_kb or 0) * 1024
    end
  end)
  return ticks, rss, n
end

---------------------------------------------------------------- grants

local CAPS = {
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
  "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
  "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
  "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
  "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

-- A capability set (hex, as /proc/PID/status shows it) by name.
local function capset(hex)
  local v = tonumber(hex or "", 16)
  if not v then return "?" end
  if v == 0 then return "none" end
  local names, all = {}, true
  for bit = 0, 63 do
    if v & (1 << bit) ~= 0 then names[#names + 1] = CAPS[bit + 1] or ("cap_" .. bit) end
  end
  for bit = 0, #CAPS - 1 do all = all and v & (1 << bit) ~= 0 end
  if all then return "all (" .. hex .. ")" end
  return table.concat(names, " ")
end

-- mountinfo escapes space, tab, newline and backslash as \ooo.
local function unoctal(s)
  return (s:gsub("\\(%d%d%d)", function(o) return string.char(tonumber(o, 8)) end))
end

-- Landlock's file-system rights (LANDLOCK_ACCESS_FS_*), bit by bit.
local LANDLOCK = {
  "execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char",
  "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate",
  "ioctl_dev",
}

local function rights(access)
  local names = {}
  for bit = 0, 63 do
    if access & (1 << bit) ~= 0 then names[#names + 1] = LANDLOCK[bit + 1] or ("bit" .. bit) end
  end
  return #names > 0 and table.concat(names, " ") or "none"
end

-- The Landlock rules of void v, as voidrun l holds them (its control
-- socket's "grants", which voidrun enter uses too): lines for the view.
local function landlock_lines(l, v)
  if v.kind == "broker" then return { "  (a broker's workers: not asked)" } end
  local control = require "voidrun.control"
  local reply, err = control.request(control.path(require("voidrun.registry").dir(), l.pid), "grants " .. v.name, l.pid)
  if reply and not reply.ok then reply, err = nil, reply.error end
  if not reply then return { "  cannot ask voidrun " .. l.pid .. ": " .. tostring(err) } end
  local out = {}
  for _, r in ipairs(type(reply.landlock) == "table" and reply.landlock or {}) do
    out[#out + 1] = ("  %-28s %s"):format(tostring(r.path), rights(math.tointeger(r.access) or 0))
  end
  if #out == 0 then out[1] = "  none" end
  return out
end

-- A cgroup v2 file of cgroup path cg, trimmed, or nil.
local function cgroup_file(cg, file)
  local s = ps.cgroup_file(cg, file)
  return s and (s:gsub("%s+$", ""))
end

-- The lines of the grants view of void v of layout l: what /proc says its
-- processes hold now. The entry (the void's first process, a program
-- exec'd in the void) is read where it exists: pid 1 is a non-dumpable
-- copy of voidrun whose fds an ordinary user may not list.
local function grants(l, v)
  local out = {}
  local function p(fmt, ...) out[#out + 1] = { text = clean(fmt:format(...)) } end
  local function h(title) out[#out + 1] = { text = title, attr = "bold" } end
  p("%s %s of layout %d  (%s)", v.kind, v.name, l.pid, l.profile)
  -- a broker: one of its workers (they share one plan), one that runs
  -- its program if there is one
  local tree = v.tree
  for _, w in ipairs(v.workers or {}) do
    if not tree or (not tree.children[1] and w.tree.children[1]) then tree = w.tree end
  end
  if not tree then
    p("%s", v.workers and "no workers now" or "not running")
    return out
  end
  local entry = tree.children[1] or tree
  local pid = entry.pid
  local dir = "/proc/" .. pid
  p("%s: host pid %d; read from %s %d (%s)", v.workers and "a worker's pid 1" or "pid 1", tree.pid,
    entry == tree and "pid 1" or "its entry, host pid",
    pid, ps.command(entry))

  h("identity and namespaces")
  for _, m in ipairs { "uid_map", "gid_map" } do
    local s = slurp(dir .. "/" .. m) or ""
    for line in s:gmatch("[^\n]+") do
      local inside, outside, count = line:match("(%d+)%s+(%d+)%s+(%d+)")
      if inside then p("  %s: %s inside is %s outside (%s ids)", m:sub(1, 3), inside, outside, count) end
    end
  end
  local ns = {}
  for _, n in ipairs { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" } do
    local link = core.readlink(dir .. "/ns/" .. n)
    ns[#ns + 1] = n .. ":" .. (link and link:match("%[(%d+)%]") or "?")
  end
  p("  ns %s", table.concat(ns, " "))

  h("capabilities and seccomp")
  local status = slurp(dir .. "/status") or ""
  for _, c in ipairs { "CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb" } do
    p("  %s %s", c, capset(status:match("\n" .. c .. ":%s*(%x+)")))
  end
  local mode = status:match("\nSeccomp:%s*(%d)")
  p("  NoNewPrivs %s  Seccomp %s%s", status:match("\nNoNewPrivs:%s*(%d)") or "?",
    ({ ["0"] = "off", ["1"] = "strict", ["2"] = "filter" })[mode] or "?",
    status:match("\nSeccomp_filters:%s*(%d+)") and (" (" .. status:match("\nSeccomp_filters:%s*(%d+)") .. " filters)") or "")

  h("landlock: file rules")
  for _, line in ipairs(landlock_lines(l, v)) do p("%s", line) end

  local mounts = {}
  for line in (slurp(dir .. "/mountinfo") or ""):gmatch("[^\n]+") do
    local root, point, opts, fstype, source =
      line:match("^%S+ %S+ %S+ (%S+) (%S+) (%S+) .-%- (%S+) (%S+)")
    if root then
      mounts[#mounts + 1] = ("  %-28s %-6s %s%s"):format(unoctal(point), fstype, opts,
        (root ~= "/" and fstype ~= "proc") and ("  from " .. unoctal(root)) or
        (fstype ~= "proc" and fstype ~= "tmpfs" and source ~= "none") and ("  " .. unoctal(source)) or "")
    end
  end
  table.sort(mounts)
  h(("mounts (%d)"):format(#mounts))
  for _, m in ipairs(mounts) do p("%s", m) end

  local fds = core.listdir(dir .. "/fd")
  h(("files: open fds of %d (%s)"):format(pid, fds and #fds or "?"))
  if not fds then
    local _, err = core.listdir(dir .. "/fd")
    p("  cannot list: %s", err)
  else
    table.sort(fds, function(a, b) return (tonumber(a) or 0) < (tonumber(b) or 0) end)
    for _, fd in ipairs(fds) do p("  %-3s %s", fd, core.readlink(dir .. "/fd/" .. fd) or "?") end
  end

  h("network")
  local ifaces = {}
  for name in (slurp(dir .. "/net/dev") or ""):gmatch("\n%s*([^%s:]+):") do ifaces[#ifaces + 1] = name end
  p("  interfaces %s%s", #ifaces > 0 and table.concat(ifaces, " ") or "?",
    (#ifaces == 1 and ifaces[1] == "lo") and "  (no network: loopback only)" or "")
  local listening = {}
  for _, f in ipairs { "tcp", "tcp6" } do
    for port in (slurp(dir .. "/net/" .. f) or ""):gmatch("\n%s*%d+:%s*%x+:(%x+)%s+%x+:%x+%s+0A") do
      listening[#listening + 1] = f .. ":" .. tonumber(port, 16)
    end
  end
  p("  listening %s", #listening > 0 and table.concat(listening, " ") or "none")

  h("limits")
  local cgroup = ps.cgroup_of(pid)
  local own = cgroup and cgroup ~= ps.cgroup_of(l.pid)
  p("  cgroup %s%s", cgroup or "?", own and "" or " (voidrun's: no limits of its own)")
  if own then
    local cg = {}
    for _, f in ipairs { "memory.max", "memory.current", "memory.peak", "pids.max", "pids.current", "cpu.max" } do
      local s = cgroup_file(cgroup, f)
      if s then cg[#cg + 1] = f .. " " .. s end
    end
    p("  %s", #cg > 0 and table.concat(cg, "  ") or "(no controller files)")
  end
  -- rlimits: those the void's entry has that its voidrun has not
  local function rlimits(path)
    local t = {}
    for line in (slurp(path) or ""):gmatch("[^\n]+") do
      local name, soft, hard = line:match("^Max (.-)%s%s+(%S+)%s+(%S+)")
      if name then t[#t + 1] = { name = name, value = soft .. " / " .. hard } end
    end
    return t
  end
  local theirs, n = {}, 0
  for _, r in ipairs(rlimits("/proc/" .. l.pid .. "/limits")) do theirs[r.name] = r.value end
  for _, r in ipairs(rlimits(dir .. "/limits")) do
    if theirs[r.name] ~= r.value then
      p("  rlimit %-18s %s (soft / hard)", r.name, r.value)
      n = n + 1
    end
  end
  if n == 0 then p("  rlimits: voidrun's") end

  h("environment")
  local env = slurp(dir .. "/environ")
  if not env then
    p("  cannot read %s/environ", dir)
  elseif env == "" then
    p("  (empty)")
  else
    for kv in env:gmatch("([^%z]*)%z") do p("  %s", kv) end
  end
  return out
end

---------------------------------------------------------------- the view

local View = {}
View.__index = View

local function new_view(scr, exe, only)
  return setmetatable({
    scr = scr, exe = exe,
    only = only,         -- the one layout pid to show, or nil for all
    data = { layouts = {} }, procs = {},
    voids = {},          -- the selectable voids, in screen order: { l =, v = }
    sel = 1, key = nil,  -- the selected void, and its "layout pid/name" to keep it
    mode = "tree",       -- or "grants"
    scroll = 0,          -- the grants view's first line
    cpu = {},            -- [layout pid/void name/pid] = { ticks =, t = }
    pidfds = {},         -- [pid] = fd of a pidfd on a layout's voidrun or a void's pid 1
    ended = {},          -- [pid] = true once its pidfd said it ended
    message = nil,
  }, View)
end

-- Scan again: the registry and /proc.
function View:collect()
  local now = core.now()
  self.data, self.procs = ps.collect()
  if self.only then
    local keep = ps.array()
    for _, l in ipairs(self.data.layouts) do
      if l.pid == self.only then keep[#keep + 1] = l end
    end
    self.data.layouts = keep
  end
  self.stamp = os.date("%H:%M:%S")
  self.voids = {}
  local seen, want = {}, {}
  for _, l in ipairs(self.data.layouts) do
    want[#want + 1] = l.pid
    for _, v in ipairs(l.voids) do
      self.voids[#self.voids + 1] = { l = l, v = v }
      -- a void's tree, or the trees of a broker's workers now (the cpu
      -- of workers that ended since is not counted)
      local trees = v.workers and {} or { v.tree }
      for _, w in ipairs(v.workers or {}) do trees[#trees + 1] = w.tree end
      if v.running then want[#want + 1] = v.pid end
      if #trees > 0 then
        local id = l.pid .. "/" .. v.name .. "/" .. (v.pid or "workers")
        local ticks, rss, n = 0, 0, 0
        for _, t in ipairs(trees) do
          local a, b, c = usage(t, self.procs)
          ticks, rss, n = ticks + a, rss + b, n + c
        end
        local prev = self.cpu[id]
        v.top_cpu = prev and now > prev.t and math.max(0, ticks - prev.ticks) / TICKS / (now - prev.t) * 100 or nil
        v.top_rss, v.top_n = rss, n
        seen[id] = { ticks = ticks, t = now }
      end
    end
  end
  self.cpu = seen
  -- A pidfd on each layout's voidrun and each void's pid 1 (up to
  -- MAX_PIDFDS; the scan sees the others): their end wakes top at once.
  -- One whose process ended is not opened again while /proc still shows
  -- it (a zombie not yet reaped).
  local live, open = {}, 0
  for _, pid in ipairs(want) do live[pid] = true end
  for pid, fd in pairs(self.pidfds) do
    if live[pid] then open = open + 1
    else
      core.close(fd)
      self.pidfds[pid] = nil
    end
  end
  for _, pid in ipairs(want) do
    if open < MAX_PIDFDS and not self.pidfds[pid] and not self.ended[pid] then
      self.pidfds[pid] = core.pidfd_open(pid) or nil
      if self.pidfds[pid] then open = open + 1 end
    end
  end
  for pid in pairs(self.ended) do
    if not live[pid] then self.ended[pid] = nil end
  end
  -- keep the selected void selected, wherever it moved
  for i, x in ipairs(self.voids) do
    if x.l.pid .. "/" .. x.v.name == self.key then self.sel = i end
  end
  self.sel = math.max(1, math.min(self.sel, #self.voids))
  local x = self.voids[self.sel]
  self.key = x and (x.l.pid .. "/" .. x.v.name)
end

function View:fds()
  local fds, pids = {}, {}
  for pid, fd in pairs(self.pidfds) do
    fds[#fds + 1] = fd
    pids[fd] = pid
  end
  return fds, pids
end

-- The tree view's lines: { text =, attr =, sel = index of a void }.
function View:tree_lines()
  local out = {}
  local function p(line) out[#out + 1] = line end
  local now = os.time()
  local i = 0
  local function tree(proc, depth)
    p { text = clean(("%s%-7d %-5s %s"):format(("  "):rep(depth), proc.pid, proc.nspid or "?", ps.command(proc))) }
    for _, c in ipairs(proc.children) do tree(c, depth + 1) end
  end
  for _, l in ipairs(self.data.layouts) do
    p { text = clean(("voidrun %d  %s  up %s"):format(l.pid, l.profile, duration(now - (l.started or now)))), attr = "bold" }
    for _, v in ipairs(l.voids) do
      i = i + 1
      local more = v.restarts > 0 and ("  restarts " .. v.restarts) or ""
      if v.running or (v.workers and #v.workers > 0) then
        p { sel = i, text = clean(("  %s %-12s cpu %6s  mem %9s  procs %d%s%s"):format(v.kind, v.name,
          v.top_cpu and ("%.1f%%"):format(v.top_cpu) or "-", mib(v.top_rss), v.top_n,
          v.workers and ("  workers " .. #v.workers) or "", more)) }
        if v.tree then tree(v.tree, 2) end
        for _, w in ipairs(v.workers or {}) do tree(w.tree, 2) end
      else
        p { sel = i, text = clean(("  %s %-12s %s%s"):format(v.kind, v.name,
          v.kind == "broker" and "no workers now" or "not running", more)) }
      end
    end
  end
  if #out == 0 then
    p { text = self.only and ("layout %d is not running (it ended)"):format(self.only)
        or "no running layouts (start one: voidrun PROFILE)" }
  end
  return out
end

function View:draw()
  local scr = self.scr
  local lines, cols = scr:size()
  scr:erase()
  if lines < MIN_LINES or cols < MIN_COLS then
    scr:put(0, 0, "terminal too small:")
    scr:put(1, 0, ("%dx%d, needs %dx%d"):format(cols, lines, MIN_COLS, MIN_LINES))
    scr:put(2, 0, "q quits")
    scr:refresh()
    return
  end
  local nvoids = #self.voids
  scr:put(0, 0, ("voidrun top  %s  %d layout%s, %d void%s"):format(self.stamp or "", #self.data.layouts,
    #self.data.layouts == 1 and "" or "s", nvoids, nvoids == 1 and "" or "s"), "bold")
  local body_top, body_h = 2, lines - 3
  local rows
  if self.mode == "grants" then
    scr:put(1, 0, pad("  GRANTS", cols), "reverse")
    local x = self.voids[self.sel]
    rows = x and grants(x.l, x.v) or { { text = "no void selected" } }
    self.scroll = math.max(0, math.min(self.scroll, #rows - body_h))
  else
    scr:put(1, 0, pad("  PID     VPID  COMMAND", cols), "reverse")
    rows = self:tree_lines()
    -- keep the selected void's line in view, and as much of its tree
    local at
    for k, r in ipairs(rows) do if r.sel == self.sel then at = k end end
    if at then
      if at - 1 < self.scroll then self.scroll = at - 1 end
      if at > self.scroll + body_h then self.scroll = at - body_h end
    end
    self.scroll = math.max(0, math.min(self.scroll, #rows - body_h))
  end
  for k = 1, body_h do
    local r = rows[self.scroll + k]
    if not r then break end
    local selected = self.mode == "tree" and r.sel == self.sel
    scr:put(body_top + k - 1, 0, selected and pad(r.text, cols) or r.text,
      selected and "reverse" or r.attr)
  end
  scr:put(lines - 1, 0, self.message or (self.mode == "grants" and "up/down j/k scroll  Enter/g/Esc back  s shell  q quit"
    or "up/down j/k select  Enter/g grants  s shell  q quit"), "dim")
  scr:refresh()
end

-- `s`: a shell in the selected void, by `voidrun enter` in the foreground
-- of the terminal; top gives the terminal to it and takes it back.
function View:shell()
  local x = self.voids[self.sel]
  if not x or not x.v.running then
    self.message = x and x.v.kind == "broker" and "a broker's workers cannot be entered (yet)"
      or "no running void selected"
    return
  end
  local argv = { self.exe, "enter", tostring(x.l.pid), x.v.name, "/bin/sh" }
  self.scr:suspend()
  io.stdout:write(("voidrun top: /bin/sh in void %s of layout %d (exit the shell to return)\n")
    :format(x.v.name, x.l.pid))
  io.stdout:flush()
  local r, err = core.run_foreground(argv)
  if not r or r.status == 125 or r.status == 127 then
    -- enter (or exec of voidrun) said why on stderr; give the user time
    -- to read it
    io.stdout:write(not r and ("voidrun top: " .. err .. "\n") or "",
      "voidrun top: could not enter it (a void needs a /bin/sh: doc/inspect.md)\n",
      "voidrun top: press Enter to return\n")
    io.stdout:flush()
    io.stdin:read("l")
  end
  self.scr:resume()
  self.message = nil
end

-- Returns false when top should end.
function View:on_key(k)
  local lines = self.scr:size()
  self.message = nil
  if k == "q" or k == "Q" then return false end
  if self.mode == "grants" then
    if k == "enter" or k == "g" or k == "escape" or k == "left" or k == "backspace" or k == "h" then
      self.mode, self.scroll = "tree", 0
    elseif k == "up" or k == "k" then self.scroll = math.max(0, self.scroll - 1)
    elseif k == "down" or k == "j" then self.scroll = self.scroll + 1
    elseif k == "pageup" then self.scroll = math.max(0, self.scroll - (lines - 4))
    elseif k == "pagedown" or k == " " then self.scroll = self.scroll + (lines - 4)
    elseif k == "home" then self.scroll = 0
    elseif k == "s" then self:shell()
    end
    return true
  end
  if k == "up" or k == "k" then self.sel = math.max(1, self.sel - 1)
  elseif k == "down" or k == "j" then self.sel = math.min(#self.voids, self.sel + 1)
  elseif k == "home" then self.sel = 1
  elseif k == "end" then self.sel = #self.voids
  elseif k == "enter" or k == "g" or k == "right" then
    if self.voids[self.sel] then self.mode, self.scroll = "grants", 0 end
  elseif k == "s" then self:shell()
  end
  local x = self.voids[self.sel]
  self.key = x and (x.l.pid .. "/" .. x.v.name)
  return true
end

function View:close()
  for _, fd in pairs(self.pidfds) do core.close(fd) end
  self.pidfds = {}
end
View.__close = View.close

---------------------------------------------------------------- voidrun top

-- The curses module, beside voidrun's helper programs.
local function load_curses()
  local path = require("voidrun.profile").libexec("curses.so")
  local open, err = package.loadlib(path, "luaopen_voidrun_curses")
  if not open then return nil, err end
  return open()
end

-- voidrun top [LAYOUT]
function M.top(argv, i)
  if argv[i + 1] or (argv[i] and argv[i]:sub(1, 1) == "-") then
    say("top: unknown argument '%s' (usage: voidrun top [LAYOUT])", argv[i + 1] or argv[i])
    return EXIT_USAGE
  end
  local only
  if argv[i] then
    local e, err = ps.find(argv[i])
    if not e then
      say("top: %s", err)
      return EXIT_FAIL
    end
    only = e.pid
  end
  local curses, err = load_curses()
  if not curses then
    say("top: cannot load the curses module: %s", err)
    return EXIT_FAIL
  end
  -- Without TERM (a bare CI shell, env -i) assume the common case, an
  -- xterm-like terminal; an unknown TERM is refused in one line.
  local term = core.environ("TERM").TERM
  if not term or term == "" then term = "xterm" end
  -- (to-be-closed: the terminal is given back also when top ends by an
  -- error, before voidrun reports it)
  local scr <close>, oerr = curses.open(term)
  if not scr then
    say("top: %s", oerr)
    return EXIT_FAIL
  end
  local view <close> = new_view(scr, core.exe_dir() .. "/voidrun", only)
  local due = 0
  while true do
    if core.now() >= due then
      view:collect()
      due = core.now() + INTERVAL
    end
    view:draw()
    local fds, pids = view:fds()
    local ready = scr:wait(math.max(0, math.ceil((due - core.now()) * 1000)), fds)
    for fd in pairs(ready) do
      if pids[fd] then
        -- that voidrun or void ended: see it now
        view.ended[pids[fd]] = true
        view.pidfds[pids[fd]] = nil
        core.close(fd)
        due = 0
      end
    end
    -- every key typed meanwhile (a "resize" only redraws)
    local any = false
    for _ = 1, 64 do
      local k = scr:key()
      if not k then break end
      any = true
      if k ~= "resize" and not view:on_key(k) then return 0 end
    end
    if any then due = 0 end
  end
end

return M
