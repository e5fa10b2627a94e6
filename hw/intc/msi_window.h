// Where PCI devices' message signalled interrupts land: the 1 MiB window at
// 0xFEE00000 of the PCI bus-master address space. A 32-bit write there is an
// interrupt message (address bits 19:12 the destination, bit 2 the
// destination mode; the data the vector, delivery and trigger mode) that the
// host bridge puts on the APIC bus; the CPUs' own view of 0xFEE00000 is
// their local APIC page, which this window does not touch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/memory.h"

namespace vx86 {

class MsiWindow : public IoOps {
 public:
  static constexpr uint64_t kBase = 0xFEE00000;
  static constexpr uint64_t kSize = 0x100000;

  // Who receives the messages: vx86's APIC bus, or KVM's local APICs.
  using Sink = std::function<void(uint64_t address, uint32_t data)>;

  explicit MsiWindow(Sink sink);
  ~MsiWindow() override;
  MsiWindow(const MsiWindow&) = delete;
  MsiWindow& operator=(const MsiWindow&) = delete;

  void set_sink(Sink sink) { sink_ = std::move(sink); }
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

 private:
  Sink sink_;
  std::unique_ptr<MemoryRegion> region_;
};

}  // namespace vx86
