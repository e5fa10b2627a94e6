// Helpers for lazy flags and exceptions.
#include "target-x86/exceptions.h"
#include "target-x86/helpers.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

void raise_exception_helper(CpuState* cpu, uint32_t vector, uint32_t error) {
  raise_exception(*cpu, static_cast<int>(vector), error);
}

uint64_t cc_compute_all(CpuState* cpu) {
  return compute_cc_flags(cpu->cc_op, cpu->cc_src, cpu->cc_dst, cpu->cc_src2);
}

uint64_t cc_compute_cf(CpuState* cpu) {
  return compute_cf(*cpu) ? 1 : 0;
}

uint64_t read_eflags(CpuState* cpu) {
  return compute_eflags(*cpu);
}

void write_eflags(CpuState* cpu, uint32_t value, uint32_t mask) {
  load_eflags(*cpu, value, mask);
  update_hflags(*cpu);
}

}  // namespace

const tcg::HelperInfo& helper_info_raise_exception() {
  static const tcg::HelperInfo info = tcg::make_helper<&raise_exception_helper>(
      "raise_exception", tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState);
  return info;
}

const tcg::HelperInfo& helper_info_cc_compute_all() {
  static const tcg::HelperInfo info = tcg::make_helper<&cc_compute_all>(
      "cc_compute_all", tcg::kHelperReadsState | tcg::kHelperNoSideEffects);
  return info;
}

const tcg::HelperInfo& helper_info_cc_compute_cf() {
  static const tcg::HelperInfo info = tcg::make_helper<&cc_compute_cf>(
      "cc_compute_cf", tcg::kHelperReadsState | tcg::kHelperNoSideEffects);
  return info;
}

const tcg::HelperInfo& helper_info_read_eflags() {
  static const tcg::HelperInfo info = tcg::make_helper<&read_eflags>(
      "read_eflags", tcg::kHelperReadsState | tcg::kHelperNoSideEffects);
  return info;
}

const tcg::HelperInfo& helper_info_write_eflags() {
  static const tcg::HelperInfo info = tcg::make_helper<&write_eflags>(
      "write_eflags", tcg::kHelperReadsState | tcg::kHelperWritesState);
  return info;
}

}  // namespace vx86::x86
