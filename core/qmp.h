// The QEMU Machine Protocol on a chardev (-qmp DEV, -mon chardev=ID,mode=control):
// JSON objects in both directions. The server greets, waits for
// qmp_capabilities, then runs commands ({"execute": NAME, "arguments": {...},
// "id": ANY}) and answers each with {"return": ...} or {"error": {"class",
// "desc"}}, echoing "id"; between answers it sends events ({"event",
// "data", "timestamp"}). Names, arguments, answers and error texts are
// QEMU's, so that scripts and libraries written for QEMU work unchanged.
#pragma once

#include <unistd.h>

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/chardev.h"
#include "core/json_stream.h"
#include "core/machine_operations.h"

namespace vx86 {

using Json = nlohmann::ordered_json;

// What QMP may ask of the machine beyond the operations it shares with the
// human monitor.
class QmpTarget : public virtual MachineOperations {
 public:
  // A human monitor command line, run as if typed at the monitor with CPU
  // cpu_index current.
  virtual std::string human_monitor_command(const std::string& line, unsigned cpu_index) = 0;
  virtual bool kvm_present() const = 0;
  virtual bool kvm_enabled() const = 0;
  // -name, or empty.
  virtual std::string vm_name() const = 0;
  // query-block's answer: the drives.
  virtual Json query_block() = 0;
  // query-pci's answer: QEMU's list of buses with their devices.
  virtual Json query_pci() = 0;
  // query-chardev's answer: label, filename and frontend-open of each chardev.
  virtual Json query_chardev() { return Json::array(); }
  // chardev-add: a chardev from QEMU's ChardevBackend JSON; the answer's
  // members ({"pty": PATH} for a pty). Sets error instead when refused.
  virtual Json chardev_add(const std::string& id, const Json& backend, std::string* error) {
    *error = "chardev-add is not available";
    return Json();
  }
  // getfd: keeps fd (now the target's) under name, closing one it replaces.
  virtual void add_named_fd(const std::string& name, int fd) { ::close(fd); }
  // closefd: "" or why not.
  virtual std::string close_named_fd(const std::string& name) {
    return "File descriptor named '" + name + "' not found";
  }
  // chardev-remove: "" or why not.
  virtual std::string chardev_remove(const std::string& id) {
    return "Chardev '" + id + "' not found";
  }
};

// A command's failure: QEMU's error class and its description.
struct QmpError {
  std::string error_class;  // GenericError, CommandNotFound, ...
  std::string desc;
};

class QmpServer : public CharFrontend {
 public:
  // vx86's version as query-version and the greeting report it.
  static constexpr int kVersionMajor = 0, kVersionMinor = 1, kVersionMicro = 0;

  // pretty: indented JSON (-qmp-pretty, -mon pretty=on).
  QmpServer(Chardev& chardev, QmpTarget& target, bool pretty = false);

  // Greets a client that is already there (stdio, a file, a socket that
  // waited for its client); a socket's later clients are greeted on connect.
  void start();

  std::size_t can_receive() override { return 4096; }
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;

  // Sends an event to a client that has negotiated capabilities. Any thread.
  void emit_event(const std::string& name, const Json& data = Json());

  // One JSON text from the client and the answer to it (null: none). Used by
  // receive() and by tests.
  Json handle(const std::string& text);

 private:
  struct Param {
    std::string name;
    Json::value_t type;  // object, array, string, number_integer or boolean
    bool required;
  };
  struct Command {
    std::vector<Param> params;
    std::function<Json(const Json& args)> run;  // throws QmpError
    // Takes members besides params (device_add: the device's properties).
    bool open_params = false;
  };
  void register_commands();
  Json execute(const std::string& name, const Json& args);
  void send(const Json& message);
  std::string text_of(const Json& message) const;
  Json greeting() const;

  Chardev& chardev_;
  QmpTarget& target_;
  JsonStreamSplitter splitter_;
  std::map<std::string, Command> commands_;
  std::mutex lock_;  // negotiated_ and the order of what is written
  bool negotiated_ = false;
  bool pretty_ = false;
};

}  // namespace vx86
