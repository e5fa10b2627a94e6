// POST diagnostic port (0x80): firmware writes progress codes here. They are
// logged under -d ioport and the last one reads back.
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/memory.h"

namespace vx86 {

class PostPort : public Device, public IoOps {
 public:
  PostPort();

  void map(MemoryRegion& io_space, uint64_t base = 0x80);
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

  uint8_t last_code() const { return code_; }

 private:
  std::unique_ptr<MemoryRegion> region_;
  uint8_t code_ = 0;
};

}  // namespace vx86
