// The SMBIOS builder's structure: what SeaBIOS and Linux rely on to walk the
// tables (lengths, string sets, handles, the entry point's checksums). The
// values themselves are checked against QEMU's in tests/system/smbios_test.cpp.
#include "hw/smbios/smbios_tables.h"

#include <gtest/gtest.h>

#include <numeric>

namespace vx86 {
namespace {

struct Walked {
  std::vector<uint8_t> types;
  std::vector<uint16_t> handles;
  std::size_t end = 0;
};

Walked walk(const std::vector<uint8_t>& bytes) {
  Walked w;
  std::size_t at = 0;
  while (at + 4 <= bytes.size()) {
    w.types.push_back(bytes[at]);
    w.handles.push_back(static_cast<uint16_t>(bytes[at + 2] | bytes[at + 3] << 8));
    std::size_t end = at + bytes[at + 1];
    while (end + 1 < bytes.size() && !(bytes[end] == 0 && bytes[end + 1] == 0)) ++end;
    at = end + 2;
  }
  w.end = at;
  return w;
}

TEST(SmbiosTables, QemusStructuresInQemusOrder) {
  SmbiosConfig config;
  config.ram_size = 20ull << 30;  // two DIMMs of at most 16 GiB
  config.ram_below_4g = 3ull << 30;
  config.ram_above_4g = 17ull << 30;
  config.cores_per_socket = config.threads_per_socket = 4;
  const SmbiosTables t = build_smbios_tables(config);
  const Walked w = walk(t.bytes);
  EXPECT_EQ(w.end, t.bytes.size());
  EXPECT_EQ(w.types, (std::vector<uint8_t>{1, 3, 4, 16, 17, 17, 19, 19, 32, 127}));
  EXPECT_EQ(w.handles, (std::vector<uint16_t>{0x100, 0x300, 0x400, 0x1000, 0x1100, 0x1101, 0x1300,
                                              0x1301, 0x2000, 0x7f00}));
  EXPECT_EQ(t.count, w.types.size());
}

// -smp 8,sockets=2,cores=2,threads=2: a processor structure per socket,
// "CPU 0" and "CPU 1", each with two cores and four threads, as QEMU's.
TEST(SmbiosTables, AProcessorStructurePerSocket) {
  SmbiosConfig config;
  config.ram_size = config.ram_below_4g = 256ull << 20;
  config.sockets = 2;
  config.cores_per_socket = 2;
  config.threads_per_socket = 4;
  const SmbiosTables t = build_smbios_tables(config);
  const Walked w = walk(t.bytes);
  EXPECT_EQ(w.types, (std::vector<uint8_t>{1, 3, 4, 4, 16, 17, 19, 32, 127}));
  EXPECT_EQ(w.handles[3], 0x401);
  const std::string text(t.bytes.begin(), t.bytes.end());
  EXPECT_NE(text.find("CPU 1"), std::string::npos);
  // Type 4's core count, cores enabled and thread count (offsets 23h-25h).
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    std::size_t end = at + t.bytes[at + 1];
    while (!(t.bytes[end] == 0 && t.bytes[end + 1] == 0)) ++end;
    at = end + 2;
  }
  ASSERT_EQ(t.bytes[at], 4);
  EXPECT_EQ(t.bytes[at + 0x23], 2);
  EXPECT_EQ(t.bytes[at + 0x24], 2);
  EXPECT_EQ(t.bytes[at + 0x25], 4);
}

TEST(SmbiosTables, EntryPointChecksumsAndBiosEntry) {
  SmbiosConfig config;
  config.ram_size = config.ram_below_4g = 256ull << 20;
  config.uuid = parse_uuid("12345678-9abc-def0-1122-334455667788");
  ASSERT_TRUE(config.uuid);
  SmbiosTables t = build_smbios_tables(config);
  // Type 1's UUID: the first three fields little-endian.
  EXPECT_EQ(t.bytes[8], 0x78);
  EXPECT_EQ(t.bytes[11], 0x12);
  EXPECT_EQ(t.bytes[12], 0xbc);
  EXPECT_EQ(t.bytes[16], 0x11);
  prepend_smbios_bios_entry(&t, "vx86", "direct kernel boot", "12/01/2026");
  EXPECT_EQ(walk(t.bytes).types.front(), 0);
  const std::vector<uint8_t> ep = smbios_entry_point(t, 0xf0020);
  ASSERT_EQ(ep.size(), 31u);
  EXPECT_EQ(std::string(ep.begin(), ep.begin() + 4), "_SM_");
  EXPECT_EQ(std::string(ep.begin() + 16, ep.begin() + 21), "_DMI_");
  EXPECT_EQ(std::accumulate(ep.begin(), ep.end(), 0u) & 0xff, 0u);
  EXPECT_EQ(std::accumulate(ep.begin() + 16, ep.end(), 0u) & 0xff, 0u);
  EXPECT_EQ(ep[0x16] | ep[0x17] << 8, static_cast<int>(t.bytes.size()));
  EXPECT_EQ(ep[0x1c] | ep[0x1d] << 8, t.count);
}

TEST(SmbiosTables, UuidText) {
  EXPECT_FALSE(parse_uuid("12345678-9abc-def0-1122-33445566778"));
  EXPECT_FALSE(parse_uuid("12345678-9abc-def0-1122_334455667788"));
  EXPECT_FALSE(parse_uuid("1234567g-9abc-def0-1122-334455667788"));
  const auto u = parse_uuid("ABCDEF01-9abc-def0-1122-334455667788");
  ASSERT_TRUE(u);
  EXPECT_EQ((*u)[0], 0xab);
  EXPECT_EQ((*u)[15], 0x88);
}

}  // namespace
}  // namespace vx86
