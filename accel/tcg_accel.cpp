#include "accel/tcg_accel.h"

#include <optional>

#include "accel/tcg_vcpu.h"
#include "core/device_lock.h"
#include "core/options.h"
#include "target-x86/cpuid.h"
#include "tcg/compiled_block.h"

namespace vx86 {

void TcgAccelerator::init(const KeyValues* opts) {
  // The JIT is the default where it exists; the interpreter stays the reference.
  const std::string fallback = tcg::jit_available() ? "jit" : "interp";
  std::string backend = opts ? opts->get_string("backend", fallback) : fallback;
  if (backend == "interp") {
    backend_ = Backend::kInterpreter;
  } else if (backend == "jit") {
    if (!tcg::jit_available()) {
      throw AccelError("-accel tcg,backend=jit: the JIT needs an x86-64 host (use backend=interp)");
    }
    backend_ = Backend::kJit;
  } else {
    throw AccelError("-accel tcg: parameter 'backend' expects jit or interp, not '" + backend +
                     "'");
  }
  if (opts && opts->has("tb-size")) {
    std::string text = opts->get_string("tb-size");
    std::optional<uint64_t> bytes = parse_size(text, 'M');
    if (!bytes || *bytes < (uint64_t{1} << 20) || *bytes > (uint64_t{4} << 30)) {
      throw AccelError("-accel tcg,tb-size=" + text +
                       ": expects a code buffer size from 1 to 4096 MiB");
    }
    code_buffer_bytes_ = *bytes;
  }
  stats_ = opts ? opts->get_bool("stats", false) : false;
  std::string thread = opts ? opts->get_string("thread", "single") : "single";
  if (thread != "single") {
    throw AccelError("-accel tcg: thread=" + thread + " is not available yet (single)");
  }
}

std::unique_ptr<Vcpu> TcgAccelerator::create_vcpu(int index, const CpuBus& bus) {
  const x86::CpuModel* model = x86::find_cpu_model(cpu_model_);
  if (!model) throw AccelError("-cpu " + cpu_model_ + ": unknown CPU model ('-cpu help')");
  auto vcpu = std::make_unique<TcgVcpu>(index, bus, *model, bus.clocks);
  vcpu->cpu().tcg_backend =
      backend_ == Backend::kJit ? tcg::Backend::kJit : tcg::Backend::kInterpreter;
  vcpu->cpu().jit_code_bytes = code_buffer_bytes_;
  vcpu->cpu().jit_stats = stats_;
  vcpu->cpu().join_code_group(code_group_);
  if (tsc_hz_) {
    vcpu->cpu().tsc_hz = tsc_hz_;
    // The TSC deadline timer converts deadlines at the same rate.
    if (bus.local_apic) {
      DeviceLockGuard lock;
      bus.local_apic->set_tsc_hz(tsc_hz_);
    }
  }
  return vcpu;
}

}  // namespace vx86
