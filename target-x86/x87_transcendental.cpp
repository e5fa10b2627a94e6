#include "target-x86/x87_transcendental.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "target-x86/fpu_state.h"
#include "target-x86/x87_softfloat.h"
#include "target-x86/x87_stack.h"

namespace vx86::x86::x87 {

namespace {

TranscendentalPath default_path() {
  const char* portable = std::getenv("VX86_X87_PORTABLE");
  if (portable && *portable && *portable != '0') return TranscendentalPath::kPortable;
  return host_transcendentals_available() ? TranscendentalPath::kHost
                                          : TranscendentalPath::kPortable;
}

std::atomic<TranscendentalPath>& path_setting() {
  static std::atomic<TranscendentalPath> path{default_path()};
  return path;
}

#if defined(__x86_64__)

// Runs `insn` on the host x87 loaded from `image` (an FXSAVE64 image) and
// stores the outcome back into it; the host's own x87/SSE state is restored.
#define VX86_HOST_X87(insn, image)                      \
  do {                                                  \
    alignas(16) uint8_t host_state[512];                \
    asm volatile("fxsave64 %0\n\tfxrstor64 %1\n\t" insn \
                 "\n\tfxsave64 %1\n\t"                  \
                 "fninit\n\tfxrstor64 %0"               \
                 : "+m"(host_state), "+m"(*image)       \
                 :                                      \
                 : "memory");                           \
  } while (0)

void run_on_host(CpuState& cpu, X87Operation op) {
  alignas(16) uint8_t image[512];
  fxsave_image(cpu, image, true, 0);
  // The guest's sticky flags stay out of the host run (a pending unmasked
  // exception would trap the host); they are merged back afterwards.
  const uint16_t old_sw = cpu.fpu_sw;
  uint16_t fsw;
  std::memcpy(&fsw, image + 2, 2);
  fsw &= static_cast<uint16_t>(~(kFswExceptions | kFswSF | kFswES | kFswBusy));
  std::memcpy(image + 2, &fsw, 2);
  const uint32_t mxcsr = kMxcsrDefault;
  std::memcpy(image + 24, &mxcsr, 4);
  uint8_t(*p)[512] = &image;
  switch (op) {
    case kX87Sin:
      VX86_HOST_X87("fsin", p);
      break;
    case kX87Cos:
      VX86_HOST_X87("fcos", p);
      break;
    case kX87Sincos:
      VX86_HOST_X87("fsincos", p);
      break;
    case kX87Ptan:
      VX86_HOST_X87("fptan", p);
      break;
    case kX87Patan:
      VX86_HOST_X87("fpatan", p);
      break;
    case kX87F2xm1:
      VX86_HOST_X87("f2xm1", p);
      break;
    case kX87Yl2x:
      VX86_HOST_X87("fyl2x", p);
      break;
    default:
      VX86_HOST_X87("fyl2xp1", p);
      break;
  }
  std::memcpy(&fsw, image + 2, 2);
  cpu.fpu_top = (fsw >> 11) & 7;
  for (unsigned i = 0; i < 8; ++i) {
    Float80& r = cpu.st[(cpu.fpu_top + i) & 7];
    std::memcpy(&r.mantissa, image + 32 + 16 * i, 8);
    std::memcpy(&r.sign_exponent, image + 32 + 16 * i + 8, 2);
  }
  cpu.fpu_tw = fpu_full_tags(cpu, image[4]);
  const uint16_t sticky = (old_sw | fsw) & (kFswExceptions | kFswSF);
  cpu.fpu_sw = static_cast<uint16_t>((fsw & ~(kFswTopMask | kFswExceptions | kFswSF)) | sticky);
  fpu_update_error_summary(cpu);
}

#undef VX86_HOST_X87

#endif

// ---------------------------------------------------------------------------
// Portable path.

long double to_ld(Ext80 v) {
  const int e = v.exp() == 0 ? 1 - 16383 : static_cast<int>(v.exp()) - 16383;
  const long double m = std::ldexp(static_cast<long double>(v.sig), e - 63);
  return v.sign() ? -m : m;
}

// Converts back, rounding toward zero to 64 bits (exact where long double is
// the x87 format). Sets PE (and leaves C1 clear) for inexact results.
Ext80 from_ld(long double x) {
  if (std::isnan(x)) return kIndefinite;
  const bool sign = std::signbit(x);
  if (std::isinf(x)) return infinity(sign);
  if (x == 0) return make_ext(sign, 0, 0);
  int e;
  const long double m = std::frexp(std::fabs(x), &e);  // [0.5, 1)
  const uint64_t sig = static_cast<uint64_t>(std::ldexp(m, 64));
  int biased = e - 1 + 16383;
  if (biased <= 0) {  // denormal result
    const int shift = 1 - biased;
    return make_ext(sign, 0, shift >= 64 ? 0 : sig >> shift);
  }
  if (biased >= 0x7fff) return infinity(sign);
  return make_ext(sign, static_cast<unsigned>(biased), sig);
}

// Marks a computed result inexact unless it is exactly zero/infinity.
Ext80 finish(long double x, Context& ctx) {
  Ext80 r = from_ld(x);
  const Class c = classify(r);
  if (c == Class::kNormal || c == Class::kDenormal) ctx.flags |= kPE;
  if (c == Class::kDenormal) ctx.flags |= kUE;
  return r;
}

// Screens ST(0) for the single-operand instructions. Returns true when the
// outcome is decided (written into *result).
bool screen_one(Ext80 x, Context& ctx, Ext80* result) {
  switch (classify(x)) {
    case Class::kUnsupported:
    case Class::kInfinity:
      ctx.flags |= kIE;
      *result = kIndefinite;
      return true;
    case Class::kQNaN:
    case Class::kSNaN:
      *result = propagate_nan(x, x, ctx);
      return true;
    case Class::kDenormal:
      ctx.flags |= kDE;
      return false;
    default:
      return false;
  }
}

void portable_trig(CpuState& cpu, X87Operation op) {
  X87Stack fpu(cpu);
  const bool pushes = op == kX87Sincos || op == kX87Ptan;
  if (fpu.empty(0)) {
    if (!fpu.stack_underflow()) return;
    fpu.set(0, kIndefinite);
    if (pushes) fpu.push(kIndefinite);
    return;
  }
  if (pushes && !fpu.empty(7)) {
    if (!fpu.stack_overflow()) return;
    fpu.set(0, kIndefinite);
    fpu.push(kIndefinite);
    return;
  }
  Context ctx = context_from_cw(cpu.fpu_cw);
  const Ext80 x = fpu.get(0);
  Ext80 first, second;
  if (screen_one(x, ctx, &first)) {
    second = first;
  } else {
    if (classify(x) != Class::kZero && x.exp() >= 16383 + 63) {  // |x| >= 2^63: out of range
      fpu.set_condition_bit(kFswC2, true);
      return;
    }
    const long double v = to_ld(x);
    if (classify(x) == Class::kZero) {  // sin, tan: the zero itself; cos: +1
      first = op == kX87Sin ? x : kPosOne;
      second = x;
    } else if (op == kX87Sin) {
      first = finish(std::sin(v), ctx);
    } else if (op == kX87Cos) {
      first = finish(std::cos(v), ctx);
    } else if (op == kX87Sincos) {
      first = finish(std::cos(v), ctx);   // ST(0) after the push
      second = finish(std::sin(v), ctx);  // replaces the operand
    } else {
      second = finish(std::tan(v), ctx);
      first = kPosOne;
    }
  }
  if (!fpu.raise(ctx.flags)) return;
  fpu.set_c1(false);
  fpu.set_condition_bit(kFswC2, false);
  if (pushes) {
    fpu.set(0, second);
    fpu.push(first);
  } else {
    fpu.set(0, first);
  }
}

void portable_binary(CpuState& cpu, X87Operation op) {
  X87Stack fpu(cpu);
  if (op == kX87F2xm1) {
    if (fpu.empty(0)) {
      if (fpu.stack_underflow()) fpu.set(0, kIndefinite);
      return;
    }
    Context ctx = context_from_cw(cpu.fpu_cw);
    const Ext80 x = fpu.get(0);
    Ext80 r;
    if (classify(x) == Class::kInfinity) {
      r = x.sign() ? make_ext(true, 0x3fff, 0x8000000000000000ull) : x;
    } else if (!screen_one(x, ctx, &r)) {
      r = classify(x) == Class::kZero ? x : finish(std::expm1(to_ld(x) * std::log(2.0L)), ctx);
    }
    if (!fpu.raise(ctx.flags)) return;
    fpu.set_c1(false);
    fpu.set(0, r);
    return;
  }
  if (fpu.empty(0) || fpu.empty(1)) {
    if (!fpu.stack_underflow()) return;
    fpu.set(1, kIndefinite);
    fpu.pop();
    return;
  }
  Context ctx = context_from_cw(cpu.fpu_cw);
  const Ext80 x = fpu.get(0), y = fpu.get(1);
  const Class cx = classify(x), cy = classify(y);
  Ext80 r;
  if (cx == Class::kUnsupported || cy == Class::kUnsupported) {
    ctx.flags |= kIE;
    r = kIndefinite;
  } else if (is_nan(x) || is_nan(y)) {
    r = propagate_nan(x, y, ctx);
  } else {
    if (cx == Class::kDenormal || cy == Class::kDenormal) ctx.flags |= kDE;
    const long double vx = to_ld(x), vy = to_ld(y);
    if (op == kX87Patan) {
      r = finish(std::atan2(vy, vx), ctx);
      if (cy == Class::kZero || (cy == Class::kInfinity && cx == Class::kInfinity)) {
        r = from_ld(std::atan2(vy, vx));  // exact zero or a rounded multiple of pi
        if (cy != Class::kZero) ctx.flags |= kPE;
      }
    } else if (op == kX87Yl2x) {
      if (x.sign() && cx != Class::kZero) {
        ctx.flags |= kIE;
        r = kIndefinite;
      } else if (cx == Class::kZero) {
        if (cy == Class::kZero) {
          ctx.flags |= kIE;
          r = kIndefinite;
        } else {
          ctx.flags |= kZE;
          r = infinity(!y.sign());
        }
      } else {
        const long double l = std::log2(vx);
        if (std::isinf(vy) && l == 0) {
          ctx.flags |= kIE;
          r = kIndefinite;
        } else {
          r = l == 0 || cy == Class::kZero ? from_ld(vy * l) : finish(vy * l, ctx);
        }
      }
    } else {  // FYL2XP1
      const long double l = std::log1p(vx) / std::log(2.0L);
      if (std::isinf(vy) && cx == Class::kZero) {
        ctx.flags |= kIE;
        r = kIndefinite;
      } else {
        r = cx == Class::kZero || cy == Class::kZero ? from_ld(vy * l) : finish(vy * l, ctx);
      }
    }
  }
  if (!fpu.raise(ctx.flags)) return;
  fpu.set_c1(false);
  fpu.set(1, r);
  fpu.pop();
}

}  // namespace

bool host_transcendentals_available() {
#if defined(__x86_64__)
  return true;
#else
  return false;
#endif
}

void set_transcendental_path(TranscendentalPath path) {
  if (path == TranscendentalPath::kHost && !host_transcendentals_available()) {
    path = TranscendentalPath::kPortable;
  }
  path_setting().store(path);
}

TranscendentalPath transcendental_path() {
  return path_setting().load();
}

void execute_transcendental(CpuState& cpu, X87Operation op) {
#if defined(__x86_64__)
  if (transcendental_path() == TranscendentalPath::kHost) {
    run_on_host(cpu, op);
    return;
  }
#endif
  switch (op) {
    case kX87Sin:
    case kX87Cos:
    case kX87Sincos:
    case kX87Ptan:
      portable_trig(cpu, op);
      break;
    default:
      portable_binary(cpu, op);
      break;
  }
}

}  // namespace vx86::x86::x87
