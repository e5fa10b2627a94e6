// The "pc" machine: RAM below and above 4 GiB, firmware at the top of the
// first 4 GiB (and its last 128 KiB at 0xE0000), and the legacy PC ISA
// devices at their standard ports. PCI (i440FX/PIIX3), APICs and ACPI come
// with the PC machine issue.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/boot_state.h"
#include "core/chardev.h"
#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/isa/isa_bus.h"

namespace vx86 {

class I8259;
class I8254;
class Port61;
class Mc146818Rtc;
class I8042;
class Port92;
class PostPort;
class Serial16550;

struct PcConfig {
  uint64_t ram_size = 128ull << 20;
  unsigned cpus = 1;
  // Firmware image: a multiple of 64 KiB, at most 16 MiB. May be empty when
  // booting a kernel directly: the reset vector then holds 64 KiB of HLT.
  std::vector<uint8_t> firmware;
  // Direct Linux boot (hw/pc/linux_boot.h): a bzImage, an optional initrd and
  // the command line, loaded on every reset. Empty kernel: firmware boot.
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;
  std::string kernel_cmdline;
  // COM1..COM4 backends; fewer entries mean fewer ports.
  std::vector<Chardev*> serials;
  std::function<Chardev*(const std::string& id)> find_chardev;
};

class PcMachine {
 public:
  static constexpr uint64_t kBelow4gLimit = 0xc0000000;  // RAM above this goes above 4 GiB

  PcMachine(const PcConfig& config, Clocks& clocks, SystemControl& control);
  ~PcMachine();
  PcMachine(const PcMachine&) = delete;
  PcMachine& operator=(const PcMachine&) = delete;

  AddressSpace& memory() { return *memory_space_; }
  AddressSpace& io() { return *io_space_; }
  CpuInterruptSource& interrupts();
  IsaBus& isa_bus() { return isa_; }

  // The CPU's INTR input changed (the runner wakes a halted vCPU).
  void set_intr_listener(std::function<void(bool level)> listener);
  // The A20 gate (port 0x92 or the i8042 output port) changed.
  void set_a20_listener(std::function<void(bool enabled)> listener);
  bool a20_enabled() const { return a20_enabled_; }

  // Adds a -device device, already configured and mapped.
  void add_device(std::unique_ptr<Device> device);
  // Puts every device in its power-on state (and reloads a direct-boot kernel).
  void reset();
  // The state vCPU 0 must be given after each reset for direct kernel boot;
  // empty for firmware boot (the CPU's own reset state is right then).
  const std::optional<BootCpuState>& boot_state() const { return boot_state_; }
  const std::vector<Device*>& devices() const { return all_devices_; }

 private:
  void build_memory(const PcConfig& config);
  void build_isa(const PcConfig& config);
  void update_a20(bool enabled);
  void load_kernel();

  Clocks& clocks_;
  SystemControl& control_;
  std::unique_ptr<MemoryRegion> system_memory_;
  std::unique_ptr<MemoryRegion> system_io_;
  std::unique_ptr<MemoryRegion> ram_;
  std::unique_ptr<MemoryRegion> ram_below_4g_;
  std::unique_ptr<MemoryRegion> ram_above_4g_;
  std::unique_ptr<MemoryRegion> firmware_;
  std::unique_ptr<MemoryRegion> firmware_low_alias_;
  std::unique_ptr<AddressSpace> memory_space_;
  std::unique_ptr<AddressSpace> io_space_;
  IsaBus isa_;

  std::unique_ptr<I8259> pic_;
  std::unique_ptr<I8254> pit_;
  std::unique_ptr<Port61> port61_;
  std::unique_ptr<Mc146818Rtc> rtc_;
  std::unique_ptr<I8042> i8042_;
  std::unique_ptr<Port92> port92_;
  std::unique_ptr<PostPort> post_port_;
  std::vector<std::unique_ptr<Serial16550>> serials_;
  std::vector<std::unique_ptr<Device>> extra_devices_;
  std::vector<Device*> all_devices_;

  IrqLine a20_from_port92_;
  IrqLine a20_from_i8042_;
  bool a20_port92_ = false;
  bool a20_i8042_ = true;
  bool a20_enabled_ = true;
  std::function<void(bool)> a20_listener_;
  std::function<void(bool)> intr_listener_;

  std::vector<uint8_t> kernel_;
  std::vector<uint8_t> initrd_;
  std::string kernel_cmdline_;
  std::optional<BootCpuState> boot_state_;
};

}  // namespace vx86
