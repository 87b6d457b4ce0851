-- SPDX-License-Identifier: MIT
-- Stopping a broker by a signal, whenever the signal comes: SIGTERM (to
-- voidrun, and to its process group), SIGINT and SIGTERM twice, sent at
-- many points of its start-up (from the exec on, through the profile
-- load, the listener, the registry and the control socket, the shared
-- network namespace and the first prepared workers) and of its work
-- (workers being prepared, connections served), through the real binary. Each time voidrun must end (a generous bound,
-- never a timing), with status 0 once its layout has started (before
-- that, the signal's default action ends it: nothing exists yet), and
-- leave nothing: no process of its own, no cgroup of a worker, no
-- registry file or control socket.
--
-- The points are a deterministic spread of delays, not random ones: a
-- failure names the delay that caught it, and the next run tries it
-- again. Other points are read from /proc: once it listens, once it has
-- prepared k workers.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core
local registry = require "voidrun.registry"

local SIGINT, SIGKILL, SIGTERM = 2, 9, 15
-- How long voidrun may take to end before the spec says it hangs: far
-- more than it ever needs (it is not a timing: only "it ended").
local BOUND = 30

local mypidns = (H.readlink("/proc/self/ns/pid") or ""):match("%[(%d+)%]")
-- Where workers' cgroups go, when this user may have them.
local cg, cg_why = core.cgroup_probe { "pids" }

local free_port = H.free_port

-- An echo broker: cat per connection, `prepared` workers built ahead.
local function broker_profile(o)
  return H.profile(([[
local vr = require "voidrun"
vr.broker "echo" {
  on = vr.tcp_listen { host = "127.0.0.1", port = %d, backlog = 1024 },
  netns = %q,
  prepared = %d,
  worker = { exec = { "/bin/cat" }, fs = { vr.exe "/bin/cat" }%s },
}
]]):format(o.port, o.netns or "shared", o.prepared or 2, o.limits and ", limits = { pids = 16 }" or ""))
end

-- n delays from 0 to max ms, denser near 0, where start-up happens (the
-- i-th is max * (i / (n - 1))^2: a quarter of them in the first 1/16).
local function spread(n, max)
  local t = {}
  for i = 0, n - 1 do t[#t + 1] = max * (i / (n - 1)) ^ 2 end
  return t
end

-- Wait ms (a fraction too): whole milliseconds asleep, the rest spun.
local function pause(ms)
  local stop = core.now() + ms / 1000
  if ms >= 2 then core.poll({}, math.floor(ms) - 1) end
  while core.now() < stop do end
end

local function slurp(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- The children of every thread of pid, as a space-separated list: run as
-- root, voidrun starts its voids' pid 1s from threads of its own
-- (core/void.c, spawn_vm), whose children are listed under their task.
local function kids_text(pid)
  local out = {}
  for _, tid in ipairs(core.listdir(("/proc/%d/task"):format(pid)) or {}) do
    out[#out + 1] = slurp(("/proc/%d/task/%s/children"):format(pid, tid)) or ""
  end
  return #out > 0 and table.concat(out, " ") or nil
end

-- Start the binary on a profile: stdin and stdout /dev/null, stderr a
-- file. prefix: argv put before it (env(1) to set a signal's action).
-- Every voidrun a test launched: one a failed assertion left running is
-- killed after the test (SIGKILL: its voids die with it), and reaped.
local launched = {}

local function reap_launched()
  for _, h in ipairs(launched) do
    if not h.reaped then
      core.kill(h.pid, 9)
      core.waitpid(h.pid)
      core.close(h.pidfd)
      os.remove(h.errfile)
    end
  end
  launched = {}
end

local function launch(prof, prefix)
  local errfile = os.tmpname()
  local argv = {}
  for _, a in ipairs(prefix or {}) do argv[#argv + 1] = a end
  argv[#argv + 1] = H.bin
  argv[#argv + 1] = prof
  local pid, pidfd = core.clone3({ "pidfd" })
  if pid == 0 then
    core.dup2(core.open("/dev/null", "r"), 0)
    core.dup2(core.open("/dev/null", "w"), 1)
    core.dup2(core.open(errfile, "w"), 2)
    core.execv(argv[1], argv)
    core._exit(127)
  end
  assert(pid, pidfd)
  local h = { pid = pid, pidfd = pidfd, errfile = errfile, prof = prof }
  launched[#launched + 1] = h
  return h
end

-- What a hanging voidrun is doing, for the failure message.
local function diagnose(pid)
  local st = slurp("/proc/" .. pid .. "/status") or ""
  local out = {}
  for _, k in ipairs { "State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn" } do
    out[#out + 1] = k .. " " .. (st:match(k .. ":%s*([^\n]*)") or "?")
  end
  out[#out + 1] = "wchan " .. (slurp("/proc/" .. pid .. "/wchan") or "?")
  out[#out + 1] = "children " .. (kids_text(pid) or "?")
  return table.concat(out, ", ")
end

-- Wait for it to end, within BOUND; a hang fails with what it was doing
-- (and is killed). Returns how ("exited"|"signaled"), the code or signal,
-- and its stderr.
local function await(h, what)
  local deadline = core.now() + BOUND
  while not core.poll({ h.pidfd }, 200)[h.pidfd] do
    if core.now() > deadline then
      local d = diagnose(h.pid)
      core.kill(h.pid, SIGKILL)
      core.waitpid(h.pid)
      h.reaped = true
      core.close(h.pidfd)
      assert.is_true(false, ("voidrun did not end within %d s of %s: %s"):format(BOUND, what, d))
    end
  end
  local how, n = core.waitpid(h.pid)
  h.reaped = true
  core.close(h.pidfd)
  local err = slurp(h.errfile) or ""
  os.remove(h.errfile)
  return how, n, err
end

-- Its children (its voids' pid 1s, prepared or running), each with its
-- start time (a pid may be reused), as they are now.
local function children(pid)
  local kids = {}
  for kid in (kids_text(pid) or ""):gmatch("%d+") do
    kids[kid] = registry.starttime(kid)
  end
  return kids
end

-- Send sig to voidrun h (or to target), noting its children just before.
local function signal(h, sig, target)
  h.kids = h.kids or {}
  for kid, start in pairs(children(h.pid)) do h.kids[kid] = start end
  core.kill(target or h.pid, sig)
end

-- What voidrun h left: its registry file and control socket, processes
-- of its own (its children when it was signalled, and its copies, which
-- run with its command line, naming the profile), cgroups of its workers
-- (named PIDNS-PID-N).
local function left_behind(h)
  local left = {}
  for kid, start in pairs(h.kids or {}) do
    if start and registry.starttime(kid) == start then left[#left + 1] = "void process " .. kid end
  end
  local dir = registry.dir(false)
  if dir then
    for _, f in ipairs { tostring(h.pid), h.pid .. ".sock" } do
      if core.lstat(dir .. "/" .. f) then left[#left + 1] = dir .. "/" .. f end
    end
  end
  for _, name in ipairs(core.listdir("/proc") or {}) do
    if name:match("^%d+$") then
      local cmd = slurp("/proc/" .. name .. "/cmdline")
      if cmd and cmd:find(h.prof, 1, true) then left[#left + 1] = "process " .. name end
    end
  end
  local prefix = ("%s-%d-"):format(mypidns, h.pid)
  for _, base in pairs(cg and cg.bases or {}) do
    for _, name in ipairs(core.listdir(base) or {}) do
      if name:sub(1, #prefix) == prefix then left[#left + 1] = base .. "/" .. name end
    end
  end
  return left
end

-- It ended, with the right status, and left nothing. sig: the signal
-- sent. Returns how it ended.
local function assert_stopped(h, sig, what)
  local how, n, err = await(h, what)
  if how == "signaled" then
    -- the signal's default action, before voidrun took its signals: it
    -- had made nothing and said nothing
    assert.are.equal(sig, n, what .. ": killed by another signal")
    assert.are.equal("", err, what .. ": killed after it said something")
  else
    assert.are.equal(0, n, what .. ": exit status; stderr: " .. err)
    assert.are.equal("", err, what .. ": stderr")
  end
  local left
  -- (a process may take a moment to be gone from /proc once reaped)
  for _ = 1, 100 do
    left = left_behind(h)
    if #left == 0 then break end
    pause(10)
  end
  assert.are.same({}, left, what .. ": left behind")
  return how
end

-- Until it accepts connections (bounded).
local function wait_listening(h, port)
  for _ = 1, 1000 do
    local fd = core.tcp_connect("127.0.0.1", port)
    if fd then return fd end
    assert.is_nil(core.poll({ h.pidfd }, 5)[h.pidfd], "voidrun ended before it listened")
  end
  assert.is_true(false, "nothing listens on port " .. port)
end

-- One echo exchange; true when the echo came back whole.
local function exchange(port, data)
  local fd = core.tcp_connect("127.0.0.1", port)
  return fd ~= nil and H.echo(fd, data) == data
end

-- A client process: holds `held` connections whose workers run (each
-- has echoed once), then makes new connections one after another until
-- the broker is gone. Returns its pid; once it is running, workers are.
local function client(port, held)
  local rd, wr = core.pipe()
  local pid = core.clone3({})
  if pid == 0 then
    core.close(rd)
    local fds = {}
    for i = 1, held do
      local fd = core.tcp_connect("127.0.0.1", port)
      if fd then
        core.write(fd, "h" .. i)
        if core.read(fd, 16) then fds[#fds + 1] = fd end
      end
    end
    core.write(wr, "r")
    core.close(wr)
    for i = 1, 100000 do
      if not exchange(port, "c" .. i) then break end
    end
    core._exit(0)
  end
  core.close(wr)
  core.read(rd, 1)
  core.close(rd)
  return pid
end

-- This process's signals ignored (inherited by what it starts): a test
-- run started in the background of a script ignores SIGINT.
-- Launch prof, let a client hold 4 running workers, TERM voidrun d ms
-- later: it must stop as assert_stopped says.
local function stop_while_serving(prof, port, d, what)
  local h = launch(prof)
  core.close(wait_listening(h, port))
  local c = client(port, 4)
  pause(d)
  signal(h, SIGTERM)
  local ok, err = pcall(assert_stopped, h, SIGTERM, ("SIGTERM %.2f ms into serving%s"):format(d, what))
  -- the client ends once nothing listens
  core.kill(c, SIGKILL)
  core.waitpid(c)
  assert(ok, err)
end

local function ignored(sig)
  local mask = (slurp("/proc/self/status") or ""):match("SigIgn:%s*(%x+)")
  return mask and (tonumber(mask, 16) >> (sig - 1)) & 1 == 1
end

-- env(1) that sets a signal's action for what it runs, or nil.
local function env_signal(opt)
  local r = H.sh("env " .. opt .. " true")
  return r.code == 0 and { "/usr/bin/env", opt } or nil
end

after_each(function()
  reap_launched()
  H.cleanup()
end)

describe("a broker stopped by a signal", function()
  for _, netns in ipairs { "shared", "own" } do
    it(("ends on SIGTERM sent 0 to 50 ms after its start, and leaves nothing (netns = %s)"):format(netns), function()
      local prof = broker_profile { port = free_port(), netns = netns }
      local s = H.snapshot()
      for _, d in ipairs(spread(48, 50)) do
        local h = launch(prof)
        pause(d)
        signal(h, SIGTERM)
        assert_stopped(h, SIGTERM, ("SIGTERM %.2f ms after the start (netns = %s)"):format(d, netns))
      end
      H.assert_clean(s)
    end)
  end

  it("ends on SIGTERM sent while its first workers are built (1 to 4 ms, densely)", function()
    -- Where a worker is killed in the middle of its build: once, as root,
    -- one killed inside libcap's cap_set_proc left the plan's cap_t
    -- locked in voidrun's memory, and voidrun spun in cap_free for ever.
    local prof = broker_profile { port = free_port() }
    local s = H.snapshot()
    for i = 0, 59 do
      local d = 1 + 3 * i / 59
      local h = launch(prof)
      pause(d)
      signal(h, SIGTERM)
      assert_stopped(h, SIGTERM, ("SIGTERM %.2f ms after the start"):format(d))
    end
    H.assert_clean(s)
  end)

  it("ends on SIGTERM sent to its process group, and leaves nothing", function()
    -- (a terminal's or a job runner's kill: voidrun and those of its
    -- voids not yet in a session of their own get it)
    local prof = broker_profile { port = free_port() }
    for _, d in ipairs(spread(24, 50)) do
      local h = launch(prof, { "/usr/bin/setsid" })
      -- its own group, once setsid(1) has made it (bounded)
      local stop = core.now() + BOUND
      repeat
        local st = slurp("/proc/" .. h.pid .. "/stat") or ""
        local pgrp = st:match("%) %S+ %d+ (%d+)")
      until tonumber(pgrp) == h.pid or core.now() > stop
      pause(d)
      signal(h, SIGTERM, -h.pid)
      assert_stopped(h, SIGTERM, ("SIGTERM to its group %.2f ms after setsid"):format(d))
    end
  end)

  it("ends on SIGINT sent 0 to 50 ms after its start", function()
    -- SIGINT at its default action, whatever this run inherited
    local prefix = env_signal("--default-signal=INT")
    if not prefix and ignored(SIGINT) then
      return pending("SIGINT is ignored here and env(1) cannot reset it (coreutils < 8.31)")
    end
    local prof = broker_profile { port = free_port() }
    for _, d in ipairs(spread(32, 50)) do
      local h = launch(prof, prefix)
      pause(d)
      signal(h, SIGINT)
      assert_stopped(h, SIGINT, ("SIGINT %.2f ms after the start"):format(d))
    end
  end)

  it("ends on SIGTERM sent twice, the second 0 to 2 ms after the first", function()
    local prof = broker_profile { port = free_port() }
    local delays = spread(24, 40)
    for i, d in ipairs(delays) do
      local h = launch(prof)
      pause(d)
      signal(h, SIGTERM)
      local gap = 2 * ((i - 1) % 5) / 4
      pause(gap)
      signal(h, SIGTERM)
      assert_stopped(h, SIGTERM, ("SIGTERM %.2f ms after the start and again %.2f ms later"):format(d, gap))
    end
  end)

  it("ends on SIGTERM sent once it listens, 0 to 10 ms later", function()
    local port = free_port()
    local prof = broker_profile { port = port }
    for _, d in ipairs(spread(16, 10)) do
      local h = launch(prof)
      core.close(wait_listening(h, port))
      pause(d)
      signal(h, SIGTERM)
      assert_stopped(h, SIGTERM, ("SIGTERM %.2f ms after it listened"):format(d))
    end
  end)

  it("ends on SIGTERM sent while it prepares its workers (after the k-th of 12)", function()
    local prof = broker_profile { port = free_port(), prepared = 12 }
    for k = 0, 12 do
      local h = launch(prof)
      -- its children are its prepared workers: wait until there are k
      -- (bounded: it may have ended meanwhile, which the check tells)
      local stop = core.now() + BOUND
      while k > 0 and core.now() < stop do
        local c = kids_text(h.pid)
        if not c or select(2, c:gsub("%d+", "")) >= k then break end
      end
      signal(h, SIGTERM)
      assert_stopped(h, SIGTERM, ("SIGTERM after %d of 12 prepared workers"):format(k))
    end
  end)

  it("ends on SIGTERM sent while connections are served, workers running", function()
    local port = free_port()
    local prof = broker_profile { port = port }
    local s = H.snapshot()
    for _, d in ipairs(spread(12, 30)) do
      stop_while_serving(prof, port, d, "")
    end
    H.assert_clean(s)
  end)

  it("a TERM meant for voidrun but sent to a prepared worker ends that worker only", function()
    -- Seen once: `kill $(pgrep -n -f echo.lua)` picked a prepared worker
    -- (a copy of voidrun, or voidrun's own memory as root: same command
    -- line), which held the TERM, blocked, until the next connection's
    -- cat got it. A prepared worker now ends on it; another is prepared.
    local port = free_port()
    local prof = broker_profile { port = port }
    local h = launch(prof)
    core.close(wait_listening(h, port))
    local kids, stop = {}, core.now() + BOUND
    repeat
      kids = {}
      for kid in (kids_text(h.pid) or ""):gmatch("%d+") do kids[#kids + 1] = tonumber(kid) end
    until #kids >= 2 or core.now() > stop
    assert.is_true(#kids >= 2, "two prepared workers")
    for _, kid in ipairs(kids) do
      -- named so that pidof, pkill and killall leave them be (once
      -- its pid 1 has named itself: bounded wait)
      local comm, until_ = nil, core.now() + BOUND
      repeat
        comm = slurp(("/proc/%d/comm"):format(kid))
      until comm == "void-init\n" or core.now() > until_
      assert.are.equal("void-init\n", comm)
      core.kill(kid, SIGTERM)
    end
    -- they end (bounded wait): a connection handed to one in the instant
    -- it ends on the signal would end with it
    for _, kid in ipairs(kids) do
      local stat, until_ = nil, core.now() + BOUND
      repeat
        stat = slurp(("/proc/%d/stat"):format(kid))
      until not stat or stat:match("^%d+ %b() Z") or core.now() > until_
      assert.is_true(not stat or stat:match("^%d+ %b() Z") ~= nil, "prepared worker " .. kid .. " ended on TERM")
    end
    for i = 1, 6 do
      assert.is_true(exchange(port, "echo " .. i), "echo " .. i .. " after the prepared workers were sent TERM")
    end
    assert.is_nil(core.poll({ h.pidfd }, 0)[h.pidfd], "voidrun still runs")
    signal(h, SIGTERM)
    assert_stopped(h, SIGTERM, "SIGTERM to voidrun after its prepared workers had one")
  end)

  it("ends on SIGTERM with workers in cgroups, and leaves no cgroup", function()
    if not cg then
      return pending("no cgroup for a worker's limits for uid " .. H.uid .. " here: " .. tostring(cg_why))
    end
    local port = free_port()
    local prof = broker_profile { port = port, limits = true }
    for _, d in ipairs(spread(12, 40)) do
      local h = launch(prof)
      pause(d)
      signal(h, SIGTERM)
      assert_stopped(h, SIGTERM, ("SIGTERM %.2f ms after the start (worker cgroups)"):format(d))
    end
    for _, d in ipairs(spread(6, 20)) do
      stop_while_serving(prof, port, d, " (worker cgroups)")
    end
  end)
end)
