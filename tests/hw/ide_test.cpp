// The PIIX3 IDE function with no CPU: the test is the driver. It programs the
// task file through the legacy ports, moves data through the data port (PIO)
// and the bus-master engine (PRD tables in RAM), and talks ATAPI to a CD-ROM.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <vector>

#include "core/irq.h"
#include "core/memory.h"
#include "hw/block/drive_backend.h"
#include "hw/ide/piix_ide.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {
namespace {

// A drive in memory whose completions can be held back, as an asynchronous
// backend's are until the main loop runs them.
class MemDrive : public DriveBackend {
 public:
  explicit MemDrive(uint64_t size, bool read_only = false) : bytes(size), ro(read_only) {
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + i / 512);
  }
  std::string id() const override { return "mem"; }
  uint64_t length() const override { return bytes.size(); }
  bool read_only() const override { return ro; }
  void read(uint64_t off, void* buf, uint64_t len, Completion done) override {
    std::memcpy(buf, bytes.data() + off, len);
    complete(std::move(done));
  }
  void write(uint64_t off, const void* buf, uint64_t len, Completion done) override {
    std::memcpy(bytes.data() + off, buf, len);
    complete(std::move(done));
  }
  void flush(Completion done) override {
    ++flushes;
    complete(std::move(done));
  }
  void discard(uint64_t, uint64_t, Completion done) override { complete(std::move(done)); }
  void write_zeroes(uint64_t off, uint64_t len, Completion done) override {
    std::memset(bytes.data() + off, 0, len);
    complete(std::move(done));
  }
  // Runs the held completions.
  void run_pending() {
    while (!pending.empty()) {
      auto done = std::move(pending.front());
      pending.pop_front();
      done(true);
    }
  }

  // Removable media, as the monitor and the guest move them.
  bool inserted() const override { return present; }
  bool tray_open() const override { return tray; }
  uint64_t media_changes() const override { return changes; }
  void set_tray_locked(bool lock) override { locked = lock; }
  bool move_tray(bool open) override {
    if (open && locked) return false;
    if (open != tray) ++changes;
    tray = open;
    return true;
  }

  std::vector<uint8_t> bytes;
  bool ro;
  bool defer = false;
  int flushes = 0;
  std::deque<Completion> pending;
  bool present = true, tray = false, locked = false;
  uint64_t changes = 0;

 private:
  void complete(Completion done) {
    if (defer) {
      pending.push_back(std::move(done));
    } else {
      done(true);
    }
  }
};

constexpr uint16_t kCmd = 0x1f0, kCtl = 0x3f6, kCmd2 = 0x170, kCtl2 = 0x376;
constexpr uint16_t kBm = 0xc000;
constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDrq = 0x08, kErr = 0x01;
constexpr uint64_t kPrd = 0x1000, kDmaBuf = 0x10000;

class IdeTest : public ::testing::Test {
 protected:
  IdeTest() {
    system_->add_subregion(0, ram_.get());
    system_->add_subregion(0, pci_mem_.get(), -1);
    io_->add_subregion(0, pci_io_.get(), -1);
    for (int i : {14, 15}) {
      lines_[i].set_handler([this, i](bool level) {
        level_[i] = level;
        if (level) ++raised_[i];
      });
      isa_.irqs[i] = &lines_[i];
    }
    isa_.io = io_.get();
    host_.map_config_ports(*io_, bus_);
    bus_.plug(host_, 0);
    ide_ = std::make_unique<PiixIde>(isa_);
    ide_->attach(0, &disk_, IdeChannel::Media::kDisk);
    ide_->attach(2, &cd_, IdeChannel::Media::kCdrom);
    bus_.plug(*ide_, pci::devfn(1, 1));
    ide_->reset();
    cfg_write(0x20, kBm | 1, 4);
    cfg_write(0x04, pci::kCommandIo | pci::kCommandMaster, 2);
  }

  uint32_t cfg_read(unsigned reg, unsigned size) {
    io_space_.write(0xcf8, 0x80000000u | pci::devfn(1, 1) << 8 | (reg & 0xfc), 4);
    return static_cast<uint32_t>(io_space_.read(0xcfc + (reg & 3), size));
  }
  void cfg_write(unsigned reg, uint32_t v, unsigned size) {
    io_space_.write(0xcf8, 0x80000000u | pci::devfn(1, 1) << 8 | (reg & 0xfc), 4);
    io_space_.write(0xcfc + (reg & 3), v, size);
  }
  uint8_t in8(uint16_t port) { return static_cast<uint8_t>(io_space_.read(port, 1)); }
  uint16_t in16(uint16_t port) { return static_cast<uint16_t>(io_space_.read(port, 2)); }
  uint32_t in32(uint16_t port) { return static_cast<uint32_t>(io_space_.read(port, 4)); }
  void out8(uint16_t port, uint8_t v) { io_space_.write(port, v, 1); }
  void out16(uint16_t port, uint16_t v) { io_space_.write(port, v, 2); }

  // LBA28 task file for the selected device of the primary channel.
  void task_lba28(uint32_t lba, uint8_t count, uint8_t dev = 0) {
    out8(kCmd + 6, static_cast<uint8_t>(0xe0 | dev << 4 | (lba >> 24 & 0x0f)));
    out8(kCmd + 2, count);
    out8(kCmd + 3, static_cast<uint8_t>(lba));
    out8(kCmd + 4, static_cast<uint8_t>(lba >> 8));
    out8(kCmd + 5, static_cast<uint8_t>(lba >> 16));
  }
  std::vector<uint8_t> read_data(uint16_t base, size_t bytes) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < bytes; i += 2) {
      uint16_t w = in16(base);
      out.push_back(static_cast<uint8_t>(w));
      out.push_back(static_cast<uint8_t>(w >> 8));
    }
    return out;
  }
  std::vector<uint8_t> disk_bytes(uint64_t off, size_t len) {
    return {disk_.bytes.begin() + static_cast<long>(off),
            disk_.bytes.begin() + static_cast<long>(off + len)};
  }
  // A PRD table at kPrd: each entry (address, bytes), the last marked EOT.
  void prd_table(const std::vector<std::pair<uint32_t, uint32_t>>& entries) {
    for (size_t i = 0; i < entries.size(); ++i) {
      uint8_t e[8];
      uint32_t a = entries[i].first, n = entries[i].second;
      std::memcpy(e, &a, 4);
      e[4] = static_cast<uint8_t>(n);
      e[5] = static_cast<uint8_t>(n >> 8);
      e[6] = 0;
      e[7] = i + 1 == entries.size() ? 0x80 : 0;
      std::memcpy(ram_->host_ptr() + kPrd + 8 * i, e, 8);
    }
    io_space_.write(kBm + 4, kPrd, 4);
  }
  // Sends an ATAPI packet to the secondary master with a byte count limit.
  void packet(std::array<uint8_t, 12> cdb, uint16_t limit = 0xfffe, bool dma = false) {
    out8(kCmd2 + 6, 0xa0);
    out8(kCmd2 + 1, dma ? 1 : 0);
    out8(kCmd2 + 4, static_cast<uint8_t>(limit));
    out8(kCmd2 + 5, static_cast<uint8_t>(limit >> 8));
    out8(kCmd2 + 7, 0xa0);
    ASSERT_EQ(in8(kCmd2 + 7) & (kDrq | kBsy), kDrq);
    ASSERT_EQ(in8(kCmd2 + 2) & 3, 1);  // CoD: the device wants the command
    for (unsigned i = 0; i < 12; i += 2) {
      out16(kCmd2, static_cast<uint16_t>(cdb[i] | cdb[i + 1] << 8));
    }
  }
  // Reads a whole PIO data-in phase of an ATAPI command.
  std::vector<uint8_t> atapi_data_in() {
    std::vector<uint8_t> out;
    while ((in8(kCmd2 + 7) & kDrq) && (in8(kCmd2 + 2) & 3) == 2) {
      unsigned n = in8(kCmd2 + 4) | in8(kCmd2 + 5) << 8;
      auto chunk = read_data(kCmd2, n);
      out.insert(out.end(), chunk.begin(), chunk.end());
    }
    return out;
  }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> pci_mem_ = MemoryRegion::container("pci-mem", UINT64_MAX);
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::container("io", 0x10000);
  std::unique_ptr<MemoryRegion> pci_io_ = MemoryRegion::container("pci-io", 0x10000);
  AddressSpace mem_space_{"memory", system_.get()};
  AddressSpace io_space_{"io", io_.get()};
  PciBus bus_{*pci_mem_, *pci_io_, mem_space_};
  I440fxHost host_;
  IsaBus isa_;
  std::array<IrqLine, 16> lines_;
  std::array<bool, 16> level_{};
  std::array<int, 16> raised_{};
  MemDrive disk_{4 << 20};
  MemDrive cd_{64 * 2048, true};
  std::unique_ptr<PiixIde> ide_;
};

TEST_F(IdeTest, IdentifiesAsPiixIdeInLegacyMode) {
  EXPECT_EQ(cfg_read(0x00, 4), 0x70108086u);
  EXPECT_EQ(cfg_read(0x08, 4) >> 8, 0x010180u);
  EXPECT_EQ(cfg_read(0x40, 2) & 0x8000, 0x8000u);  // primary decode enabled
  EXPECT_EQ(cfg_read(0x42, 2) & 0x8000, 0x8000u);
  EXPECT_EQ(cfg_read(0x20, 4), kBm | 1u);
  // Disk signature on the primary master, nothing behind the slave.
  EXPECT_EQ(in8(kCmd + 2), 1);
  EXPECT_EQ(in8(kCmd + 3), 1);
  EXPECT_EQ(in8(kCmd + 4), 0);
  EXPECT_EQ(in8(kCmd + 5), 0);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrdy), kDrdy);
  out8(kCmd + 6, 0xb0);
  EXPECT_EQ(in8(kCmd + 7), 0);
  // The task-file registers latch for the absent device too (drivers probe so).
  out8(kCmd + 2, 0x55);
  EXPECT_EQ(in8(kCmd + 2), 0x55);
  // ATAPI signature on the secondary master.
  EXPECT_EQ(in8(kCmd2 + 4), 0x14);
  EXPECT_EQ(in8(kCmd2 + 5), 0xeb);
  // Clearing IDETIM's enable bit stops legacy decoding.
  cfg_write(0x41, 0x00, 1);
  EXPECT_EQ(in8(kCmd + 2), 0xff);
}

// A channel without devices reads 0 (not a floating 0xff, whose BSY bit
// firmware such as OVMF waits on), as QEMU's does.
TEST_F(IdeTest, AChannelWithoutDevicesReadsZero) {
  IdeChannel empty("empty", [](bool) {});
  empty.reset();
  EXPECT_EQ(empty.read_alt_status(), 0);
  for (unsigned reg = 1; reg < 8; ++reg) EXPECT_EQ(empty.read_command_block(reg, 1), 0u) << reg;
}

TEST_F(IdeTest, IdentifyDeviceDescribesTheDisk) {
  out8(kCmd + 6, 0xa0);
  out8(kCmd + 7, 0xec);
  EXPECT_TRUE(level_[14]);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq | kErr), kDrq);
  EXPECT_FALSE(level_[14]);  // reading status acknowledges
  auto id = read_data(kCmd, 512);
  auto word = [&](int n) { return static_cast<unsigned>(id[2 * n] | id[2 * n + 1] << 8); };
  EXPECT_EQ(word(0), 0x0040u);
  EXPECT_EQ(word(49) & 0x0300, 0x0300u);  // LBA and DMA
  EXPECT_EQ(word(60) | word(61) << 16, 8192u);
  EXPECT_EQ(word(100) | word(101) << 16, 8192u);
  EXPECT_TRUE(word(83) & (1u << 10));  // LBA48
  std::string model;
  for (int w = 27; w < 47; ++w) {
    model += static_cast<char>(word(w) >> 8);
    model += static_cast<char>(word(w) & 0xff);
  }
  EXPECT_EQ(model.substr(0, 13), "VX86 HARDDISK");
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq), 0);
}

TEST_F(IdeTest, PioWriteThenReadBack) {
  std::vector<uint8_t> data(3 * 512);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13 + 5);
  task_lba28(100, 3);
  out8(kCmd + 7, 0x30);  // WRITE SECTORS
  int irqs = raised_[14];
  for (int s = 0; s < 3; ++s) {
    ASSERT_EQ(in8(kCmd + 7) & (kBsy | kDrq), kDrq) << "sector " << s;
    for (int i = 0; i < 512; i += 2) {
      out16(kCmd, static_cast<uint16_t>(data[s * 512 + i] | data[s * 512 + i + 1] << 8));
    }
  }
  EXPECT_EQ(raised_[14] - irqs, 3);  // one interrupt per sector written
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq | kErr), 0);
  EXPECT_EQ(disk_bytes(100 * 512, data.size()), data);
  // The registers end at the last sector transferred.
  EXPECT_EQ(in8(kCmd + 3), 102);

  task_lba28(100, 3);
  out8(kCmd + 7, 0x20);  // READ SECTORS, 32-bit data port accesses
  std::vector<uint8_t> back;
  for (int s = 0; s < 3; ++s) {
    ASSERT_EQ(in8(kCmd + 7) & (kBsy | kDrq), kDrq);
    for (int i = 0; i < 512; i += 4) {
      uint32_t v = in32(kCmd);
      for (int b = 0; b < 4; ++b) back.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
  }
  EXPECT_EQ(back, data);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq | kErr), 0);
}

TEST_F(IdeTest, ReadMultipleAndLba48AndChs) {
  out8(kCmd + 6, 0xe0);
  out8(kCmd + 2, 4);
  out8(kCmd + 7, 0xc6);  // SET MULTIPLE MODE 4
  ASSERT_EQ(in8(kCmd + 7) & kErr, 0);
  task_lba28(8, 8);
  int irqs = raised_[14];
  out8(kCmd + 7, 0xc4);  // READ MULTIPLE: two blocks of four sectors
  auto first = read_data(kCmd, 4 * 512);
  EXPECT_EQ(in8(kCmd + 7) & kDrq, kDrq);
  auto second = read_data(kCmd, 4 * 512);
  first.insert(first.end(), second.begin(), second.end());
  EXPECT_EQ(first, disk_bytes(8 * 512, 8 * 512));
  EXPECT_EQ(raised_[14] - irqs, 2);

  // LBA48: sector 0x1234 through the high-order bytes written first.
  out8(kCmd + 6, 0x40);
  out8(kCmd + 2, 0);
  out8(kCmd + 2, 1);
  out8(kCmd + 3, 0);
  out8(kCmd + 3, 0x34);
  out8(kCmd + 4, 0);
  out8(kCmd + 4, 0x12);
  out8(kCmd + 5, 0);
  out8(kCmd + 5, 0);
  out8(kCmd + 7, 0x24);  // READ SECTORS EXT
  EXPECT_EQ(read_data(kCmd, 512), disk_bytes(0x1234 * 512, 512));

  // CHS: cylinder 1, head 2, sector 3 = (1 * 16 + 2) * 63 + 2.
  out8(kCmd + 6, 0xa2);
  out8(kCmd + 2, 1);
  out8(kCmd + 3, 3);
  out8(kCmd + 4, 1);
  out8(kCmd + 5, 0);
  out8(kCmd + 7, 0x20);
  EXPECT_EQ(read_data(kCmd, 512), disk_bytes(((1 * 16 + 2) * 63 + 2) * 512, 512));
}

TEST_F(IdeTest, ErrorsAbortWithoutTouchingTheDisk) {
  auto before = disk_.bytes;
  task_lba28(8190, 4);  // runs past the 8192-sector disk
  out8(kCmd + 7, 0x20);
  EXPECT_EQ(in8(kCmd + 7) & (kErr | kDrq), kErr);
  EXPECT_TRUE(in8(kCmd + 1) & 0x10);  // IDNF
  task_lba28(0, 1);
  out8(kCmd + 7, 0xff);  // no such command
  EXPECT_EQ(in8(kCmd + 7) & kErr, kErr);
  EXPECT_EQ(in8(kCmd + 1), 0x04);  // ABRT
  EXPECT_EQ(disk_.bytes, before);

  MemDrive ro(1 << 20, true);
  ide_->attach(1, &ro, IdeChannel::Media::kDisk);
  out8(kCmd + 6, 0xf0);
  out8(kCmd + 2, 1);
  out8(kCmd + 7, 0x30);  // writing a read-only disk
  EXPECT_EQ(in8(kCmd + 7) & (kErr | kDrq), kErr);
}

TEST_F(IdeTest, BusMasterDmaReadAndWrite) {
  // READ DMA of 3 sectors into two PRD entries (1024 + 512 bytes).
  prd_table({{kDmaBuf, 1024}, {kDmaBuf + 0x2000, 512}});
  task_lba28(40, 3);
  out8(kCmd + 7, 0xc8);
  EXPECT_TRUE(in8(kCmd + 7) & kBsy);  // waits for the engine
  io_space_.write(kBm, 0x09, 1);      // start, to memory
  EXPECT_TRUE(level_[14]);
  EXPECT_EQ(in8(kBm + 2) & 0x07, 0x04);  // interrupt, not active, no error
  io_space_.write(kBm, 0x00, 1);
  io_space_.write(kBm + 2, 0x04, 1);  // write-one-to-clear
  EXPECT_EQ(in8(kBm + 2) & 0x04, 0);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq | kErr), 0);
  std::vector<uint8_t> got(ram_->host_ptr() + kDmaBuf, ram_->host_ptr() + kDmaBuf + 1024);
  got.insert(got.end(), ram_->host_ptr() + kDmaBuf + 0x2000,
             ram_->host_ptr() + kDmaBuf + 0x2000 + 512);
  EXPECT_EQ(got, disk_bytes(40 * 512, 3 * 512));

  // WRITE DMA (LBA48) with the engine started first.
  for (int i = 0; i < 1024; ++i) ram_->host_ptr()[kDmaBuf + i] = static_cast<uint8_t>(0xa5 ^ i);
  prd_table({{kDmaBuf, 1024}});
  io_space_.write(kBm, 0x01, 1);  // start, from memory
  out8(kCmd + 6, 0x40);
  out8(kCmd + 2, 0);
  out8(kCmd + 2, 2);
  out8(kCmd + 3, 0);
  out8(kCmd + 3, 200);
  out8(kCmd + 4, 0);
  out8(kCmd + 4, 0);
  out8(kCmd + 5, 0);
  out8(kCmd + 5, 0);
  out8(kCmd + 7, 0x35);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kErr), 0);
  io_space_.write(kBm, 0x00, 1);
  EXPECT_EQ(disk_bytes(200 * 512, 1024),
            std::vector<uint8_t>(ram_->host_ptr() + kDmaBuf, ram_->host_ptr() + kDmaBuf + 1024));

  // A PRD table shorter than the transfer sets the engine's error bit.
  prd_table({{kDmaBuf, 512}});
  task_lba28(0, 2);
  out8(kCmd + 7, 0xc8);
  io_space_.write(kBm, 0x09, 1);
  EXPECT_EQ(in8(kBm + 2) & 0x02, 0x02);
  EXPECT_EQ(in8(kCmd + 7) & kErr, kErr);
}

TEST_F(IdeTest, DeferredCompletionsKeepTheDeviceBusy) {
  disk_.defer = true;
  task_lba28(5, 1);
  out8(kCmd + 7, 0x20);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq), kBsy);
  EXPECT_FALSE(level_[14]);
  out8(kCmd + 7, 0x20);  // a command while busy is ignored
  disk_.run_pending();
  EXPECT_TRUE(level_[14]);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq), kDrq);
  EXPECT_EQ(read_data(kCmd, 512), disk_bytes(5 * 512, 512));

  out8(kCmd + 7, 0xe7);  // FLUSH CACHE
  EXPECT_EQ(in8(kCmd + 7) & kBsy, kBsy);
  disk_.run_pending();
  EXPECT_EQ(disk_.flushes, 1);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kErr), 0);

  // A reset while a request is out: its completion no longer touches the channel.
  task_lba28(6, 1);
  out8(kCmd + 7, 0x20);
  ide_->reset();
  disk_.run_pending();
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq), 0);
}

TEST_F(IdeTest, SoftwareResetAndInterruptMask) {
  out8(kCtl, 0x02);  // nIEN
  task_lba28(0, 1);
  out8(kCmd + 7, 0x20);
  EXPECT_FALSE(level_[14]);
  EXPECT_EQ(io_space_.read(kCtl, 1) & kDrq, kDrq);  // alternate status
  out8(kCtl, 0x04);                                 // SRST
  EXPECT_EQ(in8(kCmd + 7) & kBsy, kBsy);
  out8(kCtl, 0x00);
  EXPECT_EQ(in8(kCmd + 7) & (kBsy | kDrq | kDrdy), kDrdy);
  EXPECT_EQ(in8(kCmd + 2), 1);
  EXPECT_EQ(in8(kCmd + 1), 1);
}

// A media change as QEMU's drive reports it: no medium while the tray is
// open, then NOT READY once and UNIT ATTENTION once, and a new-media event.
TEST_F(IdeTest, AtapiMediaChangesAsQemuReportsThem) {
  auto sense = [&] {
    packet({0x03, 0, 0, 0, 18});
    auto r = atapi_data_in();
    return r.size() == 18 ? r[2] << 8 | r[12] : -1;  // key, additional sense code
  };
  auto media_event = [&] {
    packet({0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8});  // GET EVENT STATUS NOTIFICATION, media
    auto r = atapi_data_in();
    return r.size() == 8 ? r[4] << 8 | r[5] : -1;  // event code, media status
  };
  auto test_unit_ready = [&] {
    packet({0x00});
    return (in8(kCmd2 + 7) & kErr) ? sense() : 0;
  };
  ASSERT_EQ(test_unit_ready(), 0);
  // The monitor's eject: tray open, no medium.
  cd_.present = false;
  cd_.tray = true;
  ++cd_.changes;
  EXPECT_EQ(test_unit_ready(), 0x023a);  // NOT READY, MEDIUM NOT PRESENT
  EXPECT_EQ(media_event(), 0x0001);      // no event while open; tray open
  packet({0x1b, 0, 0, 0, 0x03});         // START STOP UNIT: load (close the tray)
  EXPECT_EQ(in8(kCmd2 + 7) & kErr, 0);
  EXPECT_FALSE(cd_.tray);
  EXPECT_EQ(test_unit_ready(), 0x023a);  // closed, still empty
  // The monitor's change: a medium goes in.
  cd_.present = true;
  ++cd_.changes;
  EXPECT_EQ(media_event(), 0x0202);  // new media, present
  EXPECT_EQ(media_event(), 0x0002);  // reported once
  EXPECT_EQ(test_unit_ready(), 0x023a);
  EXPECT_EQ(test_unit_ready(), 0x0628);  // UNIT ATTENTION, MEDIUM MAY HAVE CHANGED
  EXPECT_EQ(test_unit_ready(), 0);
  // A locked tray does not open for the guest's eject.
  packet({0x1e, 0, 0, 0, 1});  // PREVENT MEDIUM REMOVAL
  EXPECT_TRUE(cd_.locked);
  packet({0x1b, 0, 0, 0, 0x02});  // START STOP UNIT: eject
  EXPECT_EQ(in8(kCmd2 + 7) & kErr, kErr);
  EXPECT_EQ(sense(), 0x0253);  // medium removal prevented
  EXPECT_FALSE(cd_.tray);
  packet({0x1e, 0, 0, 0, 0});
  packet({0x1b, 0, 0, 0, 0x02});
  EXPECT_TRUE(cd_.tray);
  EXPECT_EQ(test_unit_ready(), 0x023a);  // the medium is in an open tray
}

TEST_F(IdeTest, AtapiCdromCommands) {
  out8(kCmd2 + 6, 0xa0);
  out8(kCmd2 + 7, 0xec);  // IDENTIFY DEVICE: aborted, the signature tells ATAPI
  EXPECT_EQ(in8(kCmd2 + 7) & kErr, kErr);
  EXPECT_EQ(in8(kCmd2 + 4), 0x14);
  out8(kCmd2 + 7, 0xa1);  // IDENTIFY PACKET DEVICE
  ASSERT_EQ(in8(kCmd2 + 7) & kDrq, kDrq);
  auto id = read_data(kCmd2, 512);
  EXPECT_EQ(id[0] | id[1] << 8, 0x85c0);

  packet({0x12, 0, 0, 0, 36});  // INQUIRY
  auto inquiry = atapi_data_in();
  ASSERT_EQ(inquiry.size(), 36u);
  EXPECT_EQ(inquiry[0], 0x05);
  EXPECT_EQ(std::string(inquiry.begin() + 16, inquiry.begin() + 28), "VX86 DVD-ROM");
  EXPECT_EQ(in8(kCmd2 + 2) & 3, 3);  // command complete
  EXPECT_EQ(in8(kCmd2 + 7) & (kErr | kDrq), 0);

  packet({0x25});  // READ CAPACITY
  auto cap = atapi_data_in();
  ASSERT_EQ(cap.size(), 8u);
  EXPECT_EQ(cap[3], 63);
  EXPECT_EQ(cap[6] << 8 | cap[7], 2048);

  // READ(10) of two blocks with a 1000-byte limit: whole chunks of 1000 bytes.
  packet({0x28, 0, 0, 0, 0, 3, 0, 0, 2}, 1000);
  EXPECT_EQ(in8(kCmd2 + 4) | in8(kCmd2 + 5) << 8, 1000);
  auto blocks = atapi_data_in();
  EXPECT_EQ(blocks,
            std::vector<uint8_t>(cd_.bytes.begin() + 3 * 2048, cd_.bytes.begin() + 5 * 2048));

  packet({0x43, 0, 0, 0, 0, 0, 0, 0, 20});  // READ TOC
  auto toc = atapi_data_in();
  ASSERT_EQ(toc.size(), 20u);
  EXPECT_EQ(toc[14], 0xaa);  // lead-out
  EXPECT_EQ(toc[19], 64);    // at block 64

  packet({0x51, 0, 0, 0, 0, 0, 0, 0, 34});  // READ DISC INFORMATION
  auto disc = atapi_data_in();
  ASSERT_EQ(disc.size(), 34u);
  EXPECT_EQ(disc[1], 32);    // length after the field
  EXPECT_EQ(disc[2], 0x0e);  // complete disc, complete last session
  EXPECT_EQ(disc[4], 1);     // one session
  EXPECT_EQ(disc[6], 1);     // its last track is track 1

  // Past the end, then an unknown command: CHECK CONDITION, and REQUEST SENSE says why.
  packet({0x28, 0, 0, 0, 0, 63, 0, 0, 2});
  EXPECT_EQ(in8(kCmd2 + 7) & kErr, kErr);
  EXPECT_EQ(in8(kCmd2 + 1) >> 4, 5);
  packet({0xd9});
  EXPECT_EQ(in8(kCmd2 + 7) & kErr, kErr);
  packet({0x03, 0, 0, 0, 18});
  auto sense = atapi_data_in();
  ASSERT_EQ(sense.size(), 18u);
  EXPECT_EQ(sense[2], 5);
  EXPECT_EQ(sense[12], 0x20);

  // READ(10) by DMA through the secondary channel's engine.
  io_space_.write(kBm + 8 + 4, kPrd, 4);
  prd_table({{kDmaBuf, 2048}});
  io_space_.write(kBm + 8 + 4, kPrd, 4);
  packet({0x28, 0, 0, 0, 0, 7, 0, 0, 1}, 0xfffe, true);
  io_space_.write(kBm + 8, 0x09, 1);
  EXPECT_TRUE(level_[15]);
  EXPECT_EQ(in8(kCmd2 + 7) & (kErr | kDrq | kBsy), 0);
  EXPECT_EQ(std::vector<uint8_t>(ram_->host_ptr() + kDmaBuf, ram_->host_ptr() + kDmaBuf + 2048),
            std::vector<uint8_t>(cd_.bytes.begin() + 7 * 2048, cd_.bytes.begin() + 8 * 2048));
}

}  // namespace
}  // namespace vx86
