#include "hw/acpi/acpi_pm.h"

#include <gtest/gtest.h>

#include "hw/acpi/reset_control.h"
#include "hw/timer/acpi_pm_timer.h"
#include "tests/hw/io_bus.h"

namespace vx86 {
namespace {

constexpr uint64_t kPmBase = 0x600;
constexpr uint64_t kSts = kPmBase, kEn = kPmBase + 2, kCnt = kPmBase + 4, kTmr = kPmBase + 8;

uint32_t inl(test::IoBus& bus, uint64_t port) {
  return static_cast<uint32_t>(bus.as.read(port, 4));
}

class AcpiPmTest : public ::testing::Test {
 protected:
  AcpiPmTest() {
    clocks.set_manual_virtual(true);
    sci.set_handler([this](bool) { sci_changes += 1; });
    pm.map(*bus.root, kPmBase);
  }
  // Moves the virtual clock to PM timer tick t (absolute).
  void to_tick(uint64_t t) {
    clocks.advance_virtual(AcpiPmTimer::ns_of_tick(t) - clocks.now(ClockType::kVirtual));
  }

  Clocks clocks;
  test::IoBus bus;
  RecordingSystemControl system;
  IrqLine sci;
  int sci_changes = 0;
  AcpiPm pm{clocks, system, &sci};
};

TEST(AcpiPmTimerTest, CountsAt3579545HzAndWrapsAt24Bits) {
  Clocks clocks;
  clocks.set_manual_virtual(true);
  test::IoBus bus;
  AcpiPmTimer timer{clocks};
  timer.map(*bus.root, 0xB008);
  EXPECT_EQ(inl(bus, 0xB008), 0u);
  clocks.advance_virtual(kNsPerSec);
  EXPECT_EQ(inl(bus, 0xB008), 3'579'545u);
  EXPECT_EQ(bus.inw(0xB008), 3'579'545u & 0xFFFF);
  EXPECT_EQ(bus.inb(0xB00A), (3'579'545u >> 16) & 0xFF);
  clocks.advance_virtual(4 * kNsPerSec);  // 17897725 ticks: past 2^24
  EXPECT_EQ(inl(bus, 0xB008), 17'897'725u & 0xFFFFFF);
  bus.as.write(0xB008, 0, 4);  // read-only
  EXPECT_EQ(inl(bus, 0xB008), 17'897'725u & 0xFFFFFF);
  EXPECT_EQ(timer.overflow_bit(), 23);
}

TEST(AcpiPmTimerTest, ExtendedTimerHas32Bits) {
  Clocks clocks;
  clocks.set_manual_virtual(true);
  AcpiPmTimer timer{clocks, true};
  clocks.advance_virtual(5 * kNsPerSec);
  EXPECT_EQ(timer.value(), 17'897'725u);
  EXPECT_EQ(timer.overflow_bit(), 31);
  EXPECT_TRUE(timer.extended());
}

TEST_F(AcpiPmTest, TimerAtPmBasePlus8) {
  to_tick(12345);
  EXPECT_EQ(inl(bus, kTmr), 12345u);
}

TEST_F(AcpiPmTest, EnableRegisterAndStatusWriteOneToClear) {
  EXPECT_EQ(bus.inw(kSts), 0u);
  EXPECT_EQ(bus.inw(kEn), 0u);
  bus.outw(kEn, 0xFFFF);
  EXPECT_EQ(bus.inw(kEn), AcpiPm::kTmrSts | AcpiPm::kGblSts | AcpiPm::kPwrBtnSts |
                              AcpiPm::kSlpBtnSts | AcpiPm::kRtcSts);
  pm.press_power_button();
  pm.rtc_alarm();
  EXPECT_EQ(bus.inw(kSts), AcpiPm::kPwrBtnSts | AcpiPm::kRtcSts);
  bus.outw(kSts, AcpiPm::kRtcSts);
  EXPECT_EQ(bus.inw(kSts), AcpiPm::kPwrBtnSts);
  // A dword write covers PM1_STS and PM1_EN together.
  bus.as.write(kSts, 0x0000'0000u | AcpiPm::kPwrBtnSts, 4);
  EXPECT_EQ(bus.inw(kSts), 0u);
  EXPECT_EQ(bus.inw(kEn), 0u);
}

TEST_F(AcpiPmTest, SciFollowsStatusEnableAndSciEn) {
  bus.outw(kEn, AcpiPm::kPwrBtnSts);
  pm.press_power_button();
  EXPECT_FALSE(sci.level());  // SCI_EN clear: ACPI not enabled yet
  bus.outw(kCnt, AcpiPm::kSciEn);
  EXPECT_TRUE(sci.level());
  EXPECT_TRUE(pm.sci_level());
  bus.outw(kSts, AcpiPm::kPwrBtnSts);
  EXPECT_FALSE(sci.level());
  pm.press_power_button();
  EXPECT_TRUE(sci.level());
  bus.outw(kEn, 0);
  EXPECT_FALSE(sci.level());
  bus.outw(kEn, AcpiPm::kPwrBtnSts);
  pm.set_sci_enabled(false);
  EXPECT_FALSE(sci.level());
  EXPECT_EQ(bus.inw(kCnt) & AcpiPm::kSciEn, 0);
}

// GPE0 at 0xAFE0: two status bytes (write one to clear), two enable bytes;
// an enabled event raises the SCI like a PM1 one.
TEST_F(AcpiPmTest, GeneralPurposeEventsRaiseTheSci) {
  constexpr uint64_t kGpe = 0xafe0;
  pm.map_gpe(*bus.root, kGpe);
  bus.outw(kCnt, AcpiPm::kSciEn);
  pm.raise_gpe(1);
  EXPECT_EQ(bus.inb(kGpe), 0x02);
  EXPECT_FALSE(sci.level()) << "not enabled";
  bus.outb(kGpe + 2, 0x02);
  EXPECT_TRUE(sci.level());
  EXPECT_EQ(bus.inb(kGpe + 2), 0x02);
  bus.outb(kGpe, 0x01);  // another bit: nothing changes
  EXPECT_TRUE(sci.level());
  bus.outb(kGpe, 0x02);
  EXPECT_EQ(bus.inb(kGpe), 0);
  EXPECT_FALSE(sci.level());
  pm.raise_gpe(9);
  EXPECT_EQ(bus.inb(kGpe + 1), 0x02);
  bus.outb(kGpe + 3, 0x02);
  EXPECT_TRUE(sci.level());
  pm.reset();
  EXPECT_EQ(pm.gpe_status(), 0);
  EXPECT_EQ(pm.gpe_enable(), 0);
}

TEST_F(AcpiPmTest, TimerOverflowSetsTmrStsAndRaisesSci) {
  bus.outw(kCnt, AcpiPm::kSciEn);
  bus.outw(kEn, AcpiPm::kTmrSts);
  to_tick((1u << 23) - 1);
  EXPECT_EQ(bus.inw(kSts) & AcpiPm::kTmrSts, 0);
  EXPECT_FALSE(sci.level());
  to_tick(1u << 23);  // bit 23 toggles
  EXPECT_EQ(bus.inw(kSts) & AcpiPm::kTmrSts, AcpiPm::kTmrSts);
  EXPECT_TRUE(sci.level());
  bus.outw(kSts, AcpiPm::kTmrSts);
  EXPECT_EQ(bus.inw(kSts) & AcpiPm::kTmrSts, 0);
  EXPECT_FALSE(sci.level());
  to_tick(2u << 23);
  EXPECT_TRUE(sci.level());
}

TEST_F(AcpiPmTest, SleepS5PowersOff) {
  bus.outw(kCnt, 3 << AcpiPm::kSlpTypShift);  // type only
  EXPECT_EQ(bus.inw(kCnt), 3 << AcpiPm::kSlpTypShift);
  EXPECT_FALSE(system.shutdown_requested);
  bus.outw(kCnt, 3 << AcpiPm::kSlpTypShift | AcpiPm::kSlpEn);  // not S5 here
  EXPECT_FALSE(system.shutdown_requested);
  EXPECT_EQ(bus.inw(kCnt) & AcpiPm::kSlpEn, 0);  // SLP_EN reads as 0
  bus.outw(kCnt, 0 << AcpiPm::kSlpTypShift | AcpiPm::kSlpEn);
  EXPECT_TRUE(system.shutdown_requested);
}

TEST(AcpiPmConfigTest, S5SleepTypeAndSciEnAreConfigurable) {
  Clocks clocks;
  clocks.set_manual_virtual(true);
  test::IoBus bus;
  RecordingSystemControl system;
  AcpiPm pm{clocks, system, nullptr,
            AcpiPm::Config{.timer_32bit = true, .s5_sleep_type = 5, .sci_enabled = true}};
  pm.map(*bus.root, 0xB000);
  EXPECT_EQ(bus.inw(0xB004), AcpiPm::kSciEn);
  bus.outb(0xB005,
           (AcpiPm::kSlpEn | 5 << AcpiPm::kSlpTypShift) >> 8);  // byte write of the high half
  EXPECT_TRUE(system.shutdown_requested);
  EXPECT_TRUE(pm.timer().extended());
}

TEST(ResetControlTest, RstCpuRequestsReset) {
  test::IoBus bus;
  RecordingSystemControl system;
  ResetControl rc{system};
  rc.map(*bus.root);
  bus.outb(0xCF9, ResetControl::kSysRst);
  EXPECT_FALSE(system.reset_requested);
  EXPECT_EQ(bus.inb(0xCF9), ResetControl::kSysRst);
  bus.outb(0xCF9, 0x06);  // the ACPI RESET_VALUE
  EXPECT_TRUE(system.reset_requested);

  ResetControl copy{system};
  test::copy_state(rc, copy);
  EXPECT_EQ(copy.read(0, 1), ResetControl::kSysRst);
}

TEST_F(AcpiPmTest, SaveLoadRoundTrip) {
  bus.outw(kCnt, AcpiPm::kSciEn | 2 << AcpiPm::kSlpTypShift);
  bus.outw(kEn, AcpiPm::kPwrBtnSts | AcpiPm::kTmrSts);
  pm.press_power_button();
  to_tick(100);

  IrqLine copy_sci;
  AcpiPm copy{clocks, system, &copy_sci};
  test::copy_state(pm, copy);
  EXPECT_EQ(copy.pm1_control(), pm.pm1_control());
  EXPECT_EQ(copy.pm1_enable(), pm.pm1_enable());
  EXPECT_EQ(copy.pm1_status(), AcpiPm::kPwrBtnSts);
  EXPECT_TRUE(copy_sci.level());
  // The copy's timer-overflow wake-up is armed too.
  test::IoBus copy_bus;
  copy.map(*copy_bus.root, kPmBase);
  copy_bus.outw(kSts, AcpiPm::kPwrBtnSts);
  EXPECT_FALSE(copy_sci.level());
  to_tick(1u << 23);
  EXPECT_TRUE(copy_sci.level());
}

}  // namespace
}  // namespace vx86
