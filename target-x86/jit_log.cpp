#include "target-x86/jit_log.h"

#include <capstone/capstone.h>

#include <cinttypes>

#include "core/log.h"
#if defined(__x86_64__)
#include "tcg/jit_x86_64.h"
#endif

namespace vx86::x86 {

void log_host_code(const tcg::CompiledBlock& block) {
#if defined(__x86_64__)
  const auto* jit = dynamic_cast<const tcg::JitBlock*>(&block);
  if (!jit) return;
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return;
  log_printf("OUT: [size=%zu]\n", jit->code_size());
  const std::vector<tcg::InsnTable::Record> insns = jit->insns().all();
  size_t next_mark = 0;  // one mark per guest insn, then the end of the main body
  cs_insn* insn = cs_malloc(handle);
  const uint8_t* code = jit->code();  // advanced by cs_disasm_iter
  const uint64_t start = reinterpret_cast<uintptr_t>(code);
  size_t size = jit->code_size();
  uint64_t address = start;
  while (size > 0) {
    const size_t offset = address - start;
    while (next_mark <= insns.size() &&
           (next_mark < insns.size() ? insns[next_mark].offset : jit->insns().end_offset()) <=
               offset) {
      if (next_mark < insns.size()) {
        log_printf("  -- guest 0x%016" PRIx64 "\n", insns[next_mark].data[0]);
      } else {
        log_printf("  -- out of line\n");
      }
      ++next_mark;
    }
    if (!cs_disasm_iter(handle, &code, &size, &address, insn)) break;
    log_printf("  0x%016" PRIx64 ":  %s %s\n", insn->address, insn->mnemonic, insn->op_str);
  }
  cs_free(insn, 1);
  cs_close(&handle);
  log_printf("\n");
#else
  (void)block;
#endif
}

}  // namespace vx86::x86
