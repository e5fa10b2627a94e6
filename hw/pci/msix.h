// MSI-X for a PCI function (PCI Local Bus Specification 3.0, 6.8.2): the
// capability in configuration space (table size, function mask, enable), the
// vector table (address, data, per-vector mask) and the pending-bit array,
// both in one memory region the function places in a BAR. A vector signalled
// while masked is remembered in the PBA and sent when it is unmasked.
// Messages leave as bus-master memory writes (PciDevice::send_msi); the
// machine's PCI address space turns writes to 0xFEExxxxx into APIC messages.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/memory.h"
#include "core/state.h"

namespace vx86 {

class PciDevice;

class PciMsix : public IoOps {
 public:
  static constexpr unsigned kMaxVectors = 2048;
  static constexpr unsigned kEntrySize = 16;
  // Message Control bits.
  static constexpr uint16_t kControlFunctionMask = 1u << 14;
  static constexpr uint16_t kControlEnable = 1u << 15;
  // Vector Control bit.
  static constexpr uint32_t kVectorMasked = 1u << 0;

  // Adds the capability to dev (before it is attached to a bus); the table
  // sits at offset 0 and the PBA at pba_offset of region(), which the
  // function registers as BAR `bar`.
  PciMsix(PciDevice& dev, unsigned vectors, int bar, uint64_t region_size, uint64_t pba_offset);
  ~PciMsix() override;

  MemoryRegion* region() { return region_.get(); }
  unsigned vectors() const { return vectors_; }
  uint8_t capability() const { return cap_; }
  bool enabled() const;
  bool function_masked() const;
  bool vector_masked(unsigned vector) const;
  bool pending(unsigned vector) const;

  // The function signals `vector`: sent now, or left pending while masked.
  // Ignored while MSI-X is disabled.
  void notify(unsigned vector);
  // Configuration bytes [addr, addr + size) were written (enable, mask).
  void config_written(unsigned addr, unsigned size);
  void reset();
  void visit_state(StateVisitor& v);

  // The table and PBA (IoOps of region()).
  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

 private:
  uint16_t control() const;
  uint32_t entry_word(unsigned vector, unsigned word) const;
  void send(unsigned vector);
  void send_unmasked_pending();

  PciDevice& dev_;
  unsigned vectors_;
  uint64_t pba_offset_;
  uint8_t cap_ = 0;
  std::vector<uint8_t> table_;
  std::vector<uint8_t> pba_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace vx86
