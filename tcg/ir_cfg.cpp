#include "tcg/ir_cfg.h"

namespace vx86::tcg {

void build_cfg(const Block& block, Cfg* cfg) {
  cfg->bbs.clear();
  const auto& ops = block.ops;
  static thread_local std::vector<uint32_t> label_bb;
  label_bb.assign(block.num_labels, UINT32_MAX);
  size_t start = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    uint32_t f = op_flags(ops[i]);
    if (ops[i].opc == Opcode::set_label && i > start) {
      cfg->bbs.push_back(BasicBlock{start, i, {}});
      start = i;
    }
    if (ops[i].opc == Opcode::set_label) label_bb[ops[i].cst(0)] = cfg->bbs.size();
    if (f & (kOpBranch | kOpEndsBlock)) {
      cfg->bbs.push_back(BasicBlock{start, i + 1, {}});
      start = i + 1;
    }
  }
  if (start < ops.size()) cfg->bbs.push_back(BasicBlock{start, ops.size(), {}});
  for (uint32_t b = 0; b < cfg->bbs.size(); ++b) {
    const Op& last = ops[cfg->bbs[b].end - 1];
    uint32_t f = op_flags(last);
    if (f & kOpBranch) {
      uint32_t target = label_bb[last.cst(last.nconst - 1)];
      if (target != UINT32_MAX) cfg->bbs[b].succs.push_back(target);
    }
    if (!(f & kOpEndsBlock) && b + 1 < cfg->bbs.size()) cfg->bbs[b].succs.push_back(b + 1);
  }
}

Cfg build_cfg(const Block& block) {
  Cfg cfg;
  build_cfg(block, &cfg);
  return cfg;
}

std::vector<std::vector<uint32_t>> Cfg::predecessors() const {
  std::vector<std::vector<uint32_t>> preds(bbs.size());
  for (uint32_t b = 0; b < bbs.size(); ++b) {
    for (uint32_t s : bbs[b].succs) preds[s].push_back(b);
  }
  return preds;
}

}  // namespace vx86::tcg
