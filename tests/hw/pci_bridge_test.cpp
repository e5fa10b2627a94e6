// PCI-to-PCI bridges and QEMU's PCI Express root port, with no CPU: the test
// plays the guest (Linux, or firmware) numbering the bus behind a bridge,
// opening its windows, placing the BARs of a function behind it, and taking
// its interrupts, through configuration mechanism #1 and ECAM.
#include <gtest/gtest.h>

#include <memory>

#include "hw/pci/pci_bridge.h"
#include "hw/pci/pci_ecam.h"
#include "hw/pci/pcie_pci_bridge.h"
#include "hw/pci/pcie_root_port.h"
#include "hw/virtio/virtio_blk_pci.h"
#include "tests/hw/mem_drive.h"
#include "tests/hw/pci_test_bus.h"

namespace vx86 {
namespace {

using namespace pci;

// A function with an I/O BAR, a 32-bit and a 64-bit prefetchable memory BAR
// whose regions answer 0xab00 + offset.
class Endpoint : public PciDevice, public IoOps {
 public:
  explicit Endpoint(uint8_t pin = 1)
      : PciDevice(
            "endpoint",
            PciIds{
                .vendor = 0x1234, .device = 0x5678, .class_code = 0xff0000, .interrupt_pin = pin}) {
    register_bar(0, PciBarType::kIo, io_.get());
    register_bar(1, PciBarType::kMem32, mem_.get());
    register_bar(2, PciBarType::kMem64Prefetch, mem64_.get());
  }
  uint64_t read(uint64_t offset, unsigned) override { return 0xab00 + offset; }
  void write(uint64_t, uint64_t, unsigned) override {}
  void reset() override {
    PciDevice::reset();
    ++resets;
  }
  int resets = 0;

 private:
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::io("endpoint-io", 32, this);
  std::unique_ptr<MemoryRegion> mem_ = MemoryRegion::io("endpoint-mem", 4096, this);
  std::unique_ptr<MemoryRegion> mem64_ = MemoryRegion::io("endpoint-mem64", 16384, this);
};

constexpr uint8_t kPortDevfn = devfn(2, 0);
constexpr unsigned kBus1 = 1;

class PciBridgeTest : public ::testing::Test {
 protected:
  PciBridgeTest() {
    pci_.bus().plug(port_, kPortDevfn);
    ecam_.place(pci_.system(), kEcamBase, 1u << 28);
  }

  // Configuration space of bus/devfn through ECAM (any register).
  uint32_t ecam_read(unsigned bus, unsigned devfn, unsigned reg, unsigned size) {
    return static_cast<uint32_t>(
        pci_.memory().read(kEcamBase + (bus << 20 | devfn << 12 | reg), size));
  }
  // Through ports 0xCF8/0xCFC, with a bus number (type 1 cycles).
  uint32_t conf1_read(unsigned bus, unsigned devfn, unsigned reg, unsigned size) {
    pci_.io().write(0xcf8, 0x80000000u | bus << 16 | devfn << 8 | (reg & 0xfc), 4);
    return static_cast<uint32_t>(pci_.io().read(0xcfc + (reg & 3), size));
  }
  void conf1_write(unsigned bus, unsigned devfn, unsigned reg, uint32_t value, unsigned size) {
    pci_.io().write(0xcf8, 0x80000000u | bus << 16 | devfn << 8 | (reg & 0xfc), 4);
    pci_.io().write(0xcfc + (reg & 3), value, size);
  }
  // What Linux does to a bridge: number the bus behind it.
  void number_bus(unsigned devfn, unsigned secondary, unsigned subordinate) {
    conf1_write(0, devfn, kPrimaryBus, secondary << 8 | subordinate << 16, 4);
  }

  static constexpr uint64_t kEcamBase = 0xb0000000;
  PciTestBus pci_;
  PcieRootPort port_{pci_.memory(), 0x10, 0};
  PciEcam ecam_{pci_.bus()};
};

TEST_F(PciBridgeTest, TheRootPortHasQemusHeaderAndCapabilities) {
  EXPECT_EQ(conf1_read(0, kPortDevfn, kVendorId, 4), 0x000c1b36u);
  EXPECT_EQ(conf1_read(0, kPortDevfn, kRevisionId, 4) >> 8, 0x060400u);
  EXPECT_EQ(conf1_read(0, kPortDevfn, kHeaderType, 1), kHeaderTypeBridge);
  EXPECT_EQ(conf1_read(0, kPortDevfn, kInterruptPin, 1), 1u);
  // Capabilities as QEMU links them: PCI Express, MSI-X, subsystem IDs.
  EXPECT_EQ(conf1_read(0, kPortDevfn, kCapabilityList, 1), 0x54u);
  EXPECT_EQ(conf1_read(0, kPortDevfn, 0x54, 4), 0x01424810u);  // root port, slot
  EXPECT_EQ(conf1_read(0, kPortDevfn, 0x48, 4), 0x00004011u);  // MSI-X, one vector
  EXPECT_EQ(conf1_read(0, kPortDevfn, 0x40, 4), 0x0000000du);
  EXPECT_EQ(conf1_read(0, kPortDevfn, 0x44, 4), 0x00001b36u);
  EXPECT_EQ(conf1_read(0, kPortDevfn, 0x54 + kExpLinkCap, 4), 0x10300604u);  // port 16
  EXPECT_EQ(conf1_read(0, kPortDevfn, 0x54 + kExpSlotCap, 4), 0x0002007bu);
  // Extended capabilities through ECAM only: AER, then ACS.
  EXPECT_EQ(ecam_read(0, kPortDevfn, 0x100, 4), 0x14820001u);
  EXPECT_EQ(ecam_read(0, kPortDevfn, 0x148, 4), 0x0001000du);
  EXPECT_EQ(ecam_read(0, kPortDevfn, 0x14c, 2), 0x005fu);
  // A conventional function has 256 bytes: beyond them, all-ones.
  EXPECT_EQ(ecam_read(0, 0, 0x100, 4), 0xffffffffu);
}

TEST_F(PciBridgeTest, CyclesReachTheBusBehindOnlyOnceItIsNumbered) {
  Endpoint endpoint;
  port_.secondary_bus()->plug(endpoint, 0);
  EXPECT_EQ(conf1_read(kBus1, 0, kVendorId, 4), 0xffffffffu);
  EXPECT_EQ(ecam_read(kBus1, 0, kVendorId, 4), 0xffffffffu);
  number_bus(kPortDevfn, kBus1, kBus1);
  EXPECT_EQ(conf1_read(0, kPortDevfn, kSecondaryBus, 1), kBus1);
  EXPECT_EQ(conf1_read(kBus1, 0, kVendorId, 4), 0x56781234u);
  EXPECT_EQ(ecam_read(kBus1, 0, kVendorId, 4), 0x56781234u);
  EXPECT_EQ(conf1_read(kBus1, devfn(0, 1), kVendorId, 4), 0xffffffffu);
  EXPECT_EQ(conf1_read(kBus1 + 1, 0, kVendorId, 4), 0xffffffffu);
  // A PCI Express link has device 0 only.
  Endpoint second;
  EXPECT_THROW(port_.secondary_bus()->plug(second, devfn(1, 0)), std::runtime_error);
  // A reset forgets the numbers.
  port_.reset();
  EXPECT_EQ(conf1_read(kBus1, 0, kVendorId, 4), 0xffffffffu);
}

TEST_F(PciBridgeTest, WindowsForwardTheBarsBehindTheBridge) {
  Endpoint endpoint;
  port_.secondary_bus()->plug(endpoint, 0);
  number_bus(kPortDevfn, kBus1, kBus1);
  // The function's BARs, placed as Linux placed them under QEMU.
  conf1_write(kBus1, 0, kBar0, 0x1000, 4);
  conf1_write(kBus1, 0, kBar0 + 4, 0xfe800000, 4);
  conf1_write(kBus1, 0, kBar0 + 8, 0x00000000, 4);
  conf1_write(kBus1, 0, kBar0 + 12, 0x1, 4);  // 0x1_0000_0000
  conf1_write(kBus1, 0, kCommand, kCommandIo | kCommandMemory, 2);
  // Closed windows forward nothing.
  EXPECT_EQ(pci_.memory().read(0xfe800000, 4), 0xffffffffu);
  EXPECT_EQ(pci_.io().read(0x1000, 2), 0xffffu);
  // Open: I/O 0x1000-0x1fff, memory 0xfe800000-0xfe9fffff, prefetchable
  // 0x1_0000_0000-0x1_001f_ffff.
  conf1_write(0, kPortDevfn, kIoBase, 0x1010, 2);
  conf1_write(0, kPortDevfn, kMemoryBase, 0xfe90fe80, 4);
  conf1_write(0, kPortDevfn, kPrefetchBase, 0x00110001, 4);
  conf1_write(0, kPortDevfn, kPrefetchBaseUpper, 1, 4);
  conf1_write(0, kPortDevfn, kPrefetchLimitUpper, 1, 4);
  EXPECT_EQ(port_.memory_window().first, 0xfe800000u);
  EXPECT_EQ(port_.memory_window().last, 0xfe9fffffu);
  EXPECT_EQ(port_.prefetch_window().first, 0x100000000u);
  EXPECT_EQ(port_.prefetch_window().last, 0x1001fffffu);
  EXPECT_EQ(pci_.memory().read(0xfe800000, 4), 0xffffffffu);  // the bridge does not decode yet
  conf1_write(0, kPortDevfn, kCommand, kCommandIo | kCommandMemory, 2);
  EXPECT_EQ(pci_.memory().read(0xfe800004, 4), 0xab04u);
  EXPECT_EQ(pci_.memory().read(0x100000010, 4), 0xab10u);
  EXPECT_EQ(pci_.io().read(0x1002, 2), 0xab02u);
  // A BAR moved outside the window is out of reach; the window moved over
  // it reaches it again.
  conf1_write(kBus1, 0, kBar0 + 4, 0xfea00000, 4);
  EXPECT_EQ(pci_.memory().read(0xfea00000, 4), 0xffffffffu);
  conf1_write(0, kPortDevfn, kMemoryBase, 0xfea0fea0, 4);
  EXPECT_EQ(pci_.memory().read(0xfea00000, 4), 0xab00u);
  EXPECT_EQ(pci_.memory().read(0xfe800000, 4), 0xffffffffu);
  // Turning the bridge's memory decoding off closes both memory windows.
  conf1_write(0, kPortDevfn, kCommand, kCommandIo, 2);
  EXPECT_EQ(pci_.memory().read(0xfea00000, 4), 0xffffffffu);
  EXPECT_EQ(pci_.memory().read(0x100000010, 4), 0xffffffffu);
  EXPECT_EQ(pci_.io().read(0x1002, 2), 0xab02u);
}

TEST_F(PciBridgeTest, InterruptsComeOutOnTheBridgesPinsSwizzledBySlot) {
  // A conventional bridge at 00:03.0: INTA of its device 1 is its INTB,
  // which the i440FX routes to PIRQ (3 + 2 - 1) % 4 = A.
  PciBridge bridge(
      "pci-bridge",
      PciIds{.vendor = 0x1b36, .device = 0x0001, .class_code = 0x060400, .interrupt_pin = 1},
      pci_.memory(), false);
  pci_.bus().plug(bridge, devfn(3, 0));
  Endpoint behind;
  bridge.secondary_bus()->plug(behind, devfn(1, 0));
  behind.set_irq(true);
  EXPECT_TRUE(pci_.bus().pirq_level(0));
  EXPECT_TRUE(pci_.irq());
  behind.set_irq(false);
  EXPECT_FALSE(pci_.bus().pirq_level(0));
  // Behind the root port at slot 2, device 0's INTA is the port's INTA:
  // PIRQ (2 + 1 - 1) % 4 = C.
  Endpoint endpoint;
  port_.secondary_bus()->plug(endpoint, 0);
  endpoint.set_irq(true);
  EXPECT_TRUE(pci_.bus().pirq_level(2));
  // Taken off the bus, it lets go of the line.
  port_.secondary_bus()->unplug(endpoint);
  EXPECT_FALSE(pci_.bus().pirq_level(2));
}

TEST_F(PciBridgeTest, SecondaryBusResetStartsTheFunctionsOver) {
  Endpoint endpoint;
  port_.secondary_bus()->plug(endpoint, 0);
  conf1_write(0, kPortDevfn, kBridgeControl, kBridgeControlSecondaryReset, 2);
  EXPECT_EQ(endpoint.resets, 1);
  conf1_write(0, kPortDevfn, kBridgeControl, kBridgeControlSecondaryReset, 2);  // still held
  EXPECT_EQ(endpoint.resets, 1);
  conf1_write(0, kPortDevfn, kBridgeControl, 0, 2);
  conf1_write(0, kPortDevfn, kBridgeControl, kBridgeControlSecondaryReset, 2);
  EXPECT_EQ(endpoint.resets, 2);
}

TEST_F(PciBridgeTest, ASlotWithAFunctionShowsATrainedLink) {
  constexpr unsigned kCap = 0x54;
  EXPECT_EQ(conf1_read(0, kPortDevfn, kCap + kExpLinkSta, 2), 0x0204u);
  EXPECT_EQ(conf1_read(0, kPortDevfn, kCap + kExpSlotCtl, 2), 0x07c0u);
  Endpoint endpoint;
  port_.secondary_bus()->plug(endpoint, 0);
  port_.update_slot_state();
  EXPECT_EQ(conf1_read(0, kPortDevfn, kCap + kExpLinkSta, 2), 0x0011u);
  EXPECT_EQ(conf1_read(0, kPortDevfn, kCap + kExpSlotCtl, 2), 0x01c0u);
}

// QEMU's pcie-pci-bridge in the root port's slot: its capabilities where
// QEMU has them, and a 32-slot conventional bus whose INTx swizzles
// through it and the port (02:01.0 INTA -> the bridge's INTB -> the port's
// INTB -> PIRQ (2 + 2 - 1) % 4 = D on the i440FX).
TEST_F(PciBridgeTest, APciePciBridgeBehindTheRootPort) {
  PciePciBridge bridge(pci_.memory());
  port_.secondary_bus()->plug(bridge, 0);
  number_bus(kPortDevfn, kBus1, 2);
  conf1_write(kBus1, 0, kPrimaryBus, kBus1 | 2 << 8 | 2 << 16, 4);
  EXPECT_EQ(conf1_read(kBus1, 0, kVendorId, 4), 0x000e1b36u);
  EXPECT_EQ(conf1_read(kBus1, 0, kHeaderType, 1), kHeaderTypeBridge);
  std::vector<unsigned> caps;
  for (unsigned cap = conf1_read(kBus1, 0, kCapabilityList, 1); cap;
       cap = conf1_read(kBus1, 0, cap + 1, 1)) {
    caps.push_back(conf1_read(kBus1, 0, cap, 1) << 8 | cap);
  }
  EXPECT_EQ(caps, (std::vector<unsigned>{0x058c, 0x0184, 0x1048, 0x0c40}));
  EXPECT_EQ(conf1_read(kBus1, 0, 0x48 + kExpFlags, 2), 0x0072u) << "PCI Express to PCI bridge";
  EXPECT_EQ(ecam_read(kBus1, 0, 0x100, 4), 0x00020001u) << "AER, the last";
  EXPECT_EQ(bridge.bar_info(0).size, 256u);
  Endpoint endpoint;
  bridge.secondary_bus()->plug(endpoint, devfn(1, 0));
  EXPECT_EQ(conf1_read(2, devfn(1, 0), kVendorId, 4), 0x56781234u);
  endpoint.set_irq(true);
  EXPECT_TRUE(pci_.bus().pirq_level(3));
  endpoint.set_irq(false);
  EXPECT_FALSE(pci_.bus().pirq_level(3));
}

TEST(PciExpressVirtioTest, AVirtioFunctionOnALinkIsModernOnlyAsQemus) {
  test::MemDrive drive(1 << 20);
  auto blk = make_virtio_blk_pci(drive, "", kVirtioBlkPciVectors, /*express=*/true);
  EXPECT_EQ(blk->config_byte(kDeviceId), 0x42);
  EXPECT_EQ(blk->config_byte(kDeviceId + 1), 0x10);
  EXPECT_EQ(blk->config_byte(kRevisionId), 1);
  EXPECT_EQ(blk->config_read(kSubsystemVendorId, 4), 0x11001af4u);
  EXPECT_EQ(blk->config_size(), kExpressConfigSize);
  EXPECT_EQ(blk->bar_info(0).size, 0u);  // no legacy I/O BAR
  EXPECT_EQ(blk->bar_info(4).size, 0x4000u);
  // QEMU's list: MSI-X at 0xdc, the five virtio capabilities, power
  // management at 0x7c, PCI Express (an endpoint) at 0x40.
  std::vector<unsigned> list;
  for (unsigned cap = blk->config_byte(kCapabilityList); cap; cap = blk->config_byte(cap + 1)) {
    list.push_back(cap);
  }
  EXPECT_EQ(list, (std::vector<unsigned>{0xdc, 0xc8, 0xb4, 0xa4, 0x94, 0x84, 0x7c, 0x40}));
  EXPECT_EQ(blk->config_read(0x40, 4), 0x00020010u);
  EXPECT_EQ(blk->config_read(0x7c, 4), 0x00034001u);
  // On a conventional bus it stays transitional.
  auto legacy = make_virtio_blk_pci(drive);
  EXPECT_EQ(legacy->config_read(kDeviceId, 2), 0x1001u);
  EXPECT_EQ(legacy->config_size(), kConfigSize);
  EXPECT_NE(legacy->bar_info(0).size, 0u);
}

}  // namespace
}  // namespace vx86
