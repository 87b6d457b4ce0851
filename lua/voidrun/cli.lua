-- SPDX-License-Identifier: MIT
-- The voidrun command line. Decides what the user sees and the exit code:
--   the entry's own status; 128+N when it was killed by signal N;
--   125 when the profile is invalid or the void could not be built;
--   2 for a command-line mistake.

local profile = require "voidrun.profile"
-- The keys other modules add to a void (limits, seccomp and caps):
-- profile.lua must know them before any profile is loaded (it declares
-- `net` itself). The harness vocabulary, require "voidrun" (voidrun.init),
-- is for `voidrun lua` and `voidrun test` alone: a launch does not load it.
require "voidrun.limits"
require "voidrun.harden"

local M = {}

local EXIT_BUILD, EXIT_USAGE = 125, 2

local usage = [[
Usage: voidrun [OPTIONS] PROFILE [ARGS...]
       voidrun check [OPTIONS] PROFILE [ARGS...]
       voidrun test [BUSTED OPTIONS] [SPEC...]
       voidrun lua SCRIPT [ARGS...]
       voidrun ps [--json]
       voidrun top [LAYOUT]
       voidrun enter LAYOUT VOID [CMD...]

Run the voids a Lua profile describes. Each void starts with nothing (new
user, mount, pid, net, ipc, uts and cgroup namespaces, an empty read-only
root, no capabilities, a clean environment, no inherited fds) and gets only
what the profile grants. ARGS are the profile's vr.args.

Commands:
  check        load and validate the profile, print the plan, start nothing
  test         run busted specs with voidrun's Lua (require "voidrun" works)
  lua          run a trusted Lua script with voidrun's Lua
  ps           show your running layouts, their voids and processes
  top          the same, live and full-screen (only LAYOUT if given), with
               cpu and memory per void; keys: up/down (j/k) select a void,
               Enter/g its grants, s a shell in it (the void needs a
               /bin/sh), q quit
  enter        run CMD (default /bin/sh) inside a running void; LAYOUT is
               the pid ps shows or the profile's name (doc/inspect.md)

Options:
  --set NAME=VALUE   override the declared param NAME (also VOIDRUN_NAME=VALUE
                     in the environment); undeclared names are an error
  --label            prefix each line a void writes to voidrun's stdout or
                     stderr with the void's name
  --stats            say each void's peak memory and cpu time when it ends
  --debug            stop each void just before the exec of its entry and say
                     how to attach a debugger and how to go on
  -h, --help         show this help
  -V, --version      show the version

Exit status: the entry's status (with several voids: the status of the void
marked main, else the first non-zero status, else 0); 128+N for an entry
killed by signal N; 124 when a void's time limit was reached; 125 if the
profile is invalid or a void could not be built; 2 for a usage error.
]]

local function say(fmt, ...)
  io.stderr:write("voidrun: ", fmt:format(...), "\n")
end

-- Parse [OPTIONS] PROFILE [ARGS...]. Options stop at the profile.
local function parse(argv, i)
  local o = { set = {}, args = {} }
  while i <= #argv do
    local a = argv[i]
    if a == "-h" or a == "--help" then
      o.help = true
    elseif a == "-V" or a == "--version" then
      o.version = true
    elseif a == "--label" then
      o.label = true
    elseif a == "--stats" then
      o.stats = true
    elseif a == "--debug" then
      o.debug = true
    elseif a == "--set" or a:match("^%-%-set=") then
      local kv = a == "--set" and argv[i + 1] or a:sub(7)
      if a == "--set" then i = i + 1 end
      local k, v = (kv or ""):match("^([^=]+)=(.*)$")
      if not k then return nil, "--set takes NAME=VALUE" end
      o.set[k] = v
    elseif a == "--" then
      i = i + 1
      o.profile = argv[i]
      break
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, ("unknown option '%s' (see voidrun --help)"):format(a)
    else
      o.profile = a
      break
    end
    i = i + 1
  end
  for k = i + 1, #argv do o.args[#o.args + 1] = argv[k] end
  return o
end

local function load(o)
  local ok, layout = pcall(profile.load, o.profile, { args = o.args, set = o.set })
  if not ok then
    say("%s", tostring(layout))
    return nil
  end
  return layout
end

local function describe(layout)
  local out = {}
  local function p(fmt, ...) out[#out + 1] = fmt:format(...) end
  p("profile %s", layout.file)
  for _, name in ipairs(layout.param_order) do
    local prm = layout.params[name]
    p("param %s = %s (%s)%s", name, tostring(prm.value), prm.source, prm.doc and ("  -- " .. prm.doc) or "")
  end
  if #layout.voids > 1 then
    local names = {}
    for _, v in ipairs(layout.order) do names[#names + 1] = v.name end
    p("start order %s", table.concat(names, ", "))
  end
  local function void(v, label, conn)
    p("%s %s%s", label, v.name, v.main and " (main)" or "")
    if v.exec then
      local argv = {}
      for i, a in ipairs(v.exec) do argv[i] = type(a) == "string" and a or ("<fd " .. v.placed[a] .. ">") end
      p("  exec      %s", table.concat(argv, " "))
    else
      p("  run       a Lua function (%s)", v.pos)
    end
    p("  cwd       %s", v.cwd)
    p("  hostname  %s", v.hostname)
    local env = {}
    for k, val in pairs(v.env) do env[#env + 1] = k .. "=" .. val end
    table.sort(env)
    p("  env       %s", #env > 0 and table.concat(env, " ") or "(empty)")
    if v.net and v.net.host then
      p("  namespaces user mount pid ipc uts cgroup (new; net: the host's)")
    elseif conn and conn.shared then
      p("  namespaces user mount pid ipc uts cgroup (new; net: one for all workers, where voidrun can)")
    else
      p("  namespaces user mount pid net ipc uts cgroup (all new)")
    end
    if v.limits and next(v.limits) then p("  limits    %s", require("voidrun.limits").describe(v.limits)) end
    for _, line in ipairs(require("voidrun.harden").describe(v)) do p("  %s", line) end
    if conn and conn.shared then
      p("  net       lo only, down: an empty namespace the workers share (netns = \"shared\"; unix sockets only)")
    else
      p("  net       %s", v.net and require("voidrun.net").describe(v) or "lo only (a network namespace of its own)")
    end
    if #v.after > 0 then p("  after     %s", table.concat(v.after, ", ")) end
    if v.on_exit ~= "ignore" then
      p("  on_exit   %s%s", v.on_exit, v.on_exit == "restart" and (" (at most " .. v.restarts .. " times)") or "")
    end
    local fds, has = {}, {}
    for _, pl in ipairs(v.places or {}) do
      fds[#fds + 1] = { n = pl.n, what = pl.e.what }
      has[pl.n] = true
    end
    for _, n in ipairs(conn and conn.fds or {}) do
      fds[#fds + 1] = { n = n, what = conn.what }
      has[n] = true
    end
    for n, what in pairs { [0] = "/dev/null", "voidrun's stdout", "voidrun's stderr" } do
      if not has[n] then fds[#fds + 1] = { n = n, what = what } end
    end
    table.sort(fds, function(a, b) return a.n < b.n end)
    for _, f in ipairs(fds) do p("  fd %-2d     %s", f.n, f.what) end
    for _, m in ipairs(v.mounts) do
      if m.kind == "bind" then
        p("  bind %s %s%s", m.rw and "rw" or "ro", m.src, m.src ~= m.dst and (" -> " .. m.dst) or "")
      elseif m.kind == "symlink" then
        p("  symlink %s -> %s", m.dst, m.src)
      else
        p("  %s %s%s", m.kind, m.dst, m.options and (" (" .. m.options .. ")") or "")
      end
    end
  end
  for _, v in ipairs(layout.order) do
    if v.broker then
      p("broker %s: a new void per %s on %s, at most %d at once", v.name, v.each, v.on.what, v.max_workers)
      if v.idle_timeout then p("  idle_timeout %g s", v.idle_timeout) end
      if v.timeout then p("  timeout   %g s", v.timeout) end
      p("  conn      at fd %s", table.concat(v.conn, ", "))
      local what = ({ connection = "the connection", message = "the message (a pipe)",
                      fds = "a received fd" })[v.each]
      void(v.worker, "worker", { fds = v.conn, what = what, shared = v.netns == "shared" })
    else
      void(v, "void")
    end
  end
  return table.concat(out, "\n") .. "\n"
end

local function run(layout, o)
  return require("voidrun.layout").run(layout, { label = o.label, stats = o.stats, debug = o.debug })
end

local function run_busted(argv, i)
  local ok, runner = pcall(require, "busted.runner")
  if not ok then
    say("busted is not installed (Debian: apt-get install lua-busted)")
    return EXIT_USAGE
  end
  _G.arg = { [0] = "voidrun test" }
  for k = i, #argv do _G.arg[#_G.arg + 1] = argv[k] end
  runner { standalone = false }
  return 0
end

local function run_script(argv, i)
  local script = argv[i]
  if not script then
    say("lua: name a script")
    return EXIT_USAGE
  end
  _G.arg = { [0] = script }
  for k = i + 1, #argv do _G.arg[#_G.arg + 1] = argv[k] end
  local vr = require "voidrun"
  vr.args = { table.unpack(_G.arg, 1) }
  local chunk, err = loadfile(script, "t")
  if not chunk then
    say("%s", err)
    return EXIT_USAGE
  end
  local ok, r = xpcall(chunk, debug.traceback, table.unpack(_G.arg, 1))
  if not ok then
    say("%s", tostring(r))
    return 1
  end
  return math.type(r) == "integer" and r or 0
end

function M.main(argv)
  local cmd, i = argv[1], 1
  if cmd == "test" or cmd == "lua" or cmd == "ps" or cmd == "enter" or cmd == "top" then collectgarbage("restart") end
  if cmd == "test" then return run_busted(argv, 2) end
  if cmd == "lua" then return run_script(argv, 2) end
  if cmd == "ps" then return require("voidrun.ps").ps(argv, 2) end
  if cmd == "enter" then return require("voidrun.ps").enter(argv, 2) end
  if cmd == "top" then return require("voidrun.top").top(argv, 2) end
  if cmd == "check" or cmd == "run" then i = 2 end
  if cmd == "help" then io.stdout:write(usage) return 0 end

  local o, err = parse(argv, i)
  if not o then
    say("%s", err)
    return EXIT_USAGE
  end
  if o.help then io.stdout:write(usage) return 0 end
  if o.version then io.stdout:write("voidrun ", profile.VERSION, "\n") return 0 end
  if not o.profile then
    say("no profile given (see voidrun --help)")
    return EXIT_USAGE
  end
  local layout = load(o)
  if not layout then return EXIT_BUILD end
  if cmd == "check" then
    io.stdout:write(describe(layout))
    return 0
  end
  return run(layout, o)
end

return M
