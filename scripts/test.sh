#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run every test suite:
#   1. CTest: the C unit tests of core/ (cmocka)
#   2. busted: the Lua layer and whole profiles through the real binary, as root
#   3. busted again as an unprivileged user the run creates (isolation through
#      user namespaces alone) -- when run as root
#   4. the limit specs on a pure cgroup v2 kernel, booted under qemu (tests/vm/)
#   5. a few specs through a statically linked voidrun (VOIDRUN_STATIC_EXE)
#   6. CTest and every spec again on a build with AddressSanitizer and
#      UBSan
# It ends with one line: "N passed, N failed, N skipped" over all suites.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "$(id -u)" -eq 0 ]; then
  scripts/deps.sh || exit 1
else
  scripts/deps.sh || { echo "test: run 'sudo scripts/deps.sh' first" >&2; exit 1; }
fi

passed=0 failed=0 skipped=0
tally() {  # suite passed failed skipped
  echo "== $1: $2 passed, $3 failed, $4 skipped"
  passed=$((passed + $2)); failed=$((failed + $3)); skipped=$((skipped + $4))
}

strip() { sed -e 's/\x1b\[[0-9;]*m//g'; }

# ctest_suite NAME BUILD_DIR [ctest args]: run and count.
ctest_suite() {
  local name=$1 dir=$2 log; shift 2
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure "$@" 2>&1 | tee "$log"
  local total fail skip
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  fail=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
  skip=$(grep -c '(Skipped)' "$log")
  rm -f "$log"
  if [ -z "$total" ]; then tally "$name" 0 1 0; return; fi
  tally "$name" $((total - fail - skip)) "$fail" "$skip"
}

# busted_suite NAME COMMAND...: run specs with the gtest output and count.
busted_suite() {
  local name=$1 log; shift
  log=$(mktemp)
  "$@" 2>&1 | tee "$log"
  local p f e s
  p=$(strip < "$log" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(strip < "$log" | sed -n 's/^ \([0-9]*\) FAILED TESTS\{0,1\}$/\1/p' | tail -1)
  e=$(strip < "$log" | sed -n 's/^ \([0-9]*\) ERRORS\{0,1\}$/\1/p' | tail -1)
  s=$(strip < "$log" | sed -n 's/^ \([0-9]*\) SKIPPED TESTS\{0,1\}$/\1/p' | tail -1)
  rm -f "$log"
  if [ -z "$p" ]; then tally "$name" 0 1 0; return; fi
  tally "$name" "$p" $(( ${f:-0} + ${e:-0} )) "${s:-0}"
}

echo "== build"
if ! scripts/build.sh; then
  echo "0 passed, 1 failed"
  exit 1
fi

ctest_suite "ctest" build

busted_suite "busted (root)" build/bin/voidrun test -o gtest tests/spec

# The same specs as an ordinary user: voidrun is installed into a staging
# prefix the user can read (CI's clone may sit below a private directory).
stage= created_user=
cleanup() {
  [ -n "$stage" ] && rm -rf "$stage"
  [ -n "$created_user" ] && userdel "$created_user" 2>/dev/null
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
  user=voidrun-test
  if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user" && created_user=$user
  fi
  stage=$(mktemp -d /tmp/voidrun-test.XXXXXX)
  chmod 755 "$stage"
  cmake --install build --prefix "$stage/usr" >/dev/null
  mkdir -p "$stage/src"
  cp -r tests profiles "$stage/src/"
  chmod -R a+rX "$stage"
  busted_suite "busted (user $user)" \
    runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$stage" LANG=C.UTF-8 \
      sh -c "cd '$stage/src' && exec '$stage/usr/bin/voidrun' test -o gtest tests/spec"
else
  echo "== busted (user): skipped: already running unprivileged, the run above is that run"
fi

# The limit specs again on a pure cgroup v2 kernel, in a VM (tests/vm/run.sh
# prints "vm: N passed, N failed, N skipped" last; a missing line is a failure).
log=$(mktemp)
tests/vm/run.sh 2>&1 | tee "$log"
vm=$(sed -n 's/^vm: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$log" | tail -1)
rm -f "$log"
# shellcheck disable=SC2086
tally "vm (cgroup v2)" ${vm:-0 1 0}

# The statically linked voidrun (VOIDRUN_STATIC_EXE, off by default:
# CMakeLists.txt): the specs of what differs in it, its start, its twin
# for `voidrun test`/`lua`/`top`, and networking's dlopen of libmnl.
echo "== build (static voidrun)"
if BUILD=build-static scripts/build.sh -DVOIDRUN_STATIC_EXE=ON && [ -x build-static/libexec/voidrun/voidrun-full ]; then
  busted_suite "busted cli, isolation, net, lua_api (static voidrun)" \
    build-static/bin/voidrun test -o gtest tests/spec/cli_spec.lua tests/spec/isolation_spec.lua \
      tests/spec/net_spec.lua tests/spec/lua_api_spec.lua
else
  echo "== static voidrun: skipped: it cannot be linked statically here (libc.a?)"
  tally "static voidrun (skipped)" 0 0 1
fi

echo "== build (ASan + UBSan)"
if BUILD=build-asan scripts/build.sh -DVOIDRUN_SANITIZE=ON; then
  ASAN_OPTIONS=detect_leaks=1 ctest_suite "ctest (ASan+UBSan)" build-asan -L core
  # Every spec through the sanitized binary (its Lua bindings, the CLI, a
  # void's pid 1 and entry): about 75 s, bounded so that a hang (enter's
  # once did: core/enter.c) fails instead of stalling the run.
  ASAN_OPTIONS=detect_leaks=1 busted_suite "busted (ASan+UBSan)" \
    timeout 900 build-asan/bin/voidrun test -o gtest tests/spec
else
  tally "build (ASan+UBSan)" 0 1 0
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
