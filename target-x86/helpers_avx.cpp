// AVX operations that the SSE helpers have no counterpart for: the blends
// with a mask register (VEX "is4"), the permutes with a vector control, and
// VMASKMOVPS/PD, whose loads and stores touch only the selected elements.
// Registers come as xmm_reg numbers, so a 256-bit instruction runs one
// 128-bit lane per call (bits 255:128 are registers 32-47).
#include <algorithm>
#include <cstring>

#include "target-x86/exceptions.h"
#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/x86_cpu.h"
#include "tcg/helper.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;

[[noreturn]] void memory_fault(X86Cpu& cpu) {
  throw tcg::GuestFault{static_cast<uint32_t>(cpu.exception_vector), cpu.exception_error_code};
}

template <typename T, unsigned N>
void get(const XmmReg& r, T (&out)[N]) {
  static_assert(sizeof(T) * N == 16);
  std::memcpy(out, r.q, 16);
}

template <typename T, unsigned N>
XmmReg put(const T (&in)[N]) {
  XmmReg r;
  std::memcpy(r.q, in, 16);
  return r;
}

// dst element = (mask element's top bit) ? b element : a element.
template <typename T>
XmmReg blendv(const XmmReg& a, const XmmReg& b, const XmmReg& mask) {
  constexpr unsigned kCount = 16 / sizeof(T);
  T x[kCount], y[kCount], m[kCount];
  get(a, x), get(b, y), get(mask, m);
  for (unsigned i = 0; i < kCount; ++i) {
    if (m[i] >> (8 * sizeof(T) - 1)) x[i] = y[i];
  }
  return put(x);
}

void helper_avx_lane(CpuState* env, uint32_t mnemonic, uint32_t dst, uint32_t a, uint32_t b,
                     uint32_t c) {
  const XmmReg va = xmm_reg(*env, a), vb = xmm_reg(*env, b), vc = xmm_reg(*env, c);
  XmmReg r{};
  switch (static_cast<M>(mnemonic)) {
    case M::kBlendvps:
      r = blendv<uint32_t>(va, vb, vc);
      break;
    case M::kBlendvpd:
      r = blendv<uint64_t>(va, vb, vc);
      break;
    case M::kPblendvb:
      r = blendv<uint8_t>(va, vb, vc);
      break;
    case M::kVpermilps: {  // each dword of b picks one of a's four by its bits 1:0
      uint32_t x[4], sel[4], out[4];
      get(va, x), get(vb, sel);
      for (unsigned i = 0; i < 4; ++i) out[i] = x[sel[i] & 3];
      r = put(out);
      break;
    }
    case M::kVpermilpd: {  // bit 1 of each qword of b picks one of a's two
      r.q[0] = va.q[(vb.q[0] >> 1) & 1];
      r.q[1] = va.q[(vb.q[1] >> 1) & 1];
      break;
    }
    case M::kVpsllvd:  // each element of a shifted by the count in b's (zero past the width)
    case M::kVpsrlvd:
    case M::kVpsravd: {
      uint32_t x[4], n[4];
      get(va, x), get(vb, n);
      for (unsigned i = 0; i < 4; ++i) {
        const auto m = static_cast<M>(mnemonic);
        if (m == M::kVpsravd) {
          x[i] = static_cast<uint32_t>(static_cast<int32_t>(x[i]) >> (n[i] > 31 ? 31 : n[i]));
        } else if (n[i] > 31) {
          x[i] = 0;
        } else {
          x[i] = m == M::kVpsllvd ? x[i] << n[i] : x[i] >> n[i];
        }
      }
      r = put(x);
      break;
    }
    case M::kVpsllvq:
    case M::kVpsrlvq:
      for (unsigned i = 0; i < 2; ++i) {
        const uint64_t n = vb.q[i];
        r.q[i] = n > 63 ? 0 : static_cast<M>(mnemonic) == M::kVpsllvq ? va.q[i] << n : va.q[i] >> n;
      }
      break;
    default:
      return;
  }
  xmm_reg(*env, dst) = r;
}

void helper_avx_maskmov(CpuState* env, uint64_t linear, uint32_t reg, uint32_t mask_reg,
                        uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  const unsigned mem_index = flags >> 8;
  const unsigned size = (flags & kMaskmovQwords) ? 8 : 4;
  const unsigned lanes = (flags & kMaskmov256) ? 2 : 1;
  const unsigned per_lane = 16 / size;
  uint8_t data[32] = {}, mask[32] = {};
  std::memcpy(data, xmm_reg(cpu, reg).q, 16);
  std::memcpy(mask, xmm_reg(cpu, mask_reg).q, 16);
  if (lanes == 2) {
    std::memcpy(data + 16, xmm_reg(cpu, 32 + reg).q, 16);
    std::memcpy(mask + 16, xmm_reg(cpu, 32 + mask_reg).q, 16);
  }
  uint8_t loaded[32] = {};
  for (unsigned i = 0; i < lanes * per_lane; ++i) {
    if (!(mask[i * size + size - 1] & 0x80)) continue;
    uint64_t v = 0;
    if (flags & kMaskmovStore) {
      std::memcpy(&v, data + i * size, size);
      if (!cpu.mmu.store(linear + i * size, size, mem_index, v)) memory_fault(cpu);
    } else {
      if (!cpu.mmu.load(linear + i * size, size, mem_index, &v)) memory_fault(cpu);
      std::memcpy(loaded + i * size, &v, size);
    }
  }
  if (flags & kMaskmovStore) return;
  std::memcpy(xmm_reg(cpu, reg).q, loaded, 16);
  std::memcpy(xmm_reg(cpu, 32 + reg).q, loaded + 16, 16);
}

// VPERMD/VPERMPS: each dword of the result is the data dword its index
// names. regs: index lanes (bits 7:0, 15:8), data lanes (23:16, 31:24);
// the result goes to dst and dst + 1.
void helper_avx_permd(CpuState* env, uint32_t regs, uint32_t dst) {
  uint32_t index[8], data[8], out[8];
  std::memcpy(index, xmm_reg(*env, regs & 0xff).q, 16);
  std::memcpy(index + 4, xmm_reg(*env, (regs >> 8) & 0xff).q, 16);
  std::memcpy(data, xmm_reg(*env, (regs >> 16) & 0xff).q, 16);
  std::memcpy(data + 4, xmm_reg(*env, regs >> 24).q, 16);
  for (unsigned i = 0; i < 8; ++i) out[i] = data[index[i] & 7];
  std::memcpy(xmm_reg(*env, dst).q, out, 16);
  std::memcpy(xmm_reg(*env, dst + 1).q, out + 4, 16);
}

// Gathers. Element i (of 2, 4 or 8) whose mask element has its top bit set
// is loaded from seg:(offset + index[i] * scale), written to the destination
// and its mask element cleared, in order, so that a fault leaves the
// progress made (the instruction restarts with the rest). At the end the
// whole mask is zero and a 128-bit form zeroes bits 255:128 of both.
void helper_avx_gather(CpuState* env, uint64_t offset, uint32_t regs, uint32_t flags) {
  X86Cpu& cpu = x86_cpu(env);
  const unsigned dst = regs & 0xff, index = (regs >> 8) & 0xff, mask = (regs >> 16) & 0xff;
  const unsigned esize = (flags & kGatherQwordData) ? 8 : 4;
  const unsigned isize = (flags & kGatherQwordIndex) ? 8 : 4;
  const bool wide = flags & kGather256;
  const unsigned scale = 1u << ((flags >> 4) & 3);
  const unsigned address_bits = 16u << ((flags >> 6) & 3);
  const unsigned seg = (flags >> 8) & 7, mem_index = flags >> 12;
  const unsigned count = (wide ? 32 : 16) / std::max(esize, isize);
  const uint64_t address_mask = address_bits >= 64 ? ~0ull : (1ull << address_bits) - 1;
  auto bytes_of = [&](unsigned reg) -> uint8_t* {  // a YMM register's bytes 0-15 or 16-31
    return reinterpret_cast<uint8_t*>(xmm_reg(cpu, reg).q);
  };
  auto element = [&](unsigned reg, unsigned i, unsigned size) -> uint8_t* {
    const unsigned at = i * size;
    return (at < 16 ? bytes_of(reg) : bytes_of(kYmmHighRegs + reg)) + at % 16;
  };
  for (unsigned i = 0; i < count; ++i) {
    uint8_t* m = element(mask, i, esize);
    if (!(m[esize - 1] & 0x80)) continue;
    int64_t idx;
    if (isize == 8) {
      std::memcpy(&idx, element(index, i, 8), 8);
    } else {
      int32_t idx32;
      std::memcpy(&idx32, element(index, i, 4), 4);
      idx = idx32;
    }
    uint64_t linear = (offset + static_cast<uint64_t>(idx) * scale) & address_mask;
    if (seg < kSegCount) linear += cpu.segs[seg].base;
    if (flags & kGatherLinear32) linear &= 0xffffffff;
    uint64_t v;
    if (!cpu.mmu.load(linear, esize, mem_index, &v)) memory_fault(cpu);
    std::memcpy(element(dst, i, esize), &v, esize);
    std::memset(m, 0, esize);
  }
  // The data elements past `count` (dword data with qword indices) and the
  // whole mask are zero; 128-bit forms zero bits 255:128.
  for (unsigned at = count * esize; at < 32; at += esize) {
    std::memset(element(dst, at / esize, esize), 0, esize);
  }
  std::memset(bytes_of(mask), 0, 16);
  std::memset(bytes_of(kYmmHighRegs + mask), 0, 16);
}

}  // namespace

VX86_HELPER(avx_permd, helper_avx_permd, tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(avx_gather, helper_avx_gather,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(avx_lane, helper_avx_lane, tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(avx_maskmov, helper_avx_maskmov,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
