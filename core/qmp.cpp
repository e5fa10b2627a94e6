#include "core/qmp.h"

#include <sys/time.h>
#include <cctype>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "core/key_names.h"

namespace vx86 {

namespace {

const char* type_name(Json::value_t type) {
  switch (type) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    default:
      return "integer";  // QEMU's name
  }
}

bool has_type(const Json& value, Json::value_t type) {
  // QMP's "int" is 64-bit signed: larger numbers are refused, as by QEMU.
  if (type == Json::value_t::number_integer) {
    return value.is_number_integer() &&
           !(value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX});
  }
  return value.type() == type;
}

Json error_reply(const QmpError& e) {
  return Json{{"error", Json{{"class", e.error_class}, {"desc", e.desc}}}};
}

QmpError generic(std::string desc) {
  return QmpError{"GenericError", std::move(desc)};
}

Json empty_object() {
  return Json::object();
}

// QEMU's KeyValue: {"type": "qcode", "data": NAME} or {"type": "number",
// "data": XT_SCAN_CODE}, as a HID usage (0 for a number no key has, which
// QEMU ignores too). what names the member in the error.
uint16_t parse_key_value(const Json& key, const std::string& what,
                         const std::function<std::optional<uint16_t>(unsigned)>& key_of_number) {
  const std::string type = key.is_object() ? key.value("type", "") : "";
  if (type == "number" && key.contains("data") && key["data"].is_number_integer()) {
    const int64_t number = key["data"].get<int64_t>();
    if (number < 0 || number > 0xffff) return 0;
    return key_of_number(static_cast<unsigned>(number)).value_or(0);
  }
  if (type != "qcode" || !key.contains("data") || !key["data"].is_string()) {
    throw generic("Parameter '" + what +
                  "' expects {\"type\": \"qcode\", \"data\": NAME} or {\"type\": "
                  "\"number\", \"data\": CODE}");
  }
  const std::string name = key["data"].get<std::string>();
  auto usage = hid_usage_of_key(name);
  if (!usage) throw generic("Parameter 'data' does not accept value '" + name + "'");
  return *usage;
}

// Member `index` of input-send-event's events: {"type": T, "data": {...}}.
// Errors name members by path, as QEMU's do ("events[0].data.value").
InputEvent parse_input_event(
    const Json& event, std::size_t index,
    const std::function<std::optional<uint16_t>(unsigned)>& key_of_number) {
  const std::string path = "events[" + std::to_string(index) + "]";
  if (!event.is_object()) {
    throw generic("Invalid parameter type for '" + path + "', expected: object");
  }
  for (const char* name : {"type", "data"}) {
    if (!event.contains(name)) throw generic("Parameter '" + path + "." + name + "' is missing");
  }
  if (!event["type"].is_string()) {
    throw generic("Invalid parameter type for '" + path + ".type', expected: string");
  }
  if (!event["data"].is_object()) {
    throw generic("Invalid parameter type for '" + path + ".data', expected: object");
  }
  const std::string type = event["type"].get<std::string>();
  const Json& data = event["data"];
  auto member = [&](const char* name, Json::value_t want, const char* what) -> const Json& {
    const std::string at = path + ".data." + name;
    if (!data.contains(name)) throw generic("Parameter '" + at + "' is missing");
    const Json& value = data[name];
    const bool ok =
        want == Json::value_t::number_integer ? value.is_number_integer() : value.type() == want;
    if (!ok) throw generic("Invalid parameter type for '" + at + "', expected: " + what);
    return value;
  };
  if (type == "key") {
    const bool down = member("down", Json::value_t::boolean, "boolean").get<bool>();
    const Json& key = member("key", Json::value_t::object, "object");
    return InputEvent::key_event(parse_key_value(key, "key", key_of_number), down);
  }
  if (type == "btn") {
    static const std::pair<const char*, InputButton> kButtons[] = {
        {"left", InputButton::kLeft},
        {"middle", InputButton::kMiddle},
        {"right", InputButton::kRight},
        {"wheel-up", InputButton::kWheelUp},
        {"wheel-down", InputButton::kWheelDown},
        {"side", InputButton::kSide},
        {"extra", InputButton::kExtra},
        {"wheel-left", InputButton::kWheelLeft},
        {"wheel-right", InputButton::kWheelRight}};
    const bool down = member("down", Json::value_t::boolean, "boolean").get<bool>();
    const std::string name = member("button", Json::value_t::string, "string").get<std::string>();
    for (const auto& [button_name, button] : kButtons) {
      if (name == button_name) return InputEvent::button_event(button, down);
    }
    throw generic("Parameter 'button' does not accept value '" + name + "'");
  }
  if (type == "rel" || type == "abs") {
    const std::string axis = member("axis", Json::value_t::string, "string").get<std::string>();
    if (axis != "x" && axis != "y") {
      throw generic("Parameter 'axis' does not accept value '" + axis + "'");
    }
    const int64_t value = member("value", Json::value_t::number_integer, "integer").get<int64_t>();
    const InputAxis which = axis == "x" ? InputAxis::kX : InputAxis::kY;
    const int clamped = static_cast<int>(std::clamp<int64_t>(value, INT32_MIN, INT32_MAX));
    return type == "rel" ? InputEvent::relative(which, clamped)
                         : InputEvent::absolute(which, clamped);
  }
  throw generic("Parameter 'type' does not accept value '" + type + "'");
}

}  // namespace

QmpServer::QmpServer(Chardev& chardev, QmpTarget& target, bool pretty)
    : chardev_(chardev), target_(target), pretty_(pretty) {
  register_commands();
}

Json QmpServer::greeting() const {
  Json version = {
      {"qemu", {{"micro", kVersionMicro}, {"minor", kVersionMinor}, {"major", kVersionMajor}}},
      {"package", "vx86"}};
  return Json{{"QMP", {{"version", version}, {"capabilities", Json::array()}}}};
}

void QmpServer::start() {
  send(greeting());
}

void QmpServer::chardev_event(ChardevEvent event) {
  if (event == ChardevEvent::kOpened || event == ChardevEvent::kClosed) {
    {
      std::lock_guard<std::mutex> guard(lock_);
      negotiated_ = false;  // each connection negotiates again
    }
    splitter_.reset();
  }
  if (event == ChardevEvent::kOpened) send(greeting());
}

std::string QmpServer::text_of(const Json& message) const {
  return message.dump(pretty_ ? 4 : -1) + "\r\n";
}

void QmpServer::send(const Json& message) {
  std::lock_guard<std::mutex> guard(lock_);
  chardev_.write(text_of(message));
}

void QmpServer::emit_event(const std::string& name, const Json& data) {
  timeval now{};
  gettimeofday(&now, nullptr);
  Json event = {{"timestamp", {{"seconds", now.tv_sec}, {"microseconds", now.tv_usec}}},
                {"event", name}};
  if (!data.is_null()) event["data"] = data;
  std::lock_guard<std::mutex> guard(lock_);
  if (negotiated_) chardev_.write(text_of(event));
}

void QmpServer::receive(const uint8_t* data, std::size_t len) {
  for (const std::string& text : splitter_.feed(data, len)) {
    Json reply = handle(text);
    if (!reply.is_null()) send(reply);
  }
}

Json QmpServer::handle(const std::string& text) {
  Json request;
  try {
    request = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann's message after its "[json.exception.parse_error.101] " prefix.
    std::string what = e.what();
    std::size_t at = what.find("] ");
    return error_reply(
        generic("JSON parse error, " + (at == std::string::npos ? what : what.substr(at + 2))));
  }
  Json id;
  try {
    if (!request.is_object()) throw generic("QMP input must be a JSON object");
    if (request.contains("id")) id = request["id"];
    for (const auto& [key, value] : request.items()) {
      if (key != "execute" && key != "arguments" && key != "id" && key != "control") {
        throw generic("QMP input member '" + key + "' is unexpected");
      }
    }
    if (!request.contains("execute")) throw generic("QMP input lacks member 'execute'");
    if (!request["execute"].is_string()) {
      throw generic("QMP input member 'execute' must be a string");
    }
    Json args = request.value("arguments", Json::object());
    if (!args.is_object()) throw generic("QMP input member 'arguments' must be an object");
    Json reply = {{"return", execute(request["execute"].get<std::string>(), args)}};
    if (!id.is_null()) reply["id"] = id;
    return reply;
  } catch (const QmpError& e) {
    Json reply = error_reply(e);
    if (!id.is_null()) reply["id"] = id;
    return reply;
  }
}

Json QmpServer::execute(const std::string& name, const Json& args) {
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (!negotiated_ && name != "qmp_capabilities") {
      throw QmpError{"CommandNotFound",
                     "Expecting capabilities negotiation with 'qmp_capabilities'"};
    }
  }
  auto it = commands_.find(name);
  if (it == commands_.end()) {
    throw QmpError{"CommandNotFound", "The command " + name + " has not been found"};
  }
  const Command& command = it->second;
  for (const auto& [key, value] : args.items()) {
    if (command.open_params) break;
    bool known = false;
    for (const Param& p : command.params) known = known || p.name == key;
    if (!known) throw generic("Parameter '" + key + "' is unexpected");
  }
  for (const Param& p : command.params) {
    if (!args.contains(p.name)) {
      if (p.required) throw generic("Parameter '" + p.name + "' is missing");
      continue;
    }
    if (!has_type(args[p.name], p.type)) {
      throw generic("Invalid parameter type for '" + p.name + "', expected: " + type_name(p.type));
    }
  }
  return command.run(args);
}

void QmpServer::register_commands() {
  using T = Json::value_t;
  commands_["qmp_capabilities"] = {
      {{"enable", T::array, false}}, [this](const Json& args) {
        std::lock_guard<std::mutex> guard(lock_);
        if (negotiated_) {
          throw QmpError{"CommandNotFound",
                         "Capabilities negotiation is already "
                         "complete, command ignored"};
        }
        // vx86 offers no optional capability (QEMU's "oob").
        for (const Json& cap : args.value("enable", Json::array())) {
          throw generic("Capability '" + (cap.is_string() ? cap.get<std::string>() : cap.dump()) +
                        "' not available");
        }
        negotiated_ = true;
        return empty_object();
      }};
  commands_["query-commands"] = {{}, [this](const Json&) {
                                   Json list = Json::array();
                                   for (const auto& [name, command] : commands_)
                                     list.push_back({{"name", name}});
                                   return list;
                                 }};
  commands_["query-version"] = {{}, [this](const Json&) { return greeting()["QMP"]["version"]; }};
  commands_["query-status"] = {
      {}, [this](const Json&) {
        std::string state = target_.run_state();
        return Json{{"status", state}, {"singlestep", false}, {"running", state == "running"}};
      }};
  commands_["query-name"] = {{}, [this](const Json&) {
                               std::string name = target_.vm_name();
                               return name.empty() ? empty_object() : Json{{"name", name}};
                             }};
  commands_["query-kvm"] = {
      {}, [this](const Json&) {
        return Json{{"enabled", target_.kvm_enabled()}, {"present", target_.kvm_present()}};
      }};
  commands_["query-chardev"] = {{}, [this](const Json&) { return target_.query_chardev(); }};
  // As libvirt hot-plugs a channel: chardev-add, then device_add (and
  // device_del, then chardev-remove).
  commands_["chardev-add"] = {
      {{"id", T::string, true}, {"backend", T::object, true}}, [this](const Json& args) {
        std::string error;
        Json answer = target_.chardev_add(args["id"].get<std::string>(), args["backend"], &error);
        if (!error.empty()) throw generic(error);
        return answer;
      }};
  commands_["chardev-remove"] = {{{"id", T::string, true}}, [this](const Json& args) {
                                   const std::string error =
                                       target_.chardev_remove(args["id"].get<std::string>());
                                   if (!error.empty()) throw generic(error);
                                   return empty_object();
                                 }};
  commands_["query-target"] = {{}, [](const Json&) { return Json{{"arch", "x86_64"}}; }};
  commands_["query-cpus-fast"] = {
      {}, [this](const Json&) {
        Json list = Json::array();
        for (unsigned i = 0; i < target_.cpu_count(); ++i) {
          list.push_back({{"thread-id", target_.cpu_thread_id(i)},
                          {"props", {{"core-id", 0}, {"thread-id", 0}, {"socket-id", i}}},
                          {"qom-path", "/machine/unattached/device[" + std::to_string(i) + "]"},
                          {"cpu-index", i},
                          {"target", "x86_64"}});
        }
        return list;
      }};
  commands_["stop"] = {{}, [this](const Json&) {
                         target_.stop();
                         return empty_object();
                       }};
  commands_["cont"] = {{}, [this](const Json&) {
                         target_.cont();
                         return empty_object();
                       }};
  commands_["system_reset"] = {{}, [this](const Json&) {
                                 target_.system_reset();
                                 return empty_object();
                               }};
  commands_["system_powerdown"] = {{}, [this](const Json&) {
                                     if (!target_.system_powerdown()) {
                                       throw generic(
                                           "this machine cannot ask the guest to power off (it "
                                           "has no ACPI power button)");
                                     }
                                     return empty_object();
                                   }};
  commands_["quit"] = {{}, [this](const Json&) {
                         target_.quit();
                         return empty_object();
                       }};
  commands_["screendump"] = {{{"filename", T::string, true},
                              {"device", T::string, false},
                              {"head", T::number_integer, false},
                              {"format", T::string, false}},
                             [this](const Json& args) {
                               const std::string format = args.value("format", "ppm");
                               if (format != "ppm") {
                                 throw generic("Parameter 'format' does not accept value '" +
                                               format + "' (vx86 writes ppm)");
                               }
                               const std::string error =
                                   target_.screendump(args["filename"].get<std::string>());
                               if (!error.empty()) throw generic(error);
                               return empty_object();
                             }};
  commands_["query-block"] = {{}, [this](const Json&) { return target_.query_block(); }};
  commands_["query-pci"] = {{}, [this](const Json&) { return target_.query_pci(); }};
  commands_["set_link"] = {{{"name", T::string, true}, {"up", T::boolean, true}},
                           [this](const Json& args) {
                             const std::string name = args["name"].get<std::string>();
                             if (!target_.set_link(name, args["up"].get<bool>())) {
                               throw QmpError{"DeviceNotFound", "Device '" + name + "' not found"};
                             }
                             return empty_object();
                           }};
  commands_["send-key"] = {
      {{"keys", T::array, true}, {"hold-time", T::number_integer, false}},
      [this](const Json& args) {
        std::vector<uint16_t> usages;
        for (const Json& key : args["keys"]) {
          usages.push_back(parse_key_value(
              key, "keys", [this](unsigned n) { return target_.key_of_number(n); }));
        }
        if (usages.empty()) return empty_object();  // nothing to press, as QEMU
        const int64_t hold = args.value("hold-time", int64_t{kDefaultKeyHoldMs});
        if (hold < 0 || hold > 60000) throw generic("Parameter 'hold-time' must be 0 to 60000");
        const std::string error = target_.send_keys(usages, static_cast<unsigned>(hold));
        if (!error.empty()) throw generic(error);
        return empty_object();
      }};
  // QEMU's InputEvent union: key (a KeyValue), btn, rel and abs. device and
  // head choose a console in QEMU; vx86 has one, so they are taken and left.
  auto input_send_event = [this](const Json& args) {
    std::vector<InputEvent> events;
    for (const Json& event : args["events"]) {
      events.push_back(parse_input_event(event, events.size(),
                                         [this](unsigned n) { return target_.key_of_number(n); }));
    }
    // As QEMU: a paused guest would not see them.
    const std::string state = target_.run_state();
    if (state != "running" && state != "suspended") throw generic("VM not running");
    const std::string error = target_.send_input_events(events);
    if (!error.empty()) throw generic(error);
    return empty_object();
  };
  commands_["input-send-event"] = {{{"events", T::array, true},
                                    {"device", T::string, false},
                                    {"head", T::number_integer, false}},
                                   input_send_event};
  // device_add: the driver, an id and the device's properties, as -device
  // takes them (values may be strings, numbers or booleans); device_del by id.
  commands_["device_add"] = {
      {{"driver", T::string, true}, {"id", T::string, false}},
      [this](const Json& args) {
        std::string text = "driver=" + args["driver"].get<std::string>();
        for (const auto& [key, value] : args.items()) {
          if (key == "driver") continue;
          std::string v;
          if (value.is_string()) {
            v = value.get<std::string>();
          } else if (value.is_boolean()) {
            v = value.get<bool>() ? "on" : "off";
          } else if (value.is_number_integer()) {
            v = value.dump();
          } else {
            throw generic("Invalid parameter type for '" + key + "', expected: string");
          }
          // Commas in values are doubled, as on the command line.
          std::string escaped;
          for (char c : v) escaped += c == ',' ? std::string(",,") : std::string(1, c);
          text += "," + key + "=" + escaped;
        }
        const std::string error = target_.device_add(text);
        if (!error.empty()) throw generic(error);
        return empty_object();
      },
      true};
  auto device_del = [this](const Json& args) {
    const std::string id = args["id"].get<std::string>();
    const std::string error = target_.device_del(id);
    if (error == "Device '" + id + "' not found") {
      throw QmpError{"DeviceNotFound", error};  // QEMU's class
    }
    if (!error.empty()) throw generic(error);
    return empty_object();
  };
  commands_["device_del"] = {{{"id", T::string, true}}, device_del};
  // netdev_add: -netdev's keys as members (libvirt's attach-interface adds
  // the backend first); netdev_del by id.
  commands_["netdev_add"] = {{{"type", T::string, true}, {"id", T::string, false}},
                             [this](const Json& args) {
                               const std::string error = target_.netdev_add(args.dump());
                               if (!error.empty()) throw generic(error);
                               return empty_object();
                             },
                             true};
  // blockdev-add: -blockdev's keys as members (libvirt adds a disk's file
  // and format nodes this way before device_add); blockdev-del by node-name.
  commands_["blockdev-add"] = {{{"driver", T::string, true}, {"node-name", T::string, false}},
                               [this](const Json& args) {
                                 const std::string error = target_.blockdev_add(args.dump());
                                 if (!error.empty()) throw generic(error);
                                 return empty_object();
                               },
                               true};
  commands_["blockdev-del"] = {{{"node-name", T::string, true}}, [this](const Json& args) {
                                 const std::string error =
                                     target_.blockdev_del(args["node-name"].get<std::string>());
                                 if (!error.empty()) throw generic(error);
                                 return empty_object();
                               }};
  commands_["netdev_del"] = {{{"id", T::string, true}}, [this](const Json& args) {
                               const std::string id = args["id"].get<std::string>();
                               const std::string error = target_.netdev_del(id);
                               if (error == "Device '" + id + "' not found") {
                                 throw QmpError{"DeviceNotFound", error};  // QEMU's class
                               }
                               if (!error.empty()) throw generic(error);
                               return empty_object();
                             }};
  // getfd: the fd the client passed with this command (SCM_RIGHTS on a Unix
  // socket) kept under a name, for chardev-add's "fd" addresses.
  commands_["getfd"] = {
      {{"fdname", T::string, true}}, [this](const Json& args) {
        const std::string name = args["fdname"].get<std::string>();
        const int fd = chardev_.take_received_fd();
        if (fd < 0) throw generic("No file descriptor supplied via SCM_RIGHTS");
        if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
          ::close(fd);
          throw generic("Parameter 'fdname' expects a name not starting with a digit");
        }
        target_.add_named_fd(name, fd);
        return empty_object();
      }};
  commands_["closefd"] = {{{"fdname", T::string, true}}, [this](const Json& args) {
                            const std::string error =
                                target_.close_named_fd(args["fdname"].get<std::string>());
                            if (!error.empty()) throw generic(error);
                            return empty_object();
                          }};
  // A VNC server's clients as QEMU's VncClientInfo list.
  auto vnc_clients = [](const MachineOperations::VncStatus& status) {
    Json clients = Json::array();
    for (const auto& c : status.clients) {
      clients.push_back(
          {{"family", c.family}, {"service", c.service}, {"host", c.host}, {"websocket", false}});
    }
    return clients;
  };
  commands_["query-vnc"] = {{}, [this, vnc_clients](const Json&) {
                              const auto status = target_.vnc_status();
                              if (!status) return Json{{"enabled", false}};
                              const Json clients = vnc_clients(*status);
                              return Json{{"enabled", true},
                                          {"auth", status->auth},
                                          {"family", status->server.family},
                                          {"clients", clients},
                                          {"service", status->server.service},
                                          {"host", status->server.host}};
                            }};
  commands_["query-vnc-servers"] = {
      {}, [this, vnc_clients](const Json&) {
        const auto status = target_.vnc_status();
        Json servers = Json::array();
        if (!status) return servers;
        const Json clients = vnc_clients(*status);
        servers.push_back({{"auth", status->auth},
                           {"clients", clients},
                           {"server", Json::array({{{"auth", status->auth},
                                                    {"family", status->server.family},
                                                    {"service", status->server.service},
                                                    {"host", status->server.host},
                                                    {"websocket", false}}})},
                           {"id", "default"}});
        return servers;
      }};
  commands_["expire_password"] = {
      {{"protocol", T::string, true}, {"time", T::string, true}, {"display", T::string, false}},
      [this](const Json& args) {
        const std::string protocol = args["protocol"].get<std::string>();
        if (protocol != "vnc" && protocol != "spice") {
          throw generic("Parameter 'protocol' does not accept value '" + protocol + "'");
        }
        const std::string error = protocol == "vnc"
                                      ? target_.expire_vnc_password(args["time"].get<std::string>())
                                      : "Could not set password expire time";
        if (!error.empty()) throw generic(error);
        return empty_object();
      }};
  commands_["query-uuid"] = {{}, [this](const Json&) { return Json{{"UUID", target_.uuid()}}; }};
  commands_["set_password"] = {
      {{"protocol", T::string, true},
       {"password", T::string, true},
       {"connected", T::string, false},
       {"display", T::string, false}},
      [this](const Json& args) {
        const std::string protocol = args["protocol"].get<std::string>();
        if (protocol != "vnc" && protocol != "spice") {
          throw generic("Parameter 'protocol' does not accept value '" + protocol + "'");
        }
        if (protocol != "vnc" || !target_.set_vnc_password(args["password"].get<std::string>())) {
          throw generic("Could not set password");
        }
        return empty_object();
      }};
  commands_["query-mice"] = {{}, [this](const Json&) {
                               Json list = Json::array();
                               for (const InputRouter::Mouse& m : target_.mice()) {
                                 list.push_back({{"index", m.index},
                                                 {"name", m.name},
                                                 {"current", m.current},
                                                 {"absolute", m.absolute}});
                               }
                               return list;
                             }};
  commands_["balloon"] = {{{"value", T::number_integer, true}}, [this](const Json& args) {
                            const int64_t value = args["value"].get<int64_t>();
                            if (value <= 0) throw generic("Parameter 'target' expects a size");
                            const std::string error =
                                target_.set_balloon_target(static_cast<uint64_t>(value));
                            if (!error.empty()) throw QmpError{"DeviceNotActive", error};
                            return empty_object();
                          }};
  commands_["query-balloon"] = {
      {}, [this](const Json&) {
        const std::optional<uint64_t> actual = target_.balloon_actual();
        if (!actual) {
          throw QmpError{"DeviceNotActive", MachineOperations::kNoBalloon};
        }
        return Json{{"actual", *actual}};
      }};
  // eject / blockdev-change-medium name the drive by "device" (its -drive
  // id) or "id" (the device holding it); vx86's devices have no ids of
  // their own, so both name the drive.
  auto drive_named = [](const Json& args) {
    if (args.contains("device") == args.contains("id")) {
      throw generic("Need exactly one of 'device' and 'id'");
    }
    return args.contains("device") ? args["device"].get<std::string>()
                                   : args["id"].get<std::string>();
  };
  auto medium_result = [](const MediumResult& r) {
    if (r.error.empty()) return empty_object();
    throw QmpError{r.not_found ? "DeviceNotFound" : "GenericError", r.error};
  };
  commands_["eject"] = {
      {{"device", T::string, false}, {"id", T::string, false}, {"force", T::boolean, false}},
      [this, drive_named, medium_result](const Json& args) {
        return medium_result(target_.eject_medium(drive_named(args), args.value("force", false)));
      }};
  commands_["blockdev-change-medium"] = {
      {{"device", T::string, false},
       {"id", T::string, false},
       {"filename", T::string, true},
       {"format", T::string, false},
       {"force", T::boolean, false},
       {"read-only-mode", T::string, false}},
      [this, drive_named, medium_result](const Json& args) {
        const std::string mode = args.value("read-only-mode", "retain");
        if (mode != "retain" && mode != "read-only" && mode != "read-write") {
          throw generic("Parameter 'read-only-mode' does not accept value '" + mode + "'");
        }
        // A CD-ROM's medium is read-only whatever the mode asks, as in QEMU.
        return medium_result(
            target_.change_medium(drive_named(args), args["filename"].get<std::string>(),
                                  args.value("format", ""), args.value("force", false)));
      }};
  commands_["human-monitor-command"] = {
      {{"command-line", T::string, true}, {"cpu-index", T::number_integer, false}},
      [this](const Json& args) {
        const int64_t cpu = args.value("cpu-index", int64_t{0});
        if (cpu < 0 || cpu >= static_cast<int64_t>(target_.cpu_count())) {
          throw generic("Parameter 'cpu-index' expects a CPU number");
        }
        return Json(target_.human_monitor_command(args["command-line"].get<std::string>(),
                                                  static_cast<unsigned>(cpu)));
      }};
  commands_["inject-nmi"] = {{}, [this](const Json&) {
                               const std::string error = target_.inject_nmi();
                               if (!error.empty()) throw generic(error);
                               return empty_object();
                             }};
  // memsave (virtual addresses, through a CPU's page tables) and pmemsave.
  auto save_memory = [this](bool physical, const Json& args) {
    const int64_t cpu = args.value("cpu-index", int64_t{0});
    if (cpu < 0 || cpu >= static_cast<int64_t>(target_.cpu_count())) {
      throw generic("Parameter 'cpu-index' expects a CPU number");
    }
    const std::string error =
        target_.save_memory(physical, static_cast<unsigned>(cpu), args["val"].get<uint64_t>(),
                            args["size"].get<uint64_t>(), args["filename"].get<std::string>());
    if (!error.empty()) throw generic(error);
    return empty_object();
  };
  commands_["memsave"] = {{{"val", T::number_integer, true},
                           {"size", T::number_integer, true},
                           {"filename", T::string, true},
                           {"cpu-index", T::number_integer, false}},
                          [save_memory](const Json& args) { return save_memory(false, args); }};
  commands_["pmemsave"] = {{{"val", T::number_integer, true},
                            {"size", T::number_integer, true},
                            {"filename", T::string, true}},
                           [save_memory](const Json& args) { return save_memory(true, args); }};
}

}  // namespace vx86
