#include "tcg/ir_verify.h"

#include <cstdio>
#include <cstdlib>

#include "tcg/ir_cfg.h"
#include "tcg/ir_print.h"

namespace vx86::tcg {

namespace {

std::string describe(const Op& op) {
  unsigned i = static_cast<unsigned>(op.opc);
  return i < kNumOpcodes ? std::string(op_name(op.opc)) : "opcode " + std::to_string(i);
}

bool fail(std::string* error, const Op& op, const std::string& what) {
  if (error) *error = describe(op) + ": " + what;
  return false;
}

bool check_temp(const Block& block, const Op& op, uint32_t id, Type want, bool is_output,
                std::string* error) {
  const char* role = is_output ? "output" : "input";
  if (id >= block.temps.size()) {
    return fail(error, op, std::string(role) + " t" + std::to_string(id) + " does not exist");
  }
  const TempInfo& t = block.temps[id];
  if (is_output && t.is_const) {
    return fail(error, op, "output t" + std::to_string(id) + " is a constant");
  }
  if (t.type != want) {
    return fail(error, op,
                std::string(role) + " t" + std::to_string(id) + " is " + type_name(t.type) +
                    ", expected " + type_name(want));
  }
  return true;
}

bool check_memop(const Op& op, uint64_t mo, std::string* error) {
  unsigned size_log2 = mo & kMoSizeMask;
  bool is_store = op.opc == Opcode::qemu_st_i32 || op.opc == Opcode::qemu_st_i64 ||
                  op.opc == Opcode::qemu_st_v128;
  if (mo & ~uint64_t(kMoSizeMask | kMoSign)) return fail(error, op, "unknown MemOp bits");
  if (is_store && memop_signed(mo)) return fail(error, op, "a store cannot sign-extend");
  unsigned max_log2 = op.opc == Opcode::qemu_ld_i32 || op.opc == Opcode::qemu_st_i32 ? 2 : 3;
  if (op.opc == Opcode::qemu_ld_v128 || op.opc == Opcode::qemu_st_v128) {
    if (size_log2 != 4 || memop_signed(mo)) return fail(error, op, "v128 accesses are 16 bytes");
  } else if (size_log2 > max_log2) {
    return fail(error, op, "access size " + std::to_string(1u << size_log2) + " too wide");
  }
  return true;
}

bool check_call(const Block& block, const Op& op, std::string* error) {
  const HelperInfo* h = op.nconst == 1 ? op.helper() : nullptr;
  if (!h || !h->fn) return fail(error, op, "no helper");
  if (h->nargs > kMaxHelperArgs || op.nin != h->nargs) {
    return fail(error, op,
                std::string(h->name) + " takes " + std::to_string(h->nargs) + " arguments, got " +
                    std::to_string(op.nin));
  }
  if (op.nout != (h->has_result ? 1 : 0)) {
    return fail(error, op,
                std::string(h->name) + (h->has_result ? " returns a value" : " returns nothing"));
  }
  if (op.nout && !check_temp(block, op, op.out(0), h->result, true, error)) return false;
  for (unsigned i = 0; i < op.nin; ++i) {
    if (!check_temp(block, op, op.in(i), h->args[i], false, error)) return false;
  }
  return true;
}

}  // namespace

bool verify_op(const Block& block, const Op& op, std::string* error) {
  if (static_cast<unsigned>(op.opc) >= kNumOpcodes) return fail(error, op, "bad opcode");
  const OpDef& d = op.def();
  if (d.flags & kOpVariadic) return check_call(block, op, error);
  if (op.nout != d.nout || op.nin != d.nin || op.nconst != d.nconst) {
    return fail(error, op, "wrong operand count");
  }
  for (unsigned i = 0; i < d.nout; ++i) {
    if (!check_temp(block, op, op.out(i), d.out[i], true, error)) return false;
  }
  for (unsigned i = 0; i < d.nin; ++i) {
    if (!check_temp(block, op, op.in(i), d.in[i], false, error)) return false;
  }
  if (d.nout == 2 && op.out(0) == op.out(1)) return fail(error, op, "both outputs are one temp");
  unsigned width = d.nout ? type_bits(d.out[0]) : 64;
  for (unsigned i = 0; i < d.nconst; ++i) {
    uint64_t v = op.cst(i);
    switch (d.cst[i]) {
      case ConstKind::kCond:
        if (v >= kNumConds) return fail(error, op, "bad condition " + std::to_string(v));
        break;
      case ConstKind::kLabel:
        if (v >= block.num_labels)
          return fail(error, op, "label L" + std::to_string(v) + " does not exist");
        break;
      case ConstKind::kMemOp:
        if (!check_memop(op, v, error)) return false;
        break;
      case ConstKind::kEnvOffset:
        if (v > 0x7fffffff) return fail(error, op, "env offset out of range");
        break;
      case ConstKind::kMemIndex:
        if (v > 0xffff) return fail(error, op, "memory index out of range");
        break;
      case ConstKind::kSlot:
        if (v > 1) return fail(error, op, "goto_tb slot must be 0 or 1");
        break;
      case ConstKind::kBitPos: {
        uint64_t len = i + 1 < d.nconst ? op.cst(i + 1) : 0;
        if (len < 1 || v >= width || len > width - v) {
          return fail(error, op,
                      "bit field [" + std::to_string(v) + ", +" + std::to_string(len) +
                          ") outside " + std::to_string(width) + " bits");
        }
        break;
      }
      case ConstKind::kCount:
        if (i == 0 && v > 1) return fail(error, op, "vector lane must be 0 or 1");  // no 'p' before
        break;
      case ConstKind::kImm64:
        break;
    }
  }
  return true;
}

std::vector<std::string> verify_block(const Block& block) {
  std::vector<std::string> errors;
  for (size_t i = 0; i < block.temps.size(); ++i) {
    if (block.temps[i].is_const && block.temps[i].type == Type::kV128) {
      errors.push_back("t" + std::to_string(i) + ": v128 constants are not supported");
    }
  }
  std::vector<int> label_defs(block.num_labels, 0);
  std::vector<bool> label_used(block.num_labels, false);
  bool seen_insn_start = false;
  bool per_op_ok = true;
  for (size_t i = 0; i < block.ops.size(); ++i) {
    const Op& op = block.ops[i];
    std::string err;
    if (!verify_op(block, op, &err)) {
      errors.push_back("op " + std::to_string(i) + ": " + err);
      per_op_ok = false;
      continue;
    }
    if (op.opc == Opcode::set_label) label_defs[op.cst(0)]++;
    if (op.def().flags & kOpBranch) label_used[op.cst(op.nconst - 1)] = true;
    if (op.opc == Opcode::insn_start) seen_insn_start = true;
    if ((op_flags(op) & kOpMayFault) && !seen_insn_start) {
      errors.push_back("op " + std::to_string(i) + ": " + describe(op) +
                       " may fault before any insn_start");
    }
  }
  for (uint32_t l = 0; l < block.num_labels; ++l) {
    if (label_defs[l] > 1)
      errors.push_back("label L" + std::to_string(l) + " defined more than once");
    if (label_used[l] && label_defs[l] == 0) {
      errors.push_back("label L" + std::to_string(l) + " used but never defined");
    }
  }
  if (block.ops.empty() || !(op_flags(block.ops.back()) & kOpEndsBlock)) {
    errors.push_back("block does not end with an exit or branch");
  }
  if (!per_op_ok || !errors.empty()) return errors;

  // Every temp read must be written on every path from the block entry.
  Cfg cfg = build_cfg(block);
  const std::vector<std::vector<uint32_t>> preds = cfg.predecessors();
  const size_t nt = block.temps.size();
  std::vector<TempSet> in(cfg.bbs.size(), TempSet(nt, true));
  std::vector<TempSet> out(cfg.bbs.size(), TempSet(nt, true));
  if (!cfg.bbs.empty()) in[0] = TempSet(nt, false);
  auto transfer = [&](size_t bb, TempSet defined, bool report) {
    for (size_t i = cfg.bbs[bb].begin; i < cfg.bbs[bb].end; ++i) {
      const Op& op = block.ops[i];
      for (unsigned k = 0; k < op.nin; ++k) {
        uint32_t t = op.in(k);
        if (report && !block.temps[t].is_const && !defined.test(t)) {
          errors.push_back("op " + std::to_string(i) + ": " + describe(op) + " reads t" +
                           std::to_string(t) + " before it is written on some path");
        }
      }
      for (unsigned k = 0; k < op.nout; ++k) defined.set(op.out(k));
    }
    return defined;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t bb = 0; bb < cfg.bbs.size(); ++bb) {
      if (bb != 0) {
        TempSet meet(nt, true);
        for (uint32_t p : preds[bb]) meet.intersect(out[p]);
        in[bb] = meet;
      }
      TempSet o = transfer(bb, in[bb], false);
      if (!(o == out[bb])) {
        out[bb] = std::move(o);
        changed = true;
      }
    }
  }
  for (size_t bb = 0; bb < cfg.bbs.size(); ++bb) transfer(bb, in[bb], true);
  return errors;
}

void verify_or_abort(const Block& block, const char* when) {
  std::vector<std::string> errors = verify_block(block);
  if (errors.empty()) return;
  std::fprintf(stderr, "tcg: invalid IR %s:\n", when);
  for (const std::string& e : errors) std::fprintf(stderr, "  %s\n", e.c_str());
  std::fprintf(stderr, "%s", print_block(block).c_str());
  std::abort();
}

}  // namespace vx86::tcg
