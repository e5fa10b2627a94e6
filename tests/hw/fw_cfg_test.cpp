// fw_cfg as firmware uses it: the port interface (selector 0x510, data
// 0x511), the file directory, and DMA (an FWCfgDmaAccess in guest RAM whose
// address goes, big-endian, to 0x514/0x518).
#include "hw/misc/fw_cfg.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/memory.h"

namespace vx86 {
namespace {

class FwCfgTest : public ::testing::Test {
 protected:
  FwCfgTest() {
    system_->add_subregion(0, ram_.get());
    cfg_.map(*io_);
    cfg_.add_u64(FwCfg::kRamSize, 0x8000000);
    cfg_.add_file("etc/zeta", {1, 2, 3});
    cfg_.add_file("etc/alpha", std::vector<uint8_t>(100, 0xAB));
  }

  std::vector<uint8_t> read_item(uint16_t key, std::size_t n) {
    io_space_.write(0x510, key, 2);
    std::vector<uint8_t> out;
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(static_cast<uint8_t>(io_space_.read(0x511, 1)));
    return out;
  }
  uint32_t be32(const std::vector<uint8_t>& b, std::size_t at) {
    return static_cast<uint32_t>(b[at]) << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];
  }
  // Runs one DMA access described at 0x1000 and returns its control word.
  uint32_t dma(uint32_t control, uint32_t length, uint64_t address) {
    auto be = [&](uint64_t at, uint64_t v, unsigned bytes) {
      for (unsigned i = 0; i < bytes; ++i) {
        mem_.write(at + i, (v >> (8 * (bytes - 1 - i))) & 0xFF, 1);
      }
    };
    be(0x1000, control, 4);
    be(0x1004, length, 4);
    be(0x1008, address, 8);
    io_space_.write(0x514, __builtin_bswap32(0), 4);  // high half of the address
    io_space_.write(0x518, __builtin_bswap32(0x1000), 4);
    return __builtin_bswap32(static_cast<uint32_t>(mem_.read(0x1000, 4)));
  }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::container("io", 0x10000);
  AddressSpace mem_{"memory", system_.get()};
  AddressSpace io_space_{"io", io_.get()};
  FwCfg cfg_{mem_};
};

TEST_F(FwCfgTest, SignatureIdAndItemsThroughThePorts) {
  EXPECT_EQ(read_item(FwCfg::kSignature, 4), (std::vector<uint8_t>{'Q', 'E', 'M', 'U'}));
  EXPECT_EQ(read_item(FwCfg::kId, 4), (std::vector<uint8_t>{3, 0, 0, 0}));  // traditional + DMA
  EXPECT_EQ(read_item(FwCfg::kRamSize, 8), (std::vector<uint8_t>{0, 0, 0, 8, 0, 0, 0, 0}));
  // Past the end, and keys with nothing behind them, read zeros.
  EXPECT_EQ(read_item(FwCfg::kSignature, 6), (std::vector<uint8_t>{'Q', 'E', 'M', 'U', 0, 0}));
  EXPECT_EQ(read_item(0x1234, 2), (std::vector<uint8_t>{0, 0}));
  // The DMA register reads "QEMU CFG".
  std::string sig;
  for (unsigned i = 0; i < 8; ++i) sig += static_cast<char>(io_space_.read(0x514 + i, 1));
  EXPECT_EQ(sig, "QEMU CFG");
}

TEST_F(FwCfgTest, FileDirectoryListsFilesByName) {
  std::vector<uint8_t> dir = read_item(FwCfg::kFileDir, 4 + 2 * 64);
  ASSERT_EQ(be32(dir, 0), 2u);
  // Sorted by name: etc/alpha (100 bytes) first, then etc/zeta (3 bytes).
  EXPECT_EQ(be32(dir, 4), 100u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&dir[12])), "etc/alpha");
  EXPECT_EQ(be32(dir, 68), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&dir[76])), "etc/zeta");
  const uint16_t zeta = static_cast<uint16_t>(dir[72] << 8 | dir[73]);
  EXPECT_EQ(read_item(zeta, 3), (std::vector<uint8_t>{1, 2, 3}));
}

// set_file replaces a file's contents under the same key (bootorder on reset).
TEST_F(FwCfgTest, SetFileReplacesTheContentsInPlace) {
  cfg_.set_file("etc/zeta", {9, 8, 7, 6});
  cfg_.set_file("bootorder", {'x', 0});
  std::vector<uint8_t> dir = read_item(FwCfg::kFileDir, 4 + 3 * 64);
  ASSERT_EQ(be32(dir, 0), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&dir[12])), "bootorder");
  EXPECT_EQ(be32(dir, 4 + 2 * 64), 4u);  // etc/zeta, now 4 bytes
  const uint16_t zeta = static_cast<uint16_t>(dir[4 + 2 * 64 + 4] << 8 | dir[4 + 2 * 64 + 5]);
  EXPECT_EQ(zeta, FwCfg::kFileFirst);  // its key is kept
  EXPECT_EQ(read_item(zeta, 4), (std::vector<uint8_t>{9, 8, 7, 6}));
}

TEST_F(FwCfgTest, DmaSelectsReadsSkipsAndRefusesWrites) {
  const uint32_t select_signature = uint32_t{FwCfg::kSignature} << 16 | FwCfg::kDmaSelect;
  EXPECT_EQ(dma(select_signature | FwCfg::kDmaRead, 6, 0x2000), 0u);
  EXPECT_EQ(mem_.read(0x2000, 4), 0x554d4551u);  // "QEMU"
  EXPECT_EQ(mem_.read(0x2004, 2), 0u);           // zeros past the end
  // Skip then read continues from the same item's offset.
  EXPECT_EQ(dma(uint32_t{FwCfg::kRamSize} << 16 | FwCfg::kDmaSelect | FwCfg::kDmaSkip, 3, 0), 0u);
  EXPECT_EQ(dma(FwCfg::kDmaRead, 1, 0x3000), 0u);
  EXPECT_EQ(mem_.read(0x3000, 1), 0x08u);
  // Items are read-only: a write reports the error bit.
  EXPECT_EQ(dma(select_signature | FwCfg::kDmaWrite, 4, 0x2000), FwCfg::kDmaError);
}

}  // namespace
}  // namespace vx86
