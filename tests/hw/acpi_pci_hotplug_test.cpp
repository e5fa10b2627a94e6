#include "hw/acpi/pci_hotplug.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

constexpr uint64_t kBase = AcpiPciHotplug::kDefaultBase;

class AcpiPciHotplugTest : public ::testing::Test {
 protected:
  AcpiPciHotplugTest() {
    hotplug.map(*bus.root);
    hotplug.add_bus(0xfffffff8u);  // bus 0: slots 3-31
  }
  uint32_t inl(uint64_t port) { return static_cast<uint32_t>(bus.as.read(port, 4)); }
  void outl(uint64_t port, uint32_t value) { bus.as.write(port, value, 4); }

  test::IoBus bus;
  int events = 0;
  std::vector<unsigned> ejected;
  AcpiPciHotplug hotplug{
      [this] { ++events; },
      [this](unsigned bsel, unsigned slot) { ejected.push_back(bsel * 32 + slot); }};
};

TEST_F(AcpiPciHotplugTest, APluggedSlotIsAnnouncedOnce) {
  hotplug.device_plugged(0, 3);
  hotplug.device_plugged(0, 5);
  EXPECT_EQ(events, 2);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kUp), (1u << 3) | (1u << 5));
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kUp), 0u) << "reading clears it";
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 0u);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kRemovable), 0xfffffff8u);
}

TEST_F(AcpiPciHotplugTest, AnUnplugRequestStaysUntilTheGuestEjects) {
  hotplug.request_unplug(0, 4);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 1u << 4);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 1u << 4) << "not cleared by reading";
  hotplug.request_unplug(0, 4);  // asked again: the guest is told again
  EXPECT_EQ(events, 2);
  outl(kBase + AcpiPciHotplug::kEject, 1u << 4);
  EXPECT_EQ(ejected, std::vector<unsigned>{4});
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 0u);
  EXPECT_FALSE(hotplug.unplug_pending(0, 4));
}

TEST_F(AcpiPciHotplugTest, TheGuestMayEjectOnItsOwnButOnlyHotPluggableSlots) {
  outl(kBase + AcpiPciHotplug::kEject, (1u << 1) | (1u << 7) | (1u << 9));
  EXPECT_EQ(ejected, (std::vector<unsigned>{7, 9})) << "slot 1 is the chipset's";
  outl(kBase + AcpiPciHotplug::kUp, ~0u);  // read-only: ignored
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kUp), 0u);
}

TEST_F(AcpiPciHotplugTest, ResetForgetsPendingChanges) {
  hotplug.device_plugged(0, 3);
  hotplug.request_unplug(0, 6);
  hotplug.reset();
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kUp), 0u);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 0u);
}

// A second bus (the q35's root ports): BNUM says which bus the registers
// are about, for the slots of each.
TEST_F(AcpiPciHotplugTest, TheBusSelectorPicksTheBus) {
  EXPECT_EQ(hotplug.add_bus(1u), 1u);  // a root port's bus: slot 0
  hotplug.device_plugged(1, 0);
  hotplug.request_unplug(0, 5);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kUp), 0u) << "bus 0 gained nothing";
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 1u << 5);
  outl(kBase + AcpiPciHotplug::kBusSelect, 1);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kBusSelect), 1u);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kUp), 1u);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kDown), 0u);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kRemovable), 1u);
  outl(kBase + AcpiPciHotplug::kEject, 1u);
  EXPECT_EQ(ejected, std::vector<unsigned>{32}) << "bus 1, slot 0";
  // A bus that does not exist reads 0 and ejects nothing.
  outl(kBase + AcpiPciHotplug::kBusSelect, 7);
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kRemovable), 0u);
  outl(kBase + AcpiPciHotplug::kEject, 1u);
  EXPECT_EQ(ejected.size(), 1u);
  hotplug.reset();
  EXPECT_EQ(inl(kBase + AcpiPciHotplug::kBusSelect), 0u);
}

}  // namespace
}  // namespace vx86
