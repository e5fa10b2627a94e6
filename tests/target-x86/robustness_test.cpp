// Robustness: no guest input may make vx86 abort. Random byte streams (and
// random bytes after valid prefixes and opcode escapes) run as code in real
// mode, 16- and 32-bit protected mode, long mode and compatibility mode. Each
// run must end in a HLT (the code's own or an exception stub's), a triple
// fault or the watchdog (an endless loop is legal guest behaviour) — never an
// assertion, a C++ exception escaping the CPU, or a host signal. A fatal
// signal prints the input that caused it before the process dies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/log.h"
#include "target-x86/exceptions.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86::testing {
namespace {

// The case being run, kept in a static buffer so a signal handler can print it.
char g_current_case[512];

void describe_case(const char* mode, uint64_t iteration, const std::vector<uint8_t>& code) {
  int n = std::snprintf(g_current_case, sizeof(g_current_case), "mode %s iteration %llu code", mode,
                        static_cast<unsigned long long>(iteration));
  for (uint8_t byte : code) {
    if (n + 4 >= static_cast<int>(sizeof(g_current_case))) break;
    n += std::snprintf(g_current_case + n, sizeof(g_current_case) - n, " %02x", byte);
  }
}

void on_fatal_signal(int sig) {
  const char prefix[] = "\nfatal signal while running random code: ";
  ssize_t ignored = write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
  ignored = write(STDERR_FILENO, g_current_case, std::strlen(g_current_case));
  ignored = write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

class FatalSignalReporter {
 public:
  FatalSignalReporter() {
    for (int sig : kSignals) previous_[index(sig)] = std::signal(sig, on_fatal_signal);
  }
  ~FatalSignalReporter() {
    for (int sig : kSignals) std::signal(sig, previous_[index(sig)]);
  }

 private:
  static constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  static int index(int sig) {
    for (int i = 0; i < 5; ++i) {
      if (kSignals[i] == sig) return i;
    }
    return 0;
  }
  void (*previous_[5])(int) = {};
};

const char* mode_name(CpuMode mode) {
  switch (mode) {
    case CpuMode::kReal16:
      return "real16";
    case CpuMode::kProtected16:
      return "protected16";
    case CpuMode::kProtected32:
      return "protected32";
    case CpuMode::kLong64:
      return "long64";
    case CpuMode::kCompat32:
      return "compat32";
  }
  return "?";
}

// Legal prefixes and opcode escapes that lead into the decoder's deeper
// tables (two-byte, three-byte, groups, x87, VEX/EVEX/XOP starts).
const std::vector<std::vector<uint8_t>> kPrefixes = {
    {0x66}, {0x67}, {0xf2}, {0xf3}, {0xf0}, {0x2e}, {0x26}, {0x36}, {0x3e}, {0x64}, {0x65},
};
const std::vector<std::vector<uint8_t>> kOpcodeStarts = {
    {0x0f},       {0x0f, 0x01}, {0x0f, 0x00}, {0x0f, 0x38}, {0x0f, 0x3a}, {0x0f, 0xc7},
    {0x0f, 0xae}, {0x0f, 0xba}, {0x0f, 0x0f}, {0x0f, 0x18}, {0x0f, 0x1e}, {0x0f, 0xc2},
    {0x0f, 0xb8}, {0x0f, 0xbc}, {0x0f, 0x78}, {0x0f, 0x20}, {0x0f, 0x22}, {0x0f, 0x21},
    {0x0f, 0x23}, {0x0f, 0xb2}, {0x0f, 0xa0}, {0x0f, 0x05}, {0x0f, 0x34}, {0x0f, 0x35},
    {0xd8},       {0xd9},       {0xda},       {0xdb},       {0xdc},       {0xdd},
    {0xde},       {0xdf},       {0xfe},       {0xff},       {0xf6},       {0xf7},
    {0xc4},       {0xc5},       {0x62},       {0x8f},       {0x8e},       {0x8c},
    {0x9a},       {0xea},       {0xca},       {0xcb},       {0xcf},       {0xcd},
    {0xc8},       {0x8d},       {0xc6},       {0xc7},       {0x63},       {0xd4},
    {0xd5},       {0xa4},       {0xa6},       {0x6c},       {0x6e},       {0x17},
};

class RandomCode {
 public:
  explicit RandomCode(uint64_t seed) : rng_(seed) {}
  uint64_t next() { return rng_(); }
  unsigned below(unsigned n) { return static_cast<unsigned>(rng_() % n); }

  std::vector<uint8_t> make(bool mode64) {
    std::vector<uint8_t> code;
    if (below(2) == 1) {
      for (unsigned n = below(3); n > 0; --n) append(code, kPrefixes[below(kPrefixes.size())]);
      if (mode64 && below(2)) code.push_back(static_cast<uint8_t>(0x40 + below(16)));  // REX
      append(code, kOpcodeStarts[below(kOpcodeStarts.size())]);
    }
    const unsigned random_bytes = 8 + below(24);
    for (unsigned i = 0; i < random_bytes; ++i) code.push_back(static_cast<uint8_t>(rng_()));
    // Code that falls through stops here.
    code.insert(code.end(), 16, 0xf4);
    return code;
  }

 private:
  static void append(std::vector<uint8_t>& code, const std::vector<uint8_t>& bytes) {
    code.insert(code.end(), bytes.begin(), bytes.end());
  }
  std::mt19937_64 rng_;
};

struct Tally {
  uint64_t own_hlt = 0, exceptions = 0, triple_faults = 0, timeouts = 0;
};

uint64_t iterations_per_mode() {
  if (const char* env = std::getenv("VX86_FUZZ_ITERATIONS")) return std::strtoull(env, nullptr, 0);
  return 10000;
}

void fuzz_mode(CpuMode mode, uint64_t seed) {
  CpuHarness h(mode);
  // VX86_FUZZ_BACKEND=jit runs the same inputs through the JIT backend.
  if (const char* backend = std::getenv("VX86_FUZZ_BACKEND")) {
    if (std::string(backend) == "jit") h.cpu().tcg_backend = tcg::Backend::kJit;
  }
  RandomCode gen(seed);
  const bool mode64 = mode == CpuMode::kLong64;
  const bool sixteen = mode == CpuMode::kReal16 || mode == CpuMode::kProtected16;
  Tally tally;
  const uint64_t iterations = iterations_per_mode();
  for (uint64_t it = 0; it < iterations; ++it) {
    std::vector<uint8_t> code = gen.make(mode64);
    describe_case(mode_name(mode), it, code);
    // Memory is HLT everywhere but the tables, so wild jumps end soon; it is
    // refreshed now and then because random stores scribble on it.
    if (it % 256 == 0) std::memset(h.ram(), 0xf4, CpuHarness::kRamSize);
    h.rebuild_tables();
    h.enter_mode();
    // Registers: mostly addresses inside RAM (so memory operands reach
    // memory), sometimes anything.
    for (unsigned r = 0; r < 16; ++r) {
      if (r == kRSP) continue;
      uint64_t v = gen.next();
      if (gen.below(4) != 0) v = sixteen ? (v & 0xffff) : 0x200000 + (v % 0x1f0000);
      h.reg(r) = v;
    }
    h.set_arith_flags(static_cast<uint32_t>(gen.next()) & kFlagsArith);
    h.load_code(code);
    RunResult result;
    try {
      result = h.run(0.02);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "C++ exception escaped the CPU (" << e.what() << "): " << g_current_case;
      continue;
    } catch (...) {
      ADD_FAILURE() << "unknown C++ exception escaped the CPU: " << g_current_case;
      continue;
    }
    if (result.timed_out) {
      ++tally.timeouts;
    } else if (result.stopped) {
      ++tally.triple_faults;
    } else if (result.halted) {
      ++(result.exception >= 0 ? tally.exceptions : tally.own_hlt);
    } else {
      ADD_FAILURE() << "run ended without HLT, stop or timeout: " << g_current_case;
    }
  }
  std::printf("%s: %llu runs: %llu reached HLT, %llu exceptions, %llu triple faults, %llu loops\n",
              mode_name(mode), static_cast<unsigned long long>(iterations),
              static_cast<unsigned long long>(tally.own_hlt),
              static_cast<unsigned long long>(tally.exceptions),
              static_cast<unsigned long long>(tally.triple_faults),
              static_cast<unsigned long long>(tally.timeouts));
}

class RandomCodeTest : public ::testing::TestWithParam<CpuMode> {};

TEST_P(RandomCodeTest, NeverAborts) {
  FatalSignalReporter reporter;
  fuzz_mode(GetParam(), 0x5eed0000 + static_cast<uint64_t>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Modes, RandomCodeTest,
                         ::testing::Values(CpuMode::kReal16, CpuMode::kProtected16,
                                           CpuMode::kProtected32, CpuMode::kLong64,
                                           CpuMode::kCompat32),
                         [](const ::testing::TestParamInfo<CpuMode>& info) {
                           return std::string(mode_name(info.param));
                         });

// An instruction vx86 does not implement raises #UD and -d unimp names its bytes.
TEST(Unimplemented, RaisesUdAndLogsBytes) {
  char path[] = "/tmp/vx86-unimp-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const uint32_t old_mask = log_mask();
  ASSERT_TRUE(set_log_file(path));
  set_log_mask(kLogUnimp);
  CpuHarness h(CpuMode::kLong64);
  h.load_code({0x0f, 0x0e, 0xf4});  // FEMMS (3DNow!, not part of the model)
  RunResult r = h.run();
  set_log_mask(old_mask);
  ASSERT_TRUE(set_log_file("/dev/stderr"));
  EXPECT_TRUE(r.halted);
  EXPECT_EQ(r.exception, kExcUD);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  EXPECT_NE(text.str().find("unimp:"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("0f 0e"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace vx86::x86::testing
