// SSE4.2 string comparisons (PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM) and
// CRC32, portable C++ after the SDM Vol. 2 section 4.1 ("Instructions for
// the SSE4.2 string and text processing").
#include <cstdint>
#include <cstring>

#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/mnemonics.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;

// One operand: n elements (16 bytes or 8 words), signed or not, and how many
// of them are valid.
struct StrOperand {
  int32_t e[16];
  unsigned valid;
};

StrOperand elements(const XmmReg& r, uint32_t imm) {
  StrOperand op{};
  uint8_t bytes[16];
  std::memcpy(bytes, r.q, 16);
  const bool words = imm & 1, is_signed = imm & 2;
  const unsigned n = words ? 8 : 16;
  for (unsigned i = 0; i < n; ++i) {
    if (words) {
      const uint16_t w = static_cast<uint16_t>(bytes[2 * i] | bytes[2 * i + 1] << 8);
      op.e[i] = is_signed ? int32_t{static_cast<int16_t>(w)} : int32_t{w};
    } else {
      op.e[i] = is_signed ? int32_t{static_cast<int8_t>(bytes[i])} : int32_t{bytes[i]};
    }
  }
  return op;
}

// Implicit length: the elements before the first zero.
unsigned implicit_length(const StrOperand& op, unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    if (op.e[i] == 0) return i;
  }
  return n;
}

// Explicit length: |value| saturated to n (value is RAX/RDX, or EAX/EDX as
// a signed 32-bit number).
unsigned explicit_length(uint64_t reg, bool wide, unsigned n) {
  const int64_t v = wide ? static_cast<int64_t>(reg) : int64_t{static_cast<int32_t>(reg)};
  const uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  return magnitude > n ? n : static_cast<unsigned>(magnitude);
}

// IntRes1 of the aggregation imm[3:2]: bit j says element j of b matches.
// a is the first operand (the set, ranges or needle), b the second.
uint32_t aggregate(const StrOperand& a, const StrOperand& b, unsigned n, uint32_t imm) {
  uint32_t res = 0;
  switch ((imm >> 2) & 3) {
    case 0:  // equal any: b[j] is one of the valid a[i]
      for (unsigned j = 0; j < b.valid; ++j) {
        for (unsigned i = 0; i < a.valid; ++i) {
          if (a.e[i] == b.e[j]) {
            res |= 1u << j;
            break;
          }
        }
      }
      break;
    case 1:  // ranges: a[i] <= b[j] <= a[i+1] for a valid pair (i even)
      for (unsigned j = 0; j < b.valid; ++j) {
        for (unsigned i = 0; i + 1 < a.valid; i += 2) {
          if (a.e[i] <= b.e[j] && b.e[j] <= a.e[i + 1]) {
            res |= 1u << j;
            break;
          }
        }
      }
      break;
    case 2:  // equal each: a[j] == b[j]; both invalid counts as equal
      for (unsigned j = 0; j < n; ++j) {
        const bool va = j < a.valid, vb = j < b.valid;
        if (va && vb ? a.e[j] == b.e[j] : !va && !vb) res |= 1u << j;
      }
      break;
    default:  // equal ordered: a (up to its length) occurs in b at j
      for (unsigned j = 0; j < n; ++j) {
        bool match = true;
        for (unsigned i = 0; j + i < n && match; ++i) {
          if (i >= a.valid) break;  // the rest of the needle is past its end
          match = j + i < b.valid && a.e[i] == b.e[j + i];
        }
        if (match) res |= 1u << j;
      }
      break;
  }
  return res;
}

constexpr uint32_t kStrWide = 0x100;  // REX.W: RAX/RDX lengths

// (mnemonic, first operand xmm, second operand lo/hi, imm8 | kStrWide) ->
// arithmetic flags; writes ECX (index forms) or XMM0 (mask forms).
uint32_t helper_sse_pcmpstr(CpuState* env, uint32_t mnemonic, uint32_t src1, uint64_t lo,
                            uint64_t hi, uint32_t imm) {
  const M m = static_cast<M>(mnemonic);
  const unsigned n = (imm & 1) ? 8 : 16;
  StrOperand a = elements(xmm_reg(*env, src1), imm);
  StrOperand b = elements(XmmReg{{lo, hi}}, imm);
  if (m == M::kPcmpestri || m == M::kPcmpestrm) {
    a.valid = explicit_length(env->regs[kRAX], imm & kStrWide, n);
    b.valid = explicit_length(env->regs[kRDX], imm & kStrWide, n);
  } else {
    a.valid = implicit_length(a, n);
    b.valid = implicit_length(b, n);
  }
  const uint32_t all = (1u << n) - 1;
  uint32_t res = aggregate(a, b, n, imm);
  switch ((imm >> 4) & 3) {
    case 1:  // negative
      res ^= all;
      break;
    case 3:  // masked negative: only where b is valid
      res ^= (1u << b.valid) - 1;
      break;
    default:
      break;
  }
  if (m == M::kPcmpestri || m == M::kPcmpistri) {
    unsigned index = n;
    if (res)
      index = (imm & 0x40) ? 31 - static_cast<unsigned>(__builtin_clz(res))
                           : static_cast<unsigned>(__builtin_ctz(res));
    env->regs[kRCX] = index;
  } else {
    XmmReg mask{{0, 0}};
    if (imm & 0x40) {  // one element of all ones per set bit
      uint8_t bytes[16] = {};
      const unsigned width = 16 / n;
      for (unsigned i = 0; i < n; ++i) {
        if ((res >> i) & 1) std::memset(bytes + width * i, 0xff, width);
      }
      std::memcpy(mask.q, bytes, 16);
    } else {
      mask.q[0] = res;
    }
    env->xmm[0] = mask;
  }
  return (res ? kFlagCF : 0) | (b.valid < n ? kFlagZF : 0) | (a.valid < n ? kFlagSF : 0) |
         ((res & 1) ? kFlagOF : 0);
}

// CRC32: the reflected CRC-32C (polynomial 0x1EDC6F41) of `size` bytes of
// value, little-endian, continuing from acc; no final inversion.
uint64_t helper_crc32(CpuState*, uint64_t acc, uint64_t value, uint32_t size) {
  uint32_t crc = static_cast<uint32_t>(acc);
  for (unsigned i = 0; i < size; ++i) {
    crc ^= static_cast<uint8_t>(value >> (8 * i));
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
  }
  return crc;
}

}  // namespace

VX86_HELPER(sse_pcmpstr, helper_sse_pcmpstr, tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(crc32, helper_crc32, tcg::kHelperNoSideEffects)

}  // namespace vx86::x86
