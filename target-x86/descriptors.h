// Segment descriptors: reading them from the GDT/LDT and turning them into
// SegmentCache values, with the checks the SDM gives for each use.
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"

namespace vx86::x86 {

struct X86Cpu;

struct Descriptor {
  uint32_t lo = 0, hi = 0;
  uint64_t address = 0;  // linear address of the descriptor (for the accessed bit)

  uint64_t base() const { return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u); }
  uint32_t limit() const {
    uint32_t l = (lo & 0xffff) | (hi & 0x000f0000u);
    return (hi & (1u << 23)) ? (l << 12) | 0xfff : l;
  }
  uint16_t attrs() const { return static_cast<uint16_t>(hi >> 8); }
  unsigned type() const { return (hi >> 8) & 0xf; }
  bool s() const { return hi & (1u << 12); }  // code/data
  unsigned dpl() const { return (hi >> 13) & 3; }
  bool present() const { return hi & (1u << 15); }
  bool code() const { return s() && (type() & 8); }
  bool conforming() const { return code() && (type() & 4); }
  bool readable() const { return !code() || (type() & 2); }
  bool writable_data() const { return s() && !(type() & 8) && (type() & 2); }
  bool long_mode() const { return hi & (1u << 21); }
  bool big() const { return hi & (1u << 22); }
};

// Reads the descriptor a selector names; #GP(selector) beyond the table limit.
Descriptor read_descriptor(X86Cpu& cpu, uint16_t selector);
// Reads 16 bytes (a long-mode system descriptor or gate): the upper 32 bits of base.
uint32_t read_descriptor_high(X86Cpu& cpu, const Descriptor& d);
// Sets the accessed bit in memory if it is clear.
void mark_accessed(X86Cpu& cpu, Descriptor& d);
SegmentCache make_cache(uint16_t selector, const Descriptor& d);

// Loads a data/stack segment register in protected mode with all checks.
void load_segment_protected(X86Cpu& cpu, unsigned seg, uint16_t selector);
// Loads CS with a checked code descriptor, selector RPL replaced by `cpl`.
void load_cs(X86Cpu& cpu, uint16_t selector, const Descriptor& d, unsigned cpl);

}  // namespace vx86::x86
