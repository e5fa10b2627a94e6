#include "tcg/ir.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace vx86::tcg {

const char* type_name(Type t) {
  switch (t) {
    case Type::kI32:
      return "i32";
    case Type::kI64:
      return "i64";
    case Type::kV128:
      return "v128";
  }
  return "?";
}

const char* cond_name(Cond c) {
  static const char* const kNames[] = {"eq", "ne",  "lt",  "le",  "gt",
                                       "ge", "ltu", "leu", "gtu", "geu"};
  unsigned i = static_cast<unsigned>(c);
  return i < kNumConds ? kNames[i] : "?";
}

Cond cond_invert(Cond c) {
  switch (c) {
    case Cond::kEq:
      return Cond::kNe;
    case Cond::kNe:
      return Cond::kEq;
    case Cond::kLt:
      return Cond::kGe;
    case Cond::kGe:
      return Cond::kLt;
    case Cond::kLe:
      return Cond::kGt;
    case Cond::kGt:
      return Cond::kLe;
    case Cond::kLtu:
      return Cond::kGeu;
    case Cond::kGeu:
      return Cond::kLtu;
    case Cond::kLeu:
      return Cond::kGtu;
    case Cond::kGtu:
      return Cond::kLeu;
  }
  return c;
}

Cond cond_swap(Cond c) {
  switch (c) {
    case Cond::kEq:
    case Cond::kNe:
      return c;
    case Cond::kLt:
      return Cond::kGt;
    case Cond::kGt:
      return Cond::kLt;
    case Cond::kLe:
      return Cond::kGe;
    case Cond::kGe:
      return Cond::kLe;
    case Cond::kLtu:
      return Cond::kGtu;
    case Cond::kGtu:
      return Cond::kLtu;
    case Cond::kLeu:
      return Cond::kGeu;
    case Cond::kGeu:
      return Cond::kLeu;
  }
  return c;
}

std::string memop_name(uint32_t mo) {
  static const char kSizes[] = {'b', 'w', 'l', 'q'};
  unsigned size_log2 = mo & kMoSizeMask;
  if (size_log2 == 4) return "o";
  if (size_log2 > 4) return "?";
  std::string s;
  s += memop_signed(mo) ? 's' : 'u';
  s += kSizes[size_log2];
  return s;
}

Op make_op(Opcode opc, std::initializer_list<uint64_t> args) {
  const OpDef& d = op_def(opc);
  Op op;
  op.opc = opc;
  op.nout = d.nout;
  op.nin = d.nin;
  op.nconst = d.nconst;
  if (args.size() != d.nargs() || (d.flags & kOpVariadic)) {
    std::fprintf(stderr, "tcg: make_op(%s): wrong operand count\n", d.name);
    std::abort();
  }
  std::copy(args.begin(), args.end(), op.args.begin());
  return op;
}

uint32_t op_flags(const Op& op) {
  uint32_t f = op.def().flags;
  if (op.opc == Opcode::call) {
    const HelperInfo* h = op.helper();
    uint32_t hf = h ? h->flags : 0;
    if (!(hf & kHelperNoSideEffects)) f |= kOpSideEffects;
    if (hf & kHelperMayFault) f |= kOpMayFault | kOpSideEffects;
    if (hf & kHelperReadsState) f |= kOpReadsEnv;
    if (hf & kHelperWritesState) f |= kOpWritesEnv | kOpSideEffects;
  }
  return f;
}

unsigned env_access_size(Opcode opc) {
  switch (opc) {
    case Opcode::ld8u_i32:
    case Opcode::ld8s_i32:
    case Opcode::ld8u_i64:
    case Opcode::ld8s_i64:
    case Opcode::st8_i32:
    case Opcode::st8_i64:
      return 1;
    case Opcode::ld16u_i32:
    case Opcode::ld16s_i32:
    case Opcode::ld16u_i64:
    case Opcode::ld16s_i64:
    case Opcode::st16_i32:
    case Opcode::st16_i64:
      return 2;
    case Opcode::ld_i32:
    case Opcode::ld32u_i64:
    case Opcode::ld32s_i64:
    case Opcode::st_i32:
    case Opcode::st32_i64:
      return 4;
    case Opcode::ld_i64:
    case Opcode::st_i64:
      return 8;
    case Opcode::ld_v128:
    case Opcode::st_v128:
      return 16;
    default:
      return 0;
  }
}

bool op_is_pure(const Op& op) {
  constexpr uint32_t kImpure =
      kOpEndsBlock | kOpBranch | kOpSideEffects | kOpMayFault | kOpWritesEnv | kOpLabel | kOpExit;
  return op.opc != Opcode::nop && (op_flags(op) & kImpure) == 0;
}

Temp Block::new_temp(Type t) {
  temps.push_back(TempInfo{t, false, 0});
  return Temp{static_cast<uint32_t>(temps.size() - 1)};
}

// The slot holding (t, value), or the free slot where it would go.
uint32_t& Block::const_slot(Type t, uint64_t value) {
  const size_t mask = const_slots_.size() - 1;
  uint64_t h = (value + static_cast<uint64_t>(t)) * 0x9e3779b97f4a7c15ull;
  for (size_t i = (h >> 32) & mask;; i = (i + 1) & mask) {
    uint32_t& slot = const_slots_[i];
    if (slot == 0) return slot;
    const uint32_t id = slot - 1;
    if (id < temps.size() && temps[id].is_const && temps[id].type == t && temps[id].value == value)
      return slot;
  }
}

void Block::grow_const_slots() {
  std::vector<uint32_t> old = std::move(const_slots_);
  const_slots_.assign(old.empty() ? 64 : old.size() * 2, 0);
  const_count_ = 0;
  for (uint32_t slot : old) {
    const uint32_t id = slot - 1;
    if (slot == 0 || id >= temps.size() || !temps[id].is_const) continue;  // free or stale
    uint32_t& to = const_slot(temps[id].type, temps[id].value);
    if (to == 0) {
      to = slot;
      ++const_count_;
    }
  }
}

Temp Block::const_temp(Type t, uint64_t value) {
  if (t == Type::kI32) value &= 0xffffffffull;
  if ((const_count_ + 1) * 2 > const_slots_.size()) grow_const_slots();
  uint32_t& slot = const_slot(t, value);
  if (slot != 0) return Temp{slot - 1};
  temps.push_back(TempInfo{t, true, value});
  slot = static_cast<uint32_t>(temps.size());  // id + 1
  ++const_count_;
  return Temp{slot - 1};
}

void Block::clear() {
  ops.clear();
  temps.clear();
  num_labels = 0;
  if (const_count_) std::fill(const_slots_.begin(), const_slots_.end(), 0);
  const_count_ = 0;
}

void Block::remove_nops() {
  ops.erase(
      std::remove_if(ops.begin(), ops.end(), [](const Op& op) { return op.opc == Opcode::nop; }),
      ops.end());
}

}  // namespace vx86::tcg
