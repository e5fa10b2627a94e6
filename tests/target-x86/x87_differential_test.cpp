// x87 differential test: every x87 data-path and arithmetic form runs on the
// host's x87 (a generated code buffer, in-process) and in vx86 (64-bit long
// mode, IR interpreter) from the same FXRSTOR image with random operands —
// QNaN/SNaN, the real indefinite, denormals, pseudo-denormals, unnormals,
// infinities, zeros, boundary exponents — under random rounding and precision
// control and random exception masks (unmasked ones included: the state is
// read back with the non-waiting FXSAVE/FNSTENV before anything can trap).
// Compared bit for bit: ST0-7 (every physical register), the status word
// (TOP, C0-C3, flags, ES/B), the full tag word, the memory operand and, for
// FCOMI/FUCOMI, the arithmetic EFLAGS.
//
// VX86_X87_CASES=N sets the cases per form (default 300), VX86_X87_SEED the
// random seed; VX86_X87_ONLY=NAME runs one form.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "target-x86/fpu_state.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/x87_transcendental.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86 {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::CpuHarness;
using testing::CpuMode;

// State block (both sides): offsets from RDI.
constexpr uint32_t kIn = 0, kOut = 512, kHost = 1024, kEnv = 1536, kMem = 1568, kInFlags = 1696,
                   kOutFlags = 1704, kBlockSize = 1712;
constexpr uint32_t kMemSize = 112;  // room for a 108-byte FNSAVE image

struct alignas(16) Block {
  uint8_t bytes[kBlockSize];
};

void put_disp(Bytes& code, uint32_t disp) {
  for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(disp >> (8 * i)));
}
void fxsave64(Bytes& c, uint32_t disp) {
  c.insert(c.end(), {0x48, 0x0f, 0xae, 0x87});
  put_disp(c, disp);
}
void fxrstor64(Bytes& c, uint32_t disp) {
  c.insert(c.end(), {0x48, 0x0f, 0xae, 0x8f});
  put_disp(c, disp);
}

// The body shared by both sides: load the image and flags, run the
// instruction (memory operand at [rsi]), store flags, image and environment.
Bytes body(const Bytes& insn) {
  Bytes c;
  fxrstor64(c, kIn);
  c.insert(c.end(), {0x48, 0x8d, 0xb7});  // lea rsi, [rdi + kMem]
  put_disp(c, kMem);
  c.insert(c.end(), {0xff, 0xb7});  // push qword [rdi + kInFlags]
  put_disp(c, kInFlags);
  c.push_back(0x9d);  // popfq
  c.insert(c.end(), insn.begin(), insn.end());
  c.insert(c.end(), {0x9c, 0x58, 0x48, 0x89, 0x87});  // pushfq; pop rax; mov [rdi+d], rax
  put_disp(c, kOutFlags);
  fxsave64(c, kOut);
  c.insert(c.end(), {0xd9, 0xb7});  // fnstenv [rdi + kEnv]
  put_disp(c, kEnv);
  return c;
}

class HostRunner {
 public:
  HostRunner() {
    page_ =
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~HostRunner() { munmap(page_, 4096); }
  bool ok() const { return page_ != MAP_FAILED; }

  void set_insn(const Bytes& insn) {
    Bytes c;
    fxsave64(c, kHost);
    Bytes b = body(insn);
    c.insert(c.end(), b.begin(), b.end());
    c.insert(c.end(), {0xdb, 0xe3});  // fninit
    fxrstor64(c, kHost);
    c.push_back(0xc3);
    std::memcpy(page_, c.data(), c.size());
  }
  void run(Block* block) { reinterpret_cast<void (*)(Block*)>(page_)(block); }

 private:
  void* page_;
};

class GuestRunner {
 public:
  static constexpr uint64_t kBlockAddress = CpuHarness::kData;

  GuestRunner() : harness_(CpuMode::kLong64) {
    X86Cpu& c = harness_.cpu();
    c.cr0 |= kCr0NE | kCr0MP;
    c.cr4 |= kCr4Osfxsr | kCr4Osxmmexcpt;
  }

  void set_insn(const Bytes& insn) {
    Bytes c = body(insn);
    c.push_back(0xf4);  // hlt
    harness_.load_code(c);
  }
  bool run(Block* block) {
    harness_.write_memory(kBlockAddress, block->bytes, kBlockSize);
    harness_.reg(kRDI) = kBlockAddress;
    harness_.cpu().rip = harness_.code_address();
    const testing::RunResult r = harness_.run();
    harness_.read_memory(kBlockAddress, block->bytes, kBlockSize);
    return r.halted && r.exception < 0;
  }
  X86Cpu& cpu() { return harness_.cpu(); }

 private:
  CpuHarness harness_;
};

// ---------------------------------------------------------------------------
// Operands.

struct Ext {
  uint64_t sig;
  uint16_t se;
};

Ext random_ext(std::mt19937_64& rng) {
  const uint64_t j = 0x8000000000000000ull;
  const uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  const uint64_t r = rng();
  switch (rng() % 16) {
    case 0:
      return {0, sign};  // zero
    case 1:
      return {j, static_cast<uint16_t>(sign | 0x7fff)};  // infinity
    case 2:
      return {j | 0x4000000000000000ull | (r >> 2 & (rng() % 2 ? ~0ull : 0)),
              static_cast<uint16_t>(sign | 0x7fff)};  // QNaN / indefinite
    case 3:
      return {j | (r >> 2) | 1, static_cast<uint16_t>(sign | 0x7fff)};  // SNaN
    case 4:
      return {r >> (rng() % 64), sign};  // denormal (or zero)
    case 5:
      switch (rng() % 4) {
        case 0:
          return {j | r, sign};  // pseudo-denormal
        case 1:
          return {r >> 1, static_cast<uint16_t>(sign | (1 + rng() % 0x7ffe))};  // unnormal
        case 2:
          return {r >> 1 | 1, static_cast<uint16_t>(sign | 0x7fff)};  // pseudo-NaN/infinity
        default:
          return {j | r, static_cast<uint16_t>(sign | 1)};  // smallest normal exponent
      }
    case 6: {  // exponents at the edges of the formats and of the range
      static const int kEdges[] = {1, 2, 63, 64, 0x3fff - 16382, 0x3fff - 1075, 0x3fff - 1074,
                                   0x3fff - 1022, 0x3fff - 1023, 0x3fff - 150, 0x3fff - 149,
                                   0x3fff - 126, 0x3fff - 127, 0x3fff + 1023, 0x3fff + 1024,
                                   0x3fff + 127, 0x3fff + 128, 0x7ffe, 0x7ffd, 0x3fff + 15,
                                   0x3fff + 31, 0x3fff + 63, 0x3fff + 64,
                                   // products/quotients at the underflow and overflow edges
                                   0x2000, 0x2001, 0x1fff, 0x5ffe, 0x5fff, 0x6000};
      const int e = kEdges[rng() % std::size(kEdges)] + static_cast<int>(rng() % 3) - 1;
      uint64_t sig = j | r;
      if (rng() % 3 == 0) sig = j | (rng() % 2 ? ~0ull : 0);  // all ones / power of two
      if (rng() % 4 == 0) sig = (j | r) & ~0x7ffull;          // a double's precision
      return {sig, static_cast<uint16_t>(sign | (e & 0x7fff))};
    }
    case 7: {  // small integers and halves (rounding to integer)
      const int64_t v = static_cast<int64_t>(rng() % 2000) - 1000;
      const int shift = static_cast<int>(rng() % 3);
      if (v == 0) return {0, sign};
      uint64_t m = static_cast<uint64_t>(v < 0 ? -v : v);
      const int lz = __builtin_clzll(m);
      return {m << lz, static_cast<uint16_t>((v < 0 ? 0x8000 : 0) | (0x3fff + 63 - lz - shift))};
    }
    default: {  // moderate magnitudes where rounding shows
      const int e = 0x3fff + static_cast<int>(rng() % 140) - 70;
      uint64_t sig = j | r;
      if (rng() % 4 == 0) sig &= ~0xffffffull;  // fewer significant bits: exact cases
      return {sig, static_cast<uint16_t>(sign | e)};
    }
  }
}

uint32_t random_f32(std::mt19937_64& rng) {
  static const uint32_t kSpecial[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
                                      0xffc00000, 0x7fa00001, 0xff800001, 0x00000001, 0x807fffff,
                                      0x00800000, 0x7f7fffff, 0x3f800000, 0xbf800000, 0x4f000000};
  switch (rng() % 4) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return static_cast<uint32_t>(rng());
    default:
      return (static_cast<uint32_t>(rng() & 1) << 31) |
             ((100 + static_cast<uint32_t>(rng() % 60)) << 23) |
             static_cast<uint32_t>(rng() & 0x7fffff);
  }
}

uint64_t random_f64(std::mt19937_64& rng) {
  static const uint64_t kSpecial[] = {0,
                                      0x8000000000000000,
                                      0x7ff0000000000000,
                                      0xfff0000000000000,
                                      0x7ff8000000000000,
                                      0xfff8000000000000,
                                      0x7ff4000000000001,
                                      0x1,
                                      0x800fffffffffffff,
                                      0x0010000000000000,
                                      0x7fefffffffffffff,
                                      0x3ff0000000000000};
  switch (rng() % 4) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return rng();
    default:
      return ((rng() & 1) << 63) | ((950 + rng() % 150) << 52) | (rng() & 0xfffffffffffffull);
  }
}

uint64_t random_int(std::mt19937_64& rng) {
  static const uint64_t kSpecial[] = {0,
                                      1,
                                      ~0ull,
                                      0x8000,
                                      0x7fff,
                                      0x80000000,
                                      0x7fffffff,
                                      0x8000000000000000ull,
                                      0x7fffffffffffffffull};
  switch (rng() % 3) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return rng();
    default:
      return static_cast<uint64_t>(static_cast<int64_t>(rng() % 200000) - 100000);
  }
}

enum class MemKind { kNone, kF32, kF64, kF80, kInt, kBcd, kEnv14, kEnv28, kSave94, kSave108 };

struct Form {
  std::string name;
  Bytes bytes;
  MemKind mem = MemKind::kNone;
  bool transcendental = false;
};

std::vector<Form> forms() {
  std::vector<Form> f;
  static const char* kArith[8] = {"fadd", "fmul",  "fcom", "fcomp",
                                  "fsub", "fsubr", "fdiv", "fdivr"};
  for (uint8_t r = 0; r < 8; ++r) {
    const uint8_t modrm = static_cast<uint8_t>(r << 3 | 6);  // [rsi]
    f.push_back({std::string(kArith[r]) + " m32", {0xd8, modrm}, MemKind::kF32});
    f.push_back({std::string(kArith[r]) + " m64", {0xdc, modrm}, MemKind::kF64});
    f.push_back({std::string("fi") + (kArith[r] + 1) + " m32", {0xda, modrm}, MemKind::kInt});
    f.push_back({std::string("fi") + (kArith[r] + 1) + " m16", {0xde, modrm}, MemKind::kInt});
    const uint8_t sti = static_cast<uint8_t>(0xc0 | r << 3 | (1 + r % 7));
    f.push_back({std::string(kArith[r]) + " st0,sti", {0xd8, sti}});
    if (r != 2 && r != 3) {  // DC/DE D0-DF are undocumented aliases (#UD on some hosts)
      f.push_back({std::string("dc/") + std::to_string(r) + " sti", {0xdc, sti}});
      f.push_back({std::string("de/") + std::to_string(r) + " sti", {0xde, sti}});
    }
    f.push_back({std::string(kArith[r]) + " st0,st0", {0xd8, static_cast<uint8_t>(0xc0 | r << 3)}});
  }
  const struct {
    const char* name;
    Bytes bytes;
    MemKind mem;
  } kOthers[] = {
      {"fld m32", {0xd9, 0x06}, MemKind::kF32},
      {"fst m32", {0xd9, 0x16}, MemKind::kF32},
      {"fstp m32", {0xd9, 0x1e}, MemKind::kF32},
      {"fld m64", {0xdd, 0x06}, MemKind::kF64},
      {"fst m64", {0xdd, 0x16}, MemKind::kF64},
      {"fstp m64", {0xdd, 0x1e}, MemKind::kF64},
      {"fld m80", {0xdb, 0x2e}, MemKind::kF80},
      {"fstp m80", {0xdb, 0x3e}, MemKind::kF80},
      {"fild m16", {0xdf, 0x06}, MemKind::kInt},
      {"fild m32", {0xdb, 0x06}, MemKind::kInt},
      {"fild m64", {0xdf, 0x2e}, MemKind::kInt},
      {"fist m16", {0xdf, 0x16}, MemKind::kInt},
      {"fist m32", {0xdb, 0x16}, MemKind::kInt},
      {"fistp m16", {0xdf, 0x1e}, MemKind::kInt},
      {"fistp m32", {0xdb, 0x1e}, MemKind::kInt},
      {"fistp m64", {0xdf, 0x3e}, MemKind::kInt},
      {"fisttp m16", {0xdf, 0x0e}, MemKind::kInt},
      {"fisttp m32", {0xdb, 0x0e}, MemKind::kInt},
      {"fisttp m64", {0xdd, 0x0e}, MemKind::kInt},
      {"fbld", {0xdf, 0x26}, MemKind::kBcd},
      {"fbstp", {0xdf, 0x36}, MemKind::kBcd},
      {"fld st3", {0xd9, 0xc3}, MemKind::kNone},
      {"fst st3", {0xdd, 0xd3}, MemKind::kNone},
      {"fstp st2", {0xdd, 0xda}, MemKind::kNone},
      {"fstp st0", {0xdd, 0xd8}, MemKind::kNone},
      {"fxch st5", {0xd9, 0xcd}, MemKind::kNone},
      {"fld1", {0xd9, 0xe8}, MemKind::kNone},
      {"fldl2t", {0xd9, 0xe9}, MemKind::kNone},
      {"fldl2e", {0xd9, 0xea}, MemKind::kNone},
      {"fldpi", {0xd9, 0xeb}, MemKind::kNone},
      {"fldlg2", {0xd9, 0xec}, MemKind::kNone},
      {"fldln2", {0xd9, 0xed}, MemKind::kNone},
      {"fldz", {0xd9, 0xee}, MemKind::kNone},
      {"fchs", {0xd9, 0xe0}, MemKind::kNone},
      {"fabs", {0xd9, 0xe1}, MemKind::kNone},
      {"ftst", {0xd9, 0xe4}, MemKind::kNone},
      {"fxam", {0xd9, 0xe5}, MemKind::kNone},
      {"fsqrt", {0xd9, 0xfa}, MemKind::kNone},
      {"frndint", {0xd9, 0xfc}, MemKind::kNone},
      {"fscale", {0xd9, 0xfd}, MemKind::kNone},
      {"fxtract", {0xd9, 0xf4}, MemKind::kNone},
      {"fprem", {0xd9, 0xf8}, MemKind::kNone},
      {"fprem1", {0xd9, 0xf5}, MemKind::kNone},
      {"fincstp", {0xd9, 0xf7}, MemKind::kNone},
      {"fdecstp", {0xd9, 0xf6}, MemKind::kNone},
      {"ffree st2", {0xdd, 0xc2}, MemKind::kNone},
      {"ffreep st2", {0xdf, 0xc2}, MemKind::kNone},
      {"fnop", {0xd9, 0xd0}, MemKind::kNone},
      {"fucom st4", {0xdd, 0xe4}, MemKind::kNone},
      {"fucomp st1", {0xdd, 0xe9}, MemKind::kNone},
      {"fucompp", {0xda, 0xe9}, MemKind::kNone},
      {"fcompp", {0xde, 0xd9}, MemKind::kNone},
      {"fcomi st2", {0xdb, 0xf2}, MemKind::kNone},
      {"fcomip st1", {0xdf, 0xf1}, MemKind::kNone},
      {"fucomi st3", {0xdb, 0xeb}, MemKind::kNone},
      {"fucomip st1", {0xdf, 0xe9}, MemKind::kNone},
      {"fcmovb st1", {0xda, 0xc1}, MemKind::kNone},
      {"fcmove st2", {0xda, 0xca}, MemKind::kNone},
      {"fcmovbe st3", {0xda, 0xd3}, MemKind::kNone},
      {"fcmovu st4", {0xda, 0xdc}, MemKind::kNone},
      {"fcmovnb st1", {0xdb, 0xc1}, MemKind::kNone},
      {"fcmovne st2", {0xdb, 0xca}, MemKind::kNone},
      {"fcmovnbe st3", {0xdb, 0xd3}, MemKind::kNone},
      {"fcmovnu st7", {0xdb, 0xdf}, MemKind::kNone},
      {"fnclex", {0xdb, 0xe2}, MemKind::kNone},
      {"fninit", {0xdb, 0xe3}, MemKind::kNone},
      {"fnstenv m28", {0xd9, 0x36}, MemKind::kEnv28},
      {"fnstenv m14", {0x66, 0xd9, 0x36}, MemKind::kEnv14},
      {"fldenv m28", {0xd9, 0x26}, MemKind::kEnv28},
      {"fldenv m14", {0x66, 0xd9, 0x26}, MemKind::kEnv14},
      {"fnsave m108", {0xdd, 0x36}, MemKind::kSave108},
      {"fnsave m94", {0x66, 0xdd, 0x36}, MemKind::kSave94},
      {"frstor m108", {0xdd, 0x26}, MemKind::kSave108},
      {"frstor m94", {0x66, 0xdd, 0x26}, MemKind::kSave94},
      {"fnstcw", {0xd9, 0x3e}, MemKind::kInt},
      {"fldcw", {0xd9, 0x2e}, MemKind::kInt},
      {"fnstsw m16", {0xdd, 0x3e}, MemKind::kInt},
  };
  for (const auto& o : kOthers) f.push_back({o.name, o.bytes, o.mem});
  return f;
}

std::vector<Form> transcendental_forms() {
  return {{"fsin", {0xd9, 0xfe}, MemKind::kNone, true},
          {"fcos", {0xd9, 0xff}, MemKind::kNone, true},
          {"fsincos", {0xd9, 0xfb}, MemKind::kNone, true},
          {"fptan", {0xd9, 0xf2}, MemKind::kNone, true},
          {"fpatan", {0xd9, 0xf3}, MemKind::kNone, true},
          {"f2xm1", {0xd9, 0xf0}, MemKind::kNone, true},
          {"fyl2x", {0xd9, 0xf1}, MemKind::kNone, true},
          {"fyl2xp1", {0xd9, 0xf9}, MemKind::kNone, true}};
}

// Transcendental operands: mostly in the ranges the instructions accept.
Ext transcendental_operand(std::mt19937_64& rng) {
  if (rng() % 3 == 0) return random_ext(rng);
  const uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  const int e = 0x3fff - static_cast<int>(rng() % 70) + 3;
  return {0x8000000000000000ull | rng(), static_cast<uint16_t>(sign | e)};
}

void fill_input(std::mt19937_64& rng, const Form& form, Block* block) {
  std::memset(block->bytes, 0, kBlockSize);
  uint8_t* in = block->bytes + kIn;
  // Control word: random RC, PC (24/53/64), masks mostly all set.
  static const uint16_t kPc[] = {0x000, 0x100, 0x200, 0x300, 0x300};
  uint16_t cw = static_cast<uint16_t>(0x40 | kPc[rng() % 4] | (rng() % 4) << 10);
  cw |= (rng() % 3 == 0) ? static_cast<uint16_t>(rng() & 0x3f) : 0x3f;
  const unsigned top = rng() % 8;
  // Sticky flags only where masked, so nothing is pending on entry.
  uint16_t sw =
      static_cast<uint16_t>((rng() & 0x4700) | (rng() & cw & 0x3f) | (rng() % 8 == 0 ? 0x40 : 0));
  sw = static_cast<uint16_t>((sw & ~0x3800) | top << 11);
  std::memcpy(in + 0, &cw, 2);
  std::memcpy(in + 2, &sw, 2);
  // Tags: non-empty mostly; ST(7) empty half of the time so pushes work.
  uint8_t tags = 0;
  for (unsigned i = 0; i < 8; ++i) {
    const bool st7 = ((i - top) & 7) == 7;
    const bool empty = st7 ? (rng() % 2 == 0) : (rng() % 12 == 0);
    if (!empty) tags |= static_cast<uint8_t>(1u << i);
  }
  in[4] = tags;
  const uint32_t mxcsr = kMxcsrDefault;
  std::memcpy(in + 24, &mxcsr, 4);
  for (unsigned i = 0; i < 8; ++i) {
    const Ext v = form.transcendental && i < 2 ? transcendental_operand(rng) : random_ext(rng);
    std::memcpy(in + 32 + 16 * i, &v.sig, 8);
    std::memcpy(in + 32 + 16 * i + 8, &v.se, 2);
  }
  uint8_t* mem = block->bytes + kMem;
  for (unsigned i = 0; i < kMemSize; ++i) mem[i] = static_cast<uint8_t>(rng());
  switch (form.mem) {
    case MemKind::kF32: {
      const uint32_t v = random_f32(rng);
      std::memcpy(mem, &v, 4);
      break;
    }
    case MemKind::kF64: {
      const uint64_t v = random_f64(rng);
      std::memcpy(mem, &v, 8);
      break;
    }
    case MemKind::kF80: {
      const Ext v = random_ext(rng);
      std::memcpy(mem, &v.sig, 8);
      std::memcpy(mem + 8, &v.se, 2);
      break;
    }
    case MemKind::kInt: {
      const uint64_t v = random_int(rng);
      std::memcpy(mem, &v, 8);
      break;
    }
    case MemKind::kBcd:
      for (unsigned i = 0; i < 9; ++i) {
        mem[i] = static_cast<uint8_t>((rng() % 10) << 4 | rng() % 10);
      }
      if (rng() % 2) {  // fewer digits
        const unsigned k = static_cast<unsigned>(rng() % 9);
        std::memset(mem + k, 0, 9 - k);
      }
      mem[9] = static_cast<uint8_t>(rng() & 0x80);
      break;
    case MemKind::kEnv14:
    case MemKind::kEnv28:
    case MemKind::kSave94:
    case MemKind::kSave108: {
      // A plausible environment (FLDENV/FRSTOR read it): control word with
      // sticky flags only where masked, any TOP and tags, then registers.
      const bool small = form.mem == MemKind::kEnv14 || form.mem == MemKind::kSave94;
      const unsigned slot = small ? 2 : 4;
      uint16_t ecw = static_cast<uint16_t>((rng() & 0x0f3f) | 0x40);
      if (rng() % 2) ecw |= 0x3f;
      const uint16_t esw = static_cast<uint16_t>((rng() & 0x7f00 & ~0x80) | (rng() & ecw & 0x3f));
      const uint16_t etw = static_cast<uint16_t>(rng());
      std::memcpy(mem, &ecw, 2);
      std::memcpy(mem + slot, &esw, 2);
      std::memcpy(mem + 2 * slot, &etw, 2);
      for (unsigned i = 0; i < 8; ++i) {
        const Ext v = random_ext(rng);
        std::memcpy(mem + 7 * slot + 10 * i, &v.sig, 8);
        std::memcpy(mem + 7 * slot + 10 * i + 8, &v.se, 2);
      }
      break;
    }
    case MemKind::kNone:
      break;
  }
  const uint64_t flags =
      0x2 | (rng() & (kFlagCF | kFlagPF | kFlagZF | kFlagSF | kFlagOF | kFlagAF));
  std::memcpy(block->bytes + kInFlags, &flags, 8);
}

std::string hex(const uint8_t* p, unsigned n) {
  std::string s;
  char buf[4];
  for (unsigned i = n; i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    s += buf;
  }
  return s;
}

// Differences between the host's and vx86's results ("" when equal).
std::string compare(const Block& host, const Block& guest, MemKind mem_kind) {
  std::string d;
  const uint8_t* h = host.bytes;
  const uint8_t* g = guest.bytes;
  auto field = [&](const char* name, unsigned off, unsigned n) {
    if (std::memcmp(h + off, g + off, n) != 0) {
      d += std::string(" ") + name + " host=" + hex(h + off, n) + " vx86=" + hex(g + off, n);
    }
  };
  field("fsw", kOut + 2, 2);
  field("ftw", kEnv + 8, 2);
  for (unsigned i = 0; i < 8; ++i) {
    const std::string name = "st" + std::to_string(i);
    field(name.c_str(), kOut + 32 + 16 * i, 10);
  }
  // Memory: FNSTENV/FNSAVE images only up to the tag word (the instruction
  // and data pointers name different addresses on the two sides), then the
  // registers.
  switch (mem_kind) {
    case MemKind::kEnv14:
      field("mem", kMem, 6);
      break;
    case MemKind::kEnv28:
      field("mem", kMem, 12);
      break;
    case MemKind::kSave94:
      field("mem", kMem, 6);
      field("mem.regs", kMem + 14, 80);
      break;
    case MemKind::kSave108:
      field("mem", kMem, 12);
      field("mem.regs", kMem + 28, 80);
      break;
    default:
      field("mem", kMem, 16);
      break;
  }
  const uint64_t mask = kFlagCF | kFlagPF | kFlagZF | kFlagSF | kFlagOF | kFlagAF;
  uint64_t fh, fg;
  std::memcpy(&fh, h + kOutFlags, 8);
  std::memcpy(&fg, g + kOutFlags, 8);
  if ((fh ^ fg) & mask)
    d += " eflags host=" + std::to_string(fh & mask) + " vx86=" + std::to_string(fg & mask);
  return d;
}

std::string describe_input(const Block& b) {
  std::string s;
  uint16_t cw, sw;
  std::memcpy(&cw, b.bytes + kIn, 2);
  std::memcpy(&sw, b.bytes + kIn + 2, 2);
  char buf[96];
  std::snprintf(buf, sizeof buf, "cw=%04x sw=%04x tags=%02x", cw, sw, b.bytes[kIn + 4]);
  s = buf;
  const unsigned top = (sw >> 11) & 7;
  for (unsigned i = 0; i < 3; ++i) {
    s += " st" + std::to_string(i) + "=" + hex(b.bytes + kIn + 32 + 16 * i, 10);
    (void)top;
  }
  s += " mem=" + hex(b.bytes + kMem, 10);
  return s;
}

unsigned cases_per_form() {
  const char* env = std::getenv("VX86_X87_CASES");
  return env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : 300;
}

// Runs the forms; returns the mismatch count (the first few are printed).
unsigned run_forms(const std::vector<Form>& list, uint64_t seed) {
  HostRunner host;
  EXPECT_TRUE(host.ok());
  GuestRunner guest;
  const char* seed_env = std::getenv("VX86_X87_SEED");
  std::mt19937_64 rng(seed_env ? std::strtoull(seed_env, nullptr, 10) : seed);
  const unsigned cases = cases_per_form();
  unsigned mismatches = 0, printed = 0;
  Block in, host_out, guest_out;
  const char* only = std::getenv("VX86_X87_ONLY");  // debugging: one form by name
  for (const Form& form : list) {
    if (only && form.name != only) continue;
    host.set_insn(form.bytes);
    guest.set_insn(form.bytes);
    unsigned form_mismatches = 0;
    for (unsigned n = 0; n < cases; ++n) {
      fill_input(rng, form, &in);
      host_out = in;
      guest_out = in;
      host.run(&host_out);
      if (!guest.run(&guest_out)) {
        ADD_FAILURE() << form.name << ": vx86 did not complete: " << describe_input(in);
        ++mismatches;
        continue;
      }
      const std::string d = compare(host_out, guest_out, form.mem);
      if (!d.empty()) {
        ++mismatches;
        ++form_mismatches;
        if (printed < 40) {
          ++printed;
          ADD_FAILURE() << form.name << ": " << describe_input(in) << "\n  ->" << d;
        }
      }
    }
    if (form_mismatches) std::printf("%s: %u mismatches\n", form.name.c_str(), form_mismatches);
  }
  return mismatches;
}

TEST(X87Differential, DataPathAndArithmeticMatchHost) {
  EXPECT_EQ(run_forms(forms(), 1), 0u);
}

TEST(X87Differential, TranscendentalsHostPathMatchesHost) {
  if (!x87::host_transcendentals_available()) GTEST_SKIP() << "no host x87";
  const x87::TranscendentalPath saved = x87::transcendental_path();
  x87::set_transcendental_path(x87::TranscendentalPath::kHost);
  EXPECT_EQ(run_forms(transcendental_forms(), 2), 0u);
  x87::set_transcendental_path(saved);
}

}  // namespace
}  // namespace vx86::x86
