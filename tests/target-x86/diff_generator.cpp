#include "tests/target-x86/diff_generator.h"

#include <cpuid.h>

#include <cstdio>
#include <cstring>

#include "target-x86/cpu_state.h"

namespace vx86::x86::testing {

namespace {

constexpr uint32_t kAll = kFlagsArith;
constexpr unsigned kR15 = 15, kRsp = 4;
// Registers a generated instruction may write: all but RSP (stack, moved by
// PUSH/POP only) and R15 (scratch buffer base).
constexpr unsigned kWritable[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }
  bool chance(unsigned one_in) { return below(one_in) == 0; }

 private:
  uint64_t state_;
};

// A value biased towards the edges of 8/16/32/64-bit arithmetic.
uint64_t edge_value(Rng& rng) {
  static const uint64_t kEdges[] = {0,
                                    1,
                                    2,
                                    ~0ull,
                                    0x7f,
                                    0x80,
                                    0xff,
                                    0x100,
                                    0x7fff,
                                    0x8000,
                                    0xffff,
                                    0x10000,
                                    0x7fffffff,
                                    0x80000000,
                                    0xffffffff,
                                    0x100000000,
                                    0x7fffffffffffffff,
                                    0x8000000000000000,
                                    0xffffffff80000000,
                                    0xffffffffffff8000,
                                    0xffffffffffffff80,
                                    0x99,
                                    0x0f,
                                    0x10,
                                    0x1f,
                                    0x20,
                                    0x3f,
                                    0x40};
  switch (rng.below(6)) {
    case 0:
    case 1:
      return kEdges[rng.below(sizeof(kEdges) / sizeof(kEdges[0]))];
    case 2:
      return rng.next() & 0xff;
    case 3:
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(rng.next())));
    case 4:
      return kEdges[rng.below(sizeof(kEdges) / sizeof(kEdges[0]))] + (rng.below(3) - 1);
    default:
      return rng.next();
  }
}

const char* reg_name(unsigned reg, unsigned size, bool legacy8) {
  static const char* k64[] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                              "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  static const char* k32[] = {"eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
                              "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
  static const char* k16[] = {"ax",  "cx",  "dx",   "bx",   "sp",   "bp",   "si",   "di",
                              "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
  static const char* k8[] = {"al",  "cl",  "dl",   "bl",   "spl",  "bpl",  "sil",  "dil",
                             "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};
  static const char* k8h[] = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
  if (size == 1) return legacy8 ? k8h[reg & 7] : k8[reg];
  if (size == 2) return k16[reg];
  if (size == 4) return k32[reg];
  return k64[reg];
}

// A ModRM r/m operand: a register or [R15 + disp].
struct Rm {
  bool mem = false;
  unsigned reg = 0;
  int32_t disp = 0;
};

class Generator {
 public:
  Generator(uint64_t seed, const HostFeatures& features, DiffSequence* seq, bool listing)
      : rng_(seed), features_(features), seq_(seq), listing_(listing) {}

  void run();

 private:
  // ---- encoding ----
  struct Enc {
    unsigned size = 4;       // operand size (1 = byte operation)
    bool byte_regs = false;  // some register operand is 8-bit
    bool legacy8 = false;    // no REX: byte register codes 4..7 are AH..BH
    uint8_t mandatory = 0;   // F3 (TZCNT/LZCNT/POPCNT)
    bool rex_w = false;
    bool lockable = false;  // LOCK may prefix the memory form
  };
  void emit_modrm(const Enc& e, std::initializer_list<uint8_t> opcode, unsigned regf, const Rm& rm,
                  uint64_t imm = 0, unsigned imm_len = 0);
  void emit_plain(const Enc& e, std::initializer_list<uint8_t> opcode, unsigned reg_in_opcode,
                  uint64_t imm = 0, unsigned imm_len = 0);
  void note(const std::string& text) {
    if (listing_) seq_->listing.push_back(text);
  }
  std::string rm_text(const Rm& rm, unsigned size, bool legacy8) const {
    char buf[48];
    if (rm.mem) {
      std::snprintf(buf, sizeof(buf), "%s[r15%+d]",
                    size == 1   ? "byte "
                    : size == 2 ? "word "
                    : size == 4 ? "dword "
                                : "qword ",
                    rm.disp);
      return buf;
    }
    return reg_name(rm.reg, size, legacy8);
  }

  // ---- choices ----
  unsigned pick_size() { return 1u << rng_.below(4); }
  unsigned pick_size_no8() { return 2u << rng_.below(3); }
  unsigned pick_writable() {
    return kWritable[rng_.below(sizeof(kWritable) / sizeof(kWritable[0]))];
  }
  int32_t pick_disp(unsigned align = 1) {
    int32_t d = static_cast<int32_t>(rng_.below(0x1f0)) - 0x100;
    return d & ~static_cast<int32_t>(align - 1);
  }
  Rm pick_rm(bool allow_mem, bool legacy8) {
    Rm rm;
    if (allow_mem && !legacy8 && rng_.chance(3)) {
      rm.mem = true;
      rm.disp = pick_disp();
    } else {
      rm.reg = legacy8 ? rng_.below(8) : pick_writable();
    }
    return rm;
  }
  unsigned pick_reg(bool legacy8) { return legacy8 ? rng_.below(8) : pick_writable(); }
  uint64_t pick_imm() { return edge_value(rng_); }

  // ---- the flags model ----
  void need_flags(uint32_t reads) {
    if (reads & undefined_) {
      // Define every flag first (CMP sets all six).
      emit_alu(7, 8, Rm{false, pick_writable(), 0}, pick_writable(), false);
    }
  }
  void flags_effect(uint32_t defines, uint32_t undefines) {
    undefined_ = (undefined_ & ~defines) | undefines;
  }

  // ---- instruction families ----
  void emit_alu(unsigned op, unsigned size, const Rm& rm, unsigned reg, bool reg_is_dst);
  void gen_alu();
  void gen_test();
  void gen_incdec_negnot();
  void gen_shift();
  void gen_double_shift();
  void gen_mul();
  void gen_div();
  void gen_imul_multi();
  void gen_bt();
  void gen_scan();
  void gen_xadd_cmpxchg();
  void gen_cmpxchg8b();
  void gen_mov();
  void gen_movx();
  void gen_lea();
  void gen_xchg();
  void gen_cmov_setcc();
  void gen_bswap_convert();
  void gen_push_pop();
  void gen_flag_ops();
  void gen_movbe_adx();
  void gen_bmi();
  // A VEX (C4) instruction on general registers: map 2 or 3, implied
  // prefix pp, VEX.W, vvvv, then ModRM with reg and rm.
  void emit_vex(unsigned map, unsigned pp, bool w, unsigned vvvv, uint8_t opcode, unsigned regf,
                const Rm& rm, int imm8 = -1);
  void mov_reg_imm32(unsigned reg, int32_t value);

  Rng rng_;
  HostFeatures features_;
  DiffSequence* seq_;
  bool listing_;
  uint32_t undefined_ = 0;
  int stack_bytes_ = 0;  // bytes pushed below the initial RSP
};

void Generator::emit_modrm(const Enc& e, std::initializer_list<uint8_t> opcode, unsigned regf,
                           const Rm& rm, uint64_t imm, unsigned imm_len) {
  auto& c = seq_->code;
  if (e.lockable && rm.mem && rng_.chance(4)) c.push_back(0xF0);
  if (e.size == 2) c.push_back(0x66);
  if (e.mandatory) c.push_back(e.mandatory);
  uint8_t rex = 0;
  if (e.rex_w || e.size == 8) rex |= 8;
  if (regf >= 8) rex |= 4;
  if (rm.mem ? true : rm.reg >= 8) rex |= 1;
  if (rex || (e.byte_regs && !e.legacy8)) c.push_back(0x40 | rex);
  for (uint8_t b : opcode) c.push_back(b);
  if (rm.mem) {
    const bool short_disp = rm.disp >= -128 && rm.disp <= 127 && rng_.chance(2);
    c.push_back(static_cast<uint8_t>((short_disp ? 0x40 : 0x80) | ((regf & 7) << 3) | 7));
    if (short_disp) {
      c.push_back(static_cast<uint8_t>(rm.disp));
    } else {
      for (int i = 0; i < 4; ++i) c.push_back(static_cast<uint8_t>(rm.disp >> (8 * i)));
    }
  } else {
    c.push_back(static_cast<uint8_t>(0xC0 | ((regf & 7) << 3) | (rm.reg & 7)));
  }
  for (unsigned i = 0; i < imm_len; ++i) c.push_back(static_cast<uint8_t>(imm >> (8 * i)));
}

void Generator::emit_plain(const Enc& e, std::initializer_list<uint8_t> opcode,
                           unsigned reg_in_opcode, uint64_t imm, unsigned imm_len) {
  auto& c = seq_->code;
  if (e.size == 2) c.push_back(0x66);
  uint8_t rex = 0;
  if (e.rex_w) rex |= 8;
  if (reg_in_opcode >= 8) rex |= 1;
  if (rex) c.push_back(0x40 | rex);
  std::size_t n = 0;
  for (uint8_t b : opcode) {
    ++n;
    c.push_back(n == opcode.size() ? static_cast<uint8_t>(b + (reg_in_opcode & 7)) : b);
  }
  for (unsigned i = 0; i < imm_len; ++i) c.push_back(static_cast<uint8_t>(imm >> (8 * i)));
}

void Generator::emit_alu(unsigned op, unsigned size, const Rm& rm, unsigned reg, bool reg_is_dst) {
  static const char* kNames[] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
  if (op == 2 || op == 3) need_flags(kFlagCF);
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  e.lockable = !reg_is_dst && op != 7;
  const uint8_t base = static_cast<uint8_t>(op * 8 + (size == 1 ? 0 : 1) + (reg_is_dst ? 2 : 0));
  emit_modrm(e, {base}, reg, rm);
  const std::string r = reg_name(reg, size, false), m = rm_text(rm, size, false);
  note(std::string(kNames[op]) + " " + (reg_is_dst ? r + ", " + m : m + ", " + r));
  const bool logic = op == 1 || op == 4 || op == 6;
  flags_effect(logic ? kAll & ~kFlagAF : kAll, logic ? kFlagAF : 0);
}

void Generator::gen_alu() {
  static const char* kNames[] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
  const unsigned op = rng_.below(8);
  const unsigned size = pick_size();
  const unsigned form = rng_.below(3);
  if (form < 2) {
    const bool legacy8 = size == 1 && rng_.chance(4);
    Rm rm = pick_rm(true, legacy8);
    unsigned reg = pick_reg(legacy8);
    if (legacy8) {
      if (op == 2 || op == 3) need_flags(kFlagCF);
      Enc e;
      e.size = 1;
      e.byte_regs = true;
      e.legacy8 = true;
      emit_modrm(e, {static_cast<uint8_t>(op * 8 + (form ? 2 : 0))}, reg, rm);
      note(std::string(kNames[op]) + " " + reg_name(form ? reg : rm.reg, 1, true) + ", " +
           reg_name(form ? rm.reg : reg, 1, true));
      const bool logic = op == 1 || op == 4 || op == 6;
      flags_effect(logic ? kAll & ~kFlagAF : kAll, logic ? kFlagAF : 0);
      return;
    }
    emit_alu(op, size, rm, reg, form == 1);
    return;
  }
  if (op == 2 || op == 3) need_flags(kFlagCF);
  Rm rm = pick_rm(true, false);
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  e.lockable = op != 7;
  uint64_t imm = pick_imm();
  char buf[64];
  if (size == 1) {
    emit_modrm(e, {0x80}, op, rm, imm, 1);
    imm &= 0xff;
  } else if (rng_.chance(2)) {
    emit_modrm(e, {0x83}, op, rm, imm, 1);
    imm = static_cast<uint64_t>(static_cast<int8_t>(imm));
  } else {
    emit_modrm(e, {0x81}, op, rm, imm, size == 2 ? 2 : 4);
    imm = size == 2 ? imm & 0xffff : static_cast<uint64_t>(static_cast<int32_t>(imm));
  }
  std::snprintf(buf, sizeof(buf), ", 0x%llx", static_cast<unsigned long long>(imm));
  note(std::string(kNames[op]) + " " + rm_text(rm, size, false) + buf);
  const bool logic = op == 1 || op == 4 || op == 6;
  flags_effect(logic ? kAll & ~kFlagAF : kAll, logic ? kFlagAF : 0);
}

void Generator::gen_test() {
  const unsigned size = pick_size();
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  Rm rm = pick_rm(true, false);
  if (rng_.chance(2)) {
    unsigned reg = pick_writable();
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0x84 : 0x85)}, reg, rm);
    note("test " + rm_text(rm, size, false) + ", " + reg_name(reg, size, false));
  } else {
    uint64_t imm = pick_imm();
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, 0, rm, imm,
               size == 1   ? 1
               : size == 2 ? 2
                           : 4);
    note("test " + rm_text(rm, size, false) + ", imm");
  }
  flags_effect(kAll & ~kFlagAF, kFlagAF);
}

void Generator::gen_incdec_negnot() {
  static const char* kNames[] = {"inc", "dec", "not", "neg"};
  const unsigned which = rng_.below(4);
  const unsigned size = pick_size();
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  e.lockable = true;
  Rm rm = pick_rm(true, false);
  if (which < 2) {
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xFE : 0xFF)}, which, rm);
    flags_effect(kAll & ~kFlagCF, 0);
  } else {
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, which, rm);
    if (which == 3) flags_effect(kAll, 0);
  }
  note(std::string(kNames[which]) + " " + rm_text(rm, size, false));
}

void Generator::gen_shift() {
  static const char* kNames[] = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};
  const unsigned op = rng_.below(8);
  const unsigned size = pick_size();
  const unsigned bits = size * 8;
  const bool through_carry = op == 2 || op == 3;
  if (through_carry) need_flags(kFlagCF);
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  Rm rm = pick_rm(true, false);
  const unsigned form = rng_.below(3);  // 0: by 1, 1: CL, 2: imm8
  std::string text = std::string(kNames[op]) + " " + rm_text(rm, size, false);
  const bool rotate = op < 4;
  if (form == 1) {
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xD2 : 0xD3)}, op, rm);
    note(text + ", cl");
    // Unknown count (maybe 0: flags kept): nothing becomes defined.
    uint32_t undef = kFlagOF;
    if (!rotate) undef |= kFlagAF;
    if (!rotate && bits < 32) undef |= kFlagCF;
    flags_effect(0, undef);
    return;
  }
  unsigned count = 1;
  if (form == 0) {
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xD0 : 0xD1)}, op, rm);
    note(text + ", 1");
  } else {
    count = rng_.chance(2) ? rng_.below(bits + 2) : rng_.below(256);
    emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xC0 : 0xC1)}, op, rm, count, 1);
    char buf[16];
    std::snprintf(buf, sizeof(buf), ", %u", count);
    note(text + buf);
  }
  const unsigned n = count & (bits == 64 ? 0x3f : 0x1f);
  if (n == 0) return;
  if (rotate) {
    flags_effect(n == 1 ? kFlagCF | kFlagOF : kFlagCF, n == 1 ? 0 : kFlagOF);
    return;
  }
  uint32_t defined = kFlagCF | kFlagSF | kFlagZF | kFlagPF;
  uint32_t undef = kFlagAF;
  if (n == 1) {
    defined |= kFlagOF;
  } else {
    undef |= kFlagOF;
  }
  if (n >= bits) {
    defined &= ~kFlagCF;
    undef |= kFlagCF;
  }
  flags_effect(defined, undef);
}

void Generator::gen_double_shift() {
  const bool right = rng_.chance(2);
  const unsigned size = pick_size_no8();
  Enc e;
  e.size = size;
  Rm rm = pick_rm(true, false);
  unsigned src = pick_writable();
  std::string text = std::string(right ? "shrd " : "shld ") + rm_text(rm, size, false) + ", " +
                     reg_name(src, size, false);
  if (size > 2 && rng_.chance(2)) {
    emit_modrm(e, {0x0F, static_cast<uint8_t>(right ? 0xAD : 0xA5)}, src, rm);
    note(text + ", cl");
    flags_effect(0, kFlagOF | kFlagAF);
    return;
  }
  // 16-bit counts above 16 are undefined: keep them in range.
  unsigned count = size == 2 ? rng_.below(17) : rng_.below(256);
  emit_modrm(e, {0x0F, static_cast<uint8_t>(right ? 0xAC : 0xA4)}, src, rm, count, 1);
  char buf[16];
  std::snprintf(buf, sizeof(buf), ", %u", count);
  note(text + buf);
  const unsigned n = count & (size == 8 ? 0x3f : 0x1f);
  if (n == 0) return;
  flags_effect(kFlagCF | kFlagSF | kFlagZF | kFlagPF | (n == 1 ? kFlagOF : 0),
               kFlagAF | (n == 1 ? 0 : kFlagOF));
}

void Generator::gen_mul() {
  const bool sign = rng_.chance(2);
  const unsigned size = pick_size();
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  Rm rm = pick_rm(true, false);
  emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, sign ? 5 : 4, rm);
  note(std::string(sign ? "imul " : "mul ") + rm_text(rm, size, false));
  flags_effect(kFlagCF | kFlagOF, kFlagSF | kFlagZF | kFlagAF | kFlagPF);
}

void Generator::mov_reg_imm32(unsigned reg, int32_t value) {
  Enc e;
  e.size = 8;
  emit_modrm(e, {0xC7}, 0, Rm{false, reg, 0}, static_cast<uint32_t>(value), 4);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "mov %s, %d", reg_name(reg, 8, false), value);
  note(buf);
}

// DIV/IDIV set up so that they never fault: a divisor of 2..127 and a
// dividend whose quotient fits.
void Generator::gen_div() {
  const bool sign = rng_.chance(2);
  const unsigned size = pick_size();
  unsigned d;
  do {
    d = pick_writable();
  } while (d == 0 || d == 2);
  Enc e32;
  e32.size = 4;
  emit_modrm(e32, {0x83}, 4, Rm{false, d, 0}, 0x7f, 1);
  emit_modrm(e32, {0x83}, 1, Rm{false, d, 0}, 0x02, 1);
  note(std::string("and ") + reg_name(d, 4, false) + ", 0x7f; or " + reg_name(d, 4, false) + ", 2");
  flags_effect(kAll & ~kFlagAF, kFlagAF);
  auto& c = seq_->code;
  if (!sign) {
    if (size == 1) {
      c.insert(c.end(), {0x0F, 0xB6, 0xC0});  // movzx eax, al
      note("movzx eax, al");
    } else {
      c.insert(c.end(), {0x31, 0xD2});  // xor edx, edx
      note("xor edx, edx");
      flags_effect(kAll & ~kFlagAF, kFlagAF);
    }
  } else {
    switch (size) {
      case 1:
        c.insert(c.end(), {0x66, 0x98});
        note("cbw");
        break;
      case 2:
        c.insert(c.end(), {0x66, 0x99});
        note("cwd");
        break;
      case 4:
        c.push_back(0x99);
        note("cdq");
        break;
      default:
        c.insert(c.end(), {0x48, 0x99});
        note("cqo");
        break;
    }
  }
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xF6 : 0xF7)}, sign ? 7 : 6, Rm{false, d, 0});
  note(std::string(sign ? "idiv " : "div ") + reg_name(d, size, false));
  flags_effect(0, kAll);
}

void Generator::gen_imul_multi() {
  const unsigned size = pick_size_no8();
  Enc e;
  e.size = size;
  Rm rm = pick_rm(true, false);
  unsigned dst = pick_writable();
  std::string text =
      std::string("imul ") + reg_name(dst, size, false) + ", " + rm_text(rm, size, false);
  switch (rng_.below(3)) {
    case 0:
      emit_modrm(e, {0x0F, 0xAF}, dst, rm);
      note(text);
      break;
    case 1:
      emit_modrm(e, {0x6B}, dst, rm, pick_imm(), 1);
      note(text + ", imm8");
      break;
    default:
      emit_modrm(e, {0x69}, dst, rm, pick_imm(), size == 2 ? 2 : 4);
      note(text + ", imm");
      break;
  }
  flags_effect(kFlagCF | kFlagOF, kFlagSF | kFlagZF | kFlagAF | kFlagPF);
}

void Generator::gen_bt() {
  static const char* kNames[] = {"bt", "bts", "btr", "btc"};
  const unsigned op = rng_.below(4);
  const unsigned size = pick_size_no8();
  Enc e;
  e.size = size;
  e.lockable = op != 0;
  Rm rm = pick_rm(true, false);
  if (rng_.chance(2)) {
    unsigned offset_reg = pick_writable();
    if (rm.mem) {
      // Keep the selected bit within +-32 bytes of the operand.
      mov_reg_imm32(offset_reg, static_cast<int32_t>(rng_.below(512)) - 256);
    }
    emit_modrm(e, {0x0F, static_cast<uint8_t>(0xA3 + 8 * op)}, offset_reg, rm);
    note(std::string(kNames[op]) + " " + rm_text(rm, size, false) + ", " +
         reg_name(offset_reg, size, false));
  } else {
    unsigned imm = rng_.below(256);
    emit_modrm(e, {0x0F, 0xBA}, 4 + op, rm, imm, 1);
    char buf[16];
    std::snprintf(buf, sizeof(buf), ", %u", imm);
    note(std::string(kNames[op]) + " " + rm_text(rm, size, false) + buf);
  }
  flags_effect(kFlagCF, kFlagOF | kFlagSF | kFlagAF | kFlagPF);
}

void Generator::gen_scan() {
  const unsigned size = pick_size_no8();
  Enc e;
  e.size = size;
  Rm rm = pick_rm(true, false);
  unsigned dst = pick_writable();
  unsigned which = rng_.below(5);
  if ((which == 2 && !features_.bmi1) || (which == 3 && !features_.lzcnt) ||
      (which == 4 && !features_.popcnt)) {
    which = rng_.below(2);
  }
  static const char* kNames[] = {"bsf", "bsr", "tzcnt", "lzcnt", "popcnt"};
  static const uint8_t kOps[] = {0xBC, 0xBD, 0xBC, 0xBD, 0xB8};
  if (which >= 2) e.mandatory = 0xF3;
  emit_modrm(e, {0x0F, kOps[which]}, dst, rm);
  note(std::string(kNames[which]) + " " + reg_name(dst, size, false) + ", " +
       rm_text(rm, size, false));
  switch (which) {
    case 0:
    case 1:
      flags_effect(kFlagZF, kAll & ~kFlagZF);
      break;
    case 2:
    case 3:
      flags_effect(kFlagZF | kFlagCF, kAll & ~(kFlagZF | kFlagCF));
      break;
    default:
      flags_effect(kAll, 0);
      break;
  }
}

// MOVBE (a load or store with the bytes swapped; memory operands only) and
// ADCX/ADOX (add with CF or OF as the carry, changing only that flag), where
// the host has them.
void Generator::gen_movbe_adx() {
  if (features_.movbe && (!features_.adx || rng_.chance(2))) {
    const unsigned size = 2u << rng_.below(3);
    Enc e;
    e.size = size;
    Rm rm;
    rm.mem = true;
    rm.disp = pick_disp();
    const unsigned reg = pick_writable();
    const bool store = rng_.chance(2);
    emit_modrm(e, {0x0F, 0x38, static_cast<uint8_t>(store ? 0xF1 : 0xF0)}, reg, rm);
    note(store ? "movbe " + rm_text(rm, size, false) + ", " + reg_name(reg, size, false)
               : "movbe " + std::string(reg_name(reg, size, false)) + ", " +
                     rm_text(rm, size, false));
    return;
  }
  if (!features_.adx) return;
  const bool overflow = rng_.chance(2);
  const uint32_t flag = overflow ? kFlagOF : kFlagCF;
  need_flags(flag);
  Enc e;
  e.size = rng_.chance(2) ? 8 : 4;
  e.mandatory = overflow ? 0xF3 : 0x66;
  const Rm rm = pick_rm(true, false);
  const unsigned dst = pick_writable();
  emit_modrm(e, {0x0F, 0x38, 0xF6}, dst, rm);
  note(std::string(overflow ? "adox " : "adcx ") + reg_name(dst, e.size, false) + ", " +
       rm_text(rm, e.size, false));
  flags_effect(flag, 0);
}

void Generator::emit_vex(unsigned map, unsigned pp, bool w, unsigned vvvv, uint8_t opcode,
                         unsigned regf, const Rm& rm, int imm8) {
  auto& c = seq_->code;
  const bool b = rm.mem ? true : rm.reg >= 8;  // memory operands are [r15 + disp]
  c.push_back(0xC4);
  c.push_back(static_cast<uint8_t>((regf >= 8 ? 0 : 0x80) | 0x40 | (b ? 0 : 0x20) | map));
  c.push_back(static_cast<uint8_t>((w ? 0x80 : 0) | ((~vvvv & 0xF) << 3) | pp));
  c.push_back(opcode);
  if (rm.mem) {
    c.push_back(static_cast<uint8_t>(0x80 | ((regf & 7) << 3) | 7));
    for (int i = 0; i < 4; ++i) c.push_back(static_cast<uint8_t>(rm.disp >> (8 * i)));
  } else {
    c.push_back(static_cast<uint8_t>(0xC0 | ((regf & 7) << 3) | (rm.reg & 7)));
  }
  if (imm8 >= 0) c.push_back(static_cast<uint8_t>(imm8));
}

// BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR) and BMI2 (BZHI, MULX, PDEP, PEXT,
// RORX, SARX, SHLX, SHRX), 32- or 64-bit, where the host has them.
void Generator::gen_bmi() {
  // opcode_reg >= 0: ModRM.reg is part of the opcode (BLS*: vvvv is the
  // destination). imm: RORX's imm8.
  struct BmiForm {
    const char* name;
    bool bmi2;
    unsigned map, pp;
    uint8_t opcode;
    int opcode_reg;
    uint32_t defines, undefines;
    bool imm;
  };
  constexpr uint32_t kResult = kFlagSF | kFlagZF | kFlagOF | kFlagCF;
  constexpr uint32_t kAfPf = kFlagAF | kFlagPF;
  static const BmiForm kForms[] = {
      {"andn", false, 2, 0, 0xF2, -1, kResult, kAfPf, false},
      {"bextr", false, 2, 0, 0xF7, -1, kFlagZF | kFlagCF | kFlagOF, kAfPf | kFlagSF, false},
      {"blsr", false, 2, 0, 0xF3, 1, kResult, kAfPf, false},
      {"blsmsk", false, 2, 0, 0xF3, 2, kResult, kAfPf, false},
      {"blsi", false, 2, 0, 0xF3, 3, kResult, kAfPf, false},
      {"bzhi", true, 2, 0, 0xF5, -1, kResult, kAfPf, false},
      {"mulx", true, 2, 3, 0xF6, -1, 0, 0, false},
      {"pdep", true, 2, 3, 0xF5, -1, 0, 0, false},
      {"pext", true, 2, 2, 0xF5, -1, 0, 0, false},
      {"rorx", true, 3, 3, 0xF0, -1, 0, 0, true},
      {"shlx", true, 2, 1, 0xF7, -1, 0, 0, false},
      {"sarx", true, 2, 2, 0xF7, -1, 0, 0, false},
      {"shrx", true, 2, 3, 0xF7, -1, 0, 0, false},
  };
  const BmiForm& f = kForms[rng_.below(sizeof(kForms) / sizeof(kForms[0]))];
  if (f.bmi2 ? !features_.bmi2 : !features_.bmi1) return;
  const bool w = rng_.chance(2);
  const unsigned size = w ? 8 : 4;
  const Rm rm = pick_rm(true, false);
  const unsigned reg = pick_writable(), vvvv = f.imm ? 0 : pick_writable();
  emit_vex(f.map, f.pp, w, vvvv, f.opcode,
           f.opcode_reg >= 0 ? static_cast<unsigned>(f.opcode_reg) : reg, rm,
           f.imm ? static_cast<int>(rng_.below(256)) : -1);
  if (f.defines || f.undefines) flags_effect(f.defines, f.undefines);
  note(std::string(f.name) + " " + reg_name(reg, size, false) + ", " + rm_text(rm, size, false) +
       ", " + reg_name(vvvv, size, false));
}

void Generator::gen_xadd_cmpxchg() {
  const bool xadd = rng_.chance(2);
  const unsigned size = pick_size();
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  e.lockable = true;
  Rm rm = pick_rm(true, false);
  unsigned src = pick_writable();
  if (!xadd && !rm.mem && rng_.chance(3)) {
    // Make success likely: copy the destination into the accumulator.
    Enc m;
    m.size = 8;
    emit_modrm(m, {0x8B}, 0, rm);
    note(std::string("mov rax, ") + reg_name(rm.reg, 8, false));
  }
  const uint8_t op = static_cast<uint8_t>((xadd ? 0xC0 : 0xB0) + (size == 1 ? 0 : 1));
  emit_modrm(e, {0x0F, op}, src, rm);
  note(std::string(xadd ? "xadd " : "cmpxchg ") + rm_text(rm, size, false) + ", " +
       reg_name(src, size, false));
  flags_effect(kAll, 0);
}

void Generator::gen_cmpxchg8b() {
  const bool wide = rng_.chance(2);
  Rm rm;
  rm.mem = true;
  rm.disp = pick_disp(wide ? 16 : 1);
  if (rng_.chance(2)) {
    // Load the expected value so the exchange succeeds.
    Enc m;
    m.size = 8;
    emit_modrm(m, {0x8B}, 0, rm);
    emit_modrm(m, {0x8B}, 2, Rm{true, 0, rm.disp + (wide ? 8 : 4)});
    note("mov rax, [mem]; mov rdx, [mem+n]");
    if (!wide) {
      // EDX must hold the high dword only: shift it into place cheaply.
      seq_->code.insert(seq_->code.end(), {0x89, 0xD2});  // mov edx, edx
      note("mov edx, edx");
    }
  }
  Enc e;
  e.size = 4;
  e.rex_w = wide;
  e.lockable = true;
  emit_modrm(e, {0x0F, 0xC7}, 1, rm);
  note(std::string(wide ? "cmpxchg16b " : "cmpxchg8b ") + rm_text(rm, wide ? 8 : 8, false));
  flags_effect(kFlagZF, 0);
}

void Generator::gen_mov() {
  const unsigned size = pick_size();
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  Rm rm = pick_rm(true, false);
  unsigned reg = pick_writable();
  switch (rng_.below(4)) {
    case 0:
      emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0x88 : 0x89)}, reg, rm);
      note("mov " + rm_text(rm, size, false) + ", " + reg_name(reg, size, false));
      break;
    case 1:
      emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0x8A : 0x8B)}, reg, rm);
      note(std::string("mov ") + reg_name(reg, size, false) + ", " + rm_text(rm, size, false));
      break;
    case 2:
      emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0xC6 : 0xC7)}, 0, rm, pick_imm(),
                 size == 1   ? 1
                 : size == 2 ? 2
                             : 4);
      note("mov " + rm_text(rm, size, false) + ", imm");
      break;
    default: {
      Enc p;
      p.size = size;
      p.rex_w = size == 8;
      if (size == 1) {
        // B0+r with a REX so that 4..7 are SPL..DIL (never AH..BH here).
        seq_->code.push_back(static_cast<uint8_t>(0x40 | (reg >= 8 ? 1 : 0)));
        seq_->code.push_back(static_cast<uint8_t>(0xB0 + (reg & 7)));
        seq_->code.push_back(static_cast<uint8_t>(pick_imm()));
      } else {
        emit_plain(p, {0xB8}, reg, pick_imm(), size);
      }
      note(std::string("mov ") + reg_name(reg, size, false) + ", imm");
      break;
    }
  }
}

void Generator::gen_movx() {
  const unsigned kind = rng_.below(5);  // 0/1 movzx b/w, 2/3 movsx b/w, 4 movsxd
  if (kind == 4) {
    Enc e;
    e.size = 8;
    Rm rm = pick_rm(true, false);
    unsigned dst = pick_writable();
    emit_modrm(e, {0x63}, dst, rm);
    note(std::string("movsxd ") + reg_name(dst, 8, false) + ", " + rm_text(rm, 4, false));
    return;
  }
  const unsigned src_size = (kind & 1) ? 2 : 1;
  const unsigned size = src_size == 1 ? pick_size_no8() : (rng_.chance(2) ? 4 : 8);
  Enc e;
  e.size = size;
  e.byte_regs = src_size == 1;
  e.legacy8 = src_size == 1 && rng_.chance(4);
  Rm rm = e.legacy8 ? Rm{false, rng_.below(8), 0} : pick_rm(true, false);
  unsigned dst = pick_writable();
  if (e.legacy8) {
    while (dst >= 8) dst = pick_writable();
  }
  const uint8_t op = static_cast<uint8_t>((kind < 2 ? 0xB6 : 0xBE) + (src_size == 2 ? 1 : 0));
  emit_modrm(e, {0x0F, op}, dst, rm);
  note(std::string(kind < 2 ? "movzx " : "movsx ") + reg_name(dst, size, false) + ", " +
       rm_text(rm, src_size, e.legacy8));
}

void Generator::gen_lea() {
  const unsigned size = pick_size_no8();
  unsigned dst = pick_writable();
  unsigned base = rng_.below(16);
  unsigned index;
  do {
    index = rng_.below(16);
  } while (index == kRsp);
  const unsigned scale = rng_.below(4);
  const int32_t disp = static_cast<int32_t>(edge_value(rng_));
  auto& c = seq_->code;
  if (size == 2) c.push_back(0x66);
  c.push_back(static_cast<uint8_t>(0x40 | (size == 8 ? 8 : 0) | (dst >= 8 ? 4 : 0) |
                                   (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0)));
  c.push_back(0x8D);
  c.push_back(static_cast<uint8_t>(0x84 | ((dst & 7) << 3)));  // mod=10, rm=SIB
  c.push_back(static_cast<uint8_t>((scale << 6) | ((index & 7) << 3) | (base & 7)));
  for (int i = 0; i < 4; ++i) c.push_back(static_cast<uint8_t>(disp >> (8 * i)));
  char buf[96];
  std::snprintf(buf, sizeof(buf), "lea %s, [%s + %s*%u %+d]", reg_name(dst, size, false),
                reg_name(base, 8, false), reg_name(index, 8, false), 1u << scale, disp);
  note(buf);
}

void Generator::gen_xchg() {
  const unsigned size = pick_size();
  if (size > 1 && rng_.chance(3)) {
    unsigned reg;
    do {
      reg = pick_writable();
    } while (reg == 0);
    Enc p;
    p.size = size;
    p.rex_w = size == 8;
    emit_plain(p, {0x90}, reg);
    note(std::string("xchg ") + reg_name(reg, size, false) + ", " + reg_name(0, size, false));
    return;
  }
  Enc e;
  e.size = size;
  e.byte_regs = size == 1;
  Rm rm = pick_rm(true, false);
  unsigned reg = pick_writable();
  emit_modrm(e, {static_cast<uint8_t>(size == 1 ? 0x86 : 0x87)}, reg, rm);
  note("xchg " + rm_text(rm, size, false) + ", " + reg_name(reg, size, false));
}

void Generator::gen_cmov_setcc() {
  static const uint32_t kReads[] = {
      kFlagOF, kFlagCF, kFlagZF,           kFlagCF | kFlagZF,
      kFlagSF, kFlagPF, kFlagSF | kFlagOF, kFlagSF | kFlagOF | kFlagZF};
  const unsigned cc = rng_.below(16);
  need_flags(kReads[cc >> 1]);
  char buf[64];
  if (rng_.chance(2)) {
    const unsigned size = pick_size_no8();
    Enc e;
    e.size = size;
    Rm rm = pick_rm(true, false);
    unsigned dst = pick_writable();
    emit_modrm(e, {0x0F, static_cast<uint8_t>(0x40 + cc)}, dst, rm);
    std::snprintf(buf, sizeof(buf), "cmov%u %s, ", cc, reg_name(dst, size, false));
    note(buf + rm_text(rm, size, false));
  } else {
    Enc e;
    e.size = 1;
    e.byte_regs = true;
    e.legacy8 = rng_.chance(4);
    Rm rm = pick_rm(true, e.legacy8);
    emit_modrm(e, {0x0F, static_cast<uint8_t>(0x90 + cc)}, 0, rm);
    std::snprintf(buf, sizeof(buf), "set%u ", cc);
    note(buf + rm_text(rm, 1, e.legacy8));
  }
}

void Generator::gen_bswap_convert() {
  auto& c = seq_->code;
  const unsigned which = rng_.below(3);
  if (which == 0) {
    const unsigned size = rng_.chance(2) ? 4 : 8;
    unsigned reg = pick_writable();
    Enc p;
    p.size = size;
    p.rex_w = size == 8;
    emit_plain(p, {0x0F, 0xC8}, reg);
    note(std::string("bswap ") + reg_name(reg, size, false));
    return;
  }
  const unsigned size = pick_size_no8();
  if (size == 2) c.push_back(0x66);
  if (size == 8) c.push_back(0x48);
  c.push_back(which == 1 ? 0x98 : 0x99);
  note(which == 1 ? "cbw/cwde/cdqe" : "cwd/cdq/cqo");
}

void Generator::gen_push_pop() {
  const bool can_pop = stack_bytes_ >= 8;
  const bool push = !can_pop || (stack_bytes_ < 160 && rng_.chance(2));
  auto& c = seq_->code;
  if (push) {
    switch (rng_.below(4)) {
      case 0: {
        Enc m;
        m.size = 4;
        emit_modrm(m, {0xFF}, 6, Rm{true, 0, pick_disp()});
        note("push qword [r15+d]");
        break;
      }
      case 1:
        c.push_back(0x6A);
        c.push_back(static_cast<uint8_t>(pick_imm()));
        note("push imm8");
        break;
      default: {
        unsigned reg = rng_.below(16);
        Enc p;
        p.size = 4;
        emit_plain(p, {0x50}, reg);
        note(std::string("push ") + reg_name(reg, 8, false));
        break;
      }
    }
    stack_bytes_ += 8;
    return;
  }
  if (rng_.chance(4)) {
    Enc m;
    m.size = 4;
    emit_modrm(m, {0x8F}, 0, Rm{true, 0, pick_disp()});
    note("pop qword [r15+d]");
  } else {
    unsigned reg = pick_writable();
    Enc p;
    p.size = 4;
    emit_plain(p, {0x58}, reg);
    note(std::string("pop ") + reg_name(reg, 8, false));
  }
  stack_bytes_ -= 8;
}

void Generator::gen_flag_ops() {
  switch (rng_.below(3)) {
    case 0:
      seq_->code.push_back(0xF8);
      note("clc");
      flags_effect(kFlagCF, 0);
      break;
    case 1:
      seq_->code.push_back(0xF9);
      note("stc");
      flags_effect(kFlagCF, 0);
      break;
    default:
      need_flags(kFlagCF);
      seq_->code.push_back(0xF5);
      note("cmc");
      flags_effect(kFlagCF, 0);
      break;
  }
}

void Generator::run() {
  DiffSequence& s = *seq_;
  for (unsigned r = 0; r < 16; ++r) s.regs[r] = edge_value(rng_);
  s.regs[kRsp] = kDiffStackTop;
  s.regs[kR15] = kDiffDataBase;
  s.flags = static_cast<uint32_t>(rng_.next()) & kAll;
  for (auto& b : s.data) b = static_cast<uint8_t>(rng_.next());
  for (unsigned i = 0; i + 8 <= kDiffDataSize; i += 8) {
    if (rng_.chance(4)) {
      uint64_t v = edge_value(rng_);
      std::memcpy(s.data + i, &v, 8);
    }
  }
  for (auto& b : s.stack) b = static_cast<uint8_t>(rng_.next());
  undefined_ = 0;
  stack_bytes_ = 0;
  const unsigned count = 4 + rng_.below(24);
  for (unsigned i = 0; i < count && s.code.size() < kDiffMaxCode - 64; ++i) {
    switch (rng_.below(21)) {
      case 0:
      case 1:
      case 2:
        gen_alu();
        break;
      case 3:
        gen_test();
        break;
      case 4:
        gen_incdec_negnot();
        break;
      case 5:
      case 6:
        gen_shift();
        break;
      case 7:
        gen_double_shift();
        break;
      case 8:
        gen_mul();
        break;
      case 9:
        gen_div();
        break;
      case 10:
        gen_imul_multi();
        break;
      case 11:
        gen_bt();
        break;
      case 12:
        gen_scan();
        break;
      case 13:
        gen_xadd_cmpxchg();
        break;
      case 14:
        if (rng_.chance(3))
          gen_cmpxchg8b();
        else
          gen_mov();
        break;
      case 15:
        gen_movx();
        if (rng_.chance(2)) gen_lea();
        break;
      case 16:
        gen_xchg();
        break;
      case 17:
        gen_cmov_setcc();
        break;
      case 18:
        gen_bswap_convert();
        gen_flag_ops();
        break;
      case 19:
        gen_movbe_adx();
        if (rng_.chance(2)) gen_bmi();
        break;
      default:
        gen_push_pop();
        break;
    }
  }
  s.undefined_flags = undefined_;
}

}  // namespace

HostFeatures detect_host_features() {
  HostFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    f.popcnt = (c >> 23) & 1;
    f.movbe = (c >> 22) & 1;
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.bmi1 = (b >> 3) & 1;
    f.bmi2 = (b >> 8) & 1;
    f.adx = (b >> 19) & 1;
  }
  if (__get_cpuid(0x80000001, &a, &b, &c, &d)) f.lzcnt = (c >> 5) & 1;
  return f;
}

void generate_sequence(uint64_t seed, uint64_t index, const HostFeatures& features,
                       bool with_listing, DiffSequence* out) {
  out->code.clear();
  out->listing.clear();
  Rng mix(seed);
  Rng mix2(mix.next() ^ index);
  Generator g(mix2.next(), features, out, with_listing);
  g.run();
}

}  // namespace vx86::x86::testing
