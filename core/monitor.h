// The human monitor (HMP) on a chardev: a line-oriented console with QEMU's
// command names, for a user at the terminal (-monitor, or Ctrl-A c on a muxed
// -nographic terminal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/chardev.h"

namespace vx86 {

class AddressSpace;

// The outcome of a media command (eject, change): "" or QEMU's words;
// not_found marks QEMU's DeviceNotFound error class.
struct MediumResult {
  std::string error;
  bool not_found = false;
};

// What the monitor may do to the machine; the program implements it.
class MonitorTarget {
 public:
  virtual ~MonitorTarget() = default;
  virtual bool running() const = 0;
  // QEMU's run state name ("running", "paused", "prelaunch", "debug",
  // "shutdown"), for `info status`.
  virtual std::string run_state() const { return running() ? "running" : "paused"; }
  virtual void stop() = 0;
  virtual void cont() = 0;
  virtual void system_reset() = 0;
  // Returns false when the machine has no way to ask the guest to power off.
  virtual bool system_powerdown() = 0;
  virtual void quit() = 0;
  virtual AddressSpace& memory() = 0;
  // The address spaces `info mtree` shows (memory, I/O, the bus masters' view).
  virtual std::vector<const AddressSpace*> address_spaces() { return {&memory()}; }
  virtual std::string describe_registers() = 0;
  // Saves the display as a PPM image; returns "" or why it could not.
  virtual std::string screendump(const std::string& filename) {
    return "There is no console to take a screendump from";
  }
  // `info lapic`: CPU cpu_index's local APIC, or why there is none to show.
  virtual std::string describe_local_apic(unsigned cpu_index) = 0;
  // `info block`: the drives and their images, in QEMU's layout.
  virtual std::string describe_block() { return ""; }
  // `info pci`: the PCI functions, in QEMU's layout.
  virtual std::string describe_pci() { return ""; }
  // `info network`: the NICs and their backends, in QEMU's layout.
  virtual std::string describe_network() { return ""; }
  // `set_link NAME on|off`: a NIC (by id, QEMU-style name or its netdev's
  // id) loses or regains its link; false if there is no such NIC.
  virtual bool set_link(const std::string& name, bool up) { return false; }
  // `hostfwd_add [NETDEV] RULE` / `hostfwd_remove [NETDEV] RULE` on a user
  // network backend ("" for the first); returns "" or why it could not.
  virtual std::string host_forward(bool add, const std::string& netdev, const std::string& rule) {
    return "there is no network backend";
  }
  // `sendkey`: presses the keys (HID usages) in order and releases them in
  // reverse hold_ms later; returns "" or why it could not.
  virtual std::string send_keys(const std::vector<uint16_t>& usages, unsigned hold_ms) {
    return "there is no keyboard";
  }
  // `eject [-f] DEVICE` and `change DEVICE FILE [FORMAT]`: a CD-ROM drive's
  // medium goes (the tray stays open) or a new one goes in.
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

class HumanMonitor : public CharFrontend {
 public:
  HumanMonitor(Chardev& chardev, MonitorTarget& target);

  std::size_t can_receive() override { return 256; }
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;

  // Runs one command line and returns its output (also used by tests).
  std::string execute(const std::string& line);
  // Prints the banner and the prompt (for a monitor that has its own chardev).
  void greet();

 private:
  void prompt();
  std::string info(const std::string& what, const std::string& arg);
  std::string examine_memory(const std::string& args);
  std::string send_key(const std::vector<std::string>& words);

  Chardev& chardev_;
  MonitorTarget& target_;
  std::string line_;
  bool greeted_ = false;
};

}  // namespace vx86
