// QEMU's bootindex: the devices firmware should try first, in the order of
// their bootindex property, named by Open Firmware device paths in fw_cfg's
// "bootorder" file, which SeaBIOS reads ("/pci@i0cf8/scsi@4/disk@0,0").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vx86 {

class Device;
class PciDevice;

class BootOrder {
 public:
  // Why bootindex cannot be given to another device (QEMU's words), or "".
  std::string check(int64_t bootindex) const;
  // device boots at bootindex (negative: not at all) from `path`; throws
  // std::runtime_error with check()'s message if another device has it.
  void add(int64_t bootindex, const Device* device, std::string path);
  // device is gone (device_del): its entry too.
  void remove(const Device* device);
  bool empty() const { return entries_.empty(); }

  // The "bootorder" file as QEMU makes it: the paths in bootindex order, one
  // per line, NUL-terminated, with "HALT" last when strict (the firmware
  // then tries nothing else). Empty without entries.
  std::vector<uint8_t> file(bool strict) const;

 private:
  struct Entry {
    const Device* device;
    std::string path;
  };
  std::map<int64_t, Entry> entries_;
};

// The Open Firmware path of a PCI function, as QEMU names it: its class's
// name ("ide", "scsi", "ethernet", "usb"...) at slot and function, after the
// bridges it is behind ("/pci@i0cf8/ide@1,1", "/pci@i0cf8/ethernet@3",
// "/pci@i0cf8/pci-bridge@2,1/scsi@0").
std::string pci_firmware_path(const PciDevice& device);

}  // namespace vx86
