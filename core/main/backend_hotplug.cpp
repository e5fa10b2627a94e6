// The backends libvirt adds before it hot-plugs a device and removes after
// the device is gone: netdev_add / netdev_del (and, for disks,
// blockdev-add / blockdev-del), with QEMU's answers and refusals.
#include <cctype>
#include <string>

#include <nlohmann/json.hpp>

#include "core/device_lock.h"
#include "core/main/block_nodes.h"
#include "core/main/blockdev_graph.h"
#include "core/main/machine_controller.h"
#include "core/main/netdevs.h"

namespace vx86 {

namespace {

// An option parser's message ("netdev_add: invalid parameter 'x'") as QEMU's
// QMP puts it ("Parameter 'x' is unexpected").
std::string qmp_message(const std::string& option, std::string message) {
  if (message.rfind(option + ": ", 0) == 0) message.erase(0, option.size() + 2);
  const std::string invalid = "invalid parameter '";
  if (message.rfind(invalid, 0) == 0) {
    return "Parameter '" +
           message.substr(invalid.size(), message.find('\'', invalid.size()) - invalid.size()) +
           "' is unexpected";
  }
  if (!message.empty()) message[0] = static_cast<char>(std::toupper(message[0]));
  return message;
}

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string MachineController::netdev_add(const std::string& options) {
  if (!netdevs_) return "there is no machine yet";
  const std::string option = "netdev_add";
  std::string text = options;
  if (!text.empty() && text[0] == '{') {
    // QMP's object: an "fd" names a descriptor getfd kept (or is a number).
    nlohmann::ordered_json json = nlohmann::ordered_json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return "netdev_add takes a JSON object";
    if (json.contains("fd") && json["fd"].is_string()) {
      const std::string name = json["fd"].get<std::string>();
      auto it = named_fds_.find(name);
      if (it != named_fds_.end()) {
        json["fd"] = it->second;  // the backend owns it now
        named_fds_.erase(it);
      } else if (!all_digits(name)) {
        return "File descriptor named '" + name + "' has not been found";
      }
    }
    text = json.dump();
  }
  KeyValues kv;
  try {
    const std::string type =
        KeyValues::parse_structured(option, text, "type", {}).get_string("type");
    if (type.empty()) return "Parameter 'type' is missing";
    if (type != "user" && type != "tap") {
      return "Parameter 'type' does not accept value '" + type + "'";
    }
    kv = KeyValues::parse_structured(option, text, "type", netdev_option_keys(type));
  } catch (const OptionError& e) {
    return qmp_message(option, e.what());
  }
  const std::string id = kv.get_string("id");
  if (id.empty()) return "Parameter 'id' is missing";
  DeviceLockGuard lock;
  if (netdevs_->find(id)) return "Duplicate ID '" + id + "'";
  try {
    netdevs_->hot_add(kv);
  } catch (const std::runtime_error& e) {
    return qmp_message(option, e.what());
  }
  return "";
}

std::string MachineController::netdev_del(const std::string& id) {
  if (!netdevs_) return "Device '" + id + "' not found";
  DeviceLockGuard lock;
  return netdevs_->remove(id);
}

std::string MachineController::blockdev_add(const std::string& json) {
  if (!block_nodes_) return "there is no machine yet";
  const std::string option = "blockdev-add";
  KeyValues node;
  try {
    node = KeyValues::parse_structured(option, json, "", blockdev_keys());
  } catch (const OptionError& e) {
    return qmp_message(option, e.what());
  }
  DeviceLockGuard lock;
  return block_nodes_->add(node);
}

std::string MachineController::blockdev_del(const std::string& node_name) {
  if (!block_nodes_) return "Failed to find node with node-name='" + node_name + "'";
  DeviceLockGuard lock;
  return block_nodes_->remove(node_name);
}

}  // namespace vx86
