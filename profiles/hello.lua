-- hello: the smallest useful void. Prints a greeting with /bin/echo, which
-- is all it can see: echo, its loader and libc, read-only.
--   voidrun profiles/hello.lua world
--   voidrun --set greeting=hi profiles/hello.lua    (or VOIDRUN_GREETING=hi)
local vr = require "voidrun"
local greeting = vr.param("greeting", "hello", "what to print")

vr.void "main" {
  exec = { "/bin/echo", greeting, table.unpack(vr.args) },
  fs = { vr.exe "/bin/echo" },
  env = { LANG = "C.UTF-8" },
  cwd = "/",
}
