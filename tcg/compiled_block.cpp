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

std::unique_ptr<CompiledBlock> compile_block(const Block& block, Backend backend,
                                             JitRuntime* runtime, const JitBlockOptions& options) {
#if defined(__x86_64__)
  if (backend == Backend::kJit && runtime) return JitBlock::compile(block, *runtime, options);
#endif
  (void)runtime, (void)options;
  return compile_block(block, backend);
}

#if !defined(__x86_64__)
std::shared_ptr<JitRuntime> make_jit_runtime(const JitConfig&) {
  return nullptr;
}
JitStats jit_runtime_stats(const JitRuntime&) {
  return {};
}
void jit_runtime_flush(JitRuntime&) {}
#endif

}  // namespace vx86::tcg
