-- The probe in a default void, with /proc, a minimal /dev and a /tmp, so
-- that it can report everything. Arguments go to the probe.
local vr = require "voidrun"

vr.void "probe" {
  exec = { "/probe", table.unpack(vr.args) },
  fs = { vr.exe(vr.libexec "voidrun-probe", "/probe"), vr.proc(), vr.dev(), vr.tmpfs "/tmp" },
  env = { PROBE = "1" },
}
