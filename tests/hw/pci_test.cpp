// PCI bus, configuration mechanism #1, BARs, INTx routing through the PIIX3,
// with no CPU: the test plays the guest's port and memory accesses.
#include <gtest/gtest.h>

#include <array>

#include "core/irq.h"
#include "core/memory.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/piix3.h"

namespace vx86 {
namespace {

// A device with three BARs whose regions remember the last write.
class ProbeDevice : public PciDevice, public IoOps {
 public:
  explicit ProbeDevice(uint8_t pin = 1)
      : PciDevice(
            "probe",
            PciIds{
                .vendor = 0x1234, .device = 0x5678, .class_code = 0xff0000, .interrupt_pin = pin}) {
    io_ = MemoryRegion::io("probe-io", 32, this);
    mem_ = MemoryRegion::io("probe-mem", 4096, this);
    mem64_ = MemoryRegion::io("probe-mem64", 16384, this);
    register_bar(0, PciBarType::kIo, io_.get());
    register_bar(1, PciBarType::kMem32, mem_.get());
    register_bar(2, PciBarType::kMem64Prefetch, mem64_.get());
    cap_a_ = add_capability(pci::kCapVendor, 8);
    cap_b_ = add_capability(pci::kCapVendor, 12);
  }
  uint64_t read(uint64_t offset, unsigned size) override { return 0xab00 + offset; }
  void write(uint64_t offset, uint64_t value, unsigned size) override {
    last_offset = offset;
    last_value = value;
  }
  uint64_t last_offset = 0, last_value = 0;
  uint8_t cap_a_, cap_b_;

 private:
  std::unique_ptr<MemoryRegion> io_, mem_, mem64_;
};

class PciTest : public ::testing::Test {
 protected:
  PciTest() {
    system_->add_subregion(0, ram_.get());
    system_->add_subregion(0, pci_mem_.get(), -1);
    io_->add_subregion(0, pci_io_.get(), -1);
    for (int i = 0; i < 16; ++i) {
      isa_lines_[i].set_handler([this, i](bool level) { isa_level_[i] = level; });
      isa_ptrs_[i] = &isa_lines_[i];
    }
    piix3_ = std::make_unique<Piix3>(isa_ptrs_);
    host_.map_config_ports(*io_, bus_);
    bus_.plug(host_, 0);
    bus_.plug(*piix3_, pci::devfn(1, 0));
    piix3_->connect(bus_);
  }

  uint32_t cfg_read(uint8_t devfn, unsigned reg, unsigned size) {
    io_space_.write(0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    return static_cast<uint32_t>(io_space_.read(0xcfc + (reg & 3), size));
  }
  void cfg_write(uint8_t devfn, unsigned reg, uint32_t value, unsigned size) {
    io_space_.write(0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    io_space_.write(0xcfc + (reg & 3), value, size);
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
  std::array<IrqLine, 16> isa_lines_;
  std::array<IrqLine*, 16> isa_ptrs_{};
  std::array<bool, 16> isa_level_{};
  std::unique_ptr<Piix3> piix3_;
};

TEST_F(PciTest, HostBridgeAndIsaBridgeIdentify) {
  EXPECT_EQ(cfg_read(0, 0, 4), 0x12378086u);
  EXPECT_EQ(cfg_read(0, 0x08, 4) >> 8, 0x060000u);
  EXPECT_EQ(cfg_read(pci::devfn(1, 0), 0, 4), 0x70008086u);
  EXPECT_EQ(cfg_read(pci::devfn(1, 0), 0x0a, 2), 0x0601u);
  EXPECT_EQ(cfg_read(pci::devfn(1, 0), 0x0e, 1), 0x80u);  // multi-function
  // Every data port width and offset.
  EXPECT_EQ(cfg_read(0, 0, 1), 0x86u);
  EXPECT_EQ(cfg_read(0, 1, 1), 0x80u);
  EXPECT_EQ(cfg_read(0, 2, 2), 0x1237u);
  EXPECT_EQ(cfg_read(0, 3, 1), 0x12u);
  EXPECT_EQ(cfg_read(0, 1, 2), 0x3780u);  // unaligned word: split into bytes
}

TEST_F(PciTest, AbsentFunctionsAndDisabledCyclesReadAllOnes) {
  EXPECT_EQ(cfg_read(pci::devfn(5, 0), 0, 4), 0xffffffffu);
  EXPECT_EQ(cfg_read(pci::devfn(5, 0), 0, 2), 0xffffu);
  // Bus 1 does not exist.
  io_space_.write(0xcf8, 0x80010000u, 4);
  EXPECT_EQ(io_space_.read(0xcfc, 4), 0xffffffffu);
  // Enable bit clear.
  io_space_.write(0xcf8, 0x00000000u, 4);
  EXPECT_EQ(io_space_.read(0xcfc, 4), 0xffffffffu);
}

TEST_F(PciTest, ConfigAddressTakesOnlyDwordsAndForwardsCf9) {
  io_space_.write(0xcf8, 0x80001233u, 4);
  EXPECT_EQ(io_space_.read(0xcf8, 4), 0x80001230u);  // low two bits read 0
  io_space_.write(0xcf8, 0x55, 1);
  io_space_.write(0xcfa, 0x5555, 2);
  EXPECT_EQ(io_space_.read(0xcf8, 4), 0x80001230u);
  EXPECT_EQ(io_space_.read(0xcf9, 1), 0xffu);  // nothing connected
  struct Rcr : IoOps {
    uint64_t v = 0;
    uint64_t read(uint64_t, unsigned) override { return v; }
    void write(uint64_t, uint64_t value, unsigned) override { v = value; }
  } rcr;
  host_.set_port_cf9(&rcr);
  io_space_.write(0xcf9, 0x06, 1);
  EXPECT_EQ(rcr.v, 0x06u);
  EXPECT_EQ(io_space_.read(0xcf9, 1), 0x06u);
  EXPECT_EQ(io_space_.read(0xcf8, 4), 0x80001230u);
}

TEST_F(PciTest, ReadOnlyRegistersIgnoreWrites) {
  cfg_write(0, 0, 0xffffffff, 4);
  EXPECT_EQ(cfg_read(0, 0, 4), 0x12378086u);
  cfg_write(0, 0x3c, 0x1234ab, 4);  // line writable, pin not
  EXPECT_EQ(cfg_read(0, 0x3c, 1), 0xabu);
  EXPECT_EQ(cfg_read(0, 0x3d, 1), 0x00u);
}

TEST_F(PciTest, BarSizingAndMapping) {
  ProbeDevice dev;
  bus_.plug(dev, pci::devfn(3, 0));
  uint8_t fn = pci::devfn(3, 0);
  EXPECT_EQ(cfg_read(fn, 0x10, 4), 0x1u);  // I/O BAR
  EXPECT_EQ(cfg_read(fn, 0x18, 4), 0xcu);  // 64-bit prefetchable
  for (unsigned reg = 0x10; reg < 0x28; reg += 4) cfg_write(fn, reg, 0xffffffff, 4);
  EXPECT_EQ(cfg_read(fn, 0x10, 4), 0xffffffe1u);
  EXPECT_EQ(cfg_read(fn, 0x14, 4), 0xfffff000u);
  EXPECT_EQ(cfg_read(fn, 0x18, 4), 0xffffc00cu);
  EXPECT_EQ(cfg_read(fn, 0x1c, 4), 0xffffffffu);
  EXPECT_EQ(cfg_read(fn, 0x20, 4), 0u);  // unused BARs are hard-wired to 0
  EXPECT_EQ(dev.bar_address(0), PciDevice::kUnmapped);

  cfg_write(fn, 0x10, 0xc000, 4);
  cfg_write(fn, 0x14, 0xfebf0000, 4);
  cfg_write(fn, 0x18, 0x00004000, 4);
  cfg_write(fn, 0x1c, 0x1, 4);                          // 0x1_0000_4000
  EXPECT_EQ(dev.bar_address(0), PciDevice::kUnmapped);  // decoding off
  EXPECT_EQ(io_space_.read(0xc004, 2), 0xffffu);
  cfg_write(fn, 0x04, pci::kCommandIo, 2);
  EXPECT_EQ(dev.bar_address(0), 0xc000u);
  EXPECT_EQ(io_space_.read(0xc004, 2), 0xab04u);
  EXPECT_EQ(dev.bar_address(1), PciDevice::kUnmapped);
  cfg_write(fn, 0x04, pci::kCommandIo | pci::kCommandMemory, 1);
  EXPECT_EQ(dev.bar_address(1), 0xfebf0000u);
  EXPECT_EQ(dev.bar_address(2), 0x100004000u);
  mem_space_.write(0xfebf0010, 0x77, 4);
  EXPECT_EQ(dev.last_offset, 0x10u);
  EXPECT_EQ(dev.last_value, 0x77u);
  EXPECT_EQ(mem_space_.read(0x100004008, 4), 0xab08u);

  // Moving a BAR while decoding.
  cfg_write(fn, 0x14, 0xfebe0000, 4);
  EXPECT_EQ(dev.bar_address(1), 0xfebe0000u);
  EXPECT_EQ(mem_space_.read(0xfebf0000, 4), 0xffffffffu);
  EXPECT_EQ(mem_space_.read(0xfebe0000, 4), 0xab00u);

  // RAM wins over a BAR placed on it (the window is below RAM).
  cfg_write(fn, 0x14, 0x1000, 4);
  EXPECT_EQ(dev.bar_address(1), 0x1000u);
  mem_space_.write(0x1000, 0x5a, 1);
  EXPECT_EQ(mem_space_.read(0x1000, 1), 0x5au);

  // Two BARs over each other: the guest's mistake is logged, not a crash.
  cfg_write(fn, 0x18, 0x1000, 4);
  cfg_write(fn, 0x1c, 0, 4);
  EXPECT_EQ(dev.bar_address(2), PciDevice::kUnmapped);

  // Reset clears the BARs and the command register.
  dev.reset();
  EXPECT_EQ(dev.bar_address(0), PciDevice::kUnmapped);
  EXPECT_EQ(dev.bar_address(1), PciDevice::kUnmapped);
  EXPECT_EQ(cfg_read(fn, 0x04, 2), 0u);
  EXPECT_EQ(cfg_read(fn, 0x10, 4), 0x1u);
  EXPECT_EQ(io_space_.read(0xc004, 2), 0xffffu);
}

TEST_F(PciTest, IoBarOutsidePortSpaceIsNotMapped) {
  ProbeDevice dev;
  bus_.plug(dev, pci::devfn(3, 0));
  cfg_write(pci::devfn(3, 0), 0x10, 0xfffffff0, 4);
  cfg_write(pci::devfn(3, 0), 0x04, pci::kCommandIo, 2);
  EXPECT_EQ(dev.bar_address(0), PciDevice::kUnmapped);
}

TEST_F(PciTest, CapabilityList) {
  ProbeDevice dev;
  bus_.plug(dev, pci::devfn(3, 0));
  uint8_t fn = pci::devfn(3, 0);
  EXPECT_TRUE(cfg_read(fn, 0x06, 2) & pci::kStatusCapList);
  // Laid out in the order added, linked as QEMU links them: the last one
  // added heads the list.
  unsigned first = cfg_read(fn, 0x34, 1);
  EXPECT_EQ(first, 0x48u);
  EXPECT_EQ(cfg_read(fn, first, 1), pci::kCapVendor);
  unsigned second = cfg_read(fn, first + 1, 1);
  EXPECT_EQ(second, 0x40u);
  EXPECT_EQ(cfg_read(fn, second + 1, 1), 0u);
}

TEST_F(PciTest, PlugRefusesTakenSlotAndFindsFreeOne) {
  ProbeDevice a, b;
  EXPECT_THROW(bus_.plug(a, 0), std::runtime_error);
  bus_.plug(a);
  EXPECT_EQ(a.devfn(), pci::devfn(2, 0));
  bus_.plug(b);
  EXPECT_EQ(b.devfn(), pci::devfn(3, 0));
}

TEST_F(PciTest, IntxSwizzleAndPirqRouting) {
  ProbeDevice a(1), b(2), c(1);
  bus_.plug(a, pci::devfn(3, 0));  // INTA of slot 3 -> PIRQD
  bus_.plug(b, pci::devfn(4, 0));  // INTB of slot 4 -> PIRQB
  bus_.plug(c, pci::devfn(7, 0));  // INTA of slot 7 -> PIRQD (shared with a)
  EXPECT_EQ(PciBus::pirq_of(3, 1), 3);
  EXPECT_EQ(PciBus::pirq_of(4, 2), 1);

  a.set_irq(true);
  EXPECT_TRUE(bus_.pirq_level(3));
  EXPECT_FALSE(isa_level_[11]);  // not routed yet
  EXPECT_TRUE(cfg_read(pci::devfn(3, 0), 0x06, 2) & pci::kStatusInterrupt);
  cfg_write(pci::devfn(1, 0), Piix3::kPirqRoute + 3, 11, 1);
  EXPECT_EQ(piix3_->route(3), 11);
  EXPECT_TRUE(isa_level_[11]);

  // Shared: the line stays up until every source drops.
  c.set_irq(true);
  a.set_irq(false);
  EXPECT_TRUE(isa_level_[11]);
  c.set_irq(false);
  EXPECT_FALSE(isa_level_[11]);

  // Two PIRQs onto one ISA IRQ.
  cfg_write(pci::devfn(1, 0), Piix3::kPirqRoute + 1, 11, 1);
  b.set_irq(true);
  EXPECT_TRUE(isa_level_[11]);
  a.set_irq(true);
  b.set_irq(false);
  EXPECT_TRUE(isa_level_[11]);

  // INTx disable masks the output but keeps the status bit.
  cfg_write(pci::devfn(3, 0), 0x04, pci::kCommandIntxDisable, 2);
  EXPECT_FALSE(isa_level_[11]);
  EXPECT_TRUE(cfg_read(pci::devfn(3, 0), 0x06, 2) & pci::kStatusInterrupt);
  cfg_write(pci::devfn(3, 0), 0x04, 0, 2);
  EXPECT_TRUE(isa_level_[11]);

  // Rerouting moves the level; disabling the route drops it.
  cfg_write(pci::devfn(1, 0), Piix3::kPirqRoute + 3, 10, 1);
  EXPECT_FALSE(isa_level_[11]);
  EXPECT_TRUE(isa_level_[10]);
  cfg_write(pci::devfn(1, 0), Piix3::kPirqRoute + 3, 0x80, 1);
  EXPECT_FALSE(isa_level_[10]);
  // IRQs the PIIX3 cannot route to (0, 2, 8, 13) are ignored.
  cfg_write(pci::devfn(1, 0), Piix3::kPirqRoute + 3, 8, 1);
  EXPECT_EQ(piix3_->route(3), -1);
  EXPECT_FALSE(isa_level_[8]);
}

// Hot-unplug: the function's BARs leave the address spaces, its INTx stops
// holding the PIRQ, config cycles find nothing, and the slot takes another.
TEST_F(PciTest, UnplugTakesTheFunctionsBarsAndInterruptAway) {
  ProbeDevice dev;
  const uint8_t fn = pci::devfn(3, 0);
  bus_.plug(dev, fn);
  cfg_write(fn, 0x10, 0xc000, 4);
  cfg_write(fn, 0x14, 0xfebf0000, 4);
  cfg_write(fn, 0x04, pci::kCommandIo | pci::kCommandMemory | pci::kCommandMaster, 2);
  cfg_write(pci::devfn(1, 0), Piix3::kPirqRoute + 3, 11, 1);
  dev.set_irq(true);
  ASSERT_TRUE(isa_level_[11]);
  ASSERT_EQ(io_space_.read(0xc004, 2), 0xab04u);
  ASSERT_EQ(mem_space_.read(0xfebf0000, 4), 0xab00u);

  bus_.unplug(dev);
  EXPECT_EQ(bus_.device(fn), nullptr);
  EXPECT_FALSE(bus_.pirq_level(3));
  EXPECT_FALSE(isa_level_[11]);
  EXPECT_EQ(io_space_.read(0xc004, 2), 0xffffu);
  EXPECT_EQ(mem_space_.read(0xfebf0000, 4), 0xffffffffu);
  EXPECT_EQ(cfg_read(fn, 0x00, 4), 0xffffffffu);
  EXPECT_EQ(dev.bus(), nullptr);
  uint8_t byte = 0;
  EXPECT_FALSE(dev.dma_read(0, &byte, 1)) << "a detached function masters nothing";
  dev.set_irq(false);  // what its device model may still do: no effect
  EXPECT_FALSE(bus_.pirq_level(3));

  ProbeDevice next;
  bus_.plug(next, fn);  // the slot is free again
  EXPECT_EQ(bus_.device(fn), &next);
}

TEST_F(PciTest, DmaNeedsBusMaster) {
  ProbeDevice dev;
  bus_.plug(dev, pci::devfn(3, 0));
  uint32_t v = 0x11223344;
  EXPECT_FALSE(dev.dma_write(0x2000, &v, 4));
  cfg_write(pci::devfn(3, 0), 0x04, pci::kCommandMaster, 2);
  EXPECT_TRUE(dev.dma_write(0x2000, &v, 4));
  EXPECT_EQ(mem_space_.read(0x2000, 4), 0x11223344u);
}

TEST_F(PciTest, StatusErrorBitsAreWriteOneToClear) {
  ProbeDevice dev;
  bus_.plug(dev, pci::devfn(3, 0));
  dev.set_irq(true);
  cfg_write(pci::devfn(3, 0), 0x06, 0xffff, 2);  // error bits are clear; others read-only
  EXPECT_EQ(cfg_read(pci::devfn(3, 0), 0x06, 2), pci::kStatusInterrupt | pci::kStatusCapList);
}

TEST_F(PciTest, StateRoundTripRestoresMappings) {
  ProbeDevice a, b;
  bus_.plug(a, pci::devfn(3, 0));
  cfg_write(pci::devfn(3, 0), 0x10, 0xd000, 4);
  cfg_write(pci::devfn(3, 0), 0x04, pci::kCommandIo, 2);
  StateWriter w;
  a.visit_state(w);
  a.reset();
  auto blob = w.serialize();
  StateReader r = StateReader::deserialize(blob);
  a.visit_state(r);
  EXPECT_EQ(a.bar_address(0), 0xd000u);
  EXPECT_EQ(io_space_.read(0xd002, 2), 0xab02u);
}

}  // namespace
}  // namespace vx86

namespace vx86 {
namespace {

// A device with an expansion ROM (the BAR at 0x30), as firmware finds a VGA
// BIOS: sized like a memory BAR, mapped while enabled and memory decoding is on.
class RomDevice : public PciDevice {
 public:
  RomDevice() : PciDevice("rom-probe", PciIds{.vendor = 0x1234, .device = 0x1111}) {
    rom_ = MemoryRegion::rom("probe-rom", 0x10000);
    rom_->host_ptr()[0] = 0x55;
    rom_->host_ptr()[1] = 0xAA;
    register_expansion_rom(rom_.get());
  }
  ~RomDevice() override {
    if (rom_->parent()) rom_->parent()->remove_subregion(rom_.get());
  }

 private:
  std::unique_ptr<MemoryRegion> rom_;
};

TEST_F(PciTest, ExpansionRomIsSizedEnabledAndMapped) {
  RomDevice dev;
  const uint8_t fn = pci::devfn(4, 0);
  bus_.plug(dev, fn);
  EXPECT_EQ(cfg_read(fn, 0x30, 4), 0u);
  cfg_write(fn, 0x30, 0xFFFFFFFE, 4);
  EXPECT_EQ(cfg_read(fn, 0x30, 4), 0xFFFF0000u);  // 64 KiB, enable bit clear
  cfg_write(fn, 0x30, 0xFEB00000, 4);
  cfg_write(fn, 0x04, pci::kCommandMemory, 2);
  EXPECT_EQ(mem_space_.read(0xFEB00000, 2), 0xFFFFu);  // not enabled
  cfg_write(fn, 0x30, 0xFEB00001, 4);
  EXPECT_EQ(mem_space_.read(0xFEB00000, 2), 0xAA55u);
  mem_space_.write(0xFEB00000, 0, 2);  // a ROM
  EXPECT_EQ(mem_space_.read(0xFEB00000, 2), 0xAA55u);
  cfg_write(fn, 0x04, 0, 2);  // memory decoding off
  EXPECT_EQ(mem_space_.read(0xFEB00000, 2), 0xFFFFu);
  cfg_write(fn, 0x04, pci::kCommandMemory, 2);
  dev.reset();
  EXPECT_EQ(cfg_read(fn, 0x30, 4), 0u);
  EXPECT_EQ(mem_space_.read(0xFEB00000, 2), 0xFFFFu);
}

// PAM: the BIOS area below 1 MiB shows the BIOS ROM until the firmware
// points a segment at RAM (read-write to copy itself there, then read-only),
// as SeaBIOS does on QEMU's i440FX.
TEST_F(PciTest, PamShadowsTheBiosAreaWithRam) {
  auto rom = MemoryRegion::rom("bios", 0x20000);
  std::fill_n(rom->host_ptr(), 0x20000, 0xAB);
  system_->add_subregion(0xE0000, rom.get(), 1);
  host_.connect_pam(*system_, *ram_);
  constexpr unsigned kPam0 = 0x59;
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0xABu);  // after reset: the ROM
  mem_space_.write(0xF0000, 0x11, 1);
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0xABu);

  cfg_write(0, kPam0, 0x30, 1);  // 0xF0000-0xFFFFF: RAM, read-write
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0x00u);
  mem_space_.write(0xF0000, 0x22, 1);
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0x22u);
  EXPECT_EQ(mem_space_.read(0xEFFFF, 1), 0xABu);  // PAM6's segment is still ROM

  cfg_write(0, kPam0, 0x10, 1);  // read-only RAM: writes are dropped
  mem_space_.write(0xF0000, 0x33, 1);
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0x22u);
  EXPECT_EQ(mem_space_.host_ptr(0xF0000, true), nullptr);

  // PAM1's low nibble is 0xC0000-0xC3FFF, its high nibble 0xC4000-0xC7FFF.
  cfg_write(0, kPam0 + 1, 0x03, 1);
  mem_space_.write(0xC0000, 0x44, 1);
  EXPECT_EQ(mem_space_.read(0xC0000, 1), 0x44u);
  cfg_write(0, kPam0 + 1, 0x01, 1);
  mem_space_.write(0xC0000, 0x55, 1);
  mem_space_.write(0xC4000, 0x66, 1);  // PAM 00 here: RAM below, as before
  EXPECT_EQ(mem_space_.read(0xC0000, 1), 0x44u);
  EXPECT_EQ(mem_space_.read(0xC4000, 1), 0x66u);
  // A dword write covering several PAM registers updates them all.
  cfg_write(0, 0x5C, 0x33333333, 4);  // PAM3-6: 0xD0000-0xEFFFF read-write
  mem_space_.write(0xE0000, 0x77, 1);
  EXPECT_EQ(mem_space_.read(0xE0000, 1), 0x77u);

  host_.reset();  // back to the ROM everywhere
  EXPECT_EQ(mem_space_.read(0xF0000, 1), 0xABu);
  EXPECT_EQ(mem_space_.read(0xE0000, 1), 0xABu);
  system_->remove_subregion(rom.get());
}

}  // namespace
}  // namespace vx86
