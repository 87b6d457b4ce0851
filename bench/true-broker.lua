-- true-broker: a broker whose worker is /bin/true, for bench/spawn.sh. Each
-- accepted connection gets a fresh void (every namespace new, an empty root
-- with only /bin/true and its libraries) that exits at once; the client sees
-- end of file when it has. Connect-to-close is then the cost of one worker.
--   voidrun --set port=7431 bench/true-broker.lua
local vr = require "voidrun"
local port = vr.param("port", 7431, "TCP port")
local prepared = vr.param("prepared", 2, "workers built ahead of need")
local netns = vr.param("netns", "shared", "workers' network namespace: shared (one empty one) or own")

vr.broker "true" {
  on = vr.tcp_listen { host = "127.0.0.1", port = port, backlog = 1024 },
  max_workers = 64,
  prepared = prepared,
  netns = netns,
  worker = { exec = { "/bin/true" }, fs = { vr.exe "/bin/true" } },
}
