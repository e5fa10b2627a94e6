// SSE3, SSSE3, SSE4.1, SSE4.2, CRC32, AES-NI, PCLMULQDQ and SHA against the host CPU. Each form runs
// natively (a generated code buffer) and in vx86 (64-bit long mode, IR
// interpreter) from the same random state: XMM0-2 (XMM0 is the implicit
// BLENDV mask / PCMPxSTRM result), MM0-1, RAX/RCX/RDX/RBP, the arithmetic
// flags, MXCSR (random rounding mode, DAZ, FTZ, sticky flags; exceptions
// masked) and 32 bytes at [RSI]. Every one of them must come out equal, bit
// for bit. Unmasked exceptions and faults have targeted tests at the end.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/x86_cpu.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86 {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::CpuHarness;
using testing::CpuMode;

struct alignas(16) SimdState {
  uint64_t xmm[3][2];      // 0
  uint64_t mm[2];          // 48
  uint64_t mem[4];         // 64: [rsi]
  uint64_t rax, rcx, rdx;  // 96
  uint64_t flags;          // 120
  uint32_t mxcsr;          // 128
  uint32_t host_mxcsr;     // 132
  uint64_t rbp;            // 136
};
static_assert(offsetof(SimdState, rbp) == 136);

// Loads SimdState from [rdi], runs the instruction, stores it back (the
// host's MXCSR and RBP are restored; EMMS leaves the x87 usable).
class HostRunner {
 public:
  HostRunner() {
    page_ =
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(page_, MAP_FAILED);
  }
  ~HostRunner() { munmap(page_, 4096); }

  void run(const Bytes& insn, SimdState* state) {
    static const Bytes kPrologue = {0x55,                                      // push rbp
                                    0x0f, 0xae, 0x9f, 0x84, 0x00, 0x00, 0x00,  // stmxcsr [rdi+132]
                                    0x0f, 0x10, 0x07,                          // movups xmm0, [rdi]
                                    0x0f, 0x10, 0x4f, 0x10,  // movups xmm1, [rdi+16]
                                    0x0f, 0x10, 0x57, 0x20,  // movups xmm2, [rdi+32]
                                    0x0f, 0x6f, 0x47, 0x30,  // movq mm0, [rdi+48]
                                    0x0f, 0x6f, 0x4f, 0x38,  // movq mm1, [rdi+56]
                                    0x0f, 0xae, 0x97, 0x80, 0x00, 0x00, 0x00,  // ldmxcsr [rdi+128]
                                    0x48, 0x8d, 0x77, 0x40,                    // lea rsi, [rdi+64]
                                    0x48, 0x8b, 0x47, 0x60,                    // mov rax, [rdi+96]
                                    0x48, 0x8b, 0x4f, 0x68,                    // mov rcx, [rdi+104]
                                    0x48, 0x8b, 0x57, 0x70,                    // mov rdx, [rdi+112]
                                    0x48, 0x8b, 0xaf, 0x88, 0x00, 0x00, 0x00,  // mov rbp, [rdi+136]
                                    0xff, 0x77, 0x78,        // push qword [rdi+120]
                                    0x9d};                   // popfq
    static const Bytes kEpilogue = {0x9c,                    // pushfq
                                    0x8f, 0x47, 0x78,        // pop qword [rdi+120]
                                    0x48, 0x89, 0x47, 0x60,  // mov [rdi+96], rax
                                    0x48, 0x89, 0x4f, 0x68,  // mov [rdi+104], rcx
                                    0x48, 0x89, 0x57, 0x70,  // mov [rdi+112], rdx
                                    0x48, 0x89, 0xaf, 0x88, 0x00, 0x00, 0x00,  // mov [rdi+136], rbp
                                    0x0f, 0xae, 0x9f, 0x80, 0x00, 0x00, 0x00,  // stmxcsr [rdi+128]
                                    0x0f, 0x11, 0x07,                          // movups [rdi], xmm0
                                    0x0f, 0x11, 0x4f, 0x10,  // movups [rdi+16], xmm1
                                    0x0f, 0x11, 0x57, 0x20,  // movups [rdi+32], xmm2
                                    0x0f, 0xae, 0x97, 0x84, 0x00, 0x00, 0x00,  // ldmxcsr [rdi+132]
                                    0x0f, 0x7f, 0x47, 0x30,                    // movq [rdi+48], mm0
                                    0x0f, 0x7f, 0x4f, 0x38,                    // movq [rdi+56], mm1
                                    0x0f, 0x77,                                // emms
                                    0x5d,                                      // pop rbp
                                    0xc3};                                     // ret
    uint8_t* p = static_cast<uint8_t*>(page_);
    std::memcpy(p, kPrologue.data(), kPrologue.size());
    std::memcpy(p + kPrologue.size(), insn.data(), insn.size());
    std::memcpy(p + kPrologue.size() + insn.size(), kEpilogue.data(), kEpilogue.size());
    reinterpret_cast<void (*)(SimdState*)>(page_)(state);
  }

 private:
  void* page_;
};

// The same state in a vx86 vCPU (long mode, CR4.OSFXSR/OSXMMEXCPT set).
class GuestRunner {
 public:
  explicit GuestRunner(tcg::Backend backend = tcg::Backend::kInterpreter) : h_(CpuMode::kLong64) {
    h_.cpu().cr4 |= kCr4Osfxsr | kCr4Osxmmexcpt;
    h_.cpu().cr0 |= kCr0MP | kCr0NE;
    h_.cpu().tcg_backend = backend;
  }
  CpuHarness& harness() { return h_; }

  void load(const Bytes& insn) {
    Bytes code = insn;
    code.push_back(0xf4);  // hlt
    h_.load_code(code);
  }

  // Returns the exception vector, -1 if none.
  int run(SimdState* state) {
    X86Cpu& c = h_.cpu();
    for (int i = 0; i < 3; ++i) std::memcpy(c.xmm[i].q, state->xmm[i], 16);
    c.st[0] = Float80{state->mm[0], 0, {}};
    c.st[1] = Float80{state->mm[1], 0, {}};
    c.fpu_top = 5;
    c.fpu_tw = 0xffff;
    c.mxcsr = state->mxcsr;
    c.regs[kRAX] = state->rax;
    c.regs[kRCX] = state->rcx;
    c.regs[kRDX] = state->rdx;
    c.regs[kRBP] = state->rbp;
    c.regs[kRSI] = CpuHarness::kData;
    h_.write_memory(CpuHarness::kData, state->mem, sizeof(state->mem));
    h_.set_arith_flags(static_cast<uint32_t>(state->flags) & kFlagsArith);
    c.rip = h_.code_address();
    testing::RunResult r = h_.run();
    EXPECT_TRUE(r.halted);
    for (int i = 0; i < 3; ++i) std::memcpy(state->xmm[i], c.xmm[i].q, 16);
    state->mm[0] = c.st[0].mantissa;
    state->mm[1] = c.st[1].mantissa;
    state->mxcsr = c.mxcsr;
    state->rax = c.regs[kRAX];
    state->rcx = c.regs[kRCX];
    state->rdx = c.regs[kRDX];
    state->rbp = c.regs[kRBP];
    h_.read_memory(CpuHarness::kData, state->mem, sizeof(state->mem));
    state->flags = h_.arith_flags();
    return r.exception;
  }

 private:
  CpuHarness h_;
};

// ---------------------------------------------------------------------------
// Operands.

enum class Data { kF32, kF64, kInt, kString8, kString16 };

// Floating-point bit patterns where results differ: zeros, infinities,
// quiet and signalling NaNs, denormals, the extremes, halfway and
// near-integer values for ROUND*.
uint32_t pick_f32(std::mt19937_64& rng) {
  static const uint32_t kEdge[] = {
      0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
      0xffa00000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000,
      0xbf800000, 0x3f000000, 0xbf000000, 0x3fc00000, 0xc0200000, 0x4b000000, 0x4affffff,
      0xcb7fffff, 0x3effffff, 0x3f7fffff, 0x40400000, 0x5f000000, 0x3f800001, 0x00400000};
  const unsigned kind = rng() % 5;
  if (kind == 0) return kEdge[rng() % std::size(kEdge)];
  if (kind == 1) return static_cast<uint32_t>(rng());
  const uint32_t exponent = 110 + static_cast<uint32_t>(rng() % 40);  // ~1e-5 .. 1e7
  return (static_cast<uint32_t>(rng() & 1) << 31) | (exponent << 23) |
         static_cast<uint32_t>(rng() & 0x7fffff);
}

uint64_t pick_f64(std::mt19937_64& rng) {
  static const uint64_t kEdge[] = {
      0x0000000000000000, 0x8000000000000000, 0x7ff0000000000000, 0xfff0000000000000,
      0x7ff8000000000000, 0xfff8000000000001, 0x7ff0000000000001, 0xfff4000000000000,
      0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000, 0x7fefffffffffffff,
      0x3ff0000000000000, 0xbff0000000000000, 0x3fe0000000000000, 0xbfe0000000000000,
      0x3ff8000000000000, 0xc004000000000000, 0x4330000000000000, 0x432fffffffffffff,
      0xc33fffffffffffff, 0x3fdfffffffffffff, 0x3fefffffffffffff, 0x4008000000000000,
      0x43e0000000000000, 0x3ff0000000000001, 0x0008000000000000};
  const unsigned kind = rng() % 5;
  if (kind == 0) return kEdge[rng() % std::size(kEdge)];
  if (kind == 1) return rng();
  const uint64_t exponent = 1000 + rng() % 60;
  return ((rng() & 1) << 63) | (exponent << 52) | (rng() & 0xfffffffffffffull);
}

// Text-like elements from a small alphabet, so that the string comparisons
// find matches, ranges and terminators.
uint64_t pick_string(std::mt19937_64& rng, bool words) {
  static const uint16_t kAlphabet[] = {'a', 'b', 'c', 'z', 0x41, 0x7f, 0x80, 0xff, 0x8000, 0xffff};
  uint64_t v = 0;
  for (int i = 0; i < (words ? 4 : 8); ++i) {
    uint64_t e = rng() % 12 == 0 ? 0 : kAlphabet[rng() % std::size(kAlphabet)];
    if (!words) e &= 0xff;
    v |= e << (words ? 16 * i : 8 * i);
  }
  return v;
}

uint64_t pick_int(std::mt19937_64& rng) {
  static const uint8_t kBytes[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x0f, 0x8f};
  if (rng() & 1) return rng();
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{kBytes[rng() % std::size(kBytes)]} << (8 * i);
  return v;
}

uint64_t pick(std::mt19937_64& rng, Data data) {
  switch (data) {
    case Data::kF32:
      return pick_f32(rng) | uint64_t{pick_f32(rng)} << 32;
    case Data::kF64:
      return pick_f64(rng);
    case Data::kString8:
      return pick_string(rng, false);
    case Data::kString16:
      return pick_string(rng, true);
    default:
      return pick_int(rng);
  }
}

// PCMPESTRx lengths: mostly in and around 0..16, sometimes extremes.
uint64_t pick_length(std::mt19937_64& rng) {
  static const uint64_t kExtreme[] = {0x80000000ull,  0xffffffff80000000ull,
                                      0x7fffffffull,  0x8000000000000000ull,
                                      0x100000005ull, 0xfffffffffffffff0ull};
  if (rng() % 6 == 0) return kExtreme[rng() % std::size(kExtreme)];
  return static_cast<uint64_t>(static_cast<int64_t>(rng() % 41) - 20);
}

uint32_t pick_mxcsr(std::mt19937_64& rng) {
  uint32_t csr = kMxcsrMasks | static_cast<uint32_t>(rng() % 4) << 13;
  if (rng() % 3 == 0) csr |= kMxcsrDaz;
  if (rng() % 3 == 0) csr |= kMxcsrFtz;
  if (rng() % 4 == 0) csr |= static_cast<uint32_t>(rng()) & kMxcsrFlags;
  return csr;
}

struct Form {
  std::string name;
  Bytes bytes;
  Data data;
  bool random_imm = false;  // the last byte is a fresh random imm8 each run
  bool mmx = false;         // touches MMX registers: TOP = 0, all tags valid after
};

SimdState random_state(std::mt19937_64& rng, Data data) {
  SimdState s{};
  for (auto& x : s.xmm) {
    x[0] = pick(rng, data);
    x[1] = pick(rng, data);
  }
  for (auto& m : s.mm) m = pick(rng, data == Data::kF32 || data == Data::kF64 ? Data::kInt : data);
  for (auto& m : s.mem) m = pick(rng, data);
  // Sometimes equal operands, for the comparisons and string matches.
  if (rng() % 8 == 0) std::memcpy(s.xmm[2], s.xmm[1], 16);
  s.rax = (data == Data::kString8 || data == Data::kString16) ? pick_length(rng) : rng();
  s.rdx = (data == Data::kString8 || data == Data::kString16) ? pick_length(rng) : rng();
  s.rcx = rng();
  s.rbp = rng();
  s.flags = kFlagReserved1 | (static_cast<uint32_t>(rng()) & kFlagsArith);
  s.mxcsr = pick_mxcsr(rng);
  return s;
}

std::string describe(const SimdState& s) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "x0 %016lx:%016lx x1 %016lx:%016lx x2 %016lx:%016lx mm %016lx %016lx\n"
                "   rax %lx rcx %lx rdx %lx rbp %lx flags %lx mxcsr %x mem %016lx %016lx",
                s.xmm[0][1], s.xmm[0][0], s.xmm[1][1], s.xmm[1][0], s.xmm[2][1], s.xmm[2][0],
                s.mm[0], s.mm[1], s.rax, s.rcx, s.rdx, s.rbp, s.flags & kFlagsArith, s.mxcsr,
                s.mem[0], s.mem[1]);
  return buf;
}

bool same(const SimdState& a, const SimdState& b) {
  return std::memcmp(a.xmm, b.xmm, sizeof(a.xmm)) == 0 && a.mm[0] == b.mm[0] &&
         a.mm[1] == b.mm[1] && std::memcmp(a.mem, b.mem, sizeof(a.mem)) == 0 && a.rax == b.rax &&
         a.rcx == b.rcx && a.rdx == b.rdx && a.rbp == b.rbp && a.mxcsr == b.mxcsr &&
         (a.flags & kFlagsArith) == (b.flags & kFlagsArith);
}

// VX86_SIMD_SCALE=N runs N times as many random operands (default 1).
int scaled(int iterations) {
  const char* scale = std::getenv("VX86_SIMD_SCALE");
  return scale ? iterations * std::max(1, std::atoi(scale)) : iterations;
}

// Runs every form `iterations` times natively and in vx86.
void run_forms(const std::vector<Form>& forms, int iterations, uint64_t seed,
               tcg::Backend backend = tcg::Backend::kInterpreter) {
  iterations = scaled(iterations);
  GuestRunner guest(backend);
  HostRunner host;
  std::mt19937_64 rng(seed);
  int mismatches = 0, runs = 0, changed = 0;
  for (const Form& form : forms) {
    Bytes bytes = form.bytes;
    if (!form.random_imm) guest.load(bytes);
    for (int i = 0; i < iterations && mismatches < 20; ++i) {
      if (form.random_imm) {
        bytes.back() = static_cast<uint8_t>(rng());
        guest.load(bytes);
      }
      const SimdState in = random_state(rng, form.data);
      SimdState native = in, mine = in;
      host.run(bytes, &native);
      const int vector = guest.run(&mine);
      ++runs;
      if (!same(in, native)) ++changed;
      bool ok = vector == -1 && same(native, mine);
      if (form.mmx)
        ok = ok && guest.harness().cpu().fpu_top == 0 && guest.harness().cpu().fpu_tw == 0;
      if (!ok) {
        ++mismatches;
        char imm[8];
        std::snprintf(imm, sizeof(imm), "%02x", bytes.back());
        ADD_FAILURE() << form.name << " (last byte " << imm << ") vector " << vector << "\n in   "
                      << describe(in) << "\n host " << describe(native) << "\n vx86 "
                      << describe(mine);
      }
    }
  }
  EXPECT_EQ(runs, static_cast<int>(forms.size()) * iterations);
  EXPECT_GT(changed, runs / 2);  // the comparison is not vacuous
}

// ModRM bytes: xmm1 <- xmm2 (or mm0 <- mm1), and xmm1 <- [rsi+disp8].
constexpr uint8_t kXmm1Xmm2 = 0xca, kMm0Mm1 = 0xc1, kXmm1Mem = 0x4e;

// ---------------------------------------------------------------------------
// SSE3

std::vector<Form> sse3_forms() {
  std::vector<Form> f;
  const struct {
    const char* name;
    uint8_t prefix, op;
    Data data;
  } kOps[] = {{"addsubps", 0xf2, 0xd0, Data::kF32}, {"addsubpd", 0x66, 0xd0, Data::kF64},
              {"haddps", 0xf2, 0x7c, Data::kF32},   {"haddpd", 0x66, 0x7c, Data::kF64},
              {"hsubps", 0xf2, 0x7d, Data::kF32},   {"hsubpd", 0x66, 0x7d, Data::kF64},
              {"movshdup", 0xf3, 0x16, Data::kInt}, {"movsldup", 0xf3, 0x12, Data::kInt},
              {"movddup", 0xf2, 0x12, Data::kInt}};
  for (const auto& o : kOps) {
    f.push_back({o.name, {o.prefix, 0x0f, o.op, kXmm1Xmm2}, o.data});
    f.push_back({std::string(o.name) + "-mem", {o.prefix, 0x0f, o.op, 0x0e}, o.data});
  }
  f.push_back({"movddup-m64", {0xf2, 0x0f, 0x12, kXmm1Mem, 0x08}, Data::kInt});
  f.push_back({"lddqu-unaligned", {0xf2, 0x0f, 0xf0, kXmm1Mem, 0x03}, Data::kInt});
  return f;
}

TEST(Sse3Differential, AllForms) {
  run_forms(sse3_forms(), 400, 11);
}

// ---------------------------------------------------------------------------
// SSSE3 (0F 38 00-0B, 1C-1E; 0F 3A 0F), XMM and MMX forms.

std::vector<Form> ssse3_forms() {
  std::vector<Form> f;
  const uint8_t kOps[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                          0x08, 0x09, 0x0a, 0x0b, 0x1c, 0x1d, 0x1e};
  char name[32];
  for (uint8_t op : kOps) {
    std::snprintf(name, sizeof(name), "66-0f38-%02x", op);
    f.push_back({name, {0x66, 0x0f, 0x38, op, kXmm1Xmm2}, Data::kInt});
    std::snprintf(name, sizeof(name), "66-0f38-%02x-mem", op);
    f.push_back({name, {0x66, 0x0f, 0x38, op, 0x0e}, Data::kInt});
    std::snprintf(name, sizeof(name), "mmx-0f38-%02x", op);
    f.push_back({name, {0x0f, 0x38, op, kMm0Mm1}, Data::kInt, false, true});
    std::snprintf(name, sizeof(name), "mmx-0f38-%02x-mem", op);
    f.push_back({name, {0x0f, 0x38, op, 0x46, 0x08}, Data::kInt, false, true});
  }
  f.push_back({"palignr", {0x66, 0x0f, 0x3a, 0x0f, kXmm1Xmm2, 0}, Data::kInt, true});
  f.push_back({"palignr-mem", {0x66, 0x0f, 0x3a, 0x0f, 0x0e, 0}, Data::kInt, true});
  f.push_back({"palignr-mmx", {0x0f, 0x3a, 0x0f, kMm0Mm1, 0}, Data::kInt, true, true});
  f.push_back({"palignr-mmx-mem", {0x0f, 0x3a, 0x0f, 0x46, 0x08, 0}, Data::kInt, true, true});
  for (uint8_t count : {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33}) {
    f.push_back({"palignr-" + std::to_string(count),
                 {0x66, 0x0f, 0x3a, 0x0f, kXmm1Xmm2, count},
                 Data::kInt});
    f.push_back({"palignr-mmx-" + std::to_string(count),
                 {0x0f, 0x3a, 0x0f, kMm0Mm1, count},
                 Data::kInt,
                 false,
                 true});
  }
  return f;
}

TEST(Ssse3Differential, AllForms) {
  run_forms(ssse3_forms(), 150, 12);
}

// ---------------------------------------------------------------------------
// SSE4.1 / SSE4.2 integer, blends, inserts and extracts.

std::vector<Form> sse41_int_forms() {
  std::vector<Form> f;
  const uint8_t kOps38[] = {0x10, 0x14, 0x15, 0x17, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
                            0x28, 0x29, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37,
                            0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41};
  char name[32];
  for (uint8_t op : kOps38) {
    std::snprintf(name, sizeof(name), "66-0f38-%02x", op);
    f.push_back({name, {0x66, 0x0f, 0x38, op, kXmm1Xmm2}, Data::kInt});
    std::snprintf(name, sizeof(name), "66-0f38-%02x-mem", op);
    // PMOVSX/ZX read 2, 4 or 8 bytes: an unaligned address is fine there.
    const bool narrow = (op >= 0x20 && op <= 0x25) || (op >= 0x30 && op <= 0x35);
    f.push_back({name,
                 narrow ? Bytes{0x66, 0x0f, 0x38, op, kXmm1Mem, 0x05}
                        : Bytes{0x66, 0x0f, 0x38, op, 0x4e, 0x10},
                 Data::kInt});
  }
  f.push_back({"movntdqa", {0x66, 0x0f, 0x38, 0x2a, 0x4e, 0x10}, Data::kInt});
  // Immediate forms, random imm8.
  const uint8_t kOps3a[] = {0x0c, 0x0d, 0x0e, 0x21, 0x42};
  for (uint8_t op : kOps3a) {
    std::snprintf(name, sizeof(name), "66-0f3a-%02x", op);
    f.push_back({name, {0x66, 0x0f, 0x3a, op, kXmm1Xmm2, 0}, Data::kInt, true});
    std::snprintf(name, sizeof(name), "66-0f3a-%02x-mem", op);
    f.push_back({name,
                 op == 0x21 ? Bytes{0x66, 0x0f, 0x3a, op, kXmm1Mem, 0x06, 0}
                            : Bytes{0x66, 0x0f, 0x3a, op, 0x0e, 0},
                 Data::kInt, true});
  }
  // Extracts to a register (eax, and ebp: r32 even where a byte register
  // would be CH) and to memory; inserts from eax/ebp/memory.
  f.push_back({"pextrb-eax", {0x66, 0x0f, 0x3a, 0x14, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pextrb-ebp", {0x66, 0x0f, 0x3a, 0x14, 0xcd, 0}, Data::kInt, true});
  f.push_back({"pextrb-mem", {0x66, 0x0f, 0x3a, 0x14, 0x4e, 0x05, 0}, Data::kInt, true});
  f.push_back({"pextrw-eax", {0x66, 0x0f, 0x3a, 0x15, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pextrw-mem", {0x66, 0x0f, 0x3a, 0x15, 0x4e, 0x03, 0}, Data::kInt, true});
  f.push_back({"pextrd-eax", {0x66, 0x0f, 0x3a, 0x16, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pextrd-mem", {0x66, 0x0f, 0x3a, 0x16, 0x4e, 0x04, 0}, Data::kInt, true});
  f.push_back({"pextrq-rax", {0x66, 0x48, 0x0f, 0x3a, 0x16, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pextrq-mem", {0x66, 0x48, 0x0f, 0x3a, 0x16, 0x4e, 0x08, 0}, Data::kInt, true});
  f.push_back({"extractps-eax", {0x66, 0x0f, 0x3a, 0x17, 0xc8, 0}, Data::kInt, true});
  f.push_back({"extractps-mem", {0x66, 0x0f, 0x3a, 0x17, 0x4e, 0x0c, 0}, Data::kInt, true});
  f.push_back({"pinsrb-eax", {0x66, 0x0f, 0x3a, 0x20, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pinsrb-ebp", {0x66, 0x0f, 0x3a, 0x20, 0xcd, 0}, Data::kInt, true});
  f.push_back({"pinsrb-mem", {0x66, 0x0f, 0x3a, 0x20, 0x4e, 0x07, 0}, Data::kInt, true});
  f.push_back({"pinsrd-eax", {0x66, 0x0f, 0x3a, 0x22, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pinsrd-mem", {0x66, 0x0f, 0x3a, 0x22, 0x4e, 0x02, 0}, Data::kInt, true});
  f.push_back({"pinsrq-rax", {0x66, 0x48, 0x0f, 0x3a, 0x22, 0xc8, 0}, Data::kInt, true});
  f.push_back({"pinsrq-mem", {0x66, 0x48, 0x0f, 0x3a, 0x22, 0x4e, 0x09, 0}, Data::kInt, true});
  return f;
}

TEST(Sse41Differential, IntegerBlendsInsertsExtracts) {
  run_forms(sse41_int_forms(), 150, 13);
}

// ---------------------------------------------------------------------------
// SSE4.1 floating point: ROUNDPS/PD/SS/SD under every immediate (rounding
// modes 0-3, MXCSR.RC, precision suppression; the upper bits are ignored)
// and DPPS/DPPD with random immediates.

std::vector<Form> sse41_fp_forms() {
  std::vector<Form> f;
  const struct {
    const char* name;
    uint8_t op;
    Data data;
  } kRound[] = {{"roundps", 0x08, Data::kF32},
                {"roundpd", 0x09, Data::kF64},
                {"roundss", 0x0a, Data::kF32},
                {"roundsd", 0x0b, Data::kF64}};
  for (const auto& r : kRound) {
    for (uint8_t imm = 0; imm < 16; ++imm) {
      f.push_back({std::string(r.name) + "-" + std::to_string(imm),
                   {0x66, 0x0f, 0x3a, r.op, kXmm1Xmm2, imm},
                   r.data});
    }
    f.push_back(
        {std::string(r.name) + "-high-imm", {0x66, 0x0f, 0x3a, r.op, kXmm1Xmm2, 0xf9}, r.data});
    f.push_back({std::string(r.name) + "-mem", {0x66, 0x0f, 0x3a, r.op, 0x0e, 0}, r.data, true});
  }
  f.push_back({"dpps", {0x66, 0x0f, 0x3a, 0x40, kXmm1Xmm2, 0}, Data::kF32, true});
  f.push_back({"dpps-mem", {0x66, 0x0f, 0x3a, 0x40, 0x0e, 0}, Data::kF32, true});
  f.push_back({"dpps-ff", {0x66, 0x0f, 0x3a, 0x40, kXmm1Xmm2, 0xff}, Data::kF32});
  f.push_back({"dppd", {0x66, 0x0f, 0x3a, 0x41, kXmm1Xmm2, 0}, Data::kF64, true});
  f.push_back({"dppd-mem", {0x66, 0x0f, 0x3a, 0x41, 0x0e, 0}, Data::kF64, true});
  f.push_back({"dppd-33", {0x66, 0x0f, 0x3a, 0x41, kXmm1Xmm2, 0x33}, Data::kF64});
  f.push_back({"blendvps-fp", {0x66, 0x0f, 0x38, 0x14, kXmm1Xmm2}, Data::kF32});
  f.push_back({"blendvpd-fp", {0x66, 0x0f, 0x38, 0x15, kXmm1Xmm2}, Data::kF64});
  return f;
}

TEST(Sse41Differential, RoundAndDotProduct) {
  run_forms(sse41_fp_forms(), 150, 14);
}

// ---------------------------------------------------------------------------
// SSE4.2: PCMPESTRI/M and PCMPISTRI/M under random immediates (every
// format, aggregation, polarity and output selection), with REX.W for the
// 64-bit lengths; PCMPGTQ; CRC32 in every operand size.

std::vector<Form> sse42_forms() {
  std::vector<Form> f;
  const char* kNames[] = {"pcmpestrm", "pcmpestri", "pcmpistrm", "pcmpistri"};
  for (uint8_t op = 0x60; op <= 0x63; ++op) {
    const std::string name = kNames[op - 0x60];
    for (Data data : {Data::kString8, Data::kString16}) {
      const std::string suffix = data == Data::kString8 ? "-b" : "-w";
      f.push_back({name + suffix, {0x66, 0x0f, 0x3a, op, kXmm1Xmm2, 0}, data, true});
      f.push_back({name + suffix + "-mem", {0x66, 0x0f, 0x3a, op, 0x0e, 0}, data, true});
      f.push_back(
          {name + suffix + "-rexw", {0x66, 0x48, 0x0f, 0x3a, op, kXmm1Xmm2, 0}, data, true});
    }
  }
  // CRC32 eax/rax with cl, ah (no REX), cx, ecx, rcx and memory.
  f.push_back({"crc32-r8", {0xf2, 0x0f, 0x38, 0xf0, 0xc1}, Data::kInt});
  f.push_back({"crc32-ah", {0xf2, 0x0f, 0x38, 0xf0, 0xc4}, Data::kInt});
  f.push_back({"crc32-r16", {0x66, 0xf2, 0x0f, 0x38, 0xf1, 0xc1}, Data::kInt});
  f.push_back({"crc32-r32", {0xf2, 0x0f, 0x38, 0xf1, 0xc1}, Data::kInt});
  f.push_back({"crc32-r64", {0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc1}, Data::kInt});
  f.push_back({"crc32-r64-r8", {0xf2, 0x48, 0x0f, 0x38, 0xf0, 0xc1}, Data::kInt});
  f.push_back({"crc32-m8", {0xf2, 0x0f, 0x38, 0xf0, 0x46, 0x03}, Data::kInt});
  f.push_back({"crc32-m16", {0x66, 0xf2, 0x0f, 0x38, 0xf1, 0x46, 0x05}, Data::kInt});
  f.push_back({"crc32-m32", {0xf2, 0x0f, 0x38, 0xf1, 0x46, 0x06}, Data::kInt});
  f.push_back({"crc32-m64", {0xf2, 0x48, 0x0f, 0x38, 0xf1, 0x46, 0x09}, Data::kInt});
  return f;
}

TEST(Sse42Differential, StringsAndCrc32) {
  run_forms(sse42_forms(), 400, 15);
}

// The same forms compiled by the x86-64 JIT (helpers and inline IR alike).
TEST(Sse4Differential, ThroughTheJit) {
  std::vector<Form> all;
  for (auto forms :
       {sse3_forms(), ssse3_forms(), sse41_int_forms(), sse41_fp_forms(), sse42_forms()}) {
    all.insert(all.end(), forms.begin(), forms.end());
  }
  run_forms(all, 30, 16, tcg::Backend::kJit);
}

// ---------------------------------------------------------------------------
// AES-NI, PCLMULQDQ and SHA (-cpu max), on hosts that have them.

std::vector<Form> crypto_forms() {
  std::vector<Form> f;
  const struct {
    const char* name;
    uint8_t op;
  } kAes[] = {{"aesimc", 0xdb},
              {"aesenc", 0xdc},
              {"aesenclast", 0xdd},
              {"aesdec", 0xde},
              {"aesdeclast", 0xdf}};
  for (const auto& o : kAes) {
    f.push_back({o.name, {0x66, 0x0f, 0x38, o.op, kXmm1Xmm2}, Data::kInt});
    f.push_back({std::string(o.name) + "-mem", {0x66, 0x0f, 0x38, o.op, 0x0e}, Data::kInt});
  }
  f.push_back({"aeskeygenassist", {0x66, 0x0f, 0x3a, 0xdf, kXmm1Xmm2, 0}, Data::kInt, true});
  f.push_back({"aeskeygenassist-mem", {0x66, 0x0f, 0x3a, 0xdf, 0x0e, 0}, Data::kInt, true});
  f.push_back({"pclmulqdq", {0x66, 0x0f, 0x3a, 0x44, kXmm1Xmm2, 0}, Data::kInt, true});
  f.push_back({"pclmulqdq-mem", {0x66, 0x0f, 0x3a, 0x44, 0x0e, 0}, Data::kInt, true});
  return f;
}

std::vector<Form> sha_forms() {
  std::vector<Form> f;
  const struct {
    const char* name;
    uint8_t op;
  } kSha[] = {{"sha1nexte", 0xc8},   {"sha1msg1", 0xc9},   {"sha1msg2", 0xca},
              {"sha256rnds2", 0xcb}, {"sha256msg1", 0xcc}, {"sha256msg2", 0xcd}};
  for (const auto& o : kSha) {
    f.push_back({o.name, {0x0f, 0x38, o.op, kXmm1Xmm2}, Data::kInt});
    f.push_back({std::string(o.name) + "-mem", {0x0f, 0x38, o.op, 0x0e}, Data::kInt});
  }
  f.push_back({"sha1rnds4", {0x0f, 0x3a, 0xcc, kXmm1Xmm2, 0}, Data::kInt, true});
  f.push_back({"sha1rnds4-mem", {0x0f, 0x3a, 0xcc, 0x0e, 0}, Data::kInt, true});
  return f;
}

TEST(CryptoDifferential, AesAndCarryLessMultiply) {
  if (!__builtin_cpu_supports("aes") || !__builtin_cpu_supports("pclmul")) {
    GTEST_SKIP() << "the host has no AES-NI or PCLMULQDQ to compare with";
  }
  run_forms(crypto_forms(), 300, 17);
  run_forms(crypto_forms(), 30, 18, tcg::Backend::kJit);
}

TEST(CryptoDifferential, ShaExtensions) {
  if (!__builtin_cpu_supports("sha")) GTEST_SKIP() << "the host has no SHA extensions";
  run_forms(sha_forms(), 300, 19);
  run_forms(sha_forms(), 30, 20, tcg::Backend::kJit);
}

// ---------------------------------------------------------------------------
// Targeted: faults and unmasked exceptions (not run natively).

uint64_t run_at(GuestRunner& g, const Bytes& code, SimdState* state, int* vector) {
  g.load(code);
  *vector = g.run(state);
  return state->xmm[1][0];
}

TEST(Sse4, UnmaskedExceptionsRaiseXmOrUd) {
  GuestRunner g;
  // roundss xmm1, xmm2, 4 with a signalling NaN and IM unmasked: #XM, IE set,
  // xmm1 unchanged; #UD when CR4.OSXMMEXCPT = 0.
  SimdState s{};
  s.xmm[1][0] = 0x3f800000;
  s.xmm[2][0] = 0x7fa00000;
  s.mxcsr = kMxcsrDefault & ~(kMxcsrIE << kMxcsrMaskShift);
  int vector;
  run_at(g, {0x66, 0x0f, 0x3a, 0x0a, kXmm1Xmm2, 0x04}, &s, &vector);
  EXPECT_EQ(vector, kExcXM);
  EXPECT_EQ(s.xmm[1][0], 0x3f800000u);
  EXPECT_EQ(s.mxcsr & kMxcsrFlags, kMxcsrIE);
  g.harness().cpu().cr4 &= ~kCr4Osxmmexcpt;
  s.xmm[2][0] = 0x7fa00000;
  s.mxcsr = kMxcsrDefault & ~(kMxcsrIE << kMxcsrMaskShift);
  run_at(g, {0x66, 0x0f, 0x3a, 0x0a, kXmm1Xmm2, 0x04}, &s, &vector);
  EXPECT_EQ(vector, kExcUD);
  g.harness().cpu().cr4 |= kCr4Osxmmexcpt;
  // Precision: roundsd 1.5 with PM unmasked raises #XM unless imm bit 3
  // suppresses it.
  SimdState p{};
  p.xmm[2][0] = 0x3ff8000000000000;
  p.mxcsr = kMxcsrDefault & ~(kMxcsrPE << kMxcsrMaskShift);
  run_at(g, {0x66, 0x0f, 0x3a, 0x0b, kXmm1Xmm2, 0x00}, &p, &vector);
  EXPECT_EQ(vector, kExcXM);
  p.mxcsr = kMxcsrDefault & ~(kMxcsrPE << kMxcsrMaskShift);
  run_at(g, {0x66, 0x0f, 0x3a, 0x0b, kXmm1Xmm2, 0x08}, &p, &vector);
  EXPECT_EQ(vector, -1);
  EXPECT_EQ(p.xmm[1][0], 0x4000000000000000u);  // 2.0 (nearest even)
  // haddps overflow with OM unmasked.
  SimdState o{};
  o.xmm[1][0] = 0x7f7fffff7f7fffffull;
  o.mxcsr = kMxcsrDefault & ~(kMxcsrOE << kMxcsrMaskShift);
  run_at(g, {0xf2, 0x0f, 0x7c, kXmm1Xmm2}, &o, &vector);
  EXPECT_EQ(vector, kExcXM);
  EXPECT_EQ(o.xmm[1][0], 0x7f7fffff7f7fffffull);
}

TEST(Sse4, AlignmentAndAvailability) {
  GuestRunner g;
  SimdState s{};
  int vector;
  // pshufb xmm1, [rsi+8]: misaligned m128 is #GP(0); lddqu and pmovzxbw are not.
  run_at(g, {0x66, 0x0f, 0x38, 0x00, kXmm1Mem, 0x08}, &s, &vector);
  EXPECT_EQ(vector, kExcGP);
  run_at(g, {0x66, 0x0f, 0x38, 0x30, kXmm1Mem, 0x08}, &s, &vector);
  EXPECT_EQ(vector, -1);
  // CR0.TS: #NM; CR0.EM: #UD; CR4.OSFXSR clear: #UD. The MMX form needs no
  // OSFXSR. CRC32 is a general-purpose instruction: none of these apply.
  X86Cpu& c = g.harness().cpu();
  const Bytes pshufb = {0x66, 0x0f, 0x38, 0x00, kXmm1Xmm2};
  const Bytes pshufb_mmx = {0x0f, 0x38, 0x00, kMm0Mm1};
  const Bytes crc32 = {0xf2, 0x0f, 0x38, 0xf1, 0xc1};
  c.cr0 |= kCr0TS;
  run_at(g, pshufb, &s, &vector);
  EXPECT_EQ(vector, kExcNM);
  run_at(g, crc32, &s, &vector);
  EXPECT_EQ(vector, -1);
  c.cr0 = (c.cr0 & ~kCr0TS) | kCr0EM;
  run_at(g, pshufb, &s, &vector);
  EXPECT_EQ(vector, kExcUD);
  run_at(g, pshufb_mmx, &s, &vector);
  EXPECT_EQ(vector, kExcUD);
  c.cr0 &= ~kCr0EM;
  c.cr4 &= ~kCr4Osfxsr;
  run_at(g, pshufb, &s, &vector);
  EXPECT_EQ(vector, kExcUD);
  run_at(g, pshufb_mmx, &s, &vector);
  EXPECT_EQ(vector, -1);
  c.cr4 |= kCr4Osfxsr;
  // LOCK is #UD.
  run_at(g, {0xf0, 0x66, 0x0f, 0x38, 0x00, kXmm1Xmm2}, &s, &vector);
  EXPECT_EQ(vector, kExcUD);
}

}  // namespace
}  // namespace vx86::x86
