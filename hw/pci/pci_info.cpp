#include "hw/pci/pci_info.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "hw/pci/pci_bridge.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"

namespace vx86 {

std::string pci_class_description(uint16_t class_code) {
  // The classes of the devices the machines have, named as QEMU names them.
  static const struct {
    uint16_t code;
    const char* name;
  } kClasses[] = {
      {0x0100, "SCSI controller"},
      {0x0101, "IDE controller"},
      {0x0106, "SATA controller"},
      {0x0180, "Storage controller"},
      {0x0200, "Ethernet controller"},
      {0x0300, "VGA controller"},
      {0x0380, "Display controller"},
      {0x0600, "Host bridge"},
      {0x0601, "ISA bridge"},
      {0x0604, "PCI bridge"},
      {0x0680, "Bridge"},
      {0x0c03, "USB controller"},
      {0x0c05, "SMBus"},
      {0x0403, "Audio controller"},
  };
  for (const auto& c : kClasses) {
    if (c.code == class_code) return c.name;
  }
  return "";
}

std::vector<PciFunctionInfo> describe_pci_functions(const PciBus& bus, unsigned bus_number) {
  std::vector<PciFunctionInfo> out;
  for (const PciDevice* dev : bus.devices()) {
    PciFunctionInfo f;
    f.bus = bus_number;
    auto cfg16 = [dev](unsigned at) {
      return static_cast<uint16_t>(dev->config_byte(at) | dev->config_byte(at + 1) << 8);
    };
    f.slot = dev->slot();
    f.function = dev->devfn() & 7u;
    f.vendor = cfg16(pci::kVendorId);
    f.device = cfg16(pci::kDeviceId);
    f.class_code = cfg16(pci::kClassProg + 1);  // subclass, base class
    f.class_description = pci_class_description(f.class_code);
    f.subsystem_vendor = cfg16(pci::kSubsystemVendorId);
    f.subsystem = cfg16(pci::kSubsystemId);
    f.irq_pin = dev->config_byte(pci::kInterruptPin);
    f.irq = dev->config_byte(pci::kInterruptLine);
    for (int i = 0; i < pci::kBarCount; ++i) {
      PciDevice::BarInfo bar = dev->bar_info(i);
      if (bar.size == 0) continue;
      PciFunctionInfo::Region r;
      r.bar = i;
      r.io = bar.type == PciBarType::kIo;
      r.prefetch = bar.type == PciBarType::kMem64Prefetch;
      r.mem64 = bar.type == PciBarType::kMem64 || bar.type == PciBarType::kMem64Prefetch;
      r.address = bar.address;
      r.size = bar.size;
      f.regions.push_back(r);
    }
    f.id = dev->id();
    if (const auto* bridge = dynamic_cast<const PciBridge*>(dev)) {
      f.bridge = true;
      f.subsystem_vendor = f.subsystem = 0;
      f.primary_bus = dev->config_byte(pci::kPrimaryBus);
      f.secondary_bus = dev->config_byte(pci::kSecondaryBus);
      f.subordinate_bus = dev->config_byte(pci::kSubordinateBus);
      auto range = [](PciBridge::Window w) { return PciFunctionInfo::Range{w.first, w.last}; };
      f.io_range = range(bridge->io_window());
      f.memory_range = range(bridge->memory_window());
      f.prefetchable_range = range(bridge->prefetch_window());
      // As QEMU: the functions behind only once the bus has its number.
      if (f.secondary_bus != 0) {
        f.behind = describe_pci_functions(*bridge->secondary_bus(), f.secondary_bus);
      }
    }
    out.push_back(std::move(f));
  }
  // In slot and function order, as QEMU lists a bus (plug order differs).
  std::stable_sort(out.begin(), out.end(), [](const PciFunctionInfo& a, const PciFunctionInfo& b) {
    return a.slot != b.slot ? a.slot < b.slot : a.function < b.function;
  });
  return out;
}

std::string format_info_pci(const std::vector<PciFunctionInfo>& functions) {
  std::string out;
  char line[160];
  for (const PciFunctionInfo& f : functions) {
    std::snprintf(line, sizeof(line), "  Bus %2u, device %3u, function %u:\n    ", f.bus, f.slot,
                  f.function);
    out += line;
    if (f.class_description.empty()) {
      std::snprintf(line, sizeof(line), "Class %04u", f.class_code);
      out += line;
    } else {
      out += f.class_description;
    }
    std::snprintf(line, sizeof(line), ": PCI device %04x:%04x\n", f.vendor, f.device);
    out += line;
    if (!f.bridge) {
      std::snprintf(line, sizeof(line), "      PCI subsystem %04x:%04x\n", f.subsystem_vendor,
                    f.subsystem);
      out += line;
    }
    if (f.irq_pin) {
      std::snprintf(line, sizeof(line), "      IRQ %u, pin %c\n", f.irq,
                    static_cast<char>('A' + f.irq_pin - 1));
      out += line;
    }
    if (f.bridge) {
      std::snprintf(line, sizeof(line),
                    "      BUS %u.\n      secondary bus %u.\n      subordinate bus %u.\n",
                    f.primary_bus, f.secondary_bus, f.subordinate_bus);
      out += line;
      std::snprintf(line, sizeof(line), "      IO range [0x%04" PRIx64 ", 0x%04" PRIx64 "]\n",
                    f.io_range.base, f.io_range.limit);
      out += line;
      std::snprintf(line, sizeof(line), "      memory range [0x%08" PRIx64 ", 0x%08" PRIx64 "]\n",
                    f.memory_range.base, f.memory_range.limit);
      out += line;
      std::snprintf(line, sizeof(line),
                    "      prefetchable memory range [0x%08" PRIx64 ", 0x%08" PRIx64 "]\n",
                    f.prefetchable_range.base, f.prefetchable_range.limit);
      out += line;
    }
    for (const auto& r : f.regions) {
      const uint64_t last = r.address + r.size - 1;
      if (r.io) {
        std::snprintf(line, sizeof(line),
                      "      BAR%d: I/O at 0x%04" PRIx64 " [0x%04" PRIx64 "].\n", r.bar, r.address,
                      last);
      } else {
        std::snprintf(line, sizeof(line),
                      "      BAR%d: %d bit%s memory at 0x%08" PRIx64 " [0x%08" PRIx64 "].\n", r.bar,
                      r.mem64 ? 64 : 32, r.prefetch ? " prefetchable" : "", r.address, last);
      }
      out += line;
    }
    out += "      id \"" + f.id + "\"\n";
    out += format_info_pci(f.behind);
  }
  return out;
}

}  // namespace vx86
