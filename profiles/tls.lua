-- tls: an HTTPS server as a pipeline of voids, the original prototype's
-- TLS server rebuilt.
--   voidrun --set cert=cert.pem --set key=key.pem --set root=/srv/www profiles/tls.lua
--
--   listener (voidrun, port 8443)
--     -> "tls": a void per connection running voidrun-tls (OpenSSL), which
--        holds the connection, the certificate and key as fds, and one end
--        of a socket to the "http" broker; it terminates TLS and hands the
--        plaintext stream over as a fresh socket
--     -> "http": a void per stream running busybox httpd, which sees only
--        the web root, read-only, and the stream
-- Neither can open the key by path, reach the network or see the other.
-- Both make no socket of their own but unix ones (voidrun-tls its fresh
-- stream): each broker's workers share one empty network namespace, which
-- saves making one per connection (doc/brokers.md).
local vr = require "voidrun"
local host = vr.param("host", "127.0.0.1", "address to listen on")
local port = vr.param("port", 8443, "TCP port")
local cert = vr.param("cert", "", "certificate chain, PEM")
local key = vr.param("key", "", "private key, PEM")
local root = vr.param("root", "", "web root directory")
if cert == "" or key == "" or root == "" then
  error("set cert, key and root: voidrun --set cert=... --set key=... --set root=... tls.lua", 0)
end

local streams = vr.socketpair { type = "seqpacket" }

vr.broker "tls" {
  on = vr.tcp_listen { host = host, port = port },
  netns = "shared",
  worker = {
    exec = { "/tls", 3, 4, 5 },
    fs = { vr.exe(vr.libexec "voidrun-tls", "/tls") },
    fds = { [3] = vr.file(cert), [4] = vr.file(key), [5] = streams[1] },
  },
}

vr.broker "http" {
  on = streams[2], each = "fds", conn = { 0, 1 },
  netns = "shared",
  worker = {
    exec = { "/bin/busybox", "httpd", "-i", "-h", "/www" },
    fs = { vr.exe "/bin/busybox", vr.ro(root:sub(1, 1) == "/" and root or vr.cwd .. "/" .. root, "/www") },
  },
}
