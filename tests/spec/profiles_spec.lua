-- SPDX-License-Identifier: MIT
-- The example profiles, run through the real binary.

local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")

local function prof(name) return H.root .. "/profiles/" .. name end

describe("profiles/hello.lua", function()
  it("greets with its args", function()
    local r = H.voidrun({ prof "hello.lua", "world" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("hello world\n", r.stdout)
  end)

  it("takes its greeting from --set or VOIDRUN_GREETING", function()
    assert.are.equal("hi there\n", H.voidrun({ "--set", "greeting=hi", prof "hello.lua", "there" }).stdout)
    assert.are.equal("hey\n", H.voidrun({ prof "hello.lua" }, { env = { VOIDRUN_GREETING = "hey" } }).stdout)
  end)

  it("is described by check without running", function()
    local r = H.voidrun({ "check", prof "hello.lua", "world" })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_truthy(r.stdout:match("void main\n  exec      /bin/echo hello world\n"))
    assert.is_truthy(r.stdout:match("bind ro /usr/bin/echo %-> /bin/echo"))
    assert.is_falsy(r.stdout:match("hello world\n$"))
  end)
end)

describe("profiles/true.lua", function()
  it("runs /bin/true in a full void", function()
    local r = H.voidrun({ prof "true.lua" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("", r.stdout .. r.stderr)
  end)
end)

describe("profiles/fib.lua", function()
  it("computes fib(30) in a void that holds nothing but the program", function()
    local r = H.voidrun({ prof "fib.lua" })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("832040\n", r.stdout)
  end)

  it("takes n as a param", function()
    assert.are.equal("55\n", H.voidrun({ "--set", "n=10", prof "fib.lua" }).stdout)
  end)

  it("has a root holding only /fib", function()
    local r = H.voidrun({ "check", prof "fib.lua" })
    local binds = {}
    for line in r.stdout:gmatch("  bind [^\n]+") do binds[#binds + 1] = line end
    assert.are.equal(1, #binds)
    assert.is_truthy(binds[1]:match("%-> /fib$"))
  end)
end)

describe("profiles/web.lua", function()
  it("fetches a file from a server void over a private network, and leaves no link behind", function()
    if not io.open("/bin/busybox") then
      pending("needs busybox-static at /bin/busybox (scripts/deps.sh installs it)")
      return
    end
    local before = H.snapshot()
    local r = H.voidrun({ prof "web.lua" })
    assert.are.equal(0, r.code, r.stderr)
    local f = assert(io.open(prof "hello.lua"))
    assert.are.equal(f:read("a"), r.stdout)
    f:close()
    -- a file the server lacks: wget says so and the layout fails
    r = H.voidrun({ "--set", "file=no-such-file", prof "web.lua" })
    assert.are.equal(1, r.code)
    assert.is_truthy(r.stderr:find("404 Not Found", 1, true), r.stderr)
    H.assert_clean(before)
  end)
end)
