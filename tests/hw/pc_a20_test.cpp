// The pc machine's A20 gate for CPUs that cannot mask address line 20
// themselves (KVM): with A20 off, the CPUs' [1 MiB, 2 MiB) is the first
// megabyte again; bus masters never see the wrap.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "core/system_control.h"
#include "hw/pc/pc_machine.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {
namespace {

class PcA20Test : public ::testing::Test {
 protected:
  PcA20Test() {
    PcConfig config;
    config.ram_size = 16ull << 20;
    config.firmware = std::vector<uint8_t>(64 * 1024, 0xf4);
    machine_ = std::make_unique<PcMachine>(std::move(config), clocks_, control_);
  }
  // Both gates: the i8042 output port (bit 1, keeping bit 0, the reset line,
  // high) and port 0x92 bit 1.
  void set_a20(bool on) {
    machine_->io().write(0x64, 0xd1, 1);
    machine_->io().write(0x60, on ? 0x03 : 0x01, 1);
    machine_->io().write(0x92, on ? 0x02 : 0x00, 1);
  }
  uint64_t cpu_read(uint64_t addr) { return machine_->memory().read(addr, 2); }

  Clocks clocks_;
  RecordingSystemControl control_;
  std::unique_ptr<PcMachine> machine_;
};

TEST_F(PcA20Test, A20OffWrapsTheSecondMegabyteForTheCpus) {
  machine_->set_a20_wraps_memory(true);
  machine_->memory().write(0x500, 0x1111, 2);
  machine_->memory().write(0x100500, 0x2222, 2);
  set_a20(false);
  ASSERT_FALSE(machine_->a20_enabled());
  EXPECT_EQ(cpu_read(0x100500), 0x1111u);  // FFFF:0510 is 0000:0500
  machine_->memory().write(0x100500, 0x3333, 2);
  EXPECT_EQ(cpu_read(0x500), 0x3333u);
  EXPECT_EQ(cpu_read(0x1ffff0), cpu_read(0xffff0));           // the BIOS ROM's reset vector too
  EXPECT_EQ(machine_->pci_dma().read(0x100500, 2), 0x2222u);  // not for bus masters
  set_a20(true);
  EXPECT_EQ(cpu_read(0x100500), 0x2222u);
}

TEST_F(PcA20Test, NoWrapUnlessAskedFor) {
  // TCG masks the address itself: the memory map stays as it is.
  machine_->memory().write(0x500, 0x1111, 2);
  machine_->memory().write(0x100500, 0x2222, 2);
  set_a20(false);
  EXPECT_EQ(cpu_read(0x100500), 0x2222u);
  // Asked for while A20 is already off, the wrap starts at once.
  machine_->set_a20_wraps_memory(true);
  EXPECT_EQ(cpu_read(0x100500), 0x1111u);
  machine_->reset();  // A20 on again
  EXPECT_TRUE(machine_->a20_enabled());
  machine_->memory().write(0x100500, 0x2222, 2);
  EXPECT_EQ(cpu_read(0x100500), 0x2222u);
}

}  // namespace
}  // namespace vx86
