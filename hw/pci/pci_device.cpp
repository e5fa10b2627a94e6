#include "hw/pci/pci_device.h"

#include <stdexcept>

#include "core/log.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {

using namespace pci;

PciDevice::PciDevice(std::string type_name, const PciIds& ids) : Device(std::move(type_name)) {
  set_config16(kVendorId, ids.vendor);
  set_config16(kDeviceId, ids.device);
  config_[kRevisionId] = ids.revision;
  config_[kClassProg] = static_cast<uint8_t>(ids.class_code);
  config_[kClassProg + 1] = static_cast<uint8_t>(ids.class_code >> 8);
  config_[kClassProg + 2] = static_cast<uint8_t>(ids.class_code >> 16);
  config_[kHeaderType] = ids.multi_function ? kHeaderMultiFunction : 0;
  set_config16(kSubsystemVendorId, ids.subsystem_vendor);
  set_config16(kSubsystemId, ids.subsystem);
  config_[kInterruptPin] = ids.interrupt_pin;

  // Command: I/O, memory, bus master, SERR, INTx disable.
  wmask_[kCommand] = kCommandIo | kCommandMemory | kCommandMaster;
  wmask_[kCommand + 1] = (kCommandSerr | kCommandIntxDisable) >> 8;
  w1cmask_[kStatus + 1] = kStatusErrorBits >> 8;
  wmask_[kCacheLineSize] = 0xff;
  wmask_[kLatencyTimer] = 0xff;
  wmask_[kInterruptLine] = 0xff;
}

PciDevice::~PciDevice() = default;

void PciDevice::init_msix(unsigned vectors, int bar) {
  constexpr uint64_t kRegionSize = 0x1000, kPbaOffset = 0x800;
  msix_ = std::make_unique<PciMsix>(*this, vectors, bar, kRegionSize, kPbaOffset);
  register_bar(bar, PciBarType::kMem32, msix_->region());
}

bool PciDevice::msix_enabled() const {
  return msix_ && msix_->enabled();
}

void PciDevice::init_msi(uint8_t offset) {
  msi_ = std::make_unique<PciMsi>(*this, offset);
}

bool PciDevice::msi_enabled() const {
  return msi_ && msi_->enabled();
}

void PciDevice::msi_notify() {
  if (msi_) msi_->notify();
}

void PciDevice::send_msi(uint64_t address, uint32_t data) {
  if (!(command() & kCommandMaster) || !bus_) {
    VX86_LOG(kLogGuestErrors, "%s: MSI with bus mastering disabled\n", type_name().c_str());
    return;
  }
  bus_->dma().write(address, data, 4);
}

void PciDevice::attach(PciBus* bus, uint8_t devfn) {
  bus_ = bus;
  devfn_ = devfn;
}

void PciDevice::detach() {
  if (!bus_) return;
  for (Bar& bar : bars_) {
    if (!bar.region) continue;
    place(bar, bar.type == PciBarType::kIo ? bus_->io_window() : bus_->memory_window(), kUnmapped,
          "BAR");
  }
  if (rom_.region) place(rom_, bus_->memory_window(), kUnmapped, "expansion ROM");
  if (asserted_) {
    asserted_ = false;
    bus_->intx_changed(*this, false);
  }
  bus_ = nullptr;
}

void PciDevice::set_config16(unsigned addr, uint16_t v) {
  config_[addr] = static_cast<uint8_t>(v);
  config_[addr + 1] = static_cast<uint8_t>(v >> 8);
}

void PciDevice::set_config32(unsigned addr, uint32_t v) {
  for (unsigned i = 0; i < 4; ++i) config_[addr + i] = static_cast<uint8_t>(v >> (8 * i));
}

uint16_t PciDevice::config16(unsigned addr) const {
  return static_cast<uint16_t>(config_[addr] | config_[addr + 1] << 8);
}

uint32_t PciDevice::config32(unsigned addr) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < 4; ++i) v |= static_cast<uint32_t>(config_[addr + i]) << (8 * i);
  return v;
}

uint16_t PciDevice::command() const {
  return config16(kCommand);
}

void PciDevice::register_bar(int index, PciBarType type, MemoryRegion* region) {
  uint64_t size = region->size();
  bool is64 = type == PciBarType::kMem64 || type == PciBarType::kMem64Prefetch;
  if (index < 0 || index >= kBarCount || (is64 && index == kBarCount - 1) ||
      (size & (size - 1)) != 0 || size < (type == PciBarType::kIo ? 4u : 16u) ||
      (type == PciBarType::kIo && size > 256) || (!is64 && size > (1ull << 31))) {
    throw std::logic_error(type_name() + ": bad BAR " + std::to_string(index));
  }
  bars_[index] = {region, type, kUnmapped};
  unsigned reg = kBar0 + 4 * static_cast<unsigned>(index);
  uint32_t low_bits = type == PciBarType::kIo      ? kBarIo
                      : type == PciBarType::kMem32 ? 0
                      : type == PciBarType::kMem64 ? kBarMem64
                                                   : kBarMem64 | kBarPrefetch;
  set_config32(reg, low_bits);
  uint64_t mask = ~(size - 1);
  uint32_t low_mask = static_cast<uint32_t>(mask) & (type == PciBarType::kIo ? ~3u : ~15u);
  for (unsigned i = 0; i < 4; ++i) wmask_[reg + i] = static_cast<uint8_t>(low_mask >> (8 * i));
  if (is64) {
    set_config32(reg + 4, 0);
    for (unsigned i = 0; i < 4; ++i)
      wmask_[reg + 4 + i] = static_cast<uint8_t>(mask >> (32 + 8 * i));
  }
}

void PciDevice::register_expansion_rom(MemoryRegion* region) {
  const uint64_t size = region->size();
  if ((size & (size - 1)) != 0 || size < 2048 || size > (1u << 24)) {
    throw std::logic_error(type_name() + ": bad expansion ROM size");
  }
  rom_ = {region, PciBarType::kMem32, kUnmapped};
  // Address bits 31:11 above the size, and the enable bit.
  const uint32_t mask = (static_cast<uint32_t>(~(size - 1)) & 0xFFFFF800u) | kRomEnable;
  set_config32(kRomAddress, 0);
  for (unsigned i = 0; i < 4; ++i) wmask_[kRomAddress + i] = static_cast<uint8_t>(mask >> (8 * i));
}

uint8_t PciDevice::add_capability(uint8_t id, uint8_t length, uint8_t at) {
  unsigned offset = at ? at : next_capability_;
  if (offset < kFirstCapability || offset + length > kConfigSize)
    throw std::logic_error(type_name() + ": capabilities overflow");
  config_[offset] = id;
  // The new capability heads the list, pointing at the old head.
  const bool first = !(config16(kStatus) & kStatusCapList);
  config_[offset + 1] = first ? 0 : config_[kCapabilityList];
  set_config16(kStatus, config16(kStatus) | kStatusCapList);
  config_[kCapabilityList] = static_cast<uint8_t>(offset);
  const unsigned next = (offset + length + 3) & ~3u;
  if (next > next_capability_) {
    next_capability_ = next >= kConfigSize ? 0xff : static_cast<uint8_t>(next);
  }
  return static_cast<uint8_t>(offset);
}

unsigned PciDevice::add_extended_capability(uint16_t id, uint8_t version, unsigned length) {
  const unsigned offset = next_extended_capability_;
  if (config_size_ != kExpressConfigSize || offset + length > kExpressConfigSize) {
    throw std::logic_error(type_name() + ": extended capabilities overflow");
  }
  // Header: ID, version, next (0 ends the list).
  set_config32(offset, id | static_cast<uint32_t>(version) << 16);
  if (last_extended_capability_) {
    set_config32(last_extended_capability_,
                 config32(last_extended_capability_) | static_cast<uint32_t>(offset) << 20);
  }
  last_extended_capability_ = offset;
  next_extended_capability_ = (offset + length + 3) & ~3u;
  return offset;
}

uint8_t PciDevice::add_power_management_capability() {
  constexpr uint16_t kVersion3 = 3;
  const uint8_t cap = add_capability(kCapPowerManagement, 8);
  set_config16(cap + 2, kVersion3);
  // PMCSR: the power state (D0 or D3hot; vx86's functions keep working
  // either way, as QEMU's) and PME status.
  wmask_[cap + 4] = 0x03;
  return cap;
}

uint8_t PciDevice::add_express_capability(uint8_t port_type, uint32_t dev_cap, uint32_t link_cap,
                                          uint16_t link_status) {
  make_express();
  const uint8_t cap = add_capability(kCapExpress, kExpCapSizeV2);
  express_cap_ = cap;
  set_config16(cap + kExpFlags, static_cast<uint16_t>(kExpFlagsVersion2 | port_type << 4));
  set_config32(cap + kExpDevCap, dev_cap);
  set_config32(cap + kExpLinkCap, link_cap);
  set_config16(cap + kExpLinkSta, link_status);
  // Device control (error reporting, payload and request sizes...), its
  // status bits (write 1 to clear), link control, device control 2 (ARI
  // forwarding, completion timeouts) and link control 2.
  set_write_mask(cap + kExpDevCtl, 0xff);
  set_write_mask(cap + kExpDevCtl + 1, 0x7f);
  set_write_clear_mask(cap + kExpDevSta, 0x0f);
  set_write_mask(cap + kExpLinkCtl, 0xdb);  // not Retrain Link: it reads 0
  set_write_mask(cap + kExpLinkCtl + 1, 0x0f);
  set_write_mask(cap + kExpDevCtl2, 0x3f);
  set_write_mask(cap + kExpLinkCtl2, 0x7f);
  return cap;
}

unsigned PciDevice::add_aer_capability(uint32_t capabilities, bool root_port) {
  constexpr unsigned kAerSize = 0x48;
  constexpr uint32_t kUncorrectableSeverity = 0x00462030, kCorrectableMask = 0x0000e000;
  const unsigned aer = add_extended_capability(kExtCapAer, 2, kAerSize);
  set_config32(aer + 0x0c, kUncorrectableSeverity);
  set_config32(aer + 0x14, kCorrectableMask);
  set_config32(aer + 0x18, capabilities);
  for (unsigned i = 0; i < 4; ++i) {
    w1cmask_[aer + 0x04 + i] = 0xff;                 // uncorrectable status
    wmask_[aer + 0x08 + i] = 0xff;                   // uncorrectable mask
    wmask_[aer + 0x0c + i] = 0xff;                   // uncorrectable severity
    w1cmask_[aer + 0x10 + i] = 0xff;                 // correctable status
    wmask_[aer + 0x14 + i] = 0xff;                   // correctable mask
    if (root_port) w1cmask_[aer + 0x30 + i] = 0xff;  // root error status
  }
  if (root_port) {
    wmask_[aer + 0x18] = 0x40;  // ECRC generation enable
    wmask_[aer + 0x19] = 0x01;  // ECRC check enable
    wmask_[aer + 0x2c] = 0x07;  // root error command
  }
  return aer;
}

void PciDevice::set_multi_function(bool on) {
  config_[kHeaderType] = static_cast<uint8_t>((config_[kHeaderType] & ~kHeaderMultiFunction) |
                                              (on ? kHeaderMultiFunction : 0));
}

uint32_t PciDevice::config_read(unsigned addr, unsigned size) {
  uint32_t v = 0;
  for (unsigned i = 0; i < size && addr + i < config_size_; ++i) {
    v |= static_cast<uint32_t>(config_[addr + i]) << (8 * i);
  }
  return v;
}

void PciDevice::config_write(unsigned addr, uint32_t value, unsigned size) {
  for (unsigned i = 0; i < size && addr + i < config_size_; ++i) {
    unsigned a = addr + i;
    uint8_t b = static_cast<uint8_t>(value >> (8 * i));
    config_[a] = static_cast<uint8_t>((config_[a] & ~wmask_[a]) | (b & wmask_[a]));
    config_[a] &= static_cast<uint8_t>(~(b & w1cmask_[a]));
  }
  auto touches = [&](unsigned start, unsigned len) {
    return addr < start + len && start < addr + size;
  };
  if (touches(kCommand, 2) || touches(kBar0, 4 * kBarCount) || touches(kRomAddress, 4)) {
    update_mappings();
  }
  if (msix_ && touches(msix_->capability(), 4)) {
    msix_->config_written(addr, size);
    update_irq();
  }
  if (msi_ && touches(msi_->capability(), 4)) update_irq();
  if (touches(kCommand + 1, 1)) update_irq();
  if (express_cap_ && (config32(express_cap_ + kExpDevCap) & kDevCapFlr) &&
      touches(express_cap_ + kExpDevCtl + 1, 1) &&
      (value >> (8 * (express_cap_ + kExpDevCtl + 1 - addr))) & (kDevCtlInitiateFlr >> 8)) {
    // A function level reset: the function starts over (the bit reads 0).
    reset();
  }
}

uint64_t PciDevice::decoded_bar_address(int index) const {
  const Bar& bar = bars_[index];
  unsigned reg = kBar0 + 4 * static_cast<unsigned>(index);
  uint64_t size = bar.region->size();
  uint16_t cmd = command();
  if (bar.type == PciBarType::kIo) {
    if (!(cmd & kCommandIo)) return kUnmapped;
    uint64_t addr = config32(reg) & ~3u;
    if (addr == 0 || addr + size > 0x10000) return kUnmapped;
    return addr;
  }
  if (!(cmd & kCommandMemory)) return kUnmapped;
  uint64_t addr = config32(reg) & ~15u;
  if (bar.type != PciBarType::kMem32) addr |= static_cast<uint64_t>(config32(reg + 4)) << 32;
  // 0 and the all-ones sizing pattern are not placements; nor is a BAR that
  // would wrap or leave the window.
  if (addr == 0 || addr + size < addr || addr + size > bus_->memory_window().size()) {
    return kUnmapped;
  }
  if (addr == (~(size - 1) & (bar.type == PciBarType::kMem32 ? 0xffffffffull : ~0ull))) {
    return kUnmapped;
  }
  return addr;
}

uint64_t PciDevice::decoded_rom_address() const {
  const uint32_t reg = config32(kRomAddress);
  if (!(command() & kCommandMemory) || !(reg & kRomEnable)) return kUnmapped;
  const uint64_t addr = reg & 0xFFFFF800u;
  if (addr == 0 || addr + rom_.region->size() > bus_->memory_window().size()) return kUnmapped;
  return addr;
}

void PciDevice::place(Bar& bar, MemoryRegion& window, uint64_t want, const char* what) {
  if (want == bar.mapped_at) return;
  if (bar.mapped_at != kUnmapped) {
    window.remove_subregion(bar.region);
    bar.mapped_at = kUnmapped;
  }
  if (want == kUnmapped) return;
  if (window.try_add_subregion(want, bar.region)) {
    bar.mapped_at = want;
  } else {
    // Two BARs placed over each other: the later one stays unmapped.
    VX86_LOG(kLogGuestErrors, "%s: %s at 0x%llx overlaps another BAR, not mapped\n",
             type_name().c_str(), what, static_cast<unsigned long long>(want));
  }
}

void PciDevice::update_mappings() {
  if (!bus_) return;
  for (int i = 0; i < kBarCount; ++i) {
    Bar& bar = bars_[i];
    if (!bar.region) continue;
    const std::string what = "BAR " + std::to_string(i);
    place(bar, bar.type == PciBarType::kIo ? bus_->io_window() : bus_->memory_window(),
          decoded_bar_address(i), what.c_str());
  }
  if (rom_.region) place(rom_, bus_->memory_window(), decoded_rom_address(), "expansion ROM");
}

void PciDevice::set_irq(bool level) {
  irq_level_ = level;
  update_irq();
}

void PciDevice::update_irq() {
  uint16_t status = config16(kStatus);
  status = irq_level_ ? status | kStatusInterrupt : status & ~kStatusInterrupt;
  set_config16(kStatus, status);
  bool asserted =
      irq_level_ && !(command() & kCommandIntxDisable) && !msix_enabled() && !msi_enabled();
  if (asserted == asserted_ || !bus_) return;
  asserted_ = asserted;
  bus_->intx_changed(*this, asserted);
}

bool PciDevice::dma_read(uint64_t addr, void* buf, std::size_t len) {
  if (!(command() & kCommandMaster) || !bus_) {
    VX86_LOG(kLogGuestErrors, "%s: DMA read with bus mastering disabled\n", type_name().c_str());
    return false;
  }
  return bus_->dma().read_buffer(addr, buf, len) == MemTxResult::kOk;
}

bool PciDevice::dma_write(uint64_t addr, const void* buf, std::size_t len) {
  if (!(command() & kCommandMaster) || !bus_) {
    VX86_LOG(kLogGuestErrors, "%s: DMA write with bus mastering disabled\n", type_name().c_str());
    return false;
  }
  return bus_->dma().write_buffer(addr, buf, len) == MemTxResult::kOk;
}

void PciDevice::reset_config() {
  set_config16(kCommand, 0);
  set_config16(kStatus, config16(kStatus) & kStatusCapList);
  config_[kCacheLineSize] = 0;
  config_[kLatencyTimer] = 0;
  config_[kInterruptLine] = 0;
  for (unsigned b = 0; b < 4; ++b) {
    config_[kRomAddress + b] &= static_cast<uint8_t>(~wmask_[kRomAddress + b]);
  }
  for (int i = 0; i < kBarCount; ++i) {
    if (!bars_[i].region) continue;
    unsigned reg = kBar0 + 4 * static_cast<unsigned>(i);
    for (unsigned b = 0; b < 4; ++b) config_[reg + b] &= static_cast<uint8_t>(~wmask_[reg + b]);
    if (bars_[i].type == PciBarType::kMem64 || bars_[i].type == PciBarType::kMem64Prefetch) {
      set_config32(reg + 4, 0);
    }
  }
}

PciDevice::BarInfo PciDevice::bar_info(int index) const {
  const Bar& bar = bars_[index];
  if (!bar.region) return {};
  return {bar.type, bar.region->size(), bar.mapped_at};
}

void PciDevice::reset() {
  reset_config();
  if (msix_) msix_->reset();
  if (msi_) msi_->reset();
  irq_level_ = false;
  update_irq();
  update_mappings();
}

void PciDevice::visit_state(StateVisitor& v) {
  v.begin("pci");
  v.bytes("config", config_.data(), config_size_);
  v.field("irq_level", irq_level_);
  if (msix_) msix_->visit_state(v);
  v.end();
  if (v.loading()) {
    update_mappings();
    update_irq();
  }
}

}  // namespace vx86
