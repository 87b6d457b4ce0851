# shellcheck shell=bash disable=SC2154 # $tmp and $connect come from the caller
# SPDX-License-Identifier: MIT
# Shared by the connection benchmarks (tls.sh, spawn.sh): sourced, not run.
#
# conn_opts SCRIPT ARGS...
#   Parses -r ROUNDS, -n CONNS (per client per round), -c "CLIENTS..." and
#   --csv FILE into $rounds, $n, $clients and $csv (defaults: the caller's).
# need CMD PACKAGE SCRIPT
#   Installs Debian's PACKAGE when CMD is missing (as root), else says so.
#
# compare_rounds CSV CLIENT_ARGS ROUNDS N CLIENTS NAME=PORT...
#   For each client count in CLIENTS (e.g. "1 8"), runs ROUNDS rounds; in
#   each round every server gets one run of $connect CLIENT_ARGS 127.0.0.1
#   PORT N P, one after the other (interleaved, so drift falls on all alike).
#   Appends one CSV row per run to CSV, prints a table of the medians over
#   the rounds and, for every server after the first, its ratio to the first
#   (connections/s and median latency). Sets rate_NAME_P and lat_NAME_P.
# Needs $connect (the built bench/connect.c) and $tmp (a scratch directory).

conn_opts() {
	local me=$1
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		-r) rounds=$2; shift 2 ;;
		-n) n=$2; shift 2 ;;
		-c) clients=$2; shift 2 ;;
		--csv) csv=$2; shift 2 ;;
		*) echo "usage: bench/$me [-r ROUNDS] [-n CONNS] [-c CLIENTS] [--csv FILE]" >&2; exit 2 ;;
		esac
	done
}

need() {
	command -v "$1" >/dev/null && return 0
	if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q "$2" >/dev/null; else
		echo "$3: install $2 ($1)" >&2; exit 1; fi
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*[ ^]$1=\([0-9.]*\).*/\1/p; s/^$1=\([0-9.]*\).*/\1/p"; }

compare_rounds() {
	local csv=$1 cargs=$2 rounds=$3 n=$4 clients=$5
	shift 5
	local pair name port p r line base_rate base_lat rate lat p90 p10 err
	[ -s "$csv" ] || echo "server,clients,round,conns,secs,rate,median_ms,p90_ms,p10_ms,errors" > "$csv"
	printf '%-12s %-8s %10s %12s %12s %12s %7s\n' server clients "conn/s" "median ms" "p10 ms" "p90 ms" errors
	for p in $clients; do
		for pair in "$@"; do : > "$tmp/cr.${pair%%=*}.$p"; done
		for r in $(seq "$rounds"); do
			for pair in "$@"; do
				name=${pair%%=*} port=${pair#*=}
				# shellcheck disable=SC2086 # client options split on blanks
				line=$("$connect" $cargs 127.0.0.1 "$port" "$n" "$p") || {
					echo "compare_rounds: $name failed: $line" >&2
					return 1
				}
				echo "$line" >> "$tmp/cr.$name.$p"
				echo "$line" | awk -v s="$name" -v p="$p" -v r="$r" '{
					for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
					printf "%s,%d,%d,%s,%s,%s,%s,%s,%s,%s\n", s, p, r, v["conns"], v["secs"], v["rate"],
						v["median_ms"], v["p90_ms"], v["p10_ms"], v["errors"] }' >> "$csv"
			done
		done
		base_rate="" base_lat=""
		for pair in "$@"; do
			name=${pair%%=*}
			rate=$(field rate < "$tmp/cr.$name.$p" | median)
			lat=$(field median_ms < "$tmp/cr.$name.$p" | median)
			p10=$(field p10_ms < "$tmp/cr.$name.$p" | median)
			p90=$(field p90_ms < "$tmp/cr.$name.$p" | median)
			err=$(field errors < "$tmp/cr.$name.$p" | awk '{s += $1} END {print s + 0}')
			printf '%-12s %-8s %10.1f %12.3f %12.3f %12.3f %7d\n' "$name" "$p" "$rate" "$lat" "$p10" "$p90" "$err"
			eval "rate_${name//[^A-Za-z0-9_]/_}_$p=$rate lat_${name//[^A-Za-z0-9_]/_}_$p=$lat"
			if [ -z "$base_rate" ]; then base_rate=$rate base_lat=$lat base=$name; fi
		done
		for pair in "${@:2}"; do
			name=${pair%%=*}
			eval "rate=\$rate_${name//[^A-Za-z0-9_]/_}_$p lat=\$lat_${name//[^A-Za-z0-9_]/_}_$p"
			awk -v a="$name" -v b="$base" -v p="$p" -v r="$rate" -v br="$base_rate" -v l="$lat" -v bl="$base_lat" \
				'BEGIN { printf "ratio %s / %s, %d client(s): rate %.2fx, median latency %.2fx\n", a, b, p, r / br, l / bl }'
		done
	done
}

# wait_port PORT [CLIENT_ARGS]: until one connection to PORT succeeds (5 s)
wait_port() {
	local _
	for _ in $(seq 100); do
		# shellcheck disable=SC2086
		"$connect" ${2:-} 127.0.0.1 "$1" 1 >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "wait_port: nothing answers on port $1" >&2
	return 1
}
