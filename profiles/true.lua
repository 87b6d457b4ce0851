-- true: a full void running /bin/true, with the isolation of
--   bwrap --unshare-all --ro-bind /usr /usr ... --proc /proc --dev /dev /bin/true
-- (every namespace new, /proc and a minimal /dev). The launch benchmark
-- in bench/ times it against that bubblewrap command.
local vr = require "voidrun"

vr.void "main" {
  exec = { "/bin/true" },
  fs = { vr.exe "/bin/true", vr.proc(), vr.dev() },
}
