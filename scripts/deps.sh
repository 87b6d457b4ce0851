#!/usr/bin/env bash
# Install what voidrun needs to build, test and benchmark, from Debian's
# archive only, and only what is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  gcc make cmake pkg-config libc6-dev   # toolchain; libc6-dev has the static libc for the probe
  liblua5.4-dev lua5.4                  # the embedded interpreter
  libcap-dev                            # capabilities
  libseccomp-dev                        # seccomp filters
  libelf-dev                            # ELF parsing for vr.exe
  libmnl-dev                            # netlink messages for vr.network and vr.host_link
  libncurses-dev                        # voidrun top's curses module (libexec/voidrun/curses.so)
  lua-dkjson                            # JSON of ps --json and the control socket (pure Lua; doc/inspect.md says why not lua-cjson)
  libcmocka-dev                         # C unit tests
  tmux                                  # top_spec.lua drives voidrun top in a real terminal
  gdb                                   # debug_spec.lua attaches it to a void stopped by --debug
  lua-busted                            # Lua specs
  bubblewrap                            # the benchmark's peer
  gnuplot-nox                           # bench/run.sh's plots
  passwd util-linux procps              # useradd and runuser, for the unprivileged test run; ps
  libssl-dev openssl curl               # profiles/tls.lua's handler; its test CA and client
  ucspi-tcp                             # tcpserver, the connection benchmark's baseline
  qemu-system-x86 linux-image-amd64     # the pure cgroup v2 run of the limit specs (tests/vm/run.sh):
  busybox-static cpio                   #   Debian's kernel under qemu, its initramfs
                                        #   (busybox is also tls.lua's HTTP server and
                                        #   top_spec.lua's shell in a void; net_spec.lua's nc)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}; run this script as root (sudo $0)" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
