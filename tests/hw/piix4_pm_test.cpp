#include "hw/acpi/piix4_pm.h"

#include <gtest/gtest.h>

#include "hw/acpi/acpi_pm.h"
#include "hw/pci/pci_regs.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

class Piix4PmTest : public ::testing::Test {
 protected:
  Piix4PmTest() { function.reset(); }
  // PM1_CNT's SCI_EN reads back where the control block is.
  bool control_block_at(uint64_t base) {
    return (bus.inw(base + AcpiPm::kControlBlock) & AcpiPm::kSciEn) != 0;
  }

  Clocks clocks;
  test::IoBus bus;
  RecordingSystemControl system;
  AcpiPm pm{clocks, system, nullptr, AcpiPm::Config{.sci_enabled = true}};
  Piix4Pm function{pm, *bus.root};
};

TEST_F(Piix4PmTest, IdentifiesAsQemusPiix4PowerManagement) {
  EXPECT_EQ(function.config_read(pci::kVendorId, 4), 0x71138086u);
  EXPECT_EQ(function.config_read(0x08, 4), 0x06800003u) << "class 0680, revision 3";
  EXPECT_EQ(function.config_read(pci::kInterruptPin, 1), 1u);
  EXPECT_EQ(function.config_read(pci::kInterruptLine, 1), 9u) << "the SCI";
  EXPECT_EQ(function.config_read(0x2c, 4), 0x11001af4u);
  EXPECT_EQ(function.config_read(Piix4Pm::kSmbusHostConfig, 1), 0u) << "no SMBus";
  EXPECT_EQ(function.config_read(Piix4Pm::kDevActB + 3, 1) & 0x02, 0x02u)
      << "SMM marked as set up: firmware must not raise an SMI";
}

TEST_F(Piix4PmTest, PmbaPlacesTheRegistersAsFirmwareLeftThem) {
  EXPECT_EQ(function.config_read(Piix4Pm::kPmBase, 4), 0x601u);
  EXPECT_EQ(function.config_read(Piix4Pm::kPmRegMisc, 1), 1u);
  EXPECT_TRUE(control_block_at(0x600));

  function.config_write(Piix4Pm::kPmBase, 0xb000, 4);
  EXPECT_EQ(function.config_read(Piix4Pm::kPmBase, 4), 0xb001u) << "bit 0 reads 1";
  EXPECT_EQ(function.pm_base(), 0xb000);
  EXPECT_TRUE(control_block_at(0xb000));
  EXPECT_EQ(bus.inw(0x600 + AcpiPm::kControlBlock), 0xffffu) << "nothing left at 0x600";

  function.config_write(Piix4Pm::kPmRegMisc, 0, 1);
  EXPECT_EQ(function.pm_base(), 0);
  EXPECT_EQ(bus.inw(0xb000 + AcpiPm::kControlBlock), 0xffffu);

  function.config_write(Piix4Pm::kPmBase, 0x1234, 2);  // low bits are not the base
  function.config_write(Piix4Pm::kPmRegMisc, 1, 1);
  EXPECT_EQ(function.pm_base(), 0x1200);
  EXPECT_TRUE(control_block_at(0x1200));

  function.reset();
  EXPECT_EQ(function.pm_base(), 0x600);
  EXPECT_TRUE(control_block_at(0x600));
}

}  // namespace
}  // namespace vx86
