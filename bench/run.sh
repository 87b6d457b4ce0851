#!/bin/bash
# SPDX-License-Identifier: MIT
#
# One command for every benchmark: builds voidrun (Release), runs
#   1. launch: plain /bin/true, unshare with all namespaces, bubblewrap,
#      voidrun profiles/true.lua (bench/launch.sh's comparison, interleaved)
#   2. the namespace matrix: clone3 + exec of /bin/true with each of the 128
#      combinations of the seven namespaces (bench/nsmatrix.c)
#   3. connections: the echo broker against tcpserver + cat (bench/broker.sh)
# and writes bench/results/*.csv, PNG plots (gnuplot, if installed) and
# doc/performance.md. Takes a few minutes; run on an otherwise idle machine.
#
#   bench/run.sh [-q]     (-q: fewer runs, for a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quick=0
[ "${1:-}" = "-q" ] && quick=1
BUILD=${BUILD:-build-bench}
out=bench/results
mkdir -p "$out"

BUILD=$BUILD BUILD_TYPE=Release scripts/build.sh >/dev/null
if ! command -v gnuplot >/dev/null && [ "$(id -u)" -eq 0 ]; then
	apt-get install -y -q gnuplot-nox >/dev/null 2>&1 || true
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/timeit" bench/timeit.c
cc -O2 -I core -o "$tmp/nsmatrix" bench/nsmatrix.c core/clone.c

runs=$([ $quick = 1 ] && echo 50 || echo 300)
echo "== launch ($runs runs each)"
"$tmp/timeit" -n "$runs" -w 10 --csv "$out/launch.csv" \
	"true=/bin/true" \
	"unshare=unshare -Umpniu -C --fork --map-root-user /bin/true" \
	"bwrap=bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev /bin/true" \
	"voidrun=$BUILD/bin/voidrun profiles/true.lua" | tee "$out/launch.txt"

echo "== namespace matrix"
"$tmp/nsmatrix" "$([ $quick = 1 ] && echo 5 || echo 30)" > "$out/nsmatrix.csv"

echo "== connections"
BUILD=$BUILD bench/broker.sh -r "$([ $quick = 1 ] && echo 2 || echo 5)" -n "$([ $quick = 1 ] && echo 100 || echo 300)" | tee "$out/broker.txt"

if command -v gnuplot >/dev/null; then
	# the single namespaces and all seven, as bars
	awk -F, 'NR > 1 && ($1 == 0 || $1 == 1 || $1 == 2 || $1 == 4 || $1 == 8 || $1 == 16 || $1 == 32 || $1 == 64 || $1 == 127) {
		n = ($1 == 0) ? "none" : ($1 == 127) ? "all" : ($2 ? "user" : $3 ? "mount" : $4 ? "pid" : $5 ? "net" : $6 ? "ipc" : $7 ? "uts" : "cgroup");
		print n, $9 }' "$out/nsmatrix.csv" > "$tmp/single.dat"
	gnuplot <<GP
set terminal png size 800,450
set output "$out/nsmatrix.png"
set title "clone3 + exec of /bin/true: median ms per namespace (nsmatrix)"
set style data histograms
set style fill solid 0.6
set ylabel "ms"
set yrange [0:*]
plot "$tmp/single.dat" using 2:xtic(1) notitle
GP
	sort -t, -k9 -n "$out/nsmatrix.csv" | awk -F, '$9 > 0 { print NR, $9 }' > "$tmp/all.dat"
	gnuplot <<GP
set terminal png size 800,450
set output "$out/nsmatrix-all.png"
set title "all 128 combinations of the seven namespaces, sorted (median ms)"
set ylabel "ms"
set xlabel "combination (sorted)"
plot "$tmp/all.dat" using 1:2 with linespoints notitle
GP
fi

# doc/performance.md, from the results
{
	echo "# Performance"
	echo
	echo "Written by \`bench/run.sh\` on $(date -u +%F) ($(uname -sr), $(nproc) CPUs). Medians of"
	echo "interleaved runs; compare ratios measured in one run, not absolute times"
	echo "across machines."
	echo
	echo "## Launch: \`/bin/true\` in a void"
	echo
	echo '```'
	sed -n '/^name/,/^ratio/p' "$out/launch.txt"
	echo '```'
	echo
	awk -F, 'NR > 1 { m[$1] = $4 } END { if (m["bwrap"] > 0) printf "voidrun / bubblewrap: **%.2fx** (target for the foundation: at most 1x; for fast spawning: 0.6x).\n", m["voidrun"] / m["bwrap"] }' "$out/launch.csv" 2>/dev/null || true
	echo
	echo "## The namespace matrix"
	echo
	echo "clone3 with the given new namespaces, exec of \`/bin/true\`, exit (no voidrun"
	echo "involved): what the kernel charges for each namespace. Full table:"
	echo "\`bench/results/nsmatrix.csv\`."
	echo
	echo "| namespaces | median ms | x none |"
	echo "|---|---|---|"
	awk -F, 'NR > 1 && ($1 == 0 || $1 == 1 || $1 == 2 || $1 == 4 || $1 == 8 || $1 == 16 || $1 == 32 || $1 == 64 || $1 == 127) {
		n = ($1 == 0) ? "none" : ($1 == 127) ? "all seven" : ($2 ? "user" : $3 ? "mount" : $4 ? "pid" : $5 ? "net" : $6 ? "ipc" : $7 ? "uts" : "cgroup");
		printf "| %s | %.3f | %.2f |\n", n, $9, $10 }' "$out/nsmatrix.csv"
	[ -f "$out/nsmatrix.png" ] && { echo; echo "![single namespaces](../bench/results/nsmatrix.png)"; echo; echo "![all combinations](../bench/results/nsmatrix-all.png)"; }
	echo
	echo "## Connections: a void per connection"
	echo
	echo '```'
	grep -v '^#' "$out/broker.txt"
	echo '```'
} > doc/performance.md
echo "== wrote $out/ and doc/performance.md"
