#include "target-x86/x87_env.h"

#include <cstring>

#include "target-x86/fpu_state.h"

namespace vx86::x86 {

namespace {

void put16(uint8_t* p, unsigned off, uint32_t v) {
  p[off] = static_cast<uint8_t>(v);
  p[off + 1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* p, unsigned off, uint32_t v) {
  put16(p, off, v & 0xffff);
  put16(p, off + 2, v >> 16);
}
uint32_t get16(const uint8_t* p, unsigned off) {
  return p[off] | (uint32_t{p[off + 1]} << 8);
}
uint32_t get32(const uint8_t* p, unsigned off) {
  return get16(p, off) | (get16(p, off + 2) << 16);
}

// Tags as FNSTENV reports them: recomputed from the contents (empty kept).
uint16_t reported_tags(const CpuState& cpu) {
  return fpu_full_tags(cpu, fpu_abridged_tags(cpu));
}

}  // namespace

void x87_store_env(const CpuState& cpu, uint32_t format, uint8_t* out) {
  const bool real = format & kX87EnvReal;
  const uint32_t fop = cpu.fpu_opcode & 0x7ff;
  const uint32_t ip = real ? static_cast<uint32_t>(cpu.fpu_cs * 16u + cpu.fpu_ip)
                           : static_cast<uint32_t>(cpu.fpu_ip);
  const uint32_t dp = real ? static_cast<uint32_t>(cpu.fpu_ds * 16u + cpu.fpu_dp)
                           : static_cast<uint32_t>(cpu.fpu_dp);
  if (format & kX87Env16) {
    put16(out, 0, cpu.fpu_cw);
    put16(out, 2, fpu_status_word(cpu));
    put16(out, 4, reported_tags(cpu));
    put16(out, 6, ip & 0xffff);
    put16(out, 8, real ? (fop | ((ip >> 16) & 0xf) << 12) : cpu.fpu_cs);
    put16(out, 10, dp & 0xffff);
    put16(out, 12, real ? ((dp >> 16) & 0xf) << 12 : cpu.fpu_ds);
    return;
  }
  // Reserved upper halves read back as FFFF, as hardware stores them.
  put32(out, 0, 0xffff0000u | cpu.fpu_cw);
  put32(out, 4, 0xffff0000u | fpu_status_word(cpu));
  put32(out, 8, 0xffff0000u | reported_tags(cpu));
  if (real) {
    put32(out, 12, 0xffff0000u | (ip & 0xffff));
    put32(out, 16, fop | ((ip >> 16) << 12));
    put32(out, 20, 0xffff0000u | (dp & 0xffff));
    put32(out, 24, (dp >> 16) << 12);
  } else {
    put32(out, 12, ip);
    put32(out, 16, cpu.fpu_cs | (fop << 16));
    put32(out, 20, dp);
    put32(out, 24, 0xffff0000u | cpu.fpu_ds);
  }
}

void x87_load_env(CpuState& cpu, uint32_t format, const uint8_t* in) {
  const bool real = format & kX87EnvReal;
  uint32_t cw, sw, tw, ip, dp, fop = cpu.fpu_opcode, cs = 0, ds = 0;
  if (format & kX87Env16) {
    cw = get16(in, 0);
    sw = get16(in, 2);
    tw = get16(in, 4);
    ip = get16(in, 6);
    dp = get16(in, 10);
    if (real) {
      fop = get16(in, 8) & 0x7ff;
      ip |= (get16(in, 8) >> 12) << 16;
      dp |= (get16(in, 12) >> 12) << 16;
    } else {
      cs = get16(in, 8);
      ds = get16(in, 12);
    }
  } else {
    cw = get16(in, 0);
    sw = get16(in, 4);
    tw = get16(in, 8);
    if (real) {
      ip = get16(in, 12) | ((get32(in, 16) >> 12) & 0xffff) << 16;
      fop = get32(in, 16) & 0x7ff;
      dp = get16(in, 20) | ((get32(in, 24) >> 12) & 0xffff) << 16;
    } else {
      ip = get32(in, 12);
      cs = get16(in, 16);
      fop = (get32(in, 16) >> 16) & 0x7ff;
      dp = get32(in, 20);
      ds = get16(in, 24);
    }
  }
  cpu.fpu_top = (sw >> 11) & 7;
  cpu.fpu_sw = static_cast<uint16_t>(sw & ~kFswTopMask);
  cpu.fpu_tw = static_cast<uint16_t>(tw);
  cpu.fpu_ip = ip;
  cpu.fpu_dp = dp;
  cpu.fpu_cs = static_cast<uint16_t>(cs);
  cpu.fpu_ds = static_cast<uint16_t>(ds);
  cpu.fpu_opcode = static_cast<uint16_t>(fop);
  fpu_set_control_word(cpu, static_cast<uint16_t>(cw));
}

void x87_store_state(const CpuState& cpu, uint32_t format, uint8_t* out) {
  x87_store_env(cpu, format, out);
  uint8_t* regs = out + x87_env_size(format);
  for (unsigned i = 0; i < 8; ++i) {
    const Float80& r = cpu.st[(cpu.fpu_top + i) & 7];
    std::memcpy(regs + 10 * i, &r.mantissa, 8);
    std::memcpy(regs + 10 * i + 8, &r.sign_exponent, 2);
  }
}

void x87_load_state(CpuState& cpu, uint32_t format, const uint8_t* in) {
  x87_load_env(cpu, format, in);
  const uint8_t* regs = in + x87_env_size(format);
  for (unsigned i = 0; i < 8; ++i) {
    Float80& r = cpu.st[(cpu.fpu_top + i) & 7];
    std::memcpy(&r.mantissa, regs + 10 * i, 8);
    std::memcpy(&r.sign_exponent, regs + 10 * i + 8, 2);
  }
}

}  // namespace vx86::x86
