// The ACPI power-management timer: a free-running 24-bit (or, flagged in the
// FADT as TMR_VAL_EXT, 32-bit) counter at 3.579545 MHz, read through a 4-byte
// I/O port (PM base + 8 on a PC). Its value is computed from the virtual clock.
#pragma once

#include <cstdint>
#include <memory>

#include "core/clock.h"
#include "core/device.h"
#include "core/memory.h"

namespace vx86 {

class AcpiPmTimer : public Device, public IoOps {
 public:
  static constexpr int64_t kFrequencyHz = 3'579'545;

  AcpiPmTimer(Clocks& clocks, bool extended_32bit = false);

  // False (not mapped) where other ports are.
  bool map(MemoryRegion& io_space, uint64_t port);
  MemoryRegion* region() { return region_.get(); }

  bool extended() const { return extended_; }
  // Ticks since virtual time 0 (not wrapped).
  uint64_t ticks() const;
  // The register value (24 or 32 bits).
  uint32_t value() const;
  // The bit whose toggling sets TMR_STS (23 or 31).
  int overflow_bit() const { return extended_ ? 31 : 23; }
  // Virtual time at which ticks() first reaches tick.
  static int64_t ns_of_tick(uint64_t tick);

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

 private:
  Clocks& clocks_;
  const bool extended_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace vx86
