#include "target-x86/fpu_state.h"

#include <cstring>

namespace vx86::x86 {

namespace {

template <typename T>
void put(uint8_t* image, unsigned offset, T value) {
  std::memcpy(image + offset, &value, sizeof(T));
}

template <typename T>
T get(const uint8_t* image, unsigned offset) {
  T value;
  std::memcpy(&value, image + offset, sizeof(T));
  return value;
}

constexpr unsigned kOffFcw = 0, kOffFsw = 2, kOffFtw = 4, kOffFop = 6, kOffFip = 8, kOffFcs = 12,
                   kOffFdp = 16, kOffFds = 20, kOffMxcsr = 24, kOffMxcsrMask = 28, kOffSt = 32,
                   kOffXmm = 160;

}  // namespace

void fpu_init(CpuState& cpu) {
  cpu.fpu_cw = 0x037f;
  cpu.fpu_sw = 0;
  cpu.fpu_top = 0;
  cpu.fpu_tw = 0xffff;
  cpu.fpu_opcode = 0;
  cpu.fpu_ip = 0;
  cpu.fpu_dp = 0;
  cpu.fpu_cs = 0;
  cpu.fpu_ds = 0;
}

void fpu_update_error_summary(CpuState& cpu) {
  const bool pending = (cpu.fpu_sw & ~cpu.fpu_cw & kFswExceptions) != 0;
  cpu.fpu_sw = static_cast<uint16_t>((cpu.fpu_sw & ~(kFswES | kFswBusy)) |
                                     (pending ? (kFswES | kFswBusy) : 0));
}

void fpu_set_control_word(CpuState& cpu, uint16_t cw) {
  cpu.fpu_cw = static_cast<uint16_t>((cw & 0x1f3f) | 0x40);
  fpu_update_error_summary(cpu);
}

uint16_t fpu_status_word(const CpuState& cpu) {
  return static_cast<uint16_t>((cpu.fpu_sw & ~kFswTopMask) | ((cpu.fpu_top & 7) << 11));
}

unsigned fpu_tag_from_value(const Float80& value) {
  const unsigned exponent = value.sign_exponent & 0x7fff;
  if (exponent == 0x7fff) return 2;                       // infinity, NaN
  if (exponent == 0) return value.mantissa == 0 ? 1 : 2;  // zero / denormal
  return (value.mantissa >> 63) ? 0 : 2;                  // valid / unnormal
}

uint8_t fpu_abridged_tags(const CpuState& cpu) {
  uint8_t tags = 0;
  for (unsigned i = 0; i < 8; ++i) {
    if (((cpu.fpu_tw >> (2 * i)) & 3) != 3) tags |= 1u << i;
  }
  return tags;
}

uint16_t fpu_full_tags(const CpuState& cpu, uint8_t abridged) {
  uint16_t tw = 0;
  for (unsigned i = 0; i < 8; ++i) {
    unsigned tag = (abridged >> i) & 1 ? fpu_tag_from_value(cpu.st[i]) : 3;
    tw |= static_cast<uint16_t>(tag << (2 * i));
  }
  return tw;
}

void fxsave_image(const CpuState& cpu, uint8_t image[512], bool rex_w, unsigned num_xmm) {
  // Bytes 416..511 (464..511 are software's) are left as they are in memory;
  // the caller passes the current contents in.
  std::memset(image, 0, 416);
  put<uint16_t>(image, kOffFcw, cpu.fpu_cw);
  put<uint16_t>(image, kOffFsw, fpu_status_word(cpu));
  put<uint8_t>(image, kOffFtw, fpu_abridged_tags(cpu));
  put<uint16_t>(image, kOffFop, cpu.fpu_opcode & 0x7ff);
  if (rex_w) {
    put<uint64_t>(image, kOffFip, cpu.fpu_ip);
    put<uint64_t>(image, kOffFdp, cpu.fpu_dp);
  } else {
    put<uint32_t>(image, kOffFip, static_cast<uint32_t>(cpu.fpu_ip));
    put<uint16_t>(image, kOffFcs, cpu.fpu_cs);
    put<uint32_t>(image, kOffFdp, static_cast<uint32_t>(cpu.fpu_dp));
    put<uint16_t>(image, kOffFds, cpu.fpu_ds);
  }
  put<uint32_t>(image, kOffMxcsr, cpu.mxcsr);
  put<uint32_t>(image, kOffMxcsrMask, kMxcsrWritable);
  for (unsigned i = 0; i < 8; ++i) {  // ST(i) in stack order
    const Float80& r = cpu.st[(cpu.fpu_top + i) & 7];
    put<uint64_t>(image, kOffSt + 16 * i, r.mantissa);
    put<uint16_t>(image, kOffSt + 16 * i + 8, r.sign_exponent);
  }
  for (unsigned i = 0; i < num_xmm; ++i) {
    put<uint64_t>(image, kOffXmm + 16 * i, cpu.xmm[i].q[0]);
    put<uint64_t>(image, kOffXmm + 16 * i + 8, cpu.xmm[i].q[1]);
  }
}

bool fxrstor_image_valid(const uint8_t image[512]) {
  return (get<uint32_t>(image, kOffMxcsr) & ~kMxcsrWritable) == 0;
}

void fxrstor_image(CpuState& cpu, const uint8_t image[512], bool rex_w, unsigned num_xmm) {
  const uint16_t fsw = get<uint16_t>(image, kOffFsw);
  cpu.fpu_top = (fsw >> 11) & 7;
  cpu.fpu_sw = fsw & ~kFswTopMask;
  fpu_set_control_word(cpu, get<uint16_t>(image, kOffFcw));
  cpu.fpu_opcode = get<uint16_t>(image, kOffFop) & 0x7ff;
  if (rex_w) {
    cpu.fpu_ip = get<uint64_t>(image, kOffFip);
    cpu.fpu_dp = get<uint64_t>(image, kOffFdp);
    cpu.fpu_cs = 0;
    cpu.fpu_ds = 0;
  } else {
    cpu.fpu_ip = get<uint32_t>(image, kOffFip);
    cpu.fpu_cs = get<uint16_t>(image, kOffFcs);
    cpu.fpu_dp = get<uint32_t>(image, kOffFdp);
    cpu.fpu_ds = get<uint16_t>(image, kOffFds);
  }
  cpu.mxcsr = get<uint32_t>(image, kOffMxcsr);
  for (unsigned i = 0; i < 8; ++i) {
    Float80& r = cpu.st[(cpu.fpu_top + i) & 7];
    r.mantissa = get<uint64_t>(image, kOffSt + 16 * i);
    r.sign_exponent = get<uint16_t>(image, kOffSt + 16 * i + 8);
  }
  // Tags follow the restored contents (physical register order).
  cpu.fpu_tw = fpu_full_tags(cpu, get<uint8_t>(image, kOffFtw));
  for (unsigned i = 0; i < num_xmm; ++i) {
    cpu.xmm[i].q[0] = get<uint64_t>(image, kOffXmm + 16 * i);
    cpu.xmm[i].q[1] = get<uint64_t>(image, kOffXmm + 16 * i + 8);
  }
}

}  // namespace vx86::x86
