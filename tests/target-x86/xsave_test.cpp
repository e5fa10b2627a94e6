// XSAVE, XSAVEOPT, XRSTOR, XGETBV, XSETBV and the CPUID that describes them.
// The round trip runs natively too: XRSTOR of a random area with a random
// instruction mask, then XSAVE, on the host and in vx86; the saved x87 and
// SSE state must agree. The rest are the SDM's fault and header rules.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "target-x86/cpuid.h"
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/xsave.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86 {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::CpuHarness;
using testing::CpuMode;

constexpr uint64_t kArea = CpuHarness::kData;          // 64-byte aligned
constexpr uint64_t kOut = CpuHarness::kData + 0x1000;  // second area

// Long mode with CR4.OSFXSR/OSXMMEXCPT/OSXSAVE and XCR0 = x87|SSE.
class XsaveCpu {
 public:
  XsaveCpu() : h_(CpuMode::kLong64) {
    X86Cpu& c = h_.cpu();
    c.cr4 |= kCr4Osfxsr | kCr4Osxmmexcpt | kCr4Osxsave;
    c.cr0 |= kCr0MP | kCr0NE;
    c.xcr0 = kXcr0Supported;
  }
  X86Cpu& cpu() { return h_.cpu(); }
  CpuHarness& harness() { return h_; }

  // Runs code (HLT appended) with EDX:EAX = mask, RSI = kArea, RDI = kOut.
  int run(Bytes code, uint64_t mask = 3, uint64_t rcx = 0) {
    code.push_back(0xf4);
    h_.load_code(code);
    X86Cpu& c = h_.cpu();
    c.regs[kRAX] = mask & 0xffffffff;
    c.regs[kRDX] = mask >> 32;
    c.regs[kRCX] = rcx;
    c.regs[kRSI] = kArea;
    c.regs[kRDI] = kOut;
    testing::RunResult r = h_.run();
    EXPECT_TRUE(r.halted);
    return r.exception;
  }

 private:
  CpuHarness h_;
};

const Bytes kXsave = {0x0f, 0xae, 0x26};          // xsave [rsi]
const Bytes kXsaveopt = {0x0f, 0xae, 0x36};       // xsaveopt [rsi]
const Bytes kXrstor = {0x0f, 0xae, 0x2e};         // xrstor [rsi]
const Bytes kXsaveToOut = {0x0f, 0xae, 0x27};     // xsave [rdi]
const Bytes kXsaveoptToOut = {0x0f, 0xae, 0x37};  // xsaveopt [rdi]
const Bytes kXgetbv = {0x0f, 0x01, 0xd0};
const Bytes kXsetbv = {0x0f, 0x01, 0xd1};

Bytes rex_w(Bytes code) {
  code.insert(code.begin(), 0x48);
  return code;
}

uint64_t header_bv(const uint8_t* area) {
  uint64_t v;
  std::memcpy(&v, area + 512, 8);
  return v;
}

// On the host: save the whole state, XRSTOR `init` (both components to
// their initial state), XRSTOR `in` with mask1, XSAVE(OPT) with mask2 into
// `out`, restore the state.
void host_round_trip(const uint8_t* init, const uint8_t* in, uint8_t* out, uint64_t mask1,
                     uint64_t mask2, bool w, bool opt) {
  alignas(64) static uint8_t saved[16384];
  std::memset(saved, 0, sizeof(saved));
  const uint32_t lo1 = static_cast<uint32_t>(mask1), lo2 = static_cast<uint32_t>(mask2);
#define VX86_ROUND_TRIP(rstor, save)                                                               \
  asm volatile(                                                                                    \
      "mov $-1, %%eax\n\tmov $-1, %%edx\n\txsave64 %[saved]\n\t"                                   \
      "mov $3, %%eax\n\txor %%edx, %%edx\n\txrstor64 %[init]\n\t"                                  \
      "mov %[lo1], %%eax\n\t" rstor                                                                \
      " %[in]\n\t"                                                                                 \
      "mov %[lo2], %%eax\n\t" save                                                                 \
      " %[out]\n\t"                                                                                \
      "mov $-1, %%eax\n\tmov $-1, %%edx\n\txrstor64 %[saved]"                                      \
      : [saved] "+m"(*reinterpret_cast<uint8_t(*)[16384]>(saved)), [out] "+m"(                     \
                                                                       *reinterpret_cast<          \
                                                                           uint8_t(*)[576]>(out))  \
      : [in] "m"(*reinterpret_cast<const uint8_t(*)[576]>(in)),                                    \
        [init] "m"(*reinterpret_cast<const uint8_t(*)[576]>(init)), [lo1] "r"(lo1), [lo2] "r"(lo2) \
      : "eax", "edx", "memory")
  if (w && opt) {
    VX86_ROUND_TRIP("xrstor64", "xsaveopt64");
  } else if (w) {
    VX86_ROUND_TRIP("xrstor64", "xsave64");
  } else if (opt) {
    VX86_ROUND_TRIP("xrstor", "xsaveopt");
  } else {
    VX86_ROUND_TRIP("xrstor", "xsave");
  }
#undef VX86_ROUND_TRIP
}

// A random XSAVE area with a valid header and MXCSR.
void random_area(std::mt19937_64& rng, uint8_t* area) {
  for (int i = 0; i < 512; ++i) area[i] = static_cast<uint8_t>(rng());
  std::memset(area + 512, 0, 64);
  area[512] = static_cast<uint8_t>(rng() % 4);  // XSTATE_BV
  const uint32_t mxcsr = static_cast<uint32_t>(rng()) & 0xffff;
  std::memcpy(area + 24, &mxcsr, 4);
  for (int i = 0; i < 8; ++i) {  // some registers zero
    if (rng() % 4 == 0) std::memset(area + 32 + 16 * i, 0, 10);
  }
}

TEST(XsaveDifferential, RestoreThenSaveMatchesHost) {
  if (!__builtin_cpu_supports("xsave")) GTEST_SKIP() << "host has no XSAVE";
  XsaveCpu vm;
  std::mt19937_64 rng(21);
  alignas(64) uint8_t in[576], host_out[576];
  for (int iter = 0; iter < 400; ++iter) {
    const bool w = iter & 1, opt = (iter >> 1) & 1;
    const uint64_t mask1 = rng() % 4, mask2 = 1 + rng() % 3;
    random_area(rng, in);
    std::memset(host_out, 0xcc, 512);
    std::memset(host_out + 512, 0, 64);
    // Both start from the initial state of x87 and SSE (XSTATE_BV = 0).
    alignas(64) uint8_t init[576] = {};
    const uint32_t init_mxcsr = kMxcsrDefault;
    std::memcpy(init + 24, &init_mxcsr, 4);
    host_round_trip(init, in, host_out, mask1, mask2, w, opt);

    X86Cpu& c = vm.cpu();
    std::memcpy(vm.harness().ram() + kArea, init, 576);
    ASSERT_EQ(vm.run(kXrstor, 3), -1);
    std::memcpy(vm.harness().ram() + kArea, in, 576);
    std::memset(vm.harness().ram() + kOut, 0xcc, 512);
    std::memset(vm.harness().ram() + kOut + 512, 0, 64);
    Bytes code = w ? rex_w(kXrstor) : kXrstor;
    ASSERT_EQ(vm.run(code, mask1), -1) << iter;
    code = opt ? kXsaveoptToOut : kXsaveToOut;
    ASSERT_EQ(vm.run(w ? rex_w(code) : code, mask2), -1) << iter;
    const uint8_t* mine = vm.harness().ram() + kOut;
    // FCW FSW FTW, MXCSR, ST0-7, XMM0-15 (the x87 pointers differ between
    // vendors; MXCSR_MASK is the host's own). Unwritten bytes stay 0xcc.
    const auto check = [&](int offset, int size, const char* what) {
      EXPECT_EQ(std::memcmp(mine + offset, host_out + offset, size), 0)
          << what << " iteration " << iter << " mask1 " << mask1 << " mask2 " << mask2
          << " xstate_bv " << int{in[512]} << (opt ? " xsaveopt" : " xsave");
    };
    if (!opt) {  // XSAVEOPT may skip components in their initial state
      check(0, 5, "fcw/fsw/ftw");
      for (int i = 0; i < 8; ++i) check(32 + 16 * i, 10, "st");
      check(160, 256, "xmm");
    }
    check(24, 4, "mxcsr");
    // XSTATE_BV: a component restored from memory is in use on both.
    const uint64_t loaded = mask1 & in[512] & mask2;
    EXPECT_EQ(header_bv(mine) & loaded, header_bv(host_out) & loaded) << iter;
    EXPECT_EQ(header_bv(mine) & ~3ull, 0u);
    (void)c;
  }
}

TEST(Xsave, LayoutAndHeader) {
  XsaveCpu vm;
  X86Cpu& c = vm.cpu();
  uint8_t* area = vm.harness().ram() + kArea;
  c.xmm[3] = XmmReg{{0x1111222233334444, 0x5555666677778888}};
  c.xmm[15] = XmmReg{{0xabcdef, 0x123}};
  c.fpu_cw = 0x027f;
  c.mxcsr = 0x3f80;
  std::memset(area, 0xcc, 576);
  std::memset(area + 512, 0, 64);
  area[512] = 0x80;  // a bit outside RFBM survives
  ASSERT_EQ(vm.run(kXsave, 3), -1);
  uint16_t fcw;
  uint32_t mxcsr;
  std::memcpy(&fcw, area, 2);
  std::memcpy(&mxcsr, area + 24, 4);
  EXPECT_EQ(fcw, 0x027f);
  EXPECT_EQ(mxcsr, 0x3f80u);
  EXPECT_EQ(std::memcmp(area + 160 + 3 * 16, c.xmm[3].q, 16), 0);
  EXPECT_EQ(std::memcmp(area + 160 + 15 * 16, c.xmm[15].q, 16), 0);
  EXPECT_EQ(header_bv(area), 0x83u);  // x87 (FCW not 037F) and SSE in use
  EXPECT_EQ(area[416], 0xcc);         // bytes 416..511 untouched
  EXPECT_EQ(area[520], 0);

  // RFBM = x87 only: the XMM area and MXCSR are not written; XSTATE_BV[1]
  // keeps its memory value.
  std::memset(area, 0xcc, 512);
  std::memset(area + 512, 0, 64);
  area[512] = 0x02;
  c.fpu_cw = 0x037f;
  ASSERT_EQ(vm.run(kXsave, 1), -1);
  EXPECT_EQ(area[160], 0xcc);
  EXPECT_EQ(area[24], 0xcc);
  EXPECT_EQ(header_bv(area), 0x03u);  // x87 in use (tags from reset), SSE bit kept

  // XCR0 = x87: the SSE request is dropped from RFBM.
  c.xcr0 = kXcr0X87;
  std::memset(area, 0xcc, 576);
  std::memset(area + 512, 0, 64);
  ASSERT_EQ(vm.run(kXsave, 3), -1);
  EXPECT_EQ(area[160], 0xcc);
  EXPECT_EQ(header_bv(area) & 2, 0u);
  c.xcr0 = kXcr0Supported;
}

TEST(Xsave, RestoreInitializesComponentsNotInXstateBv) {
  XsaveCpu vm;
  X86Cpu& c = vm.cpu();
  uint8_t* area = vm.harness().ram() + kArea;
  std::memset(area, 0x5a, 512);
  std::memset(area + 512, 0, 64);
  const uint32_t mxcsr = 0x1fa0;
  std::memcpy(area + 24, &mxcsr, 4);
  for (auto& x : c.xmm) x = XmmReg{{1, 2}};
  c.fpu_cw = 0x0040;
  c.st[2].mantissa = 77;
  // XSTATE_BV = 0, RFBM = 3: both components initialized, MXCSR loaded.
  ASSERT_EQ(vm.run(kXrstor, 3), -1);
  EXPECT_EQ(c.fpu_cw, 0x037f);
  EXPECT_EQ(c.fpu_tw, 0xffff);
  EXPECT_EQ(c.st[2].mantissa, 0u);
  for (auto& x : c.xmm) EXPECT_EQ(x.q[0] | x.q[1], 0u);
  EXPECT_EQ(c.mxcsr, mxcsr);
  // XSAVEOPT now writes neither component (both initial) but does write
  // MXCSR, and clears their XSTATE_BV bits.
  std::memset(area, 0xcc, 512);
  area[512] = 3;
  ASSERT_EQ(vm.run(kXsaveopt, 3), -1);
  EXPECT_EQ(area[0], 0xcc);
  EXPECT_EQ(area[160], 0xcc);
  EXPECT_EQ(std::memcmp(area + 24, &mxcsr, 4), 0);
  EXPECT_EQ(header_bv(area), 0u);
  // XSTATE_BV = SSE, RFBM = SSE: XMM loaded, x87 untouched.
  std::memset(area + 160, 0x11, 256);
  c.fpu_cw = 0x0123;
  area[512] = 2;
  ASSERT_EQ(vm.run(kXrstor, 2), -1);
  EXPECT_EQ(c.xmm[9].q[1], 0x1111111111111111u);
  EXPECT_EQ(c.fpu_cw, 0x0123);
}

TEST(Xsave, FaultRules) {
  XsaveCpu vm;
  X86Cpu& c = vm.cpu();
  uint8_t* area = vm.harness().ram() + kArea;
  std::memset(area, 0, 576);
  // Misaligned (16 but not 64): #GP(0).
  EXPECT_EQ(vm.run({0x0f, 0xae, 0x66, 0x10}), kExcGP);  // xsave [rsi+16]
  EXPECT_EQ(vm.run({0x0f, 0xae, 0x6e, 0x20}), kExcGP);  // xrstor [rsi+32]
  // Header: XSTATE_BV outside XCR0, XCOMP_BV set, bytes 16..23 set.
  c.xcr0 = kXcr0X87;
  area[512] = 2;
  EXPECT_EQ(vm.run(kXrstor, 1), kExcGP);
  c.xcr0 = kXcr0Supported;
  EXPECT_EQ(vm.run(kXrstor, 1), -1);
  area[512 + 15] = 0x80;  // XCOMP_BV[63]: compacted form, not supported
  EXPECT_EQ(vm.run(kXrstor, 1), kExcGP);
  area[512 + 15] = 0;
  area[512 + 20] = 1;
  EXPECT_EQ(vm.run(kXrstor, 1), kExcGP);
  area[512 + 20] = 0;
  area[512 + 40] = 1;  // bytes 63:24 are not checked
  EXPECT_EQ(vm.run(kXrstor, 1), -1);
  // MXCSR reserved bits: #GP when SSE is requested, ignored otherwise.
  const uint32_t bad = 0x10000 | kMxcsrDefault;
  std::memcpy(area + 24, &bad, 4);
  c.mxcsr = kMxcsrDefault;
  EXPECT_EQ(vm.run(kXrstor, 2), kExcGP);
  EXPECT_EQ(vm.run(kXrstor, 1), -1);
  EXPECT_EQ(c.mxcsr, kMxcsrDefault);
  // CR0.TS: #NM. CR4.OSXSAVE clear: #UD for all five.
  c.cr0 |= kCr0TS;
  EXPECT_EQ(vm.run(kXsave), kExcNM);
  c.cr0 &= ~kCr0TS;
  c.cr4 &= ~kCr4Osxsave;
  EXPECT_EQ(vm.run(kXsave), kExcUD);
  EXPECT_EQ(vm.run(kXrstor), kExcUD);
  EXPECT_EQ(vm.run(kXsaveopt), kExcUD);
  EXPECT_EQ(vm.run(kXgetbv), kExcUD);
  EXPECT_EQ(vm.run(kXsetbv, 3), kExcUD);
  c.cr4 |= kCr4Osxsave;
  // LOCK: #UD.
  EXPECT_EQ(vm.run({0xf0, 0x0f, 0xae, 0x26}), kExcUD);
}

TEST(Xsave, XgetbvXsetbv) {
  XsaveCpu vm;
  X86Cpu& c = vm.cpu();
  EXPECT_EQ(vm.run(kXgetbv), -1);
  EXPECT_EQ(c.regs[kRAX], 3u);
  EXPECT_EQ(c.regs[kRDX], 0u);
  EXPECT_EQ(vm.run(kXgetbv, 0, 1), kExcGP);  // XCR1 needs XGETBV1 (not advertised)
  EXPECT_EQ(vm.run(kXsetbv, 1), -1);
  EXPECT_EQ(c.xcr0, 1u);
  EXPECT_EQ(vm.run(kXsetbv, 0), kExcGP);               // x87 bit clear
  EXPECT_EQ(vm.run(kXsetbv, 7), kExcGP);               // AVX not supported
  EXPECT_EQ(vm.run(kXsetbv, 3ull << 32 | 3), kExcGP);  // high bits
  EXPECT_EQ(vm.run(kXsetbv, 3, 1), kExcGP);            // XCR1
  EXPECT_EQ(c.xcr0, 1u);
  EXPECT_EQ(vm.run(kXsetbv, 3), -1);
  EXPECT_EQ(c.xcr0, 3u);
}

TEST(Xsave, CpuidDescribesTheArea) {
  XsaveCpu vm;
  X86Cpu& c = vm.cpu();
  const Bytes cpuid = {0x0f, 0xa2};
  c.regs[kRCX] = 0;
  ASSERT_EQ(vm.run({0xb8, 0x01, 0, 0, 0, 0x0f, 0xa2}), -1);  // mov eax, 1; cpuid
  const uint32_t ecx = static_cast<uint32_t>(c.regs[kRCX]);
  EXPECT_TRUE(ecx & kCpuid1EcxXsave);
  EXPECT_TRUE(ecx & kCpuid1EcxOsxsave);
  EXPECT_EQ(ecx & (1u << 28), 0u);  // AVX
  for (unsigned bit : {0u, 9u, 19u, 20u, 23u}) EXPECT_TRUE(ecx & (1u << bit)) << bit;
  c.cr4 &= ~kCr4Osxsave;
  ASSERT_EQ(vm.run({0xb8, 0x01, 0, 0, 0, 0x0f, 0xa2}), -1);
  EXPECT_FALSE(c.regs[kRCX] & kCpuid1EcxOsxsave);
  // Leaf 0xD: sub-leaf 0 (supported XCR0 bits, sizes), sub-leaf 1 (XSAVEOPT).
  ASSERT_EQ(vm.run({0xb8, 0x0d, 0, 0, 0, 0x0f, 0xa2}, 0, 0), -1);
  EXPECT_EQ(c.regs[kRAX], 3u);
  EXPECT_EQ(c.regs[kRBX], 576u);
  EXPECT_EQ(c.regs[kRCX], 576u);
  EXPECT_EQ(c.regs[kRDX], 0u);
  ASSERT_EQ(vm.run({0xb8, 0x0d, 0, 0, 0, 0x0f, 0xa2}, 0, 1), -1);
  EXPECT_EQ(c.regs[kRAX], 1u);
  ASSERT_EQ(vm.run({0xb8, 0x0d, 0, 0, 0, 0x0f, 0xa2}, 0, 2), -1);
  EXPECT_EQ(c.regs[kRAX] | c.regs[kRBX] | c.regs[kRCX] | c.regs[kRDX], 0u);
  (void)cpuid;
}

}  // namespace
}  // namespace vx86::x86
