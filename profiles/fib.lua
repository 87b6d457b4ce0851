-- fib: compute a Fibonacci number in a void that has nothing but its
-- program and stdout (the original prototype's startup benchmark). The
-- program is a static binary shipped with voidrun, so the void holds that
-- one file and nothing else: no loader, no libraries, no /proc, no /dev.
--   voidrun profiles/fib.lua            (fib 30)
--   voidrun --set n=40 profiles/fib.lua
local vr = require "voidrun"
local n = vr.param("n", 30, "which Fibonacci number to compute")

vr.void "main" {
  exec = { "/fib", n },
  fs = { vr.exe(vr.libexec "fib", "/fib") },
}
