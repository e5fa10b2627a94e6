// RDRAND and RDSEED: values from the host's entropy, CF=1 and the other
// arithmetic flags cleared, operand sizes 16/32/64, and the CPUID bits that
// advertise them.
#include <gtest/gtest.h>

#include <set>

#include "target-x86/cpuid.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

struct Form {
  const char* name;
  std::vector<uint8_t> code;  // writes RAX
  unsigned size;
};

const Form kForms[] = {
    {"rdrand rax", {0x48, 0x0f, 0xc7, 0xf0}, 8}, {"rdrand eax", {0x0f, 0xc7, 0xf0}, 4},
    {"rdrand ax", {0x66, 0x0f, 0xc7, 0xf0}, 2},  {"rdseed rax", {0x48, 0x0f, 0xc7, 0xf8}, 8},
    {"rdseed eax", {0x0f, 0xc7, 0xf8}, 4},       {"rdseed ax", {0x66, 0x0f, 0xc7, 0xf8}, 2},
};

TEST(Rdrand, SetsCarryAndReturnsFreshValues) {
  CpuHarness h(CpuMode::kLong64);
  for (const Form& form : kForms) {
    SCOPED_TRACE(form.name);
    std::set<uint64_t> seen;
    for (int i = 0; i < 8; ++i) {
      std::vector<uint8_t> code = form.code;
      code.push_back(0xf4);
      h.load_code(code);
      const uint64_t before = 0x1122334455667788ull;
      h.reg(kRAX) = before;
      h.set_arith_flags(kFlagsArith);  // every flag set: all but CF must clear
      RunResult r = h.run();
      ASSERT_TRUE(r.halted);
      ASSERT_EQ(r.exception, -1);
      EXPECT_EQ(h.arith_flags(), kFlagCF);
      const uint64_t v = h.reg(kRAX);
      if (form.size == 4) {
        EXPECT_EQ(v >> 32, 0u);  // 32-bit writes zero the top half
      } else if (form.size == 2) {
        EXPECT_EQ(v >> 16, before >> 16);
      }
      seen.insert(v);
    }
    // Eight draws of 16 bits or more from a working source are not all equal.
    EXPECT_GT(seen.size(), 1u);
  }
}

TEST(Rdrand, MemoryOperandIsUndefined) {
  CpuHarness h(CpuMode::kLong64);
  h.load_code({0x0f, 0xc7, 0x30, 0xf4});  // 0F C7 /6 with a memory operand
  RunResult r = h.run();
  EXPECT_TRUE(r.halted);
  EXPECT_EQ(r.exception, 6);
}

TEST(Rdrand, WorksInRealAndProtectedMode) {
  for (CpuMode mode : {CpuMode::kReal16, CpuMode::kProtected32}) {
    CpuHarness h(mode);
    h.load_code({0x0f, 0xc7, 0xf0, 0xf4});  // rdrand (e)ax
    RunResult r = h.run();
    EXPECT_TRUE(r.halted);
    EXPECT_EQ(r.exception, -1);
    EXPECT_EQ(h.arith_flags(), kFlagCF);
  }
}

TEST(Rdrand, AdvertisedInCpuid) {
  CpuModel model;
  EXPECT_TRUE(cpuid(model, 1, 0, 0, {}).ecx & (1u << 30));  // RDRAND
  EXPECT_TRUE(cpuid(model, 7, 0, 0, {}).ebx & (1u << 18));  // RDSEED
}

}  // namespace
}  // namespace vx86::x86::testing
