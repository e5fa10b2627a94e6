#!/usr/bin/env bash
# Installs the dependencies, builds vx86 and runs the whole test suite.
# Extra arguments go to ctest (e.g. -R memory).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# The default Linux guest (Debian kernel + busybox initramfs) for the boot tests.
scripts/build-guest.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
