#!/bin/bash
# SPDX-License-Identifier: MIT
#
# One command for every benchmark: builds voidrun (Release), runs
#   1. launch: plain /bin/true, unshare with all namespaces, bubblewrap,
#      voidrun profiles/true.lua (bench/launch.sh's comparison, interleaved)
#   2. the namespace matrix: clone3 + exec of /bin/true with each of the 128
#      combinations of the seven namespaces (bench/nsmatrix.c)
#   3. connections: the echo broker against tcpserver + cat (bench/broker.sh)
#   4. TLS connections: profiles/tls.lua against the same programs under
#      tcpserver without voids (bench/tls.sh)
#   5. spawn: a running broker's /bin/true worker against tcpserver's plain
#      fork+exec of /bin/true (bench/spawn.sh)
#   6. memory and scale: voidrun's RSS, memory per void, the time to start
#      N = 1..1000 voids, launch time against the number of binds
#      (bench/scale.sh)
# and writes bench/results/*.csv, *.txt, summary.json, PNG plots (gnuplot,
# installed if missing and root) and doc/performance.md. About 3 minutes on
# the 2-core machine; run it on an otherwise idle machine.
#
#   [QUICK=1] [OUT=DIR] [DOC=FILE] [BUILD=DIR] [REPORT_ONLY=1] bench/run.sh [-q]
#                         (-q or QUICK=1: fewer runs and smaller N, a smoke test
#                          of every part in well under a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quick=${QUICK:-0}
[ "${1:-}" = "-q" ] && quick=1
# q QUICK_VALUE FULL_VALUE
q() { if [ "$quick" = 1 ]; then echo "$1"; else echo "$2"; fi; }
BUILD=${BUILD:-build-bench}
# OUT and DOC move the results and the page (e.g. for a smoke test that must
# not replace the figures in the tree)
out=${OUT:-bench/results}
doc=${DOC:-doc/performance.md}
mkdir -p "$out"

if ! command -v gnuplot >/dev/null && [ "$(id -u)" -eq 0 ]; then
	apt-get install -y -q gnuplot-nox >/dev/null 2>&1 || true
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# REPORT_ONLY=1: measure nothing; redo summary.json, the plots and the page
# from the results already in $out (after a change to this script's report)
if [ "${REPORT_ONLY:-0}" = 1 ]; then
	grep -q '"quick": true' "$out/summary.json" 2>/dev/null && quick=1
else
BUILD=$BUILD BUILD_TYPE=Release scripts/build.sh >/dev/null
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

echo "== tls connections"
rm -f "$out/tls.csv"
BUILD=$BUILD bench/tls.sh -r "$(q 2 5)" -n "$(q 20 60)" --csv "$out/tls.csv" | tee "$out/tls.txt"

echo "== spawn rate in a running broker"
rm -f "$out/spawn.csv"
BUILD=$BUILD bench/spawn.sh -r "$(q 2 5)" -n "$(q 50 200)" --csv "$out/spawn.csv" | tee "$out/spawn.txt"

echo "== memory and scale"
BUILD=$BUILD bench/scale.sh -r "$(q 1 3)" --ns "$(q "1 10 100" "1 10 100 1000")" \
	--layout-ns "$(q "10" "10 100 1000")" --binds "0 10 50 100 200" --binds-runs "$(q 10 100)" \
	--workers "$(q "0 10" "0 10 50")" --out "$out" | tee "$out/scale.txt"
fi

# The headline ratios, with their targets, as JSON (and for the doc below).
# rows of a compare_rounds table: server clients rate median p10 p90 errors
row() { awk -v s="$2" -v c="$3" -v f="$4" '$1 == s && $2 == c && $3 ~ /^[0-9.]+$/ { print $f; exit }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", a / b; else printf "null" }'; }
tls_rate1=$(ratio "$(row "$out/tls.txt" voidrun 1 3)" "$(row "$out/tls.txt" plain 1 3)")
tls_lat1=$(ratio "$(row "$out/tls.txt" voidrun 1 4)" "$(row "$out/tls.txt" plain 1 4)")
tls_rate8=$(ratio "$(row "$out/tls.txt" voidrun 8 3)" "$(row "$out/tls.txt" plain 8 3)")
spawn_lat1=$(ratio "$(row "$out/spawn.txt" voidrun 1 4)" "$(row "$out/spawn.txt" plain 1 4)")
spawn_lat1_od=$(ratio "$(row "$out/spawn.txt" ondemand 1 4)" "$(row "$out/spawn.txt" plain 1 4)")
spawn_rate8=$(ratio "$(row "$out/spawn.txt" voidrun 8 3)" "$(row "$out/spawn.txt" plain 8 3)")
voids_per_s=$(row "$out/spawn.txt" voidrun 8 3)
per_void() { awk -v n="$1" '$1 == n && $2 ~ /^[0-9.]+$/ { print $3; exit }' "$out/scale-start.txt"; }
nmax=$(awk '$1 ~ /^[0-9]+$/ { n = $1 } END { print n }' "$out/scale-start.txt")
# flat: ms per void at the largest N over N = 100 (N = 10 when 100 is the
# largest); smaller N carry the fixed cost of the run
nref=$([ "${nmax:-0}" -gt 100 ] && echo 100 || echo 10)
scale_flat=$(ratio "$(per_void "$nmax")" "$(per_void "$nref")")
launch_bwrap=$(awk -F, 'NR > 1 { m[$1] = $4 } END { if (m["bwrap"] > 0) printf "%.3f", m["voidrun"] / m["bwrap"]; else printf "null" }' "$out/launch.csv")
cat > "$out/summary.json" <<JSON
{
  "date": "$(date -u +%FT%RZ)",
  "kernel": "$(uname -r)",
  "cpus": $(nproc),
  "quick": $([ "$quick" = 1 ] && echo true || echo false),
  "launch_voidrun_over_bwrap": { "value": $launch_bwrap, "target_max": 0.6 },
  "tls_rate_voidrun_over_plain_1_client": { "value": $tls_rate1, "target_min": 0.5 },
  "tls_latency_voidrun_over_plain_1_client": { "value": $tls_lat1, "target_max": 2.0 },
  "tls_rate_voidrun_over_plain_8_clients": { "value": $tls_rate8, "target_min": 0.5 },
  "spawn_latency_broker_over_fork_exec": { "value": $spawn_lat1, "target_max": 1.5 },
  "spawn_latency_ondemand_over_fork_exec": { "value": $spawn_lat1_od, "target_max": 1.5 },
  "spawn_rate_broker_over_fork_exec_8_clients": { "value": $spawn_rate8 },
  "broker_voids_per_second_8_clients": ${voids_per_s:-null},
  "start_ms_per_void_largest_n_over_n_ref": { "value": $scale_flat, "n": ${nmax:-null}, "n_ref": $nref, "target_max": 1.25 }
}
JSON

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

if command -v gnuplot >/dev/null; then
	# a compare_rounds table pivoted: clients, then column FIELD of each server
	pivot() {  # TABLE FIELD SERVERS...
		local t=$1 f=$2
		shift 2
		awk -v f="$f" -v list="$*" 'BEGIN { ns = split(list, sv, " ") }
			$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9.]+$/ { v[$1, $2] = $f; c[$2] = 1 }
			END { for (k in c) { printf "%s", k; for (i = 1; i <= ns; i++) printf " %s", v[sv[i], k]; print "" } }' "$t" | sort -n
	}
	pivot "$out/tls.txt" 3 plain voidrun > "$tmp/tls.dat"
	gnuplot <<GP
set terminal png size 800,450
set output "$out/tls.png"
set title "HTTPS: new connections/s (full handshake + GET), median of rounds"
set style data histograms
set style histogram clustered
set style fill solid 0.6
set key top left
set xlabel "parallel clients"
set ylabel "connections/s"
set yrange [0:*]
plot "$tmp/tls.dat" using 2:xtic(1) title "plain (tcpserver, fork+exec)", "" using 3 title "voidrun tls.lua"
GP
	pivot "$out/spawn.txt" 4 plain voidrun ondemand > "$tmp/spawn.dat"
	gnuplot <<GP
set terminal png size 800,450
set output "$out/spawn.png"
set title "/bin/true per connection: median connect-to-close ms"
set style data histograms
set style histogram clustered
set style fill solid 0.6
set key top left
set xlabel "parallel clients"
set ylabel "ms"
set yrange [0:*]
plot "$tmp/spawn.dat" using 2:xtic(1) title "plain fork+exec (tcpserver)", "" using 3 title "broker (prepared)", "" using 4 title "broker (on demand)"
GP
	awk '$1 ~ /^[0-9]+$/ && $1 > 0 { print $1, $3 }' "$out/scale-start.txt" > "$tmp/start.dat"
	awk '$1 ~ /^[0-9]+$/ && $1 > 0 { print $1, $3 }' "$out/scale-layout.txt" > "$tmp/layout.dat"
	gnuplot <<GP
set terminal png size 800,450
set output "$out/scale-start.png"
set title "time to start N voids, per void (median ms)"
set logscale x
set xlabel "N voids"
set ylabel "ms per void"
set yrange [0:*]
set key top right
plot "$tmp/start.dat" using 1:2 with linespoints title "N at once (plan spawned N times)", \
     "$tmp/layout.dat" using 1:2 with linespoints title "a layout of N (one at a time, minus N = 0)"
GP
	awk -F, 'NR > 1 { print substr($1, 6) + 0, $4, $5, $6 }' "$out/scale-binds.csv" | sort -n > "$tmp/binds.dat"
	gnuplot <<GP
set terminal png size 800,450
set output "$out/scale-binds.png"
set title "launch time of voidrun (/bin/true) vs read-only binds"
set xrange [-10:*]
set offsets 0, 10, 0, 0
set autoscale xfixmax
set xlabel "read-only binds"
set ylabel "ms"
set yrange [0:*]
plot "$tmp/binds.dat" using 1:2:3:4 with yerrorlines title "median (p10..p90)"
GP
fi

# verdict VALUE OP TARGET TEXT: one line saying whether the target is met
verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" -v txt="$4" 'BEGIN {
		if (v == "null" || v == "") { printf "- %s: no figure.\n", txt; exit }
		ok = (op == "<=") ? (v + 0 <= t + 0) : (v + 0 >= t + 0)
		printf "- %s: **%.2fx** (target %s %sx): **%s**.\n", txt, v, op, t, ok ? "met" : "not met" }'
}

# doc/performance.md, from the results
{
	echo "# Performance"
	echo
	echo "Written by \`bench/run.sh\` on $(date -u +%F) ($(uname -sr), $(nproc) CPUs). Medians of"
	echo "interleaved runs; compare ratios measured in one run, not absolute times"
	echo "across machines."
	[ "$quick" = 1 ] && { echo; echo "**A QUICK=1 run (few runs, N up to 100): a smoke test, not figures to quote.**"; }
	[ -n "${BENCH_NOTE:-}" ] && { echo; echo "**$BENCH_NOTE**"; }
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
	echo "\`bench/broker.sh\`: \`profiles/echo.lua\` (a \`cat\` void per connection, the socket"
	echo "handed over; its workers share one empty network namespace, \`netns = \"shared\"\`)"
	echo "against \`tcpserver -H -R -l 0\` running \`cat\` (fork+exec per connection)."
	echo "Target (brokers issue): at least 0.6x tcpserver's rate, with 1 and with 8 clients."
	echo
	echo '```'
	grep -v '^#' "$out/broker.txt"
	echo '```'
	echo
	echo "## TLS connections: a TLS void and an HTTP void per connection"
	echo
	echo "\`bench/tls.sh\`: \`profiles/tls.lua\` (voidrun listens; per connection a void"
	echo "running \`voidrun-tls\` with the connection, the certificate and key fds and one"
	echo "end of a seqpacket socket to the \"http\" broker, which starts a void running"
	echo "\`busybox httpd -i\` per plaintext stream) against the same two programs without"
	echo "voids: \`tcpserver -H -R -l 0\` fork+exec-ing the same \`voidrun-tls\` binary per"
	echo "connection with the same fds at the same numbers (3 certificate, 4 key, 5 the"
	echo "shared seqpacket socket), and \`bench/fdexec.c\` fork+exec-ing the same"
	echo "\`busybox httpd -i\` per stream it receives. The client (\`bench/connect.c"
	echo "--tls\`, C and OpenSSL) makes a full handshake per connection (no session"
	echo "resumption, the certificate verified; EC P-256, made with \`openssl\` at bench"
	echo "time) and one GET, reads the whole reply and checks it. Rounds alternate"
	echo "between the servers; the table holds the medians over rounds (per-round rows"
	echo "in \`bench/results/tls.csv\`)."
	echo
	echo '```'
	grep -v '^#' "$out/tls.txt"
	echo '```'
	echo
	echo "Target (brokers issue): tls within 2x the unsandboxed server."
	echo
	verdict "$tls_rate1" ">=" 0.5 "connections/s, voidrun / plain, 1 client"
	verdict "$tls_lat1" "<=" 2 "median latency, voidrun / plain, 1 client"
	verdict "$tls_rate8" ">=" 0.5 "connections/s, voidrun / plain, 8 clients"
	[ -f "$out/tls.png" ] && { echo; echo "![tls](../bench/results/tls.png)"; }
	echo
	echo "## Spawn: a worker of a running broker against a plain fork+exec"
	echo
	echo "\`bench/spawn.sh\`: three servers run \`/bin/true\` once per accepted TCP connection,"
	echo "with the connection as its stdin and stdout; the client (\`connect --eof\`)"
	echo "connects and reads to end of file, which comes when the worker has exited and"
	echo "the server has dropped its copy: connect-to-close is the latency of one worker,"
	echo "and with 8 parallel clients the rate is workers started per second. \`plain\` is"
	echo "\`tcpserver -H -R -l 0\` (fork+exec per connection), \`voidrun\` is"
	echo "\`bench/true-broker.lua\` (a void per connection, every namespace new but the"
	echo "network one, which the workers share: \`netns = \"shared\"\`, doc/brokers.md; 2 workers"
	echo "prepared ahead as by default), \`ondemand\` the same with \`prepared = 0\` (each"
	echo "void built after the accept). Rounds alternate; medians over rounds."
	echo
	echo '```'
	grep -v '^#' "$out/spawn.txt"
	echo '```'
	echo
	echo "Target (fast-spawning issue): a worker spawned by a running broker at most 1.5x"
	echo "a plain fork+exec of the same program."
	echo
	verdict "$spawn_lat1" "<=" 1.5 "median latency, broker (prepared) / plain, 1 client"
	verdict "$spawn_lat1_od" "<=" 1.5 "median latency, broker (on demand) / plain, 1 client"
	echo
	echo "With 8 clients the broker started **${voids_per_s:-?} voids/s** (${spawn_rate8}x tcpserver's rate)."
	[ -f "$out/spawn.png" ] && { echo; echo "![spawn](../bench/results/spawn.png)"; }
	echo
	echo "## Memory and scale"
	echo
	echo "\`bench/scale.sh\`. voidrun's own memory: the max RSS of \`voidrun profiles/true.lua\`"
	echo "(from wait4, so the largest of voidrun and the processes it reaped; /bin/true's"
	echo "is far smaller), and the RSS of a running echo broker holding W open connections"
	echo "(W \`cat\` workers); the workers' PSS includes the 2 prepared workers. Run as root,"
	echo "a void's pid 1 runs in voidrun's own memory: its pages are in voidrun's RSS, not"
	echo "in the PSS columns, which then count the voids' other processes."
	echo
	echo '```'
	sed -n '/^voidrun profiles/,/^## N voids/p' "$out/scale.txt" | grep -v '^##'
	echo '```'
	echo
	echo "N voids started at once: \`bench/scale.lua\` compiles one plan (a void running"
	echo "\`sleep 3600\`, every namespace new, only /bin/sleep and its libraries) and spawns"
	echo "it N times before waiting for any, then waits until every void is READY (built,"
	echo "its entry exec'd). *cgroup kB/void* is what a fresh memory cgroup holding"
	echo "voidrun and its voids grew by per void, over the same run with N = 0: user pages"
	echo "and the kernel objects charged to the cgroup (namespaces, page tables, ...);"
	echo "*PSS kB/void* the voids' own processes (sleep, and pid 1 where it has memory of its own);"
	echo "*procs* the processes"
	echo "of the N voids. Medians over rounds (per run: \`bench/results/scale-start.csv\`)."
	echo
	echo '```'
	cat "$out/scale-start.txt"
	echo '```'
	echo
	echo "Target (fast-spawning issue): cost per void flat, not growing, up to 1000 voids."
	echo
	verdict "$scale_flat" "<=" 1.25 "ms per void at N = $nmax over N = $nref (taken as flat up to 1.25x)"
	echo
	echo "A layout of N sleeping voids (a profile; voidrun starts a layout's voids one at a"
	echo "time, each once the previous has exec'd) until its last void has printed a line;"
	echo "per void after subtracting N = 0."
	echo
	echo '```'
	cat "$out/scale-layout.txt"
	echo '```'
	[ -f "$out/scale-start.png" ] && { echo; echo "![start N voids](../bench/results/scale-start.png)"; }
	echo
	echo "Launch time against the number of read-only binds: \`voidrun\` running \`/bin/true\`"
	echo "in a void with K directories bound read-only besides /bin/true's own files,"
	echo "interleaved with \`timeit\`:"
	echo
	echo '```'
	cat "$out/scale-binds.txt"
	grep '^each further' "$out/scale.txt" || true
	echo '```'
	[ -f "$out/scale-binds.png" ] && { echo; echo "![binds](../bench/results/scale-binds.png)"; }
	echo
	cat <<'TEXT'
## Where the time goes

Measured with `perf record -g` (system-wide, over thousands of workers),
`strace -c` and callgrind on this machine; shares are reliable, absolute
figures rough.

*One launch* (`voidrun profiles/true.lua`, about 4.1 ms against
bubblewrap's 4.0): voidrun's own start-up (the binary, the Lua state, the
embedded library) about 0.5 ms over `/bin/true`'s exec, most of it the
dynamic loader and the embedded Lua modules (a run loads seven of the
fourteen: the network code, the control socket's server and the harness
vocabulary load on first use); loading and checking the profile about
0.3 ms (the ELF closure of `vr.exe`, searched in `/etc/ld.so.cache` as the
loader does, is 0.14 ms of it); the void about 2.7 ms, of which the
kernel's share for seven namespaces and the exec is 1.2 ms (the namespace
matrix above: the network namespace alone is 0.4 ms), the rest the void's
root (one `open_tree` per bind, `/proc`, `/dev`, `pivot_root`), the
default seccomp filter and Landlock, and pid 1's exit with its
namespaces. Every exec here, voidrun's as `/bin/true`'s, also pays
glibc's CPU detection at start-up: `cpuid` traps to the hypervisor on this
machine, about 5 us each. Linking voidrun statically (the
`VOIDRUN_STATIC_EXE` build option, off by default: CMakeLists.txt says
why) saves another 0.3-0.4 ms. 0.6x of bubblewrap would be about 2.4 ms,
less than the void alone: that target needs what a one-shot launch does
not have, a process that outlives it (a zygote holding prepared
namespaces, or a per-user daemon the command only talks to).

*A broker worker* (8 clients): what was left of voidrun's share after the
network namespace went (`netns = "shared"`, doc/brokers.md) was, by perf
over thousands of workers, first the fork itself: the copy of voidrun's
page tables at clone3, the copy-on-write faults after it in both
processes, and the copy's teardown when pid 1 ended (a quarter of
voidrun's samples). Run as root, pid 1 now starts in voidrun's own memory
(`CLONE_VM`, from a thread of voidrun's that waits in clone3 for it:
core/void.c, spawn_vm; doc/threat-model.md), which took a worker of
`/bin/true` from about 1.45 to 1.23 ms of CPU. Second, the seccomp filter:
the kernel JIT-compiles each program installed and runs it once per
system call number to fill its action cache; the default filter, a list
of 90 comparisons, cost about 100 us per void, as a binary tree 55 us,
and a shared-namespace worker's unix-only rule now comes inside it
instead of as a program of its own. Left: the mount namespace's copy of
the host's mounts and their teardown, the root's mounts (about a fifth of
voidrun's share), dropping 41 capabilities from the bounding set (41
`prctl`s, each a new set of credentials), the IPC namespace's sysctl
tables, the exec.

*Many voids at once*: the start cost per void grows from N = 100 to
N = 1000 (by 1.1x to 1.4x between runs here), also without network
namespaces. perf names the kernel's `pivot_root`: it walks every task on
the machine to move those whose root or working directory is the old
root (`chroot_fs_refs`), so each void's start costs more the more
processes run. bubblewrap and crun pay the same; the alternative (moving
the root over `/` and `chroot`) leaves the host's root reachable to a
process with `CAP_SYS_CHROOT`, which a profile may keep.

TEXT
	echo "All headline ratios with their targets: \`bench/results/summary.json\`."
} > "$doc"
echo "== wrote $out/ and $doc"
