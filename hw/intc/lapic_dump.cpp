#include "hw/intc/lapic_dump.h"

#include <cstdio>

namespace vx86 {

namespace {

constexpr uint32_t kLvtMasked = 1u << 16;

std::string format(const char* fmt, auto... args) {
  char line[160];
  std::snprintf(line, sizeof(line), fmt, args...);
  return line;
}

const char* delivery_mode(uint32_t lvt) {
  switch ((lvt >> 8) & 7) {
    case 0:
      return "Fixed ";
    case 2:
      return "SMI   ";
    case 4:
      return "NMI   ";
    case 5:
      return "INIT  ";
    case 7:
      return "ExtINT";
    default:
      return "(rsvd)";
  }
}

// One LVT entry: polarity and trigger (LINT0/1 only), remote IRR, mask,
// the timer's mode (timer only), delivery mode and vector.
std::string describe_lvt(const char* name, uint32_t lvt, bool is_lint, bool is_timer) {
  static const char* const kTimerModes[] = {"one-shot", "periodic", "tsc-deadline", "(rsvd)"};
  std::string out =
      format("%-8s 0x%08x %s %s %s %s %-12s ", name, lvt,
             is_lint && (lvt & (1u << 13)) ? "active-lo" : "active-hi",
             is_lint && (lvt & (1u << 15)) ? "level" : "edge ",
             is_lint && (lvt & (1u << 14)) ? "rirr" : "    ",
             lvt & kLvtMasked ? "masked" : "      ", is_timer ? kTimerModes[(lvt >> 17) & 3] : "");
  const uint32_t mode = (lvt >> 8) & 7;
  if (mode == 0 || mode == 7)
    out += format("%s (vec %u)\n", delivery_mode(lvt), lvt & 0xff);
  else
    out += format("%s\n", delivery_mode(lvt));
  return out;
}

// The vectors set in a 256-bit register (8 registers 0x10 apart from base).
std::string vector_list(const ApicRegisterReader& reg, uint32_t base) {
  std::string out;
  for (uint32_t i = 0; i < 8; ++i) {
    const uint32_t bits = reg(base + 0x10 * i);
    for (uint32_t b = 0; b < 32; ++b) {
      if (bits & (1u << b)) out += format(" %u", i * 32 + b);
    }
  }
  return out.empty() ? " (none)" : out;
}

}  // namespace

std::string describe_local_apic_registers(unsigned cpu_index, const ApicRegisterReader& reg) {
  std::string out = format("dumping local APIC state for CPU %u\n\n", cpu_index);
  out += describe_lvt("LVT0", reg(0x350), true, false);
  out += describe_lvt("LVT1", reg(0x360), true, false);
  out += describe_lvt("LVTPC", reg(0x340), false, false);
  out += describe_lvt("LVTERR", reg(0x370), false, false);
  out += describe_lvt("LVTTHMR", reg(0x330), false, false);
  out += describe_lvt("LVTT", reg(0x320), false, true);
  const uint32_t dcr = reg(0x3e0);
  const uint32_t divide_code = (dcr & 3) | ((dcr >> 1) & 4);
  out += format("%-8s DCR=0x%x (divide by %u) initial_count = %u current_count = %u\n", "Timer",
                dcr, 1u << ((divide_code + 1) & 7), reg(0x380), reg(0x390));
  const uint32_t svr = reg(0xf0);
  out += format("%-8s 0x%08x APIC %s, focus=%s, spurious vec %u\n", "SPIV", svr,
                svr & 0x100 ? "enabled" : "disabled", svr & 0x200 ? "off" : "on", svr & 0xff);
  const uint32_t icr = reg(0x300);
  static const char* const kShorthands[] = {"no-shorthand", "self", "all-self", "all"};
  out += format("%-8s 0x%08x %s %s %s %s\n", "ICR", icr, icr & (1u << 11) ? "logical" : "physical",
                icr & (1u << 15) ? "level" : "edge", icr & (1u << 14) ? "assert" : "de-assert",
                kShorthands[(icr >> 18) & 3]);
  const uint32_t icr2 = reg(0x310);
  out += format("%-8s 0x%08x destination %u\n", "ICR2", icr2, icr2 >> 24);
  out += format("%-8s 0x%08x\n", "ESR", reg(0x280));
  out += "ISR     " + vector_list(reg, 0x100) + "\n";
  out += "IRR     " + vector_list(reg, 0x200) + "\n";
  out += "TMR     " + vector_list(reg, 0x180) + "\n";
  out += format("\nID 0x%08x APR 0x%02x TPR 0x%02x DFR 0x%02x LDR 0x%02x PPR 0x%02x\n", reg(0x20),
                reg(0x90), reg(0x80), reg(0xe0) >> 28, reg(0xd0) >> 24, reg(0xa0));
  return out;
}

}  // namespace vx86
