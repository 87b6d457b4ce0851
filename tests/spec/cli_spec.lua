-- SPDX-License-Identifier: MIT
-- The voidrun command line, through the real binary: exit statuses, bad
-- input (one clear line naming the profile line or the path, exit 125,
-- nothing left behind), params, signals.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local core = H.core

local function profile(body)
  return H.profile("local vr = require \"voidrun\"\n" .. body)
end

-- A void running /bin/sh -c SCRIPT.
local function sh_profile(script)
  return profile(([[
vr.void "main" { exec = { "/bin/sh", "-c", %q }, fs = { vr.exe "/bin/sh" } }
]]):format(script))
end

after_each(H.cleanup)

describe("voidrun's exit status", function()
  it("is the entry's exit code", function()
    assert.are.equal(0, H.voidrun({ sh_profile("exit 0") }).code)
    assert.are.equal(3, H.voidrun({ sh_profile("exit 3") }).code)
    assert.are.equal(124, H.voidrun({ sh_profile("exit 124") }).code)
  end)

  it("is 128+N when the entry is killed by signal N (pid 1 reports the real status)", function()
    assert.are.equal(137, H.voidrun({ sh_profile("kill -9 $$") }).code)
    assert.are.equal(143, H.voidrun({ sh_profile("kill -TERM $$") }).code)
  end)

  it("is the entry's, not pid 1's, when orphans are left running", function()
    -- the entry exits at once, leaving a child behind: pid 1 reaps, voidrun
    -- reports the entry, and the orphan dies with the void
    local s = H.snapshot()
    local r = H.voidrun({ sh_profile("sleep 1000 & exit 5") })
    assert.are.equal(5, r.code)
    H.assert_clean(s)
  end)
end)

describe("bad input", function()
  -- Each case: the profile text, a pattern the single stderr line must
  -- match, and the line of the text it must name (nil: no line to name).
  -- A void's errors name the line where its `vr.void` call starts; a
  -- helper's, the line of the helper.
  local cases = {
    { "syntax error", 'vr.void "main" {\n  exec = { "/bin/true" ,,\n}', "'}' expected|unexpected symbol", 2 },
    { "unknown field", 'vr.void "main" {\n  exce = { "/bin/true" },\n}', "unknown field 'exce' in void 'main'", 1 },
    { "wrong type", 'vr.void "main" {\n  exec = "/bin/true",\n  fs = { vr.exe "/bin/true" } }',
      "exec must be a list of strings, got string", 1 },
    { "empty exec", 'vr.void "main" {\n  exec = {},\n  fs = {} }', "exec is empty", 1 },
    { "missing binary", 'vr.void "main" {\n  exec = { "/bin/nonexistent" },\n  fs = { vr.exe "/bin/nonexistent" } }',
      "/bin/nonexistent: No such file or directory", 3 },
    { "missing path", 'local d = vr.ro("/srv/nonexistent-data", "/data")\nvr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true", d } }',
      "/srv/nonexistent%-data: No such file or directory", 1 },
    { "relative exec", 'vr.void "main" {\n  exec = { "true" }, fs = {} }', "must be an absolute path", 1 },
    { "exec not in fs", 'vr.void "main" {\n  exec = { "/bin/true" },\n  fs = { vr.exe "/bin/echo" } }',
      "exec /bin/true is not in the void's fs", 1 },
    { "a string in fs", 'vr.void "main" {\n  exec = { "/bin/true" },\n  fs = { "/bin/true" } }',
      "fs%[1%] must be an entry", 1 },
    { "bad env value", 'vr.void "main" {\n  exec = { "/bin/true" }, fs = { vr.exe "/bin/true" },\n  env = { A = {} } }',
      "env.A must be a string", 1 },
    { "a void twice", 'vr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" } }\nvr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" } }',
      "void 'main' is defined twice", 2 },
    { "no void", "local x = 1", "defines no void", nil },
    { "two fs entries at one path", 'vr.void "main" { exec = { "/bin/true" },\n  fs = { vr.exe "/bin/true", vr.ro("/etc/hostname", "/x"),\n vr.ro("/etc/passwd", "/x") } }',
      "/x is given twice", 3 },
    { "io is not available", 'io.open("/etc/shadow")', "attempt to index a nil value %(global 'io'%)", 1 },
    { "os.execute is not available", 'os.execute("true")', "attempt to call a nil value %(field 'execute'%)", 1 },
    { "loadfile is not available", 'loadfile("/etc/passwd")', "attempt to call a nil value %(global 'loadfile'%)", 1 },
    { "load is not available", 'load("return 1")', "attempt to call a nil value %(global 'load'%)", 1 },
    { "other modules are not available", 'require "os"', "module 'os' is not available in a profile", 1 },
    { "two vr.dev", 'vr.void "main" { exec = { "/bin/true" },\n  fs = { vr.exe "/bin/true", vr.dev(), vr.dev "/dev2" } }',
      "a void has one vr.dev at most", 1 },
    { "a bad cwd", 'vr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" },\n  cwd = "relative" }',
      "cwd 'relative' must be an absolute path", 1 },
    { "one tmpfs path, two options", 'vr.void "main" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true",\n  vr.tmpfs("/t", { size = "1m" }), vr.tmpfs("/t", { size = "2m" }) } }',
      "/t is given twice", 2 },
    { "a hole in fs", 'vr.void "main" { exec = { "/bin/true" },\n  fs = { vr.exe "/bin/true", nil, vr.proc() } }',
      "fs%[2%] must be an entry", 1 },
    { "an upper-case param", 'vr.param("Port", 1)', "must be a lower%-case identifier", 1 },
    { "the string metatable is out of reach", 'getmetatable("").__index.format = nil', "attempt to index a nil value", 1 },
    { "C modules are not available", 'package.loadlib("x", "y")', "attempt to index a nil value %(global 'package'%)", 1 },
  }

  for _, c in ipairs(cases) do
    local name, body, pattern, line = c[1], c[2], c[3], c[4]
    it(name .. ": one line naming the place, exit 125, nothing left behind", function()
      local s = H.snapshot()
      local path = profile(body)
      local r = H.voidrun({ path })
      assert.are.equal(125, r.code, r.stderr)
      assert.are.equal("", r.stdout)
      local lines = H.lines(r.stderr)
      assert.are.equal(1, #lines, r.stderr)
      local matched = false
      for alt in pattern:gmatch("[^|]+") do matched = matched or lines[1]:match(alt) ~= nil end
      assert.is_true(matched, lines[1])
      assert.is_truthy(lines[1]:match("^voidrun: "), lines[1])
      if line then
        -- the profile's first line is the require added above
        local want = H.shq(path):sub(2, -2) .. ":" .. (line + 1) .. ":"
        assert.is_truthy(lines[1]:find(want, 1, true), lines[1] .. " does not name " .. want)
      end
      H.assert_clean(s)
    end)
  end

  it("a void that cannot be built: one line naming the void, the step and the paths; exit 125", function()
    -- /x is bound as a file, so nothing can be mounted below it
    local s = H.snapshot()
    local r = H.voidrun({ profile([[
vr.void "main" { exec = { "/bin/true" },
  fs = { vr.exe "/bin/true", vr.ro("/etc/hostname", "/x"), vr.ro("/etc", "/x/y") } }
]]) })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: main: bind /etc -> /x/y: Not a directory" }, H.lines(r.stderr))
    H.assert_clean(s)
  end)

  it("a missing profile file", function()
    local r = H.voidrun({ "/nonexistent/profile.lua" })
    assert.are.equal(125, r.code)
    assert.are.equal(1, #H.lines(r.stderr))
    assert.is_truthy(r.stderr:match("/nonexistent/profile.lua"))
  end)

  it("an unknown option is a usage error, exit 2", function()
    local r = H.voidrun({ "--frobnicate", "x.lua" })
    assert.are.equal(2, r.code)
    assert.is_truthy(r.stderr:match("unknown option '%-%-frobnicate'"))
  end)

  it("no profile is a usage error, exit 2", function()
    assert.are.equal(2, H.voidrun({}).code)
  end)
end)

describe("params", function()
  local prof

  before_each(function()
    prof = profile([[
local port = vr.param("port", 7000, "TCP port")
local name = vr.param("name", "world", "who to greet")
local loud = vr.param("loud", false, "shout")
vr.void "main" { exec = { "/bin/echo", name, port, math.type(port), tostring(loud) }, fs = { vr.exe "/bin/echo" } }
]])
  end)

  it("have their defaults", function()
    assert.are.equal("world 7000 integer false\n", H.voidrun({ prof }).stdout)
  end)

  it("are overridden by --set, typed by the default", function()
    local r = H.voidrun({ "--set", "port=8443", "--set", "name=void", "--set=loud=yes", prof })
    assert.are.equal("void 8443 integer true\n", r.stdout)
  end)

  it("are overridden by VOIDRUN_NAME in the environment", function()
    local r = H.voidrun({ prof }, { env = { VOIDRUN_PORT = "9000", VOIDRUN_NAME = "env" } })
    assert.are.equal("env 9000 integer false\n", r.stdout)
  end)

  it("--set wins over the environment", function()
    local r = H.voidrun({ "--set", "port=1", prof }, { env = { VOIDRUN_PORT = "2" } })
    assert.are.equal("world 1 integer false\n", r.stdout)
  end)

  it("a bad value is an error naming the param", function()
    local r = H.voidrun({ "--set", "port=https", prof })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: --set port: param 'port' must be a number, got 'https'" }, H.lines(r.stderr))
    r = H.voidrun({ prof }, { env = { VOIDRUN_PORT = "1.5" } })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: VOIDRUN_PORT: param 'port' must be an integer, got '1.5'" }, H.lines(r.stderr))
    r = H.voidrun({ "--set", "loud=maybe", prof })
    assert.is_truthy(r.stderr:match("param 'loud' must be true or false"))
  end)

  it("only declared params can be overridden", function()
    local r = H.voidrun({ "--set", "root=/", prof })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: --set root: the profile declares no param 'root' (declared: port, name, loud)" },
      H.lines(r.stderr))
    r = H.voidrun({ prof }, { env = { VOIDRUN_ROOT = "/" } })
    assert.are.equal(125, r.code)
    assert.is_truthy(r.stderr:match("VOIDRUN_ROOT: the profile declares no param 'root'"))
  end)

  it("are listed by check with their values and sources", function()
    local r = H.voidrun({ "check", "--set", "port=1", prof })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:match("param port = 1 %(%-%-set port%)  %-%- TCP port"))
    assert.is_truthy(r.stdout:match("param name = world %(default%)"))
  end)
end)

describe("signals", function()
  -- Start the binary with the probe sleeping inside; wait for its "ready".
  local function start(...)
    local pid, rd = H.start({ H.probe_profile, ... }, 1)
    return pid, rd
  end

  -- env(1) setting signal actions for what it runs (coreutils >= 8.31).
  local function env_signals(...)
    local argv = { "/usr/bin/env", ... }
    if H.sh(table.concat(argv, " ") .. " true").code ~= 0 then return nil end
    return argv
  end

  it("SIGTERM to voidrun reaches the entry: exit 143", function()
    local s = H.snapshot()
    local pid, rd = start("echo", "ready", "sleep", "1000")
    assert.is_true(core.kill(pid, 15))
    assert.are.same({ "exited", 143 }, { core.waitpid(pid) })
    core.close(rd)
    H.assert_clean(s)
  end)

  it("SIGINT too: exit 130", function()
    -- (whatever this run inherited: a background job starts with INT ignored)
    local prefix = env_signals("--default-signal=INT")
    if not prefix then return pending("env(1) has no --default-signal here") end
    local pid, rd = H.start({ H.probe_profile, "echo", "ready", "sleep", "1000" }, 1, prefix)
    assert.is_true(core.kill(pid, 2))
    assert.are.same({ "exited", 130 }, { core.waitpid(pid) })
    core.close(rd)
  end)

  it("a signal voidrun was started with ignored stays ignored (nohup's HUP)", function()
    local prefix = env_signals("--ignore-signal=HUP")
    if not prefix then return pending("env(1) has no --ignore-signal here") end
    local s = H.snapshot()
    local pid, rd = H.start({ H.probe_profile, "echo", "ready", "sleep", "1000" }, 1, prefix)
    -- Both pending at once would be read HUP first (lower number): had
    -- voidrun taken HUP, it would end with 129, not TERM's 143.
    assert.is_true(core.kill(pid, 1))
    assert.is_true(core.kill(pid, 15))
    assert.are.same({ "exited", 143 }, { core.waitpid(pid) })
    core.close(rd)
    H.assert_clean(s)
  end)

  it("a void dies with voidrun: kill -9 of voidrun leaves no process behind", function()
    local s = H.snapshot()
    local pid, rd = start("echo", "ready", "sleep", "1000")
    assert.is_true(H.new_processes(s) > 0)  -- the void is running
    assert.is_true(core.kill(pid, 9))
    assert.are.same({ "signaled", 9 }, { core.waitpid(pid) })
    core.close(rd)
    H.assert_clean(s)
  end)
end)

describe("--help and --version", function()
  it("print usage and the version, exit 0", function()
    local r = H.voidrun({ "--help" })
    assert.are.equal(0, r.code)
    assert.is_truthy(r.stdout:match("^Usage: voidrun"))
    r = H.voidrun({ "--version" })
    assert.are.equal(0, r.code)
    assert.is_truthy(r.stdout:match("^voidrun %d+%.%d+%.%d+\n$"))
  end)
end)

describe("voidrun lua", function()
  it("runs a trusted script with voidrun's Lua, exiting with its result", function()
    local ok = H.profile('local vr = require "voidrun"\nio.write(vr.version, " ", arg[1], "\\n")\nreturn 3\n')
    local r = H.voidrun({ "lua", ok, "x" })
    assert.are.equal(3, r.code)
    assert.is_truthy(r.stdout:match("^%d+%.%d+%.%d+ x\n$"))
  end)

  it("reports a script's error with its line and exits 1", function()
    local bad = H.profile('local x = nil\nx.y = 1\n')
    local r = H.voidrun({ "lua", bad })
    assert.are.equal(1, r.code)
    assert.is_truthy(r.stderr:find(bad .. ":2: attempt to index a nil value", 1, true), r.stderr)
  end)

  -- A statically linked voidrun runs `lua`, `test` and `top` in its
  -- dynamically linked twin (lua/main.c); for the script, voidrun's
  -- directory is still the one voidrun was started from.
  it("gives the script voidrun's own directory as core.exe_dir()", function()
    local script = H.profile('io.write(require("voidrun.core").exe_dir(), "\\n")\n')
    local r = H.voidrun({ "lua", script })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal(H.bin:match("^(.*)/[^/]*$") .. "\n", r.stdout)
  end)

  it("without its twin, a static voidrun says which file is missing, in one line, status 125", function()
    local deps = H.core.elf_deps(H.bin)
    if not deps or deps.interp then
      pending("voidrun is linked dynamically here (VOIDRUN_STATIC_EXE off): it has no twin")
      return
    end
    local dir = H.tmpdir()
    assert.are.equal(0, H.sh("mkdir " .. H.shq(dir .. "/bin") .. " && cp " .. H.shq(H.bin) .. " " ..
      H.shq(dir .. "/bin/voidrun")).code)
    local script = H.profile('print("ran")\n')
    for _, cmd in ipairs { { "lua", script }, { "test" }, { "top" } } do
      local r = H.sh("env -i PATH=/usr/bin:/bin " .. H.shq(dir .. "/bin/voidrun") .. " " .. table.concat(cmd, " "))
      assert.are.equal(125, r.code)
      assert.are.equal("", r.stdout)
      assert.are.equal(("voidrun: %s/libexec/voidrun/voidrun-full: No such file or directory (needed for `voidrun %s`)\n")
        :format(dir, cmd[1]), r.stderr)
    end
    H.rmtree(dir)
  end)
end)
