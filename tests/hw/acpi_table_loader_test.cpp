// The fw_cfg form of the ACPI tables, run through the test's own
// implementation of QEMU's linker/loader script, once as SeaBIOS runs it
// and once as OVMF does (their checksum commands differ): after allocation,
// relocation and checksums the RSDP leads to every table, each with a valid
// checksum, and the FADT to the DSDT and FACS.
#include "hw/acpi/acpi_table_loader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace vx86 {
namespace {

uint64_t le(const std::vector<uint8_t>& m, uint64_t at, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= static_cast<uint64_t>(m[at + i]) << (8 * i);
  return v;
}

uint8_t sum(const std::vector<uint8_t>& m, uint64_t at, uint64_t length) {
  uint8_t s = 0;
  for (uint64_t i = 0; i < length; ++i) s = static_cast<uint8_t>(s + m[at + i]);
  return s;
}

class AcpiTableLoader : public ::testing::TestWithParam<bool> {};

TEST_P(AcpiTableLoader, TheScriptRelocatesTheTablesWhereverFirmwarePutsThem) {
  // SeaBIOS subtracts the range's sum from the checksum byte; OVMF sets the
  // byte to the sum's negation, the byte itself counted.
  const bool ovmf = GetParam();
  AcpiConfig config;
  config.cpus = 2;
  config.ioapic_id = 2;
  config.pci = true;
  AcpiFwCfgFiles files = build_acpi_fw_cfg_files(config);
  ASSERT_EQ(files.loader.size() % kLoaderEntrySize, 0u);
  const std::map<std::string, const std::vector<uint8_t>*> contents = {
      {"etc/acpi/rsdp", &files.rsdp}, {"etc/acpi/tables", &files.tables}};

  // A 1 MiB "guest memory"; the F segment zone at 0xF0000, the high zone at 0x40000.
  std::vector<uint8_t> memory(1 << 20, 0);
  std::map<std::string, uint64_t> placed;
  uint64_t next_high = 0x40000, next_fseg = 0xF0000;
  for (std::size_t at = 0; at < files.loader.size(); at += kLoaderEntrySize) {
    const uint8_t* e = files.loader.data() + at;
    const uint32_t command = static_cast<uint32_t>(e[0] | e[1] << 8 | e[2] << 16 | e[3] << 24);
    auto name = [&](std::size_t offset) {
      return std::string(reinterpret_cast<const char*>(e + offset));
    };
    auto u32 = [&](std::size_t offset) {
      return static_cast<uint32_t>(e[offset] | e[offset + 1] << 8 | e[offset + 2] << 16 |
                                   e[offset + 3] << 24);
    };
    if (command == kLoaderAllocate) {
      const std::string file = name(4);
      ASSERT_TRUE(contents.count(file)) << file;
      const uint32_t align = u32(4 + kLoaderFileNameSize);
      const uint8_t zone = e[4 + kLoaderFileNameSize + 4];
      uint64_t& next = zone == kLoaderZoneFseg ? next_fseg : next_high;
      next = (next + align - 1) / align * align;
      placed[file] = next;
      std::memcpy(&memory[next], contents.at(file)->data(), contents.at(file)->size());
      next += contents.at(file)->size();
    } else if (command == kLoaderAddPointer) {
      const std::string dest = name(4), src = name(4 + kLoaderFileNameSize);
      ASSERT_TRUE(placed.count(dest) && placed.count(src)) << dest << " " << src;
      const uint64_t field = placed[dest] + u32(4 + 2 * kLoaderFileNameSize);
      const uint8_t size = e[4 + 2 * kLoaderFileNameSize + 4];
      uint64_t v = le(memory, field, size) + placed[src];
      for (unsigned i = 0; i < size; ++i) memory[field + i] = static_cast<uint8_t>(v >> (8 * i));
    } else if (command == kLoaderAddChecksum) {
      const std::string file = name(4);
      ASSERT_TRUE(placed.count(file)) << file;
      const uint64_t base = placed[file];
      const uint32_t offset = u32(4 + kLoaderFileNameSize);
      const uint32_t start = u32(4 + kLoaderFileNameSize + 4);
      const uint32_t length = u32(4 + kLoaderFileNameSize + 8);
      const uint8_t range_sum = sum(memory, base + start, length);
      memory[base + offset] = ovmf ? static_cast<uint8_t>(-range_sum)
                                   : static_cast<uint8_t>(memory[base + offset] - range_sum);
    } else {
      FAIL() << "unknown loader command " << command;
    }
  }

  // The RSDP sits in the F segment, where operating systems scan for it.
  const uint64_t rsdp = placed["etc/acpi/rsdp"];
  EXPECT_GE(rsdp, 0xF0000u);
  EXPECT_EQ(std::memcmp(&memory[rsdp], "RSD PTR ", 8), 0);
  EXPECT_EQ(sum(memory, rsdp, 20), 0);
  EXPECT_EQ(sum(memory, rsdp, 36), 0);
  const uint64_t rsdt = le(memory, rsdp + 16, 4), xsdt = le(memory, rsdp + 24, 8);
  EXPECT_EQ(std::memcmp(&memory[rsdt], "RSDT", 4), 0);
  EXPECT_EQ(std::memcmp(&memory[xsdt], "XSDT", 4), 0);
  std::vector<std::string> signatures;
  for (uint64_t sdt : {rsdt, xsdt}) {
    const unsigned width = sdt == rsdt ? 4 : 8;
    const uint64_t length = le(memory, sdt + 4, 4);
    EXPECT_EQ(sum(memory, sdt, length), 0);
    for (uint64_t entry = sdt + 36; entry < sdt + length; entry += width) {
      const uint64_t table = le(memory, entry, width);
      ASSERT_LT(table, memory.size());
      EXPECT_EQ(sum(memory, table, le(memory, table + 4, 4)), 0)
          << std::string(reinterpret_cast<const char*>(&memory[table]), 4);
      if (sdt == rsdt) signatures.emplace_back(reinterpret_cast<const char*>(&memory[table]), 4);
      if (std::memcmp(&memory[table], "FACP", 4) == 0) {
        const uint64_t facs = le(memory, table + 36, 4), dsdt = le(memory, table + 40, 4);
        EXPECT_EQ(std::memcmp(&memory[facs], "FACS", 4), 0);
        EXPECT_EQ(std::memcmp(&memory[dsdt], "DSDT", 4), 0);
        EXPECT_EQ(le(memory, table + 140, 8), dsdt);  // X_DSDT
        EXPECT_EQ(sum(memory, dsdt, le(memory, dsdt + 4, 4)), 0);
      }
    }
  }
  EXPECT_EQ(signatures, (std::vector<std::string>{"FACP", "APIC", "HPET", "WAET"}));
}

INSTANTIATE_TEST_SUITE_P(SeabiosAndOvmf, AcpiTableLoader, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Ovmf" : "Seabios";
                         });

}  // namespace
}  // namespace vx86
