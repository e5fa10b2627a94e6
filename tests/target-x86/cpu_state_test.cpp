// CpuState: reset values (SDM Vol. 3 "Processor States Following Power-up,
// Reset, or INIT"), hflags, and the lazy EFLAGS evaluation for every cc_op,
// both on hand-computed cases and against the host CPU's own flags.
#include <gtest/gtest.h>

#include <random>

#include "target-x86/cpu_state.h"

namespace vx86 {
namespace {

TEST(CpuState, ResetValues) {
  CpuState cpu;
  cpu_reset(cpu, 0x000306A9);
  EXPECT_EQ(cpu.rip, 0xFFF0u);
  EXPECT_EQ(cpu.regs[kRDX], 0x000306A9u);
  for (int r = 0; r < 16; ++r) {
    if (r != kRDX) {
      EXPECT_EQ(cpu.regs[r], 0u) << r;
    }
  }
  EXPECT_EQ(compute_eflags(cpu), 0x2u);
  EXPECT_EQ(cpu.cr0, 0x60000010u);
  EXPECT_EQ(cpu.cr2, 0u);
  EXPECT_EQ(cpu.cr3, 0u);
  EXPECT_EQ(cpu.cr4, 0u);
  EXPECT_EQ(cpu.efer, 0u);
  const SegmentCache& cs = cpu.segs[kSegCS];
  EXPECT_EQ(cs.selector, 0xF000);
  EXPECT_EQ(cs.base, 0xFFFF0000u);
  EXPECT_EQ(cs.limit, 0xFFFFu);
  EXPECT_TRUE(cs.attrs & kSegAttrPresent);
  EXPECT_TRUE(cs.attrs & kSegAttrCode);
  for (int s : {kSegES, kSegSS, kSegDS, kSegFS, kSegGS}) {
    EXPECT_EQ(cpu.segs[s].selector, 0);
    EXPECT_EQ(cpu.segs[s].base, 0u);
    EXPECT_EQ(cpu.segs[s].limit, 0xFFFFu);
    EXPECT_EQ(cpu.segs[s].attrs & (kSegAttrPresent | kSegAttrWritable),
              kSegAttrPresent | kSegAttrWritable);
  }
  EXPECT_EQ(cpu.gdtr.base, 0u);
  EXPECT_EQ(cpu.gdtr.limit, 0xFFFFu);
  EXPECT_EQ(cpu.idtr.limit, 0xFFFFu);
  EXPECT_EQ(cpu.ldtr.limit, 0xFFFFu);
  EXPECT_EQ(cpu.tr.limit, 0xFFFFu);
  EXPECT_EQ(cpu.dr[6], 0xFFFF0FF0u);
  EXPECT_EQ(cpu.dr[7], 0x400u);
  EXPECT_EQ(cpu.mxcsr, 0x1F80u);
  EXPECT_EQ(cpu.fpu_cw, 0x0040);
  EXPECT_EQ(cpu.fpu_sw, 0);
  EXPECT_EQ(cpu.fpu_tw, 0x5555);
  EXPECT_EQ(cpu.pat, 0x0007040600070406ull);
  EXPECT_EQ(cpu.apic_base, 0xFEE00900u);  // enabled, BSP
  EXPECT_EQ(cpu.exception_vector, -1);
  EXPECT_EQ(cpu.interrupt_request, 0u);
  EXPECT_EQ(cpu.a20_mask, ~0ull);
  EXPECT_EQ(cpu.halted, 0u);
  // Real mode, 16-bit code at CPL 0.
  EXPECT_EQ(code_size_bits(cpu.hflags), 16u);
  EXPECT_EQ(cpl(cpu), 0u);
  EXPECT_FALSE(cpu.hflags & kHfPe);

  CpuState ap;
  cpu_reset(ap, 0x663, /*bsp=*/false);
  EXPECT_EQ(ap.apic_base, 0xFEE00800u);
  EXPECT_EQ(ap.halted, 1u);  // waits for INIT-SIPI
}

TEST(CpuState, HflagsFollowModes) {
  CpuState cpu;
  cpu_reset(cpu);
  cpu.cr0 |= kCr0PE;
  cpu.segs[kSegCS] = SegmentCache{
      0x0008 | 3, kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrDB, 0xFFFFFFFF, 0};
  cpu.segs[kSegSS].attrs |= kSegAttrDB;
  update_hflags(cpu);
  EXPECT_EQ(code_size_bits(cpu.hflags), 32u);
  EXPECT_EQ(cpl(cpu), 3u);
  EXPECT_TRUE(cpu.hflags & kHfSs32);

  cpu.efer |= kEferLME | kEferLMA;
  cpu.cr0 |= kCr0PG;
  cpu.segs[kSegCS].attrs = kSegAttrPresent | kSegAttrS | kSegAttrCode | kSegAttrL;
  cpu.segs[kSegCS].selector = 0x10;
  update_hflags(cpu);
  EXPECT_EQ(code_size_bits(cpu.hflags), 64u);
  EXPECT_TRUE(cpu.hflags & kHfLma);
  EXPECT_EQ(cpl(cpu), 0u);

  // Virtual-8086 mode: 16-bit, CPL 3, whatever CS holds.
  cpu.efer = 0;
  cpu.cr0 = kCr0PE;
  load_eflags(cpu, kFlagVM, kFlagVM);
  update_hflags(cpu);
  EXPECT_TRUE(cpu.hflags & kHfVm86);
  EXPECT_EQ(cpl(cpu), 3u);
  EXPECT_EQ(code_size_bits(cpu.hflags), 16u);
}

TEST(CpuState, LoadEflagsRoundTrip) {
  CpuState cpu;
  cpu_reset(cpu);
  const uint32_t value = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF | kFlagDF |
                         kFlagIF | kFlagTF | (2u << 12) | kFlagNT | kFlagAC | kFlagID;
  load_eflags(cpu, value);
  EXPECT_EQ(compute_eflags(cpu), value | kFlagReserved1);
  EXPECT_EQ(cpu.cc_op, kCcOpEflags);
  // Reserved bits never stick; bit 1 always reads 1.
  load_eflags(cpu, 0xFFFFFFFF);
  EXPECT_EQ(compute_eflags(cpu), kFlagsDefined | kFlagReserved1);
  load_eflags(cpu, 0);
  EXPECT_EQ(compute_eflags(cpu), kFlagReserved1);
  // A partial mask leaves the other bits alone (POPF at CPL 3 and similar).
  load_eflags(cpu, kFlagIF | kFlagCF, kFlagIF | kFlagCF);
  load_eflags(cpu, 0, kFlagCF);
  EXPECT_EQ(compute_eflags(cpu), kFlagIF | kFlagReserved1);
  // Lazy arithmetic flags merge with the rest.
  cpu.cc_op = kCcOpSubL;
  cpu.cc_dst = 0;
  cpu.cc_src = 5;  // 5 - 5
  EXPECT_EQ(compute_eflags(cpu), kFlagIF | kFlagReserved1 | kFlagZF | kFlagPF);
}

struct KnownCase {
  uint32_t cc_op;
  uint64_t src, dst, src2;
  uint32_t flags;
};

TEST(CpuState, KnownFlagResults) {
  constexpr uint32_t C = kFlagCF, P = kFlagPF, A = kFlagAF, Z = kFlagZF, S = kFlagSF, O = kFlagOF;
  const KnownCase cases[] = {
      {kCcOpEflags, C | Z | O | kFlagIF, 0, 0, C | Z | O},
      {kCcOpAddB, 0x01, 0x00, 0, C | P | A | Z},      // 0xFF + 0x01
      {kCcOpAddB, 0x01, 0x80, 0, S | O | A},          // 0x7F + 0x01
      {kCcOpAddW, 0x8000, 0x0000, 0, C | P | Z | O},  // 0x8000 + 0x8000
      {kCcOpAddL, 1, 3, 0, P},                        // 2 + 1
      {kCcOpAddQ, 1, 0, 0, C | P | A | Z},            // ~0 + 1
      {kCcOpAdcB, 0xFF, 0xFF, 1, C | P | A | S},      // 0xFF + 0xFF + 1 = 0x1FF
      {kCcOpAdcL, 0, 0, 1, C | P | A | Z},            // 0xFFFFFFFF + 0 + 1
      {kCcOpSubB, 0x01, 0xFF, 0, C | P | A | S},      // 0x00 - 0x01
      {kCcOpSubB, 0x01, 0x7F, 0, O | A},              // 0x80 - 0x01
      {kCcOpSubL, 5, 0, 0, P | Z},                    // 5 - 5
      {kCcOpSubQ, 1, ~0ull, 0, C | P | A | S},        // 0 - 1
      {kCcOpSbbW, 0, 0xFFFF, 1, C | P | A | S},       // 0 - 0 - 1
      {kCcOpSbbB, 0xFF, 0x00, 1, C | P | A | Z},      // 0x00 - 0xFF - 1 = 0x100 -> 0
      {kCcOpLogicB, 0, 0x80, 0, S},
      {kCcOpLogicQ, 0, 0, 0, P | Z},
      {kCcOpIncB, 1, 0x80, 0, C | S | O | A},             // 0x7F + 1, CF kept
      {kCcOpIncL, 0, 0, 0, P | Z | A},                    // 0xFFFFFFFF + 1
      {kCcOpDecW, 0, 0x7FFF, 0, P | A | O},               // 0x8000 - 1
      {kCcOpDecB, 1, 0, 0, C | P | Z},                    // 1 - 1, CF kept
      {kCcOpShlB, 0x80, 0x00, 0, C | P | Z | O},          // 0x80 << 1
      {kCcOpShlL, 0x40000000, 0x80000000, 0, S | O | P},  // 0x40000000 << 1
      {kCcOpSarB, 0x81, 0xC0, 0, C | S | P},              // SAR 0x81, 1
      {kCcOpSarL, 0x80000001, 0x40000000, 0, C | O | P},  // SHR 0x80000001, 1
      {kCcOpMulL, 1, 0, 0, C | O | P | Z},                // high part non-zero
      {kCcOpMulQ, 0, 0x10, 0, 0},
      {kCcOpClr, 0, 0, 0, P | Z},
  };
  for (const KnownCase& k : cases) {
    EXPECT_EQ(compute_cc_flags(k.cc_op, k.src, k.dst, k.src2), k.flags)
        << "cc_op " << k.cc_op << " src " << k.src << " dst " << k.dst;
  }
  for (uint32_t op = 0; op < kCcOpCount; ++op) {
    // Every cc_op yields only arithmetic flags.
    EXPECT_EQ(compute_cc_flags(op, ~0ull, ~0ull, 1) & ~kFlagsArith, 0u) << op;
  }
}

// ---------------------------------------------------------------------------
// Against the host: run the real instruction, read SF ZF AF PF CF with LAHF
// and OF with SETO, and compare with the lazy evaluation of the operands the
// translator records. Undefined flags are masked per the SDM.

uint32_t host_flags(uint16_t ax) {
  const uint32_t ah = ax >> 8;
  return (ah & (kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF)) | ((ax & 1) ? kFlagOF : 0);
}

#define VX86_HOST_BINOP(name, insn)                                           \
  template <typename T>                                                       \
  uint32_t name(T& a, T b, unsigned carry_in) {                               \
    uint16_t ax;                                                              \
    uint64_t cin = carry_in;                                                  \
    asm volatile("btq $0, %[cin]\n\t" insn " %[b], %[a]\n\tlahf\n\tseto %%al" \
                 : [a] "+r"(a), "=&a"(ax)                                     \
                 : [b] "r"(b), [cin] "r"(cin)                                 \
                 : "cc");                                                     \
    return host_flags(ax);                                                    \
  }
VX86_HOST_BINOP(host_add, "add")
VX86_HOST_BINOP(host_adc, "adc")
VX86_HOST_BINOP(host_sub, "sub")
VX86_HOST_BINOP(host_sbb, "sbb")
VX86_HOST_BINOP(host_and, "and")
#undef VX86_HOST_BINOP

#define VX86_HOST_UNOP(name, insn)                                      \
  template <typename T>                                                 \
  uint32_t name(T& a, unsigned carry_in) {                              \
    uint16_t ax;                                                        \
    uint64_t cin = carry_in;                                            \
    asm volatile("btq $0, %[cin]\n\t" insn " %[a]\n\tlahf\n\tseto %%al" \
                 : [a] "+r"(a), "=&a"(ax)                               \
                 : [cin] "r"(cin)                                       \
                 : "cc");                                               \
    return host_flags(ax);                                              \
  }
VX86_HOST_UNOP(host_inc, "inc")
VX86_HOST_UNOP(host_dec, "dec")
#undef VX86_HOST_UNOP

#define VX86_HOST_SHIFT(name, insn)                      \
  template <typename T>                                  \
  uint32_t name(T& a, uint8_t count) {                   \
    uint16_t ax;                                         \
    asm volatile(insn " %%cl, %[a]\n\tlahf\n\tseto %%al" \
                 : [a] "+r"(a), "=&a"(ax)                \
                 : "c"(count)                            \
                 : "cc");                                \
    return host_flags(ax);                               \
  }
VX86_HOST_SHIFT(host_shl, "shl")
VX86_HOST_SHIFT(host_shr, "shr")
VX86_HOST_SHIFT(host_sar, "sar")
#undef VX86_HOST_SHIFT

template <typename T>
uint32_t host_imul(T& a, T b) {
  uint16_t ax;
  asm volatile("imul %[b], %[a]\n\tlahf\n\tseto %%al" : [a] "+r"(a), "=&a"(ax) : [b] "r"(b) : "cc");
  return host_flags(ax);
}

template <typename T>
void check_width(std::mt19937_64& rng, uint32_t size_index) {
  using S = std::make_signed_t<T>;
  constexpr unsigned bits = sizeof(T) * 8;
  auto value = [&]() -> T {
    // Mix edge values with random ones.
    switch (rng() % 6) {
      case 0:
        return 0;
      case 1:
        return static_cast<T>(~T{0});
      case 2:
        return static_cast<T>(T{1} << (bits - 1));
      case 3:
        return static_cast<T>((T{1} << (bits - 1)) - 1);
      default:
        return static_cast<T>(rng());
    }
  };
  const uint32_t all = kFlagsArith;
  for (int i = 0; i < 3000; ++i) {
    const T a = value(), b = value();
    const unsigned cin = rng() & 1;
    T r = a;
    uint32_t f = host_add(r, b, 0);
    EXPECT_EQ(compute_cc_flags(kCcOpAddB + size_index, b, r, 0), f & all) << "add";
    r = a;
    f = host_adc(r, b, cin);
    EXPECT_EQ(compute_cc_flags(kCcOpAdcB + size_index, b, r, cin), f & all) << "adc";
    r = a;
    f = host_sub(r, b, 0);
    EXPECT_EQ(compute_cc_flags(kCcOpSubB + size_index, b, r, 0), f & all) << "sub";
    r = a;
    f = host_sbb(r, b, cin);
    EXPECT_EQ(compute_cc_flags(kCcOpSbbB + size_index, b, r, cin), f & all) << "sbb";
    r = a;
    f = host_and(r, b, 0);
    const uint32_t no_af = all & ~kFlagAF;  // AF undefined after logic ops
    EXPECT_EQ(compute_cc_flags(kCcOpLogicB + size_index, 0, r, 0) & no_af, f & no_af) << "and";
    r = a;
    f = host_inc(r, cin);
    EXPECT_EQ(compute_cc_flags(kCcOpIncB + size_index, cin, r, 0), f & all) << "inc";
    r = a;
    f = host_dec(r, cin);
    EXPECT_EQ(compute_cc_flags(kCcOpDecB + size_index, cin, r, 0), f & all) << "dec";

    const uint8_t count = static_cast<uint8_t>(1 + rng() % (bits - 1));
    // AF is undefined after shifts, OF too when the count is not 1.
    const uint32_t shift_mask = all & ~kFlagAF & (count == 1 ? all : ~kFlagOF);
    r = a;
    f = host_shl(r, count);
    const T shl_src = static_cast<T>(a << (count - 1));
    EXPECT_EQ(compute_cc_flags(kCcOpShlB + size_index, shl_src, r, 0) & shift_mask, f & shift_mask)
        << "shl";
    r = a;
    f = host_shr(r, count);
    const T shr_src = static_cast<T>(a >> (count - 1));
    EXPECT_EQ(compute_cc_flags(kCcOpSarB + size_index, shr_src, r, 0) & shift_mask, f & shift_mask)
        << "shr";
    r = a;
    f = host_sar(r, count);
    const T sar_src = static_cast<T>(static_cast<S>(a) >> (count - 1));
    EXPECT_EQ(compute_cc_flags(kCcOpSarB + size_index, sar_src, r, 0) & shift_mask, f & shift_mask)
        << "sar";
    if constexpr (bits >= 16) {
      r = a;
      f = host_imul(r, b);
      const __int128 full = static_cast<__int128>(static_cast<S>(a)) * static_cast<S>(b);
      const uint64_t overflow = full != static_cast<__int128>(static_cast<S>(r));
      const uint32_t mul_mask = kFlagCF | kFlagOF;  // SF ZF AF PF undefined
      EXPECT_EQ(compute_cc_flags(kCcOpMulB + size_index, overflow, r, 0) & mul_mask, f & mul_mask)
          << "imul";
    }
  }
}

TEST(CpuState, LazyFlagsMatchHostCpu) {
  std::mt19937_64 rng(42);
  check_width<uint8_t>(rng, 0);
  check_width<uint16_t>(rng, 1);
  check_width<uint32_t>(rng, 2);
  check_width<uint64_t>(rng, 3);
}

}  // namespace
}  // namespace vx86
