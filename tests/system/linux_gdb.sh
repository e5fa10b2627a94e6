#!/usr/bin/env bash
# linux_gdb.sh VX86 GUEST_DIR ACCEL
# gdb debugs the booting Debian guest: it attaches once the kernel prints its
# banner (the machine stops), reads the IDT through the kernel's page tables,
# puts a hardware breakpoint on the page-fault handler, continues until a page
# fault, checks where it stopped (PC, CR2), steps, removes the breakpoint and
# detaches. The guest must then finish its "check" workload and power off as
# if no debugger had been there. Exits 77 (skipped) when gdb or the guest is
# missing, or the accelerator cannot run here.
set -u
source "$(dirname "$0")/../skip_checks.sh"
vx86=$1 guest=$2 accel=$3
skip_unless_guest_built "$guest"
skip_unless_gdb
skip_unless_accel_runs "$accel"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$vx86" -display none -accel "$accel" -m 256 -kernel "$guest/vmlinuz" \
  -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 vx86.workload=check" \
  -serial "file:$dir/serial" -gdb "tcp:127.0.0.1:$port" >"$dir/vx86.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q "Linux version" "$dir/serial" 2>/dev/null && break
  sleep 0.1
done
# The IDT gate of #PF (vector 14): offset bits 0-15 at +0, 16-31 at +6, 32-63 at +8.
cat >"$dir/session" <<GDB
target remote 127.0.0.1:$port
p/x \$pc
set \$gate = \$idtr_base + 14 * 16
set \$handler = (unsigned long)*(unsigned short*)\$gate | (unsigned long)*(unsigned short*)(\$gate + 6) << 16 | (unsigned long)*(unsigned int*)(\$gate + 8) << 32
p/x \$handler
hbreak *\$handler
continue
p \$pc == \$handler
p/x \$cr2
x/i \$pc
stepi
p \$pc != \$handler
delete
detach
GDB
timeout 120 gdb -batch -nx -x "$dir/session" >"$dir/gdb.out" 2>&1
for _ in $(seq 1 900); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
wait "$pid"
status=$?
pid=
fail=0
expect() {  # expect FILE PATTERN WHAT
  grep -E -q -- "$2" "$1" || { echo "FAIL: $3"; fail=1; }
}
expect "$dir/gdb.out" '^\$1 = 0xffffffff[89a-f]' "gdb did not stop the CPU in the kernel's text"
expect "$dir/gdb.out" '^\$2 = 0xffffffff[89a-f]' "the #PF gate in the IDT does not point into the kernel"
expect "$dir/gdb.out" '^Breakpoint 1, ' "the breakpoint on the page-fault handler was not hit"
expect "$dir/gdb.out" '^\$3 = 1$' "the CPU did not stop at the handler's address"
expect "$dir/gdb.out" '^\$4 = 0x[0-9a-f]+$' "CR2 was not readable"
expect "$dir/gdb.out" '^=> 0xffffffff[0-9a-f]+:' "x/i could not read the handler's code"
expect "$dir/gdb.out" '^\$5 = 1$' "stepi did not move past the handler's first instruction"
expect "$dir/gdb.out" 'Remote target\) detached' "gdb did not detach"
expect "$dir/serial" "vx86-init: workload check done" "the workload did not finish after gdb detached"
expect "$dir/serial" "reboot: Power down" "the guest did not power off"
[ "$status" = 0 ] || { echo "FAIL: vx86 exit status $status, expected 0"; fail=1; }
if [ "$fail" -ne 0 ]; then
  echo "--- gdb:"; cat "$dir/gdb.out"; echo "--- vx86:"; cat "$dir/vx86.out"
  echo "--- serial (last 20 lines):"; tail -n 20 "$dir/serial"
  exit 1
fi
echo "PASS: stopped at the page-fault handler (CR2 $(sed -n 's/^\$4 = //p' "$dir/gdb.out")), detached, the guest finished its workload"
