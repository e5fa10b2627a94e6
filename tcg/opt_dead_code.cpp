#include <utility>
#include <vector>

#include "tcg/ir_cfg.h"
#include "tcg/optimizer.h"

namespace vx86::tcg {

namespace {

uint32_t branch_label(const Op& op) {
  return static_cast<uint32_t>(op.cst(op.nconst - 1));
}

// Unreachable ops, branches to the very next op and unused labels.
bool clean_control_flow(Block& block) {
  bool changed = false;
  auto& ops = block.ops;
  bool reachable = true;
  for (Op& op : ops) {
    if (op.opc == Opcode::set_label) reachable = true;
    if (!reachable && op.opc != Opcode::nop) {
      op.opc = Opcode::nop;
      changed = true;
      continue;
    }
    if (op_flags(op) & kOpEndsBlock) reachable = false;
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!(op_flags(ops[i]) & kOpBranch)) continue;
    size_t j = i + 1;
    while (j < ops.size() && ops[j].opc == Opcode::nop) ++j;
    if (j < ops.size() && ops[j].opc == Opcode::set_label &&
        ops[j].cst(0) == branch_label(ops[i])) {
      ops[i].opc = Opcode::nop;  // both ways lead to the next op; brcond has no other effect
      changed = true;
    }
  }
  static thread_local std::vector<bool> used;
  used.assign(block.num_labels, false);
  for (const Op& op : ops) {
    if (op.opc != Opcode::nop && (op_flags(op) & kOpBranch)) used[branch_label(op)] = true;
  }
  for (Op& op : ops) {
    if (op.opc == Opcode::set_label && !used[op.cst(0)]) {
      op.opc = Opcode::nop;
      changed = true;
    }
  }
  block.remove_nops();
  return changed;
}

// A double-width multiply whose high half nobody reads is a plain multiply
// (the low half does not depend on signedness): one IMUL r, r/m on the host
// instead of the one-operand form through rdx:rax.
void narrow_if_high_half_dead(Op& op, const TempSet& live) {
  Opcode narrow;
  switch (op.opc) {
    case Opcode::mulu2_i32:
    case Opcode::muls2_i32:
      narrow = Opcode::mul_i32;
      break;
    case Opcode::mulu2_i64:
    case Opcode::muls2_i64:
      narrow = Opcode::mul_i64;
      break;
    default:
      return;
  }
  if (live.test(op.out(1)) || op.out(1) == op.out(0)) return;
  op = make_op(narrow, {op.out(0), op.in(0), op.in(1)});
}

// Pure ops whose outputs are dead, with liveness carried across basic blocks.
bool remove_dead_ops(Block& block) {
  // Per-thread storage: the pass runs for every translated block.
  static thread_local Cfg cfg;
  static thread_local std::vector<TempSet> live_in, live_out;
  static thread_local TempSet sweep;
  build_cfg(block, &cfg);
  const size_t nt = block.temps.size();
  const size_t nb = cfg.bbs.size();
  if (live_in.size() < nb) live_in.resize(nb);  // never shrunk: the sets keep their memory
  for (size_t b = 0; b < nb; ++b) live_in[b].assign(nt, false);
  auto step_back = [&](const Op& op, TempSet& live) {
    for (unsigned k = 0; k < op.nout; ++k) live.reset(op.out(k));
    for (unsigned k = 0; k < op.nin; ++k) {
      if (!block.is_const(op.in(k))) live.set(op.in(k));
    }
  };
  auto is_dead = [&](const Op& op, const TempSet& live) {
    if (!op_is_pure(op)) return false;
    for (unsigned k = 0; k < op.nout; ++k) {
      if (live.test(op.out(k))) return false;
    }
    return true;
  };
  // Drops the dead ops of basic block b, given what is live at its end;
  // leaves `live` as what is live at its start.
  auto remove_in = [&](size_t b, TempSet& live) {
    bool removed = false;
    for (size_t i = cfg.bbs[b].end; i-- > cfg.bbs[b].begin;) {
      Op& op = block.ops[i];
      if (is_dead(op, live)) {
        op.opc = Opcode::nop;
        removed = true;
      } else {
        narrow_if_high_half_dead(op, live);
        step_back(op, live);
      }
    }
    return removed;
  };
  // When every edge goes forward, one backward sweep sees each block's
  // successors final already: drop dead ops in that sweep and stop.
  bool forward_only = true;
  for (size_t b = 0; b < nb && forward_only; ++b) {
    for (uint32_t succ : cfg.bbs[b].succs) forward_only &= succ > b;
  }
  if (forward_only) {
    bool removed = false;
    for (size_t b = nb; b-- > 0;) {
      TempSet& live_b = live_in[b];  // still empty: filled from the successors, then swept
      for (uint32_t succ : cfg.bbs[b].succs) live_b.unite(live_in[succ]);
      removed |= remove_in(b, live_b);
    }
    block.remove_nops();
    return removed;
  }
  if (live_out.size() < nb) live_out.resize(nb);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t b = nb; b-- > 0;) {
      TempSet& out = live_out[b];
      out.assign(nt, false);
      for (uint32_t s : cfg.bbs[b].succs) out.unite(live_in[s]);
      sweep = out;
      for (size_t i = cfg.bbs[b].end; i-- > cfg.bbs[b].begin;) {
        if (!is_dead(block.ops[i], sweep)) step_back(block.ops[i], sweep);
      }
      if (!(sweep == live_in[b])) {
        std::swap(sweep, live_in[b]);
        changed = true;
      }
    }
  }
  bool removed = false;
  for (size_t b = 0; b < nb; ++b) {
    sweep = live_out[b];
    removed |= remove_in(b, sweep);
  }
  block.remove_nops();
  return removed;
}

}  // namespace

void opt_dead_code(Block& block) {
  // remove_dead_ops reaches its fixpoint over the whole CFG in one call
  // (an op whose only readers are dead is dead too); only a simpler CFG
  // (an unreachable op gone, a branch to the next op dropped) can free more.
  clean_control_flow(block);
  for (int round = 0; round < 8; ++round) {
    remove_dead_ops(block);
    if (!clean_control_flow(block)) break;
  }
}

}  // namespace vx86::tcg
