-- SPDX-License-Identifier: MIT
-- Seeing into running layouts: the registry, `voidrun ps`, `voidrun enter`
-- (doc/inspect.md), through the real binary.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core
local registry = require "voidrun.registry"
local ps = require "voidrun.ps"

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
local function start(path)
  local pid, rd = H.start({ path }, 2)
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

after_each(H.cleanup)

describe("the JSON writer", function()
  it("writes objects with sorted keys, marked lists and escapes", function()
    assert.are.equal('{"a":[],"b":[1,2.5,"x\\n\\"\\u0001"],"c":{},"d":true}',
      ps.encode({ a = ps.array(), b = ps.array { 1, 2.5, 'x\n"\1' }, c = {}, d = true }))
  end)

  it("refuses what JSON cannot hold", function()
    assert.has_error(function() ps.encode({ [1] = 1, x = 2 }) end)
    assert.has_error(function() ps.encode(0 / 0) end)
    assert.has_error(function() ps.encode(print) end)
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

  it("shows a running layout, its voids and their processes; nothing once it ends", function()
    local path = two_sleepers()
    local pid, rd = start(path)
    local stopped = false
    finally(function() if not stopped then stop(pid, rd) end end)
    local st = core.lstat(entry_file(pid))
    assert.are.same({ "file", tonumber("600", 8) }, { st.type, st.mode })

    local l = assert(layout_of(pid), "layout not listed")
    assert.are.equal(core.realpath(path), l.profile)
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
