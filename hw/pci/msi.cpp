#include "hw/pci/msi.h"

#include "hw/pci/pci_device.h"
#include "hw/pci/pci_regs.h"

namespace vx86 {

namespace {

constexpr uint8_t kCapLength = 14;  // 64-bit, no masking
constexpr unsigned kControl = 2;
constexpr unsigned kAddressLow = 4;
constexpr unsigned kAddressHigh = 8;
constexpr unsigned kData = 12;
constexpr uint16_t kControlEnable = 1u << 0;
constexpr uint16_t kControl64Bit = 1u << 7;

}  // namespace

PciMsi::PciMsi(PciDevice& dev, uint8_t offset) : dev_(dev) {
  cap_ = dev.add_capability(pci::kCapMsi, kCapLength, offset);
  dev.set_write_mask(cap_ + kControl, kControlEnable);  // one message: MME stays 0
  for (unsigned i = 0; i < 4; ++i) {
    dev.set_write_mask(cap_ + kAddressLow + i, i == 0 ? 0xfc : 0xff);
    dev.set_write_mask(cap_ + kAddressHigh + i, 0xff);
  }
  dev.set_write_mask(cap_ + kData, 0xff);
  dev.set_write_mask(cap_ + kData + 1, 0xff);
  reset();
}

bool PciMsi::enabled() const {
  return dev_.config16(cap_ + kControl) & kControlEnable;
}

void PciMsi::notify() {
  if (!enabled()) return;
  const uint64_t address =
      dev_.config32(cap_ + kAddressLow) | uint64_t{dev_.config32(cap_ + kAddressHigh)} << 32;
  dev_.send_msi(address, dev_.config16(cap_ + kData));
}

void PciMsi::reset() {
  dev_.set_config16(cap_ + kControl, kControl64Bit);
  dev_.set_config32(cap_ + kAddressLow, 0);
  dev_.set_config32(cap_ + kAddressHigh, 0);
  dev_.set_config16(cap_ + kData, 0);
}

}  // namespace vx86
