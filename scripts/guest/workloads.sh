# Workloads the default guest can run (vx86.workload=NAME on the kernel command line).
# Output lines start with "vx86-result:" so tests and benchmarks can read them.


workload_check() {
  echo "vx86-result: cpus $(grep -c ^processor /proc/cpuinfo)"
  dd if=/dev/zero bs=1M count=4 2>/dev/null | sha256sum | sed 's/^/vx86-result: sha256 zero4m /'
  seq 1 20000 | gzip -c | md5sum | sed 's/^/vx86-result: gzip-md5 seq20000 /'
}

workload_bench() {
  start=$(cut -d' ' -f1 /proc/uptime)
  dd if=/dev/zero bs=1M count=32 2>/dev/null | sha256sum | sed 's/^/vx86-result: sha256 zero32m /'
  seq 1 200000 | gzip -c | md5sum | sed 's/^/vx86-result: gzip-md5 seq200000 /'
  end=$(cut -d' ' -f1 /proc/uptime)
  echo "vx86-result: workload-seconds $start $end"
}

# Disk test (tests/system/disk_virtio.sh): /dev/vda holds 512 KiB of host data
# at offset 0; 2 MiB of `seq` output goes to offset 1 MiB, is flushed, dropped
# from the page cache and read back from the device.
workload_disk() {
  for _ in $(seq 1 100); do
    [ -b /dev/vda ] && break
    sleep 0.1
  done
  if [ ! -b /dev/vda ]; then
    echo "vx86-result: disk missing"
    return
  fi
  echo "vx86-result: disk-sectors $(cat /sys/block/vda/size)"
  dd if=/dev/vda bs=64k count=8 2>/dev/null | sha256sum | sed 's/ .*//;s/^/vx86-result: disk-prefill /'
  seq 1 400000 | head -c 2097152 > /tmp/disk-data
  sha256sum /tmp/disk-data | sed 's/ .*//;s/^/vx86-result: disk-written /'
  dd if=/tmp/disk-data of=/dev/vda bs=64k seek=16 conv=fsync 2>/dev/null
  sync
  echo 3 > /proc/sys/vm/drop_caches
  dd if=/dev/vda bs=64k skip=16 count=32 2>/dev/null | sha256sum | sed 's/ .*//;s/^/vx86-result: disk-readback /'
}
