#include "accel/kvm_state_sync.h"

#include <cstring>
#include <iterator>

#include "target-x86/fpu_state.h"
#include "target-x86/xsave.h"

namespace vx86::kvm {

namespace {

// Offsets in the FXSAVE image (SDM Vol. 1, table 10-2, 64-bit layout).
constexpr unsigned kFxFcw = 0, kFxFsw = 2, kFxFtw = 4, kFxFop = 6, kFxFip = 8, kFxFdp = 16,
                   kFxMxcsr = 24, kFxSt = 32, kFxXmm = 160;
constexpr unsigned kXstateBvOffset = 512;

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}

// Where each general register (in ModRM order) lives in struct kvm_regs.
constexpr __u64 kvm_regs::*kKvmGpr[16] = {
    &kvm_regs::rax, &kvm_regs::rcx, &kvm_regs::rdx, &kvm_regs::rbx, &kvm_regs::rsp, &kvm_regs::rbp,
    &kvm_regs::rsi, &kvm_regs::rdi, &kvm_regs::r8,  &kvm_regs::r9,  &kvm_regs::r10, &kvm_regs::r11,
    &kvm_regs::r12, &kvm_regs::r13, &kvm_regs::r14, &kvm_regs::r15};

const MsrBinding kSyncedMsrs[] = {
    {0x174, &CpuState::sysenter_cs},         {0x175, &CpuState::sysenter_esp},
    {0x176, &CpuState::sysenter_eip},        {0x277, &CpuState::pat},
    {0xc0000081, &CpuState::star},           {0xc0000082, &CpuState::lstar},
    {0xc0000083, &CpuState::cstar},          {0xc0000084, &CpuState::sfmask},
    {0xc0000102, &CpuState::kernel_gs_base}, {0xc0000103, &CpuState::tsc_aux},
    {0x2ff, &CpuState::mtrr_def_type},
};

}  // namespace

const MsrBinding* synced_msrs(unsigned* count) {
  *count = static_cast<unsigned>(std::size(kSyncedMsrs));
  return kSyncedMsrs;
}

void regs_to_kvm(const CpuState& cpu, kvm_regs* regs) {
  for (unsigned i = 0; i < 16; ++i) regs->*kKvmGpr[i] = cpu.regs[i];
  regs->rip = cpu.rip;
  regs->rflags = compute_eflags(cpu);
}

void regs_from_kvm(const kvm_regs& regs, CpuState* cpu) {
  for (unsigned i = 0; i < 16; ++i) cpu->regs[i] = regs.*kKvmGpr[i];
  cpu->rip = regs.rip;
  cpu->eflags_rest = kFlagReserved1;
  load_eflags(*cpu, static_cast<uint32_t>(regs.rflags), kFlagsDefined);
}

kvm_segment segment_to_kvm(const SegmentCache& seg) {
  kvm_segment s{};
  s.base = seg.base;
  s.limit = seg.limit;
  s.selector = seg.selector;
  s.type = seg.attrs & 0xf;
  s.s = (seg.attrs & kSegAttrS) ? 1 : 0;
  s.dpl = (seg.attrs >> kSegAttrDplShift) & 3;
  s.present = (seg.attrs & kSegAttrPresent) ? 1 : 0;
  s.avl = (seg.attrs & kSegAttrAvl) ? 1 : 0;
  s.l = (seg.attrs & kSegAttrL) ? 1 : 0;
  s.db = (seg.attrs & kSegAttrDB) ? 1 : 0;
  s.g = (seg.attrs & kSegAttrG) ? 1 : 0;
  s.unusable = s.present ? 0 : 1;
  return s;
}

SegmentCache segment_from_kvm(const kvm_segment& s) {
  SegmentCache seg{};
  seg.base = s.base;
  seg.limit = s.limit;
  seg.selector = s.selector;
  uint16_t attrs = s.type & 0xf;
  if (s.s) attrs |= kSegAttrS;
  attrs |= static_cast<uint16_t>((s.dpl & 3) << kSegAttrDplShift);
  if (s.present && !s.unusable) attrs |= kSegAttrPresent;
  if (s.avl) attrs |= kSegAttrAvl;
  if (s.l) attrs |= kSegAttrL;
  if (s.db) attrs |= kSegAttrDB;
  if (s.g) attrs |= kSegAttrG;
  seg.attrs = attrs;
  return seg;
}

void sregs_to_kvm(const CpuState& cpu, kvm_sregs* sregs) {
  const bool vm86 = cpu.eflags_rest & kFlagVM;
  kvm_segment* const dest[kSegCount] = {&sregs->es, &sregs->cs, &sregs->ss,
                                        &sregs->ds, &sregs->fs, &sregs->gs};
  for (int i = 0; i < kSegCount; ++i) {
    *dest[i] = segment_to_kvm(cpu.segs[i]);
    if (vm86) {
      // Virtual-8086 segments are always present, writable, DPL 3 (VMX checks this).
      dest[i]->type = 3;
      dest[i]->s = 1;
      dest[i]->dpl = 3;
      dest[i]->present = 1;
      dest[i]->unusable = 0;
    }
  }
  sregs->tr = segment_to_kvm(cpu.tr);
  // VM entry needs a present TSS; vx86's reset leaves a busy 32-bit one, but
  // a state built by hand may not have any.
  if (!sregs->tr.present || (sregs->tr.type != 3 && sregs->tr.type != 11)) {
    sregs->tr.type = 11;
    sregs->tr.present = 1;
    sregs->tr.s = 0;
    sregs->tr.unusable = 0;
  }
  sregs->ldt = segment_to_kvm(cpu.ldtr);
  sregs->gdt = kvm_dtable{cpu.gdtr.base, static_cast<uint16_t>(cpu.gdtr.limit), {}};
  sregs->idt = kvm_dtable{cpu.idtr.base, static_cast<uint16_t>(cpu.idtr.limit), {}};
  sregs->cr0 = cpu.cr0;
  sregs->cr2 = cpu.cr2;
  sregs->cr3 = cpu.cr3;
  sregs->cr4 = cpu.cr4;
  sregs->cr8 = cpu.cr8;
  sregs->efer = cpu.efer;
  sregs->apic_base = cpu.apic_base;
  std::memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));
}

void sregs_from_kvm(const kvm_sregs& sregs, CpuState* cpu) {
  const kvm_segment* const src[kSegCount] = {&sregs.es, &sregs.cs, &sregs.ss,
                                             &sregs.ds, &sregs.fs, &sregs.gs};
  for (int i = 0; i < kSegCount; ++i) cpu->segs[i] = segment_from_kvm(*src[i]);
  cpu->tr = segment_from_kvm(sregs.tr);
  cpu->ldtr = segment_from_kvm(sregs.ldt);
  cpu->gdtr = DescriptorTableReg{sregs.gdt.base, sregs.gdt.limit};
  cpu->idtr = DescriptorTableReg{sregs.idt.base, sregs.idt.limit};
  cpu->cr0 = sregs.cr0;
  cpu->cr2 = sregs.cr2;
  cpu->cr3 = sregs.cr3;
  cpu->cr4 = sregs.cr4;
  cpu->cr8 = sregs.cr8;
  cpu->efer = sregs.efer;
  cpu->apic_base = sregs.apic_base;
}

void fpu_to_kvm(const CpuState& cpu, kvm_fpu* fpu) {
  uint8_t image[512] = {};
  x86::fxsave_image(cpu, image, true, 16);
  *fpu = kvm_fpu{};
  fpu->fcw = load<uint16_t>(image + kFxFcw);
  fpu->fsw = load<uint16_t>(image + kFxFsw);
  fpu->ftwx = image[kFxFtw];
  fpu->last_opcode = load<uint16_t>(image + kFxFop);
  fpu->last_ip = load<uint64_t>(image + kFxFip);
  fpu->last_dp = load<uint64_t>(image + kFxFdp);
  fpu->mxcsr = load<uint32_t>(image + kFxMxcsr);
  std::memcpy(fpu->fpr, image + kFxSt, sizeof(fpu->fpr));
  std::memcpy(fpu->xmm, image + kFxXmm, sizeof(fpu->xmm));
}

void fpu_from_kvm(const kvm_fpu& fpu, CpuState* cpu) {
  uint8_t image[512] = {};
  store(image + kFxFcw, fpu.fcw);
  store(image + kFxFsw, fpu.fsw);
  image[kFxFtw] = fpu.ftwx;
  store(image + kFxFop, fpu.last_opcode);
  store(image + kFxFip, fpu.last_ip);
  store(image + kFxFdp, fpu.last_dp);
  store(image + kFxMxcsr, fpu.mxcsr);
  std::memcpy(image + kFxSt, fpu.fpr, sizeof(fpu.fpr));
  std::memcpy(image + kFxXmm, fpu.xmm, sizeof(fpu.xmm));
  x86::fxrstor_image(*cpu, image, true, 16);
}

void fpu_to_xsave(const CpuState& cpu, kvm_xsave* xsave) {
  auto* area = reinterpret_cast<uint8_t*>(xsave->region);
  x86::fxsave_image(cpu, area, true, 16);
  uint64_t xstate_bv = load<uint64_t>(area + kXstateBvOffset) | x86::kXcr0X87 | x86::kXcr0Sse;
  // The upper YMM halves (vx86's TCG keeps them in CpuState too).
  std::memcpy(area + x86::kXsaveAvxOffset, cpu.ymmh, sizeof(cpu.ymmh));
  bool ymm_in_use = false;
  for (const XmmReg& r : cpu.ymmh) ymm_in_use = ymm_in_use || r.q[0] || r.q[1];
  if (ymm_in_use) xstate_bv |= x86::kXcr0Avx;
  store(area + kXstateBvOffset, xstate_bv);
}

void fpu_from_xsave(const kvm_xsave& xsave, CpuState* cpu) {
  uint8_t image[512];
  std::memcpy(image, xsave.region, sizeof(image));
  // A component whose XSTATE_BV bit is clear is in its initial state,
  // whatever the area holds.
  const uint64_t xstate_bv =
      load<uint64_t>(reinterpret_cast<const uint8_t*>(xsave.region) + kXstateBvOffset);
  if (!(xstate_bv & x86::kXcr0X87)) {
    std::memset(image, 0, kFxMxcsr);
    store<uint16_t>(image + kFxFcw, 0x037f);
    std::memset(image + kFxSt, 0, kFxXmm - kFxSt);
  }
  if (!(xstate_bv & x86::kXcr0Sse)) std::memset(image + kFxXmm, 0, 16 * 16);
  x86::fxrstor_image(*cpu, image, true, 16);
  if (xstate_bv & x86::kXcr0Avx) {
    std::memcpy(cpu->ymmh, reinterpret_cast<const uint8_t*>(xsave.region) + x86::kXsaveAvxOffset,
                sizeof(cpu->ymmh));
  } else {
    std::memset(cpu->ymmh, 0, sizeof(cpu->ymmh));
  }
}

}  // namespace vx86::kvm
