# Sourced by the test scripts that run the vx86 program. Each function exits
# 77 (ctest: skipped) with the reason when the test cannot run on this host.

# skip_unless_accel_runs ACCEL: a kvm accelerator needs a usable /dev/kvm,
# and VT-x/AMD-V for guests that switch modes: a nested host without them
# (PVM) emulates guest kernel code and never completes those switches.
skip_unless_accel_runs() {
  [[ $1 == kvm* ]] || return 0
  if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not usable by this user"
    exit 77
  fi
  if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
    echo "SKIP: kvm: this host has no VT-x/AMD-V (no vmx or svm in /proc/cpuinfo)"
    exit 77
  fi
}

# skip_unless_guest_built DIR: the default Linux guest (scripts/build-guest.sh).
skip_unless_guest_built() {
  if [ ! -f "$1/vmlinuz" ] || [ ! -f "$1/initramfs.cpio.gz" ]; then
    echo "SKIP: no guest in $1 (run scripts/build-guest.sh)"
    exit 77
  fi
}

# skip_unless_gdb: Debian's gdb (scripts/install-deps.sh installs it).
skip_unless_gdb() {
  if ! command -v gdb >/dev/null; then
    echo "SKIP: gdb is not installed (scripts/install-deps.sh installs it)"
    exit 77
  fi
}
