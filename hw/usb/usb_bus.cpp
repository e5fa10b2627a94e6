#include "hw/usb/usb_bus.h"

#include <algorithm>

#include "hw/usb/usb_device.h"
#include "hw/usb/usb_hub.h"

namespace vx86 {

UsbBus::UsbBus(std::string name, std::function<std::string()> location)
    : name_(std::move(name)), location_(std::move(location)) {}

UsbBus::~UsbBus() = default;

void UsbBus::add_port(std::string path, std::function<void(UsbDevice*)> attached) {
  ports_.push_back({std::move(path), nullptr, std::move(attached)});
}

std::string UsbBus::check_port(const std::string& path) const {
  for (const Port& p : ports_) {
    if (path.empty() ? p.device == nullptr : p.path == path) {
      return p.device ? "port " + path + " of USB bus '" + name_ + "' is in use" : "";
    }
  }
  return path.empty() ? "no free port on USB bus '" + name_ + "'"
                      : "USB bus '" + name_ + "' has no port " + path;
}

std::string UsbBus::attach(UsbDevice& device, const std::string& path) {
  const auto free_ports = std::count_if(ports_.begin(), ports_.end(),
                                        [](const Port& p) { return p.device == nullptr; });
  if (path.empty() && free_ports == 1 && !dynamic_cast<UsbHub*>(&device)) {
    auto hub = std::make_unique<UsbHub>();
    const std::string error = attach(*hub, "");
    if (!error.empty()) return error;
    hubs_.push_back(std::move(hub));
  }
  const std::string error = check_port(path);
  if (!error.empty()) return error;
  Port* port = &*std::find_if(ports_.begin(), ports_.end(), [&](const Port& p) {
    return path.empty() ? p.device == nullptr : p.path == path;
  });
  port->device = &device;
  port->plugged = ++plugged_;
  const std::string where = port->path;  // add_ports may move the port list
  device.set_location(location_() + "-" + where);
  port->attached(&device);
  if (auto* hub = dynamic_cast<UsbHub*>(&device)) hub->add_ports(*this, where);
  return "";
}

std::string UsbBus::firmware_path(const UsbDevice& device, const std::string& name) const {
  for (const Port& p : ports_) {
    if (p.device != &device) continue;
    // Each step but the last is a hub's port.
    std::string path = firmware_path_;
    std::size_t begin = 0;
    for (std::size_t dot; (dot = p.path.find('.', begin)) != std::string::npos; begin = dot + 1) {
      path += "/hub@" + p.path.substr(begin, dot - begin);
    }
    return path + "/" + name + "@" + p.path.substr(begin);
  }
  return "";
}

std::string UsbBus::detach(UsbDevice& device) {
  auto port = std::find_if(ports_.begin(), ports_.end(),
                           [&](const Port& p) { return p.device == &device; });
  if (port == ports_.end()) return "the device is not on USB bus '" + name_ + "'";
  const std::string below = port->path + ".";
  const bool hub = dynamic_cast<UsbHub*>(&device) != nullptr;
  if (hub) {
    for (const Port& p : ports_) {
      if (p.path.rfind(below, 0) == 0 && p.device) {
        return "unplug the devices behind hub port " + port->path + " first";
      }
    }
  }
  port->device = nullptr;
  port->plugged = 0;
  port->attached(nullptr);
  if (hub) {
    std::erase_if(ports_, [&](const Port& p) { return p.path.rfind(below, 0) == 0; });
  }
  return "";
}

std::string describe_usb_devices(const std::vector<UsbBus*>& buses) {
  if (buses.empty()) return "Error: USB support not enabled\n";
  std::string out;
  for (std::size_t n = 0; n < buses.size(); ++n) {
    std::vector<const UsbBus::Port*> used;
    for (const UsbBus::Port& p : buses[n]->ports()) {
      if (p.device) used.push_back(&p);
    }
    std::sort(used.begin(), used.end(),
              [](const UsbBus::Port* a, const UsbBus::Port* b) { return a->plugged < b->plugged; });
    for (const UsbBus::Port* p : used) {
      // Every device vx86 has is full speed (12 Mb/s).
      out += "  Device " + std::to_string(n) + "." + std::to_string(p->device->address()) +
             ", Port " + p->path + ", Speed 12 Mb/s, Product " + p->device->product_name() +
             (p->device->id().empty() ? "" : ", ID: " + p->device->id()) + "\n";
    }
  }
  return out;
}

}  // namespace vx86
