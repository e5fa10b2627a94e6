// The chipset's Reset Control register (port 0xCF9 on PIIX/ICH), also the
// usual ACPI FADT RESET_REG (value 0x06). Writing RST_CPU (bit 2) resets the
// machine.
//
// 0xCF9 lies inside the PCI host's CONFIG_ADDRESS dword at 0xCF8: the machine
// must map this region above it (higher priority) or forward byte accesses.
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/memory.h"
#include "core/system_control.h"

namespace vx86 {

class ResetControl : public Device, public IoOps {
 public:
  static constexpr uint64_t kDefaultPort = 0xCF9;
  static constexpr uint8_t kSysRst = 1u << 1;  // hard reset (vs. CPU-only)
  static constexpr uint8_t kRstCpu = 1u << 2;
  static constexpr uint8_t kFullRst = 1u << 3;

  explicit ResetControl(SystemControl& system);

  void map(MemoryRegion& io_space, uint64_t port = kDefaultPort, int priority = 1);
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override { value_ = 0; }
  void visit_state(StateVisitor& v) override;

 private:
  SystemControl& system_;
  std::unique_ptr<MemoryRegion> region_;
  uint8_t value_ = 0;
};

}  // namespace vx86
