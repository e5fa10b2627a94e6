// Differential test: random user-level instruction sequences run natively on
// the host (in forked children) and in vx86 (CpuHarness, 64-bit mode) from
// identical registers, flags and scratch memory; every GPR, the arithmetic
// flags the SDM defines for the sequence, and the scratch buffer and stack
// must match. VX86_DIFF_SEQUENCES sets the count (default 100000),
// VX86_DIFF_SEED the stream.
#include <gtest/gtest.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "target-x86/decoder.h"
#include "tests/target-x86/cpu_harness.h"
#include "tests/target-x86/diff_generator.h"
#include "tests/target-x86/native_runner.h"

namespace vx86::x86::testing {
namespace {

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::strtoull(v, nullptr, 0);
}

std::string hex_bytes(const std::vector<uint8_t>& code) {
  std::string s;
  char buf[4];
  for (uint8_t b : code) {
    std::snprintf(buf, sizeof(buf), "%02x ", b);
    s += buf;
  }
  return s;
}

struct VxResult {
  RunResult run;
  uint64_t regs[16];
  uint32_t flags;
  uint8_t data[kDiffDataSize];
  uint8_t stack[kDiffStackSize];
};

void run_vx86(CpuHarness& h, const DiffSequence& q, VxResult* out) {
  h.enter_mode();
  for (unsigned r = 0; r < 16; ++r) h.reg(r) = q.regs[r];
  h.set_arith_flags(q.flags);
  h.write_memory(kDiffData, q.data, kDiffDataSize);
  h.write_memory(kDiffStackLow, q.stack, kDiffStackSize);
  std::vector<uint8_t> code = q.code;
  code.push_back(0xF4);  // HLT
  h.load_code(code.data(), code.size(), kDiffCode);
  out->run = h.run();
  for (unsigned r = 0; r < 16; ++r) out->regs[r] = h.reg(r);
  out->flags = h.arith_flags();
  h.read_memory(kDiffData, out->data, kDiffDataSize);
  h.read_memory(kDiffStackLow, out->stack, kDiffStackSize);
}

// Describes the differences; empty when the results agree.
std::string compare(const DiffSequence& q, const NativeResult& n, const VxResult& v) {
  std::string diff;
  char buf[160];
  if (!n.ran) return "native run crashed\n";
  if (!v.run.halted || v.run.exception >= 0) {
    std::snprintf(buf, sizeof(buf), "vx86 did not finish: halted=%d exception=%d timeout=%d\n",
                  v.run.halted, v.run.exception, v.run.timed_out);
    diff += buf;
  }
  static const char* kNames[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                 "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (unsigned r = 0; r < 16; ++r) {
    if (n.regs[r] != v.regs[r]) {
      std::snprintf(buf, sizeof(buf),
                    "%s: host %016" PRIx64 " vx86 %016" PRIx64 " (in %016" PRIx64 ")\n", kNames[r],
                    n.regs[r], v.regs[r], q.regs[r]);
      diff += buf;
    }
  }
  const uint32_t mask = kFlagsArith & ~q.undefined_flags;
  if ((n.flags ^ v.flags) & mask) {
    std::snprintf(buf, sizeof(buf), "flags: host %03x vx86 %03x compared %03x (in %03x)\n",
                  n.flags & kFlagsArith, v.flags, mask, q.flags);
    diff += buf;
  }
  for (unsigned i = 0; i < kDiffDataSize; ++i) {
    if (n.data[i] != v.data[i]) {
      std::snprintf(buf, sizeof(buf), "data[r15%+d]: host %02x vx86 %02x (in %02x)\n",
                    static_cast<int>(i) - 0x200, n.data[i], v.data[i], q.data[i]);
      diff += buf;
      break;
    }
  }
  for (unsigned i = 0; i < kDiffStackSize; ++i) {
    if (n.stack[i] != v.stack[i]) {
      std::snprintf(buf, sizeof(buf), "stack[%#x]: host %02x vx86 %02x\n",
                    static_cast<unsigned>(kDiffStackLow + i), n.stack[i], v.stack[i]);
      diff += buf;
      break;
    }
  }
  return diff;
}

// The encoder's output must decode with vx86's own decoder, instruction by
// instruction, to the same total length.
TEST(HostDifferential, GeneratedCodeDecodes) {
  HostFeatures features;
  features.popcnt = features.bmi1 = features.lzcnt = true;
  DecodeMode mode;
  mode.code_bits = 64;
  for (uint64_t i = 0; i < 2000; ++i) {
    DiffSequence q;
    generate_sequence(7, i, features, true, &q);
    std::size_t offset = 0;
    unsigned insns = 0;
    while (offset < q.code.size()) {
      DecodedInsn insn;
      DecodeStatus st = decode(
          mode, std::span<const uint8_t>(q.code.data() + offset, q.code.size() - offset), &insn);
      ASSERT_EQ(st, DecodeStatus::kOk)
          << "sequence " << i << " at byte " << offset << ": " << hex_bytes(q.code);
      ASSERT_NE(insn.mnemonic, Mnemonic::kInvalid);
      offset += insn.length;
      ++insns;
    }
    ASSERT_EQ(offset, q.code.size());
    ASSERT_GE(insns, q.listing.size());
  }
}

TEST(HostDifferential, RandomSequencesMatchHost) {
  std::string why;
  if (!native_runner_available(&why)) GTEST_SKIP() << why;
  const uint64_t total = env_number("VX86_DIFF_SEQUENCES", 100000);
  const uint64_t seed = env_number("VX86_DIFF_SEED", 1);
  const HostFeatures features = detect_host_features();
  constexpr uint64_t kBatch = 4096;
  CpuHarness harness(CpuMode::kLong64);
  uint64_t mismatches = 0, bytes = 0, printed = 0, all_flags = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<DiffSequence> batch(kBatch);
  std::vector<const DiffSequence*> pointers;
  std::vector<NativeResult> native;
  auto result = std::make_unique<VxResult>();
  for (uint64_t first = 0; first < total; first += kBatch) {
    const uint64_t n = std::min(kBatch, total - first);
    pointers.clear();
    for (uint64_t i = 0; i < n; ++i) {
      generate_sequence(seed, first + i, features, false, &batch[i]);
      bytes += batch[i].code.size();
      if (batch[i].undefined_flags == 0) ++all_flags;
      pointers.push_back(&batch[i]);
    }
    run_native(pointers, &native);
    for (uint64_t i = 0; i < n; ++i) {
      run_vx86(harness, batch[i], result.get());
      std::string diff = compare(batch[i], native[i], *result);
      if (diff.empty()) continue;
      ++mismatches;
      if (printed++ < 8) {
        DiffSequence listed;
        generate_sequence(seed, first + i, features, true, &listed);
        std::string text;
        for (const auto& line : listed.listing) text += "    " + line + "\n";
        ADD_FAILURE() << "sequence " << first + i << " (seed " << seed << ") differs:\n"
                      << diff << "  code: " << hex_bytes(listed.code) << "\n"
                      << "  undefined flags: " << listed.undefined_flags << "\n"
                      << text;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("host differential: %" PRIu64 " sequences (%" PRIu64
              " with all six flags compared), %" PRIu64 " code bytes, %" PRIu64
              " mismatches, %.1f s (seed %" PRIu64
              ", popcnt=%d bmi1=%d bmi2=%d lzcnt=%d movbe=%d adx=%d)\n",
              total, all_flags, bytes, mismatches, seconds, seed, features.popcnt, features.bmi1,
              features.bmi2, features.lzcnt, features.movbe, features.adx);
  EXPECT_EQ(mismatches, 0u);
}

// Every flag-setting operation kind the translator records lazily, of every
// width, followed in the same block by an instruction that needs the flags
// it leaves alone (CMC keeps all but CF, ROL keeps SF/ZF/AF/PF): the
// translator materialises them inline from the known operation, and the
// result must be the host's.
TEST(HostDifferential, FlagsKeptAfterEachOperationMatchHost) {
  std::string why;
  if (!native_runner_available(&why)) GTEST_SKIP() << why;
  struct Operation {
    const char* name;
    std::vector<uint8_t> byte_form, wide_form;  // op rax/al, rbx/bl (and an imm8 for shifts)
    uint32_t undefined;
  };
  constexpr uint32_t kOF = kFlagOF, kAF = kFlagAF;
  const Operation ops[] = {
      {"add", {0x00, 0xD8}, {0x01, 0xD8}, 0},
      {"adc", {0x10, 0xD8}, {0x11, 0xD8}, 0},
      {"sub", {0x28, 0xD8}, {0x29, 0xD8}, 0},
      {"sbb", {0x18, 0xD8}, {0x19, 0xD8}, 0},
      {"cmp", {0x38, 0xD8}, {0x39, 0xD8}, 0},
      {"and", {0x20, 0xD8}, {0x21, 0xD8}, kAF},
      {"or", {0x08, 0xD8}, {0x09, 0xD8}, kAF},
      {"xor", {0x30, 0xD8}, {0x31, 0xD8}, kAF},
      {"inc", {0xFE, 0xC0}, {0xFF, 0xC0}, 0},
      {"dec", {0xFE, 0xC8}, {0xFF, 0xC8}, 0},
      {"neg", {0xF6, 0xD8}, {0xF7, 0xD8}, 0},
      {"shl 1", {0xC0, 0xE0, 1}, {0xC1, 0xE0, 1}, kAF},
      {"shl 5", {0xC0, 0xE0, 5}, {0xC1, 0xE0, 5}, kAF | kOF},
      {"shr 1", {0xC0, 0xE8, 1}, {0xC1, 0xE8, 1}, kAF},
      {"sar 3", {0xC0, 0xF8, 3}, {0xC1, 0xF8, 3}, kAF | kOF},
      {"imul", {}, {0x0F, 0xAF, 0xC3}, kFlagSF | kFlagZF | kAF | kFlagPF},
  };
  struct Reader {
    const char* name;
    std::vector<uint8_t> code;
    uint32_t undefined;
  };
  const Reader readers[] = {{"cmc", {0xF5}, 0}, {"rol edx, 8", {0xC1, 0xC2, 0x08}, kOF}};
  const uint64_t interesting[] = {0,
                                  1,
                                  0x7f,
                                  0x80,
                                  0xff,
                                  0x7fff,
                                  0x8000,
                                  0xffff,
                                  0x7fffffff,
                                  0x80000000,
                                  0xffffffff,
                                  0x7fffffffffffffff,
                                  0x8000000000000000,
                                  ~0ull,
                                  0x0f,
                                  0x10};
  std::vector<DiffSequence> sequences;
  std::vector<std::string> names;
  std::mt19937_64 random(42);
  auto next_random = [&random] { return static_cast<uint64_t>(random()); };
  for (const Operation& op : ops) {
    for (unsigned size : {1u, 2u, 4u, 8u}) {
      const std::vector<uint8_t>& form = size == 1 ? op.byte_form : op.wide_form;
      if (form.empty()) continue;
      for (const Reader& reader : readers) {
        for (unsigned i = 0; i < 48; ++i) {
          DiffSequence q;
          if (size == 2) q.code.push_back(0x66);
          if (size == 8) q.code.push_back(0x48);
          q.code.insert(q.code.end(), form.begin(), form.end());
          q.code.insert(q.code.end(), reader.code.begin(), reader.code.end());
          q.undefined_flags = op.undefined | reader.undefined;
          q.regs[kRAX] = i < 16 ? interesting[i] : next_random();
          q.regs[kRBX] = i < 16 ? interesting[(i * 7 + 3) % 16] : next_random();
          q.regs[kRDX] = next_random();
          q.regs[kRSP] = kDiffStackTop;
          q.regs[kR15] = kDiffDataBase;
          q.flags = static_cast<uint32_t>(next_random()) & kFlagsArith;
          sequences.push_back(std::move(q));
          names.push_back(std::string(op.name) + "/" + std::to_string(size * 8) + " then " +
                          reader.name);
        }
      }
    }
  }
  std::vector<const DiffSequence*> pointers;
  for (const DiffSequence& q : sequences) pointers.push_back(&q);
  std::vector<NativeResult> native;
  run_native(pointers, &native);
  CpuHarness harness(CpuMode::kLong64);
  auto result = std::make_unique<VxResult>();
  unsigned mismatches = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    run_vx86(harness, sequences[i], result.get());
    const std::string diff = compare(sequences[i], native[i], *result);
    if (!diff.empty() && mismatches++ < 8) {
      ADD_FAILURE() << names[i] << ": " << hex_bytes(sequences[i].code) << "\n" << diff;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << sequences.size() << " sequences";
}

}  // namespace
}  // namespace vx86::x86::testing
