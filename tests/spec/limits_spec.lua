-- SPDX-License-Identifier: MIT
-- Resource limits, asserted from inside by the probe: a fork bomb stops at
-- pids, a memory hog is OOM-killed at memory (and voidrun says so), a
-- spinner gets its share of cpu, time kills a sleeper, nofile caps open
-- files. These specs run as root and as an unprivileged user
-- (scripts/test.sh), and again on a pure cgroup v2 kernel (tests/vm/run.sh).
-- Where this user has no cgroup to use, the cgroup limits must fail with
-- an error naming the controller, and rlimits and time must still work.
-- After each spec, no cgroup of an ended voidrun is left.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core, vr = H.core, H.vr

-- Whether (and where) this user can have cgroups with the three
-- controllers here: the probe makes and removes one.
local cg, cg_why = core.cgroup_probe { "memory", "pids", "cpu" }

local function need_cgroups()
  if not cg then
    pending("no cgroup limits for uid " .. H.uid .. " here: " .. tostring(cg_why))
    return false
  end
  return true
end

-- A probe profile with these limits (Lua source of the table's body).
local function profile(limits)
  return H.profile(([[
local vr = require "voidrun"
vr.void "main" {
  exec = { "/probe", table.unpack(vr.args) },
  fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.proc(), vr.dev(), vr.tmpfs "/tmp" },
  limits = { %s },
}
]]):format(limits))
end

-- Run the probe under limits through the binary: parsed report, result.
local function run(limits, args, opts)
  local a = { profile(limits) }
  for _, x in ipairs(args) do a[#a + 1] = x end
  local r = H.voidrun(a, opts)
  return vr.probe.parse(r.stdout), r
end

-- A void description for vr.spawn: the probe with these limits.
local function probe_void(limits, args)
  return vr.void "main" {
    exec = { "/probe", table.unpack(args) },
    fs = { vr.exe(H.probe, "/probe"), vr.proc(), vr.dev() },
    limits = limits,
  }
end

-- Start it with vr.spawn, its stdout to /dev/null.
local function spawn(limits, args)
  local null = assert(core.open("/dev/null", "w"))
  local h, err = vr.spawn(probe_void(limits, args), { fds = { [1] = null } })
  core.close(null)
  return assert(h, err)
end

---------------------------------------------------------------- leftovers

local mypidns = (H.readlink("/proc/self/ns/pid") or ""):match("%[(%d+)%]")

-- cgroups named "PIDNS-PID-N" (ours: our pid namespace) whose voidrun
-- PID has ended: left behind. Other voidruns' live ones are not ours to
-- judge (other test runs may share this machine).
local function leftovers()
  local left = {}
  for _, base in pairs(cg and cg.bases or {}) do
    local r = H.sh("ls -1 " .. H.shq(base) .. " 2>/dev/null")
    for name in r.stdout:gmatch("[^\n]+") do
      local ns, pid = name:match("^(%d+)-(%d+)-%d+$")
      if ns == mypidns then
        local ok, _, errno = core.kill(tonumber(pid), 0)
        if not ok and errno == 3 --[[ESRCH]] then left[#left + 1] = base .. "/" .. name end
      end
    end
  end
  return left
end

-- Processes in pid namespaces other than ours, and our mount table: what
-- H.snapshot looks at, in one exec rather than one per process (which
-- the VM run, under software emulation, cannot afford 40 times).
local function snapshot()
  local r = H.sh("stat -L -c '%i' /proc/self/ns/pid /proc/[0-9]*/ns/pid 2>/dev/null")
  local mine, foreign = nil, {}
  for ino in r.stdout:gmatch("%d+") do
    if not mine then mine = ino elseif ino ~= mine then foreign[#foreign + 1] = ino end
  end
  table.sort(foreign)
  local f = assert(io.open("/proc/self/mountinfo"))
  local mounts = f:read("a")
  f:close()
  return { processes = table.concat(foreign, " "), mounts = mounts }
end

local snap
before_each(function() snap = snapshot() end)
after_each(function()
  H.cleanup()
  local now
  for _ = 1, 200 do  -- an ending void's processes may take a moment to go
    now = snapshot()
    if now.processes == snap.processes then break end
    H.sh("sleep 0.01")
  end
  assert.are.equal(snap.processes, now.processes, "processes left in other pid namespaces")
  assert.are.equal(snap.mounts, now.mounts, "the host mount table changed")
  assert.are.same({}, leftovers(), "cgroups of ended voids are left")
end)

-- stderr without voidrun's notes (say, that a kernel lacks a Landlock
-- feature): what a limit made voidrun say.
local function said(r)
  local out = {}
  for line in r.stderr:gmatch("[^\n]*\n?") do
    if line ~= "" and not line:match("^voidrun: note: ") then out[#out + 1] = line end
  end
  return table.concat(out)
end

---------------------------------------------------------------- the profile key

describe("limits in a profile", function()
  local function check(limits)
    local r = H.voidrun { "check", profile(limits) }
    return r, H.lines(said(r))
  end

  it("refuse an unknown limit at the profile's line, listing the known ones", function()
    local r, lines = check "memroy = 1"
    assert.are.equal(125, r.code)
    assert.are.equal(1, #lines)
    assert.is_truthy(lines[1]:match("^voidrun: .*%.lua:%d+: unknown limit 'memroy' %(limits: as, core, cpu, fsize, " ..
      "memlock, memory, nofile, nproc, pids, stack, swap, time%)$"), lines[1])
  end)

  it("refuse bad values at the profile's line", function()
    for src, msg in pairs {
      ['memory = "64Q"'] = "limits%.memory: expected a size of at least 1M .*got 64Q$",
      ["memory = 4096"] = "limits%.memory: expected a size of at least 1M",
      ['fsize = "1.5G"'] = "limits%.fsize: expected a size %(bytes, or digits with K, M, G or T",
      ["swap = -1"] = "limits%.swap: expected a size",
      ["pids = 1"] = "limits%.pids: expected an integer of at least 2, got 1$",
      ["nofile = 2.5"] = "limits%.nofile: expected an integer of at least 4, got 2%.5$",
      ["cpu = 0"] = "limits%.cpu: expected a number of CPUs from 0%.01 to 1024",
      ['cpu = "1"'] = "limits%.cpu: expected a number of CPUs",
      ["time = 0"] = "limits%.time: expected a number of seconds",
      ['[1] = 5'] = "unknown limit '1'",
    } do
      local r, lines = check(src)
      assert.are.equal(125, r.code, src)
      assert.are.equal(1, #lines, src)
      assert.is_truthy(lines[1]:match("^voidrun: .*%.lua:%d+: " .. msg), lines[1])
    end
    local path = H.profile [[
local vr = require "voidrun"
vr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" }, limits = 64 }
]]
    local r = H.voidrun { "check", path }
    assert.are.equal(125, r.code)
    assert.is_truthy(said(r):match(":2: limits must be a table of NAME = value, got number\n$"), r.stderr)
  end)

  it("take sizes as numbers or with K, M, G, T suffixes, and show them in voidrun check", function()
    assert.are.equal(64 << 20, core.parse_size "64M")
    assert.are.equal(1 << 30, core.parse_size "1g")
    assert.are.equal(512, core.parse_size "512")
    assert.is_nil((core.parse_size "64 M"))
    local r = H.voidrun { "check", profile [[memory = 67108864, swap = 0, pids = 32, cpu = 0.5, time = 10,
      nofile = 64, core = 0, fsize = "1G", stack = "8M", nproc = 100]] }
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:find("  limits    memory=64M swap=0 pids=32 cpu=0.5 time=10s nofile=64 nproc=100 " ..
      "core=0 fsize=1G stack=8M\n", 1, true), r.stdout)
  end)
end)

---------------------------------------------------------------- rlimits, time

describe("rlimits and the time limit (for any user)", function()
  it("nofile caps the open files", function()
    local p, r = run("nofile = 16", { "openfiles", "100", "report" })
    assert.are.equal(0, r.code, r.stderr)
    local opened, err = p.outcome("openfiles"):match("^(%d+) (%S+)$")
    assert.are.equal("EMFILE", err)
    assert.is_true(tonumber(opened) <= 13, opened)  -- 0, 1 and 2 are open
    assert.are.equal("16 16", p.first("rlimit_nofile"))
  end)

  it("nproc stops a fork bomb, counting only the void's processes", function()
    local p, r = run("nproc = 6", { "fork-bomb", "50" })
    assert.are.equal(0, r.code, r.stderr)
    local made, err = p.outcome("fork-bomb"):match("^(%d+) (%S+)$")
    assert.are.equal("EAGAIN", err)
    -- pid 1 and the probe count: at most 4 more
    assert.is_true(tonumber(made) <= 4 and tonumber(made) >= 1, made)
  end)

  it("fsize = 0 stops a write with SIGXFSZ", function()
    local p, r = run("fsize = 0", { "write", "/tmp/x" })
    assert.are.equal(128 + 25, r.code, r.stderr)
    assert.is_nil(p.outcome("write"))
    assert.are.equal("voidrun: main: killed by signal 25\n", said(r))
  end)

  it("time kills a sleeper with status 124 and says so", function()
    local p, r = run("time = 1", { "echo", "started", "sleep", "30", "echo", "woke" })
    assert.are.equal(124, r.code)
    assert.are.equal("started", p.first("echo"))
    assert.is_nil(p.outcome("sleep"))
    assert.are.equal("voidrun: main: time limit (1 s) reached, killed\n", said(r))
  end)

  it("time kills every process of the void, not only the entry", function()
    local p, r = run("time = 0.5", { "fork-bomb", "3", "sleep", "30" })
    assert.are.equal(124, r.code)
    assert.are.equal("3 ok", p.outcome("fork-bomb"))
    -- after_each: no process is left in another pid namespace
  end)

  it("time leaves alone a void that ends in time", function()
    local _, r = run("time = 30", { "exit", "3" })
    assert.are.equal(3, r.code)
    assert.are.equal("", said(r))
  end)

  it("--stats says peak memory and cpu time when the void ends", function()
    local a = { "--stats", profile "nofile = 64", "alloc", "8" }
    local r = H.voidrun(a)
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(said(r):match("^voidrun: main: peak memory %d+%.%d[KMG], cpu time %d+%.%d%d%d s\n$"), r.stderr)
  end)

  it("a void's usage is available to Lua: peak memory, cpu time", function()
    local h = spawn({ nofile = 32 }, { "alloc", "16" })
    local res = h:wait()
    assert.are.equal(0, res.status, res.error)
    local u = h:usage()
    assert.are.same(u, res.usage)
    assert.is_true(u.memory_peak >= 16 << 20, tostring(u.memory_peak))
    assert.is_true(u.cpu_usec >= 0)
    assert.is_false(u.timed_out)
  end)

  it("the time limit is in the wait result of a spawned void", function()
    local h = spawn({ time = 0.2 }, { "sleep", "30" })
    local res = h:wait()
    assert.are.equal(124, res.status)
    assert.is_true(res.timed_out)
    assert.is_true(h:usage().timed_out)
  end)
end)

---------------------------------------------------------------- cgroups

describe("cgroup limits", function()
  if not cg then
    it("fail, where this user has no cgroup, with one line naming the controller", function()
      for src, ctl in pairs { ['memory = "64M"'] = "memory", ["pids = 16"] = "pids", ["cpu = 0.5"] = "cpu" } do
        local p, r = run(src, { "echo", "ran" })
        assert.are.equal(125, r.code, src)
        assert.is_nil(p.first("echo"), src)
        local lines = H.lines(said(r))
        assert.are.equal(1, #lines, r.stderr)
        local name = src:match("^%a+")
        assert.is_truthy(lines[1]:match("^voidrun: main: limit " .. name .. ": .*'" .. ctl .. "'"), lines[1])
      end
    end)
  end

  if H.is_root then
    it("fail for a user without a delegated cgroup, naming the controller (as nobody)", function()
      if not need_cgroups() then return end
      local path = profile 'pids = 16'
      os.execute("chmod 644 " .. H.shq(path))
      local as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin "
      -- (CI's clone may sit below a directory nobody may enter)
      if H.sh(as_nobody .. "sh -c 'test -x \"$1\" && test -r \"$2\"' sh " .. H.shq(H.bin) .. " " ..
        H.shq(H.probe)).code ~= 0 then
        pending("uid 65534 cannot reach " .. H.bin .. " and the probe")
        return
      end
      local r = H.sh(as_nobody .. H.shq(H.bin) .. " " .. H.shq(path) .. " echo ran </dev/null")
      if r.code == 0 then
        pending("uid 65534 has a delegated cgroup here")
        return
      end
      assert.are.equal(125, r.code)
      assert.are.equal("", r.stdout)
      assert.is_truthy(said(r):match("^voidrun: main: limit pids: the 'pids' cgroup controller is not delegated " ..
        "to uid 65534 %(.*%): Permission denied\n$"), r.stderr)
    end)
  end

  it("pids stops a fork bomb", function()
    if not need_cgroups() then return end
    local p, r = run("pids = 16", { "fork-bomb", "100" })
    assert.are.equal(0, r.code, r.stderr)
    local made, err = p.outcome("fork-bomb"):match("^(%d+) (%S+)$")
    assert.are.equal("EAGAIN", err)
    assert.is_true(tonumber(made) <= 14 and tonumber(made) >= 1, made)  -- pid 1 and the probe count
  end)

  it("a memory hog is OOM-killed at memory, and voidrun says so", function()
    if not need_cgroups() then return end
    local p, r = run('memory = "64M", swap = 0', { "alloc", "16", "alloc", "256" })
    assert.are.equal(128 + 9, r.code)
    assert.are.same({ "alloc ok" }, p.result)  -- 16M fits, 256M does not
    assert.are.equal("voidrun: main: killed by the OOM killer (memory limit 64M)\n", said(r))
  end)

  it("a spinner limited to 0.2 CPUs gets about that share", function()
    if not need_cgroups() then return end
    local p, r = run("cpu = 0.2", { "spin", "1", "cputime" })
    assert.are.equal(0, r.code, r.stderr)
    local used = tonumber(p.first("cputime"))
    -- loose on purpose: 0.2 s expected over a 1 s spin; unlimited, 1 s
    assert.is_true(used > 0 and used < 500000, tostring(used))
  end)

  it("put the void in a cgroup of its own, at the root of its cgroup namespace", function()
    if not need_cgroups() then return end
    local h = spawn({ pids = 8 }, { "sleep", "30" })
    assert(h:ready())
    local f = assert(io.open("/proc/" .. h.pid .. "/cgroup"))
    local seen = f:read("a")
    f:close()
    local want = "/voidrun/" .. mypidns .. "-" .. core.getpid() .. "-"
    assert.is_truthy(seen:find(want, 1, true), seen)
    h:kill(9)
    h:wait()
    -- inside, the void is at "/" of every hierarchy it has a cgroup in
    local p, r = run("pids = 8", { "cgroup" })
    assert.are.equal(0, r.code, r.stderr)
    local line
    for _, l in ipairs(p.cgroup) do
      if (cg.version == 2 and l:match("^0::")) or (cg.version == 1 and l:match("^%d+:[%w,]*pids[%w,]*:")) then
        line = l
      end
    end
    assert.is_truthy(line and line:match(":/$"), table.concat(p.cgroup, "\n"))
  end)

  it("usage comes from the cgroup: peak memory, no OOM kill", function()
    if not need_cgroups() then return end
    local h = spawn({ memory = 128 << 20, pids = 8 }, { "alloc", "32" })
    local running = h:usage()
    assert.is_true(running.cgroup)
    local res = h:wait()
    assert.are.equal(0, res.status, res.error)
    local u = h:usage()
    assert.is_true(u.cgroup)
    assert.is_true(u.memory_peak >= 32 << 20 and u.memory_peak <= 128 << 20, tostring(u.memory_peak))
    assert.are.equal(0, u.oom_kills)
    assert.is_number(u.cpu_usec)
  end)

  it("removes the cgroup of a void that was killed", function()
    if not need_cgroups() then return end
    local h = spawn({ pids = 8, memory = "32M" }, { "fork-bomb", "4", "sleep", "30" })
    assert(h:ready())
    h:kill(9)
    local res = h:wait()
    assert.are.equal(128 + 9, res.status)
    -- after_each: no cgroup left
  end)

  it("on cgroup v1, swap without memory is an error", function()
    if not need_cgroups() then return end
    if cg.version ~= 1 then
      pending("cgroup v2 limits swap alone")
      return
    end
    local _, r = run("swap = 0", { "echo", "ran" })
    assert.are.equal(125, r.code)
    assert.are.equal("voidrun: main: limit swap: cgroup v1 limits swap only together with memory: " ..
      "Invalid argument\n", said(r))
  end)
end)
