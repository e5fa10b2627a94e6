// Per-instruction records of a compiled block (insn_start data and the host
// code offset where each guest instruction begins), kept for the block's
// lifetime to rebuild guest state at a fault. Tens of thousands of blocks stay
// live, so the records are packed as variable-length deltas (QEMU encodes its
// search data the same way) instead of 20 bytes per instruction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace vx86::tcg {

class InsnTable {
 public:
  struct Record {
    std::array<uint64_t, 2> data{};  // the insn_start constants
    uint32_t offset = 0;             // host code offset of the instruction
  };

  InsnTable() = default;
  // `offsets` has one entry per record plus the end of the block's main body.
  InsnTable(const std::vector<std::array<uint64_t, 2>>& data, const std::vector<uint32_t>& offsets);

  size_t size() const { return count_; }
  // The record of instruction `ordinal` (< size()).
  Record at(size_t ordinal) const;
  // Everything, decoded (for -d out_asm).
  std::vector<Record> all() const;
  uint32_t end_offset() const { return end_offset_; }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  uint32_t count_ = 0;
  uint32_t end_offset_ = 0;
};

}  // namespace vx86::tcg
