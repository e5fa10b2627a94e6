// A block that starts with an instruction needing CF from an unknown
// flags state (INC keeps CF) is translated with a guess of the flags
// operation taken from the CPU at translation time, checked at run time: the
// same block called after different operations must still see each one's CF.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

// Appends `call F` at the end of code, F being at code offset kF.
constexpr std::size_t kF = 0x40;
void call_f(std::vector<uint8_t>* code) {
  const int32_t rel = static_cast<int32_t>(kF - (code->size() + 5));
  code->push_back(0xE8);
  uint8_t bytes[4];
  std::memcpy(bytes, &rel, 4);
  code->insert(code->end(), bytes, bytes + 4);
}

void run_case(tcg::Backend backend) {
  CpuHarness h(CpuMode::kLong64);
  h.cpu().tcg_backend = backend;
  std::vector<uint8_t> code = {0x31, 0xC0,                    // xor eax, eax
                               0xBB, 0x05, 0x00, 0x00, 0x00,  // mov ebx, 5
                               0x83, 0xFB, 0x07};             // cmp ebx, 7: CF=1
  call_f(&code);
  code.insert(code.end(), {0x41, 0x88, 0xC8, 0x01, 0xDB});  // mov r8b, cl / add ebx, ebx: CF=0
  call_f(&code);
  code.insert(code.end(), {0x41, 0x88, 0xC9, 0xF9});  // mov r9b, cl / stc
  call_f(&code);
  code.insert(code.end(),
              {0x41, 0x88, 0xCA, 0x83, 0xC3, 0xFF});  // mov r10b, cl / add ebx, -1: CF=1
  call_f(&code);
  code.insert(code.end(), {0x41, 0x88, 0xCB, 0x83, 0xFB, 0x02});  // mov r11b, cl / cmp ebx, 2: CF=0
  call_f(&code);
  code.insert(code.end(), {0x41, 0x88, 0xCC, 0xF4});  // mov r12b, cl / hlt
  ASSERT_LE(code.size(), kF);
  code.resize(kF, 0x90);
  code.insert(code.end(), {0xFF, 0xC0, 0x0F, 0x92, 0xC1, 0xC3});  // F: inc eax / setc cl / ret
  h.load_code(code);
  for (unsigned r = 8; r <= 12; ++r) h.reg(r) = 0xee;
  const RunResult result = h.run();
  ASSERT_TRUE(result.halted);
  ASSERT_EQ(result.exception, -1);
  EXPECT_EQ(h.reg(kRAX), 5u);
  EXPECT_EQ(h.reg(8) & 0xff, 1u) << "after CMP (the guess)";
  EXPECT_EQ(h.reg(9) & 0xff, 0u) << "after ADD";
  EXPECT_EQ(h.reg(10) & 0xff, 1u) << "after STC";
  EXPECT_EQ(h.reg(11) & 0xff, 1u) << "after ADD with a carry";
  EXPECT_EQ(h.reg(12) & 0xff, 0u) << "after CMP without a borrow";
}

TEST(FlagsGuess, IncKeepsEachCallersCarryInterpreter) {
  run_case(tcg::Backend::kInterpreter);
}

TEST(FlagsGuess, IncKeepsEachCallersCarryJit) {
  run_case(tcg::Backend::kJit);
}

}  // namespace
}  // namespace vx86::x86::testing
