#include "target-x86/gdb_registers.h"

#include <array>
#include <cstring>

#include "target-x86/fpu_state.h"

namespace vx86::x86 {

namespace {

// gdb numbers registers in the order the description lists them; the 'g'
// packet is that order too. Features: core (0-39), sse (40-56), segments
// (57-58), vx86's own system registers (59-69), and avx (70-85: the upper
// YMM halves, from which gdb makes $ymm0-15).
enum GdbReg : unsigned {
  kGdbRax = 0,  // 16 GPRs in gdb's order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15
  kGdbRip = 16,
  kGdbEflags = 17,
  kGdbCs = 18,  // cs ss ds es fs gs
  kGdbSt0 = 24,
  kGdbFctrl = 32,  // fctrl fstat ftag fiseg fioff foseg fooff fop
  kGdbXmm0 = 40,
  kGdbMxcsr = 56,
  kGdbFsBase = 57,
  kGdbGsBase = 58,
  kGdbKernelGsBase = 59,
  kGdbCr0 = 60,  // cr0 cr2 cr3 cr4 cr8
  kGdbEfer = 65,
  kGdbGdtrBase = 66,  // gdtr_base gdtr_limit idtr_base idtr_limit
  kGdbYmm0h = 70,
  kGdbRegCount = 86,
};

// CpuState's register index for each of gdb's first 16.
constexpr std::array<int, 16> kGprIndex = {kRAX, kRBX, kRCX, kRDX, kRSI, kRDI, kRBP, kRSP,
                                           8,    9,    10,   11,   12,   13,   14,   15};
constexpr std::array<int, 6> kSegIndex = {kSegCS, kSegSS, kSegDS, kSegES, kSegFS, kSegGS};

unsigned register_size(unsigned n) {
  if (n <= kGdbRip) return 8;  // GPRs, rip
  if (n < kGdbSt0) return 4;   // eflags, segment selectors
  if (n < kGdbFctrl) return 10;
  if (n < kGdbXmm0) return 4;
  if (n < kGdbMxcsr) return 16;
  if (n == kGdbMxcsr) return 4;
  if (n < kGdbYmm0h) return 8;
  if (n < kGdbRegCount) return 16;
  return 0;
}

template <typename T>
void put(std::vector<uint8_t>* out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the host is little-endian, as x86
  out->insert(out->end(), bytes, bytes + sizeof(T));
}

template <typename T>
T get(const uint8_t* data) {
  T value;
  std::memcpy(&value, data, sizeof(T));
  return value;
}

// cr0 cr2 cr3 cr4 cr8 for gdb's registers kGdbCr0..kGdbCr0+4.
template <typename State>
auto* control_register(State& cpu, unsigned n) {
  switch (n - kGdbCr0) {
    case 0:
      return &cpu.cr0;
    case 1:
      return &cpu.cr2;
    case 2:
      return &cpu.cr3;
    case 3:
      return &cpu.cr4;
    default:
      return &cpu.cr8;
  }
}

std::string build_target_xml() {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n"
      "<architecture>i386:x86-64</architecture>\n"
      "<feature name=\"org.gnu.gdb.i386.core\">\n"
      "<flags id=\"i386_eflags\" size=\"4\">\n";
  static const std::pair<const char*, int> kEflags[] = {
      {"CF", 0},  {"", 1},    {"PF", 2},   {"AF", 4},   {"ZF", 6},  {"SF", 7},
      {"TF", 8},  {"IF", 9},  {"DF", 10},  {"OF", 11},  {"NT", 14}, {"RF", 16},
      {"VM", 17}, {"AC", 18}, {"VIF", 19}, {"VIP", 20}, {"ID", 21}};
  for (const auto& [name, bit] : kEflags) {
    xml += "<field name=\"" + std::string(name) + "\" start=\"" + std::to_string(bit) +
           "\" end=\"" + std::to_string(bit) + "\"/>\n";
  }
  xml += "</flags>\n";
  auto reg = [&xml](const std::string& name, unsigned bits, const char* type,
                    const char* group = nullptr) {
    xml +=
        "<reg name=\"" + name + "\" bitsize=\"" + std::to_string(bits) + "\" type=\"" + type + "\"";
    if (group) xml += std::string(" group=\"") + group + "\"";
    xml += "/>\n";
  };
  static const char* const kGprNames[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                          "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (unsigned i = 0; i < 16; ++i) {
    reg(kGprNames[i], 64, i == 6 || i == 7 ? "data_ptr" : "int64");
  }
  reg("rip", 64, "code_ptr");
  reg("eflags", 32, "i386_eflags");
  for (const char* s : {"cs", "ss", "ds", "es", "fs", "gs"}) reg(s, 32, "int32");
  for (unsigned i = 0; i < 8; ++i) reg("st" + std::to_string(i), 80, "i387_ext");
  for (const char* f : {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"}) {
    reg(f, 32, "int", "float");
  }
  xml +=
      "</feature>\n"
      "<feature name=\"org.gnu.gdb.i386.sse\">\n"
      "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
      "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
      "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
      "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
      "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
      "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
      "<union id=\"vec128\">\n"
      "<field name=\"v4_float\" type=\"v4f\"/>\n"
      "<field name=\"v2_double\" type=\"v2d\"/>\n"
      "<field name=\"v16_int8\" type=\"v16i8\"/>\n"
      "<field name=\"v8_int16\" type=\"v8i16\"/>\n"
      "<field name=\"v4_int32\" type=\"v4i32\"/>\n"
      "<field name=\"v2_int64\" type=\"v2i64\"/>\n"
      "<field name=\"uint128\" type=\"uint128\"/>\n"
      "</union>\n"
      "<flags id=\"i386_mxcsr\" size=\"4\">\n";
  static const std::pair<const char*, int> kMxcsr[] = {
      {"IE", 0}, {"DE", 1}, {"ZE", 2}, {"OE", 3},  {"UE", 4},  {"PE", 5},  {"DAZ", 6},
      {"IM", 7}, {"DM", 8}, {"ZM", 9}, {"OM", 10}, {"UM", 11}, {"PM", 12}, {"FZ", 15}};
  for (const auto& [name, bit] : kMxcsr) {
    xml += "<field name=\"" + std::string(name) + "\" start=\"" + std::to_string(bit) +
           "\" end=\"" + std::to_string(bit) + "\"/>\n";
  }
  xml += "</flags>\n";
  for (unsigned i = 0; i < 16; ++i) reg("xmm" + std::to_string(i), 128, "vec128", "vector");
  reg("mxcsr", 32, "i386_mxcsr", "vector");
  xml +=
      "</feature>\n"
      "<feature name=\"org.gnu.gdb.i386.segments\">\n";
  reg("fs_base", 64, "int");
  reg("gs_base", 64, "int");
  // Not a feature gdb knows: it shows these as plain registers (info registers cr3).
  xml +=
      "</feature>\n"
      "<feature name=\"org.vx86.x86.system\">\n";
  reg("k_gs_base", 64, "int", "system");
  for (const char* c : {"cr0", "cr2", "cr3", "cr4", "cr8", "efer", "gdtr_base", "gdtr_limit",
                        "idtr_base", "idtr_limit"}) {
    reg(c, 64, "int", "system");
  }
  xml +=
      "</feature>\n"
      "<feature name=\"org.gnu.gdb.i386.avx\">\n";
  for (unsigned i = 0; i < 16; ++i) reg("ymm" + std::to_string(i) + "h", 128, "uint128");
  xml += "</feature>\n</target>\n";
  return xml;
}

}  // namespace

const std::string& gdb_target_xml() {
  static const std::string xml = build_target_xml();
  return xml;
}

unsigned gdb_register_count() {
  return kGdbRegCount;
}

unsigned gdb_register_size(unsigned n) {
  return register_size(n);
}

bool gdb_read_register(const CpuState& cpu, unsigned n, std::vector<uint8_t>* out) {
  if (n >= kGdbRegCount) return false;
  if (n < kGdbRip) {
    put<uint64_t>(out, cpu.regs[kGprIndex[n]]);
  } else if (n == kGdbRip) {
    put<uint64_t>(out, cpu.rip);
  } else if (n == kGdbEflags) {
    put<uint32_t>(out, compute_eflags(cpu));
  } else if (n < kGdbSt0) {
    put<uint32_t>(out, cpu.segs[kSegIndex[n - kGdbCs]].selector);
  } else if (n < kGdbFctrl) {
    const Float80& st = cpu.st[(cpu.fpu_top + (n - kGdbSt0)) & 7];  // gdb's st0 is ST(0)
    put<uint64_t>(out, st.mantissa);
    put<uint16_t>(out, st.sign_exponent);
  } else if (n < kGdbXmm0) {
    uint32_t value = 0;
    switch (n - kGdbFctrl) {
      case 0:
        value = cpu.fpu_cw;
        break;
      case 1:
        value = fpu_status_word(cpu);
        break;
      case 2:
        value = fpu_full_tags(cpu, fpu_abridged_tags(cpu));
        break;
      case 3:
        value = cpu.fpu_cs;
        break;
      case 4:
        value = static_cast<uint32_t>(cpu.fpu_ip);
        break;
      case 5:
        value = cpu.fpu_ds;
        break;
      case 6:
        value = static_cast<uint32_t>(cpu.fpu_dp);
        break;
      default:
        value = cpu.fpu_opcode;
        break;
    }
    put<uint32_t>(out, value);
  } else if (n < kGdbMxcsr) {
    put<uint64_t>(out, cpu.xmm[n - kGdbXmm0].q[0]);
    put<uint64_t>(out, cpu.xmm[n - kGdbXmm0].q[1]);
  } else if (n == kGdbMxcsr) {
    put<uint32_t>(out, cpu.mxcsr);
  } else if (n == kGdbFsBase) {
    put<uint64_t>(out, cpu.segs[kSegFS].base);
  } else if (n == kGdbGsBase) {
    put<uint64_t>(out, cpu.segs[kSegGS].base);
  } else if (n == kGdbKernelGsBase) {
    put<uint64_t>(out, cpu.kernel_gs_base);
  } else if (n == kGdbEfer) {
    put<uint64_t>(out, cpu.efer);
  } else if (n >= kGdbYmm0h) {
    put<uint64_t>(out, cpu.ymmh[n - kGdbYmm0h].q[0]);
    put<uint64_t>(out, cpu.ymmh[n - kGdbYmm0h].q[1]);
  } else if (n >= kGdbGdtrBase) {
    const DescriptorTableReg& table = n < kGdbGdtrBase + 2 ? cpu.gdtr : cpu.idtr;
    put<uint64_t>(out, (n - kGdbGdtrBase) % 2 ? table.limit : table.base);
  } else {
    put<uint64_t>(out, *control_register(cpu, n));
  }
  return true;
}

std::vector<uint8_t> gdb_read_registers(const CpuState& cpu) {
  std::vector<uint8_t> out;
  for (unsigned n = 0; n < kGdbRegCount; ++n) gdb_read_register(cpu, n, &out);
  return out;
}

bool gdb_write_register(CpuState& cpu, unsigned n, const uint8_t* data, size_t size) {
  if (n >= kGdbRegCount || size != register_size(n)) return false;
  if (n < kGdbRip) {
    cpu.regs[kGprIndex[n]] = get<uint64_t>(data);
  } else if (n == kGdbRip) {
    cpu.rip = get<uint64_t>(data);
  } else if (n == kGdbEflags) {
    load_eflags(cpu, get<uint32_t>(data));
  } else if (n < kGdbSt0) {
    SegmentCache& seg = cpu.segs[kSegIndex[n - kGdbCs]];
    seg.selector = static_cast<uint16_t>(get<uint32_t>(data));
    const bool real_or_vm86 = !(cpu.cr0 & kCr0PE) || (compute_eflags(cpu) & kFlagVM);
    if (real_or_vm86) seg.base = uint64_t{seg.selector} << 4;
  } else if (n < kGdbFctrl) {
    Float80& st = cpu.st[(cpu.fpu_top + (n - kGdbSt0)) & 7];
    st.mantissa = get<uint64_t>(data);
    st.sign_exponent = get<uint16_t>(data + 8);
  } else if (n < kGdbXmm0) {
    const uint32_t value = get<uint32_t>(data);
    switch (n - kGdbFctrl) {
      case 0:
        fpu_set_control_word(cpu, static_cast<uint16_t>(value));
        break;
      case 1:
        cpu.fpu_sw = static_cast<uint16_t>(value & ~uint32_t{kFswTopMask});
        cpu.fpu_top = (value >> 11) & 7;
        break;
      case 2:
        cpu.fpu_tw = static_cast<uint16_t>(value);
        break;
      case 3:
        cpu.fpu_cs = static_cast<uint16_t>(value);
        break;
      case 4:
        cpu.fpu_ip = value;
        break;
      case 5:
        cpu.fpu_ds = static_cast<uint16_t>(value);
        break;
      case 6:
        cpu.fpu_dp = value;
        break;
      default:
        cpu.fpu_opcode = static_cast<uint16_t>(value & 0x7ff);
        break;
    }
  } else if (n < kGdbMxcsr) {
    cpu.xmm[n - kGdbXmm0].q[0] = get<uint64_t>(data);
    cpu.xmm[n - kGdbXmm0].q[1] = get<uint64_t>(data + 8);
  } else if (n == kGdbMxcsr) {
    cpu.mxcsr = get<uint32_t>(data) & kMxcsrWritable;
  } else if (n == kGdbFsBase) {
    cpu.segs[kSegFS].base = get<uint64_t>(data);
  } else if (n == kGdbGsBase) {
    cpu.segs[kSegGS].base = get<uint64_t>(data);
  } else if (n == kGdbKernelGsBase) {
    cpu.kernel_gs_base = get<uint64_t>(data);
  } else if (n == kGdbEfer) {
    cpu.efer = get<uint64_t>(data);
  } else if (n >= kGdbYmm0h) {
    cpu.ymmh[n - kGdbYmm0h].q[0] = get<uint64_t>(data);
    cpu.ymmh[n - kGdbYmm0h].q[1] = get<uint64_t>(data + 8);
  } else if (n >= kGdbGdtrBase) {
    DescriptorTableReg& table = n < kGdbGdtrBase + 2 ? cpu.gdtr : cpu.idtr;
    if ((n - kGdbGdtrBase) % 2) {
      table.limit = static_cast<uint32_t>(get<uint64_t>(data) & 0xffff);
    } else {
      table.base = get<uint64_t>(data);
    }
  } else {
    *control_register(cpu, n) = get<uint64_t>(data);
  }
  return true;
}

bool gdb_write_registers(CpuState& cpu, const uint8_t* data, size_t size) {
  std::vector<size_t> offsets;
  size_t offset = 0;
  for (unsigned n = 0; n < kGdbRegCount && offset < size; ++n) {
    offsets.push_back(offset);
    offset += register_size(n);
  }
  if (offset != size) return false;
  // fstat first: its TOP says which physical registers st0-st7 are.
  constexpr unsigned kFstat = kGdbFctrl + 1;
  if (offsets.size() > kFstat) gdb_write_register(cpu, kFstat, data + offsets[kFstat], 4);
  for (unsigned n = 0; n < offsets.size(); ++n) {
    gdb_write_register(cpu, n, data + offsets[n], register_size(n));
  }
  return true;
}

}  // namespace vx86::x86
