
#include "accel/accel.h"
#include "accel/tcg_accel.h"

namespace vx86 {

const std::vector<AccelInfo>& accelerator_list() {
  static const std::vector<AccelInfo> list = {
      {"tcg", "dynamic binary translation (backend=jit|interp)"},
      {"kvm", "Linux KVM through /dev/kvm"},
  };
  return list;
}

std::unique_ptr<Accelerator> create_accelerator(const std::string& name) {
  if (name == "tcg") return std::make_unique<TcgAccelerator>();
  if (name == "kvm") {
    // The KVM accelerator is its own issue; say so instead of pretending.
    throw AccelError("-accel kvm: the KVM accelerator is not available yet");
  }
  throw AccelError("-accel " + name + ": invalid accelerator (tcg, kvm)");
}

}  // namespace vx86
