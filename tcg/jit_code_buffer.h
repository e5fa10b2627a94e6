// Executable memory for generated host code, kept W^X: the bytes are copied
// into a fresh read/write mapping which is then flipped to read/execute, so a
// page is never writable and executable at once. One mapping per block for
// now (adjacent anonymous mappings with equal protection merge in the kernel).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vx86::tcg {

class JitCodeBuffer {
 public:
  // Copies `size` bytes of code into new executable memory. Throws
  // std::system_error if the mapping or the protection change fails.
  JitCodeBuffer(const uint8_t* code, size_t size);
  ~JitCodeBuffer();
  JitCodeBuffer(const JitCodeBuffer&) = delete;
  JitCodeBuffer& operator=(const JitCodeBuffer&) = delete;

  const uint8_t* code() const { return base_; }
  size_t code_size() const { return size_; }
  size_t mapped_size() const { return mapped_; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
};

}  // namespace vx86::tcg
