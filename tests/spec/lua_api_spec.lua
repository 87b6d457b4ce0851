-- SPDX-License-Identifier: MIT
-- The Lua layer: voidrun.core's conventions (misuse raises; an OS failure
-- returns fail, message, errno), fd passing, and the harness API that
-- user specs are written with (vr.run, vr.spawn, vr.load, the probe).

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local vr, core = H.vr, H.core

-- The outcome fields of a wait result (it also carries usage figures).
local function outcome(r)
  return { code = r.code, signal = r.signal, status = r.status }
end

local probe_fs = function(...)
  local fs = { vr.exe(H.probe, "/probe") }
  for _, e in ipairs { ... } do fs[#fs + 1] = e end
  return fs
end

describe("voidrun.core", function()
  it("raises on misuse", function()
    assert.has_error(function() core.clone3({ "newfrob" }) end, "unknown clone flag 'newfrob'")
    assert.has_error(function() core.clone3({ "vm" }) end)
    assert.has_error(function() core.socketpair("bogus") end)
    assert.has_error(function() core.send_fds(0, {}) end)
    assert.has_error(function() core.plan({ argv = {} }) end)
    assert.has_error(function() core.plan({ argv = { "/bin/true" }, mounts = { { kind = "bind", dst = "/x" } } }) end)
  end)

  it("returns fail, message, errno on an OS failure", function()
    local ok, msg, errno = core.open("/nonexistent/file")
    assert.is_nil(ok)
    assert.are.equal("/nonexistent/file: No such file or directory", msg)
    assert.are.equal(2, errno)
    ok, msg, errno = core.elf_deps("/etc/hostname")
    assert.is_nil(ok)
    assert.is_truthy(msg:match("/etc/hostname"))
    assert.are.equal(8, errno)  -- ENOEXEC
  end)

  it("makes close-on-exec pipes and socketpairs", function()
    local r, w = core.pipe()
    assert.are.equal(3, core.write(w, "abc"))
    assert.are.equal("abc", core.read(r, 10))
    core.close(w)
    assert.are.equal("", core.read(r, 10))
    core.close(r)
    assert.is_false(core.is_open(r))
  end)

  it("polls more fds than a fixed array would hold (a layout of a thousand voids)", function()
    local rds, wrs = {}, {}
    for i = 1, 300 do rds[i], wrs[i] = assert(core.pipe()) end
    assert.are.same({}, core.poll(rds, 0))
    core.write(wrs[300], "x")
    local ready = core.poll(rds, 0)
    assert.are.same({ [rds[300]] = true }, ready)
    for i = 1, 300 do core.close(rds[i]); core.close(wrs[i]) end
  end)

  it("passes fds over a unix socket (SCM_RIGHTS)", function()
    local a, b = core.socketpair("stream")
    local r, w = core.pipe()
    assert.are.equal(5, core.send_fds(a, { r, w }, "hello"))
    local data, fds = core.recv_fds(b)
    assert.are.equal("hello", data)
    assert.are.equal(2, #fds)
    -- the received write end feeds the original read end
    core.write(fds[2], "through")
    assert.are.equal("through", core.read(r, 100))
    for _, fd in ipairs { a, b, r, w, fds[1], fds[2] } do core.close(fd) end
  end)

  it("reports more fds than asked for as an error, leaking none", function()
    local a, b = core.socketpair("dgram")
    local r, w = core.pipe()
    core.send_fds(a, { r, w, r })
    local ok, msg, errno = core.recv_fds(b, 1)
    assert.is_nil(ok)
    assert.are.equal(90, errno)  -- EMSGSIZE
    for _, fd in ipairs { a, b, r, w } do core.close(fd) end
  end)

  it("clone3 gives pid 1 in a new pid namespace", function()
    local pid = core.clone3({ "newuser", "newpid" })
    if pid == nil then return pending("cannot create namespaces here") end
    if pid == 0 then core._exit(core.getpid() == 1 and 0 or 1) end
    assert.are.same({ "exited", 0 }, { core.waitpid(pid) })
  end)

  it("resolves a program's libraries", function()
    local deps = assert(core.elf_deps("/bin/echo"))
    assert.are.equal("/lib64/ld-linux-x86-64.so.2", deps.interp)
    local found = false
    for _, d in ipairs(deps) do
      if d.inside:match("/libc%.so%.6$") then found = true end
      assert.are.equal("file", (core.stat(d.host, false)))  -- never a symlink
    end
    assert.is_true(found)
  end)
end)

describe("vr.run", function()
  it("runs a void and captures its output", function()
    local r = vr.run({ exec = { "/bin/echo", "from", "inside" }, fs = { vr.exe "/bin/echo" } },
      { stdout = "capture" })
    assert.are.equal(0, r.status)
    assert.are.equal("from inside\n", r.stdout)
  end)

  it("reports exit codes and signals", function()
    local sh = function(script) return { exec = { "/bin/sh", "-c", script }, fs = { vr.exe "/bin/sh" } } end
    assert.are.same({ code = 7, status = 7 }, outcome(vr.run(sh("exit 7"))))
    assert.are.same({ signal = 9, status = 137 }, outcome(vr.run(sh("kill -9 $$"))))
  end)

  it("reports a void that could not be built", function()
    local r = vr.run({ exec = { "/bin/true" },
      fs = { vr.exe "/bin/true", vr.ro("/etc/hostname", "/x"), vr.ro("/etc", "/x/y") } })
    assert.are.equal(125, r.status)
    assert.are.equal("bind /etc -> /x/y: Not a directory", r.error)
    assert.are.equal("bind", r.step)
  end)

  it("places fds where asked", function()
    local rd, wr = core.pipe()
    local r = vr.run({ exec = { "/probe", "write-fd", "5", "through fd 5" }, fs = probe_fs() },
      { fds = { [5] = wr }, stdout = "capture" })
    core.close(wr)
    assert.are.equal(0, r.status)
    assert.are.equal("through fd 5", core.read(rd, 100))
    core.close(rd)
  end)

  it("passes stdin when given", function()
    local rd, wr = core.pipe()
    core.write(wr, "typed in\n")
    core.close(wr)
    local r = vr.run({ exec = { "/probe", "cat" }, fs = probe_fs() }, { stdin = rd, stdout = "capture" })
    core.close(rd)
    assert.are.equal("typed in\n", r.stdout)
  end)

  it("leaks no fd into the caller", function()
    local function open_fds()
      local t = {}
      for fd = 0, 1023 do if core.is_open(fd) then t[#t + 1] = fd end end
      return table.concat(t, " ")
    end
    collectgarbage()  -- earlier specs' plans hold fds until collected
    local before = open_fds()
    for _ = 1, 5 do vr.run({ exec = { "/bin/true" }, fs = { vr.exe "/bin/true" } }, { stdout = "capture" }) end
    assert.are.equal(before, open_fds())
  end)
end)

describe("vr.spawn", function()
  it("returns a handle that can be waited for", function()
    local v = vr.spawn({ exec = { "/bin/true" }, fs = { vr.exe "/bin/true" } })
    assert.is_true(v:ready())
    assert.are.same({ code = 0, status = 0 }, outcome(v:wait()))
  end)

  it("kills and reaps a void nobody waits for when the handle is collected", function()
    local s = H.snapshot()
    do
      local v = vr.spawn({ exec = { "/probe", "sleep", "1000" }, fs = probe_fs() })
      assert.is_true(v:ready())
      assert.is_true(H.new_processes(s) > 0)
    end
    collectgarbage()
    collectgarbage()
    H.assert_clean(s)
  end)

  it("kills and reaps on scope exit with a to-be-closed variable", function()
    local s = H.snapshot()
    do
      local v <close> = vr.spawn({ exec = { "/probe", "sleep", "1000" }, fs = probe_fs() })
      assert.is_true(v:ready())
    end
    H.assert_clean(s)
  end)

  it("forwards a signal to the entry through pid 1", function()
    local v = vr.spawn({ exec = { "/probe", "sleep", "1000" }, fs = probe_fs() })
    assert.is_true(v:ready())
    assert.is_true(v:kill(15))
    assert.are.same({ signal = 15, status = 143 }, outcome(v:wait()))
  end)

  it("reports a failure to build through ready()", function()
    local v = vr.spawn({ exec = { "/bin/true" },
      fs = { vr.exe "/bin/true", vr.ro("/etc/hostname", "/x"), vr.ro("/etc", "/x/y") } })
    local ok, msg = v:ready()
    assert.is_false(ok)
    assert.are.equal("bind /etc -> /x/y: Not a directory", msg)
    assert.are.equal(125, v:wait().status)
  end)
end)

describe("vr.load", function()
  it("loads a profile with args and overrides, starting nothing", function()
    local layout = vr.load(H.root .. "/profiles/hello.lua", { args = { "a", "b" }, set = { greeting = "hi" }, environ = {} })
    assert.are.equal(1, #layout.voids)
    assert.are.same({ "/bin/echo", "hi", "a", "b" }, layout.voids[1].exec)
    assert.are.equal("hi", layout.params.greeting.value)
  end)

  it("raises file:line for a bad profile", function()
    local path = H.profile('local vr = require "voidrun"\nvr.void "x" { exce = 1 }\n')
    local ok, err = pcall(vr.load, path, { environ = {} })
    assert.is_false(ok)
    assert.are.equal(path .. ":2: unknown field 'exce' in void 'x' (fields: " .. table.concat(H.fields, ", ") .. ")", err)
    H.cleanup()
  end)
end)

describe("the probe parser", function()
  it("splits keys, keeps repeats in order and unescapes values", function()
    local p = vr.probe.parse("uid 0\nenv A=1\nenv B=x\\040y\\012z\nresult read ENOENT\nresult write ok\n")
    assert.are.equal("0", p.first("uid"))
    assert.are.same({ "A=1", "B=x y\nz" }, p.env)
    assert.are.equal("ENOENT", p.outcome("read"))
    assert.are.equal("ok", p.outcome("write"))
    assert.is_nil(p.outcome("mount"))
  end)
end)
