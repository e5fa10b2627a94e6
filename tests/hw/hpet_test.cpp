#include "hw/timer/hpet.h"

#include <gtest/gtest.h>

#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

constexpr uint64_t kBase = Hpet::kDefaultBase;

class HpetTest : public ::testing::Test {
 protected:
  HpetTest() {
    clocks.set_manual_virtual(true);
    hpet.map(*mem_root);
    for (int pin = 0; pin < 24; ++pin) {
      gsi[pin].set_handler([this, pin](bool level) {
        if (level) edges[pin] += 1;
      });
      hpet.connect_gsi(pin, &gsi[pin]);
    }
    irq0.set_handler([this](bool level) { irq0_edges += level; });
    irq8.set_handler([this](bool level) { irq8_edges += level; });
    hpet.set_legacy_lines(&irq0, &irq8);
  }
  uint64_t rd64(uint64_t reg) { return mem.read(kBase + reg, 8); }
  uint32_t rd32(uint64_t reg) { return static_cast<uint32_t>(mem.read(kBase + reg, 4)); }
  void wr64(uint64_t reg, uint64_t v) { mem.write(kBase + reg, v, 8); }
  void wr32(uint64_t reg, uint32_t v) { mem.write(kBase + reg, v, 4); }
  void advance(int64_t ns) { clocks.advance_virtual(ns); }
  void enable() { wr64(Hpet::kRegConfig, Hpet::kConfigEnable); }
  static uint64_t route(int pin) { return uint64_t(pin) << Hpet::kTimerRouteShift; }

  Clocks clocks;
  std::unique_ptr<MemoryRegion> mem_root = MemoryRegion::container("mem", uint64_t{1} << 32);
  AddressSpace mem{"mem", mem_root.get()};
  Hpet hpet{clocks};
  IrqLine gsi[24];
  int edges[24] = {};
  IrqLine irq0, irq8;
  int irq0_edges = 0, irq8_edges = 0;
};

TEST_F(HpetTest, Capabilities) {
  EXPECT_EQ(rd64(Hpet::kRegCapabilities), 0x05F5E100'8086A201ull);
  EXPECT_EQ(rd32(0x000), 0x8086A201u);
  EXPECT_EQ(rd32(0x004), 100'000'000u);  // period in femtoseconds
  wr64(Hpet::kRegCapabilities, 0);       // read-only
  EXPECT_EQ(rd32(0x004), 100'000'000u);
  uint64_t t0 = rd64(Hpet::kRegTimerConfig(0));
  EXPECT_TRUE(t0 & Hpet::kTimerPeriodicCap);
  EXPECT_TRUE(t0 & Hpet::kTimerSize64Cap);
  EXPECT_EQ(t0 >> 32, Hpet::kRouteCapability);
  EXPECT_FALSE(rd64(Hpet::kRegTimerConfig(1)) & Hpet::kTimerPeriodicCap);
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(2)), ~uint64_t{0});
  EXPECT_EQ(rd64(Hpet::kRegConfig), 0u);
}

TEST_F(HpetTest, MainCounterRunsOnlyWhenEnabledAndIsWritableWhileHalted) {
  advance(1000);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 0u);
  enable();
  advance(1000);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 10u);  // 10 MHz
  advance(250);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 12u);
  wr64(Hpet::kRegConfig, 0);
  advance(10000);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 12u);
  wr64(Hpet::kRegMainCounter, 0x1'0000'0005ull);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 0x1'0000'0005ull);
  wr32(Hpet::kRegMainCounter + 4, 0x2);  // high half only
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 0x2'0000'0005ull);
  wr32(Hpet::kRegMainCounter, 0x7);  // low half only
  EXPECT_EQ(rd32(Hpet::kRegMainCounter), 7u);
  EXPECT_EQ(rd32(Hpet::kRegMainCounter + 4), 2u);
  enable();
  advance(100);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 0x2'0000'0008ull);
}

TEST_F(HpetTest, OneShotEdgeInterrupt) {
  wr64(Hpet::kRegTimerConfig(2), Hpet::kTimerIntEnable | route(21));
  EXPECT_EQ(rd64(Hpet::kRegTimerConfig(2)) & 0x3F4E, Hpet::kTimerIntEnable | route(21));
  wr64(Hpet::kRegTimerComparator(2), 50);
  enable();
  advance(4999);
  EXPECT_EQ(edges[21], 0);
  advance(1);
  EXPECT_EQ(edges[21], 1);
  EXPECT_FALSE(gsi[21].level());  // edge: a pulse
  EXPECT_EQ(rd64(Hpet::kRegInterruptStatus), 0u);
  advance(1'000'000);
  EXPECT_EQ(edges[21], 1);  // one shot
}

TEST_F(HpetTest, InterruptDisabledTimerDoesNotFire) {
  wr64(Hpet::kRegTimerConfig(1), route(20));
  wr64(Hpet::kRegTimerComparator(1), 5);
  enable();
  advance(10000);
  EXPECT_EQ(edges[20], 0);
}

TEST_F(HpetTest, PeriodicTimerLinuxSequence) {
  wr64(Hpet::kRegMainCounter, 1000);
  enable();
  // Linux: config with periodic + value-set, comparator = now + delta, then delta.
  wr64(Hpet::kRegTimerConfig(0),
       Hpet::kTimerIntEnable | Hpet::kTimerPeriodic | Hpet::kTimerValueSet | route(22));
  wr64(Hpet::kRegTimerComparator(0), 1000 + 100);
  wr64(Hpet::kRegTimerComparator(0), 100);
  EXPECT_FALSE(rd64(Hpet::kRegTimerConfig(0)) & Hpet::kTimerValueSet);  // self-clearing
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(0)), 1100u);
  advance(100 * 100);
  EXPECT_EQ(edges[22], 1);
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(0)), 1200u);
  advance(5 * 100 * 100);
  EXPECT_EQ(edges[22], 6);
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(0)), 1700u);
}

TEST_F(HpetTest, PeriodicNotWritableOnNonCapableTimer) {
  wr64(Hpet::kRegTimerConfig(1), Hpet::kTimerPeriodic | route(20));
  EXPECT_FALSE(rd64(Hpet::kRegTimerConfig(1)) & Hpet::kTimerPeriodic);
}

TEST_F(HpetTest, UnsupportedRouteIsNotTaken) {
  wr64(Hpet::kRegTimerConfig(1), route(23));
  wr64(Hpet::kRegTimerConfig(1), route(3));
  EXPECT_EQ((rd64(Hpet::kRegTimerConfig(1)) >> Hpet::kTimerRouteShift) & 0x1F, 23u);
}

TEST_F(HpetTest, LevelModeStatusAndWriteOneToClear) {
  wr64(Hpet::kRegTimerConfig(1), Hpet::kTimerLevel | Hpet::kTimerIntEnable | route(20));
  wr64(Hpet::kRegTimerComparator(1), 10);
  enable();
  advance(1000);
  EXPECT_EQ(rd64(Hpet::kRegInterruptStatus), 2u);
  EXPECT_TRUE(gsi[20].level());
  wr64(Hpet::kRegInterruptStatus, 1);  // other bits: no effect
  EXPECT_TRUE(gsi[20].level());
  wr32(Hpet::kRegInterruptStatus, 2);
  EXPECT_EQ(rd64(Hpet::kRegInterruptStatus), 0u);
  EXPECT_FALSE(gsi[20].level());
  // Status is set in level mode even with the interrupt disabled; the line stays low.
  wr64(Hpet::kRegTimerConfig(1), Hpet::kTimerLevel | route(20));
  wr64(Hpet::kRegTimerComparator(1), 20);
  advance(1000);
  EXPECT_EQ(rd64(Hpet::kRegInterruptStatus), 2u);
  EXPECT_FALSE(gsi[20].level());
  // Enabling the interrupt with the status set raises the line.
  wr64(Hpet::kRegTimerConfig(1), Hpet::kTimerLevel | Hpet::kTimerIntEnable | route(20));
  EXPECT_TRUE(gsi[20].level());
}

TEST_F(HpetTest, LegacyReplacementRoutesTimer0And1ToIrq0AndIrq8) {
  std::vector<bool> legacy_changes;
  hpet.set_legacy_listener([&](bool on) { legacy_changes.push_back(on); });
  wr64(Hpet::kRegConfig, Hpet::kConfigEnable | Hpet::kConfigLegacy);
  EXPECT_TRUE(hpet.legacy_mode());
  wr64(Hpet::kRegTimerConfig(0), Hpet::kTimerIntEnable | route(20));
  wr64(Hpet::kRegTimerComparator(0), 10);
  wr64(Hpet::kRegTimerConfig(1), Hpet::kTimerIntEnable | route(21));
  wr64(Hpet::kRegTimerComparator(1), 20);
  advance(3000);
  EXPECT_EQ(irq0_edges, 1);
  EXPECT_EQ(irq8_edges, 1);
  EXPECT_EQ(edges[20], 0);
  EXPECT_EQ(edges[21], 0);
  wr64(Hpet::kRegConfig, Hpet::kConfigEnable);
  EXPECT_EQ(legacy_changes, (std::vector<bool>{true, false}));
}

TEST_F(HpetTest, ThirtyTwoBitModeAndWraparound) {
  wr64(Hpet::kRegMainCounter, 0xFFFFFFF0);
  wr64(Hpet::kRegTimerConfig(2), Hpet::kTimer32Bit | Hpet::kTimerIntEnable | route(23));
  wr32(Hpet::kRegTimerComparator(2), 0x10);
  wr32(Hpet::kRegTimerComparator(2) + 4, 0x55);  // high half ignored in 32-bit mode
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(2)), 0x10u);
  enable();
  advance(0x1F * 100);
  EXPECT_EQ(edges[23], 0);
  advance(100);  // the low 32 bits wrapped to 0x10
  EXPECT_EQ(edges[23], 1);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 0x1'0000'0010ull);
  // A 32-bit one-shot timer matches again after the counter's low half wraps.
  advance((int64_t{1} << 32) * 100 - 100);
  EXPECT_EQ(edges[23], 1);
  advance(100);
  EXPECT_EQ(edges[23], 2);
}

TEST_F(HpetTest, ThirtyTwoBitPeriodicWraps) {
  wr64(Hpet::kRegMainCounter, 0xFFFFFF00);
  wr64(Hpet::kRegTimerConfig(0), Hpet::kTimer32Bit | Hpet::kTimerPeriodic | Hpet::kTimerValueSet |
                                     Hpet::kTimerIntEnable | route(22));
  wr32(Hpet::kRegTimerComparator(0), 0xFFFFFF80);
  wr32(Hpet::kRegTimerComparator(0), 0x80);
  enable();
  advance(0x80 * 100);
  EXPECT_EQ(edges[22], 1);
  advance(0x80 * 100);  // low half wraps to 0
  EXPECT_EQ(edges[22], 2);
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(0)), 0x80u);
  advance(0x80 * 100);
  EXPECT_EQ(edges[22], 3);
}

TEST_F(HpetTest, SixtyFourBitComparatorAcrossCounterWrap) {
  wr64(Hpet::kRegMainCounter, ~uint64_t{0} - 0xF);
  wr64(Hpet::kRegTimerConfig(1), Hpet::kTimerIntEnable | route(20));
  wr64(Hpet::kRegTimerComparator(1), 0x10);
  enable();
  advance(0x20 * 100);
  EXPECT_EQ(edges[20], 1);
  EXPECT_EQ(rd64(Hpet::kRegMainCounter), 0x10u);
}

TEST_F(HpetTest, ThirtyTwoBitHalvesOfComparator) {
  wr32(Hpet::kRegTimerComparator(1), 0x89ABCDEF);
  wr32(Hpet::kRegTimerComparator(1) + 4, 0x01234567);
  EXPECT_EQ(rd64(Hpet::kRegTimerComparator(1)), 0x01234567'89ABCDEFull);
  EXPECT_EQ(rd32(Hpet::kRegTimerComparator(1) + 4), 0x01234567u);
}

TEST_F(HpetTest, SaveLoadRoundTrip) {
  wr64(Hpet::kRegTimerConfig(0),
       Hpet::kTimerIntEnable | Hpet::kTimerPeriodic | Hpet::kTimerValueSet | route(22));
  wr64(Hpet::kRegTimerComparator(0), 100);
  wr64(Hpet::kRegTimerComparator(0), 100);
  enable();
  advance(100 * 150);
  EXPECT_EQ(edges[22], 1);

  Hpet copy{clocks};
  IrqLine out;
  int copy_edges = 0;
  out.set_handler([&](bool level) { copy_edges += level; });
  copy.connect_gsi(22, &out);
  test::copy_state(hpet, copy);
  EXPECT_EQ(copy.main_counter(), hpet.main_counter());
  EXPECT_EQ(copy.read(Hpet::kRegTimerComparator(0), 8), 200u);
  EXPECT_EQ(copy.read(Hpet::kRegTimerConfig(0), 8), rd64(Hpet::kRegTimerConfig(0)));
  advance(100 * 50);
  EXPECT_EQ(edges[22], 2);
  EXPECT_EQ(copy_edges, 1);
}

}  // namespace
}  // namespace vx86
