// Executable memory for generated host code, kept W^X by mapping the same
// shared memory twice: a read/write view the JIT writes through and a read/execute view the
// host runs. No page is ever writable and executable in the same mapping.
// One buffer per vCPU; space is handed out front to back and reclaimed only
// wholesale (reset()), after every block in it has been dropped. The write
// view's pages are dropped from the page tables every kTrimInterval bytes of
// new code, so resident memory counts the code about once, not twice.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vx86::tcg {

class JitCodeBuffer {
 public:
  // Maps `capacity` bytes (rounded up to pages). Throws std::system_error if
  // either mapping cannot be made.
  explicit JitCodeBuffer(size_t capacity);
  ~JitCodeBuffer();
  JitCodeBuffer(const JitCodeBuffer&) = delete;
  JitCodeBuffer& operator=(const JitCodeBuffer&) = delete;

  // Reserves `size` bytes (16-byte aligned); returns the executable address,
  // or nullptr when the buffer is full.
  const uint8_t* allocate(size_t size);
  // The writable alias of an executable address inside the buffer.
  uint8_t* writable(const uint8_t* exec) const { return const_cast<uint8_t*>(exec) + delta_; }

  // Forgets everything after `keep` bytes (the permanent stubs at the front).
  void reset(size_t keep);

  const uint8_t* exec_base() const { return exec_; }
  size_t capacity() const { return capacity_; }
  size_t used() const { return used_; }

 private:
  uint8_t* exec_ = nullptr;
  uint8_t* write_ = nullptr;
  ptrdiff_t delta_ = 0;  // write_ - exec_
  size_t capacity_ = 0;
  size_t used_ = 0;
  static constexpr size_t kTrimInterval = size_t{1} << 20;
  size_t trimmed_at_ = 0;  // used_ at the last trim
  void trim_write_view(size_t upto);
};

}  // namespace vx86::tcg
