// virtio-blk-pci with no CPU: the test is the driver. It finds the virtio
// capabilities in configuration space, negotiates features, lays out split
// virtqueues in guest RAM and submits requests, over the modern interface
// (BAR 4) and the legacy one (I/O BAR 0), with INTx or MSI-X (BAR 1; the
// messages land in an MSI window at 0xFEE00000, as on the pc machine).
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "core/irq.h"
#include "core/memory.h"
#include "hw/block/drive_backend.h"
#include "hw/intc/msi_window.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/piix3.h"
#include "hw/virtio/virtio_blk_pci.h"
#include "tests/hw/mem_drive.h"
#include "tests/hw/pci_test_bus.h"

namespace vx86 {
namespace {

using test::MemDrive;

constexpr uint8_t kSlot = 4;
constexpr uint16_t kLegacyPort = 0xc000;
constexpr uint64_t kModernBase = 0xfe000000;
constexpr uint64_t kMsixBase = 0xfe100000;
constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000;
constexpr uint16_t kQueueSize = 16;

struct Caps {
  uint32_t common = 0, isr = 0, device = 0, notify = 0, notify_mult = 0;
  unsigned pci_cfg = 0;
  unsigned msix = 0;
};

using Message = std::pair<uint64_t, uint32_t>;

class VirtioBlkTest : public ::testing::Test {
 protected:
  void SetUp() override { make_device(false); }

  void make_device(bool read_only, unsigned msix_vectors = kVirtioBlkPciVectors) {
    dev_.reset();
    drive_ = std::make_unique<MemDrive>(1 << 20, read_only);
    for (size_t i = 0; i < drive_->bytes.size(); ++i)
      drive_->bytes[i] = static_cast<uint8_t>(i * 7 + i / 512);
    if (!msi_window_.region()->parent()) {
      pci_.system().add_subregion(MsiWindow::kBase, msi_window_.region());
    }
    dev_ = make_virtio_blk_pci(*drive_, "vx86-serial", msix_vectors);
    unplugged_ = false;
    // PciBus keeps its pointer; a fresh device needs a fresh slot.
    pci_.bus().plug(*dev_, pci::devfn(kSlot + plugs_++, 0));
    fn_ = dev_->devfn();
    cfg_write(0x10, kLegacyPort, 4);
    cfg_write(0x20, static_cast<uint32_t>(kModernBase), 4);
    cfg_write(0x24, 0, 4);
    cfg_write(0x14, static_cast<uint32_t>(kMsixBase), 4);  // BAR 1
    cfg_write(0x04, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster, 2);
    find_caps();
  }

  uint32_t cfg_read(unsigned reg, unsigned size) { return pci_.config_read(fn_, reg, size); }
  void cfg_write(unsigned reg, uint32_t v, unsigned size) { pci_.config_write(fn_, reg, v, size); }

  void find_caps() {
    caps_ = {};
    for (unsigned cap = cfg_read(0x34, 1); cap; cap = cfg_read(cap + 1, 1)) {
      if (cfg_read(cap, 1) == pci::kCapMsix) {
        caps_.msix = cap;
        continue;
      }
      ASSERT_EQ(cfg_read(cap, 1), pci::kCapVendor);
      unsigned type = cfg_read(cap + 3, 1);
      if (type != 5) {
        ASSERT_EQ(cfg_read(cap + 4, 1), 4u);  // BAR 4
      }
      uint32_t off = cfg_read(cap + 8, 4);
      switch (type) {
        case 1:
          caps_.common = off;
          break;
        case 2:
          caps_.notify = off;
          caps_.notify_mult = cfg_read(cap + 16, 4);
          break;
        case 3:
          caps_.isr = off;
          break;
        case 4:
          caps_.device = off;
          break;
        case 5:
          caps_.pci_cfg = cap;
          break;
      }
    }
  }

  uint64_t common(unsigned off, unsigned size) {
    return mem_.read(kModernBase + caps_.common + off, size);
  }
  void set_common(unsigned off, uint64_t v, unsigned size) {
    mem_.write(kModernBase + caps_.common + off, v, size);
  }
  uint64_t devcfg(unsigned off, unsigned size) {
    return mem_.read(kModernBase + caps_.device + off, size);
  }
  uint8_t read_isr() { return static_cast<uint8_t>(mem_.read(kModernBase + caps_.isr, 1)); }

  uint64_t device_features() {
    set_common(0x00, 0, 4);
    uint64_t lo = common(0x04, 4);
    set_common(0x00, 1, 4);
    return lo | common(0x04, 4) << 32;
  }

  // Driver initialisation (3.1.1) over the modern interface.
  bool modern_init(uint64_t features) {
    set_common(0x14, 0, 1);
    set_common(0x14, 1, 1);
    set_common(0x14, 3, 1);
    set_common(0x08, 0, 4);
    set_common(0x0c, static_cast<uint32_t>(features), 4);
    set_common(0x08, 1, 4);
    set_common(0x0c, static_cast<uint32_t>(features >> 32), 4);
    set_common(0x14, 0xb, 1);
    if (!(common(0x14, 1) & 8)) return false;
    // Fresh rings, as a driver allocates them.
    std::vector<uint8_t> zero(0x1000);
    mem_.write_buffer(kAvail, zero.data(), zero.size());
    mem_.write_buffer(kUsed, zero.data(), zero.size());
    set_common(0x16, 0, 2);
    set_common(0x18, kQueueSize, 2);
    set_common(0x20, kDesc, 4);
    set_common(0x24, 0, 4);
    set_common(0x28, kAvail, 4);
    set_common(0x2c, 0, 4);
    set_common(0x30, kUsed, 4);
    set_common(0x34, 0, 4);
    set_common(0x1c, 1, 2);
    set_common(0x14, 0xf, 1);
    avail_idx_ = 0;
    used_seen_ = 0;
    return true;
  }

  void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                uint16_t next) {
    mem_.write(table + 16 * i, addr, 8);
    mem_.write(table + 16 * i + 8, len, 4);
    mem_.write(table + 16 * i + 12, flags, 2);
    mem_.write(table + 16 * i + 14, next, 2);
  }
  void make_available(uint16_t head) {
    mem_.write(kAvail + 4 + 2 * (avail_idx_ % kQueueSize), head, 2);
    ++avail_idx_;
    mem_.write(kAvail + 2, avail_idx_, 2);
  }
  void notify_modern() { mem_.write(kModernBase + caps_.notify + 0 * caps_.notify_mult, 0, 2); }
  uint16_t used_idx() { return static_cast<uint16_t>(mem_.read(kUsed + 2, 2)); }
  // Used element n: (id, len).
  std::pair<uint32_t, uint32_t> used_elem(unsigned n) {
    return {static_cast<uint32_t>(mem_.read(kUsed + 4 + 8 * (n % kQueueSize), 4)),
            static_cast<uint32_t>(mem_.read(kUsed + 4 + 8 * (n % kQueueSize) + 4, 4))};
  }

  // One request: header, optional data buffer, status; returns the status.
  uint8_t request(uint32_t type, uint64_t sector, uint64_t data_addr, uint32_t data_len,
                  bool data_in, void (VirtioBlkTest::*notify)() = &VirtioBlkTest::notify_modern) {
    constexpr uint64_t kHdr = 0x30000, kStatus = 0x30100;
    mem_.write(kHdr, type, 4);
    mem_.write(kHdr + 4, 0, 4);
    mem_.write(kHdr + 8, sector, 8);
    mem_.write(kStatus, 0xee, 1);
    uint16_t head = static_cast<uint16_t>((avail_idx_ * 3) % kQueueSize);
    uint16_t d1 = static_cast<uint16_t>((head + 1) % kQueueSize),
             d2 = static_cast<uint16_t>((head + 2) % kQueueSize);
    if (data_len) {
      put_desc(kDesc, head, kHdr, 16, Virtqueue::kDescNext, d1);
      put_desc(kDesc, d1, data_addr, data_len,
               Virtqueue::kDescNext | (data_in ? Virtqueue::kDescWrite : 0), d2);
      put_desc(kDesc, d2, kStatus, 1, Virtqueue::kDescWrite, 0);
    } else {
      put_desc(kDesc, head, kHdr, 16, Virtqueue::kDescNext, d1);
      put_desc(kDesc, d1, kStatus, 1, Virtqueue::kDescWrite, 0);
    }
    make_available(head);
    (this->*notify)();
    EXPECT_EQ(used_idx(), static_cast<uint16_t>(used_seen_ + 1));
    auto [id, len] = used_elem(used_seen_);
    EXPECT_EQ(id, head);
    last_used_len_ = len;
    ++used_seen_;
    return static_cast<uint8_t>(mem_.read(kStatus, 1));
  }

  PciTestBus pci_;  // first: the regions below are placed in its memory
  std::vector<Message> messages_;
  MsiWindow msi_window_{
      [this](uint64_t address, uint32_t data) { messages_.emplace_back(address, data); }};
  AddressSpace& mem_ = pci_.memory();
  AddressSpace& io_space_ = pci_.io();
  std::unique_ptr<MemDrive> drive_;
  std::unique_ptr<VirtioPci> dev_;
  bool unplugged_ = false;
  int plugs_ = 0;
  uint8_t fn_ = 0;
  Caps caps_;
  uint16_t avail_idx_ = 0;
  uint16_t used_seen_ = 0;
  uint32_t last_used_len_ = 0;
};

constexpr uint64_t kFeatures =
    1ull << 32 | 1ull << 9 | 1ull << 13 | 1ull << 14 | 1ull << 6 | 1ull << 2;

TEST_F(VirtioBlkTest, IdentifiesAsTransitionalBlockDevice) {
  EXPECT_EQ(cfg_read(0x00, 4), 0x10011af4u);
  EXPECT_EQ(cfg_read(0x2c, 4), 0x00021af4u);
  EXPECT_EQ(cfg_read(0x08, 1), 0u);  // revision 0: transitional
  EXPECT_EQ(cfg_read(0x09, 4) & 0xffffff, 0x010000u);
  EXPECT_EQ(cfg_read(0x3d, 1), 1u);  // INTA
  EXPECT_EQ(caps_.common, 0x0000u);
  EXPECT_EQ(caps_.isr, 0x1000u);
  EXPECT_EQ(caps_.device, 0x2000u);
  EXPECT_EQ(caps_.notify, 0x3000u);
  EXPECT_EQ(caps_.notify_mult, 4u);
  EXPECT_NE(caps_.pci_cfg, 0u);
  // BAR sizes: legacy I/O 128 bytes, modern 16 KiB 64-bit prefetchable.
  cfg_write(0x04, 0, 2);
  cfg_write(0x10, 0xffffffff, 4);
  EXPECT_EQ(cfg_read(0x10, 4), 0xffffff81u);
  cfg_write(0x20, 0xffffffff, 4);
  EXPECT_EQ(cfg_read(0x20, 4), 0xffffc00cu);
}

TEST_F(VirtioBlkTest, ConfigurationSpace) {
  uint64_t f = device_features();
  EXPECT_TRUE(f & 1ull << 32);  // VERSION_1
  EXPECT_TRUE(f & 1ull << 28);  // INDIRECT_DESC
  EXPECT_TRUE(f & 1ull << 29);  // EVENT_IDX
  EXPECT_TRUE(f & 1ull << 9);   // FLUSH
  EXPECT_TRUE(f & 1ull << 13);  // DISCARD
  EXPECT_TRUE(f & 1ull << 14);  // WRITE_ZEROES
  EXPECT_FALSE(f & 1ull << 5);  // RO
  EXPECT_EQ(devcfg(0, 4) | devcfg(4, 4) << 32, (1u << 20) / 512);
  EXPECT_EQ(devcfg(0, 8), (1u << 20) / 512);
  EXPECT_EQ(devcfg(12, 4), VirtioBlk::kQueueSize - 2u);
  EXPECT_EQ(devcfg(20, 4), 512u);
  EXPECT_EQ(common(0x12, 2), 1u);       // num_queues
  EXPECT_EQ(common(0x10, 2), 0xffffu);  // no MSI-X vector
  set_common(0x16, 0, 2);
  EXPECT_EQ(common(0x18, 2), VirtioBlk::kQueueSize);
  EXPECT_EQ(common(0x1e, 2), 0u);
}

TEST_F(VirtioBlkTest, FeaturesOkNeedsVersion1) {
  EXPECT_FALSE(modern_init(kFeatures & ~(1ull << 32)));
  EXPECT_TRUE(modern_init(kFeatures | 1ull << 40));  // unknown bit dropped
  set_common(0x08, 1, 4);
  EXPECT_EQ(common(0x0c, 4), 0x101u);                           // shadow as written ...
  EXPECT_FALSE(dev_->virtio().driver_features() & 1ull << 40);  // ... but not negotiated
}

TEST_F(VirtioBlkTest, WriteThenReadBackOverModernInterface) {
  ASSERT_TRUE(modern_init(kFeatures));
  std::vector<uint8_t> pattern(1024);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i ^ 0x5a);
  mem_.write_buffer(0x40000, pattern.data(), pattern.size());
  EXPECT_EQ(request(VirtioBlk::kTypeOut, 10, 0x40000, 1024, false), VirtioBlk::kStatusOk);
  EXPECT_EQ(last_used_len_, 1u);
  EXPECT_EQ(0, std::memcmp(drive_->bytes.data() + 10 * 512, pattern.data(), 1024));
  EXPECT_TRUE(pci_.irq());
  EXPECT_EQ(read_isr(), 1u);
  EXPECT_FALSE(pci_.irq());  // reading the ISR deasserts INTx
  EXPECT_EQ(read_isr(), 0u);

  EXPECT_EQ(request(VirtioBlk::kTypeIn, 9, 0x50000, 1536, true), VirtioBlk::kStatusOk);
  EXPECT_EQ(last_used_len_, 1537u);
  std::vector<uint8_t> got(1536);
  mem_.read_buffer(0x50000, got.data(), got.size());
  EXPECT_EQ(0, std::memcmp(got.data(), drive_->bytes.data() + 9 * 512, 1536));
  EXPECT_EQ(0, std::memcmp(got.data() + 512, pattern.data(), 1024));
}

TEST_F(VirtioBlkTest, IndirectDescriptorsAndSplitBuffers) {
  ASSERT_TRUE(modern_init(kFeatures | 1ull << 28));
  constexpr uint64_t kTable = 0x60000, kHdr = 0x61000, kStatus = 0x61100;
  mem_.write(kHdr, VirtioBlk::kTypeIn, 4);
  mem_.write(kHdr + 8, 3, 8);
  // Header split over two buffers, data over three.
  put_desc(kTable, 0, kHdr, 8, Virtqueue::kDescNext, 1);
  put_desc(kTable, 1, kHdr + 8, 8, Virtqueue::kDescNext, 2);
  put_desc(kTable, 2, 0x62000, 100, Virtqueue::kDescNext | Virtqueue::kDescWrite, 3);
  put_desc(kTable, 3, 0x63000, 412, Virtqueue::kDescNext | Virtqueue::kDescWrite, 4);
  put_desc(kTable, 4, 0x64000, 512, Virtqueue::kDescNext | Virtqueue::kDescWrite, 5);
  put_desc(kTable, 5, kStatus, 1, Virtqueue::kDescWrite, 0);
  put_desc(kDesc, 7, kTable, 6 * 16, Virtqueue::kDescIndirect, 0);
  make_available(7);
  notify_modern();
  ASSERT_EQ(used_idx(), 1u);
  EXPECT_EQ(used_elem(0), (std::pair<uint32_t, uint32_t>{7, 1025}));
  EXPECT_EQ(mem_.read(kStatus, 1), VirtioBlk::kStatusOk);
  std::vector<uint8_t> got(1024);
  mem_.read_buffer(0x62000, got.data(), 100);
  mem_.read_buffer(0x63000, got.data() + 100, 412);
  mem_.read_buffer(0x64000, got.data() + 512, 512);
  EXPECT_EQ(0, std::memcmp(got.data(), drive_->bytes.data() + 3 * 512, 1024));
}

TEST_F(VirtioBlkTest, FlushGetIdDiscardWriteZeroes) {
  ASSERT_TRUE(modern_init(kFeatures));
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_EQ(drive_->flushes, 1);

  EXPECT_EQ(request(VirtioBlk::kTypeGetId, 0, 0x40000, 20, true), VirtioBlk::kStatusOk);
  char id[21] = {};
  mem_.read_buffer(0x40000, id, 20);
  EXPECT_STREQ(id, "vx86-serial");

  // One range: sector 8, 4 sectors.
  mem_.write(0x41000, 8, 8);
  mem_.write(0x41008, 4, 4);
  mem_.write(0x4100c, 0, 4);
  EXPECT_EQ(request(VirtioBlk::kTypeDiscard, 0, 0x41000, 16, false), VirtioBlk::kStatusOk);
  EXPECT_EQ(drive_->last_discard, (std::pair<uint64_t, uint64_t>{4096, 2048}));
  mem_.write(0x4100c, 1, 4);  // unmap flag: only for write-zeroes
  EXPECT_EQ(request(VirtioBlk::kTypeDiscard, 0, 0x41000, 16, false), VirtioBlk::kStatusUnsupported);
  EXPECT_EQ(request(VirtioBlk::kTypeWriteZeroes, 0, 0x41000, 16, false), VirtioBlk::kStatusOk);
  for (int i = 0; i < 2048; ++i) ASSERT_EQ(drive_->bytes[4096 + i], 0) << i;
  EXPECT_NE(drive_->bytes[4096 + 2048], 0);
}

TEST_F(VirtioBlkTest, BadRequestsGetErrorStatus) {
  ASSERT_TRUE(modern_init(kFeatures));
  uint64_t sectors = (1u << 20) / 512;
  EXPECT_EQ(request(VirtioBlk::kTypeIn, sectors - 1, 0x40000, 1024, true), VirtioBlk::kStatusIoErr);
  EXPECT_EQ(request(VirtioBlk::kTypeIn, ~0ull / 256, 0x40000, 512, true), VirtioBlk::kStatusIoErr);
  EXPECT_EQ(request(VirtioBlk::kTypeIn, 0, 0x40000, 100, true), VirtioBlk::kStatusIoErr);
  EXPECT_EQ(request(99, 0, 0x40000, 512, true), VirtioBlk::kStatusUnsupported);
  EXPECT_EQ(request(VirtioBlk::kTypeIn, sectors - 1, 0x40000, 512, true), VirtioBlk::kStatusOk);
}

TEST_F(VirtioBlkTest, ReadOnlyDrive) {
  make_device(true);
  uint64_t f = device_features();
  EXPECT_TRUE(f & 1ull << 5);
  EXPECT_FALSE(f & 1ull << 13);
  ASSERT_TRUE(modern_init(kFeatures | 1ull << 5));
  auto before = drive_->bytes;
  EXPECT_EQ(request(VirtioBlk::kTypeOut, 0, 0x40000, 512, false), VirtioBlk::kStatusIoErr);
  EXPECT_EQ(drive_->bytes, before);
  EXPECT_EQ(request(VirtioBlk::kTypeIn, 0, 0x40000, 512, true), VirtioBlk::kStatusOk);
}

TEST_F(VirtioBlkTest, DescriptorLoopNeedsResetWithoutHanging) {
  ASSERT_TRUE(modern_init(kFeatures));
  put_desc(kDesc, 0, 0x30000, 16, Virtqueue::kDescNext, 1);
  put_desc(kDesc, 1, 0x30100, 1, Virtqueue::kDescNext, 0);
  make_available(0);
  notify_modern();
  EXPECT_EQ(used_idx(), 0u);
  EXPECT_TRUE(common(0x14, 1) & virtio::kStatusNeedsReset);
  EXPECT_EQ(read_isr(), virtio::kIsrConfig);
  // Reset and start over.
  ASSERT_TRUE(modern_init(kFeatures));
  EXPECT_FALSE(common(0x14, 1) & virtio::kStatusNeedsReset);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
}

TEST_F(VirtioBlkTest, EventIdxSuppressesInterrupts) {
  ASSERT_TRUE(modern_init(kFeatures | 1ull << 29));
  // used_event = 1: interrupt only when the used index passes 1.
  mem_.write(kAvail + 4 + 2 * kQueueSize, 1, 2);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_FALSE(pci_.irq());
  // avail_event tells the driver how far the device has read.
  EXPECT_EQ(mem_.read(kUsed + 4 + 8 * kQueueSize, 2), 1u);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_TRUE(pci_.irq());
}

TEST_F(VirtioBlkTest, NoInterruptFlagWithoutEventIdx) {
  ASSERT_TRUE(modern_init(kFeatures));
  mem_.write(kAvail, Virtqueue::kAvailNoInterrupt, 2);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_FALSE(pci_.irq());
}

TEST_F(VirtioBlkTest, PciConfigAccessCapabilityReachesCommonConfig) {
  unsigned cap = caps_.pci_cfg;
  cfg_write(cap + 4, 4, 1);     // BAR 4
  cfg_write(cap + 8, 0x12, 4);  // num_queues
  cfg_write(cap + 12, 2, 4);    // 2 bytes
  EXPECT_EQ(cfg_read(cap + 16, 2), 1u);
  cfg_write(cap + 8, 0x14, 4);  // device_status
  cfg_write(cap + 12, 1, 4);
  cfg_write(cap + 16, 1, 1);  // ACKNOWLEDGE
  EXPECT_EQ(common(0x14, 1), 1u);
}

class VirtioBlkLegacyTest : public VirtioBlkTest {
 protected:
  void legacy_init(uint32_t features) {
    io_space_.write(kLegacyPort + 0x12, 0, 1);
    io_space_.write(kLegacyPort + 0x12, 3, 1);
    uint32_t host = static_cast<uint32_t>(io_space_.read(kLegacyPort, 4));
    io_space_.write(kLegacyPort + 4, host & features, 4);
    io_space_.write(kLegacyPort + 0x0e, 0, 2);
    legacy_size_ = static_cast<uint16_t>(io_space_.read(kLegacyPort + 0x0c, 2));
    io_space_.write(kLegacyPort + 8, kLegacyRing / 4096, 4);
    io_space_.write(kLegacyPort + 0x12, 7, 1);
  }
  void notify_legacy() { io_space_.write(kLegacyPort + 0x10, 0, 2); }
  static constexpr uint64_t kLegacyRing = 0x80000;
  uint16_t legacy_size_ = 0;
};

TEST_F(VirtioBlkLegacyTest, LegacyInterfaceReadsAndWrites) {
  uint32_t host = static_cast<uint32_t>(io_space_.read(kLegacyPort, 4));
  EXPECT_TRUE(host & 1u << 9);
  EXPECT_EQ(io_space_.read(kLegacyPort + 0x14, 4), (1u << 20) / 512);  // capacity, low half
  legacy_init(1u << 9);
  ASSERT_EQ(legacy_size_, VirtioBlk::kQueueSize);
  // Legacy layout: descriptors, then the avail ring, then the used ring at the next page.
  uint64_t desc = kLegacyRing, avail = desc + 16 * legacy_size_;
  uint64_t used = (avail + 4 + 2 * legacy_size_ + 2 + 4095) & ~4095ull;
  mem_.write(0x30000, VirtioBlk::kTypeIn, 4);
  mem_.write(0x30008, 2, 8);
  put_desc(desc, 0, 0x30000, 16, Virtqueue::kDescNext, 1);
  put_desc(desc, 1, 0x40000, 512, Virtqueue::kDescNext | Virtqueue::kDescWrite, 2);
  put_desc(desc, 2, 0x30100, 1, Virtqueue::kDescWrite, 0);
  mem_.write(avail + 4, 0, 2);
  mem_.write(avail + 2, 1, 2);
  notify_legacy();
  EXPECT_EQ(mem_.read(used + 2, 2), 1u);
  EXPECT_EQ(mem_.read(0x30100, 1), VirtioBlk::kStatusOk);
  std::vector<uint8_t> got(512);
  mem_.read_buffer(0x40000, got.data(), 512);
  EXPECT_EQ(0, std::memcmp(got.data(), drive_->bytes.data() + 1024, 512));
  EXPECT_TRUE(pci_.irq());
  EXPECT_EQ(io_space_.read(kLegacyPort + 0x13, 1), 1u);
  EXPECT_FALSE(pci_.irq());
  // Status 0 resets: the queue is gone.
  io_space_.write(kLegacyPort + 0x12, 0, 1);
  EXPECT_EQ(io_space_.read(kLegacyPort + 8, 4), 0u);
}

TEST_F(VirtioBlkTest, MachineResetClearsEverything) {
  ASSERT_TRUE(modern_init(kFeatures));
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  dev_->reset();
  EXPECT_FALSE(pci_.irq());
  EXPECT_EQ(dev_->bar_address(4), PciDevice::kUnmapped);
  EXPECT_EQ(dev_->virtio().status(), 0u);
  EXPECT_FALSE(dev_->virtio().queue(0).ready());
}

// --- MSI-X.

class VirtioBlkMsixTest : public VirtioBlkTest {
 protected:
  uint16_t msix_control() { return static_cast<uint16_t>(cfg_read(caps_.msix + 2, 2)); }
  void set_msix_control(uint16_t v) { cfg_write(caps_.msix + 2, v, 2); }
  // Table entry: destination APIC `dest`, vector `vector`, mask bit.
  void program_entry(unsigned n, uint8_t dest, uint8_t vector, bool masked) {
    const uint64_t entry = kMsixBase + 16 * n;
    mem_.write(entry, 0xfee00000u | uint32_t{dest} << 12, 4);
    mem_.write(entry + 4, 0, 4);
    mem_.write(entry + 8, vector, 4);
    mem_.write(entry + 12, masked ? 1 : 0, 4);
  }
  void set_entry_masked(unsigned n, bool masked) {
    mem_.write(kMsixBase + 16 * n + 12, masked ? 1 : 0, 4);
  }
  uint64_t pba() { return mem_.read(kMsixBase + 0x800, 8); }
  // A driver as Linux's virtio_pci: MSI-X on, vector 0 for configuration
  // changes and vector 1 for the request queue.
  void init_with_vectors() {
    program_entry(0, 0, 0x41, false);
    program_entry(1, 1, 0x42, false);
    set_msix_control(PciMsix::kControlEnable);
    ASSERT_TRUE(modern_init(kFeatures));
    set_common(0x10, 0, 2);
    set_common(0x16, 0, 2);
    set_common(0x1a, 1, 2);
  }
};

TEST_F(VirtioBlkMsixTest, CapabilityDescribesTableAndPbaInBar1) {
  ASSERT_NE(caps_.msix, 0u);
  EXPECT_EQ(msix_control(), kVirtioBlkPciVectors - 1);  // table size N-1, disabled, unmasked
  EXPECT_EQ(cfg_read(caps_.msix + 4, 4), 1u);           // table at 0 of BAR 1
  EXPECT_EQ(cfg_read(caps_.msix + 8, 4), 0x801u);       // PBA at 0x800 of BAR 1
  EXPECT_EQ(cfg_read(0x14, 4), static_cast<uint32_t>(kMsixBase));  // a 32-bit memory BAR
  // Every vector starts masked, nothing pending.
  EXPECT_EQ(mem_.read(kMsixBase + 12, 4), 1u);
  EXPECT_EQ(mem_.read(kMsixBase + 16 + 12, 4), 1u);
  EXPECT_EQ(pba(), 0u);
  // Only the mask bit of Vector Control is writable.
  mem_.write(kMsixBase + 12, 0xfffffffe, 4);
  EXPECT_EQ(mem_.read(kMsixBase + 12, 4), 0u);
  // The table takes 64-bit accesses too.
  mem_.write(kMsixBase, 0x00000000fee03000ull, 8);
  EXPECT_EQ(mem_.read(kMsixBase, 8), 0xfee03000u);
}

TEST_F(VirtioBlkMsixTest, QueueInterruptIsTheQueuesVectorAndNotIntx) {
  init_with_vectors();
  EXPECT_EQ(common(0x10, 2), 0u);
  EXPECT_EQ(common(0x1a, 2), 1u);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  ASSERT_EQ(messages_.size(), 1u);
  EXPECT_EQ(messages_[0], Message(0xfee01000u, 0x42u));
  EXPECT_FALSE(pci_.irq());
  EXPECT_FALSE(cfg_read(pci::kStatus, 2) & pci::kStatusInterrupt);
}

TEST_F(VirtioBlkMsixTest, ConfigurationChangeUsesTheConfigVector) {
  init_with_vectors();
  // A descriptor that points at itself: the device needs a reset and says so
  // with a configuration interrupt.
  put_desc(kDesc, 0, 0x30000, 16, Virtqueue::kDescNext, 0);
  make_available(0);
  notify_modern();
  ASSERT_EQ(messages_.size(), 1u);
  EXPECT_EQ(messages_[0], Message(0xfee00000u, 0x41u));
}

TEST_F(VirtioBlkMsixTest, MaskedVectorIsPendingUntilUnmasked) {
  init_with_vectors();
  set_entry_masked(1, true);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_TRUE(messages_.empty());
  EXPECT_EQ(pba(), 2u);
  set_entry_masked(1, false);
  ASSERT_EQ(messages_.size(), 1u);
  EXPECT_EQ(messages_[0], Message(0xfee01000u, 0x42u));
  EXPECT_EQ(pba(), 0u);
}

TEST_F(VirtioBlkMsixTest, FunctionMaskHoldsEveryVector) {
  init_with_vectors();
  set_msix_control(PciMsix::kControlEnable | PciMsix::kControlFunctionMask);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_TRUE(messages_.empty());
  EXPECT_EQ(pba(), 2u);
  set_msix_control(PciMsix::kControlEnable);
  EXPECT_EQ(messages_.size(), 1u);
  EXPECT_EQ(pba(), 0u);
}

TEST_F(VirtioBlkMsixTest, NoVectorMeansNoInterrupt) {
  init_with_vectors();
  set_common(0x1a, 0xffff, 2);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_TRUE(messages_.empty());
  EXPECT_FALSE(pci_.irq());
  // A vector beyond the table is refused: it reads back as NO_VECTOR.
  set_common(0x1a, 7, 2);
  EXPECT_EQ(common(0x1a, 2), 0xffffu);
  set_common(0x10, 2, 2);
  EXPECT_EQ(common(0x10, 2), 0xffffu);
}

TEST_F(VirtioBlkMsixTest, NoMessageWithoutBusMastering) {
  init_with_vectors();
  // A message is a memory write: with bus mastering off it never leaves.
  cfg_write(0x04, pci::kCommandIo | pci::kCommandMemory, 2);
  dev_->msix()->notify(1);
  EXPECT_TRUE(messages_.empty());
  cfg_write(0x04, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster, 2);
  dev_->msix()->notify(1);
  EXPECT_EQ(messages_.size(), 1u);
}

TEST_F(VirtioBlkMsixTest, DisabledMsixFallsBackToIntx) {
  init_with_vectors();
  set_msix_control(0);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_TRUE(messages_.empty());
  EXPECT_TRUE(pci_.irq());
  // Enabling MSI-X takes INTx away even while the ISR is set.
  set_msix_control(PciMsix::kControlEnable);
  EXPECT_FALSE(pci_.irq());
  EXPECT_EQ(read_isr(), virtio::kIsrQueue);
}

TEST_F(VirtioBlkMsixTest, VectorsZeroMeansNoMsixCapability) {
  make_device(false, 0);
  EXPECT_EQ(caps_.msix, 0u);
  EXPECT_EQ(cfg_read(0x14, 4), 0u);  // no BAR 1
  ASSERT_TRUE(modern_init(kFeatures));
  set_common(0x1a, 0, 2);
  EXPECT_EQ(common(0x1a, 2), 0xffffu);
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  EXPECT_TRUE(pci_.irq());
}

TEST_F(VirtioBlkMsixTest, LegacyLayoutMovesTheConfigurationWhileMsixIsOn) {
  const uint64_t capacity = (1u << 20) / 512;
  EXPECT_EQ(io_space_.read(kLegacyPort + VirtioPci::kLegacyConfigOffset, 4), capacity);
  set_msix_control(PciMsix::kControlEnable);
  EXPECT_EQ(io_space_.read(kLegacyPort + VirtioPci::kLegacyConfigOffsetMsix, 4), capacity);
  EXPECT_EQ(io_space_.read(kLegacyPort + 0x14, 2), 0xffffu);  // config vector
  io_space_.write(kLegacyPort + 0x14, 1, 2);
  io_space_.write(kLegacyPort + 0x0e, 0, 2);  // queue 0
  io_space_.write(kLegacyPort + 0x16, 0, 2);
  EXPECT_EQ(io_space_.read(kLegacyPort + 0x14, 2), 1u);
  EXPECT_EQ(io_space_.read(kLegacyPort + 0x16, 2), 0u);
  EXPECT_EQ(common(0x10, 2), 1u);  // one set of vectors behind both interfaces
}

TEST_F(VirtioBlkMsixTest, ResetMasksEverythingAndForgetsVectors) {
  init_with_vectors();
  EXPECT_EQ(request(VirtioBlk::kTypeFlush, 0, 0, 0, false), VirtioBlk::kStatusOk);
  set_common(0x14, 0, 1);  // driver reset: vectors go
  EXPECT_EQ(common(0x10, 2), 0xffffu);
  set_common(0x16, 0, 2);
  EXPECT_EQ(common(0x1a, 2), 0xffffu);
  dev_->reset();  // machine reset: MSI-X off, entries masked and cleared
  cfg_write(0x14, static_cast<uint32_t>(kMsixBase), 4);
  cfg_write(0x04, pci::kCommandMemory, 2);
  EXPECT_EQ(msix_control(), kVirtioBlkPciVectors - 1);
  EXPECT_EQ(mem_.read(kMsixBase + 16 + 8, 4), 0u);
  EXPECT_EQ(mem_.read(kMsixBase + 16 + 12, 4), 1u);
}

}  // namespace
}  // namespace vx86
