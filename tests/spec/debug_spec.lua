-- SPDX-License-Identifier: MIT
-- `voidrun --debug` and the debug key: a void stops just before the exec
-- of its entry, a debugger attaches, and one command lets it go on.
local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")
local assert = require "luassert"
local shq = H.shq

-- Run voidrun ARGS in the background; once it says a void stopped, run
-- AFTER (a shell snippet; $pid is the stopped entry's host pid), then wait
-- for voidrun. Returns the shell's stdout, with the facts on lines:
-- state=, nsdiff=, rc=, and voidrun's stderr after "--stderr--".
local function debug_run(args, after)
  local a = {}
  for i, x in ipairs(args) do a[i] = shq(x) end
  local cmd = ([[
err=$(mktemp); out=$(mktemp)
%s %s >"$out" 2>"$err" & vpid=$!
i=0; until grep -q 'kill -CONT' "$err" || [ $i -ge 400 ]; do sleep 0.05; i=$((i+1)); done
pid=$(sed -n 's/.*or go on: kill -CONT \([0-9]*\)$/\1/p' "$err" | head -1)
echo "state=$(awk '/^State/ {print $2}' /proc/$pid/status)"
[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && echo nsdiff=yes
%s
wait $vpid; echo "rc=$?"
echo --stdout--; cat "$out"; echo --stderr--; cat "$err"; rm -f "$out" "$err"
]]):format(shq(H.bin), table.concat(a, " "), after)
  return H.sh(cmd).stdout
end

local PROFILE = [[
local vr = require "voidrun"
vr.void "main" { exec = { "/bin/echo", "hi" }, fs = { vr.exe "/bin/echo" } %s }
]]

describe("--debug", function()
  after_each(H.cleanup)

  it("stops the entry before its exec, inside the void, says how to go on; kill -CONT goes on", function()
    local prof = H.profile(PROFILE:format(""))
    local s = H.snapshot()
    local out = debug_run({ "--debug", prof }, [[kill -CONT "$pid"]])
    assert.is_truthy(out:find("state=T\n", 1, true), out)
    assert.is_truthy(out:find("nsdiff=yes\n", 1, true), out)
    assert.is_truthy(out:find("rc=0\n", 1, true), out)
    assert.is_truthy(out:find("--stdout--\nhi\n", 1, true), out)
    local err = out:match("%-%-stderr%-%-\n(.*)$")
    local lines = H.lines(err)
    assert.are.equal(3, #lines, err)
    assert.is_truthy(lines[1]:match("^voidrun: main: stopped before exec of /bin/echo, pid %d+$"), err)
    assert.is_truthy(lines[2]:match("^voidrun: main:   debug it: gdb %-p %d+ "), err)
    assert.is_truthy(lines[3]:match("^voidrun: main:   or go on: kill %-CONT %d+$"), err)
    H.assert_clean(s)
  end)

  it("a debugger of the same user attaches and catches the exec", function()
    if H.sh("command -v gdb").code ~= 0 then
      pending("gdb is not installed (scripts/deps.sh installs it)")
      return
    end
    local prof = H.profile(PROFILE:format(""))
    local out = debug_run({ "--debug", prof }, [[
gdb -q -batch -p "$pid" -ex 'handle SIGSTOP nostop noprint nopass' -ex 'catch exec' -ex continue \
  -ex continue </dev/null 2>&1 | grep -E 'executing new program|exited normally'
]])
    assert.is_truthy(out:find("is executing new program: /bin/echo", 1, true), out)
    assert.is_truthy(out:find("exited normally", 1, true), out)
    assert.is_truthy(out:find("rc=0\n", 1, true), out)
    assert.is_truthy(out:find("--stdout--\nhi\n", 1, true), out)
  end)

  it("the debug key stops just that void; a bad value is one line at the profile's", function()
    local prof = H.profile([[
local vr = require "voidrun"
vr.void "first" { exec = { "/bin/echo", "one" }, fs = { vr.exe "/bin/echo" } }
vr.void "second" { exec = { "/bin/echo", "two" }, fs = { vr.exe "/bin/echo" }, debug = true }
]])
    local out = debug_run({ prof }, [[kill -CONT "$pid"]])
    assert.is_truthy(out:find("rc=0\n", 1, true), out)
    local err = out:match("%-%-stderr%-%-\n(.*)$")
    assert.are.equal(3, #H.lines(err), err)
    assert.is_truthy(err:find("voidrun: second: stopped before exec of /bin/echo", 1, true), err)

    prof = H.profile(PROFILE:format(", debug = 'yes'"))
    local r = H.voidrun({ prof })
    assert.are.equal(125, r.code)
    assert.are.same({ "voidrun: " .. prof .. ":2: debug must be true or false, got string" }, H.lines(r.stderr))
  end)
end)
