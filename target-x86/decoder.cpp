// Decoding logic; the opcode knowledge lives in the decode_table*.cpp files.
#include "target-x86/decoder.h"

#include "target-x86/cpu_state.h"

namespace vx86::x86 {
namespace {

// Byte source with the 15-byte limit and the three ways of running out.
class Reader {
 public:
  Reader(uint64_t address, FetchFn fetch, void* opaque)
      : address_(address), fetch_(fetch), opaque_(opaque) {}
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes), span_mode_(true) {}

  // Consumes one byte; on failure status() says why.
  bool next(uint8_t* byte) {
    if (!peek(byte)) return false;
    ++pos_;
    return true;
  }
  bool peek(uint8_t* byte) {
    if (pos_ >= kMaxInsnLength) return fail(DecodeStatus::kTooLong);
    if (span_mode_) {
      if (pos_ >= bytes_.size()) return fail(DecodeStatus::kNeedMoreBytes);
      *byte = bytes_[pos_];
      return true;
    }
    if (!fetch_(opaque_, address_ + pos_, byte)) return fail(DecodeStatus::kFetchFault);
    return true;
  }
  // Reads `count` bytes little-endian.
  bool read_le(int count, uint64_t* value) {
    *value = 0;
    for (int i = 0; i < count; ++i) {
      uint8_t b;
      if (!next(&b)) return false;
      *value |= static_cast<uint64_t>(b) << (8 * i);
    }
    return true;
  }
  unsigned pos() const { return pos_; }
  DecodeStatus status() const { return status_; }

 private:
  bool fail(DecodeStatus status) {
    status_ = status;
    return false;
  }
  uint64_t address_ = 0;
  FetchFn fetch_ = nullptr;
  void* opaque_ = nullptr;
  std::span<const uint8_t> bytes_;
  bool span_mode_ = false;
  unsigned pos_ = 0;
  DecodeStatus status_ = DecodeStatus::kOk;
};

uint64_t sign_extend(uint64_t value, int bytes) {
  if (bytes >= 8) return value;
  const int shift = 64 - 8 * bytes;
  return static_cast<uint64_t>(static_cast<int64_t>(value << shift) >> shift);
}

bool uses_modrm(const OperandSpec& op) {
  switch (op.method) {
    case OpMethod::kC:
    case OpMethod::kD:
    case OpMethod::kE:
    case OpMethod::kG:
    case OpMethod::kM:
    case OpMethod::kN:
    case OpMethod::kP:
    case OpMethod::kQ:
    case OpMethod::kR:
    case OpMethod::kS:
    case OpMethod::kU:
    case OpMethod::kV:
    case OpMethod::kW:
    case OpMethod::kSti:
      return true;
    default:
      return false;
  }
}

bool row_needs_modrm(const OpcodeEntry& e) {
  if (e.group != GroupId::kNone || e.has(attr::kModRM)) return true;
  for (int i = 0; i < e.num_operands; ++i) {
    if (uses_modrm(e.operands[i])) return true;
  }
  return false;
}

struct PrefixState {
  bool opsize = false;
  uint8_t rep = 0;  // last F2/F3
};

// Picks the prefix column (SDM: a mandatory F2/F3 beats 66; an opcode with no
// row for the prefixes present falls back to its prefix-less row, the prefix
// then keeping its legacy meaning). Returns null when no column matches.
const OpcodeEntry* select_column(const OpcodeEntry* columns, const PrefixState& p, bool mode64,
                                 uint8_t* mandatory) {
  *mandatory = 0;
  if (mode64 && columns[kMode64].valid()) return &columns[kMode64];
  if (p.rep && columns[p.rep == 0xF3 ? kF3 : kF2].valid()) {
    *mandatory = p.rep;
    return &columns[p.rep == 0xF3 ? kF3 : kF2];
  }
  if (p.opsize && columns[k66].valid()) {
    *mandatory = 0x66;
    return &columns[k66];
  }
  if (columns[kAny].valid()) return &columns[kAny];
  if (columns[kNP].valid()) return &columns[kNP];
  return nullptr;
}

// Any defined column, to learn an invalid combination's shape (ModRM, immediates).
const OpcodeEntry* any_column(const OpcodeEntry* columns) {
  for (int c : {kAny, kNP, k66, kF3, kF2, kMode64}) {
    if (columns[c].valid()) return &columns[c];
  }
  return nullptr;
}

class Decoder {
 public:
  Decoder(const DecodeMode& mode, Reader& reader, DecodedInsn* out)
      : mode64_(mode.code_bits == 64), mode_(mode), r_(reader), d_(*out) {}

  DecodeStatus run();

 private:
  DecodeStatus read_error() {
    d_.status = r_.status();
    if (d_.status == DecodeStatus::kFetchFault) d_.fault_offset = r_.pos();
    d_.length_known = false;
    return d_.status;
  }
  DecodeStatus finish(DecodeStatus status) {
    d_.status = status;
    d_.length = static_cast<uint8_t>(r_.pos());
    d_.length_known = true;
    return status;
  }
  bool read_modrm();
  bool read_memory();
  bool read_immediates();
  void compute_sizes();
  DecodeStatus decode_extended(uint8_t escape);
  void vex_fields(uint8_t byte);
  Mnemonic bmi_mnemonic(unsigned map) const;
  DecodeStatus decode_vex_vector(unsigned map);
  DecodeStatus decode_3dnow();
  void fill_operands();
  bool validate();

  bool mode64_;
  DecodeMode mode_;
  Reader& r_;
  DecodedInsn& d_;
  PrefixState prefix_;
  bool modrm_is_register_ = false;
};

bool Decoder::read_modrm() {
  if (!r_.next(&d_.modrm)) return false;
  d_.has_modrm = true;
  d_.mod = d_.modrm >> 6;
  d_.reg = static_cast<uint8_t>(((d_.modrm >> 3) & 7) | ((d_.rex & kRexR) ? 8 : 0));
  d_.rm = static_cast<uint8_t>((d_.modrm & 7) | ((d_.rex & kRexB) ? 8 : 0));
  return true;
}

// ModRM memory forms, SIB and displacement (SDM Vol. 2, Tables 2-1..2-3).
bool Decoder::read_memory() {
  MemOperand& m = d_.mem;
  d_.has_mem = true;
  m.address_bits = d_.address_bits;
  const unsigned rm = d_.modrm & 7;
  int disp_bytes = d_.mod == 1 ? 1 : 0;
  bool stack_default = false;
  if (d_.address_bits == 16) {
    static constexpr int8_t kBase[8] = {kRBX, kRBX, kRBP, kRBP, kRSI, kRDI, kRBP, kRBX};
    static constexpr int8_t kIndex[8] = {kRSI, kRDI, kRSI, kRDI, kNoReg, kNoReg, kNoReg, kNoReg};
    if (d_.mod == 2) disp_bytes = 2;
    if (d_.mod == 0 && rm == 6) {
      disp_bytes = 2;  // [disp16]
    } else {
      m.base = kBase[rm];
      m.index = kIndex[rm];
      stack_default = m.base == kRBP;
    }
  } else {
    if (d_.mod == 2) disp_bytes = 4;
    if (rm == 4) {
      if (!r_.next(&d_.sib)) return false;
      d_.has_sib = true;
      const unsigned base = d_.sib & 7;
      const unsigned index = ((d_.sib >> 3) & 7) | ((d_.rex & kRexX) ? 8 : 0);
      m.scale = static_cast<uint8_t>(1u << (d_.sib >> 6));
      if (index != 4) m.index = static_cast<int8_t>(index);
      if (base == 5 && d_.mod == 0) {
        disp_bytes = 4;  // no base, disp32
      } else {
        m.base = static_cast<int8_t>(base | ((d_.rex & kRexB) ? 8 : 0));
      }
    } else if (rm == 5 && d_.mod == 0) {
      disp_bytes = 4;
      if (mode64_) m.base = kRegRip;  // RIP-relative (EIP-relative with 67)
    } else {
      m.base = static_cast<int8_t>(d_.rm);
    }
    stack_default = m.base == kRSP || m.base == kRBP;
  }
  uint64_t disp = 0;
  if (disp_bytes && !r_.read_le(disp_bytes, &disp)) return false;
  m.disp = static_cast<int64_t>(sign_extend(disp, disp_bytes));
  const uint8_t default_seg = stack_default ? kSegSS : kSegDS;
  m.segment = default_seg;
  if (d_.prefixes & kPrefixSegment) {
    const bool has_base_in_64 = d_.segment_prefix == kSegFS || d_.segment_prefix == kSegGS;
    if (!mode64_ || has_base_in_64) m.segment = d_.segment_prefix;
  }
  return true;
}

void Decoder::compute_sizes() {
  const OpcodeEntry& e = d_.row;
  const bool opsize = prefix_.opsize && d_.mandatory_prefix != 0x66;
  if (mode64_) {
    if ((d_.rex & kRexW) || e.has(attr::kF64)) {
      d_.operand_bits = 64;
    } else if (e.has(attr::kD64)) {
      d_.operand_bits = opsize ? 16 : 64;
    } else {
      d_.operand_bits = opsize ? 16 : 32;
    }
    d_.address_bits = (d_.prefixes & kPrefixAddrSize) ? 32 : 64;
  } else {
    const uint8_t base = mode_.code_bits == 16 ? 16 : 32;
    d_.operand_bits = opsize ? (base == 16 ? 32 : 16) : base;
    d_.address_bits = (d_.prefixes & kPrefixAddrSize) ? (base == 16 ? 32 : 16) : base;
  }
}

bool Decoder::read_immediates() {
  const OpcodeEntry& e = d_.row;
  int count = 0;
  for (int i = 0; i < e.num_operands; ++i) {
    const OperandSpec& op = e.operands[i];
    int bytes = 0;
    int extra = 0;  // far pointer selector
    switch (op.method) {
      case OpMethod::kI:
      case OpMethod::kJ:
        switch (op.size) {
          case OpSize::kB:
            bytes = 1;
            break;
          case OpSize::kW:
            bytes = 2;
            break;
          case OpSize::kD:
            bytes = 4;
            break;
          case OpSize::kZ:
            bytes = d_.operand_bits == 16 ? 2 : 4;
            break;
          case OpSize::kV:
            bytes = d_.operand_bits / 8;
            break;
          default:
            bytes = 4;
            break;
        }
        break;
      case OpMethod::kO:
        bytes = d_.address_bits / 8;
        break;
      case OpMethod::kA:
        bytes = d_.operand_bits == 16 ? 2 : 4;
        extra = 2;
        break;
      default:
        continue;
    }
    uint64_t value = 0;
    if (!r_.read_le(bytes, &value)) return false;
    d_.num_imm_bytes = static_cast<uint8_t>(d_.num_imm_bytes + bytes + extra);
    if (op.method == OpMethod::kO) {
      d_.has_mem = true;
      d_.mem = MemOperand{};
      d_.mem.address_bits = d_.address_bits;
      d_.mem.disp = static_cast<int64_t>(value);
      d_.mem.segment = kSegDS;
      if ((d_.prefixes & kPrefixSegment) &&
          (!mode64_ || d_.segment_prefix == kSegFS || d_.segment_prefix == kSegGS)) {
        d_.mem.segment = d_.segment_prefix;
      }
      continue;
    }
    if (op.method == OpMethod::kA) {
      uint64_t selector = 0;
      if (!r_.read_le(2, &selector)) return false;
      d_.imm = value;
      d_.imm2 = selector;
      count = 2;
      continue;
    }
    (count == 0 ? d_.imm : d_.imm2) = sign_extend(value, bytes);
    ++count;
  }
  return true;
}

// Sizes that follow VEX.L: "x" (and the packed ps/pd) 16 or 32 bytes, and
// the fractions of it that widening conversions read.
uint16_t vex_operand_size(OpSize size, uint16_t legacy, bool vex_l) {
  switch (size) {
    case OpSize::kX:
    case OpSize::kPs:
    case OpSize::kPd:
      return vex_l ? 32 : 16;
    case OpSize::kQq:
      return 32;
    case OpSize::kHx:
      return vex_l ? 16 : 8;
    case OpSize::kQx:
      return vex_l ? 8 : 4;
    case OpSize::kOx:
      return vex_l ? 4 : 2;
    default:
      return legacy;
  }
}

uint8_t sti_index(const DecodedInsn& d) {
  return d.modrm & 7;
}

void Decoder::fill_operands() {
  const OpcodeEntry& e = d_.row;
  d_.num_operands = e.num_operands;
  for (int i = 0; i < e.num_operands; ++i) {
    const OperandSpec& spec = e.operands[i];
    DecodedOperand& op = d_.operands[i];
    op = DecodedOperand{};
    op.spec = spec;
    op.size = operand_size_bytes(spec.size, d_.operand_bits, mode64_);
    auto gpr = [&](unsigned reg) {
      op.kind = OperandKind::kReg;
      op.reg = static_cast<uint8_t>(reg);
      if (op.size == 1 && !(d_.prefixes & kPrefixRex) && reg >= 4 && reg < 8) {
        op.reg_class = RegClass::kGpr8High;
        op.reg = static_cast<uint8_t>(reg - 4);
      }
    };
    auto reg_or_mem = [&](RegClass cls, unsigned reg) {
      if (modrm_is_register_) {
        op.kind = OperandKind::kReg;
        op.reg_class = cls;
        op.reg = static_cast<uint8_t>(reg);
      } else {
        op.kind = OperandKind::kMem;
      }
    };
    switch (spec.method) {
      case OpMethod::kNone:
        break;
      case OpMethod::kE:
      case OpMethod::kM:
      case OpMethod::kR:
        if (modrm_is_register_) {
          gpr(d_.rm);
        } else {
          op.kind = OperandKind::kMem;
        }
        break;
      case OpMethod::kG:
        gpr(d_.reg);
        break;
      case OpMethod::kZ:
        gpr((d_.opcode & 7) | ((d_.rex & kRexB) ? 8 : 0));
        break;
      case OpMethod::kFixedGpr:
        op.kind = OperandKind::kReg;
        op.reg = spec.reg;
        break;
      case OpMethod::kFixedSeg:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kSeg;
        op.reg = spec.reg;
        break;
      case OpMethod::kS:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kSeg;
        op.reg = d_.reg & 7;
        break;
      case OpMethod::kC:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kCr;
        op.reg = d_.reg;
        break;
      case OpMethod::kD:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kDr;
        op.reg = d_.reg;
        break;
      case OpMethod::kV:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kXmm;
        op.reg = d_.reg;
        break;
      case OpMethod::kU:
      case OpMethod::kW:
        reg_or_mem(RegClass::kXmm, d_.rm);
        break;
      case OpMethod::kP:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kMmx;
        op.reg = d_.reg & 7;
        break;
      case OpMethod::kN:
      case OpMethod::kQ:
        reg_or_mem(RegClass::kMmx, d_.modrm & 7);
        break;
      case OpMethod::kI:
        op.kind = OperandKind::kImm;
        break;
      case OpMethod::kJ:
        op.kind = OperandKind::kRel;
        break;
      case OpMethod::kA:
        op.kind = OperandKind::kFarPtr;
        break;
      case OpMethod::kO:
        op.kind = OperandKind::kMem;
        break;
      case OpMethod::kX:
        op.kind = OperandKind::kString;
        op.reg = (d_.prefixes & kPrefixSegment) ? d_.segment_prefix : uint8_t{kSegDS};
        break;
      case OpMethod::kY:
        op.kind = OperandKind::kString;
        op.reg = kSegES;
        break;
      case OpMethod::kConst1:
        op.kind = OperandKind::kConst1;
        break;
      case OpMethod::kSt0:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kSt;
        op.reg = 0;
        break;
      case OpMethod::kSti:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kSt;
        op.reg = sti_index(d_);
        break;
      case OpMethod::kXmm0:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kXmm;
        op.reg = 0;
        break;
      case OpMethod::kH:
        op.kind = OperandKind::kReg;
        op.reg_class = RegClass::kXmm;
        op.reg = d_.vex_vvvv;
        break;
      case OpMethod::kL:  // the register is set once the immediate is known
        break;
    }
    if (d_.prefixes & kPrefixVex) op.size = vex_operand_size(spec.size, op.size, d_.vex_l);
  }
}

// Decode-time #UD conditions beyond "no such opcode".
bool Decoder::validate() {
  const OpcodeEntry& e = d_.row;
  if (mode64_ && e.has(attr::kI64)) return false;
  if (!mode64_ && e.has(attr::kO64)) return false;
  if (d_.has_modrm && !e.has(attr::kModIgnored)) {
    const bool reg_form = d_.mod == 3;
    if (reg_form && e.has(attr::kMemOnly)) return false;
    if (!reg_form && e.has(attr::kRegOnly)) return false;
    for (int i = 0; i < e.num_operands; ++i) {
      const OpMethod m = e.operands[i].method;
      if (reg_form && m == OpMethod::kM) return false;
      if (!reg_form && (m == OpMethod::kR || m == OpMethod::kU || m == OpMethod::kN)) return false;
    }
  }
  for (int i = 0; i < e.num_operands; ++i) {
    const DecodedOperand& op = d_.operands[i];
    if (op.kind != OperandKind::kReg) continue;
    if (op.reg_class == RegClass::kSeg && e.operands[i].method == OpMethod::kS) {
      if (op.reg >= kSegCount) return false;
      if (i == 0 && op.reg == kSegCS && e.mnemonic == Mnemonic::kMov) return false;  // MOV CS,r
    }
    if (op.reg_class == RegClass::kCr && op.reg != 0 && op.reg != 2 && op.reg != 3 && op.reg != 4 &&
        op.reg != 8) {
      return false;
    }
    if (op.reg_class == RegClass::kDr && op.reg > 7) return false;
  }
  if (d_.prefixes & kPrefixLock) {
    // LOCK needs a lockable instruction whose destination is memory.
    if (!e.has(attr::kLock) || !d_.has_mem || d_.mod == 3) return false;
  }
  return true;
}

// VEX (C4/C5), EVEX (62) and XOP (8F): measured, not executed.
DecodeStatus Decoder::decode_extended(uint8_t escape) {
  uint8_t p0 = 0, p1 = 0, p2 = 0;
  unsigned map = 1;
  if (!r_.next(&p0)) return read_error();
  switch (escape) {
    case 0xC5:
      d_.map = OpcodeMapId::kVex;
      d_.prefixes |= kPrefixVex;
      d_.rex = (p0 & 0x80) ? 0 : kRexR;
      vex_fields(p0);
      break;
    case 0xC4:
    case 0x8F:
      if (!r_.next(&p1)) return read_error();
      map = p0 & 0x1F;
      d_.map = escape == 0xC4 ? OpcodeMapId::kVex : OpcodeMapId::kXop;
      d_.prefixes |= escape == 0xC4 ? kPrefixVex : kPrefixXop;
      d_.rex = static_cast<uint8_t>((~p0 >> 5) & 7) | ((p1 & 0x80) ? kRexW : 0);
      d_.rex = static_cast<uint8_t>(((d_.rex & 4) ? kRexR : 0) | ((d_.rex & 2) ? kRexX : 0) |
                                    ((d_.rex & 1) ? kRexB : 0) | (d_.rex & kRexW));
      if (escape == 0xC4) vex_fields(p1);
      break;
    case 0x62:
      if (!r_.next(&p1) || !r_.next(&p2)) return read_error();
      map = p0 & 3;
      d_.map = OpcodeMapId::kEvex;
      d_.prefixes |= kPrefixEvex;
      break;
  }
  d_.vex_map = static_cast<uint8_t>(map);
  d_.mnemonic = Mnemonic::kVex;
  if (escape == 0x62) d_.mnemonic = Mnemonic::kEvex;
  if (escape == 0x8F) d_.mnemonic = Mnemonic::kXop;
  const bool map_ok = escape == 0x8F ? (map >= 8 && map <= 10) : (map >= 1 && map <= 3);
  if (!r_.next(&d_.opcode)) return read_error();
  if (!map_ok) {
    d_.status = DecodeStatus::kInvalidOpcode;
    return d_.status;  // length unknown: the map's layout is undefined
  }
  compute_sizes();
  const bool no_modrm = escape != 0x8F && map == 1 && d_.opcode == 0x77;  // VZEROUPPER/ALL
  if (!no_modrm) {
    if (!read_modrm()) return read_error();
    if (d_.mod != 3 && !read_memory()) return read_error();
  }
  int imm_bytes = 0;
  if (escape == 0x8F) {
    imm_bytes = map == 8 ? 1 : map == 10 ? 4 : 0;
  } else if (map == 3) {
    imm_bytes = 1;
  } else if (map == 1) {
    switch (d_.opcode) {
      case 0x70:
      case 0x71:
      case 0x72:
      case 0x73:
      case 0xC2:
      case 0xC4:
      case 0xC5:
      case 0xC6:
        imm_bytes = 1;
        break;
    }
  }
  uint64_t imm = 0;
  if (imm_bytes && !r_.read_le(imm_bytes, &imm)) return read_error();
  d_.imm = imm;
  // Legacy 66/F2/F3/REX/LOCK before a VEX-class prefix is #UD.
  if (prefix_.opsize || prefix_.rep ||
      (d_.prefixes & (kPrefixLock | kPrefixRex | kPrefixRexIgnored))) {
    return finish(DecodeStatus::kInvalidOpcode);
  }
  if (escape == 0xC4 || escape == 0xC5) {
    const Mnemonic bmi = bmi_mnemonic(map);
    if (bmi != Mnemonic::kInvalid) {
      // VEX.L=1 is #UD for all of them.
      if (d_.vex_l) return finish(DecodeStatus::kInvalidOpcode);
      d_.mnemonic = bmi;
      // 64-bit operands with VEX.W in 64-bit mode, 32-bit otherwise.
      d_.operand_bits = (mode64_ && (d_.rex & kRexW)) ? 64 : 32;
      return finish(DecodeStatus::kOk);
    }
    return decode_vex_vector(map);
  }
  return finish(DecodeStatus::kUnsupported);
}

// A VEX-encoded SSE/AVX instruction: its row, operands and the encoding
// rules (vvvv 1111b when unused, VEX.L and VEX.W where the row fixes them).
DecodeStatus Decoder::decode_vex_vector(unsigned map) {
  const OpcodeEntry* e = vex_entry(map, d_.opcode, d_.vex_pp, d_.modrm, d_.rex & kRexW);
  if (!e) return finish(DecodeStatus::kUnsupported);
  d_.entry = e;
  d_.row = *e;
  if (e->has(attr::kVexLig)) d_.vex_l = false;  // scalar: always 128-bit
  if (map == 1 && d_.opcode == 0x77 && d_.vex_l) d_.row.mnemonic = Mnemonic::kVzeroall;
  d_.mnemonic = d_.row.mnemonic;
  modrm_is_register_ = d_.has_modrm && d_.mod == 3;
  fill_operands();
  bool uses_vvvv = false;
  for (int i = 0; i < d_.num_operands; ++i) {
    DecodedOperand& op = d_.operands[i];
    if (op.spec.method == OpMethod::kH) {
      uses_vvvv = true;
    } else if (op.spec.method == OpMethod::kL) {
      op.kind = OperandKind::kReg;
      op.reg_class = RegClass::kXmm;
      op.reg = static_cast<uint8_t>((d_.imm >> 4) & (mode64_ ? 15 : 7));
    }
  }
  const OpcodeEntry& row = d_.row;
  if (!uses_vvvv && d_.vex_vvvv != 0) return finish(DecodeStatus::kInvalidOpcode);
  if ((row.has(attr::kVexL0) && d_.vex_l) || (row.has(attr::kVexL1) && !d_.vex_l)) {
    return finish(DecodeStatus::kInvalidOpcode);
  }
  const bool w = d_.rex & kRexW;
  if ((row.has(attr::kVexW0) && w) || (row.has(attr::kVexW1) && !w)) {
    return finish(DecodeStatus::kInvalidOpcode);
  }
  if (!validate()) return finish(DecodeStatus::kInvalidOpcode);
  if (row.has(attr::kVsib)) {
    // A SIB byte is required; its index names a vector register, and the
    // destination, index and mask must be three different registers.
    if (!d_.has_sib) return finish(DecodeStatus::kInvalidOpcode);
    d_.vector_index =
        static_cast<int8_t>(((d_.sib >> 3) & 7) | ((d_.rex & kRexX) && mode64_ ? 8 : 0));
    d_.mem.index = kNoReg;
    const int dst = d_.operands[0].reg, mask = d_.operands[2].reg;
    if (dst == mask || dst == d_.vector_index || mask == d_.vector_index) {
      return finish(DecodeStatus::kInvalidOpcode);
    }
  }
  return finish(DecodeStatus::kOk);
}

// The VEX byte holding W/R, vvvv, L and pp (the last of C5's one or C4's two).
void Decoder::vex_fields(uint8_t byte) {
  d_.vex_vvvv = static_cast<uint8_t>((~byte >> 3) & 0xF);
  if (!mode64_) d_.vex_vvvv &= 7;
  d_.vex_l = (byte >> 2) & 1;
  d_.vex_pp = byte & 3;
}

// BMI1/BMI2 (general-register VEX instructions in maps 0F38 and 0F3A), or
// kInvalid for any other VEX opcode.
Mnemonic Decoder::bmi_mnemonic(unsigned map) const {
  const uint8_t pp = d_.vex_pp;  // 0 none, 1 66, 2 F3, 3 F2
  if (map == 2) {
    switch (d_.opcode) {
      case 0xF2:
        return pp == 0 ? Mnemonic::kAndn : Mnemonic::kInvalid;
      case 0xF3:
        if (pp != 0) return Mnemonic::kInvalid;
        switch ((d_.modrm >> 3) & 7) {
          case 1:
            return Mnemonic::kBlsr;
          case 2:
            return Mnemonic::kBlsmsk;
          case 3:
            return Mnemonic::kBlsi;
          default:
            return Mnemonic::kInvalid;
        }
      case 0xF5:
        return pp == 0   ? Mnemonic::kBzhi
               : pp == 2 ? Mnemonic::kPext
               : pp == 3 ? Mnemonic::kPdep
                         : Mnemonic::kInvalid;
      case 0xF6:
        return pp == 3 ? Mnemonic::kMulx : Mnemonic::kInvalid;
      case 0xF7:
        return pp == 0   ? Mnemonic::kBextr
               : pp == 1 ? Mnemonic::kShlx
               : pp == 2 ? Mnemonic::kSarx
                         : Mnemonic::kShrx;
      default:
        return Mnemonic::kInvalid;
    }
  }
  if (map == 3 && d_.opcode == 0xF0 && pp == 3) return Mnemonic::kRorx;
  return Mnemonic::kInvalid;
}

// 3DNow!: 0F 0F ModRM [SIB] [disp] imm8, the imm8 being the real opcode.
DecodeStatus Decoder::decode_3dnow() {
  d_.map = OpcodeMapId::k3DNow;
  d_.mnemonic = Mnemonic::k3dnow;
  compute_sizes();
  if (!read_modrm()) return read_error();
  if (d_.mod != 3 && !read_memory()) return read_error();
  if (!r_.next(&d_.opcode)) return read_error();
  return finish(DecodeStatus::kUnsupported);
}

DecodeStatus Decoder::run() {
  uint8_t b = 0;
  // Prefixes. A REX only counts when it comes last, right before the opcode.
  for (;;) {
    if (!r_.next(&b)) return read_error();
    if (mode64_ && (b & 0xF0) == 0x40) {
      d_.rex = b & 0xF;
      d_.prefixes |= kPrefixRex;
      continue;
    }
    bool legacy = true;
    switch (b) {
      case 0xF0:
        d_.prefixes |= kPrefixLock;
        break;
      case 0xF2:
        d_.prefixes |= kPrefixRepne;
        prefix_.rep = b;
        break;
      case 0xF3:
        d_.prefixes |= kPrefixRep;
        prefix_.rep = b;
        break;
      case 0x66:
        d_.prefixes |= kPrefixOpSize;
        prefix_.opsize = true;
        break;
      case 0x67:
        d_.prefixes |= kPrefixAddrSize;
        break;
      case 0x26:
        d_.segment_prefix = kSegES;
        d_.prefixes |= kPrefixSegment;
        break;
      case 0x2E:
        d_.segment_prefix = kSegCS;
        d_.prefixes |= kPrefixSegment;
        break;
      case 0x36:
        d_.segment_prefix = kSegSS;
        d_.prefixes |= kPrefixSegment;
        break;
      case 0x3E:
        d_.segment_prefix = kSegDS;
        d_.prefixes |= kPrefixSegment;
        break;
      case 0x64:
        d_.segment_prefix = kSegFS;
        d_.prefixes |= kPrefixSegment;
        break;
      case 0x65:
        d_.segment_prefix = kSegGS;
        d_.prefixes |= kPrefixSegment;
        break;
      default:
        legacy = false;
        break;
    }
    if (!legacy) break;
    if (d_.prefixes & kPrefixRex) {  // REX followed by a legacy prefix: ignored
      d_.prefixes = (d_.prefixes & ~kPrefixRex) | kPrefixRexIgnored;
      d_.rex = 0;
    }
  }
  d_.num_prefix_bytes = static_cast<uint8_t>(r_.pos() - 1);
  d_.rep_prefix = prefix_.rep;

  // Opcode bytes and the map they select.
  const OpcodeMap* map = &onebyte_map();
  d_.opcode = b;
  if (b == 0xC4 || b == 0xC5 || b == 0x62 || b == 0x8F) {
    uint8_t next = 0;
    if (!r_.peek(&next)) return read_error();
    bool extended;
    if (b == 0x8F) {
      extended = (next & 0x1F) >= 8;  // XOP.mmmmm >= 8; POP Ev has ModRM.reg = 0
    } else {
      extended = mode64_ || (!mode_.real_or_vm86 && (next & 0xC0) == 0xC0);
    }
    if (extended) return decode_extended(b);
  }
  if (b == 0x0F) {
    if (!r_.next(&b)) return read_error();
    d_.map = OpcodeMapId::k0F;
    map = &map_0f();
    if (b == 0x0F) return decode_3dnow();
    if (b == 0x38 || b == 0x3A) {
      d_.map = b == 0x38 ? OpcodeMapId::k0F38 : OpcodeMapId::k0F3A;
      map = b == 0x38 ? &map_0f38() : &map_0f3a();
      if (!r_.next(&b)) return read_error();
    }
    d_.opcode = b;
  }

  // Row lookup: prefix column, then ModRM.reg/rm group if any.
  const OpcodeEntry* columns = map->rows[d_.opcode];
  const OpcodeEntry* found = select_column(columns, prefix_, mode64_, &d_.mandatory_prefix);
  if (d_.opcode == 0x90 && d_.map == OpcodeMapId::kOneByte && (d_.rex & kRexB)) {
    found = &map->rows[0x91][kAny];  // 41 90 is XCHG r8,rAX, not NOP
    d_.mandatory_prefix = 0;
  }
  const OpcodeEntry* shape = found ? found : any_column(columns);
  bool valid = found != nullptr;
  if (!shape) {
    if (d_.map == OpcodeMapId::k0F38) {
      static const OpcodeEntry kShape0F38 = Op(Mnemonic::kInvalid, "Gv,Ev");
      shape = &kShape0F38;  // every 0F 38 opcode has a ModRM
    } else if (d_.map == OpcodeMapId::k0F3A) {
      static const OpcodeEntry kShape0F3A = Op(Mnemonic::kInvalid, "Gv,Ev,Ib");
      shape = &kShape0F3A;  // every 0F 3A opcode has a ModRM and an imm8
    } else {
      d_.status = DecodeStatus::kInvalidOpcode;
      return d_.status;  // nothing tells the length
    }
  }
  d_.row = *shape;
  d_.entry = found;
  if (row_needs_modrm(*shape)) {
    if (!read_modrm()) return read_error();
  }
  if (found && found->has(attr::kRegOnly) && d_.has_modrm && d_.mod != 3 && d_.mandatory_prefix) {
    // EXTRQ/INSERTQ exist only as register forms; their memory forms are the
    // prefix-less row (VMREAD/VMWRITE) with the prefix ignored.
    PrefixState none;
    const OpcodeEntry* fallback = select_column(columns, none, mode64_, &d_.mandatory_prefix);
    if (fallback) found = shape = fallback;
    d_.entry = found;
    d_.row = *shape;
  }
  if (shape->group != GroupId::kNone) {
    const GroupTable& g = group_table(shape->group);
    const OpcodeEntry* gcols =
        d_.mod == 3 ? g.reg[(d_.modrm >> 3 & 7) * 8 + (d_.modrm & 7)] : g.mem[d_.modrm >> 3 & 7];
    uint8_t group_mandatory = 0;
    const OpcodeEntry* gfound = select_column(gcols, prefix_, mode64_, &group_mandatory);
    if (gfound && valid) {
      d_.entry = gfound;
      d_.mandatory_prefix = group_mandatory;
      OpcodeEntry merged = *gfound;
      if (merged.num_operands == 0) {
        merged.num_operands = shape->num_operands;
        for (int i = 0; i < 4; ++i) merged.operands[i] = shape->operands[i];
      }
      merged.attrs |= shape->attrs;
      d_.row = merged;
    } else {
      valid = false;  // the map row's operands still give the length
    }
  }
  d_.mnemonic = valid ? d_.row.mnemonic : Mnemonic::kInvalid;

  compute_sizes();
  modrm_is_register_ = d_.has_modrm && (d_.mod == 3 || d_.row.has(attr::kModIgnored));
  if (d_.has_modrm && !modrm_is_register_ && !read_memory()) return read_error();
  if (!read_immediates()) return read_error();
  fill_operands();
  if (!valid || !validate()) return finish(DecodeStatus::kInvalidOpcode);
  if (d_.row.has(attr::kUnsupported)) return finish(DecodeStatus::kUnsupported);
  return finish(DecodeStatus::kOk);
}

}  // namespace

const char* decode_status_name(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kInvalidOpcode:
      return "invalid-opcode";
    case DecodeStatus::kTooLong:
      return "too-long";
    case DecodeStatus::kFetchFault:
      return "fetch-fault";
    case DecodeStatus::kNeedMoreBytes:
      return "need-more-bytes";
    case DecodeStatus::kUnsupported:
      return "unsupported";
  }
  return "?";
}

uint16_t operand_size_bytes(OpSize size, unsigned operand_bits, bool mode64) {
  const uint16_t v = static_cast<uint16_t>(operand_bits / 8);
  switch (size) {
    case OpSize::kNone:
      return 0;
    case OpSize::kB:
      return 1;
    case OpSize::kW:
      return 2;
    case OpSize::kD:
      return 4;
    case OpSize::kQ:
      return 8;
    case OpSize::kV:
      return v;
    case OpSize::kZ:
      return v == 2 ? 2 : 4;
    case OpSize::kY:
      return v == 8 ? 8 : 4;
    case OpSize::kDq:
      return 16;
    case OpSize::kX:
      return 16;
    case OpSize::kP:
      return static_cast<uint16_t>(2 + v);
    case OpSize::kA:
      return static_cast<uint16_t>(2 * v);
    case OpSize::kS:
      return mode64 ? 10 : 6;
    case OpSize::kPs:
      return 16;
    case OpSize::kPd:
      return 16;
    case OpSize::kSs:
      return 4;
    case OpSize::kSd:
      return 8;
    case OpSize::kPi:
      return 8;
    case OpSize::kT:
      return 10;
    case OpSize::kFpuEnv:
      return v == 2 ? 14 : 28;
    case OpSize::kFpuState:
      return v == 2 ? 94 : 108;
    case OpSize::kFxState:
      return 512;
    case OpSize::kXsave:
      return 0;  // depends on XCR0
    case OpSize::kQq:
      return 32;
    case OpSize::kHx:
      return 8;
    case OpSize::kQx:
      return 4;
    case OpSize::kOx:
      return 2;
  }
  return 0;
}

DecodeStatus decode(const DecodeMode& mode, uint64_t address, FetchFn fetch, void* opaque,
                    DecodedInsn* out) {
  *out = DecodedInsn{};
  Reader reader(address, fetch, opaque);
  return Decoder(mode, reader, out).run();
}

DecodeStatus decode(const DecodeMode& mode, std::span<const uint8_t> bytes, DecodedInsn* out) {
  *out = DecodedInsn{};
  Reader reader(bytes);
  return Decoder(mode, reader, out).run();
}

}  // namespace vx86::x86
