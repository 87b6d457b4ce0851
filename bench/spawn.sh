#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Spawn benchmark (fast-spawning issue, item 3): how fast a running broker
# starts workers, against a plain fork+exec of the same program. Every
# server runs /bin/true once per accepted TCP connection with the
# connection as its stdin and stdout; the client (bench/connect.c --eof)
# connects and waits for end of file, which comes when the worker has
# exited. Connect-to-close is then the latency of one worker; with 8
# parallel clients the rate is workers (voids) per second.
#
#   plain:      tcpserver -H -R -l 0 ... /bin/true (fork+exec per connection)
#   voidrun:    voidrun bench/true-broker.lua (a void per connection, two
#               workers prepared ahead: the broker's default)
#   ondemand:   the same with prepared = 0: every void built after accept
#
# Also times a bare posix_spawn+wait of /bin/true (timeit) for scale.
# Rounds alternate between the servers; medians over rounds; the target is
# a broker worker at most 1.5x a plain fork+exec (latency), i.e. a rate of
# at least 0.67x.
#
#   bench/spawn.sh [-r ROUNDS] [-n CONNS_PER_CLIENT] [-c "CLIENTS..."] [--csv FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
rounds=5 n=200 clients="1 8" csv=
# shellcheck source=bench/lib.sh
. bench/lib.sh
conn_opts spawn.sh "$@"
need tcpserver ucspi-tcp spawn.sh
[ -x "$BUILD/bin/voidrun" ] || scripts/build.sh >/dev/null

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
connect=$tmp/connect
cc -O2 -o "$connect" bench/connect.c -lssl -lcrypto
cc -O2 -o "$tmp/timeit" bench/timeit.c

pport=${PORT0:-7431}
"$BUILD/bin/voidrun" --set port=$((pport + 1)) bench/true-broker.lua & pids="$pids $!"
"$BUILD/bin/voidrun" --set port=$((pport + 2)) --set prepared=0 bench/true-broker.lua & pids="$pids $!"
tcpserver -H -R -l 0 -c 64 -b 1024 127.0.0.1 $pport /bin/true & pids="$pids $!"
for p in $pport $((pport + 1)) $((pport + 2)); do wait_port $p --eof; done

echo "# spawn benchmark, $(date -u +%FT%RZ): $(uname -sr), $(nproc) CPUs, $rounds rounds of $n connections per client, /bin/true per connection"
compare_rounds "${csv:-$tmp/spawn.csv}" --eof "$rounds" "$n" "$clients" \
	plain=$pport voidrun=$((pport + 1)) ondemand=$((pport + 2))
echo "# for scale: posix_spawn + waitpid of /bin/true, no server, no socket"
"$tmp/timeit" -n $((rounds * 60)) -w 10 true=/bin/true | sed -n '/^name/,/^true/p'
