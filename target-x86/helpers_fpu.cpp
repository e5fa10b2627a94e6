#include "target-x86/helpers_fpu.h"

#include "core/device_lock.h"
#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helper_def.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/x87_env.h"
#include "target-x86/x87_ops.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

// FERR# falls once the error it reported is gone; the machine negates IGNNE#
// with it. FERR# changes only on this vCPU's thread (and at reset, with the
// vCPUs stopped), so its level is read without the lock.
void lower_ferr(X86Cpu& x) {
  if (!x.ferr || !x.ferr->level()) return;
  DeviceLockGuard lock;
  x.ferr->lower();
}

// A pending unmasked exception is reported by the next waiting instruction:
// #MF with CR0.NE=1 (or without a FERR# connection), else FERR# (IRQ 13 on a
// PC) and a wait at the instruction unless IGNNE# lets it run.
void check_pending(CpuState& cpu) {
  X86Cpu& x = x86_cpu(&cpu);
  if (!(cpu.fpu_sw & kFswES)) {
    lower_ferr(x);  // cleared by FNCLEX (which is inline IR) or never raised
    return;
  }
  if ((cpu.cr0 & kCr0NE) || !x.ferr) raise_exception(cpu, kExcMF);
  {
    DeviceLockGuard lock;
    // IGNNE#: the instruction runs as if no error were pending.
    if (x.ignne && x.ignne->level()) return;
    if (!x.ferr->level()) x.ferr->raise();
  }
  raise_exception(cpu, kExcpFpuFreeze);
}

void helper_fninit(CpuState* env) {
  fpu_init(*env);
  lower_ferr(x86_cpu(env));
}

void helper_fwait(CpuState* env) {
  CpuState& cpu = *env;
  if ((cpu.cr0 & (kCr0MP | kCr0TS)) == (kCr0MP | kCr0TS)) raise_exception(cpu, kExcNM);
  check_pending(cpu);
}

void helper_fldcw(CpuState* env, uint32_t cw) {
  fpu_set_control_word(*env, static_cast<uint16_t>(cw));
}

[[noreturn]] void memory_fault(X86Cpu& cpu) {
  throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
}

// Writes an image: the last byte is probed first so that a fault on a second
// page comes before any store.
void write_image(X86Cpu& cpu, uint64_t linear, unsigned mem_index, const uint8_t* bytes,
                 unsigned size) {
  uint64_t probe;
  if (!cpu.mmu.load(linear + size - 1, 1, mem_index, &probe)) memory_fault(cpu);
  if (!cpu.mmu.store(linear + size - 1, 1, mem_index, probe)) memory_fault(cpu);
  for (unsigned i = 0; i < size; ++i) {
    if (!cpu.mmu.store(linear + i, 1, mem_index, bytes[i])) memory_fault(cpu);
  }
}

void read_image(X86Cpu& cpu, uint64_t linear, unsigned mem_index, uint8_t* bytes, unsigned size) {
  for (unsigned i = 0; i < size; ++i) {
    uint64_t v;
    if (!cpu.mmu.load(linear + i, 1, mem_index, &v)) memory_fault(cpu);
    bytes[i] = static_cast<uint8_t>(v);
  }
}

void helper_fnstenv(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  uint8_t image[28];
  x87_store_env(cpu, flags & 0xff, image);
  write_image(cpu, linear, flags >> 8, image, x87_env_size(flags & 0xff));
  // FNSTENV then masks every x87 exception.
  fpu_set_control_word(cpu, cpu.fpu_cw | kFswExceptions);
}

void helper_fldenv(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  uint8_t image[28];
  read_image(cpu, linear, flags >> 8, image, x87_env_size(flags & 0xff));
  // The old error goes; one in the new state raises FERR# afresh.
  lower_ferr(cpu);
  x87_load_env(cpu, flags & 0xff, image);
}

void helper_fnsave(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  uint8_t image[108];
  x87_store_state(cpu, flags & 0xff, image);
  write_image(cpu, linear, flags >> 8, image, x87_save_size(flags & 0xff));
  fpu_init(cpu);
  lower_ferr(cpu);
}

void helper_frstor(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  uint8_t image[108];
  read_image(cpu, linear, flags >> 8, image, x87_save_size(flags & 0xff));
  lower_ferr(cpu);
  x87_load_state(cpu, flags & 0xff, image);
}

void helper_x87(CpuState* env, uint32_t op, uint64_t linear, uint64_t data_offset,
                uint64_t insn_offset, uint32_t info) {
  X86Cpu& cpu = x86_cpu(env);
  check_pending(cpu);
  cpu.fpu_opcode = info & 0x7ff;
  cpu.fpu_ip = insn_offset;
  cpu.fpu_cs = cpu.segs[kSegCS].selector;
  if (info & kX87InfoHasMem) {
    cpu.fpu_dp = data_offset;
    cpu.fpu_ds = cpu.segs[(info >> kX87InfoSegShift) & 7].selector;
  }
  x87_execute(cpu, op, linear, (info >> kX87InfoMemIndexShift) & 0xff);
}

}  // namespace

VX86_HELPER(fnstenv, helper_fnstenv,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(fldenv, helper_fldenv, tcg::kHelperMayFault | tcg::kHelperWritesState)
VX86_HELPER(fnsave, helper_fnsave,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(frstor, helper_frstor, tcg::kHelperMayFault | tcg::kHelperWritesState)
VX86_HELPER(fldcw, helper_fldcw, tcg::kHelperWritesState | tcg::kHelperReadsState)
VX86_HELPER(fninit, helper_fninit, tcg::kHelperWritesState)
VX86_HELPER(fwait, helper_fwait, tcg::kHelperReadsState | tcg::kHelperMayFault)
VX86_HELPER(x87, helper_x87,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
