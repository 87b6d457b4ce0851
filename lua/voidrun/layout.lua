-- SPDX-License-Identifier: MIT
-- A layout: the voids of one profile, wired by channels, started in
-- dependency order and supervised until they end.
--
-- validate(layout) checks the wiring as a whole before anything starts;
-- run(layout, opts) opens the channels, starts the voids and supervises
-- them. Exit status: the status of the void marked `main = true` if there
-- is one, else the first non-zero status in the order voids ended, else 0;
-- 125 when a void could not be built.

local core = require "voidrun.core"
local channel = require "voidrun.channel"
local profile = require "voidrun.profile"
local limits = require "voidrun.limits"

local M = {}

local EXIT_BUILD = 125

local function fail_at(pos, msg, ...)
  error((pos and (pos .. ": ") or "") .. msg:format(...), 0)
end

---------------------------------------------------------------- wiring

-- Every end a void is given, with the fd number it gets there. Explicit
-- numbers first (stdin 0, stdout 1, stderr 2, fds[n]); ends named only in
-- `ends` or `exec` get the lowest free numbers from 3, in that order.
-- Returns at (end -> its first fd number), order (the ends, each once) and
-- places ({ e = end, n = number } for every placement: an end may be placed
-- at several numbers, as stdout and stderr both, say).
function M.placements(v)
  local at, taken, order, places = {}, {}, {}, {}
  local function place(e, n)
    if at[e] == nil then
      at[e] = n
      order[#order + 1] = e
    end
    if n and taken[n] ~= e then
      if taken[n] then
        fail_at(v.pos, "void '%s': fd %d is given twice (%s, and %s)", v.name, n, taken[n].what, e.what)
      end
      taken[n] = e
      places[#places + 1] = { e = e, n = n }
    end
  end
  if v.stdin then place(v.stdin, 0) end
  if v.stdout then place(v.stdout, 1) end
  if v.stderr then place(v.stderr, 2) end
  local nums = {}
  for n in pairs(v.fds) do nums[#nums + 1] = n end
  table.sort(nums)
  for _, n in ipairs(nums) do place(v.fds[n], n) end
  local later = {}
  for _, e in ipairs(v.ends) do later[#later + 1] = e end
  for i = 2, #(v.exec or {}) do
    if channel.is_end(v.exec[i]) then later[#later + 1] = v.exec[i] end
  end
  local next_fd = 3
  for _, e in ipairs(later) do
    if at[e] == nil then
      while taken[next_fd] do next_fd = next_fd + 1 end
      place(e, next_fd)
    end
  end
  return at, order, places
end

local function void_by_name(layout, name)
  return layout.by_name[name]
end

-- Dependency order: a void starts after those named in its `after`.
-- Stable: otherwise the profile's order.
function M.order(layout)
  local state, order = {}, {}
  local function visit(v, chain)
    if state[v] == "done" then return end
    if state[v] == "visiting" then
      fail_at(v.pos, "void '%s': a cycle in after: %s", v.name, table.concat(chain, " -> "))
    end
    state[v] = "visiting"
    for _, n in ipairs(v.after) do
      local dep = void_by_name(layout, n)
      if not dep then fail_at(v.pos, "void '%s': after names no void '%s'", v.name, n) end
      chain[#chain + 1] = n
      visit(dep, chain)
      chain[#chain] = nil
    end
    state[v] = "done"
    order[#order + 1] = v
  end
  for _, v in ipairs(layout.voids) do visit(v, { v.name }) end
  return order
end

function M.validate(layout)
  local users, channels, chan_order, dups = {}, {}, {}, {}
  local mains = 0
  for _, v in ipairs(layout.voids) do
    if v.main then mains = mains + 1 end
    local order
    -- a broker's ends: its source, and what each of its workers is given
    v.placed, order, v.places = M.placements(v.broker and v.worker or v)
    if v.broker then
      v.worker.placed, v.worker.places = v.placed, v.places
      order[#order + 1] = v.on
    end
    for _, e in ipairs(order) do
      local chan = e.chan
      if not channels[chan] then
        channels[chan] = true
        chan_order[#chan_order + 1] = chan
      end
      -- voidrun's own stdio may be given to any number of voids
      if chan.kind ~= "stdio" then
        local prev = users[e]
        if not prev and e.base then dups[#dups + 1] = e end
        if prev and prev ~= v then
          fail_at(v.pos, "void '%s': %s is already given to void '%s' (use vr.dup to share it)",
            v.name, e.what, prev.name)
        end
        users[e] = v
      end
    end
  end
  if mains > 1 then fail_at(layout.file, "more than one void is marked main = true") end
  -- An end nobody holds: a typo, or a pipe whose reader would wait
  -- forever. Ends are created only by the profile, so each must be used.
  for _, chan in ipairs(chan_order) do
    for _, e in ipairs(chan.ends or {}) do
      if chan.kind ~= "stdio" and not users[e] then
        fail_at(chan.pos, "%s is given to no void", e.what)
      end
    end
  end
  layout.channels = chan_order
  layout.dups = dups
  layout.order = M.order(layout)
end

---------------------------------------------------------------- running

local function say(fmt, ...)
  io.stderr:write("voidrun: ", fmt:format(...), "\n")
end

-- The wrapper a function entry runs in its void: it makes the ends given
-- to the void usable there (their fd numbers in the void) and every other
-- end unusable, then calls the profile's function.
local function entry_wrapper(fn)
  return function(arg)
    for _, e in ipairs(arg.all_ends) do rawset(e, "fd", nil) end
    for e, n in pairs(arg.placed) do rawset(e, "fd", n) end
    return fn(arg.ctx)
  end
end

-- ctx.open(path [, mode]) in a function entry: open a file the void can
-- see (its own view of the file system: nothing more) as an end.
local function ctx_open(path, mode)
  if type(path) ~= "string" then error("ctx.open: path must be a string", 2) end
  local fd, err = core.open(path, mode or "r")
  if not fd then return nil, err end
  return setmetatable({ fd = fd, what = path }, channel.End)
end

-- Host fds of every end, opened in voidrun before any void starts.
local function open_channels(layout)
  local fds = {}
  for _, chan in ipairs(layout.channels) do
    local got, err = channel.open(chan)
    if not got then
      for e, fd in pairs(fds) do if e.chan.kind ~= "stdio" then core.close(fd) end end
      return nil, err
    end
    for e, fd in pairs(got) do fds[e] = fd end
  end
  -- each vr.dup is its own duplicate of the base end's fd, made now, so
  -- that closing one void's copy leaves the other's open
  for _, e in ipairs(layout.dups) do
    local fd, err = core.dup(fds[e.base])
    if not fd then
      for x, f in pairs(fds) do if x.chan.kind ~= "stdio" then core.close(f) end end
      return nil, err
    end
    fds[e] = fd
  end
  return fds
end

local Run = {}
Run.__index = Run

function M.new(layout, opts)
  local self = setmetatable({ layout = layout, opts = opts or {}, voids = {}, exits = {} }, Run)
  return self
end

-- The plan table of void v, with its ends placed.
function Run:plan_table(v, st)
  local fds, extra = {}, {}
  for _, pl in ipairs(v.places) do fds[#fds + 1] = { src = self.fds[pl.e], dst = pl.n } end
  for _, l in ipairs(st.labels or {}) do fds[#fds + 1] = { src = l.wr, dst = l.fd } end
  extra.fds = fds
  local t = profile.plan_table(v, extra)
  if v.exec and (v.debug or self.opts.debug) then t.debug = true end
  if v.exec then
    local argv = {}
    for i, a in ipairs(v.exec) do argv[i] = channel.is_end(a) and tostring(v.placed[a]) or a end
    t.argv = argv
  else
    local all = {}
    for e in pairs(self.fds) do all[#all + 1] = e end
    t.run = entry_wrapper(v.run)
    t.run_arg = { placed = v.placed, all_ends = all,
                  ctx = { name = v.name, args = self.layout.args, open = ctx_open } }
  end
  return t
end

-- Labelled output: the void's stdout/stderr (unless the profile placed
-- them) go through pipes voidrun reads and prefixes with "name | ".
function Run:label_pipes(v, st)
  if not self.opts.label then return end
  st.labels = {}
  local taken = {}
  for _, pl in ipairs(v.places) do taken[pl.n] = true end
  for fd, out in pairs { [1] = io.stdout, [2] = io.stderr } do
    if not taken[fd] then
      local rd, wr = core.pipe()
      st.labels[#st.labels + 1] = { fd = fd, rd = rd, wr = wr, out = out, buf = "" }
    end
  end
end

-- A broker: its workers' plan, compiled once, and the source it serves.
-- With netns = "shared" its workers share one empty network namespace
-- (lo down, no link), where Landlock can keep them apart (abstract-socket
-- scoping, ABI 6); elsewhere each has its own, as by default.
-- doc/brokers.md says what is shared. Root makes the namespace and enters
-- it around each worker's clone3. An ordinary user's voidrun cannot come
-- back to the initial namespace once it leaves it: it moves into a user
-- namespace of its own and into the empty namespace for good, unless a
-- void of the layout needs the host's network (net = "host").
function Run:shared_netns(b)
  if b.netns ~= "shared" or (core.landlock_abi() or 0) < 6 then return nil end
  if core.getuid() ~= 0 then
    if self.netns_home then return self.netns_home end
    for _, v in ipairs(self.layout.order) do
      local w = v.broker and v.worker or v
      if w.net and w.net.host then return nil end
    end
    local ok, err = require("voidrun.net").own_userns()
    if not ok then return nil, ("%s: %s"):format(b.name, err) end
    local fd, ferr = core.empty_netns(true)
    if not fd then return nil, ("%s: %s"):format(b.name, ferr) end
    self.netns_home = fd
    return fd
  end
  local fd, err = core.empty_netns()
  if not fd then return nil, ("%s: %s"):format(b.name, err) end
  return fd
end

function Run:start_broker(b, st)
  local t = self:plan_table(b.worker, st)
  t.debug = nil  -- a worker per connection does not stop: its client waits
  local netns, nerr = self:shared_netns(b)
  if nerr then return nil, nerr end
  t.join_netns = netns
  if netns ~= self.netns_home then st.netns = netns end
  local ok, plan = pcall(core.plan, t)
  if not ok then return nil, tostring(plan) end
  local broker, err = core.broker {
    kind = ({ connection = "accept", message = "message", fds = "fds" })[b.each],
    source = self.fds[b.on], plan = plan, max_workers = b.max_workers,
    idle_timeout = b.idle_timeout, time_limit = b.timeout, conn_fds = b.conn,
    prepared = b.prepared,
  }
  if not broker then return nil, err end
  st.plan, st.broker, st.running = plan, broker, true
  return true
end

function Run:start(v, last)
  local st = self.voids[v] or { void = v, restarts = 0 }
  if v.broker then
    self.voids[v] = st
    return self:start_broker(v, st)
  end
  self.voids[v] = st
  self:label_pipes(v, st)
  local ok, plan = pcall(core.plan, self:plan_table(v, st))
  local h, err
  if ok then
    h, err = plan:spawn()
    -- what its entry was hardened with, for `voidrun enter` (the control
    -- socket's grants: lua/voidrun/control.lua); the plan goes now
    st.harden = h and plan:take_harden() or nil
    plan:free()
  else
    err = tostring(plan)
  end
  for _, l in ipairs(st.labels or {}) do core.close(l.wr) end
  if not h then return nil, err end
  st.handle = h
  st.running = true
  st.started_at = core.now()
  -- Wait until it runs, so that a void that cannot be built stops the
  -- layout before the next one starts; the last one to start need not be
  -- waited for (its failure comes with its end), and voidrun goes on with
  -- its own work while the void is built.
  if not last or self.opts.debug or v.debug then
    local ok, msg = h:ready()
    while ok == "stopped" do
      -- msg is the entry's host pid (doc/inspect.md, "Stopping before exec")
      say("%s: stopped before exec of %s, pid %d", v.name, v.exec[1], msg)
      say("%s:   debug it: gdb -p %d -ex 'handle SIGSTOP nostop noprint nopass' -ex 'catch exec' -ex continue",
        v.name, msg)
      say("%s:   or go on: kill -CONT %d", v.name, msg)
      io.stderr:flush()
      ok, msg = h:ready()
    end
    if not ok then
      h:wait()
      st.running = false
      return nil, msg
    end
  end
  if v.on_exit ~= "restart" then
    -- the void holds its ends now: voidrun lets go of its copies, so a
    -- reader sees end of file when the writer ends (a void that may be
    -- restarted needs them again: its peers see no end of file while
    -- the layout runs)
    for e in pairs(v.placed) do
      if e.chan.kind ~= "stdio" and self.fds[e] then
        core.close(self.fds[e])
        self.fds[e] = nil
      end
    end
  end
  -- `voidrun ps` sees its pid (written once for the first start of all)
  if self.registry and not self.starting then self.registry:update() end
  return true
end

-- With --stats: what a broker did, when it ends.
function Run:broker_stats(v, st)
  if not self.opts.stats or st.stats_said then return end
  st.stats_said = true
  local s = st.broker:stats()
  say("%s: %d accepted, %d workers started (%d prepared ahead), peak %d at once, %d failed, %d crashed, " ..
    "%d idle closed, %d timed out", v.name, s.accepted, s.started, s.prepared, s.peak, s.failed, s.crashed,
    s.idle, s.timed_out)
  -- what the workers used: the largest peak of memory, the cpu time of all
  local u = s.usage
  if s.ended > 0 and (u.memory_peak or u.cpu_usec) then
    say("%s: workers: %s", v.name, limits.stats(u):gsub("^peak memory", "largest peak memory")
      :gsub("cpu time", "cpu time of all"))
  end
end

function Run:stop_all(sig)
  if self.stopping then return end
  self.stopping = true
  local now = core.now()
  for v, st in pairs(self.voids) do
    if st.running then
      if st.broker then st.broker:stop(sig or 15) else st.handle:kill(sig or 15) end
      st.deadline = now + v.grace
    end
    st.restart_at = nil
  end
end

-- Send sig to a running void, or to every worker of a broker.
local function kill(st, sig)
  if st.broker then st.broker:kill(sig) else st.handle:kill(sig) end
end

function Run:record(v, r)
  local limited = limits.explain(v, r)  -- a limit ended it: say which
  if r.error then say("%s: %s", v.name, r.error)
  elseif limited then say("%s: %s", v.name, limited)
  elseif r.signal and r.signal ~= 15 and r.signal ~= 2 and not self.stopping then
    -- SIGSYS is how a seccomp filter kills (doc/seccomp.md): say so.
    -- pid 1 names the call when the policy's kills are its (doc/seccomp.md).
    say("%s: killed by %s", v.name, r.signal ~= 31 and ("signal " .. r.signal)
      or r.seccomp_entry and ("seccomp: " .. r.seccomp) or "seccomp (SIGSYS)")
  end
  if r.seccomp and not r.seccomp_entry then
    say("%s: process %d (in the void) killed by seccomp: %s", v.name, r.seccomp_pid, r.seccomp)
  end
  if self.opts.stats and r.usage then say("%s: %s", v.name, limits.stats(r.usage)) end
  self.exits[#self.exits + 1] = { void = v, status = r.status }
  if v.main then self.main_status = r.status end
  local others = false
  for _, st in pairs(self.voids) do others = others or st.running or st.restart_at ~= nil end
  -- (when the last void ended the entry is about to be removed instead)
  if self.registry and others then self.registry:update() end
end

-- Read labelled output; flush whole lines with the void's name.
function Run:pump(l, name, final)
  local s = final and "" or core.read(l.rd, 65536)
  if s == nil or s == "" then
    if l.buf ~= "" then l.out:write(name, " | ", l.buf, "\n") end
    l.buf = ""
    core.close(l.rd)
    l.rd = nil
    return
  end
  l.buf = l.buf .. s
  for line in l.buf:gmatch("([^\n]*)\n") do l.out:write(name, " | ", line, "\n") end
  l.buf = l.buf:match("[^\n]*$")
  l.out:flush()
end

function Run:loop(sigfd)
  local collecting = false
  while true do
    local fds, by_fd, timeout = { sigfd }, {}, -1
    local now = core.now()
    local alive = false
    local brokers = {}
    for v, st in pairs(self.voids) do
      if st.broker and st.running then
        alive = true
        brokers[#brokers + 1] = st.broker
        if st.deadline then
          local ms = math.max(0, math.ceil((st.deadline - now) * 1000))
          timeout = timeout < 0 and ms or math.min(timeout, ms)
        end
      elseif st.running then
        alive = true
        fds[#fds + 1] = st.handle.pidfd
        by_fd[st.handle.pidfd] = { st = st }
        if st.deadline then
          local ms = math.max(0, math.ceil((st.deadline - now) * 1000))
          timeout = timeout < 0 and ms or math.min(timeout, ms)
        end
      elseif st.restart_at then
        alive = true
        local ms = math.max(0, math.ceil((st.restart_at - now) * 1000))
        timeout = timeout < 0 and ms or math.min(timeout, ms)
      end
      for _, l in ipairs(st.labels or {}) do
        if l.rd then
          alive = true
          fds[#fds + 1] = l.rd
          by_fd[l.rd] = { label = l, name = v.name }
        end
      end
    end
    if not alive then return end
    -- the control socket (lua/voidrun/control.lua): one fd, more only
    -- while a client is being answered
    if self.control then timeout = self.control:add(fds, by_fd, now, timeout) end
    -- brokers accept, spawn and reap inside serve: it returns when one of
    -- our fds is ready (or at the timeout), never per connection
    local ready
    if #brokers > 0 then
      ready = assert(core.serve(brokers, fds, timeout))
    else
      ready = assert(core.poll(fds, timeout))
    end
    -- The collector, stopped while voidrun started (main.c), restarts at
    -- the first wake-up: a layout may run for long, and one wake-up may
    -- see many voids end (100 ending at once took 5 MiB uncollected);
    -- a one-shot void's launch thus ends with next to no collecting
    -- (restarted before the first wait, the collector did 6% of the
    -- launch's instructions).
    if not collecting then
      collectgarbage("restart")
      collecting = true
    end
    if ready[sigfd] then
      local sig = core.read_signal(sigfd)
      if sig == 1 or sig == 2 or sig == 3 or sig == 15 then
        if self.stopping then
          for _, st in pairs(self.voids) do if st.running then kill(st, 9) end end
        end
        self:stop_all(sig)
      elseif sig then
        for _, st in pairs(self.voids) do if st.running then kill(st, sig) end end
      end
    end
    for v, st in pairs(self.voids) do
      if st.broker and st.running and not st.broker:active() then
        -- its source ended and its last worker was reaped
        st.running, st.deadline = false, nil
        local s = st.broker:stats()
        if s.last_error and s.started == 0 then say("%s: %s", v.name, s.last_error) end
        self:broker_stats(v, st)
        self:record(v, { status = 0 })
      end
    end
    for fd in pairs(ready) do
      local what = by_fd[fd]
      if what and what.control then
        what.control:ready(fd)
      elseif what and what.label then
        self:pump(what.label, what.name)
      elseif what then
        local st = what.st
        local v = st.void
        local r = st.handle:wait()
        st.running, st.handle, st.deadline = false, nil, nil
        self:record(v, r)
        if v.main then
          self:stop_all()
        elseif v.on_exit == "stop_all" then
          self:stop_all()
        elseif v.on_exit == "restart" and not self.stopping then
          -- a void that stayed up a while earns its restarts back: the
          -- limit is on a void failing over and over, not once a day
          if core.now() - st.started_at >= 10 then st.restarts = 0 end
          if st.restarts < v.restarts then
            st.restarts = st.restarts + 1
            -- back off: 0.1 s, doubling, at most 5 s
            st.restart_at = core.now() + math.min(5, 0.1 * 2 ^ (st.restarts - 1))
          else
            say("%s: gave up after %d restarts", v.name, v.restarts)
            self:stop_all()
          end
        end
      end
    end
    now = core.now()
    if self.control then self.control:expire(now) end
    for v, st in pairs(self.voids) do
      if st.running and st.deadline and now >= st.deadline then
        kill(st, 9)
        st.deadline = nil
      elseif st.restart_at and now >= st.restart_at then
        st.restart_at = nil
        local ok, err = self:start(v)
        if not ok then
          say("%s: %s", v.name, err)
          self.exits[#self.exits + 1] = { void = v, status = EXIT_BUILD }
          self:stop_all()
        end
      end
    end
  end
end

function Run:status()
  if self.build_failed then return EXIT_BUILD end
  if self.main_status then return self.main_status end
  for _, x in ipairs(self.exits) do
    if x.status ~= 0 then return x.status end
  end
  return 0
end

-- Run the layout to its end; returns voidrun's exit status.
function M.run(layout, opts)
  local self = M.new(layout, opts)
  local sigfd = assert(core.signalfd { "HUP", "INT", "QUIT", "TERM", "USR1", "USR2", "WINCH" })
  -- the layout's networks (lua/voidrun/net.lua), closed when this
  -- function is left, after every void and plan (false: it has none)
  local nets <close>, nerr = layout.net ~= nil and require("voidrun.net").open(layout)
  if nets == nil then
    say("%s", nerr)
    return EXIT_BUILD
  end
  local fds, err = open_channels(layout)
  if not fds then
    say("%s", err)
    return EXIT_BUILD
  end
  self.fds = fds
  -- registered for `voidrun ps` and `enter` (lua/voidrun/registry.lua);
  -- removed when this function is left, by return or by error
  local registry <close> = require("voidrun.registry").register(self)
  self.registry = registry
  -- its control socket, closed with it (doc/inspect.md)
  self.control = registry and registry:listen(self) or nil
  self.starting = true
  for i, v in ipairs(layout.order) do
    local ok, msg = self:start(v, i == #layout.order)
    if not ok then
      -- the layout stops before the rest of it runs
      say("%s: %s", v.name, msg)
      self.build_failed = true
      self:stop_all(9)
      break
    end
  end
  self.starting = false
  if self.registry then self.registry:update() end
  self:loop(sigfd)
  for e, fd in pairs(self.fds) do
    if e.chan.kind ~= "stdio" then core.close(fd) end
    -- a unix listener's socket file is voidrun's to remove
    if e.chan.kind == "listener" and e.chan.spec.kind == "unix" then os.remove(e.chan.spec.path) end
  end
  for v, st in pairs(self.voids) do
    if st.broker then
      self:broker_stats(v, st)
      st.broker:free()
    end
    if st.netns then core.close(st.netns) end
    if st.plan then st.plan:free() end
  end
  core.close(sigfd)
  return self:status()
end

return M
