#include <string>

#include "tcg/ir_verify.h"
#include "tcg/optimizer.h"

namespace vx86::tcg {

void PassManager::run(Block& block) const {
  for (const Pass& p : passes_) {
    p.fn(block);
    if (verify_) verify_or_abort(block, (std::string("after pass ") + p.name).c_str());
  }
}

PassManager PassManager::standard() {
  PassManager pm;
  pm.add("copy_prop", opt_copy_prop);
  pm.add("constant_fold", opt_constant_fold);
  pm.add("dead_code", opt_dead_code);
  pm.add("env_forward", opt_env_forward);
  // Again: removing branches and labels above merges basic blocks, and
  // env_forward leaves moves.
  pm.add("copy_prop", opt_copy_prop);
  pm.add("constant_fold", opt_constant_fold);
  // Folding turns zero-extensions of zero-extended values into moves.
  pm.add("copy_prop", opt_copy_prop);
  pm.add("condition_fuse", opt_condition_fuse);
  pm.add("dead_store", opt_dead_store);
  pm.add("dead_code", opt_dead_code);
  return pm;
}

void optimize(Block& block) {
  static const PassManager pm = PassManager::standard();
  pm.run(block);
}

}  // namespace vx86::tcg
