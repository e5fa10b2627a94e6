#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

X86Cpu::X86Cpu(AddressSpace& memory_space, AddressSpace& io_space, CpuInterruptSource* irq,
               SystemControl* system, const CpuModel& cpu_model)
    : CpuState{},
      memory(memory_space),
      io(io_space),
      interrupts(irq),
      control(system),
      model(cpu_model),
      mmu(*this, memory_space) {
  mmu.set_code_page_hooks([this](uint64_t ppage) { return code_on_page(ppage); },
                          [this](uint64_t paddr, unsigned size, const void* site) {
                            return code_group_
                                       ? code_group_->store_into_code(*this, paddr, size, site)
                                       : tb_cache.invalidate_range_for_store(paddr, size, site);
                          },
                          [this](uint64_t paddr, unsigned size) { invalidate_code(paddr, size); });
  mmu.set_flush_hook([this](uint64_t vaddr) {
    if (vaddr == Mmu::kAllPages || vaddr == Mmu::kNonGlobalPages)
      tb_cache.jump_cache_flush(vaddr == Mmu::kNonGlobalPages);
    else
      tb_cache.jump_cache_flush_page(vaddr);
  });
  // Map changes (BARs, ROM shadowing) invalidate cached host pointers.
  memory_listener_ = memory.add_listener([this](const AddressSpace&) { mmu.flush_all(); });
}

X86Cpu::~X86Cpu() {
  memory.remove_listener(memory_listener_);
  if (code_group_) code_group_->remove(this);
}

void X86Cpu::join_code_group(std::shared_ptr<CodeCacheGroup> group) {
  if (code_group_) code_group_->remove(this);
  code_group_ = std::move(group);
  if (code_group_) code_group_->add(this);
}

}  // namespace vx86::x86
