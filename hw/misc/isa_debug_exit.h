// isa-debug-exit (QEMU semantics): a write of v ends vx86 with status
// (v << 1) | 1, so a guest test can report pass/fail. Reads return 0.
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/memory.h"
#include "core/system_control.h"

namespace vx86 {

class IsaDebugExit : public Device, public IoOps {
 public:
  static constexpr uint64_t kDefaultIobase = 0x501;
  static constexpr unsigned kDefaultIosize = 2;

  // iosize is 1, 2 or 4 (the region accepts accesses up to 4 bytes).
  IsaDebugExit(SystemControl& system, unsigned iosize = kDefaultIosize);

  void map(MemoryRegion& io_space, uint64_t base = kDefaultIobase);
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

 private:
  SystemControl& system_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace vx86
