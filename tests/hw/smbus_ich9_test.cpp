// The ICH9's SMBus host controller at register level, as Linux's i2c-i801
// drives it: the host enable, Byte Data and Word Data transactions to the
// SPD EEPROMs at 0x50-0x57, an absent address, the interrupt.
#include "hw/i2c/smbus_ich9.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/memory.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {
namespace {

constexpr uint64_t kBase = 0x700;  // where SeaBIOS puts it

class SmbusIch9Test : public ::testing::Test {
 protected:
  SmbusIch9Test() {
    bus_.set_intx_router([this](int, bool level) { irq_ = level; });
    bus_.plug(smbus_, pci::devfn(0x1f, 3));
    smbus_.reset();
    smbus_.config_write(pci::kBar0 + 4 * SmbusIch9::kBar, kBase, 4);
    smbus_.config_write(pci::kCommand, pci::kCommandIo, 2);
    smbus_.config_write(SmbusIch9::kHostConfig, 1, 1);
  }
  uint8_t in(unsigned reg) { return static_cast<uint8_t>(io_.read(kBase + reg, 1)); }
  void out(unsigned reg, uint8_t v) { io_.write(kBase + reg, v, 1); }
  // A transaction: address (7 bits), read or write, SMB_CMD, command code.
  uint8_t run(uint8_t address, bool read, uint8_t kind, uint8_t command, bool interrupt = false) {
    out(0x00, 0xfe);  // clear the status
    out(0x04, static_cast<uint8_t>(address << 1 | (read ? 1 : 0)));
    out(0x03, command);
    out(0x02, static_cast<uint8_t>(SmbusIch9::kControlStart | kind << 2 | (interrupt ? 1 : 0)));
    return in(0x00);
  }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  std::unique_ptr<MemoryRegion> pci_mem_ = MemoryRegion::container("pci-mem", UINT64_MAX);
  std::unique_ptr<MemoryRegion> io_root_ = MemoryRegion::container("io", 0x10000);
  AddressSpace mem_{"memory", system_.get()};
  AddressSpace io_{"io", io_root_.get()};
  PciBus bus_{*pci_mem_, *io_root_, mem_};
  SmbusIch9 smbus_;
  bool irq_ = false;
};

TEST_F(SmbusIch9Test, IdentifiesAsQemusIch9Smb) {
  EXPECT_EQ(smbus_.config_read(pci::kVendorId, 4), 0x29308086u);
  EXPECT_EQ(smbus_.config_read(0x08, 4), 0x0c050002u);
  EXPECT_EQ(smbus_.bar_info(SmbusIch9::kBar).size, 64u);
}

TEST_F(SmbusIch9Test, SpdEepromsAnswerByteAndWordData) {
  EXPECT_EQ(run(0x50, true, 2, 0x00), SmbusIch9::kStatusInterrupt);
  EXPECT_EQ(in(0x05), 0x00) << "empty SPD data, as QEMU's";
  out(0x05, 0x5a);
  EXPECT_EQ(run(0x57, false, 2, 0x10), SmbusIch9::kStatusInterrupt);
  EXPECT_EQ(run(0x57, true, 2, 0x10), SmbusIch9::kStatusInterrupt);
  EXPECT_EQ(in(0x05), 0x5a);
  out(0x05, 0x34);
  out(0x06, 0x12);
  run(0x51, false, 3, 0x20);  // Word Data write
  run(0x51, true, 3, 0x20);
  EXPECT_EQ(in(0x05), 0x34);
  EXPECT_EQ(in(0x06), 0x12);
  run(0x51, false, 1, 0x21);  // Send Byte: the address pointer
  run(0x51, true, 1, 0x00);   // Receive Byte
  EXPECT_EQ(in(0x05), 0x12);
}

TEST_F(SmbusIch9Test, AnAbsentAddressIsADeviceErrorAndBlocksAreRefused) {
  EXPECT_EQ(run(0x30, true, 2, 0) & SmbusIch9::kStatusDeviceError, SmbusIch9::kStatusDeviceError);
  EXPECT_EQ(run(0x50, true, 5, 0) & SmbusIch9::kStatusFailed, SmbusIch9::kStatusFailed);
  smbus_.config_write(SmbusIch9::kHostConfig, 0, 1);  // host disabled: nothing runs
  EXPECT_EQ(run(0x50, true, 2, 0), 0);
}

TEST_F(SmbusIch9Test, InterruptWhenEnabledUntilTheStatusIsCleared) {
  run(0x50, true, 2, 0, false);
  EXPECT_FALSE(irq_);
  run(0x50, true, 2, 0, true);
  EXPECT_TRUE(irq_);
  out(0x00, SmbusIch9::kStatusInterrupt);
  EXPECT_FALSE(irq_);
}

}  // namespace
}  // namespace vx86
