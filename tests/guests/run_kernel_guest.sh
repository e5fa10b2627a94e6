#!/usr/bin/env bash
# run_kernel_guest.sh VX86 ACCEL KERNEL APPEND RAM EXPECTED_STATUS EXPECTED_SERIAL
# Like run_guest.sh, for a guest started with -kernel (no firmware image):
# boots KERNEL with -append APPEND and -m RAM, its serial port in a file, and
# checks the exit status and the serial output.
set -u
vx86=$1 accel=$2 kernel=$3 append=$4 ram=$5 want_status=$6 want_serial=$7
out=$(mktemp)
trap 'rm -f "$out" "$out.stderr"' EXIT
timeout 60 "$vx86" -display none -accel "$accel" -m "$ram" -kernel "$kernel" -append "$append" \
  -serial "file:$out" -device isa-debug-exit,iobase=0xf4,iosize=4 >/dev/null 2>"$out.stderr"
status=$?
stderr=$(cat "$out.stderr")
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
