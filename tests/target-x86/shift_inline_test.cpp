// SHL/SHR/SAR and ROL/ROR are translated to inline IR with lazy flags; this
// checks them against the reference C++ shift (helpers_int.cpp, which the
// translator used before and still uses for RCL/RCR/SHLD/SHRD) for every
// masked count, by 1, imm8 and CL, 8 to 64 bits, register and memory
// destinations, on both TCG backends. Shifts leave AF undefined, so it is
// not compared when the count is not zero.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "target-x86/helpers_int.h"
#include "tcg/compiled_block.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

constexpr uint8_t kHlt = 0xF4;

struct ShiftOp {
  const char* name;
  ShiftKind kind;
  uint8_t modrm_reg;  // the Group 2 /digit
};

constexpr ShiftOp kOps[] = {
    {"rol", kShiftRol, 0}, {"ror", kShiftRor, 1}, {"shl", kShiftShl, 4},
    {"shr", kShiftShr, 5}, {"sar", kShiftSar, 7},
};

enum class Form { kByOne, kImm8, kCl };

uint64_t size_mask(unsigned size) {
  return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

struct Case {
  const ShiftOp* op;
  unsigned size;
  Form form;
  uint8_t count;   // imm8 or CL (unmasked)
  bool memory;     // destination [rbx] instead of rax
  bool add_first;  // an ADD in the same block leaves lazy flags to keep
  uint64_t value;
  uint64_t rsi, rdi;  // ADD operands
  uint32_t flags_in;  // flags at the start of the block
};

std::vector<uint8_t> encode(const Case& c) {
  std::vector<uint8_t> code;
  code.reserve(16);
  if (c.add_first) {
    for (uint8_t byte : {0x48, 0x01, 0xFE}) code.push_back(byte);  // add rsi, rdi
  }
  if (c.size == 2) code.push_back(0x66);
  if (c.size == 8) code.push_back(0x48);
  const uint8_t wide = c.size == 1 ? 0 : 1;
  const uint8_t opcode = c.form == Form::kByOne ? 0xD0 : c.form == Form::kCl ? 0xD2 : 0xC0;
  code.push_back(opcode | wide);
  const uint8_t rm = c.memory ? 0x03 : 0xC0;  // [rbx] or rax
  code.push_back(static_cast<uint8_t>(rm | (c.op->modrm_reg << 3)));
  if (c.form == Form::kImm8) code.push_back(c.count);
  code.push_back(kHlt);
  return code;
}

// Runs one case and returns a description of any difference from the reference.
std::string check(CpuHarness& h, const Case& c) {
  const uint64_t old_value = c.value;
  h.enter_mode();
  h.set_arith_flags(c.flags_in);
  h.reg(kRAX) = c.memory ? 0 : old_value;
  h.reg(kRBX) = CpuHarness::kData;
  h.reg(kRCX) = 0x5a5a5a00u | c.count;
  h.reg(kRSI) = c.rsi;
  h.reg(kRDI) = c.rdi;
  if (c.memory) h.write_memory(CpuHarness::kData, &old_value, sizeof(old_value));
  h.load_code(encode(c));
  const RunResult run = h.run();

  uint32_t flags_in = c.flags_in;
  if (c.add_first) flags_in = compute_cc_flags(kCcOpAddQ, c.rdi, c.rsi + c.rdi, 0);
  const uint8_t count = c.form == Form::kByOne ? 1 : c.count;
  const uint32_t kind_size = pack_kind(c.op->kind, c.size);
  const uint64_t mask = size_mask(c.size);
  const uint64_t result = shift_result(kind_size, old_value & mask, 0, count, flags_in);
  const uint32_t flags = shift_flags(kind_size, old_value & mask, 0, count, flags_in);
  uint64_t expected = (old_value & ~mask) | (result & mask);
  if (c.size == 4 && !c.memory) expected = result & mask;  // 32-bit registers zero-extend
  const unsigned masked_count = count & (c.size == 8 ? 0x3f : 0x1f);
  const bool rotate = c.op->kind == kShiftRol || c.op->kind == kShiftRor;
  const uint32_t compared = kFlagsArith & (masked_count != 0 && !rotate ? ~kFlagAF : ~0u);

  uint64_t got = h.reg(kRAX);
  if (c.memory) h.read_memory(CpuHarness::kData, &got, sizeof(got));
  const uint32_t got_flags = h.arith_flags();
  if (run.halted && run.exception == -1 && got == expected &&
      (got_flags & compared) == (flags & compared)) {
    return {};
  }
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "%s size %u form %d count %u %s%s value %016" PRIx64
                " flags_in %03x: got %016" PRIx64 " flags %03x, want %016" PRIx64
                " flags %03x (compared %03x) exception %d",
                c.op->name, c.size, static_cast<int>(c.form), count, c.memory ? "[mem] " : "",
                c.add_first ? "after add " : "", old_value, flags_in, got, got_flags, expected,
                flags, compared, run.exception);
  return buf;
}

void run_all(tcg::Backend backend) {
  CpuHarness h(CpuMode::kLong64);
  h.cpu().tcg_backend = backend;
  const uint64_t values[] = {0x8000000000000001ull,
                             0x7fffffffffffffffull,
                             0xfedcba9876543210ull,
                             0x0123456789abcdefull,
                             0,
                             ~0ull};
  std::vector<uint8_t> counts;
  for (unsigned n = 0; n < 64; ++n) counts.push_back(static_cast<uint8_t>(n));
  for (uint8_t n : {0x40, 0x41, 0x60, 0x80, 0x9f, 0xff}) counts.push_back(n);
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  unsigned failures = 0, cases = 0;
  for (const ShiftOp& op : kOps) {
    for (unsigned size : {1u, 2u, 4u, 8u}) {
      for (Form form : {Form::kByOne, Form::kImm8, Form::kCl}) {
        for (uint8_t count : counts) {
          if (form == Form::kByOne && count != 1) continue;
          for (unsigned v = 0; v < 4; ++v) {
            Case c{};
            c.op = &op;
            c.size = size;
            c.form = form;
            c.count = count;
            c.value = v < 2 ? values[(count + v) % 6] : next();
            c.memory = (v & 1) != 0;
            c.add_first = v >= 2;
            c.rsi = next();
            c.rdi = v == 3 ? ~c.rsi : next();  // v == 3: the ADD sets ZF
            c.flags_in = static_cast<uint32_t>(next()) & kFlagsArith;
            ++cases;
            std::string diff = check(h, c);
            if (!diff.empty() && failures++ < 10) ADD_FAILURE() << diff;
          }
        }
      }
    }
  }
  std::printf("inline shifts: %u cases, %u mismatches\n", cases, failures);
  EXPECT_EQ(failures, 0u);
}

TEST(InlineShifts, MatchReferenceUnderInterpreter) {
  run_all(tcg::Backend::kInterpreter);
}

TEST(InlineShifts, MatchReferenceUnderJit) {
  if (!tcg::jit_available()) GTEST_SKIP() << "no JIT on this host (x86-64 only)";
  run_all(tcg::Backend::kJit);
}

}  // namespace
}  // namespace vx86::x86::testing
