#include "core/chardev_qapi.h"

#include <stdexcept>

namespace vx86 {

namespace {

// Commas in values are doubled, as on the command line.
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) out += c == ',' ? std::string(",,") : std::string(1, c);
  return out;
}

std::string string_member(const Json& object, const char* name, const std::string& where) {
  if (!object.contains(name)) {
    throw std::runtime_error("Parameter '" + where + name + "' is missing");
  }
  if (!object[name].is_string()) {
    throw std::runtime_error("Invalid parameter type for '" + where + name + "', expected: string");
  }
  return object[name].get<std::string>();
}

std::string on_off(const Json& data, const char* name, bool default_value) {
  const Json value = data.value(name, Json(default_value));
  if (!value.is_boolean()) {
    throw std::runtime_error(std::string("Invalid parameter type for 'backend.data.") + name +
                             "', expected: boolean");
  }
  return value.get<bool>() ? "on" : "off";
}

std::string socket_option(const std::string& id, const Json& data) {
  if (!data.contains("addr") || !data["addr"].is_object()) {
    throw std::runtime_error("Parameter 'backend.data.addr' is missing");
  }
  const Json& addr = data["addr"];
  const std::string type = string_member(addr, "type", "backend.data.addr.");
  const Json address = addr.value("data", Json::object());
  std::string text;
  if (type == "unix") {
    text = ",path=" + escaped(string_member(address, "path", "backend.data.addr.data."));
  } else if (type == "inet") {
    text = ",host=" + escaped(string_member(address, "host", "backend.data.addr.data.")) +
           ",port=" + escaped(string_member(address, "port", "backend.data.addr.data."));
  } else if (type == "fd") {
    // A number here; names come from getfd, which vx86 lacks.
    const std::string fd = string_member(address, "str", "backend.data.addr.data.");
    if (fd.empty() || fd.find_first_not_of("0123456789") != std::string::npos) {
      throw std::runtime_error("Failed to add chardev '" + id + "': File descriptor named '" + fd +
                               "' has not been found");
    }
    text = ",fd=" + fd;
  } else {
    throw std::runtime_error("Parameter 'backend.data.addr.type' does not accept value '" + type +
                             "'");
  }
  // QMP's defaults differ from -chardev's: a server that does not wait.
  text += ",server=" + on_off(data, "server", true) + ",wait=" + on_off(data, "wait", false);
  if (data.contains("nodelay")) text += ",nodelay=" + on_off(data, "nodelay", false);
  if (data.contains("reconnect")) {
    const Json& reconnect = data["reconnect"];
    if (!reconnect.is_number_integer() || reconnect.get<int64_t>() < 0) {
      throw std::runtime_error(
          "Invalid parameter type for 'backend.data.reconnect', expected: integer");
    }
    text += ",reconnect=" + data["reconnect"].dump();
  }
  return text;
}

}  // namespace

std::string chardev_option_from_backend(const std::string& id, const Json& backend) {
  if (!backend.is_object()) {
    throw std::runtime_error("Invalid parameter type for 'backend', expected: object");
  }
  const std::string type = string_member(backend, "type", "backend.");
  const Json data = backend.value("data", Json::object());
  if (!data.is_object()) {
    throw std::runtime_error("Invalid parameter type for 'backend.data', expected: object");
  }
  const std::string head = type + ",id=" + escaped(id);
  if (type == "null" || type == "pty") return head;
  if (type == "file") {
    std::string text = head + ",path=" + escaped(string_member(data, "out", "backend.data."));
    if (data.contains("append")) text += ",append=" + on_off(data, "append", false);
    return text;
  }
  if (type == "socket") return head + socket_option(id, data);
  static const char* const kQemuTypes[] = {
      "parallel", "pipe",      "udp",          "serial",   "stdio",   "console",
      "spicevmc", "spiceport", "qemu-vdagent", "vc",       "ringbuf", "memory",
      "braille",  "testdev",   "msmouse",      "wctablet", "dbus"};
  for (const char* known : kQemuTypes) {
    if (type == known) {
      throw std::runtime_error("chardev-add: backend '" + type +
                               "' is not available in vx86 (null, file, pty, socket are)");
    }
  }
  throw std::runtime_error("Parameter 'type' does not accept value '" + type + "'");
}

}  // namespace vx86
