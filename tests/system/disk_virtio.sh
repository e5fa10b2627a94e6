#!/usr/bin/env bash
# disk_virtio.sh VX86 VX86_IMG GUEST_DIR ACCEL [DRIVE_STYLE [APPEND]]
# Boots the Debian guest with a qcow2 disk on virtio-blk (-drive if=virtio:
# its interrupts must be MSI-X messages; or with DRIVE_STYLE=device-intx:
# -drive if=none,id=d0 -device virtio-blk-pci,drive=d0,vectors=0, whose
# interrupts are INTx), or with DRIVE_STYLE=ide on the PIIX IDE (-drive
# if=ide, plus a -cdrom whose first 512 KiB the guest reads through ATAPI),
# or with DRIVE_STYLE=snapshot as if plus -snapshot (the image must not change),
# or with DRIVE_STYLE=usb on a usb-storage device (-usb -drive if=none,id=d0
# -device usb-storage,drive=d0: bulk-only transport through the UHCI),
# or with DRIVE_STYLE=blockdev as libvirt writes it (-blockdev file and
# qcow2 nodes and -device in QEMU's JSON form, virtio-blk-pci on pci.0 with
# a bootindex), or with DRIVE_STYLE=ide-device on -device ide-hd and ide-cd
# over -blockdev nodes in the dotted form (the CD read as with ide).
# APPEND adds to the kernel command line (acpi=off: INTx through the 8259 and
# the interrupt line register instead of the IOAPIC and the ACPI _PRT).
# The image starts with 512 KiB of host data; the guest's "disk" workload
# reports the checksum it reads there, writes 2 MiB at offset 1 MiB, flushes,
# drops its page cache and reports what it reads back. After vx86 exits the
# host converts the image to raw with vx86-img and checks the same bytes.
# Exits 77 (skipped) when the guest or its virtio modules are missing.
set -u
vx86=$1 img=$2 guest=$3 accel=$4 style=${5:-if} append=${6:-}
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initramfs.cpio.gz" ]; then
  echo "SKIP: no guest in $guest (run scripts/build-guest.sh)"
  exit 77
fi
module=virtio_blk
[ "$style" = ide ] || [ "$style" = ide-device ] && module=ata_piix
[ "$style" = usb ] && module=usb-storage
if ! gzip -dc "$guest/initramfs.cpio.gz" | cpio -t --quiet 2>/dev/null | grep -q "$module.ko"; then
  echo "SKIP: the guest's initramfs has no $module module (rebuild it with scripts/build-guest.sh)"
  exit 77
fi
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
pid=
out=$dir/serial log=$dir/log

# 512 KiB of known data at the start of a 64 MiB qcow2 image.
head -c 524288 /dev/urandom > "$dir/prefill"
cp "$dir/prefill" "$dir/disk.raw"
truncate -s 64M "$dir/disk.raw"
"$img" convert -f raw -O qcow2 "$dir/disk.raw" "$dir/disk.qcow2" || { echo "FAIL: vx86-img convert"; exit 1; }
rm "$dir/disk.raw"

if [ "$style" = device-intx ]; then
  drive=(-drive "file=$dir/disk.qcow2,format=qcow2,if=none,id=d0" -device virtio-blk-pci,drive=d0,vectors=0)
elif [ "$style" = ide ]; then
  head -c 1048576 /dev/urandom > "$dir/cd.iso"
  drive=(-drive "file=$dir/disk.qcow2,format=qcow2,if=ide" -cdrom "$dir/cd.iso")
  append="$append vx86.cdrom"
elif [ "$style" = blockdev ]; then
  drive=(-blockdev "{\"driver\":\"file\",\"filename\":\"$dir/disk.qcow2\",\"node-name\":\"libvirt-1-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}"
         -blockdev '{"node-name":"libvirt-1-format","read-only":false,"driver":"qcow2","file":"libvirt-1-storage","backing":null}'
         -device '{"driver":"virtio-blk-pci","bus":"pci.0","addr":"0x4","drive":"libvirt-1-format","id":"virtio-disk0","bootindex":1}')
elif [ "$style" = ide-device ]; then
  head -c 1048576 /dev/urandom > "$dir/cd.iso"
  drive=(-blockdev "driver=qcow2,node-name=d0,file.driver=file,file.filename=$dir/disk.qcow2"
         -device ide-hd,drive=d0,bus=ide.0,unit=0
         -blockdev "driver=raw,node-name=cd,read-only=on,file.driver=file,file.filename=$dir/cd.iso"
         -device ide-cd,drive=cd,bus=ide.1,unit=0)
  append="$append vx86.cdrom"
elif [ "$style" = usb ]; then
  drive=(-usb -drive "file=$dir/disk.qcow2,format=qcow2,if=none,id=d0" -device usb-storage,drive=d0)
  append="$append vx86.usbstorage"
elif [ "$style" = snapshot ]; then
  # -snapshot: the guest's writes go to a temporary overlay, not the image.
  drive=(-drive "file=$dir/disk.qcow2,format=qcow2,if=virtio" -snapshot)
else
  drive=(-drive "file=$dir/disk.qcow2,format=qcow2,if=virtio")
fi
"$vx86" -display none -accel "$accel" -m 256 -kernel "$guest/vmlinuz" \
  -initrd "$guest/initramfs.cpio.gz" -append "console=ttyS0 vx86.workload=disk $append" \
  "${drive[@]}" -serial "file:$out" -d unimp,guest_errors -D "$log" &
pid=$!
for _ in $(seq 1 600); do
  grep -q -e "workload disk done" -e "Kernel panic" "$out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
# Power-off ends vx86; if it does not, SIGTERM makes it exit cleanly (images closed).
for _ in $(seq 1 20); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
pid=

want_prefill=$(sha256sum < "$dir/prefill" | cut -d' ' -f1)
want_written=$(seq 1 400000 | head -c 2097152 | sha256sum | cut -d' ' -f1)
fail=0
grep -q "vx86-init: workload disk done" "$out" || { echo "FAIL: the workload did not finish"; fail=1; }
grep -q "vx86-result: disk-sectors 131072" "$out" || { echo "FAIL: the guest does not see a 64 MiB disk"; fail=1; }
grep -q "vx86-result: disk-prefill $want_prefill" "$out" || { echo "FAIL: the guest read other data than the image holds"; fail=1; }
grep -q "vx86-result: disk-written $want_written" "$out" || { echo "FAIL: the guest generated other data than the host"; fail=1; }
grep -q "vx86-result: disk-readback $want_written" "$out" || { echo "FAIL: the guest read back other data than it wrote"; fail=1; }
if [ "$style" = ide ] || [ "$style" = ide-device ]; then
  want_cd=$(head -c 524288 "$dir/cd.iso" | sha256sum | cut -d' ' -f1)
  grep -q "vx86-result: cdrom-data $want_cd" "$out" || { echo "FAIL: the guest read other data from the CD-ROM"; fail=1; }
fi
# The interrupt path: MSI-X messages, or INTx through the IOAPIC or the 8259.
case "$style" in
  if|snapshot) want_irq="PCI-MSI[^ ]* [1-9][0-9]* virtio0-req.0" ;;  # (the only MSI kind offered is MSI-X)
  device-intx) case "$append" in
      *acpi=off*) want_irq="XT-PIC [1-9][0-9]* virtio0" ;;
      *) want_irq="IO-APIC [1-9][0-9]* virtio0" ;;
    esac ;;
  *) want_irq= ;;
esac
if [ -n "$want_irq" ] && ! grep -q "vx86-result: disk-irq $want_irq[[:space:]]*$" "$out"; then
  echo "FAIL: the disk's interrupts did not come as '$want_irq':"
  grep "disk-irq" "$out" | sed 's/^/  /'
  fail=1
fi
if "$img" check "$dir/disk.qcow2" > "$dir/check" 2>&1; then :; else
  echo "FAIL: vx86-img check reports a problem:"; cat "$dir/check"; fail=1
fi
"$img" convert -f qcow2 -O raw "$dir/disk.qcow2" "$dir/after.raw" || { echo "FAIL: vx86-img convert back"; fail=1; }
got_prefill=$(head -c 524288 "$dir/after.raw" | sha256sum | cut -d' ' -f1)
got_written=$(tail -c +1048577 "$dir/after.raw" | head -c 2097152 | sha256sum | cut -d' ' -f1)
[ "$got_prefill" = "$want_prefill" ] || { echo "FAIL: the image's first 512 KiB changed"; fail=1; }
if [ "$style" = snapshot ]; then
  want_untouched=$(head -c 2097152 /dev/zero | sha256sum | cut -d' ' -f1)
  [ "$got_written" = "$want_untouched" ] || { echo "FAIL: -snapshot let the guest's writes reach the image"; fail=1; }
else
  [ "$got_written" = "$want_written" ] || { echo "FAIL: the image does not hold what the guest wrote"; fail=1; }
fi
if grep -E -q "Oops|Kernel panic|invalid opcode|BUG:|I/O error" "$out"; then
  echo "FAIL: the kernel log shows a problem:"
  grep -E "Oops|Kernel panic|invalid opcode|BUG:|I/O error" "$out" | head -5
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "---- serial (last 40 lines)"; tail -n 40 "$out"
  echo "---- vx86 log"; sort "$log" | uniq -c | sort -rn | head -20
  exit 1
fi
# How libata drove the IDE devices (PIO or DMA mode), for the log.
[ "$style" = ide ] && grep -E "ata[0-9]\.0[01]: (ATA|ATAPI|configured)" "$out" | sed 's/^/  /'
grep "disk-irq" "$out" | sed 's/^.*disk-irq/  interrupts:/'
if [ "$style" = snapshot ]; then
  echo "PASS ($style): the guest read the image's data and read back the 2 MiB it wrote, which never reached the qcow2 image"
else
  echo "PASS ($style): the guest read the image's data and wrote 2 MiB that the host reads back from the qcow2 image"
fi
