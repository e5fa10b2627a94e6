#include "tcg/compiled_block.h"

#include "tcg/jit_x86_64.h"

namespace vx86::tcg {

bool jit_available() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

std::unique_ptr<CompiledBlock> compile_block(const Block& block, Backend backend) {
#if defined(__x86_64__)
  if (backend == Backend::kJit) return std::make_unique<JitBlock>(block);
#endif
  (void)backend;
  return std::make_unique<InterpBlock>(block);
}

}  // namespace vx86::tcg
