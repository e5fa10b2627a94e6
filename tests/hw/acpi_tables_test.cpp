#include "hw/acpi/acpi_tables.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace vx86 {
namespace {

constexpr uint64_t kBase = 0xE0000;

uint64_t le(const std::vector<uint8_t>& b, uint64_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b.at(at + static_cast<uint64_t>(i));
  return v;
}

// The tables reached from the RSDP through the XSDT, by signature, as guest addresses.
struct Walk {
  std::vector<uint8_t> blob;
  std::map<std::string, uint64_t> tables;
  uint64_t offset(uint64_t address) const { return address - kBase; }
  uint32_t length(uint64_t address) const {
    return static_cast<uint32_t>(le(blob, offset(address) + 4, 4));
  }
  std::vector<uint8_t> bytes(uint64_t address, uint32_t size) const {
    auto start = blob.begin() + static_cast<std::ptrdiff_t>(offset(address));
    return {start, start + size};
  }
};

Walk walk(const AcpiConfig& config) {
  AcpiTables t = build_acpi_tables(config, kBase);
  Walk w{t.blob, {}};
  EXPECT_EQ(t.rsdp_address, kBase);
  uint64_t rsdp = w.offset(t.rsdp_address);
  EXPECT_EQ(std::memcmp(&w.blob[rsdp], "RSD PTR ", 8), 0);
  EXPECT_EQ(acpi_checksum(&w.blob[rsdp], 20), 0) << "ACPI 1.0 part of the RSDP";
  EXPECT_EQ(acpi_checksum(&w.blob[rsdp], 36), 0) << "extended RSDP";
  EXPECT_EQ(w.blob[rsdp + 15], 2) << "revision";
  uint64_t rsdt = le(w.blob, rsdp + 16, 4), xsdt = le(w.blob, rsdp + 24, 8);
  w.tables["RSDT"] = rsdt;
  w.tables["XSDT"] = xsdt;
  uint32_t xsdt_entries = (w.length(xsdt) - 36) / 8;
  EXPECT_EQ((w.length(rsdt) - 36) / 4, xsdt_entries) << "RSDT and XSDT list the same tables";
  for (uint32_t i = 0; i < xsdt_entries; ++i) {
    uint64_t table = le(w.blob, w.offset(xsdt) + 36 + i * 8, 8);
    EXPECT_EQ(le(w.blob, w.offset(rsdt) + 36 + i * 4, 4), table);
    std::string sig(reinterpret_cast<const char*>(&w.blob[w.offset(table)]), 4);
    w.tables[sig] = table;
  }
  uint64_t fadt = w.tables.at("FACP");
  w.tables["FACS"] = le(w.blob, w.offset(fadt) + 36, 4);
  w.tables["DSDT"] = le(w.blob, w.offset(fadt) + 40, 4);
  EXPECT_EQ(le(w.blob, w.offset(fadt) + 140, 8), w.tables["DSDT"]) << "X_DSDT";
  return w;
}

// The DSDT of w as iasl disassembles it, in dir (which the caller removes);
// "" if iasl fails.
std::string disassembled_dsdt(const Walk& w, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const uint64_t at = w.tables.at("DSDT");
  auto bytes = w.bytes(at, w.length(at));
  std::ofstream(dir / "DSDT.dat", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  if (std::system(("cd " + dir.string() + " && iasl -d DSDT.dat > disassemble.log 2>&1").c_str()) !=
      0) {
    return "";
  }
  std::stringstream text;
  text << std::ifstream(dir / "DSDT.dsl").rdbuf();
  return text.str();
}

// Whether the disassembled DSDT in dir compiles again.
bool dsdt_recompiles(const std::filesystem::path& dir) {
  return std::system(("cd " + dir.string() + " && iasl -p recompiled DSDT.dsl > compile.log 2>&1")
                         .c_str()) == 0;
}

AcpiConfig pc_config(unsigned cpus, bool pci) {
  AcpiConfig c;
  c.cpus = cpus;
  c.ioapic_id = static_cast<uint8_t>(cpus);
  c.hpet_capabilities = 0x8086A201;
  c.pci = pci;
  return c;
}

TEST(AcpiTablesTest, EveryTableIsReachableAndSumsToZero) {
  Walk w = walk(pc_config(2, true));
  for (const char* sig : {"RSDT", "XSDT", "FACP", "APIC", "HPET", "WAET", "DSDT"}) {
    ASSERT_TRUE(w.tables.count(sig)) << sig;
    uint64_t at = w.tables[sig];
    EXPECT_EQ(at % 8, 0u) << sig << " alignment";
    EXPECT_LE(w.offset(at) + w.length(at), w.blob.size()) << sig;
    EXPECT_EQ(acpi_checksum(&w.blob[w.offset(at)], w.length(at)), 0) << sig;
  }
  EXPECT_EQ(std::memcmp(&w.blob[w.offset(w.tables["FACS"])], "FACS", 4), 0);
  EXPECT_EQ(w.tables["FACS"] % 64, 0u) << "the FACS is 64-byte aligned";
}

TEST(AcpiTablesTest, FadtDescribesPmBlockSleepAndReset) {
  Walk w = walk(pc_config(1, false));
  uint64_t f = w.offset(w.tables["FACP"]);
  EXPECT_EQ(w.length(w.tables["FACP"]), 244u);
  EXPECT_EQ(le(w.blob, f + 46, 2), 9u) << "SCI_INT";
  EXPECT_EQ(le(w.blob, f + 48, 4), 0u) << "SMI_CMD: ACPI mode is always on";
  EXPECT_EQ(le(w.blob, f + 56, 4), 0x600u) << "PM1a_EVT_BLK";
  EXPECT_EQ(le(w.blob, f + 64, 4), 0x604u) << "PM1a_CNT_BLK";
  EXPECT_EQ(le(w.blob, f + 76, 4), 0x608u) << "PM_TMR_BLK";
  EXPECT_EQ(w.blob[f + 91], 4) << "PM_TMR_LEN";
  uint32_t flags = static_cast<uint32_t>(le(w.blob, f + 112, 4));
  EXPECT_TRUE(flags & (1u << 8)) << "TMR_VAL_EXT: 32-bit PM timer";
  EXPECT_TRUE(flags & (1u << 10)) << "RESET_REG_SUP";
  EXPECT_EQ(w.blob[f + 116], 1) << "reset register in I/O space";
  EXPECT_EQ(le(w.blob, f + 120, 8), 0xCF9u);
  EXPECT_EQ(w.blob[f + 128], 6) << "RESET_VALUE";
}

TEST(AcpiTablesTest, MadtListsEachCpuTheIoapicAndTheTimerOverride) {
  const unsigned cpus = 4;
  Walk w = walk(pc_config(cpus, false));
  uint64_t m = w.offset(w.tables["APIC"]);
  EXPECT_EQ(le(w.blob, m + 36, 4), 0xFEE00000u);
  unsigned lapics = 0, ioapics = 0;
  bool irq0_to_gsi2 = false;
  for (uint64_t at = m + 44; at < m + w.length(w.tables["APIC"]);) {
    uint8_t type = w.blob[at], len = w.blob[at + 1];
    ASSERT_GE(len, 2);
    if (type == 0) {
      EXPECT_EQ(w.blob[at + 3], lapics) << "APIC ID of CPU " << lapics;
      EXPECT_EQ(le(w.blob, at + 4, 4) & 1, 1u) << "enabled";
      lapics += 1;
    } else if (type == 1) {
      EXPECT_EQ(w.blob[at + 2], cpus) << "IOAPIC ID after the CPUs'";
      EXPECT_EQ(le(w.blob, at + 4, 4), 0xFEC00000u);
      EXPECT_EQ(le(w.blob, at + 8, 4), 0u) << "GSI base";
      ioapics += 1;
    } else if (type == 2 && w.blob[at + 3] == 0) {
      irq0_to_gsi2 = le(w.blob, at + 4, 4) == 2;
    }
    at += len;
  }
  EXPECT_EQ(lapics, cpus);
  EXPECT_EQ(ioapics, 1u);
  EXPECT_TRUE(irq0_to_gsi2);
}

// The reference check of the DSDT: ACPICA's own disassembler must read it
// (and the data tables) without errors.
TEST(AcpiTablesTest, IaslDisassemblesEveryTable) {
  if (std::system("command -v iasl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "iasl (package acpica-tools) is not installed";
  }
  Walk w = walk(pc_config(2, true));
  auto dir = std::filesystem::temp_directory_path() / ("vx86-acpi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* sig : {"FACP", "APIC", "HPET", "WAET", "DSDT"}) {
    uint64_t at = w.tables[sig];
    auto bytes = w.bytes(at, w.length(at));
    std::ofstream(dir / (std::string(sig) + ".dat"), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    std::string cmd = "cd " + dir.string() + " && iasl -d " + sig + ".dat > " + sig + ".log 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << sig << ": see " << (dir / sig).string() << ".log";
    std::ifstream dsl(dir / (std::string(sig) + ".dsl"));
    std::stringstream text;
    text << dsl.rdbuf();
    EXPECT_EQ(text.str().find("**** "), std::string::npos) << sig << " has a disassembler warning";
    if (std::string(sig) == "DSDT") {
      for (const char* want : {"_S5", "PNP0A03", "ACPI0007", "_PRT", "_CRS"}) {
        EXPECT_NE(text.str().find(want), std::string::npos) << want;
      }
    }
  }
  std::filesystem::remove_all(dir);
}

// PCI hot-plug: the GPE0 block in the FADT, and a DSDT with a device per
// hot-pluggable slot, the registers and the GPE handler, which ACPICA reads
// back without complaint and compiles again.
TEST(AcpiTablesTest, PciHotplugSlotsAndTheirGpeHandler) {
  AcpiConfig config = pc_config(1, true);
  config.gpe0_base = 0xafe0;
  config.pci_hotplug_slots = 0xfffffff8u;  // slots 3-31
  Walk w = walk(config);
  const uint64_t f = w.offset(w.tables["FACP"]);
  EXPECT_EQ(le(w.blob, f + 80, 4), 0xafe0u) << "GPE0_BLK";
  EXPECT_EQ(w.blob[f + 92], 4) << "GPE0_BLK_LEN";
  EXPECT_EQ(w.blob[f + 220], 1) << "X_GPE0_BLK in I/O space";
  EXPECT_EQ(le(w.blob, f + 224, 8), 0xafe0u);

  if (std::system("command -v iasl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "iasl (package acpica-tools) is not installed";
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("vx86-acpi-hp-" + std::to_string(::getpid()));
  const std::string dsl = disassembled_dsdt(w, dir);
  ASSERT_NE(dsl, "") << "see " << (dir / "disassemble.log").string();
  EXPECT_EQ(dsl.find("**** "), std::string::npos) << dsl;
  for (const char* want :
       {"OperationRegion (PCST, SystemIO, 0xAE00, 0x08)", "PCIU,   32", "PCID,   32",
        "OperationRegion (SEJ, SystemIO, 0xAE08, 0x04)", "B0EJ,   32", "Device (S18)",
        "Name (_ADR, 0x00030000)", "Name (_SUN, 0x03)", "Method (_EJ0, 1, NotSerialized)",
        "Device (SF8)", "Name (_SUN, 0x1F)", "Notify (S18, One)", "Notify (S18, 0x03)",
        "Method (_E01, 0, NotSerialized)", "\\_SB.PCI0.PCNT ()", "ACPI0006"}) {
    EXPECT_NE(dsl.find(want), std::string::npos) << want << " in\n" << dsl;
  }
  EXPECT_EQ(dsl.find("Device (S10)"), std::string::npos) << "slot 2 is not hot-pluggable";
  EXPECT_TRUE(dsdt_recompiles(dir)) << "see " << (dir / "compile.log").string();
  std::filesystem::remove_all(dir);
}

// The q35's tables: an MCFG for the ECAM window, PCI0 a PCI Express root
// (PNP0A08, compatible with PNP0A03), the window reserved as a motherboard
// resource, and the _PRT the ICH9's PIRQ map gives; iasl takes them back.
TEST(AcpiTablesTest, Q35HasMcfgAndAPciExpressRoot) {
  AcpiConfig config = pc_config(1, true);
  config.pci_express = true;
  config.ecam_base = 0xb0000000;
  config.ecam_end_bus = 0xff;
  for (unsigned slot = 0; slot < 32; ++slot) {
    for (unsigned pin = 0; pin < 4; ++pin) config.pci_intx_gsi.push_back(100 + slot * 4 + pin);
  }
  // Two root ports (02.0 and 02.1) with ACPI hot-plug into their slot 0.
  config.pci_hotplug_base = 0x0cc0;
  config.pci_hotplug_bridges = {{{0x10}, 0, 1}, {{0x11}, 1, 1}};
  Walk w = walk(config);
  ASSERT_TRUE(w.tables.count("MCFG"));
  const uint64_t m = w.offset(w.tables["MCFG"]);
  EXPECT_EQ(w.length(w.tables["MCFG"]), 60u) << "header, 8 reserved bytes, one allocation";
  EXPECT_EQ(w.blob[m + 8], 1) << "revision";
  EXPECT_EQ(acpi_checksum(&w.blob[m], 60), 0);
  EXPECT_EQ(le(w.blob, m + 44, 8), 0xb0000000u) << "base";
  EXPECT_EQ(le(w.blob, m + 52, 2), 0u) << "segment";
  EXPECT_EQ(w.blob[m + 54], 0) << "first bus";
  EXPECT_EQ(w.blob[m + 55], 0xff) << "last bus";
  EXPECT_FALSE(walk(pc_config(1, true)).tables.count("MCFG")) << "not on the pc";

  if (std::system("command -v iasl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "iasl (package acpica-tools) is not installed";
  }
  auto dir =
      std::filesystem::temp_directory_path() / ("vx86-acpi-q35-" + std::to_string(::getpid()));
  std::string dsl = disassembled_dsdt(w, dir);
  ASSERT_NE(dsl, "") << "see " << (dir / "disassemble.log").string();
  EXPECT_EQ(dsl.find("**** "), std::string::npos) << dsl;
  for (const char* want :
       {"Name (_HID, EisaId (\"PNP0A08\")", "Name (_CID, EisaId (\"PNP0A03\")", "Device (DRAC)",
        "Name (_HID, EisaId (\"PNP0C01\")", "0xB0000000,         // Range Minimum",
        "0xBFFFFFFF,         // Range Maximum"}) {
    EXPECT_NE(dsl.find(want), std::string::npos) << want << " in\n" << dsl;
  }
  // Slot 2's INTC (pin 2) is the map's entry 2 * 4 + 2: GSI 100 + 10.
  dsl = std::regex_replace(dsl, std::regex(R"(//[^\n]*|/\*[^*]*\*/)"), "");
  std::erase_if(dsl, [](char c) { return c == ' ' || c == '\n' || c == '\r'; });
  EXPECT_NE(dsl.find("{0x0002FFFF,0x02,Zero,0x6E}"), std::string::npos) << dsl;
  // _OSC, as QEMU's: the PCI host bridge UUID; what the OS asks, but native
  // PCI Express hot-plug and LTR (0x1E).
  for (const char* want : {"Method(_OSC,4,NotSerialized)", "CreateDWordField(Arg3,Zero,CDW1)",
                           "If((Arg0==ToUUID(\"33db4d5b-1ff7-401c-9657-7441c03dd766\")",
                           "Local0&=0x1E", "If((Arg1!=One)){CDW1|=0x08}",
                           "If((CDW3!=Local0)){CDW1|=0x10}", "CDW1|=0x04", "Return(Arg3)"}) {
    EXPECT_NE(dsl.find(want), std::string::npos) << want << " in\n" << dsl;
  }
  // Each port a device at its address with slot 0 inside, ejected through
  // its bus selector; PCNT looks at the last port first, as QEMU's; GPE 1
  // runs it.
  for (const char* want :
       {"OperationRegion(BNMR,SystemIO,0x0CD0,0x04)", "Device(S10){Name(_ADR,0x00020000)",
        "Device(S11){Name(_ADR,0x00020001)",
        "Device(S00){Name(_ADR,Zero)Name(_SUN,Zero)Method(_EJ0,1,NotSerialized){BNUM=ZeroB0EJ=One}",
        "BNUM=OneLocal0=PCIULocal1=PCIDIf((Local0&One)){Notify(\\_SB.PCI0.S11.S00,One)}",
        "If((Local1&One)){Notify(\\_SB.PCI0.S11.S00,0x03)}BNUM=Zero",
        "Method(_E01,0,NotSerialized)"}) {
    EXPECT_NE(dsl.find(want), std::string::npos) << want << " in\n" << dsl;
  }
  EXPECT_TRUE(dsdt_recompiles(dir)) << "see " << (dir / "compile.log").string();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vx86
