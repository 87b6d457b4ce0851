#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Memory and scale benchmark (fast-spawning issue, item 4):
#   rss     voidrun's own memory: max RSS of `voidrun profiles/true.lua`, and
#           the RSS of a running echo broker (profiles/echo.lua) holding W
#           open connections (W workers), with the workers' PSS per worker
#   start   N voids started at once (bench/scale.lua: a plan compiled once,
#           spawned N times, each void `sleep 3600` with every namespace
#           new); the time until all N are READY, per void, against N; and
#           what a running void costs: the growth of a fresh memory cgroup
#           holding voidrun and its voids (user pages and the kernel's
#           objects: namespaces, page tables, ...), per void, and the
#           voids' own PSS per void
#   layout  the same through a profile: a layout of N sleeping voids and a
#           last void that prints a line; voidrun starts a layout's voids one
#           at a time, so this is the sequential start time
#   binds   launch time of a void with K read-only binds (K = 0..200),
#           interleaved with timeit
#
#   bench/scale.sh [-r ROUNDS] [--ns "N..."] [--binds "K..."] [--out DIR]
#
# Soft limits (open files, processes) are raised to the hard limits for
# this script only; kernel limits (namespaces, pids) are checked, not
# changed. Every void, process and cgroup made here is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
rounds=3 ns="1 10 100 1000" layout_ns="10 100 1000" binds="0 10 50 100 200" workers="0 10 50" out="" bruns=100
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	--ns) ns=$2; shift 2 ;;
	--layout-ns) layout_ns=$2; shift 2 ;;
	--binds) binds=$2; shift 2 ;;
	--binds-runs) bruns=$2; shift 2 ;;
	--workers) workers=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: bench/scale.sh [-r ROUNDS] [--ns N...] [--layout-ns N...] [--binds K...] [--binds-runs R] [--workers W...] [--out DIR]" >&2; exit 2 ;;
	esac
done
[ -x "$BUILD/bin/voidrun" ] || scripts/build.sh >/dev/null
voidrun=$BUILD/bin/voidrun
tmp=$(mktemp -d)
out=${out:-$tmp}
mkdir -p "$out"
pids="" cgs=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for c in $cgs; do [ -d "$c" ] && rmdir "$c" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
cc -O2 -o "$tmp/timeit" bench/timeit.c

# --- limits: 1000 voids are 2000 processes, ~3000 fds in the launcher and
# 1000 of each namespace.
max=0
for n in $ns; do [ "$n" -gt "$max" ] && max=$n; done
ulimit -n "$(ulimit -Hn)"
ulimit -u "$(ulimit -Hu)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((max * 4 + 100)) ] ||
	echo "scale.sh: warning: open files limited to $(ulimit -n); $max voids need about $((max * 3))" >&2
for f in /proc/sys/user/max_{user,mnt,pid,net,ipc,uts,cgroup}_namespaces; do
	[ -r "$f" ] && [ "$(cat "$f")" -lt $((max + 10)) ] &&
		echo "scale.sh: warning: $f is $(cat "$f"), below $max voids" >&2
done
[ "$(cat /proc/sys/kernel/pid_max)" -gt $((max * 3)) ] || echo "scale.sh: warning: kernel.pid_max is low" >&2

# --- a fresh memory cgroup per measurement (v2, or v1's memory hierarchy)
cgroot="" cgfile=""
if [ "$(id -u)" -eq 0 ]; then
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null &&
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		cgroot=/sys/fs/cgroup cgfile=memory.current
	elif [ -f /sys/fs/cgroup/memory/memory.usage_in_bytes ]; then
		cgroot=/sys/fs/cgroup/memory cgfile=memory.usage_in_bytes
	fi
fi
[ -n "$cgroot" ] || echo "scale.sh: no memory cgroup to use (not root, or no memory controller): cgroup figures are empty" >&2
cg_new() {  # prints the path of a new cgroup, or nothing
	[ -n "$cgroot" ] || return 0
	local c=$cgroot/voidrun-bench-$$-$1
	mkdir "$c" && cgs="$cgs $c" && echo "$c"
}
cg_rm() {
	local i
	[ -n "$1" ] || return 0
	for i in $(seq 50); do rmdir "$1" 2>/dev/null && return 0; sleep 0.02; done
	echo "scale.sh: warning: could not remove cgroup $1" >&2
}

# every process below PID (not PID itself)
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '{ p[$1] = $2 }
		END { for (x in p) { y = x; while ((y in p) && y != root && y > 1) y = p[y]; if (y == root && x != root) print x } }'
}
pss_kb() {  # summed PSS of the given pids, in kB
	local f=()
	for p in "$@"; do
		# As root a void's pid 1 (void-init) runs in voidrun's own memory
		# (core/void.c, spawn_vm): its pages are voidrun's, counted in
		# voidrun's RSS, and its smaps would be voidrun's all over again.
		[ "$(id -u)" = 0 ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = void-init ] && continue
		f+=("/proc/$p/smaps_rollup")
	done
	[ ${#f[@]} -gt 0 ] || { echo 0; return; }
	awk '/^Pss:/ { s += $2 } END { print s + 0 }' "${f[@]}" 2>/dev/null || echo 0
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "# scale benchmark, $(date -u +%FT%RZ): $(uname -sr), $(nproc) CPUs, $rounds rounds," \
	"memory cgroup: ${cgroot:-none}"

# --- rss: voidrun profiles/true.lua (max RSS of voidrun and what it waited
# for, from wait4; /bin/true's is far smaller) and an echo broker holding W
# connections
echo "## voidrun's own memory"
for _ in $(seq 5); do /usr/bin/time -f %M "$voidrun" profiles/true.lua 2>&1 >/dev/null | tail -1; done | median > "$tmp/true.rss"
printf 'voidrun profiles/true.lua: max RSS %s kB (median of 5)\n' "$(cat "$tmp/true.rss")"
echo "what,workers,voidrun_rss_kb,voidrun_hwm_kb,workers_pss_kb,worker_procs" > "$out/scale-rss.csv"
echo "true.lua,0,$(cat "$tmp/true.rss"),$(cat "$tmp/true.rss"),0,0" >> "$out/scale-rss.csv"
bport=${PORT0:-7441}
maxw=0
for w in $workers; do [ "$w" -gt "$maxw" ] && maxw=$w; done
"$voidrun" --set port=$bport --set max_workers=$((maxw + 8)) profiles/echo.lua & bpid=$!
pids="$pids $bpid"
for _ in $(seq 100); do (exec 9<>/dev/tcp/127.0.0.1/$bport) 2>/dev/null && break; sleep 0.05; done
printf '%-28s %8s %12s %12s %16s\n' "echo broker" workers "RSS kB" "HWM kB" "PSS kB/worker"
for w in $workers; do
	fds=()
	for _ in $(seq "$w"); do exec {fd}<>/dev/tcp/127.0.0.1/$bport; fds+=("$fd"); done
	# a worker is started when its connection's first byte arrives or at once
	# (prepared workers): wait until W cat processes run under the broker
	for _ in $(seq 200); do
		mapfile -t d < <(descendants $bpid)
		nc=0
		for p in "${d[@]}"; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = cat ] && nc=$((nc + 1)); done
		[ "$nc" -ge "$w" ] && break
		sleep 0.02
	done
	rss=$(status_kb $bpid VmRSS) hwm=$(status_kb $bpid VmHWM) pss=$(pss_kb "${d[@]}")
	# the prepared workers (built ahead, idle) are in the PSS too
	printf '%-28s %8d %12d %12d %16s\n' "" "$w" "$rss" "$hwm" \
		"$([ "$w" -gt 0 ] && awk -v s="$pss" -v w="$w" 'BEGIN { printf "%.0f", s / w }' || echo -)"
	echo "echo broker,$w,$rss,$hwm,$pss,${#d[@]}" >> "$out/scale-rss.csv"
	for fd in "${fds[@]}"; do exec {fd}>&-; done
done
kill $bpid; wait $bpid 2>/dev/null || true

# --- start: N voids at once
echo "## N voids started at once (bench/scale.lua), until all are READY"
echo "round,n,ready_ms,down_ms,cgroup_bytes,voids_pss_kb,voidrun_rss_kb,procs" > "$out/scale-start.csv"
one_start() {  # N ROUND
	local n=$1 r=$2 cg line ready down mem pss rss d
	cg=$(cg_new "$n-$r")
	coproc SC { [ -n "$cg" ] && echo "$BASHPID" > "$cg/cgroup.procs"; exec "$voidrun" lua bench/scale.lua "$n"; }
	local cpid=$SC_PID
	read -r -u "${SC[0]}" line || { echo "scale.sh: bench/scale.lua $n failed" >&2; return 1; }
	ready=${line##* }
	mem=$([ -n "$cg" ] && cat "$cg/$cgfile" || echo "")
	mapfile -t d < <(descendants "$cpid")
	pss=$(pss_kb "${d[@]}") rss=$(status_kb "$cpid" VmRSS)
	echo >&"${SC[1]}"
	read -r -u "${SC[0]}" line
	down=${line##* }
	wait "$cpid" || true
	cg_rm "$cg"
	echo "$r,$n,$ready,$down,$mem,$pss,$rss,${#d[@]}" >> "$out/scale-start.csv"
}
for r in $(seq "$rounds"); do
	for n in 0 $ns; do one_start "$n" "$r"; done
done
awk -F, 'NR > 1 { k = $2; i = ++c[k]; rd[k, i] = $3; m[k, i] = $5; ps[k, i] = $6; rs[k, i] = $7; pr[k] = $8; ns[k] = 1 }
	function med(a, k, n,    t, i, j, x) { for (i = 1; i <= n; i++) t[i] = a[k, i]
		for (i = 2; i <= n; i++) { x = t[i]; for (j = i - 1; j >= 1 && t[j] > x; j--) t[j + 1] = t[j]; t[j + 1] = x }
		return n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2 }
	END {
		m0 = med(m, 0, c[0])
		for (k in ns) { if (k == 0) continue
			mm = med(m, k, c[k])
			printf "%6d %12.1f %14.3f %16s %14.0f %16d %8d\n", k, med(rd, k, c[k]), med(rd, k, c[k]) / k,
				(mm == "" ? "-" : sprintf("%.0f", (mm - m0) / 1024 / k)), med(ps, k, c[k]) / k, med(rs, k, c[k]), pr[k] }
	}' "$out/scale-start.csv" | sort -n > "$tmp/start.txt"
{ printf "%6s %12s %14s %16s %14s %16s %8s\n" N "ready ms" "ms per void" "cgroup kB/void" "PSS kB/void" "voidrun RSS kB" procs; cat "$tmp/start.txt"; } | tee "$out/scale-start.txt"

# --- layout: N voids through a profile (started one at a time)
echo "## a layout of N sleeping voids, until its last void has printed (started one at a time)"
cat > "$tmp/layout.lua" <<'LUA'
local vr = require "voidrun"
local n = vr.param("n", 10, "sleeping voids")
for i = 1, n do
  vr.void("s" .. i) { exec = { "/bin/sleep", "3600" }, fs = { vr.exe "/bin/sleep" } }
end
vr.void "ready" { exec = { "/bin/echo", "ready" }, fs = { vr.exe "/bin/echo" } }
LUA
echo "round,n,ready_ms,down_ms" > "$out/scale-layout.csv"
for r in $(seq "$rounds"); do
	for n in 0 $layout_ns; do
		t0=$EPOCHREALTIME
		coproc LY { exec "$voidrun" --set n="$n" "$tmp/layout.lua"; }
		lpid=$LY_PID
		read -r -u "${LY[0]}" line || { echo "scale.sh: layout of $n failed" >&2; exit 1; }
		t1=$EPOCHREALTIME
		kill -TERM "$lpid"
		wait "$lpid" || true
		t2=$EPOCHREALTIME
		awk -v r="$r" -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%d,%d,%.3f,%.3f\n", r, n, (b - a) * 1000, (c - b) * 1000 }' >> "$out/scale-layout.csv"
	done
done
awk -F, 'NR > 1 { k = $2; i = ++c[k]; rd[k, i] = $3; dn[k, i] = $4; ns[k] = 1 }
	function med(a, k, n,    t, i, j, x) { for (i = 1; i <= n; i++) t[i] = a[k, i]
		for (i = 2; i <= n; i++) { x = t[i]; for (j = i - 1; j >= 1 && t[j] > x; j--) t[j + 1] = t[j]; t[j + 1] = x }
		return n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2 }
	END {
		r0 = med(rd, 0, c[0])
		for (k in ns)
			printf "%6d %12.1f %18s %14.1f\n", k, med(rd, k, c[k]), (k + 0 ? sprintf("%.3f", (med(rd, k, c[k]) - r0) / k) : "-"), med(dn, k, c[k])
	}' "$out/scale-layout.csv" | sort -n > "$tmp/layout.txt"
{ printf "%6s %12s %18s %14s\n" N "ready ms" "ms per void (-N=0)" "stop ms"; cat "$tmp/layout.txt"; } | tee "$out/scale-layout.txt"

# --- binds: launch time vs number of read-only binds
echo "## launch time vs read-only binds ($bruns runs each, interleaved)"
mkdir "$tmp/b"
kmax=0
for k in $binds; do [ "$k" -gt "$kmax" ] && kmax=$k; done
for i in $(seq "$kmax"); do mkdir "$tmp/b/d$i"; : > "$tmp/b/d$i/f"; done
cmds=()
for k in $binds; do
	cat > "$tmp/binds$k.lua" <<LUA
local vr = require "voidrun"
local fs = { vr.exe "/bin/true" }
for i = 1, $k do fs[#fs + 1] = vr.ro("$tmp/b/d" .. i, "/b/d" .. i) end
vr.void "main" { exec = { "/bin/true" }, fs = fs }
LUA
	"$voidrun" "$tmp/binds$k.lua" || { echo "scale.sh: a void with $k binds fails" >&2; exit 1; }
	cmds+=("binds$k=$voidrun $tmp/binds$k.lua")
done
"$tmp/timeit" -n "$bruns" -w 5 --csv "$out/scale-binds.csv" "${cmds[@]}" 2>&1 | grep -E '^(name|binds)' | tee "$out/scale-binds.txt"
awk -F, 'NR > 1 { k = substr($1, 6) + 0; m[k] = $4; if (NR == 2 || k < lo) lo = k; if (NR == 2 || k > hi) hi = k } END {
	if (hi > lo) printf "each further bind: %.3f ms (from %d to %d binds)\n", (m[hi] - m[lo]) / (hi - lo), lo, hi }' "$out/scale-binds.csv"

# nothing left behind
sleep 0.2
left=0
for p in $(descendants $$); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && left=$((left + 1)); done
[ "$left" -eq 0 ] || echo "scale.sh: warning: $left sleep processes left" >&2
