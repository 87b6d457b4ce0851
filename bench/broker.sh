#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Connection benchmark: new connections per second and connect-to-close
# latency through voidrun's echo broker (profiles/echo.lua: a fresh void per
# connection running cat), side by side with ucspi-tcp's tcpserver running
# cat with a plain fork+exec per connection, with a sequential client and
# with 8 parallel clients. Rounds alternate between the servers so that
# drift affects both alike; medians over the rounds are reported, and the
# ratio voidrun / tcpserver (higher is better; the target is >= 0.6).
#
#   bench/broker.sh [-r ROUNDS] [-n CONNS_PER_CLIENT_PER_ROUND]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
rounds=5 n=200
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	*) echo "usage: bench/broker.sh [-r ROUNDS] [-n CONNS]" >&2; exit 2 ;;
	esac
done

if ! command -v tcpserver >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q ucspi-tcp >/dev/null; else
		echo "broker.sh: install ucspi-tcp (tcpserver)" >&2; exit 1; fi
fi
[ -x "$BUILD/bin/voidrun" ] || scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'kill $vpid $tpid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/connect" bench/connect.c -lssl -lcrypto

vport=7401 tport=7402
"$BUILD/bin/voidrun" --set port=$vport --set max_workers=64 profiles/echo.lua & vpid=$!
# -l 0: no local host name look-up, which otherwise stalls connections here
tcpserver -H -R -l 0 -c 64 -b 1024 127.0.0.1 $tport /bin/cat & tpid=$!  # a full path: no PATH walk per connection
for _ in $(seq 100); do
	"$tmp/connect" 127.0.0.1 $vport 1 >/dev/null 2>&1 && "$tmp/connect" 127.0.0.1 $tport 1 >/dev/null 2>&1 && break
	sleep 0.05
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "# broker benchmark, $(date -u +%FT%RZ): $(uname -sr), $(nproc) CPUs, $rounds rounds of $n connections per client"
printf '%-10s %-9s %10s %12s %12s\n' server clients "conn/s" "median ms" "p90 ms"
for p in 1 8; do
	for srv in voidrun tcpserver; do : > "$tmp/$srv.$p"; done
	for _ in $(seq "$rounds"); do
		for srv in voidrun tcpserver; do
			port=$([ $srv = voidrun ] && echo $vport || echo $tport)
			"$tmp/connect" 127.0.0.1 "$port" "$n" "$p" >> "$tmp/$srv.$p"
		done
	done
	for srv in voidrun tcpserver; do
		rate=$(field rate < "$tmp/$srv.$p" | median)
		med=$(field median_ms < "$tmp/$srv.$p" | median)
		p90=$(field p90_ms < "$tmp/$srv.$p" | median)
		printf '%-10s %-9s %10.1f %12.3f %12.3f\n' $srv $p "$rate" "$med" "$p90"
		eval "rate_${srv}_$p=$rate"
	done
done
for p in 1 8; do
	eval "v=\$rate_voidrun_$p t=\$rate_tcpserver_$p"
	awk -v v="$v" -v t="$t" -v p="$p" 'BEGIN { printf "voidrun / tcpserver with %d client(s): %.2fx\n", p, v / t }'
done
