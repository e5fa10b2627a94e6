// bootindex as QEMU turns it into fw_cfg's "bootorder": paths by bootindex,
// one per line, NUL-terminated, HALT last with strict=on; PCI functions named
// by their class as QEMU names them.
#include "hw/pc/boot_order.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/device.h"
#include "hw/pci/pci_device.h"

namespace vx86 {
namespace {

std::string text_of(const std::vector<uint8_t>& file) {
  return {file.begin(), file.end()};
}

TEST(BootOrderTest, PathsComeInBootindexOrder) {
  Device disk("disk"), nic("nic"), cd("cd");
  BootOrder order;
  EXPECT_EQ(order.file(true), std::vector<uint8_t>{});  // nothing listed: no file, even strict
  order.add(3, &nic, "/pci@i0cf8/ethernet@3/ethernet-phy@0");
  order.add(1, &disk, "/pci@i0cf8/scsi@4/disk@0,0");
  order.add(-1, &cd, "/pci@i0cf8/ide@1,1/drive@1/disk@0");  // -1: not a boot device
  EXPECT_EQ(text_of(order.file(false)),
            std::string("/pci@i0cf8/scsi@4/disk@0,0\n/pci@i0cf8/ethernet@3/ethernet-phy@0\0", 64));
  EXPECT_EQ(text_of(order.file(true)), std::string("/pci@i0cf8/scsi@4/disk@0,0\n"
                                                   "/pci@i0cf8/ethernet@3/ethernet-phy@0\nHALT\0",
                                                   69));
  EXPECT_EQ(order.check(1), "The bootindex 1 has already been used");
  EXPECT_EQ(order.check(2), "");
  EXPECT_THROW(order.add(3, &cd, "/x"), std::runtime_error);
  order.remove(&disk);  // device_del
  EXPECT_EQ(order.check(1), "");
  EXPECT_EQ(text_of(order.file(false)), std::string("/pci@i0cf8/ethernet@3/ethernet-phy@0\0", 37));
}

class ClassedFunction : public PciDevice {
 public:
  ClassedFunction(uint32_t class_code, uint16_t vendor, uint16_t device)
      : PciDevice("f", PciIds{.vendor = vendor, .device = device, .class_code = class_code}) {}
};

TEST(BootOrderTest, PciFunctionsAreNamedByTheirClass) {
  ClassedFunction ide(0x010180, 0x8086, 0x7010), blk(0x010000, 0x1af4, 0x1001),
      usb(0x0c0300, 0x8086, 0x7020), other(0xff0000, 0x1234, 0xabcd);
  ide.attach(nullptr, 1 << 3 | 1);
  blk.attach(nullptr, 4 << 3);
  usb.attach(nullptr, 0x1f << 3 | 2);
  other.attach(nullptr, 6 << 3);
  EXPECT_EQ(pci_firmware_path(ide), "/pci@i0cf8/ide@1,1");
  EXPECT_EQ(pci_firmware_path(blk), "/pci@i0cf8/scsi@4");
  EXPECT_EQ(pci_firmware_path(usb), "/pci@i0cf8/usb@1f,2");
  EXPECT_EQ(pci_firmware_path(other), "/pci@i0cf8/pci1234,abcd@6");
}

}  // namespace
}  // namespace vx86
