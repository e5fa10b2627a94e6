#include "hw/pci/msix.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "core/log.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {
constexpr uint8_t kCapLength = 12;
constexpr unsigned kControl = 2;      // Message Control, in the capability
constexpr unsigned kTableOffset = 4;  // Table Offset / Table BIR
constexpr unsigned kPbaOffset = 8;    // PBA Offset / PBA BIR
constexpr unsigned kVectorControlWord = 3;
}  // namespace

PciMsix::PciMsix(PciDevice& dev, unsigned vectors, int bar, uint64_t region_size,
                 uint64_t pba_offset)
    : dev_(dev), vectors_(vectors), pba_offset_(pba_offset) {
  const uint64_t pba_bytes = (vectors + 63) / 64 * 8;
  if (vectors == 0 || vectors > kMaxVectors || bar < 0 || bar >= pci::kBarCount ||
      pba_offset % 8 != 0 || pba_offset < uint64_t{vectors} * kEntrySize ||
      pba_offset + pba_bytes > region_size) {
    throw std::logic_error(dev.type_name() + ": bad MSI-X layout");
  }
  table_.resize(size_t{vectors} * kEntrySize);
  pba_.resize(pba_bytes);
  region_ = MemoryRegion::io(dev.type_name() + "-msix", region_size, this, {4, 8, false});
  cap_ = dev.add_capability(pci::kCapMsix, kCapLength);
  dev.set_config16(cap_ + kControl, static_cast<uint16_t>(vectors - 1));
  dev.set_config32(cap_ + kTableOffset, static_cast<uint32_t>(bar));
  dev.set_config32(cap_ + kPbaOffset,
                   static_cast<uint32_t>(pba_offset) | static_cast<uint32_t>(bar));
  dev.set_write_mask(cap_ + kControl + 1, (kControlEnable | kControlFunctionMask) >> 8);
  reset();
}

PciMsix::~PciMsix() {
  if (region_ && region_->parent()) region_->parent()->remove_subregion(region_.get());
}

uint16_t PciMsix::control() const {
  return dev_.config16(cap_ + kControl);
}

bool PciMsix::enabled() const {
  return control() & kControlEnable;
}

bool PciMsix::function_masked() const {
  return control() & kControlFunctionMask;
}

uint32_t PciMsix::entry_word(unsigned vector, unsigned word) const {
  uint32_t v = 0;
  std::memcpy(&v, &table_[vector * kEntrySize + 4 * word], sizeof(v));
  return v;
}

bool PciMsix::vector_masked(unsigned vector) const {
  return entry_word(vector, kVectorControlWord) & kVectorMasked;
}

bool PciMsix::pending(unsigned vector) const {
  return (pba_[vector / 8] >> (vector % 8)) & 1;
}

void PciMsix::notify(unsigned vector) {
  if (vector >= vectors_ || !enabled()) return;
  if (function_masked() || vector_masked(vector)) {
    pba_[vector / 8] |= static_cast<uint8_t>(1u << (vector % 8));
    return;
  }
  send(vector);
}

void PciMsix::send(unsigned vector) {
  pba_[vector / 8] &= static_cast<uint8_t>(~(1u << (vector % 8)));
  const uint64_t address = entry_word(vector, 0) | uint64_t{entry_word(vector, 1)} << 32;
  dev_.send_msi(address, entry_word(vector, 2));
}

void PciMsix::send_unmasked_pending() {
  if (!enabled() || function_masked()) return;
  for (unsigned v = 0; v < vectors_; ++v) {
    if (pending(v) && !vector_masked(v)) send(v);
  }
}

void PciMsix::config_written(unsigned addr, unsigned size) {
  const unsigned control_byte = cap_ + kControl + 1u;
  if (addr <= control_byte && control_byte < addr + size) send_unmasked_pending();
}

uint64_t PciMsix::read(uint64_t offset, unsigned size) {
  const std::vector<uint8_t>* bytes = nullptr;
  uint64_t at = 0;
  if (offset + size <= table_.size()) {
    bytes = &table_;
    at = offset;
  } else if (offset >= pba_offset_ && offset + size <= pba_offset_ + pba_.size()) {
    bytes = &pba_;
    at = offset - pba_offset_;
  } else {
    return 0;  // reserved
  }
  uint64_t v = 0;
  std::memcpy(&v, bytes->data() + at, size);
  return v;
}

void PciMsix::write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset + size > table_.size()) return;  // the PBA is read-only
  const unsigned vector = static_cast<unsigned>(offset / kEntrySize);
  const bool was_masked = vector_masked(vector);
  std::memcpy(&table_[offset], &value, size);
  // Only the mask bit of Vector Control is defined; the rest reads as zero.
  uint8_t* control_bytes = &table_[vector * kEntrySize + 4 * kVectorControlWord];
  control_bytes[0] &= kVectorMasked;
  control_bytes[1] = control_bytes[2] = control_bytes[3] = 0;
  if (was_masked && !vector_masked(vector) && pending(vector) && enabled() && !function_masked()) {
    send(vector);
  }
}

void PciMsix::reset() {
  dev_.set_config16(cap_ + kControl, static_cast<uint16_t>(vectors_ - 1));
  std::fill(table_.begin(), table_.end(), 0);
  for (unsigned v = 0; v < vectors_; ++v) {
    table_[v * kEntrySize + 4 * kVectorControlWord] = kVectorMasked;
  }
  std::fill(pba_.begin(), pba_.end(), 0);
}

void PciMsix::visit_state(StateVisitor& v) {
  v.begin("msix");
  v.bytes("table", table_.data(), table_.size());
  v.bytes("pba", pba_.data(), pba_.size());
  v.end();
}

}  // namespace vx86
