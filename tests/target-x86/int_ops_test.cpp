// Unit tests for the integer families (shifts, multiply/divide, bit ops,
// XADD/CMPXCHG*, BCD) on a vCPU in long, protected and real mode.
#include <gtest/gtest.h>

#include "target-x86/msr.h"

#include <vector>

#include "core/clock.h"
#include "target-x86/cpuid.h"
#include "target-x86/exceptions.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

constexpr uint8_t kHlt = 0xF4;

class IntOps : public ::testing::Test {
 protected:
  RunResult run(CpuHarness& h, std::vector<uint8_t> code, uint32_t flags = 0) {
    code.push_back(kHlt);
    h.enter_mode();
    h.set_arith_flags(flags);
    h.load_code(code);
    return h.run();
  }
  CpuHarness h64{CpuMode::kLong64};
};

TEST_F(IntOps, ShiftsByOneSetFlagsPerSdm) {
  h64.reg(kRAX) = 0x80;
  auto r = run(h64, {0xD0, 0xE0});  // shl al,1
  ASSERT_TRUE(r.halted);
  EXPECT_EQ(r.exception, -1);
  EXPECT_EQ(h64.reg(kRAX) & 0xff, 0u);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF | kFlagZF), kFlagCF | kFlagOF | kFlagZF);

  h64.reg(kRAX) = 0x8000000000000001ull;
  run(h64, {0x48, 0xD1, 0xF8});  // sar rax,1
  EXPECT_EQ(h64.reg(kRAX), 0xC000000000000000ull);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF | kFlagSF), kFlagCF | kFlagSF);

  h64.reg(kRAX) = 0x81;
  run(h64, {0xD0, 0xE8});  // shr al,1
  EXPECT_EQ(h64.reg(kRAX) & 0xff, 0x40u);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), kFlagCF | kFlagOF);

  h64.reg(kRAX) = 0x81;
  run(h64, {0xD0, 0xC0});  // rol al,1
  EXPECT_EQ(h64.reg(kRAX) & 0xff, 0x03u);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), kFlagCF | kFlagOF);

  h64.reg(kRAX) = 0x01;
  run(h64, {0xD0, 0xD8}, kFlagCF);  // rcr al,1 with CF=1
  EXPECT_EQ(h64.reg(kRAX) & 0xff, 0x80u);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), kFlagCF | kFlagOF);
}

TEST_F(IntOps, ZeroCountKeepsFlagsButZeroExtends) {
  h64.reg(kRAX) = 0xffffffff12345678ull;
  h64.reg(kRCX) = 0x40;                                 // masked to 0 for a 32-bit shift
  run(h64, {0xD3, 0xE0}, kFlagCF | kFlagZF | kFlagAF);  // shl eax,cl
  EXPECT_EQ(h64.reg(kRAX), 0x12345678ull);
  EXPECT_EQ(h64.arith_flags(), kFlagCF | kFlagZF | kFlagAF);
}

TEST_F(IntOps, RotateThroughCarryWideCounts) {
  h64.reg(kRAX) = 0x1;
  run(h64, {0xC0, 0xD0, 0x09}, 0);  // rcl al,9: a full turn through CF
  EXPECT_EQ(h64.reg(kRAX) & 0xff, 0x01u);
  h64.reg(kRAX) = 0x8000000000000000ull;
  run(h64, {0x48, 0xC1, 0xD0, 0x01}, 0);  // rcl rax,1
  EXPECT_EQ(h64.reg(kRAX), 0u);
  EXPECT_TRUE(h64.arith_flags() & kFlagCF);
}

TEST_F(IntOps, ShldShrd) {
  h64.reg(kRAX) = 0x12345678;
  h64.reg(kRDX) = 0x9abcdef0;
  run(h64, {0x0F, 0xA4, 0xD0, 0x08});  // shld eax,edx,8
  EXPECT_EQ(h64.reg(kRAX), 0x3456789aull);
  h64.reg(kRAX) = 0x12345678;
  h64.reg(kRCX) = 4;
  run(h64, {0x0F, 0xAD, 0xD0});  // shrd eax,edx,cl
  EXPECT_EQ(h64.reg(kRAX), 0x01234567ull);
}

TEST_F(IntOps, MultiplyForms) {
  h64.reg(kRAX) = ~0ull;
  h64.reg(kRBX) = 2;
  run(h64, {0x48, 0xF7, 0xE3});  // mul rbx
  EXPECT_EQ(h64.reg(kRAX), ~0ull - 1);
  EXPECT_EQ(h64.reg(kRDX), 1u);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), kFlagCF | kFlagOF);

  h64.reg(kRAX) = ~0ull;  // -1
  h64.reg(kRBX) = 2;
  run(h64, {0x48, 0xF7, 0xEB});  // imul rbx
  EXPECT_EQ(h64.reg(kRAX), ~0ull - 1);
  EXPECT_EQ(h64.reg(kRDX), ~0ull);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), 0u);

  h64.reg(kRBX) = 0x40000000;
  run(h64, {0x69, 0xC3, 0x04, 0x00, 0x00, 0x00});  // imul eax,ebx,4
  EXPECT_EQ(h64.reg(kRAX), 0u);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), kFlagCF | kFlagOF);

  h64.reg(kRAX) = 0xfffffffffffffff0ull;
  h64.reg(kRBX) = 3;
  run(h64, {0x48, 0x0F, 0xAF, 0xC3});  // imul rax,rbx
  EXPECT_EQ(h64.reg(kRAX), 0xffffffffffffffd0ull);
  EXPECT_EQ(h64.arith_flags() & (kFlagCF | kFlagOF), 0u);

  h64.reg(kRAX) = 0x80;
  h64.reg(kRBX) = 0x2;
  run(h64, {0xF6, 0xE3});  // mul bl -> AX
  EXPECT_EQ(h64.reg(kRAX) & 0xffff, 0x100u);
}

TEST_F(IntOps, DivideAndDivideErrors) {
  h64.reg(kRAX) = 100;
  h64.reg(kRDX) = 0;
  h64.reg(kRBX) = 7;
  run(h64, {0x48, 0xF7, 0xF3});  // div rbx
  EXPECT_EQ(h64.reg(kRAX), 14u);
  EXPECT_EQ(h64.reg(kRDX), 2u);

  h64.reg(kRAX) = static_cast<uint64_t>(-100);
  h64.reg(kRDX) = ~0ull;
  h64.reg(kRBX) = 7;
  run(h64, {0x48, 0xF7, 0xFB});  // idiv rbx
  EXPECT_EQ(h64.reg(kRAX), static_cast<uint64_t>(-14));
  EXPECT_EQ(h64.reg(kRDX), static_cast<uint64_t>(-2));

  h64.reg(kRAX) = 5;
  h64.reg(kRBX) = 0;
  auto r = run(h64, {0x48, 0xF7, 0xF3});  // div rbx, rbx = 0
  EXPECT_EQ(r.exception, kExcDE);
  EXPECT_EQ(h64.reg(kRAX), 5u);

  h64.reg(kRAX) = 0;
  h64.reg(kRDX) = 0x8000000000000000ull;  // INT128 min / -1
  h64.reg(kRBX) = ~0ull;
  r = run(h64, {0x48, 0xF7, 0xFB});
  EXPECT_EQ(r.exception, kExcDE);

  h64.reg(kRAX) = 0;
  h64.reg(kRDX) = 1;  // quotient 2^32 does not fit
  h64.reg(kRBX) = 1;
  r = run(h64, {0xF7, 0xF3});  // div ebx
  EXPECT_EQ(r.exception, kExcDE);

  h64.reg(kRAX) = 0x8000;  // -32768 / -1 in 8-bit: overflow
  h64.reg(kRBX) = 0xff;
  r = run(h64, {0xF6, 0xFB});  // idiv bl
  EXPECT_EQ(r.exception, kExcDE);
}

TEST_F(IntOps, BitTestMemoryWithSignedOffset) {
  const uint64_t base = CpuHarness::kData + 0x100;
  uint32_t words[4] = {0, 0, 0, 0};
  h64.write_memory(base - 8, words, sizeof(words));
  h64.reg(kRBX) = base;
  h64.reg(kRCX) = static_cast<uint64_t>(-33);  // bit 31 of the dword at base-8
  run(h64, {0x48, 0x0F, 0xAB, 0x0B});          // bts [rbx],rcx
  uint32_t out[4];
  h64.read_memory(base - 8, out, sizeof(out));
  EXPECT_EQ(out[0], 0x80000000u);  // qword index -1, bit 31
  EXPECT_EQ(out[1], 0u);
  EXPECT_FALSE(h64.arith_flags() & kFlagCF);
  run(h64, {0x48, 0x0F, 0xA3, 0x0B});  // bt [rbx],rcx
  EXPECT_TRUE(h64.arith_flags() & kFlagCF);
  h64.reg(kRAX) = 0x10;
  run(h64, {0x0F, 0xBA, 0xF0, 0x24});  // btr eax,36 (imm masked to 4)
  EXPECT_EQ(h64.reg(kRAX), 0u);
  EXPECT_TRUE(h64.arith_flags() & kFlagCF);
}

TEST_F(IntOps, BitScanAndCounts) {
  h64.reg(kRAX) = 0x1234;
  h64.reg(kRBX) = 0;
  run(h64, {0x48, 0x0F, 0xBC, 0xC3});  // bsf rax,rbx (source 0)
  EXPECT_EQ(h64.reg(kRAX), 0x1234u);
  EXPECT_TRUE(h64.arith_flags() & kFlagZF);
  h64.reg(kRBX) = 0x00f0;
  run(h64, {0x48, 0x0F, 0xBD, 0xC3});  // bsr rax,rbx
  EXPECT_EQ(h64.reg(kRAX), 7u);
  EXPECT_FALSE(h64.arith_flags() & kFlagZF);
  h64.reg(kRBX) = 0xf0f0;
  run(h64, {0xF3, 0x0F, 0xB8, 0xC3});  // popcnt eax,ebx
  EXPECT_EQ(h64.reg(kRAX), 8u);
  h64.reg(kRBX) = 0;
  run(h64, {0x66, 0xF3, 0x0F, 0xBC, 0xC3});  // tzcnt ax,bx
  EXPECT_EQ(h64.reg(kRAX) & 0xffff, 16u);
  EXPECT_TRUE(h64.arith_flags() & kFlagCF);
  h64.reg(kRBX) = 1;
  run(h64, {0xF3, 0x0F, 0xBD, 0xC3});  // lzcnt eax,ebx
  EXPECT_EQ(h64.reg(kRAX), 31u);
}

TEST_F(IntOps, ExchangeAndCompare) {
  h64.reg(kRAX) = 5;
  h64.reg(kRBX) = 7;
  run(h64, {0x48, 0x0F, 0xC1, 0xD8});  // xadd rax,rbx
  EXPECT_EQ(h64.reg(kRAX), 12u);
  EXPECT_EQ(h64.reg(kRBX), 5u);

  h64.reg(kRAX) = 1;
  h64.reg(kRBX) = 1;
  h64.reg(kRCX) = 9;
  run(h64, {0x48, 0x0F, 0xB1, 0xCB});  // cmpxchg rbx,rcx
  EXPECT_EQ(h64.reg(kRBX), 9u);
  EXPECT_TRUE(h64.arith_flags() & kFlagZF);
  run(h64, {0x48, 0x0F, 0xB1, 0xCB});  // now rax=1 != rbx=9
  EXPECT_EQ(h64.reg(kRAX), 9u);
  EXPECT_FALSE(h64.arith_flags() & kFlagZF);

  const uint64_t m = CpuHarness::kData + 0x40;
  uint64_t mem[2] = {0x1111, 0x2222};
  h64.write_memory(m, mem, sizeof(mem));
  h64.reg(kRDI) = m;
  h64.reg(kRAX) = 0x1111;
  h64.reg(kRDX) = 0x2222;
  h64.reg(kRBX) = 0xaaaa;
  h64.reg(kRCX) = 0xbbbb;
  run(h64, {0x48, 0x0F, 0xC7, 0x0F});  // cmpxchg16b [rdi]
  h64.read_memory(m, mem, sizeof(mem));
  EXPECT_EQ(mem[0], 0xaaaau);
  EXPECT_EQ(mem[1], 0xbbbbu);
  EXPECT_TRUE(h64.arith_flags() & kFlagZF);
  h64.reg(kRDI) = m + 8;
  auto r = run(h64, {0x48, 0x0F, 0xC7, 0x0F});
  EXPECT_EQ(r.exception, kExcGP);

  h64.reg(kRDI) = m;
  h64.reg(kRAX) = 0;
  h64.reg(kRDX) = 0;
  run(h64, {0x0F, 0xC7, 0x0F});  // cmpxchg8b [rdi]: fails, loads EDX:EAX
  EXPECT_EQ(h64.reg(kRAX), 0xaaaau);
  EXPECT_EQ(h64.reg(kRDX), 0u);
  EXPECT_FALSE(h64.arith_flags() & kFlagZF);
}

TEST_F(IntOps, BcdInProtectedModeAndUdInLongMode) {
  CpuHarness h32(CpuMode::kProtected32);
  h32.reg(kRAX) = 0x0f;
  run(h32, {0x27});  // daa
  EXPECT_EQ(h32.reg(kRAX) & 0xff, 0x15u);
  EXPECT_TRUE(h32.arith_flags() & kFlagAF);
  h32.reg(kRAX) = 0x9b;
  run(h32, {0x27});
  EXPECT_EQ(h32.reg(kRAX) & 0xff, 0x01u);
  EXPECT_TRUE(h32.arith_flags() & kFlagCF);
  h32.reg(kRAX) = 0x0f;
  run(h32, {0x37});  // aaa
  EXPECT_EQ(h32.reg(kRAX) & 0xffff, 0x0105u);
  h32.reg(kRAX) = 0x2f;
  run(h32, {0x2F});  // das
  EXPECT_EQ(h32.reg(kRAX) & 0xff, 0x29u);
  h32.reg(kRAX) = 0x0205;
  run(h32, {0x3F});  // aas (no adjust)
  EXPECT_EQ(h32.reg(kRAX) & 0xffff, 0x0205u);
  h32.reg(kRAX) = 63;
  run(h32, {0xD4, 0x0A});  // aam
  EXPECT_EQ(h32.reg(kRAX) & 0xffff, 0x0603u);
  run(h32, {0xD5, 0x0A});  // aad
  EXPECT_EQ(h32.reg(kRAX) & 0xffff, 63u);
  auto r = run(h32, {0xD4, 0x00});  // aam 0
  EXPECT_EQ(r.exception, kExcDE);
  run(h32, {0xF9, 0xD6});  // stc; salc
  EXPECT_EQ(h32.reg(kRAX) & 0xff, 0xffu);

  r = run(h64, {0x27});
  EXPECT_EQ(r.exception, kExcUD);
}

TEST_F(IntOps, RdtscpLoadsTscAux) {
  h64.cpu().tsc_aux = 0x12345678;
  h64.reg(kRCX) = ~0ull;
  auto r = run(h64, {0x0F, 0x01, 0xF9});  // rdtscp
  ASSERT_TRUE(r.halted);
  EXPECT_EQ(r.exception, -1);
  EXPECT_EQ(h64.reg(kRCX), 0x12345678u);
  EXPECT_EQ(h64.reg(kRDX) >> 32, 0u);
}

// SDM 17.17.3: IA32_TSC_ADJUST moves the TSC by what is written to it, and a
// TSC write adds its step to IA32_TSC_ADJUST (the harness's clock stands still).
TEST_F(IntOps, TscAdjustTracksTscWrites) {
  X86Cpu& cpu = h64.cpu();
  constexpr uint32_t kTsc = 0x10, kTscAdjust = 0x3b;
  uint64_t tsc = 0, adjust = 0;
  ASSERT_TRUE(write_msr(cpu, kTscAdjust, 1000));
  ASSERT_TRUE(read_msr(cpu, kTsc, &tsc));
  ASSERT_TRUE(read_msr(cpu, kTscAdjust, &adjust));
  EXPECT_EQ(tsc, 1000u);
  EXPECT_EQ(adjust, 1000u);
  ASSERT_TRUE(write_msr(cpu, kTsc, 5000));
  ASSERT_TRUE(read_msr(cpu, kTscAdjust, &adjust));
  EXPECT_EQ(adjust, 5000u);
  ASSERT_TRUE(write_msr(cpu, kTscAdjust, 0));
  ASSERT_TRUE(read_msr(cpu, kTsc, &tsc));
  EXPECT_EQ(tsc, 0u);
}

// -cpu ...,tsc-frequency=: the TSC counts the virtual clock at that rate, and
// writes still set it exactly.
TEST_F(IntOps, TscCountsAtItsRate) {
  X86Cpu& cpu = h64.cpu();
  Clocks clocks;
  clocks.set_manual_virtual(true);
  cpu.clocks = &clocks;
  cpu.tsc_hz = 2'500'000'000;
  uint64_t before = 0, after = 0;
  ASSERT_TRUE(read_msr(cpu, 0x10, &before));
  clocks.advance_virtual(1000);  // 1 us
  ASSERT_TRUE(read_msr(cpu, 0x10, &after));
  EXPECT_EQ(after - before, 2500u);
  ASSERT_TRUE(write_msr(cpu, 0x10, 1'000'000));
  ASSERT_TRUE(read_msr(cpu, 0x10, &after));
  EXPECT_EQ(after, 1'000'000u);
  clocks.advance_virtual(4000);
  ASSERT_TRUE(read_msr(cpu, 0x10, &after));
  EXPECT_EQ(after, 1'010'000u);
  cpu.clocks = nullptr;
}

// IA32_ARCH_CAPABILITIES says "not affected" for the speculative-execution
// bugs (Linux keys page-table isolation, VERW clearing and return thunks on
// them) and cannot be written.
TEST_F(IntOps, ArchCapabilitiesReportNoSpeculationBugs) {
  X86Cpu& cpu = h64.cpu();
  constexpr uint32_t kArchCapabilitiesMsr = 0x10a;
  EXPECT_TRUE(cpuid(cpu.model, 7, 0, 0, {}).edx & (1u << 29));
  uint64_t caps = 0;
  ASSERT_TRUE(read_msr(cpu, kArchCapabilitiesMsr, &caps));
  EXPECT_TRUE(caps & (1u << 0));     // RDCL_NO: no Meltdown, so no PTI
  EXPECT_TRUE(caps & (1u << 5));     // MDS_NO
  EXPECT_TRUE(caps & (1ull << 62));  // ITS_NO
  EXPECT_FALSE(write_msr(cpu, kArchCapabilitiesMsr, 0));
}

TEST_F(IntOps, RealModeShiftAndDivide) {
  CpuHarness h16(CpuMode::kReal16);
  h16.reg(kRAX) = 0x1234;
  auto r = run(h16, {0xC1, 0xE0, 0x04});  // shl ax,4
  ASSERT_TRUE(r.halted);
  EXPECT_EQ(h16.reg(kRAX) & 0xffff, 0x2340u);
  h16.reg(kRAX) = 7;
  h16.reg(kRBX) = 0;
  r = run(h16, {0xF6, 0xF3});  // div bl: #DE through the IVT
  EXPECT_EQ(r.exception, kExcDE);
}

// PUSHA/POPA in 16- and 32-bit code (bootloaders such as ISOLINUX use
// PUSHAD in real mode): the eight registers in order with the original SP,
// POPA skipping SP's slot; the operand-size prefix picks the width; invalid
// in 64-bit mode.
TEST_F(IntOps, PushaAndPopaIn16And32BitCode) {
  const std::vector<uint8_t> clobber = {0x31, 0xC0, 0x31, 0xDB, 0x31, 0xC9, 0x31,
                                        0xD2, 0x31, 0xF6, 0x31, 0xFF, 0x31, 0xED};
  struct Case {
    CpuMode mode;
    bool prefix;     // 0x66 before PUSHA and POPA
    unsigned width;  // bytes per register
    uint64_t sp;     // the harness's initial stack pointer
  };
  for (const Case& c :
       {Case{CpuMode::kReal16, false, 2, 0x7000}, Case{CpuMode::kReal16, true, 4, 0x7000},
        Case{CpuMode::kProtected32, false, 4, CpuHarness::kStackTop},
        Case{CpuMode::kProtected32, true, 2, CpuHarness::kStackTop}}) {
    SCOPED_TRACE(std::to_string(c.width * 8) + "-bit PUSHA in " +
                 (c.mode == CpuMode::kReal16 ? "real mode" : "protected mode"));
    CpuHarness h(c.mode);
    const uint64_t mask = c.width == 2 ? 0xFFFF : 0xFFFFFFFF;
    for (unsigned r = 0; r < 8; ++r) {
      if (r != kRSP) h.reg(r) = 0x01020304u * (r + 1);
    }
    std::vector<uint8_t> code;
    if (c.prefix) code.push_back(0x66);
    code.push_back(0x60);
    code.insert(code.end(), clobber.begin(), clobber.end());
    if (c.prefix) code.push_back(0x66);
    code.push_back(0x61);
    auto r = run(h, code);
    ASSERT_TRUE(r.halted);
    ASSERT_EQ(r.exception, -1);
    for (unsigned reg = 0; reg < 8; ++reg) {
      if (reg == kRSP) continue;
      EXPECT_EQ(h.reg(reg) & mask, (0x01020304u * (reg + 1)) & mask) << "register " << reg;
    }
    EXPECT_EQ(h.reg(kRSP) & 0xFFFF, c.sp & 0xFFFF);
    for (unsigned reg = 0; reg < 8; ++reg) {
      uint32_t v = 0;
      h.read_memory(c.sp - c.width * (reg + 1), &v, c.width);
      const uint64_t want = reg == kRSP ? c.sp : 0x01020304u * (reg + 1);
      EXPECT_EQ(v, want & mask) << "slot of register " << reg;
    }
  }
  auto r = run(h64, {0x60});
  EXPECT_EQ(r.exception, kExcUD);
}

}  // namespace
}  // namespace vx86::x86::testing
