#include "target-x86/descriptors.h"

#include "target-x86/exceptions.h"
#include "target-x86/helpers_system.h"
#include "target-x86/mmu.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

Descriptor read_descriptor(X86Cpu& cpu, uint16_t selector) {
  const bool ldt = selector & 4;
  uint64_t base = ldt ? cpu.ldtr.base : cpu.gdtr.base;
  uint32_t limit = ldt ? cpu.ldtr.limit : cpu.gdtr.limit;
  if (ldt && !(cpu.ldtr.attrs & kSegAttrPresent)) raise_exception(cpu, kExcGP, selector & 0xfffc);
  uint32_t offset = selector & 0xfff8;
  if (offset + 7 > limit) raise_exception(cpu, kExcGP, selector & 0xfffc);
  Descriptor d;
  d.address = base + offset;
  d.lo = static_cast<uint32_t>(cpu_load(cpu, d.address, 4, kMemSupervisorImplicit));
  d.hi = static_cast<uint32_t>(cpu_load(cpu, d.address + 4, 4, kMemSupervisorImplicit));
  return d;
}

uint32_t read_descriptor_high(X86Cpu& cpu, const Descriptor& d) {
  return static_cast<uint32_t>(cpu_load(cpu, d.address + 8, 4, kMemSupervisorImplicit));
}

void mark_accessed(X86Cpu& cpu, Descriptor& d) {
  if (!d.s() || (d.hi & (1u << 8))) return;
  d.hi |= 1u << 8;
  cpu_store(cpu, d.address + 4, d.hi, 4, kMemSupervisorImplicit);
}

SegmentCache make_cache(uint16_t selector, const Descriptor& d) {
  return SegmentCache{selector, d.attrs(), d.limit(), d.base()};
}

void load_segment_protected(X86Cpu& cpu, unsigned seg, uint16_t selector) {
  const unsigned cpl = vx86::cpl(cpu);
  const unsigned rpl = selector & 3;
  const bool mode64 = cpu.hflags & kHfCs64;
  if ((selector & 0xfffc) == 0) {
    // A null selector: allowed except for SS (outside 64-bit mode at CPL < 3).
    if (seg == kSegSS && !(mode64 && cpl != 3)) raise_exception(cpu, kExcGP, 0);
    cpu.segs[seg] = SegmentCache{selector, 0, 0, 0};
    if (seg == kSegSS) cpu.segs[seg].attrs = static_cast<uint16_t>(cpl << kSegAttrDplShift);
    return;
  }
  Descriptor d = read_descriptor(cpu, selector);
  const uint32_t error = selector & 0xfffc;
  if (seg == kSegSS) {
    if (rpl != cpl || d.dpl() != cpl || !d.writable_data()) raise_exception(cpu, kExcGP, error);
    if (!d.present()) raise_exception(cpu, kExcSS, error);
  } else {
    if (!d.s() || !d.readable()) raise_exception(cpu, kExcGP, error);
    if (!d.conforming() && (d.dpl() < cpl || d.dpl() < rpl)) raise_exception(cpu, kExcGP, error);
    if (!d.present()) raise_exception(cpu, kExcNP, error);
  }
  mark_accessed(cpu, d);
  cpu.segs[seg] = make_cache(selector, d);
}

void load_cs(X86Cpu& cpu, uint16_t selector, const Descriptor& d, unsigned cpl) {
  cpu.segs[kSegCS] = make_cache(static_cast<uint16_t>((selector & 0xfffc) | cpl), d);
  update_hflags(cpu);
}

}  // namespace vx86::x86
