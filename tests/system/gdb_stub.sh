#!/usr/bin/env bash
# gdb_stub.sh VX86 ACCEL GUEST_DIR
# Debugs bare-metal guests with the real gdb through vx86's gdbstub.
# 1. gdb_target.bin, started with -S and -gdb: gdb loads the guest's symbols,
#    stops at a (hardware) watchpoint, a breakpoint on a symbol, steps into
#    code in RAM, reads registers and memory, patches code that already ran,
#    a register and data, and lets the guest run to its end; the guest passes
#    only if those writes took effect, and gdb sees vx86's exit status.
# 2. spin.bin with two CPUs, running: gdb attaches (the machine stops), lists
#    the vCPUs as threads, reads the second one's registers, continues, is
#    interrupted with Ctrl-C (SIGINT to gdb) and kills vx86.
# 3. monitor_target.bin without -s: the monitor's gdbserver starts the stub,
#    gdb attaches and reads the halted guest.
# Exits 77 (skipped) when gdb is missing or the accelerator cannot run here.
set -u
source "$(dirname "$0")/../skip_checks.sh"
vx86=$1 accel=$2 guests=$3
skip_unless_gdb
skip_unless_accel_runs "$accel"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
fail=0
expect() {  # expect FILE PATTERN WHAT
  grep -E -q -- "$2" "$1" || { echo "FAIL: $3"; fail=1; }
}

# --- 1. a guest gdb changes ------------------------------------------------
port=$(free_port)
"$vx86" -display none -accel "$accel" -bios "$guests/gdb_target.bin" -serial "file:$dir/serial" \
  -device isa-debug-exit,iobase=0xf4,iosize=4 -S -gdb "tcp:127.0.0.1:$port" \
  >"$dir/vx86.out" 2>&1 &
pid=$!
# gdb retries a refused connection (tcp auto-retry) until vx86 listens.
cat >"$dir/session1" <<GDB
target remote 127.0.0.1:$port
add-symbol-file $guests/gdb_target.elf -o 0xf0000
p/x \$pc
watch *(int*)0x7000
continue
delete
break checkpoint
continue
p/x \$pc
p \$ebx
x/wx 0x7000
stepi
p/x \$pc
stepi
p/x \$pc
x/i \$pc
set {int}0x8001 = 0x40
set var \$edx = 7
set {int}0x7004 = 0x1234
p/x \$cr0
hbreak passed
continue
p/x \$ebx
delete
continue
GDB
timeout 60 gdb -batch -nx -x "$dir/session1" >"$dir/gdb1.out" 2>&1
wait "$pid"
status=$?
pid=
out1=$dir/gdb1.out
expect "$out1" '^\$1 = 0xfff0$' "gdb did not find the CPU at the reset vector (-S)"
expect "$out1" 'Old value = 0' "the watchpoint did not stop at the first change of 0x7000"
expect "$out1" 'New value = 1' "the watchpoint did not report the new value"
expect "$out1" 'Breakpoint 2, 0x0*f0065 in checkpoint' "the breakpoint on a symbol was not hit"
expect "$out1" '^\$3 = 3$' "EBX at checkpoint is not 3"
expect "$out1" '^0x7000:[[:space:]]+0x00000003' "memory at 0x7000 is not 3"
expect "$out1" '^\$4 = 0xf0066$' "stepi over a one-byte NOP did not advance the PC by one"
expect "$out1" '^\$5 = 0x8000$' "stepi into a call did not land in the RAM copy"
expect "$out1" '0x8000:[[:space:]]+mov[[:space:]]+\$0x1,%eax' "x/i does not show the code in RAM"
expect "$out1" '^\$6 = 0x60000011$' "CR0 (vx86's system registers) is not protected mode"
expect "$out1" 'Breakpoint 3, 0x0*f00[0-9a-f]+ in passed' "the hardware breakpoint was not hit"
expect "$out1" '^\$7 = 0x43$' "the patched code did not run (EBX is not 0x43)"
expect "$out1" 'exited with code 01' "gdb did not hear that vx86 exited with status 1"
[ "$status" -eq 1 ] || { echo "FAIL: vx86 exit status $status, expected 1 (the guest passes)"; fail=1; }
expect "$dir/serial" PASS "the guest did not see gdb's writes"
if [ "$fail" -ne 0 ]; then
  echo "--- gdb:"; cat "$out1"; echo "--- vx86:"; cat "$dir/vx86.out"; echo "--- serial:"; cat "$dir/serial"
  exit 1
fi

# --- 2. attach, Ctrl-C, kill ------------------------------------------------
port=$(free_port)
"$vx86" -display none -accel "$accel" -smp 2 -bios "$guests/spin.bin" -serial "file:$dir/serial2" \
  -gdb "tcp:127.0.0.1:$port" -d gdb -D "$dir/packets" >"$dir/vx86.out" 2>&1 &
pid=$!
# Not under timeout(1): it would pass the SIGINT on to its whole process
# group, gdb included, and gdb takes a second Ctrl-C as "not responding".
gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex 'info threads' -ex 'thread 2' \
  -ex 'p/x $pc' -ex 'thread 1' -ex continue -ex kill >"$dir/gdb2.out" 2>&1 &
gdb_pid=$!
# SIGINT once vx86 has the continue (-d gdb logs each packet it handles).
for _ in $(seq 1 100); do
  grep -q -- '<- vCont;c' "$dir/packets" 2>/dev/null && break
  sleep 0.1
done
kill -INT "$gdb_pid"
for _ in $(seq 1 600); do
  kill -0 "$gdb_pid" 2>/dev/null || break
  sleep 0.1
done
kill -9 "$gdb_pid" 2>/dev/null
wait "$gdb_pid"
wait "$pid"
status=$?
pid=
out2=$dir/gdb2.out
expect "$out2" 'received signal SIGINT, Interrupt' "Ctrl-C did not stop the machine"
expect "$out2" '^\* 1 +Thread 1 \(CPU#0\)' "info threads does not list CPU 0"
expect "$out2" '^  2 +Thread 2 \(CPU#1\)' "info threads does not list CPU 1"
expect "$out2" '^\$1 = 0xfff0$' "CPU 1 (waiting for its start-up IPI) is not at the reset vector"
expect "$out2" 'killed' "gdb's kill was not acknowledged"
[ "$status" -eq 0 ] || { echo "FAIL: vx86 exit status $status after gdb's kill, expected 0"; fail=1; }
if [ "$fail" -ne 0 ]; then
  echo "--- gdb:"; cat "$out2"; echo "--- vx86:"; cat "$dir/vx86.out"
  exit 1
fi
# --- 3. a gdbstub started from the monitor ---------------------------------
# As with QEMU's `gdbserver`: vx86 runs without -s; the monitor starts the
# stub and gdb reads the halted guest's registers and code.
port=$(free_port)
"$vx86" -display none -accel "$accel" -bios "$guests/monitor_target.bin" \
  -serial "file:$dir/serial3" -monitor "unix:$dir/monitor,server=on,wait=off" \
  >"$dir/vx86.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q ready "$dir/serial3" 2>/dev/null && [ -S "$dir/monitor" ] && break
  sleep 0.1
done
python3 - "$dir/monitor" "gdbserver tcp:127.0.0.1:$port" >"$dir/monitor.out" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(1)
s.settimeout(1)
out = b""
try:
    while True:
        data = s.recv(4096)
        if not data:
            break
        out += data
except socket.timeout:
    pass
sys.stdout.write(out.decode(errors="replace"))
PY
timeout 60 gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex 'p/x $r15' -ex 'x/i $pc' \
  -ex kill >"$dir/gdb3.out" 2>&1
# gdb's kill ends vx86; if it did not, the trap kills it.
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && { echo "FAIL: vx86 still runs after gdb's kill"; fail=1; }
out3=$dir/gdb3.out
expect "$dir/monitor.out" "Waiting for gdb connection on device 'tcp:127.0.0.1:$port'" \
  "the monitor did not start the gdbstub"
expect "$out3" '^\$1 = 0xffffffffffffffff$' "gdb did not read R15 of the halted guest"
expect "$out3" 'jmp' "gdb did not disassemble the halt loop"
if [ "$fail" -ne 0 ]; then
  echo "--- monitor:"; cat "$dir/monitor.out"; echo "--- gdb:"; cat "$out3"; echo "--- vx86:"; cat "$dir/vx86.out"
  exit 1
fi
echo "PASS: watchpoint, breakpoints, steps, register and memory reads and writes, two CPUs as threads, Ctrl-C, kill, gdbserver from the monitor"
