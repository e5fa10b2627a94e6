#include "accel/tcg_accel.h"

namespace vx86 {

void TcgAccelerator::init(const KeyValues* opts) {
  std::string backend = opts ? opts->get_string("backend", "interp") : "interp";
  if (backend == "interp") {
    backend_ = Backend::kInterpreter;
  } else if (backend == "jit") {
    throw AccelError("-accel tcg,backend=jit: the x86-64 JIT backend is not available yet");
  } else {
    throw AccelError("-accel tcg: parameter 'backend' expects jit or interp, not '" + backend +
                     "'");
  }
  std::string thread = opts ? opts->get_string("thread", "single") : "single";
  if (thread != "single") {
    throw AccelError("-accel tcg: thread=" + thread + " is not available yet (single)");
  }
}

std::unique_ptr<Vcpu> TcgAccelerator::create_vcpu(int index, const CpuBus& bus) {
  throw AccelError("-accel tcg: the x86 CPU (translator) is not available yet");
}

}  // namespace vx86
