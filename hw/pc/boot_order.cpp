#include "hw/pc/boot_order.h"

#include <cstdio>
#include <stdexcept>

#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

std::string BootOrder::check(int64_t bootindex) const {
  if (bootindex < 0 || !entries_.count(bootindex)) return "";
  return "The bootindex " + std::to_string(bootindex) + " has already been used";
}

void BootOrder::add(int64_t bootindex, const Device* device, std::string path) {
  if (bootindex < 0) return;  // QEMU's "no bootindex" is -1
  const std::string error = check(bootindex);
  if (!error.empty()) throw std::runtime_error(error);
  entries_[bootindex] = {device, std::move(path)};
}

void BootOrder::remove(const Device* device) {
  std::erase_if(entries_, [&](const auto& entry) { return entry.second.device == device; });
}

std::vector<uint8_t> BootOrder::file(bool strict) const {
  if (entries_.empty()) return {};
  std::string text;
  for (const auto& [index, entry] : entries_) text += entry.path + "\n";
  if (strict) text += "HALT\n";
  text.back() = '\0';
  return {text.begin(), text.end()};
}

namespace {

// The names QEMU gives PCI classes in firmware paths (base class << 8 |
// subclass); other functions are named by their vendor and device IDs.
const char* pci_class_firmware_name(uint16_t pci_class) {
  struct Name {
    uint16_t pci_class;
    const char* name;
  };
  static constexpr Name kNames[] = {
      {0x0100, "scsi"},     {0x0101, "ide"},     {0x0102, "fdc"},        {0x0104, "raid"},
      {0x0200, "ethernet"}, {0x0300, "display"}, {0x0401, "sound"},      {0x0403, "sound"},
      {0x0600, "host"},     {0x0601, "isa"},     {0x0604, "pci-bridge"}, {0x0c03, "usb"},
      {0x0c05, "smbus"},
  };
  for (const Name& n : kNames) {
    if (n.pci_class == pci_class) return n.name;
  }
  return nullptr;
}

}  // namespace

std::string pci_firmware_path(const PciDevice& device) {
  const uint32_t class_code =
      device.config_byte(0x0b) << 16 | device.config_byte(0x0a) << 8 | device.config_byte(0x09);
  std::string name;
  if (const char* known = pci_class_firmware_name(static_cast<uint16_t>(class_code >> 8))) {
    name = known;
  } else {
    char ids[16];
    std::snprintf(ids, sizeof ids, "pci%02x%02x,%02x%02x", device.config_byte(1),
                  device.config_byte(0), device.config_byte(3), device.config_byte(2));
    name = ids;
  }
  char where[16];
  const unsigned function = device.devfn() & 7;
  if (function == 0) {
    std::snprintf(where, sizeof where, "@%x", device.slot());
  } else {
    std::snprintf(where, sizeof where, "@%x,%x", device.slot(), function);
  }
  // Behind a bridge, the bridge's path first.
  const PciDevice* bridge = device.bus() ? device.bus()->upstream() : nullptr;
  return (bridge ? pci_firmware_path(*bridge) : std::string("/pci@i0cf8")) + "/" + name + where;
}

}  // namespace vx86
