#!/usr/bin/env bash
# Builds the default Linux guest from Debian's packages into build/guest/:
#   vmlinuz         the kernel that linux-image-amd64 currently depends on
#   initramfs.cpio.gz  busybox-static with an /init that mounts proc, sys and
#                   devtmpfs, prints "vx86-init: start", then runs the workload
#                   given on the kernel command line (vx86.workload=NAME) or a
#                   shell, and powers off. It also holds the virtio-pci,
#                   virtio-blk, virtio-net, virtio-rng, e1000, ata_piix, sd_mod and sr_mod modules
#                   of the same kernel (loaded by /init), and a udhcpc script.
#   initramfs-agent.cpio.gz  the same with Debian's qemu-guest-agent and the
#                   libraries it needs added (a second archive appended, which
#                   the kernel unpacks over the first), for the agent workload.
# VX86_GUEST_OUT=DIR builds somewhere else than build/guest.
# Needs no root for the build itself; apt-get download fetches the .debs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${VX86_GUEST_OUT:-build/guest}
work=$(mktemp -d)
chmod 755 "$work"  # apt-get download drops privileges to _apt
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kernel_pkg" ]; then
  echo "build-guest.sh: cannot find the kernel package of linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
# Modules the initramfs loads, with what they depend on (from modules.dep):
# virtio-blk, virtio-net, virtio-rng (/dev/hwrng), virtio-console (virtio-serial's
# ports and hvc consoles), the e1000 NIC (QEMU's default), the PIIX IDE and AHCI drivers with SCSI disk and CD-ROM on
# top, the ACPI power button with the event device busybox's acpid reads, and
# the PS/2 mouse driver (for /dev/input/mice), and the kernel's AES-NI, PCLMULQDQ and
# SHA crypto drivers (the crypto workload loads them on a CPU that has the instructions),
# the UHCI USB controller with the HID and mass-storage class drivers (the usb
# workloads load them), and virtio-balloon (the balloon workload loads it).
# Modules in on_demand_modules
# are in the initramfs but not loaded by /init: the workloads that need them
# load them (psmouse probes the i8042's mouse port for a while after it loads,
# which the keyboard tests need not share).
guest_modules="virtio_blk virtio_net virtio_pci virtio_rng virtio_console e1000 ata_piix ahci sd_mod sr_mod button evdev psmouse aesni_intel ghash_clmulni_intel crc32_pclmul sha1_ssse3 sha256_ssse3 usb-common usbcore uhci_hcd hid usbhid hid_generic usb-storage virtio_balloon"
on_demand_modules="psmouse aesni_intel ghash_clmulni_intel crc32_pclmul sha1_ssse3 sha256_ssse3 usb-common usbcore uhci_hcd hid usbhid hid_generic usb-storage virtio_balloon"
if [ ! -f "$out/vmlinuz" ] || [ "$(cat "$out/kernel-package" 2>/dev/null)" != "$kernel_pkg" ] ||
   [ "$(cat "$out/modules/kernel-package" 2>/dev/null)" != "$kernel_pkg" ] ||
   [ "$(cat "$out/modules/guest-modules" 2>/dev/null)" != "$guest_modules|$on_demand_modules" ]; then
  (cd "$work" && apt-get download "$kernel_pkg" >/dev/null)
  dpkg-deb -x "$work"/${kernel_pkg}_*.deb "$work/kernel"
  cp "$work"/kernel/boot/vmlinuz-* "$out/vmlinuz"
  echo "$kernel_pkg" > "$out/kernel-package"
  rm -rf "$out/modules"
  mkdir -p "$out/modules"
  moddir=$(echo "$work"/kernel/lib/modules/*)
  # load-order: each module after its dependencies (the .deb has no modules.dep:
  # they come from each module's "depends=" field); built-in ones are skipped.
  resolve() {
    local name=$1 path dep
    grep -qx "$name" "$out/modules/load-order" && return 0
    path=$(cd "$moddir" && find kernel \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n 1)
    if [ -z "$path" ]; then
      grep -q -e "/$name.ko\$" -e "/${name//_/-}.ko\$" "$moddir/modules.builtin" && return 0
      echo "build-guest.sh: module $name not found in $kernel_pkg" >&2
      exit 1
    fi
    case "$path" in
      *.xz) xz -dc "$moddir/$path" > "$work/$name.ko" ;;
      *.zst) zstd -qdc "$moddir/$path" > "$work/$name.ko" ;;
      *.gz) gzip -dc "$moddir/$path" > "$work/$name.ko" ;;
      *) cp "$moddir/$path" "$work/$name.ko" ;;
    esac
    for dep in $(strings -a "$work/$name.ko" | sed -n 's/^depends=//p' | tr , ' '); do
      resolve "$dep"
    done
    mv "$work/$name.ko" "$out/modules/$name.ko"
    echo "$name" >> "$out/modules/load-order"
  }
  : > "$out/modules/load-order"
  for m in $guest_modules; do resolve "$m"; done
  for m in $on_demand_modules; do
    grep -vx "$m" "$out/modules/load-order" > "$work/load-order" || true
    mv "$work/load-order" "$out/modules/load-order"
  done
  echo "$kernel_pkg" > "$out/modules/kernel-package"
  echo "$guest_modules|$on_demand_modules" > "$out/modules/guest-modules"
fi

(cd "$work" && apt-get download busybox-static >/dev/null)
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"
root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,lib/modules}
cp "$out"/modules/*.ko "$out/modules/load-order" "$root/lib/modules/"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp scripts/guest/init "$root/init"
cp scripts/guest/workloads.sh "$root/etc/workloads.sh"
# acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
mkdir -p "$root/etc/acpi/PWRF"
printf '#!/bin/sh\necho "vx86-init: power button"\npoweroff -f\n' > "$root/etc/acpi/PWRF/00000080"
chmod +x "$root/etc/acpi/PWRF/00000080"
chmod +x "$root/init"
# udhcpc (busybox's DHCP client) configures the interface through this script.
cp scripts/guest/udhcpc.script "$root/etc/udhcpc.script"
chmod +x "$root/etc/udhcpc.script"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) > "$out/initramfs.cpio.gz"

# The guest agent: qemu-ga from Debian with the shared libraries it needs
# (found from the ELF NEEDED entries in the packages below), and a
# /sbin/shutdown for its guest-shutdown command, which busybox lacks (qemu-ga
# gives it /dev/null for output, so it writes to the console).
agent_packages="qemu-guest-agent libc6 libglib2.0-0 libnuma1 libudev1 liburing2 libpcre2-8-0 libffi8 libmount1 libselinux1 libblkid1 zlib1g libcap2"
mkdir -p "$work/agent-debs" "$work/agent-tree"
chmod 777 "$work/agent-debs"
(cd "$work/agent-debs" && apt-get download $agent_packages >/dev/null)
for deb in "$work"/agent-debs/*.deb; do dpkg-deb -x "$deb" "$work/agent-tree"; done
agent="$work/agent-root"
mkdir -p "$agent"/{sbin,bin,lib64,lib/x86_64-linux-gnu}
cp "$work/agent-tree/usr/sbin/qemu-ga" "$agent/bin/qemu-ga"
cp -L "$work/agent-tree/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$agent/lib64/"
copy_needed() {
  local so src
  for so in $(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    [ -e "$agent/lib/x86_64-linux-gnu/$so" ] && continue
    src=$(find "$work/agent-tree/lib" "$work/agent-tree/usr/lib" -name "$so" | head -n 1)
    if [ -z "$src" ]; then
      echo "build-guest.sh: qemu-ga needs $so, which none of: $agent_packages has" >&2
      exit 1
    fi
    cp -L "$src" "$agent/lib/x86_64-linux-gnu/$so"
    copy_needed "$agent/lib/x86_64-linux-gnu/$so"
  done
}
copy_needed "$agent/bin/qemu-ga"
printf '#!/bin/sh\necho "vx86-init: agent shutdown $*" > /dev/console\npoweroff -f\n' > "$agent/sbin/shutdown"
chmod +x "$agent/sbin/shutdown"
(cd "$agent" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) > "$work/agent.cpio.gz"
cat "$out/initramfs.cpio.gz" "$work/agent.cpio.gz" > "$out/initramfs-agent.cpio.gz"
echo "guest: $out/vmlinuz ($kernel_pkg), $out/initramfs.cpio.gz, $out/initramfs-agent.cpio.gz"
