-- SPDX-License-Identifier: MIT
-- Layouts: several voids wired by channels, through the real binary.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")

local function profile(body)
  return H.profile("local vr = require \"voidrun\"\n" .. body)
end

local function prof(name) return H.root .. "/profiles/" .. name end

-- A void running the probe with ARGS (a Lua list literal) and more keys.
local function probe_void(name, args, more)
  return ([[
vr.void %q { exec = { "/probe", %s }, fs = { vr.exe(vr.libexec "voidrun-probe", "/probe") }, %s }
]]):format(name, args, more or "")
end

local function sh_void(name, script, more)
  return ([[
vr.void %q { exec = { "/bin/sh", "-c", %q }, fs = { vr.exe "/bin/sh", vr.exe "/bin/sleep" }, %s }
]]):format(name, script, more or "")
end

after_each(H.cleanup)

describe("profiles/pipes.lua", function()
  it("a sender void's messages reach a receiver void", function()
    local r = H.voidrun({ prof "pipes.lua" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("receiver: received 100 messages, 1092 bytes\n", r.stdout)
  end)

  it("takes the count as a param", function()
    assert.are.equal("receiver: received 7 messages, 70 bytes\n",
      H.voidrun({ "--set", "count=7", prof "pipes.lua" }).stdout)
  end)
end)

describe("profiles/gzip.lua", function()
  local dir
  before_each(function()
    dir = H.tmpdir()
    H.sh("head -c 200000 /dev/urandom > " .. dir .. "/data && seq 1 20000 >> " .. dir .. "/data")
  end)
  after_each(function() H.rmtree(dir) end)

  it("compresses voidrun's stdin to its stdout, byte for byte as gzip -c", function()
    local r = H.sh(("cd %s && %s %s < data > void.gz && gzip -c < data > plain.gz && cmp void.gz plain.gz && echo same")
      :format(dir, H.shq(H.bin), H.shq(prof "gzip.lua")))
    assert.are.equal("same\n", r.stdout, r.stderr)
  end)

  it("compresses files named by params, opened by voidrun, as gzip -c", function()
    local r = H.sh(("cd %s && %s --set input=data --set output=void.gz %s && gzip -c < data > plain.gz && cmp void.gz plain.gz && echo same")
      :format(dir, H.shq(H.bin), H.shq(prof "gzip.lua")))
    assert.are.equal("same\n", r.stdout, r.stderr)
  end)

  it("sees no file system but its own program", function()
    local r = H.voidrun({ "check", prof "gzip.lua" })
    local binds = 0
    for line in r.stdout:gmatch("  bind [^\n]+") do
      binds = binds + 1
      assert.is_truthy(line:match("gzip") or line:match("libc") or line:match("ld%-linux"), line)
    end
    assert.are.equal(3, binds)
  end)
end)

describe("profiles/cp.lua", function()
  local dir
  before_each(function()
    dir = H.tmpdir()
    -- as root the voids write as nobody: let them
    os.execute("chmod 777 " .. dir)
    H.sh("head -c 300000 /dev/urandom > " .. dir .. "/src.bin")
  end)
  after_each(function() H.rmtree(dir) end)

  local function cp(...)
    local args = {}
    for _, a in ipairs { ... } do args[#args + 1] = H.shq(a) end
    return H.sh(("cd %s && %s %s %s"):format(dir, H.shq(H.bin), H.shq(prof "cp.lua"), table.concat(args, " ")))
  end

  it("copies byte for byte as cp does", function()
    local r = cp("src.bin", "void.bin")
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("same\n", H.sh(("cd %s && cp src.bin plain.bin && cmp void.bin plain.bin && echo same"):format(dir)).stdout)
  end)

  it("takes absolute paths below the directory it was started in", function()
    local r = cp(dir .. "/src.bin", dir .. "/abs.bin")
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", H.sh(("cmp %s/src.bin %s/abs.bin"):format(dir, dir)).stdout)
  end)

  it("reports usage errors from the void that parses arguments", function()
    local r = cp()
    assert.are.equal(1, r.code)
    assert.is_truthy(r.stderr:match("^cp: missing file operand\n"))
    r = cp("src.bin")
    assert.is_truthy(r.stderr:match("missing destination file operand after 'src.bin'"))
    r = cp("/etc/passwd", "x")
    assert.are.equal(1, r.code)
    assert.is_truthy(r.stderr:match("outside"))
  end)

  it("reports a missing source from the void that opens files", function()
    local r = cp("nonexistent", "x")
    assert.are.equal(1, r.code)
    assert.is_truthy(r.stderr:match("cp: cannot open 'nonexistent' for reading: No such file or directory"))
  end)
end)

describe("wiring", function()
  it("an end inside exec becomes its fd number in the void", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
]] .. probe_void("writer", [["write-fd", p.tx, "through the pipe"]]) .. probe_void("reader", [["read-fd", p.rx]], "stdout = vr.stdout")) })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:match("result read%-fd 3 ok through the pipe"), r.stdout)
  end)

  it("vr.file passes a file the void can neither name nor reach", function()
    local dir = H.tmpdir()
    local f = io.open(dir .. "/secret", "w")
    f:write("s3cret")
    f:close()
    os.execute("chmod 600 " .. dir .. "/secret")
    local r = H.voidrun({ profile(([[
local key = vr.file(%q)
]]):format(dir .. "/secret") .. probe_void("v", ([["read-fd", "7", "read", %q]]):format(dir .. "/secret"), "fds = { [7] = key }")) })
    H.rmtree(dir)
    assert.are.equal(0, r.code, r.stderr)
    local p = H.vr.probe.parse(r.stdout)
    assert.are.equal("ok s3cret", p.outcome("read-fd"):gsub("^7 ", ""))
    assert.are.equal("ENOENT", p.outcome("read"))
  end)

  it("a function entry uses the ends it was given, and no other", function()
    local r = H.voidrun({ profile([[
local a, b = vr.pipe(), vr.pipe()
vr.void "w" { ends = { a.tx, b.tx }, run = function() a.tx:write("A") b.tx:write("B") end }
vr.void "r" { ends = { a.rx, b.rx }, stdout = vr.stdout, run = function()
  vr.stdout:write(a.rx:read_all(), b.rx:read_all(), "\n")
  local ok, err = pcall(function() return a.tx:write("x") end)
  vr.stdout:write(tostring(ok), " ", err, "\n")
end, after = { "w" } }
]]) })
    assert.are.equal(0, r.code, r.stderr)
    local lines = H.lines(r.stdout)
    assert.are.equal("AB", lines[1])
    assert.is_truthy(lines[2]:match("^false .*the write end of the pipe made at .- is not given to this void$"), lines[2])
  end)

  it("fds pass between voids at run time over a socketpair", function()
    local dir = H.tmpdir()
    local f = io.open(dir .. "/data", "w")
    f:write("passed along")
    f:close()
    local r = H.voidrun({ profile(([[
local s = vr.socketpair { type = "seqpacket" }
local file = vr.file(%q)
vr.void "sender" { ends = { s[1], file }, run = function() s[1]:send_fd(file, "here") end }
vr.void "receiver" { ends = { s[2] }, stdout = vr.stdout, run = function()
  local e, data = s[2]:recv_fd()
  vr.stdout:write(data, ": ", e:read_all(), "\n")
end }
]]):format(dir .. "/data")) })
    H.rmtree(dir)
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("here: passed along\n", r.stdout)
  end)

  it("a C program receives fds with voidrun/fdpass.h", function()
    local dir = H.tmpdir()
    for name, text in pairs { a = "first file\n", b = "second file\n" } do
      local f = io.open(dir .. "/" .. name, "w")
      f:write(text)
      f:close()
    end
    local r = H.voidrun({ profile(([[
local s = vr.socketpair()
local a, b = vr.file(%q), vr.file(%q)
vr.void "sender" { ends = { s[1], a, b }, run = function() s[1]:send_fd(a, "a") s[1]:send_fd(b, "b") end }
vr.void "fdcat" { exec = { "/fdcat", s[2] }, fs = { vr.exe(vr.libexec "voidrun-fdcat", "/fdcat") } }
]]):format(dir .. "/a", dir .. "/b")) })
    H.rmtree(dir)
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("a:\nfirst file\nb:\nsecond file\n", r.stdout)
  end)

  it("one end may be placed at several fds: stdout and stderr to one pipe", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
vr.void "w" { exec = { "/bin/sh", "-c", "echo out; echo err >&2" }, fs = { vr.exe "/bin/sh" }, stdout = p.tx, stderr = p.tx }
vr.void "r" { ends = { p.rx }, stdout = vr.stdout, run = function() vr.stdout:write(p.rx:read_all()) end }
]]) })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("out\nerr\n", r.stdout)
  end)

  it("vr.dup shares an end between two voids", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
vr.void "w1" { ends = { p.tx }, run = function() p.tx:write("one\n") end }
local d = vr.dup(p.tx)
vr.void "w2" { ends = { d }, run = function() d:write("two\n") end, after = { "w1" } }
vr.void "r" { ends = { p.rx }, stdout = vr.stdout, after = { "w2" }, run = function()
  local t = {}
  for l in p.rx:lines() do t[#t + 1] = l end
  table.sort(t)
  vr.stdout:write(table.concat(t, ","), "\n")
end }
]]) })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("one,two\n", r.stdout)
  end)
end)

describe("bad wiring is refused before anything starts", function()
  local cases = {
    { "an end nobody uses", 'local p = vr.pipe()\nvr.void "a" { ends = { p.tx }, run = function() end }',
      "the read end of the pipe made at .-:2 is given to no void", 1 },
    { "an end given to two voids", 'local p = vr.pipe()\nvr.void "a" { ends = { p.tx }, run = function() end }\nvr.void "b" { ends = { p.tx, p.rx }, run = function() end }',
      "void 'b': the write end of the pipe made at .-:2 is already given to void 'a' %(use vr.dup to share it%)", 3 },
    { "after names no void", 'vr.void "a" { run = function() end, after = { "nope" } }',
      "void 'a': after names no void 'nope'", 1 },
    { "a cycle in after", 'vr.void "a" { run = function() end, after = "b" }\nvr.void "b" { run = function() end, after = "a" }',
      "a cycle in after: a %-> b %-> a", 1 },
    { "exec and run", 'vr.void "a" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" },\n run = function() end }',
      "void 'a' has both exec and run", 1 },
    { "two ends at one fd", 'local p = vr.pipe()\nvr.void "a" { stdin = p.rx, fds = { [0] = vr.stdin }, run = function() end }\nvr.void "b" { ends = { p.tx }, run = function() end }',
      "void 'a': fd 0 is given twice %(the read end of the pipe made at .-, and voidrun's stdin%)", 2 },
    { "a bad on_exit", 'vr.void "a" { run = function() end,\n on_exit = "retry" }', "on_exit must be", 1 },
    { "not an end", 'vr.void "a" { run = function() end,\n stdin = "/dev/null" }', "stdin must be a channel end", 1 },
    { "a missing vr.file", 'local f = vr.file("/nonexistent/key")\nvr.void "a" { ends = { f }, run = function() end }',
      "/nonexistent/key: No such file or directory", 1 },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      local s = H.snapshot()
      local path = profile(c[2])
      local r = H.voidrun({ path })
      assert.are.equal(125, r.code, r.stderr)
      local lines = H.lines(r.stderr)
      assert.are.equal(1, #lines, r.stderr)
      assert.is_truthy(lines[1]:match(c[3]), lines[1])
      assert.is_truthy(lines[1]:find(path .. ":" .. (c[4] + 1) .. ":", 1, true), lines[1])
      H.assert_clean(s)
    end)
  end
end)

describe("supervision", function()
  it("runs voids in after order", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
vr.void "second" { ends = { p.tx }, after = { "first" }, run = function() p.tx:write("second\n") end }
vr.void "first" { ends = { vr.dup(p.tx) }, run = function() end }
vr.void "out" { ends = { p.rx }, stdout = vr.stdout, after = { "second" }, run = function() vr.stdout:write(p.rx:read_all()) end }
]]) })
    assert.are.equal(0, r.code, r.stderr)
    local c = H.voidrun({ "check", H.profile('local vr = require "voidrun"\nvr.void "b" { run = function() end, after = "a" }\nvr.void "a" { run = function() end }') })
    assert.is_truthy(c.stdout:match("start order a, b"))
  end)

  it("the main void's status is the layout's, and its end stops the others", function()
    local s = H.snapshot()
    local r = H.voidrun({ profile(sh_void("sleeper", "sleep 1000") .. sh_void("main", "exit 4", "main = true")) })
    assert.are.equal(4, r.code, r.stderr)
    H.assert_clean(s)
  end)

  it("without a main void, the first failure is the layout's status", function()
    local r = H.voidrun({ profile(sh_void("ok", "exit 0") .. sh_void("bad", "exit 3") .. sh_void("worse", "sleep 0.2; exit 5")) })
    assert.are.equal(3, r.code)
  end)

  it("on_exit = stop_all ends the layout when that void ends", function()
    local s = H.snapshot()
    local r = H.voidrun({ profile(sh_void("sleeper", "sleep 1000") .. sh_void("quick", "exit 0", 'on_exit = "stop_all"')) })
    -- the sleeper was stopped with TERM: its status is the first failure
    assert.are.equal(143, r.code)
    H.assert_clean(s)
  end)

  it("on_exit = restart restarts a void, at most `restarts` times, then stops the layout", function()
    local r = H.voidrun({ profile(sh_void("flaky", "echo run; exit 1", 'on_exit = "restart", restarts = 3, stdout = vr.stdout')) })
    assert.are.equal(1, r.code)
    assert.are.equal("run\nrun\nrun\nrun\n", r.stdout)
    assert.is_truthy(r.stderr:match("flaky: gave up after 3 restarts"))
  end)

  it("a void killed by a signal is reported, with 128+N", function()
    local r = H.voidrun({ profile(sh_void("victim", "kill -9 $$") .. sh_void("other", "exit 0")) })
    assert.are.equal(137, r.code)
    assert.is_truthy(r.stderr:match("victim: killed by signal 9"))
  end)

  it("a void that fails to build stops the layout before the rest of it runs", function()
    local s = H.snapshot()
    local r = H.voidrun({ profile(sh_void("first", "sleep 1000")
      .. 'vr.void "broken" { exec = { "/bin/true" }, fs = { vr.exe "/bin/true", vr.ro("/etc/hostname", "/x"), vr.ro("/etc", "/x/y") }, after = { "first" } }\n'
      .. sh_void("third", "echo third ran", 'after = { "broken" }, stdout = vr.stdout')) })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: broken: bind /etc -> /x/y: Not a directory" }, H.lines(r.stderr))
    assert.are.equal("", r.stdout)
    H.assert_clean(s)
  end)

  it("a reader that ends early gives the writer EPIPE, and voidrun does not hang", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
vr.void "writer" { exec = { "/usr/bin/seq", "1", "100000000" }, fs = { vr.exe "/usr/bin/seq" }, stdout = p.tx }
vr.void "reader" { ends = { p.rx }, run = function() p.rx:read(10) end }
]]) })
    -- seq dies of SIGPIPE (141) once the reader is gone
    assert.are.equal(141, r.code)
  end)

  it("a writer that closes early gives the reader end of file", function()
    local r = H.voidrun({ profile([[
local p = vr.pipe()
vr.void "writer" { ends = { p.tx }, run = function() p.tx:write("partial") p.tx:close() end }
vr.void "reader" { ends = { p.rx }, stdout = vr.stdout, run = function() vr.stdout:write(p.rx:read_all(), "|eof\n") end }
]]) })
    assert.are.equal(0, r.code)
    assert.are.equal("partial|eof\n", r.stdout)
  end)

  it("--label prefixes each void's output lines with its name", function()
    local r = H.voidrun({ "--label", profile(sh_void("alpha", "echo one; echo two >&2") .. sh_void("beta", "printf 'x\\ny'")) })
    assert.are.equal(0, r.code, r.stderr)
    local out = H.lines(r.stdout)
    table.sort(out)
    assert.are.same({ "alpha | one", "beta | x", "beta | y" }, out)
    assert.are.same({ "alpha | two" }, H.lines(r.stderr))
  end)
end)

describe("stopping a layout", function()
  local core = H.core

  local function start(path)
    local pid, rd = H.start({ path }, 2)
    return pid, rd
  end

  local two_sleepers = function(extra)
    return profile(sh_void("a", "echo ready; sleep 1000", "stdout = vr.stdout")
      .. sh_void("b", (extra or "") .. "echo ready; sleep 1000", "stdout = vr.stdout, grace = 0.2"))
  end

  it("SIGTERM to voidrun stops every void", function()
    local s = H.snapshot()
    local pid, rd = start(two_sleepers())
    assert.is_true(core.kill(pid, 15))
    assert.are.same({ "exited", 143 }, { core.waitpid(pid) })
    core.close(rd)
    H.assert_clean(s)
  end)

  it("a void that ignores TERM is killed after its grace period", function()
    local s = H.snapshot()
    local pid, rd = start(two_sleepers("trap '' TERM; "))
    assert.is_true(core.kill(pid, 15))
    local how, code = core.waitpid(pid)
    assert.are.equal("exited", how)
    assert.is_truthy(code == 143 or code == 137, code)
    core.close(rd)
    H.assert_clean(s)
  end)

  it("kill -9 of voidrun leaves no process of the layout alive", function()
    local s = H.snapshot()
    local pid, rd = start(two_sleepers())
    -- two voids: a pid 1 and a shell each, and each shell's sleep
    assert.is_true(H.new_processes(s) >= 4)
    assert.is_true(core.kill(pid, 9))
    core.waitpid(pid)
    core.close(rd)
    H.assert_clean(s)
  end)
end)
