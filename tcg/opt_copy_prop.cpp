#include "tcg/optimizer.h"

namespace vx86::tcg {

namespace {
bool is_mov(Opcode opc) {
  return opc == Opcode::mov_i32 || opc == Opcode::mov_i64 || opc == Opcode::mov_v128;
}
}  // namespace

void opt_copy_prop(Block& block) {
  const size_t nt = block.temps.size();
  // A copy d <- s is valid while it was recorded in the current basic block
  // (epoch) and s has not been written since (version).
  // Per-thread storage: the pass runs several times for every block.
  static thread_local std::vector<uint32_t> src, src_version, version, copy_epoch;
  src.assign(nt, kNoTemp);
  src_version.assign(nt, 0);
  version.assign(nt, 0);
  copy_epoch.assign(nt, 0);
  uint32_t epoch = 1;
  auto root = [&](uint32_t t) {
    if (copy_epoch[t] == epoch && version[src[t]] == src_version[t]) return src[t];
    return t;
  };
  for (Op& op : block.ops) {
    if (op.opc == Opcode::set_label) {
      ++epoch;
      continue;
    }
    for (unsigned i = 0; i < op.nin; ++i) op.set_in(i, root(op.in(i)));
    if (is_mov(op.opc) && op.in(0) == op.out(0)) {
      op.opc = Opcode::nop;
      continue;
    }
    for (unsigned i = 0; i < op.nout; ++i) {
      uint32_t d = op.out(i);
      ++version[d];
      copy_epoch[d] = 0;
    }
    if (is_mov(op.opc)) {
      uint32_t d = op.out(0), s = op.in(0);
      src[d] = s;
      src_version[d] = version[s];
      copy_epoch[d] = epoch;
    }
  }
  block.remove_nops();
}

}  // namespace vx86::tcg
