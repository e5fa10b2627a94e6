// SSE/SSE2, FXSAVE/FXRSTOR and x87 control tests. Most are differential: the
// same instruction runs natively on the host (a generated code buffer) and in
// vx86 (64-bit long mode, IR interpreter) with random operands — NaNs,
// denormals, infinities, boundary values — under every rounding mode and
// DAZ/FTZ setting; XMM results, MXCSR, RAX and (for COMIS) flags must match
// bit for bit. Exceptions stay masked in the differential runs (an unmasked
// one would trap the host); the #XM path has targeted tests.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/memory.h"
#include "core/system_control.h"
#include "target-x86/cpu_exec.h"
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/x86_cpu.h"
#include "tests/target-x86/cpu_harness.h"

namespace vx86::x86 {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------
// A vCPU in 64-bit long mode: identity-mapped first 4 MiB (2 MiB pages), a
// GDT with a 64-bit code segment, and an IDT whose vector v points at a HLT
// stub at kStubs + 4 * v, so a fault ends the run and is identified by rIP.
class LongModeCpu {
 public:
  static constexpr uint64_t kGdt = 0x1000, kIdt = 0x2000, kStubs = 0x3000, kPml4 = 0x10000;
  static constexpr uint64_t kCode = 0x100000, kData = 0x200000, kStack = 0x300000;

  LongModeCpu() {
    ram_ = MemoryRegion::ram("ram", 4 << 20);
    io_root_ = MemoryRegion::container("io", 0x10000);
    memory_ = std::make_unique<AddressSpace>("memory", ram_.get());
    io_ = std::make_unique<AddressSpace>("io", io_root_.get());
    cpu_ = std::make_unique<X86Cpu>(*memory_, *io_, nullptr, &control_, CpuModel{});
    cpu_reset_all(*cpu_, true);
    build_tables();
    enter_long_mode();
  }

  X86Cpu& cpu() { return *cpu_; }
  uint8_t* ram() { return ram_->host_ptr(); }

  void enter_long_mode() {
    X86Cpu& c = *cpu_;
    c.cr0 = kCr0PE | kCr0PG | kCr0ET | kCr0NE | kCr0MP;
    c.cr3 = kPml4;
    c.cr4 = (1ull << 5) | kCr4Osfxsr | kCr4Osxmmexcpt;
    c.efer = kEferLME | kEferLMA;
    c.segs[kSegCS] =
        SegmentCache{0x08, static_cast<uint16_t>(0x9b | kSegAttrL | kSegAttrG), 0xffffffff, 0};
    for (unsigned seg : {kSegDS, kSegES, kSegSS, kSegFS, kSegGS}) {
      c.segs[seg] =
          SegmentCache{0x10, static_cast<uint16_t>(0x93 | kSegAttrDB | kSegAttrG), 0xffffffff, 0};
    }
    c.gdtr = {kGdt, 3 * 8 - 1};
    c.idtr = {kIdt, 32 * 16 - 1};
    c.eflags_rest = kFlagReserved1;
    update_hflags(c);
    c.mmu.flush_all();
  }

  void load_code(const Bytes& code, uint64_t address = kCode) {
    std::memcpy(ram() + address, code.data(), code.size());
    cpu_->tb_cache.flush();
    cpu_->rip = address;
  }

  // Runs from rip to a HLT; returns the exception vector or -1.
  int run(uint64_t start = kCode) {
    X86Cpu& c = *cpu_;
    c.rip = start;
    c.regs[4] = kStack;
    c.halted = 0;
    c.exception_vector = -1;
    ExecExit exit = cpu_exec(c);
    EXPECT_EQ(exit, ExecExit::kHalted);
    if (c.rip > kStubs && c.rip <= kStubs + 4 * 32)
      return static_cast<int>((c.rip - kStubs - 1) / 4);
    return -1;
  }

 private:
  void put64(uint64_t address, uint64_t value) { std::memcpy(ram() + address, &value, 8); }

  void build_tables() {
    put64(kGdt + 8, 0x00af9b000000ffffull);   // 64-bit code
    put64(kGdt + 16, 0x00cf93000000ffffull);  // data
    for (uint64_t v = 0; v < 32; ++v) {
      const uint64_t handler = kStubs + 4 * v;
      ram()[handler] = 0xf4;  // HLT
      const uint64_t low =
          (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((handler >> 16 & 0xffff) << 48);
      put64(kIdt + 16 * v, low);
      put64(kIdt + 16 * v + 8, handler >> 32);
    }
    put64(kPml4, (kPml4 + 0x1000) | 3);
    put64(kPml4 + 0x1000, (kPml4 + 0x2000) | 3);
    put64(kPml4 + 0x2000, 0x000000 | 0x83);  // 2 MiB pages
    put64(kPml4 + 0x2008, 0x200000 | 0x83);
  }

  std::unique_ptr<MemoryRegion> ram_, io_root_;
  std::unique_ptr<AddressSpace> memory_, io_;
  RecordingSystemControl control_;
  std::unique_ptr<X86Cpu> cpu_;
};

// ---------------------------------------------------------------------------
// The host side: a code buffer that loads xmm0/xmm1/MXCSR/RAX from a state
// block, runs the instruction and stores them back (host MXCSR restored).
struct alignas(16) NativeState {
  uint64_t xmm0[2];
  uint64_t xmm1[2];
  uint32_t mxcsr;
  uint32_t host_mxcsr;
  uint64_t rax;
  uint64_t flags;
  uint64_t padding;
  uint64_t mem[4];  // [rsi] for the memory forms
  uint64_t mm[2];   // mm0, mm1
};

class NativeRunner {
 public:
  NativeRunner() {
    page_ =
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(page_, MAP_FAILED);
  }
  ~NativeRunner() { munmap(page_, 4096); }

  void run(const Bytes& insn, NativeState* state) {
    Bytes code = {0x0f, 0xae, 0x5f, 0x24,   // stmxcsr [rdi+36]
                  0x0f, 0x10, 0x07,         // movups xmm0, [rdi]
                  0x0f, 0x10, 0x4f, 0x10,   // movups xmm1, [rdi+16]
                  0x0f, 0xae, 0x57, 0x20,   // ldmxcsr [rdi+32]
                  0x48, 0x8b, 0x47, 0x28,   // mov rax, [rdi+40]
                  0x48, 0x8d, 0x77, 0x40,   // lea rsi, [rdi+64]
                  0x0f, 0x6f, 0x47, 0x60,   // movq mm0, [rdi+96]
                  0x0f, 0x6f, 0x4f, 0x68};  // movq mm1, [rdi+104]
    code.insert(code.end(), insn.begin(), insn.end());
    const Bytes tail = {0x48, 0x89, 0x47, 0x28,  // mov [rdi+40], rax
                        0x9c, 0x58,              // pushfq; pop rax
                        0x48, 0x89, 0x47, 0x30,  // mov [rdi+48], rax
                        0x0f, 0xae, 0x5f, 0x20,  // stmxcsr [rdi+32]
                        0x0f, 0x11, 0x07,        // movups [rdi], xmm0
                        0x0f, 0x11, 0x4f, 0x10,  // movups [rdi+16], xmm1
                        0x0f, 0xae, 0x57, 0x24,  // ldmxcsr [rdi+36]
                        0x0f, 0x7f, 0x47, 0x60,  // movq [rdi+96], mm0
                        0x0f, 0x7f, 0x4f, 0x68,  // movq [rdi+104], mm1
                        0x0f, 0x77,              // emms
                        0xc3};
    code.insert(code.end(), tail.begin(), tail.end());
    std::memcpy(page_, code.data(), code.size());
    reinterpret_cast<void (*)(NativeState*)>(page_)(state);
  }

 private:
  void* page_;
};

// ---------------------------------------------------------------------------
// Operand generation.
enum class Lane { kF32, kF64, kInt };

uint32_t random_f32(std::mt19937_64& rng) {
  static const uint32_t kSpecial[] = {
      0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00001,
      0xff800001, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
      0x3f800000, 0xbf800000, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000, 0x3f000001,
      0x4effffff, 0x00400000, 0x34000000, 0x7fffffff, 0x4b000001, 0x3effffff, 0x1000000};
  switch (rng() % 4) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return static_cast<uint32_t>(rng());
    default: {  // moderate magnitudes, where rounding shows
      uint32_t exp = 100 + static_cast<uint32_t>(rng() % 60);
      return (static_cast<uint32_t>(rng() & 1) << 31) | (exp << 23) |
             static_cast<uint32_t>(rng() & 0x7fffff);
    }
  }
}

uint64_t random_f64(std::mt19937_64& rng) {
  static const uint64_t kSpecial[] = {0x0,
                                      0x8000000000000000,
                                      0x7ff0000000000000,
                                      0xfff0000000000000,
                                      0x7ff8000000000000,
                                      0xfff8000000000000,
                                      0x7ff4000000000001,
                                      0xfff0000000000001,
                                      0x1,
                                      0x800fffffffffffff,
                                      0x0010000000000000,
                                      0x7fefffffffffffff,
                                      0x3ff0000000000000,
                                      0xbff0000000000000,
                                      0x41e0000000000000,
                                      0xc1e0000000000000,
                                      0x43e0000000000000,
                                      0xc3e0000000000000,
                                      0x41dfffffffffffff,
                                      0x3fe0000000000001,
                                      0x36a0000000000000,
                                      0x47efffffe0000000,
                                      0x380fffffffffffff,
                                      0x3810000000000000,
                                      0x0008000000000000,
                                      0x4330000000000001};
  switch (rng() % 4) {
    case 0:
      return kSpecial[rng() % std::size(kSpecial)];
    case 1:
      return rng();
    default: {
      uint64_t exp = 900 + rng() % 250;
      return ((rng() & 1) << 63) | (exp << 52) | (rng() & 0xfffffffffffffull);
    }
  }
}

void random_xmm(std::mt19937_64& rng, Lane lane, uint64_t out[2]) {
  for (int i = 0; i < 2; ++i) {
    if (lane == Lane::kF64) {
      out[i] = random_f64(rng);
    } else if (lane == Lane::kF32) {
      out[i] = random_f32(rng) | (uint64_t{random_f32(rng)} << 32);
    } else {
      // Integers: random, or built from boundary bytes so saturation shows.
      static const uint8_t kBytes[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x40};
      if (rng() & 1) {
        out[i] = rng();
      } else {
        uint64_t v = 0;
        for (int b = 0; b < 8; ++b) v |= uint64_t{kBytes[rng() % 8]} << (8 * b);
        out[i] = v;
      }
    }
  }
}

uint32_t random_mxcsr(std::mt19937_64& rng) {
  uint32_t csr = kMxcsrMasks | static_cast<uint32_t>(rng() % 4) << 13;  // rounding control
  if (rng() % 3 == 0) csr |= kMxcsrDaz;
  if (rng() % 3 == 0) csr |= kMxcsrFtz;
  if (rng() % 4 == 0) csr |= static_cast<uint32_t>(rng()) & kMxcsrFlags;
  return csr;
}

struct Form {
  std::string name;
  Bytes bytes;  // the instruction: xmm0 is the destination, xmm1 (or RAX) the source
  Lane lane;
  bool flags = false;        // compare ZF/PF/CF/OF/SF/AF (COMIS/UCOMIS)
  bool rax_src_int = false;  // RAX holds an integer source
  bool small_count = false;  // xmm1's low quadword is a shift count 0..69
  bool mem = false;          // [rsi] (32 random bytes) is an operand
  bool mmx = false;          // uses mm0/mm1: TOP=0 and all tags valid afterwards
};

Bytes cat(Bytes a, std::initializer_list<uint8_t> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Form> fp_forms() {
  std::vector<Form> forms;
  const struct {
    const char* name;
    uint8_t op;
  } kArith[] = {{"add", 0x58}, {"mul", 0x59}, {"sub", 0x5c}, {"min", 0x5d},
                {"div", 0x5e}, {"max", 0x5f}, {"sqrt", 0x51}};
  for (const auto& a : kArith) {
    forms.push_back({std::string(a.name) + "ps", {0x0f, a.op, 0xc1}, Lane::kF32});
    forms.push_back({std::string(a.name) + "pd", {0x66, 0x0f, a.op, 0xc1}, Lane::kF64});
    forms.push_back({std::string(a.name) + "ss", {0xf3, 0x0f, a.op, 0xc1}, Lane::kF32});
    forms.push_back({std::string(a.name) + "sd", {0xf2, 0x0f, a.op, 0xc1}, Lane::kF64});
  }
  for (uint8_t p = 0; p < 8; ++p) {
    const std::string n = std::to_string(p);
    forms.push_back({"cmpps" + n, {0x0f, 0xc2, 0xc1, p}, Lane::kF32});
    forms.push_back({"cmppd" + n, {0x66, 0x0f, 0xc2, 0xc1, p}, Lane::kF64});
    forms.push_back({"cmpss" + n, {0xf3, 0x0f, 0xc2, 0xc1, p}, Lane::kF32});
    forms.push_back({"cmpsd" + n, {0xf2, 0x0f, 0xc2, 0xc1, p}, Lane::kF64});
  }
  forms.push_back({"rcpps", {0x0f, 0x53, 0xc1}, Lane::kF32});
  forms.push_back({"rsqrtss", {0xf3, 0x0f, 0x52, 0xc1}, Lane::kF32});
  forms.push_back({"ucomiss", {0x0f, 0x2e, 0xc1}, Lane::kF32, true});
  forms.push_back({"comiss", {0x0f, 0x2f, 0xc1}, Lane::kF32, true});
  forms.push_back({"ucomisd", {0x66, 0x0f, 0x2e, 0xc1}, Lane::kF64, true});
  forms.push_back({"comisd", {0x66, 0x0f, 0x2f, 0xc1}, Lane::kF64, true});
  forms.push_back({"cvtps2pd", {0x0f, 0x5a, 0xc1}, Lane::kF32});
  forms.push_back({"cvtpd2ps", {0x66, 0x0f, 0x5a, 0xc1}, Lane::kF64});
  forms.push_back({"cvtss2sd", {0xf3, 0x0f, 0x5a, 0xc1}, Lane::kF32});
  forms.push_back({"cvtsd2ss", {0xf2, 0x0f, 0x5a, 0xc1}, Lane::kF64});
  forms.push_back({"cvtdq2ps", {0x0f, 0x5b, 0xc1}, Lane::kInt});
  forms.push_back({"cvtps2dq", {0x66, 0x0f, 0x5b, 0xc1}, Lane::kF32});
  forms.push_back({"cvttps2dq", {0xf3, 0x0f, 0x5b, 0xc1}, Lane::kF32});
  forms.push_back({"cvttpd2dq", {0x66, 0x0f, 0xe6, 0xc1}, Lane::kF64});
  forms.push_back({"cvtdq2pd", {0xf3, 0x0f, 0xe6, 0xc1}, Lane::kInt});
  forms.push_back({"cvtpd2dq", {0xf2, 0x0f, 0xe6, 0xc1}, Lane::kF64});
  forms.push_back({"cvtss2si32", {0xf3, 0x0f, 0x2d, 0xc1}, Lane::kF32});
  forms.push_back({"cvtss2si64", {0xf3, 0x48, 0x0f, 0x2d, 0xc1}, Lane::kF32});
  forms.push_back({"cvttss2si32", {0xf3, 0x0f, 0x2c, 0xc1}, Lane::kF32});
  forms.push_back({"cvtsd2si32", {0xf2, 0x0f, 0x2d, 0xc1}, Lane::kF64});
  forms.push_back({"cvttsd2si64", {0xf2, 0x48, 0x0f, 0x2c, 0xc1}, Lane::kF64});
  forms.push_back({"cvtsi2ss32", {0xf3, 0x0f, 0x2a, 0xc0}, Lane::kF32, false, true});
  forms.push_back({"cvtsi2ss64", {0xf3, 0x48, 0x0f, 0x2a, 0xc0}, Lane::kF32, false, true});
  forms.push_back({"cvtsi2sd32", {0xf2, 0x0f, 0x2a, 0xc0}, Lane::kF64, false, true});
  forms.push_back({"cvtsi2sd64", {0xf2, 0x48, 0x0f, 0x2a, 0xc0}, Lane::kF64, false, true});
  return forms;
}

std::vector<Form> int_forms() {
  std::vector<Form> forms;
  const uint8_t kOps[] = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
                          0x6c, 0x6d, 0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9,
                          0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5,
                          0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4,
                          0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe};
  char name[16];
  for (uint8_t op : kOps) {
    std::snprintf(name, sizeof(name), "66-0f-%02x", op);
    forms.push_back({name, {0x66, 0x0f, op, 0xc1}, Lane::kInt});
  }
  // Logic on the ps/pd forms, unpacks, shuffles.
  for (uint8_t op : {0x54, 0x55, 0x56, 0x57, 0x14, 0x15}) {
    std::snprintf(name, sizeof(name), "0f-%02x", op);
    forms.push_back({name, {0x0f, op, 0xc1}, Lane::kInt});
    std::snprintf(name, sizeof(name), "66-0f-%02x", op);
    forms.push_back({name, {0x66, 0x0f, op, 0xc1}, Lane::kInt});
  }
  for (uint8_t imm : {0x00, 0x1b, 0xe4, 0x4e, 0xb1, 0x93}) {
    forms.push_back({"pshufd", {0x66, 0x0f, 0x70, 0xc1, imm}, Lane::kInt});
    forms.push_back({"pshuflw", {0xf2, 0x0f, 0x70, 0xc1, imm}, Lane::kInt});
    forms.push_back({"pshufhw", {0xf3, 0x0f, 0x70, 0xc1, imm}, Lane::kInt});
    forms.push_back({"shufps", {0x0f, 0xc6, 0xc1, imm}, Lane::kInt});
    forms.push_back(
        {"shufpd", {0x66, 0x0f, 0xc6, 0xc1, static_cast<uint8_t>(imm & 3)}, Lane::kInt});
  }
  // Shifts by immediate: 66 0F 71/72/73 /r ib on xmm0.
  for (uint8_t count : {0, 1, 7, 15, 16, 31, 33, 63, 64, 200}) {
    for (uint8_t op : {0x71, 0x72, 0x73}) {
      for (uint8_t r : {2, 4, 6, 3, 7}) {
        if (r == 4 && op == 0x73) continue;
        if ((r == 3 || r == 7) && op != 0x73) continue;
        const uint8_t modrm = static_cast<uint8_t>(0xc0 | (r << 3));
        std::snprintf(name, sizeof(name), "%02x/%d,%d", op, r, count);
        forms.push_back({name, {0x66, 0x0f, op, modrm, count}, Lane::kInt});
      }
    }
  }
  // Shifts by a register count, with small counts.
  for (uint8_t op : {0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3}) {
    std::snprintf(name, sizeof(name), "66-0f-%02x-n", op);
    forms.push_back({name, {0x66, 0x0f, op, 0xc1}, Lane::kInt, false, false, true});
  }
  // Moves and extractions between registers.
  forms.push_back({"movss", {0xf3, 0x0f, 0x10, 0xc1}, Lane::kInt});
  forms.push_back({"movsd", {0xf2, 0x0f, 0x10, 0xc1}, Lane::kInt});
  forms.push_back({"movss-st", {0xf3, 0x0f, 0x11, 0xc8}, Lane::kInt});
  forms.push_back({"movaps", {0x0f, 0x28, 0xc1}, Lane::kInt});
  forms.push_back({"movdqa-st", {0x66, 0x0f, 0x7f, 0xc8}, Lane::kInt});
  forms.push_back({"movdqu", {0xf3, 0x0f, 0x6f, 0xc1}, Lane::kInt});
  forms.push_back({"movhlps", {0x0f, 0x12, 0xc1}, Lane::kInt});
  forms.push_back({"movlhps", {0x0f, 0x16, 0xc1}, Lane::kInt});
  forms.push_back({"movq-f3", {0xf3, 0x0f, 0x7e, 0xc1}, Lane::kInt});
  forms.push_back({"movq-d6", {0x66, 0x0f, 0xd6, 0xc1}, Lane::kInt});
  forms.push_back({"movd-to-xmm", {0x66, 0x0f, 0x6e, 0xc0}, Lane::kInt, false, true});
  forms.push_back({"movq-to-xmm", {0x66, 0x48, 0x0f, 0x6e, 0xc0}, Lane::kInt, false, true});
  forms.push_back({"movd-from-xmm", {0x66, 0x0f, 0x7e, 0xc8}, Lane::kInt});
  forms.push_back({"movq-from-xmm", {0x66, 0x48, 0x0f, 0x7e, 0xc8}, Lane::kInt});
  forms.push_back({"pmovmskb", {0x66, 0x0f, 0xd7, 0xc1}, Lane::kInt});
  forms.push_back({"movmskps", {0x0f, 0x50, 0xc1}, Lane::kInt});
  forms.push_back({"movmskpd", {0x66, 0x0f, 0x50, 0xc1}, Lane::kInt});
  forms.push_back({"pinsrw", {0x66, 0x0f, 0xc4, 0xc0, 0x05}, Lane::kInt, false, true});
  forms.push_back({"pextrw", {0x66, 0x0f, 0xc5, 0xc1, 0x06}, Lane::kInt});
  return forms;
}

// Memory operand forms: [rsi] points at 32 random bytes (16-byte aligned).
std::vector<Form> mem_forms() {
  std::vector<Form> f;
  auto add = [&](const char* name, Bytes bytes, Lane lane, bool flags = false) {
    f.push_back({name, std::move(bytes), lane, flags, false, false, true});
  };
  add("addps-m128", {0x0f, 0x58, 0x06}, Lane::kF32);
  add("mulpd-m128", {0x66, 0x0f, 0x59, 0x06}, Lane::kF64);
  add("addss-m32", {0xf3, 0x0f, 0x58, 0x46, 0x04}, Lane::kF32);
  add("divsd-m64", {0xf2, 0x0f, 0x5e, 0x46, 0x08}, Lane::kF64);
  add("sqrtss-m32", {0xf3, 0x0f, 0x51, 0x46, 0x0c}, Lane::kF32);
  add("cmpsd-m64", {0xf2, 0x0f, 0xc2, 0x46, 0x08, 0x01}, Lane::kF64);
  add("cvtps2pd-m64", {0x0f, 0x5a, 0x46, 0x08}, Lane::kF32);
  add("cvtdq2pd-m64", {0xf3, 0x0f, 0xe6, 0x46, 0x08}, Lane::kInt);
  add("cvtss2sd-m32", {0xf3, 0x0f, 0x5a, 0x46, 0x04}, Lane::kF32);
  add("cvtsi2sd-m32", {0xf2, 0x0f, 0x2a, 0x46, 0x04}, Lane::kInt);
  add("cvtsi2ss-m64", {0xf3, 0x48, 0x0f, 0x2a, 0x46, 0x08}, Lane::kInt);
  add("cvttsd2si-m64", {0xf2, 0x0f, 0x2c, 0x46, 0x08}, Lane::kF64);
  add("ucomiss-m32", {0x0f, 0x2e, 0x46, 0x04}, Lane::kF32, true);
  add("comisd-m64", {0x66, 0x0f, 0x2f, 0x46, 0x08}, Lane::kF64, true);
  add("pcmpeqb-m128", {0x66, 0x0f, 0x74, 0x06}, Lane::kInt);
  add("psubusb-m128", {0x66, 0x0f, 0xd8, 0x46, 0x10}, Lane::kInt);
  add("punpcklbw-m128", {0x66, 0x0f, 0x60, 0x06}, Lane::kInt);
  add("pshufd-m128", {0x66, 0x0f, 0x70, 0x06, 0x39}, Lane::kInt);
  add("movss-load", {0xf3, 0x0f, 0x10, 0x46, 0x04}, Lane::kInt);
  add("movsd-load", {0xf2, 0x0f, 0x10, 0x46, 0x08}, Lane::kInt);
  add("movss-store", {0xf3, 0x0f, 0x11, 0x46, 0x04}, Lane::kInt);
  add("movsd-store", {0xf2, 0x0f, 0x11, 0x46, 0x08}, Lane::kInt);
  add("movups-load", {0x0f, 0x10, 0x46, 0x04}, Lane::kInt);
  add("movdqu-store", {0xf3, 0x0f, 0x7f, 0x46, 0x04}, Lane::kInt);
  add("movaps-store", {0x0f, 0x29, 0x46, 0x10}, Lane::kInt);
  add("movntdq", {0x66, 0x0f, 0xe7, 0x06}, Lane::kInt);
  add("movntps", {0x0f, 0x2b, 0x46, 0x10}, Lane::kInt);
  add("movlps-load", {0x0f, 0x12, 0x46, 0x08}, Lane::kInt);
  add("movhps-load", {0x0f, 0x16, 0x46, 0x08}, Lane::kInt);
  add("movlpd-store", {0x66, 0x0f, 0x13, 0x46, 0x08}, Lane::kInt);
  add("movhpd-store", {0x66, 0x0f, 0x17, 0x46, 0x08}, Lane::kInt);
  add("movd-load", {0x66, 0x0f, 0x6e, 0x46, 0x04}, Lane::kInt);
  add("movq-store", {0x66, 0x48, 0x0f, 0x7e, 0x46, 0x08}, Lane::kInt);
  add("movq-f3-load", {0xf3, 0x0f, 0x7e, 0x46, 0x08}, Lane::kInt);
  add("movq-d6-store", {0x66, 0x0f, 0xd6, 0x46, 0x08}, Lane::kInt);
  add("pinsrw-m16", {0x66, 0x0f, 0xc4, 0x46, 0x06, 0x02}, Lane::kInt);
  add("andnpd-m128", {0x66, 0x0f, 0x55, 0x46, 0x10}, Lane::kInt);
  add("psllq-m128", {0x66, 0x0f, 0xf3, 0x06}, Lane::kInt);
  return f;
}

// MMX forms: mm0 is the destination, mm1 (or RAX, [rsi], xmm1) the source.
std::vector<Form> mmx_forms() {
  std::vector<Form> f;
  auto add = [&](std::string name, Bytes bytes, Lane lane = Lane::kInt, bool mem = false) {
    Form form{std::move(name), std::move(bytes), lane};
    form.mem = mem;
    form.mmx = true;
    f.push_back(form);
  };
  const uint8_t kOps[] = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
                          0x6b, 0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9,
                          0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4,
                          0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2,
                          0xf3, 0xf4, 0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe};
  char name[24];
  for (uint8_t op : kOps) {
    std::snprintf(name, sizeof(name), "mmx-0f-%02x", op);
    add(name, {0x0f, op, 0xc1});
    std::snprintf(name, sizeof(name), "mmx-0f-%02x-mem", op);
    add(name, {0x0f, op, 0x46, 0x08}, Lane::kInt, true);
  }
  for (uint8_t count : {0, 3, 15, 17, 40, 64}) {
    for (uint8_t op : {0x71, 0x72, 0x73}) {
      for (uint8_t r : {2, 4, 6}) {
        if (r == 4 && op == 0x73) continue;
        std::snprintf(name, sizeof(name), "mmx-%02x/%d,%d", op, r, count);
        add(name, {0x0f, op, static_cast<uint8_t>(0xc0 | (r << 3)), count});
      }
    }
  }
  add("pshufw", {0x0f, 0x70, 0xc1, 0x1b});
  add("movd-mm-eax", {0x0f, 0x6e, 0xc0});
  add("movq-mm-rax", {0x48, 0x0f, 0x6e, 0xc0});
  add("movd-eax-mm", {0x0f, 0x7e, 0xc8});
  add("movq-rax-mm", {0x48, 0x0f, 0x7e, 0xc8});
  add("movq-mm-mm", {0x0f, 0x6f, 0xc1});
  add("movq-mm-mem", {0x0f, 0x6f, 0x46, 0x04}, Lane::kInt, true);
  add("movq-mem-mm", {0x0f, 0x7f, 0x46, 0x04}, Lane::kInt, true);
  add("movd-mem-mm", {0x0f, 0x7e, 0x46, 0x04}, Lane::kInt, true);
  add("movntq", {0x0f, 0xe7, 0x46, 0x08}, Lane::kInt, true);
  add("pinsrw-mm", {0x0f, 0xc4, 0xc0, 0x02});
  add("pextrw-mm", {0x0f, 0xc5, 0xc1, 0x03});
  add("pmovmskb-mm", {0x0f, 0xd7, 0xc1});
  add("movq2dq", {0xf3, 0x0f, 0xd6, 0xc1});
  add("movdq2q", {0xf2, 0x0f, 0xd6, 0xc1});
  add("cvtpi2ps", {0x0f, 0x2a, 0xc1});
  add("cvtpi2pd", {0x66, 0x0f, 0x2a, 0xc1});
  add("cvtpi2ps-mem", {0x0f, 0x2a, 0x46, 0x08}, Lane::kInt, true);
  f.back().mmx = false;  // no MMX register touched: no x87-to-MMX transition
  add("cvtps2pi", {0x0f, 0x2d, 0xc1}, Lane::kF32);
  add("cvttps2pi", {0x0f, 0x2c, 0xc1}, Lane::kF32);
  add("cvtpd2pi", {0x66, 0x0f, 0x2d, 0xc1}, Lane::kF64);
  add("cvttpd2pi", {0x66, 0x0f, 0x2c, 0xc1}, Lane::kF64);
  add("cvtps2pi-mem", {0x0f, 0x2d, 0x46, 0x04}, Lane::kF32, true);
  // push rdi; lea rdi, [rsi]; maskmovq mm0, mm1 / maskmovdqu xmm0, xmm1; pop rdi
  add("maskmovq", {0x57, 0x48, 0x8d, 0x3e, 0x0f, 0xf7, 0xc1, 0x5f}, Lane::kInt, true);
  add("maskmovdqu", {0x57, 0x48, 0x8d, 0x3e, 0x66, 0x0f, 0xf7, 0xc1, 0x5f}, Lane::kInt, true);
  f.back().mmx = false;
  return f;
}

// Runs every form with random operands natively and in vx86.
void run_differential(const std::vector<Form>& forms, int iterations, uint64_t seed) {
  LongModeCpu vm;
  NativeRunner native;
  std::mt19937_64 rng(seed);
  int mismatches = 0, runs = 0, changed = 0;
  for (const Form& form : forms) {
    vm.load_code(cat(form.bytes, {0xf4}));
    for (int i = 0; i < iterations && mismatches < 20; ++i) {
      NativeState in{};
      random_xmm(rng, form.lane, in.xmm0);
      random_xmm(rng, form.lane, in.xmm1);
      in.mxcsr = random_mxcsr(rng);
      in.rax = rng();
      if (form.rax_src_int && (rng() & 1)) {
        in.rax = static_cast<uint64_t>(static_cast<int32_t>(rng() % 5000));
      }
      if (form.small_count) in.xmm1[0] = rng() % 70;
      random_xmm(rng, Lane::kInt, in.mm);
      if (form.lane == Lane::kF32 && form.mmx)
        in.mm[0] = random_f32(rng) | (uint64_t{random_f32(rng)} << 32);
      if (form.mem) {
        random_xmm(rng, form.lane, in.mem);
        random_xmm(rng, form.lane, in.mem + 2);
      }

      NativeState host = in;
      native.run(form.bytes, &host);

      X86Cpu& c = vm.cpu();
      std::memcpy(c.xmm[0].q, in.xmm0, 16);
      std::memcpy(c.xmm[1].q, in.xmm1, 16);
      c.mxcsr = in.mxcsr;
      c.regs[0] = in.rax;
      c.regs[6] = LongModeCpu::kData;
      c.st[0].mantissa = in.mm[0];
      c.st[1].mantissa = in.mm[1];
      c.st[0].sign_exponent = c.st[1].sign_exponent = 0;
      c.fpu_top = 3;
      c.fpu_tw = 0xffff;
      std::memcpy(vm.ram() + LongModeCpu::kData, in.mem, sizeof(in.mem));
      load_eflags(c, 0, kFlagsArith);
      const int vector = vm.run();
      ++runs;
      if (std::memcmp(host.xmm0, in.xmm0, 16) != 0 || host.rax != in.rax ||
          host.mxcsr != in.mxcsr || host.mm[0] != in.mm[0] ||
          std::memcmp(host.mem, in.mem, sizeof(in.mem)) != 0) {
        ++changed;
      }

      bool same = vector == -1 && std::memcmp(c.xmm[0].q, host.xmm0, 16) == 0 &&
                  std::memcmp(c.xmm[1].q, host.xmm1, 16) == 0 && c.mxcsr == host.mxcsr &&
                  c.regs[0] == host.rax &&
                  std::memcmp(vm.ram() + LongModeCpu::kData, host.mem, sizeof(host.mem)) == 0 &&
                  c.st[0].mantissa == host.mm[0] && c.st[1].mantissa == host.mm[1];
      if (form.mmx) same = same && c.fpu_top == 0 && c.fpu_tw == 0;
      if (form.flags)
        same = same && (compute_eflags(c) & kFlagsArith) == (host.flags & kFlagsArith);
      if (!same) {
        ++mismatches;
        ADD_FAILURE() << form.name << " vector " << vector << std::hex << "\n in  x0 " << in.xmm0[1]
                      << ":" << in.xmm0[0] << " x1 " << in.xmm1[1] << ":" << in.xmm1[0] << " mxcsr "
                      << in.mxcsr << " rax " << in.rax << "\n host x0 " << host.xmm0[1] << ":"
                      << host.xmm0[0] << " x1 " << host.xmm1[1] << ":" << host.xmm1[0] << " mxcsr "
                      << host.mxcsr << " rax " << host.rax << " flags "
                      << (host.flags & kFlagsArith) << "\n vx86 x0 " << c.xmm[0].q[1] << ":"
                      << c.xmm[0].q[0] << " x1 " << c.xmm[1].q[1] << ":" << c.xmm[1].q[0]
                      << " mxcsr " << c.mxcsr << " rax " << c.regs[0] << " flags "
                      << (compute_eflags(c) & kFlagsArith);
      }
    }
  }
  // Guards against a harness that compares nothing: most runs change state.
  EXPECT_EQ(runs, static_cast<int>(forms.size()) * iterations);
  EXPECT_GT(changed, runs / 2);
}

TEST(SseDifferential, FloatingPoint) {
  run_differential(fp_forms(), 1500, 1);
}

TEST(SseDifferential, IntegerAndMoves) {
  run_differential(int_forms(), 60, 2);
}

TEST(SseDifferential, MemoryOperands) {
  run_differential(mem_forms(), 300, 4);
}

TEST(SseDifferential, Mmx) {
  run_differential(mmx_forms(), 60, 6);
}

TEST(Mmx, EmmsAndAvailability) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  c.fpu_tw = 0xffff;
  c.fpu_top = 4;
  vm.load_code({0x0f, 0xfe, 0xc1, 0xf4});  // paddd mm0, mm1
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.fpu_top, 0u);
  EXPECT_EQ(c.fpu_tw, 0u);
  EXPECT_EQ(c.st[0].sign_exponent, 0xffffu);
  vm.load_code({0x0f, 0x77, 0xf4});  // emms
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.fpu_tw, 0xffffu);
  vm.load_code({0x0f, 0xfe, 0xc1, 0xf4});
  c.cr0 |= kCr0EM;
  EXPECT_EQ(vm.run(), kExcUD);
  c.cr0 = (c.cr0 & ~kCr0EM) | kCr0TS;
  EXPECT_EQ(vm.run(), kExcNM);
  c.cr0 &= ~kCr0TS;
  c.cr4 &= ~kCr4Osfxsr;  // MMX does not need OSFXSR
  EXPECT_EQ(vm.run(), -1);
}

// ---------------------------------------------------------------------------
// Memory forms, faults and state.

constexpr uint64_t kData = LongModeCpu::kData;

// mov rsi, imm64 (the data pointer used by the memory forms below).
Bytes mov_rsi(uint64_t address) {
  Bytes b = {0x48, 0xbe};
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(address >> (8 * i)));
  return b;
}

TEST(Sse, AlignedMoveFaultsOnMisalignedAddress) {
  LongModeCpu vm;
  // movaps xmm0, [rsi] at an 8-byte aligned address: #GP(0).
  vm.load_code(cat(mov_rsi(kData + 8), {0x0f, 0x28, 0x06, 0xf4}));
  EXPECT_EQ(vm.run(), kExcGP);
  // movups from the same address works.
  const uint64_t v[2] = {0x1122334455667788, 0x99aabbccddeeff00};
  std::memcpy(vm.ram() + kData + 8, v, 16);
  vm.load_code(cat(mov_rsi(kData + 8), {0x0f, 0x10, 0x06, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(vm.cpu().xmm[0].q[0], v[0]);
  EXPECT_EQ(vm.cpu().xmm[0].q[1], v[1]);
  // paddd xmm0, [rsi] (misaligned m128 operand): #GP(0).
  vm.load_code(cat(mov_rsi(kData + 8), {0x66, 0x0f, 0xfe, 0x06, 0xf4}));
  EXPECT_EQ(vm.run(), kExcGP);
  // movdqa [rsi], xmm0 at an aligned address stores all 16 bytes.
  vm.load_code(cat(mov_rsi(kData + 0x40), {0x66, 0x0f, 0x7f, 0x06, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(std::memcmp(vm.ram() + kData + 0x40, v, 16), 0);
}

TEST(Sse, ScalarAndHalfMemoryForms) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  const uint64_t mem[2] = {0x3ff0000000000000, 0x4000000000000000};  // 1.0, 2.0
  std::memcpy(vm.ram() + kData + 4, mem, 16);
  c.xmm[0] = XmmReg{{0xffffffffffffffff, 0xffffffffffffffff}};
  // movsd xmm0, [rsi] (unaligned is fine): low = 1.0, high zeroed.
  vm.load_code(cat(mov_rsi(kData + 4), {0xf2, 0x0f, 0x10, 0x06, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.xmm[0].q[0], mem[0]);
  EXPECT_EQ(c.xmm[0].q[1], 0u);
  // movhpd xmm0, [rsi+8]: high = 2.0.
  vm.load_code(cat(mov_rsi(kData + 4), {0x66, 0x0f, 0x16, 0x46, 0x08, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.xmm[0].q[1], mem[1]);
  // addsd xmm0, [rsi+8] -> 3.0
  vm.load_code(cat(mov_rsi(kData + 4), {0xf2, 0x0f, 0x58, 0x46, 0x08, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.xmm[0].q[0], 0x4008000000000000u);
  // movlps [rsi+0x20], xmm0 stores 8 bytes; movhps [rsi+0x28], xmm0 the high half.
  vm.load_code(cat(mov_rsi(kData), {0x0f, 0x13, 0x46, 0x20, 0x0f, 0x17, 0x46, 0x28, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  uint64_t out[2];
  std::memcpy(out, vm.ram() + kData + 0x20, 16);
  EXPECT_EQ(out[0], 0x4008000000000000u);
  EXPECT_EQ(out[1], mem[1]);
  // movd [rsi+0x30], xmm0 ; movnti [rsi+0x38], rsi
  vm.load_code(
      cat(mov_rsi(kData), {0x66, 0x0f, 0x7e, 0x46, 0x30, 0x48, 0x0f, 0xc3, 0x76, 0x38, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  uint32_t d;
  std::memcpy(&d, vm.ram() + kData + 0x30, 4);
  EXPECT_EQ(d, 0u);
  uint64_t q;
  std::memcpy(&q, vm.ram() + kData + 0x38, 8);
  EXPECT_EQ(q, kData);
  // cvtsi2sd xmm1, qword [rsi+0x38]; comisd xmm1, [rsi+4] (1.0): greater -> no flags
  vm.load_code(cat(mov_rsi(kData),
                   {0xf2, 0x48, 0x0f, 0x2a, 0x4e, 0x38, 0x66, 0x0f, 0x2f, 0x4e, 0x04, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(compute_eflags(c) & kFlagsArith, 0u);
}

TEST(Sse, AvailabilityFaults) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  const Bytes addps = {0x0f, 0x58, 0xc1, 0xf4};
  vm.load_code(addps);
  EXPECT_EQ(vm.run(), -1);
  c.cr0 |= kCr0TS;
  EXPECT_EQ(vm.run(), kExcNM);
  c.cr0 = (c.cr0 & ~kCr0TS) | kCr0EM;
  EXPECT_EQ(vm.run(), kExcUD);
  c.cr0 &= ~kCr0EM;
  c.cr4 &= ~kCr4Osfxsr;
  EXPECT_EQ(vm.run(), kExcUD);
  c.cr4 |= kCr4Osfxsr;
  EXPECT_EQ(vm.run(), -1);
  // FXSAVE with TS: #NM; FNINIT with EM: #NM; FWAIT only with MP and TS.
  vm.load_code(cat(mov_rsi(kData), {0x0f, 0xae, 0x06, 0xf4}));
  c.cr0 |= kCr0TS;
  EXPECT_EQ(vm.run(), kExcNM);
  vm.load_code({0x9b, 0xf4});
  EXPECT_EQ(vm.run(), kExcNM);
  c.cr0 &= ~kCr0MP;
  EXPECT_EQ(vm.run(), -1);
  c.cr0 = (c.cr0 & ~kCr0TS) | kCr0MP;
}

TEST(Sse, UnmaskedExceptionRaisesXmAndKeepsDestination) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  vm.load_code({0xf3, 0x0f, 0x5e, 0xc1, 0xf4});  // divss xmm0, xmm1
  c.xmm[0] = XmmReg{{0x3f800000, 0}};
  c.xmm[1] = XmmReg{{0, 0}};
  c.mxcsr = kMxcsrDefault & ~(kMxcsrZE << kMxcsrMaskShift);  // ZE unmasked
  EXPECT_EQ(vm.run(), kExcXM);
  EXPECT_EQ(c.xmm[0].q[0], 0x3f800000u);
  EXPECT_EQ(c.mxcsr & kMxcsrFlags, kMxcsrZE);
  c.cr4 &= ~kCr4Osxmmexcpt;
  EXPECT_EQ(vm.run(), kExcUD);
  // Masked: the result is +inf and only the flag is set.
  c.mxcsr = kMxcsrDefault;
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.xmm[0].q[0], 0x7f800000u);
  EXPECT_EQ(c.mxcsr, kMxcsrDefault | kMxcsrZE);
}

TEST(Sse, LdmxcsrStmxcsr) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  uint32_t v = 0x7fc0;  // RZ, FTZ, all masks
  std::memcpy(vm.ram() + kData, &v, 4);
  // ldmxcsr [rsi]; stmxcsr [rsi+4]
  vm.load_code(cat(mov_rsi(kData), {0x0f, 0xae, 0x16, 0x0f, 0xae, 0x5e, 0x04, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.mxcsr, v);
  uint32_t out;
  std::memcpy(&out, vm.ram() + kData + 4, 4);
  EXPECT_EQ(out, v);
  v = 0x10000 | kMxcsrDefault;  // reserved bit 16
  std::memcpy(vm.ram() + kData, &v, 4);
  EXPECT_EQ(vm.run(), kExcGP);
  EXPECT_EQ(c.mxcsr, 0x7fc0u);
}

TEST(X87Control, InitControlWordAndStatusWord) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  c.fpu_cw = 0x1234;
  c.fpu_sw = 0x80ff;
  c.fpu_top = 5;
  // fnstsw ax; fnclex; fnstsw [rsi]; fninit; fnstcw [rsi+2]; fldcw [rsi+4]
  const uint16_t cw = 0x027f;
  std::memcpy(vm.ram() + kData + 4, &cw, 2);
  vm.load_code(cat(mov_rsi(kData), {0xdf, 0xe0, 0xdb, 0xe2, 0xdd, 0x3e, 0xdb, 0xe3, 0xd9, 0x7e,
                                    0x02, 0xd9, 0x6e, 0x04, 0xf4}));
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.regs[0] & 0xffff, 0x80ffu | (5u << 11));
  uint16_t sw, stored_cw;
  std::memcpy(&sw, vm.ram() + kData, 2);
  std::memcpy(&stored_cw, vm.ram() + kData + 2, 2);
  EXPECT_EQ(sw, 5u << 11);
  EXPECT_EQ(stored_cw, 0x037fu);
  EXPECT_EQ(c.fpu_cw, cw);
  EXPECT_EQ(c.fpu_tw, 0xffffu);
  EXPECT_EQ(c.fpu_top, 0u);
}

// FXRSTOR then FXSAVE of a random image, on the host and in vx86: the saved
// images must agree (the x87 pointer fields, which AMD and Intel CPUs store
// differently, and MXCSR_MASK are left out).
void host_fx_roundtrip(const uint8_t* in, uint8_t* out, bool rex_w) {
  alignas(16) uint8_t saved[512];
  if (rex_w) {
    asm volatile("fxsave64 %0\n\tfxrstor64 %2\n\tfxsave64 %1\n\tfxrstor64 %0"
                 : "+m"(*reinterpret_cast<uint8_t(*)[512]>(saved)),
                   "=m"(*reinterpret_cast<uint8_t(*)[512]>(out))
                 : "m"(*reinterpret_cast<const uint8_t(*)[512]>(in)));
  } else {
    asm volatile("fxsave %0\n\tfxrstor %2\n\tfxsave %1\n\tfxrstor %0"
                 : "+m"(*reinterpret_cast<uint8_t(*)[512]>(saved)),
                   "=m"(*reinterpret_cast<uint8_t(*)[512]>(out))
                 : "m"(*reinterpret_cast<const uint8_t(*)[512]>(in)));
  }
}

TEST(Fxsave, RoundTripMatchesHost) {
  LongModeCpu vm;
  std::mt19937_64 rng(3);
  for (int iter = 0; iter < 200; ++iter) {
    const bool rex_w = iter & 1;
    alignas(16) uint8_t image[512];
    for (auto& byte : image) byte = static_cast<uint8_t>(rng());
    uint32_t mxcsr = static_cast<uint32_t>(rng()) & 0xffff;
    std::memcpy(image + 24, &mxcsr, 4);
    for (int i = 0; i < 8; ++i) {  // some registers zero, some normal
      if (rng() % 4 == 0) std::memset(image + 32 + 16 * i, 0, 10);
    }
    alignas(16) uint8_t host_out[512];
    std::memset(host_out, 0xcc, sizeof(host_out));
    host_fx_roundtrip(image, host_out, rex_w);

    std::memcpy(vm.ram() + kData, image, 512);
    std::memset(vm.ram() + kData + 512, 0xcc, 512);
    // fxrstor [rsi]; fxsave [rsi+512] (REX.W forms: 48 0f ae)
    Bytes code = mov_rsi(kData);
    if (rex_w) code.push_back(0x48);
    code.insert(code.end(), {0x0f, 0xae, 0x0e});
    if (rex_w) code.push_back(0x48);
    code.insert(code.end(), {0x0f, 0xae, 0x86, 0x00, 0x02, 0x00, 0x00, 0xf4});
    vm.load_code(code);
    ASSERT_EQ(vm.run(), -1);
    const uint8_t* mine = vm.ram() + kData + 512;
    // FCW FSW FTW, MXCSR, ST0-7, XMM0-15.
    EXPECT_EQ(std::memcmp(mine, host_out, 5), 0) << "iteration " << iter;
    EXPECT_EQ(std::memcmp(mine + 24, host_out + 24, 4), 0) << "iteration " << iter;
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(std::memcmp(mine + 32 + 16 * i, host_out + 32 + 16 * i, 10), 0)
          << "iteration " << iter << " st" << i;
    }
    EXPECT_EQ(std::memcmp(mine + 160, host_out + 160, 256), 0) << "iteration " << iter;
    // Bytes 416..511 are not written.
    for (int i = 416; i < 512; ++i) ASSERT_EQ(mine[i], 0xcc) << i;
  }
}

// FLDENV then FNSTENV (28-byte layout) on the host and in vx86. Tags are
// compared as empty / not empty: the others are recomputed from register
// contents, which differ between the two.
TEST(X87Control, EnvironmentRoundTripMatchesHost) {
  LongModeCpu vm;
  std::mt19937_64 rng(5);
  for (int iter = 0; iter < 100; ++iter) {
    uint8_t env[28];
    for (auto& byte : env) byte = static_cast<uint8_t>(rng());
    auto host_roundtrip = [&env](uint8_t* out) {
      uint8_t saved[28];
      asm volatile("fnstenv %0\n\tfldenv %2\n\tfnstenv %1\n\tfldenv %0"
                   : "+m"(saved), "=m"(*reinterpret_cast<uint8_t(*)[28]>(out))
                   : "m"(env));
    };
    // A context switch between the FLDENV and the FNSTENV clears FCS and FDS
    // on the host (the kernel saves the FPU in the 64-bit format, which has
    // no selectors): measure until two runs in a row agree.
    uint8_t host_out[28], again[28];
    host_roundtrip(host_out);
    for (int tries = 0; tries < 10; ++tries) {
      host_roundtrip(again);
      if (std::memcmp(again, host_out, 28) == 0) break;
      std::memcpy(host_out, again, 28);
    }
    std::memcpy(vm.ram() + kData, env, 28);
    // fldenv [rsi]; fnstenv [rsi+32]
    vm.load_code(cat(mov_rsi(kData), {0xd9, 0x26, 0xd9, 0x76, 0x20, 0xf4}));
    ASSERT_EQ(vm.run(), -1);
    uint8_t mine[28];
    std::memcpy(mine, vm.ram() + kData + 32, 28);
    auto empties = [](const uint8_t* e) {
      unsigned tw = e[8] | (e[9] << 8), mask = 0;
      for (int i = 0; i < 8; ++i) mask |= (((tw >> (2 * i)) & 3) == 3) << i;
      return mask;
    };
    EXPECT_EQ(empties(mine), empties(host_out)) << iter;
    mine[8] = mine[9] = host_out[8] = host_out[9] = 0;
    for (int i = 0; i < 28; ++i)
      EXPECT_EQ(mine[i], host_out[i]) << "iteration " << iter << " byte " << i;
    // FNSTENV masked every exception afterwards.
    EXPECT_EQ(vm.cpu().fpu_cw & 0x3f, 0x3fu);
  }
}

TEST(Fxsave, AlignmentAndReservedMxcsr) {
  LongModeCpu vm;
  vm.load_code(cat(mov_rsi(kData + 8), {0x0f, 0xae, 0x06, 0xf4}));  // fxsave [rsi]
  EXPECT_EQ(vm.run(), kExcGP);
  std::memset(vm.ram() + kData, 0, 512);
  const uint32_t bad = 0x20000;
  std::memcpy(vm.ram() + kData + 24, &bad, 4);
  vm.load_code(cat(mov_rsi(kData), {0x0f, 0xae, 0x0e, 0xf4}));  // fxrstor [rsi]
  EXPECT_EQ(vm.run(), kExcGP);
  EXPECT_EQ(vm.cpu().mxcsr, kMxcsrDefault);
}

TEST(Sse, HighRegistersWithRex) {
  LongModeCpu vm;
  X86Cpu& c = vm.cpu();
  c.xmm[9] = XmmReg{{1, 2}};
  c.xmm[14] = XmmReg{{10, 20}};
  // paddq xmm14, xmm9 (66 45 0f d4 f1)
  vm.load_code({0x66, 0x45, 0x0f, 0xd4, 0xf1, 0xf4});
  EXPECT_EQ(vm.run(), -1);
  EXPECT_EQ(c.xmm[14].q[0], 11u);
  EXPECT_EQ(c.xmm[14].q[1], 22u);
}

// 32-bit protected mode (the shared harness): the 32-bit FXSAVE layout with
// XMM0-7 only, and SSE arithmetic and MOVD without REX.
TEST(Sse, ProtectedMode32) {
  x86::testing::CpuHarness h(x86::testing::CpuMode::kProtected32);
  X86Cpu& c = h.cpu();
  c.cr4 |= kCr4Osfxsr | kCr4Osxmmexcpt;
  const uint64_t data = x86::testing::CpuHarness::kData;
  std::vector<uint8_t> fill(512, 0xcc);
  h.write_memory(data, fill.data(), fill.size());
  c.xmm[7] = XmmReg{{0x1111, 0x2222}};
  c.xmm[1] = XmmReg{{0x3f8000003f800000, 0x3f8000003f800000}};  // 1.0f x4
  c.xmm[0] = XmmReg{{0x4000000040000000, 0x4000000040000000}};  // 2.0f x4
  c.regs[kRSI] = data;
  // addps xmm0, xmm1; movd eax, xmm0; fxsave [esi]; hlt
  h.load_code({0x0f, 0x58, 0xc1, 0x66, 0x0f, 0x7e, 0xc0, 0x0f, 0xae, 0x06, 0xf4});
  x86::testing::RunResult r = h.run();
  EXPECT_TRUE(r.halted);
  EXPECT_EQ(r.exception, -1);
  EXPECT_EQ(c.regs[kRAX] & 0xffffffff, 0x40400000u);  // 3.0f
  uint8_t image[512];
  h.read_memory(data, image, sizeof(image));
  uint64_t xmm7_low;
  std::memcpy(&xmm7_low, image + 160 + 7 * 16, 8);
  EXPECT_EQ(xmm7_low, 0x1111u);
  for (int i = 288; i < 512; ++i) ASSERT_EQ(image[i], 0xcc) << i;
}

}  // namespace
}  // namespace vx86::x86
