// 128-bit loads and stores (MOVDQU) through the soft MMU under both backends:
// the JIT's inline TLB path, accesses that cross a 4 KiB page (the slow
// path), a non-canonical address (#GP) and a store over translated code.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "target-x86/fpu_state.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

void mov_imm64(std::vector<uint8_t>* code, uint8_t rex_reg_opcode, uint64_t value) {
  code->insert(code->end(), {0x48, rex_reg_opcode});
  for (int i = 0; i < 8; ++i) code->push_back(static_cast<uint8_t>(value >> (8 * i)));
}

std::vector<uint8_t> pattern(uint8_t first) {
  std::vector<uint8_t> bytes(16);
  for (unsigned i = 0; i < 16; ++i) bytes[i] = static_cast<uint8_t>(first + i);
  return bytes;
}

class SseMemory : public ::testing::TestWithParam<tcg::Backend> {};

// A long-mode CPU with SSE enabled (CR4.OSFXSR) on the backend under test.
void set_up(CpuHarness& h) {
  h.cpu().tcg_backend = SseMemory::GetParam();
  h.cpu().cr4 |= kCr4Osfxsr;
}

TEST_P(SseMemory, AlignedAndPageCrossingLoadsAndStores) {
  CpuHarness h(CpuMode::kLong64);
  set_up(h);
  const uint64_t cross_src = CpuHarness::kData + 0xff8;   // 8 bytes on each page
  const uint64_t cross_dst = CpuHarness::kData + 0x1ff4;  // 12 + 4
  const uint64_t inside = CpuHarness::kData + 0x3000;
  h.write_memory(cross_src, pattern(0x10).data(), 16);
  h.write_memory(inside, pattern(0x80).data(), 16);
  h.write_memory(inside + 0x100, pattern(0xc0).data(), 16);
  std::vector<uint8_t> code;
  mov_imm64(&code, 0xB8, cross_src);                        // mov rax, cross_src
  code.insert(code.end(), {0xF3, 0x0F, 0x6F, 0x00});        // movdqu xmm0, [rax]
  mov_imm64(&code, 0xBB, cross_dst);                        // mov rbx, cross_dst
  code.insert(code.end(), {0xF3, 0x0F, 0x7F, 0x03});        // movdqu [rbx], xmm0
  mov_imm64(&code, 0xB9, inside);                           // mov rcx, inside
  code.insert(code.end(), {0xF3, 0x0F, 0x6F, 0x09});        // movdqu xmm1, [rcx]
  code.insert(code.end(), {0xF3, 0x0F, 0x7F, 0x49, 0x10});  // movdqu [rcx+0x10], xmm1
  code.insert(code.end(), {0xF3, 0x0F, 0x6F, 0x91, 0x00, 0x01, 0x00, 0x00});  // xmm2, [rcx+0x100]
  code.insert(code.end(), {0xF3, 0x0F, 0x7F, 0x51, 0x20});  // movdqu [rcx+0x20], xmm2
  code.push_back(0xF4);                                     // hlt
  h.load_code(code);
  const RunResult result = h.run();
  ASSERT_TRUE(result.halted);
  ASSERT_EQ(result.exception, -1);
  uint8_t out[16];
  h.read_memory(cross_dst, out, 16);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 16), pattern(0x10)) << "page-crossing load and store";
  h.read_memory(inside + 0x10, out, 16);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 16), pattern(0x80));
  h.read_memory(inside + 0x20, out, 16);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 16), pattern(0xc0));
}

TEST_P(SseMemory, NonCanonicalAddressRaisesGeneralProtection) {
  CpuHarness h(CpuMode::kLong64);
  set_up(h);
  std::vector<uint8_t> code;
  mov_imm64(&code, 0xB8, CpuHarness::kData);          // mov rax, kData (fills the TLB)
  code.insert(code.end(), {0xF3, 0x0F, 0x6F, 0x00});  // movdqu xmm0, [rax]
  mov_imm64(&code, 0xB8, 0x8000000000000000ull);      // mov rax, non-canonical
  code.insert(code.end(), {0xF3, 0x0F, 0x7F, 0x00});  // movdqu [rax], xmm0
  code.push_back(0xF4);
  h.load_code(code);
  const RunResult result = h.run();
  ASSERT_TRUE(result.halted);
  EXPECT_EQ(result.exception, 13);
}

TEST_P(SseMemory, StoreOverTranslatedCodeIsSeenByTheNextCall) {
  CpuHarness h(CpuMode::kLong64);
  set_up(h);
  constexpr std::size_t kF = 0x80;  // F: mov eax, 1 / ret, rewritten to mov eax, 2 / ret
  std::vector<uint8_t> replacement = {0xB8, 0x02, 0x00, 0x00, 0x00, 0xC3};
  replacement.resize(16, 0x90);
  h.write_memory(CpuHarness::kData, replacement.data(), replacement.size());
  std::vector<uint8_t> code;
  auto call_f = [&] {
    const int32_t rel = static_cast<int32_t>(kF - (code.size() + 5));
    code.push_back(0xE8);
    for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(rel >> (8 * i)));
  };
  call_f();
  code.insert(code.end(), {0x41, 0x89, 0xC0});        // mov r8d, eax
  mov_imm64(&code, 0xB8, CpuHarness::kData);          // mov rax, kData
  code.insert(code.end(), {0xF3, 0x0F, 0x6F, 0x00});  // movdqu xmm0, [rax]
  mov_imm64(&code, 0xBB, h.code_address() + kF);      // mov rbx, F
  code.insert(code.end(), {0xF3, 0x0F, 0x7F, 0x03});  // movdqu [rbx], xmm0
  call_f();
  code.push_back(0xF4);
  ASSERT_LE(code.size(), kF);
  code.resize(kF, 0x90);
  code.insert(code.end(), {0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3});
  h.load_code(code);
  const RunResult result = h.run();
  ASSERT_TRUE(result.halted);
  ASSERT_EQ(result.exception, -1);
  EXPECT_EQ(h.reg(8), 1u) << "F before the store";
  EXPECT_EQ(h.reg(kRAX), 2u) << "F after the store";
}

INSTANTIATE_TEST_SUITE_P(Backends, SseMemory,
                         ::testing::Values(tcg::Backend::kInterpreter, tcg::Backend::kJit),
                         [](const auto& info) {
                           return info.param == tcg::Backend::kJit ? "Jit" : "Interpreter";
                         });

}  // namespace
}  // namespace vx86::x86::testing
