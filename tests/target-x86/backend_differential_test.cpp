// Differential test of the two TCG backends: the random x86-64 sequences of
// the host differential test (diff_generator.h) run on one CpuHarness under
// the IR interpreter and on another under the x86-64 JIT, from identical
// registers, flags and memory. Every GPR, all six arithmetic flags (the
// backends must agree even where the SDM leaves a flag undefined), the
// scratch buffer and the stack must match. VX86_BACKEND_DIFF_SEQUENCES sets
// the count (default 20000), VX86_DIFF_SEED the stream.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "tcg/compiled_block.h"
#include "tests/target-x86/cpu_harness.h"
#include "tests/target-x86/diff_generator.h"

namespace vx86::x86::testing {
namespace {

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::strtoull(v, nullptr, 0);
}

struct BackendResult {
  RunResult run;
  uint64_t regs[16];
  uint32_t flags;
  uint8_t data[kDiffDataSize];
  uint8_t stack[kDiffStackSize];
};

void run_sequence(CpuHarness& h, const DiffSequence& q, BackendResult* out) {
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
std::string compare(const BackendResult& interp, const BackendResult& jit) {
  std::string diff;
  char buf[160];
  if (interp.run.halted != jit.run.halted || interp.run.exception != jit.run.exception ||
      interp.run.timed_out || jit.run.timed_out) {
    std::snprintf(buf, sizeof(buf),
                  "run: interp halted=%d exception=%d timeout=%d, jit halted=%d exception=%d "
                  "timeout=%d\n",
                  interp.run.halted, interp.run.exception, interp.run.timed_out, jit.run.halted,
                  jit.run.exception, jit.run.timed_out);
    diff += buf;
  }
  static const char* kNames[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                 "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (unsigned r = 0; r < 16; ++r) {
    if (interp.regs[r] != jit.regs[r]) {
      std::snprintf(buf, sizeof(buf), "%s: interp %016" PRIx64 " jit %016" PRIx64 "\n", kNames[r],
                    interp.regs[r], jit.regs[r]);
      diff += buf;
    }
  }
  if (interp.flags != jit.flags) {
    std::snprintf(buf, sizeof(buf), "flags: interp %03x jit %03x\n", interp.flags, jit.flags);
    diff += buf;
  }
  if (std::memcmp(interp.data, jit.data, kDiffDataSize) != 0) diff += "scratch buffer differs\n";
  if (std::memcmp(interp.stack, jit.stack, kDiffStackSize) != 0) diff += "stack differs\n";
  return diff;
}

TEST(BackendDifferential, RandomSequencesMatchInterpreter) {
  if (!tcg::jit_available()) GTEST_SKIP() << "no JIT on this host (x86-64 only)";
  const uint64_t total = env_number("VX86_BACKEND_DIFF_SEQUENCES", 20000);
  const uint64_t seed = env_number("VX86_DIFF_SEED", 1);
  // Every instruction the generator knows, whatever this host supports: no
  // native run is involved.
  HostFeatures features;
  features.popcnt = features.bmi1 = features.lzcnt = true;
  CpuHarness interp(CpuMode::kLong64), jit(CpuMode::kLong64);
  interp.cpu().tcg_backend = tcg::Backend::kInterpreter;
  jit.cpu().tcg_backend = tcg::Backend::kJit;
  auto a = std::make_unique<BackendResult>();
  auto b = std::make_unique<BackendResult>();
  uint64_t mismatches = 0, printed = 0;
  for (uint64_t i = 0; i < total; ++i) {
    DiffSequence q;
    generate_sequence(seed, i, features, false, &q);
    run_sequence(interp, q, a.get());
    run_sequence(jit, q, b.get());
    std::string diff = compare(*a, *b);
    if (diff.empty()) continue;
    ++mismatches;
    if (printed++ < 8) {
      DiffSequence listed;
      generate_sequence(seed, i, features, true, &listed);
      std::string text;
      for (const auto& line : listed.listing) text += "    " + line + "\n";
      ADD_FAILURE() << "sequence " << i << " (seed " << seed << ") differs:\n" << diff << text;
    }
  }
  // The JIT really ran: cpu_exec made the vCPU's code buffer.
  EXPECT_NE(jit.cpu().jit, nullptr);
  EXPECT_EQ(interp.cpu().jit, nullptr);
  std::printf("backend differential: %" PRIu64 " sequences, %" PRIu64 " mismatches (seed %" PRIu64
              ")\n",
              total, mismatches, seed);
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace vx86::x86::testing
