#include "hw/virtio/virtio_pci.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "core/log.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_bus.h"

namespace vx86 {

using namespace virtio;

namespace {

// VIRTIO_PCI_CAP_* configuration types (4.1.4).
constexpr uint8_t kCapCommon = 1;
constexpr uint8_t kCapNotify = 2;
constexpr uint8_t kCapIsr = 3;
constexpr uint8_t kCapDevice = 4;
constexpr uint8_t kCapPciCfg = 5;
constexpr unsigned kCommonCfgSize = 0x38;

// Legacy I/O BAR registers (4.1.4.8).
constexpr uint64_t kLegacyHostFeatures = 0x00;
constexpr uint64_t kLegacyGuestFeatures = 0x04;
constexpr uint64_t kLegacyQueuePfn = 0x08;
constexpr uint64_t kLegacyQueueSize = 0x0c;
constexpr uint64_t kLegacyQueueSelect = 0x0e;
constexpr uint64_t kLegacyQueueNotify = 0x10;
constexpr uint64_t kLegacyStatus = 0x12;
constexpr uint64_t kLegacyIsr = 0x13;
constexpr uint64_t kLegacyConfigVector = 0x14;  // while MSI-X is enabled
constexpr uint64_t kLegacyQueueVector = 0x16;

uint64_t pow2_at_least(uint64_t n) {
  uint64_t p = 4;
  while (p < n) p <<= 1;
  return p;
}

uint64_t extract(const uint8_t* bytes, unsigned total, uint64_t offset, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    uint64_t b = offset + i < total ? bytes[offset + i] : 0;
    v |= b << (8 * i);
  }
  return v;
}

uint16_t transitional_device_id(uint16_t virtio_id) {
  // 4.1.2.3: transitional IDs 0x1000-0x103f; block is 0x1001, network 0x1000.
  switch (virtio_id) {
    case 1:
      return 0x1000;
    case 2:
      return 0x1001;
    case 3:
      return 0x1003;
    case 4:
      return 0x1005;
    default:
      return static_cast<uint16_t>(0x1040 + virtio_id);
  }
}

PciIds virtio_pci_ids(uint16_t virtio_id, uint32_t class_code, bool modern_only) {
  // A transitional device has the legacy IDs, the modern-only one 0x1040 +
  // its type (and QEMU's default subsystem IDs).
  return PciIds{.vendor = VirtioPci::kVendor,
                .device = modern_only ? static_cast<uint16_t>(0x1040 + virtio_id)
                                      : transitional_device_id(virtio_id),
                .class_code = class_code,
                .revision = static_cast<uint8_t>(modern_only ? 1 : 0),
                .subsystem_vendor = VirtioPci::kVendor,
                .subsystem = modern_only ? pci::kQemuSubsystem : virtio_id,
                .interrupt_pin = 1};
}

// PCI Express endpoint capabilities as QEMU gives a virtio function: role-
// based error reporting and function level reset; a 2.5 GT/s x1 link with
// L0s, trained; extended TLP fields.
constexpr uint32_t kEndpointDevCap = pci::kDevCapRoleBasedErrors | pci::kDevCapFlr;
constexpr uint32_t kEndpointLinkCap = 0x00000411;
constexpr uint16_t kEndpointLinkStatus = 0x0011;
constexpr uint32_t kEndpointDevCap2 = 0x00300000;

}  // namespace

VirtioPci::VirtioPci(std::string type_name, std::unique_ptr<VirtioDevice> device,
                     uint32_t class_code, unsigned msix_vectors, bool express)
    : PciDevice(std::move(type_name), virtio_pci_ids(device->device_id(), class_code, express)),
      device_(std::move(device)),
      queue_vectors_(device_->num_queues(), kNoVector) {
  modern_region_ =
      MemoryRegion::io(this->type_name() + "-modern", kModernBarSize, &modern_ops_, {1, 4, false});
  if (express) {
    const uint8_t cap = add_express_capability(pci::kExpressEndpoint, kEndpointDevCap,
                                               kEndpointLinkCap, kEndpointLinkStatus);
    set_config32(cap + pci::kExpDevCap2, kEndpointDevCap2);
    add_power_management_capability();
  } else {
    legacy_region_ =
        MemoryRegion::io(this->type_name() + "-legacy",
                         pow2_at_least(kLegacyConfigOffsetMsix + device_->config_size()),
                         &legacy_ops_, {1, 4, false});
    register_bar(kLegacyBar, PciBarType::kIo, legacy_region_.get());
  }
  register_bar(kModernBar, PciBarType::kMem64Prefetch, modern_region_.get());
  add_virtio_cap(kCapCommon, kCommonOffset, kCommonCfgSize);
  add_virtio_cap(kCapIsr, kIsrOffset, 1);
  add_virtio_cap(kCapDevice, kDeviceOffset, std::max(1u, device_->config_size()));
  add_virtio_cap(kCapNotify, kNotifyOffset, kNotifyMultiplier * device_->num_queues(), 4);
  pci_cfg_cap_ = add_capability(pci::kCapVendor, 20);
  set_config8(pci_cfg_cap_ + 2, 20);
  set_config8(pci_cfg_cap_ + 3, kCapPciCfg);
  set_write_mask(pci_cfg_cap_ + 4, 0xff);                                    // bar
  for (unsigned i = 8; i < 20; ++i) set_write_mask(pci_cfg_cap_ + i, 0xff);  // offset, length, data
  if (msix_vectors > 0) init_msix(msix_vectors, kMsixBar);
  device_->bind(this, [this](int source) { interrupt(source); });
}

VirtioPci::~VirtioPci() {
  // BARs may still sit in the bus windows; take them out before the regions go.
  for (MemoryRegion* r : {legacy_region_.get(), modern_region_.get()}) {
    if (r && r->parent()) r->parent()->remove_subregion(r);
  }
}

void VirtioPci::add_virtio_cap(uint8_t type, uint64_t offset, uint32_t length, uint8_t extra) {
  uint8_t len = static_cast<uint8_t>(16 + extra);
  uint8_t cap = add_capability(pci::kCapVendor, len);
  set_config8(cap + 2, len);
  set_config8(cap + 3, type);
  set_config8(cap + 4, kModernBar);
  set_config32(cap + 8, static_cast<uint32_t>(offset));
  set_config32(cap + 12, length);
  if (type == kCapNotify) set_config32(cap + 16, kNotifyMultiplier);
}

bool VirtioPci::dma_read(uint64_t addr, void* buf, std::size_t len) {
  return PciDevice::dma_read(addr, buf, len);
}

bool VirtioPci::discard_page(uint64_t addr) {
  constexpr uint64_t kPage = 4096;
  if (!bus() || !(command() & pci::kCommandMaster) || (addr & (kPage - 1))) return false;
  uint8_t* host = bus()->dma().host_ptr(addr, true);
  // The whole page must be the same RAM, at a host page boundary.
  if (!host || bus()->dma().host_ptr(addr + kPage - 1, true) != host + kPage - 1 ||
      (reinterpret_cast<uintptr_t>(host) & (kPage - 1))) {
    return false;
  }
  return madvise(host, kPage, MADV_DONTNEED) == 0;
}

bool VirtioPci::dma_write(uint64_t addr, const void* buf, std::size_t len) {
  return PciDevice::dma_write(addr, buf, len);
}

void VirtioPci::update_irq() {
  set_irq(device_->isr() != 0);
}

void VirtioPci::interrupt(int source) {
  if (!msix_enabled()) {
    update_irq();
    return;
  }
  if (source == VirtioDevice::kIsrCleared) return;
  const uint16_t vector = source == VirtioDevice::kConfigInterrupt
                              ? config_vector_
                              : queue_vectors_[static_cast<size_t>(source)];
  if (vector != kNoVector) msix()->notify(vector);
}

uint16_t VirtioPci::checked_vector(uint64_t value) const {
  // A vector the table does not have reads back as NO_VECTOR (4.1.5.1.2).
  return msix() && value < msix()->vectors() ? static_cast<uint16_t>(value) : kNoVector;
}

uint64_t VirtioPci::legacy_config_offset() const {
  return msix_enabled() ? kLegacyConfigOffsetMsix : kLegacyConfigOffset;
}

void VirtioPci::reset_vectors() {
  config_vector_ = kNoVector;
  std::fill(queue_vectors_.begin(), queue_vectors_.end(), kNoVector);
}

// --- The PCI configuration access capability: a window onto BAR 4.

uint32_t VirtioPci::config_read(unsigned addr, unsigned size) {
  unsigned data = pci_cfg_cap_ + 16u;
  if (addr < data + 4 && data < addr + size) {
    uint32_t offset = config32(pci_cfg_cap_ + 8u);
    uint32_t length = config32(pci_cfg_cap_ + 12u);
    if (config_byte(pci_cfg_cap_ + 4u) == kModernBar &&
        (length == 1 || length == 2 || length == 4) && offset % length == 0 &&
        offset + length <= kModernBarSize) {
      set_config32(data, static_cast<uint32_t>(modern_read(offset, length)));
    }
  }
  return PciDevice::config_read(addr, size);
}

void VirtioPci::config_write(unsigned addr, uint32_t value, unsigned size) {
  PciDevice::config_write(addr, value, size);
  unsigned data = pci_cfg_cap_ + 16u;
  if (addr < data + 4 && data < addr + size) {
    uint32_t offset = config32(pci_cfg_cap_ + 8u);
    uint32_t length = config32(pci_cfg_cap_ + 12u);
    if (config_byte(pci_cfg_cap_ + 4u) == kModernBar &&
        (length == 1 || length == 2 || length == 4) && offset % length == 0 &&
        offset + length <= kModernBarSize) {
      modern_write(offset, config32(data) & (length == 4 ? ~0u : (1u << (8 * length)) - 1), length);
    }
  }
}

// --- Modern interface (BAR 4).

uint64_t VirtioPci::modern_read(uint64_t offset, unsigned size) {
  if (offset < kIsrOffset) return common_read(offset, size);
  if (offset < kDeviceOffset) return offset == kIsrOffset ? device_->read_and_clear_isr() : 0;
  if (offset < kNotifyOffset) return device_config_read(offset - kDeviceOffset, size);
  return 0;
}

void VirtioPci::modern_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset < kIsrOffset) return common_write(offset, value, size);
  if (offset < kDeviceOffset) return;  // ISR is read-only
  if (offset < kNotifyOffset) return device_config_write(offset - kDeviceOffset, value, size);
  uint64_t index = (offset - kNotifyOffset) / kNotifyMultiplier;
  if (index < device_->num_queues()) device_->notify(static_cast<unsigned>(index));
}

uint64_t VirtioPci::common_read(uint64_t offset, unsigned size) {
  VirtioDevice& d = *device_;
  uint8_t cfg[kCommonCfgSize] = {};
  auto put = [&](unsigned at, uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i) cfg[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put(0x00, device_feature_select_, 4);
  put(0x04, device_feature_select_ < 2 ? d.offered_features() >> (32 * device_feature_select_) : 0,
      4);
  put(0x08, driver_feature_select_, 4);
  put(0x0c,
      driver_feature_select_ < 2 ? driver_features_shadow_ >> (32 * driver_feature_select_) : 0, 4);
  put(0x10, config_vector_, 2);
  put(0x12, d.num_queues(), 2);
  put(0x14, d.status(), 1);
  put(0x15, d.config_generation(), 1);
  put(0x16, queue_select_, 2);
  if (queue_select_ < d.num_queues()) {
    Virtqueue& q = d.queue(queue_select_);
    put(0x18, q.size(), 2);
    put(0x1a, queue_vectors_[queue_select_], 2);
    put(0x1c, q.ready(), 2);
    put(0x1e, queue_select_, 2);
    put(0x20, q.desc_addr(), 8);
    put(0x28, q.avail_addr(), 8);
    put(0x30, q.used_addr(), 8);
  }
  return extract(cfg, kCommonCfgSize, offset, size);
}

void VirtioPci::common_write(uint64_t offset, uint64_t value, unsigned size) {
  VirtioDevice& d = *device_;
  Virtqueue* q = queue_select_ < d.num_queues() ? &d.queue(queue_select_) : nullptr;
  auto set_half = [&](uint64_t old, uint64_t field_offset) -> uint64_t {
    bool high = offset - field_offset == 4;
    if (size == 8) return value;
    uint64_t mask = 0xffffffffull << (high ? 32 : 0);
    return (old & ~mask) | ((value & 0xffffffffull) << (high ? 32 : 0));
  };
  switch (offset) {
    case 0x00:
      device_feature_select_ = static_cast<uint32_t>(value);
      return;
    case 0x08:
      driver_feature_select_ = static_cast<uint32_t>(value);
      return;
    case 0x0c:
      if (driver_feature_select_ < 2 && !(d.status() & kStatusFeaturesOk)) {
        unsigned shift = 32 * driver_feature_select_;
        driver_features_shadow_ = (driver_features_shadow_ & ~(0xffffffffull << shift)) |
                                  ((value & 0xffffffffull) << shift);
        d.set_driver_features(driver_features_shadow_);
      }
      return;
    case 0x10:
      config_vector_ = checked_vector(value);
      return;
    case 0x1a:
      if (q) queue_vectors_[queue_select_] = checked_vector(value);
      return;
    case 0x14:
      d.set_status(static_cast<uint8_t>(value));
      if (value == 0) {
        driver_features_shadow_ = 0;
        reset_vectors();
      }
      update_irq();
      return;
    case 0x16:
      queue_select_ = static_cast<uint16_t>(value);
      return;
    case 0x18:
      if (q && !q->ready() && value != 0 && value <= q->max_size() && (value & (value - 1)) == 0) {
        q->set_size(static_cast<uint16_t>(value));
      }
      return;
    case 0x1c:
      if (q && value == 1) q->set_ready(true);
      return;
    case 0x20:
    case 0x24:
      if (q && !q->ready())
        q->set_addresses(set_half(q->desc_addr(), 0x20), q->avail_addr(), q->used_addr());
      return;
    case 0x28:
    case 0x2c:
      if (q && !q->ready())
        q->set_addresses(q->desc_addr(), set_half(q->avail_addr(), 0x28), q->used_addr());
      return;
    case 0x30:
    case 0x34:
      if (q && !q->ready())
        q->set_addresses(q->desc_addr(), q->avail_addr(), set_half(q->used_addr(), 0x30));
      return;
    default:
      VX86_LOG(kLogGuestErrors, "%s: write of %u bytes to common config offset 0x%llx ignored\n",
               type_name().c_str(), size, static_cast<unsigned long long>(offset));
  }
}

uint64_t VirtioPci::device_config_read(uint64_t offset, unsigned size) {
  std::vector<uint8_t> cfg(device_->config_size());
  device_->read_config(cfg.data());
  return extract(cfg.data(), static_cast<unsigned>(cfg.size()), offset, size);
}

void VirtioPci::device_config_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset + size > device_->config_size()) return;
  uint8_t bytes[8];
  for (unsigned i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  device_->write_config(static_cast<unsigned>(offset), bytes, size);
}

// --- Legacy interface (I/O BAR 0).

uint64_t VirtioPci::legacy_read(uint64_t offset, unsigned size) {
  VirtioDevice& d = *device_;
  const uint64_t config = legacy_config_offset();
  if (offset >= config) return device_config_read(offset - config, size);
  uint16_t sel = queue_select_;
  Virtqueue* q = sel < d.num_queues() ? &d.queue(sel) : nullptr;
  switch (offset) {
    case kLegacyHostFeatures:
      // The legacy interface offers no feature above bit 31 (no VERSION_1).
      return static_cast<uint32_t>(d.offered_features());
    case kLegacyGuestFeatures:
      return static_cast<uint32_t>(d.driver_features());
    case kLegacyQueuePfn:
      return q ? q->legacy_pfn() : 0;
    case kLegacyQueueSize:
      return q ? q->max_size() : 0;
    case kLegacyQueueSelect:
      return sel;
    case kLegacyStatus:
      return d.status();
    case kLegacyIsr:
      return d.read_and_clear_isr();
    case kLegacyConfigVector:
      return config_vector_;
    case kLegacyQueueVector:
      return q ? queue_vectors_[sel] : kNoVector;
    default:
      return 0;
  }
}

void VirtioPci::legacy_write(uint64_t offset, uint64_t value, unsigned size) {
  VirtioDevice& d = *device_;
  const uint64_t config = legacy_config_offset();
  if (offset >= config) return device_config_write(offset - config, value, size);
  uint16_t sel = queue_select_;
  Virtqueue* q = sel < d.num_queues() ? &d.queue(sel) : nullptr;
  switch (offset) {
    case kLegacyGuestFeatures:
      d.set_driver_features(value & 0xffffffffull);
      return;
    case kLegacyQueuePfn:
      if (q) {
        q->set_size(q->max_size());
        q->set_legacy_pfn(static_cast<uint32_t>(value));
      }
      return;
    case kLegacyQueueSelect:
      queue_select_ = static_cast<uint16_t>(value);
      return;
    case kLegacyQueueNotify:
      if (value < d.num_queues()) d.notify(static_cast<unsigned>(value));
      return;
    case kLegacyStatus:
      d.set_status(static_cast<uint8_t>(value));
      if (value == 0) reset_vectors();
      update_irq();
      return;
    case kLegacyConfigVector:
      config_vector_ = checked_vector(value);
      return;
    case kLegacyQueueVector:
      if (q) queue_vectors_[sel] = checked_vector(value);
      return;
    default:
      return;
  }
}

void VirtioPci::reset() {
  PciDevice::reset();
  device_->reset();
  device_feature_select_ = driver_feature_select_ = 0;
  queue_select_ = 0;
  driver_features_shadow_ = 0;
  reset_vectors();
  update_irq();
}

void VirtioPci::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("device_feature_select", device_feature_select_);
  v.field("driver_feature_select", driver_feature_select_);
  v.field("queue_select", queue_select_);
  v.field("driver_features_shadow", driver_features_shadow_);
  v.field("config_vector", config_vector_);
  v.array("queue_vectors", std::span<uint16_t>(queue_vectors_));
  device_->visit_state(v);
  if (v.loading()) update_irq();
}

}  // namespace vx86
