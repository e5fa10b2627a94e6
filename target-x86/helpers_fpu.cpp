#include "target-x86/helpers_fpu.h"

#include "target-x86/exceptions.h"
#include "target-x86/fpu_state.h"
#include "target-x86/helper_def.h"
#include "target-x86/x86_cpu.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

void helper_fninit(CpuState* env) {
  fpu_init(*env);
}

void helper_fwait(CpuState* env) {
  CpuState& cpu = *env;
  if ((cpu.cr0 & (kCr0MP | kCr0TS)) == (kCr0MP | kCr0TS)) raise_exception(cpu, kExcNM);
  // A pending unmasked x87 exception is reported here; with CR0.NE=0 it would
  // go to the FERR# pin (IRQ 13), which vx86 does not model.
  if ((cpu.fpu_sw & kFswES) && (cpu.cr0 & kCr0NE)) raise_exception(cpu, kExcMF);
}

void helper_fldcw(CpuState* env, uint32_t cw) {
  fpu_set_control_word(*env, static_cast<uint16_t>(cw));
}

[[noreturn]] void memory_fault(X86Cpu& cpu) {
  throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
}

// Environment fields as (offset, size) pairs of the 28-byte and 14-byte
// layouts: FCW FSW FTW FIP FCS|FOP FDP FDS (SDM Vol. 1, Figures 8-9, 8-10).
// The 32-bit layout's reserved upper halves are stored as FFFF, as hardware does.
struct EnvLayout {
  unsigned size, slot;
};
constexpr EnvLayout kEnv32{28, 4}, kEnv16{14, 2};

void helper_fnstenv(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  const EnvLayout layout = (flags & 1) ? kEnv16 : kEnv32;
  const unsigned mem_index = flags >> 8;
  const uint64_t fill = layout.slot == 4 ? 0xffff0000u : 0;
  const uint64_t fields[7] = {
      fill | cpu.fpu_cw,
      fill | fpu_status_word(cpu),
      fill | fpu_full_tags(cpu, fpu_abridged_tags(cpu)),  // tags follow the contents
      layout.slot == 4 ? (cpu.fpu_ip & 0xffffffffu) : (cpu.fpu_ip & 0xffff),
      layout.slot == 4 ? (cpu.fpu_cs | (uint64_t{cpu.fpu_opcode & 0x7ffu} << 16)) : cpu.fpu_cs,
      layout.slot == 4 ? (cpu.fpu_dp & 0xffffffffu) : (cpu.fpu_dp & 0xffff),
      fill | cpu.fpu_ds,
  };
  // Probe the last byte first so that a fault comes before any store.
  uint64_t probe;
  if (!cpu.mmu.load(linear + layout.size - 1, 1, mem_index, &probe)) memory_fault(cpu);
  for (unsigned i = 0; i < 7; ++i) {
    if (!cpu.mmu.store(linear + i * layout.slot, layout.slot, mem_index, fields[i])) {
      memory_fault(cpu);
    }
  }
  // FNSTENV then masks every x87 exception.
  fpu_set_control_word(cpu, cpu.fpu_cw | kFswExceptions);
}

void helper_fldenv(CpuState* env, uint64_t linear, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  const EnvLayout layout = (flags & 1) ? kEnv16 : kEnv32;
  const unsigned mem_index = flags >> 8;
  uint64_t fields[7];
  for (unsigned i = 0; i < 7; ++i) {
    if (!cpu.mmu.load(linear + i * layout.slot, layout.slot, mem_index, &fields[i])) {
      memory_fault(cpu);
    }
  }
  const uint16_t sw = static_cast<uint16_t>(fields[1]);
  cpu.fpu_top = (sw >> 11) & 7;
  cpu.fpu_sw = sw & ~kFswTopMask;
  cpu.fpu_tw = static_cast<uint16_t>(fields[2]);
  cpu.fpu_ip = fields[3] & (layout.slot == 4 ? 0xffffffffu : 0xffffu);
  cpu.fpu_cs = static_cast<uint16_t>(fields[4]);
  if (layout.slot == 4) cpu.fpu_opcode = (fields[4] >> 16) & 0x7ff;
  cpu.fpu_dp = fields[5] & (layout.slot == 4 ? 0xffffffffu : 0xffffu);
  cpu.fpu_ds = static_cast<uint16_t>(fields[6]);
  fpu_set_control_word(cpu, static_cast<uint16_t>(fields[0]));
}

}  // namespace

VX86_HELPER(fnstenv, helper_fnstenv,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(fldenv, helper_fldenv, tcg::kHelperMayFault | tcg::kHelperWritesState)
VX86_HELPER(fldcw, helper_fldcw, tcg::kHelperWritesState | tcg::kHelperReadsState)
VX86_HELPER(fninit, helper_fninit, tcg::kHelperWritesState)
VX86_HELPER(fwait, helper_fwait, tcg::kHelperReadsState | tcg::kHelperMayFault)

}  // namespace vx86::x86
