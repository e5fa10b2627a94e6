// The pc machine's PCI bus-master view: writes to 0xFEExxxxx are interrupt
// messages for the APIC bus (not the local APIC page the CPUs see there),
// and a virtio-blk-pci's MSI-X vectors travel that way to a local APIC.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/system_control.h"
#include "hw/intc/lapic.h"
#include "hw/pc/pc_machine.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

class PcMsiTest : public ::testing::Test {
 protected:
  PcMsiTest() {
    PcConfig config;
    config.ram_size = 16 * kMiB;
    config.cpus = 2;
    config.firmware = std::vector<uint8_t>(64 * 1024, 0xf4);
    machine_ = std::make_unique<PcMachine>(std::move(config), clocks_, control_);
    machine_->set_current_cpu([this] { return current_cpu_; });
    // Each CPU software-enables its local APIC (SVR = 0x1ff) through its own page.
    for (unsigned cpu = 0; cpu < 2; ++cpu) {
      current_cpu_ = cpu;
      machine_->memory().write(LocalApic::kDefaultBase + LocalApic::kRegSvr, 0x1ff, 4);
    }
    current_cpu_ = 0;
  }
  LocalApic& apic(unsigned cpu) { return static_cast<LocalApic&>(machine_->local_apic(cpu)); }

  Clocks clocks_;
  RecordingSystemControl control_;
  std::unique_ptr<PcMachine> machine_;
  unsigned current_cpu_ = 0;
};

TEST_F(PcMsiTest, BusMasterWritesToFeexxxxxAreMessagesForTheApicBus) {
  // Physical destination 1, fixed, edge, vector 0x41.
  EXPECT_EQ(machine_->pci_dma().write(0xfee01000, 0x41, 4), MemTxResult::kOk);
  EXPECT_TRUE(apic(1).irr_bit(0x41));
  EXPECT_FALSE(apic(0).irr_bit(0x41));
  // Offset 0xF0 would be the SVR in a CPU's page; for a bus master it is a
  // message to destination 0 (address bits 11:4 are reserved in messages).
  EXPECT_EQ(machine_->pci_dma().write(0xfee000f0, 0x42, 4), MemTxResult::kOk);
  EXPECT_TRUE(apic(0).irr_bit(0x42));
  current_cpu_ = 0;
  EXPECT_EQ(machine_->memory().read(LocalApic::kDefaultBase + LocalApic::kRegSvr, 4), 0x1ffu);
  EXPECT_EQ(machine_->pci_dma().read(0xfee00030, 4), 0u);  // no APIC page here
  EXPECT_EQ(machine_->memory().read(LocalApic::kDefaultBase + LocalApic::kRegVersion, 4),
            LocalApic::kVersion);
}

TEST_F(PcMsiTest, BusMastersSeeTheSameRamAsTheCpus) {
  machine_->memory().write(0x12340, 0xdeadbeef, 4);
  EXPECT_EQ(machine_->pci_dma().read(0x12340, 4), 0xdeadbeefu);
  machine_->pci_dma().write(0x12344, 0xfeedf00d, 4);
  EXPECT_EQ(machine_->memory().read(0x12344, 4), 0xfeedf00du);
  EXPECT_EQ(&machine_->pci_bus().dma(), &machine_->pci_dma());
}

TEST_F(PcMsiTest, AnotherSinkTakesTheMessages) {
  std::vector<std::pair<uint64_t, uint32_t>> sent;
  machine_->set_msi_sink(
      [&](uint64_t address, uint32_t data) { sent.emplace_back(address, data); });
  machine_->pci_dma().write(0xfee0100c, 0x4041, 4);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], std::make_pair(uint64_t{0xfee0100c}, uint32_t{0x4041}));
  EXPECT_FALSE(apic(1).irr_bit(0x41));
  // Only 32-bit writes are messages.
  machine_->pci_dma().write(0xfee01000, 0x41, 2);
  EXPECT_EQ(sent.size(), 1u);
}

}  // namespace
}  // namespace vx86
