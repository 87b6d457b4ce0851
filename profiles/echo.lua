-- echo: one void per TCP connection. voidrun listens; for each connection
-- it starts a fresh void running Debian's cat, with the connection itself
-- as its stdin and stdout (no relay: the socket is handed over). Each
-- worker sees nothing but cat and its libraries.
--   voidrun profiles/echo.lua                 (127.0.0.1 port 7000)
--   VOIDRUN_PORT=8443 voidrun profiles/echo.lua
local vr = require "voidrun"
local host = vr.param("host", "127.0.0.1", "address to listen on")
local port = vr.param("port", 7000, "TCP port")
local max_workers = vr.param("max_workers", 64, "connections served at once; more wait in the backlog")
local idle = vr.param("idle_timeout", 0, "close a connection that sends nothing for this long (s; 0: never)")
-- cat makes no socket: its workers can share one empty network namespace
-- (doc/brokers.md), which saves creating one per connection (as root).
local netns = vr.param("netns", "shared", "workers' network namespace: shared (one empty one) or own")

vr.broker "echo" {
  on = vr.tcp_listen { host = host, port = port, backlog = 1024 },
  max_workers = max_workers,
  idle_timeout = idle > 0 and idle or nil,
  netns = netns,
  worker = { exec = { "/bin/cat" }, fs = { vr.exe "/bin/cat" } },
}
