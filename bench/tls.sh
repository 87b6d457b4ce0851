#!/bin/bash
# SPDX-License-Identifier: MIT
#
# TLS connection benchmark (brokers issue): new HTTPS connections per second
# and connect-to-close latency through profiles/tls.lua (a TLS void per
# connection handing the plaintext to an HTTP void per stream), side by side
# with the same two programs unsandboxed:
#
#   plain:   tcpserver -H -R -l 0 (fork+exec per connection) running the
#            same voidrun-tls binary with the same fds (3 = cert, 4 = key,
#            5 = a seqpacket socket shared by all handlers), and bench/fdexec
#            fork+exec-ing the same busybox httpd -i per stream it hands over
#   voidrun: voidrun profiles/tls.lua
#
# The client (bench/connect.c --tls) does a full handshake (no resumption,
# certificate verified) and one GET per connection. Certificate and key
# (EC P-256, self-signed for "localhost") are made here with openssl.
# Rounds alternate between the servers; medians over rounds; the ratio is
# voidrun to plain (target: within 2x, i.e. rate >= 0.5x, latency <= 2x).
#
#   bench/tls.sh [-r ROUNDS] [-n CONNS_PER_CLIENT] [-c "CLIENTS..."] [--csv FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
rounds=5 n=100 clients="1 8" csv=
# shellcheck source=bench/lib.sh
. bench/lib.sh
conn_opts tls.sh "$@"
for p in tcpserver:ucspi-tcp busybox:busybox openssl:openssl; do
	need "${p%%:*}" "${p#*:}" tls.sh
done
[ -x "$BUILD/bin/voidrun" ] || scripts/build.sh >/dev/null
handler=$BUILD/libexec/voidrun/voidrun-tls
[ -x "$handler" ] || { echo "tls.sh: $handler was not built (needs libssl-dev)" >&2; exit 1; }

tmp=$(mktemp -d)
vpid='' tpid=''
cleanup() {
	for p in $vpid $tpid; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
connect=$tmp/connect
cc -O2 -o "$connect" bench/connect.c -lssl -lcrypto
cc -O2 -I core/include -o "$tmp/fdexec" bench/fdexec.c

mkdir "$tmp/www"
printf 'voidrun_tls_bench page\n' > "$tmp/www/index.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

vport=${VPORT:-7421} tport=${TPORT:-7422}
"$BUILD/bin/voidrun" --set port=$vport --set cert="$tmp/cert.pem" --set key="$tmp/key.pem" \
	--set root="$tmp/www" profiles/tls.lua & vpid=$!
# the plain twin: the same fds at the same numbers, the same programs, by
# full path (execvp would otherwise walk PATH on every connection)
(
	exec 3<"$tmp/cert.pem" 4<"$tmp/key.pem"
	exec "$tmp/fdexec" 5 tcpserver -H -R -l 0 -c 64 -b 1024 127.0.0.1 $tport "$handler" 3 4 5 -- \
		"$(command -v busybox)" httpd -i -h "$tmp/www"
) & tpid=$!
cargs="--tls $tmp/cert.pem --get /index.html --expect voidrun_tls_bench"
wait_port $vport "$cargs"
wait_port $tport "$cargs"

echo "# tls benchmark, $(date -u +%FT%RZ): $(uname -sr), $(nproc) CPUs, $(openssl version | cut -d' ' -f1-2)," \
	"EC P-256, $rounds rounds of $n connections per client, full handshake + GET each"
compare_rounds "${csv:-$tmp/tls.csv}" "$cargs" "$rounds" "$n" "$clients" plain=$tport voidrun=$vport
