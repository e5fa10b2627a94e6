// The x87 register stack and status word as the instruction semantics see
// them: ST(i) reads and writes with their tags, push/pop, stack faults (IE+SF
// with C1 telling overflow from underflow) and exception recording with the
// masked/unmasked distinction (SDM Vol. 1, 8.1.3, 8.5).
#pragma once

#include <cstdint>

#include "target-x86/cpu_state.h"
#include "target-x86/fpu_state.h"
#include "target-x86/x87_softfloat.h"

namespace vx86::x86 {

inline constexpr uint16_t kFswC0 = 1u << 8, kFswC1 = 1u << 9, kFswC2 = 1u << 10, kFswC3 = 1u << 14;

class X87Stack {
 public:
  explicit X87Stack(CpuState& cpu) : cpu_(cpu) {}

  unsigned physical(unsigned i) const { return (cpu_.fpu_top + i) & 7; }
  bool empty(unsigned i) const { return ((cpu_.fpu_tw >> (2 * physical(i))) & 3) == 3; }
  x87::Ext80 get(unsigned i) const {
    const Float80& r = cpu_.st[physical(i)];
    return x87::Ext80{r.mantissa, r.sign_exponent};
  }
  void set(unsigned i, x87::Ext80 v) {
    const unsigned p = physical(i);
    Float80& r = cpu_.st[p];
    r.mantissa = v.sig;
    r.sign_exponent = v.se;
    set_tag(p, fpu_tag_from_value(r));
  }
  void free(unsigned i) { set_tag(physical(i), 3); }
  void push(x87::Ext80 v) {
    rotate(-1);
    set(0, v);
  }
  void pop() {
    free(0);
    rotate(1);
  }
  void rotate(int n) { cpu_.fpu_top = (cpu_.fpu_top + static_cast<unsigned>(n)) & 7; }

  void set_condition_bit(uint16_t bit, bool on) {
    cpu_.fpu_sw = static_cast<uint16_t>(on ? (cpu_.fpu_sw | bit) : (cpu_.fpu_sw & ~bit));
  }
  void set_c1(bool on) { set_condition_bit(kFswC1, on); }
  void set_condition(bool c0, bool c2, bool c3) {
    set_condition_bit(kFswC0, c0);
    set_condition_bit(kFswC2, c2);
    set_condition_bit(kFswC3, c3);
  }

  // Records exception flags. Returns false when an unmasked IE, DE or ZE
  // forbids writing the result (only those flags are then recorded, and C1
  // is cleared).
  bool raise(uint32_t flags) {
    const uint32_t exceptions = flags & kFswExceptions;
    if (exceptions & x87::kPreComputation & ~cpu_.fpu_cw) {
      record(exceptions & x87::kPreComputation);
      set_c1(false);
      return false;
    }
    record(exceptions);
    return true;
  }
  // Stack faults. Return true when IE is masked (the masked response, the
  // real indefinite, is then written by the caller).
  bool stack_underflow() { return stack_fault(false); }
  bool stack_overflow() { return stack_fault(true); }

 private:
  void set_tag(unsigned p, unsigned tag) {
    cpu_.fpu_tw = static_cast<uint16_t>((cpu_.fpu_tw & ~(3u << (2 * p))) | (tag << (2 * p)));
  }
  void record(uint32_t exceptions) {
    cpu_.fpu_sw = static_cast<uint16_t>(cpu_.fpu_sw | exceptions);
    fpu_update_error_summary(cpu_);
  }
  bool stack_fault(bool overflow) {
    set_c1(overflow);
    cpu_.fpu_sw = static_cast<uint16_t>(cpu_.fpu_sw | kFswSF);
    record(x87::kIE);
    return cpu_.fpu_cw & x87::kIE;
  }

  CpuState& cpu_;
};

}  // namespace vx86::x86
