#!/usr/bin/env bash
# Installs the dependencies, builds vx86 and boots the default guest on this
# terminal. Ctrl-A x quits. Extra arguments go to vx86.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
guest=build/tests/guests/hello.bin
exec build/vx86 -nographic -bios "$guest" \
  -device isa-debug-exit,iobase=0xf4,iosize=4 "$@"
