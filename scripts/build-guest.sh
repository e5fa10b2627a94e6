#!/usr/bin/env bash
# Builds the default Linux guest from Debian's packages into build/guest/:
#   vmlinuz         the kernel that linux-image-amd64 currently depends on
#   initramfs.cpio.gz  busybox-static with an /init that mounts proc, sys and
#                   devtmpfs, prints "vx86-init: start", then runs the workload
#                   given on the kernel command line (vx86.workload=NAME) or a
#                   shell, and powers off.
# Needs no root for the build itself; apt-get download fetches the .debs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/guest
work=$(mktemp -d)
chmod 755 "$work"  # apt-get download drops privileges to _apt
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kernel_pkg" ]; then
  echo "build-guest.sh: cannot find the kernel package of linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
if [ ! -f "$out/vmlinuz" ] || [ "$(cat "$out/kernel-package" 2>/dev/null)" != "$kernel_pkg" ]; then
  (cd "$work" && apt-get download "$kernel_pkg" >/dev/null)
  dpkg-deb -x "$work"/${kernel_pkg}_*.deb "$work/kernel"
  cp "$work"/kernel/boot/vmlinuz-* "$out/vmlinuz"
  echo "$kernel_pkg" > "$out/kernel-package"
fi

(cd "$work" && apt-get download busybox-static >/dev/null)
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"
root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp scripts/guest/init "$root/init"
cp scripts/guest/workloads.sh "$root/etc/workloads.sh"
chmod +x "$root/init"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) > "$out/initramfs.cpio.gz"
echo "guest: $out/vmlinuz ($kernel_pkg), $out/initramfs.cpio.gz"
