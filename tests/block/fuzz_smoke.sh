#!/usr/bin/env bash
# fuzz_smoke.sh SOURCE_DIR WORK_DIR VX86_IMG [SECONDS]
# Builds the qcow2 libFuzzer target with clang (block/fuzz/CMakeLists.txt, a
# build of its own in WORK_DIR/build), writes a seed corpus of small qcow2
# images (v2/v3, compressed, zero clusters, snapshots, a backing reference,
# lazy refcounts; from vx86-img and, when installed, qemu-img) and fuzzes for
# SECONDS (20 by default). Any crash, sanitizer report or leak fails the test.
# Exits 77 (skipped) when clang cannot build libFuzzer targets.
set -u
src=$1 work=$2 img=$3 seconds=${4:-20}
clangxx=${CLANGXX:-clang++}
if ! command -v "$clangxx" > /dev/null; then
  echo "SKIP: no clang++ (libFuzzer needs clang)"
  exit 77
fi
mkdir -p "$work"
probe=$work/probe.cpp
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$probe"
if ! "$clangxx" -fsanitize=fuzzer,address "$probe" -o "$work/probe" 2> "$work/probe.log"; then
  echo "SKIP: $clangxx cannot link -fsanitize=fuzzer:"; head -3 "$work/probe.log"
  exit 77
fi
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
if ! cmake "${generator[@]}" -S "$src/block/fuzz" -B "$work/build" -DCMAKE_CXX_COMPILER="$clangxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$work/cmake.log" 2>&1; then
  echo "FAIL: configuring block/fuzz:"; tail -20 "$work/cmake.log"; exit 1
fi
if ! cmake --build "$work/build" -j 2 > "$work/build.log" 2>&1; then
  echo "FAIL: building qcow2_fuzz:"; tail -30 "$work/build.log"; exit 1
fi

# The seed corpus: small clusters keep the images a few KiB.
seeds=$work/seeds
rm -rf "$seeds" "$work/tmp"
mkdir -p "$seeds" "$work/tmp"
t=$work/tmp
head -c 65536 /dev/urandom > "$t/data"
truncate -s 1M "$t/data.raw"
dd if="$t/data" of="$t/data.raw" bs=4096 seek=3 conv=notrunc status=none
n=0
seed() { n=$((n + 1)); cp "$1" "$seeds/seed$n.qcow2"; }
for tool in "$img" qemu-img; do
  command -v "$tool" > /dev/null || continue
  for opts in "compat=0.10,cluster_size=512" "compat=1.1,cluster_size=512" \
    "compat=1.1,cluster_size=1024,lazy_refcounts=on" "compat=1.1,cluster_size=512,refcount_bits=1"; do
    "$tool" create -q -f qcow2 -o "$opts" "$t/empty.qcow2" 1M && seed "$t/empty.qcow2"
    "$tool" convert -f raw -O qcow2 -o "$opts" "$t/data.raw" "$t/full.qcow2" && seed "$t/full.qcow2"
    "$tool" convert -c -f raw -O qcow2 -o "$opts" "$t/data.raw" "$t/comp.qcow2" && seed "$t/comp.qcow2"
  done
  "$tool" create -q -f qcow2 -o cluster_size=512 -b "$t/full.qcow2" -F qcow2 "$t/over.qcow2" 1M &&
    seed "$t/over.qcow2"
  "$tool" convert -f raw -O qcow2 -o cluster_size=512 "$t/data.raw" "$t/snap.qcow2" &&
    "$tool" snapshot -c first "$t/snap.qcow2" && "$tool" snapshot -c second "$t/snap.qcow2" &&
    seed "$t/snap.qcow2"
done
if command -v qemu-io > /dev/null; then
  qemu-img create -q -f qcow2 -o cluster_size=512 "$t/zero.qcow2" 1M &&
    qemu-io -f qcow2 -c "write -P 7 0 8k" -c "write -z 0 4k" -c "discard 4k 2k" "$t/zero.qcow2" \
      > /dev/null && seed "$t/zero.qcow2"
fi
if [ "$n" -lt 10 ]; then echo "FAIL: only $n seed images were made"; exit 1; fi

# libFuzzer grows the corpus in WORK_DIR/corpus and reads the seeds.
mkdir -p "$work/corpus"
cd "$work" || exit 1
"$work/build/qcow2_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 "$work/corpus" "$seeds" > "$work/fuzz.log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: qcow2_fuzz exited with $status:"; grep -v '^#' "$work/fuzz.log" | tail -40
  exit 1
fi
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/fuzz.log" | grep -o '[0-9]*$')
echo "PASS: $n seed images, ${runs:-?} inputs in ${seconds} s without a crash or sanitizer report"
