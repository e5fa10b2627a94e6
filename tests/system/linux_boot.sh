#!/usr/bin/env bash
# linux_boot.sh VX86 GUEST_DIR ACCEL [CPUS]
# Boots the default Debian guest (scripts/build-guest.sh) with the "check"
# workload and compares its results with the same computations on the host:
# sha256 of 4 MiB of zeros, and md5 of `seq 1 20000 | busybox gzip -c` (the
# same busybox binary the guest runs). The guest must see CPUS CPUs, keep time
# with the APIC timer and the TSC/HPET/ACPI PM clocks, and power off through
# ACPI so that vx86 exits with status 0 by itself. Exits 77 (skipped) when the
# guest has not been built.
set -u
source "$(dirname "$0")/../skip_checks.sh"
vx86=$1 guest=$2 accel=$3 cpus=${4:-1}
skip_unless_guest_built "$guest"
skip_unless_accel_runs "$accel"
busybox=$(command -v busybox || true)
[ -x /bin/busybox ] && busybox=/bin/busybox
if [ -z "$busybox" ]; then
  echo "SKIP: busybox (package busybox-static) is not installed on the host"
  exit 77
fi
out=$(mktemp)
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$out" "$log"' EXIT
"$vx86" -display none -accel "$accel" -smp "$cpus" -m 256 -kernel "$guest/vmlinuz" \
  -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 vx86.workload=check" \
  -serial "file:$out" -d unimp,guest_errors -D "$log" &
pid=$!
status=timeout
for _ in $(seq 1 1400); do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    status=$?
    break
  fi
  grep -q "Kernel panic" "$out" 2>/dev/null && break
  sleep 1
done
want_sha=$(head -c 4194304 /dev/zero | sha256sum | cut -d' ' -f1)
want_md5=$(seq 1 20000 | "$busybox" gzip -c | md5sum | cut -d' ' -f1)
fail=0
expect() {  # expect PATTERN WHAT
  grep -E -q "$1" "$out" || { echo "FAIL: $2"; fail=1; }
}
expect "vx86-init: workload check done" "the workload did not finish"
expect "vx86-result: cpus ${cpus}([^0-9]|$)" "the guest does not see $cpus CPU(s)"
expect "vx86-result: sha256 zero4m $want_sha" "sha256 differs from the host's ($want_sha)"
expect "vx86-result: gzip-md5 seq20000 $want_md5" "gzip|md5sum differs from the host's ($want_md5)"
expect "ACPI: Interpreter enabled" "ACPI is not in use"
expect "vx86-result: clocksources .*hpet.*acpi_pm" "the HPET and ACPI PM clocksources are missing"
expect "vx86-result: clockevent lapic" "the APIC timer is not the clock event device"
expect "tsc: Detected 1000.000 MHz processor" "the TSC frequency is not taken from CPUID"
# Every CPU's APIC timer has ticked: the LOC line has one non-zero count per CPU.
loc=$(sed -n 's/^vx86-result: LOC://p' "$out" | head -n 1)
ticking=0
for n in $loc; do case "$n" in *[!0-9]*) ;; 0) ;; *) ticking=$((ticking + 1)) ;; esac; done
[ "$ticking" -eq "$cpus" ] || { echo "FAIL: APIC timer interrupts per CPU: '$loc'"; fail=1; }
expect "reboot: Power down" "the guest did not power off"
[ "$status" = 0 ] || { echo "FAIL: vx86 did not exit by itself with status 0 after poweroff (status: $status)"; fail=1; }
bad="Oops|Kernel panic|invalid opcode|unchecked MSR|BUG:|WARNING:|calibrate_delay_direct|Failed to access"
# Reported, not failed: on a heavily loaded host the clocksource watchdog has
# once seen the TSC as unstable (see docs/status.md).
grep -E "unstable" "$out" | head -3 | sed 's/^/NOTE: /'
if grep -E -q "$bad" "$out"; then
  echo "FAIL: the kernel log shows a problem:"
  grep -E "$bad" "$out" | head -5
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "---- serial (last 40 lines)"; tail -n 40 "$out"
  echo "---- vx86 log"; sort "$log" | uniq -c | sort -rn | head -20
  exit 1
fi
echo "PASS: $(grep -c . "$out") lines of console output; results equal the host's; powered off with status 0"
