// Device types that -device can create, with their properties: the data
// behind "-device help" and "-device TYPE,help".
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/options.h"
#include "hw/isa/isa_bus.h"

namespace vx86 {

class PciBus;
class DriveBackend;
class NetBackend;
class EntropySource;
class InputRouter;
class UsbBus;
class BootOrder;
class IdeController;
class VirtioSerial;

// Where a -device can plug in, and the drives (-drive id=...) it may use.
struct DeviceSlots {
  IsaBus* isa = nullptr;
  PciBus* pci = nullptr;
  std::string pci_bus_name = "pci.0";  // its name for bus= (pcie.0 on the q35)
  // Buses behind bridges (-device pcie-root-port,id=ID makes bus ID), by name.
  std::vector<std::pair<std::string, PciBus*>> bridge_buses;
  // Gives a root port's bus ACPI hot-plug (unless hotplug=off); null where
  // the machine has none.
  std::function<void(PciBus& bus)> add_hotplug_bus;
  // The drive with that id, now in use by `user`; throws OptionError if there
  // is none or another device has it.
  std::function<DriveBackend*(const std::string& id, const std::string& user)> claim_drive;
  // As claim_drive, for a CD-ROM drive (the monitor's eject and change then
  // work on it); an empty id makes an empty drive called `name`.
  std::function<DriveBackend*(const std::string& id, const std::string& user,
                              const std::string& name)>
      claim_cdrom;
  // The network backend with that id (-netdev id=...), now in use by `user`;
  // throws OptionError as claim_drive.
  std::function<NetBackend*(const std::string& id, const std::string& user)> claim_netdev;
  // The random-number backend with that id (-object rng-random/rng-builtin,
  // id=...); throws OptionError if there is none.
  std::function<std::shared_ptr<EntropySource>(const std::string& id)> find_rng;
  // NICs made so far without a mac= (each gets the next default address).
  unsigned nics = 0;
  // The guest's RAM (virtio-balloon's whole).
  uint64_t ram_size = 0;
  // Where keyboards and pointers get the user's input.
  InputRouter* input = nullptr;
  // The USB buses so far (-usb's first), which USB controllers add to.
  std::vector<UsbBus*>* usb_buses = nullptr;
  // Devices given a bootindex, for the firmware.
  BootOrder* boot_order = nullptr;
  // The virtio-serial devices so far, whose buses virtserialport and
  // virtconsole plug into.
  std::vector<VirtioSerial*> virtio_serial_buses;
  unsigned virtio_serial_buses_made = 0;  // for the names of those without an id
  // Told when the guest opens or closes a virtio-serial port that has an id
  // (QMP's VSERPORT_CHANGE); may run on a vCPU thread.
  std::function<void(const std::string& id, bool open)> serial_port_changed;
  // Where IDE drives go: the pc's PIIX3 IDE function (01.1, made when first
  // asked for) or the q35's AHCI controller; throws OptionError without one.
  std::function<IdeController&()> ide_controller;
};

struct PropertyInfo {
  std::string name;
  OptType type;
  std::string default_value;
  std::string help;
};

struct DeviceTypeInfo {
  std::string name;
  std::string bus;  // "isa", "PCI"
  std::string description;
  std::vector<PropertyInfo> properties;
  // Builds, configures and maps the device. Throws std::runtime_error with a
  // user-facing message on a bad property value.
  std::function<std::unique_ptr<Device>(DeviceSlots& slots, const KeyValues& props)> create;
  // device_add may plug it into a running machine (PCI types: through ACPI
  // PCI hot-plug; USB devices and virtio-serial ports always may).
  bool hotpluggable = false;
};

const std::vector<DeviceTypeInfo>& device_types();
const DeviceTypeInfo* find_device_type(const std::string& name);

// Parses "-device DRIVER,k=v" against the type's properties, applying
// "-global DRIVER.PROP=VALUE" defaults first. Throws OptionError naming the
// option and key.
KeyValues resolve_device_options(const DeviceTypeInfo& type, const KeyValues& given,
                                 const std::vector<std::string>& globals);

// "slot[.function]" in hex (0x optional), as QEMU's addr property: a devfn,
// or -1 when text is empty. Throws OptionError naming the option.
int parse_pci_addr(const std::string& option, const std::string& text);

// A PCI device's bus= and addr=: the bus, and its devfn or -1 for the first
// free slot. Throws OptionError naming the option and key.
struct PciAddress {
  PciBus* bus = nullptr;
  int devfn = -1;
};
PciAddress pci_device_address(const DeviceSlots& slots, const std::string& type,
                              const KeyValues& props);

std::string describe_device_types();
std::string describe_device_properties(const DeviceTypeInfo& type);

}  // namespace vx86
