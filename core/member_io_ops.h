// An I/O region's callbacks forwarded to two member functions of the device
// that owns the region, for devices with more than one region (each region
// needs its own IoOps). The member functions may be private: name them as
// template arguments inside the owner, after their declarations.
#pragma once

#include <cstdint>

#include "core/memory.h"

namespace vx86 {

template <typename Owner, uint64_t (Owner::*Read)(uint64_t offset, unsigned size),
          void (Owner::*Write)(uint64_t offset, uint64_t value, unsigned size)>
class MemberIoOps final : public IoOps {
 public:
  explicit MemberIoOps(Owner& owner) : owner_(owner) {}
  MemberIoOps(const MemberIoOps&) = delete;
  MemberIoOps& operator=(const MemberIoOps&) = delete;

  uint64_t read(uint64_t offset, unsigned size) override { return (owner_.*Read)(offset, size); }
  void write(uint64_t offset, uint64_t value, unsigned size) override {
    (owner_.*Write)(offset, value, size);
  }

 private:
  Owner& owner_;
};

}  // namespace vx86
