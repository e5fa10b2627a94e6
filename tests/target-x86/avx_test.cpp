// VEX-encoded SSE and AVX instructions against the host CPU. The sweep walks
// every VEX encoding of maps 0F, 0F 38 and 0F 3A (each implied prefix,
// VEX.L and VEX.W, register forms with low, high and repeated register
// numbers, and a memory form) and takes those vx86's decoder accepts: each
// runs natively and in vx86 (IR interpreter and JIT) from the same random
// state (YMM0-15, RAX/RCX/RDX/R8-R11, the arithmetic flags, MXCSR with a
// random rounding mode, DAZ and FTZ, 64 bytes at [RSI]) and every bit must
// come out equal. An encoding vx86 accepts that the host refuses (#UD) fails
// too. Targeted tests follow for what the sweep cannot see: faults, the
// availability checks and the XSAVE state.
#include <gtest/gtest.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <xbyak/xbyak.h>
#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "target-x86/decoder.h"
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

struct alignas(32) AvxState {
  uint8_t ymm[16][32];  // 0
  uint64_t mem[8];      // 512: [rsi]
  uint64_t gpr[7];      // 576: rax rcx rdx r8 r9 r10 r11
  uint64_t flags;       // 632
  uint32_t mxcsr;       // 640
  uint32_t host_mxcsr;  // 644
};
static_assert(offsetof(AvxState, flags) == 632 && offsetof(AvxState, mxcsr) == 640);

constexpr unsigned kGprs[7] = {kRAX, kRCX, kRDX, kR8, kR9, kR10, kR11};

// The instruction between code that loads an AvxState from [rdi] and stores
// it back (the host's MXCSR restored).
class HostCode : public Xbyak::CodeGenerator {
 public:
  explicit HostCode(const Bytes& insn) : Xbyak::CodeGenerator(4096) {
    using namespace Xbyak;
    const Reg64 regs[7] = {rax, rcx, rdx, r8, r9, r10, r11};
    stmxcsr(ptr[rdi + 644]);
    for (int i = 0; i < 16; ++i) vmovdqu(Ymm(i), ptr[rdi + 32 * i]);
    ldmxcsr(ptr[rdi + 640]);
    lea(rsi, ptr[rdi + 512]);
    for (int i = 0; i < 7; ++i) mov(regs[i], ptr[rdi + 576 + 8 * i]);
    push(qword[rdi + 632]);
    popf();
    for (uint8_t b : insn) db(b);
    pushf();
    pop(qword[rdi + 632]);
    for (int i = 0; i < 7; ++i) mov(ptr[rdi + 576 + 8 * i], regs[i]);
    stmxcsr(ptr[rdi + 640]);
    for (int i = 0; i < 16; ++i) vmovdqu(ptr[rdi + 32 * i], Ymm(i));
    ldmxcsr(ptr[rdi + 644]);
    vzeroupper();
    ret();
  }
};

sigjmp_buf g_host_fault;

void on_host_fault(int) {
  siglongjmp(g_host_fault, 1);
}

// Runs the instruction natively; false if the host raised #UD (SIGILL).
bool run_on_host(const Bytes& insn, AvxState* state) {
  HostCode code(insn);
  struct sigaction action {
  }, old_ill{};
  action.sa_handler = on_host_fault;
  sigemptyset(&action.sa_mask);
  sigaction(SIGILL, &action, &old_ill);
  uint32_t host_csr = 0;
  asm volatile("stmxcsr %0" : "=m"(host_csr));
  bool ok = true;
  if (sigsetjmp(g_host_fault, 1) == 0) {
    code.getCode<void (*)(AvxState*)>()(state);
  } else {
    asm volatile("ldmxcsr %0" : : "m"(host_csr));
    ok = false;
  }
  sigaction(SIGILL, &old_ill, nullptr);
  return ok;
}

constexpr uint32_t kCpuid1EcxAes = 1u << 25, kCpuid1EcxPclmul = 1u << 1, kCpuid7EbxAvx2 = 1u << 5,
                   kCpuid1EcxFma = 1u << 12, kCpuid1EcxF16c = 1u << 29;

// The same state in a vx86 vCPU (long mode, OSXSAVE with XCR0 = x87|SSE|AVX,
// a model with AVX, AVX2, AES and PCLMULQDQ).
class GuestRunner {
 public:
  explicit GuestRunner(tcg::Backend backend, CpuMode mode = CpuMode::kLong64) : h_(mode) {
    X86Cpu& c = h_.cpu();
    c.cr4 |= kCr4Osfxsr | kCr4Osxmmexcpt | kCr4Osxsave;
    c.cr0 |= kCr0MP | kCr0NE;
    c.xcr0 = kXcr0X87 | kXcr0Sse | kXcr0Avx;
    c.tcg_backend = backend;
    c.model.features.leaf1_ecx |=
        kCpuid1EcxAvx | kCpuid1EcxAes | kCpuid1EcxPclmul | kCpuid1EcxFma | kCpuid1EcxF16c;
    c.model.features.leaf7_ebx |= kCpuid7EbxAvx2;
  }
  CpuHarness& harness() { return h_; }

  // Returns the exception vector, -1 if none.
  int run(const Bytes& insn, AvxState* state) {
    Bytes code = insn;
    code.push_back(0xf4);  // hlt
    h_.load_code(code);
    X86Cpu& c = h_.cpu();
    for (int i = 0; i < 16; ++i) {
      std::memcpy(c.xmm[i].q, state->ymm[i], 16);
      std::memcpy(c.ymmh[i].q, state->ymm[i] + 16, 16);
    }
    for (int i = 0; i < 7; ++i) c.regs[kGprs[i]] = state->gpr[i];
    c.regs[kRSI] = CpuHarness::kData;
    c.mxcsr = state->mxcsr;
    h_.write_memory(CpuHarness::kData, state->mem, sizeof(state->mem));
    h_.set_arith_flags(static_cast<uint32_t>(state->flags) & kFlagsArith);
    c.rip = h_.code_address();
    testing::RunResult r = h_.run();
    EXPECT_TRUE(r.halted);
    for (int i = 0; i < 16; ++i) {
      std::memcpy(state->ymm[i], c.xmm[i].q, 16);
      std::memcpy(state->ymm[i] + 16, c.ymmh[i].q, 16);
    }
    for (int i = 0; i < 7; ++i) state->gpr[i] = c.regs[kGprs[i]];
    state->mxcsr = c.mxcsr;
    h_.read_memory(CpuHarness::kData, state->mem, sizeof(state->mem));
    state->flags = h_.arith_flags();
    return r.exception;
  }

 private:
  CpuHarness h_;
};

// A mix of float, double and integer elements, with the values where
// results differ (zeros, infinities, NaNs, denormals, extremes).
uint64_t pick_element(std::mt19937_64& rng) {
  static const uint32_t kF32[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
                                  0xffc00001, 0x7f800001, 0x00000001, 0x807fffff, 0x3f800000,
                                  0xbf000000, 0x4b000000, 0x7f7fffff, 0x3fc00000};
  static const uint64_t kF64[] = {0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000,
                                  0x7ff8000000000000, 0xfff0000000000001, 0x0000000000000001,
                                  0x3ff0000000000000, 0xbfe0000000000000, 0x4330000000000000,
                                  0x7fefffffffffffff, 0x3ff8000000000000};
  auto f32 = [&]() -> uint64_t {
    switch (rng() % 3) {
      case 0:
        return kF32[rng() % std::size(kF32)];
      case 1:
        return (rng() & 0x80000000) | ((110 + rng() % 40) << 23) | (rng() & 0x7fffff);
      default:
        return rng() & 0xffffffff;
    }
  };
  switch (rng() % 5) {
    case 0:
      return f32() | f32() << 32;
    case 1:
      return kF64[rng() % std::size(kF64)];
    case 2:
      return (rng() & (1ull << 63)) | ((1000 + rng() % 60) << 52) | (rng() & 0xfffffffffffffull);
    case 3:
      return static_cast<uint64_t>(static_cast<int64_t>(rng() % 41) - 20);
    default:
      return rng();
  }
}

AvxState random_state(std::mt19937_64& rng) {
  AvxState s{};
  for (auto& y : s.ymm) {
    for (unsigned q = 0; q < 4; ++q) {
      const uint64_t v = pick_element(rng);
      std::memcpy(y + 8 * q, &v, 8);
    }
  }
  if (rng() % 6 == 0) std::memcpy(s.ymm[2], s.ymm[1], 32);  // equal operands now and then
  for (auto& m : s.mem) m = pick_element(rng);
  for (auto& g : s.gpr) g = rng() % 3 ? rng() : rng() % 20;  // small: PCMPESTR lengths
  s.flags = kFlagReserved1 | (static_cast<uint32_t>(rng()) & kFlagsArith);
  s.mxcsr = kMxcsrMasks | static_cast<uint32_t>(rng() % 4) << 13;
  if (rng() % 3 == 0) s.mxcsr |= kMxcsrDaz;
  if (rng() % 3 == 0) s.mxcsr |= kMxcsrFtz;
  if (rng() % 4 == 0) s.mxcsr |= static_cast<uint32_t>(rng()) & kMxcsrFlags;
  return s;
}

std::string difference(const AvxState& want, const AvxState& got) {
  std::string out;
  char buf[200];
  for (int i = 0; i < 16; ++i) {
    if (std::memcmp(want.ymm[i], got.ymm[i], 32) == 0) continue;
    uint64_t w[4], g[4];
    std::memcpy(w, want.ymm[i], 32);
    std::memcpy(g, got.ymm[i], 32);
    std::snprintf(buf, sizeof(buf),
                  " ymm%d host %016lx:%016lx:%016lx:%016lx vx86 %016lx:%016lx:%016lx:%016lx", i,
                  w[3], w[2], w[1], w[0], g[3], g[2], g[1], g[0]);
    out += buf;
  }
  for (int i = 0; i < 8; ++i) {
    if (want.mem[i] == got.mem[i]) continue;
    std::snprintf(buf, sizeof(buf), " mem[%d] host %016lx vx86 %016lx", i, want.mem[i], got.mem[i]);
    out += buf;
  }
  for (int i = 0; i < 7; ++i) {
    if (want.gpr[i] == got.gpr[i]) continue;
    std::snprintf(buf, sizeof(buf), " gpr%d host %lx vx86 %lx", i, want.gpr[i], got.gpr[i]);
    out += buf;
  }
  if ((want.flags & kFlagsArith) != (got.flags & kFlagsArith)) {
    std::snprintf(buf, sizeof(buf), " flags host %lx vx86 %lx", want.flags & kFlagsArith,
                  got.flags & kFlagsArith);
    out += buf;
  }
  if (want.mxcsr != got.mxcsr) {
    std::snprintf(buf, sizeof(buf), " mxcsr host %x vx86 %x", want.mxcsr, got.mxcsr);
    out += buf;
  }
  return out;
}

std::string hex(const Bytes& bytes) {
  std::string out;
  char buf[4];
  for (uint8_t b : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x ", b);
    out += buf;
  }
  return out;
}

bool host_has_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("aes") &&
         __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
}

// VEX (three-byte form) + opcode + ModRM [+ imm8].
Bytes vex_encoding(unsigned map, unsigned pp, bool l, bool w, uint8_t opcode, unsigned reg,
                   unsigned vvvv, uint8_t modrm_low, bool memory, int imm) {
  const uint8_t r = (reg & 8) ? 0 : 0x80, b = (!memory && (modrm_low & 8)) ? 0 : 0x20;
  Bytes bytes = {0xC4, static_cast<uint8_t>(r | 0x40 | b | map),
                 static_cast<uint8_t>((w ? 0x80 : 0) | ((~vvvv & 15) << 3) | (l ? 4 : 0) | pp),
                 opcode};
  const uint8_t mod = memory ? 0x00 : 0xC0;
  bytes.push_back(static_cast<uint8_t>(mod | (reg & 7) << 3 | (memory ? 6 : modrm_low & 7)));
  if (imm >= 0) bytes.push_back(static_cast<uint8_t>(imm));
  return bytes;
}

bool has_imm8(unsigned map, uint8_t opcode) {
  if (map == 3) return true;
  if (map != 1) return false;
  switch (opcode) {
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0xC2:
    case 0xC4:
    case 0xC5:
    case 0xC6:
      return true;
    default:
      return false;
  }
}

struct Operands {
  unsigned reg, vvvv, rm;
  bool memory;
};

// Register numbers: low, high (REX-extended), all the same; then memory.
constexpr Operands kOperandForms[] = {
    {0, 1, 2, false}, {8, 13, 11, false}, {1, 1, 1, false}, {0, 1, 0, true}, {9, 12, 0, true}};

struct Encoding {
  Bytes bytes;
  std::string name;
};

// Every VEX encoding vx86's decoder executes, as VEX vector instructions.
std::vector<Encoding> accepted_encodings(std::mt19937_64& rng) {
  std::vector<Encoding> out;
  DecodeMode mode;
  mode.code_bits = 64;
  for (unsigned map = 1; map <= 3; ++map) {
    for (unsigned opcode = 0; opcode < 256; ++opcode) {
      // MASKMOVDQU stores through RDI, which holds the runner's state.
      if (map == 1 && opcode == 0xF7) continue;
      for (unsigned pp = 0; pp < 4; ++pp) {
        for (unsigned lw = 0; lw < 4; ++lw) {
          for (const Operands& o : kOperandForms) {
            // Groups 12-14 choose the operation by ModRM.reg.
            const bool group = map == 1 && opcode >= 0x71 && opcode <= 0x73;
            for (unsigned reg = 0; reg < (group ? 8u : 1u); ++reg) {
              const unsigned reg_field = group ? reg : o.reg;
              const int imm =
                  has_imm8(map, static_cast<uint8_t>(opcode)) ? static_cast<int>(rng() & 0xff) : -1;
              Bytes bytes =
                  vex_encoding(map, pp, lw & 1, lw & 2, static_cast<uint8_t>(opcode), reg_field,
                               o.vvvv, static_cast<uint8_t>(o.rm), o.memory, imm);
              DecodedInsn insn;
              if (decode(mode, bytes, &insn) != DecodeStatus::kOk || insn.entry == nullptr) {
                continue;
              }
              out.push_back({bytes, mnemonic_name(insn.mnemonic)});
            }
          }
        }
      }
    }
  }
  return out;
}

// Whether an operand of the instruction is a general register or a
// 64-bit-only thing, which 32-bit code has differently.
bool uses_general_registers(const DecodedInsn& insn) {
  for (unsigned i = 0; i < insn.num_operands; ++i) {
    const OpMethod m = insn.operands[i].spec.method;
    if (m == OpMethod::kE || m == OpMethod::kG || m == OpMethod::kR) return true;
  }
  return false;
}

// VX86_SIMD_SCALE=N runs N times as many random states (default 1).
int scaled(int iterations) {
  const char* scale = std::getenv("VX86_SIMD_SCALE");
  return scale ? iterations * std::max(1, std::atoi(scale)) : iterations;
}

TEST(AvxDifferential, EveryAcceptedVexEncodingMatchesTheHost) {
  if (!host_has_avx2()) GTEST_SKIP() << "the host has no AVX2 to compare with";
  std::mt19937_64 rng(77);
  const std::vector<Encoding> encodings = accepted_encodings(rng);
  ASSERT_GT(encodings.size(), 1000u);
  GuestRunner interp(tcg::Backend::kInterpreter), jit(tcg::Backend::kJit);
  const int iterations = scaled(12);
  int failures = 0, changed = 0;
  for (const Encoding& e : encodings) {
    for (int i = 0; i < iterations && failures < 20; ++i) {
      const AvxState start = random_state(rng);
      AvxState want = start;
      if (!run_on_host(e.bytes, &want)) {
        ADD_FAILURE() << e.name << " (" << hex(e.bytes) << "): the host raises #UD";
        ++failures;
        break;
      }
      if (std::memcmp(&want, &start, offsetof(AvxState, host_mxcsr)) != 0) ++changed;
      for (GuestRunner* guest : {&interp, &jit}) {
        AvxState got = start;
        const int vector = guest->run(e.bytes, &got);
        const std::string diff =
            vector >= 0 ? " exception " + std::to_string(vector) : difference(want, got);
        if (!diff.empty()) {
          ADD_FAILURE() << e.name << " (" << hex(e.bytes) << ")"
                        << (guest == &jit ? " jit" : " interp") << ":" << diff;
          ++failures;
        }
      }
    }
  }
  std::printf("%zu VEX encodings compared with the host, %d runs changed the state\n",
              encodings.size(), changed);
  // Nearly every run changes something (the exceptions: a compare that
  // leaves the flags as they were, a store of what memory held).
  EXPECT_GT(changed, static_cast<int>(encodings.size()) * iterations * 9 / 10);
}

// VEX + opcode + ModRM (memory, SIB) + SIB with base RSI, for the gathers.
Bytes gather_encoding(uint8_t opcode, bool l, bool w, unsigned dst, unsigned mask, unsigned index,
                      unsigned scale_log2) {
  const uint8_t r = (dst & 8) ? 0 : 0x80, x = (index & 8) ? 0 : 0x40;
  return {0xC4,
          static_cast<uint8_t>(r | x | 0x20 | 2),
          static_cast<uint8_t>((w ? 0x80 : 0) | ((~mask & 15) << 3) | (l ? 4 : 0) | 1),
          opcode,
          static_cast<uint8_t>((dst & 7) << 3 | 4),
          static_cast<uint8_t>(scale_log2 << 6 | (index & 7) << 3 | 6)};
}

// The gathers, with indices that stay in the 64 bytes at [RSI] and random
// masks: the same loads, destination and cleared mask as the host's.
TEST(AvxDifferential, GathersMatchTheHost) {
  if (!host_has_avx2()) GTEST_SKIP() << "the host has no AVX2 to compare with";
  std::mt19937_64 rng(78);
  GuestRunner interp(tcg::Backend::kInterpreter), jit(tcg::Backend::kJit);
  struct Regs {
    unsigned dst, mask, index;
  };
  int runs = 0;
  for (uint8_t opcode = 0x90; opcode <= 0x93; ++opcode) {
    const bool qword_index = opcode & 1;
    for (unsigned lw = 0; lw < 4; ++lw) {
      const bool l = lw & 1, w = lw & 2;
      const unsigned esize = w ? 8 : 4;
      for (const Regs& regs : {Regs{0, 1, 2}, Regs{9, 13, 10}, Regs{3, 12, 8}}) {
        for (unsigned scale_log2 = 0; scale_log2 < 4; ++scale_log2) {
          const Bytes bytes =
              gather_encoding(opcode, l, w, regs.dst, regs.mask, regs.index, scale_log2);
          for (int i = 0; i < scaled(8); ++i) {
            AvxState start = random_state(rng);
            const uint64_t limit = (64 - esize) >> scale_log2;
            if (qword_index) {
              uint64_t idx[4];
              for (auto& v : idx) v = rng() % (limit + 1);
              std::memcpy(start.ymm[regs.index], idx, 32);
            } else {
              uint32_t idx[8];
              for (auto& v : idx) v = static_cast<uint32_t>(rng() % (limit + 1));
              std::memcpy(start.ymm[regs.index], idx, 32);
            }
            AvxState want = start;
            ASSERT_TRUE(run_on_host(bytes, &want)) << hex(bytes);
            for (GuestRunner* guest : {&interp, &jit}) {
              AvxState got = start;
              const int vector = guest->run(bytes, &got);
              const std::string diff =
                  vector >= 0 ? " exception " + std::to_string(vector) : difference(want, got);
              EXPECT_EQ(diff, "") << hex(bytes) << (guest == &jit ? " jit" : " interp");
            }
            ++runs;
          }
        }
      }
    }
  }
  EXPECT_GT(runs, 0);
}

// The same encodings in 32-bit code (compatibility mode): XMM/YMM0-7 only,
// vvvv's top bit and VEX.W for general registers ignored, [esi] addressing.
// Those with registers 0-7 and no general register mean the same there as
// in 64-bit code, so the host's 64-bit run is the reference.
TEST(AvxDifferential, ThirtyTwoBitCodeMatchesTheHost) {
  if (!host_has_avx2()) GTEST_SKIP() << "the host has no AVX2 to compare with";
  std::mt19937_64 rng(79);
  DecodeMode mode32;
  mode32.code_bits = 32;
  std::vector<Encoding> encodings;
  for (const Encoding& e : accepted_encodings(rng)) {
    // Registers 0-7 only: VEX.R, X, B (inverted) set, vvvv below 8.
    if (!(e.bytes[1] & 0x80) || !(e.bytes[1] & 0x40) || !(e.bytes[1] & 0x20) ||
        !(e.bytes[2] & 0x40)) {
      continue;
    }
    DecodedInsn insn;
    if (decode(mode32, e.bytes, &insn) != DecodeStatus::kOk || uses_general_registers(insn)) {
      continue;
    }
    // The register in imm8[7:4] is imm8[6:4] there.
    const bool is4 = insn.num_operands == 4 && insn.operands[3].spec.method == OpMethod::kL;
    if (is4 && (insn.imm & 0x80)) continue;
    encodings.push_back(e);
  }
  ASSERT_GT(encodings.size(), 500u);
  GuestRunner guest(tcg::Backend::kJit, CpuMode::kCompat32);
  int failures = 0;
  for (const Encoding& e : encodings) {
    for (int i = 0; i < scaled(4) && failures < 20; ++i) {
      const AvxState start = random_state(rng);
      AvxState want = start;
      ASSERT_TRUE(run_on_host(e.bytes, &want)) << hex(e.bytes);
      AvxState got = start;
      const int vector = guest.run(e.bytes, &got);
      // YMM8-15 and the upper halves of the general registers are not
      // there for 32-bit code.
      for (int r = 8; r < 16; ++r) std::memcpy(got.ymm[r], want.ymm[r], 32);
      for (auto& g : got.gpr) g &= 0xffffffff;
      for (auto& g : want.gpr) g &= 0xffffffff;
      const std::string diff =
          vector >= 0 ? " exception " + std::to_string(vector) : difference(want, got);
      if (!diff.empty()) {
        ADD_FAILURE() << e.name << " (" << hex(e.bytes) << ") 32-bit:" << diff;
        ++failures;
      }
    }
  }
  std::printf("%zu VEX encodings compared in 32-bit code\n", encodings.size());
}

}  // namespace
}  // namespace vx86::x86

namespace vx86::x86 {
namespace {

// Targeted cases on a harness of their own.
class AvxFaults : public ::testing::TestWithParam<tcg::Backend> {
 protected:
  static constexpr uint64_t kPageEnd = 0x400000;  // the 2 MiB page from here is made absent

  AvxFaults() : guest_(GetParam()), h_(guest_.harness()) {
    const uint64_t absent = 0;
    h_.write_memory(CpuHarness::kPageTables + 0x2000 + 8 * (kPageEnd >> 21), &absent, 8);
    X86Cpu& c = h_.cpu();
    for (int i = 0; i < 16; ++i) {
      c.xmm[i] = XmmReg{{0x1111111111111111ull * i, 0x2222222222222222ull * i}};
      c.ymmh[i] = XmmReg{{0x3333333333333333ull * i, 0x4444444444444444ull * i}};
    }
  }

  int run(const Bytes& insn, uint64_t rsi = CpuHarness::kData) {
    Bytes code = insn;
    code.push_back(0xf4);
    h_.load_code(code);
    h_.cpu().regs[kRSI] = rsi;
    return h_.run().exception;
  }

  GuestRunner guest_;
  CpuHarness& h_;
};

TEST_P(AvxFaults, UnavailableWithoutOsxsaveOrYmmStateAndNmWithTs) {
  X86Cpu& c = h_.cpu();
  const Bytes vaddps = {0xc5, 0xf4, 0x58, 0xc2};  // vaddps ymm0, ymm1, ymm2
  const Bytes vzeroupper = {0xc5, 0xf8, 0x77};
  EXPECT_EQ(run(vaddps), -1);
  c.xcr0 = kXcr0X87 | kXcr0Sse;
  EXPECT_EQ(run(vaddps), kExcUD);
  EXPECT_EQ(run(vzeroupper), kExcUD);
  c.xcr0 = kXcr0X87 | kXcr0Sse | kXcr0Avx;
  c.cr4 &= ~kCr4Osxsave;
  EXPECT_EQ(run(vaddps), kExcUD);
  c.cr4 |= kCr4Osxsave;
  c.cr0 |= kCr0TS;
  EXPECT_EQ(run(vaddps), kExcNM);
  c.cr0 &= ~kCr0TS;
  c.model.features.leaf1_ecx &= ~kCpuid1EcxAvx;  // qemu64: no AVX at all
  EXPECT_EQ(run(vaddps), kExcUD);
}

TEST_P(AvxFaults, OnlyTheAlignedMovesNeedAlignment) {
  EXPECT_EQ(run({0xc5, 0xf0, 0x58, 0x46, 0x04}), -1);      // vaddps xmm0, xmm1, [rsi+4]
  EXPECT_EQ(run({0xc5, 0xfc, 0x10, 0x46, 0x01}), -1);      // vmovups ymm0, [rsi+1]
  EXPECT_EQ(run({0xc5, 0xf8, 0x28, 0x46, 0x10}), -1);      // vmovaps xmm0, [rsi+16]
  EXPECT_EQ(run({0xc5, 0xfc, 0x28, 0x46, 0x10}), kExcGP);  // vmovaps ymm0, [rsi+16]
  EXPECT_EQ(run({0xc5, 0xfd, 0xe7, 0x46, 0x10}), kExcGP);  // vmovntdq [rsi+16], ymm0
}

TEST_P(AvxFaults, FaultInTheSecondLaneLeavesTheDestinationAndMemory) {
  X86Cpu& c = h_.cpu();
  const XmmReg low = c.xmm[0], high = c.ymmh[0];
  // vaddps ymm0, ymm1, [rsi]: the second 16 bytes are on the absent page.
  EXPECT_EQ(run({0xc5, 0xf4, 0x58, 0x06}, kPageEnd - 16), kExcPF);
  EXPECT_EQ(c.cr2, kPageEnd);
  EXPECT_EQ(std::memcmp(&c.xmm[0], &low, 16), 0);
  EXPECT_EQ(std::memcmp(&c.ymmh[0], &high, 16), 0);
  // vmovups [rsi], ymm2 across the same boundary stores nothing.
  uint8_t before[16], after[16];
  h_.read_memory(kPageEnd - 16, before, 16);
  EXPECT_EQ(run({0xc5, 0xfc, 0x11, 0x16}, kPageEnd - 16), kExcPF);
  h_.read_memory(kPageEnd - 16, after, 16);
  EXPECT_EQ(std::memcmp(before, after, 16), 0);
}

TEST_P(AvxFaults, MaskedOffElementsAreNotAccessed) {
  X86Cpu& c = h_.cpu();
  c.xmm[1] = XmmReg{{~0ull, ~0ull}};  // elements 0-3 selected, 4-7 (on the absent page) not
  c.ymmh[1] = XmmReg{{0, 0}};
  const uint64_t data[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  h_.write_memory(kPageEnd - 16, data, 16);
  // vmaskmovps ymm0, ymm1, [rsi]
  EXPECT_EQ(run({0xc4, 0xe2, 0x75, 0x2c, 0x06}, kPageEnd - 16), -1);
  EXPECT_EQ(c.xmm[0].q[0], data[0]);
  EXPECT_EQ(c.xmm[0].q[1], data[1]);
  EXPECT_EQ(c.ymmh[0].q[0] | c.ymmh[0].q[1], 0u);
  // vmaskmovps [rsi], ymm1, ymm2 stores the selected ones only.
  EXPECT_EQ(run({0xc4, 0xe2, 0x75, 0x2e, 0x16}, kPageEnd - 16), -1);
  uint64_t stored[2];
  h_.read_memory(kPageEnd - 16, stored, 16);
  EXPECT_EQ(stored[0], c.xmm[2].q[0]);
  // With an element on the absent page selected, the access faults.
  c.ymmh[1] = XmmReg{{1ull << 31, 0}};
  EXPECT_EQ(run({0xc4, 0xe2, 0x75, 0x2c, 0x06}, kPageEnd - 16), kExcPF);
}

TEST_P(AvxFaults, GatherFaultKeepsTheElementsAlreadyLoaded) {
  X86Cpu& c = h_.cpu();
  // vpgatherdd xmm0, [rsi+xmm2*4], xmm1 with rsi 8 bytes below the absent
  // page: elements 0 and 1 load, element 2 faults, element 3 waits.
  c.xmm[1] = XmmReg{{~0ull, ~0ull}};
  c.xmm[2] = XmmReg{{0x0000000100000000ull, 0x0000000300000002ull}};
  const uint64_t data = 0x2222222211111111ull;
  h_.write_memory(kPageEnd - 8, &data, 8);
  const uint64_t old_high = c.xmm[0].q[1];
  EXPECT_EQ(run({0xc4, 0xe2, 0x71, 0x90, 0x04, 0x96}, kPageEnd - 8), kExcPF);
  EXPECT_EQ(c.xmm[0].q[0], data);
  EXPECT_EQ(c.xmm[0].q[1], old_high);
  EXPECT_EQ(c.xmm[1].q[0], 0u);     // done: mask cleared
  EXPECT_EQ(c.xmm[1].q[1], ~0ull);  // still to do
}

TEST_P(AvxFaults, LegacySseKeepsTheUpperHalfAndVex128ZeroesIt) {
  X86Cpu& c = h_.cpu();
  const XmmReg high = c.ymmh[3];
  EXPECT_EQ(run({0x0f, 0x58, 0xda}), -1);  // addps xmm3, xmm2
  EXPECT_EQ(std::memcmp(&c.ymmh[3], &high, 16), 0);
  EXPECT_EQ(run({0xc5, 0xe0, 0x58, 0xda}), -1);  // vaddps xmm3, xmm3, xmm2
  EXPECT_EQ(c.ymmh[3].q[0] | c.ymmh[3].q[1], 0u);
  EXPECT_EQ(run({0xc5, 0xfc, 0x77}), -1);  // vzeroall
  for (int i = 0; i < 16; ++i) EXPECT_EQ(c.xmm[i].q[0] | c.ymmh[i].q[1], 0u) << i;
}

TEST_P(AvxFaults, XsaveAndXrstorCarryTheUpperHalves) {
  X86Cpu& c = h_.cpu();
  c.regs[kRAX] = 7;
  c.regs[kRDX] = 0;
  c.regs[kRDI] = CpuHarness::kData;
  const Bytes xsave = {0x0f, 0xae, 0x27}, xrstor = {0x0f, 0xae, 0x2f};  // [rdi]
  std::vector<uint8_t> zeros(1024, 0);
  h_.write_memory(CpuHarness::kData, zeros.data(), zeros.size());
  ASSERT_EQ(run(xsave), -1);
  uint8_t area[kXsaveAreaMaxSize];
  h_.read_memory(CpuHarness::kData, area, sizeof(area));
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(std::memcmp(area + kXsaveAvxOffset + 16 * i, &c.ymmh[i], 16), 0) << i;
  }
  uint64_t xstate_bv;
  std::memcpy(&xstate_bv, area + 512, 8);
  EXPECT_EQ(xstate_bv & kXcr0Avx, kXcr0Avx);
  const XmmReg saved = c.ymmh[5];
  for (XmmReg& r : c.ymmh) r = XmmReg{{0, 0}};
  ASSERT_EQ(run(xrstor), -1);
  EXPECT_EQ(std::memcmp(&c.ymmh[5], &saved, 16), 0);
  // XSTATE_BV without AVX puts the upper halves in their initial state.
  xstate_bv &= ~kXcr0Avx;
  h_.write_memory(CpuHarness::kData + 512, &xstate_bv, 8);
  ASSERT_EQ(run(xrstor), -1);
  EXPECT_EQ(c.ymmh[5].q[0] | c.ymmh[5].q[1], 0u);
  // XSETBV: AVX needs SSE, and a model with AVX.
  c.regs[kRCX] = 0;
  c.regs[kRAX] = kXcr0X87 | kXcr0Avx;
  EXPECT_EQ(run({0x0f, 0x01, 0xd1}), kExcGP);
  c.regs[kRAX] = 7;
  EXPECT_EQ(run({0x0f, 0x01, 0xd1}), -1);
  c.model.features.leaf1_ecx &= ~kCpuid1EcxAvx;
  EXPECT_EQ(run({0x0f, 0x01, 0xd1}), kExcGP);
}

TEST_P(AvxFaults, CpuidReportsTheXsaveAreaForXcr0) {
  X86Cpu& c = h_.cpu();
  const Bytes cpuid = {0x0f, 0xa2};
  auto leaf_d = [&](uint32_t subleaf) {
    c.regs[kRAX] = 0xd;
    c.regs[kRCX] = subleaf;
    EXPECT_EQ(run(cpuid), -1);
    return std::array<uint64_t, 4>{c.regs[kRAX], c.regs[kRBX], c.regs[kRCX], c.regs[kRDX]};
  };
  EXPECT_EQ(leaf_d(0), (std::array<uint64_t, 4>{7, 832, 832, 0}));
  EXPECT_EQ(leaf_d(2), (std::array<uint64_t, 4>{256, 576, 0, 0}));
  c.xcr0 = kXcr0X87 | kXcr0Sse;
  EXPECT_EQ(leaf_d(0), (std::array<uint64_t, 4>{7, 576, 832, 0}));
}

INSTANTIATE_TEST_SUITE_P(Backends, AvxFaults,
                         ::testing::Values(tcg::Backend::kInterpreter, tcg::Backend::kJit),
                         [](const ::testing::TestParamInfo<tcg::Backend>& info) {
                           return info.param == tcg::Backend::kJit ? "Jit" : "Interpreter";
                         });

}  // namespace
}  // namespace vx86::x86
