// How IR guest-memory ops (qemu_ld/qemu_st) reach memory: the embedder (the
// x86 soft-MMU, or a test) implements this interface. Values are little-endian
// and zero-extended; the caller sign-extends. A failed access returns false
// after the implementation has recorded the guest exception in its own state;
// the block then stops at that op (see tcg/helper.h for the fault rules).
#pragma once

#include <cstdint>

namespace vx86::tcg {

class MemoryInterface {
 public:
  virtual ~MemoryInterface() = default;

  // size is 1, 2, 4 or 8 bytes; mem_index is the front end's choice (e.g. the
  // privilege level the access is checked against).
  virtual bool load(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t* value) = 0;
  virtual bool store(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t value) = 0;

  // 16-byte accesses. The defaults split them in two 8-byte accesses; a store
  // faulting on its second half leaves the first half written, so an MMU
  // should override these and check both pages first.
  virtual bool load128(uint64_t vaddr, unsigned mem_index, uint64_t value[2]) {
    return load(vaddr, 8, mem_index, &value[0]) && load(vaddr + 8, 8, mem_index, &value[1]);
  }
  virtual bool store128(uint64_t vaddr, unsigned mem_index, const uint64_t value[2]) {
    return store(vaddr, 8, mem_index, value[0]) && store(vaddr + 8, 8, mem_index, value[1]);
  }

  // While the JIT's out-of-line store is in store(): the host address it was
  // called from, inside the running block's code (nullptr otherwise: the
  // interpreter, helpers). A store into translated code that is not the
  // running block's may then drop those translations and go on.
  const void* store_site = nullptr;
};

}  // namespace vx86::tcg
