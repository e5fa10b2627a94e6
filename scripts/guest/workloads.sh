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
