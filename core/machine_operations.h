// What both monitors (the human monitor and QMP) may do to the machine: the
// run state, the life-cycle commands and the device operations that each
// offers under its own name. The program implements it once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/input.h"

namespace vx86 {

// The outcome of a media command (eject, change): "" or QEMU's words;
// not_found marks QEMU's DeviceNotFound error class.
struct MediumResult {
  std::string error;
  bool not_found = false;
};

class MachineOperations {
 public:
  virtual ~MachineOperations() = default;
  // QEMU's run state name: "prelaunch" (-S, never started), "running",
  // "paused", "debug" (stopped by gdb), "shutdown" (-no-shutdown).
  virtual std::string run_state() const = 0;
  virtual void stop() = 0;
  virtual void cont() = 0;
  virtual void system_reset() = 0;
  // Returns false when the machine has no way to ask the guest to power off.
  virtual bool system_powerdown() = 0;
  virtual void quit() = 0;
  virtual unsigned cpu_count() const = 0;
  // The host thread running CPU cpu (`info cpus`, query-cpus-fast's
  // thread-id; a management tool pins vCPUs by it).
  virtual int64_t cpu_thread_id(unsigned cpu) { return 0; }
  // An NMI to every CPU, through its local APIC's LINT1 as a PC's NMI
  // button (QEMU's `nmi`, inject-nmi); "" or why it could not.
  virtual std::string inject_nmi() { return "this machine has no NMI line"; }
  // memsave/pmemsave: size bytes from addr (virtual, through CPU cpu's page
  // tables, or physical) into filename; "" or QEMU's words for the failure.
  virtual std::string save_memory(bool physical, unsigned cpu, uint64_t addr, uint64_t size,
                                  const std::string& filename) {
    return "there is no memory to save";
  }
  // Saves the display as a PPM image; returns "" or why it could not.
  virtual std::string screendump(const std::string& filename) {
    return "There is no console to take a screendump from";
  }
  // A NIC (by id, QEMU-style name or its netdev's id) loses or regains its
  // link; false if there is no such NIC.
  virtual bool set_link(const std::string& name, bool up) { return false; }
  // Presses the keys (HID usages) in order and releases them in reverse
  // hold_ms later; returns "" or why it could not.
  virtual std::string send_keys(const std::vector<uint16_t>& usages, unsigned hold_ms) {
    return "there is no keyboard";
  }
  // Input events for the guest's keyboards and pointers (QMP
  // input-send-event); returns "" or why they could not go.
  virtual std::string send_input_events(const std::vector<InputEvent>& events) {
    return "there are no input devices";
  }
  // The key with QEMU's "number" key code (an XT scan code), as a HID usage.
  virtual std::optional<uint16_t> key_of_number(unsigned number) { return std::nullopt; }
  // QMP query-mice / info mice, and mouse_set.
  virtual std::vector<InputRouter::Mouse> mice() { return {}; }
  virtual std::string select_mouse(unsigned index) {
    return "Mouse at index '" + std::to_string(index) + "' not found";
  }
  // -vnc: where the server listens and who is connected (QMP query-vnc,
  // info vnc); nullopt without one.
  struct VncEndpoint {
    std::string host, service, family;  // family: ipv4, ipv6 or unix
  };
  struct VncStatus {
    std::string auth;  // none or vnc
    VncEndpoint server;
    std::vector<VncEndpoint> clients;
  };
  virtual std::optional<VncStatus> vnc_status() { return std::nullopt; }
  // -uuid, for QMP query-uuid and info uuid (QEMU's all-zero one without).
  virtual std::string uuid() const { return "00000000-0000-0000-0000-000000000000"; }
  // QMP set_password / the monitor's change vnc password: false when there
  // is no VNC server with password=on (QEMU's "Could not set password").
  virtual bool set_vnc_password(const std::string& password) { return false; }
  // QMP expire_password: "now", "never", "+SECONDS" or seconds since the
  // epoch; "" or QEMU's error.
  virtual std::string expire_vnc_password(const std::string& time) {
    return "Could not set password expire time";
  }
  // QMP balloon: ask the guest's balloon driver to leave it `bytes` of
  // memory; query-balloon: what it has now. Nothing / an error without a
  // balloon device.
  virtual std::string set_balloon_target(uint64_t bytes) { return kNoBalloon; }
  virtual std::optional<uint64_t> balloon_actual() { return std::nullopt; }
  static constexpr const char* kNoBalloon = "No balloon device has been activated";
  // device_add: a device from "driver=TYPE,id=ID,prop=value..." while the
  // machine runs; device_del: the device with that id goes. Return "" or
  // why not.
  virtual std::string device_add(const std::string& options) {
    return "this machine takes no devices while it runs";
  }
  virtual std::string device_del(const std::string& id) { return "Device '" + id + "' not found"; }
  // netdev_add: a network backend from -netdev's option text or QMP's JSON
  // object (whose "fd" may name a getfd descriptor); netdev_del: the
  // backend `id` goes. Return "" or why not.
  virtual std::string netdev_add(const std::string& options) {
    return "this machine takes no network backends while it runs";
  }
  virtual std::string netdev_del(const std::string& id) { return "Device '" + id + "' not found"; }
  // blockdev-add: a block node from QMP's JSON object (-blockdev's keys);
  // blockdev-del: the node `node_name` goes. Return "" or why not.
  virtual std::string blockdev_add(const std::string& json) {
    return "this machine takes no block nodes while it runs";
  }
  virtual std::string blockdev_del(const std::string& node_name) {
    return "Failed to find node with node-name='" + node_name + "'";
  }
  // A CD-ROM drive's medium goes (the tray stays open) or a new one goes in.
  virtual MediumResult eject_medium(const std::string& device, bool force) {
    return {"Device '" + device + "' not found", true};
  }
  virtual MediumResult change_medium(const std::string& device, const std::string& file,
                                     const std::string& format, bool force) {
    return {"Device '" + device + "' not found", true};
  }
};

// How long sendkey and send-key hold keys unless told (QEMU's default).
constexpr unsigned kDefaultKeyHoldMs = 100;

}  // namespace vx86
