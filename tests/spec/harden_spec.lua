-- SPDX-License-Identifier: MIT
-- The profile's hardening keys, through the real binary: seccomp policies
-- (checked at the profile line, compiled once, felt from inside), caps,
-- and Landlock's scoping where voids share a namespace with the host.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local vr, core = H.vr, H.core
local harden = require "voidrun.harden"

-- A profile running the probe (alone in its void) with the given keys.
local function probe_profile(keys)
  return H.profile(([[
local vr = require "voidrun"
vr.void "main" {
  exec = { "/probe", table.unpack(vr.args) },
  fs = { vr.exe(vr.libexec "voidrun-probe", "/probe") },
  %s
}
]]):format(keys))
end

-- Everything the probe itself needs to run its commands, as groups.
local PROBE_GROUPS = [["@base", "@basic-io", "@file-system", "@memory", "@process", "@signal"]]

describe("seccomp policies", function()
  after_each(H.cleanup)

  it("errors name the profile line: unknown calls, groups, keys and contradictions", function()
    local cases = {
      { [[seccomp = { deny = { "ptrac" } },]], "seccomp.deny%[1%]: unknown system call 'ptrac'" },
      { [[seccomp = { allow = { "@nope" } },]], "seccomp.allow%[1%]: unknown group '@nope' %(groups: @base," },
      { [[seccomp = { dfault = "kill" },]], "unknown key 'dfault' in seccomp %(keys: allow, default, deny," },
      { [[seccomp = { default = "maybe" },]], "seccomp.default must be one of allow, errno, kill, trap, log" },
      { [[seccomp = { deny_action = "allow" },]], "seccomp.deny_action must be one of errno, kill, trap, log" },
      { [[seccomp = { errno = "ENOTANERRNO" },]], "seccomp.errno: unknown errno name 'ENOTANERRNO'" },
      { [[seccomp = { allow = { "ptrace" }, deny = { "ptrace" } },]], "'ptrace' is both allowed and denied" },
      { [[seccomp = { deny = { "execve" } },]], "execve cannot be denied" },
      { [[seccomp = { deny = { "@network" }, allow = { { "socket", args = { [1] = { "==", 1 } } } } },]],
        "the allow of 'socket' with args can never apply: it is denied outright %(by @network%)" },
      { [[seccomp = { deny = { { "socket", args = { [7] = { "==", 1 } } } } },]],
        "args key 7 must be an argument position 1 to 6" },
      { [[seccomp = { deny = { { "socket", args = { [1] = { "=", 1 } } } } },]], "unknown comparison =" },
      { [[seccomp = { deny = { { "socket", args = { [1] = { "==", "1" } } } } },]],
        "args%[1%]: the value must be an integer, got string" },
      { [[seccomp = "strict",]], "seccomp must be a table" },
      { [[seccomp = { deny = { "exit_group" }, deny_action = "kill" },]],
        "exit and exit_group cannot be denied with kill: an entry whose exec failed must be able to exit" },
      { [[caps = { "net_bind_servic" },]], "caps%[1%]: unknown capability 'net_bind_servic'" },
      { [[caps = "net_bind_service",]], "caps must be a list of capability names, got string" },
    }
    for _, c in ipairs(cases) do
      local prof = probe_profile(c[1])
      local r = H.voidrun({ prof })
      assert.are.equal(125, r.code, c[1])
      local lines = H.lines(r.stderr)
      assert.are.equal(1, #lines, r.stderr)
      -- the line of the vr.void call
      assert.is_truthy(lines[1]:find("voidrun: " .. prof .. ":2: ", 1, true), lines[1])
      assert.is_truthy(lines[1]:match(c[2]), lines[1] .. "\n  wanted: " .. c[2])
    end
  end)

  it("every group names only system calls libseccomp knows", function()
    for name, list in pairs(harden.groups) do
      assert.is_truthy(#list > 0, name)
      for _, call in ipairs(list) do
        local nr, _, errno = core.seccomp_resolve(call)
        assert.is_truthy(nr or errno == 38, name .. ": " .. call)
      end
    end
  end)

  it("default kill with an allow list lets /bin/true run", function()
    local prof = H.profile([[
local vr = require "voidrun"
vr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" },
  seccomp = { default = "kill", allow = { "access", "arch_prctl", "brk", "close", "exit_group", "mmap",
    "mprotect", "munmap", "newfstatat", "openat", "pread64", "prlimit64", "read", "rseq",
    "set_robust_list", "set_tid_address", "getrandom" } } }
]])
    local r = H.voidrun({ prof })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", r.stderr)
  end)

  it("a call the policy kills ends the void, and voidrun names it (status 159)", function()
    -- ptrace is also one the default filter refuses with EPERM: the kill wins.
    local prof = probe_profile(("seccomp = { default = 'kill', allow = { %s } },"):format(PROBE_GROUPS))
    local r = H.voidrun({ prof, "echo", "before", "ptrace", "1", "echo", "after" })
    assert.are.equal(159, r.code, r.stderr)
    assert.are.equal("echo before\n", r.stdout)
    assert.are.same({ "voidrun: main: killed by seccomp: ptrace" }, H.lines(r.stderr))
  end)

  it("under a policy that kills, pid 1 still keeps the time limit (it waits in poll then)", function()
    local prof = probe_profile(("seccomp = { default = 'kill', allow = { %s, '@time' } }, limits = { time = 0.3 },")
      :format(PROBE_GROUPS))
    local r = H.voidrun({ prof, "sleep", "10" })
    assert.are.equal(124, r.code, r.stderr)
    assert.are.same({ "voidrun: main: time limit (0.3 s) reached, killed" }, H.lines(r.stderr))
  end)

  it("a call the policy kills from another thread of the entry ends the void, named", function()
    local prof = probe_profile(("seccomp = { default = 'kill', allow = { %s } },"):format(PROBE_GROUPS))
    local r = H.voidrun({ prof, "echo", "before", "thread-ptrace", "echo", "after" })
    assert.are.equal(159, r.code, r.stderr)
    assert.are.equal("echo before\n", r.stdout)
    assert.are.same({ "voidrun: main: killed by seccomp: ptrace" }, H.lines(r.stderr))
  end)

  it("a denied call with deny_action kill is named too; an allowed one runs", function()
    local prof = probe_profile(([[seccomp = { allow = { %s }, deny = { "keyctl" }, deny_action = "kill" },]])
      :format(PROBE_GROUPS))
    local r = H.voidrun({ prof, "echo", "before", "keyctl", "echo", "after" })
    assert.are.equal(159, r.code, r.stderr)
    assert.are.equal("echo before\n", r.stdout)
    assert.are.same({ "voidrun: main: killed by seccomp: keyctl" }, H.lines(r.stderr))
    -- The default filter still refuses what the policy does not kill.
    r = H.voidrun({ prof, "bpf" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("EPERM", vr.probe.parse(r.stdout).outcome("bpf"))
  end)

  it("a process other than the entry killed for a call is named with its pid", function()
    local prof = H.profile(([[
local vr = require "voidrun"
vr.void "main" {
  exec = { "/bin/sh", "-c", "/probe ptrace 1; echo status $?" },
  fs = { vr.exe "/bin/sh", vr.exe(vr.libexec "voidrun-probe", "/probe") },
  seccomp = { default = "kill", allow = { %s, "@process" } },
}
]]):format(PROBE_GROUPS))
    local r = H.voidrun({ prof })
    assert.are.equal(0, r.code, r.stderr)
    -- Its parent sees it killed (pid 1 kills with SIGKILL)...
    assert.are.equal("status 137\n", r.stdout)
    -- ...and voidrun says for which call (the shell says "Killed").
    local lines = {}
    for _, l in ipairs(H.lines(r.stderr)) do
      if l:find("^voidrun: ") then lines[#lines + 1] = l end
    end
    assert.are.equal(1, #lines, r.stderr)
    assert.is_truthy(lines[1]:match("^voidrun: main: process %d+ %(in the void%) killed by seccomp: ptrace$"), r.stderr)
  end)

  it("a function entry's kill is the kernel's own: reported unnamed", function()
    -- Lua needs memory: a function entry that may not map any is killed.
    local prof = H.profile([[
local vr = require "voidrun"
vr.void "main" {
  run = function(ctx) return #string.rep("x", 1 << 26) > 0 and 0 or 1 end,
  seccomp = { deny = { "mmap" }, deny_action = "kill" },
}
]])
    local r = H.voidrun({ prof })
    assert.are.equal(159, r.code, r.stderr)
    assert.are.same({ "voidrun: main: killed by seccomp (SIGSYS)" }, H.lines(r.stderr))
  end)


  it("deny with errno: the policy's errno wins over the default filter's", function()
    local prof = probe_profile([[seccomp = { deny = { "keyctl", "@network" }, errno = "EACCES" },]])
    local r = H.voidrun({ prof, "keyctl", "connect-unix", "@x", "bpf" })
    assert.are.equal(0, r.code, r.stderr)
    local p = vr.probe.parse(r.stdout)
    assert.are.equal("EACCES", p.outcome("keyctl"))
    assert.are.equal("EACCES", p.outcome("connect-unix"))
    -- the default filter stays under every policy
    assert.are.equal("EPERM", p.outcome("bpf"))
  end)

  it("a deny with args carves an exception: no AF_INET socket, AF_UNIX still", function()
    local prof = probe_profile([[seccomp = { deny = { { "socket", args = { [1] = { "==", 2 } } } } },]])
    local r = H.voidrun({ prof, "connect-tcp", "127.0.0.1", "1", "connect-unix", "@x" })
    assert.are.equal(0, r.code, r.stderr)
    local p = vr.probe.parse(r.stdout)
    assert.are.equal("EPERM", p.outcome("connect-tcp"))
    assert.are.equal("ECONNREFUSED", p.outcome("connect-unix"))
  end)

  it("an allow with a masked argument: only SOCK_STREAM sockets", function()
    local prof = probe_profile(([[seccomp = { default = "errno", errno = "EACCES",
      allow = { %s, "@io-event", "connect", "getsockopt",
        { "socket", args = { [2] = { "&", 0xff, 1 } } } } },]]):format(PROBE_GROUPS))
    local r = H.voidrun({ prof, "connect-unix", "@x", "bind-tcp", "1024", "keyctl" })
    assert.are.equal(0, r.code, r.stderr)
    local p = vr.probe.parse(r.stdout)
    assert.are.equal("ECONNREFUSED", p.outcome("connect-unix"))
    -- bind is not allowed
    assert.are.equal("EACCES", p.outcome("bind-tcp"))
    -- the policy's errno for what it does not name, the default's EPERM
    -- loses to it
    assert.are.equal("EACCES", p.outcome("keyctl"))
  end)

  it("compiles a void's filter once, however many plans are made from it", function()
    local v = vr.void "m" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" },
      seccomp = { default = "kill", allow = { "@base" } } }
    local profile = require "voidrun.profile"
    local a, b = profile.plan_table(v), profile.plan_table(v)
    assert.are.equal(a.seccomp, b.seccomp)
    assert.is_truthy(a.seccomp:size() > 0)
    for _ = 1, 3 do
      local r = vr.run(v)
      assert.are.equal(0, r.status, r.error)
    end
  end)
end)

describe("voidrun check", function()
  after_each(H.cleanup)

  it("shows a void's policy and kept capabilities", function()
    local prof = probe_profile([[caps = { "net_bind_service" },
      seccomp = { default = "kill", allow = { "@base" }, deny_action = "errno", errno = "EACCES" },]])
    local r = H.voidrun({ "check", prof })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:find("\n  seccomp   default kill, %d+ rules, deny errno, errno 13 %(Permission denied%); " ..
      "%d+ BPF instructions after the default filter\n"), r.stdout)
    assert.is_truthy(r.stdout:find("\n  caps      net_bind_service\n"), r.stdout)
  end)
end)

describe("caps", function()
  after_each(H.cleanup)

  it("keeps exactly the capabilities named, across exec, and they work", function()
    local prof = probe_profile([[caps = { "net_bind_service", "NET_BIND_SERVICE" },]])
    local r = H.voidrun({ prof, "report", "bind-tcp", "80", "capset-raise", "21" })
    assert.are.equal(0, r.code, r.stderr)
    local p = vr.probe.parse(r.stdout)
    for _, set in ipairs { "cap_prm", "cap_eff", "cap_inh", "cap_amb", "cap_bnd" } do
      assert.are.equal("0000000000000400", p.first(set), set)
    end
    assert.are.equal("ok", p.outcome("bind-tcp"))
    assert.are.equal("EPERM", p.outcome("capset-raise"))
  end)

  it("an empty list is the default: none", function()
    local r = H.voidrun({ probe_profile("caps = {},"), "report", "bind-tcp", "80" })
    local p = vr.probe.parse(r.stdout)
    assert.are.equal("0000000000000000", p.first("cap_eff"))
    assert.are.equal("EACCES", p.outcome("bind-tcp"))
  end)

  it("a capability the launcher lacks is an error at the profile line", function()
    if not H.is_root then
      -- an unprivileged launcher cannot reduce its own bounding set
      pending("needs root: setpriv --bounding-set")
      return
    end
    local prof = probe_profile([[caps = { "net_bind_service" },]])
    local r = H.sh(("setpriv --bounding-set -net_bind_service -- env -i PATH=/usr/bin:/bin %s %s </dev/null"):format(
      H.shq(H.bin), H.shq(prof)))
    assert.are.equal(125, r.code, r.stderr)
    assert.are.same({ "voidrun: " .. prof .. ":2: caps: the launcher lacks net_bind_service (not in its permitted set), " ..
      "and a void never exceeds its launcher" }, H.lines(r.stderr))
  end)
end)

describe("Landlock scoping", function()
  local abi = core.landlock_abi()

  -- The probe alone, in a void that shares the host's network and pid
  -- namespaces (a plan of the core API; profiles always make new ones).
  local function shared(args)
    local profile = require "voidrun.profile"
    local v = vr.void "m" { exec = { "/probe", table.unpack(args) }, fs = { vr.exe(vr.libexec "voidrun-probe", "/probe") } }
    local t = profile.plan_table(v, { namespaces = { "newuser", "newns", "newipc", "newuts", "newcgroup" } })
    local out = os.tmpname()
    local fd = assert(core.open(out, "w"))
    t.fds = { { src = fd, dst = 1 } }
    local plan <close> = core.plan(t)
    local h = assert(plan:spawn())
    local r = h:wait()
    core.close(fd)
    local f = assert(io.open(out))
    local s = f:read("a")
    f:close()
    os.remove(out)
    return r, vr.probe.parse(s)
  end

  it("keeps a void from the host's abstract sockets and processes, even in their namespaces", function()
    if not abi or abi < 6 then
      pending("needs Landlock ABI 6 (this kernel: " .. tostring(abi) .. ")")
      return
    end
    local name = "@voidrun-test-" .. core.getpid()
    local f = assert(io.popen(("sh -c 'echo $$; exec %s listen-unix %s sleep 60' 2>&1"):format(H.shq(H.probe), name)))
    local pid = tonumber(f:read("l"))
    assert.are.equal("result listen-unix ok", f:read("l"))
    local r, p = shared({ "connect-unix", name, "kill", tostring(pid), "0" })
    core.kill(pid, 9)
    f:close()
    assert.are.equal(0, r.status)
    -- the same netns holds the name, the same pid namespace the process:
    -- only Landlock's scopes stand between them
    assert.are.equal("EPERM", p.outcome("connect-unix"))
    assert.are.equal("EPERM", p.outcome("kill"))
  end)
end)
