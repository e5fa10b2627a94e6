#include "hw/misc/fpu_error_port.h"

#include "core/log.h"

namespace vx86 {

FpuErrorPort::FpuErrorPort(IrqLine* irq13) : Device("fpu-error-port"), irq13_(irq13) {
  region_ = MemoryRegion::io("fpu-error", 1, this, AccessLimits{1, 1, false});
  ferr_.set_handler([this](bool level) { ferr_changed(level); });
}

void FpuErrorPort::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

void FpuErrorPort::ferr_changed(bool level) {
  if (restoring_) return;
  if (level) {
    set_latch(true);
  } else {
    // The error was cleared (FNCLEX, FNINIT, ...): IGNNE# is no longer needed.
    ignne_.lower();
  }
}

void FpuErrorPort::set_latch(bool latched) {
  latched_ = latched;
  if (irq13_) irq13_->set(latched);
}

uint64_t FpuErrorPort::read(uint64_t, unsigned) {
  return 0xff;  // write-only
}

void FpuErrorPort::write(uint64_t, uint64_t, unsigned) {
  VX86_LOG(kLogIoport, "fpu-error: port 0xf0 written (FERR# %d)\n", ferr_.level() ? 1 : 0);
  set_latch(false);
  // As on the PIIX: IGNNE# only while there is an error to ignore.
  if (ferr_.level()) ignne_.raise();
}

void FpuErrorPort::reset() {
  // The CPU's reset clears its x87 error too.
  ferr_.lower();
  set_latch(false);
}

void FpuErrorPort::visit_state(StateVisitor& v) {
  bool ferr = ferr_.level();
  bool ignne = ignne_.level();
  bool latched = latched_;
  v.begin("fpu-error-port");
  v.field("ferr", ferr);
  v.field("ignne", ignne);
  v.field("irq13", latched);
  v.end();
  if (v.loading()) {
    restoring_ = true;
    ferr_.set(ferr);
    restoring_ = false;
    ignne_.set(ignne);
    set_latch(latched);
  }
}

}  // namespace vx86
