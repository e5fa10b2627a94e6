#include "tcg/jit_code_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace vx86::tcg {

namespace {
[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

JitCodeBuffer::JitCodeBuffer(size_t capacity) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  capacity_ = (capacity + page - 1) / page * page;
  if (capacity_ == 0) capacity_ = page;
  // One shared anonymous mapping (shmem) and a second mapping of the same
  // pages (mremap with old size 0 duplicates a shared mapping). Unlike a
  // memfd, perf counts such code as anonymous and names it from
  // /tmp/perf-<pid>.map (-perfmap).
  void* w = mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (w == MAP_FAILED) fail("jit: mmap");
  void* x = mremap(w, 0, capacity_, MREMAP_MAYMOVE);
  if (x == MAP_FAILED || mprotect(x, capacity_, PROT_READ | PROT_EXEC) != 0) {
    int err = errno;
    if (x != MAP_FAILED) munmap(x, capacity_);
    munmap(w, capacity_);
    errno = err;
    fail("jit: mremap");
  }
  write_ = static_cast<uint8_t*>(w);
  exec_ = static_cast<uint8_t*>(x);
  delta_ = write_ - exec_;
}

JitCodeBuffer::~JitCodeBuffer() {
  munmap(write_, capacity_);
  munmap(exec_, capacity_);
}

const uint8_t* JitCodeBuffer::allocate(size_t size) {
  size_t start = (used_ + 15) & ~size_t{15};
  if (start > capacity_ || size > capacity_ - start) return nullptr;
  used_ = start + size;
  if (used_ - trimmed_at_ >= kTrimInterval) trim_write_view(start);
  return exec_ + start;
}

// Every page of code is resident in both views, and the process's resident
// size counts each view. The write view is needed only while code is written
// or patched, so its page-table entries are dropped now and then: the shared memory
// keeps the bytes, the execute view keeps running them, and
// a later write through the write view just faults the page in again.
void JitCodeBuffer::trim_write_view(size_t upto) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t end = upto / page * page;
  if (end > 0) madvise(write_, end, MADV_DONTNEED);
  trimmed_at_ = upto;
}

void JitCodeBuffer::reset(size_t keep) {
  used_ = keep < used_ ? keep : used_;
  trim_write_view(used_);
}

}  // namespace vx86::tcg
