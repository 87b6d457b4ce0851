-- web: two voids on a private network. "web" serves a directory read-only
-- with busybox httpd at 10.89.0.2:8080; "fetch" downloads one file from it
-- with busybox wget and prints it. Nothing else is on the network: no
-- route leads off it, and neither void can reach the host. The layout ends
-- with "fetch" (main).
--   voidrun profiles/web.lua                       (serves profiles/, fetches hello.lua)
--   voidrun --set root=/srv/www --set file=index.html profiles/web.lua
-- Needs busybox-static (Debian) at /bin/busybox.
local vr = require "voidrun"
local root = vr.param("root", vr.here(""), "directory to serve (default: the profile's)")
local file = vr.param("file", "hello.lua", "file to fetch, relative to root")

local net = vr.network { subnet = "10.89.0.0/24" }
local busybox = vr.exe("/bin/busybox")

vr.void "web" {
  exec = { "/bin/busybox", "httpd", "-f", "-p", "10.89.0.2:8080", "-h", "/www" },
  fs = { busybox, vr.ro(root, "/www") },
  net = { net, ip = "10.89.0.2" },
}

vr.void "fetch" {
  -- (busybox's own shell and applets: retried while the server starts)
  exec = { "/bin/busybox", "sh", "-c",
    'b=/bin/busybox; for i in $($b seq 30); do $b wget -q -O - "$1" && exit; $b sleep 0.1; done; exit 1',
    "fetch", "http://10.89.0.2:8080/" .. file },
  fs = { busybox },
  net = { net, ip = "10.89.0.3" },
  stdout = vr.stdout,
  main = true,
  after = { "web" },
}
