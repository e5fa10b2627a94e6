#!/usr/bin/env bash
# Installs the dependencies, builds vx86 and runs the whole test suite.
# Extra arguments go to ctest (e.g. -R memory).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
