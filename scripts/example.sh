#!/usr/bin/env bash
# Set everything up on a fresh Debian 12 machine and run an example
# profile: hello.lua, which prints a greeting from inside a void.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then scripts/deps.sh; else sudo scripts/deps.sh; fi
scripts/build.sh
exec build/bin/voidrun profiles/hello.lua "${@:-world}"
