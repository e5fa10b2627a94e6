#include "tcg/jit_code_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace vx86::tcg {

JitCodeBuffer::JitCodeBuffer(const uint8_t* code, size_t size) : size_(size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  mapped_ = (size + page - 1) / page * page;
  if (mapped_ == 0) mapped_ = page;
  void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "jit: mmap");
  base_ = static_cast<uint8_t*>(p);
  std::memcpy(base_, code, size);
  if (mprotect(base_, mapped_, PROT_READ | PROT_EXEC) != 0) {
    int err = errno;
    munmap(base_, mapped_);
    throw std::system_error(err, std::generic_category(), "jit: mprotect");
  }
}

JitCodeBuffer::~JitCodeBuffer() {
  if (base_) munmap(base_, mapped_);
}

}  // namespace vx86::tcg
