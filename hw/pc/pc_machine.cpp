#include "hw/pc/pc_machine.h"

#include <algorithm>
#include <sstream>

#include "core/options.h"
#include "hw/acpi/acpi_pm.h"
#include "hw/acpi/acpi_table_loader.h"
#include "hw/acpi/acpi_tables.h"
#include "hw/acpi/pci_hotplug.h"
#include "hw/acpi/piix4_pm.h"
#include "hw/acpi/reset_control.h"
#include "hw/block/pflash_cfi01.h"
#include "hw/char/serial_16550.h"
#include "hw/display/vga.h"
#include "hw/display/vga_pci.h"
#include "hw/i2c/smbus_ich9.h"
#include "hw/ide/ahci.h"
#include "hw/input/i8042.h"
#include "hw/input/ps2_input.h"
#include "hw/input/ps2_mouse.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/intc/msi_window.h"
#include "hw/isa/ich9_lpc.h"
#include "hw/misc/fpu_error_port.h"
#include "hw/misc/fw_cfg.h"
#include "hw/misc/port92.h"
#include "hw/misc/post_port.h"
#include "hw/pc/kernel_image.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/piix3.h"
#include "hw/pci/q35_host.h"
#include "hw/rtc/mc146818.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"
#include "hw/timer/port61.h"

namespace vx86 {

namespace {

constexpr uint64_t k1MiB = 1ull << 20;
constexpr uint64_t k4GiB = 1ull << 32;
constexpr uint64_t kLowFirmwareWindow = 128 * 1024;  // mapped again just below 1 MiB
constexpr uint64_t kNoFirmwareRomSize = 64 * 1024;   // HLT bytes when a kernel boots directly
constexpr uint8_t kHltOpcode = 0xf4;
constexpr uint64_t kAcpiTablesBase = 0xe0000;  // in the BIOS area, where Linux scans for the RSDP
constexpr uint64_t kAcpiTablesMax = 0x10000;
constexpr uint16_t kGpe0Base = 0xafe0;  // where QEMU's PIIX4 has it
constexpr unsigned kPciHotplugGpe = 1;
constexpr int kSciIrq = 9;
constexpr int kHpetFirstGsi = 20;

struct ComPort {
  uint64_t base;
  int irq;
};
constexpr ComPort kComPorts[] = {{0x3f8, 4}, {0x2f8, 3}, {0x3e8, 4}, {0x2e8, 3}};

}  // namespace

PcMachine::PcMachine(PcConfig config, Clocks& clocks, SystemControl& control)
    : clocks_(clocks),
      control_(control),
      chipset_(config.chipset),
      firmware_boot_(!config.firmware.empty()) {
  build_memory(config);
  build_isa(config);
  build_apics_and_acpi(config);
  build_pci(config);
  build_fw_cfg(config);
  if (config.firmware.empty()) install_smbios_without_firmware(config);
  if (flash_vars_) all_devices_.push_back(flash_vars_.get());
  if (!config.kernel.empty()) {
    kernel_ = std::move(config.kernel);
    initrd_modules_ = std::move(config.initrd_modules);
    if (initrd_modules_.empty() && !config.initrd.empty()) {
      initrd_modules_.push_back({"initrd", std::move(config.initrd)});
    }
    kernel_cmdline_ = config.kernel_cmdline;
    load_kernel();  // now, so that images that do not fit are refused before anything runs
  }
}

PcMachine::~PcMachine() = default;

uint64_t PcMachine::ram_below_4g(PcChipset chipset, uint64_t ram_size) {
  if (chipset == PcChipset::kQ35) {
    return std::min(ram_size, ram_size >= kEcamBase ? uint64_t{0x80000000} : kEcamBase);
  }
  return std::min(ram_size, kBelow4gLimit);
}

void PcMachine::build_memory(const PcConfig& config) {
  system_memory_ = MemoryRegion::container("system", UINT64_MAX);
  system_io_ = MemoryRegion::container("io", 0x10000);

  // One RAM block, shown through two aliases: below the PCI hole and above 4 GiB.
  ram_ = MemoryRegion::ram("pc.ram", config.ram_size);
  uint64_t below = ram_below_4g(chipset_, config.ram_size);
  ram_below_4g_ = MemoryRegion::alias("ram-below-4g", ram_.get(), 0, below);
  system_memory_->add_subregion(0, ram_below_4g_.get());
  if (config.ram_size > below) {
    ram_above_4g_ = MemoryRegion::alias("ram-above-4g", ram_.get(), below, config.ram_size - below);
    system_memory_->add_subregion(k4GiB, ram_above_4g_.get());
  }

  // Firmware at the top of 4 GiB (the reset vector is its last 16 bytes), and
  // its last 128 KiB again below 1 MiB, over RAM, as the chipset decodes it.
  uint64_t fw_size = config.firmware.empty() ? kNoFirmwareRomSize : config.firmware.size();
  firmware_ = MemoryRegion::rom("pc.bios", fw_size);
  if (config.firmware.empty()) {
    std::fill_n(firmware_->host_ptr(), fw_size, kHltOpcode);
  } else {
    std::copy(config.firmware.begin(), config.firmware.end(), firmware_->host_ptr());
  }
  system_memory_->add_subregion(k4GiB - fw_size, firmware_.get(), 1);
  uint64_t low = std::min(fw_size, kLowFirmwareWindow);
  firmware_low_alias_ = MemoryRegion::alias("isa-bios", firmware_.get(), fw_size - low, low);
  system_memory_->add_subregion(0x100000 - low, firmware_low_alias_.get(), 1);
  // The variable store's flash right below the firmware, as QEMU stacks its
  // pflash units down from 4 GiB.
  if (!config.flash_vars.empty()) {
    flash_vars_ = std::make_unique<PflashCfi01>(
        "system.flash1", config.flash_vars, config.flash_vars_read_only, config.flash_vars_persist);
    flash_vars_->map(*system_memory_, k4GiB - fw_size - flash_vars_->size(), 1);
  }

  // The CPUs' view: system memory, and (set_a20_wraps_memory) the first
  // megabyte again at 1 MiB while A20 is off.
  cpu_memory_ = MemoryRegion::container("cpu-memory", UINT64_MAX);
  cpu_system_alias_ =
      MemoryRegion::alias("cpu-system", system_memory_.get(), 0, system_memory_->size());
  cpu_memory_->add_subregion(0, cpu_system_alias_.get());
  a20_wrap_ = MemoryRegion::alias("a20-wrap", system_memory_.get(), 0, k1MiB);
  a20_wrap_->set_enabled(false);
  cpu_memory_->add_subregion(k1MiB, a20_wrap_.get(), 1);
  memory_space_ = std::make_unique<AddressSpace>("memory", cpu_memory_.get());
  io_space_ = std::make_unique<AddressSpace>("io", system_io_.get());
}

void PcMachine::build_isa(const PcConfig& config) {
  pic_ = std::make_unique<I8259>(nullptr);
  pic_->map(*system_io_);

  isa_.io = system_io_.get();
  for (int i = 0; i < 16; ++i) {
    isa_irqs_[i].add(&pic_->input(i));
    isa_.irqs[i] = &isa_irqs_[i].input();
  }
  isa_.clocks = &clocks_;
  isa_.control = &control_;
  isa_.find_chardev = config.find_chardev;

  // While the HPET is in legacy replacement mode, its timers 0 and 1 drive
  // IRQ 0 and 8 instead of the PIT and the RTC.
  pit_output_.set_handler([this](bool level) {
    if (!hpet_legacy_) isa_irqs_[0].input().set(level);
  });
  rtc_output_.set_handler([this](bool level) {
    if (!hpet_legacy_) isa_irqs_[8].input().set(level);
  });
  pit_ = std::make_unique<I8254>(clocks_, &pit_output_);
  pit_->map(*system_io_);
  port61_ = std::make_unique<Port61>(*pit_);
  port61_->map(*system_io_);

  rtc_ = std::make_unique<Mc146818Rtc>(clocks_, &rtc_output_, config.rtc_clock);
  rtc_->set_lost_tick_slew(config.rtc_slew);
  if (config.rtc_start) rtc_->set_time(*config.rtc_start);
  rtc_->map(*system_io_);
  // Memory size fields that BIOSes read from CMOS.
  uint64_t kib_above_1m = config.ram_size > (1u << 20) ? (config.ram_size >> 10) - 1024 : 0;
  uint64_t ext = std::min<uint64_t>(kib_above_1m, 0xffff);
  rtc_->set_cmos(0x15, 640 & 0xff);
  rtc_->set_cmos(0x16, 640 >> 8);
  rtc_->set_cmos(0x17, ext & 0xff);
  rtc_->set_cmos(0x18, ext >> 8);
  rtc_->set_cmos(0x30, ext & 0xff);
  rtc_->set_cmos(0x31, ext >> 8);
  uint64_t below = ram_below_4g(chipset_, config.ram_size);
  uint64_t above_16m = below > (16u << 20) ? (below - (16u << 20)) >> 16 : 0;
  above_16m = std::min<uint64_t>(above_16m, 0xffff);
  rtc_->set_cmos(0x34, above_16m & 0xff);
  rtc_->set_cmos(0x35, above_16m >> 8);
  uint64_t above_4g = config.ram_size > below ? (config.ram_size - below) >> 16 : 0;
  rtc_->set_cmos(0x5b, above_4g & 0xff);
  rtc_->set_cmos(0x5c, (above_4g >> 8) & 0xff);
  rtc_->set_cmos(0x5d, (above_4g >> 16) & 0xff);
  rtc_->set_cmos(0x5f, static_cast<uint8_t>(config.cpus - 1));
  // Equipment byte: math coprocessor present, VGA/EGA display.
  rtc_->set_cmos(0x14, 0x06);
  if (config.boot_once.empty()) {
    set_cmos_boot_order(config.boot_order);
  } else {
    set_cmos_boot_order(config.boot_once);
    boot_order_after_once_ = config.boot_order;
  }
  boot_strict_ = config.boot_strict;

  a20_from_i8042_.set_handler([this](bool level) {
    a20_i8042_ = level;
    update_a20(a20_i8042_ || a20_port92_);
  });
  a20_from_port92_.set_handler([this](bool level) {
    a20_port92_ = level;
    update_a20(a20_i8042_ || a20_port92_);
  });
  i8042_ = std::make_unique<I8042>(control_, isa_.irqs[1], isa_.irqs[12], &a20_from_i8042_);
  i8042_->map(*system_io_);
  ps2_keyboard_input_ = std::make_unique<Ps2KeyboardInput>(i8042_->keyboard());
  ps2_mouse_input_ = std::make_unique<Ps2MouseInput>(i8042_->mouse());
  input_.add(ps2_keyboard_input_.get());
  input_.add(ps2_mouse_input_.get());
  port92_ = std::make_unique<Port92>(control_, &a20_from_port92_);
  port92_->map(*system_io_);
  post_port_ = std::make_unique<PostPort>();
  post_port_->map(*system_io_);
  fpu_error_ = std::make_unique<FpuErrorPort>(isa_.irqs[13]);
  fpu_error_->map(*system_io_);
  if (config.vga) {
    vga_ = std::make_unique<Vga>();
    vga_->map(*system_memory_, *system_io_);
  }

  for (std::size_t i = 0; i < config.serials.size() && i < 4; ++i) {
    if (!config.serials[i]) continue;
    auto uart =
        std::make_unique<Serial16550>(clocks_, isa_.irqs[kComPorts[i].irq], config.serials[i]);
    uart->map(*system_io_, kComPorts[i].base);
    serials_.push_back(std::move(uart));
  }

  all_devices_ = {pic_.get(),   pit_.get(),    port61_.get(),    rtc_.get(),
                  i8042_.get(), port92_.get(), post_port_.get(), fpu_error_.get()};
  for (auto& s : serials_) all_devices_.push_back(s.get());
  if (vga_) all_devices_.push_back(vga_.get());
}

void PcMachine::build_apics_and_acpi(const PcConfig& config) {
  cpus_ = std::max(1u, config.cpus);
  apic_bus_ = std::make_unique<ApicBus>();
  for (unsigned i = 0; i < cpus_; ++i) {
    auto apic = std::make_unique<LocalApic>(clocks_, *apic_bus_, i, i == 0);
    apic->set_extint_source(pic_.get());
    apic->set_output_changed([this, i] {
      if (cpu_event_listener_) cpu_event_listener_(i);
    });
    all_devices_.push_back(apic.get());
    lapics_.push_back(std::move(apic));
  }
  apic_bus_->set_current_apic_resolver([this]() -> LocalApic* {
    unsigned i = current_cpu_ ? current_cpu_() : 0;
    return i < lapics_.size() ? lapics_[i].get() : lapics_[0].get();
  });
  system_memory_->add_subregion(LocalApic::kDefaultBase, apic_bus_->mmio_region());
  // The 8259's INTR reaches every CPU's LINT0 (ExtINT on the BSP).
  pic_->set_intr_listener([this](bool level) {
    for (auto& apic : lapics_) apic->lint(0).set(level);
    if (kernel_local_apics_ && cpu_event_listener_) cpu_event_listener_(0);
  });

  ioapic_ = std::make_unique<IoApic>(*apic_bus_, static_cast<uint8_t>(cpus_));
  ioapic_->map(*system_memory_);
  for (int i = 0; i < 16; ++i) isa_irqs_[i].add(&ioapic_->input(i == 0 ? 2 : i));
  all_devices_.push_back(ioapic_.get());
  for (std::size_t i = 0; i < shared_gsis_.size(); ++i)
    shared_gsis_[i].set_output(&ioapic_->input(kHpetFirstGsi + static_cast<int>(i)));

  if (config.hpet) build_hpet();

  AcpiPm::Config pm_config;
  pm_config.timer_32bit = true;
  pm_config.s5_sleep_type = 0;
  pm_config.sci_enabled = true;  // no SMI command port: always in ACPI mode
  acpi_pm_ = std::make_unique<AcpiPm>(clocks_, control_, isa_.irqs[kSciIrq], pm_config);
  // The PM1 registers go where the PIIX4 PM function's PMBA or the ICH9's
  // PMBASE puts them (build_pci); the PIIX4's GPE0 is fixed, as on QEMU's
  // machine, the ICH9's follows PMBASE.
  if (chipset_ == PcChipset::kI440fx) acpi_pm_->map_gpe(*system_io_, kGpe0Base);
  all_devices_.push_back(acpi_pm_.get());

  reset_control_ = std::make_unique<ResetControl>(control_);
  reset_control_->map(*system_io_);
  all_devices_.push_back(reset_control_.get());
}

// The HPET, its timers on IOAPIC pins 20-23 and, in legacy replacement
// mode, in place of the PIT's and RTC's ISA lines.
void PcMachine::build_hpet() {
  hpet_ = std::make_unique<Hpet>(clocks_);
  hpet_->map(*system_memory_);
  for (int pin = kHpetFirstGsi; pin < IoApic::kPins; ++pin)
    hpet_->connect_gsi(pin,
                       &shared_gsis_.at(static_cast<std::size_t>(pin - kHpetFirstGsi)).add_input());
  hpet_->set_legacy_lines(&isa_irqs_[0].input(), &isa_irqs_[8].input());
  hpet_->set_legacy_listener([this](bool legacy) {
    hpet_legacy_ = legacy;
    // Hand the lines over at their current levels.
    if (!legacy) {
      isa_irqs_[0].input().set(pit_output_.level());
      isa_irqs_[8].input().set(rtc_output_.level());
    }
  });
  all_devices_.push_back(hpet_.get());
}

AcpiConfig PcMachine::acpi_config() const {
  AcpiConfig acpi;
  acpi.cpus = cpus_;
  acpi.ioapic_id = static_cast<uint8_t>(cpus_);
  acpi.pm_base = chipset_ == PcChipset::kQ35 ? Ich9Lpc::kDefaultPmBase : Piix4Pm::kDefaultPmBase;
  acpi.sci_irq = kSciIrq;
  acpi.s5_sleep_type = 0;
  if (hpet_) {
    acpi.hpet_capabilities = static_cast<uint32_t>(hpet_->read(Hpet::kRegCapabilities, 4));
  } else {
    acpi.hpet_address = 0;  // no HPET table
  }
  acpi.pci = pci_bus_ != nullptr;
  if (acpi_pm_) acpi.gpe0_base = kGpe0Base;
  if (chipset_ == PcChipset::kQ35) {
    acpi.gpe0_base = static_cast<uint16_t>(Ich9Lpc::kDefaultPmBase + Ich9Lpc::kGpe0Offset);
    acpi.pci_express = true;
    acpi.ecam_base = kEcamBase;
    acpi.ecam_end_bus = static_cast<uint8_t>((kEcamSize >> 20) - 1);
    for (unsigned slot = 0; slot < PciBus::kSlots; ++slot) {
      for (unsigned pin = 1; pin <= 4; ++pin) {
        acpi.pci_intx_gsi.push_back(Ich9Lpc::kFirstPirqGsi +
                                    static_cast<uint32_t>(Ich9Lpc::pirq_of(slot, pin)));
      }
    }
  }
  if (pci_hotplug_) {
    acpi.pci_hotplug_base = q35_host_ ? AcpiPciHotplug::kIch9Base : AcpiPciHotplug::kDefaultBase;
    acpi.pci_hotplug_gpe = kPciHotplugGpe;
    for (unsigned bsel = 0; bsel < pci_hotplug_buses_.size(); ++bsel) {
      const PciBus* bus = pci_hotplug_buses_[bsel];
      if (!bus->upstream()) {
        acpi.pci_hotplug_slots = pci_hotplug_->hotpluggable_slots(bsel);
        continue;
      }
      // The devfns of the bridges from bus 0 down to this bus.
      std::vector<uint8_t> path;
      for (const PciBus* b = bus; b && b->upstream(); b = b->upstream()->bus()) {
        path.insert(path.begin(), b->upstream()->devfn());
        if (!b->upstream()->bus()) path.clear();  // not plugged in: nowhere
      }
      if (!path.empty()) {
        acpi.pci_hotplug_bridges.push_back({path, bsel, pci_hotplug_->hotpluggable_slots(bsel)});
      }
    }
  }
  return acpi;
}

void PcMachine::load_acpi_tables() {
  AcpiTables tables = build_acpi_tables(acpi_config(), kAcpiTablesBase);
  if (tables.blob.size() > kAcpiTablesMax) throw std::length_error("ACPI tables too large");
  memory_space_->load_buffer(kAcpiTablesBase, tables.blob.data(), tables.blob.size());
}

CpuInterruptSource& PcMachine::interrupts() {
  return *lapics_[0];
}

CpuLocalApic& PcMachine::local_apic(unsigned index) {
  return *lapics_.at(index);
}

std::string PcMachine::describe_interrupt_controllers() const {
  return ioapic_->describe() + pic_->describe();
}

CpuInterruptSource& PcMachine::pic() {
  return *pic_;
}

uint16_t PcMachine::pic_elcr() const {
  return static_cast<uint16_t>(pic_->master().elcr() | pic_->slave().elcr() << 8);
}

IoApic& PcMachine::ioapic() {
  return *ioapic_;
}

// Only the boot CPU's FERR# is wired, as the MultiProcessor Specification has it.
IrqLine* PcMachine::cpu_ferr(unsigned index) {
  return index == 0 ? &fpu_error_->ferr() : nullptr;
}

const IrqLine* PcMachine::cpu_ignne(unsigned index) const {
  return index == 0 ? &fpu_error_->ignne() : nullptr;
}

void PcMachine::set_cpu_event_listener(std::function<void(unsigned)> listener) {
  cpu_event_listener_ = std::move(listener);
}

void PcMachine::set_current_cpu(std::function<unsigned()> current_cpu) {
  current_cpu_ = std::move(current_cpu);
}

void PcMachine::set_a20_listener(std::function<void(bool)> listener) {
  a20_listener_ = std::move(listener);
}

void PcMachine::update_a20(bool enabled) {
  if (enabled == a20_enabled_) return;
  a20_enabled_ = enabled;
  if (a20_wraps_memory_) a20_wrap_->set_enabled(!enabled);
  if (a20_listener_) a20_listener_(enabled);
}

void PcMachine::set_a20_wraps_memory(bool wraps) {
  a20_wraps_memory_ = wraps;
  a20_wrap_->set_enabled(wraps && !a20_enabled_);
}

// Boot order as QEMU records it for SeaBIOS: a nibble per device (1 floppy,
// 2 disk, 3 CD-ROM, 4 network), the first two in 0x3D, the third in 0x38's
// high nibble (its bit 0 would skip the floppy signature check).
void PcMachine::set_cmos_boot_order(const std::string& order) {
  uint8_t boot[3] = {0, 0, 0};
  for (std::size_t i = 0; i < order.size() && i < 3; ++i) {
    switch (order[i]) {
      case 'a':
      case 'b':
        boot[i] = 1;
        break;
      case 'c':
        boot[i] = 2;
        break;
      case 'd':
        boot[i] = 3;
        break;
      case 'n':
        boot[i] = 4;
        break;
      default:
        break;
    }
  }
  rtc_->set_cmos(0x3D, static_cast<uint8_t>(boot[1] << 4 | boot[0]));
  rtc_->set_cmos(0x38, static_cast<uint8_t>(boot[2] << 4));
}

void PcMachine::remove_device(Device* device) {
  boot_order_.remove(device);
  std::erase(all_devices_, device);
  std::erase_if(extra_devices_,
                [&](const std::unique_ptr<Device>& d) { return d.get() == device; });
}

std::unique_ptr<Device> PcMachine::take_device(Device* device) {
  boot_order_.remove(device);
  std::erase(all_devices_, device);
  std::unique_ptr<Device> taken;
  for (auto& d : extra_devices_) {
    if (d.get() == device) taken = std::move(d);
  }
  std::erase(extra_devices_, nullptr);
  return taken;
}

int PcMachine::pci_hotplug_bsel(const PciBus& bus) const {
  for (std::size_t bsel = 0; bsel < pci_hotplug_buses_.size(); ++bsel) {
    if (pci_hotplug_buses_[bsel] == &bus) return static_cast<int>(bsel);
  }
  return -1;
}

void PcMachine::add_pci_hotplug_bus(PciBus& bus) {
  if (!pci_hotplug_ || pci_hotplug_bsel(bus) >= 0) return;
  pci_hotplug_buses_.push_back(&bus);
  pci_hotplug_->add_bus(hotpluggable_pci_slots(bus));
}

uint32_t PcMachine::hotpluggable_pci_slots() const {
  return pci_bus_ ? hotpluggable_pci_slots(*pci_bus_) : 0;
}

uint32_t PcMachine::hotpluggable_pci_slots(const PciBus& bus) const {
  // Bus 0's slot 0 is the host bridge's; a PCI Express link has slot 0 only;
  // a conventional bus behind a bridge has all 32.
  const unsigned first = bus.upstream() ? 0 : 1;
  const unsigned last = bus.express_link() ? 0 : PciBus::kSlots - 1;
  uint32_t slots = 0;
  for (unsigned slot = first; slot <= last; ++slot) {
    bool hotpluggable = true;
    for (unsigned fn = 0; fn < 8; ++fn) {
      const PciDevice* dev = bus.device(static_cast<uint8_t>(slot * 8 + fn));
      if (dev && !dev->hotpluggable()) hotpluggable = false;
    }
    if (hotpluggable) slots |= 1u << slot;
  }
  return slots;
}

void PcMachine::add_device(std::unique_ptr<Device> device) {
  device->realize();
  all_devices_.push_back(device.get());
  extra_devices_.push_back(std::move(device));
}

void PcMachine::reset() {
  // -boot once=: the first reset is the start itself; the next restores the
  // normal order (QEMU's restore_boot_order).
  if (boot_order_after_once_ && resets_++ > 0) {
    set_cmos_boot_order(*boot_order_after_once_);
    boot_order_after_once_.reset();
  }
  if (!boot_order_.empty() || boot_order_file_added_) {
    fw_cfg_->set_file("bootorder", boot_order_.file(boot_strict_));
    boot_order_file_added_ = true;
  }
  for (Device* d : all_devices_) d->reset();
  // The slots the DSDT offers follow the devices there at boot (a -device
  // that cannot be hot-plugged takes its slot away), as QEMU's tables do.
  if (pci_hotplug_) {
    for (unsigned bsel = 0; bsel < pci_hotplug_buses_.size(); ++bsel) {
      pci_hotplug_->set_hotpluggable_slots(bsel, hotpluggable_pci_slots(*pci_hotplug_buses_[bsel]));
    }
    AcpiFwCfgFiles acpi = build_acpi_fw_cfg_files(acpi_config());
    fw_cfg_->set_file("etc/acpi/rsdp", std::move(acpi.rsdp));
    fw_cfg_->set_file("etc/acpi/tables", std::move(acpi.tables));
    fw_cfg_->set_file("etc/table-loader", std::move(acpi.loader));
  }
  setup_pci_interrupts();
  // Firmware starts with its ROM write-protected.
  firmware_->set_readonly(true);
  // The kernel changed RAM while it ran; a reboot starts from the images again.
  if (!kernel_.empty()) load_kernel();
}

void PcMachine::load_kernel() {
  LinuxBootMemory layout;
  layout.ram_below_4g = ram_below_4g_->size();
  layout.ram_above_4g = ram_above_4g_ ? ram_above_4g_->size() : 0;
  layout.firmware_size = firmware_->size();
  // As SeaBIOS reserves it on the q35 (Linux trusts an ECAM window the map reserves).
  if (q35_host_) layout.reserved.push_back({kEcamBase, kEcamSize, E820Type::kReserved});
  layout.vga_text = vga_ != nullptr;
  layout.framebuffer = boot_framebuffer();
  boot_state_ =
      load_kernel_image(*memory_space_, layout, kernel_, initrd_modules_, kernel_cmdline_);
  load_acpi_tables();
}

std::optional<LinuxBootMemory::Framebuffer> PcMachine::boot_framebuffer() {
  if (!vga_pci_) return std::nullopt;
  // vga=N on the command line: the mode Linux's real-mode code would have
  // asked the VESA BIOS for; the last one counts, as for the kernel.
  std::optional<uint16_t> vga;
  std::istringstream words(kernel_cmdline_);
  for (std::string word; words >> word;) {
    if (word.rfind("vga=", 0) != 0) continue;
    auto n = parse_number(word.substr(4));
    vga = n && *n <= 0xffff ? std::optional<uint16_t>(static_cast<uint16_t>(*n)) : std::nullopt;
  }
  if (!vga) return std::nullopt;
  std::optional<FramebufferFormat> format = linux_vga_mode(*vga);
  if (!format) {
    std::fprintf(
        stderr,
        "vx86: vga=0x%x is not a VESA mode vx86 offers (0x30d-0x31b, 0x342-0x347); the console "
        "stays in text mode\n",
        *vga);
    return std::nullopt;
  }
  vga_pci_->firmware_map();
  vga_pci_->set_mode(*format);
  return LinuxBootMemory::Framebuffer{vga_pci_->framebuffer_address(), VgaPci::kFramebufferSize,
                                      *format, *vga};
}

void PcMachine::build_pci(const PcConfig& config) {
  build_pci_bus();
  if (chipset_ == PcChipset::kQ35) {
    build_q35_chipset(config);
  } else {
    build_i440fx_chipset(config);
  }
  // The standard VGA's PCI function where QEMU puts it: the first free slot,
  // 00:02.0 on the pc, 00:01.0 on the q35.
  if (vga_) {
    vga_pci_ = std::make_unique<VgaPci>();
    if (!config.vga_rom.empty()) vga_pci_->set_option_rom(config.vga_rom);
    pci_bus_->plug(*vga_pci_, pci::devfn(chipset_ == PcChipset::kQ35 ? 1 : 2, 0));
    vga_pci_->map_ports(*system_io_);
    vga_->set_vbe_window(vga_pci_.get());
    all_devices_.push_back(vga_pci_.get());
  }
}

void PcMachine::build_pci_bus() {
  // The windows sit below everything else (priority -1): RAM, ROM and the
  // chipset's own regions win over a BAR placed on them.
  pci_memory_window_ = MemoryRegion::container("pci-memory", UINT64_MAX);
  system_memory_->add_subregion(0, pci_memory_window_.get(), -1);
  pci_io_window_ = MemoryRegion::container("pci-io", 0x10000);
  system_io_->add_subregion(0, pci_io_window_.get(), -1);
  // Bus masters see system memory, except that 0xFEExxxxx is the MSI window
  // rather than a CPU's local APIC page.
  msi_window_ = std::make_unique<MsiWindow>(
      [this](uint64_t address, uint32_t data) { apic_bus_->deliver_msi(address, data); });
  pci_dma_root_ = MemoryRegion::container("pci-dma", UINT64_MAX);
  pci_dma_system_alias_ =
      MemoryRegion::alias("pci-dma-system", system_memory_.get(), 0, system_memory_->size());
  pci_dma_root_->add_subregion(0, pci_dma_system_alias_.get());
  pci_dma_root_->add_subregion(MsiWindow::kBase, msi_window_->region(), 1);
  pci_dma_space_ = std::make_unique<AddressSpace>("pci-dma", pci_dma_root_.get());
  pci_bus_ = std::make_unique<PciBus>(*pci_memory_window_, *pci_io_window_, *pci_dma_space_);
}

// 0xCF9 lies inside the CONFIG_ADDRESS dword: the host bridge forwards byte
// accesses to the reset control register.
static void route_port_cf9(MemoryRegion& io, ResetControl* reset_control, PciHostBridge& host) {
  if (reset_control && reset_control->region() && reset_control->region()->parent()) {
    io.remove_subregion(reset_control->region());
    host.set_port_cf9(reset_control);
  }
}

void PcMachine::build_i440fx_chipset(const PcConfig& config) {
  i440fx_ = std::make_unique<I440fxHost>();
  i440fx_->map_config_ports(*system_io_, *pci_bus_);
  i440fx_->connect_pam(*system_memory_, *ram_);
  route_port_cf9(*system_io_, reset_control_.get(), *i440fx_);
  pci_bus_->plug(*i440fx_, 0);

  piix3_ = std::make_unique<Piix3>(isa_.irqs);
  pci_bus_->plug(*piix3_, pci::devfn(1, 0));
  piix3_->connect(*pci_bus_);
  // With the IOAPIC, PIRQ A-D also reach GSI 16-19 directly (the ACPI _PRT).
  if (ioapic_) {
    for (int n = 0; n < PciBus::kPirqs; ++n) pirq_to_ioapic_[n] = &ioapic_->input(16 + n);
    piix3_->set_pirq_outputs(pirq_to_ioapic_);
  }
  all_devices_.push_back(i440fx_.get());
  all_devices_.push_back(piix3_.get());
  if (acpi_pm_) {
    piix4_pm_ = std::make_unique<Piix4Pm>(*acpi_pm_, *system_io_);
    pci_bus_->plug(*piix4_pm_, pci::devfn(1, 3));
    piix4_pm_->reset();  // maps the registers at PMBA's reset value
    all_devices_.push_back(piix4_pm_.get());
  }
  if (acpi_pm_ && config.pci_hotplug) {
    make_pci_hotplug(AcpiPciHotplug::kDefaultBase);
    pci_hotplug_buses_.push_back(pci_bus_.get());
    pci_hotplug_->add_bus(0);  // its slots are set at reset
  }
}

// QEMU's q35: the MCH at 00.0, the ICH9's LPC bridge at 1f.0, whose
// PMBASE places the ACPI registers, its AHCI controller at 1f.2 and SMBus
// controller at 1f.3; no ACPI hot-plug on pcie.0, as in QEMU.
void PcMachine::build_q35_chipset(const PcConfig& config) {
  q35_host_ = std::make_unique<Q35Host>(*pci_bus_, *system_memory_);
  q35_host_->map_config_ports(*system_io_, *pci_bus_);
  q35_host_->connect_pam(*ram_);
  route_port_cf9(*system_io_, reset_control_.get(), *q35_host_);
  pci_bus_->plug(*q35_host_, 0);
  all_devices_.push_back(q35_host_.get());

  ich9_lpc_ = std::make_unique<Ich9Lpc>(isa_.irqs, *acpi_pm_, *system_io_);
  pci_bus_->plug(*ich9_lpc_, pci::devfn(0x1f, 0));
  ich9_lpc_->connect(*pci_bus_);
  // PIRQ A-D reach GSI 16-19; E-H share 20-23 with the HPET's timers.
  std::array<IrqLine*, PciBus::kMaxPirqs> gsis{};
  for (int n = 0; n < 4; ++n) gsis[n] = &ioapic_->input(Ich9Lpc::kFirstPirqGsi + n);
  for (int n = 4; n < PciBus::kMaxPirqs; ++n) gsis[n] = &shared_gsis_[n - 4].add_input();
  ich9_lpc_->set_pirq_outputs(gsis);
  ich9_lpc_->reset();  // maps the ACPI registers at PMBASE's reset value
  all_devices_.push_back(ich9_lpc_.get());
  if (config.sata) {
    ahci_ = std::make_unique<AhciHba>();
    pci_bus_->plug(*ahci_, pci::devfn(0x1f, 2));
    all_devices_.push_back(ahci_.get());
  }
  if (config.smbus) {
    smbus_ = std::make_unique<SmbusIch9>();
    pci_bus_->plug(*smbus_, pci::devfn(0x1f, 3));
    all_devices_.push_back(smbus_.get());
  }
  // ACPI hot-plug for the root ports' buses (none on pcie.0, as QEMU's).
  if (config.pci_hotplug) make_pci_hotplug(AcpiPciHotplug::kIch9Base);
}

void PcMachine::make_pci_hotplug(uint64_t base) {
  pci_hotplug_ = std::make_unique<AcpiPciHotplug>(
      [this] { acpi_pm_->raise_gpe(kPciHotplugGpe); },
      [this](unsigned bsel, unsigned slot) {
        if (pci_eject_listener_ && bsel < pci_hotplug_buses_.size()) {
          pci_eject_listener_(*pci_hotplug_buses_[bsel], slot);
        }
      });
  pci_hotplug_->map(*system_io_, base);
  all_devices_.push_back(pci_hotplug_.get());
}

// fw_cfg, as QEMU's pc machine fills it for SeaBIOS: the memory size and
// map, the CPU count, no boot menu.
void PcMachine::build_fw_cfg(const PcConfig& config) {
  fw_cfg_ = std::make_unique<FwCfg>(*pci_dma_space_);
  fw_cfg_->map(*system_io_);
  fw_cfg_->add_u64(FwCfg::kRamSize, config.ram_size);
  fw_cfg_->add_u16(FwCfg::kNbCpus, static_cast<uint16_t>(config.cpus));
  fw_cfg_->add_u16(FwCfg::kMaxCpus, static_cast<uint16_t>(config.cpus));
  fw_cfg_->add_u16(FwCfg::kBootMenu, config.boot_menu ? 1 : 0);
  // etc/e820: the RAM ranges, {u64 address, u64 length, u32 type} each.
  std::vector<uint8_t> e820;
  auto add_range = [&e820](uint64_t address, uint64_t length) {
    for (unsigned i = 0; i < 8; ++i) e820.push_back(static_cast<uint8_t>(address >> (8 * i)));
    for (unsigned i = 0; i < 8; ++i) e820.push_back(static_cast<uint8_t>(length >> (8 * i)));
    for (unsigned i = 0; i < 4; ++i) e820.push_back(i == 0 ? 1 : 0);  // E820_RAM
  };
  const uint64_t below = ram_below_4g(chipset_, config.ram_size);
  add_range(0, below);
  if (config.ram_size > below) add_range(k4GiB, config.ram_size - below);
  fw_cfg_->add_file("etc/e820", std::move(e820));
  // The same ACPI tables a direct kernel boot gets, for firmware to load.
  AcpiFwCfgFiles acpi = build_acpi_fw_cfg_files(acpi_config());
  fw_cfg_->add_file("etc/acpi/rsdp", std::move(acpi.rsdp));
  fw_cfg_->add_file("etc/acpi/tables", std::move(acpi.tables));
  fw_cfg_->add_file("etc/table-loader", std::move(acpi.loader));
  // How long SeaBIOS waits before retrying a failed boot (-1: it does not),
  // and the boot menu's wait and picture, as QEMU gives them.
  std::vector<uint8_t> fail_wait(4);
  for (unsigned i = 0; i < 4; ++i) {
    fail_wait[i] = static_cast<uint8_t>(static_cast<uint64_t>(config.reboot_timeout) >> (8 * i));
  }
  fw_cfg_->add_file("etc/boot-fail-wait", std::move(fail_wait));
  if (config.splash_time) {
    fw_cfg_->add_file("etc/boot-menu-wait", {static_cast<uint8_t>(*config.splash_time & 0xff),
                                             static_cast<uint8_t>(*config.splash_time >> 8)});
  }
  if (!config.splash.empty()) fw_cfg_->add_file(config.splash_name, config.splash);
  // SMBIOS without a BIOS entry: SeaBIOS adds its own, as under QEMU.
  const SmbiosTables smbios = build_smbios_tables(smbios_config(config));
  fw_cfg_->add_file("etc/smbios/smbios-anchor", smbios_entry_point(smbios, 0));
  fw_cfg_->add_file("etc/smbios/smbios-tables", smbios.bytes);
  all_devices_.push_back(fw_cfg_.get());
}

SmbiosConfig PcMachine::smbios_config(const PcConfig& config) const {
  SmbiosConfig smbios;
  smbios.uuid = config.uuid;
  smbios.sockets = config.sockets;
  smbios.cores_per_socket =
      config.cores_per_socket ? config.cores_per_socket : config.cpus / config.sockets;
  smbios.threads_per_socket = config.cpus / config.sockets;
  smbios.cpuid_eax = config.cpuid_signature;
  smbios.cpuid_edx = config.cpuid_features;
  smbios.ram_size = config.ram_size;
  smbios.ram_below_4g = ram_below_4g_->size();
  smbios.ram_above_4g = ram_above_4g_ ? ram_above_4g_->size() : 0;
  smbios.user = config.smbios_fields;
  smbios.oem_strings = config.smbios_oem_strings;
  return smbios;
}

// With no firmware to install them, the entry point and the tables go at
// the start of the F segment (the ROM's low alias), where Linux scans for
// "_SM_". The BIOS entry says that vx86 loaded the kernel.
void PcMachine::install_smbios_without_firmware(const PcConfig& config) {
  SmbiosTables tables = build_smbios_tables(smbios_config(config));
  if (!config.smbios_fields.count(0)) {  // -smbios type=0 gave one
    prepend_smbios_bios_entry(&tables, "vx86", "direct kernel boot", "12/01/2026");
  }
  constexpr uint32_t kEntryPoint = 0xf0000, kTables = kEntryPoint + 0x20;
  const std::vector<uint8_t> entry = smbios_entry_point(tables, kTables);
  const uint64_t rom_base = 0x100000 - firmware_->size();
  if (kTables + tables.bytes.size() > 0xfff00) throw std::length_error("SMBIOS tables too large");
  std::copy(entry.begin(), entry.end(), firmware_->host_ptr() + (kEntryPoint - rom_base));
  std::copy(tables.bytes.begin(), tables.bytes.end(), firmware_->host_ptr() + (kTables - rom_base));
}

void PcMachine::key_event(uint16_t hid_usage, bool down) {
  const InputEvent event = InputEvent::key_event(hid_usage, down);
  input_.send({&event, 1});
}

void PcMachine::inject_nmi() {
  if (kernel_local_apics_) {
    // Physical destination 0xFF (all), delivery mode NMI.
    msi_window_->write(0xFF << 12, 4u << 8, 4);
    return;
  }
  for (auto& apic : lapics_) apic->signal_local(LocalApic::kLvtLint1);
}

bool PcMachine::press_power_button() {
  if (!acpi_pm_) return false;
  acpi_pm_->press_power_button();
  return true;
}

void PcMachine::set_msi_sink(std::function<void(uint64_t address, uint32_t data)> sink) {
  msi_window_->set_sink(std::move(sink));
}

void PcMachine::setup_pci_interrupts() {
  if (!pci_bus_) return;
  // As SeaBIOS: PIRQA/B on IRQ 10, PIRQC/D on IRQ 11 (and E-H the same on
  // the ICH9), level-triggered.
  static constexpr uint8_t kPirqIrqs[4] = {10, 10, 11, 11};
  auto route = [this](int pirq) {
    return ich9_lpc_ ? ich9_lpc_->route(pirq) : piix3_->route(pirq);
  };
  if (ich9_lpc_) {
    for (int n = 0; n < PciBus::kMaxPirqs; ++n) ich9_lpc_->set_route(n, kPirqIrqs[n % 4]);
    // And, with no firmware to do it, the ECAM window where SeaBIOS puts it.
    if (!firmware_boot_) q35_host_->enable_ecam(kEcamBase);
  } else {
    for (int n = 0; n < PciBus::kPirqs; ++n) piix3_->set_route(n, kPirqIrqs[n]);
  }
  pic_->slave().set_elcr(
      static_cast<uint8_t>(pic_->slave().elcr() | 1u << (10 - 8) | 1u << (11 - 8)));
  for (PciDevice* dev : pci_bus_->devices()) {
    unsigned pin = dev->config_byte(pci::kInterruptPin);
    if (pin < 1 || pin > 4) continue;
    int irq = route(pci_bus_->pirq_for(dev->slot(), pin));
    dev->config_write(pci::kInterruptLine, irq < 0 ? 0xff : static_cast<uint32_t>(irq), 1);
  }
  // As SeaBIOS again: the SCI is hard-wired to IRQ 9.
  if (piix4_pm_) piix4_pm_->config_write(pci::kInterruptLine, Piix4Pm::kSciIrq, 1);
}

}  // namespace vx86
