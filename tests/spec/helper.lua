-- SPDX-License-Identifier: MIT
-- Shared pieces of the busted specs. The specs run under `voidrun test`,
-- so `require "voidrun"` is the real library, and H.bin is the very
-- voidrun binary running them.
--
-- Load with: local H = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "helper.lua")

local vr = require "voidrun"
local core = vr.core
local assert = require "luassert"

local H = { vr = vr, core = core }

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
H.root = assert(core.realpath(here .. "../.."))
H.spec_dir = H.root .. "/tests/spec"
H.bin = core.exe_dir() .. "/voidrun"
H.probe = vr.probe.path()
H.uid, H.gid = core.getuid()
H.is_root = H.uid == 0

-- The keys a void table may have, as the profile library lists them.
H.fields = {}
for k in pairs(require("voidrun.profile").fields) do H.fields[#H.fields + 1] = k end
table.sort(H.fields)

local function shq(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.shq = shq

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- Run a shell command line; returns { code = n, stdout = s, stderr = s }
-- (code is 128+N when the shell reports death by signal N).
function H.sh(cmd)
  local err = os.tmpname()
  local p = assert(io.popen("(" .. cmd .. ") 2>" .. shq(err), "r"))
  local out = p:read("a")
  local _, how, code = p:close()
  local stderr = slurp(err)
  os.remove(err)
  if how == "signal" then code = 128 + code end
  return { code = code, stdout = out, stderr = stderr }
end

-- Run the voidrun binary: H.voidrun({ "profile.lua", "arg" }, { env = { K = "v" }, stdin = "text" })
function H.voidrun(args, opts)
  opts = opts or {}
  local parts = { "env" }
  -- A clean environment but PATH, so that only what the spec sets reaches
  -- voidrun (a stray VOIDRUN_* would be read as a param override).
  parts[#parts + 1] = "-i PATH=/usr/bin:/bin"
  for k, v in pairs(opts.env or {}) do parts[#parts + 1] = shq(k .. "=" .. v) end
  parts[#parts + 1] = shq(H.bin)
  for _, a in ipairs(args) do parts[#parts + 1] = shq(a) end
  local cmd = table.concat(parts, " ")
  if opts.stdin then
    local f = os.tmpname()
    local h = io.open(f, "wb")
    h:write(opts.stdin)
    h:close()
    local r = H.sh(cmd .. " <" .. shq(f))
    os.remove(f)
    return r
  end
  return H.sh(cmd .. " </dev/null")
end

-- Write a profile to a fresh temporary file; returns its path. Removed by
-- H.cleanup().
local temp_files = {}
function H.profile(text)
  -- os.tmpname makes the (empty) file it names: ours to remove too
  local base = os.tmpname()
  local path = base .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  temp_files[#temp_files + 1] = path
  temp_files[#temp_files + 1] = base
  return path
end

function H.cleanup()
  for _, p in ipairs(temp_files) do os.remove(p) end
  temp_files = {}
end

-- A private temporary directory, world-readable so that the void's
-- mapped user (nobody, when running as root) can use it; removed by
-- H.rmtree.
function H.tmpdir()
  local r = H.sh("d=$(mktemp -d) && chmod 755 \"$d\" && echo \"$d\"")
  return (r.stdout:gsub("%s+$", ""))
end

function H.rmtree(path)
  assert(path:match("^/tmp/"), "refusing to remove " .. path)
  os.execute("rm -rf " .. shq(path))
end

-- The probe profile: the probe at /probe with /proc, /dev and a /tmp.
H.probe_profile = H.spec_dir .. "/profiles/probe.lua"

-- Run the probe in a void through the binary; returns the parsed report
-- and the raw result.
function H.probe_run(args, opts)
  local a = { H.probe_profile }
  for _, x in ipairs(args or { "report" }) do a[#a + 1] = x end
  local r = H.voidrun(a, opts)
  return vr.probe.parse(r.stdout), r
end

---------------------------------------------------------------- leftovers

local function readlink(path)
  local r = H.sh("readlink " .. shq(path))
  return r.code == 0 and (r.stdout:gsub("%s+$", "")) or nil
end
H.readlink = readlink

-- What a run could leave behind on the host: processes in pid namespaces
-- other than ours (that we may inspect), our mount table, and the entries
-- of /tmp that look like ours.
function H.snapshot()
  local mypidns = readlink("/proc/self/ns/pid")
  local r = H.sh([[for p in /proc/[0-9]*; do n=$(readlink $p/ns/pid 2>/dev/null) && echo "${p#/proc/} $n"; done]])
  local foreign = {}
  for pid, ns in r.stdout:gmatch("(%d+) (%S+)") do
    if ns ~= mypidns then foreign[#foreign + 1] = pid end
  end
  table.sort(foreign)
  return {
    processes = table.concat(foreign, " "),
    mounts = slurp("/proc/self/mountinfo"),
  }
end

-- The pids in a snapshot's list that are not in the other's.
local function new_pids(before, now)
  local old, new = {}, {}
  for pid in before:gmatch("%d+") do old[pid] = true end
  for pid in now:gmatch("%d+") do if not old[pid] then new[#new + 1] = pid end end
  return table.concat(new, " ")
end

-- Assert that nothing was left behind since snapshot s: no process in
-- another pid namespace that was not there before (others, not ours, may
-- come and go), and the same host mount table. Processes of an ending
-- void may take a moment to be reaped by the kernel: wait a bounded
-- while for them, never assert on time.
function H.assert_clean(s)
  local now, left
  for _ = 1, 200 do
    now = H.snapshot()
    left = new_pids(s.processes, now.processes)
    if left == "" then break end
    H.sh("sleep 0.01")
  end
  assert.are.equal("", left, "processes left in other pid namespaces")
  assert.are.equal(s.mounts, now.mounts, "the host mount table changed")
end

-- How many processes in other pid namespaces appeared since snapshot s.
function H.new_processes(s)
  local left = new_pids(s.processes, H.snapshot().processes)
  return select(2, left:gsub("%d+", ""))
end

-- Start the voidrun binary with ARGS in the background: its stdout is a
-- pipe, its stderr a file. If ready is a number, return once its stdout
-- has said "ready" that many times (each void of the test's profile says
-- it when it runs). Returns pid, the stdout read end, and a function
-- giving what it wrote to stderr (call it after it ended). prefix: a
-- command that runs voidrun ({ "/usr/bin/env", "--default-signal=INT" }).
function H.start(args, ready, prefix)
  local errfile = os.tmpname()
  temp_files[#temp_files + 1] = errfile  -- also when stderr() is not called
  local rd, wr = core.pipe()
  local pid = core.clone3({})
  if pid == 0 then
    core.dup2(wr, 1)
    core.dup2(core.open(errfile, "w"), 2)
    local argv = {}
    for _, a in ipairs(prefix or {}) do argv[#argv + 1] = a end
    argv[#argv + 1] = H.bin
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    core.execv(argv[1], argv)
    core._exit(127)
  end
  core.close(wr)
  local got = ""
  while ready and select(2, got:gsub("ready", "")) < ready do
    local chunk = core.read(rd, 4096)
    if not chunk or chunk == "" then break end
    got = got .. chunk
  end
  local function stderr()
    local f = io.open(errfile)
    local s = f and f:read("a") or ""
    if f then f:close() end
    os.remove(errfile)
    return s
  end
  return pid, rd, stderr
end

-- Lines of stderr (a clear error is exactly one line).
-- A TCP port on 127.0.0.1 that was free a moment ago.
function H.free_port()
  local fd, port = assert(core.tcp_listen("127.0.0.1", 0))
  core.close(fd)
  return port
end

-- One exchange with an echo server on connected socket fd: send data,
-- half-close, read to end of file, close. Returns what came back.
function H.echo(fd, data)
  core.write(fd, data)
  core.shutdown(fd, "w")
  local parts = {}
  while true do
    local s = core.read(fd, 65536)
    if not s or s == "" then break end
    parts[#parts + 1] = s
  end
  core.close(fd)
  return table.concat(parts)
end

function H.lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

return H
