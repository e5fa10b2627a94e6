// ACPI fixed power-management hardware of a PC chipset: the PM1a event block
// (PM1_STS, PM1_EN) at PM base + 0, the PM1a control block (PM1_CNT) at
// PM base + 4 and the PM timer at PM base + 8, and a general-purpose event
// block (GPE0: two status bytes, then two enable bytes) where QEMU's PIIX4
// has it, at 0xAFE0. Drives the SCI (a level interrupt) and turns an S5
// sleep request into a power-off.
#pragma once

#include <cstdint>
#include <memory>

#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/timer/acpi_pm_timer.h"

namespace vx86 {

class AcpiPm : public Device {
 public:
  struct Config {
    bool timer_32bit = false;   // FADT TMR_VAL_EXT
    uint8_t s5_sleep_type = 0;  // SLP_TYP the DSDT's \_S5 package names
    bool sci_enabled = false;   // SCI_EN at reset (true when the FADT has no SMI_CMD)
  };
  // PM1_STS / PM1_EN bits.
  static constexpr uint16_t kTmrSts = 1u << 0;
  static constexpr uint16_t kBmSts = 1u << 4;
  static constexpr uint16_t kGblSts = 1u << 5;
  static constexpr uint16_t kPwrBtnSts = 1u << 8;
  static constexpr uint16_t kSlpBtnSts = 1u << 9;
  static constexpr uint16_t kRtcSts = 1u << 10;
  static constexpr uint16_t kWakSts = 1u << 15;
  // PM1_CNT bits.
  static constexpr uint16_t kSciEn = 1u << 0;
  static constexpr uint16_t kBmRld = 1u << 1;
  static constexpr uint16_t kGblRls = 1u << 2;
  static constexpr int kSlpTypShift = 10;
  static constexpr uint16_t kSlpEn = 1u << 13;
  // Offsets from the PM base.
  static constexpr uint64_t kEventBlock = 0;
  static constexpr uint64_t kControlBlock = 4;
  static constexpr uint64_t kTimerBlock = 8;
  // GPE0: 16 events, status bytes then enable bytes.
  static constexpr unsigned kGpeBlockLength = 4;

  // sci (may be null) is the SCI interrupt line (IRQ 9 on a PC).
  AcpiPm(Clocks& clocks, SystemControl& system, IrqLine* sci, Config config);
  AcpiPm(Clocks& clocks, SystemControl& system, IrqLine* sci)
      : AcpiPm(clocks, system, sci, Config{}) {}

  // Maps the event block, control block and timer at base, base + 4, base + 8;
  // false, with none of them mapped, where other ports are (a guest moved
  // the PIIX4's PMBA or the ICH9's PMBASE there).
  bool map(MemoryRegion& io_space, uint64_t base);
  // Takes them out again (the PIIX4's PMBA moved or was disabled).
  void unmap(MemoryRegion& io_space);
  // Maps the GPE0 block at gpe_base (false where other ports are), or takes
  // it out again.
  bool map_gpe(MemoryRegion& io_space, uint64_t gpe_base);
  void unmap_gpe(MemoryRegion& io_space);
  AcpiPmTimer& timer() { return timer_; }

  // The power button was pressed (system_powerdown).
  void press_power_button();
  // The RTC alarm (RTC_STS) fired.
  void rtc_alarm();
  // General-purpose event `bit` (0-15) happened: its status bit is set and
  // the SCI raised if the guest enabled it (the DSDT's \_GPE._Exx runs).
  void raise_gpe(unsigned bit);
  uint16_t gpe_status() const { return gpe_status_; }
  uint16_t gpe_enable() const { return gpe_enable_; }
  // ACPI enable/disable through the SMI command port (sets/clears SCI_EN).
  void set_sci_enabled(bool enabled);

  uint16_t pm1_status();
  uint16_t pm1_enable() const { return enable_; }
  uint16_t pm1_control() const { return control_; }
  bool sci_level() const { return sci_level_; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  // A window of registers at `offset` bytes into the PM1 block pair.
  enum class BlockKind { kEvent, kControl, kGpe };
  class Block : public IoOps {
   public:
    Block(AcpiPm& pm, BlockKind kind) : pm_(pm), kind_(kind) {}
    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, uint64_t value, unsigned size) override;

   private:
    AcpiPm& pm_;
    BlockKind kind_;
  };

  uint64_t overflow_count() const { return timer_.ticks() >> timer_.overflow_bit(); }
  void write_status_enable(uint32_t value, uint32_t mask);
  void write_control(uint16_t value, uint16_t mask);
  void write_gpe(uint32_t value, uint32_t mask);
  void update_sci();

  Clocks& clocks_;
  SystemControl& system_;
  IrqLine* sci_;
  const Config config_;
  AcpiPmTimer timer_;
  Block event_ops_{*this, BlockKind::kEvent};
  Block control_ops_{*this, BlockKind::kControl};
  Block gpe_ops_{*this, BlockKind::kGpe};
  std::unique_ptr<MemoryRegion> event_region_;
  std::unique_ptr<MemoryRegion> control_region_;
  std::unique_ptr<MemoryRegion> gpe_region_;
  std::unique_ptr<Timer> overflow_timer_;

  // Saved state.
  uint16_t status_ = 0;         // sticky status bits except TMR_STS
  uint64_t tmr_sts_epoch_ = 0;  // overflow_count() when TMR_STS was last cleared
  uint16_t enable_ = 0;
  uint16_t control_ = 0;
  uint16_t gpe_status_ = 0;
  uint16_t gpe_enable_ = 0;
  uint8_t sci_level_ = 0;
};

}  // namespace vx86
