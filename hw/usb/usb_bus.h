// A USB bus as -device sees it: the ports of one host controller (its root
// ports "1", "2", and those of hubs on it, "2.1"), named as QEMU names them
// ("usb-bus.0", or "ID.0" for a controller with id=ID), where devices plug
// in with bus= and port=.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vx86 {

class UsbDevice;

class UsbBus {
 public:
  // location gives the controller's PCI address ("0000:00:01.2"), which
  // starts the devices' serial-number suffixes.
  UsbBus(std::string name, std::function<std::string()> location);
  ~UsbBus();

  const std::string& name() const { return name_; }
  // The controller's Open Firmware path ("/pci@i0cf8/usb@1,2"), for bootindex.
  void set_firmware_path(std::string path) { firmware_path_ = std::move(path); }
  // Where device hangs as firmware names it, calling it `name` ("storage"):
  // ".../usb@1,2/hub@1/storage@3" for port 1.3. Empty if it is not here.
  std::string firmware_path(const UsbDevice& device, const std::string& name) const;

  // A port devices can use; attached is called when one plugs in (with the
  // device) and when it is unplugged (with null).
  void add_port(std::string path, std::function<void(UsbDevice*)> attached);
  // Plugs device into the port with that path ("" for the first free one;
  // when that is the last free port, a hub goes there first and the device
  // into the hub's first port, as QEMU does). A hub's ports join the bus.
  // Returns an error message for the user, or "".
  std::string attach(UsbDevice& device, const std::string& path);

  // Why attach(device, path) would fail, or "".
  std::string check_port(const std::string& path) const;
  // Unplugs device (device_del): its port shows the disconnection; a hub's
  // ports leave the bus. Returns an error message, or "" (a hub with devices
  // behind it stays).
  std::string detach(UsbDevice& device);

  struct Port {
    std::string path;
    UsbDevice* device = nullptr;
    std::function<void(UsbDevice*)> attached;
    unsigned plugged = 0;  // the order devices came in (1 first)
  };
  const std::vector<Port>& ports() const { return ports_; }

 private:
  std::string name_;
  std::function<std::string()> location_;
  std::string firmware_path_;
  std::vector<Port> ports_;
  std::vector<std::unique_ptr<UsbDevice>> hubs_;  // the ones the bus added itself
  unsigned plugged_ = 0;
};

// The monitor's `info usb`: each device on the buses (bus number as listed)
// in the order they were plugged in, in QEMU's layout, or QEMU's words
// when there is no USB bus.
std::string describe_usb_devices(const std::vector<UsbBus*>& buses);

}  // namespace vx86
