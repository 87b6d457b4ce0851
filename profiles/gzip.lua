-- gzip: Debian's real gzip compressing data passed in as fds, in a void
-- with no file system beyond its own program and libraries. voidrun opens
-- the input and output with the user's rights before any void starts;
-- gzip only ever sees fds 0 and 1.
--   voidrun profiles/gzip.lua < data > data.gz
--   voidrun --set input=data --set output=data.gz profiles/gzip.lua
local vr = require "voidrun"
local input = vr.param("input", "", "file to compress (default: voidrun's stdin)")
local output = vr.param("output", "", "file to write (default: voidrun's stdout)")

vr.void "gzip" {
  exec = { "/bin/gzip", "-c" },
  fs = { vr.exe "/bin/gzip" },
  stdin = input ~= "" and vr.file(input, "r") or vr.stdin,
  stdout = output ~= "" and vr.file(output, "w") or vr.stdout,
}
