#include "hw/device_registry.h"

#include <sstream>
#include <stdexcept>

#include "hw/char/serial_16550.h"
#include "hw/misc/isa_debug_exit.h"

namespace vx86 {

namespace {

std::unique_ptr<Device> create_isa_debug_exit(IsaBus& bus, const KeyValues& props) {
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

std::unique_ptr<Device> create_isa_serial(IsaBus& bus, const KeyValues& props) {
  uint64_t iobase = props.get_number("iobase", 0x3f8);
  uint64_t irq = props.get_number("irq", 4);
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

}  // namespace

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
        {"iobase", OptType::kNumber, "0x3f8", "first I/O port"},
        {"irq", OptType::kNumber, "4", "ISA interrupt line"}},
       create_isa_serial},
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
