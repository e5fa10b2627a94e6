
#include "accel/accel.h"
#include "accel/kvm_accel.h"
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
  if (name == "kvm") return std::make_unique<KvmAccelerator>();
  throw AccelError("-accel " + name + ": invalid accelerator (tcg, kvm)");
}

}  // namespace vx86
