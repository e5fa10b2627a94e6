// The q35 machine's chipset at register level: the MCH's PCIEXBAR places
// the ECAM window, which reaches the same configuration space as ports
// 0xCF8/0xCFC; the ICH9 LPC bridge's PIRQ map and routing, PMBASE and the
// ACPI registers behind it.
#include <gtest/gtest.h>

#include <array>
#include <memory>

#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/acpi/acpi_pm.h"
#include "hw/isa/ich9_lpc.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_regs.h"
#include "hw/pci/q35_host.h"

namespace vx86 {
namespace {

// A function with one INTx pin that the test raises and lowers.
class PinDevice : public PciDevice {
 public:
  PinDevice()
      : PciDevice("pin-device", PciIds{.vendor = 0x1af4, .device = 0x1234, .interrupt_pin = 1}) {}
};

class Q35ChipsetTest : public ::testing::Test {
 protected:
  Q35ChipsetTest() {
    system_->add_subregion(0, ram_.get());
    system_->add_subregion(0, pci_mem_.get(), -1);
    io_->add_subregion(0, pci_io_.get(), -1);
    for (int i = 0; i < 16; ++i) {
      isa_lines_[i].set_handler([this, i](bool level) { isa_level_[i] = level; });
      isa_ptrs_[i] = &isa_lines_[i];
    }
    for (int i = 0; i < PciBus::kMaxPirqs; ++i) {
      gsi_lines_[i].set_handler([this, i](bool level) { gsi_level_[i] = level; });
      gsi_ptrs_[i] = &gsi_lines_[i];
    }
    host_.map_config_ports(*io_, bus_);
    bus_.plug(host_, 0);
    lpc_ = std::make_unique<Ich9Lpc>(isa_ptrs_, pm_, *io_);
    bus_.plug(*lpc_, pci::devfn(0x1f, 0));
    lpc_->connect(bus_);
    lpc_->set_pirq_outputs(gsi_ptrs_);
    host_.reset();
    lpc_->reset();
  }

  uint32_t cfg_read(uint8_t devfn, unsigned reg, unsigned size) {
    io_space_.write(0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    return static_cast<uint32_t>(io_space_.read(0xcfc + (reg & 3), size));
  }
  void cfg_write(uint8_t devfn, unsigned reg, uint32_t value, unsigned size) {
    io_space_.write(0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    io_space_.write(0xcfc + (reg & 3), value, size);
  }
  // PM1_CNT's SCI_EN reads back where the control block is.
  bool control_block_at(uint64_t base) {
    return (io_space_.read(base + AcpiPm::kControlBlock, 2) & AcpiPm::kSciEn) != 0;
  }

  std::unique_ptr<MemoryRegion> system_ = MemoryRegion::container("system", UINT64_MAX);
  std::unique_ptr<MemoryRegion> ram_ = MemoryRegion::ram("ram", 1 << 20);
  std::unique_ptr<MemoryRegion> pci_mem_ = MemoryRegion::container("pci-mem", UINT64_MAX);
  std::unique_ptr<MemoryRegion> io_ = MemoryRegion::container("io", 0x10000);
  std::unique_ptr<MemoryRegion> pci_io_ = MemoryRegion::container("pci-io", 0x10000);
  AddressSpace mem_space_{"memory", system_.get()};
  AddressSpace io_space_{"io", io_.get()};
  PciBus bus_{*pci_mem_, *pci_io_, mem_space_};
  Q35Host host_{bus_, *system_};
  Clocks clocks_;
  RecordingSystemControl system_control_;
  AcpiPm pm_{clocks_, system_control_, nullptr, AcpiPm::Config{.sci_enabled = true}};
  std::array<IrqLine, 16> isa_lines_;
  std::array<IrqLine*, 16> isa_ptrs_{};
  std::array<bool, 16> isa_level_{};
  std::array<IrqLine, PciBus::kMaxPirqs> gsi_lines_;
  std::array<IrqLine*, PciBus::kMaxPirqs> gsi_ptrs_{};
  std::array<bool, PciBus::kMaxPirqs> gsi_level_{};
  std::unique_ptr<Ich9Lpc> lpc_;
};

TEST_F(Q35ChipsetTest, FunctionsIdentifyAsQemus) {
  EXPECT_EQ(cfg_read(0, pci::kVendorId, 4), 0x29c08086u);
  EXPECT_EQ(cfg_read(0, 0x08, 4), 0x06000000u) << "host bridge, revision 0";
  EXPECT_EQ(cfg_read(0, 0x2c, 4), 0x11001af4u);
  EXPECT_EQ(cfg_read(0, 0x9d, 1), 0x02u) << "SMRAM";
  EXPECT_EQ(cfg_read(0, 0x9e, 1), 0x38u) << "ESMRAMC";
  const uint8_t lpc = pci::devfn(0x1f, 0);
  EXPECT_EQ(cfg_read(lpc, pci::kVendorId, 4), 0x29188086u);
  EXPECT_EQ(cfg_read(lpc, 0x08, 4), 0x06010002u) << "ISA bridge, revision 2";
  EXPECT_EQ(cfg_read(lpc, 0x0e, 1), 0x80u) << "multi-function";
}

TEST_F(Q35ChipsetTest, PciexbarPlacesTheEcamWindow) {
  EXPECT_FALSE(host_.ecam().mapped()) << "off after reset, until firmware enables it";
  EXPECT_EQ(mem_space_.read(0xb0000000, 4), 0xffffffffu);

  cfg_write(0, Q35Host::kPciexbar + 4, 0, 4);
  cfg_write(0, Q35Host::kPciexbar, 0xb0000001, 4);  // 256 MiB, enabled
  ASSERT_TRUE(host_.ecam().mapped());
  EXPECT_EQ(host_.ecam().base(), 0xb0000000u);
  EXPECT_EQ(host_.ecam().size(), 256u << 20);
  // Bus 0, device 0x1f, function 0: the LPC bridge, as through 0xCF8/0xCFC.
  const uint64_t lpc = 0xb0000000 + (0x1fu << 15);
  EXPECT_EQ(mem_space_.read(lpc, 4), 0x29188086u);
  EXPECT_EQ(mem_space_.read(lpc + 2, 2), 0x2918u);
  EXPECT_EQ(mem_space_.read(lpc + 0x0b, 1), 0x06u);
  EXPECT_EQ(mem_space_.read(0xb0000000 + (5u << 15), 4), 0xffffffffu) << "no device 5";
  EXPECT_EQ(mem_space_.read(lpc + 0x100, 4), 0xffffffffu) << "no extended registers";
  EXPECT_EQ(mem_space_.read(0xb0000000 + (1u << 20), 4), 0xffffffffu) << "only bus 0";
  mem_space_.write(lpc + Ich9Lpc::kPirqARoute, 0x0b, 1);
  EXPECT_EQ(cfg_read(pci::devfn(0x1f, 0), Ich9Lpc::kPirqARoute, 1), 0x0bu);

  // 64 MiB at 0xe0000000; the old window is gone.
  cfg_write(0, Q35Host::kPciexbar, 0xe0000005, 4);
  EXPECT_EQ(host_.ecam().base(), 0xe0000000u);
  EXPECT_EQ(host_.ecam().size(), 64u << 20);
  EXPECT_EQ(mem_space_.read(0xb0000000, 4), 0xffffffffu);
  EXPECT_EQ(mem_space_.read(0xe0000000, 4), 0x29c08086u);

  cfg_write(0, Q35Host::kPciexbar, 0xe0000007, 4);  // length 3 is reserved: off
  EXPECT_FALSE(host_.ecam().mapped());
  cfg_write(0, Q35Host::kPciexbar, 0x00000001, 4);  // over RAM: the window wins
  EXPECT_EQ(mem_space_.read(0, 4), 0x29c08086u);
  cfg_write(0, Q35Host::kPciexbar, 0, 4);
  EXPECT_FALSE(host_.ecam().mapped());
  EXPECT_EQ(mem_space_.read(0, 4), 0u) << "RAM again";

  host_.enable_ecam(0xb0000000);
  EXPECT_EQ(cfg_read(0, Q35Host::kPciexbar, 4), 0xb0000001u);
  host_.reset();
  EXPECT_FALSE(host_.ecam().mapped());
}

TEST_F(Q35ChipsetTest, PamRegistersAreAt0x90) {
  auto rom = MemoryRegion::rom("bios", 0x20000);
  std::fill_n(rom->host_ptr(), 0x20000, 0xAB);
  system_->add_subregion(0xE0000, rom.get(), 1);
  host_.connect_pam(*ram_);
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0xABu);
  cfg_write(0, 0x90, 0x30, 1);  // PAM0's high nibble: 0xF0000 read-write RAM
  mem_space_.write(0xF0000, 0x22, 1);
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0x22u);
  host_.reset();
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0xABu);
  system_->remove_subregion(rom.get());
}

TEST_F(Q35ChipsetTest, SlotsTakePirqEToHAndTheIchSlotsAToD) {
  EXPECT_EQ(Ich9Lpc::pirq_of(0, 1), 4);  // slot 0 INTA: PIRQE
  EXPECT_EQ(Ich9Lpc::pirq_of(1, 1), 5);
  EXPECT_EQ(Ich9Lpc::pirq_of(2, 1), 6);
  EXPECT_EQ(Ich9Lpc::pirq_of(3, 1), 7);
  EXPECT_EQ(Ich9Lpc::pirq_of(4, 1), 4);
  EXPECT_EQ(Ich9Lpc::pirq_of(2, 3), 4);  // slot 2 INTC
  EXPECT_EQ(Ich9Lpc::pirq_of(24, 2), 5);
  EXPECT_EQ(Ich9Lpc::pirq_of(25, 1), 0);  // D25IR's default: INTA is PIRQA
  EXPECT_EQ(Ich9Lpc::pirq_of(0x1f, 2), 1);
  EXPECT_EQ(bus_.pirq_for(2, 1), 6) << "the bus follows the LPC bridge's map";
}

TEST_F(Q35ChipsetTest, PirqsReachTheirGsiAndTheRoutedIsaIrq) {
  PinDevice dev;
  bus_.plug(dev, pci::devfn(2, 0));  // INTA: PIRQG
  dev.config_write(pci::kCommand, 0, 2);
  const uint8_t lpc = pci::devfn(0x1f, 0);
  EXPECT_EQ(cfg_read(lpc, Ich9Lpc::kPirqERoute + 2, 1), 0x80u) << "disabled after reset";

  dev.set_irq(true);
  EXPECT_TRUE(gsi_level_[6]) << "GSI 22 whatever the routing says";
  for (int i = 0; i < 16; ++i) EXPECT_FALSE(isa_level_[i]) << i;
  cfg_write(lpc, Ich9Lpc::kPirqERoute + 2, 11, 1);
  EXPECT_TRUE(isa_level_[11]);
  EXPECT_EQ(lpc_->route(6), 11);
  dev.set_irq(false);
  EXPECT_FALSE(gsi_level_[6]);
  EXPECT_FALSE(isa_level_[11]);
  dev.set_irq(true);
  cfg_write(lpc, Ich9Lpc::kPirqERoute + 2, 0x80 | 11, 1);
  EXPECT_FALSE(isa_level_[11]) << "bit 7 takes the route away";
  EXPECT_TRUE(gsi_level_[6]);
  bus_.unplug(dev);
  EXPECT_FALSE(gsi_level_[6]);
}

TEST_F(Q35ChipsetTest, PmbasePlacesTheAcpiRegistersAsFirmwareLeftThem) {
  const uint8_t lpc = pci::devfn(0x1f, 0);
  EXPECT_EQ(cfg_read(lpc, Ich9Lpc::kPmBase, 4), 0x601u);
  EXPECT_EQ(cfg_read(lpc, Ich9Lpc::kAcpiControl, 1), 0x80u);
  EXPECT_TRUE(control_block_at(0x600));
  EXPECT_EQ(io_space_.read(0x600 + Ich9Lpc::kSmiOffset, 4) & Ich9Lpc::kSmiApmcEnable,
            Ich9Lpc::kSmiApmcEnable)
      << "SMM marked as set up: firmware must not raise an SMI";
  pm_.raise_gpe(1);
  EXPECT_EQ(io_space_.read(0x600 + Ich9Lpc::kGpe0Offset, 1), 0x02u) << "GPE0 at PMBASE + 0x20";

  cfg_write(lpc, Ich9Lpc::kPmBase, 0xb000, 4);
  EXPECT_EQ(lpc_->pm_base(), 0xb000);
  EXPECT_TRUE(control_block_at(0xb000));
  EXPECT_EQ(io_space_.read(0x600 + AcpiPm::kControlBlock, 2), 0xffffu) << "nothing left";
  EXPECT_EQ(io_space_.read(0xb000 + Ich9Lpc::kGpe0Offset, 1), 0x02u);

  cfg_write(lpc, Ich9Lpc::kAcpiControl, 0, 1);  // ACPI_EN off: not decoded
  EXPECT_EQ(lpc_->pm_base(), 0);
  EXPECT_EQ(io_space_.read(0xb000 + AcpiPm::kControlBlock, 2), 0xffffu);

  // Over other ports the block is refused, and vx86 goes on.
  auto other = MemoryRegion::ram("other", 4);
  io_->add_subregion(0x1230, other.get());  // where SMI_EN would go
  cfg_write(lpc, Ich9Lpc::kPmBase, 0x1200, 4);
  cfg_write(lpc, Ich9Lpc::kAcpiControl, 0x80, 1);
  EXPECT_EQ(lpc_->pm_base(), 0);
  io_->remove_subregion(other.get());

  lpc_->reset();
  EXPECT_EQ(lpc_->pm_base(), 0x600);
  EXPECT_TRUE(control_block_at(0x600));
}

TEST_F(Q35ChipsetTest, SmiStatusIsWriteOneToClearAndEnableReadsBack) {
  const uint64_t smi = 0x600 + Ich9Lpc::kSmiOffset;
  io_space_.write(smi, 0x2021, 4);
  EXPECT_EQ(io_space_.read(smi, 4), 0x2021u);
  io_space_.write(smi + 4, 0xffffffff, 4);
  EXPECT_EQ(io_space_.read(smi + 4, 4), 0u);
}

}  // namespace
}  // namespace vx86
