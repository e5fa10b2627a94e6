// High Precision Event Timer (IA-PC HPET 1.0a) at 0xFED00000: a 64-bit main
// counter at 10 MHz and three comparators (timer 0 periodic-capable) routed
// to IOAPIC pins, or in legacy replacement mode to IRQ0 and IRQ8.
//
// The main counter is computed from the virtual clock; a Timer is armed only
// for the next comparator match of each timer. No FSB (MSI) delivery.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"

namespace vx86 {

class Hpet : public Device, public IoOps {
 public:
  static constexpr uint64_t kDefaultBase = 0xFED00000;
  static constexpr int kTimers = 3;
  static constexpr uint64_t kPeriodFs = 100'000'000;  // 10 MHz
  static constexpr int64_t kNsPerTick = 100;
  static constexpr int kGsiPins = 24;
  // IOAPIC pins every timer may be routed to (Tn_INT_ROUTE_CAP).
  static constexpr uint32_t kRouteCapability = 0x00F00000;  // pins 20-23
  // Register offsets.
  static constexpr uint64_t kRegCapabilities = 0x000;
  static constexpr uint64_t kRegConfig = 0x010;
  static constexpr uint64_t kRegInterruptStatus = 0x020;
  static constexpr uint64_t kRegMainCounter = 0x0F0;
  static constexpr uint64_t kRegTimerConfig(int n) { return 0x100 + 0x20 * uint64_t(n); }
  static constexpr uint64_t kRegTimerComparator(int n) { return 0x108 + 0x20 * uint64_t(n); }
  // General configuration bits.
  static constexpr uint64_t kConfigEnable = 1u << 0;
  static constexpr uint64_t kConfigLegacy = 1u << 1;
  // Timer configuration bits.
  static constexpr uint64_t kTimerLevel = 1u << 1;
  static constexpr uint64_t kTimerIntEnable = 1u << 2;
  static constexpr uint64_t kTimerPeriodic = 1u << 3;
  static constexpr uint64_t kTimerPeriodicCap = 1u << 4;
  static constexpr uint64_t kTimerSize64Cap = 1u << 5;
  static constexpr uint64_t kTimerValueSet = 1u << 6;
  static constexpr uint64_t kTimer32Bit = 1u << 8;
  static constexpr int kTimerRouteShift = 9;

  explicit Hpet(Clocks& clocks);

  void map(MemoryRegion& memory, uint64_t base = kDefaultBase);
  MemoryRegion* region() { return region_.get(); }

  // The lines of IOAPIC pins 0-23 that timers may be routed to.
  void connect_gsi(int pin, IrqLine* line) { gsi_.at(static_cast<std::size_t>(pin)) = line; }
  // Legacy replacement: timer 0 drives irq0 and timer 1 irq8 (in place of the
  // PIT and the RTC).
  void set_legacy_lines(IrqLine* irq0, IrqLine* irq8) {
    legacy_irq0_ = irq0;
    legacy_irq8_ = irq8;
  }
  // Told when legacy replacement mode turns on or off, so the machine can
  // disconnect the PIT's and RTC's interrupt outputs.
  void set_legacy_listener(std::function<void(bool)> listener) {
    legacy_listener_ = std::move(listener);
  }
  bool legacy_mode() const { return (config_ & kConfigLegacy) != 0; }

  uint64_t main_counter() const;

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  struct HpetTimer {
    uint64_t config = 0;
    uint64_t comparator = ~uint64_t{0};
    uint64_t period = 0;
    uint8_t output_level = 0;  // level currently driven on `output`
    IrqLine* output = nullptr;
    std::unique_ptr<Timer> timer;
  };

  bool enabled() const { return (config_ & kConfigEnable) != 0; }
  uint64_t read64(uint64_t reg);
  // Writes the bytes of value selected by mask.
  void write64(uint64_t reg, uint64_t value, uint64_t mask);
  uint64_t timer_capabilities(int n) const;
  void write_timer_config(int n, uint64_t value);
  void write_comparator(int n, uint64_t value);
  IrqLine* route(int n) const;
  // Re-evaluates a timer's level output (level mode, routing changes).
  void update_output(int n);
  void arm(int n, bool after_match);
  void arm_all();
  void fire(int n);
  int64_t now() const { return clocks_.now(ClockType::kVirtual); }

  Clocks& clocks_;
  std::unique_ptr<MemoryRegion> region_;
  std::array<IrqLine*, kGsiPins> gsi_{};
  IrqLine* legacy_irq0_ = nullptr;
  IrqLine* legacy_irq8_ = nullptr;
  std::function<void(bool)> legacy_listener_;
  std::array<HpetTimer, kTimers> timers_;

  // Saved state.
  uint64_t config_ = 0;
  uint64_t status_ = 0;
  uint64_t counter_base_ = 0;  // main counter at counter_ref_ns_ (or while halted)
  int64_t counter_ref_ns_ = 0;
};

}  // namespace vx86
