// The translation blocks of one vCPU by key (physical PC, virtual PC, code
// segment base, flags): an open-addressing table with linear probing that
// owns its blocks. A keyed lookup happens on every jump-cache miss; with
// std::unordered_map it was a division and two or three dependent cache
// misses (bucket, node, block), here it is usually one slot and the block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace vx86::tcg {

struct TranslationBlock;

struct TbKey {
  uint64_t phys_pc, pc, cs_base;
  uint32_t flags;
  bool operator==(const TbKey&) const = default;
};

class TbTable {
 public:
  TbTable();
  ~TbTable();
  TbTable(const TbTable&) = delete;
  TbTable& operator=(const TbTable&) = delete;

  TranslationBlock* find(const TbKey& key) const;
  // Takes ownership; no block with the same key may be in the table.
  TranslationBlock* insert(std::unique_ptr<TranslationBlock> tb);
  // Destroys tb, which must be in the table.
  void erase(TranslationBlock* tb);
  void clear();
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    TranslationBlock* tb = nullptr;  // owned; nullptr when free
  };
  static uint64_t hash_of(const TbKey& key);
  void grow();
  void place(Slot slot);  // into a table known to have room

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace vx86::tcg
