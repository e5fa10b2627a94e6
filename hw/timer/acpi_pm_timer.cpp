#include "hw/timer/acpi_pm_timer.h"

#include "core/log.h"

namespace vx86 {

AcpiPmTimer::AcpiPmTimer(Clocks& clocks, bool extended_32bit)
    : Device("acpi-pm-timer"), clocks_(clocks), extended_(extended_32bit) {
  region_ = MemoryRegion::io("acpi-pm-timer", 4, this, AccessLimits{1, 4, false});
}

bool AcpiPmTimer::map(MemoryRegion& io_space, uint64_t port) {
  return io_space.try_add_subregion(port, region_.get());
}

uint64_t AcpiPmTimer::ticks() const {
  __int128 ns = clocks_.now(ClockType::kVirtual);
  return static_cast<uint64_t>(ns * kFrequencyHz / kNsPerSec);
}

uint32_t AcpiPmTimer::value() const {
  uint64_t t = ticks();
  return static_cast<uint32_t>(extended_ ? t & 0xFFFFFFFF : t & 0xFFFFFF);
}

int64_t AcpiPmTimer::ns_of_tick(uint64_t tick) {
  __int128 t = tick;
  return static_cast<int64_t>((t * kNsPerSec + kFrequencyHz - 1) / kFrequencyHz);
}

uint64_t AcpiPmTimer::read(uint64_t offset, unsigned size) {
  uint64_t v = value() >> (8 * offset);
  return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void AcpiPmTimer::write(uint64_t offset, uint64_t, unsigned) {
  VX86_LOG(kLogGuestErrors, "acpi-pm-timer: write to read-only port +%u\n",
           static_cast<unsigned>(offset));
}

}  // namespace vx86
