#include "target-x86/stack_access.h"

#include "target-x86/helpers_system.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {
uint64_t mask_for(unsigned bytes) {
  return bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}
}  // namespace

StackWriter::StackWriter(X86Cpu& cpu, uint64_t ss_base, uint64_t sp, unsigned sp_bytes,
                         unsigned mem_index)
    : cpu_(cpu),
      ss_base_(ss_base),
      sp_(sp & mask_for(sp_bytes)),
      sp_bytes_(sp_bytes),
      mem_index_(mem_index) {}

uint64_t StackWriter::linear() const {
  uint64_t lin = ss_base_ + sp_;
  return (cpu_.efer & kEferLMA) && sp_bytes_ == 8 ? lin : lin & 0xffffffffull;
}

void StackWriter::push(uint64_t value, unsigned size) {
  sp_ = (sp_ - size) & mask_for(sp_bytes_);
  cpu_store(cpu_, linear(), value, size, mem_index_);
}

uint64_t StackWriter::pop(unsigned size) {
  uint64_t v = cpu_load(cpu_, linear(), size, mem_index_);
  sp_ = (sp_ + size) & mask_for(sp_bytes_);
  return v;
}

}  // namespace vx86::x86
