// The "pc" machine (i440FX + PIIX3/PIIX4) and the "q35" machine (Q35 MCH +
// ICH9 LPC bridge, PCI Express configuration through ECAM): RAM below and above 4 GiB, firmware at
// the top of the first 4 GiB (and its last 128 KiB at 0xE0000), and the legacy PC ISA devices at
// their standard ports; a local APIC per CPU, the IOAPIC, HPET and ACPI power management, and (for
// a direct kernel boot) the ACPI tables.
//
// Interrupt routing: ISA IRQ n goes to the 8259 input n and to IOAPIC input n
// (IRQ 0 to input 2); the 8259's INTR goes to every local APIC's LINT0.
// HPET timers use IOAPIC inputs 20-23; PCI INTx uses 16-19 (see AcpiConfig)
// on the pc, PIRQ A-H on 16-23 on the q35 (E-H shared with the HPET's).
// The boot CPU's FERR# drives IRQ 13 through the port 0xF0 latch.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/boot_state.h"
#include "core/chardev.h"
#include "core/clock.h"
#include "core/device.h"
#include "core/input.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/acpi/acpi_tables.h"
#include "hw/isa/isa_bus.h"
#include "hw/pc/boot_order.h"
#include "hw/pc/kernel_image.h"
#include "hw/smbios/smbios_tables.h"

namespace vx86 {

class I8259;
class I8254;
class Port61;
class Mc146818Rtc;
class I8042;
class Ps2KeyboardInput;
class Ps2MouseInput;
class UsbBus;
class Port92;
class PostPort;
class FpuErrorPort;
class Serial16550;
class ApicBus;
class LocalApic;
class IoApic;
class MsiWindow;
class Hpet;
class Vga;
class VgaPci;
class FwCfg;
class AcpiPm;
class ResetControl;
class AcpiPciHotplug;
class Piix4Pm;
class CpuLocalApic;
class PciBus;
class I440fxHost;
class Piix3;
class Q35Host;
class Ich9Lpc;
class AhciHba;
class PflashCfi01;
class SmbusIch9;

// Which chipset the PC has: QEMU's pc (pc-i440fx-7.2) or q35 (pc-q35-7.2).
enum class PcChipset { kI440fx, kQ35 };

struct PcConfig {
  PcChipset chipset = PcChipset::kI440fx;
  uint64_t ram_size = 128ull << 20;
  unsigned cpus = 1;
  // -smp's sockets and the cores in each, 0: every CPU a core of one socket
  // (SMBIOS describes each socket).
  unsigned sockets = 1, cores_per_socket = 0;
  // Firmware image: a multiple of 64 KiB, at most 16 MiB. May be empty when
  // booting a kernel directly: the reset vector then holds 64 KiB of HLT.
  std::vector<uint8_t> firmware;
  // -drive if=pflash,unit=1: the firmware's variable store (OVMF_VARS.fd), a
  // flash just below the firmware; what the guest programs goes to
  // flash_vars_persist. Empty: none.
  std::vector<uint8_t> flash_vars;
  bool flash_vars_read_only = false;
  std::function<void(uint64_t offset, std::vector<uint8_t> bytes)> flash_vars_persist;
  // Direct kernel boot (hw/pc/kernel_image.h): a bzImage, PVH ELF or
  // multiboot kernel, an optional initrd and the command line, loaded on
  // every reset. Empty kernel: firmware boot. initrd_modules, when not
  // empty, replaces initrd: each -initrd file (multiboot takes several).
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;
  std::vector<BootModule> initrd_modules;
  std::string kernel_cmdline;
  // A VGA (text mode) at 0xB8000 and 0x3C0-0x3DF (-vga std, the default).
  bool vga = true;
  // The VGA's option ROM (a VGA BIOS such as SeaBIOS's vgabios-stdvga.bin),
  // in its expansion ROM BAR for firmware to run; empty: none.
  std::vector<uint8_t> vga_rom;
  // The firmware's boot order (QEMU's -boot letters) and boot menu.
  std::string boot_order = "cad";
  bool boot_menu = false;
  // -boot once=: the order for the first boot only; a reset restores boot_order.
  std::string boot_once;
  // -boot strict=on: the firmware boots only the devices with a bootindex.
  bool boot_strict = false;
  // -boot reboot-timeout=: ms before the firmware retries a failed boot
  // (-1: never, QEMU's default).
  int64_t reboot_timeout = -1;
  // -boot splash-time= (ms the boot menu waits) and splash= (its picture,
  // a JPEG or BMP: splash_name is fw_cfg's "bootsplash.jpg" or ".bmp").
  std::optional<uint16_t> splash_time;
  std::string splash_name;
  std::vector<uint8_t> splash;
  // COM1..COM4 backends; fewer entries mean fewer ports.
  std::vector<Chardev*> serials;
  std::function<Chardev*(const std::string& id)> find_chardev;
  // -rtc: the RTC's time base (clock=host, rt or vm) and, with base=, the
  // time it starts at (seconds since the epoch, as the RTC shows it).
  ClockType rtc_clock = ClockType::kHost;
  std::optional<int64_t> rtc_start;
  // -rtc driftfix=slew: missed periodic RTC interrupts are delivered later.
  bool rtc_slew = false;
  // The HPET at 0xFED00000 (-machine hpet=off / -no-hpet: none, and no ACPI table).
  bool hpet = true;
  // ACPI PCI hot-plug on bus 0 (-global PIIX4_PM.acpi-root-pci-hotplug=off: none).
  bool pci_hotplug = true;
  // The q35's AHCI controller at 00:1f.2 (-machine sata=off: none) and
  // SMBus controller at 00:1f.3 (-machine smbus=off: none).
  bool sata = true;
  bool smbus = true;
  // SMBIOS: -uuid (text order) and the vCPUs' CPUID leaf 1 EAX/EDX (the
  // processor ID of type 4).
  std::optional<std::array<uint8_t, 16>> uuid;
  uint32_t cpuid_signature = 0, cpuid_features = 0;
  // -smbios fields by type and type 11's strings (hw/smbios).
  std::map<unsigned, std::map<std::string, std::string>> smbios_fields;
  std::vector<std::string> smbios_oem_strings;
};

class PcMachine {
 public:
  static constexpr uint64_t kBelow4gLimit = 0xc0000000;  // RAM above this goes above 4 GiB
  // Where firmware (or vx86, booting a kernel directly) puts the q35's ECAM window.
  static constexpr uint64_t kEcamBase = 0xb0000000;
  static constexpr uint64_t kEcamSize = 256ull << 20;
  // How much RAM a machine puts below 4 GiB (QEMU's rule: the q35 keeps
  // 0xB0000000 and up for ECAM and PCI, or 2 GiB and up once RAM reaches that).
  static uint64_t ram_below_4g(PcChipset chipset, uint64_t ram_size);

  // Takes the config by value: the kernel and initrd images move into the
  // machine (kept for reset) instead of being held twice.
  PcMachine(PcConfig config, Clocks& clocks, SystemControl& control);
  ~PcMachine();
  PcMachine(const PcMachine&) = delete;
  PcMachine& operator=(const PcMachine&) = delete;

  AddressSpace& memory() { return *memory_space_; }
  AddressSpace& io() { return *io_space_; }
  CpuInterruptSource& interrupts();
  // The local APIC of CPU index (its interrupt source).
  CpuLocalApic& local_apic(unsigned index);
  unsigned cpu_count() const { return cpus_; }
  // The NMI button: every CPU's LINT1, which takes effect as its local APIC's
  // LVT entry says (firmware and Linux program it for NMI). KVM's in-kernel
  // local APICs get a broadcast NMI message instead. Call with the device lock held.
  void inject_nmi();
  // FERR# and IGNNE# of CPU index: the boot CPU's go to the IRQ 13 logic
  // (hw/misc/fpu_error_port.h); other CPUs get none (their x87 errors are #MF).
  IrqLine* cpu_ferr(unsigned index);
  const IrqLine* cpu_ignne(unsigned index) const;
  // A local APIC has something new for CPU index (wake or kick it).
  void set_cpu_event_listener(std::function<void(unsigned index)> listener);
  // Which CPU is making the current access (for the shared xAPIC page).
  void set_current_cpu(std::function<unsigned()> current_cpu);
  // KVM's in-kernel local APICs (kernel-irqchip=split) stand in for vx86's:
  // the 8259's INTR then also wakes CPU 0, which takes ExtINT from pic()
  // itself; the IOAPIC's messages go out through ioapic().set_msi_output().
  void use_kernel_local_apics() { kernel_local_apics_ = true; }
  CpuInterruptSource& pic();
  // The 8259s' ELCR: the master's in the low byte, the slave's in the high.
  uint16_t pic_elcr() const;
  // `info pic`: the IOAPIC's redirection table and the two 8259s, as QEMU shows them.
  std::string describe_interrupt_controllers() const;
  IoApic& ioapic();
  IsaBus& isa_bus() { return isa_; }
  Mc146818Rtc& rtc() { return *rtc_; }
  // The VGA, or null with -vga none.
  Vga* vga() { return vga_.get(); }
  // The VGA's PCI function with the linear framebuffer (null with -vga none).
  VgaPci* vga_pci() { return vga_pci_.get(); }
  // The user's keys and pointer go to the guest's input devices through
  // this: the PS/2 keyboard and mouse, and newer devices (USB) before them.
  // Call with the device lock held.
  InputRouter& input() { return input_; }
  // A key went down or up (a USB HID usage).
  void key_event(uint16_t hid_usage, bool down);
  // The USB buses (-usb's usb-bus.0 first); -device adds to it.
  std::vector<UsbBus*>& usb_buses() { return usb_buses_; }
  // The devices with a bootindex; fw_cfg's "bootorder" is made from it on
  // every reset (so device_add ones count from the next boot, as in QEMU).
  BootOrder& boot_order() { return boot_order_; }
  // PCI bus 0: the i440FX host bridge (00.0) and the PIIX3 ISA bridge (01.0),
  // or the Q35's MCH (00.0) and ICH9 LPC bridge (1f.0).
  PciBus& pci_bus() { return *pci_bus_; }
  PcChipset chipset() const { return chipset_; }
  // The q35's AHCI controller (00:1f.2), or null (the pc, or sata=off).
  AhciHba* ahci() { return ahci_.get(); }
  // Bus 0's name as QEMU gives it: pci.0 on the pc, pcie.0 on the q35.
  const char* pci_bus_name() const { return chipset_ == PcChipset::kQ35 ? "pcie.0" : "pci.0"; }
  // What PCI devices see when they master the bus: system memory, and MSIs
  // at 0xFEExxxxx, which go to vx86's APIC bus unless set_msi_sink routes
  // them elsewhere (KVM's local APICs).
  AddressSpace& pci_dma() { return *pci_dma_space_; }
  void set_msi_sink(std::function<void(uint64_t address, uint32_t data)> sink);

  // The A20 gate (port 0x92 or the i8042 output port) changed.
  void set_a20_listener(std::function<void(bool enabled)> listener);
  // For CPUs that cannot mask address line 20 themselves (KVM): while A20 is
  // off, the CPUs' view of [1 MiB, 2 MiB) shows the first megabyte again,
  // which is everything real-mode code reaches above 1 MiB (FFFF:0010 to
  // FFFF:FFFF). Odd megabytes higher up, which only protected-mode code with
  // A20 off could reach, are not wrapped: it would take a memory slot each.
  // Bus masters never see the wrap (A20M# is a CPU input).
  void set_a20_wraps_memory(bool wraps);
  bool a20_enabled() const { return a20_enabled_; }

  // Presses the ACPI power button (QMP system_powerdown); false when the
  // machine has no ACPI. Call with the device lock held.
  bool press_power_button();

  // Adds a -device device, already configured and mapped.
  void add_device(std::unique_ptr<Device> device);
  // Destroys a device add_device took, once nothing refers to it (device_del).
  void remove_device(Device* device);
  // Takes a device add_device took out of the machine and hands it over (a
  // PCI function the guest ejected, destroyed later, off the vCPU thread).
  std::unique_ptr<Device> take_device(Device* device);
  // ACPI PCI hot-plug (null without PCI or ACPI): of bus 0 on the pc, of
  // the root ports' buses on the q35. device_add tells it of a new function;
  // device_del asks the guest through it.
  AcpiPciHotplug* pci_hotplug() { return pci_hotplug_.get(); }
  // The hot-plug bus selector of `bus`, or -1 where nothing is hot-plugged.
  int pci_hotplug_bsel(const PciBus& bus) const;
  // Gives a bridge's bus hot-plug (the q35's ACPI hot-plug on bridges, as
  // QEMU's: a root port's slot 0, a pcie-pci-bridge's 32 slots); before the
  // machine's first reset.
  void add_pci_hotplug_bus(PciBus& bus);
  // Told of each slot the guest ejects (on its vCPU thread, under the device
  // lock): the machine's owner unplugs the functions there.
  void set_pci_eject_listener(std::function<void(PciBus& bus, unsigned slot)> listener) {
    pci_eject_listener_ = std::move(listener);
  }
  // Slots of bus 0 that hold only hot-pluggable functions, or none (bit N:
  // slot N); the host bridge's slot 0 never.
  uint32_t hotpluggable_pci_slots() const;
  // The same for any bus (a bridge's: from slot 0; a PCI Express link's:
  // slot 0 alone).
  uint32_t hotpluggable_pci_slots(const PciBus& bus) const;
  // Puts every device in its power-on state (and reloads a direct-boot kernel).
  void reset();
  // The state vCPU 0 must be given after each reset for direct kernel boot;
  // empty for firmware boot (the CPU's own reset state is right then).
  const std::optional<BootCpuState>& boot_state() const { return boot_state_; }
  const std::vector<Device*>& devices() const { return all_devices_; }

 private:
  void build_memory(const PcConfig& config);
  void build_isa(const PcConfig& config);
  void build_apics_and_acpi(const PcConfig& config);
  void build_pci(const PcConfig& config);
  void build_pci_bus();
  void build_i440fx_chipset(const PcConfig& config);
  void build_q35_chipset(const PcConfig& config);
  // The ACPI PCI hot-plug registers at `base`, raising GPE 1.
  void make_pci_hotplug(uint64_t base);
  void build_fw_cfg(const PcConfig& config);
  void build_hpet();
  // The SMBIOS tables QEMU's pc gives (hw/smbios), for fw_cfg and for a
  // direct kernel boot's F segment.
  SmbiosConfig smbios_config(const PcConfig& config) const;
  void install_smbios_without_firmware(const PcConfig& config);
  void set_cmos_boot_order(const std::string& order);
  // Maps the framebuffer and sets its mode for a vga= kernel command line.
  std::optional<LinuxBootMemory::Framebuffer> boot_framebuffer();
  // What firmware does on PCI (there is none with -kernel): PIRQ routes,
  // level-triggered ELCR bits and each function's interrupt line.
  void setup_pci_interrupts();
  void load_acpi_tables();
  AcpiConfig acpi_config() const;
  void update_a20(bool enabled);
  void load_kernel();

  Clocks& clocks_;
  SystemControl& control_;
  PcChipset chipset_ = PcChipset::kI440fx;
  bool firmware_boot_ = false;
  std::unique_ptr<MemoryRegion> system_memory_;
  std::unique_ptr<MemoryRegion> system_io_;
  std::unique_ptr<MemoryRegion> ram_;
  std::unique_ptr<MemoryRegion> ram_below_4g_;
  std::unique_ptr<MemoryRegion> ram_above_4g_;
  std::unique_ptr<MemoryRegion> firmware_;
  std::unique_ptr<MemoryRegion> firmware_low_alias_;
  std::unique_ptr<PflashCfi01> flash_vars_;
  std::unique_ptr<MemoryRegion> cpu_memory_;
  std::unique_ptr<MemoryRegion> cpu_system_alias_;
  std::unique_ptr<MemoryRegion> a20_wrap_;
  std::unique_ptr<AddressSpace> memory_space_;
  std::unique_ptr<AddressSpace> io_space_;
  IsaBus isa_;
  // Before the devices: USB input devices leave it when destroyed.
  InputRouter input_;
  std::unique_ptr<Ps2KeyboardInput> ps2_keyboard_input_;
  std::unique_ptr<Ps2MouseInput> ps2_mouse_input_;
  std::vector<UsbBus*> usb_buses_;
  BootOrder boot_order_;
  bool boot_strict_ = false;
  // -boot once=: the CMOS order to restore at the first reset after start.
  std::optional<std::string> boot_order_after_once_;
  unsigned resets_ = 0;
  bool boot_order_file_added_ = false;

  std::unique_ptr<I8259> pic_;
  std::unique_ptr<I8254> pit_;
  std::unique_ptr<Port61> port61_;
  std::unique_ptr<Mc146818Rtc> rtc_;
  std::unique_ptr<I8042> i8042_;
  std::unique_ptr<Port92> port92_;
  std::unique_ptr<PostPort> post_port_;
  std::unique_ptr<FpuErrorPort> fpu_error_;
  std::vector<std::unique_ptr<Serial16550>> serials_;
  std::unique_ptr<Vga> vga_;
  std::unique_ptr<VgaPci> vga_pci_;
  std::unique_ptr<FwCfg> fw_cfg_;
  std::vector<std::unique_ptr<Device>> extra_devices_;
  std::vector<Device*> all_devices_;

  IrqLine a20_from_port92_;
  IrqLine a20_from_i8042_;
  bool a20_port92_ = false;
  bool a20_i8042_ = true;
  bool a20_enabled_ = true;
  bool a20_wraps_memory_ = false;
  std::function<void(bool)> a20_listener_;
  unsigned cpus_ = 1;
  std::unique_ptr<ApicBus> apic_bus_;
  std::vector<std::unique_ptr<LocalApic>> lapics_;
  std::unique_ptr<IoApic> ioapic_;
  std::unique_ptr<Hpet> hpet_;
  std::unique_ptr<AcpiPm> acpi_pm_;
  std::unique_ptr<ResetControl> reset_control_;
  std::unique_ptr<Piix4Pm> piix4_pm_;  // 00:01.3, where the PM1 registers are placed
  std::unique_ptr<AcpiPciHotplug> pci_hotplug_;
  std::vector<PciBus*> pci_hotplug_buses_;  // by bus selector
  std::function<void(PciBus&, unsigned)> pci_eject_listener_;
  // PCI: BARs are placed in windows below RAM, ROM and the chipset's regions.
  std::unique_ptr<MemoryRegion> pci_memory_window_;
  std::unique_ptr<MemoryRegion> pci_io_window_;
  std::unique_ptr<MsiWindow> msi_window_;
  std::unique_ptr<MemoryRegion> pci_dma_root_;
  std::unique_ptr<MemoryRegion> pci_dma_system_alias_;
  std::unique_ptr<AddressSpace> pci_dma_space_;
  std::unique_ptr<PciBus> pci_bus_;
  std::unique_ptr<I440fxHost> i440fx_;
  std::unique_ptr<Piix3> piix3_;
  std::array<IrqLine*, 4> pirq_to_ioapic_{};
  std::unique_ptr<Q35Host> q35_host_;
  std::unique_ptr<Ich9Lpc> ich9_lpc_;
  std::unique_ptr<AhciHba> ahci_;
  std::unique_ptr<SmbusIch9> smbus_;
  // IOAPIC inputs 20-23: the HPET's timers and, on the q35, PIRQ E-H.
  std::array<IrqOrGate, 4> shared_gsis_;
  // ISA IRQ n fans out to the 8259 and the IOAPIC.
  std::array<IrqSplitter, 16> isa_irqs_;
  // The PIT's and RTC's outputs, cut off while the HPET replaces them.
  IrqLine pit_output_;
  IrqLine rtc_output_;
  bool hpet_legacy_ = false;
  std::function<void(unsigned)> cpu_event_listener_;
  bool kernel_local_apics_ = false;
  std::function<unsigned()> current_cpu_;

  std::vector<uint8_t> kernel_;
  std::vector<BootModule> initrd_modules_;
  std::string kernel_cmdline_;
  std::optional<BootCpuState> boot_state_;
};

}  // namespace vx86
