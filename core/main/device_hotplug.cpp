// device_add and device_del: USB devices and virtio-serial ports plug in and
// out at once; PCI functions go through ACPI PCI hot-plug, where the guest
// takes part: it is told of a new function and scans its slot, and it is
// asked to give a function back and ejects it when its driver let go, as on
// QEMU's pc machine (bus 0) and q35 (the root ports' slots). DEVICE_DELETED
// follows the unplug, not the request.
#include <memory>
#include <string>

#include "core/device_lock.h"
#include "core/main/drives.h"
#include "core/main/machine_controller.h"
#include "core/main/netdevs.h"
#include "hw/acpi/pci_hotplug.h"
#include "hw/device_registry.h"
#include "hw/net/nic.h"
#include "hw/pc/pc_machine.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie_root_port.h"
#include "hw/usb/usb_bus.h"
#include "hw/usb/usb_device.h"
#include "hw/virtio/virtio_blk.h"
#include "hw/virtio/virtio_pci.h"
#include "hw/virtio/virtio_serial.h"

namespace vx86 {

namespace {

// The backends a device holds by id, given back when it is gone.
struct HeldBackends {
  std::string netdev;
  std::string drive;
};

HeldBackends backends_of(Device& device) {
  HeldBackends held;
  NetworkCard* nic = dynamic_cast<NetworkCard*>(&device);
  auto* virtio = dynamic_cast<VirtioPci*>(&device);
  if (!nic && virtio) nic = dynamic_cast<NetworkCard*>(&virtio->virtio());
  if (nic && nic->backend()) held.netdev = nic->backend()->id();
  if (virtio) {
    if (auto* blk = dynamic_cast<VirtioBlk*>(&virtio->virtio())) held.drive = blk->drive().id();
  }
  return held;
}

const PciDevice* slots_first_function(const PciBus& bus, unsigned slot) {
  for (unsigned fn = 0; fn < 8; ++fn) {
    if (const PciDevice* f = bus.device(static_cast<uint8_t>(slot * 8 + fn))) return f;
  }
  return nullptr;
}

// Whether the bus's first free slot (where a device without addr= goes) is
// one the guest has hot-plug for.
bool free_hotpluggable_slot(const PciBus& bus, uint32_t hotpluggable_slots) {
  for (unsigned slot = 0; slot < static_cast<unsigned>(PciBus::kSlots); ++slot) {
    if (!slots_first_function(bus, slot)) return (hotpluggable_slots >> slot) & 1;
  }
  return false;
}

std::string peripheral_path(const std::string& id) {
  return "/machine/peripheral/" + id;
}

}  // namespace

std::string MachineController::device_add(const std::string& options) {
  if (!machine_ || !device_slots_) return "there is no machine yet";
  KeyValues given;
  try {
    given = KeyValues::parse("device_add", options, "driver", {});
  } catch (const OptionError& e) {
    return e.what();
  }
  const std::string type_name = given.get_string("driver");
  const DeviceTypeInfo* type = find_device_type(type_name);
  if (!type) return "'" + type_name + "' is not a valid device model name";
  const bool pci = type->bus == "PCI";
  if (type->bus != "usb-bus" && type->bus != "virtio-serial-bus" && !(pci && type->hotpluggable)) {
    return "hot-plugging " + type_name +
           " is not available yet (USB devices, virtio-serial ports, the virtio PCI devices "
           "and e1000 are)";
  }
  DeviceLockGuard lock;
  try {
    KeyValues props = resolve_device_options(*type, given, options_.globals);
    const std::string id = props.get_string("id");
    if (!id.empty()) {
      for (Device* d : machine_->devices()) {
        if (d->id() == id) return "Duplicate device ID '" + id + "'";
      }
    }
    AcpiPciHotplug* hotplug = pci ? machine_->pci_hotplug() : nullptr;
    int bsel = -1;
    if (pci) {
      const PciAddress address = pci_device_address(*device_slots_, type_name, props);
      const int devfn = address.devfn;
      const PciBus& bus = *address.bus;
      if (hotplug) bsel = machine_->pci_hotplug_bsel(bus);
      if (bsel < 0) {
        return "Bus '" + props.get_string("bus", machine_->pci_bus_name()) +
               "' does not support hotplugging";
      }
      const uint32_t hotpluggable = hotplug->hotpluggable_slots(static_cast<unsigned>(bsel));
      if (devfn >= 0 && (devfn & 7) != 0) {
        return "PCI function " + std::to_string(devfn & 7) +
               ": only function 0 of a slot can be hot-plugged";
      }
      if (devfn >= 0) {
        // Checked here, before the device takes its backends.
        const unsigned slot = static_cast<unsigned>(devfn >> 3);
        if (!((hotpluggable >> slot) & 1)) {
          std::string there = "a chipset function";
          if (const PciDevice* occupant = slots_first_function(bus, slot)) {
            there = occupant->type_name();
          } else if (bus.express_link()) {
            return "a PCI Express port has only slot 0 (addr=0x0)";
          }
          return "PCI slot " + std::to_string(slot) + " does not take hot-plugged devices (" +
                 there + " is there)";
        }
        if (const PciDevice* occupant = bus.device(static_cast<uint8_t>(devfn))) {
          return "PCI address " + std::to_string(slot) + ".0 is already in use by " +
                 occupant->type_name();
        }
      } else if (!free_hotpluggable_slot(bus, hotpluggable)) {
        return bus.upstream() ? "Bus '" + props.get_string("bus") + "' is full"
                              : std::string("PCI bus 0 has no free slot for hot-plugged devices");
      }
    }
    auto device = type->create(*device_slots_, props);
    device->set_id(id);
    unsigned slot = 0;
    if (pci) slot = static_cast<PciDevice*>(device.get())->slot();
    machine_->add_device(std::move(device));
    if (pci) hotplug->device_plugged(static_cast<unsigned>(bsel), slot);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

std::string MachineController::device_del(const std::string& id) {
  if (!machine_) return "Device '" + id + "' not found";
  DeviceLockGuard lock;
  Device* device = nullptr;
  for (Device* d : machine_->devices()) {
    if (!id.empty() && d->id() == id) device = d;
  }
  if (!device) return "Device '" + id + "' not found";
  if (auto* port = dynamic_cast<VirtioSerialPortHandle*>(device)) {
    port->unplug();
    machine_->remove_device(device);
    // As QEMU: a port is gone at once.
    qmp_event("DEVICE_DELETED", {{"device", id}, {"path", peripheral_path(id)}});
    return "";
  }
  if (auto* function = dynamic_cast<PciDevice*>(device)) {
    AcpiPciHotplug* hotplug = machine_->pci_hotplug();
    const int bsel = hotplug && function->bus() ? machine_->pci_hotplug_bsel(*function->bus()) : -1;
    if (bsel < 0) {
      return std::string("Bus '") + machine_->pci_bus_name() + "' does not support hotplugging";
    }
    const uint32_t hotpluggable = hotplug->hotpluggable_slots(static_cast<unsigned>(bsel));
    if (!function->hotpluggable() || !((hotpluggable >> function->slot()) & 1)) {
      return "Device '" + function->type_name() + "' does not support hotplugging";
    }
    // The guest answers by ejecting the slot (pci_slot_ejected), or never.
    hotplug->request_unplug(static_cast<unsigned>(bsel), function->slot());
    return "";
  }
  auto* usb = dynamic_cast<UsbDevice*>(device);
  if (!usb) {
    return "Device '" + id +
           "' cannot be unplugged (only USB devices, virtio-serial ports and PCI functions can, "
           "for now)";
  }
  for (UsbBus* bus : machine_->usb_buses()) {
    const std::string error = bus->detach(*usb);
    if (error.empty()) {
      machine_->remove_device(device);
      // As QEMU: a USB device is gone at once.
      qmp_event("DEVICE_DELETED", {{"device", id}, {"path", peripheral_path(id)}});
      return "";
    }
    if (error.rfind("the device is not on", 0) != 0) return error;
  }
  return "Device '" + id + "' is on no USB bus";
}

void MachineController::unplug_ports_of(VirtioSerial& serial) {
  // As QEMU: the ports go first, the newest first, each reported.
  std::vector<Device*> ports;
  for (Device* d : machine_->devices()) {
    auto* port = dynamic_cast<VirtioSerialPortHandle*>(d);
    if (port && &port->serial() == &serial) ports.insert(ports.begin(), d);
  }
  for (Device* d : ports) {
    const std::string id = d->id();
    static_cast<VirtioSerialPortHandle*>(d)->unplug();
    machine_->remove_device(d);
    if (!id.empty()) qmp_event("DEVICE_DELETED", {{"device", id}, {"path", peripheral_path(id)}});
  }
  std::erase(device_slots_->virtio_serial_buses, &serial);
}

void MachineController::pci_slot_ejected(PciBus& bus, unsigned slot) {
  for (unsigned fn = 0; fn < 8; ++fn) {
    PciDevice* function = bus.device(static_cast<uint8_t>(slot * 8 + fn));
    if (!function || !function->hotpluggable()) continue;
    bus.unplug(*function);
    if (auto* port = dynamic_cast<PcieRootPort*>(bus.upstream())) port->update_slot_state();
    if (auto* virtio = dynamic_cast<VirtioPci*>(function)) {
      if (auto* serial = dynamic_cast<VirtioSerial*>(&virtio->virtio())) unplug_ports_of(*serial);
    }
    const HeldBackends held = backends_of(*function);
    const std::string id = function->id();
    const bool virtio = dynamic_cast<VirtioPci*>(function) != nullptr;
    // Off the bus and out of the machine now; destroyed on the main loop, not
    // under the vCPU that is still in its port write, and only then are its
    // backends free for another device and the device reported gone.
    std::shared_ptr<Device> owned = machine_->take_device(function);
    loop_.post([this, owned, held, id, virtio]() mutable {
      owned.reset();
      if (!held.netdev.empty()) netdevs_->release(held.netdev);
      if (!held.drive.empty()) drives_->release(held.drive);
      if (id.empty()) return;
      // QEMU reports its virtio proxy's inner device first, by path only.
      if (virtio) qmp_event("DEVICE_DELETED", {{"path", peripheral_path(id) + "/virtio-backend"}});
      qmp_event("DEVICE_DELETED", {{"device", id}, {"path", peripheral_path(id)}});
    });
  }
}

}  // namespace vx86
