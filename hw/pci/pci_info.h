// What the monitor shows of the PCI bus (`info pci`, QMP query-pci): each
// function's IDs, class, interrupt and BARs, a bridge's bus numbers and
// windows and the functions behind it, in the terms QEMU uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vx86 {

class PciBus;

struct PciFunctionInfo {
  unsigned bus = 0, slot = 0, function = 0;
  uint16_t class_code = 0;        // base class << 8 | subclass
  std::string class_description;  // QEMU's name for the class, or ""
  uint16_t vendor = 0, device = 0, subsystem_vendor = 0, subsystem = 0;
  unsigned irq_pin = 0;  // 0: none, 1-4: INTA-INTD
  unsigned irq = 0;      // the interrupt line register
  struct Region {
    int bar = 0;
    bool io = false;
    bool prefetch = false;
    bool mem64 = false;
    uint64_t address = 0;  // ~0 while unmapped
    uint64_t size = 0;
  };
  std::vector<Region> regions;
  std::string id;  // -device id=, or ""
  // A bridge (type 1 header: no subsystem IDs): its bus numbers, windows
  // (base > limit: closed) and, once its secondary bus is numbered, the
  // functions behind it.
  bool bridge = false;
  unsigned primary_bus = 0, secondary_bus = 0, subordinate_bus = 0;
  struct Range {
    uint64_t base = 0, limit = 0;
  };
  Range io_range, memory_range, prefetchable_range;
  std::vector<PciFunctionInfo> behind;
};

// The functions of bus (numbered bus_number), in slot order.
std::vector<PciFunctionInfo> describe_pci_functions(const PciBus& bus, unsigned bus_number = 0);
// QEMU's description of a PCI class ("Host bridge", "Ethernet controller"),
// or "" for classes it has none for.
std::string pci_class_description(uint16_t class_code);
// The monitor's `info pci` text, in QEMU's layout.
std::string format_info_pci(const std::vector<PciFunctionInfo>& functions);

}  // namespace vx86
