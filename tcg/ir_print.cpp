#include "tcg/ir_print.h"

#include <cinttypes>
#include <cstdio>

#include "core/log.h"

namespace vx86::tcg {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "$0x%" PRIx64, v);
  return buf;
}

std::string temp_name(const Block& block, uint32_t id) {
  if (id < block.temps.size() && block.temps[id].is_const) return hex(block.temps[id].value);
  return "t" + std::to_string(id);
}

}  // namespace

std::string print_op(const Block& block, const Op& op) {
  if (static_cast<unsigned>(op.opc) >= kNumOpcodes) return "<bad opcode>";
  if (op.opc == Opcode::insn_start) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " ---- 0x%" PRIx64 " 0x%" PRIx64, op.cst(0), op.cst(1));
    return buf;
  }
  std::string s = " ";
  s += op_name(op.opc);
  std::string sep = " ";
  auto add = [&](const std::string& a) {
    s += sep;
    s += a;
    sep = ", ";
  };
  if (op.opc == Opcode::call) {
    const HelperInfo* h = op.helper();
    add(h ? h->name : "?");
    for (unsigned i = 0; i < op.nout; ++i) add(temp_name(block, op.out(i)));
    for (unsigned i = 0; i < op.nin; ++i) add(temp_name(block, op.in(i)));
    return s;
  }
  const OpDef& d = op.def();
  for (unsigned i = 0; i < op.nout; ++i) add(temp_name(block, op.out(i)));
  for (unsigned i = 0; i < op.nin; ++i) add(temp_name(block, op.in(i)));
  for (unsigned i = 0; i < op.nconst && i < d.nconst; ++i) {
    uint64_t v = op.cst(i);
    switch (d.cst[i]) {
      case ConstKind::kCond:
        add(cond_name(static_cast<Cond>(v)));
        break;
      case ConstKind::kLabel:
        add("$L" + std::to_string(v));
        break;
      case ConstKind::kEnvOffset:
        add("env");
        add(hex(v));
        break;
      case ConstKind::kMemOp:
        add(memop_name(static_cast<uint32_t>(v)));
        break;
      case ConstKind::kMemIndex:
      case ConstKind::kBitPos:
      case ConstKind::kCount:
      case ConstKind::kSlot:
        add(std::to_string(v));
        break;
      case ConstKind::kImm64:
        add(hex(v));
        break;
    }
  }
  return s;
}

std::string print_block(const Block& block) {
  std::string out;
  for (const Op& op : block.ops) {
    out += print_op(block, op);
    out += '\n';
  }
  return out;
}

void log_block(uint32_t mask, const char* header, const Block& block) {
  if (!log_enabled(mask)) return;
  log_printf("%s\n%s\n", header, print_block(block).c_str());
}

}  // namespace vx86::tcg
