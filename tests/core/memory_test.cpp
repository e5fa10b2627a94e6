#include "core/memory.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace vx86 {
namespace {

// A device that records accesses and answers reads from a byte array.
class FakeDevice : public IoOps {
 public:
  explicit FakeDevice(std::size_t size) : bytes(size) {
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(0x10 + i);
  }
  uint64_t read(uint64_t offset, unsigned size) override {
    log.push_back({false, offset, size, 0});
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint64_t{bytes[offset + i]} << (8 * i);
    return v;
  }
  void write(uint64_t offset, uint64_t value, unsigned size) override {
    log.push_back({true, offset, size, value});
    for (unsigned i = 0; i < size; ++i) bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  struct Access {
    bool write;
    uint64_t offset;
    unsigned size;
    uint64_t value;
  };
  std::vector<uint8_t> bytes;
  std::vector<Access> log;
};

TEST(MemoryTest, RamReadWriteAllSizes) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x10000);
  root->add_subregion(0, ram.get());
  AddressSpace as("memory", root.get());
  as.write(0x100, 0x1122334455667788ull, 8);
  EXPECT_EQ(as.read(0x100, 8), 0x1122334455667788ull);
  EXPECT_EQ(as.read(0x100, 4), 0x55667788u);
  EXPECT_EQ(as.read(0x102, 2), 0x5566u);
  EXPECT_EQ(as.read(0x107, 1), 0x11u);
  // Unaligned
  as.write(0x203, 0xdeadbeef, 4);
  EXPECT_EQ(as.read(0x203, 4), 0xdeadbeefu);
  EXPECT_EQ(ram->host_ptr()[0x203], 0xef);
}

TEST(MemoryTest, UnassignedReadsAllOnes) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  AddressSpace as("memory", root.get());
  MemTxResult r;
  EXPECT_EQ(as.read(0x1234, 1, &r), 0xffu);
  EXPECT_EQ(r, MemTxResult::kUnassigned);
  EXPECT_EQ(as.read(0x1234, 2), 0xffffu);
  EXPECT_EQ(as.read(0x1234, 4), 0xffffffffu);
  EXPECT_EQ(as.read(0x1234, 8), ~0ull);
  EXPECT_EQ(as.write(0x1234, 5, 4), MemTxResult::kUnassigned);
}

TEST(MemoryTest, OverlapAtEqualPriorityRefused) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto a = MemoryRegion::ram("a", 0x2000);
  auto b = MemoryRegion::ram("b", 0x1000);
  root->add_subregion(0, a.get());
  EXPECT_THROW(root->add_subregion(0x1000, b.get()), MemoryMapError);
  EXPECT_NO_THROW(root->add_subregion(0x1000, b.get(), 1));
}

TEST(MemoryTest, HigherPriorityWins) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto low = MemoryRegion::ram("low", 0x3000);
  auto high = MemoryRegion::ram("high", 0x1000);
  root->add_subregion(0, low.get());
  root->add_subregion(0x1000, high.get(), 1);
  AddressSpace as("memory", root.get());
  as.write(0x0800, 1, 1);
  as.write(0x1800, 2, 1);
  as.write(0x2800, 3, 1);
  EXPECT_EQ(low->host_ptr()[0x0800], 1);
  EXPECT_EQ(high->host_ptr()[0x0800], 2);
  EXPECT_EQ(low->host_ptr()[0x1800], 0);
  EXPECT_EQ(low->host_ptr()[0x2800], 3);
  ASSERT_EQ(as.flat_view().size(), 3u);
  // Disabling the high region uncovers the low one.
  high->set_enabled(false);
  as.write(0x1800, 4, 1);
  EXPECT_EQ(low->host_ptr()[0x1800], 4);
}

TEST(MemoryTest, AliasShowsWindowOfTarget) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x10000);
  auto alias = MemoryRegion::alias("hi-alias", ram.get(), 0x8000, 0x1000);
  root->add_subregion(0, ram.get());
  root->add_subregion(0x100000, alias.get());
  AddressSpace as("memory", root.get());
  as.write(0x100010, 0xab, 1);
  EXPECT_EQ(ram->host_ptr()[0x8010], 0xab);
  EXPECT_EQ(as.read(0x8010, 1), 0xabu);
  MemTxResult r;
  as.read(0x101000, 1, &r);
  EXPECT_EQ(r, MemTxResult::kUnassigned);
}

TEST(MemoryTest, NestedContainersAndAliasOfContainer) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto pci = MemoryRegion::container("pci", 1ull << 32);
  auto dev_ram = MemoryRegion::ram("vram", 0x1000);
  pci->add_subregion(0xa0000, dev_ram.get());
  auto window = MemoryRegion::alias("pci-window", pci.get(), 0xa0000, 0x20000);
  root->add_subregion(0xa0000, window.get());
  AddressSpace as("memory", root.get());
  as.write(0xa0004, 0x77, 1);
  EXPECT_EQ(dev_ram->host_ptr()[4], 0x77);
  // Moving the device inside the target container is seen through the alias.
  dev_ram->set_offset(0xb0000);
  as.write(0xb0008, 0x66, 1);
  EXPECT_EQ(dev_ram->host_ptr()[8], 0x66);
}

TEST(MemoryTest, RomIgnoresWritesUntilShadowed) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto rom = MemoryRegion::rom("bios", 0x1000);
  root->add_subregion(0xf0000, rom.get());
  AddressSpace as("memory", root.get());
  uint8_t data[4] = {1, 2, 3, 4};
  as.load_buffer(0xf0000, data, 4);
  as.write(0xf0000, 0xff, 1);
  EXPECT_EQ(as.read(0xf0000, 4), 0x04030201u);
  EXPECT_EQ(as.host_ptr(0xf0000, true), nullptr);
  EXPECT_NE(as.host_ptr(0xf0000, false), nullptr);
  rom->set_readonly(false);
  as.write(0xf0000, 0xff, 1);
  EXPECT_EQ(as.read(0xf0000, 1), 0xffu);
}

// The chipset's read-only shadow RAM: RAM seen through a read-only alias
// reads as RAM and ignores writes (through every path), while the same RAM
// stays writable where it is seen directly.
TEST(MemoryTest, ReadOnlyAliasMakesRamIgnoreWrites) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x100000);
  auto shadow = MemoryRegion::alias("shadow", ram.get(), 0xf0000, 0x10000);
  root->add_subregion(0, ram.get());
  root->add_subregion(0xf0000, shadow.get(), 1);
  AddressSpace as("memory", root.get());
  as.write(0xf0000, 0x11, 1);
  EXPECT_EQ(ram->host_ptr()[0xf0000], 0x11);
  shadow->set_readonly(true);
  as.write(0xf0000, 0x22, 1);
  const uint8_t bytes[2] = {0x33, 0x44};
  as.write_buffer(0xf0001, bytes, 2);
  EXPECT_EQ(as.read(0xf0000, 1), 0x11u);
  EXPECT_EQ(ram->host_ptr()[0xf0001], 0);
  EXPECT_EQ(as.host_ptr(0xf0000, true), nullptr);
  EXPECT_NE(as.host_ptr(0xf0000, false), nullptr);
  EXPECT_TRUE(as.lookup(0xf0000)->readonly);
  EXPECT_FALSE(as.lookup(0xe0000)->readonly);
  as.write(0xe0000, 0x55, 1);  // outside the window: plain RAM
  EXPECT_EQ(as.read(0xe0000, 1), 0x55u);
  // The debugger's writes still land.
  as.write_rom_buffer(0xf0002, bytes, 1);
  EXPECT_EQ(ram->host_ptr()[0xf0002], 0x33);
  shadow->set_readonly(false);
  as.write(0xf0000, 0x66, 1);
  EXPECT_EQ(ram->host_ptr()[0xf0000], 0x66);
}

TEST(MemoryTest, DeviceAccessSplitToMaxSize) {
  auto root = MemoryRegion::container("io", 0x10000);
  FakeDevice dev(16);
  auto mr = MemoryRegion::io("dev", 16, &dev, {1, 1, false});
  root->add_subregion(0x3f8, mr.get());
  AddressSpace as("io", root.get());
  EXPECT_EQ(as.read(0x3f8, 4), 0x13121110u);
  ASSERT_EQ(dev.log.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(dev.log[i].offset, i);
    EXPECT_EQ(dev.log[i].size, 1u);
  }
}

TEST(MemoryTest, DeviceUnalignedSplitIntoAlignedPieces) {
  auto root = MemoryRegion::container("mmio", 1ull << 32);
  FakeDevice dev(16);
  auto mr = MemoryRegion::io("dev", 16, &dev, {1, 4, false});
  root->add_subregion(0x1000, mr.get());
  AddressSpace as("memory", root.get());
  EXPECT_EQ(as.read(0x1002, 4), 0x15141312u);
  ASSERT_EQ(dev.log.size(), 2u);
  EXPECT_EQ(dev.log[0].offset, 2u);
  EXPECT_EQ(dev.log[0].size, 2u);
  EXPECT_EQ(dev.log[1].offset, 4u);
  EXPECT_EQ(dev.log[1].size, 2u);
  dev.log.clear();
  as.write(0x1001, 0xaabbccdd, 4);
  // Halves at 1 and 3 are themselves unaligned: four single bytes.
  ASSERT_EQ(dev.log.size(), 4u);
  for (const auto& a : dev.log) EXPECT_EQ(a.size, 1u);
  EXPECT_EQ(dev.bytes[1], 0xdd);
  EXPECT_EQ(dev.bytes[2], 0xcc);
  EXPECT_EQ(dev.bytes[3], 0xbb);
  EXPECT_EQ(dev.bytes[4], 0xaa);
}

TEST(MemoryTest, DeviceTooNarrowAccessIsInvalid) {
  auto root = MemoryRegion::container("mmio", 1ull << 32);
  FakeDevice dev(16);
  auto mr = MemoryRegion::io("dev", 16, &dev, {4, 4, false});
  root->add_subregion(0x1000, mr.get());
  AddressSpace as("memory", root.get());
  MemTxResult r;
  EXPECT_EQ(as.read(0x1000, 1, &r), 0xffu);
  EXPECT_EQ(r, MemTxResult::kInvalid);
  EXPECT_TRUE(dev.log.empty());
  EXPECT_EQ(as.read(0x1000, 8), 0x1716151413121110ull);
  EXPECT_EQ(dev.log.size(), 2u);
}

TEST(MemoryTest, AccessCrossingRegionsSplits) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x1000);
  FakeDevice dev(16);
  auto mr = MemoryRegion::io("dev", 16, &dev, {1, 8, true});
  root->add_subregion(0, ram.get());
  root->add_subregion(0x1000, mr.get());
  AddressSpace as("memory", root.get());
  ram->host_ptr()[0xffe] = 0xaa;
  ram->host_ptr()[0xfff] = 0xbb;
  EXPECT_EQ(as.read(0xffe, 4), 0x1110bbaau);
  // RAM then hole: the hole part reads all-ones.
  auto root2 = MemoryRegion::container("system2", 1ull << 32);
  auto ram2 = MemoryRegion::ram("ram2", 0x1000);
  root2->add_subregion(0, ram2.get());
  AddressSpace as2("memory2", root2.get());
  ram2->host_ptr()[0xfff] = 0x42;
  EXPECT_EQ(as2.read(0xfff, 2), 0xff42u);
}

TEST(MemoryTest, DebuggerWritesReachRomRamAndDevices) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x1000);
  auto rom = MemoryRegion::rom("bios", 0x1000);
  FakeDevice dev(16);
  auto mr = MemoryRegion::io("dev", 16, &dev, {1, 4, false});
  root->add_subregion(0, ram.get());
  root->add_subregion(0x1000, rom.get());
  root->add_subregion(0x2000, mr.get());
  AddressSpace as("memory", root.get());
  const uint8_t cc[2] = {0xcc, 0xcc};
  as.write_buffer(0x1fff, cc, 1);  // the guest's view: ROM ignores it
  EXPECT_EQ(rom->host_ptr()[0xfff], 0);
  std::vector<uint8_t> data = {1, 2, 3, 4};
  EXPECT_EQ(as.write_rom_buffer(0xffe, data.data(), 4), MemTxResult::kOk);
  EXPECT_EQ(ram->host_ptr()[0xfff], 2);
  EXPECT_EQ(rom->host_ptr()[0], 3);
  EXPECT_EQ(rom->host_ptr()[1], 4);
  EXPECT_EQ(as.write_rom_buffer(0x1fff, cc, 2), MemTxResult::kOk);
  EXPECT_EQ(rom->host_ptr()[0xfff], 0xcc);
  EXPECT_EQ(dev.bytes[0], 0xcc);
  EXPECT_NE(as.write_rom_buffer(0x3000, cc, 1), MemTxResult::kOk);  // nothing there
}

TEST(MemoryTest, BufferCopiesAcrossRamAndDevices) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x1000);
  FakeDevice dev(16);
  auto mr = MemoryRegion::io("dev", 16, &dev, {1, 4, false});
  root->add_subregion(0, ram.get());
  root->add_subregion(0x1000, mr.get());
  AddressSpace as("memory", root.get());
  std::vector<uint8_t> data(32);
  for (int i = 0; i < 32; ++i) data[i] = static_cast<uint8_t>(i);
  as.write_buffer(0xff0, data.data(), 32);
  EXPECT_EQ(ram->host_ptr()[0xfff], 15);
  EXPECT_EQ(dev.bytes[15], 31);
  std::vector<uint8_t> back(32);
  as.read_buffer(0xff0, back.data(), 32);
  EXPECT_EQ(back, data);
}

TEST(MemoryTest, ListenersSeeMapChanges) {
  auto root = MemoryRegion::container("system", 1ull << 32);
  AddressSpace as("memory", root.get());
  int calls = 0;
  as.add_listener([&](const AddressSpace&) { ++calls; });
  auto ram = MemoryRegion::ram("ram", 0x1000);
  root->add_subregion(0, ram.get());
  EXPECT_EQ(calls, 1);
  ram->set_offset(0x2000);
  EXPECT_EQ(calls, 2);
  EXPECT_NE(as.host_ptr(0x2000, true), nullptr);
  EXPECT_EQ(as.host_ptr(0x0, true), nullptr);
}

}  // namespace
}  // namespace vx86
