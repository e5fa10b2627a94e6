#include "hw/acpi/acpi_pm.h"

#include "core/log.h"

namespace vx86 {

namespace {

constexpr uint16_t kStatusBits = AcpiPm::kTmrSts | AcpiPm::kBmSts | AcpiPm::kGblSts |
                                 AcpiPm::kPwrBtnSts | AcpiPm::kSlpBtnSts | AcpiPm::kRtcSts |
                                 AcpiPm::kWakSts;
constexpr uint16_t kEnableBits =
    AcpiPm::kTmrSts | AcpiPm::kGblSts | AcpiPm::kPwrBtnSts | AcpiPm::kSlpBtnSts | AcpiPm::kRtcSts;
constexpr uint16_t kControlStored = AcpiPm::kSciEn | AcpiPm::kBmRld | (7u << AcpiPm::kSlpTypShift);

}  // namespace

AcpiPm::AcpiPm(Clocks& clocks, SystemControl& system, IrqLine* sci, Config config)
    : Device("acpi-pm"),
      clocks_(clocks),
      system_(system),
      sci_(sci),
      config_(config),
      timer_(clocks, config.timer_32bit) {
  event_region_ = MemoryRegion::io("acpi-pm1-evt", 4, &event_ops_, AccessLimits{1, 4, false});
  control_region_ = MemoryRegion::io("acpi-pm1-cnt", 2, &control_ops_, AccessLimits{1, 2, false});
  gpe_region_ =
      MemoryRegion::io("acpi-gpe0", kGpeBlockLength, &gpe_ops_, AccessLimits{1, 4, false});
  overflow_timer_ = std::make_unique<Timer>(clocks_, ClockType::kVirtual, [this] { update_sci(); });
  reset();
}

bool AcpiPm::map(MemoryRegion& io_space, uint64_t base) {
  if (io_space.try_add_subregion(base + kEventBlock, event_region_.get()) &&
      io_space.try_add_subregion(base + kControlBlock, control_region_.get()) &&
      timer_.map(io_space, base + kTimerBlock)) {
    return true;
  }
  unmap(io_space);
  return false;
}

// Only what is there: a map() that failed halfway (the guest put the block
// over other ports) may have placed some of the blocks.
void AcpiPm::unmap(MemoryRegion& io_space) {
  for (MemoryRegion* r : {event_region_.get(), control_region_.get(), timer_.region()}) {
    if (r && r->parent() == &io_space) io_space.remove_subregion(r);
  }
}

bool AcpiPm::map_gpe(MemoryRegion& io_space, uint64_t gpe_base) {
  return io_space.try_add_subregion(gpe_base, gpe_region_.get());
}

void AcpiPm::unmap_gpe(MemoryRegion& io_space) {
  if (gpe_region_->parent() == &io_space) io_space.remove_subregion(gpe_region_.get());
}

void AcpiPm::raise_gpe(unsigned bit) {
  gpe_status_ = static_cast<uint16_t>(gpe_status_ | (1u << bit));
  update_sci();
}

uint16_t AcpiPm::pm1_status() {
  return static_cast<uint16_t>(status_ | (overflow_count() != tmr_sts_epoch_ ? kTmrSts : 0));
}

void AcpiPm::press_power_button() {
  status_ |= kPwrBtnSts;
  update_sci();
}

void AcpiPm::rtc_alarm() {
  status_ |= kRtcSts;
  update_sci();
}

void AcpiPm::set_sci_enabled(bool enabled) {
  control_ = static_cast<uint16_t>(enabled ? control_ | kSciEn : control_ & ~kSciEn);
  update_sci();
}

void AcpiPm::write_status_enable(uint32_t value, uint32_t mask) {
  uint16_t clear = static_cast<uint16_t>(value & mask & kStatusBits);
  if (clear & kTmrSts) tmr_sts_epoch_ = overflow_count();
  status_ = static_cast<uint16_t>(status_ & ~clear);
  uint16_t en_mask = static_cast<uint16_t>(mask >> 16);
  enable_ = static_cast<uint16_t>(((enable_ & ~en_mask) | ((value >> 16) & en_mask)) & kEnableBits);
  update_sci();
}

void AcpiPm::write_control(uint16_t value, uint16_t mask) {
  uint16_t updated = static_cast<uint16_t>((control_ & ~mask) | (value & mask));
  control_ = static_cast<uint16_t>(updated & kControlStored);
  update_sci();
  if (value & mask & kSlpEn) {
    unsigned type = (updated >> kSlpTypShift) & 7;
    if (type == config_.s5_sleep_type) {
      system_.request_shutdown(ShutdownCause::kGuestPowerOff);
    } else {
      VX86_LOG(kLogUnimp, "acpi-pm: sleep type %u not supported\n", type);
    }
  }
}

void AcpiPm::write_gpe(uint32_t value, uint32_t mask) {
  // Status bits are cleared by writing ones; enable bits are plain.
  gpe_status_ = static_cast<uint16_t>(gpe_status_ & ~(value & mask));
  const uint16_t en_mask = static_cast<uint16_t>(mask >> 16);
  gpe_enable_ = static_cast<uint16_t>((gpe_enable_ & ~en_mask) | ((value >> 16) & en_mask));
  update_sci();
}

void AcpiPm::update_sci() {
  uint16_t status = pm1_status();
  bool level = (control_ & kSciEn) && ((status & enable_) || (gpe_status_ & gpe_enable_));
  if (level != static_cast<bool>(sci_level_)) {
    sci_level_ = level;
    if (sci_) sci_->set(level);
  }
  // Wake at the next timer overflow only when it would raise the SCI.
  if ((enable_ & kTmrSts) && !(status & kTmrSts)) {
    uint64_t next = (overflow_count() + 1) << timer_.overflow_bit();
    overflow_timer_->mod(AcpiPmTimer::ns_of_tick(next));
  } else {
    overflow_timer_->del();
  }
}

uint64_t AcpiPm::Block::read(uint64_t offset, unsigned size) {
  uint64_t word = 0;
  switch (kind_) {
    case BlockKind::kEvent:
      word = pm_.pm1_status() | uint32_t{pm_.enable_} << 16;
      break;
    case BlockKind::kControl:
      word = pm_.control_;
      break;
    case BlockKind::kGpe:
      word = pm_.gpe_status_ | uint32_t{pm_.gpe_enable_} << 16;
      break;
  }
  return (word >> (8 * offset)) & ((uint64_t{1} << (8 * size)) - 1);
}

void AcpiPm::Block::write(uint64_t offset, uint64_t value, unsigned size) {
  uint32_t mask = static_cast<uint32_t>(((uint64_t{1} << (8 * size)) - 1) << (8 * offset));
  uint32_t shifted = static_cast<uint32_t>(value << (8 * offset));
  switch (kind_) {
    case BlockKind::kEvent:
      return pm_.write_status_enable(shifted, mask);
    case BlockKind::kControl:
      return pm_.write_control(static_cast<uint16_t>(shifted), static_cast<uint16_t>(mask));
    case BlockKind::kGpe:
      return pm_.write_gpe(shifted, mask);
  }
}

void AcpiPm::reset() {
  status_ = 0;
  tmr_sts_epoch_ = overflow_count();
  enable_ = 0;
  control_ = config_.sci_enabled ? kSciEn : 0;
  gpe_status_ = 0;
  gpe_enable_ = 0;
  update_sci();
}

void AcpiPm::visit_state(StateVisitor& v) {
  v.begin("acpi-pm");
  v.field("status", status_);
  v.field("tmr_sts_epoch", tmr_sts_epoch_);
  v.field("enable", enable_);
  v.field("control", control_);
  v.field("gpe_status", gpe_status_);
  v.field("gpe_enable", gpe_enable_);
  v.field("sci_level", sci_level_);
  v.end();
  if (v.loading()) {
    if (sci_) sci_->set(sci_level_);
    update_sci();
  }
}

}  // namespace vx86
