// AVX operations that the SSE helpers have no counterpart for: the blends
// with a mask register (VEX "is4"), the permutes with a vector control, and
// VMASKMOVPS/PD, whose loads and stores touch only the selected elements.
// Registers come as xmm_reg numbers, so a 256-bit instruction runs one
// 128-bit lane per call (bits 255:128 are registers 32-47).
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

}  // namespace

VX86_HELPER(avx_lane, helper_avx_lane, tcg::kHelperReadsState | tcg::kHelperWritesState)
VX86_HELPER(avx_maskmov, helper_avx_maskmov,
            tcg::kHelperMayFault | tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
