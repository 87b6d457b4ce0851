-- SPDX-License-Identifier: MIT
-- `voidrun top` in a real terminal: tmux runs it in a detached session of
-- a fixed size; the spec types with `tmux send-keys` and reads the screen
-- with `tmux capture-pane -p` (doc/inspect.md). Each test has a tmux
-- server of its own (-L NAME) and kills only that one.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core
local shq = H.shq

local TMUX = H.sh("command -v tmux").stdout:gsub("%s+$", "")
local BUSYBOX = core.realpath("/bin/busybox")

-- Two sleeping voids, alpha and beta, each with its own hostname. beta
-- has a shell (a static busybox as /bin/sh, or the host's sh without
-- busybox) and says "ready" on voidrun's stdout once running; alpha has
-- no shell.
local function two_sleepers()
  return H.profile(([[
local vr = require "voidrun"
vr.void "alpha" { exec = { "/bin/sleep", "1000" }, hostname = "host-alpha",
  fs = { vr.exe "/bin/sleep", vr.proc() } }
vr.void "beta" { exec = { "/bin/sh", "-c", "echo ready; exec sleep 1000" }, stdout = vr.stdout,
  hostname = "host-beta", fs = { %s, vr.exe "/bin/sleep", vr.proc() } }
]]):format(BUSYBOX and 'vr.exe("/bin/busybox", "/bin/sh")' or 'vr.exe "/bin/sh"'))
end

-- The voidrun binary with the runtime directory of the layouts this spec
-- starts (H.voidrun clears the environment).
local function voidrun(args)
  return H.voidrun(args, { env = { XDG_RUNTIME_DIR = core.environ().XDG_RUNTIME_DIR } })
end

-- ps --json's view of layout pid once ready(layout) is true (polled,
-- bounded).
local function poll_layout(pid, ready, what)
  for _ = 1, 400 do
    local r = voidrun({ "ps", "--json" })
    assert.are.equal(0, r.code, r.stderr)
    for _, l in ipairs(require("dkjson").decode(r.stdout).layouts) do
      if l.pid == pid and ready(l) then return l end
    end
    H.sh("sleep 0.05")
  end
  error("layout " .. pid .. " never " .. what)
end

-- ... once both voids run their sleep.
local function layout_json(pid)
  return poll_layout(pid, function(l)
    local n = 0
    for _, v in ipairs(l.voids) do
      local c = v.running and v.tree.children[1]
      if c and c.cmdline[#c.cmdline] == "1000" then n = n + 1 end
    end
    return n == 2
  end, "ran both sleeps")
end

local servers = 0

-- A tmux server of this test's own, running `voidrun top ARGS...` in a
-- 100x50 terminal (with the shell assignments pre before it); top's exit
-- status and stderr go to files.
local function start_top(args, pre)
  servers = servers + 1
  local t = {
    sock = ("voidrun-top-%d-%d"):format(core.getpid(), servers),
    status = os.tmpname(), err = os.tmpname(),
  }
  local cmd = { pre or "", shq(H.bin), "top" }
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = shq(a) end
  local line = table.concat(cmd, " ") .. " 2>" .. shq(t.err) .. "; echo $? >" .. shq(t.status)
  -- A clean environment: only what top needs (the registry's directory
  -- comes from XDG_RUNTIME_DIR as for the layouts this spec starts).
  -- (tmux runs the line with $SHELL: the test user's login shell may be
  -- nologin.)
  local env = { "env", "-i", "PATH=/usr/bin:/bin", "TERM=xterm", "SHELL=/bin/sh" }
  local xdg = core.environ("XDG_RUNTIME_DIR").XDG_RUNTIME_DIR
  if xdg then env[#env + 1] = shq("XDG_RUNTIME_DIR=" .. xdg) end
  local r = H.sh(table.concat(env, " ") .. " " .. shq(TMUX) .. " -L " .. shq(t.sock) ..
    " -f /dev/null new-session -d -x 100 -y 50 " .. shq(line))
  assert.are.equal(0, r.code, r.stderr)
  return t
end

local function tmux(t, ...)
  local a = { shq(TMUX), "-L", shq(t.sock) }
  for _, x in ipairs { ... } do a[#a + 1] = shq(x) end
  return H.sh(table.concat(a, " "))
end

local function screen(t)
  return tmux(t, "capture-pane", "-p").stdout
end

-- Poll the screen until it shows text (plain); bounded, never timed.
local function wait_for(t, text)
  local s
  for _ = 1, 400 do
    s = screen(t)
    if s:find(text, 1, true) then return s end
    H.sh("sleep 0.05")
  end
  error(("the screen never showed %q; it shows:\n%s\ntop's stderr: %s"):format(text, s,
    H.sh("cat " .. shq(t.err)).stdout), 2)
end

local function keys(t, ...)
  local r = tmux(t, "send-keys", ...)
  assert.are.equal(0, r.code, r.stderr)
end

-- Wait until top ended and its session with it; returns its exit status
-- and what it wrote to stderr.
local function ended(t)
  for _ = 1, 400 do
    if tmux(t, "has-session").code ~= 0 then break end
    H.sh("sleep 0.05")
  end
  assert.are_not.equal(0, tmux(t, "has-session").code, "top's tmux session did not end")
  local status = H.sh("cat " .. shq(t.status)).stdout:gsub("%s+$", "")
  local err = H.sh("cat " .. shq(t.err)).stdout
  return tonumber(status), err
end

local function stop_top(t)
  tmux(t, "kill-server")
  os.remove(t.status)
  os.remove(t.err)
end

local function stop(pid, rd)
  core.kill(pid, 15)
  core.waitpid(pid)
  core.close(rd)
end

-- What each test started, undone after it in reverse order, also when it
-- fails. (busted keeps one `finally` a test: a second would replace the
-- first.)
local undo = {}
local function defer(fn) undo[#undo + 1] = fn end

after_each(function()
  for i = #undo, 1, -1 do undo[i]() end
  undo = {}
  H.cleanup()
end)

describe("voidrun top", function()
  if TMUX == "" then
    it("needs tmux", function() pending("tmux is not installed (Debian: apt-get install tmux): top is not tested") end)
    return
  end

  it("says what is wrong in one line: not a terminal, bad arguments, an unknown layout or terminal", function()
    local r = H.voidrun({ "top" })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: top: needs a terminal: stdin and stdout are not one" }, H.lines(r.stderr))
    r = H.voidrun({ "top", "--bogus" })
    assert.are.equal(2, r.code)
    assert.are.same({ "voidrun: top: unknown argument '--bogus' (usage: voidrun top [LAYOUT])" }, H.lines(r.stderr))
    r = H.voidrun({ "top", "no-such-layout-here" })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: top: no running layout 'no-such-layout-here' (see voidrun ps)" }, H.lines(r.stderr))

    -- in a terminal whose type terminfo does not know
    local t = start_top(nil, "TERM=no-such-terminal")
    defer(function() stop_top(t) end)
    local status, err = ended(t)
    assert.are.equal(125, status)
    assert.are.same({ "voidrun: top: terminal type 'no-such-terminal' is not known to terminfo (set TERM)" },
      H.lines(err))
  end)

  it("draws without TERM, as an xterm, and quits on q", function()
    local t = start_top(nil, "unset TERM;")
    defer(function() stop_top(t) end)
    wait_for(t, "voidrun top")
    keys(t, "q")
    local status, err = ended(t)
    assert.are.equal("", err)
    assert.are.equal(0, status)
  end)

  it("shows the layout, its voids and their pids; selects a void and shows its grants; q quits", function()
    local pid, rd = H.start({ "--label", two_sleepers() }, 1)
    defer(function() stop(pid, rd) end)
    local t = start_top({ tostring(pid) })
    defer(function() stop_top(t) end)

    -- each void's pid 1 (inside: 1) and its sleep (inside: 2), by host pid
    local layout = layout_json(pid)
    local s
    for _, v in ipairs(layout.voids) do
      wait_for(t, ("%-7d %-5s %s"):format(v.tree.children[1].pid, 2, table.concat(v.tree.children[1].cmdline, " ")))
      s = wait_for(t, ("%-7d %-5s "):format(v.pid, 1))
    end
    assert.is_truthy(s:find("voidrun " .. pid, 1, true), s)
    assert.is_truthy(s:match("\n  void alpha +cpu +[%d.%%-]+ +mem +[%d.]+ [KM]iB +procs 2"), s)
    assert.is_truthy(s:match("\n  void beta +cpu +[%d.%%-]+ +mem +[%d.]+ [KM]iB +procs 2"), s)

    -- down (j) selects beta; Enter shows its grants
    keys(t, "j")
    keys(t, "Enter")
    s = wait_for(t, "void beta of layout " .. pid)
    assert.is_truthy(s:find("GRANTS", 1, true), s)
    assert.is_truthy(s:find("CapEff none", 1, true), s)
    assert.is_truthy(s:find("NoNewPrivs 1  Seccomp filter", 1, true), s)
    -- its Landlock rules, as voidrun holds them (the control socket)
    s = wait_for(t, "landlock: file rules")
    assert.is_truthy(s:match("landlock: file rules\n  /%S*%s+execute[%w_ ]*read_file"), s)
    -- its mounts, read from /proc, are the profile's; its entry's fds
    -- are /dev/null and voidrun's stdout (a pipe) and stderr (a file)
    s = wait_for(t, "/bin/sleep")
    assert.is_truthy(s:match("\n  /proc%s+proc"), s)
    assert.is_truthy(s:match("\n  /%s+tmpfs%s+ro,"), s)
    assert.is_truthy(s:match("\n  0%s+/dev/null\n  1%s+pipe:"), s)
    assert.is_truthy(s:find("interfaces lo  (no network: loopback only)", 1, true), s)
    assert.is_truthy(s:find("rlimits: voidrun's", 1, true), s)
    -- Escape goes back to the tree, down (arrow) stays on the last void
    keys(t, "Escape")
    wait_for(t, "PID     VPID  COMMAND")
    keys(t, "Down", "g")
    wait_for(t, "void beta of layout " .. pid)
    keys(t, "g")
    wait_for(t, "PID     VPID  COMMAND")
    keys(t, "k", "Enter")
    wait_for(t, "void alpha of layout " .. pid)

    keys(t, "q")
    local status, err = ended(t)
    assert.are.equal("", err)
    assert.are.equal(0, status)
  end)

  it("sees a layout end at once", function()
    local pid, rd = H.start({ two_sleepers() }, 1)
    local stopped = false
    defer(function() if not stopped then stop(pid, rd) end end)
    local t = start_top({ tostring(pid) })
    defer(function() stop_top(t) end)
    wait_for(t, "void alpha")
    stop(pid, rd)
    stopped = true
    wait_for(t, ("layout %d is not running (it ended)"):format(pid))
    keys(t, "q")
    assert.are.equal(0, (ended(t)))
  end)

  it("opens a shell in the selected void, and comes back when it exits", function()
    if not BUSYBOX then
      pending("busybox-static is not installed: the shell in a void is not tested")
      return
    end
    local pid, rd = H.start({ "--label", two_sleepers() }, 1)
    defer(function() stop(pid, rd) end)
    layout_json(pid)
    local t = start_top({ tostring(pid) })
    defer(function() stop_top(t) end)
    wait_for(t, "void beta")
    keys(t, "j", "s")
    wait_for(t, "exit the shell to return")
    keys(t, "-l", "hostname")
    keys(t, "Enter")
    local s = wait_for(t, "host-beta")
    -- the void's own hostname, not the host's
    assert.is_falsy(s:find(H.sh("hostname").stdout:gsub("%s+$", ""), 1, true), s)
    keys(t, "-l", "exit")
    keys(t, "Enter")
    wait_for(t, "PID     VPID  COMMAND")

    -- a void without a shell: top says so and comes back on Enter
    keys(t, "k", "s")
    wait_for(t, "press Enter to return")
    keys(t, "Enter")
    wait_for(t, "PID     VPID  COMMAND")
    keys(t, "q")
    -- (enter said why on top's stderr, here a file)
    local status, err = ended(t)
    assert.are.equal(0, status)
    assert.are.same({ "voidrun: enter: alpha: /bin/sh: No such file or directory" }, H.lines(err))
  end)
end)

-- A broker's workers are not registered (no registry write per worker):
-- ps and top find them in /proc as voidrun's children in a pid namespace
-- of their own, and tell whose they are by the program they run.
describe("a broker's workers", function()
  -- Two brokers, one worker per message; a feeding void gives each one
  -- message and stays.
  local function two_brokers()
    return H.profile([[
local vr = require "voidrun"
local p, q = vr.pipe(), vr.pipe()
local sh = { vr.exe "/bin/sh", vr.exe "/bin/sleep" }
vr.void "feed1" { exec = { "/bin/sh", "-c", "echo one; exec sleep 1000" }, fs = sh, stdout = p.tx }
vr.void "feed2" { exec = { "/bin/sh", "-c", "echo two; exec sleep 1000" }, fs = sh, stdout = q.tx }
vr.broker "sleepers" { on = p.rx, each = "message",
  worker = { exec = { "/bin/sleep", "1000" }, fs = { vr.exe "/bin/sleep" } } }
vr.broker "tails" { on = q.rx, each = "message",
  worker = { exec = { "/usr/bin/tail", "-f", "/dev/null" }, fs = { vr.exe "/usr/bin/tail", vr.dev() } } }
]])
  end

  -- ps --json's layout pid once each broker has a worker running its
  -- program.
  local function with_workers(pid)
    return poll_layout(pid, function(l)
      local n = 0
      for _, v in ipairs(l.voids) do
        for _, w in ipairs(v.workers or {}) do
          if w.tree.children[1] then n = n + 1 break end
        end
      end
      return n == 2
    end, "ran a worker for each broker")
  end

  it("are listed by ps under their broker", function()
    local pid, rd = H.start({ two_brokers() })
    defer(function() stop(pid, rd) end)
    local l = with_workers(pid)
    local by = {}
    for _, v in ipairs(l.voids) do by[v.name] = v end
    -- voids have no workers; each broker has its own, the ones prepared
    -- ahead (no entry yet) included
    assert.is_nil(by.feed1.workers)
    assert.is_true(by.feed1.running)
    local seen = {}
    for name, prog in pairs { sleepers = "/bin/sleep", tails = "/usr/bin/tail" } do
      assert.are.equal("broker", by[name].kind)
      for _, w in ipairs(by[name].workers) do
        assert.are.equal(w.pid, w.tree.pid)
        assert.are.equal(1, w.tree.nspid)
        local entry = w.tree.children[1]
        if entry then assert.are.equal(prog, entry.cmdline[1]) end
        assert.is_nil(seen[w.pid])
        seen[w.pid] = true
      end
    end
    -- and no registered void is taken for a worker
    assert.is_nil(seen[by.feed1.pid])
    assert.is_nil(seen[by.feed2.pid])
    -- a worker prepared ahead (no entry yet) is its broker's: its mounts
    -- have its broker's program, not the other's
    for name, progs in pairs { sleepers = { "/bin/sleep", "/usr/bin/tail" }, tails = { "/usr/bin/tail", "/bin/sleep" } } do
      for _, w in ipairs(by[name].workers) do
        local mi = H.sh("cat /proc/" .. w.pid .. "/mountinfo").stdout
        if mi ~= "" then  -- (unless it ended meanwhile)
          assert.is_truthy(mi:find(" " .. progs[1] .. " ", 1, true), mi)
          assert.is_falsy(mi:find(" " .. progs[2] .. " ", 1, true), mi)
        end
      end
    end

    local text = voidrun({ "ps" }).stdout
    assert.is_truthy(text:match("\n  broker sleepers: %d+ workers?\n"), text)
    assert.is_truthy(text:find("/usr/bin/tail -f /dev/null", 1, true), text)
  end)

  it("are shown by top under their broker", function()
    if TMUX == "" then
      pending("tmux is not installed (Debian: apt-get install tmux): top is not tested")
      return
    end
    local pid, rd = H.start({ two_brokers() })
    defer(function() stop(pid, rd) end)
    with_workers(pid)
    local t = start_top({ tostring(pid) })
    defer(function() stop_top(t) end)
    wait_for(t, "/bin/sleep 1000")
    local s = wait_for(t, "/usr/bin/tail -f /dev/null")
    assert.is_truthy(s:match("\n  broker sleepers +cpu .* workers %d+"), s)
    assert.is_truthy(s:match("\n  broker tails +cpu .* workers %d+"), s)
    -- the grants of a broker are those of one of its workers
    keys(t, "j", "j", "j", "Enter")
    s = wait_for(t, "broker tails of layout " .. pid)
    wait_for(t, "/usr/bin/tail")
    keys(t, "q")
    assert.are.equal(0, (ended(t)))
  end)
end)
