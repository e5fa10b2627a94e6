#include "hw/pci/pci_bridge.h"

#include <cstdint>

#include "core/log.h"

namespace vx86 {

using namespace pci;

PciBridge::PciBridge(std::string type_name, const PciIds& ids, AddressSpace& dma, bool express)
    : PciDevice(std::move(type_name), ids) {
  set_config8(kHeaderType, static_cast<uint8_t>(config_byte(kHeaderType) | kHeaderTypeBridge));
  secondary_memory_ = MemoryRegion::container(this->type_name() + "-memory", UINT64_MAX);
  secondary_io_ = MemoryRegion::container(this->type_name() + "-io", 0x10000);
  secondary_ = std::make_unique<PciBus>(*secondary_memory_, *secondary_io_, dma, *this, express);
  for (unsigned reg : {kPrimaryBus, kSecondaryBus, kSubordinateBus, kSecondaryLatency}) {
    set_write_mask(reg, 0xff);
  }
  // I/O base and limit: address bits 15:12 (16-bit decoding, as QEMU's).
  set_write_mask(kIoBase, 0xf0);
  set_write_mask(kIoLimit, 0xf0);
  // Memory and prefetchable base and limit: address bits 31:20 (and 63:32).
  for (unsigned reg : {kMemoryBase, kMemoryLimit, kPrefetchBase, kPrefetchLimit}) {
    set_write_mask(reg, 0xf0);
    set_write_mask(reg + 1, 0xff);
  }
  set_config16(kPrefetchBase, kPrefetch64);
  set_config16(kPrefetchLimit, kPrefetch64);
  for (unsigned i = 0; i < 8; ++i) set_write_mask(kPrefetchBaseUpper + i, 0xff);
  // Secondary status: the error bits clear when written with 1.
  set_write_clear_mask(kSecondaryStatus + 1, kStatusErrorBits >> 8);
  // Bridge control: parity and SERR response, ISA and VGA enables, master
  // abort mode, secondary bus reset, discard timers.
  set_write_mask(kBridgeControl, 0xff);
  set_write_mask(kBridgeControl + 1, 0x0b);
}

PciBridge::~PciBridge() {
  // The functions behind it may outlive it (the machine owns them): they
  // leave the secondary bus, and its windows, first.
  while (!secondary_->devices().empty()) secondary_->unplug(*secondary_->devices().back());
  for (auto* alias : {&io_alias_, &memory_alias_, &prefetch_alias_}) {
    if (*alias && (*alias)->parent()) (*alias)->parent()->remove_subregion(alias->get());
  }
}

PciBridge::Window PciBridge::io_window() const {
  const uint64_t base = static_cast<uint64_t>(config_byte(kIoBase) & 0xf0) << 8;
  const uint64_t limit = (static_cast<uint64_t>(config_byte(kIoLimit) & 0xf0) << 8) | 0xfff;
  return {base, limit};
}

PciBridge::Window PciBridge::memory_window() const {
  const uint64_t base = static_cast<uint64_t>(config16(kMemoryBase) & 0xfff0) << 16;
  const uint64_t limit = (static_cast<uint64_t>(config16(kMemoryLimit) & 0xfff0) << 16) | 0xfffff;
  return {base, limit};
}

PciBridge::Window PciBridge::prefetch_window() const {
  const uint64_t base = (static_cast<uint64_t>(config16(kPrefetchBase) & 0xfff0) << 16) |
                        static_cast<uint64_t>(config32(kPrefetchBaseUpper)) << 32;
  const uint64_t limit = (static_cast<uint64_t>(config16(kPrefetchLimit) & 0xfff0) << 16) |
                         0xfffff | static_cast<uint64_t>(config32(kPrefetchLimitUpper)) << 32;
  return {base, limit};
}

void PciBridge::config_write(unsigned addr, uint32_t value, unsigned size) {
  const bool was_resetting = config16(kBridgeControl) & kBridgeControlSecondaryReset;
  PciDevice::config_write(addr, value, size);
  auto touches = [&](unsigned start, unsigned len) {
    return addr < start + len && start < addr + size;
  };
  if (touches(kCommand, 2) || touches(kIoBase, 2) || touches(kMemoryBase, 0x10) ||
      touches(kIoBaseUpper, 4)) {
    update_windows();
  }
  const bool resetting = config16(kBridgeControl) & kBridgeControlSecondaryReset;
  if (resetting && !was_resetting) {
    // Secondary bus reset: every function behind the bridge starts over.
    for (PciDevice* dev : secondary_->devices()) dev->reset();
  }
}

void PciBridge::place_window(std::unique_ptr<MemoryRegion>& alias, MemoryRegion& target,
                             MemoryRegion& parent, Window window, const char* what) {
  if (alias) {
    if (alias->parent()) alias->parent()->remove_subregion(alias.get());
    alias.reset();
  }
  if (window.first > window.last || window.last >= parent.size()) return;
  alias = MemoryRegion::alias(type_name() + "-" + what, &target, window.first,
                              window.last - window.first + 1);
  if (!parent.try_add_subregion(window.first, alias.get())) {
    VX86_LOG(kLogGuestErrors, "%s: %s window at 0x%llx overlaps a BAR, not forwarded\n",
             type_name().c_str(), what, static_cast<unsigned long long>(window.first));
    alias.reset();
  }
}

void PciBridge::update_windows() {
  PciBus* parent = bus();
  if (!parent) return;
  const uint16_t cmd = command();
  const Window closed;
  place_window(io_alias_, *secondary_io_, parent->io_window(),
               (cmd & kCommandIo) ? io_window() : closed, "io");
  place_window(memory_alias_, *secondary_memory_, parent->memory_window(),
               (cmd & kCommandMemory) ? memory_window() : closed, "memory");
  place_window(prefetch_alias_, *secondary_memory_, parent->memory_window(),
               (cmd & kCommandMemory) ? prefetch_window() : closed, "prefetch");
}

void PciBridge::reset_config() {
  PciDevice::reset_config();
  for (unsigned reg = kPrimaryBus; reg <= kSecondaryLatency; ++reg) set_config8(reg, 0);
  set_config16(kIoBase, 0);
  set_config16(kMemoryBase, 0);
  set_config16(kMemoryLimit, 0);
  set_config16(kPrefetchBase, kPrefetch64);
  set_config16(kPrefetchLimit, kPrefetch64);
  set_config32(kPrefetchBaseUpper, 0);
  set_config32(kPrefetchLimitUpper, 0);
  set_config16(kBridgeControl, 0);
}

void PciBridge::reset() {
  PciDevice::reset();
  update_windows();
}

void PciBridge::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  if (v.loading()) update_windows();
}

}  // namespace vx86
