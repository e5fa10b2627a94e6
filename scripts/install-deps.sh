#!/usr/bin/env bash
# Installs every build dependency and test peer vx86 uses, from Debian's packages.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi
packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libcapstone-dev libsdl2-dev zlib1g-dev libzstd-dev libboost-dev libboost-system-dev
  libgtest-dev libgmock-dev libxbyak-dev nlohmann-json3-dev libslirp-dev
  qemu-utils qemu-system-x86 seabios isolinux syslinux-common xorriso busybox-static cpio gdb xvfb nasm binutils acpica-tools
  console-setup-linux xdotool x11-apps x11-utils tigervnc-viewer tigervnc-tools ovmf mtools
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
