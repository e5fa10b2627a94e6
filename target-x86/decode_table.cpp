// SDM operand-notation parser and the builders the opcode tables use.
#include "target-x86/decode_table.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace vx86::x86 {
namespace {

struct NamedSize {
  std::string_view name;
  OpSize size;
};
constexpr NamedSize kSizes[] = {
    {"", OpSize::kNone},      {"b", OpSize::kB},      {"w", OpSize::kW},
    {"d", OpSize::kD},        {"q", OpSize::kQ},      {"v", OpSize::kV},
    {"z", OpSize::kZ},        {"y", OpSize::kY},      {"dq", OpSize::kDq},
    {"x", OpSize::kX},        {"p", OpSize::kP},      {"a", OpSize::kA},
    {"s", OpSize::kS},        {"ps", OpSize::kPs},    {"pd", OpSize::kPd},
    {"ss", OpSize::kSs},      {"sd", OpSize::kSd},    {"pi", OpSize::kPi},
    {"t", OpSize::kT},        {"e", OpSize::kFpuEnv}, {"st", OpSize::kFpuState},
    {"fx", OpSize::kFxState}, {"xs", OpSize::kXsave}, {"qq", OpSize::kQq},
    {"hx", OpSize::kHx},      {"qx", OpSize::kQx},    {"ox", OpSize::kOx},
};

constexpr std::string_view kGpr16Names[] = {"AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI"};
constexpr std::string_view kGpr8Names[] = {"AL", "CL", "DL", "BL", "AH", "CH", "DH", "BH"};
constexpr std::string_view kSegNames[] = {"ES", "CS", "SS", "DS", "FS", "GS"};

OpMethod method_for_letter(char c) {
  switch (c) {
    case 'A':
      return OpMethod::kA;
    case 'C':
      return OpMethod::kC;
    case 'D':
      return OpMethod::kD;
    case 'E':
      return OpMethod::kE;
    case 'G':
      return OpMethod::kG;
    case 'H':
      return OpMethod::kH;
    case 'L':
      return OpMethod::kL;
    case 'I':
      return OpMethod::kI;
    case 'J':
      return OpMethod::kJ;
    case 'M':
      return OpMethod::kM;
    case 'N':
      return OpMethod::kN;
    case 'O':
      return OpMethod::kO;
    case 'P':
      return OpMethod::kP;
    case 'Q':
      return OpMethod::kQ;
    case 'R':
      return OpMethod::kR;
    case 'S':
      return OpMethod::kS;
    case 'U':
      return OpMethod::kU;
    case 'V':
      return OpMethod::kV;
    case 'W':
      return OpMethod::kW;
    case 'X':
      return OpMethod::kX;
    case 'Y':
      return OpMethod::kY;
    case 'Z':
      return OpMethod::kZ;
    default:
      return OpMethod::kNone;
  }
}

void parse_operands(const char* text, OpcodeEntry* entry) {
  entry->num_operands = 0;
  const char* p = text;
  while (*p) {
    const char* end = std::strchr(p, ',');
    const std::size_t length = end ? static_cast<std::size_t>(end - p) : std::strlen(p);
    if (entry->num_operands == 4 ||
        !parse_operand(p, length, &entry->operands[entry->num_operands])) {
      std::fprintf(stderr, "x86 decode table: bad operand list \"%s\"\n", text);
      std::abort();
    }
    ++entry->num_operands;
    p += length;
    if (*p == ',') ++p;
  }
}

}  // namespace

bool parse_operand(const char* token, std::size_t length, OperandSpec* out) {
  const std::string_view t(token, length);
  *out = OperandSpec{};
  if (t == "1") {
    out->method = OpMethod::kConst1;
    out->size = OpSize::kB;
    return true;
  }
  if (t == "ST0") {
    out->method = OpMethod::kSt0;
    out->size = OpSize::kT;
    return true;
  }
  if (t == "STi") {
    out->method = OpMethod::kSti;
    out->size = OpSize::kT;
    return true;
  }
  if (t == "XMM0") {
    out->method = OpMethod::kXmm0;
    out->size = OpSize::kDq;
    return true;
  }
  for (uint8_t i = 0; i < 8; ++i) {
    const std::string_view r16 = kGpr16Names[i];
    if (t == kGpr8Names[i]) {
      *out = OperandSpec{OpMethod::kFixedGpr, OpSize::kB, i};
      return true;
    }
    if (t == r16) {
      *out = OperandSpec{OpMethod::kFixedGpr, OpSize::kW, i};
      return true;
    }
    if (t.size() == 3 && t.substr(1) == r16 && (t[0] == 'e' || t[0] == 'r')) {
      *out = OperandSpec{OpMethod::kFixedGpr, t[0] == 'e' ? OpSize::kZ : OpSize::kV, i};
      return true;
    }
  }
  for (uint8_t i = 0; i < 6; ++i) {
    if (t == kSegNames[i]) {
      *out = OperandSpec{OpMethod::kFixedSeg, OpSize::kW, i};
      return true;
    }
  }
  if (t.empty()) return false;
  out->method = method_for_letter(t[0]);
  if (out->method == OpMethod::kNone) return false;
  for (const NamedSize& s : kSizes) {
    if (t.substr(1) == s.name) {
      out->size = s.size;
      return true;
    }
  }
  return false;
}

OpcodeEntry Op(Mnemonic mnemonic, const char* operands, uint32_t attrs) {
  OpcodeEntry e;
  e.mnemonic = mnemonic;
  e.attrs = attrs;
  parse_operands(operands, &e);
  return e;
}

OpcodeEntry Grp(GroupId group, const char* operands, uint32_t attrs) {
  OpcodeEntry e = Op(Mnemonic::kInvalid, operands, attrs);
  e.group = group;
  return e;
}

void MapBuilder::set(uint8_t opcode, Column column, const OpcodeEntry& entry) {
  map_->rows[opcode][column] = entry;
}

void MapBuilder::set_range(uint8_t first, int count, const OpcodeEntry& entry, bool step) {
  for (int i = 0; i < count; ++i) {
    OpcodeEntry e = entry;
    if (step) e.mnemonic = static_cast<Mnemonic>(static_cast<int>(entry.mnemonic) + i);
    map_->rows[first + i][kAny] = e;
  }
}

void MapBuilder::mmx_sse(uint8_t opcode, Mnemonic mnemonic, const char* mmx_ops,
                         const char* sse_ops) {
  set(opcode, kNP, Op(mnemonic, mmx_ops));
  set(opcode, k66, Op(mnemonic, sse_ops));
}

void MapBuilder::sse_fp(uint8_t opcode, Mnemonic ps, Mnemonic pd, Mnemonic ss, Mnemonic sd,
                        const char* suffix_ops) {
  const struct {
    Column column;
    Mnemonic mnemonic;
    const char* ops;
  } forms[] = {
      {kNP, ps, "Vps,Wps"}, {k66, pd, "Vpd,Wpd"}, {kF3, ss, "Vss,Wss"}, {kF2, sd, "Vsd,Wsd"}};
  for (const auto& f : forms) {
    if (f.mnemonic == Mnemonic::kInvalid) continue;
    char ops[32];
    std::snprintf(ops, sizeof(ops), "%s%s", f.ops, suffix_ops);
    set(opcode, f.column, Op(f.mnemonic, ops));
  }
}

void GroupBuilder::mem(int reg, const OpcodeEntry& entry, Column column) {
  table_->mem[reg][column] = entry;
}

void GroupBuilder::reg(int reg, const OpcodeEntry& entry, Column column) {
  for (int rm = 0; rm < 8; ++rm) table_->reg[reg * 8 + rm][column] = entry;
}

void GroupBuilder::reg_rm(int reg, int rm, const OpcodeEntry& entry, Column column) {
  table_->reg[reg * 8 + rm][column] = entry;
}

}  // namespace vx86::x86
