#include "tcg/tb_table.h"

#include <utility>

#include "tcg/tb_cache.h"

namespace vx86::tcg {

namespace {

constexpr std::size_t kInitialSlots = 1024;  // a power of two

TbKey key_of(const TranslationBlock& tb) {
  return TbKey{tb.phys_pc, tb.pc, tb.cs_base, tb.flags};
}

}  // namespace

TbTable::TbTable() : slots_(kInitialSlots) {}

TbTable::~TbTable() {
  clear();
}

uint64_t TbTable::hash_of(const TbKey& k) {
  uint64_t h = k.phys_pc * 0x9e3779b97f4a7c15ull;
  h ^= (k.pc + (h << 6) + (h >> 2)) * 0xbf58476d1ce4e5b9ull;
  h ^= k.cs_base + k.flags * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

TranslationBlock* TbTable::find(const TbKey& key) const {
  const uint64_t hash = hash_of(key);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.tb) return nullptr;
    if (s.hash == hash && key_of(*s.tb) == key) return s.tb;
  }
}

void TbTable::place(Slot slot) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot.hash & mask;
  while (slots_[i].tb) i = (i + 1) & mask;
  slots_[i] = slot;
}

void TbTable::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  for (const Slot& s : old) {
    if (s.tb) place(s);
  }
}

TranslationBlock* TbTable::insert(std::unique_ptr<TranslationBlock> tb) {
  if (2 * (size_ + 1) > slots_.size()) grow();  // at most half full: short probes
  TranslationBlock* raw = tb.release();
  place(Slot{hash_of(key_of(*raw)), raw});
  ++size_;
  return raw;
}

// Backward-shift deletion: later slots of the same probe run move up into
// the hole, so that no lookup stops early and no tombstones pile up.
void TbTable::erase(TranslationBlock* tb) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = hash_of(key_of(*tb)) & mask;
  while (slots_[hole].tb != tb) hole = (hole + 1) & mask;
  delete tb;
  --size_;
  for (std::size_t i = (hole + 1) & mask; slots_[i].tb; i = (i + 1) & mask) {
    const std::size_t home = slots_[i].hash & mask;
    // Slot i may fill the hole unless its home lies cyclically in (hole, i].
    const bool home_after_hole =
        hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (home_after_hole) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole] = Slot{};
}

void TbTable::clear() {
  for (Slot& s : slots_) {
    delete s.tb;
    s = Slot{};
  }
  size_ = 0;
}

}  // namespace vx86::tcg
