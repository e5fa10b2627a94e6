// The ICH9 AHCI controller at register level, as a driver uses it: the
// host registers, a port's link after COMRESET, commands through the
// command list (IDENTIFY by PIO, READ/WRITE DMA EXT, an ATAPI READ(10) by
// DMA), the received FISes and PRDBC, errors (a read past the disk's end,
// a command table without a command FIS), interrupts by INTx and by MSI.
#include "hw/ide/ahci.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "core/memory.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_regs.h"
#include "tests/hw/mem_drive.h"

namespace vx86 {
namespace {

constexpr uint64_t kAbar = 0xfebf0000;
constexpr uint64_t kMsiWindow = 0xfee00000;
// Guest memory layout: the command list, the received-FIS area, a command
// table and a data buffer.
constexpr uint64_t kCommandList = 0x10000, kFisArea = 0x11000, kTable = 0x12000, kData = 0x20000;
constexpr unsigned kPort = 0x100;  // port 0's registers
constexpr unsigned kPxIs = 0x10, kPxIe = 0x14, kPxCmd = 0x18, kPxTfd = 0x20, kPxSig = 0x24,
                   kPxSsts = 0x28, kPxSctl = 0x2c, kPxCi = 0x38;

// Counts the messages written to the MSI window.
class MsiRecorder : public IoOps {
 public:
  uint64_t read(uint64_t, unsigned) override { return 0; }
  void write(uint64_t offset, uint64_t value, unsigned) override {
    messages.push_back({offset, static_cast<uint32_t>(value)});
  }
  std::vector<std::pair<uint64_t, uint32_t>> messages;
};

class AhciTest : public ::testing::Test {
 protected:
  AhciTest() {
    system_->add_subregion(0, ram_.get());
    system_->add_subregion(0, pci_mem_.get(), -1);
    system_->add_subregion(kMsiWindow, msi_region_.get(), 1);
    bus_.set_intx_router([this](int pirq, bool level) { intx_[pirq] = level; });
    bus_.plug(hba_, pci::devfn(0x1f, 2));
    hba_.attach(0, 0, &disk_, IdeChannel::Media::kDisk);
    hba_.attach(2, 0, &cd_, IdeChannel::Media::kCdrom);
    hba_.reset();
    hba_.config_write(pci::kBar0 + 4 * AhciHba::kAbarBar, static_cast<uint32_t>(kAbar), 4);
    hba_.config_write(pci::kCommand, pci::kCommandMemory | pci::kCommandMaster, 2);
    for (std::size_t i = 0; i < disk_.bytes.size(); ++i)
      disk_.bytes[i] = static_cast<uint8_t>(i * 7);
    for (std::size_t i = 0; i < cd_.bytes.size(); ++i)
      cd_.bytes[i] = static_cast<uint8_t>(i / 2048);
  }

  uint32_t reg(unsigned offset) { return static_cast<uint32_t>(mem_.read(kAbar + offset, 4)); }
  void set_reg(unsigned offset, uint32_t value) { mem_.write(kAbar + offset, value, 4); }
  uint32_t port_reg(unsigned port, unsigned offset) { return reg(kPort + port * 0x80 + offset); }
  void set_port_reg(unsigned port, unsigned offset, uint32_t value) {
    set_reg(kPort + port * 0x80 + offset, value);
  }
  void put32(uint64_t at, uint32_t v) { mem_.write(at, v, 4); }
  uint32_t get32(uint64_t at) { return static_cast<uint32_t>(mem_.read(at, 4)); }
  uint8_t get8(uint64_t at) { return static_cast<uint8_t>(mem_.read(at, 1)); }

  // Starts port `port` as a driver does: COMRESET, the list and FIS area,
  // FIS receive and the engine on, interrupts enabled.
  void start_port(unsigned port) {
    set_port_reg(port, kPxSctl, 0x301);
    set_port_reg(port, kPxSctl, 0x300);
    set_port_reg(port, 0x00, kCommandList);
    set_port_reg(port, 0x08, kFisArea);
    set_port_reg(port, kPxIe, 0xffffffff);
    set_port_reg(port, kPxCmd, AhciPort::kCmdFisReceive | AhciPort::kCmdSpinUp);
    set_port_reg(port, kPxCmd,
                 AhciPort::kCmdFisReceive | AhciPort::kCmdSpinUp | AhciPort::kCmdStart);
    set_reg(0x04, AhciHba::kGhcAhciEnable | AhciHba::kGhcInterruptEnable);
  }
  // Issues a command in slot 0: a register H2D FIS with command, LBA and
  // count, one PRD entry of `bytes` at kData; `atapi` adds the packet.
  void issue(unsigned port, uint8_t command, uint64_t lba, uint16_t count, uint32_t bytes,
             bool write = false, const std::vector<uint8_t>& packet = {}, uint8_t features = 0) {
    const uint32_t dw0 = 5u | (packet.empty() ? 0 : 1u << 5) | (write ? 1u << 6 : 0) | 1u << 16;
    put32(kCommandList, dw0);
    put32(kCommandList + 4, 0xdeadbeef);  // PRDBC, which the HBA sets
    put32(kCommandList + 8, kTable);
    put32(kCommandList + 12, 0);
    uint8_t fis[20] = {0x27,
                       0x80,
                       command,
                       features,
                       static_cast<uint8_t>(lba),
                       static_cast<uint8_t>(lba >> 8),
                       static_cast<uint8_t>(lba >> 16),
                       0x40,
                       static_cast<uint8_t>(lba >> 24),
                       static_cast<uint8_t>(lba >> 32),
                       static_cast<uint8_t>(lba >> 40),
                       0,
                       static_cast<uint8_t>(count),
                       static_cast<uint8_t>(count >> 8)};
    mem_.write_buffer(kTable, fis, sizeof fis);
    if (!packet.empty()) mem_.write_buffer(kTable + 0x40, packet.data(), packet.size());
    put32(kTable + 0x80, kData);
    put32(kTable + 0x84, 0);
    put32(kTable + 0x8c, bytes - 1);
    set_port_reg(port, kPxCi, 1);
  }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> pci_mem_ = MemoryRegion::container("pci-mem", UINT64_MAX);
  std::unique_ptr<MemoryRegion> pci_io_ = MemoryRegion::container("pci-io", 0x10000);
  MsiRecorder msi_;
  std::unique_ptr<MemoryRegion> msi_region_ = MemoryRegion::io("msi", 0x100000, &msi_);
  AddressSpace mem_{"memory", system_.get()};
  PciBus bus_{*pci_mem_, *pci_io_, mem_};
  std::array<bool, PciBus::kPirqs> intx_{};
  test::MemDrive disk_{1 << 20};
  test::MemDrive cd_{16 * 2048, true};
  AhciHba hba_;
};

TEST_F(AhciTest, HostRegistersDescribeSixPortsWithoutNcq) {
  EXPECT_EQ(hba_.config_read(pci::kVendorId, 4), 0x29228086u);
  EXPECT_EQ(hba_.config_read(0x08, 4), 0x01060102u) << "SATA, AHCI, revision 2";
  const uint32_t cap = reg(0x00);
  EXPECT_EQ(cap & 0x1f, 5u) << "six ports";
  EXPECT_EQ((cap >> 8) & 0x1f, 31u) << "32 command slots";
  EXPECT_TRUE(cap & 1u << 31) << "64-bit addressing";
  EXPECT_FALSE(cap & 1u << 30) << "no NCQ";
  EXPECT_EQ(reg(0x0c), 0x3fu) << "ports implemented";
  EXPECT_EQ(reg(0x10), 0x00010000u) << "AHCI 1.0";
  EXPECT_EQ(reg(0x04), AhciHba::kGhcAhciEnable);
  EXPECT_EQ(mem_.read(kAbar, 1), cap & 0xff) << "byte reads";
}

TEST_F(AhciTest, ComresetBringsTheLinkUpWithTheDevicesSignature) {
  start_port(0);
  start_port(2);
  EXPECT_EQ(port_reg(0, kPxSsts), 0x113u);
  EXPECT_EQ(port_reg(0, kPxSig), 0x00000101u) << "ATA disk";
  EXPECT_EQ(port_reg(0, kPxTfd) & 0xff, 0x50u) << "ready";
  EXPECT_EQ(port_reg(2, kPxSig), 0xeb140101u) << "ATAPI";
  EXPECT_EQ(port_reg(1, kPxSsts), 0u) << "nothing on port 1";
  EXPECT_EQ(port_reg(1, kPxTfd), 0x7fu);
  EXPECT_EQ(port_reg(0, kPxCmd) & (AhciPort::kCmdListRunning | AhciPort::kCmdFisRunning),
            AhciPort::kCmdListRunning | AhciPort::kCmdFisRunning);
  EXPECT_EQ(get8(kFisArea + 0x40), 0x34) << "the signature's D2H FIS";
}

TEST_F(AhciTest, IdentifyByPioFillsThePrdTableAndEndsWithAPioSetupFis) {
  start_port(0);
  issue(0, 0xec, 0, 0, 512);
  EXPECT_EQ(port_reg(0, kPxCi), 0u) << "done";
  EXPECT_EQ(get32(kCommandList + 4), 512u) << "PRDBC";
  EXPECT_EQ(get8(kData + 27 * 2 + 1), 'V') << "the model's first character (word 27, high byte)";
  const uint32_t is = port_reg(0, kPxIs);
  EXPECT_TRUE(is & AhciPort::kIntPioSetup);
  EXPECT_TRUE(is & AhciPort::kIntD2hRegister);
  EXPECT_EQ(get8(kFisArea + 0x20), 0x5f) << "PIO setup FIS";
  EXPECT_EQ(get8(kFisArea + 0x20 + 15) & 0x89, 0u)
      << "its ending status: not busy, no DRQ or error";
  EXPECT_TRUE(intx_[PciBus::pirq_of(0x1f, 1)]) << "INTA";
  set_port_reg(0, kPxIs, is);
  EXPECT_FALSE(intx_[PciBus::pirq_of(0x1f, 1)]);
}

TEST_F(AhciTest, DmaCommandsMoveSectorsThroughThePrdTable) {
  start_port(0);
  disk_.deferred = true;       // the drive answers later, as on the main loop
  issue(0, 0x25, 3, 2, 1024);  // READ DMA EXT
  EXPECT_EQ(port_reg(0, kPxCi), 1u) << "running";
  EXPECT_TRUE(port_reg(0, kPxTfd) & 0x80) << "busy";
  disk_.complete_pending();
  EXPECT_EQ(port_reg(0, kPxCi), 0u);
  EXPECT_EQ(get32(kCommandList + 4), 1024u);
  std::vector<uint8_t> got(1024);
  mem_.read_buffer(kData, got.data(), got.size());
  EXPECT_EQ(std::memcmp(got.data(), disk_.bytes.data() + 3 * 512, got.size()), 0);
  EXPECT_EQ(get8(kFisArea + 0x40), 0x34);
  EXPECT_EQ(get8(kFisArea + 0x42), 0x50) << "D2H status";

  set_port_reg(0, kPxIs, 0xffffffff);
  std::vector<uint8_t> pattern(512, 0xa5);
  mem_.write_buffer(kData, pattern.data(), pattern.size());
  issue(0, 0x35, 100, 1, 512, true);  // WRITE DMA EXT
  disk_.complete_pending();
  EXPECT_EQ(port_reg(0, kPxCi), 0u);
  EXPECT_EQ(disk_.bytes[100 * 512], 0xa5);
  EXPECT_EQ(disk_.bytes[100 * 512 + 511], 0xa5);
}

TEST_F(AhciTest, AtapiReadByDma) {
  start_port(2);
  // READ(10) of block 5, one block, by DMA (features bit 0).
  issue(2, 0xa0, 0, 0, 2048, false, {0x28, 0, 0, 0, 0, 5, 0, 0, 1, 0, 0, 0}, 1);
  EXPECT_EQ(port_reg(2, kPxCi), 0u);
  EXPECT_EQ(get32(kCommandList + 4), 2048u);
  EXPECT_EQ(get8(kData), 5);
  EXPECT_EQ(get8(kData + 2047), 5);
}

TEST_F(AhciTest, AFailedCommandReportsTheTaskFileErrorAndStopsTheEngine) {
  start_port(0);
  issue(0, 0x25, (1 << 20) / 512, 1, 512);  // just past the end
  EXPECT_TRUE(port_reg(0, kPxIs) & AhciPort::kIntTaskFileError);
  EXPECT_EQ(port_reg(0, kPxTfd) & 0x01, 0x01u) << "ERR";
  issue(0, 0xec, 0, 0, 512);
  EXPECT_EQ(port_reg(0, kPxCi), 1u) << "nothing runs until the engine restarts";
  set_port_reg(0, kPxCmd, AhciPort::kCmdFisReceive);  // ST off: the list is dropped
  EXPECT_EQ(port_reg(0, kPxCi), 0u);
  set_port_reg(0, kPxCmd, AhciPort::kCmdFisReceive | AhciPort::kCmdStart);
  issue(0, 0xec, 0, 0, 512);
  EXPECT_EQ(port_reg(0, kPxCi), 0u);

  // A table without a register H2D FIS is a host bus fatal error, not a crash.
  set_port_reg(0, kPxIs, 0xffffffff);
  put32(kTable, 0x00000000);
  put32(kCommandList + 32, 5u);
  put32(kCommandList + 40, kTable);
  set_port_reg(0, kPxCi, 2);
  EXPECT_TRUE(port_reg(0, kPxIs) & AhciPort::kIntHostBusFatal);
}

TEST_F(AhciTest, WithMsiEnabledInterruptsAreMessages) {
  const uint8_t cap = hba_.config_read(pci::kCapabilityList, 1);
  ASSERT_EQ(hba_.config_read(cap, 1), 0x05u) << "MSI first, as QEMU's";
  hba_.config_write(cap + 4, 0xfee00000, 4);
  hba_.config_write(cap + 8, 0, 4);
  hba_.config_write(cap + 12, 0x4041, 2);
  hba_.config_write(cap + 2, 1, 2);
  start_port(0);
  issue(0, 0xec, 0, 0, 512);
  ASSERT_FALSE(msi_.messages.empty());
  EXPECT_EQ(msi_.messages.back().second, 0x4041u);
  EXPECT_FALSE(intx_[PciBus::pirq_of(0x1f, 1)]) << "no INTx with MSI";
}

}  // namespace
}  // namespace vx86
