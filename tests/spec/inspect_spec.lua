-- SPDX-License-Identifier: MIT
-- Seeing into running layouts: the registry, `voidrun ps`, `voidrun enter`
-- (doc/inspect.md), through the real binary.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core
local registry = require "voidrun.registry"
local ps = require "voidrun.ps"
local control = require "voidrun.control"

-- Two sleeping voids; each has /proc and sh, cat and sleep, and says
-- "ready" on voidrun's stdout once running.
local function two_sleepers()
  local void = [[
vr.void %q { exec = { "/bin/sh", "-c", "echo ready; exec sleep 1000" }, stdout = vr.stdout,
  fs = { vr.exe "/bin/sh", vr.exe "/bin/sleep", vr.exe "/bin/cat", vr.proc() } }
]]
  return H.profile("local vr = require \"voidrun\"\n" .. void:format("a") .. void:format("b"))
end

-- Start voidrun PROFILE in the background; returns its pid and the read
-- end of its stdout once both voids said "ready".
local function start(path, ready)
  local pid, rd = H.start({ path }, ready or 2)
  return pid, rd
end

local function stop(pid, rd, sig)
  core.kill(pid, sig or 15)
  core.waitpid(pid)
  core.close(rd)
end

local function entry_file(pid)
  return registry.dir(false) .. "/" .. pid
end

-- voidrun ps and enter through the binary, with the same runtime
-- directory as the layouts this spec starts (H.voidrun clears the
-- environment).
local function voidrun(args)
  return H.voidrun(args, { env = { XDG_RUNTIME_DIR = core.environ().XDG_RUNTIME_DIR } })
end

-- The layout voidrun pid, as `ps --json` shows it (or nil).
local function layout_of(pid)
  local r = voidrun({ "ps", "--json" })
  assert.are.equal(0, r.code, r.stderr)
  local data = require("dkjson").decode(r.stdout)
  for _, l in ipairs(data.layouts) do
    if l.pid == pid then return l end
  end
  return nil
end

-- The layout's control socket, and one request to it.
local function sock_of(pid)
  return entry_file(pid) .. ".sock"
end

local function ask(pid, line)
  return control.request(sock_of(pid), line, pid)
end

-- Voids running the probe under a seccomp policy: "errno" fails mkdir
-- with EACCES, "kill" kills for it (named kills: their plain form when
-- entered); "limited" has a cgroup of its own when `limited` is given.
-- Each has a shell, cat, a writable /tmp, and says "ready".
local function policed(limited)
  local void = [[
vr.void %q { exec = { "/bin/sh", "-c", "echo ready; exec /probe sleep 1000" }, stdout = vr.stdout,
  fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.exe "/bin/sh", vr.exe "/bin/cat", vr.proc(),
         vr.tmpfs "/tmp" }, %s }
]]
  local text = "local vr = require \"voidrun\"\n" ..
    void:format("errno", [[seccomp = { deny = { "mkdir", "mkdirat" }, errno = "EACCES" }]]) ..
    void:format("kill", [[seccomp = { deny = { "mkdir", "mkdirat" }, deny_action = "kill" }]])
  if limited then text = text .. void:format("limited", "limits = { pids = 64 }") end
  return H.profile(text), limited and 3 or 2
end

-- The outcome the probe reports for cmd in its output.
local function outcome(out, cmd)
  return out:match("result " .. cmd .. " (%S+)")
end

-- Move the socket away while fn runs: voidrun cannot be asked.
local function unreachable(pid, fn)
  local away = sock_of(pid) .. ".away"
  assert(os.rename(sock_of(pid), away))
  local ok, err = pcall(fn)
  assert(os.rename(away, sock_of(pid)))
  assert(ok, err)
end

after_each(H.cleanup)

-- control.request against a peer at a socket of ours that answers text
-- (whatever it is) to the request it reads: the reply table | nil, message.
local function peer_answering(text)
  local dir = H.tmpdir()
  finally(function() H.rmtree(dir) end)
  local path = dir .. "/peer.sock"
  local fd = assert(core.ctl_listen(path))
  local pid = core.clone3({})
  if pid == 0 then
    core.poll({ fd }, 5000)
    local c = core.ctl_accept(fd)
    -- read the request first: closing with it unread would reset the
    -- connection before the client reads the answer
    if c and next(core.poll({ c }, 5000)) then
      core.read(c, 4096)
      core.write(c, text)
    end
    core._exit(0)
  end
  core.close(fd)
  local r, err = control.request(path, "status")
  core.waitpid(pid)
  return r, err
end

describe("JSON (dkjson)", function()
  it("writes lists as arrays and objects as objects, empty ones too", function()
    assert.are.equal("[]", ps.encode(ps.array()))
    assert.are.equal("{}", ps.encode(ps.object()))
    assert.are.equal('{"a":[]}', ps.encode({ a = ps.array() }))
    assert.are.equal('[[],{},"x",true]', ps.encode(ps.array { ps.array(), ps.object(), "x", true }))
    assert.are.equal('{"ok":false,"error":"e"}', ps.encode({ error = "e", ok = false }, { "ok", "error" }))
    local t = control.decode(ps.encode({ a = ps.array(), b = ps.array { 1, 2.5, "x" }, c = ps.object(), d = true }))
    assert.are.same({ a = {}, b = { 1, 2.5, "x" }, c = {}, d = true }, t)
  end)

  it("sorts every object's keys, but those asked for first (in every object)", function()
    assert.are.equal('{"a":{"c":3,"d":2},"b":1,"z":[]}', ps.encode({ z = ps.array(), b = 1, a = { d = 2, c = 3 } }))
    assert.are.equal('{"ok":true,"error":"x","a":{"ok":2,"b":1}}',
      ps.encode({ a = { ok = 2, b = 1 }, error = "x", ok = true }, { "ok", "error" }))
    -- the same text every time, whatever order the tables were filled in
    local t1, t2 = {}, {}
    for i = 1, 50 do t1["k" .. i] = i end
    for i = 50, 1, -1 do t2["k" .. i] = i end
    assert.are.equal(ps.encode(t1), ps.encode(t2))
  end)

  it("keeps integers integers, the largest too, and reads them back as integers", function()
    assert.are.equal("[0,-1,4026531836,123456789012345678,9223372036854775807]",
      ps.encode(ps.array { 0, -1, 4026531836, 123456789012345678, math.maxinteger }))
    local l = control.decode("[3,123456789012345678,2.5]")
    assert.are.same({ "integer", 3, "integer", 123456789012345678, "float" },
      { math.type(l[1]), l[1], math.type(l[2]), l[2], math.type(l[3]) })
  end)

  it("escapes control characters, quotes and backslashes, and gives any bytes back as they were", function()
    assert.are.equal([["x\n\"\u0001\\/"]], ps.encode('x\n"\1\\/'))
    local bytes = {}
    for b = 0, 255 do bytes[#bytes + 1] = string.char(b) end
    local all = table.concat(bytes)
    -- a path need not be UTF-8: any byte but NUL and "/" in a name
    local path = "/tmp/\255\254 \192\128 \237\160\128 a\tb\nc\127\"q\\"
    local text = ps.encode({ all = all, path = path })
    assert.is_nil(text:find("[%z\1-\31\127]"), "a raw control character in " .. text)
    assert.are.same({ all = all, path = path }, control.decode(text))
  end)

  it("refuses what JSON cannot hold", function()
    assert.has_error(function() ps.encode(print) end)
    local cycle = {}
    cycle.again = cycle
    assert.has_error(function() ps.encode(cycle) end)
  end)

  it("reads a malformed reply as one line of error, never raising", function()
    for _, text in ipairs { "", "{", '{"ok":tru', '{"ok":true} x', "nul", '{"a":1,', ("["):rep(200000) } do
      local v, err = control.decode(text)
      assert.is_nil(v, text:sub(1, 20))
      assert.is_truthy(err:match("^json: [^\n]+$"), err)
    end
  end)

  it("a client refuses a malformed reply from its peer with one line", function()
    local r, err = peer_answering('{"ok":true,"layout":')
    assert.is_nil(r)
    assert.is_truthy(err:match("^bad reply: json: [^\n]+$"), err)
    for _, text in ipairs { "3", "null", "" } do
      r, err = peer_answering(text)
      assert.is_nil(r)
      assert.is_truthy(err:match("^bad reply: [^\n]+$"), err)
    end
    r = assert(peer_answering('{"ok":false,"error":"x\\u0001y"}\n'))
    assert.are.same({ false, "x\1y" }, { r.ok, r.error })
  end)
end)

describe("the registry", function()
  it("parses what it writes, tabs and newlines in names included", function()
    local e = registry.parse("voidrun\t1\npid\t12\nstarttime\t34\nstarted\t5.000\nprofile\t/a\\tb\\nc\n" ..
      "void\tx\t99\tvoid\t2\nvoid\ty\t-\tbroker\t0\n")
    assert.are.same({ pid = 12, starttime = "34", started = 5, profile = "/a\tb\nc", voids = {
      { name = "x", pid = 99, kind = "void", restarts = 2 },
      { name = "y", kind = "broker", restarts = 0 } } }, e)
    assert.is_nil(registry.parse("pid\t12\n"))
  end)

  it("knows a live process's start time, and none for a pid that is gone", function()
    assert.is_truthy(registry.starttime(core.getpid()):match("^%d+$"))
    local pid = core.clone3({})
    if pid == 0 then core._exit(0) end
    core.waitpid(pid)
    assert.is_nil(registry.starttime(pid))
  end)

  it("is a private directory, owned by the user", function()
    local dir = assert(registry.dir(true))
    local st = core.lstat(dir)
    assert.are.same({ "dir", tonumber("700", 8), H.uid }, { st.type, st.mode, st.uid })
  end)
end)

describe("voidrun ps", function()
  it("rejects an unknown argument", function()
    local r = voidrun({ "ps", "--bogus" })
    assert.are.equal(2, r.code)
    assert.is_truthy(r.stderr:match("unknown argument '%-%-bogus'"))
  end)

  it("--json says in one line that dkjson is missing, where it is", function()
    local r = H.voidrun({ "ps", "--json" }, { env = { XDG_RUNTIME_DIR = core.environ().XDG_RUNTIME_DIR,
                                                      LUA_PATH = "/nonexistent/?.lua" } })
    assert.are.same({ 125, "", "voidrun: ps: dkjson is not installed (Debian: apt-get install lua-dkjson)\n" },
      { r.code, r.stdout, r.stderr })
  end)

  it("shows a running layout, its voids and their processes; nothing once it ends", function()
    local path = two_sleepers()
    local pid, rd = start(path)
    local stopped = false
    finally(function() if not stopped then stop(pid, rd) end end)
    local st = core.lstat(entry_file(pid))
    assert.are.same({ "file", tonumber("600", 8) }, { st.type, st.mode })

    local l = assert(layout_of(pid), "layout not listed")
    assert.are.equal(core.realpath(path), l.profile)
    assert.are.equal("integer", math.type(l.started))
    assert.are.equal(2, #l.voids)
    local own_ns = core.readlink("/proc/self/ns/pid"):match("%[(%d+)%]")
    for i, name in ipairs { "a", "b" } do
      local v = l.voids[i]
      assert.are.equal(name, v.name)
      assert.is_true(v.running)
      -- pid 1 of the void, as the void sees it; its shell exec'd sleep
      assert.are.equal(v.pid, v.tree.pid)
      assert.are.equal(1, v.tree.nspid)
      assert.are.equal(1, v.tree.nspids[#v.tree.nspids])
      assert.are.equal(2, v.tree.children[1].nspid)
      assert.are.same({ "sleep", "1000" }, v.tree.children[1].cmdline)
      assert.are_not.equal(tonumber(own_ns), v.namespaces.pid)
      assert.is_string(v.cgroup)
    end
    assert.are_not.equal(l.voids[1].namespaces.net, l.voids[2].namespaces.net)

    local text = voidrun({ "ps" }).stdout
    assert.is_truthy(text:find("voidrun " .. pid, 1, true), text)
    assert.is_truthy(text:find("sleep 1000", 1, true), text)

    stop(pid, rd)
    stopped = true
    assert.is_nil(layout_of(pid))
    assert.is_nil(core.lstat(entry_file(pid)))
  end)

  it("after kill -9 of voidrun, shows nothing of it and removes its stale entry", function()
    local pid, rd = start(two_sleepers())
    assert.is_truthy(core.lstat(entry_file(pid)))
    stop(pid, rd, 9)
    -- the file is left behind by the killed voidrun ...
    assert.is_truthy(core.lstat(entry_file(pid)))
    -- ... and ps neither shows it nor keeps it
    local r = voidrun({ "ps" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_falsy(r.stdout:find("voidrun " .. pid .. " ", 1, true), r.stdout)
    assert.is_nil(core.lstat(entry_file(pid)))
  end)

  it("treats an entry whose pid was reused as stale", function()
    -- our own pid, with a start time that is not ours
    local dir = assert(registry.dir(true))
    local me = core.getpid()
    assert(core.write_private(dir .. "/" .. me,
      ("voidrun\t1\npid\t%d\nstarttime\t1\nstarted\t0\nprofile\t/x.lua\n"):format(me)))
    assert.is_nil(layout_of(me))
    assert.is_nil(core.lstat(dir .. "/" .. me))
  end)
end)

describe("voidrun enter", function()
  it("says what is wrong: usage, no such layout, no such void, a missing command", function()
    local r = voidrun({ "enter", "x" })
    assert.are.equal(2, r.code)
    r = voidrun({ "enter", "no-such-layout-here", "a" })
    assert.are.equal(125, r.code)
    assert.is_truthy(r.stderr:match("no running layout 'no%-such%-layout%-here'"), r.stderr)
    r = voidrun({ "enter", "1", "a", "sh" })
    assert.are.equal(2, r.code)
    assert.is_truthy(r.stderr:match("absolute path"), r.stderr)

    local pid, rd = start(two_sleepers())
    finally(function() stop(pid, rd) end)
    r = voidrun({ "enter", tostring(pid), "c" })
    assert.are.equal(125, r.code)
    assert.is_truthy(r.stderr:match("has no void 'c'"), r.stderr)
    r = voidrun({ "enter", tostring(pid), "a", "/bin/nope" })
    assert.are.equal(125, r.code)
    assert.are.equal("voidrun: enter: a: /bin/nope: No such file or directory\n", r.stderr)
  end)

  it("runs a command in the void: its hostname, pid namespace and files, no capabilities", function()
    local path = two_sleepers()
    local pid, rd = start(path)
    finally(function() stop(pid, rd) end)
    -- by profile name, too, when it names one layout
    local name = path:match("([^/]*)%.lua$")
    local r = voidrun({ "enter", name, "b", "/bin/sh", "-c",
      "cat /proc/sys/kernel/hostname /proc/self/status; echo pid $$; " ..
      "cat /etc/hostname 2>/dev/null || echo no-etc; cat " .. H.shq(H.spec_dir .. "/helper.lua") .. " 2>/dev/null || echo no-host-file" })
    assert.are.equal(0, r.code, r.stderr)
    local out = r.stdout
    assert.are.equal("void", out:match("^([^\n]*)"))
    assert.are.equal("0000000000000000", out:match("CapEff:%s*(%x+)"))
    -- the void's default seccomp filter applies to what runs there too
    assert.are.equal("2", out:match("Seccomp:%s*(%d)"))
    assert.are.equal("0000000000000000", out:match("CapPrm:%s*(%x+)"))
    assert.are.equal("0000000000000000", out:match("CapBnd:%s*(%x+)"))
    assert.are.equal("1", out:match("NoNewPrivs:%s*(%d)"))
    -- inside: uid 0 of the void, and a pid of the void's pid namespace
    assert.are.equal("0", out:match("Uid:%s*(%d+)"))
    assert.is_truthy(tonumber(out:match("\npid (%d+)")) < 100)
    assert.is_truthy(out:find("no-etc\n", 1, true), out)
    assert.is_truthy(out:find("no-host-file\n", 1, true), out)
  end)

  it("passes the command's exit status on", function()
    local pid, rd = start(two_sleepers())
    finally(function() stop(pid, rd) end)
    assert.are.equal(7, voidrun({ "enter", tostring(pid), "a", "/bin/sh", "-c", "exit 7" }).code)
    assert.are.equal(128 + 9, voidrun({ "enter", tostring(pid), "a", "/bin/sh", "-c", "kill -9 $$" }).code)
  end)
end)

describe("the control socket", function()
  it("is there while the layout runs, a private socket, and answers status as ps sees the layout", function()
    local path = two_sleepers()
    local pid, rd = start(path)
    local stopped = false
    finally(function() if not stopped then stop(pid, rd) end end)
    local st = core.lstat(sock_of(pid))
    assert.are.same({ "other", tonumber("600", 8), H.uid }, { st.type, st.mode, st.uid })

    local r = assert(ask(pid, "status"))
    assert.is_true(r.ok)
    local l = assert(layout_of(pid))
    assert.are.same({ l.pid, l.profile, l.started }, { r.layout.pid, r.layout.profile, r.layout.started })
    assert.are.equal(#l.voids, #r.layout.voids)
    for i, v in ipairs(l.voids) do
      local c = r.layout.voids[i]
      assert.are.same({ v.name, v.kind, v.running, v.pid, v.restarts }, { c.name, c.kind, c.running, c.pid, c.restarts })
      assert.are.same({}, c.cgroup)  -- no limits: voidrun's own cgroup
    end

    stop(pid, rd)
    stopped = true
    assert.is_nil(core.lstat(sock_of(pid)))
  end)

  it("gives a path of any bytes back as it is, in its replies and in ps --json", function()
    -- a profile whose path has a tab, a newline, a quote, a backslash, a
    -- control character and bytes that are not UTF-8
    local dir = H.tmpdir()
    finally(function() H.rmtree(dir) end)
    local path = dir .. "/a\tb\nc\"d\\e\1f\255\254.lua"
    assert(os.rename(two_sleepers(), path))
    local pid, rd = start(path)
    finally(function() stop(pid, rd) end)
    local r = assert(ask(pid, "status"))
    assert.are.same({ true, path }, { r.ok, r.layout.profile })
    assert.are.equal(path, assert(layout_of(pid)).profile)
  end)

  it("answers what it does not know with one error, and a silent client holds nothing up", function()
    local pid, rd = start(two_sleepers())
    finally(function() stop(pid, rd) end)
    local r = assert(ask(pid, "bogus"))
    assert.is_false(r.ok)
    assert.are.equal("unknown request 'bogus' (status, grants VOID, stop)", r.error)
    r = assert(ask(pid, "grants nope"))
    assert.are.same({ false, "no void 'nope'" }, { r.ok, r.error })
    r = assert(ask(pid, ("x"):rep(5000)))
    assert.are.same({ false, "request longer than 4096 bytes" }, { r.ok, r.error })
    -- a client that connects and says nothing: voidrun answers others
    local silent = assert(core.ctl_connect(sock_of(pid), 5000))
    finally(function() core.close(silent) end)
    r = assert(ask(pid, "status"))
    assert.is_true(r.ok)
    assert.are.equal(2, #r.layout.voids)
  end)

  it("refuses another uid (SO_PEERCRED), even one that gets past the socket's mode", function()
    if not H.is_root then
      pending("needs root (to act as another uid): skipped as uid " .. H.uid)
      return
    end
    if H.sh("command -v setpriv").code ~= 0 then
      pending("needs setpriv (util-linux)")
      return
    end
    -- the user scripts/test.sh creates, else nobody
    local uid = tonumber(H.sh("id -u voidrun-test 2>/dev/null || echo 65534").stdout:match("%d+"))
    local pid, rd = start(two_sleepers())
    finally(function() stop(pid, rd) end)
    local script = H.profile([[
local core = require "voidrun.core"
local fd, uid, pid = core.ctl_connect(arg[1], 5000)
if not fd then print("connect errno " .. pid) return end
-- (refused at once: what it would write could meet a closed socket)
print(core.read(fd, 4096))
]])
    assert.are.equal(0, H.sh("chmod 644 " .. H.shq(script)).code)
    local as = ("setpriv --reuid=%d --regid=%d --clear-groups "):format(uid, uid)
    local run = H.shq(H.bin) .. " lua " .. H.shq(script) .. " " .. H.shq(sock_of(pid))
    -- the private directory and the socket's mode keep it out ...
    local r = H.sh(as .. run)
    assert.are.equal("connect errno 13\n", r.stdout, r.stderr)
    -- ... and with CAP_DAC_OVERRIDE past them, voidrun refuses it
    r = H.sh(as .. "--inh-caps=+dac_override --ambient-caps=+dac_override " .. run)
    assert.are.equal(('{"ok":false,"error":"refused: uid %d is not voidrun\'s owner"}\n\n'):format(uid), r.stdout, r.stderr)
    -- the layout still runs
    assert.is_true(assert(ask(pid, "status")).ok)
    assert.is_truthy(layout_of(pid))
  end)

  it("stop ends the layout as SIGTERM does, with the same status, and the socket goes", function()
    local path = two_sleepers()
    local pid, rd = start(path)
    core.kill(pid, 15)
    local how, code = core.waitpid(pid)
    core.close(rd)
    local pid2, rd2 = start(path)
    assert.are.same({ ok = true }, assert(ask(pid2, "stop")))
    local how2, code2 = core.waitpid(pid2)
    core.close(rd2)
    assert.are.same({ how, code }, { how2, code2 })
    assert.are.same({ "exited", 143 }, { how2, code2 })  -- each void's sleep, by SIGTERM
    assert.is_nil(core.lstat(sock_of(pid)))
    assert.is_nil(core.lstat(sock_of(pid2)))
  end)

  it("is removed with the stale entry after kill -9 of voidrun", function()
    local pid, rd = start(two_sleepers())
    assert.is_truthy(core.lstat(sock_of(pid)))
    stop(pid, rd, 9)
    assert.is_truthy(core.lstat(sock_of(pid)))
    local _, err = ask(pid, "status")
    assert.is_truthy(err:match("Connection refused"), err)
    local r = voidrun({ "ps" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_nil(core.lstat(entry_file(pid)))
    assert.is_nil(core.lstat(sock_of(pid)))
  end)

  it("gives no grants of a broker: its workers cannot be entered yet", function()
    local pid, rd = start(H.profile([[
local vr = require "voidrun"
local p = vr.pipe()
vr.void "feed" { exec = { "/bin/sh", "-c", "echo ready; exec sleep 1000" }, stdout = vr.stdout,
  fds = { [3] = p.tx }, fs = { vr.exe "/bin/sh", vr.exe "/bin/sleep" } }
vr.broker "br" { on = p.rx, each = "message", worker = { exec = { "/bin/sleep", "1000" }, fs = { vr.exe "/bin/sleep" } } }
]]), 1)
    finally(function() stop(pid, rd) end)
    local r = assert(ask(pid, "grants br"))
    assert.are.same({ false, "'br' is a broker: its workers cannot be entered yet" }, { r.ok, r.error })
    r = assert(ask(pid, "status"))
    assert.are.same({ "feed", "void", true }, { r.layout.voids[1].name, r.layout.voids[1].kind, r.layout.voids[1].running })
    assert.are.same({ "br", "broker" }, { r.layout.voids[2].name, r.layout.voids[2].kind })
  end)

  it("gives a void's grants: its seccomp programs, Landlock rules and cgroup", function()
    local path, n = policed()
    local pid, rd = start(path, n)
    finally(function() stop(pid, rd) end)
    local r = assert(ask(pid, "grants errno"))
    assert.is_true(r.ok, r.error)
    local l = assert(layout_of(pid))
    assert.are.equal(l.voids[1].pid, r.pid)
    -- the default filter, then the policy: BPF, 8 bytes an instruction
    assert.is_true(#r.seccomp >= 2)
    for _, p in ipairs(r.seccomp) do assert.are.equal(0, #p % 16) end
    assert.are.same({ path = "/", access = 13 }, r.landlock[1])  -- read, read dir, execute
    assert.are.same({}, r.cgroup)
  end)
end)

describe("voidrun enter, held as the void is", function()
  it("checks the grants it is given before it enters anything", function()
    local prog = H.sh("head -c 8 /dev/zero").stdout  -- one BPF instruction
    local function grants(t)
      return { seccomp = t.seccomp or { prog }, landlock = t.landlock or {}, cgroup = t.cgroup or {} }
    end
    local function enter(t) return core.enter(-1, { "/bin/true" }, {}, grants(t)) end
    assert.has_error(function() enter { seccomp = {} } end, "enter: grants.seccomp holds no program")
    assert.has_error(function() enter { seccomp = { "abc" } } end, "enter: grants.seccomp[1] is not a BPF program")
    assert.has_error(function() enter { landlock = { { path = "tmp", access = 1 } } } end,
      "enter: grants.landlock[1] is not a Landlock rule")
    assert.has_error(function() enter { landlock = { { path = "/", access = 1 << 40 } } } end,
      "enter: grants.landlock[1] is not a Landlock rule")
    assert.has_error(function() enter { cgroup = { "rel/dir" } } end, "enter: grants.cgroup[1] is not a cgroup directory")
    local ok, msg = enter { cgroup = { "/nonexistent-cgroup" } }
    assert.is_nil(ok)
    assert.are.equal("cgroup /nonexistent-cgroup: No such file or directory", msg)
  end)

  it("by the void's seccomp policy: its errno, and its kills (the kernel's, without pid 1)", function()
    local path, n = policed()
    local pid, rd = start(path, n)
    finally(function() stop(pid, rd) end)
    local r = voidrun({ "enter", tostring(pid), "errno", "/probe", "mkdir", "/tmp/x" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", r.stderr)
    assert.are.equal("EACCES", outcome(r.stdout, "mkdir"), r.stdout)
    r = voidrun({ "enter", tostring(pid), "kill", "/probe", "mkdir", "/tmp/x" })
    assert.are.equal(128 + 31, r.code, r.stderr)  -- SIGSYS
    -- the default filter and the policy: more than one filter
    r = voidrun({ "enter", tostring(pid), "errno", "/bin/cat", "/proc/self/status" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_true(tonumber(r.stdout:match("Seccomp_filters:%s*(%d+)")) >= 2, r.stdout)
  end)

  it("by the void's Landlock domain: no signal across its edge", function()
    if (core.landlock_abi() or 0) < 6 then
      pending("needs Landlock ABI 6 (signal scoping) to be seen from inside; this kernel has " ..
        tostring(core.landlock_abi()))
      return
    end
    local path, n = policed()
    local pid, rd = start(path, n)
    finally(function() stop(pid, rd) end)
    -- pid 2 is the void's entry, in the void's own Landlock domain: the
    -- entered command, in one of its own, may not signal it
    local r = voidrun({ "enter", tostring(pid), "errno", "/probe", "kill", "2", "0" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("EPERM", outcome(r.stdout, "kill"), r.stdout)
    unreachable(pid, function()
      r = voidrun({ "enter", tostring(pid), "errno", "/probe", "kill", "2", "0" })
      assert.are.equal("ok", outcome(r.stdout, "kill"), r.stdout)
    end)
  end)

  it("in the void's cgroup, when it has one of its own", function()
    local cg, why = core.cgroup_probe { "pids" }
    if not cg then
      pending("no cgroup limits for uid " .. H.uid .. " here: " .. tostring(why))
      return
    end
    local path, n = policed(true)
    local pid, rd = start(path, n)
    finally(function() stop(pid, rd) end)
    local g = assert(ask(pid, "grants limited"))
    assert.is_true(#g.cgroup >= 1, g.error)
    -- /proc/self/cgroup inside shows cgroups from the void's cgroup
    -- namespace, rooted at the void's own cgroup: "/" there, "/.." and
    -- more when outside it
    local r = voidrun({ "enter", tostring(pid), "limited", "/bin/cat", "/proc/self/cgroup" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_falsy(r.stdout:find("/..", 1, true), r.stdout)
    unreachable(pid, function()
      r = voidrun({ "enter", tostring(pid), "limited", "/bin/cat", "/proc/self/cgroup" })
      assert.is_truthy(r.stdout:find("/..", 1, true), r.stdout)
    end)
  end)

  it("falls back to the default filter, and says so, when voidrun cannot be asked", function()
    local path, n = policed()
    local pid, rd = start(path, n)
    finally(function() stop(pid, rd) end)
    unreachable(pid, function()
      local r = voidrun({ "enter", tostring(pid), "errno", "/probe", "mkdir", "/tmp/y" })
      assert.are.equal(0, r.code, r.stderr)
      assert.are.equal("ok", outcome(r.stdout, "mkdir"), r.stdout)
      assert.are.equal(1, #H.lines(r.stderr), r.stderr)
      assert.is_truthy(r.stderr:find("voidrun: enter: errno: cannot ask voidrun " .. pid .. " for the void's grants (",
        1, true), r.stderr)
      assert.is_truthy(r.stderr:find("the command gets the default seccomp filter only", 1, true), r.stderr)
      r = voidrun({ "enter", tostring(pid), "errno", "/bin/cat", "/proc/self/status" })
      assert.are.equal("1", r.stdout:match("Seccomp_filters:%s*(%d+)"), r.stdout)
    end)
  end)
end)
