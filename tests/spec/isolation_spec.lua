-- SPDX-License-Identifier: MIT
-- What a default void is, asserted from inside by the probe. These specs
-- run as root and again as an unprivileged user (scripts/test.sh); the
-- expectations differ only in the host id the void maps to.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core

describe("a default void, seen from inside", function()
  local p, r

  setup(function()
    p, r = H.probe_run({ "report" })
  end)

  it("ran the probe", function()
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", r.stderr)
  end)

  it("is root inside, mapped to an unprivileged host id (nobody as root, the user otherwise)", function()
    assert.are.equal("0", p.first("uid"))
    assert.are.equal("0", p.first("gid"))
    local host = H.is_root and 65534 or H.uid
    local host_gid = H.is_root and 65534 or H.gid
    assert.are.same({ ("0 %d 1"):format(host) }, p.uid_map)
    assert.are.same({ ("0 %d 1"):format(host_gid) }, p.gid_map)
    if H.is_root then
      -- root's supplementary groups were dropped before the void started
      assert.are.equal("", p.first("groups"))
    else
      -- an unprivileged user cannot drop its groups (setgroups is denied
      -- in its user namespace): they show as the mapped own gid (0) or
      -- as unmapped (65534), never as anything the void could use anew
      for g in p.first("groups"):gmatch("%d+") do
        assert.is_truthy(g == "0" or g == "65534", "group " .. g)
      end
    end
  end)

  it("has no capability in any set, and no_new_privs", function()
    for _, set in ipairs { "cap_inh", "cap_prm", "cap_eff", "cap_bnd", "cap_amb" } do
      assert.are.equal("0000000000000000", p.first(set), set)
    end
    assert.are.equal("1", p.first("no_new_privs"))
  end)

  it("is in a new namespace of every kind", function()
    for _, ns in ipairs { "user", "mnt", "pid", "net", "ipc", "uts", "cgroup" } do
      local key = (ns == "mnt" and "mntns") or ns .. "ns"
      local mine = H.readlink("/proc/self/ns/" .. ns)
      assert.is_truthy(p.first(key):match("^" .. ns .. ":%[%d+%]$"), key)
      assert.are_not.equal(mine, p.first(key), key .. " is the host's")
    end
  end)

  it("has hostname 'void'", function()
    assert.are.equal("void", p.first("hostname"))
  end)

  it("sees only its own processes: its pid 1 and itself", function()
    assert.are.equal("2", p.first("pid"))
    assert.are.equal("1", p.first("ppid"))
    assert.are.equal("1 2", p.first("pids"))
  end)

  it("is in a session of its own, without a terminal", function()
    assert.are.equal("1", p.first("sid"))
    for _, t in ipairs(p.tty) do assert.is_falsy(t:match("yes"), t) end
  end)

  it("has only a loopback interface", function()
    assert.are.equal(1, #p.netif)
    assert.is_truthy(p.netif[1]:match("^lo up"))
  end)

  it("has an empty read-only root holding only what the profile gave", function()
    assert.are.equal("dev probe proc tmp", p.first("root_entries"))
    local points = {}
    for _, m in ipairs(p.mount) do
      local point, fstype, opts = m:match("^(%S+) (%S+) (%S+)$")
      points[#points + 1] = point
      if point == "/" then
        assert.are.equal("tmpfs", fstype)
        assert.is_truthy(opts:match("^ro,"), "root is " .. opts)
      end
      if point == "/probe" then assert.is_truthy(opts:match("^ro,.*nosuid"), opts) end
      -- the host's device nodes: usable (rw), nothing else (nosuid, noexec)
      if point:match("^/dev/[a-z]+$") and point ~= "/dev/shm" then
        assert.is_truthy(opts:match("^rw,") and opts:match("nosuid") and opts:match("noexec"), point .. " is " .. opts)
      end
      if point == "/dev" then assert.is_truthy(opts:match("^ro,.*nosuid.*noexec"), opts) end
      if point ~= "/" and point ~= "/probe" then
        assert.is_truthy(point:match("^/dev") or point == "/proc" or point == "/tmp", "unexpected mount " .. point)
      end
    end
    table.sort(points)
    assert.are.same({ "/", "/dev", "/dev/full", "/dev/null", "/dev/random", "/dev/shm", "/dev/tty",
                      "/dev/urandom", "/dev/zero", "/probe", "/proc", "/tmp" }, points)
  end)

  it("has a clean environment: only what the profile set", function()
    assert.are.same({ "PROBE=1" }, p.env)
  end)

  it("has stdin /dev/null, inherited stdout and stderr, and no other fd", function()
    assert.are.equal(3, #p.fd)
    assert.are.equal("0 /dev/null", p.fd[1])
    assert.is_truthy(p.fd[2]:match("^1 "))
    assert.is_truthy(p.fd[3]:match("^2 "))
  end)

  it("blocks and ignores no signal", function()
    assert.are.equal("0000000000000000", p.first("sigblk"))
    assert.are.equal("0000000000000000", p.first("sigign"))
  end)
end)

describe("from inside a default void", function()
  local function attempt(...)
    local p, r = H.probe_run({ ... })
    assert.are.equal(0, r.code, r.stderr)
    return p
  end

  it("the host's files do not exist", function()
    local p = attempt("read", "/etc/shadow", "read", "/etc/passwd", "ls", "/proc/1/root/etc")
    assert.are.same({ "ENOENT", "ENOENT" }, p.outcomes("read"))
    -- pid 1 is not dumpable: its root link is closed to the entry
    assert.are.equal("EACCES", p.outcome("ls"))
  end)

  it("the root and the binds cannot be written", function()
    local p = attempt("write", "/probe", "mkdir", "/new", "write", "/x")
    for _, res in ipairs(p.result) do
      assert.is_truthy(res:match(" EROFS$") or res:match(" EACCES$") or res:match(" ETXTBSY$"), res)
    end
  end)

  it("mounting, mknod, sethostname and setuid are refused", function()
    local p = attempt("mount-tmpfs", "/tmp", "mknod", "/tmp/null", "sethostname", "host", "setuid", "1")
    assert.are.equal("EPERM", p.outcome("mount-tmpfs"))
    assert.are.equal("EPERM", p.outcome("mknod"))
    assert.are.equal("EPERM", p.outcome("sethostname"))
    -- no other id exists in the void's user namespace
    assert.are.equal("EINVAL", p.outcome("setuid"))
  end)

  it("its pid 1 cannot be traced", function()
    local p = attempt("ptrace", "1")
    assert.are.equal("EPERM", p.outcome("ptrace"))
  end)

  it("a mount namespace cannot be made (no CAP_SYS_ADMIN)", function()
    local p = attempt("unshare", "mount")
    assert.are.equal("EPERM", p.outcome("unshare"))
  end)

  it("a server on the host's loopback cannot be reached", function()
    -- A listener of the test's own on host loopback; inside, 127.0.0.1 is
    -- the void's own loopback, where nothing listens.
    local fd, port = assert(core.tcp_listen("127.0.0.1", 0))
    local p = attempt("connect-tcp", "127.0.0.1", tostring(port))
    assert.are.equal("ECONNREFUSED", p.outcome("connect-tcp"))
    -- while the same probe on the host reaches it
    local host = H.vr.probe.parse(H.sh(H.shq(H.probe) .. " connect-tcp 127.0.0.1 " .. port).stdout)
    assert.are.equal("ok", host.outcome("connect-tcp"))
    core.close(fd)
  end)
end)

describe("binds", function()
  local dir

  before_each(function()
    dir = H.tmpdir()
    local f = io.open(dir .. "/data", "w")
    f:write("host data\n")
    f:close()
    -- the void's user (nobody as root, the user otherwise) may write here
    os.execute("chmod 777 " .. H.shq(dir))
  end)

  after_each(function()
    H.rmtree(dir)
    H.cleanup()
  end)

  local function probe_with(fs, ...)
    local prof = H.profile(([[
      local vr = require "voidrun"
      vr.void "main" { exec = { "/probe", table.unpack(vr.args) },
        fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), %s } }
    ]]):format(fs))
    local r = H.voidrun({ prof, ... })
    assert.are.equal(0, r.code, r.stderr)
    return H.vr.probe.parse(r.stdout)
  end

  it("are read-only by default, and show the host file", function()
    local p = probe_with(("vr.ro(%q, '/data')"):format(dir), "read-fd", "0", "read", "/data/data",
      "write", "/data/new")
    assert.are.equal("ok", p.outcome("read"))
    assert.are.equal("EROFS", p.outcome("write"))
    assert.is_nil(io.open(dir .. "/new"))
  end)

  it("are writable with vr.rw, and the host sees what was written", function()
    local p = probe_with(("vr.rw(%q, '/data')"):format(dir), "write", "/data/new")
    assert.are.equal("ok", p.outcome("write"))
    local f = assert(io.open(dir .. "/new"))
    assert.are.equal("x", f:read("a"))
    f:close()
  end)

  it("can come from a directory only the launcher may enter", function()
    -- as root the void is nobody on the host, yet what root could open
    -- (here, below a mode 700 directory) it may be given
    os.execute("mkdir -m 700 " .. H.shq(dir .. "/private") .. " && echo secret > " .. H.shq(dir .. "/private/f"))
    local p = probe_with(("vr.ro(%q, '/f')"):format(dir .. "/private/f"), "read", "/f", "ls", "/")
    assert.are.equal("ok", p.outcome("read"))
  end)

  it("show nothing of the host beside the bound path", function()
    local p = probe_with(("vr.ro(%q, '/srv/d')"):format(dir), "ls", "/srv", "ls", "/srv/d")
    assert.are.same({ "/srv d", ("/srv/d data"):format() }, p.ls)
  end)
end)
