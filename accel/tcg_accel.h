// The TCG accelerator: runs vCPUs through target-x86's translator and tcg's
// backends (the IR interpreter and the x86-64 JIT).
#pragma once

#include <memory>

#include "accel/accel.h"
#include "target-x86/code_cache_group.h"

namespace vx86 {

class TcgAccelerator : public Accelerator {
 public:
  std::string name() const override { return "tcg"; }
  void init(const KeyValues* opts) override;
  std::unique_ptr<Vcpu> create_vcpu(int index, const CpuBus& bus) override;

  enum class Backend { kInterpreter, kJit };
  Backend backend() const { return backend_; }
  void set_cpu_model(std::string model) { cpu_model_ = std::move(model); }
  // -cpu ...,tsc-frequency=HZ (0: the model's 1 GHz).
  void set_tsc_hz(uint64_t hz) { tsc_hz_ = hz; }

 private:
  Backend backend_ = Backend::kInterpreter;          // init() picks the JIT on x86-64 hosts
  uint64_t code_buffer_bytes_ = uint64_t{64} << 20;  // tb-size, in MiB on the command line
  bool stats_ = false;
  std::string cpu_model_ = "qemu64";
  uint64_t tsc_hz_ = 0;
  // The vCPUs' translation caches, kept coherent for code one vCPU patches
  // while another has translated it.
  std::shared_ptr<x86::CodeCacheGroup> code_group_ = std::make_shared<x86::CodeCacheGroup>();
};

}  // namespace vx86
