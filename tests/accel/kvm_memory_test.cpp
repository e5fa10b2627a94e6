// KVM memory slots from an address space's flat view (no KVM needed), and
// under KVM a ROM that drops guest writes until the map makes it shadow RAM.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "accel/kvm_memory.h"
#include "core/memory.h"

namespace vx86::kvm {
namespace {

class NullDevice : public IoOps {
 public:
  uint64_t read(uint64_t, unsigned) override { return 0; }
  void write(uint64_t, uint64_t, unsigned) override {}
};

TEST(KvmMemorySlots, RamAndRomBecomeSlotsDevicesDoNot) {
  auto root = MemoryRegion::container("memory", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 16 << 20);
  auto rom = MemoryRegion::rom("rom", 0x10000);
  auto rom_alias = MemoryRegion::alias("rom-low", rom.get(), 0x8000, 0x8000);
  NullDevice device;
  auto mmio = MemoryRegion::io("mmio", 0x1000, &device);
  root->add_subregion(0, ram.get());
  root->add_subregion(0xffff0000, rom.get());
  root->add_subregion(0xf8000, rom_alias.get(), 1);  // over RAM
  root->add_subregion(0xfee00000, mmio.get());
  AddressSpace space("memory", root.get());

  std::vector<MemorySlot> slots = slots_for(space);
  ASSERT_EQ(slots.size(), 4u);
  const auto host = [](MemoryRegion* r, uint64_t offset) {
    return reinterpret_cast<uint64_t>(r->host_ptr()) + offset;
  };
  EXPECT_EQ(slots[0], (MemorySlot{0, 0xf8000, host(ram.get(), 0), false}));
  EXPECT_EQ(slots[1], (MemorySlot{0xf8000, 0x8000, host(rom.get(), 0x8000), true}));
  EXPECT_EQ(slots[2],
            (MemorySlot{0x100000, (16 << 20) - 0x100000, host(ram.get(), 0x100000), false}));
  EXPECT_EQ(slots[3], (MemorySlot{0xffff0000, 0x10000, host(rom.get(), 0), true}));

  // Shadowing: the same ranges, now writable.
  rom->set_readonly(false);
  slots = slots_for(space);
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_FALSE(slots[1].readonly);
  EXPECT_FALSE(slots[3].readonly);
}

TEST(KvmMemorySlots, PiecesSmallerThanAPageAreLeftToMmioExits) {
  auto root = MemoryRegion::container("memory", 1ull << 32);
  auto ram = MemoryRegion::ram("ram", 0x3000);
  NullDevice device;
  auto mmio = MemoryRegion::io("mmio", 0x100, &device);
  root->add_subregion(0, ram.get());
  root->add_subregion(0x1800, mmio.get(), 1);  // splits the middle page
  AddressSpace space("memory", root.get());
  std::vector<MemorySlot> slots = slots_for(space);
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].guest_phys, 0u);
  EXPECT_EQ(slots[0].size, 0x1000u);
  EXPECT_EQ(slots[1].guest_phys, 0x2000u);
  EXPECT_EQ(slots[1].size, 0x1000u);
}

}  // namespace
}  // namespace vx86::kvm
