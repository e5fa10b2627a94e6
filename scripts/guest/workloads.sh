# Workloads the default guest can run (vx86.workload=NAME on the kernel command line).
# Output lines start with "vx86-result:" so tests and benchmarks can read them.


workload_check() {
  echo "vx86-result: cpus $(grep -c ^processor /proc/cpuinfo)"
  dd if=/dev/zero bs=1M count=4 2>/dev/null | sha256sum | sed 's/^/vx86-result: sha256 zero4m /'
  seq 1 20000 | gzip -c | md5sum | sed 's/^/vx86-result: gzip-md5 seq20000 /'
  # What the kernel chose to keep time with, and that each CPU's APIC timer ticks.
  cs=/sys/devices/system/clocksource/clocksource0
  echo "vx86-result: clocksource $(cat $cs/current_clocksource)"
  echo "vx86-result: clocksources $(cat $cs/available_clocksource)"
  echo "vx86-result: clockevent $(cat /sys/devices/system/clockevents/clockevent0/current_device)"
  echo "vx86-result: acpi-tables $(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
  grep '^ *LOC:' /proc/interrupts | sed 's/^ */vx86-result: /'
}

# Reboots at once: tests/system/linux_reboot.sh counts the boots.
workload_reboot() {
  reboot -f
}

workload_bench() {
  start=$(cut -d' ' -f1 /proc/uptime)
  dd if=/dev/zero bs=1M count=32 2>/dev/null | sha256sum | sed 's/^/vx86-result: sha256 zero32m /'
  seq 1 200000 | gzip -c | md5sum | sed 's/^/vx86-result: gzip-md5 seq200000 /'
  end=$(cut -d' ' -f1 /proc/uptime)
  echo "vx86-result: workload-seconds $start $end"
}

# Disk test (tests/system/disk_virtio.sh): the disk (/dev/vda on virtio-blk,
# /dev/sda on IDE) holds 512 KiB of host data at offset 0; 2 MiB of `seq`
# output goes to offset 1 MiB, is flushed, dropped from the page cache and read
# back from the device. A CD-ROM (/dev/sr0; vx86.cdrom on the command line waits
# for it) reports the checksum of its first 512 KiB.
workload_disk() {
  # vx86.usbstorage: the disk is a usb-storage device (drivers loaded here).
  grep -q vx86.usbstorage /proc/cmdline && usb_modules
  disk=
  for _ in $(seq 1 100); do
    for d in vda sda; do [ -b /dev/$d ] && disk=$d; done
    [ -n "$disk" ] && break
    sleep 0.1
  done
  if [ -z "$disk" ]; then
    echo "vx86-result: disk missing"
    return
  fi
  if grep -q vx86.cdrom /proc/cmdline; then
    for _ in $(seq 1 100); do
      [ -b /dev/sr0 ] && break
      sleep 0.1
    done
    [ -b /dev/sr0 ] || echo "vx86-result: cdrom missing"
  fi
  if [ -b /dev/sr0 ]; then
    dd if=/dev/sr0 bs=64k count=8 2>/dev/null | sha256sum | sed 's/ .*//;s/^/vx86-result: cdrom-data /'
  fi
  echo "vx86-result: disk-sectors $(cat /sys/block/$disk/size)"
  dd if=/dev/$disk bs=64k count=8 2>/dev/null | sha256sum | sed 's/ .*//;s/^/vx86-result: disk-prefill /'
  seq 1 400000 | head -c 2097152 > /tmp/disk-data
  sha256sum /tmp/disk-data | sed 's/ .*//;s/^/vx86-result: disk-written /'
  dd if=/tmp/disk-data of=/dev/$disk bs=64k seek=16 conv=fsync 2>/dev/null
  sync
  echo 3 > /proc/sys/vm/drop_caches
  dd if=/dev/$disk bs=64k skip=16 count=32 2>/dev/null | sha256sum | sed 's/ .*//;s/^/vx86-result: disk-readback /'
  # How the disk's interrupts came: "disk-irq CHIP COUNT NAME" per virtio or
  # ata line of /proc/interrupts (COUNT summed over the CPUs).
  awk '/virtio|ata_piix/ { n = 0; i = 2; while (i <= NF && $i ~ /^[0-9]+$/) { n += $i; i++ }
       print "vx86-result: disk-irq " $i " " n " " $NF }' /proc/interrupts
}

# Network test (tests/system/net_user_test.cpp): DHCP on eth0 from the user
# network, then 2 MiB both ways. The guest serves /tmp/net-data on port 8080
# (one connection, the host reaches it through a hostfwd rule) and fetches
# http://10.0.2.2:PORT/data from the host (vx86.netport=PORT), printing the
# checksums of what it sent and received. On a TAP interface
# (tests/system/net_tap_test.cpp) the address is static (vx86.ip=ADDR/PREFIX)
# and the host is vx86.nethost=ADDR instead of 10.0.2.2.
# Brings eth0 up by DHCP (or with vx86.ip=) and sets $port from
# vx86.netport= and $nethost; false without a lease.
net_up() {
  port=
  static=
  nethost=10.0.2.2
  for arg in $(cat /proc/cmdline); do
    case "$arg" in
      vx86.netport=*) port=${arg#vx86.netport=} ;;
      vx86.ip=*) static=${arg#vx86.ip=} ;;
      vx86.nethost=*) nethost=${arg#vx86.nethost=} ;;
    esac
  done
  for _ in $(seq 1 100); do
    [ -e /sys/class/net/eth0 ] && break
    sleep 0.1
  done
  ip link set lo up
  if [ -n "$static" ]; then
    ip link set eth0 up
    ip addr add "$static" dev eth0
    return 0
  fi
  if ! udhcpc -i eth0 -s /etc/udhcpc.script -q -n -t 5 -T 1 >/dev/null 2>&1; then
    echo "vx86-result: net no DHCP lease"
    return 1
  fi
}

workload_net() {
  net_up || return
  echo "vx86-result: net-addr $(ip -4 -o addr show eth0 | awk '{print $4}')"
  echo "vx86-result: net-gateway $(ip route | awk '/^default/ {print $3}')"
  echo "vx86-result: net-dns $(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)"
  echo "vx86-result: net-mac $(cat /sys/class/net/eth0/address)"
  seq 1 400000 | head -c 2097152 > /tmp/net-data
  sha256sum /tmp/net-data | sed 's/ .*//;s/^/vx86-result: net-served /'
  nc -l -p 8080 < /tmp/net-data > /dev/null &
  server=$!
  sleep 0.2
  echo "vx86-result: net-listening"
  if [ -n "$port" ]; then
    wget -q -O - "http://$nethost:$port/data" | sha256sum | sed 's/ .*//;s/^/vx86-result: net-fetched /'
  fi
  wait "$server"
  awk '/virtio|eth0/ { n = 0; i = 2; while (i <= NF && $i ~ /^[0-9]+$/) { n += $i; i++ }
       print "vx86-result: net-irq " $i " " n " " $NF }' /proc/interrupts
}

# Network benchmark (scripts/bench --workload net): fetches /data (32 MiB of
# zeros) from the bench's HTTP server on the host, timed by the guest.
workload_netbench() {
  net_up || return
  start=$(cut -d' ' -f1 /proc/uptime)
  wget -q -O - "http://10.0.2.2:$port/data" | sha256sum | sed 's/ .*//;s/^/vx86-result: sha256 zero32m /'
  end=$(cut -d' ' -f1 /proc/uptime)
  echo "vx86-result: workload-seconds $start $end"
}

# Framebuffer test (tests/system/framebuffer_test.cpp, booted with vga=0x318):
# what vesafb reports, whether fbcon drew on it, then fbcon lets go and the
# framebuffer gets 3 MiB of `seq` output, which the host's screendump must
# show pixel for pixel. Waits for the test to end the machine.
workload_fb() {
  fb=/sys/class/graphics/fb0
  if [ ! -e $fb ]; then
    echo "vx86-result: fb missing"
    return
  fi
  echo "vx86-result: fb-mode $(cat $fb/virtual_size) $(cat $fb/bits_per_pixel) $(cat $fb/stride) $(cat $fb/name)"
  echo "vx86-result: fb-console-bytes $(dd if=/dev/fb0 bs=4096 count=64 2>/dev/null | tr -d '\000' | wc -c)"
  for c in /sys/class/vtconsole/vtcon*; do
    grep -q "frame buffer" $c/name && echo 0 > $c/bind
  done
  seq 1 600000 | head -c 3145728 > /dev/fb0
  echo "vx86-result: fb-ready"
  sleep 600
}

# Mouse test (tests/system/sdl_display_test.cpp): sums the PS/2 packets read
# from /dev/input/mice until the left button is pressed, and prints the sum
# (x to the right, y upwards, as PS/2 counts).
workload_mouse() {
  insmod /lib/modules/psmouse.ko
  for _ in $(seq 1 100); do
    grep -q "Mouse" /proc/bus/input/devices 2>/dev/null && break
    sleep 0.1
  done
  echo "vx86-result: mouse-device $(grep -c 'N: Name=.*Mouse' /proc/bus/input/devices)"
  dx=0
  dy=0
  echo "vx86-result: mouse-ready"
  while :; do
    set -- $(dd if=/dev/input/mice bs=3 count=1 2>/dev/null | od -An -tu1)
    [ $# -eq 3 ] || break
    x=$2
    y=$3
    [ $(($1 & 16)) -ne 0 ] && x=$((x - 256))
    [ $(($1 & 32)) -ne 0 ] && y=$((y - 256))
    dx=$((dx + x))
    dy=$((dy + y))
    if [ $(($1 & 1)) -ne 0 ]; then
      echo "vx86-result: mouse dx=$dx dy=$dy left"
      break
    fi
  done
}

# CD-ROM media change test (tests/system/cd_change_test.cpp): twice a second
# reads the first 256 KiB of /dev/sr0 (each read opens the drive, which is
# when Linux looks for a media change) and prints their checksum, or "none"
# without a medium, whenever that changes; the test ejects and changes the
# medium over QMP meanwhile.
workload_cdchange() {
  for _ in $(seq 1 100); do
    [ -b /dev/sr0 ] && break
    sleep 0.1
  done
  last=
  for _ in $(seq 1 1200); do
    if dd if=/dev/sr0 of=/tmp/cd bs=64k count=4 2>/dev/null && [ -s /tmp/cd ]; then
      now=$(sha256sum < /tmp/cd | sed 's/ .*//')
    else
      now=none
    fi
    [ "$now" != "$last" ] && echo "vx86-result: cd-medium $now"
    last=$now
    sleep 0.5
  done
}

# Random-number device test (tests/system/virtio_rng_test.cpp): which
# hardware RNG the kernel chose, and how many bytes /dev/hwrng gives.
workload_rng() {
  for _ in $(seq 1 50); do
    [ -c /dev/hwrng ] && [ -n "$(cat /sys/class/misc/hw_random/rng_available 2>/dev/null)" ] && break
    sleep 0.1
  done
  echo "vx86-result: rng-available $(cat /sys/class/misc/hw_random/rng_available 2>/dev/null)"
  echo "vx86-result: rng-current $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
  dd if=/dev/hwrng of=/tmp/rng bs=4096 count=16 2>/dev/null
  echo "vx86-result: rng-bytes $(wc -c < /tmp/rng)"
  # Its interrupts: the controller and the names (MSI-X: config and queue).
  echo "vx86-result: rng-irq $(awk '/virtio0/ {print $(NF-2), $NF}' /proc/interrupts | tr '\n' ' ')"
  # Random bytes compress to nothing less than themselves.
  echo "vx86-result: rng-gzip-smaller $([ "$(gzip -c /tmp/rng | wc -c)" -lt 60000 ] && echo yes || echo no)"
}

# AES-NI, PCLMULQDQ and SHA test (tests/system/crypto_guest_test.cpp): loads the
# kernel's drivers for them (they refuse a CPU without the instructions) and
# reports each of their algorithms with the result of the kernel's own
# self-test, which runs when an algorithm registers.
workload_crypto() {
  for m in aesni_intel ghash_clmulni_intel crc32_pclmul sha1_ssse3 sha256_ssse3; do
    if insmod "/lib/modules/$m.ko" 2>/dev/null; then
      echo "vx86-result: crypto-module $m loaded"
    else
      echo "vx86-result: crypto-module $m refused"
    fi
  done
  awk '/^driver/ {driver = $3} /^selftest/ {print driver, $3}' /proc/crypto |
    grep -E "aesni|clmul|sha(1|224|256)-" | sort | sed 's/^/vx86-result: crypto /'
}

# RTC test (tests/system/rtc_base_test.cpp): the time the kernel took from
# the RTC at boot, and the RTC itself (rtc_cmos), in seconds since the epoch.
# SMBIOS (tests/system/smbios_test.cpp): the DMI fields Linux reads, then the
# raw tables and entry point in hex.
workload_dmi() {
  for f in bios_vendor bios_version bios_date bios_release sys_vendor product_name \
    product_version product_serial product_uuid product_sku product_family chassis_vendor \
    chassis_type chassis_version chassis_serial chassis_asset_tag; do
    [ -r "/sys/class/dmi/id/$f" ] && echo "vx86-result: dmi $f=$(cat "/sys/class/dmi/id/$f")"
  done
  echo "vx86-result: dmi-tables $(od -An -tx1 -v /sys/firmware/dmi/tables/DMI | tr -d ' \n')"
  echo "vx86-result: dmi-entry $(od -An -tx1 -v /sys/firmware/dmi/tables/smbios_entry_point |
    tr -d ' \n')"
}

workload_rtc() {
  echo "vx86-result: rtc-system $(date -u +%s)"
  echo "vx86-result: rtc-hardware $(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)"
  echo "vx86-result: rtc-date $(cat /sys/class/rtc/rtc0/date 2>/dev/null)"
}

# USB test (tests/system/usb_hid_test.cpp): loads the UHCI and HID drivers,
# waits for vx86.usbinputs=N QEMU input devices, reports every USB device
# (sysfs) and input device (its capability bitmaps), then prints each event
# the input devices give (type, code, value; SYN, MSC and key repeats left out) with the
# device's last name word ("usb-event tablet 3 0 16384") and "usb-gone
# tablet" when one is unplugged. Waits for the test to end the machine.
usb_modules() {
  for m in usb-common usbcore uhci_hcd hid usbhid hid_generic usb-storage; do
    insmod "/lib/modules/$m.ko" || echo "vx86-result: usb-module $m refused"
  done
}

workload_usb() {
  usb_modules
  want=1
  disks=0
  for arg in $(cat /proc/cmdline); do
    case "$arg" in
      vx86.usbinputs=*) want=${arg#vx86.usbinputs=} ;;
      vx86.usbdisks=*) disks=${arg#vx86.usbdisks=} ;;
    esac
  done
  echo "vx86-result: usb-waiting"
  for _ in $(seq 1 200); do
    [ "$(grep -c '^N: Name="QEMU' /proc/bus/input/devices)" -ge "$want" ] &&
      [ "$(ls -d /sys/block/sd* 2>/dev/null | wc -l)" -ge "$disks" ] && break
    sleep 0.1
  done
  # USB disks: the SCSI identity and size the kernel found.
  for b in /sys/block/sd*; do
    [ -e "$b/device/vendor" ] || continue
    echo "vx86-result: usb-disk $(basename "$b") '$(cat "$b/device/vendor")'" \
      "'$(cat "$b/device/model")' '$(cat "$b/device/rev")' sectors=$(cat "$b/size")" \
      "removable=$(cat "$b/removable") ro=$(cat "$b/ro")"
  done
  for d in /sys/bus/usb/devices/*; do
    [ -f "$d/idVendor" ] || continue
    echo "vx86-result: usb-device $(basename "$d") $(cat "$d/idVendor"):$(cat "$d/idProduct")" \
      "usb$(cat "$d/version" | tr -d ' ') speed=$(cat "$d/speed") ep0=$(cat "$d/bMaxPacketSize0")" \
      "class=$(cat "$d/bDeviceClass") '$(cat "$d/manufacturer" 2>/dev/null)'" \
      "'$(cat "$d/product" 2>/dev/null)' serial=$(cat "$d/serial" 2>/dev/null)" \
      "power=$(cat "$d/bMaxPower") attributes=$(cat "$d/bmAttributes")"
  done
  # Each device's descriptors as the guest read them (device, then configuration).
  for d in /sys/bus/usb/devices/*-*; do
    [ -f "$d/descriptors" ] || continue
    echo "vx86-result: usb-descriptors $(basename "$d") $(od -An -v -tx1 "$d/descriptors" | tr -d ' \n')"
  done
  for h in /sys/bus/hid/devices/*; do
    [ -f "$h/report_descriptor" ] || continue
    echo "vx86-result: usb-report $(sed -n 's/^HID_NAME=//p' "$h/uevent" | tr ' ' _)" \
      "$(od -An -v -tx1 "$h/report_descriptor" | tr -d ' \n')"
  done
  for i in /sys/bus/usb/devices/*:*; do
    [ -f "$i/bInterfaceClass" ] || continue
    echo "vx86-result: usb-interface $(basename "$i") class=$(cat "$i/bInterfaceClass")" \
      "subclass=$(cat "$i/bInterfaceSubClass") protocol=$(cat "$i/bInterfaceProtocol")" \
      "driver=$(basename "$(readlink "$i/driver")")"
  done
  awk '/^N: Name=/ { name = substr($0, 9) }
       /^H: Handlers=/ { handlers = $0 }
       /^B: / { caps = caps " " $2 }
       /^$/ { if (name ~ /QEMU/) print "vx86-result: usb-input " name caps; name = ""; caps = "" }' \
    /proc/bus/input/devices
  awk '/^N: Name=/ { name = substr($0, 9) }
       /^H: Handlers=/ { if (name ~ /QEMU/) { for (i = 2; i <= NF; i++) if ($i ~ /^event/) ev = $i
                                              n = split(name, w, " "); print tolower(w[n]), ev } }' \
    /proc/bus/input/devices | tr -d '"' > /tmp/usb-inputs
  while read -r label event; do
    (
      # One open for all reads: each open of an event device starts empty.
      exec 3< "/dev/input/$event"
      while :; do
        set -- $(dd bs=24 count=1 <&3 2>/dev/null | od -An -v -tu2)
        [ $# -eq 12 ] || break
        value=$((${11} + ${12} * 65536))
        [ "${12}" -ge 32768 ] && value=$((value - 4294967296))
        # Not SYN, MSC (scan codes) or the kernel's own key repeats.
        [ "$9" -eq 0 ] || [ "$9" -eq 4 ] || { [ "$9" -eq 1 ] && [ "$value" -eq 2 ]; } ||
          echo "vx86-result: usb-event $label $9 ${10} $value"
      done
      echo "vx86-result: usb-gone $label"
    ) &
  done < /tmp/usb-inputs
  sleep 1
  echo "vx86-result: usb-ready"
  sleep 600
}

# Balloon test (tests/system/balloon_test.cpp): loads virtio_balloon and
# prints MemTotal (KiB) whenever it changes, as the balloon inflates and
# deflates at the host's request. Waits for the test to end the machine.
workload_balloon() {
  insmod /lib/modules/virtio_balloon.ko || echo "vx86-result: balloon-module refused"
  last=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
  echo "vx86-result: balloon-ready $last"
  for _ in $(seq 1 6000); do
    now=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
    [ "$now" != "$last" ] && echo "vx86-result: balloon-memtotal $now"
    last=$now
    sleep 0.1
  done
}

# /dev/virtio-ports/NAME for each named virtio-serial port, as udev links them.
link_virtio_ports() {
  mkdir -p /dev/virtio-ports
  for port in /sys/class/virtio-ports/vport*; do
    [ -r "$port/name" ] && [ -n "$(cat "$port/name")" ] &&
      ln -sf "../${port##*/}" "/dev/virtio-ports/$(cat "$port/name")"
  done
}

# virtio-serial test (tests/system/virtio_serial_test.cpp): the ports the host
# gave with their names, the console (hvc0) and whether the kernel made it
# a console, a line written to hvc0, then a line read from the port called
# vx86.echo and sent back with "echo " in front of it.
workload_vserial() {
  for _ in $(seq 1 50); do
    [ -e /sys/class/virtio-ports/vport0p1 ] && break
    sleep 0.1
  done
  for port in /sys/class/virtio-ports/vport*; do
    echo "vx86-result: vserial-port ${port##*/} name=$(cat "$port/name" 2>/dev/null)"
  done
  echo "vx86-result: vserial-hvc $(cat /sys/class/tty/hvc0/dev 2>/dev/null)"
  echo "hello from hvc0" > /dev/hvc0
  link_virtio_ports
  read -r line < /dev/virtio-ports/vx86.echo
  echo "echo $line" > /dev/virtio-ports/vx86.echo
  echo "vx86-result: vserial-read $line"
  echo "vx86-result: vserial-irq $(awk '/virtio0/ {print $(NF-2), $NF}' /proc/interrupts | tr '\n' ' ')"
}

# Guest agent test (tests/system/guest_agent_test.cpp; the agent's initramfs,
# initramfs-agent.cpio.gz, adds Debian's qemu-guest-agent to this one): runs
# qemu-ga on org.qemu.guest_agent.0 until the host's guest-shutdown.
workload_agent() {
  for _ in $(seq 1 50); do
    [ -e /sys/class/virtio-ports/vport0p1 ] && break
    sleep 0.1
  done
  link_virtio_ports
  echo "vx86-result: agent-port $(ls /dev/virtio-ports)"
  echo "vx86-init: qemu-ga running"
  qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -t /tmp
  echo "vx86-result: agent-exit $?"
}

# virtio-serial hot-plug test (tests/system/virtio_serial_test.cpp): waits for
# the port vx86.hotplug (the test adds it with device_add), writes a line to
# it, and waits for it to go (device_del).
workload_vserial_hotplug() {
  # Started without a virtio-serial function: the test hot-plugs one and
  # takes it away again, which the guest waits for before it powers off.
  controller_hotplugged=
  grep -qx 0x1003 /sys/bus/pci/devices/*/device 2>/dev/null || controller_hotplugged=yes
  echo "vx86-result: vserial-hotplug before $(ls /sys/class/virtio-ports | tr '\n' ' ')"
  echo "vx86-init: ready for the port"
  for _ in $(seq 1 1200); do
    grep -qx vx86.hotplug /sys/class/virtio-ports/*/name 2>/dev/null && break
    sleep 0.1
  done
  link_virtio_ports
  echo "vx86-result: vserial-hotplug added $(ls /sys/class/virtio-ports | tr '\n' ' ')"
  echo "hello from a new port" > /dev/virtio-ports/vx86.hotplug
  for _ in $(seq 1 1200); do
    grep -qx vx86.hotplug /sys/class/virtio-ports/*/name 2>/dev/null || break
    sleep 0.1
  done
  echo "vx86-result: vserial-hotplug removed $(ls /sys/class/virtio-ports | tr '\n' ' ')"
  if [ -n "$controller_hotplugged" ]; then
    for _ in $(seq 1 1200); do
      grep -qx 0x1003 /sys/bus/pci/devices/*/device 2>/dev/null || break
      sleep 0.1
    done
  fi
}

# CPU topology test (tests/system/smp_topology_test.cpp): what the kernel made
# of -smp's sockets, cores and threads, per CPU, and the caches it found.
workload_topology() {
  for cpu in /sys/devices/system/cpu/cpu[0-9]*; do
    t=$cpu/topology
    echo "vx86-result: topology ${cpu##*/} package=$(cat $t/physical_package_id)" \
      "die=$(cat $t/die_id) core=$(cat $t/core_id) threads=$(cat $t/thread_siblings_list)" \
      "package_cpus=$(cat $t/core_siblings_list)"
  done
  grep -E '^(physical id|siblings|core id|cpu cores|apicid)' /proc/cpuinfo | tr -s '\t ' ' ' |
    sed 's/^/vx86-result: topology-cpuinfo /'
  for c in /sys/devices/system/cpu/cpu*/cache/index*; do
    echo "vx86-result: topology-cache ${c#/sys/devices/system/cpu/} level=$(cat $c/level)" \
      "type=$(cat $c/type) size=$(cat $c/size) ways=$(cat $c/ways_of_associativity)" \
      "sets=$(cat $c/number_of_sets) line=$(cat $c/coherency_line_size)" \
      "shared=$(cat $c/shared_cpu_list)"
  done
}

# RTC_CHANGE test (tests/system/rtc_change_test.cpp): sets the system clock
# and writes it to the RTC, as a guest's hwclock --systohc does.
workload_rtcset() {
  date -u -s "2031-02-03 04:05:06" >/dev/null
  hwclock -u -w
  echo "vx86-result: rtcset $(hwclock -u -r)"
}

# PCI hot-plug test (tests/system/pci_hotplug_test.cpp): the guest's PCI
# functions (bus address, vendor:device) as its hot-plug driver sees them.
pci_functions() {
  for f in /sys/bus/pci/devices/*; do
    printf '%s=%s:%s ' "${f##*/}" "$(cat "$f/vendor")" "$(cat "$f/device")"
  done
}

# Waits up to two minutes for a shell condition.
wait_until() {
  for _ in $(seq 1 1200); do
    sh -c "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "vx86-result: pcihotplug timeout waiting for $1"
}

# A disk and two NICs plugged in while the guest runs (device_add, as
# libvirt's attach-disk and attach-interface), used, then taken away
# (device_del); then an RNG the guest ejects itself.
workload_pcihotplug() {
  echo "vx86-result: pcihotplug slots $(ls /sys/bus/pci/slots | sort -n | tr '\n' ' ')"
  echo "vx86-result: pcihotplug before $(pci_functions)"
  echo "vx86-init: ready for the disk"
  wait_until '[ -b /dev/vda ]'
  echo "vx86-result: pcihotplug disk $(head -c 23 /dev/vda) size=$(cat /sys/block/vda/size)"
  printf 'written by the guest\n' | dd of=/dev/vda bs=512 seek=1 conv=sync 2>/dev/null
  sync
  echo "vx86-init: ready for the nics"
  wait_until 'grep -qx 52:54:00:aa:bb:cc /sys/class/net/*/address &&
    grep -qx 52:54:00:aa:bb:dd /sys/class/net/*/address'
  for n in /sys/class/net/eth*; do
    echo "vx86-result: pcihotplug nic ${n##*/} $(cat "$n/address")" \
      "driver=$(basename "$(readlink "$n/device/driver")")"
  done
  echo "vx86-result: pcihotplug during $(pci_functions)"
  echo "vx86-init: ready for unplug"
  wait_until '! grep -qxe 0x1af4 -e 0x100e /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/device'
  echo "vx86-result: pcihotplug after $(pci_functions)"
  # A device the guest gives back on its own: it powers its slot off.
  echo "vx86-init: ready for the rng"
  wait_until 'grep -qx 0x1005 /sys/bus/pci/devices/*/device &&
    grep -q virtio_rng /sys/class/misc/hw_random/rng_available'
  rng=$(grep -lx 0x1005 /sys/bus/pci/devices/*/device)
  rng=${rng%/device}
  rng=${rng##*/}
  for slot in /sys/bus/pci/slots/*; do
    [ "$(cat "$slot/address")" = "${rng%.*}" ] || continue
    echo "vx86-result: pcihotplug rng $rng $(cat /sys/class/misc/hw_random/rng_current)" \
      "slot ${slot##*/}"
    echo 0 > "$slot/power"
  done
  wait_until '! grep -qx 0x1005 /sys/bus/pci/devices/*/device'
  echo "vx86-result: pcihotplug ejected $(pci_functions)"
}

# The q35 machine (tests/system/q35_machine_test.cpp): what the guest finds
# of the chipset. Its PCI functions (IDs, class, IRQ, configuration space
# size), where the kernel found the ECAM window (MMCONFIG), a disk on an
# INTx-only virtio-blk-pci holding the host's text, the same disk's text
# through the AHCI controller (sda) and its CD-ROM (sr0), DHCP on an e1000,
# and the controller, pin and trigger of the disks', the NIC's and the
# SCI's interrupts.
workload_q35() {
  for f in /sys/bus/pci/devices/*; do
    echo "vx86-result: q35 pci ${f##*/} $(cat "$f/vendor"):$(cat "$f/device")" \
      "class=$(cat "$f/class") irq=$(cat "$f/irq") config=$(wc -c < "$f/config")"
  done
  grep MMCONFIG /proc/iomem | sed 's/^ *//;s/^/vx86-result: q35 iomem /'
  dmesg | grep -o 'PCI: MMCONFIG.*' | sed 's/^/vx86-result: q35 dmesg /'
  for _ in $(seq 1 100); do
    [ -b /dev/vda ] && break
    sleep 0.1
  done
  echo "vx86-result: q35 disk $(head -c 23 /dev/vda 2>/dev/null)"
  for _ in $(seq 1 100); do
    [ -b /dev/sda ] && [ -b /dev/sr0 ] && break
    sleep 0.1
  done
  echo "vx86-result: q35 sata-disk $(head -c 23 /dev/sda 2>/dev/null)" \
    "size=$(cat /sys/block/sda/size 2>/dev/null)"
  echo "vx86-result: q35 sata-cdrom $(head -c 23 /dev/sr0 2>/dev/null)" \
    "size=$(cat /sys/block/sr0/size 2>/dev/null)"
  for d in /sys/block/sd* /sys/block/sr*; do
    echo "vx86-result: q35 scsi ${d##*/} $(basename "$(readlink "$d/device")")"
  done
  net_up && echo "vx86-result: q35 net-addr $(ip -4 -o addr show eth0 | awk '{print $4}')"
  awk '/virtio|eth0|acpi|ahci/ { i = 2; while (i <= NF && $i ~ /^[0-9]+$/) i++
       print "vx86-result: q35 irq " $1 " " $i " " $(i + 1) " " $NF }' /proc/interrupts
}

# PCI Express root ports on the q35 (tests/system/pcie_root_port_test.cpp):
# where each function sits in the hierarchy (the bridges on its path), its
# IDs, class, IRQ, configuration space size, driver and capability IDs (the
# standard list, then the extended one of a 4 KiB space), each bridge's bus
# numbers, the hot-plug slots, the disk behind a root port and a DHCP lease
# through a NIC behind another, and the interrupts of both.
pci_capabilities() {
  od -An -v -tu1 "$1" | awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
    END { p = b[52]; while (p != 0 && k++ < 48) { printf "%s%02x@%02x", sep, b[p], p; sep = ","
                                                  p = b[p + 1] } }'
}
workload_pcie() {
  for f in /sys/bus/pci/devices/*; do
    path=$(readlink -f "$f")
    driver=none
    [ -e "$f/driver" ] && driver=$(basename "$(readlink "$f/driver")")
    echo "vx86-result: pcie pci ${path#/sys/devices/} $(cat "$f/vendor"):$(cat "$f/device")" \
      "sub=$(cat "$f/subsystem_vendor"):$(cat "$f/subsystem_device")" \
      "class=$(cat "$f/class") irq=$(cat "$f/irq") config=$(wc -c < "$f/config")" \
      "driver=$driver caps=$(pci_capabilities "$f/config")"
  done
  for b in /sys/class/pci_bus/*; do
    echo "vx86-result: pcie bus ${b##*/} $(basename "$(readlink -f "$b/device")")"
  done
  for slot in /sys/bus/pci/slots/*; do
    [ -e "$slot/address" ] && echo "vx86-result: pcie slot ${slot##*/} $(cat "$slot/address")"
  done
  for _ in $(seq 1 100); do
    [ -b /dev/vda ] && break
    sleep 0.1
  done
  echo "vx86-result: pcie disk $(head -c 23 /dev/vda 2>/dev/null)"
  net_up && echo "vx86-result: pcie net-addr $(ip -4 -o addr show eth0 | awk '{print $4}')"
  awk '/virtio|eth0|acpi|pcie/ { i = 2; while (i <= NF && $i ~ /^[0-9]+$/) i++
       print "vx86-result: pcie irq " $i " " $(i + 1) " " $NF }' /proc/interrupts
  if grep -q vx86.dumpdsdt /proc/cmdline; then
    od -An -tx1 -v /sys/firmware/acpi/tables/DSDT | sed 's/^/vx86-result: pcie dsdt /'
  fi
  if grep -q vx86.dumpconfig /proc/cmdline; then
    for f in /sys/bus/pci/devices/*; do
      echo "vx86-result: pcie dump ${f##*/}"
      od -Ax -tx1 -v "$f/config" | sed 's/^/vx86-result: pcie dump /'
    done
  fi
}

# Hot-plug into the q35's root ports (tests/system/pci_hotplug_test.cpp),
# as libvirt's attach-disk and attach-interface do on a q35 domain: the
# hot-plug slots the guest sees, then a disk and a NIC plugged into two
# ports while it runs (where each lands, its driver, the disk's text), and
# both gone after device_del.
workload_pciehotplug() {
  echo "vx86-result: pciehotplug slots $(ls /sys/bus/pci/slots | sort | tr '\n' ' ')"
  echo "vx86-result: pciehotplug before $(pci_functions)"
  echo "vx86-init: ready for the disk"
  wait_until '[ -b /dev/vda ]'
  disk=$(readlink -f /sys/block/vda/device/..)
  echo "vx86-result: pciehotplug disk ${disk#/sys/devices/} $(head -c 23 /dev/vda)" \
    "driver=$(basename "$(readlink "$disk/driver")")"
  echo "vx86-init: ready for the nic"
  wait_until 'grep -qx 52:54:00:aa:bb:cc /sys/class/net/*/address'
  for n in /sys/class/net/eth*; do
    nic=$(readlink -f "$n/device/..")
    echo "vx86-result: pciehotplug nic ${n##*/} $(cat "$n/address") ${nic#/sys/devices/}" \
      "driver=$(basename "$(readlink "$nic/driver")")"
  done
  echo "vx86-result: pciehotplug during $(pci_functions)"
  echo "vx86-init: ready for unplug"
  wait_until '! grep -qx 0x1af4 /sys/bus/pci/devices/*/vendor'
  echo "vx86-result: pciehotplug after $(pci_functions)"
}

# A boot through UEFI firmware (tests/system/uefi_boot_test.cpp): what the
# kernel got from OVMF (its EFI stub started from the UEFI shell): the
# firmware, the command line it passed, the ACPI tables it installed from
# the machine's, and the PCI functions.
workload_efi() {
  echo "vx86-result: efi platform $(cat /sys/firmware/efi/fw_platform_size 2>/dev/null)"
  echo "vx86-result: efi $(dmesg | grep -o 'efi: EFI v[0-9.]* by .*')"
  echo "vx86-result: efi cmdline $(cat /proc/cmdline)"
  echo "vx86-result: efi acpi-tables $(ls /sys/firmware/acpi/tables | grep -v -e data -e dynamic |
    tr '\n' ' ')"
  echo "vx86-result: efi $(dmesg | grep -o 'ACPI: Interpreter enabled')"
  echo "vx86-result: efi pci $(pci_functions)"
}
