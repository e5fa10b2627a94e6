#!/usr/bin/env bash
# linux_reboot.sh VX86 GUEST_DIR ACCEL
# The default guest's "reboot" workload runs `reboot -f` as soon as /init starts.
# With -no-reboot vx86 must exit (status 0) at the guest's reset; without it the
# machine must reset and boot the kernel again. Exits 77 when the guest is absent.
set -u
vx86=$1 guest=$2 accel=$3
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initramfs.cpio.gz" ]; then
  echo "SKIP: no guest in $guest (run scripts/build-guest.sh)"
  exit 77
fi
out=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"' EXIT
boot() {  # boot EXTRA_OPTIONS...
  : > "$out"
  "$vx86" -display none -accel "$accel" -m 256 -kernel "$guest/vmlinuz" \
    -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 vx86.workload=reboot" \
    -serial "file:$out" "$@" &
  pid=$!
}
fail=0

boot -no-reboot
status=timeout
for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    status=$?
    break
  fi
  sleep 1
done
pid=
starts=$(grep -c "vx86-init: start" "$out")
if [ "$status" != 0 ] || [ "$starts" != 1 ] || ! grep -q "reboot: Restarting system" "$out"; then
  echo "FAIL: -no-reboot: vx86 status $status after $starts boot(s) (want 0 after 1)"
  tail -n 20 "$out"
  fail=1
fi

boot
for _ in $(seq 1 900); do
  [ "$(grep -c "vx86-init: start" "$out")" -ge 2 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
starts=$(grep -c "vx86-init: start" "$out")
if [ "$starts" -lt 2 ] || [ "$(grep -c "Linux version" "$out")" -lt 2 ]; then
  echo "FAIL: reboot: the guest booted $starts time(s), want 2"
  tail -n 20 "$out"
  fail=1
fi
[ "$fail" -eq 0 ] && echo "PASS: -no-reboot exits with status 0; reboot resets and boots the kernel again"
exit "$fail"
