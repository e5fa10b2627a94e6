#include "target-x86/x87_ops.h"

#include <cstring>

#include "target-x86/fpu_state.h"
#include "target-x86/x86_cpu.h"
#include "target-x86/x87_softfloat.h"
#include "target-x86/x87_stack.h"
#include "target-x86/x87_transcendental.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

using x87::Class;
using x87::Context;
using x87::Ext80;

[[noreturn]] void memory_fault(X86Cpu& cpu) {
  throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
}

uint64_t load(X86Cpu& cpu, uint64_t linear, unsigned size, unsigned mem_index) {
  uint64_t value;
  if (!cpu.mmu.load(linear, size, mem_index, &value)) memory_fault(cpu);
  return value;
}

void load_bytes(X86Cpu& cpu, uint64_t linear, unsigned size, unsigned mem_index, uint8_t* out) {
  // The last byte first, so that a fault on a second page comes before anything.
  load(cpu, linear + size - 1, 1, mem_index);
  for (unsigned i = 0; i < size; ++i)
    out[i] = static_cast<uint8_t>(load(cpu, linear + i, 1, mem_index));
}

void store(X86Cpu& cpu, uint64_t linear, unsigned size, unsigned mem_index, uint64_t value) {
  if (!cpu.mmu.store(linear, size, mem_index, value)) memory_fault(cpu);
}

void store_bytes(X86Cpu& cpu, uint64_t linear, unsigned size, unsigned mem_index,
                 const uint8_t* bytes) {
  uint64_t probe = load(cpu, linear + size - 1, 1, mem_index);
  store(cpu, linear + size - 1, 1, mem_index, probe);
  for (unsigned i = 0; i < size; ++i) store(cpu, linear + i, 1, mem_index, bytes[i]);
}

unsigned mem_size(X87MemFormat f) {
  static constexpr unsigned kSizes[] = {0, 4, 8, 10, 2, 4, 8, 10};
  return kSizes[f & 7];
}

// Reads a memory operand as an 80-bit value (FLD m80/FBLD raw, the others
// converted exactly; denormal inputs noted in ctx).
Ext80 load_operand(X86Cpu& cpu, X87MemFormat f, uint64_t linear, unsigned mem_index, Context& ctx) {
  switch (f) {
    case kX87MemF32:
      return x87::from_f32(static_cast<uint32_t>(load(cpu, linear, 4, mem_index)), ctx);
    case kX87MemF64:
      return x87::from_f64(load(cpu, linear, 8, mem_index), ctx);
    case kX87MemI16:
      return x87::from_int(static_cast<int16_t>(load(cpu, linear, 2, mem_index)));
    case kX87MemI32:
      return x87::from_int(static_cast<int32_t>(load(cpu, linear, 4, mem_index)));
    case kX87MemI64:
      return x87::from_int(static_cast<int64_t>(load(cpu, linear, 8, mem_index)));
    case kX87MemF80: {
      uint8_t bytes[10];
      load_bytes(cpu, linear, 10, mem_index, bytes);
      Ext80 v;
      std::memcpy(&v.sig, bytes, 8);
      std::memcpy(&v.se, bytes + 8, 2);
      return v;
    }
    case kX87MemBcd: {
      uint8_t bytes[10];
      load_bytes(cpu, linear, 10, mem_index, bytes);
      return x87::from_bcd(bytes);
    }
    default:
      return x87::kIndefinite;
  }
}

// Constants in FLD1 ... FLDZ order (D9 E8+i): the significand below the 64
// kept bits decides rounding under RC (Intel SDM Vol. 1, 8.3.8).
struct Constant {
  uint16_t se;
  uint64_t sig;
  int8_t next;  // 0: exact, 1: rest below half, 2: above half (never exactly half)
};
constexpr Constant kConstants[7] = {
    {0x3fff, 0x8000000000000000ull, 0},  // 1
    {0x4000, 0xd49a784bcd1b8afeull, 1},  // log2(10)
    {0x3fff, 0xb8aa3b295c17f0bbull, 2},  // log2(e)
    {0x4000, 0xc90fdaa22168c234ull, 2},  // pi
    {0x3ffd, 0x9a209a84fbcff798ull, 2},  // log10(2)
    {0x3ffe, 0xb17217f7d1cf79abull, 2},  // ln(2)
    {0x0000, 0x0000000000000000ull, 0},  // +0
};

Ext80 constant(unsigned index, unsigned rc) {
  const Constant& c = kConstants[index];
  Ext80 v{c.sig, c.se};
  const bool up = c.next != 0 && (rc == x87::kRoundUp || (rc == x87::kRoundNearest && c.next == 2));
  if (up) ++v.sig;  // never carries for these constants
  return v;
}

void set_compare_codes(X87Stack& fpu, x87::Relation rel) {
  switch (rel) {
    case x87::Relation::kGreater:
      fpu.set_condition(false, false, false);
      break;
    case x87::Relation::kLess:
      fpu.set_condition(true, false, false);
      break;
    case x87::Relation::kEqual:
      fpu.set_condition(false, false, true);
      break;
    case x87::Relation::kUnordered:
      fpu.set_condition(true, true, true);
      break;
  }
}

void set_compare_eflags(X86Cpu& cpu, x87::Relation rel) {
  uint32_t flags = 0;
  if (rel == x87::Relation::kLess) flags = kFlagCF;
  if (rel == x87::Relation::kEqual) flags = kFlagZF;
  if (rel == x87::Relation::kUnordered) flags = kFlagZF | kFlagPF | kFlagCF;
  load_eflags(cpu, flags, kFlagsArith);
}

// Stack underflow of a compare: "unordered" whether IE is masked or not.
void set_unordered(X86Cpu& cpu, X87Stack& fpu, X87Operation operation) {
  if (operation == kX87Comi || operation == kX87Ucomi) {
    set_compare_eflags(cpu, x87::Relation::kUnordered);
  } else {
    set_compare_codes(fpu, x87::Relation::kUnordered);
  }
}

Ext80 arith(X87Operation op, Ext80 a, Ext80 b, Context& ctx) {
  switch (op) {
    case kX87Add:
      return x87::add(a, b, ctx);
    case kX87Mul:
      return x87::mul(a, b, ctx);
    case kX87Sub:
      return x87::sub(a, b, ctx);
    case kX87Subr:
      return x87::sub(b, a, ctx);
    case kX87Div:
      return x87::div(a, b, ctx);
    default:
      return x87::div(b, a, ctx);
  }
}

void pop_as_asked(X87Stack& fpu, uint32_t op) {
  if (op & (kX87Pop | kX87PopTwice)) fpu.pop();
  if (op & kX87PopTwice) fpu.pop();
}

// FADD ... FDIVR, FCOM(P)(P), FUCOM(P)(P), FCOMI(P), FUCOMI(P), FIADD ... FICOMP.
void execute_binary(X86Cpu& cpu, X87Stack& fpu, uint32_t op, uint64_t linear, unsigned mem_index) {
  const auto operation = static_cast<X87Operation>(op & 0xff);
  const auto mem = static_cast<X87MemFormat>((op >> kX87MemShift) & 15);
  const unsigned sti = (op >> kX87StiShift) & 7;
  const bool compare = operation == kX87Com || operation == kX87Ucom || operation == kX87Comi ||
                       operation == kX87Ucomi;
  const unsigned dest = (op & kX87DestSti) ? sti : 0;
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  Ext80 a, b;
  if (mem != kX87MemNone) {
    b = load_operand(cpu, mem, linear, mem_index, ctx);
    if (fpu.empty(0)) {
      const bool masked = fpu.stack_underflow();
      if (compare) {
        set_unordered(cpu, fpu, operation);
      } else if (masked) {
        fpu.set(0, x87::kIndefinite);
      }
      if (masked) pop_as_asked(fpu, op);
      return;
    }
    a = fpu.get(0);
  } else {
    const unsigned other = (op & kX87DestSti) ? 0 : sti;
    if (fpu.empty(dest) || fpu.empty(other)) {
      const bool masked = fpu.stack_underflow();
      if (compare) {
        set_unordered(cpu, fpu, operation);
      } else if (masked) {
        fpu.set(dest, x87::kIndefinite);
      }
      if (masked) pop_as_asked(fpu, op);
      return;
    }
    a = fpu.get(dest);
    b = fpu.get(other);
  }
  if (compare) {
    const bool c1 = cpu.fpu_sw & kFswC1;  // FCOMI leaves C1 alone
    // The condition codes (or EFLAGS) are written even when an unmasked
    // exception stops the pop.
    const bool quiet = operation == kX87Ucom || operation == kX87Ucomi;
    const x87::Relation rel = x87::compare(a, b, quiet, ctx);
    const bool ok = fpu.raise(ctx.flags & ~x87::kRoundedUp);
    if (operation == kX87Comi || operation == kX87Ucomi) {
      set_compare_eflags(cpu, rel);
      fpu.set_c1(c1);
    } else {
      fpu.set_c1(false);
      set_compare_codes(fpu, rel);
    }
    if (ok) pop_as_asked(fpu, op);
    return;
  }
  const Ext80 result = arith(operation, a, b, ctx);
  if (!fpu.raise(ctx.flags)) return;
  fpu.set_c1(ctx.flags & x87::kRoundedUp);
  fpu.set(dest, result);
  pop_as_asked(fpu, op);
}

void execute_load(X86Cpu& cpu, X87Stack& fpu, uint32_t op, uint64_t linear, unsigned mem_index) {
  const auto mem = static_cast<X87MemFormat>((op >> kX87MemShift) & 15);
  const unsigned sti = (op >> kX87StiShift) & 7;
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  Ext80 value;
  bool underflow = false;
  switch (mem) {
    case kX87MemF32:
      value = x87::load_f32(static_cast<uint32_t>(load(cpu, linear, 4, mem_index)), ctx);
      break;
    case kX87MemF64:
      value = x87::load_f64(load(cpu, linear, 8, mem_index), ctx);
      break;
    case kX87MemNone:
      underflow = fpu.empty(sti);
      value = fpu.get(sti);
      break;
    default:
      value = load_operand(cpu, mem, linear, mem_index, ctx);
      break;
  }
  if (underflow) {
    if (fpu.stack_underflow()) fpu.push(x87::kIndefinite);
    return;
  }
  if (!fpu.empty(7)) {
    if (fpu.stack_overflow()) fpu.push(x87::kIndefinite);
    return;
  }
  // A denormal operand is loaded even when DE is unmasked.
  if (!fpu.raise(ctx.flags & ~x87::kDE)) return;
  fpu.raise(ctx.flags & x87::kDE);
  fpu.set_c1(false);
  fpu.push(value);
}

// FST/FSTP (memory or ST(i)), FIST/FISTP, FISTTP, FBSTP.
void execute_store(X86Cpu& cpu, X87Stack& fpu, uint32_t op, uint64_t linear, unsigned mem_index) {
  const auto operation = static_cast<X87Operation>(op & 0xff);
  const auto mem = static_cast<X87MemFormat>((op >> kX87MemShift) & 15);
  const unsigned sti = (op >> kX87StiShift) & 7;
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  const bool empty = fpu.empty(0);
  const Ext80 value = empty ? x87::kIndefinite : fpu.get(0);
  if (mem == kX87MemNone) {  // FST ST(i): a plain copy
    if (empty && !fpu.stack_underflow()) return;
    if (!empty) fpu.set_c1(false);
    fpu.set(sti, value);
    pop_as_asked(fpu, op);
    return;
  }
  uint64_t bits = 0;
  uint8_t bytes[10] = {};
  if (empty) {
    if (!fpu.stack_underflow()) return;
    // Masked: the indefinite of the destination format.
    switch (mem) {
      case kX87MemF32:
        bits = 0xffc00000u;
        break;
      case kX87MemF64:
        bits = 0xfff8000000000000ull;
        break;
      case kX87MemI16:
        bits = 0x8000;
        break;
      case kX87MemI32:
        bits = 0x80000000u;
        break;
      case kX87MemI64:
        bits = 0x8000000000000000ull;
        break;
      case kX87MemBcd:
        bytes[7] = 0xc0;
        bytes[8] = bytes[9] = 0xff;
        break;
      default:
        std::memcpy(bytes, &value.sig, 8);
        std::memcpy(bytes + 8, &value.se, 2);
        break;
    }
  } else {
    switch (mem) {
      case kX87MemF32:
        bits = x87::to_f32(value, ctx);
        break;
      case kX87MemF64:
        bits = x87::to_f64(value, ctx);
        break;
      case kX87MemI16:
      case kX87MemI32:
      case kX87MemI64: {
        const unsigned width = mem == kX87MemI16 ? 16 : mem == kX87MemI32 ? 32 : 64;
        bits = static_cast<uint64_t>(x87::to_int(value, width, operation == kX87Isttp, ctx));
        break;
      }
      case kX87MemBcd:
        x87::to_bcd(value, ctx, bytes);
        break;
      default:
        std::memcpy(bytes, &value.sig, 8);
        std::memcpy(bytes + 8, &value.se, 2);
        break;
    }
    // An unmasked IE, DE, OE or UE leaves memory and the stack unchanged.
    const uint32_t unmasked = ctx.flags & ~cpu.fpu_cw & (x87::kIE | x87::kDE | x87::kOE | x87::kUE);
    if (unmasked) {
      fpu.raise(ctx.flags & ~(x87::kPE | x87::kRoundedUp));
      fpu.set_c1(false);
      return;
    }
  }
  const unsigned size = mem_size(mem);
  if (mem == kX87MemF80 || mem == kX87MemBcd) {
    store_bytes(cpu, linear, size, mem_index, bytes);
  } else {
    store(cpu, linear, size, mem_index, bits);
  }
  if (!empty) {
    fpu.raise(ctx.flags);
    fpu.set_c1(ctx.flags & x87::kRoundedUp);
  }
  pop_as_asked(fpu, op);
}

// One-operand instructions on ST(0) that replace it.
void execute_unary(X86Cpu& cpu, X87Stack& fpu, X87Operation operation) {
  if (fpu.empty(0)) {
    if (fpu.stack_underflow()) fpu.set(0, x87::kIndefinite);
    return;
  }
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  Ext80 v = fpu.get(0);
  switch (operation) {
    case kX87Chs:
      v.se ^= 0x8000;
      break;
    case kX87Abs:
      v.se &= 0x7fff;
      break;
    case kX87Sqrt:
      v = x87::sqrt(v, ctx);
      break;
    default:  // kX87Rndint
      ctx.precision = 64;
      v = x87::round_to_int(v, ctx);
      break;
  }
  if (!fpu.raise(ctx.flags)) return;
  fpu.set_c1(ctx.flags & x87::kRoundedUp);
  fpu.set(0, v);
}

void execute_xam(X87Stack& fpu) {
  const Ext80 v = fpu.get(0);
  fpu.set_c1(v.sign());
  if (fpu.empty(0)) {
    fpu.set_condition(true, false, true);
    return;
  }
  switch (x87::classify(v)) {
    case Class::kUnsupported:
      fpu.set_condition(false, false, false);
      break;
    case Class::kQNaN:
    case Class::kSNaN:
      fpu.set_condition(true, false, false);
      break;
    case Class::kNormal:
      fpu.set_condition(false, true, false);
      break;
    case Class::kInfinity:
      fpu.set_condition(true, true, false);
      break;
    case Class::kZero:
      fpu.set_condition(false, false, true);
      break;
    case Class::kDenormal:
      fpu.set_condition(false, true, true);
      break;
  }
}

void execute_xch(X87Stack& fpu, unsigned sti) {
  if (fpu.empty(0) || fpu.empty(sti)) {
    if (!fpu.stack_underflow()) return;
    if (fpu.empty(0)) fpu.set(0, x87::kIndefinite);
    if (fpu.empty(sti)) fpu.set(sti, x87::kIndefinite);
  } else {
    fpu.set_c1(false);
  }
  const Ext80 a = fpu.get(0), b = fpu.get(sti);
  fpu.set(0, b);
  fpu.set(sti, a);
}

void execute_scale(X86Cpu& cpu, X87Stack& fpu) {
  if (fpu.empty(0) || fpu.empty(1)) {
    if (fpu.stack_underflow()) fpu.set(0, x87::kIndefinite);
    return;
  }
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  const Ext80 r = x87::scale(fpu.get(0), fpu.get(1), ctx);
  if (!fpu.raise(ctx.flags)) return;
  fpu.set_c1(ctx.flags & x87::kRoundedUp);
  fpu.set(0, r);
}

void execute_xtract(X86Cpu& cpu, X87Stack& fpu) {
  if (fpu.empty(0)) {
    if (!fpu.stack_underflow()) return;
    fpu.set(0, x87::kIndefinite);
    fpu.push(x87::kIndefinite);
    return;
  }
  if (!fpu.empty(7)) {
    if (!fpu.stack_overflow()) return;
    fpu.set(0, x87::kIndefinite);
    fpu.push(x87::kIndefinite);
    return;
  }
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  Ext80 exponent, significand;
  x87::extract(fpu.get(0), ctx, &exponent, &significand);
  if (!fpu.raise(ctx.flags)) return;
  fpu.set_c1(false);
  fpu.set(0, exponent);
  fpu.push(significand);
}

// C2 tells an incomplete reduction (C0, C1, C3 then cleared); C0, C3, C1
// get quotient bits 2, 1, 0 of a complete one and are otherwise left alone
// (C1 cleared).
void execute_prem(X86Cpu& cpu, X87Stack& fpu, bool ieee) {
  fpu.set_condition_bit(kFswC2, false);
  if (fpu.empty(0) || fpu.empty(1)) {
    if (fpu.stack_underflow()) fpu.set(0, x87::kIndefinite);
    return;
  }
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  unsigned quotient;
  bool incomplete;
  const Ext80 a = fpu.get(0), b = fpu.get(1);
  const Ext80 r = x87::remainder(a, b, ieee, ctx, &quotient, &incomplete);
  fpu.set_c1(false);
  if (!fpu.raise(ctx.flags & ~x87::kRoundedUp)) return;
  fpu.set(0, r);
  if (incomplete) {
    fpu.set_condition(false, true, false);
    return;
  }
  if (x87::is_nan(a) || x87::is_nan(b) || (ctx.flags & x87::kIE)) return;
  fpu.set_condition(quotient & 4, false, quotient & 2);
  fpu.set_c1(quotient & 1);
}

void execute_tst(X86Cpu& cpu, X87Stack& fpu) {
  if (fpu.empty(0)) {
    fpu.stack_underflow();
    set_compare_codes(fpu, x87::Relation::kUnordered);
    return;
  }
  Context ctx = x87::context_from_cw(cpu.fpu_cw);
  const x87::Relation rel = x87::compare(fpu.get(0), x87::kPosZero, false, ctx);
  fpu.raise(ctx.flags);
  fpu.set_c1(false);
  set_compare_codes(fpu, rel);
}

}  // namespace

void x87_execute(X86Cpu& cpu, uint32_t op, uint64_t linear, unsigned mem_index) {
  X87Stack fpu(cpu);
  const auto operation = static_cast<X87Operation>(op & 0xff);
  const unsigned sti = (op >> kX87StiShift) & 7;
  switch (operation) {
    case kX87Add:
    case kX87Mul:
    case kX87Com:
    case kX87Sub:
    case kX87Subr:
    case kX87Div:
    case kX87Divr:
    case kX87Ucom:
    case kX87Comi:
    case kX87Ucomi:
      execute_binary(cpu, fpu, op, linear, mem_index);
      break;
    case kX87Ld:
      execute_load(cpu, fpu, op, linear, mem_index);
      break;
    case kX87St:
    case kX87Ist:
    case kX87Isttp:
      execute_store(cpu, fpu, op, linear, mem_index);
      break;
    case kX87Const:
      if (!fpu.empty(7)) {
        if (fpu.stack_overflow()) fpu.push(x87::kIndefinite);
      } else {
        fpu.set_c1(false);
        fpu.push(constant(sti, (cpu.fpu_cw >> 10) & 3));
      }
      break;
    case kX87Xch:
      execute_xch(fpu, sti);
      break;
    case kX87Chs:
    case kX87Abs:
    case kX87Sqrt:
    case kX87Rndint:
      execute_unary(cpu, fpu, operation);
      break;
    case kX87Tst:
      execute_tst(cpu, fpu);
      break;
    case kX87Xam:
      execute_xam(fpu);
      break;
    case kX87Scale:
      execute_scale(cpu, fpu);
      break;
    case kX87Xtract:
      execute_xtract(cpu, fpu);
      break;
    case kX87Prem:
    case kX87Prem1:
      execute_prem(cpu, fpu, operation == kX87Prem1);
      break;
    case kX87Incstp:
      fpu.set_c1(false);
      fpu.rotate(1);
      break;
    case kX87Decstp:
      fpu.set_c1(false);
      fpu.rotate(-1);
      break;
    case kX87Free:
      fpu.set_c1(false);
      fpu.free(sti);
      if (op & kX87Pop) fpu.pop();
      break;
    case kX87Cmov:
      if (fpu.empty(0) || fpu.empty(sti)) {
        if (fpu.stack_underflow()) fpu.set(0, x87::kIndefinite);
      } else if (op & kX87CondTrue) {
        fpu.set(0, fpu.get(sti));
      }
      break;
    case kX87Nop:
      break;
    case kX87Sin:
    case kX87Cos:
    case kX87Sincos:
    case kX87Ptan:
    case kX87Patan:
    case kX87F2xm1:
    case kX87Yl2x:
    case kX87Yl2xp1:
      x87::execute_transcendental(cpu, operation);
      break;
    default:
      break;
  }
}

}  // namespace vx86::x86
