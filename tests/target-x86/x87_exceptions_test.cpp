// x87 exception delivery and state instructions in vx86 (what the host
// differential test cannot show without trapping the host): #NM from
// CR0.EM/TS, #MF for a pending unmasked exception at the next waiting
// instruction (not at the faulting one, not at FN* instructions), FERR# and
// IGNNE# with CR0.NE=0, FNSAVE /
// FRSTOR round trips and the real-mode environment layout. Also checks the
// portable transcendental path against the host path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/x87_ops.h"
#include "target-x86/x87_softfloat.h"
#include "target-x86/x87_transcendental.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86 {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::CpuHarness;
using testing::CpuMode;

constexpr uint64_t kData = CpuHarness::kData;

struct X87Run {
  int exception = -1;
  uint64_t fault_rip = 0;  // RIP pushed by the exception
};

X87Run run(CpuHarness& h, const Bytes& code) {
  h.load_code(code);
  h.reg(kRDI) = kData;
  h.reg(kRSP) = CpuHarness::kStackTop;
  const testing::RunResult r = h.run();
  EXPECT_TRUE(r.halted);
  X87Run out;
  out.exception = r.exception;
  if (r.exception >= 0) h.read_memory(h.reg(kRSP), &out.fault_rip, 8);
  return out;
}

CpuHarness& long_mode(CpuHarness& h) {
  h.cpu().cr0 |= kCr0NE | kCr0MP;
  h.cpu().cr4 |= kCr4Osfxsr;
  return h;
}

// fninit; fldcw [rdi]; fld1; fldz; fdivp  (1/0 with ZE unmasked)
Bytes divide_by_zero_prefix() {
  return {0xdb, 0xe3, 0xd9, 0x2f, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9};
}

void set_cw(CpuHarness& h, uint16_t cw) {
  h.write_memory(kData, &cw, 2);
}

TEST(X87Exceptions, TsOrEmRaisesNm) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  h.cpu().cr0 |= kCr0TS;
  EXPECT_EQ(run(h, {0xd9, 0xe8, 0xf4}).exception, kExcNM);  // fld1
  h.cpu().cr0 &= ~kCr0TS;
  h.cpu().cr0 |= kCr0EM;
  EXPECT_EQ(run(h, {0xd8, 0xc1, 0xf4}).exception, kExcNM);  // fadd st0, st1
  EXPECT_EQ(run(h, {0xdb, 0xe3, 0xf4}).exception, kExcNM);  // fninit
  // FWAIT: #NM only with TS and MP both set.
  h.cpu().cr0 &= ~kCr0EM;
  h.cpu().cr0 |= kCr0TS;
  EXPECT_EQ(run(h, {0x9b, 0xf4}).exception, kExcNM);
  h.cpu().cr0 &= ~kCr0MP;
  EXPECT_EQ(run(h, {0x9b, 0xf4}).exception, -1);
}

TEST(X87Exceptions, UnmaskedExceptionRaisesMfAtNextWaitingInstruction) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  set_cw(h, 0x037b);  // ZE unmasked
  Bytes code = divide_by_zero_prefix();
  const uint64_t fwait_at = h.code_address() + code.size() + 2;
  code.insert(code.end(), {0xdf, 0xe0, 0x9b, 0xf4});  // fnstsw ax (no fault); fwait
  const X87Run r = run(h, code);
  EXPECT_EQ(r.exception, kExcMF);
  EXPECT_EQ(r.fault_rip, fwait_at);
  const uint16_t ax = static_cast<uint16_t>(h.reg(kRAX));
  EXPECT_EQ(ax & 0x00ff, 0x84) << std::hex << ax;  // ZE and ES
  EXPECT_EQ(ax & 0x8000, 0x8000);                  // B follows ES
  // The unmasked response left ST(1) (the destination) alone and did not pop.
  X86Cpu& c = h.cpu();
  EXPECT_EQ(c.fpu_top, 6u);
  EXPECT_EQ(c.st[7].sign_exponent, 0x3fff);  // the 1.0 loaded first
}

TEST(X87Exceptions, MfAlsoAtArithmeticAndWithNeClear) {
  for (bool ne : {true, false}) {
    CpuHarness h(CpuMode::kLong64);
    long_mode(h);
    if (!ne) h.cpu().cr0 &= ~kCr0NE;  // no FERR# connection: #MF as well
    set_cw(h, 0x037b);
    Bytes code = divide_by_zero_prefix();
    const uint64_t next = h.code_address() + code.size();
    code.insert(code.end(), {0xd9, 0xe8, 0xf4});  // fld1
    const X87Run r = run(h, code);
    EXPECT_EQ(r.exception, kExcMF) << "NE=" << ne;
    EXPECT_EQ(r.fault_rip, next);
  }
}

// CR0.NE=0 with FERR# connected (as the PC's IRQ 13): the waiting
// instruction raises FERR# and waits there; IGNNE# (port 0xF0 on a PC) lets
// it run; FERR# falls at the first waiting instruction after FNCLEX. The test
// plays the chipset, which owns IGNNE# and negates it when FERR# falls.
TEST(X87Exceptions, NeClearRaisesFerrAndWaitsUnlessIgnne) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  h.cpu().cr0 &= ~kCr0NE;
  IrqLine ferr, ignne;
  int edges = 0;
  ferr.set_handler([&](bool level) {
    edges += level ? 1 : 0;
    if (!level) ignne.lower();
  });
  h.cpu().ferr = &ferr;
  h.cpu().ignne = &ignne;
  set_cw(h, 0x037b);  // ZE unmasked
  Bytes code = divide_by_zero_prefix();
  const uint64_t fwait_at = h.code_address() + code.size();
  // fwait hlt fwait hlt fnclex fwait hlt
  code.insert(code.end(), {0x9b, 0xf4, 0x9b, 0xf4, 0xdb, 0xe2, 0x9b, 0xf4});
  const X87Run r = run(h, code);
  EXPECT_EQ(r.exception, -1);        // no #MF
  EXPECT_EQ(h.cpu().rip, fwait_at);  // waiting at the FWAIT
  EXPECT_TRUE(ferr.level());
  EXPECT_EQ(edges, 1);
  // Still waiting when run again (no interrupt came), FERR# not raised twice.
  h.run();
  EXPECT_EQ(h.cpu().rip, fwait_at);
  EXPECT_EQ(edges, 1);
  // IGNNE#: the FWAIT runs despite the error; up to the first HLT.
  ignne.raise();
  testing::RunResult r2 = h.run();
  EXPECT_TRUE(r2.halted);
  EXPECT_EQ(h.cpu().rip, fwait_at + 2);
  EXPECT_TRUE(ferr.level());
  // The CPU reads the line at each waiting instruction: negated, it waits again.
  ignne.lower();
  h.run();
  EXPECT_EQ(h.cpu().rip, fwait_at + 2);
  EXPECT_EQ(edges, 1);
  ignne.raise();
  r2 = h.run();
  EXPECT_TRUE(r2.halted);
  EXPECT_EQ(h.cpu().rip, fwait_at + 4);
  // FNCLEX, then FWAIT: FERR# falls, and the chipset negates IGNNE# with it.
  r2 = h.run();
  EXPECT_TRUE(r2.halted);
  EXPECT_EQ(h.cpu().rip, fwait_at + 8);
  EXPECT_FALSE(ferr.level());
  EXPECT_FALSE(ignne.level());
  EXPECT_EQ(edges, 1);
}

// FNSAVE (which reinitialises) drops FERR# at once, and the chipset IGNNE#
// with it; FRSTOR of the saved error raises FERR# again at the next waiting
// instruction, a new edge for IRQ 13.
TEST(X87Exceptions, FerrFallsWhenTheStateIsReplaced) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  h.cpu().cr0 &= ~kCr0NE;
  IrqLine ferr, ignne;
  int edges = 0;
  ferr.set_handler([&](bool level) {
    edges += level ? 1 : 0;
    if (!level) ignne.lower();
  });
  h.cpu().ferr = &ferr;
  h.cpu().ignne = &ignne;
  set_cw(h, 0x037b);  // ZE unmasked
  Bytes code = divide_by_zero_prefix();
  const uint64_t fwait_at = h.code_address() + code.size();
  code.insert(code.end(), {0x9b, 0xf4,              // fwait; hlt
                           0xdd, 0x77, 0x40, 0xf4,  // fnsave [rdi+0x40]; hlt
                           0xdd, 0x67, 0x40, 0x9b,  // frstor [rdi+0x40]; fwait
                           0xf4});                  // hlt
  run(h, code);
  EXPECT_EQ(h.cpu().rip, fwait_at);
  EXPECT_EQ(edges, 1);
  ignne.raise();
  EXPECT_TRUE(h.run().halted);
  EXPECT_EQ(h.cpu().rip, fwait_at + 2);
  EXPECT_TRUE(ferr.level());
  // FNSAVE: no waiting instruction needed for FERR# to fall.
  EXPECT_TRUE(h.run().halted);
  EXPECT_EQ(h.cpu().rip, fwait_at + 6);
  EXPECT_FALSE(ferr.level());
  EXPECT_FALSE(ignne.level());
  // FRSTOR brings the error back: FERR# rises again and the FWAIT waits.
  h.run();
  EXPECT_EQ(h.cpu().rip, fwait_at + 9);
  EXPECT_TRUE(ferr.level());
  EXPECT_EQ(edges, 2);
}

TEST(X87Exceptions, FnclexAndFninitClearThePendingException) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  set_cw(h, 0x037b);
  Bytes code = divide_by_zero_prefix();
  code.insert(code.end(), {0xdb, 0xe2, 0x9b, 0xd9, 0xe8, 0xf4});  // fnclex; fwait; fld1
  EXPECT_EQ(run(h, code).exception, -1);
  code = divide_by_zero_prefix();
  code.insert(code.end(), {0xdb, 0xe3, 0x9b, 0xf4});  // fninit; fwait
  EXPECT_EQ(run(h, code).exception, -1);
}

TEST(X87Exceptions, MaskedResponsesNeedNoHandler) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  set_cw(h, 0x037f);
  Bytes code = divide_by_zero_prefix();
  code.insert(code.end(), {0x9b, 0xdd, 0x5f, 0x10, 0xf4});  // fwait; fstp qword [rdi+16]
  EXPECT_EQ(run(h, code).exception, -1);
  uint64_t stored;
  h.read_memory(kData + 16, &stored, 8);
  EXPECT_EQ(stored, 0x7ff0000000000000ull);  // +infinity
}

TEST(X87Exceptions, FnsaveFrstorRoundTrip) {
  CpuHarness h(CpuMode::kLong64);
  long_mode(h);
  // fninit; fldpi; fld1; fldl2e; fnsave [rdi+32]; fld1 (state was reset);
  // frstor [rdi+32]; fstp tword [rdi+160]
  const Bytes code = {0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0xe8, 0xd9, 0xea, 0xdd, 0x77,
                      0x20, 0xd9, 0xe8, 0xdd, 0x67, 0x20, 0xdb, 0x7f, 0x7f, 0xf4};
  // (fstp tword [rdi+127])
  EXPECT_EQ(run(h, code).exception, -1);
  uint8_t image[108];
  h.read_memory(kData + 32, image, sizeof image);
  uint16_t fcw, fsw, ftw;
  std::memcpy(&fcw, image, 2);
  std::memcpy(&fsw, image + 4, 2);
  std::memcpy(&ftw, image + 8, 2);
  EXPECT_EQ(fcw, 0x037f);
  EXPECT_EQ((fsw >> 11) & 7, 5);
  EXPECT_EQ(ftw, 0x03ff);  // ST0-2 (physical 5-7) valid, the rest empty
  uint64_t st0_sig;
  std::memcpy(&st0_sig, image + 28, 8);
  EXPECT_EQ(st0_sig, 0xb8aa3b295c17f0bcull);  // log2(e) rounded to nearest
  uint8_t popped[10];
  h.read_memory(kData + 127, popped, 10);
  EXPECT_EQ(std::memcmp(popped, image + 28, 10), 0);
  EXPECT_EQ(h.cpu().fpu_top, 6u);  // FRSTOR brought back TOP=5, then one pop
}

TEST(X87Exceptions, RealModeEnvironmentLayout) {
  CpuHarness h(CpuMode::kReal16);
  X86Cpu& c = h.cpu();
  c.cr0 |= kCr0NE;
  // In real mode at 0000:8000: fninit; fld1; fld dword [0x9000] (operand at DS:9000);
  // fnstenv [0x9100] (14 bytes); hlt
  const Bytes code = {0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0x06, 0x00, 0x90, 0xd9, 0x36, 0x00, 0x91, 0xf4};
  const float one_half = 0.5f;
  h.write_memory(0x9000, &one_half, 4);
  h.load_code(code);
  c.segs[kSegDS].selector = 0;
  c.segs[kSegDS].base = 0;
  const testing::RunResult r = h.run();
  EXPECT_TRUE(r.halted);
  EXPECT_EQ(r.exception, -1);
  uint16_t env[7];
  h.read_memory(0x9100, env, sizeof env);
  const uint32_t fld_ip = static_cast<uint32_t>(h.code_address()) + 4;  // linear
  EXPECT_EQ(env[3], fld_ip & 0xffff);                                   // IP 15..0
  EXPECT_EQ(env[4], ((fld_ip >> 16) << 12) | 0x106);                    // IP 19..16, FOP D9 06
  EXPECT_EQ(env[5], 0x9000);                                            // DP 15..0
  EXPECT_EQ(env[6], 0);                                                 // DP 19..16
}

long double to_long_double(const Float80& f) {
  const int e = (f.sign_exponent & 0x7fff) - 16383 - 63;
  const long double m = std::ldexp(static_cast<long double>(f.mantissa), e);
  return (f.sign_exponent & 0x8000) ? -m : m;
}

// The portable transcendental path against the host's x87, on operands in
// each instruction's domain: the same stack, tags and IE/ZE/SF flags, and
// results within 2^-60 relative or, near the zeros of sin/cos/tan where the
// hardware's reduction by its internal pi shows, 2^-62 absolute.
TEST(X87Transcendental, PortablePathIsCloseToHost) {
  if (!x87::host_transcendentals_available()) GTEST_SKIP() << "no host x87";
  std::mt19937_64 rng(5);
  const X87Operation ops[] = {kX87Sin,   kX87Cos,   kX87Sincos, kX87Ptan,
                              kX87Patan, kX87F2xm1, kX87Yl2x,   kX87Yl2xp1};
  for (X87Operation op : ops) {
    long double worst = 0;
    for (int n = 0; n < 2000; ++n) {
      CpuState a{};
      fpu_init(a);
      a.mxcsr = kMxcsrDefault;
      for (unsigned i = 0; i < 2; ++i) {  // ST0 (physical 6) and ST1 (physical 7)
        int e = 0x3fff - static_cast<int>(rng() % 40);
        bool negative = rng() & 1;
        if (i == 0 && (op == kX87F2xm1 || op == kX87Yl2xp1))
          e = 0x3ffd - static_cast<int>(rng() % 40);
        if (i == 0 && op == kX87Yl2x) {
          e = 0x3fff + static_cast<int>(rng() % 40) - 20;
          negative = false;
        }
        a.st[6 + i].mantissa = 0x8000000000000000ull | rng();
        a.st[6 + i].sign_exponent = static_cast<uint16_t>(e | (negative ? 0x8000 : 0));
      }
      a.fpu_top = 6;
      a.fpu_tw = 0x0fff;
      CpuState b = a;
      x87::set_transcendental_path(x87::TranscendentalPath::kHost);
      x87::execute_transcendental(a, op);
      x87::set_transcendental_path(x87::TranscendentalPath::kPortable);
      x87::execute_transcendental(b, op);
      ASSERT_EQ(a.fpu_top, b.fpu_top) << "op " << op;
      ASSERT_EQ(a.fpu_tw, b.fpu_tw) << "op " << op;
      ASSERT_EQ(a.fpu_sw & 0x45, b.fpu_sw & 0x45) << "op " << op;  // IE, ZE, SF
      for (unsigned p = 0; p < 8; ++p) {
        const long double x = to_long_double(a.st[p]), y = to_long_double(b.st[p]);
        const long double err = std::fabs(x - y);
        const bool trig = op == kX87Sin || op == kX87Cos || op == kX87Sincos || op == kX87Ptan;
        const long double allowed =
            std::max(std::fabs(x) * std::ldexp(1.0L, -60), trig ? std::ldexp(1.0L, -62) : 0.0L);
        EXPECT_LE(err, allowed) << "op " << op << " reg " << p << " host " << x << " portable "
                                << y;
        if (x != 0) worst = std::max(worst, err / std::fabs(x));
      }
    }
    std::printf("op %u: worst relative difference %Lg\n", op, worst);
  }
  x87::set_transcendental_path(x87::TranscendentalPath::kHost);
}

}  // namespace
}  // namespace vx86::x86
