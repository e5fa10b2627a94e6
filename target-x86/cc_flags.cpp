// Lazy condition codes: computes the arithmetic EFLAGS bits from the
// operands the translator recorded (cc_op, cc_src, cc_dst, cc_src2).
#include "target-x86/cpu_state.h"

namespace vx86 {
namespace {

bool parity_even(uint64_t value) {
  return (__builtin_popcount(static_cast<uint8_t>(value)) & 1) == 0;
}

// ZF, SF, PF of a result of `bits` width.
uint32_t result_flags(uint64_t dst, unsigned bits) {
  const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
  uint32_t flags = 0;
  if ((dst & mask) == 0) flags |= kFlagZF;
  if ((dst >> (bits - 1)) & 1) flags |= kFlagSF;
  if (parity_even(dst)) flags |= kFlagPF;
  return flags;
}

uint32_t flags_for(unsigned group, unsigned bits, uint64_t src, uint64_t dst, uint64_t src2) {
  const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
  const uint64_t sign = 1ull << (bits - 1);
  dst &= mask;
  src &= mask;
  uint32_t flags = result_flags(dst, bits);
  auto set = [&flags](bool cond, uint32_t bit) {
    if (cond) flags |= bit;
  };
  switch (group) {
    case kCcOpAddB: {
      const uint64_t src1 = (dst - src) & mask;
      set(dst < src1, kFlagCF);
      set((dst ^ src ^ src1) & 0x10, kFlagAF);
      set((~(src1 ^ src) & (src1 ^ dst)) & sign, kFlagOF);
      break;
    }
    case kCcOpAdcB: {
      const uint64_t carry = src2 & 1;
      const uint64_t src1 = (dst - src - carry) & mask;
      set(carry ? dst <= src1 : dst < src1, kFlagCF);
      set((dst ^ src ^ src1) & 0x10, kFlagAF);
      set((~(src1 ^ src) & (src1 ^ dst)) & sign, kFlagOF);
      break;
    }
    case kCcOpSubB: {
      const uint64_t src1 = (dst + src) & mask;
      set(src1 < src, kFlagCF);
      set((dst ^ src ^ src1) & 0x10, kFlagAF);
      set(((src1 ^ src) & (src1 ^ dst)) & sign, kFlagOF);
      break;
    }
    case kCcOpSbbB: {
      const uint64_t borrow = src2 & 1;
      const uint64_t src1 = (dst + src + borrow) & mask;
      set(borrow ? src1 <= src : src1 < src, kFlagCF);
      set((dst ^ src ^ src1) & 0x10, kFlagAF);
      set(((src1 ^ src) & (src1 ^ dst)) & sign, kFlagOF);
      break;
    }
    case kCcOpLogicB:
      break;
    case kCcOpIncB:
      set(src & 1, kFlagCF);
      set((dst & 0xF) == 0, kFlagAF);
      set(dst == sign, kFlagOF);
      break;
    case kCcOpDecB:
      set(src & 1, kFlagCF);
      set((dst & 0xF) == 0xF, kFlagAF);
      set(dst == sign - 1, kFlagOF);
      break;
    case kCcOpShlB:
      set((src >> (bits - 1)) & 1, kFlagCF);
      set(((src ^ dst) >> (bits - 1)) & 1, kFlagOF);
      break;
    case kCcOpSarB:
      set(src & 1, kFlagCF);
      set(((src ^ dst) >> (bits - 1)) & 1, kFlagOF);
      break;
    case kCcOpMulB:
      set(src != 0, kFlagCF | kFlagOF);
      break;
  }
  return flags;
}

}  // namespace

unsigned cc_op_width(CcOp op) {
  if (op == kCcOpEflags || op >= kCcOpClr) return 0;
  return 1u << ((op - kCcOpAddB) & 3);
}

uint32_t compute_cc_flags(uint32_t cc_op, uint64_t src, uint64_t dst, uint64_t src2) {
  if (cc_op == kCcOpEflags) return static_cast<uint32_t>(src) & kFlagsArith;
  if (cc_op == kCcOpClr) return kFlagZF | kFlagPF;
  if (cc_op >= kCcOpCount) return 0;
  const unsigned group = kCcOpAddB + ((cc_op - kCcOpAddB) & ~3u);
  const unsigned bits = 8u << ((cc_op - kCcOpAddB) & 3);
  return flags_for(group, bits, src, dst, src2);
}

bool compute_cf(const CpuState& cpu) {
  return compute_cc_flags(cpu.cc_op, cpu.cc_src, cpu.cc_dst, cpu.cc_src2) & kFlagCF;
}

uint32_t compute_eflags(const CpuState& cpu) {
  return (cpu.eflags_rest & ~kFlagsArith) | kFlagReserved1 |
         compute_cc_flags(cpu.cc_op, cpu.cc_src, cpu.cc_dst, cpu.cc_src2);
}

void load_eflags(CpuState& cpu, uint32_t value, uint32_t mask) {
  const uint32_t current = compute_eflags(cpu);
  const uint32_t merged = ((current & ~mask) | (value & mask)) & kFlagsDefined;
  cpu.cc_op = kCcOpEflags;
  cpu.cc_src = merged & kFlagsArith;
  cpu.cc_dst = 0;
  cpu.cc_src2 = 0;
  cpu.eflags_rest = (merged & ~kFlagsArith) | kFlagReserved1;
}

}  // namespace vx86
