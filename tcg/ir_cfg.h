// Basic blocks of an IR block and a small bitset over temps, for the
// verifier's and the passes' data-flow analyses.
#pragma once

#include <cstdint>
#include <vector>

#include "tcg/ir.h"

namespace vx86::tcg {

class TempSet {
 public:
  TempSet() = default;
  TempSet(size_t n, bool full) { assign(n, full); }
  // n temps, all in (full) or none; keeps the memory it has.
  void assign(size_t n, bool full) {
    n_ = n;
    words_.assign((n + 63) / 64, full ? ~0ull : 0);
    trim();
  }
  bool test(uint32_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void set(uint32_t i) { words_[i / 64] |= 1ull << (i % 64); }
  void reset(uint32_t i) { words_[i / 64] &= ~(1ull << (i % 64)); }
  void intersect(const TempSet& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] &= o.words_[w];
  }
  void unite(const TempSet& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] |= o.words_[w];
  }
  bool operator==(const TempSet& o) const { return words_ == o.words_; }

 private:
  void trim() {
    if (n_ % 64 && !words_.empty()) words_.back() &= (1ull << (n_ % 64)) - 1;
  }
  size_t n_ = 0;
  std::vector<uint64_t> words_;
};

// A basic block's successors: a branch target and the fall-through, at most.
class Successors {
 public:
  void push_back(uint32_t bb) { ids_[n_++] = bb; }
  const uint32_t* begin() const { return ids_; }
  const uint32_t* end() const { return ids_ + n_; }
  size_t size() const { return n_; }

 private:
  uint32_t ids_[2] = {0, 0};
  uint8_t n_ = 0;
};

struct BasicBlock {
  size_t begin = 0, end = 0;  // op index range [begin, end)
  Successors succs;
};

struct Cfg {
  std::vector<BasicBlock> bbs;
  // Each basic block's predecessors (for forward analyses).
  std::vector<std::vector<uint32_t>> predecessors() const;
};

// Splits at set_label and after branches and exits. Labels must be valid.
// The second form refills *cfg, keeping its memory (passes run per block).
Cfg build_cfg(const Block& block);
void build_cfg(const Block& block, Cfg* cfg);

}  // namespace vx86::tcg
