-- SPDX-License-Identifier: MIT
-- The escape suite: from inside a default void, the probe attempts each way
-- out that container runtimes have had to close, and each must fail with
-- the errno asserted here. Run as root and again as an unprivileged user
-- (scripts/test.sh); doc/threat-model.md says what each wall is.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local vr, core = H.vr, H.core

-- The probe profile's void (probe, /proc, /dev, /tmp), as a description
-- for vr.run, with more fs entries if given.
local function probe_void(extra)
  local fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.proc(), vr.dev(), vr.tmpfs "/tmp" }
  for _, e in ipairs(extra or {}) do fs[#fs + 1] = e end
  return function(args)
    return vr.void "probe" { exec = { "/probe", table.unpack(args) }, fs = fs, env = { PROBE = "1" } }
  end
end

-- Run the probe through the binary; assert it ran, return the report.
local function attempt(...)
  local p, r = H.probe_run({ ... })
  assert.are.equal(0, r.code, r.stderr)
  return p
end

-- A process of the test's own on the host, by its host pid; killed by
-- the returned function.
local function host_sleeper()
  local r = H.sh("sleep 60 >/dev/null 2>&1 </dev/null & echo $!")
  local pid = assert(tonumber(r.stdout:match("%d+")))
  return pid, function() core.kill(pid, 9) end
end

-- The host probe listening on an abstract unix socket until stopped.
local function host_listener(name)
  local f = assert(io.popen(("sh -c 'echo $$; exec %s listen-unix %s sleep 60' 2>&1"):format(H.shq(H.probe), name)))
  local pid = tonumber(f:read("l"))
  local line = f:read("l")
  assert.are.equal("result listen-unix ok", line)
  return function()
    core.kill(pid, 9)
    f:close()
  end
end

describe("from inside a default void", function()
  it("the host's secrets do not exist: /etc/shadow, also through pid 1's root", function()
    local p = attempt("read", "/etc/shadow", "read", "/proc/1/root/etc/shadow", "ls", "/proc/1/root")
    assert.are.same({ "ENOENT", "EACCES" }, p.outcomes("read"))
    assert.are.equal("EACCES", p.outcome("ls"))
  end)

  it("a host process can be neither seen nor signalled nor traced, by its host pid", function()
    local pid, stop = host_sleeper()
    local p = attempt("kill", tostring(pid), "0", "kill", tostring(pid), "KILL", "ptrace", tostring(pid),
      "report")
    stop()
    -- a pid namespace of its own: the host's pids do not exist in it
    assert.are.same({ "ESRCH", "ESRCH" }, p.outcomes("kill"))
    -- ptrace is refused outright by the default filter, before any lookup
    assert.are.equal("EPERM", p.outcome("ptrace"))
    assert.are.equal("1 2", p.first("pids"))
  end)

  it("nothing can be traced, not even its own pid 1", function()
    local p = attempt("ptrace", "1", "ptrace", "2")
    assert.are.same({ "EPERM", "EPERM" }, p.outcomes("ptrace"))
  end)

  it("cannot mount, make namespaces or clone into new ones", function()
    local p = attempt("mount-tmpfs", "/tmp", "unshare", "user", "unshare", "mount", "unshare", "net",
      "clone-ns", "user", "clone-ns", "mount", "clone3")
    assert.are.equal("EPERM", p.outcome("mount-tmpfs"))
    assert.are.same({ "EPERM", "EPERM", "EPERM" }, p.outcomes("unshare"))
    -- a user namespace is what an unprivileged process may make anywhere
    -- else: in a void, clone with a namespace flag is refused
    assert.are.same({ "EPERM", "EPERM" }, p.outcomes("clone-ns"))
    -- clone3 hides its flags from seccomp: ENOSYS, so libc uses clone
    assert.are.equal("ENOSYS", p.outcome("clone3"))
  end)

  it("cannot setns back out, even given a host namespace fd", function()
    local fds = {}
    for i, ns in ipairs { "user", "mnt", "net", "pid" } do
      fds[i + 2] = assert(core.open("/proc/self/ns/" .. ns, "r"))
    end
    local r = vr.run(probe_void()({ "setns-fd", "3", "setns-fd", "4", "setns-fd", "5", "setns-fd", "6" }),
      { stdout = "capture", stderr = "capture", fds = fds })
    for _, fd in pairs(fds) do core.close(fd) end
    assert.are.equal(0, r.status, r.stderr)
    local p = vr.probe.parse(r.stdout)
    assert.are.same({ "EPERM", "EPERM", "EPERM", "EPERM" }, p.outcomes("setns-fd"))
  end)

  it("cannot make device nodes", function()
    local p = attempt("mknod", "/tmp/null", "mknod", "/dev/null2")
    assert.are.equal("EPERM", p.outcomes("mknod")[1])
    assert.are.equal("EROFS", p.outcomes("mknod")[2])
  end)

  it("cannot write to a read-only bind", function()
    local dir = H.tmpdir()
    local f = assert(io.open(dir .. "/data", "w"))
    f:write("host\n")
    f:close()
    os.execute("chmod 777 " .. H.shq(dir) .. " && chmod 666 " .. H.shq(dir .. "/data"))
    local r = vr.run(probe_void { vr.ro(dir, "/data") }({ "write", "/data/data", "write", "/data/new",
      "mkdir", "/data/d" }), { stdout = "capture", stderr = "capture" })
    local p = vr.probe.parse(r.stdout)
    assert.are.same({ "EROFS", "EROFS" }, p.outcomes("write"))
    assert.are.equal("EROFS", p.outcome("mkdir"))
    f = assert(io.open(dir .. "/data"))
    assert.are.equal("host\n", f:read("a"))
    f:close()
    H.rmtree(dir)
  end)

  it("cannot load a module, kexec, or reach the kernel's riskier interfaces", function()
    local p = attempt("init-module", "kexec", "bpf", "perf-event", "userfaultfd", "keyctl", "io-uring")
    for _, what in ipairs { "init-module", "kexec", "bpf", "perf-event", "userfaultfd", "keyctl", "io-uring" } do
      assert.are.equal("EPERM", p.outcome(what), what)
    end
  end)

  it("cannot change its personality beyond Linux's", function()
    -- ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC; the query and PER_LINUX work
    local p = attempt("personality", "0x0040000", "personality", "0x0400000", "personality", "0xffffffff",
      "personality", "0")
    assert.are.same({ "EPERM", "EPERM", "ok", "ok" }, p.outcomes("personality"))
  end)

  it("cannot raise or use a dropped capability", function()
    -- 21 CAP_SYS_ADMIN, 10 CAP_NET_BIND_SERVICE, 12 CAP_NET_ADMIN
    local p = attempt("capset-raise", "21", "capset-raise", "10", "capset-raise", "12", "bind-tcp", "80",
      "sethostname", "x", "report")
    assert.are.same({ "EPERM", "EPERM", "EPERM" }, p.outcomes("capset-raise"))
    assert.are.equal("EACCES", p.outcome("bind-tcp"))
    assert.are.equal("0000000000000000", p.first("cap_eff"))
    assert.are.equal("0000000000000000", p.first("cap_bnd"))
  end)

  it("cannot reach a host abstract unix socket", function()
    local name = "@voidrun-test-" .. core.getpid()
    local stop = host_listener(name)
    local host = vr.probe.parse(H.sh(H.shq(H.probe) .. " connect-unix " .. name).stdout)
    local p = attempt("connect-unix", name)
    stop()
    assert.are.equal("ok", host.outcome("connect-unix"))
    -- abstract names belong to the network namespace: not there at all
    assert.are.equal("ECONNREFUSED", p.outcome("connect-unix"))
  end)

  it("cannot reach any network: not the host's loopback, not the outside", function()
    local fd, port = assert(core.tcp_listen("127.0.0.1", 0))
    local p = attempt("connect-tcp", "127.0.0.1", tostring(port), "connect-tcp", "1.1.1.1", "80")
    core.close(fd)
    assert.are.same({ "ECONNREFUSED", "ENETUNREACH" }, p.outcomes("connect-tcp"))
  end)

  it("cannot push input into an inherited terminal with TIOCSTI", function()
    if H.sh("command -v script").code ~= 0 then
      pending("script(1) is not installed: no way to give voidrun a terminal")
      return
    end
    -- voidrun under a pty of script(1): the void inherits it as stdout
    local cmd = ("env -i PATH=/usr/bin:/bin %s %s tiocsti 1 tiocsti 2 tiocsti 0 report"):format(
      H.shq(H.bin), H.shq(H.probe_profile))
    local r = H.sh("script -qec " .. H.shq(cmd) .. " /dev/null </dev/null")
    local p = vr.probe.parse((r.stdout:gsub("\r", "")))
    assert.are.equal("yes", p.tty[2]:match("^1 (%S+)"), "stdout is not a terminal: " .. r.stdout)
    -- refused by the filter before the kernel looks at the fd: also on
    -- fd 0, /dev/null, where the tty layer would say ENOTTY
    assert.are.same({ "EPERM", "EPERM", "EPERM" }, p.outcomes("tiocsti"))
  end)

  it("cannot reach the host through /proc/self/exe or pid 1's exe, root and cwd", function()
    local p = attempt("write", "/proc/self/exe", "read", "/proc/1/exe", "write", "/proc/1/exe",
      "ls", "/proc/1/root", "stat", "/proc/1/cwd")
    -- the probe's own binary is a read-only bind; pid 1 (a copy of
    -- voidrun) is not dumpable, so its links are closed to the entry
    assert.are.same({ "EROFS", "EACCES" }, p.outcomes("write"))
    assert.are.equal("EACCES", p.outcome("read"))
    assert.are.equal("EACCES", p.outcome("ls"))
    assert.are.equal("EACCES", p.outcome("stat"))
  end)

  it("gets no fd that voidrun itself inherited", function()
    -- fd 3 is the host's root, opened by the shell without close-on-exec
    local r = H.sh(("exec 3</; env -i PATH=/usr/bin:/bin %s %s read /proc/self/fd/3/etc/passwd report </dev/null"):format(
      H.shq(H.bin), H.shq(H.probe_profile)))
    assert.are.equal(0, r.code, r.stderr)
    local p = vr.probe.parse(r.stdout)
    assert.are.equal("ENOENT", p.outcome("read"))
    assert.are.equal(3, #p.fd)
  end)

  it("cannot open files below a host directory fd it was given (Landlock)", function()
    local abi = core.landlock_abi()
    if not abi or abi < 2 then
      pending("needs Landlock ABI 2 (this kernel: " .. tostring(abi) .. ")")
      return
    end
    local dir = H.tmpdir()
    local f = assert(io.open(dir .. "/data", "w"))
    f:write("host\n")
    f:close()
    os.execute("chmod 644 " .. H.shq(dir .. "/data"))
    local fd = assert(core.open(dir, "r"))
    local r = vr.run(probe_void()({ "read", "/proc/self/fd/3/data", "ls", "/proc/self/fd/3",
      "write", "/proc/self/fd/3/new" }), { stdout = "capture", stderr = "capture", fds = { [3] = fd } })
    core.close(fd)
    local host = vr.probe.parse(H.sh(H.shq(H.probe) .. " read " .. H.shq(dir .. "/data")).stdout)
    H.rmtree(dir)
    assert.are.equal("ok", host.outcome("read"))
    local p = vr.probe.parse(r.stdout)
    -- the directory is outside every rule: nothing below it opens
    assert.are.equal("EACCES", p.outcome("read"))
    assert.are.equal("EACCES", p.outcome("ls"))
    assert.are.equal("EACCES", p.outcome("write"))
  end)
end)
