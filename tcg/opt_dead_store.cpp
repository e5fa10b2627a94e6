#include <algorithm>
#include <utility>

#include "tcg/optimizer.h"

namespace vx86::tcg {

namespace {

// Env bytes [lo, hi) that are written later before anything can observe them.
class ByteRanges {
 public:
  void clear() { ranges_.clear(); }

  bool covers(uint64_t lo, uint64_t hi) const {
    for (const auto& r : ranges_) {  // disjoint and merged, so one range must hold it all
      if (r.first <= lo && hi <= r.second) return true;
    }
    return false;
  }

  void add(uint64_t lo, uint64_t hi) {
    ranges_.emplace_back(lo, hi);
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<uint64_t, uint64_t>> merged;
    for (const auto& r : ranges_) {
      if (!merged.empty() && r.first <= merged.back().second) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
  }

  void remove(uint64_t lo, uint64_t hi) {
    std::vector<std::pair<uint64_t, uint64_t>> kept;
    for (const auto& r : ranges_) {
      if (r.second <= lo || hi <= r.first) {
        kept.push_back(r);
        continue;
      }
      if (r.first < lo) kept.emplace_back(r.first, lo);
      if (hi < r.second) kept.emplace_back(hi, r.second);
    }
    ranges_ = std::move(kept);
  }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;
};

}  // namespace

void opt_dead_store(Block& block) {
  constexpr uint32_t kBarrier = kOpLabel | kOpBranch | kOpEndsBlock | kOpMayFault;
  ByteRanges overwritten;
  for (size_t i = block.ops.size(); i-- > 0;) {
    Op& op = block.ops[i];
    uint32_t flags = op_flags(op);
    unsigned size = env_access_size(op.opc);
    if (size != 0) {
      uint64_t lo = op.cst(0), hi = lo + size;
      if (flags & kOpWritesEnv) {
        if (overwritten.covers(lo, hi)) {
          op.opc = Opcode::nop;
        } else {
          overwritten.add(lo, hi);
        }
      } else {
        overwritten.remove(lo, hi);
      }
      continue;
    }
    // Helpers that read state may read anything; faults and exits expose it all.
    if ((flags & kBarrier) || (flags & kOpReadsEnv)) overwritten.clear();
  }
  block.remove_nops();
}

}  // namespace vx86::tcg
