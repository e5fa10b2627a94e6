// Pushes and pops for helpers (interrupt delivery, far calls, IRET): on a
// given stack (SS base, stack-pointer width) with faults raised as #SS/#PF.
#pragma once

#include <cstdint>

namespace vx86::x86 {

struct X86Cpu;

class StackWriter {
 public:
  // sp_bytes: 2, 4 or 8 (the B bit of SS, or 8 in 64-bit mode).
  StackWriter(X86Cpu& cpu, uint64_t ss_base, uint64_t sp, unsigned sp_bytes, unsigned mem_index);
  void push(uint64_t value, unsigned size);
  uint64_t pop(unsigned size);
  uint64_t sp() const { return sp_; }

 private:
  uint64_t linear() const;
  X86Cpu& cpu_;
  uint64_t ss_base_, sp_;
  unsigned sp_bytes_, mem_index_;
};

}  // namespace vx86::x86
