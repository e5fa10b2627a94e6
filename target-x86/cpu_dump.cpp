#include "target-x86/cpu_dump.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "target-x86/fpu_state.h"

namespace vx86 {

namespace {

void append(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));

void append(std::string& out, const char* format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  out += line;
}

// The descriptor's second dword, bits 8..23, as QEMU keeps it: vx86's attrs
// with the limit's bits 19:16 put back (they follow from the expanded limit).
uint32_t descriptor_flags(const SegmentCache& seg) {
  const uint32_t raw_limit = (seg.attrs & kSegAttrG) ? seg.limit >> 12 : seg.limit;
  return (uint32_t{seg.attrs} << 8 & 0x00f0ff00) | (raw_limit & 0xf0000);
}

void dump_segment(std::string& out, const CpuState& cpu, const char* name,
                  const SegmentCache& seg) {
  const uint32_t flags = descriptor_flags(seg);
  if (cpu.hflags & kHfCs64) {
    append(out, "%-3s=%04x %016" PRIx64 " %08x %08x", name, seg.selector, seg.base, seg.limit,
           flags);
  } else {
    append(out, "%-3s=%04x %08x %08x %08x", name, seg.selector, static_cast<uint32_t>(seg.base),
           seg.limit, flags);
  }
  if ((cpu.hflags & kHfPe) && (seg.attrs & kSegAttrPresent)) {
    append(out, " DPL=%d ", (seg.attrs >> kSegAttrDplShift) & 3);
    if (seg.attrs & kSegAttrS) {
      const bool code = seg.attrs & kSegAttrCode;
      if (code) {
        out += (seg.attrs & kSegAttrL) ? "CS64" : (seg.attrs & kSegAttrDB) ? "CS32" : "CS16";
      } else {
        out += ((seg.attrs & kSegAttrDB) || (cpu.hflags & kHfLma)) ? "DS  " : "DS16";
      }
      // Conforming/expand-down, readable/writable, accessed.
      append(out, " [%c%c%c]", (seg.attrs & 4) ? (code ? 'C' : 'E') : '-',
             (seg.attrs & kSegAttrWritable) ? (code ? 'R' : 'W') : '-',
             (seg.attrs & kSegAttrAccessed) ? 'A' : '-');
    } else {
      static const char* const kLegacyTypes[16] = {
          "Reserved",   "TSS16-avl",  "LDT",       "TSS16-busy", "CallGate16", "TaskGate",
          "IntGate16",  "TrapGate16", "Reserved",  "TSS32-avl",  "Reserved",   "TSS32-busy",
          "CallGate32", "Reserved",   "IntGate32", "TrapGate32"};
      static const char* const kLongTypes[16] = {
          "<hiword>",   "Reserved", "LDT",       "Reserved",  "Reserved", "Reserved",
          "Reserved",   "Reserved", "Reserved",  "TSS64-avl", "Reserved", "TSS64-busy",
          "CallGate64", "Reserved", "IntGate64", "TrapGate64"};
      out += ((cpu.hflags & kHfLma) ? kLongTypes : kLegacyTypes)[seg.attrs & 0xf];
    }
  }
  out += "\n";
}

}  // namespace

std::string dump_cpu_registers(const CpuState& cpu) {
  std::string out;
  const uint32_t eflags = compute_eflags(cpu);
  const bool code64 = cpu.hflags & kHfCs64;
  const uint64_t* r = cpu.regs;
  char flag_letters[8];
  std::snprintf(flag_letters, sizeof(flag_letters), "%c%c%c%c%c%c%c",
                (eflags & kFlagDF) ? 'D' : '-', (eflags & kFlagOF) ? 'O' : '-',
                (eflags & kFlagSF) ? 'S' : '-', (eflags & kFlagZF) ? 'Z' : '-',
                (eflags & kFlagAF) ? 'A' : '-', (eflags & kFlagPF) ? 'P' : '-',
                (eflags & kFlagCF) ? 'C' : '-');
  const unsigned inhibit = (cpu.hflags & kHfInhibitIrq) ? 1 : 0;
  const unsigned a20 = (cpu.a20_mask >> 20) & 1;
  const unsigned smm = (cpu.hflags & kHfSmm) ? 1 : 0;
  if (code64) {
    append(out, "RAX=%016" PRIx64 " RBX=%016" PRIx64 " RCX=%016" PRIx64 " RDX=%016" PRIx64 "\n",
           r[kRAX], r[kRBX], r[kRCX], r[kRDX]);
    append(out, "RSI=%016" PRIx64 " RDI=%016" PRIx64 " RBP=%016" PRIx64 " RSP=%016" PRIx64 "\n",
           r[kRSI], r[kRDI], r[kRBP], r[kRSP]);
    append(out, "R8 =%016" PRIx64 " R9 =%016" PRIx64 " R10=%016" PRIx64 " R11=%016" PRIx64 "\n",
           r[kR8], r[kR9], r[kR10], r[kR11]);
    append(out, "R12=%016" PRIx64 " R13=%016" PRIx64 " R14=%016" PRIx64 " R15=%016" PRIx64 "\n",
           r[kR12], r[kR13], r[kR14], r[kR15]);
    append(out, "RIP=%016" PRIx64 " RFL=%08x [%s] CPL=%u II=%u A20=%u SMM=%u HLT=%u\n", cpu.rip,
           eflags, flag_letters, cpl(cpu), inhibit, a20, smm, cpu.halted ? 1u : 0u);
  } else {
    auto low = [&](int i) { return static_cast<uint32_t>(r[i]); };
    append(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", low(kRAX), low(kRBX), low(kRCX),
           low(kRDX));
    append(out, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", low(kRSI), low(kRDI), low(kRBP),
           low(kRSP));
    append(out, "EIP=%08x EFL=%08x [%s] CPL=%u II=%u A20=%u SMM=%u HLT=%u\n",
           static_cast<uint32_t>(cpu.rip), eflags, flag_letters, cpl(cpu), inhibit, a20, smm,
           cpu.halted ? 1u : 0u);
  }
  static const char* const kSegNames[kSegCount] = {"ES", "CS", "SS", "DS", "FS", "GS"};
  for (int i = 0; i < kSegCount; ++i) dump_segment(out, cpu, kSegNames[i], cpu.segs[i]);
  dump_segment(out, cpu, "LDT", cpu.ldtr);
  dump_segment(out, cpu, "TR", cpu.tr);
  if (cpu.hflags & kHfLma) {
    append(out, "GDT=     %016" PRIx64 " %08x\n", cpu.gdtr.base, cpu.gdtr.limit);
    append(out, "IDT=     %016" PRIx64 " %08x\n", cpu.idtr.base, cpu.idtr.limit);
    append(out, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
           static_cast<uint32_t>(cpu.cr0), cpu.cr2, cpu.cr3, static_cast<uint32_t>(cpu.cr4));
  } else {
    append(out, "GDT=     %08x %08x\n", static_cast<uint32_t>(cpu.gdtr.base), cpu.gdtr.limit);
    append(out, "IDT=     %08x %08x\n", static_cast<uint32_t>(cpu.idtr.base), cpu.idtr.limit);
    append(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", static_cast<uint32_t>(cpu.cr0),
           static_cast<uint32_t>(cpu.cr2), static_cast<uint32_t>(cpu.cr3),
           static_cast<uint32_t>(cpu.cr4));
  }
  // qemu-system-x86_64 prints the debug registers at 64 bits in every mode.
  for (int i = 0; i < 4; ++i) append(out, "DR%d=%016" PRIx64 " ", i, cpu.dr[i]);
  append(out, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", cpu.dr[6], cpu.dr[7]);
  append(out, "EFER=%016" PRIx64 "\n", cpu.efer);
  const unsigned top = cpu.fpu_top & 7;
  append(out, "FCW=%04x FSW=%04x [ST=%u] FTW=%02x MXCSR=%08x\n", cpu.fpu_cw,
         (cpu.fpu_sw & ~0x3800u) | top << 11, top, x86::fpu_abridged_tags(cpu), cpu.mxcsr);
  for (int i = 0; i < 8; ++i) {
    append(out, "FPR%d=%016" PRIx64 " %04x%s", i, cpu.st[i].mantissa, cpu.st[i].sign_exponent,
           (i & 1) ? "\n" : " ");
  }
  const int xmm_count = code64 ? 16 : 8;
  // With AVX on in XCR0 the whole YMM registers, one per line, as QEMU.
  constexpr uint64_t kXcr0SseAvx = 6;
  const bool ymm = (cpu.xcr0 & kXcr0SseAvx) == kXcr0SseAvx;
  for (int i = 0; i < xmm_count; ++i) {
    if (ymm) {
      append(out, "YMM%02d=%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", i,
             cpu.ymmh[i].q[1], cpu.ymmh[i].q[0], cpu.xmm[i].q[1], cpu.xmm[i].q[0]);
    } else {
      append(out, "XMM%02d=%016" PRIx64 " %016" PRIx64 "%s", i, cpu.xmm[i].q[1], cpu.xmm[i].q[0],
             (i & 1) ? "\n" : " ");
    }
  }
  return out;
}

std::optional<uint64_t> monitor_register(const CpuState& cpu, const std::string& name) {
  static const char* const kGeneral[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  for (int i = 0; i < 8; ++i) {
    if (name == kGeneral[i]) return cpu.regs[i];
  }
  if (name == "sp") return cpu.regs[kRSP];
  if (name == "fp") return cpu.regs[kRBP];
  if (name == "eip") return cpu.rip;
  if (name == "pc") return cpu.segs[kSegCS].base + cpu.rip;
  if (name == "eflags") return compute_eflags(cpu);
  static const char* const kSegNames[kSegCount] = {"es", "cs", "ss", "ds", "fs", "gs"};
  for (int i = 0; i < kSegCount; ++i) {
    const std::string seg = kSegNames[i];
    if (name == seg) return cpu.segs[i].selector;
    if (name == seg + ".base") return cpu.segs[i].base;
    if (name == seg + ".limit") return cpu.segs[i].limit;
  }
  return std::nullopt;
}

}  // namespace vx86
