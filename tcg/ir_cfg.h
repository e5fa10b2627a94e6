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
  TempSet(size_t n, bool full) : n_(n), words_((n + 63) / 64, full ? ~0ull : 0) { trim(); }
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

struct BasicBlock {
  size_t begin = 0, end = 0;  // op index range [begin, end)
  std::vector<uint32_t> succs, preds;
};

struct Cfg {
  std::vector<BasicBlock> bbs;
};

// Splits at set_label and after branches and exits. Labels must be valid.
Cfg build_cfg(const Block& block);

}  // namespace vx86::tcg
