#include <algorithm>

#include "tcg/optimizer.h"

namespace vx86::tcg {

namespace {

bool is_setcond(Opcode opc) {
  return opc == Opcode::setcond_i32 || opc == Opcode::setcond_i64;
}

bool is_const_value(const Block& block, uint32_t t, uint64_t value) {
  return block.is_const(t) && block.const_value(t) == value;
}

}  // namespace

void opt_condition_fuse(Block& block) {
  const size_t nt = block.temps.size();
  constexpr int64_t kNone = -1;
  // Index of the op that last wrote each temp in the current basic block.
  static thread_local std::vector<int64_t> def_at;  // per thread: no allocation per block
  def_at.assign(nt, kNone);
  // The setcond that computed t, if its inputs still hold what it compared.
  auto setcond_of = [&](uint32_t t) -> const Op* {
    if (t >= nt || block.is_const(t) || def_at[t] == kNone) return nullptr;
    const Op& d = block.ops[def_at[t]];
    if (!is_setcond(d.opc)) return nullptr;
    for (unsigned k = 0; k < 2; ++k) {
      const uint32_t in = d.in(k);
      if (in == t || (!block.is_const(in) && def_at[in] > def_at[t])) return nullptr;
    }
    return &d;
  };
  for (size_t i = 0; i < block.ops.size(); ++i) {
    Op& op = block.ops[i];
    if (op.opc == Opcode::set_label) {
      std::fill(def_at.begin(), def_at.end(), kNone);
      continue;
    }
    if (op.opc == Opcode::brcond_i32 || op.opc == Opcode::brcond_i64) {
      const Cond cond = static_cast<Cond>(op.cst(0));
      if ((cond == Cond::kNe || cond == Cond::kEq) && is_const_value(block, op.in(1), 0)) {
        if (const Op* s = setcond_of(op.in(0))) {
          // A 0/1 value against 0: branch on the comparison itself.
          const Cond c = static_cast<Cond>(s->cst(0));
          const Opcode opc =
              s->opc == Opcode::setcond_i64 ? Opcode::brcond_i64 : Opcode::brcond_i32;
          op = make_op(opc,
                       {s->in(0), s->in(1),
                        static_cast<uint64_t>(cond == Cond::kNe ? c : cond_invert(c)), op.cst(1)});
        }
      }
    } else if (op.opc == Opcode::movcond_i32 || op.opc == Opcode::movcond_i64) {
      const Cond cond = static_cast<Cond>(op.cst(0));
      const Op* s = setcond_of(op.in(0));
      const bool same_width =
          s && (s->opc == Opcode::setcond_i64) == (op.opc == Opcode::movcond_i64);
      if (same_width && (cond == Cond::kNe || cond == Cond::kEq) &&
          is_const_value(block, op.in(1), 0)) {
        // Selecting on a 0/1 value against 0: select on the comparison itself.
        const Cond c = static_cast<Cond>(s->cst(0));
        op = make_op(op.opc, {op.out(0), s->in(0), s->in(1), op.in(2), op.in(3),
                              static_cast<uint64_t>(cond == Cond::kNe ? c : cond_invert(c))});
      }
    } else if (op.opc == Opcode::xor_i32 || op.opc == Opcode::xor_i64) {
      const Op* s = setcond_of(op.in(0));
      const bool same_width = s && (s->opc == Opcode::setcond_i64) == (op.opc == Opcode::xor_i64);
      if (same_width && is_const_value(block, op.in(1), 1)) {
        // Not of a 0/1 value: the inverse comparison.
        op = make_op(s->opc, {op.out(0), s->in(0), s->in(1),
                              static_cast<uint64_t>(cond_invert(static_cast<Cond>(s->cst(0))))});
      }
    }
    for (unsigned k = 0; k < op.nout; ++k) def_at[op.out(k)] = static_cast<int64_t>(i);
  }
}

}  // namespace vx86::tcg
