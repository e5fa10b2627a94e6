#include "hw/misc/isa_debug_exit.h"

#include <stdexcept>

namespace vx86 {

IsaDebugExit::IsaDebugExit(SystemControl& system, unsigned iosize)
    : Device("isa-debug-exit"), system_(system) {
  if (iosize != 1 && iosize != 2 && iosize != 4) {
    throw std::runtime_error("isa-debug-exit: iosize must be 1, 2 or 4");
  }
  // Unaligned accesses are allowed so a word write at 0x501 is one write.
  region_ = MemoryRegion::io("isa-debug-exit", iosize, this, AccessLimits{1, 4, true});
}

void IsaDebugExit::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

uint64_t IsaDebugExit::read(uint64_t offset, unsigned size) {
  return 0;
}

void IsaDebugExit::write(uint64_t offset, uint64_t value, unsigned size) {
  system_.request_exit(static_cast<int>((value << 1) | 1));
}

}  // namespace vx86
