#include "hw/device_registry.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "core/entropy_source.h"
#include "hw/char/isa_debugcon.h"
#include "hw/char/serial_16550.h"
#include "hw/ide/ide_controller.h"
#include "hw/ide/ide_device.h"
#include "hw/misc/isa_debug_exit.h"
#include "hw/net/e1000.h"
#include "hw/net/virtio_net_pci.h"
#include "hw/pc/boot_order.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pcie_pci_bridge.h"
#include "hw/pci/pcie_root_port.h"
#include "hw/usb/uhci.h"
#include "hw/usb/usb_bus.h"
#include "hw/usb/usb_hid.h"
#include "hw/usb/usb_hub.h"
#include "hw/usb/usb_storage.h"
#include "hw/virtio/virtio_balloon_pci.h"
#include "hw/virtio/virtio_blk_pci.h"
#include "hw/virtio/virtio_rng_pci.h"
#include "hw/virtio/virtio_serial_pci.h"

namespace vx86 {

namespace {

std::unique_ptr<Device> create_isa_debug_exit(DeviceSlots& slots, const KeyValues& props) {
  IsaBus& bus = *slots.isa;
  uint64_t iosize = props.get_number("iosize", IsaDebugExit::kDefaultIosize);
  if (iosize != 1 && iosize != 2 && iosize != 4) {
    throw OptionError("-device isa-debug-exit: parameter 'iosize' must be 1, 2 or 4");
  }
  uint64_t iobase = props.get_number("iobase", IsaDebugExit::kDefaultIobase);
  if (iobase + iosize > 0x10000) {
    throw OptionError("-device isa-debug-exit: parameter 'iobase' is outside the port space");
  }
  auto dev = std::make_unique<IsaDebugExit>(*bus.control, static_cast<unsigned>(iosize));
  dev->map(*bus.io, iobase);
  return dev;
}

std::unique_ptr<Device> create_isa_serial(DeviceSlots& slots, const KeyValues& props) {
  IsaBus& bus = *slots.isa;
  // index=N is COM(N+1): its port and interrupt line, unless given.
  static constexpr uint16_t kComPorts[4] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
  static constexpr uint8_t kComIrqs[4] = {4, 3, 4, 3};
  const uint64_t index = props.get_number("index", 0);
  if (index > 3) throw OptionError("-device isa-serial: parameter 'index' must be 0 to 3");
  uint64_t iobase = props.get_number("iobase", kComPorts[index]);
  uint64_t irq = props.get_number("irq", kComIrqs[index]);
  if (irq > 15) throw OptionError("-device isa-serial: parameter 'irq' must be 0 to 15");
  std::string chardev_id = props.get_string("chardev");
  Chardev* chardev = nullptr;
  if (!chardev_id.empty()) {
    chardev = bus.find_chardev(chardev_id);
    if (!chardev) {
      throw OptionError("-device isa-serial: chardev '" + chardev_id + "' not found");
    }
  }
  auto dev = std::make_unique<Serial16550>(*bus.clocks, bus.irqs[irq], chardev);
  dev->map(*bus.io, iobase);
  return dev;
}

std::unique_ptr<Device> create_isa_debugcon(DeviceSlots& slots, const KeyValues& props) {
  IsaBus& bus = *slots.isa;
  const std::string option = "-device isa-debugcon";
  uint64_t iobase = props.get_number("iobase", IsaDebugcon::kDefaultIobase);
  if (iobase > 0xFFFF) throw OptionError(option + ": parameter 'iobase' is outside the port space");
  uint64_t readback = props.get_number("readback", IsaDebugcon::kDefaultReadback);
  if (readback > 0xFF) throw OptionError(option + ": parameter 'readback' must be a byte");
  std::string chardev_id = props.get_string("chardev");
  Chardev* chardev = nullptr;
  if (!chardev_id.empty()) {
    chardev = bus.find_chardev(chardev_id);
    if (!chardev) throw OptionError(option + ": chardev '" + chardev_id + "' not found");
  }
  auto dev = std::make_unique<IsaDebugcon>(chardev, static_cast<uint8_t>(readback));
  try {
    dev->map(*bus.io, iobase);
  } catch (const MemoryMapError&) {
    char port[8];
    std::snprintf(port, sizeof port, "0x%llx", static_cast<unsigned long long>(iobase));
    throw OptionError(option + ": port " + port + " is taken by another device");
  }
  return dev;
}

}  // namespace

int parse_pci_addr(const std::string& option, const std::string& text) {
  if (text.empty()) return -1;
  auto dot = text.find('.');
  // Hex, with or without 0x (libvirt writes addr=0x5).
  std::string slot_text = text.substr(0, dot);
  if (slot_text.rfind("0x", 0) == 0 || slot_text.rfind("0X", 0) == 0) slot_text.erase(0, 2);
  auto slot = parse_number("0x" + slot_text);
  auto fn =
      dot == std::string::npos ? std::optional<uint64_t>(0) : parse_number(text.substr(dot + 1));
  if (slot_text.empty() || !slot || !fn || *slot > 31 || *fn > 7) {
    throw OptionError(option +
                      ": parameter 'addr' must be SLOT[.FUNCTION] (hex slot 0-1f, function 0-7)");
  }
  return static_cast<int>(*slot << 3 | *fn);
}

namespace {

const PropertyInfo kBootindexProperty = {
    "bootindex", OptType::kString, "",
    "place in the firmware's boot order, lowest first (-1: none; SeaBIOS's bootorder)"};

// bootindex=, checked before the device takes a drive or a slot (one in use
// is refused as QEMU refuses it); -1 without one.
int64_t bootindex_of(DeviceSlots& slots, const KeyValues& props, const std::string& type) {
  if (!props.has("bootindex")) return -1;
  const std::string text = props.get_string("bootindex");
  const std::optional<int64_t> index = parse_signed_number(text);
  if (!index || *index < INT32_MIN || *index > INT32_MAX) {
    throw OptionError("-device " + type + ": parameter 'bootindex' expects a whole number, not '" +
                      text + "'");
  }
  const std::string error = slots.boot_order ? slots.boot_order->check(*index) : "";
  if (!error.empty()) throw OptionError("-device " + type + ": " + error);
  return *index;
}

// The device, now plugged in, boots from `path` at bootindex (if any).
void add_boot_device(DeviceSlots& slots, int64_t bootindex, const Device& device,
                     std::string path) {
  if (bootindex >= 0 && slots.boot_order)
    slots.boot_order->add(bootindex, &device, std::move(path));
}

const PropertyInfo kPciBusProperty = {
    "bus", OptType::kString, "",
    "PCI bus, as QEMU and libvirt name it: pci.0 on the pc, pcie.0 on the q35 (default: that), "
    "or a pcie-root-port's id"};
const PropertyInfo kPciAddrProperty = {"addr", OptType::kString, "",
                                       "PCI slot[.function] in hex (default: first free slot)"};
const PropertyInfo kPciMultifunctionProperty = {
    "multifunction", OptType::kBool, "off",
    "function 0 says the slot has more functions (needed before addr=SLOT.1-7)"};

// bus= and addr= of a PCI device.
PciAddress pci_address(const DeviceSlots& slots, const std::string& type, const KeyValues& props) {
  const std::string name = props.get_string("bus", slots.pci_bus_name);
  PciAddress address;
  if (name.empty() || name == slots.pci_bus_name) {
    address.bus = slots.pci;
  } else {
    for (const auto& [bridge_bus_name, bus] : slots.bridge_buses) {
      if (bridge_bus_name == name) address.bus = bus;
    }
    if (!address.bus) throw OptionError("-device " + type + ": Bus '" + name + "' not found");
  }
  address.devfn = parse_pci_addr("-device " + type, props.get_string("addr"));
  return address;
}

// Whether a function of this type behind `address` is a PCI Express one.
bool express_link(const PciAddress& address) {
  return address.bus && address.bus->express_link();
}

// QEMU's rules for more than one function in a slot: function 0 must say so
// (multifunction=on) before or after the others come.
void check_multifunction(const PciAddress& address, const PciDevice& dev, const std::string& type) {
  if (address.devfn < 0 || !address.bus) return;
  const unsigned slot = static_cast<unsigned>(address.devfn >> 3);
  const unsigned function = static_cast<unsigned>(address.devfn & 7);
  char where[16];
  if (function != 0) {
    const PciDevice* first = address.bus->device(static_cast<uint8_t>(slot << 3));
    if (first && !first->multi_function()) {
      std::snprintf(where, sizeof where, "%x.%x", slot, function);
      throw OptionError("-device " + type +
                        ": PCI: single function device can't be populated in function " + where);
    }
    return;
  }
  if (dev.multi_function()) return;
  for (unsigned fn = 1; fn < 8; ++fn) {
    if (address.bus->device(static_cast<uint8_t>(slot << 3 | fn))) {
      std::snprintf(where, sizeof where, "%x.0", slot);
      char other[16];
      std::snprintf(other, sizeof other, "%x.%x", slot, fn);
      throw OptionError("-device " + type + ": PCI: " + where + " indicates single function, but " +
                        other + " is already populated.");
    }
  }
}

// Plugs dev at address; a root port behind which it sits shows a trained
// link from then on.
void plug_at(const PciAddress& address, PciDevice& dev, const KeyValues& props,
             const std::string& type) {
  if (props.get_bool("multifunction", false)) dev.set_multi_function(true);
  check_multifunction(address, dev, type);
  try {
    address.bus->plug(dev, address.devfn);
  } catch (const std::runtime_error& e) {
    throw OptionError("-device " + type + ": " + e.what());
  }
  if (auto* port = dynamic_cast<PcieRootPort*>(address.bus->upstream())) port->update_slot_state();
}

// vectors=: how many MSI-X vectors a virtio function offers (0: INTx only).
unsigned msix_vectors(const std::string& type, const KeyValues& props, unsigned default_vectors) {
  const uint64_t vectors = props.get_number("vectors", default_vectors);
  if (vectors > PciMsix::kMaxVectors) {
    throw OptionError("-device " + type + ": parameter 'vectors' must be at most " +
                      std::to_string(PciMsix::kMaxVectors) + " (0: no MSI-X)");
  }
  return static_cast<unsigned>(vectors);
}

std::unique_ptr<Device> create_virtio_blk_pci(DeviceSlots& slots, const KeyValues& props) {
  const std::string option = "-device virtio-blk-pci";
  std::string drive_id = props.get_string("drive");
  if (drive_id.empty()) throw OptionError(option + ": parameter 'drive' is missing");
  const PciAddress address = pci_address(slots, "virtio-blk-pci", props);
  std::string serial = props.get_string("serial");
  if (serial.size() > VirtioBlk::kIdBytes) {
    throw OptionError(option + ": parameter 'serial' is longer than 20 characters");
  }
  const unsigned vectors = msix_vectors("virtio-blk-pci", props, kVirtioBlkPciVectors);
  const int64_t bootindex = bootindex_of(slots, props, "virtio-blk-pci");
  DriveBackend* drive = slots.claim_drive(drive_id, "virtio-blk-pci");
  auto dev = make_virtio_blk_pci(*drive, serial, vectors, express_link(address));
  plug_at(address, *dev, props, "virtio-blk-pci");
  add_boot_device(slots, bootindex, *dev, pci_firmware_path(*dev) + "/disk@0,0");
  return dev;
}

// "52:54:00:12:34:56"
MacAddress parse_mac(const std::string& option, const std::string& text) {
  MacAddress mac{};
  auto fail = [&] {
    return OptionError(option + ": parameter 'mac' expects a MAC address like 52:54:00:12:34:56, " +
                       "not '" + text + "'");
  };
  if (text.size() != 17) throw fail();
  for (unsigned i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':' && text[i * 3 - 1] != '-') throw fail();
    auto byte = parse_number("0x" + text.substr(i * 3, 2));
    if (!byte || !std::isxdigit(static_cast<unsigned char>(text[i * 3])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i * 3 + 1]))) {
      throw fail();
    }
    mac[i] = static_cast<uint8_t>(*byte);
  }
  if (mac[0] & 1) throw OptionError(option + ": MAC address '" + text + "' is a multicast address");
  return mac;
}

// What every NIC takes: mac= (as QEMU, NICs without one count up from
// 52:54:00:12:34:56) and netdev=.
struct NicProperties {
  MacAddress mac;
  NetBackend* backend = nullptr;
};

NicProperties nic_properties(DeviceSlots& slots, const KeyValues& props, const std::string& type) {
  const std::string option = "-device " + type;
  NicProperties nic;
  if (props.has("mac")) {
    nic.mac = parse_mac(option, props.get_string("mac"));
  } else {
    nic.mac = {0x52, 0x54, 0x00, 0x12, 0x34, static_cast<uint8_t>(0x56 + slots.nics++)};
  }
  std::string netdev = props.get_string("netdev");
  if (!netdev.empty()) nic.backend = slots.claim_netdev(netdev, type);
  return nic;
}

std::unique_ptr<Device> plug_pci(DeviceSlots& slots, const KeyValues& props,
                                 const std::string& type, std::unique_ptr<PciDevice> dev) {
  plug_at(pci_address(slots, type, props), *dev, props, type);
  return dev;
}

// A NIC's PCI function, booting from the network at bootindex (if any).
std::unique_ptr<Device> plug_nic(DeviceSlots& slots, const KeyValues& props,
                                 const std::string& type, int64_t bootindex,
                                 std::unique_ptr<PciDevice> nic) {
  PciDevice& function = *nic;
  auto device = plug_pci(slots, props, type, std::move(nic));
  add_boot_device(slots, bootindex, function, pci_firmware_path(function) + "/ethernet-phy@0");
  return device;
}

std::unique_ptr<Device> create_virtio_net_pci(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "virtio-net-pci";
  const PciAddress address = pci_address(slots, type, props);  // before a MAC is taken
  const unsigned vectors = msix_vectors(type, props, kVirtioNetPciVectors);
  const int64_t bootindex = bootindex_of(slots, props, type);
  NicProperties nic = nic_properties(slots, props, type);
  return plug_nic(slots, props, type, bootindex,
                  make_virtio_net_pci(nic.backend, nic.mac, vectors, express_link(address)));
}

std::unique_ptr<Device> create_virtio_rng_pci(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "virtio-rng-pci";
  const PciAddress address = pci_address(slots, type, props);
  const unsigned vectors = msix_vectors(type, props, kVirtioRngPciVectors);
  // Without rng=, the host's getrandom, as QEMU's rng-builtin.
  const std::string rng = props.get_string("rng");
  std::shared_ptr<EntropySource> source =
      rng.empty() ? std::shared_ptr<EntropySource>(make_builtin_entropy()) : slots.find_rng(rng);
  return plug_pci(slots, props, type,
                  make_virtio_rng_pci(std::move(source), vectors, express_link(address)));
}

std::unique_ptr<Device> create_virtio_balloon_pci(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "virtio-balloon-pci";
  const PciAddress address = pci_address(slots, type, props);
  return plug_pci(slots, props, type,
                  make_virtio_balloon_pci(slots.ram_size, express_link(address)));
}

// -device virtio-serial-pci: the bus is "ID.0" with id=ID, else
// "virtio-serial-bus.N".
std::unique_ptr<Device> create_virtio_serial_pci(DeviceSlots& slots, const KeyValues& props,
                                                 const std::string& type) {
  const std::string option = "-device " + type;
  const PciAddress address = pci_address(slots, type, props);
  const uint64_t max_ports = props.get_number("max_ports", VirtioSerial::kDefaultMaxPorts);
  if (max_ports == 0) throw OptionError(option + ": Maximum number of serial ports not specified");
  if (max_ports > VirtioSerial::kMaxPortsLimit) {
    throw OptionError(option +
                      ": maximum ports supported: " + std::to_string(VirtioSerial::kMaxPortsLimit));
  }
  // As QEMU: a vector for each port and one more unless vectors= says.
  const unsigned vectors = msix_vectors(type, props, static_cast<unsigned>(max_ports) + 1);
  const std::string id = props.get_string("id");
  const std::string bus_name =
      id.empty() ? "virtio-serial-bus." + std::to_string(slots.virtio_serial_buses_made)
                 : id + ".0";
  ++slots.virtio_serial_buses_made;
  auto dev = make_virtio_serial_pci(bus_name, static_cast<uint32_t>(max_ports),
                                    props.get_bool("emergency-write", true), vectors,
                                    express_link(address));
  auto& serial = static_cast<VirtioSerial&>(dev->virtio());
  if (slots.serial_port_changed) serial.set_open_listener(slots.serial_port_changed);
  auto device = plug_pci(slots, props, type, std::move(dev));
  slots.virtio_serial_buses.push_back(&serial);
  return device;
}

std::unique_ptr<Device> create_virtio_serial_port(DeviceSlots& slots, const KeyValues& props,
                                                  bool console) {
  const std::string type = console ? "virtconsole" : "virtserialport";
  const std::string option = "-device " + type;
  const std::string bus_name = props.get_string("bus");
  VirtioSerial* serial = nullptr;
  for (VirtioSerial* candidate : slots.virtio_serial_buses) {
    if (bus_name.empty() || candidate->bus_name() == bus_name) {
      serial = candidate;
      break;
    }
  }
  if (!serial) {
    throw OptionError(option + ": " +
                      (bus_name.empty() ? "No 'virtio-serial-bus' bus found for device '" + type +
                                              "' (add -device virtio-serial-pci)"
                                        : "Bus '" + bus_name + "' not found"));
  }
  VirtioSerial::PortOptions port;
  port.console = console;
  port.name = props.get_string("name");
  port.device_id = props.get_string("id");
  if (props.has("nr")) {
    const uint64_t nr = props.get_number("nr", 0);
    if (nr > UINT32_MAX) throw OptionError(option + ": parameter 'nr' is out of range");
    port.nr = static_cast<int64_t>(nr);
  }
  const std::string chardev_id = props.get_string("chardev");
  if (!chardev_id.empty()) {
    port.chardev = slots.isa->find_chardev(chardev_id);
    if (!port.chardev) {
      throw OptionError(option + ": Property '" + type + ".chardev' can't find value '" +
                        chardev_id + "'");
    }
    if (port.chardev->frontend()) {
      throw OptionError(option + ": Property '" + type + ".chardev' can't take value '" +
                        chardev_id + "': Device '" + chardev_id + "' is in use");
    }
  }
  for (VirtioSerial* other : slots.virtio_serial_buses) {
    if (other->find_port_by_name(port.name)) {
      throw OptionError(option + ": virtio-serial-bus: A port already exists by name " + port.name);
    }
  }
  uint32_t id = 0;
  const std::string error = serial->check_port(port, &id);
  if (!error.empty()) throw OptionError(option + ": " + error);
  serial->add_port(port, id);
  return std::make_unique<VirtioSerialPortHandle>(type, *serial, id);
}

std::unique_ptr<Device> create_e1000(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "e1000";
  pci_address(slots, type, props);
  const int64_t bootindex = bootindex_of(slots, props, type);
  NicProperties nic = nic_properties(slots, props, type);
  return plug_nic(slots, props, type, bootindex, std::make_unique<E1000>(nic.backend, nic.mac));
}

// -device pcie-root-port: on the q35's pcie.0 only; the bus behind it is
// named by its id, as libvirt's bus=pci.N.
std::unique_ptr<Device> create_pcie_root_port(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "pcie-root-port";
  const std::string option = "-device " + type;
  const PciAddress address = pci_address(slots, type, props);
  if (address.bus != slots.pci || slots.pci_bus_name != "pcie.0") {
    throw OptionError(option + ": a root port plugs into the q35's PCI Express root bus " +
                      "(-M q35, bus=pcie.0)");
  }
  const uint64_t port = props.get_number("port", 0);
  const uint64_t chassis = props.get_number("chassis", 0);
  const uint64_t slot = props.get_number("slot", 0);
  if (port > 0xff) throw OptionError(option + ": parameter 'port' must be at most 255");
  if (chassis > 0xff) throw OptionError(option + ": parameter 'chassis' must be at most 255");
  if (slot > 0x1fff) throw OptionError(option + ": parameter 'slot' must be at most 8191");
  const std::string id = props.get_string("id");
  for (const auto& [name, bus] : slots.bridge_buses) {
    if (!id.empty() && name == id) throw OptionError(option + ": Duplicate ID '" + id + "'");
  }
  auto root_port = std::make_unique<PcieRootPort>(slots.pci->dma(), static_cast<uint8_t>(port),
                                                  static_cast<uint16_t>(slot));
  PciBus* behind = root_port->secondary_bus();
  auto device = plug_pci(slots, props, type, std::move(root_port));
  if (!id.empty()) slots.bridge_buses.emplace_back(id, behind);
  if (props.get_bool("hotplug", true) && slots.add_hotplug_bus) slots.add_hotplug_bus(*behind);
  return device;
}

// -device pcie-pci-bridge: on a PCI Express bus (a root port's, as libvirt
// puts it, or pcie.0); the conventional bus behind it is named by its id.
std::unique_ptr<Device> create_pcie_pci_bridge(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "pcie-pci-bridge";
  const PciAddress address = pci_address(slots, type, props);
  const bool express =
      address.bus->express_link() || (address.bus == slots.pci && slots.pci_bus_name == "pcie.0");
  if (!express) {
    throw OptionError(
        "-device " + type +
        ": it plugs into a PCI Express bus (a pcie-root-port's, or the q35's pcie.0)");
  }
  const std::string id = props.get_string("id");
  for (const auto& [name, bus] : slots.bridge_buses) {
    if (!id.empty() && name == id)
      throw OptionError("-device " + type + ": Duplicate ID '" + id + "'");
  }
  auto bridge = std::make_unique<PciePciBridge>(slots.pci->dma());
  PciBus* behind = bridge->secondary_bus();
  auto device = plug_pci(slots, props, type, std::move(bridge));
  if (!id.empty()) slots.bridge_buses.emplace_back(id, behind);
  if (slots.add_hotplug_bus) slots.add_hotplug_bus(*behind);
  return device;
}

// -device piix3-usb-uhci: the bus is "ID.0" with id=ID, else "usb-bus.N".
std::unique_ptr<Device> create_uhci(DeviceSlots& slots, const KeyValues& props) {
  const std::string type = "piix3-usb-uhci";
  pci_address(slots, type, props);
  const std::string id = props.get_string("id");
  std::string bus_name =
      id.empty() ? "usb-bus." + std::to_string(slots.usb_buses->size()) : id + ".0";
  auto uhci = std::make_unique<Uhci>(*slots.isa->clocks, bus_name);
  UsbBus& bus = uhci->usb_bus();
  const PciDevice& function = *uhci;
  auto device = plug_pci(slots, props, type, std::move(uhci));
  bus.set_firmware_path(pci_firmware_path(function));
  slots.usb_buses->push_back(&bus);
  return device;
}

// Where a USB device plugs in.
const std::vector<PropertyInfo> kUsbDeviceProperties = {
    {"bus", OptType::kString, "", "USB bus (default: the first, usb-bus.0 with -usb)"},
    {"port", OptType::kString, "",
     "port on the bus: 1 or 2, 2.1 to 2.8 behind a hub (default: the first free)"}};

// The USB bus bus= names (default: the first) with port= free there; throws
// OptionError naming the device type. Checked before a device takes a drive.
UsbBus& usb_bus_for(DeviceSlots& slots, const KeyValues& props, const std::string& type) {
  const std::string option = "-device " + type;
  const std::string bus_name = props.get_string("bus");
  UsbBus* bus = nullptr;
  for (UsbBus* b : *slots.usb_buses) {
    if (bus_name.empty() || b->name() == bus_name) {
      bus = b;
      break;
    }
  }
  if (!bus) {
    throw OptionError(option + ": " +
                      (bus_name.empty()
                           ? std::string("no USB bus (add -usb, or -device piix3-usb-uhci)")
                           : "no USB bus '" + bus_name + "'"));
  }
  const std::string error = bus->check_port(props.get_string("port"));
  if (!error.empty()) throw OptionError(option + ": " + error);
  return *bus;
}

// Plugs a USB device into the port= of bus (usb_bus_for checked it).
std::unique_ptr<Device> plug_usb(UsbBus& bus, const KeyValues& props,
                                 std::unique_ptr<UsbDevice> device) {
  const std::string error = bus.attach(*device, props.get_string("port"));
  if (!error.empty()) throw OptionError("-device " + device->type_name() + ": " + error);
  return device;
}

std::unique_ptr<Device> create_usb_hid(DeviceSlots& slots, const KeyValues& props,
                                       UsbHid::Kind kind) {
  auto device = std::make_unique<UsbHid>(kind, *slots.input);
  UsbBus& bus = usb_bus_for(slots, props, device->type_name());
  return plug_usb(bus, props, std::move(device));
}

std::unique_ptr<Device> create_usb_hub(DeviceSlots& slots, const KeyValues& props) {
  UsbBus& bus = usb_bus_for(slots, props, "usb-hub");
  return plug_usb(bus, props, std::make_unique<UsbHub>());
}

std::unique_ptr<Device> create_usb_storage(DeviceSlots& slots, const KeyValues& props) {
  const std::string drive_id = props.get_string("drive");
  if (drive_id.empty()) throw OptionError("-device usb-storage: parameter 'drive' is required");
  // The bus and port first: a refused device_add must leave the drive free.
  UsbBus& bus = usb_bus_for(slots, props, "usb-storage");
  const int64_t bootindex = bootindex_of(slots, props, "usb-storage");
  DriveBackend* drive = slots.claim_drive(drive_id, "usb-storage");
  auto storage = std::make_unique<UsbStorage>(*drive, props.get_bool("removable", false));
  const UsbDevice& plugged = *storage;
  auto device = plug_usb(bus, props, std::move(storage));
  add_boot_device(slots, bootindex, plugged,
                  bus.firmware_path(plugged, "storage") + "/channel@0/disk@0,0");
  return device;
}

const std::vector<PropertyInfo> kIdeDeviceProperties = {
    {"drive", OptType::kString, "", "ID of the disk image (-drive if=none,id=...)"},
    {"bus", OptType::kString, "",
     "IDE bus: ide.0 or ide.1 on the pc (default ide.1), ide.0 to ide.5 (AHCI ports) on the q35 "
     "(default: the first free)"},
    {"unit", OptType::kNumber, "", "0 (master) or 1 (slave) on the pc, 0 on the q35"},
    kBootindexProperty};

// -device ide-hd / ide-cd: a drive on one of the machine's IDE buses (the
// PIIX's channels, whose default is ide.1 as in QEMU, or the AHCI's ports)
// at unit= (default: the first free unit).
std::unique_ptr<Device> create_ide_device(DeviceSlots& slots, const KeyValues& props, bool cdrom) {
  const std::string type = cdrom ? "ide-cd" : "ide-hd";
  const std::string option = "-device " + type;
  const std::string drive_id = props.get_string("drive");
  if (drive_id.empty() && !cdrom) throw OptionError(option + ": parameter 'drive' is missing");
  IdeController& ide = slots.ide_controller();
  // The first free unit of a bus, or (none free) its last, which is then in use.
  auto free_unit = [&ide](unsigned bus) {
    unsigned unit = 0;
    while (unit + 1 < ide.units_per_bus() && ide.media(bus, unit) != IdeChannel::Media::kNone) {
      ++unit;
    }
    return unit;
  };
  unsigned bus = ide.units_per_bus() == 2 ? 1 : 0;
  if (props.has("bus")) {
    const std::string bus_name = props.get_string("bus");
    bus = ide.buses();
    for (unsigned b = 0; b < ide.buses(); ++b) {
      if (bus_name == "ide." + std::to_string(b)) bus = b;
    }
    if (bus == ide.buses()) {
      throw OptionError(option + ": Bus '" + bus_name + "' not found (ide.0 to ide." +
                        std::to_string(ide.buses() - 1) + ")");
    }
  } else if (ide.units_per_bus() == 1) {
    while (bus + 1 < ide.buses() && ide.media(bus, 0) != IdeChannel::Media::kNone) ++bus;
  }
  const uint64_t unit = props.get_number("unit", free_unit(bus));
  if (unit >= ide.units_per_bus()) {
    throw OptionError(option + ": Can't create IDE unit " + std::to_string(unit) +
                      ", bus supports only " + std::to_string(ide.units_per_bus()) + " unit" +
                      (ide.units_per_bus() == 1 ? "" : "s"));
  }
  if (ide.media(bus, static_cast<unsigned>(unit)) != IdeChannel::Media::kNone) {
    throw OptionError(option + ": IDE unit " + std::to_string(unit) + " is in use");
  }
  const int64_t bootindex = bootindex_of(slots, props, type);
  // QEMU's name for a drive at that place, for an empty CD-ROM's.
  const std::string place_name =
      "ide" + std::to_string(bus) + (cdrom ? "-cd" : "-hd") + std::to_string(unit);
  DriveBackend* drive = cdrom
                            ? slots.claim_cdrom(drive_id, type, props.get_string("id", place_name))
                            : slots.claim_drive(drive_id, type);
  ide.attach(bus, static_cast<unsigned>(unit), drive,
             cdrom ? IdeChannel::Media::kCdrom : IdeChannel::Media::kDisk);
  auto device = std::make_unique<IdeDevice>(cdrom, bus, static_cast<unsigned>(unit));
  add_boot_device(slots, bootindex, *device,
                  pci_firmware_path(dynamic_cast<const PciDevice&>(ide)) +
                      IdeController::drive_path(bus, static_cast<unsigned>(unit)));
  return device;
}

const std::vector<PropertyInfo> kVirtioSerialPciProperties = {
    {"max_ports", OptType::kNumber, "31", "number of ports (1-511; port 0 is for a virtconsole)"},
    {"emergency-write", OptType::kBool, "on",
     "offer VIRTIO_CONSOLE_F_EMERG_WRITE (a character for port 0 through the configuration)"},
    kPciBusProperty,
    kPciAddrProperty,
    kPciMultifunctionProperty,
    {"vectors", OptType::kNumber, "max_ports + 1",
     "MSI-X vectors (0: none, the driver uses INTx)"}};

const std::vector<PropertyInfo> kVirtioSerialPortProperties = {
    {"chardev", OptType::kString, "", "ID of the backend (-chardev); without one output is lost"},
    {"name", OptType::kString, "",
     "name the guest sees (/sys/class/virtio-ports/*/name), e.g. org.qemu.guest_agent.0"},
    {"nr", OptType::kNumber, "", "port number (default: the first free; 0 only for virtconsole)"},
    {"bus", OptType::kString, "", "virtio-serial bus, e.g. virtio-serial0.0 (default: the first)"}};

}  // namespace

PciAddress pci_device_address(const DeviceSlots& slots, const std::string& type,
                              const KeyValues& props) {
  return pci_address(slots, type, props);
}

const std::vector<DeviceTypeInfo>& device_types() {
  static const std::vector<DeviceTypeInfo> types = {
      {"isa-debug-exit",
       "isa",
       "ends vx86 with status (value << 1) | 1 when the guest writes value",
       {{"iobase", OptType::kNumber, "0x501", "first I/O port"},
        {"iosize", OptType::kNumber, "2", "number of ports (1, 2 or 4)"}},
       create_isa_debug_exit},
      {"isa-serial",
       "isa",
       "16550A UART",
       {{"chardev", OptType::kString, "", "ID of the backend (-chardev)"},
        {"index", OptType::kNumber, "0", "COM1 to COM4 (0-3): the port and line below"},
        {"iobase", OptType::kNumber, "0x3f8", "first I/O port"},
        {"irq", OptType::kNumber, "4", "ISA interrupt line"}},
       create_isa_serial},
      {"isa-debugcon",
       "isa",
       "debug console: bytes written to its port go to a chardev (SeaBIOS logs to 0x402)",
       {{"chardev", OptType::kString, "", "ID of the backend (-chardev)"},
        {"iobase", OptType::kNumber, "0xe9", "I/O port"},
        {"readback", OptType::kNumber, "0xe9", "what reading the port returns"}},
       create_isa_debugcon},
      {"virtio-blk-pci",
       "PCI",
       "virtio block device (transitional: modern and legacy interfaces, MSI-X or INTx)",
       {{"drive", OptType::kString, "", "ID of the disk image (-drive id=...)"},
        {"serial", OptType::kString, "", "serial number returned by GET_ID (at most 20 bytes)"},
        kPciBusProperty,
        kPciAddrProperty,
        kPciMultifunctionProperty,
        {"vectors", OptType::kNumber, "2", "MSI-X vectors (0: none, the driver uses INTx)"},
        kBootindexProperty},
       create_virtio_blk_pci,
       /*hotpluggable=*/true},
      {"virtio-net-pci",
       "PCI",
       "virtio network device (transitional: modern and legacy interfaces, MSI-X or INTx)",
       {{"netdev", OptType::kString, "", "ID of the network backend (-netdev id=...)"},
        {"mac", OptType::kString, "52:54:00:12:34:56", "MAC address (the next NIC gets :57...)"},
        kPciBusProperty,
        kPciAddrProperty,
        kPciMultifunctionProperty,
        {"vectors", OptType::kNumber, "3", "MSI-X vectors (0: none, the driver uses INTx)"},
        kBootindexProperty},
       create_virtio_net_pci,
       /*hotpluggable=*/true},
      {"virtio-rng-pci",
       "PCI",
       "virtio entropy device: random numbers for the guest's /dev/hwrng (transitional, MSI-X or "
       "INTx)",
       {{"rng", OptType::kString, "",
         "ID of the source (-object rng-random or rng-builtin; default: the host's getrandom)"},
        kPciBusProperty,
        kPciAddrProperty,
        kPciMultifunctionProperty,
        {"vectors", OptType::kNumber, "2", "MSI-X vectors (0: none, the driver uses INTx)"}},
       create_virtio_rng_pci,
       /*hotpluggable=*/true},
      {"virtio-balloon-pci",
       "PCI",
       "virtio memory balloon: QMP balloon asks the guest to give memory back to the host "
       "(transitional, INTx)",
       {kPciBusProperty, kPciAddrProperty, kPciMultifunctionProperty},
       create_virtio_balloon_pci,
       /*hotpluggable=*/true},
      {"virtio-serial-pci", "PCI",
       "virtio console device: ports for virtserialport and virtconsole (libvirt's guest-agent "
       "channel; transitional, MSI-X or INTx)",
       kVirtioSerialPciProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_virtio_serial_pci(slots, props, "virtio-serial-pci");
       },
       /*hotpluggable=*/true},
      {"virtio-serial", "PCI", "alias of virtio-serial-pci", kVirtioSerialPciProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_virtio_serial_pci(slots, props, "virtio-serial");
       },
       /*hotpluggable=*/true},
      {"virtserialport", "virtio-serial-bus",
       "a port of a virtio-serial device on a chardev: /dev/vportNpM in the guest, named in "
       "/dev/virtio-ports/",
       kVirtioSerialPortProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_virtio_serial_port(slots, props, false);
       }},
      {"virtconsole", "virtio-serial-bus",
       "a console port of a virtio-serial device on a chardev: /dev/hvcN in the guest",
       kVirtioSerialPortProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_virtio_serial_port(slots, props, true);
       }},
      {"e1000",
       "PCI",
       "Intel 82540EM gigabit Ethernet (QEMU's default NIC; INTx, checksum offload and TSO)",
       {{"netdev", OptType::kString, "", "ID of the network backend (-netdev id=...)"},
        {"mac", OptType::kString, "52:54:00:12:34:56", "MAC address (the next NIC gets :57...)"},
        kPciBusProperty,
        kPciAddrProperty,
        kPciMultifunctionProperty,
        kBootindexProperty},
       create_e1000,
       /*hotpluggable=*/true},
      {"pcie-root-port",
       "PCI",
       "QEMU's generic PCI Express root port (1b36:000c), a one-slot bus named by its id "
       "(q35 only), with ACPI hot-plug into its slot",
       {{"port", OptType::kNumber, "0", "port number in its link capabilities"},
        {"chassis", OptType::kNumber, "0", "chassis number (kept; libvirt numbers the ports)"},
        {"slot", OptType::kNumber, "0", "physical slot number in its slot capabilities"},
        {"hotplug", OptType::kBool, "on", "device_add and device_del into the port's slot"},
        kPciBusProperty,
        kPciAddrProperty,
        kPciMultifunctionProperty,
        kPciMultifunctionProperty},
       create_pcie_root_port},
      {"pcie-pci-bridge",
       "PCI",
       "QEMU's PCI Express to PCI bridge (1b36:000e), a 32-slot conventional bus named by its id "
       "(behind a pcie-root-port, as libvirt puts e1000s on the q35), with ACPI hot-plug",
       {kPciBusProperty, kPciAddrProperty, kPciMultifunctionProperty},
       create_pcie_pci_bridge},
      {"piix3-usb-uhci",
       "PCI",
       "the PIIX3's USB 1.1 host controller (UHCI, two ports); -usb adds one at 01.2",
       {kPciBusProperty, kPciAddrProperty, kPciMultifunctionProperty},
       create_uhci},
      {"usb-hub", "usb-bus",
       "QEMU's USB hub: eight more ports (one is added by itself when a bus's last port is taken)",
       kUsbDeviceProperties, create_usb_hub},
      {"usb-storage",
       "usb-bus",
       "QEMU's USB mass-storage device (bulk-only, SCSI) on a -drive",
       {{"drive", OptType::kString, "", "ID of the disk image (-drive if=none,id=...)"},
        {"removable", OptType::kBool, "off", "the disk says it is removable"},
        kUsbDeviceProperties[0],
        kUsbDeviceProperties[1],
        kBootindexProperty},
       create_usb_storage},
      {"ide-hd", "IDE", "a hard disk on the PIIX3's IDE controller (01.1)", kIdeDeviceProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_ide_device(slots, props, false);
       }},
      {"ide-cd", "IDE",
       "an ATAPI CD-ROM drive on the PIIX3's IDE controller (01.1); empty without drive=",
       kIdeDeviceProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_ide_device(slots, props, true);
       }},
      {"usb-tablet", "usb-bus",
       "QEMU's USB tablet: an absolute pointer, so the guest's cursor follows the host's",
       kUsbDeviceProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_usb_hid(slots, props, UsbHid::Kind::kTablet);
       }},
      {"usb-mouse", "usb-bus", "QEMU's USB mouse: relative motion, five buttons and a wheel",
       kUsbDeviceProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_usb_hid(slots, props, UsbHid::Kind::kMouse);
       }},
      {"usb-kbd", "usb-bus", "QEMU's USB keyboard (boot protocol, with LEDs)", kUsbDeviceProperties,
       [](DeviceSlots& slots, const KeyValues& props) {
         return create_usb_hid(slots, props, UsbHid::Kind::kKeyboard);
       }},
  };
  return types;
}

const DeviceTypeInfo* find_device_type(const std::string& name) {
  for (const auto& t : device_types()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

KeyValues resolve_device_options(const DeviceTypeInfo& type, const KeyValues& given,
                                 const std::vector<std::string>& globals) {
  std::vector<OptDesc> descs = {{"driver", OptType::kString, ""}, {"id", OptType::kString, ""}};
  for (const auto& p : type.properties) descs.push_back({p.name, p.type, p.help});
  // Rebuild one option string: globals first, then the explicit values win.
  std::string text = "driver=" + type.name;
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) out += c == ',' ? std::string(",,") : std::string(1, c);
    return out;
  };
  for (const auto& g : globals) {
    auto dot = g.find('.');
    auto eq = g.find('=');
    if (g.substr(0, dot) != type.name) continue;
    text += "," + escape(g.substr(dot + 1, eq - dot - 1)) + "=" + escape(g.substr(eq + 1));
  }
  for (const auto& key : given.order()) {
    if (key == "driver") continue;
    text += "," + escape(key) + "=" + escape(given.get_string(key));
  }
  return KeyValues::parse("-device " + type.name, text, "", descs);
}

std::string describe_device_types() {
  std::ostringstream out;
  out << "Devices (-device NAME[,prop=value...]; -device NAME,help lists properties):\n";
  for (const auto& t : device_types()) {
    out << "name \"" << t.name << "\", bus " << t.bus << ", desc \"" << t.description << "\"\n";
  }
  return out.str();
}

std::string describe_device_properties(const DeviceTypeInfo& type) {
  static const char* kTypeNames[] = {"str", "uint64", "size", "bool"};
  std::ostringstream out;
  out << type.name << " options:\n";
  for (const auto& p : type.properties) {
    out << "  " << p.name << "=<" << kTypeNames[static_cast<int>(p.type)] << ">";
    out << "  - " << p.help;
    if (!p.default_value.empty()) out << " (default: " << p.default_value << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace vx86
