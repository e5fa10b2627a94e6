// SSE/x87 state helpers: the #UD/#NM availability rules, LDMXCSR, FXSAVE and
// FXRSTOR.
#include <cstring>

#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/xsave.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

// Called only when the translator's inline test saw one of the bits set, so
// this decides which fault it is (SDM Vol. 3, Table 2-2 / 13-1).
void helper_fp_unavailable(CpuState* env, uint32_t kind) {
  CpuState& cpu = *env;
  switch (kind) {
    case kFpUnitSse:
      if (cpu.cr0 & kCr0EM) raise_exception(cpu, kExcUD);
      if (!(cpu.cr4 & kCr4Osfxsr)) raise_exception(cpu, kExcUD);
      if (cpu.cr0 & kCr0TS) raise_exception(cpu, kExcNM);
      break;
    case kFpUnitMmx:
      if (cpu.cr0 & kCr0EM) raise_exception(cpu, kExcUD);
      if (cpu.cr0 & kCr0TS) raise_exception(cpu, kExcNM);
      break;
    case kFpUnitAvx:
      if (!(cpu.cr4 & kCr4Osxsave) || (cpu.xcr0 & 6) != 6) raise_exception(cpu, kExcUD);
      if (cpu.cr0 & kCr0TS) raise_exception(cpu, kExcNM);
      break;
    default:  // x87, FXSAVE/FXRSTOR
      if (cpu.cr0 & (kCr0EM | kCr0TS)) raise_exception(cpu, kExcNM);
      break;
  }
}

void helper_ldmxcsr(CpuState* env, uint32_t value) {
  if (value & ~kMxcsrWritable) raise_exception(*env, kExcGP, 0);
  env->mxcsr = value;
}

[[noreturn]] void memory_fault(X86Cpu& cpu) {
  throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
}

constexpr uint32_t kFxRexW = 1, kFxMode64 = 2;

// XMM0-15 end at byte 416; outside 64-bit mode only XMM0-7 (byte 288).
unsigned fx_size(uint32_t flags) {
  return (flags & kFxMode64) ? 416 : 288;
}

void check_fx_alignment(CpuState& cpu, uint64_t linear) {
  if (linear & 15) raise_exception(cpu, kExcGP, 0);
}

void helper_fxsave(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  check_fx_alignment(cpu, linear);
  const unsigned mem_index = flags >> 8;
  uint8_t image[512];
  fxsave_image(cpu, image, flags & kFxRexW, (flags & kFxMode64) ? 16 : 8);
  // Bytes past the last XMM register are not written. Probe the last byte
  // first so that a page fault on the second page comes before any store.
  const unsigned size = fx_size(flags);
  uint64_t probe;
  if (!cpu.mmu.load(linear + size - 1, 1, mem_index, &probe)) memory_fault(cpu);
  if (!cpu.mmu.store(linear + size - 1, 1, mem_index, probe)) memory_fault(cpu);
  for (unsigned off = 0; off < size; off += 8) {
    uint64_t v;
    std::memcpy(&v, image + off, 8);
    if (!cpu.mmu.store(linear + off, 8, mem_index, v)) memory_fault(cpu);
  }
}

void helper_fxrstor(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  check_fx_alignment(cpu, linear);
  const unsigned mem_index = flags >> 8;
  uint8_t image[512] = {};
  const unsigned size = fx_size(flags);
  for (unsigned off = 0; off < size; off += 8) {
    uint64_t v;
    if (!cpu.mmu.load(linear + off, 8, mem_index, &v)) memory_fault(cpu);
    std::memcpy(image + off, &v, 8);
  }
  if (!fxrstor_image_valid(image)) raise_exception(cpu, kExcGP, 0);
  fxrstor_image(cpu, image, flags & kFxRexW, (flags & kFxMode64) ? 16 : 8);
}

// MASKMOVQ / MASKMOVDQU: stores the data bytes whose mask byte has its top
// bit set. flags: bits 0..7 byte count (8 or 16), bits 8.. memory index.
void helper_maskmov(CpuState* env, uint64_t linear, uint64_t data_lo, uint64_t data_hi,
                    uint64_t mask_lo, uint64_t mask_hi, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  const unsigned count = flags & 0xff, mem_index = flags >> 8;
  for (unsigned i = 0; i < count; ++i) {
    const uint64_t mask = i < 8 ? mask_lo : mask_hi;
    const uint64_t data = i < 8 ? data_lo : data_hi;
    if (!((mask >> (8 * (i & 7) + 7)) & 1)) continue;
    if (!cpu.mmu.store(linear + i, 1, mem_index, (data >> (8 * (i & 7))) & 0xff)) {
      memory_fault(cpu);
    }
  }
}

}  // namespace

VX86_HELPER(maskmov, helper_maskmov, tcg::kHelperMayFault | tcg::kHelperReadsState)
VX86_HELPER(fp_unavailable, helper_fp_unavailable, tcg::kHelperMayFault | tcg::kHelperReadsState)
VX86_HELPER(ldmxcsr, helper_ldmxcsr, tcg::kHelperMayFault | tcg::kHelperWritesState)
VX86_HELPER(fxsave, helper_fxsave, tcg::kHelperMayFault | tcg::kHelperReadsState)
VX86_HELPER(fxrstor, helper_fxrstor,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
