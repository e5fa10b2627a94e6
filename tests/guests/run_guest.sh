#!/usr/bin/env bash
# run_guest.sh VX86 ACCEL IMAGE EXPECTED_STATUS EXPECTED_SERIAL
# Boots a bare-metal guest with its serial port in a file and checks how it
# ended. Exits 77 (ctest: skipped) with the reason when the accelerator
# cannot run here.
set -u
source "$(dirname "$0")/../skip_checks.sh"
vx86=$1 accel=$2 image=$3 want_status=$4 want_serial=$5
skip_unless_accel_runs "$accel"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 60 "$vx86" -display none -accel "$accel" -bios "$image" -serial "file:$out" \
  -device isa-debug-exit,iobase=0xf4,iosize=4 >"$out.stdout" 2>"$out.stderr"
status=$?
stderr=$(cat "$out.stderr"); rm -f "$out.stdout" "$out.stderr"
if grep -q "not available yet" <<<"$stderr"; then
  echo "SKIP: $stderr"
  exit 77
fi
if [ "$status" -ne "$want_status" ]; then
  echo "FAIL: exit status $status, expected $want_status"
  echo "stderr: $stderr"
  echo "serial: $(cat "$out")"
  exit 1
fi
if ! grep -q -- "$want_serial" "$out"; then
  echo "FAIL: serial output lacks '$want_serial':"
  cat "$out"
  exit 1
fi
echo "PASS: status $status, serial: $(head -c 200 "$out")"
