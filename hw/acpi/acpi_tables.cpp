#include "hw/acpi/acpi_tables.h"

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "hw/acpi/aml.h"

namespace vx86 {

namespace {

using Bytes = std::vector<uint8_t>;

constexpr char kOemId[] = "VX86  ";
constexpr char kOemTableId[] = "VX86PC  ";
constexpr uint32_t kCreatorId = 0x36385856;  // "VX86"
constexpr std::size_t kHeaderSize = 36;

void put(Bytes& b, std::size_t at, uint64_t value, int bytes) {
  if (b.size() < at + static_cast<std::size_t>(bytes))
    b.resize(at + static_cast<std::size_t>(bytes));
  for (int i = 0; i < bytes; ++i)
    b[at + static_cast<std::size_t>(i)] = static_cast<uint8_t>(value >> (8 * i));
}

void put_chars(Bytes& b, std::size_t at, const char* text, std::size_t n) {
  if (b.size() < at + n) b.resize(at + n);
  std::memcpy(&b[at], text, n);
}

// A table with its standard header; the length and checksum are filled by finish().
Bytes table(const char* signature, uint8_t revision, std::size_t size) {
  Bytes t(size, 0);
  put_chars(t, 0, signature, 4);
  t[8] = revision;
  put_chars(t, 10, kOemId, 6);
  put_chars(t, 16, kOemTableId, 8);
  put(t, 24, 1, 4);  // OEM revision
  put(t, 28, kCreatorId, 4);
  put(t, 32, 1, 4);  // creator revision
  return t;
}

Bytes finish(Bytes t) {
  put(t, 4, t.size(), 4);
  t[9] = 0;
  t[9] = static_cast<uint8_t>(-acpi_checksum(t.data(), t.size()));
  return t;
}

// Generic Address Structure (5.2.3.2).
void put_gas(Bytes& b, std::size_t at, uint8_t space, uint8_t bit_width, uint8_t access_size,
             uint64_t address) {
  put(b, at, space, 1);
  put(b, at + 1, bit_width, 1);
  put(b, at + 2, 0, 1);  // bit offset
  put(b, at + 3, access_size, 1);
  put(b, at + 4, address, 8);
}
constexpr uint8_t kSpaceMemory = 0, kSpaceIo = 1;
constexpr uint8_t kAccessByte = 1, kAccessWord = 2, kAccessDword = 3, kAccessQword = 4;

// PCI0's _OSC on the q35, as QEMU's: for the PCI host bridge UUID the OS
// gets control of what it asks among SHPC hot-plug, PME, AER and the PCI
// Express capability structure, not native PCI Express hot-plug (bit 0) or
// LTR; a revision other than 1 is flagged, and so is a control it asked and
// did not get; another UUID is unrecognised.
Bytes pci_express_osc() {
  using namespace aml;
  constexpr uint32_t kGrantable = 0x1e;
  constexpr uint32_t kUnrecognisedRevision = 0x08, kCapabilitiesMasked = 0x10,
                     kUnrecognisedUuid = 0x04;
  const Bytes cdw1 = name_string("CDW1"), cdw3 = name_string("CDW3");
  Bytes pci_host_bridge = join({
      create_dword_field(arg(3), 4, "CDW2"),
      create_dword_field(arg(3), 8, "CDW3"),
      store(cdw3, local(0)),
      bit_and_to(local(0), integer(kGrantable), local(0)),
      if_then(not_equal(arg(1), integer(1)), bit_or_to(cdw1, integer(kUnrecognisedRevision), cdw1)),
      if_then(not_equal(cdw3, local(0)), bit_or_to(cdw1, integer(kCapabilitiesMasked), cdw1)),
      store(local(0), cdw3),
  });
  return method(
      "_OSC", 4,
      join({create_dword_field(arg(3), 0, "CDW1"),
            if_then_else(equal(arg(0), uuid("33DB4D5B-1FF7-401C-9657-7441C03DD766")),
                         pci_host_bridge, bit_or_to(cdw1, integer(kUnrecognisedUuid), cdw1)),
            return_value(arg(3))}));
}

// What PCI0 holds for hot-plug, the interface QEMU's acpi-pcihp offers: a
// device per hot-pluggable slot (Sxx, xx = devfn) whose _EJ0 writes the
// slot's bit to the eject register, and PCNT, which the GPE handler runs:
// it reads which slots gained a device (PCIU) and which the host wants back
// (PCID) and notifies those slots' devices (Device Check, Eject Request).
// Linux's acpiphp rescans or ejects the slot in answer. Bus 0 is bus
// selector 0 (on the pc, which never changes BNUM); a bridge (the q35's
// root ports) is a device at its _ADR with its slot 0 inside, reached by
// selecting its bus first.
Bytes pci_hotplug_terms(const AcpiConfig& c) {
  using namespace aml;
  std::vector<Bytes> terms;
  terms.push_back(io_region("PCST", c.pci_hotplug_base, 8));
  terms.push_back(dword_field("PCST", {{"PCIU", 32}, {"PCID", 32}}));
  terms.push_back(io_region("SEJ_", static_cast<uint16_t>(c.pci_hotplug_base + 8), 4));
  terms.push_back(dword_field("SEJ_", {{"B0EJ", 32}}));
  if (!c.pci_hotplug_bridges.empty()) {
    terms.push_back(io_region("BNMR", static_cast<uint16_t>(c.pci_hotplug_base + 0x10), 4));
    terms.push_back(dword_field("BNMR", {{"BNUM", 32}}));
  }
  std::vector<Bytes> checks;
  constexpr uint64_t kDeviceCheck = 1, kEjectRequest = 3;
  // The bridges' devices, nested as the bridges are (a pcie-pci-bridge in
  // a root port's slot is a device inside the port's).
  struct Node {
    const AcpiConfig::HotplugBridge* bus = nullptr;  // null: a bridge on the way
    std::map<uint8_t, Node> children;
  };
  Node top;
  for (const AcpiConfig::HotplugBridge& bridge : c.pci_hotplug_bridges) {
    Node* node = &top;
    for (uint8_t devfn : bridge.path) node = &node->children[devfn];
    node->bus = &bridge;
  }
  auto slot_name = [](unsigned devfn) {
    char dev[5];
    std::snprintf(dev, sizeof(dev), "S%02X", devfn & 0xffu);
    return std::string(dev);
  };
  // A device for each hot-pluggable slot of a bus (in `slots`, not holding
  // a bridge of `taken`), whose _EJ0 selects the bus (unless `select` is
  // empty: the pc's bus 0) and ejects the slot, and PCNT's notifications
  // for them (`prefix`: the bus's device path, "" for bus 0).
  auto add_slots = [&](uint32_t slots, const Bytes& select, const std::string& prefix,
                       const std::map<uint8_t, Node>& taken, std::map<uint8_t, Bytes>& devices,
                       std::vector<Bytes>& notes) {
    for (unsigned slot = 0; slot < 32; ++slot) {
      const uint32_t bit = 1u << slot;
      const uint8_t devfn = static_cast<uint8_t>(slot << 3);
      if (!(slots & bit) || taken.count(devfn)) continue;
      const std::string dev = slot_name(devfn);
      devices[devfn] = device(
          dev, join({name("_ADR", integer(uint64_t{slot} << 16)), name("_SUN", integer(slot)),
                     method("_EJ0", 1, join({select, store(integer(bit), name_string("B0EJ"))}))}));
      const Bytes target = name_string(prefix + dev);
      notes.push_back(
          if_then(bit_and(local(0), integer(bit)), notify(target, integer(kDeviceCheck))));
      notes.push_back(
          if_then(bit_and(local(1), integer(bit)), notify(target, integer(kEjectRequest))));
    }
  };
  std::function<Bytes(const Node&, uint8_t, const std::string&, std::vector<Bytes>&)>
      bridge_device =
          [&](const Node& node, uint8_t devfn, const std::string& path, std::vector<Bytes>& notes) {
            const uint64_t adr = static_cast<uint64_t>(devfn >> 3) << 16 | (devfn & 7u);
            std::vector<Bytes> body = {name("_ADR", integer(adr))};
            std::map<uint8_t, Bytes> inside;  // by devfn: slots and bridges behind
            if (node.bus) {
              const Bytes select = store(integer(node.bus->bsel), name_string("BNUM"));
              notes.push_back(select);
              notes.push_back(store(name_string("PCIU"), local(0)));
              notes.push_back(store(name_string("PCID"), local(1)));
              add_slots(node.bus->slots, select, path + ".", node.children, inside, notes);
            }
            for (const auto& [child_devfn, child] : node.children) {
              inside[child_devfn] =
                  bridge_device(child, child_devfn, path + "." + slot_name(child_devfn), notes);
            }
            for (auto& [d, bytes] : inside) body.push_back(std::move(bytes));
            return device(slot_name(devfn), join(body));
          };
  // PCNT looks at the last bridge on bus 0 first, as QEMU's (the guest
  // handles the notifications, and so ejects, in this order).
  std::vector<std::vector<Bytes>> notes_by_bridge;
  for (const auto& [devfn, node] : top.children) {
    notes_by_bridge.emplace_back();
    terms.push_back(
        bridge_device(node, devfn, "\\_SB.PCI0." + slot_name(devfn), notes_by_bridge.back()));
  }
  for (auto it = notes_by_bridge.rbegin(); it != notes_by_bridge.rend(); ++it) {
    checks.insert(checks.end(), it->begin(), it->end());
  }
  if (c.pci_hotplug_slots) {
    // Bus 0 is bus selector 0, selected only where there are others.
    const Bytes select =
        c.pci_hotplug_bridges.empty() ? Bytes{} : store(integer(0), name_string("BNUM"));
    if (!select.empty()) checks.push_back(select);
    checks.push_back(store(name_string("PCIU"), local(0)));
    checks.push_back(store(name_string("PCID"), local(1)));
    std::map<uint8_t, Bytes> slot_devices;
    add_slots(c.pci_hotplug_slots, select, "", top.children, slot_devices, checks);
    for (auto& [devfn, bytes] : slot_devices) terms.push_back(std::move(bytes));
  }
  terms.push_back(method("PCNT", 0, join(checks)));
  return join(terms);
}

Bytes build_dsdt(const AcpiConfig& c) {
  using namespace aml;
  std::vector<Bytes> sb;
  for (unsigned i = 0; i < c.cpus; ++i) {
    char name[5];
    std::snprintf(name, sizeof(name), "C%03X", i & 0xfffu);  // AML names are 4 chars
    sb.push_back(
        device(name, join({aml::name("_HID", string("ACPI0007")), aml::name("_UID", integer(i))})));
  }
  // The i8042's keyboard and mouse ports, as QEMU's DSDT has them: firmware
  // (SeaBIOS) enables its PS/2 keyboard only when the DSDT lists one, and
  // Linux's i8042 driver finds the ports through them.
  Bytes kbd_resources = resource::template_of(
      {resource::io(0x60, 0x60, 1, 1), resource::io(0x64, 0x64, 1, 1), resource::irq_no_flags(1)});
  Bytes mouse_resources = resource::template_of({resource::irq_no_flags(12)});
  sb.push_back(
      device("KBD_", join({name("_HID", eisa_id("PNP0303")), name("_CRS", kbd_resources)})));
  sb.push_back(
      device("MOU_", join({name("_HID", eisa_id("PNP0F13")), name("_CRS", mouse_resources)})));
  if (c.pci) {
    std::vector<Bytes> routes;
    for (uint32_t slot = 0; slot < 32; ++slot) {
      for (uint32_t pin = 0; pin < 4; ++pin) {
        const uint32_t gsi = c.pci_intx_gsi.empty() ? c.pci_gsi_base + (slot + pin) % 4
                                                    : c.pci_intx_gsi.at(slot * 4 + pin);
        routes.push_back(
            package({integer((slot << 16) | 0xffff), integer(pin), integer(0), integer(gsi)}));
      }
    }
    Bytes crs = resource::template_of({
        resource::word_bus_number(0, 0xff),
        resource::io(0xcf8, 0xcf8, 1, 8),
        resource::word_io(0x0000, 0x0cf7),
        resource::word_io(0x0d00, 0xffff),
        resource::dword_memory(0x000a0000, 0x000bffff),
        resource::dword_memory(c.pci_memory_start, static_cast<uint32_t>(c.ioapic_address - 1)),
    });
    Bytes pci0 = c.pci_express
                     ? join({name("_HID", eisa_id("PNP0A08")), name("_CID", eisa_id("PNP0A03"))})
                     : name("_HID", eisa_id("PNP0A03"));
    pci0 = join({pci0, name("_ADR", integer(0)), name("_UID", integer(0)), name("_CRS", crs),
                 name("_PRT", package(routes))});
    if (c.pci_express) pci0 = join({pci0, pci_express_osc()});
    if (c.pci_hotplug_slots || !c.pci_hotplug_bridges.empty()) {
      pci0 = join({pci0, pci_hotplug_terms(c)});
    }
    sb.push_back(device("PCI0", pci0));
    // The ECAM window as a motherboard resource, as QEMU's DSDT has it (Linux
    // also accepts the window when the E820 map reserves it).
    if (c.pci_express && c.ecam_base) {
      const uint64_t end = c.ecam_base + ((uint64_t{c.ecam_end_bus} + 1) << 20) - 1;
      sb.push_back(device("DRAC", join({name("_HID", eisa_id("PNP0C01")),
                                        name("_CRS", resource::template_of({resource::dword_memory(
                                                         static_cast<uint32_t>(c.ecam_base),
                                                         static_cast<uint32_t>(end))}))})));
    }
  }
  std::vector<Bytes> gpe;
  if (c.pci && (c.pci_hotplug_slots || !c.pci_hotplug_bridges.empty())) {
    char handler[5];
    std::snprintf(handler, sizeof(handler), "_E%02X", c.pci_hotplug_gpe & 0xffu);
    gpe.push_back(name("_HID", string("ACPI0006")));
    gpe.push_back(method(handler, 0, call("\\_SB.PCI0.PCNT", {})));
  }
  Bytes body = join({scope("\\_SB", join(sb)), gpe.empty() ? Bytes{} : scope("\\_GPE", join(gpe)),
                     // \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved.
                     name("\\_S5", package({integer(c.s5_sleep_type), integer(c.s5_sleep_type),
                                            integer(0), integer(0)}))});
  Bytes t = table("DSDT", 2, kHeaderSize);
  t.insert(t.end(), body.begin(), body.end());
  return finish(t);
}

Bytes build_facs() {
  Bytes f(64, 0);
  put_chars(f, 0, "FACS", 4);
  put(f, 4, 64, 4);
  put(f, 32, 1, 1);  // version
  return f;
}

Bytes build_fadt(const AcpiConfig& c, uint64_t facs, uint64_t dsdt) {
  Bytes t = table("FACP", 3, 244);
  put(t, 36, facs, 4);
  put(t, 40, dsdt, 4);
  put(t, 46, c.sci_irq, 2);
  put(t, 48, 0, 4);                   // SMI_CMD: none, the machine is always in ACPI mode
  put(t, 56, c.pm_base, 4);           // PM1a_EVT_BLK
  put(t, 64, c.pm_base + 4, 4);       // PM1a_CNT_BLK
  put(t, 76, c.pm_base + 8, 4);       // PM_TMR_BLK
  put(t, 80, c.gpe0_base, 4);         // GPE0_BLK
  put(t, 88, 4, 1);                   // PM1_EVT_LEN
  put(t, 89, 2, 1);                   // PM1_CNT_LEN
  put(t, 91, 4, 1);                   // PM_TMR_LEN
  if (c.gpe0_base) put(t, 92, 4, 1);  // GPE0_BLK_LEN: two status, two enable bytes
  put(t, 96, 101, 2);                 // P_LVL2_LAT > 100: no C2
  put(t, 98, 1001, 2);                // P_LVL3_LAT > 1000: no C3
  constexpr uint16_t kLegacyDevices = 1u << 0, k8042 = 1u << 1;
  put(t, 109, kLegacyDevices | k8042, 2);  // IAPC_BOOT_ARCH
  constexpr uint32_t kWbinvd = 1u << 0, kProcC1 = 1u << 2, kSlpButton = 1u << 5,
                     kTmrValExt = 1u << 8, kResetRegSup = 1u << 10;
  put(t, 112, kWbinvd | kProcC1 | kSlpButton | kTmrValExt | kResetRegSup, 4);
  put_gas(t, 116, kSpaceIo, 8, kAccessByte, c.reset_port);
  put(t, 128, c.reset_value, 1);
  // X_FIRMWARE_CTRL stays 0: ACPI 2.0+ wants only one of the two FACS pointers set.
  put(t, 140, dsdt, 8);                                                      // X_DSDT
  put_gas(t, 148, kSpaceIo, 32, kAccessWord, c.pm_base);                     // X_PM1a_EVT_BLK
  put_gas(t, 172, kSpaceIo, 16, kAccessWord, c.pm_base + 4);                 // X_PM1a_CNT_BLK
  put_gas(t, 208, kSpaceIo, 32, kAccessDword, c.pm_base + 8);                // X_PM_TMR_BLK
  if (c.gpe0_base) put_gas(t, 220, kSpaceIo, 32, kAccessByte, c.gpe0_base);  // X_GPE0_BLK
  return finish(t);
}

Bytes build_madt(const AcpiConfig& c) {
  Bytes t = table("APIC", 3, 44);
  put(t, 36, c.lapic_address, 4);
  put(t, 40, 1, 4);  // PCAT_COMPAT: there are 8259s too
  auto add = [&t](const Bytes& entry) { t.insert(t.end(), entry.begin(), entry.end()); };
  for (unsigned i = 0; i < c.cpus; ++i) {
    add({0, 8, static_cast<uint8_t>(i), static_cast<uint8_t>(i), 1, 0, 0, 0});  // enabled
  }
  Bytes ioapic(12, 0);
  ioapic[0] = 1;
  ioapic[1] = 12;
  ioapic[2] = c.ioapic_id;
  put(ioapic, 4, c.ioapic_address, 4);
  put(ioapic, 8, 0, 4);  // GSI base
  add(ioapic);
  auto override_irq = [&](uint8_t irq, uint32_t gsi, uint16_t flags) {
    Bytes e(10, 0);
    e[0] = 2;
    e[1] = 10;
    e[2] = 0;  // ISA
    e[3] = irq;
    put(e, 4, gsi, 4);
    put(e, 8, flags, 2);
    add(e);
  };
  override_irq(0, 2, 0);  // the PIT's IRQ 0 is IOAPIC input 2
  constexpr uint16_t kActiveHighLevel = 0x000d;
  override_irq(c.sci_irq, c.sci_irq, kActiveHighLevel);
  add({4, 6, 0xff, 0, 0, 1});  // LINT1 of every CPU is NMI
  return finish(t);
}

Bytes build_hpet(const AcpiConfig& c) {
  Bytes t = table("HPET", 1, 56);
  put(t, 36, c.hpet_capabilities, 4);  // event timer block ID
  put_gas(t, 40, kSpaceMemory, 64, kAccessQword, c.hpet_address);
  put(t, 52, 0, 1);     // HPET number
  put(t, 53, 0x80, 2);  // minimum clock ticks in periodic mode
  put(t, 55, 0, 1);     // no page protection
  return finish(t);
}

// WAET (Microsoft's Windows ACPI Emulated Devices Table), as QEMU gives it:
// the PM timer can be read once, without the workarounds real chipsets need.
Bytes build_waet() {
  Bytes t = table("WAET", 1, kHeaderSize + 4);
  constexpr uint32_t kPmTimerGood = 1u << 1;
  put(t, kHeaderSize, kPmTimerGood, 4);
  return finish(t);
}

// MCFG (PCI Firmware Specification 3.0, 4.1.2): one allocation for segment
// 0, so that the guest reaches configuration space through ECAM.
Bytes build_mcfg(const AcpiConfig& c) {
  Bytes t = table("MCFG", 1, kHeaderSize + 8);  // 8 reserved bytes
  const std::size_t at = t.size();
  put(t, at, c.ecam_base, 8);
  put(t, at + 8, 0, 2);   // PCI segment group
  put(t, at + 10, 0, 1);  // first bus
  put(t, at + 11, c.ecam_end_bus, 1);
  put(t, at + 12, 0, 4);  // reserved
  return finish(t);
}

Bytes build_rsdt(const std::vector<uint64_t>& tables, bool extended) {
  int width = extended ? 8 : 4;
  Bytes t = table(extended ? "XSDT" : "RSDT", 1, kHeaderSize);
  for (uint64_t addr : tables) put(t, t.size(), addr, width);
  return finish(t);
}

Bytes build_rsdp(uint64_t rsdt, uint64_t xsdt) {
  Bytes r(36, 0);
  put_chars(r, 0, "RSD PTR ", 8);
  put_chars(r, 9, kOemId, 6);
  r[15] = 2;  // ACPI 2.0+
  put(r, 16, rsdt, 4);
  put(r, 20, 36, 4);
  put(r, 24, xsdt, 8);
  r[8] = static_cast<uint8_t>(-acpi_checksum(r.data(), 20));
  r[32] = static_cast<uint8_t>(-acpi_checksum(r.data(), 36));
  return r;
}

}  // namespace

uint8_t acpi_checksum(const uint8_t* data, std::size_t size) {
  uint8_t sum = 0;
  for (std::size_t i = 0; i < size; ++i) sum = static_cast<uint8_t>(sum + data[i]);
  return sum;
}

AcpiTables build_acpi_tables(const AcpiConfig& config, uint64_t base) {
  AcpiTables out;
  Bytes& blob = out.blob;
  // Places a table at the next aligned offset and returns its address.
  auto place = [&](const Bytes& t, std::size_t align) {
    std::size_t at = (blob.size() + align - 1) / align * align;
    blob.resize(at);
    blob.insert(blob.end(), t.begin(), t.end());
    return base + at;
  };
  blob.resize(64);  // the RSDP goes first, once the others' addresses are known
  uint64_t facs = place(build_facs(), 64);
  uint64_t dsdt = place(build_dsdt(config), 16);
  std::vector<uint64_t> tables;
  tables.push_back(place(build_fadt(config, facs, dsdt), 16));
  tables.push_back(place(build_madt(config), 16));
  if (config.hpet_address) tables.push_back(place(build_hpet(config), 16));
  if (config.pci_express && config.ecam_base) tables.push_back(place(build_mcfg(config), 16));
  tables.push_back(place(build_waet(), 16));
  uint64_t rsdt = place(build_rsdt(tables, false), 16);
  uint64_t xsdt = place(build_rsdt(tables, true), 16);
  Bytes rsdp = build_rsdp(rsdt, xsdt);
  std::memcpy(blob.data(), rsdp.data(), rsdp.size());
  out.rsdp_address = base;
  return out;
}

}  // namespace vx86
