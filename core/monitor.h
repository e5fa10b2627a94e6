// The human monitor (HMP) on a chardev: a line-oriented console with QEMU's
// command names, for a user at the terminal (-monitor, or Ctrl-A c on a muxed
// -nographic terminal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/chardev.h"
#include "core/machine_operations.h"
#include "core/memory_dump.h"

namespace vx86 {

class AddressSpace;

// What the human monitor may do beyond the operations it shares with QMP:
// look into memory, registers and devices.
class MonitorTarget : public virtual MachineOperations {
 public:
  virtual AddressSpace& memory() = 0;
  // The address spaces `info mtree` shows (memory, I/O, the bus masters' view).
  virtual std::vector<const AddressSpace*> address_spaces() { return {&memory()}; }
  // `info registers`: CPU cpu's registers in QEMU's layout.
  virtual std::string describe_registers(unsigned cpu) = 0;
  // `info mem` (entries false) or `info tlb` (true): CPU cpu's page tables.
  virtual std::string describe_page_tables(unsigned cpu, bool entries) { return ""; }
  // Reads guest memory through CPU cpu's page tables; returns the bytes read
  // (it stops at an unmapped page).
  virtual std::size_t read_virtual(unsigned cpu, uint64_t vaddr, uint8_t* buf, std::size_t len) {
    return 0;
  }
  // `x /Ni`, `xp /Ni`: count instructions at addr in CPU cpu's code size.
  virtual std::string disassemble(unsigned cpu, uint64_t addr, unsigned count, bool physical) {
    return "";
  }
  // `gva2gpa`: the guest-physical address of vaddr through CPU cpu's page
  // tables, or nullopt where nothing is mapped.
  virtual std::optional<uint64_t> translate_virtual(unsigned cpu, uint64_t vaddr) {
    return std::nullopt;
  }
  // `i` and `o`: a port read or write of size bytes, as a CPU would make it.
  virtual uint64_t read_port(uint16_t port, unsigned size) { return ~uint64_t{0}; }
  virtual void write_port(uint16_t port, unsigned size, uint64_t value) {}
  // `gdbserver DEVICE`: the gdbstub, started now on a chardev spelling
  // (tcp::1234...); "" or why it could not.
  virtual std::string start_gdb_server(const std::string& device) {
    return "this machine has no debugger";
  }
  // A register of CPU cpu for address expressions ($pc, $eax, ...).
  virtual std::optional<uint64_t> register_value(unsigned cpu, const std::string& name) {
    return std::nullopt;
  }
  // `info lapic`: CPU cpu_index's local APIC, or why there is none to show.
  virtual std::string describe_local_apic(unsigned cpu_index) = 0;
  // `info pic`: the interrupt controllers' state, in QEMU's layout.
  virtual std::string describe_interrupt_controllers() { return ""; }
  // `info block`: the drives and their images, in QEMU's layout.
  virtual std::string describe_block() { return ""; }
  // `info pci`: the PCI functions, in QEMU's layout.
  virtual std::string describe_pci() { return ""; }
  // `info chardev`: "LABEL: filename=WHAT" for each chardev, as QEMU's.
  virtual std::string describe_chardevs() { return ""; }
  // `info network`: the NICs and their backends, in QEMU's layout.
  virtual std::string describe_network() { return ""; }
  // `info usb`: the USB devices, in QEMU's layout.
  virtual std::string describe_usb() { return "Error: USB support not enabled\n"; }
  // `hostfwd_add [NETDEV] RULE` / `hostfwd_remove [NETDEV] RULE` on a user
  // network backend ("" for the first); returns "" or why it could not.
  virtual std::string host_forward(bool add, const std::string& netdev, const std::string& rule) {
    return "there is no network backend";
  }
};

class HumanMonitor : public CharFrontend {
 public:
  HumanMonitor(Chardev& chardev, MonitorTarget& target);

  std::size_t can_receive() override { return 256; }
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;

  // Runs one command line and returns its output (also used by tests).
  std::string execute(const std::string& line);
  // The CPU `info registers`, `x` and the like look at (`cpu N` sets it).
  void set_current_cpu(unsigned cpu) { current_cpu_ = cpu; }
  // Prints the banner and the prompt (for a monitor that has its own chardev).
  void greet();

 private:
  void prompt();
  std::string info(const std::string& what, const std::string& arg);
  std::string examine_memory(const std::string& command, const std::string& args);
  std::string save_memory(const std::vector<std::string>& words);
  // The /FMT and the expressions after a command (print, i, o): the format
  // (QEMU's sticky defaults) and each expression's value, or the complaint.
  std::string parse_format_and_values(const std::string& command, const std::string& args,
                                      std::size_t value_count, DumpFormat* format,
                                      std::vector<uint64_t>* values);
  std::string print_value(const std::string& command, const std::string& args);
  std::string checksum(const std::string& args);
  std::string mouse(const std::vector<std::string>& words);
  std::string port_io(const std::string& command, const std::string& args);
  std::string set_log(const std::vector<std::string>& words);
  std::string send_key(const std::vector<std::string>& words);

  Chardev& chardev_;
  MonitorTarget& target_;
  std::string line_;
  bool greeted_ = false;
  unsigned current_cpu_ = 0;
  DumpDefaults dump_defaults_;
  unsigned mouse_buttons_ = 0;  // mouse_button's last state
};

}  // namespace vx86
