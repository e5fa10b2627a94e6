// The ACPI tables of the pc and q35 machines (ACPI 6.4, chapter 5): RSDP,
// RSDT, XSDT, FADT with its FACS and DSDT, MADT, HPET, WAET, and MCFG on the
// q35. Linux reads them to find the CPUs, the interrupt routing, the timers,
// how to power off (\_S5 and PM1 control) and how to reset (the FADT reset
// register).
//
// The tables go into one blob loaded at a fixed address in the BIOS area
// (0xE0000), where the kernel's RSDP scan finds them; only the direct kernel
// boot loads them (a firmware image brings its own).
#pragma once

#include <cstdint>
#include <vector>

namespace vx86 {

struct AcpiConfig {
  unsigned cpus = 1;
  // APIC layout.
  uint64_t lapic_address = 0xFEE00000;
  uint64_t ioapic_address = 0xFEC00000;
  uint8_t ioapic_id = 0;  // after the CPUs' APIC IDs
  // Fixed ACPI hardware.
  uint16_t pm_base = 0x600;  // PM1a event (+0), control (+4), timer (+8)
  uint8_t sci_irq = 9;
  uint8_t s5_sleep_type = 0;
  uint16_t reset_port = 0xCF9;
  uint8_t reset_value = 0x06;
  // HPET block; absent when hpet_address is 0.
  uint64_t hpet_address = 0xFED00000;
  uint32_t hpet_capabilities = 0;  // low 32 bits of its capabilities register
  // PCI: a host bridge with configuration mechanism #1, INTx of slot S pin P
  // (0 = INTA) routed to IOAPIC input pci_gsi_base + (S + P) % 4.
  bool pci = false;
  uint32_t pci_gsi_base = 16;
  // The GSI of each slot's INTx pin (index slot * 4 + pin, pin 0 = INTA),
  // for chipsets that route otherwise (the Q35's ICH9); empty: the rule above.
  std::vector<uint32_t> pci_intx_gsi;
  // A PCI Express host bridge (the Q35's): PCI0 is a PNP0A08 (compatible
  // with PNP0A03) and an MCFG table gives the ECAM window for buses
  // 0..ecam_end_bus at ecam_base.
  bool pci_express = false;
  uint64_t ecam_base = 0;
  uint8_t ecam_end_bus = 0xff;
  uint32_t pci_memory_start = 0xC0000000;  // the 32-bit window, up to the IOAPIC
  // GPE0 block (two status bytes, two enable bytes); none when 0.
  uint16_t gpe0_base = 0;
  // ACPI PCI hot-plug (hw/acpi/pci_hotplug.h): the slots of bus 0 the guest
  // may hot-plug and eject (bit N: slot N), the controller's registers and
  // the GPE that announces a change.
  uint32_t pci_hotplug_slots = 0;
  uint16_t pci_hotplug_base = 0xAE00;
  unsigned pci_hotplug_gpe = 1;
  // Bridges whose buses take hot-plugged functions (the q35's root ports,
  // the pcie-pci-bridges behind them): the devfns on the way from bus 0
  // (the port's, then the bridge's in the port's slot...), the bus
  // selector, and the slots of the bus that are hot-pluggable.
  struct HotplugBridge {
    std::vector<uint8_t> path;
    unsigned bsel = 0;
    uint32_t slots = 1;
  };
  std::vector<HotplugBridge> pci_hotplug_bridges;
};

struct AcpiTables {
  std::vector<uint8_t> blob;  // to be loaded at the base address given
  uint64_t rsdp_address = 0;
};

AcpiTables build_acpi_tables(const AcpiConfig& config, uint64_t base);

// The 8-bit sum every ACPI table must make zero.
uint8_t acpi_checksum(const uint8_t* data, std::size_t size);

}  // namespace vx86
