#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Launch benchmark: how long does it take to start /bin/true in a void?
# Times, interleaved, plain /bin/true, Debian's bubblewrap with the same
# isolation, and `voidrun profiles/true.lua`; prints the medians, the ratio
# to plain /bin/true, and voidrun's ratio to bubblewrap.
#
#   bench/launch.sh [-n RUNS] [-w WARMUP] [--user NAME] [--csv FILE] [--voidrun CMD]
#
# Environment: BUILD (build directory, default "build", relative to the
# repository root), CC (default "cc"). See bench/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/launch.sh [OPTIONS]
Time plain /bin/true, bwrap /bin/true and voidrun profiles/true.lua, interleaved.

  -n, --runs N       timed runs per command (default 200)
  -w, --warmup N     untimed warm-up runs per command (default 10)
  -u, --user NAME    run every command as NAME, via `runuser -u NAME --`
                     (needs root; the runuser cost is in every row alike)
      --csv FILE     also write timeit's CSV (one row per command) to FILE
      --voidrun CMD  time CMD instead of "$BUILD/bin/voidrun profiles/true.lua"
                     and do not build (e.g. an installed voidrun)
  -h, --help         show this help

Environment: BUILD=build directory (default: build), CC=C compiler (default: cc).
EOF
}

die() {
	echo "launch.sh: $*" >&2
	exit 1
}

runs=200
warmup=10
user=
csv=
voidrun_cmd=

while [ $# -gt 0 ]; do
	case "$1" in
	-n|--runs)    [ $# -ge 2 ] || die "$1 needs a value"; runs=$2; shift 2 ;;
	-w|--warmup)  [ $# -ge 2 ] || die "$1 needs a value"; warmup=$2; shift 2 ;;
	-u|--user)    [ $# -ge 2 ] || die "$1 needs a value"; user=$2; shift 2 ;;
	--csv)        [ $# -ge 2 ] || die "$1 needs a value"; csv=$2; shift 2 ;;
	--voidrun)    [ $# -ge 2 ] || die "$1 needs a value"; voidrun_cmd=$2; shift 2 ;;
	-h|--help)    usage; exit 0 ;;
	*)            echo "launch.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
done

# Refuse nonsense before building anything (timeit would refuse it too,
# but only after the build).
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "-n: want a positive whole number, not '$runs'"
[[ $warmup =~ ^[0-9]+$ ]] || die "-w: want a whole number, not '$warmup'"

# A --csv path given relative to where the user stands must not move when
# we cd to the repository.
if [ -n "$csv" ] && [ "${csv#/}" = "$csv" ]; then
	csv=$PWD/$csv
fi

# Work from the repository root whatever the caller's cwd, so that BUILD
# and profiles/true.lua mean the same thing from anywhere.
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build}
CC=${CC:-cc}

# bubblewrap: the reference we compare against.
if ! command -v bwrap >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "launch.sh: bwrap not found; installing bubblewrap" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y bubblewrap >&2 ||
			{ apt-get update >&2 && apt-get install -y bubblewrap >&2; } ||
			die "could not install bubblewrap"
	else
		die "bwrap not found: install Debian's bubblewrap (sudo apt-get install bubblewrap)"
	fi
fi

# voidrun: build it unless told which voidrun to time. Configure and build
# every time: both are quick when nothing changed, they recover a build
# directory whose first configure failed, and they make sure we time the
# source as it is, not a stale binary. A new build directory is Release;
# an existing one keeps its build type (checked below).
if [ -z "$voidrun_cmd" ]; then
	if [ -f "$BUILD/CMakeCache.txt" ]; then
		cmake -S . -B "$BUILD" >&2
	else
		cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
	fi
	cmake --build "$BUILD" -j2 >&2
	build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
	if [ "$build_type" != Release ]; then
		echo "launch.sh: warning: $BUILD is a '$build_type' build, not Release;" \
			"reconfigure with -DCMAKE_BUILD_TYPE=Release (or set BUILD) for figures worth quoting" >&2
	fi
	[ -x "$BUILD/bin/voidrun" ] || die "$BUILD/bin/voidrun was not built"
	[ -f profiles/true.lua ] || die "profiles/true.lua is missing"
	voidrun_cmd="$BUILD/bin/voidrun profiles/true.lua"
fi

# timeit lives in the build directory: bench/ stays source only.
timeit=$BUILD/bench/timeit
if [ ! -x "$timeit" ] || [ bench/timeit.c -nt "$timeit" ]; then
	mkdir -p "$BUILD/bench"
	$CC -O2 -Wall -Wextra -o "$timeit" bench/timeit.c
fi

prefix=
if [ -n "$user" ]; then
	[ "$(id -u)" = 0 ] || die "--user needs root (runuser only works for root)"
	id -u "$user" >/dev/null 2>&1 || die "--user: no such user '$user'"
	prefix="runuser -u $user -- "
fi

# Named commands, in table order; the first is the baseline. timeit splits
# each on blanks and execs it without a shell. The bwrap line is the one
# from the issue: every namespace new, /usr read-only, /proc and /dev.
cmds=(
	"true=${prefix}/bin/true"
	"bwrap=${prefix}bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev /bin/true"
	"voidrun=${prefix}${voidrun_cmd}"
)

# One visible run of each first: timeit sends output to /dev/null and can
# only say that a command failed; here its own message is shown.
for c in "${cmds[@]}"; do
	# shellcheck disable=SC2086 # split on blanks, as timeit does
	${c#*=} </dev/null >/dev/null || die "'${c%%=*}' fails (exit $?): ${c#*=}"
done

out=$csv
if [ -z "$out" ]; then
	out=$(mktemp --tmpdir voidrun-launch.XXXXXX.csv)
	trap 'rm -f "$out"' EXIT
fi

bwrap_version=$(bwrap --version 2>/dev/null | sed -n '1s/^bubblewrap //p')
echo "# launch benchmark, $(date -u +%Y-%m-%dT%H:%MZ): Linux $(uname -r) $(uname -m)," \
	"$(nproc) CPUs, bubblewrap ${bwrap_version:-?}, as ${user:-$(id -un)}," \
	"$runs runs + $warmup warm-up, interleaved"
"$timeit" -n "$runs" -w "$warmup" --csv "$out" "${cmds[@]}"

# The figure the issue asks for: voidrun against bubblewrap, and what each
# adds on top of starting /bin/true at all.
awk -F, '
	NR > 1 { med[$1] = $4 }
	END {
		printf "voidrun is %.2fx bubblewrap (median %.3f ms vs %.3f ms)\n",
			med["voidrun"] / med["bwrap"], med["voidrun"], med["bwrap"]
		printf "over plain /bin/true: voidrun +%.3f ms, bubblewrap +%.3f ms\n",
			med["voidrun"] - med["true"], med["bwrap"] - med["true"]
	}' "$out"
