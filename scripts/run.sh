#!/usr/bin/env bash
# Installs the dependencies, builds vx86 and the default guest (Debian's kernel
# and a busybox initramfs, scripts/build-guest.sh) and boots it to an
# interactive busybox shell on this terminal. `poweroff -f` in the guest, or
# Ctrl-A x, quits. Extra arguments go to vx86 (e.g. -smp 2, -accel kvm).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/build-guest.sh
exec build/vx86 -nographic -m 512 -kernel build/guest/vmlinuz -initrd build/guest/initramfs.cpio.gz \
  -append "console=ttyS0 quiet" "$@"
