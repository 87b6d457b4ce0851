-- SPDX-License-Identifier: MIT
-- Networks (doc/network.md): vr.network between voids, vr.host_link to the
-- host, net = "host", and the default (lo alone), with real traffic, seen
-- from inside; and that nothing is left behind, also after kill -9 of
-- voidrun. Runs as root and as an unprivileged user (scripts/test.sh);
-- what needs root (vr.host_link) skips loudly there.
--
-- Addresses are given only to interfaces voidrun creates for these tests,
-- inside namespaces it creates (and the host end of a vr.host_link), in
-- 10.89.x and 10.90.x; traffic goes only to those addresses or loopback.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core

local BUSYBOX = "/bin/busybox"

after_each(H.cleanup)

-- A profile: the vr.network/probe preamble, then the voids.
local function profile(body)
  return H.profile(([[
local vr = require "voidrun"
local fs = { vr.exe %q, vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.proc(), vr.dev(), vr.tmpfs "/tmp" }
local function sh(script) return { %q, "sh", "-c", script } end
]]):format(BUSYBOX, BUSYBOX) .. body)
end

-- The names of the host's links that voidrun made ("vr<pid>.<n>").
local function vr_links()
  local names = {}
  local r = H.sh("ls /sys/class/net")
  for name in r.stdout:gmatch("%S+") do
    if name:match("^vr%d+%.%d+$") then names[#names + 1] = name end
  end
  table.sort(names)
  return table.concat(names, " ")
end

-- Processes holding network namespace inode ino (as their own, or as an
-- open fd): "pid pid ..." or "".
local function holders(ino)
  local r = H.sh(([[for p in /proc/[0-9]*; do
  for f in $p/ns/net $p/fd/*; do
    [ "$(readlink $f 2>/dev/null)" = "net:[%d]" ] && { echo "${p#/proc/}"; break; }
  done
done]]):format(ino))
  return (r.stdout:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- The network namespace inodes voidrun pid holds as fds (its bridge
-- namespace), other than its own.
local function held_netns(pid)
  local own = H.readlink("/proc/" .. pid .. "/ns/net")
  local r = H.sh("for f in /proc/" .. pid .. "/fd/*; do readlink $f; done")
  local t = {}
  for ns in r.stdout:gmatch("net:%[%d+%]") do
    if ns ~= own then t[#t + 1] = tonumber(ns:match("%d+")) end
  end
  return t
end

-- Poll (bounded, no timing asserted) until f() returns a value equal to
-- want; returns the last value. Network namespaces are destroyed by the
-- kernel asynchronously, after their last user is gone.
local function settle(f, want)
  local got
  for _ = 1, 300 do
    got = f()
    if got == want then break end
    H.sh("sleep 0.02")
  end
  return got
end

describe("vr.network", function()
  it("carries TCP between the voids on it; a void on another network or none cannot reach them", function()
    local path = profile [[
local backend = vr.network{ subnet = "10.89.0.0/24" }
local other = vr.network{ subnet = "10.89.1.0/24" }
vr.void "db" { exec = sh "busybox nc -l -p 7000", fs = fs, net = { backend, ip = "10.89.0.2" } }
vr.void "app" {
  -- (a here-document, not a pipe: its text is there before nc runs, so
  -- that nc sends it even when db's nc, reading /dev/null, has already
  -- half-closed the connection)
  exec = sh [=[for i in $(busybox seq 100); do
    busybox nc 10.89.0.2 7000 <<END && exit 0
hello from app
END
    busybox usleep 50000; done; exit 1]=],
  fs = fs, net = { backend, ip = "10.89.0.3" }, after = { "db" } }
vr.void "lone" { exec = { "/probe", "connect-tcp", "10.89.0.2", "7000" }, fs = fs }
vr.void "stranger" { exec = { "/probe", "connect-tcp", "10.89.0.2", "7000" }, fs = fs,
  net = { other, ip = "10.89.1.2" } }
]]
    local r = H.voidrun { path }
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", r.stderr)
    -- db printed what app sent it
    assert.is_truthy(r.stdout:find("hello from app\n", 1, true), r.stdout)
    -- no route to a network the void is not on
    local outcomes = H.vr.probe.parse(r.stdout).outcomes("connect-tcp")
    assert.are.same({ "ENETUNREACH", "ENETUNREACH" }, outcomes)
  end)

  it("gives a void lo and one link per network, named eth0, eth1, with its addresses", function()
    local path = profile [[
local a = vr.network{ subnet = "10.89.0.0/24" }
local b = vr.network{ subnet = "10.89.2.0/28" }
vr.void "two" { exec = { "/probe", "report" }, fs = fs,
  net = { { a, ip = "10.89.0.5" }, { b, ip = "10.89.2.14" } } }
]]
    local r = H.voidrun { path }
    assert.are.equal(0, r.code, r.stderr)
    local p = H.vr.probe.parse(r.stdout)
    assert.are.equal(3, #p.netif, r.stdout)
    assert.is_truthy(p.netif[1]:match("^lo up 127%.0%.0%.1"), p.netif[1])
    assert.is_truthy(p.netif[2]:match("^eth0 up 10%.89%.0%.5"), p.netif[2])
    assert.is_truthy(p.netif[3]:match("^eth1 up 10%.89%.2%.14"), p.netif[3])
  end)

  it("wires a restarted void again", function()
    local path = profile [[
local n = vr.network{ subnet = "10.89.0.0/24" }
vr.void "r" { exec = sh "busybox ip -o -4 addr show eth0", fs = fs, net = { n, ip = "10.89.0.9" },
  on_exit = "restart", restarts = 1 }
]]
    local r = H.voidrun { path }
    assert.are.equal(0, r.code, r.stderr)
    local _, starts = r.stdout:gsub("eth0%s+inet 10%.89%.0%.9/24", "")
    assert.are.equal(2, starts, r.stdout)
    assert.is_truthy(r.stderr:match("r: gave up after 1 restarts"), r.stderr)
  end)

  it("is refused, clearly, to a void a harness runs alone (vr.run: no layout)", function()
    local vr = H.vr
    local n = vr.network { subnet = "10.89.0.0/24" }
    local v = vr.void "alone" { exec = { "/probe" }, fs = { vr.exe(H.probe, "/probe") }, net = { n, ip = "10.89.0.2" } }
    assert.has_error(function() vr.run(v) end,
      "void 'alone': vr.network and vr.host_link links need a layout run by voidrun")
  end)

  it("lets `voidrun enter` from outside into a networked void (the owner rule holds)", function()
    local path = profile [[
local n = vr.network{ subnet = "10.89.0.0/24" }
vr.void "a" { exec = sh "echo ready; exec busybox sleep 1000", fs = fs, stdout = vr.stdout,
  net = { n, ip = "10.89.0.7" } }
]]
    local pid, rd = H.start({ path }, 1)
    finally(function()
      core.kill(pid, 15)
      core.waitpid(pid)
      core.close(rd)
    end)
    local r = H.voidrun({ "enter", tostring(pid), "a", BUSYBOX, "ip", "-o", "-4", "addr" },
      { env = { XDG_RUNTIME_DIR = core.environ().XDG_RUNTIME_DIR } })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:match("eth0%s+inet 10%.89%.0%.7/24"), r.stdout)
  end)
end)

describe("vr.host_link", function()
  it("lets a host client reach a server in the void", function()
    if not H.is_root then
      return pending("needs root: vr.host_link creates a link in the host's network namespace")
    end
    local before = vr_links()
    local path = profile [[
vr.void "web" { exec = sh "echo ready; echo served | busybox nc -l -p 7001", fs = fs, stdout = vr.stdout,
  net = vr.host_link{ ip = "10.90.0.2", host_ip = "10.90.0.1" } }
]]
    local pid, rd, stderr = H.start({ path }, 1)
    local got
    for _ = 1, 200 do
      local fd = core.tcp_connect("10.90.0.2", 7001)
      if fd then
        got = core.read(fd, 100)
        core.close(fd)
        break
      end
      H.sh("sleep 0.02")
    end
    -- while it runs, its host end is on the host, named as voidrun's
    local during = vr_links()
    core.waitpid(pid)
    core.close(rd)
    assert.are.equal("", stderr())
    assert.are.equal("served\n", got)
    assert.are_not.equal(before, during)
    assert.is_truthy(during:match("vr" .. pid .. "%.%d+"), during)
    -- and goes with the void's network namespace
    assert.are.equal(before, settle(vr_links, before))
  end)

  it("is refused to an unprivileged user, in one line naming the profile line", function()
    local path = profile [[
vr.void "web" { exec = sh "true", fs = fs,
  net = vr.host_link{ ip = "10.90.0.2", host_ip = "10.90.0.1" } }
]]
    local r
    if H.is_root then
      -- as nobody (the profile must be readable to it, and voidrun
      -- reachable: a checkout in a 0700 directory is not)
      local as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups "
      if H.sh(as_nobody .. "test -x " .. H.shq(H.bin)).code ~= 0 then
        pending("nobody cannot reach " .. H.bin .. ": the unprivileged run of the specs checks this")
        return
      end
      H.sh("chmod 644 " .. H.shq(path))
      r = H.sh("setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin " ..
        H.shq(H.bin) .. " check " .. H.shq(path))
    else
      r = H.voidrun { "check", path }
    end
    assert.are_not.equal(0, r.code)
    local lines = H.lines(r.stderr)
    assert.are.equal(1, #lines, r.stderr)
    assert.is_truthy(lines[1]:match("^voidrun: .*%.lua:5: vr%.host_link needs root"), lines[1])
  end)
end)

describe("a void's network namespace", function()
  it("by default has lo alone and cannot reach a host loopback service", function()
    local fd, port = assert(core.tcp_listen("127.0.0.1", 0))
    finally(function() core.close(fd) end)
    local path = profile(([[
vr.void "p" { exec = { "/probe", "report", "connect-tcp", "127.0.0.1", "%d" }, fs = fs }
]]):format(port))
    local r = H.voidrun { path }
    assert.are.equal(0, r.code, r.stderr)
    local p = H.vr.probe.parse(r.stdout)
    assert.are.equal(1, #p.netif, r.stdout)
    assert.is_truthy(p.netif[1]:match("^lo up"))
    assert.are.equal("ECONNREFUSED", p.outcome("connect-tcp"))
  end)

  it("is the host's with net = \"host\": its interfaces, its loopback services", function()
    local fd, port = assert(core.tcp_listen("127.0.0.1", 0))
    finally(function() core.close(fd) end)
    local path = profile(([[
vr.void "p" { exec = { "/probe", "report", "connect-tcp", "127.0.0.1", "%d" }, fs = fs, net = "host" }
]]):format(port))
    local r = H.voidrun { path }
    assert.are.equal(0, r.code, r.stderr)
    local p = H.vr.probe.parse(r.stdout)
    -- (voidrun's own links, vr*, may come and go meanwhile: other specs)
    local inside = {}
    for _, l in ipairs(p.netif) do
      local name = l:match("^(%S+)")
      if not name:match("^vr") then inside[#inside + 1] = name end
    end
    table.sort(inside)
    local host = {}
    for name in H.sh("ls /sys/class/net").stdout:gmatch("%S+") do
      if not name:match("^vr") then host[#host + 1] = name end
    end
    table.sort(host)
    assert.are.same(host, inside)
    assert.are.equal("ok", p.outcome("connect-tcp"))
    assert.are_not.equal(H.readlink("/proc/self/ns/net"), nil)
    assert.are.equal(H.readlink("/proc/self/ns/net"), p.first("netns"))
  end)
end)

describe("what a layout's networks leave behind", function()
  -- Two voids on a network (and, as root, one with a host link), each
  -- saying "ready" on voidrun's stdout.
  local function layout()
    local host = H.is_root and [[
vr.void "web" { exec = sh "echo ready; exec busybox sleep 1000", fs = fs, stdout = vr.stdout,
  net = vr.host_link{ ip = "10.90.0.6", host_ip = "10.90.0.5" } }
]] or ""
    return profile([[
local n = vr.network{ subnet = "10.89.3.0/24" }
vr.void "a" { exec = sh "echo ready; exec busybox sleep 1000", fs = fs, stdout = vr.stdout,
  net = { n, ip = "10.89.3.2" } }
vr.void "b" { exec = sh "echo ready; exec busybox sleep 1000", fs = fs, stdout = vr.stdout,
  net = { n, ip = "10.89.3.3" } }
]] .. host), H.is_root and 3 or 2
  end

  local function check_gone(how)
    local snap, links = H.snapshot(), vr_links()
    local path, n = layout()
    local pid, rd, stderr = H.start({ path }, n)
    local held = held_netns(pid)
    -- voidrun holds the one bridge namespace of the layout
    assert.are.equal(1, #held)
    local ino = held[1]
    if H.is_root then assert.are_not.equal(links, vr_links()) end
    core.kill(pid, how)
    core.waitpid(pid)
    core.close(rd)
    stderr()
    assert.are.equal("", settle(function() return holders(ino) end, ""))
    assert.are.equal(links, settle(vr_links, links))
    H.assert_clean(snap)
  end

  it("is nothing once the layout ends", function()
    check_gone(15)
  end)

  it("is nothing after kill -9 of voidrun", function()
    check_gone(9)
  end)
end)

describe("voidrun check", function()
  it("says what network each void has", function()
    local r = H.voidrun { "check", profile [[
local n = vr.network{ subnet = "10.89.0.0/24" }
vr.void "a" { exec = sh "true", fs = fs, net = { n, ip = "10.89.0.2" } }
vr.void "b" { exec = sh "true", fs = fs, net = "host" }
vr.void "c" { exec = sh "true", fs = fs }
]] }
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:find("  net       lo, eth0 10.89.0.2/24 (vr.network 10.89.0.0/24)\n", 1, true), r.stdout)
    assert.is_truthy(r.stdout:find("  namespaces user mount pid ipc uts cgroup (new; net: the host's)\n" , 1, true))
    assert.is_truthy(r.stdout:find("  net       the host's network namespace\n", 1, true))
    assert.is_truthy(r.stdout:find("  net       lo only (a network namespace of its own)\n", 1, true))
  end)
end)

describe("bad network input", function()
  -- voidrun check on a profile; returns the lines it said.
  local function check(body)
    local r = H.voidrun { "check", profile(body) }
    assert.are_not.equal(0, r.code)
    return H.lines(r.stderr), r
  end

  local cases = {
    { [[local n = vr.network{ subnet = "10.89.0.0/33" }]], "vr%.network: subnet must be an IPv4 subnet" },
    { [[local n = vr.network{ subnet = "10.89.0/24" }]], "vr%.network: subnet must be an IPv4 subnet" },
    { [[local n = vr.network{ subnet = "10.89.0.1/24" }]], "vr%.network: subnet 10%.89%.0%.1/24 has host bits set" },
    { [[local n = vr.network{ subnet = "10.89.0.0/24", bridge = "x" }]], "vr%.network: unknown option 'bridge'" },
    { [[local n = vr.network{ subnet = "127.0.0.0/8" }]], "vr%.network: subnet 127%.0%.0%.0/8 is not for links" },
    { [[local n = vr.host_link{ ip = "10.90.0.2", host_ip = "127.0.0.1" }]], "vr%.host_link: host_ip 127%.0%.0%.1 is not for links" },
    { [[local n = vr.host_link{ ip = "224.0.0.1", host_ip = "10.90.0.1" }]], "vr%.host_link: ip 224%.0%.0%.1 is not for links" },
    { [[local n = vr.host_link{ ip = "10.90.0.2", host_ip = "10.90.0.2" }]], "vr%.host_link: ip and host_ip must differ" },
    { [[local n = vr.host_link{ ip = "10.90.0.2", host = "10.90.0.1" }]], "vr%.host_link: unknown option 'host'" },
    { [[local n = vr.host_link{ ip = "10.90.0.300", host_ip = "10.90.0.1" }]], "vr%.host_link: ip must be an IPv4 address" },
    { [[vr.void "a" { exec = sh "true", fs = fs, net = "none" }]], "net must be \"host\"" },
    { [[vr.void "a" { exec = sh "true", fs = fs, net = { vr.network{ subnet = "10.89.0.0/24" }, ip = "10.89.1.2" } }]],
      "net: ip 10%.89%.1%.2 is outside the network's subnet 10%.89%.0%.0/24" },
    { [[vr.void "a" { exec = sh "true", fs = fs, net = { vr.network{ subnet = "10.89.0.0/24" }, ip = "10.89.0.255" } }]],
      "net: ip 10%.89%.0%.255 is the broadcast address" },
    { [[vr.void "a" { exec = sh "true", fs = fs, net = { vr.network{ subnet = "10.89.0.0/24" }, ipv4 = "10.89.0.2" } }]],
      "net: unknown key 'ipv4'" },
    { [[vr.void "a" { exec = sh "true", fs = fs, net = { { subnet = "10.89.0.0/24" }, ip = "10.89.0.2" } }]],
      "net: expected { network, ip = \"a%.b%.c%.d\" }" },
  }

  for _, c in ipairs(cases) do
    it("says, at the profile line: " .. c[2]:gsub("%%", ""), function()
      local lines = check(c[1])
      assert.are.equal(1, #lines, table.concat(lines, "\n"))
      assert.is_truthy(lines[1]:match("^voidrun: .*%.lua:4: " .. c[2]), lines[1])
    end)
  end

  it("refuses one address given to two voids, at the second void's line", function()
    local lines = check [[
local n = vr.network{ subnet = "10.89.0.0/24" }
vr.void "a" { exec = sh "true", fs = fs, net = { n, ip = "10.89.0.2" } }
vr.void "b" { exec = sh "true", fs = fs, net = { n, ip = "10.89.0.2" } }
]]
    assert.are.equal(1, #lines, table.concat(lines, "\n"))
    assert.is_truthy(lines[1]:match("^voidrun: .*%.lua:6: void 'b': ip 10%.89%.0%.2 on 10%.89%.0%.0/24 is already given to void 'a'$"),
      lines[1])
  end)

  it("refuses a broker's worker on a network", function()
    local lines = check [[
local n = vr.network{ subnet = "10.89.0.0/24" }
vr.broker "b" { on = vr.tcp_listen{ port = 0 }, worker = { exec = sh "true", fs = fs, net = { n, ip = "10.89.0.2" } } }
]]
    assert.are.equal(1, #lines, table.concat(lines, "\n"))
    assert.is_truthy(lines[1]:match("^voidrun: .*%.lua:5: broker 'b': a worker cannot have vr%.network"), lines[1])
  end)
end)
