// Shared fixtures for the tcg tests: a small guest memory and an env block.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "tcg/interp.h"
#include "tcg/ir.h"
#include "tcg/ir_builder.h"

namespace vx86::tcg::test {

// Guest memory: `size` bytes at [base, base + size); anything else faults.
class FakeMemory : public MemoryInterface {
 public:
  explicit FakeMemory(uint64_t base = 0x1000, size_t size = 256) : base_(base), bytes_(size, 0) {}

  bool load(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t* value) override {
    last_mem_index = mem_index;
    if (!in_range(vaddr, size)) return false;
    *value = 0;
    std::memcpy(value, &bytes_[vaddr - base_], size);
    return true;
  }
  bool store(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t value) override {
    last_mem_index = mem_index;
    if (!in_range(vaddr, size)) return false;
    std::memcpy(&bytes_[vaddr - base_], &value, size);
    return true;
  }

  std::vector<uint8_t>& bytes() { return bytes_; }
  uint64_t base() const { return base_; }
  unsigned last_mem_index = 0;

 private:
  bool in_range(uint64_t a, unsigned size) const {
    return a >= base_ && a - base_ <= bytes_.size() && bytes_.size() - (a - base_) >= size;
  }
  uint64_t base_;
  std::vector<uint8_t> bytes_;
};

inline uint64_t env_u64(const std::vector<uint8_t>& env, size_t off) {
  uint64_t v;
  std::memcpy(&v, &env[off], 8);
  return v;
}
inline void set_env_u64(std::vector<uint8_t>& env, size_t off, uint64_t v) {
  std::memcpy(&env[off], &v, 8);
}

}  // namespace vx86::tcg::test
