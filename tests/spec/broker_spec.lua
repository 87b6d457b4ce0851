-- SPDX-License-Identifier: MIT
-- Brokers: a fresh void per connection, message or batch of fds, with real
-- socket clients, through the real binary.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core

local function profile(body)
  return H.profile("local vr = require \"voidrun\"\n" .. body)
end

local free_port = H.free_port

-- Start the binary in the background; returns a handle with pid,
-- stop(sig) -> exit code, stderr().
local function start(args)
  local pid, rd, stderr = H.start(args)
  local h = { pid = pid, stderr = stderr }
  function h.stop(sig)
    core.kill(pid, sig or 15)
    local _, code = core.waitpid(pid)
    core.close(rd)
    return code
  end
  return h
end

-- Connect, retrying while the server is still starting (bounded).
local function connect(port)
  for _ = 1, 500 do
    local fd = core.tcp_connect("127.0.0.1", port)
    if fd then return fd end
    H.sh("sleep 0.01")
  end
  error("nothing listens on port " .. port)
end

-- One echo exchange: send, half-close, read to end of file.
local function exchange(port, data)
  return H.echo(connect(port), data)
end

local function voidrun_fds()
  local t = {}
  for name in H.sh("ls /proc/self/fd"):gmatch("%d+") do t[#t + 1] = name end
  return #t
end

after_each(H.cleanup)

describe("profiles/echo.lua", function()
  local port, server, before

  before_each(function()
    before = H.snapshot()
    port = free_port()
    server = start({ "--stats", "--set", "port=" .. port, H.root .. "/profiles/echo.lua" })
  end)

  after_each(function()
    if server then server.stop() end
  end)

  it("echoes through a fresh void per connection, the socket handed over", function()
    assert.are.equal("hello\n", exchange(port, "hello\n"))
    assert.are.equal("again", exchange(port, "again"))
    local big = ("0123456789abcdef"):rep(2048)  -- 32 KiB, sent before any of it is read
    assert.are.equal(big, exchange(port, big))
    -- a broker stopped by a signal ends cleanly: status 0
    assert.are.equal(0, server.stop())
    server = nil
    H.assert_clean(before)
  end)

  it("serves 10,000 sequential connections and leaves nothing behind", function()
    -- voidrun's own fds and children, once it serves, and after 10,000
    local function fds() return #H.lines(H.sh("ls /proc/" .. server.pid .. "/fd").stdout) end
    local function zombies() return H.sh("ps --ppid " .. server.pid .. " -o stat= | grep -c Z").stdout end
    -- Once idle, with its pool of prepared workers full again and the
    -- last worker reaped: the count is read until it holds still (a
    -- client sees its end of file before the broker reaps the worker,
    -- and a prepared worker being built holds fds of its own).
    local function settled(want)
      local last, same = -1, 0
      for _ = 1, 200 do
        local n = fds()
        if n == want then return n end
        same = n == last and same + 1 or 0
        if same >= 5 and not want then return n end
        last = n
        H.sh("sleep 0.02")
      end
      return last
    end
    assert.are.equal("n0", exchange(port, "n0"))
    local fds_then = settled()
    for i = 1, 10000 do
      local got = exchange(port, "n" .. i)
      if got ~= "n" .. i then assert.are.equal("n" .. i, got) end
    end
    assert.are.equal(fds_then, settled(fds_then))
    assert.are.equal("0\n", zombies())
    -- a broker stopped by a signal ends cleanly: status 0
    assert.are.equal(0, server.stop())
    local err = server.stderr()
    server = nil
    assert.is_truthy(err:match("echo: 10001 accepted, 10001 workers started"), err)
    assert.is_truthy(err:match("0 failed, 0 crashed"), err)
    -- what the workers used, all of them
    assert.is_truthy(err:match("echo: workers: largest peak memory [%d.]+[KMG]?, cpu time of all [%d.]+ s"), err)
    H.assert_clean(before)
  end)

  it("serves 200 concurrent connections and leaves nothing behind", function()
    -- 8 client processes, 25 connections each, all at once
    local pids = {}
    connect(port)  -- wait until it listens
    for k = 1, 8 do
      local pid = core.clone3({})
      if pid == 0 then
        local ok = true
        for i = 1, 25 do
          local msg = ("c%d-%d"):format(k, i)
          ok = ok and exchange(port, msg) == msg
        end
        core._exit(ok and 0 or 1)
      end
      pids[#pids + 1] = pid
    end
    for _, pid in ipairs(pids) do assert.are.same({ "exited", 0 }, { core.waitpid(pid) }) end
    -- a broker stopped by a signal ends cleanly: status 0
    assert.are.equal(0, server.stop())
    local err = server.stderr()
    server = nil
    assert.is_truthy(err:match("echo: 201 accepted, 201 workers started"), err)
    H.assert_clean(before)
  end)
end)

describe("a broker", function()
  local function echo_profile(port, more, worker)
    return profile(([[
vr.broker "b" {
  on = vr.tcp_listen { port = %d },
  worker = %s,
  %s
}
]]):format(port, worker or '{ exec = { "/bin/cat" }, fs = { vr.exe "/bin/cat" } }', more or ""))
  end

  it("survives workers that crash", function()
    local port = free_port()
    local s = H.snapshot()
    local server = start({ "--stats", echo_profile(port, "",
      '{ exec = { "/bin/sh", "-c", "read line; echo got $line; kill -9 $$" }, fs = { vr.exe "/bin/sh" } }') })
    for i = 1, 5 do assert.are.equal("got " .. i .. "\n", exchange(port, i .. "\n")) end
    -- a broker stopped by a signal ends cleanly: status 0
    assert.are.equal(0, server.stop())
    local err = server.stderr()
    assert.is_truthy(err:match("5 crashed"), err)
    H.assert_clean(s)
  end)

  it("never runs more than max_workers at once; the rest wait in the backlog", function()
    local port = free_port()
    local server = start({ "--stats", echo_profile(port, "max_workers = 2, prepared = 0",
      '{ exec = { "/bin/sh", "-c", "sleep 0.2; cat" }, fs = { vr.exe "/bin/sh", vr.exe "/bin/sleep", vr.exe "/bin/cat" } }') })
    connect(port)
    local pids = {}
    for k = 1, 6 do
      local pid = core.clone3({})
      if pid == 0 then core._exit(exchange(port, "slow" .. k) == "slow" .. k and 0 or 1) end
      pids[#pids + 1] = pid
    end
    for _, pid in ipairs(pids) do assert.are.same({ "exited", 0 }, { core.waitpid(pid) }) end
    server.stop()
    local err = server.stderr()
    assert.is_truthy(err:match("peak 2 at once"), err)
    assert.is_truthy(err:match("7 accepted"), err)
  end)

  it("closes a connection that sends nothing within idle_timeout, starting no worker", function()
    local port = free_port()
    local server = start({ "--stats", echo_profile(port, "idle_timeout = 0.2") })
    local fd = connect(port)
    -- the broker closes it: we read end of file without having sent
    assert.are.equal("", core.read(fd, 10))
    core.close(fd)
    assert.are.equal("late\n", exchange(port, "late\n"))
    server.stop()
    local err = server.stderr()
    assert.is_truthy(err:match("1 idle closed"), err)
    assert.is_truthy(err:match("1 workers started"), err)
  end)

  it("kills a worker that runs past its timeout", function()
    local port = free_port()
    local server = start({ "--stats", echo_profile(port, "timeout = 0.2",
      '{ exec = { "/bin/sleep", "1000" }, fs = { vr.exe "/bin/sleep" } }') })
    local fd = connect(port)
    assert.are.equal("", core.read(fd, 10))  -- the worker was killed: end of file
    core.close(fd)
    server.stop()
    assert.is_truthy(server.stderr():match("1 timed out"))
  end)

  it("starts one worker per message from a channel, the message on its stdin", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
vr.void "producer" { exec = { "/usr/bin/seq", "-f", "msg %g", 1, 5 }, fs = { vr.exe "/usr/bin/seq" }, stdout = p.tx }
vr.broker "consumer" {
  on = p.rx, each = "message",
  worker = { exec = { "/bin/sh", "-c", "read m; echo \"worker got: $m\"" }, fs = { vr.exe "/bin/sh" }, stdout = vr.stdout },
}
]]) })
    assert.are.equal(0, r.code, r.stderr)
    local lines = H.lines(r.stdout)
    table.sort(lines)
    assert.are.same({ "worker got: msg 1", "worker got: msg 2", "worker got: msg 3", "worker got: msg 4",
                      "worker got: msg 5" }, lines)
  end)

  it("starts one worker per batch of fds received on a socket", function()
    local dir = H.tmpdir()
    for i = 1, 3 do
      local f = io.open(dir .. "/f" .. i, "w")
      f:write("file " .. i .. "\n")
      f:close()
    end
    local r = H.voidrun({ profile(([[
local s = vr.socketpair { type = "seqpacket" }
local files = { vr.file(%q), vr.file(%q), vr.file(%q) }
vr.void "sender" { ends = { s[1], files[1], files[2], files[3] }, run = function()
  for _, f in ipairs(files) do s[1]:send_fd(f) end
end }
vr.broker "readers" {
  on = s[2], each = "fds", conn = 0,
  worker = { exec = { "/bin/cat" }, fs = { vr.exe "/bin/cat" }, stdout = vr.stdout },
}
]]):format(dir .. "/f1", dir .. "/f2", dir .. "/f3")) })
    H.rmtree(dir)
    assert.are.equal(0, r.code, r.stderr)
    local lines = H.lines(r.stdout)
    table.sort(lines)
    assert.are.same({ "file 1", "file 2", "file 3" }, lines)
  end)

  it("on a unix socket, removed when voidrun ends", function()
    local dir = H.tmpdir()
    local path = dir .. "/echo.sock"
    local server = start({ profile(([[
vr.broker "u" { on = vr.unix_listen { path = %q }, worker = { exec = { "/bin/cat" }, fs = { vr.exe "/bin/cat" } } }
]]):format(path)) })
    local p
    for _ = 1, 500 do
      p = H.vr.probe.parse(H.sh(H.shq(H.probe) .. " connect-unix " .. H.shq(path)).stdout)
      if p.outcome("connect-unix") == "ok" then break end
      H.sh("sleep 0.01")
    end
    assert.are.equal("ok", p.outcome("connect-unix"))
    server.stop()
    assert.is_nil(io.open(path))
    H.rmtree(dir)
  end)

  it("bad broker tables are refused at the profile line", function()
    local cases = {
      { 'vr.broker "b" { on = "127.0.0.1:80", worker = {} }', "on must be a listener or a channel end" },
      { 'vr.broker "b" { on = vr.tcp_listen { port = 1 }, worker = { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" } }, max_workers = 0 }',
        "max_workers must be from 1 to 65536" },
      { 'vr.broker "b" { on = vr.tcp_listen { port = 1 } }', "has no worker" },
      { 'vr.broker "b" { on = vr.tcp_listen { port = 1 }, wroker = {} }', "unknown field 'wroker' in broker 'b'" },
      { 'local p = vr.pipe()\nvr.broker "b" { on = p.rx, each = "connection", worker = {} }', "needs a listener" },
    }
    for _, c in ipairs(cases) do
      local r = H.voidrun({ profile(c[1]) })
      assert.are.equal(125, r.code, c[1])
      assert.is_truthy(r.stderr:match(c[2]), r.stderr)
    end
  end)

  it("a port already in use is one clear line, exit 125", function()
    local fd, port = assert(core.tcp_listen("127.0.0.1", 0))
    local r = H.voidrun({ echo_profile(port) })
    core.close(fd)
    assert.are.equal(125, r.code)
    assert.are.equal(1, #H.lines(r.stderr))
    assert.is_truthy(r.stderr:match("cannot listen: .*Address already in use"), r.stderr)
  end)
end)

describe("profiles/tls.lua", function()
  local dir

  before_each(function()
    dir = H.tmpdir()
    -- a test CA and a certificate for localhost and 127.0.0.1, made now
    local r = H.sh(([[cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj "/CN=voidrun test CA" &&
      openssl req -newkey rsa:2048 -nodes -keyout key.pem -out srv.csr -subj "/CN=localhost" &&
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > ext.cnf &&
      openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 1 -extfile ext.cnf &&
      mkdir www && echo '<h1>hello from a void</h1>' > www/index.html && chmod -R a+rX www ca.pem && chmod 600 key.pem]]):format(dir))
    assert.are.equal(0, r.code, r.stderr)
  end)

  after_each(function() H.rmtree(dir) end)

  it("serves HTTPS to curl through a TLS void and an HTTP void per connection", function()
    if not io.open((H.vr.probe.path():gsub("voidrun%-probe$", "voidrun-tls"))) then
      return pending("voidrun-tls was not built (libssl-dev missing)")
    end
    local s = H.snapshot()
    local port = free_port()
    local server = start({ "--stats", "--set", "port=" .. port, "--set", "cert=" .. dir .. "/cert.pem",
      "--set", "key=" .. dir .. "/key.pem", "--set", "root=" .. dir .. "/www", H.root .. "/profiles/tls.lua" })
    connect(port)
    for _, host in ipairs { "localhost", "127.0.0.1" } do
      local r = H.sh(("curl -sS --max-time 10 --cacert %s/ca.pem https://%s:%d/index.html"):format(dir, host, port))
      assert.are.equal("<h1>hello from a void</h1>\n", r.stdout, r.stderr)
    end
    -- a file outside the web root is not there for the HTTP void
    local r = H.sh(("curl -s -o /dev/null -w '%%{http_code}' --cacert %s/ca.pem https://localhost:%d/../key.pem"):format(dir, port))
    assert.are_not.equal("200", r.stdout)
    server.stop()
    local err = server.stderr()
    assert.is_truthy(err:match("tls: %d+ accepted"), err)
    assert.is_truthy(err:match("http: 3 accepted, 3 workers started"), err)
    H.assert_clean(s)
  end)

  it("refuses to start without its certificate, key and web root", function()
    local r = H.voidrun({ H.root .. "/profiles/tls.lua" })
    assert.are.equal(125, r.code)
    assert.is_truthy(r.stderr:match("set cert, key and root"))
  end)
end)

-- Read from fd until the text read so far matches pattern (or end of file).
local function read_until(fd, pattern, got)
  got = got or ""
  while not got:find(pattern) do
    local s = core.read(fd, 65536)
    if not s or s == "" then break end
    got = got .. s
  end
  return got
end

describe("netns = \"shared\"", function()
  -- Two workers at once: the first listens on an abstract socket and
  -- waits; the second tries to connect to it, then to take its name.
  local function two_workers(netns)
    local port = free_port()
    local name = "@voidrun-spec-" .. port
    local prof = profile(([[
vr.broker "w" {
  on = vr.tcp_listen { host = "127.0.0.1", port = %d },
  netns = %q,
  worker = {
    exec = { "/probe", "report", "connect-tcp", "127.0.0.1", "%d", "connect-unix", %q, "listen-unix", %q,
             "sleep", "5" },
    fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.proc() },
  },
}
]]):format(port, netns, port, name, name))
    local before = H.snapshot()
    local server = start({ prof })
    local first = connect(port)
    local out1 = read_until(first, "result listen%-unix")
    local second = connect(port)
    local out2 = read_until(second, "result listen%-unix")
    core.close(first)
    core.close(second)
    assert.are.equal(0, server.stop())
    H.assert_clean(before)
    return H.vr.probe.parse(out1), H.vr.probe.parse(out2)
  end

  it("workers share one empty namespace, not the host's: AF_UNIX only, abstract sockets scoped", function()
    if (core.landlock_abi() or 0) < 6 then
      pending("needs Landlock ABI 6: without it each worker has its own namespace (next test)")
      return
    end
    local p1, p2 = two_workers("shared")
    assert.are.equal(p1.first("netns"), p2.first("netns"))
    assert.are_not.equal(H.sh("readlink /proc/self/ns/net").stdout:gsub("\n", ""), p1.first("netns"))
    -- (getifaddrs needs a netlink socket: refused, like every non-unix one)
    assert.are.equal("unavailable EAFNOSUPPORT", p1.first("netif"))
    assert.are.equal("EAFNOSUPPORT", p1.outcome("connect-tcp"))
    assert.are.equal("ECONNREFUSED", p1.outcome("connect-unix"))
    assert.are.equal("ok", p1.outcome("listen-unix"))
    -- Landlock keeps the second from the first's socket; the name itself
    -- is taken in the shared namespace (doc/brokers.md says so).
    assert.are.equal("EPERM", p2.outcome("connect-unix"))
    assert.are.equal("EADDRINUSE", p2.outcome("listen-unix"))
  end)

  it("without it each worker has a namespace of its own, lo up", function()
    local p1, p2 = two_workers("own")
    assert.are_not.equal(p1.first("netns"), p2.first("netns"))
    assert.is_truthy(p1.first("netif"):find("^lo up"), p1.first("netif"))
    assert.are.equal("ECONNREFUSED", p1.outcome("connect-tcp"))
    assert.are.equal("ECONNREFUSED", p2.outcome("connect-unix"))
    assert.are.equal("ok", p2.outcome("listen-unix"))
  end)

  it("unprivileged, not with a void that needs the host's network: then each worker has its own", function()
    if H.is_root then
      pending("root enters the shared namespace around each worker; this is the ordinary user's case")
      return
    end
    local port = free_port()
    local prof = profile(([[
vr.void "host" { exec = { "/probe", "sleep", "5" }, fs = { vr.exe(vr.libexec "voidrun-probe", "/probe") }, net = "host" }
vr.broker "w" {
  on = vr.tcp_listen { host = "127.0.0.1", port = %d },
  netns = "shared",
  worker = { exec = { "/probe", "report" }, fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.proc() } },
}
]]):format(port))
    local server = start({ prof })
    local a = H.vr.probe.parse(read_until(connect(port), "netns"))
    local b = H.vr.probe.parse(read_until(connect(port), "netns"))
    server.stop()  -- (143: the "host" void ends by the TERM)
    assert.are_not.equal(a.first("netns"), b.first("netns"))
    assert.is_truthy(a.first("netif"):find("^lo up"), a.first("netif"))
  end)

  it("voidrun check says which namespace the workers get", function()
    local r = H.voidrun({ "check", H.root .. "/profiles/echo.lua" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:find("\n  net       lo only, down: an empty namespace the workers share", 1, true), r.stdout)
    r = H.voidrun({ "check", "--set", "netns=own", H.root .. "/profiles/echo.lua" })
    assert.is_truthy(r.stdout:find("\n  net       lo only (a network namespace of its own)", 1, true), r.stdout)
  end)

  it("a bad value is refused at the profile line", function()
    local prof = profile([[
vr.broker "w" { on = vr.tcp_listen { port = 1 }, netns = "none", worker = { exec = { "/bin/cat" } } }
]])
    local r = H.voidrun({ prof })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: " .. prof .. ":2: broker 'w': netns must be \"shared\" or \"own\", got none" },
      H.lines(r.stderr))
  end)
end)
