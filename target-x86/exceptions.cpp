#include "target-x86/exceptions.h"

#include "tcg/helper.h"

namespace vx86::x86 {

bool exception_pushes_error_code(int vector) {
  switch (vector) {
    case kExcDF:
    case kExcTS:
    case kExcNP:
    case kExcSS:
    case kExcGP:
    case kExcPF:
    case kExcAC:
      return true;
    default:
      return false;
  }
}

const char* exception_name(int vector) {
  static const char* const kNames[] = {"#DE", "#DB", "NMI",  "#BP", "#OF", "#BR", "#UD",
                                       "#NM", "#DF", "#MF9", "#TS", "#NP", "#SS", "#GP",
                                       "#PF", "#15", "#MF",  "#AC", "#MC", "#XM"};
  if (vector >= 0 && vector < 20) return kNames[vector];
  return "#?";
}

void set_pending_exception(CpuState& cpu, int vector, uint32_t error_code, bool has_error_code) {
  cpu.exception_vector = vector;
  cpu.exception_error_code = error_code;
  cpu.exception_has_error_code = has_error_code ? 1 : 0;
}

void raise_exception(CpuState& cpu, int vector, uint32_t error_code) {
  set_pending_exception(cpu, vector, error_code, exception_pushes_error_code(vector));
  throw tcg::GuestFault{static_cast<uint32_t>(vector), error_code};
}

}  // namespace vx86::x86
