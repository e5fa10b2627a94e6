// Differential test of decoded operands against capstone 4 (detail mode):
// the ModRM/SIB memory operand (base, index, scale, displacement, RIP) and
// general-register operands, on generated instructions in all three modes.
// Lengths are covered by decoder_capstone_test.cpp; here only instructions
// both sides decode with the same length are compared.
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "target-x86/cpu_state.h"
#include "target-x86/decoder.h"

namespace vx86::x86 {
namespace {

struct RegInfo {
  int number = -1;  // GPR number, kRegRip, or -1
  int size = 0;     // bytes
  bool high_byte = false;
};

// Maps capstone's register names to GPR numbers and sizes.
RegInfo reg_info(csh handle, unsigned reg) {
  RegInfo info;
  if (reg == X86_REG_INVALID) return info;
  const std::string name = cs_reg_name(handle, reg);
  static const char* const k64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"};
  static const char* const k32[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  static const char* const k16[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
  static const char* const k8[] = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};
  static const char* const k8h[] = {"ah", "ch", "dh", "bh"};
  for (int i = 0; i < 8; ++i) {
    if (name == k64[i]) return {i, 8};
    if (name == k32[i]) return {i, 4};
    if (name == k16[i]) return {i, 2};
    if (name == k8[i]) return {i, 1};
    if (i < 4 && name == k8h[i]) return {i, 1, true};
  }
  if (name == "rip" || name == "eip") return {kRegRip, name == "rip" ? 8 : 4};
  if (name.size() >= 2 && name[0] == 'r' && std::isdigit(static_cast<unsigned char>(name[1]))) {
    const int n = std::stoi(name.substr(1));
    const char suffix = name.back();
    const int size = suffix == 'd' ? 4 : suffix == 'w' ? 2 : suffix == 'b' ? 1 : 8;
    return {n, size};
  }
  return info;
}

class OperandOracle {
 public:
  explicit OperandOracle(unsigned bits) {
    const cs_mode mode = bits == 16 ? CS_MODE_16 : bits == 32 ? CS_MODE_32 : CS_MODE_64;
    cs_open(CS_ARCH_X86, mode, &handle_);
    cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON);
    insn_ = cs_malloc(handle_);
  }
  ~OperandOracle() {
    cs_free(insn_, 1);
    cs_close(&handle_);
  }
  const cs_insn* decode(const uint8_t* bytes, size_t size) {
    const uint8_t* code = bytes;
    uint64_t address = 0x1000;
    return cs_disasm_iter(handle_, &code, &size, &address, insn_) ? insn_ : nullptr;
  }
  csh handle() const { return handle_; }

 private:
  csh handle_ = 0;
  cs_insn* insn_ = nullptr;
};

struct Totals {
  long memory_compared = 0;
  long registers_compared = 0;
  long failures = 0;
};

std::string hex(const uint8_t* b, int n) {
  std::string s;
  char buf[4];
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x ", b[i]);
    s += buf;
  }
  return s;
}

void compare(unsigned bits, OperandOracle& oracle, const uint8_t* bytes, Totals* totals) {
  DecodeMode mode;
  mode.code_bits = static_cast<uint8_t>(bits);
  DecodedInsn d;
  decode(mode, std::span<const uint8_t>(bytes, 16), &d);
  if (d.status != DecodeStatus::kOk) return;
  const cs_insn* cs = oracle.decode(bytes, 16);
  if (!cs || cs->size != d.length) return;
  const cs_x86& x = cs->detail->x86;
  auto fail = [&](const std::string& what) {
    if (++totals->failures <= 20) {
      ADD_FAILURE() << bits << "-bit " << hex(bytes, d.length) << "(" << cs->mnemonic << " "
                    << cs->op_str << "): " << what;
    }
  };

  // ModRM memory operand.
  if (d.has_mem && d.has_modrm) {
    const cs_x86_op* mem = nullptr;
    int mem_count = 0;
    for (int i = 0; i < x.op_count; ++i) {
      if (x.operands[i].type == X86_OP_MEM) {
        mem = &x.operands[i];
        ++mem_count;
      }
    }
    if (mem_count == 1) {
      ++totals->memory_compared;
      const RegInfo base = reg_info(oracle.handle(), mem->mem.base);
      const RegInfo index = reg_info(oracle.handle(), mem->mem.index);
      const int scale = index.number < 0 ? 1 : mem->mem.scale;
      const int64_t mask = d.address_bits == 64 ? -1 : (int64_t{1} << d.address_bits) - 1;
      if (base.number != d.mem.base) fail("base " + std::to_string(d.mem.base));
      if (index.number != d.mem.index) fail("index " + std::to_string(d.mem.index));
      if (d.mem.index != kNoReg && scale != d.mem.scale) fail("scale");
      if ((mem->mem.disp & mask) != (d.mem.disp & mask)) fail("disp " + std::to_string(d.mem.disp));
    }
  }

  // General-register operands, position by position, when the operand lists line up.
  if (x.op_count != d.num_operands) return;
  for (int i = 0; i < d.num_operands; ++i) {
    const DecodedOperand& ours = d.operands[i];
    const cs_x86_op& theirs = x.operands[i];
    if (ours.kind != OperandKind::kReg ||
        (ours.reg_class != RegClass::kGpr && ours.reg_class != RegClass::kGpr8High)) {
      continue;
    }
    if (theirs.type != X86_OP_REG) {
      fail("operand " + std::to_string(i) + " is not a register in capstone");
      continue;
    }
    const RegInfo r = reg_info(oracle.handle(), theirs.reg);
    if (r.number < 0) continue;  // capstone lists a non-GPR here (e.g. a segment register)
    ++totals->registers_compared;
    const bool high = ours.reg_class == RegClass::kGpr8High;
    if (r.number != ours.reg || r.high_byte != high)
      fail("register of operand " + std::to_string(i));
    if (r.size != ours.size) fail("size of operand " + std::to_string(i));
  }
}

void run(unsigned bits) {
  OperandOracle oracle(bits);
  std::mt19937_64 rng(0xab5 + bits);
  Totals totals;
  // Common integer opcodes, with or without prefixes, and random ModRM/SIB/displacements.
  static constexpr uint8_t kOneByte[] = {
      0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0A, 0x0B, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x30,
      0x31, 0x38, 0x39, 0x3A, 0x3B, 0x69, 0x6B, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
      0x89, 0x8A, 0x8B, 0x8D, 0xC0, 0xC1, 0xC6, 0xC7, 0xD0, 0xD1, 0xD3, 0xF6, 0xF7, 0xFE, 0xFF};
  static constexpr uint8_t kTwoByte[] = {0x40, 0x45, 0x4F, 0x90, 0x9F, 0xA3, 0xA4, 0xA5,
                                         0xAB, 0xAF, 0xB0, 0xB1, 0xB6, 0xB7, 0xBA, 0xBB,
                                         0xBC, 0xBD, 0xBE, 0xBF, 0xC0, 0xC1};
  static constexpr uint8_t kPrefixes[] = {0x66, 0x67, 0x2E, 0x64, 0xF0};
  for (int i = 0; i < 150000; ++i) {
    uint8_t b[24];
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    int p = 0;
    if (rng() % 3 == 0) b[p++] = kPrefixes[rng() % sizeof(kPrefixes)];
    if (bits == 64 && rng() % 2) b[p++] = static_cast<uint8_t>(0x40 | (rng() & 0xF));
    if (rng() % 3 == 0) {
      b[p++] = 0x0F;
      b[p++] = kTwoByte[rng() % sizeof(kTwoByte)];
    } else {
      b[p++] = kOneByte[rng() % sizeof(kOneByte)];
    }
    compare(bits, oracle, b, &totals);
  }
  std::printf("[%u-bit] memory operands compared %ld, register operands compared %ld\n", bits,
              totals.memory_compared, totals.registers_compared);
  EXPECT_EQ(totals.failures, 0);
  EXPECT_GT(totals.memory_compared, 30000);
  EXPECT_GT(totals.registers_compared, 30000);
}

TEST(DecoderOperands, Match16) {
  run(16);
}
TEST(DecoderOperands, Match32) {
  run(32);
}
TEST(DecoderOperands, Match64) {
  run(64);
}

}  // namespace
}  // namespace vx86::x86
