#!/usr/bin/env bash
# Installs the dependencies (Debian, as root) and builds vx86 into build/.
#   scripts/build.sh              Release build with debug info
#   scripts/build.sh --sanitize   ASan + UBSan build into build-sanitize/
#   scripts/build.sh --debug      Debug build into build-debug/
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_dir=build-sanitize; cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DVX86_SANITIZE=ON) ;;
    --debug) build_dir=build-debug; cmake_args=(-DCMAKE_BUILD_TYPE=Debug) ;;
    --no-deps) skip_deps=1 ;;
    *) echo "build.sh: unknown argument '$arg' (--sanitize, --debug, --no-deps)" >&2; exit 1 ;;
  esac
done

if [ -z "${skip_deps:-}" ]; then
  scripts/install-deps.sh
fi
cmake -G Ninja -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "built into $build_dir/"
