#include "core/main/machine_controller.h"

#include <unistd.h>
#include <cctype>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include <boost/asio/post.hpp>

#include "accel/kvm_accel.h"
#include "accel/tcg_accel.h"
#include "accel/tcg_vcpu.h"
#include "core/chardev_factory.h"
#include "core/chardev_mux.h"
#include "core/chardev_pty.h"
#include "core/chardev_qapi.h"
#include "core/device_lock.h"
#include "core/entropy_source.h"
#include "core/log.h"
#include "core/main/block_nodes.h"
#include "core/main/blockdev_graph.h"
#include "core/main/drives.h"
#include "core/main/netdevs.h"
#include "hw/device_registry.h"
#include "hw/display/vga.h"
#include "hw/display/vga_pci.h"
#include "hw/ide/ahci.h"
#include "hw/ide/piix_ide.h"
#include "hw/input/ps2_keyboard.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/intc/lapic_dump.h"
#include "hw/net/nic.h"
#include "hw/net/virtio_net.h"
#include "hw/pc/kernel_image.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pci_info.h"
#include "hw/rtc/mc146818.h"
#include "hw/usb/usb_bus.h"
#include "hw/usb/usb_device.h"
#include "hw/virtio/virtio_balloon.h"
#include "hw/virtio/virtio_pci.h"
#include "hw/virtio/virtio_serial.h"
#include "target-x86/cpu_dump.h"
#include "target-x86/cpu_state.h"
#include "target-x86/cpuid.h"
#include "target-x86/monitor_disassembler.h"
#include "target-x86/page_table_dump.h"
#include "ui/framebuffer_render.h"
#include "ui/ppm.h"
#include "ui/psf_font.h"
#include "ui/sdl_display.h"
#include "ui/text_render.h"
#include "ui/vnc_server.h"

namespace vx86 {

namespace {

// Reads in one piece, into a vector of exactly the file's size (kernel images
// stay in memory for resets).
std::vector<uint8_t> read_whole_file(const std::string& option, const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw OptionError(option + " " + path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw OptionError(option + " " + path + ": cannot open file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw OptionError(option + " " + path + ": cannot read file");
  std::vector<uint8_t> data(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(data.data()), size)) {
    throw OptionError(option + " " + path + ": cannot read file");
  }
  return data;
}

// Puts vCPU 0 where a direct-boot loader leaves it (core/boot_state.h).
void apply_boot_state(Vcpu& vcpu, const BootCpuState& boot) {
  CpuState& c = vcpu.state();
  auto flat = [](uint16_t selector, uint16_t type) {
    SegmentCache seg{};
    seg.selector = selector;
    seg.attrs = type | kSegAttrS | kSegAttrPresent | kSegAttrDB | kSegAttrG;
    seg.limit = 0xffffffff;
    seg.base = 0;
    return seg;
  };
  for (int i = 0; i < kSegCount; ++i) {
    c.segs[i] = flat(boot.data_selector, kSegAttrWritable | kSegAttrAccessed);
  }
  c.segs[kSegCS] = flat(boot.code_selector, kSegAttrCode | kSegAttrWritable | kSegAttrAccessed);
  c.gdtr.base = boot.gdt_base;
  c.gdtr.limit = boot.gdt_limit;
  // What firmware would have left: caches on, protection on, paging off.
  c.cr0 = kCr0PE | kCr0ET;
  for (uint64_t& r : c.regs) r = 0;
  c.regs[kRAX] = boot.rax;
  c.regs[kRBX] = boot.rbx;
  c.regs[kRSI] = boot.rsi;
  c.regs[kRSP] = boot.rsp;
  c.rip = boot.entry;
  load_eflags(c, 0, kFlagsDefined);  // interrupts off
  update_hflags(c);
  vcpu.sync_to_accel();
}

}  // namespace

MachineController::MachineController(const CmdlineOptions& options) : options_(options) {}

MachineController::~MachineController() {
  if (runner_) runner_->stop();
  for (const auto& [name, fd] : named_fds_) ::close(fd);
}

void MachineController::check_option_combinations() const {
  if (options_.machine != "pc" && options_.machine != "q35") {
    throw OptionError("-machine " + options_.machine + ": unknown machine ('-M help' lists them)");
  }
  // QEMU's default is on; the pc's SMBus is the PIIX4 PM function's, which
  // vx86 has not got yet, so only an explicit on is refused there (libvirt
  // never sets it).
  if (options_.machine == "pc" && options_.smbus.value_or(false)) {
    throw OptionError(
        "-machine smbus=on: the pc's SMBus controller (the PIIX4's) is not "
        "available yet");
  }
  // -device VGA: the machine's own std VGA, at 00:02.0 on the pc and 00:01.0
  // on the q35 (where QEMU puts it, and libvirt asks for it).
  if (options_.vga_from_device) {
    const bool q35 = options_.machine == "q35";
    const std::string bus = q35 ? "pcie.0" : "pci.0";
    const int slot = q35 ? 1 : 2;
    bool at_its_place = options_.vga_bus.empty() || options_.vga_bus == bus;
    if (!options_.vga_addr.empty()) {
      try {
        at_its_place = at_its_place && parse_pci_addr("-device VGA", options_.vga_addr) ==
                                           static_cast<int>(pci::devfn(slot, 0));
      } catch (const OptionError&) {
        at_its_place = false;
      }
    }
    if (!at_its_place) {
      throw OptionError("-device VGA: the VGA is at " + bus + " slot " + std::to_string(slot) +
                        " (others are not available yet)");
    }
  }
  if (options_.cpu_model != "host" && !x86::find_cpu_model(options_.cpu_model)) {
    throw OptionError("-cpu " + options_.cpu_model + ": unknown CPU model ('-cpu help')");
  }
  if (options_.kernel.empty() && !options_.initrd.empty()) {
    throw OptionError("-initrd: only allowed with -kernel");
  }
  if (options_.kernel.empty() && !options_.append.empty()) {
    throw OptionError("-append: only allowed with -kernel");
  }
}

void MachineController::defer(std::function<void()> fn) {
  boost::asio::post(loop_.io(), std::move(fn));
}

Chardev* MachineController::legacy_chardev(const std::string& option, const std::string& spec,
                                           const std::string& id, Chardev** monitor_port) {
  LegacyChardev legacy = parse_legacy_chardev_spec(option, spec, id);
  Chardev* chardev = nullptr;
  switch (legacy.kind) {
    case LegacyChardev::Kind::kNone:
      return nullptr;
    case LegacyChardev::Kind::kExisting: {
      auto it = chardevs_.find(legacy.existing_id);
      if (it == chardevs_.end()) {
        throw OptionError(option + " " + spec + ": no chardev with id '" + legacy.existing_id +
                          "'");
      }
      chardev = it->second.get();
      break;
    }
    case LegacyChardev::Kind::kNew: {
      auto created = create_chardev(*legacy.opts, loop_);
      chardev = created.get();
      chardevs_[id] = std::move(created);
      break;
    }
  }
  if (auto* mux = dynamic_cast<MuxChardev*>(chardev)) {
    mux->set_quit_handler([this] { defer([this] { finish(0); }); });
    if (legacy.with_monitor && monitor_port) *monitor_port = mux->add_frontend();
  }
  return chardev;
}

void MachineController::add_monitor(Chardev* chardev, bool greet) {
  auto monitor = std::make_unique<HumanMonitor>(*chardev, *this);
  chardev->set_frontend(monitor.get());
  if (greet) monitor->greet();
  monitors_.push_back(std::move(monitor));
}

void MachineController::add_qmp(Chardev* chardev, bool pretty) {
  auto server = std::make_unique<QmpServer>(*chardev, *this, pretty);
  chardev->set_frontend(server.get());
  server->start();
  qmp_servers_.push_back(std::move(server));
}

void MachineController::qmp_event(const std::string& name, const Json& data) {
  for (auto& server : qmp_servers_) server->emit_event(name, data);
}

void MachineController::create_chardevs() {
  for (const KeyValues& kv : options_.chardevs) {
    std::string id = kv.get_string("id");
    if (chardevs_.count(id)) throw OptionError("-chardev: duplicate id '" + id + "'");
    chardevs_[id] = create_chardev(kv, loop_);
    if (auto* mux = dynamic_cast<MuxChardev*>(chardevs_[id].get())) {
      mux->set_quit_handler([this] { defer([this] { finish(0); }); });
    }
  }
  std::vector<std::string> serials = options_.serials;
  // Without a graphical console the first serial port is the terminal; with
  // -nographic the terminal is muxed with the monitor (Ctrl-A c), as in QEMU.
  if (serials.empty() && !options_.no_defaults) {
    serials.push_back(options_.nographic ? "mon:stdio" : "stdio");
  }
  if (serials.size() > 4) throw OptionError("-serial: at most 4 serial ports");
  std::vector<Chardev*> monitor_ports;
  int index = 0;
  for (const std::string& spec : serials) {
    Chardev* monitor_port = nullptr;
    Chardev* backend =
        legacy_chardev("-serial", spec, "serial" + std::to_string(index), &monitor_port);
    if (spec == "none") continue;
    serial_backends_.push_back(backend);
    if (monitor_port) monitor_ports.push_back(monitor_port);
    ++index;
  }
  index = 0;
  for (const std::string& spec : options_.debugcons) {
    Chardev* monitor_port = nullptr;
    Chardev* backend =
        legacy_chardev("-debugcon", spec, "debugcon" + std::to_string(index++), &monitor_port);
    if (backend) debugcon_backends_.push_back(backend);
    if (monitor_port) monitor_ports.push_back(monitor_port);
  }
  for (Chardev* port : monitor_ports) add_monitor(port, false);
  // As QEMU names them: compat_monitor0, 1... for -monitor and -qmp alike.
  index = 0;
  for (const std::string& spec : options_.monitors) {
    Chardev* monitor_port = nullptr;
    Chardev* chardev =
        legacy_chardev("-monitor", spec, "compat_monitor" + std::to_string(index++), &monitor_port);
    if (!chardev) continue;
    if (monitor_port) {
      add_monitor(monitor_port, false);
    } else {
      add_monitor(chardev, true);
    }
  }
  for (std::size_t qmp = 0; qmp < options_.qmps.size(); ++qmp) {
    const std::string& spec = options_.qmps[qmp];
    const bool pretty = options_.qmp_pretty.count(qmp) > 0;
    Chardev* chardev = legacy_chardev(pretty ? "-qmp-pretty" : "-qmp", spec,
                                      "compat_monitor" + std::to_string(index++), nullptr);
    if (chardev) add_qmp(chardev, pretty);
  }
  for (const KeyValues& mon : options_.mons) {
    const std::string id = mon.get_string("chardev");
    auto it = chardevs_.find(id);
    if (it == chardevs_.end()) throw OptionError("-mon: no chardev with id '" + id + "'");
    if (mon.get_string("mode", "readline") == "control") {
      add_qmp(it->second.get(), mon.get_bool("pretty", false));
    } else {
      add_monitor(it->second.get(), true);
    }
  }
  qmp_hmp_ = std::make_unique<HumanMonitor>(qmp_hmp_output_, *this);
}

namespace {
// Debian's SeaBIOS and its VGA BIOS, as QEMU uses them.
constexpr char kDefaultBiosPath[] = "/usr/share/seabios/bios-256k.bin";
constexpr char kVgaBiosPath[] = "/usr/share/seabios/vgabios-stdvga.bin";
}  // namespace

// -boot splash=FILE: the boot menu's picture, a JPEG or a 24-bit BMP (what
// SeaBIOS can show), as fw_cfg's bootsplash.jpg or bootsplash.bmp.
void MachineController::load_splash(const std::string& path, PcConfig& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OptionError("-boot splash=" + path + ": cannot open file");
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const bool jpeg = data.size() >= 2 && data[0] == 0xff && data[1] == 0xd8;
  const bool bmp24 =
      data.size() >= 30 && data[0] == 'B' && data[1] == 'M' && data[28] == 24 && data[29] == 0;
  if (!jpeg && !bmp24) {
    throw OptionError("-boot splash=" + path +
                      ": format not recognized; must be JPEG or 24 bit BMP");
  }
  config.splash_name = jpeg ? "bootsplash.jpg" : "bootsplash.bmp";
  config.splash = std::move(data);
}

std::vector<uint8_t> MachineController::load_firmware() const {
  // Without -bios (and without -kernel) the pc machine boots SeaBIOS, as QEMU.
  const std::string path = options_.bios.empty() ? kDefaultBiosPath : options_.bios;
  std::ifstream in(path, std::ios::binary);
  if (!in && options_.bios.empty()) {
    throw OptionError(std::string("no firmware: ") + kDefaultBiosPath +
                      " is missing (Debian's seabios package); give -bios FILE or boot a Linux "
                      "kernel with -kernel FILE");
  }
  if (!in) throw OptionError("-bios " + path + ": cannot open file");
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty() || data.size() % 65536 != 0 || data.size() > (16u << 20)) {
    throw OptionError("-bios " + path +
                      ": firmware size must be a non-zero multiple of 64 KiB, at most 16 MiB "
                      "(it is " +
                      std::to_string(data.size()) + " bytes)");
  }
  return data;
}

void MachineController::create_devices() {
  machine_->set_pci_eject_listener(
      [this](PciBus& bus, unsigned slot) { pci_slot_ejected(bus, slot); });
  // Kept: device_add plugs devices in later through the same slots.
  device_slots_ = std::make_unique<DeviceSlots>();
  DeviceSlots& slots = *device_slots_;
  slots.isa = &machine_->isa_bus();
  slots.pci = &machine_->pci_bus();
  slots.pci_bus_name = machine_->pci_bus_name();
  slots.add_hotplug_bus = [this](PciBus& bus) { machine_->add_pci_hotplug_bus(bus); };
  slots.ram_size = options_.ram_size;
  slots.input = &machine_->input();
  slots.usb_buses = &machine_->usb_buses();
  slots.serial_port_changed = [this](const std::string& id, bool open) {
    event_throttle_.emit("VSERPORT_CHANGE", id, {{"id", id}, {"open", open}});
  };
  slots.claim_drive = [this](const std::string& id, const std::string& user) {
    block_nodes_->open_for_device(id);  // a node blockdev-add made: opened now
    return drives_->claim(id, user);
  };
  slots.claim_cdrom = [this](const std::string& id, const std::string& user,
                             const std::string& name) {
    return drives_->claim_cdrom(id, user, name);
  };
  slots.boot_order = &machine_->boot_order();
  slots.ide_controller = [this]() -> IdeController& {
    if (machine_->chipset() == PcChipset::kQ35) {
      if (!machine_->ahci()) {
        throw OptionError(
            "IDE disks and CD-ROMs (-drive if=ide, the default interface, -hda, -cdrom, -device "
            "ide-hd/ide-cd) go to the q35 machine's AHCI controller, which -machine sata=off "
            "took away");
      }
      return *machine_->ahci();
    }
    if (!ide_) {
      auto ide = std::make_unique<PiixIde>(machine_->isa_bus());
      machine_->pci_bus().plug(*ide, pci::devfn(1, 1));
      ide_ = ide.get();
      machine_->add_device(std::move(ide));
    }
    return *ide_;
  };
  slots.claim_netdev = [this](const std::string& id, const std::string& user) {
    return netdevs_->claim(id, user);
  };
  // -object rng-random / rng-builtin: entropy sources for virtio-rng-pci.
  std::map<std::string, std::shared_ptr<EntropySource>> rng_sources;
  for (const KeyValues& object : options_.objects) {
    const std::string type = object.get_string("qom-type"), id = object.get_string("id");
    const std::string option = "-object " + type + ",id=" + id;
    if (rng_sources.count(id)) throw OptionError(option + ": an object with this id exists");
    rng_sources[id] = type == "rng-random"
                          ? open_entropy_file(option, object.get_string("filename", "/dev/urandom"))
                          : make_builtin_entropy();
  }
  slots.find_rng = [rng_sources](const std::string& id) {
    auto it = rng_sources.find(id);
    if (it == rng_sources.end()) {
      throw OptionError("-device virtio-rng-pci: parameter 'rng': no -object with id '" + id + "'");
    }
    return it->second;
  };
  // -drive if=virtio: a virtio-blk-pci each, before the -device ones (as QEMU).
  for (const std::string& id : drives_->virtio_drives()) {
    const DeviceTypeInfo* type = find_device_type("virtio-blk-pci");
    KeyValues given = KeyValues::parse("-drive", "drive=" + id, "", {});
    machine_->add_device(
        type->create(slots, resolve_device_options(*type, given, options_.globals)));
  }
  // -drive if=ide, -hda, -cdrom: the PIIX3's IDE function (01.1) on the
  // pc, the AHCI controller's ports on the q35. -device ide-hd and ide-cd
  // go there too.
  if (!drives_->ide_drives().empty()) {
    IdeController& ide = slots.ide_controller();
    const unsigned units = drives_->ide_units_per_bus();
    for (const auto& d : drives_->ide_drives()) {
      ide.attach(d.index / units, d.index % units, d.drive,
                 d.cdrom ? IdeChannel::Media::kCdrom : IdeChannel::Media::kDisk);
    }
  }
  // -debugcon: an isa-debugcon on that chardev, at 0xe9 unless -global
  // isa-debugcon.iobase= says otherwise (how QEMU users get SeaBIOS's log).
  for (Chardev* backend : debugcon_backends_) {
    std::string id;
    for (const auto& [name, chardev] : chardevs_) {
      if (chardev.get() == backend) id = name;
    }
    const DeviceTypeInfo* type = find_device_type("isa-debugcon");
    KeyValues given = KeyValues::parse("-debugcon", "chardev=" + id, "", {});
    machine_->add_device(
        type->create(slots, resolve_device_options(*type, given, options_.globals)));
  }
  // -usb: the PIIX3's USB function (01.2), its bus usb-bus.0; -usbdevice
  // NAME plugs a HID device into it, before the -device ones (as QEMU).
  if (options_.usb && machine_->chipset() == PcChipset::kQ35) {
    throw OptionError(
        "-usb: the q35 machine's USB controllers (the ICH9's EHCI and UHCI) are not available "
        "yet: use -device piix3-usb-uhci,id=usb and bus=usb.0 for the USB devices");
  }
  if (options_.usb) {
    const DeviceTypeInfo* type = find_device_type("piix3-usb-uhci");
    KeyValues given = KeyValues::parse("-usb", "addr=1.2", "", {});
    machine_->add_device(
        type->create(slots, resolve_device_options(*type, given, options_.globals)));
  }
  for (const std::string& name : options_.usb_devices) {
    const DeviceTypeInfo* type = find_device_type(name == "keyboard" ? "usb-kbd"
                                                  : name == "mouse"  ? "usb-mouse"
                                                                     : "usb-tablet");
    KeyValues given = KeyValues::parse("-usbdevice", "", "", {});
    machine_->add_device(
        type->create(slots, resolve_device_options(*type, given, options_.globals)));
  }
  for (const KeyValues& given : options_.devices) {
    std::string driver = given.get_string("driver");
    const DeviceTypeInfo* type = find_device_type(driver);
    if (!type) {
      throw OptionError("-device " + driver + ": unknown device type ('-device help' lists them)");
    }
    KeyValues props = resolve_device_options(*type, given, options_.globals);
    auto device = type->create(slots, props);
    if (props.has("id")) device->set_id(props.get_string("id"));
    machine_->add_device(std::move(device));
  }
  // -nic, -net nic and the default NIC: after the -device ones, so that
  // their explicit slots are taken first.
  for (const NicRequest& nic : netdevs_->nics()) {
    const DeviceTypeInfo* type = find_device_type(nic.model);
    std::string text;
    if (!nic.netdev.empty()) text = "netdev=" + nic.netdev;
    if (!nic.mac.empty()) text += (text.empty() ? "mac=" : ",mac=") + nic.mac;
    KeyValues given = KeyValues::parse("-nic", text, "", {});
    machine_->add_device(
        type->create(slots, resolve_device_options(*type, given, options_.globals)));
  }
}

void MachineController::create_cpus() {
  accel_ = create_accelerator(options_.accel);
  accel_->init(options_.accel_opts ? &*options_.accel_opts : nullptr);
  CpuBus bus;
  bus.memory = &machine_->memory();
  bus.io = &machine_->io();
  bus.interrupts = &machine_->interrupts();
  bus.control = this;
  bus.clocks = &loop_.clocks();
  if (auto* tcg = dynamic_cast<TcgAccelerator*>(accel_.get())) {
    tcg->set_cpu_model(options_.cpu_model);
    tcg->set_tsc_hz(options_.tsc_frequency);
  }
  kvm::SplitIrqchip* kernel_lapics = nullptr;
  kvm::InKernelIrqchip* kernel_irqchip = nullptr;
  if (auto* kvm = dynamic_cast<KvmAccelerator*>(accel_.get())) {
    kvm->set_cpu_model(options_.cpu_model);
    kvm->set_tsc_khz(static_cast<uint32_t>(options_.tsc_frequency / 1000));
    kernel_lapics = kvm->split_irqchip();
    kernel_irqchip = kvm->in_kernel_irqchip();
  }
  if (kernel_irqchip) {
    // KVM's 8259s and IOAPIC: every line, as vx86's IOAPIC inputs see it.
    machine_->ioapic().set_input_listener(
        [kernel_irqchip](int pin, bool level) { kernel_irqchip->set_ioapic_input(pin, level); });
    kernel_irqchip->set_ioapic_id(machine_->ioapic().id());
    // KVM's 8259s take the guest's ELCR writes; the ELCR the machine set up
    // (PCI's IRQs level-triggered, as firmware would) is copied once.
    const uint16_t elcr = machine_->pic_elcr();
    kernel_irqchip->set_elcr(static_cast<uint8_t>(elcr), static_cast<uint8_t>(elcr >> 8));
    machine_->set_msi_sink([kernel_irqchip](uint64_t address, uint32_t data) {
      kernel_irqchip->send_msi(kvm::MsiMessage{address, data});
    });
  }
  if (kernel_lapics) {
    // KVM's local APICs: vx86's IOAPIC sends MSIs and gets their EOIs back.
    machine_->use_kernel_local_apics();
    IoApic& ioapic = machine_->ioapic();
    ioapic.set_msi_output([kernel_lapics](int pin, uint64_t address, uint32_t data) {
      kernel_lapics->send_ioapic_message(pin, kvm::MsiMessage{address, data});
    });
    kernel_lapics->set_eoi_listener([&ioapic](uint8_t vector) { ioapic.end_of_interrupt(vector); });
    // PCI devices' MSIs too.
    machine_->set_msi_sink([kernel_lapics](uint64_t address, uint32_t data) {
      kernel_lapics->send_msi(kvm::MsiMessage{address, data});
    });
  }
  bus.topology = options_.smp;
  std::vector<std::unique_ptr<Vcpu>> vcpus;
  for (unsigned i = 0; i < options_.smp_cpus; ++i) {
    bus.local_apic = kernel_lapics || kernel_irqchip ? nullptr : &machine_->local_apic(i);
    bus.interrupts = bus.local_apic;
    if (kernel_lapics) bus.interrupts = i == 0 ? &machine_->pic() : nullptr;  // ExtINT
    bus.ferr = machine_->cpu_ferr(i);
    bus.ignne = machine_->cpu_ignne(i);
    vcpus.push_back(accel_->create_vcpu(static_cast<int>(i), bus));
  }
  runner_ = std::make_unique<CpuRunner>(
      std::move(vcpus),
      [this](Vcpu& vcpu, VcpuExit exit) {
        if (exit == VcpuExit::kDebug) debug_exit(vcpu);
      },
      accel_->thread_per_vcpu() ? CpuRunner::Threading::kThreadPerVcpu
                                : CpuRunner::Threading::kOneThread);
  machine_->set_cpu_event_listener(
      [this](unsigned index) { runner_->interrupt_changed(static_cast<int>(index)); });
  machine_->set_current_cpu([] { return static_cast<unsigned>(CpuRunner::current_vcpu()); });
  // KVM cannot mask address line 20: the machine wraps the CPUs' memory map.
  if (dynamic_cast<KvmAccelerator*>(accel_.get())) machine_->set_a20_wraps_memory(true);
  machine_->set_a20_listener([this](bool enabled) {
    for (auto& v : runner_->vcpus()) {
      if (auto* tcg = dynamic_cast<TcgVcpu*>(v.get())) tcg->set_a20(enabled);
    }
  });
}

// A display's keys and pointer go to the machine's input router, under the
// device lock (the SDL window's and the VNC server's callbacks alike).
template <typename DisplayCallbacks>
void MachineController::connect_input(DisplayCallbacks& callbacks) {
  callbacks.key = [this](uint16_t usage, bool down) {
    DeviceLockGuard lock;
    machine_->key_event(usage, down);
  };
  callbacks.pointer = [this](const std::vector<InputEvent>& events) {
    DeviceLockGuard lock;
    machine_->input().send(events);
  };
  callbacks.absolute_pointer = [this] {
    DeviceLockGuard lock;
    return machine_->input().takes(InputEvent::Kind::kAbsolute);
  };
}

void MachineController::create_display() {
  if (options_.display != "sdl") return;
  Vga* vga = machine_->vga();
  if (!vga) throw OptionError("-display sdl: there is nothing to show with -vga none");
  SdlDisplay::Callbacks callbacks;
  callbacks.screen = [vga] {
    DeviceLockGuard lock;
    return vga->screen();
  };
  callbacks.graphics = [this](RgbImage* picture) { return graphics_picture(picture); };
  connect_input(callbacks);
  callbacks.close = [this] {
    // As QEMU: closing the window ends the machine.
    qmp_event("SHUTDOWN", {{"guest", false}, {"reason", "host-ui"}});
    finish(0);
  };
  const std::string title = options_.name.empty() ? "vx86" : options_.name + " - vx86";
  try {
    display_ = std::make_unique<SdlDisplay>(title, std::move(callbacks));
  } catch (const std::runtime_error& e) {
    throw OptionError(e.what());
  }
  // About 60 redraws a second at most; a screen that did not change costs a comparison.
  constexpr int64_t kPeriodNs = 16'000'000;
  display_timer_ = std::make_unique<Timer>(loop_.clocks(), ClockType::kHost, [this] {
    display_->tick();
    display_timer_->mod(loop_.clocks().now(ClockType::kHost) + kPeriodNs);
  });
  display_timer_->mod(loop_.clocks().now(ClockType::kHost) + kPeriodNs);
}

namespace {

const std::vector<OptDesc> kVncKeys = {
    {"vnc", OptType::kString, ""},         {"to", OptType::kNumber, ""},
    {"share", OptType::kString, ""},       {"password", OptType::kBool, ""},
    {"websocket", OptType::kString, ""},   {"reverse", OptType::kBool, ""},
    {"tls-creds", OptType::kString, ""},   {"sasl", OptType::kBool, ""},
    {"lossy", OptType::kBool, ""},         {"non-adaptive", OptType::kBool, ""},
    {"audiodev", OptType::kString, ""},    {"id", OptType::kString, ""},
    {"power-control", OptType::kBool, ""}, {"key-delay-ms", OptType::kNumber, ""},
};

// -vnc's display: [HOST]:N, unix:PATH (QEMU's forms).
VncServerOptions parse_vnc_display(const std::string& display, const KeyValues& kv) {
  VncServerOptions o;
  if (display.rfind("unix:", 0) == 0) {
    o.unix_socket = true;
    o.path = display.substr(5);
    if (o.path.empty()) throw OptionError("-vnc: unix: needs a path");
    return o;
  }
  const std::size_t colon = display.rfind(':');
  const std::optional<uint64_t> number =
      colon == std::string::npos ? std::nullopt : parse_number(display.substr(colon + 1));
  if (!number || *number > 65535 - 5900) {
    throw OptionError("-vnc: '" + display + "' is not [HOST]:DISPLAY, unix:PATH or none");
  }
  o.host = display.substr(0, colon);
  if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);  // [::1]:0
  }
  o.display = static_cast<unsigned>(*number);
  o.last_display = static_cast<unsigned>(kv.get_number("to", *number));
  if (o.last_display > 65535 - 5900) throw OptionError("-vnc: parameter 'to' is past port 65535");
  return o;
}

}  // namespace

void MachineController::create_vnc() {
  if (!options_.vnc || *options_.vnc == "none") return;
  const KeyValues kv = KeyValues::parse("-vnc", *options_.vnc, "vnc", kVncKeys);
  for (const char* key : {"reverse", "sasl"}) {
    if (kv.get_bool(key, false)) {
      throw OptionError(std::string("-vnc: parameter '") + key + "' is not available yet");
    }
  }
  for (const char* key : {"websocket", "tls-creds"}) {
    if (kv.has(key)) {
      throw OptionError(std::string("-vnc: parameter '") + key + "' is not available yet");
    }
  }
  const std::string share = kv.get_string("share", "allow-exclusive");
  if (share != "allow-exclusive" && share != "force-shared" && share != "ignore") {
    throw OptionError("-vnc: parameter 'share' must be allow-exclusive, force-shared or ignore");
  }
  VncServerOptions server_options = parse_vnc_display(kv.get_string("vnc"), kv);
  server_options.allow_exclusive = share == "allow-exclusive";
  server_options.password_auth = kv.get_bool("password", false);
  VncServer::Callbacks callbacks;
  callbacks.picture = [this] { return screen_picture(); };
  callbacks.key_of_number = [this](unsigned number) { return key_of_number(number); };
  connect_input(callbacks);
  callbacks.client_event = [this](const char* event, const VncAddress& client) {
    const VncAddress& server = vnc_->address();
    qmp_event(event, {{"server",
                       {{"auth", vnc_->password_auth() ? "vnc" : "none"},
                        {"family", server.family},
                        {"service", server.service},
                        {"host", server.host},
                        {"websocket", false}}},
                      {"client",
                       {{"family", client.family},
                        {"service", client.service},
                        {"host", client.host},
                        {"websocket", false}}}});
  };
  // As QEMU's desktop name: "QEMU (NAME)".
  const std::string name = options_.name.empty() ? "vx86" : "vx86 (" + options_.name + ")";
  try {
    vnc_ = std::make_unique<VncServer>(loop_, server_options, name, std::move(callbacks));
  } catch (const std::runtime_error& e) {
    throw OptionError(std::string("-vnc: ") + e.what());
  }
}

std::optional<MachineOperations::VncStatus> MachineController::vnc_status() {
  if (!vnc_) return std::nullopt;
  auto endpoint = [](const VncAddress& a) { return VncEndpoint{a.host, a.service, a.family}; };
  VncStatus status{vnc_->password_auth() ? "vnc" : "none", endpoint(vnc_->address()), {}};
  for (const VncAddress& client : vnc_->clients()) status.clients.push_back(endpoint(client));
  return status;
}

bool MachineController::set_vnc_password(const std::string& password) {
  if (!vnc_ || !vnc_->password_auth()) return false;
  vnc_->set_password(password);
  return true;
}

std::string MachineController::expire_vnc_password(const std::string& time) {
  if (!vnc_ || !vnc_->password_auth()) return "Could not set password expire time";
  using Clock = std::chrono::system_clock;
  if (time == "never") {
    vnc_->expire_password(std::nullopt);
    return "";
  }
  if (time == "now") {
    vnc_->expire_password(Clock::now());
    return "";
  }
  // "+N": N seconds from now; "N": N seconds since the epoch (QEMU takes
  // what does not parse as 0, so as long past).
  const bool relative = !time.empty() && time[0] == '+';
  const int64_t seconds = parse_signed_number(relative ? time.substr(1) : time).value_or(0);
  vnc_->expire_password(relative ? Clock::now() + std::chrono::seconds(seconds)
                                 : Clock::time_point(std::chrono::seconds(seconds)));
  return "";
}

RgbImage MachineController::screen_picture() {
  Vga* vga = machine_ ? machine_->vga() : nullptr;
  RgbImage picture;
  if (graphics_picture(&picture)) return picture;
  if (!vga) {
    picture.width = 640;
    picture.height = 480;
    picture.pixels.assign(640 * 480, 0);
    return picture;
  }
  TextScreen screen;
  {
    DeviceLockGuard lock;
    screen = vga->screen();
  }
  // A text screen that did not change is not drawn again (the VNC server
  // asks 33 times a second).
  if (screen_picture_drawn_ && screen == last_text_screen_) return last_text_picture_;
  std::string error;
  const PsfFont* font = default_console_font(&error);
  if (!font) {
    picture.width = 720;
    picture.height = 400;
    picture.pixels.assign(720 * 400, 0);
    return picture;
  }
  last_text_picture_ = render_text_screen(screen, *font);
  last_text_screen_ = std::move(screen);
  screen_picture_drawn_ = true;
  return last_text_picture_;
}

void MachineController::debug_exit(Vcpu& vcpu) {
  runner_->pause();  // on the vCPU thread: returns at once, the thread parks
  defer([this, &vcpu] {
    loop_.clocks().pause_virtual();
    if (gdbstub_) gdbstub_->report_stop(debugger_->describe_stop(vcpu));
  });
}

void MachineController::create_gdbstub() {
  if (!options_.gdb || *options_.gdb == "none") return;
  open_gdbstub(*options_.gdb);
}

std::string MachineController::start_gdb_server(const std::string& device) {
  if (gdbstub_) return "the gdbstub is already running (it stays until vx86 ends)";
  if (device == "none") return "";
  try {
    open_gdbstub(device);
  } catch (const std::exception& e) {
    return e.what();
  }
  return gdbstub_ ? "" : "not a device for gdb";
}

void MachineController::open_gdbstub(const std::string& given) {
  // As QEMU: a tcp: or unix: address is a server that does not hold up the start.
  std::string spec = given;
  if (spec.rfind("tcp:", 0) == 0 || spec.rfind("unix:", 0) == 0) {
    if (spec.find("server") == std::string::npos) spec += ",server=on";
    if (spec.find("wait") == std::string::npos) spec += ",wait=off";
  }
  Chardev* chardev = nullptr;
  try {
    chardev = legacy_chardev("-gdb", spec, "gdb", nullptr);
  } catch (const OptionError& e) {
    // Name what the user wrote, not the spelling with the added options.
    std::string message = e.what();
    if (const std::size_t at = message.find(spec); at != std::string::npos && spec != given)
      message.replace(at, spec.size(), given);
    throw OptionError(message);
  }
  if (!chardev) return;
  gdbstub_ = std::make_unique<GdbServer>(
      *chardev, *debugger_, [this](std::function<void()> fn) { defer(std::move(fn)); });
  chardev->set_frontend(gdbstub_.get());
}

void MachineController::create_debugger() {
  gdb_monitor_ = std::make_unique<HumanMonitor>(gdb_monitor_output_, *this);
  MachineDebugger::Machine machine;
  machine.stop = [this] {
    runner_->pause();
    loop_.clocks().pause_virtual();
  };
  machine.resume = [this] {
    monitor_stopped_ = false;
    prelaunch_ = false;
    loop_.clocks().resume_virtual();
    runner_->resume();
  };
  machine.monitor = [this](const std::string& line) { return gdb_monitor_->execute(line); };
  machine.quit = [this] { defer([this] { finish(0); }); };
  debugger_ = std::make_unique<MachineDebugger>(*runner_, machine_->memory(), std::move(machine));
}

int MachineController::run() {
  check_option_combinations();
  drives_ = std::make_unique<Drives>();
  // QEMU's default CD-ROM drive goes when -device puts an IDE drive anywhere
  // (and the q35 has none without its AHCI controller).
  const bool q35 = options_.machine == "q35";
  bool default_cdrom = !options_.no_defaults && !(q35 && !options_.sata);
  if (q35) drives_->set_ide_layout(6, 1);
  for (const KeyValues& device : options_.devices) {
    const std::string driver = device.get_string("driver");
    if (driver == "ide-hd" || driver == "ide-cd") default_cdrom = false;
  }
  drives_->open(options_.drives, &loop_, default_cdrom, options_.snapshot);
  drives_->open_blockdevs(resolve_blockdevs(options_.blockdevs));
  block_nodes_ = std::make_unique<BlockNodes>(*drives_, options_.blockdevs);
  drives_->set_tray_listener([this](const std::string& device, bool open) {
    // QEMU's "id" is the device's QOM path; vx86 names the IDE controller.
    qmp_event("DEVICE_TRAY_MOVED", {{"device", device}, {"tray-open", open}, {"id", "piix3-ide"}});
  });
  netdevs_ = std::make_unique<NetDevs>();
  for (const auto& kv : options_.netdevs) netdevs_->add_netdev(kv);
  for (const auto& kv : options_.nics) netdevs_->add_nic(kv);
  for (const auto& kv : options_.nets) netdevs_->add_net(kv);
  if (options_.no_defaults) netdevs_->set_no_defaults();
  netdevs_->create(loop_);
  create_chardevs();
  PcConfig config;
  config.chipset = options_.machine == "q35" ? PcChipset::kQ35 : PcChipset::kI440fx;
  config.sata = options_.sata;
  config.smbus = options_.smbus.value_or(true);
  config.ram_size = options_.ram_size;
  config.cpus = options_.smp_cpus;
  config.pci_hotplug = options_.root_pci_hotplug;
  config.sockets = options_.smp.sockets;
  config.cores_per_socket = options_.smp.dies * options_.smp.cores;
  if (!options_.uuid.empty()) config.uuid = parse_uuid(options_.uuid);
  config.smbios_fields = options_.smbios_fields;
  config.smbios_oem_strings = options_.smbios_oem_strings;
  // SMBIOS's processor ID: the model's CPUID leaf 1 (qemu64's for -cpu host).
  const x86::CpuModel* model = x86::find_cpu_model(options_.cpu_model);
  const x86::CpuidResult leaf1 =
      x86::cpuid(model ? *model : *x86::find_cpu_model("qemu64"), 1, 0, 0, {});
  config.cpuid_signature = leaf1.eax;
  config.cpuid_features = leaf1.edx;
  // -drive if=pflash (OVMF's code and variables, as libvirt and most UEFI
  // guides give them): unit 0 is the firmware, unit 1 a flash that keeps
  // what the guest writes.
  for (unsigned unit = 0; unit < 2; ++unit) {
    if (options_.pflash_nodes[unit].empty()) continue;
    drives_->claim_pflash(
        options_.pflash_nodes[unit], unit,
        "-machine pflash" + std::to_string(unit) + "=" + options_.pflash_nodes[unit]);
  }
  const Drives::PflashDrive* flash_code = nullptr;
  for (const Drives::PflashDrive& flash : drives_->pflash_drives()) {
    auto read_image = [&flash]() {
      std::ifstream in(flash.file, std::ios::binary);
      return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    };
    const std::string option = "-drive if=pflash,unit=" + std::to_string(flash.unit);
    std::vector<uint8_t> image = read_image();
    if (image.empty() || image.size() % 4096 != 0 || image.size() > (16u << 20)) {
      throw OptionError(option + ": the flash image " + flash.file +
                        " must be a non-zero multiple of 4 KiB, at most 16 MiB (it is " +
                        std::to_string(image.size()) + " bytes)");
    }
    if (flash.unit == 0) {
      flash_code = &flash;
      config.firmware = std::move(image);
      continue;
    }
    DriveBackend* drive = flash.drive;
    config.flash_vars = std::move(image);
    config.flash_vars_read_only = flash.read_only;
    config.flash_vars_persist = [drive](uint64_t offset, std::vector<uint8_t> bytes) {
      auto data = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
      drive->write(offset, data->data(), data->size(), [data, offset](bool ok) {
        if (!ok) {
          VX86_LOG(kLogGuestErrors, "pflash: writing 0x%llx to the image failed\n",
                   static_cast<unsigned long long>(offset));
        }
      });
    };
  }
  if (flash_code && !options_.bios.empty()) {
    throw OptionError("-bios: the firmware is already -drive if=pflash,unit=0");
  }
  if (!config.flash_vars.empty() && !flash_code) {
    throw OptionError("-drive if=pflash,unit=1: the variable store needs the firmware as unit 0");
  }
  if (!flash_code && (!options_.bios.empty() || options_.kernel.empty())) {
    config.firmware = load_firmware();
  }
  if (!options_.kernel.empty()) {
    config.kernel = read_whole_file("-kernel", options_.kernel);
    KernelFormat format;
    try {
      format = detect_kernel_format(config.kernel);
    } catch (const LinuxBootError& e) {
      throw OptionError("-kernel " + options_.kernel + ": " + e.what());
    }
    if (format == KernelFormat::kMultiboot) {
      // As QEMU: "file args,file args"; each module's string is its entry.
      std::size_t begin = 0;
      while (begin < options_.initrd.size()) {
        std::size_t end = std::min(options_.initrd.find(',', begin), options_.initrd.size());
        std::string entry = options_.initrd.substr(begin, end - begin);
        if (!entry.empty()) {
          std::string path = entry.substr(0, entry.find(' '));
          config.initrd_modules.push_back({entry, read_whole_file("-initrd", path)});
        }
        begin = end + 1;
      }
    } else if (!options_.initrd.empty()) {
      config.initrd = read_whole_file("-initrd", options_.initrd);
    }
    config.kernel_cmdline = options_.append;
  }
  config.serials = serial_backends_;
  config.vga = options_.vga.value_or(!options_.no_defaults);
  config.boot_order = options_.boot_order;
  config.boot_menu = options_.boot_menu;
  config.boot_once = options_.boot_once;
  config.boot_strict = options_.boot_strict;
  config.reboot_timeout = options_.reboot_timeout;
  config.splash_time = options_.splash_time;
  if (!options_.splash.empty()) load_splash(options_.splash, config);
  config.rtc_clock = options_.rtc_clock == "vm"   ? ClockType::kVirtual
                     : options_.rtc_clock == "rt" ? ClockType::kRealtime
                                                  : ClockType::kHost;
  config.rtc_start = rtc_start_time(options_.rtc_base, std::time(nullptr));
  config.rtc_slew = options_.rtc_slew;
  config.hpet = options_.hpet;
  // A firmware boot gets the VGA BIOS QEMU gives its std VGA, where Debian
  // installs it (a direct kernel boot sets its modes without one).
  if (config.vga && options_.kernel.empty()) {
    std::ifstream rom(kVgaBiosPath, std::ios::binary);
    config.vga_rom.assign(std::istreambuf_iterator<char>(rom), std::istreambuf_iterator<char>());
  }
  config.find_chardev = [this](const std::string& id) -> Chardev* {
    auto it = chardevs_.find(id);
    return it == chardevs_.end() ? nullptr : it->second.get();
  };
  try {
    machine_ = std::make_unique<PcMachine>(std::move(config), loop_.clocks(), *this);
  } catch (const LinuxBootError& e) {
    switch (e.input()) {
      case LinuxBootError::Input::kKernel:
        throw OptionError("-kernel " + options_.kernel + ": " + e.what());
      case LinuxBootError::Input::kInitrd:
        throw OptionError("-initrd " + options_.initrd + ": " + e.what());
      case LinuxBootError::Input::kCmdline:
        throw OptionError(std::string("-append: ") + e.what());
    }
    throw;
  }
  // -device VGA,id=ID names the machine's own VGA (query-pci's qdev_id).
  if (machine_->vga_pci() && !options_.vga_id.empty()) machine_->vga_pci()->set_id(options_.vga_id);
  create_devices();
  watch_balloon();
  watch_rtc();
  machine_->reset();
  create_cpus();
  if (machine_->boot_state()) apply_boot_state(*runner_->vcpus()[0], *machine_->boot_state());
  create_debugger();
  create_gdbstub();
  create_display();
  create_vnc();

  loop_.on_termination_signal([this](int sig) {
    std::fprintf(stderr, "vx86: terminating on signal %d\n", sig);
    qmp_event("SHUTDOWN", {{"guest", false}, {"reason", "host-signal"}});
    finish(0);
  });
  loop_.clocks().resume_virtual();
  prelaunch_ = options_.start_paused;
  runner_->start(options_.start_paused);
  loop_.run();
  runner_->stop();
  return exit_status_;
}

void MachineController::finish(int status) {
  exit_status_ = status;
  if (gdbstub_) gdbstub_->report_exit(status);
  if (runner_) runner_->pause();
  loop_.stop();
}

void MachineController::request_exit(int status) {
  boost::asio::post(loop_.io(), [this, status] { finish(status); });
  if (runner_) {
    for (auto& v : runner_->vcpus()) v->kick();
  }
}

namespace {

// QEMU's ShutdownCause names, as QMP's RESET and SHUTDOWN events give them.
const char* cause_name(ShutdownCause cause, bool reset) {
  switch (cause) {
    case ShutdownCause::kGuestPowerOff:
      return "guest-shutdown";
    case ShutdownCause::kGuestReset:
      return "guest-reset";
    case ShutdownCause::kHostSignal:
      return "host-signal";
    case ShutdownCause::kHostQmp:
      return reset ? "host-qmp-system-reset" : "host-qmp-quit";
    case ShutdownCause::kGuestPanic:
      return "guest-panic";
  }
  return "none";
}

bool caused_by_guest(ShutdownCause cause) {
  return cause == ShutdownCause::kGuestPowerOff || cause == ShutdownCause::kGuestReset ||
         cause == ShutdownCause::kGuestPanic;
}

}  // namespace

// The events go out from the main loop, with the state change they announce,
// so a QMP client that hears SHUTDOWN and asks query-status gets "shutdown"
// (from the vCPU's thread the event could overtake the state, as CI once saw).
void MachineController::request_shutdown(ShutdownCause cause) {
  boost::asio::post(loop_.io(), [this, cause] {
    const Json shutdown = {{"guest", caused_by_guest(cause)}, {"reason", cause_name(cause, false)}};
    if (options_.no_shutdown) {
      // As QEMU: the machine stops in the "shutdown" state for the user to look at.
      shut_down_ = true;
      qmp_event("SHUTDOWN", shutdown);
      qmp_event("STOP");
      runner_->pause();
      loop_.clocks().pause_virtual();
      return;
    }
    qmp_event("SHUTDOWN", shutdown);
    finish(0);
  });
  if (runner_) {
    for (auto& v : runner_->vcpus()) v->kick();
  }
}

void MachineController::request_reset(ShutdownCause cause) {
  boost::asio::post(loop_.io(), [this, cause] {
    // With -no-reboot a reset ends vx86: QMP hears of a shutdown, as from QEMU.
    qmp_event(options_.no_reboot ? "SHUTDOWN" : "RESET",
              {{"guest", caused_by_guest(cause)}, {"reason", cause_name(cause, true)}});
    if (options_.no_reboot) return finish(0);
    VX86_LOG(kLogReset, "machine reset\n");
    runner_->pause();  // never under the device lock: the vCPU may be waiting for it
    {
      DeviceLockGuard lock;
      machine_->reset();
    }
    for (auto& v : runner_->vcpus()) v->reset();
    if (machine_->boot_state()) apply_boot_state(*runner_->vcpus()[0], *machine_->boot_state());
    runner_->resume();
  });
  if (runner_) {
    for (auto& v : runner_->vcpus()) v->kick();
  }
}

bool MachineController::running() const {
  return runner_ && !runner_->paused() && !monitor_stopped_;
}

void MachineController::stop() {
  if (running()) qmp_event("STOP");
  monitor_stopped_ = true;
  defer([this] {
    runner_->pause();
    loop_.clocks().pause_virtual();
  });
}

void MachineController::cont() {
  if (!running()) qmp_event("RESUME");
  monitor_stopped_ = false;
  prelaunch_ = false;
  shut_down_ = false;
  defer([this] {
    loop_.clocks().resume_virtual();
    runner_->resume();
  });
}

void MachineController::system_reset() {
  request_reset(ShutdownCause::kHostQmp);
}

bool MachineController::system_powerdown() {
  // As QEMU: the event, then the ACPI power button; the guest decides what to do.
  {
    DeviceLockGuard lock;
    if (!machine_->press_power_button()) return false;
  }
  qmp_event("POWERDOWN");
  return true;
}

void MachineController::quit() {
  qmp_event("SHUTDOWN", {{"guest", false}, {"reason", "host-qmp-quit"}});
  defer([this] { finish(0); });
}

std::string MachineController::run_state() const {
  if (shut_down_) return "shutdown";
  if (monitor_stopped_) return "paused";
  if (!runner_ || runner_->paused()) {
    if (prelaunch_) return "prelaunch";
    return gdbstub_ ? "debug" : "paused";
  }
  return "running";
}

std::string MachineController::human_monitor_command(const std::string& line, unsigned cpu_index) {
  // As QEMU's: each command runs in a fresh monitor on the CPU asked for.
  qmp_hmp_->set_current_cpu(cpu_index);
  return qmp_hmp_->execute(line);
}

bool MachineController::kvm_present() const {
  return access("/dev/kvm", R_OK | W_OK) == 0;
}

bool MachineController::kvm_enabled() const {
  return dynamic_cast<KvmAccelerator*>(accel_.get()) != nullptr;
}

unsigned MachineController::cpu_count() const {
  return options_.smp_cpus;
}

std::string MachineController::vm_name() const {
  return options_.name;
}

AddressSpace& MachineController::memory() {
  return machine_->memory();
}

bool MachineController::graphics_picture(RgbImage* picture) {
  if (!machine_) return false;
  VgaPci* pci = machine_->vga_pci();
  Vga* vga = machine_->vga();
  DeviceLockGuard lock;
  if (pci && pci->mode().active()) {
    *picture = render_framebuffer(pci->framebuffer(), VgaPci::kFramebufferSize, pci->mode(),
                                  vga ? vga->palette() : std::array<uint32_t, 256>{});
    return true;
  }
  return vga && vga->graphics_picture(picture);
}

std::string MachineController::screendump(const std::string& filename) {
  Vga* vga = machine_ ? machine_->vga() : nullptr;
  if (!vga) return "There is no console to take a screendump from";
  std::string error;
  if (RgbImage picture; graphics_picture(&picture)) {
    return write_ppm(picture, filename, &error) ? "" : error;
  }
  TextScreen screen;
  {
    DeviceLockGuard lock;
    screen = vga->screen();
  }
  const PsfFont* font = default_console_font(&error);
  if (!font) return error;
  if (!write_ppm(render_text_screen(screen, *font), filename, &error)) return error;
  return "";
}

std::vector<const AddressSpace*> MachineController::address_spaces() {
  return {&machine_->memory(), &machine_->io(), &machine_->pci_dma()};
}

namespace {

struct NicView {
  std::string name;  // the -device id, or QEMU's MODEL.N
  NetworkCard* net;
};

// The machine's NICs in plug order, named as QEMU names them: by -device id,
// else by model and a count per model.
std::vector<NicView> machine_nics(PcMachine& machine) {
  std::vector<NicView> nics;
  std::map<std::string, unsigned> per_model;
  for (Device* d : machine.devices()) {
    auto* net = dynamic_cast<NetworkCard*>(d);
    if (auto* pci = dynamic_cast<VirtioPci*>(d); pci && !net) {
      net = dynamic_cast<NetworkCard*>(&pci->virtio());
    }
    if (!net) continue;
    unsigned index = per_model[net->model()]++;
    nics.push_back(
        {d->id().empty() ? std::string(net->model()) + "." + std::to_string(index) : d->id(), net});
  }
  return nics;
}

}  // namespace

std::string MachineController::describe_block() {
  return drives_->describe();
}

Json MachineController::query_block() {
  return drives_->query();
}

std::string MachineController::describe_pci() {
  DeviceLockGuard lock;
  return format_info_pci(describe_pci_functions(machine_->pci_bus()));
}

namespace {

// QMP's PciDeviceInfo list for functions (QEMU's member order).
Json pci_devices_json(const std::vector<PciFunctionInfo>& functions) {
  Json devices = Json::array();
  for (const PciFunctionInfo& f : functions) {
    Json class_info = {{"class", f.class_code}};
    if (!f.class_description.empty()) class_info["desc"] = f.class_description;
    Json regions = Json::array();
    for (const auto& r : f.regions) {
      // QEMU's -1 for an unmapped BAR.
      const Json address = r.address == PciDevice::kUnmapped ? Json(-1) : Json(r.address);
      Json region = {
          {"bar", r.bar}, {"type", r.io ? "io" : "memory"}, {"address", address}, {"size", r.size}};
      if (!r.io) {
        region["prefetch"] = r.prefetch;
        region["mem_type_64"] = r.mem64;
      }
      regions.push_back(region);
    }
    Json id = {{"device", f.device}, {"vendor", f.vendor}};
    if (!f.bridge) {  // a bridge's header has no subsystem IDs
      id["subsystem"] = f.subsystem;
      id["subsystem-vendor"] = f.subsystem_vendor;
    }
    Json device = {{"bus", f.bus},
                   {"slot", f.slot},
                   {"function", f.function},
                   {"class_info", class_info},
                   {"id", id}};
    if (f.irq_pin) device["irq"] = f.irq;
    device["irq_pin"] = f.irq_pin;
    device["qdev_id"] = f.id;
    if (f.bridge) {
      auto range = [](const PciFunctionInfo::Range& r) {
        return Json{{"base", r.base}, {"limit", r.limit}};
      };
      Json bridge = {{"bus",
                      {{"number", f.primary_bus},
                       {"secondary", f.secondary_bus},
                       {"subordinate", f.subordinate_bus},
                       {"io_range", range(f.io_range)},
                       {"memory_range", range(f.memory_range)},
                       {"prefetchable_range", range(f.prefetchable_range)}}}};
      if (f.secondary_bus != 0) bridge["devices"] = pci_devices_json(f.behind);
      device["pci_bridge"] = bridge;
    }
    device["regions"] = regions;
    devices.push_back(device);
  }
  return devices;
}

}  // namespace

Json MachineController::query_pci() {
  DeviceLockGuard lock;
  return Json::array(
      {{{"bus", 0}, {"devices", pci_devices_json(describe_pci_functions(machine_->pci_bus()))}}});
}

std::string MachineController::describe_usb() {
  if (!machine_) return "Error: USB support not enabled\n";
  DeviceLockGuard lock;
  return describe_usb_devices(machine_->usb_buses());
}

std::string MachineController::describe_network() {
  std::string out;
  for (const NicView& nic : machine_nics(*machine_)) {
    char mac[18];
    const MacAddress& m = nic.net->mac();
    std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                  m[5]);
    // index= is the queue's index, as QEMU prints it: 0 for one queue.
    out += nic.name + ": index=0,type=nic,model=" + nic.net->model() + ",macaddr=" + mac +
           (nic.net->link_up() ? "" : ",link=down") + "\n";
    if (const NetBackend* b = nic.net->backend()) {
      out += " \\ " + b->id() + ": index=0," + b->describe() + "\n";
    }
  }
  for (const std::string& line : netdevs_->unclaimed()) out += line + " (no NIC)\n";
  return out;
}

MediumResult MachineController::eject_medium(const std::string& device, bool force) {
  DeviceLockGuard lock;  // the IDE device looks at the drive's medium under it
  return drives_->eject(device, force);
}

MediumResult MachineController::change_medium(const std::string& device, const std::string& file,
                                              const std::string& format, bool force) {
  DeviceLockGuard lock;
  return drives_->change_medium(device, file, format, force);
}

std::string MachineController::send_keys(const std::vector<uint16_t>& usages, unsigned hold_ms) {
  if (!machine_) return "there is no machine yet";
  DeviceLockGuard lock;
  for (uint16_t usage : usages) machine_->key_event(usage, true);
  key_releases_.push_back({loop_.clocks().now(ClockType::kHost) + int64_t{hold_ms} * 1000000,
                           std::vector<uint16_t>(usages.rbegin(), usages.rend())});
  if (!key_release_timer_) {
    key_release_timer_ =
        std::make_unique<Timer>(loop_.clocks(), ClockType::kHost, [this] { release_due_keys(); });
  }
  release_due_keys();  // arms the timer for the earliest release
  return "";
}

void MachineController::watch_rtc() {
  // The RTC's QOM path under QEMU: its place among what QEMU's pc makes
  // before it (the CPUs, seven board devices, the -vga VGA, the HPET).
  const bool board_vga = options_.vga.value_or(!options_.no_defaults) && !options_.vga_from_device;
  const unsigned index = options_.smp_cpus + 7 + (board_vga ? 1 : 0) + (options_.hpet ? 1 : 0);
  const std::string path = "/machine/unattached/device[" + std::to_string(index) + "]";
  machine_->rtc().set_change_listener([this, path](int64_t offset) {
    event_throttle_.emit("RTC_CHANGE", "", {{"offset", offset}, {"qom-path", path}});
  });
}

VirtioBalloon* MachineController::balloon() {
  for (Device* d : machine_ ? machine_->devices() : std::vector<Device*>{}) {
    if (auto* pci = dynamic_cast<VirtioPci*>(d)) {
      if (auto* b = dynamic_cast<VirtioBalloon*>(&pci->virtio())) return b;
    }
  }
  return nullptr;
}

void MachineController::watch_balloon() {
  VirtioBalloon* b = balloon();
  if (!b) return;
  // The driver reports every few pages: BALLOON_CHANGE goes out at most once
  // a second, with the latest size.
  b->set_change_listener([this](uint64_t actual) {
    event_throttle_.emit("BALLOON_CHANGE", "", {{"actual", actual}});
  });
}

std::optional<uint16_t> MachineController::key_of_number(unsigned number) {
  return hid_usage_of_key_number(number);
}

std::vector<InputRouter::Mouse> MachineController::mice() {
  if (!machine_) return {};
  DeviceLockGuard lock;
  return machine_->input().mice();
}

std::string MachineController::select_mouse(unsigned index) {
  if (!machine_) return "Mouse at index '" + std::to_string(index) + "' not found";
  DeviceLockGuard lock;
  return machine_->input().select_mouse(index);
}

std::string MachineController::set_balloon_target(uint64_t bytes) {
  DeviceLockGuard lock;
  VirtioBalloon* b = balloon();
  if (!b) return kNoBalloon;
  b->set_target(bytes);
  return "";
}

std::optional<uint64_t> MachineController::balloon_actual() {
  DeviceLockGuard lock;
  VirtioBalloon* b = balloon();
  if (!b) return std::nullopt;
  return b->actual_bytes();
}

Json MachineController::chardev_add(const std::string& id, const Json& backend,
                                    std::string* error) {
  DeviceLockGuard lock;
  if (chardevs_.count(id)) {
    *error = "Chardev with id '" + id + "' already exists";
    return Json();
  }
  // A socket on an fd getfd named: the chardev takes it over (by number).
  Json resolved = backend;
  Json* fd_address = nullptr;
  if (resolved.is_object() && resolved.value("type", "") == "socket" && resolved.contains("data") &&
      resolved["data"].is_object() && resolved["data"].contains("addr") &&
      resolved["data"]["addr"].is_object() && resolved["data"]["addr"].value("type", "") == "fd" &&
      resolved["data"]["addr"].contains("data") && resolved["data"]["addr"]["data"].is_object()) {
    fd_address = &resolved["data"]["addr"]["data"];
  }
  if (fd_address && fd_address->contains("str") && (*fd_address)["str"].is_string()) {
    auto it = named_fds_.find((*fd_address)["str"].get<std::string>());
    if (it != named_fds_.end()) {
      // Taken whether or not the chardev comes up, as QEMU takes it (the
      // socket backend closes an fd it cannot use).
      (*fd_address)["str"] = std::to_string(it->second);
      named_fds_.erase(it);
    }
  }
  std::string option;
  try {
    option = chardev_option_from_backend(id, resolved);
  } catch (const std::runtime_error& e) {
    *error = e.what();
    return Json();
  }
  try {
    std::unique_ptr<Chardev> chardev =
        create_chardev(parse_chardev_option(option, "chardev-add"), loop_);
    Json answer = Json::object();
    if (dynamic_cast<PtyChardev*>(chardev.get())) {
      const std::string name = chardev->filename();  // "pty:/dev/pts/N"
      answer["pty"] = name.substr(name.find(':') + 1);
    }
    chardevs_[id] = std::move(chardev);
    return answer;
  } catch (const std::runtime_error& e) {
    // The factory names the option ("chardev-add file,id=f: ..."); QMP's
    // message names the chardev instead.
    std::string reason = e.what();
    if (reason.rfind("chardev-add", 0) == 0 && reason.find(": ") != std::string::npos) {
      reason.erase(0, reason.find(": ") + 2);
    }
    if (!reason.empty()) reason[0] = static_cast<char>(std::toupper(reason[0]));
    *error = "Failed to add chardev '" + id + "': " + reason;
    return Json();
  }
}

void MachineController::add_named_fd(const std::string& name, int fd) {
  auto it = named_fds_.find(name);
  if (it != named_fds_.end()) ::close(it->second);
  named_fds_[name] = fd;
}

std::string MachineController::close_named_fd(const std::string& name) {
  auto it = named_fds_.find(name);
  if (it == named_fds_.end()) return "File descriptor named '" + name + "' not found";
  ::close(it->second);
  named_fds_.erase(it);
  return "";
}

std::string MachineController::chardev_remove(const std::string& id) {
  DeviceLockGuard lock;
  auto it = chardevs_.find(id);
  if (it == chardevs_.end()) return "Chardev '" + id + "' not found";
  // Every user of a chardev is its frontend (a serial port, a monitor, a
  // virtio-serial port, isa-debugcon).
  if (it->second->frontend()) return "Chardev '" + id + "' is busy";
  chardevs_.erase(it);
  return "";
}

std::string MachineController::send_input_events(const std::vector<InputEvent>& events) {
  if (!machine_) return "there is no machine yet";
  DeviceLockGuard lock;
  // As QEMU: nothing is sent when some event has no device to take it.
  static constexpr const char* kKindNames[] = {"key", "btn", "rel", "abs"};
  for (const InputEvent& e : events) {
    if (!machine_->input().takes(e.kind)) {
      return std::string("Input handler not found for event type ") +
             kKindNames[static_cast<int>(e.kind)];
    }
  }
  machine_->input().send(events);
  return "";
}

void MachineController::release_due_keys() {
  DeviceLockGuard lock;
  const int64_t now = loop_.clocks().now(ClockType::kHost);
  int64_t next = INT64_MAX;
  for (auto it = key_releases_.begin(); it != key_releases_.end();) {
    if (it->at_ns <= now) {
      for (uint16_t usage : it->usages) machine_->key_event(usage, false);
      it = key_releases_.erase(it);
    } else {
      next = std::min(next, it->at_ns);
      ++it;
    }
  }
  if (next != INT64_MAX) key_release_timer_->mod(next);
}

std::string MachineController::host_forward(bool add, const std::string& netdev,
                                            const std::string& rule) {
  NetBackend* backend = netdevs_->find(netdev);
  if (!backend) {
    return netdev.empty() ? "there is no network backend" : "netdev '" + netdev + "' not found";
  }
  return add ? backend->add_host_forward(rule) : backend->remove_host_forward(rule);
}

bool MachineController::set_link(const std::string& name, bool up) {
  for (const NicView& nic : machine_nics(*machine_)) {
    if (nic.name == name || (nic.net->backend() && nic.net->backend()->id() == name)) {
      nic.net->set_link(up);
      return true;
    }
  }
  return false;
}

std::string MachineController::describe_local_apic(unsigned cpu_index) {
  if (!runner_ || cpu_index >= runner_->vcpus().size())
    return "info lapic: no CPU " + std::to_string(cpu_index) + "\n";
  std::array<uint32_t, 64> regs{};
  if (runner_->vcpus()[cpu_index]->kernel_local_apic(&regs))
    return describe_local_apic_registers(cpu_index,
                                         [&](uint32_t offset) { return regs[offset >> 4]; });
  DeviceLockGuard lock;
  auto* apic = dynamic_cast<LocalApic*>(&machine_->local_apic(cpu_index));
  if (!apic) return "info lapic: CPU " + std::to_string(cpu_index) + " has no local APIC\n";
  return describe_local_apic_registers(
      cpu_index, [apic](uint32_t offset) { return apic->peek_register(offset); });
}

// vx86's own IOAPIC and 8259s; under KVM's kernel-irqchip=on the guest uses
// KVM's instead, whose state this does not read.
std::string MachineController::describe_interrupt_controllers() {
  DeviceLockGuard lock;
  return machine_->describe_interrupt_controllers();
}

std::vector<MachineController::ChardevInfo> MachineController::chardev_infos() const {
  std::vector<ChardevInfo> infos;
  for (const auto& [id, chardev] : chardevs_) {
    if (const auto* mux = dynamic_cast<const MuxChardev*>(chardev.get())) {
      // As QEMU: the mux, and what it multiplexes as ID-base.
      infos.push_back({id, mux->filename(), true});
      infos.push_back({id + "-base", mux->backend().filename(), true});
    } else {
      infos.push_back({id, chardev->filename(),
                       chardev->frontend() != nullptr && chardev->frontend()->frontend_open()});
    }
  }
  return infos;
}

std::string MachineController::describe_chardevs() {
  std::string out;
  for (const ChardevInfo& info : chardev_infos()) {
    out += info.label + ": filename=" + info.filename + "\n";
  }
  return out;
}

Json MachineController::query_chardev() {
  Json list = Json::array();
  for (const ChardevInfo& info : chardev_infos()) {
    list.push_back({{"frontend-open", info.frontend_open},
                    {"filename", info.filename},
                    {"label", info.label}});
  }
  return list;
}

std::string MachineController::describe_registers(unsigned cpu) {
  if (!runner_ || cpu >= runner_->vcpus().size()) return "no CPU " + std::to_string(cpu) + "\n";
  return dump_cpu_registers(runner_->vcpus()[cpu]->state());
}

int64_t MachineController::cpu_thread_id(unsigned cpu) {
  // Before the vCPUs run (or without them), the process, as QEMU's main thread.
  const int64_t id = runner_ ? runner_->thread_id(cpu) : 0;
  return id ? id : getpid();
}

std::string MachineController::describe_page_tables(unsigned cpu, bool entries) {
  if (!runner_ || cpu >= runner_->vcpus().size()) return "no CPU " + std::to_string(cpu) + "\n";
  DeviceLockGuard lock;  // page tables may sit in device memory
  AddressSpace& memory = machine_->memory();
  const PhysicalReader read = [&memory](uint64_t paddr, unsigned size) {
    return memory.read(paddr, size);
  };
  const CpuState& state = runner_->vcpus()[cpu]->state();
  return entries ? describe_page_table_entries(state, read) : describe_page_mappings(state, read);
}

std::size_t MachineController::read_virtual(unsigned cpu, uint64_t vaddr, uint8_t* buf,
                                            std::size_t len) {
  if (!debugger_ || cpu >= runner_->vcpus().size()) return 0;
  return debugger_->read_memory(cpu, vaddr, buf, len);  // as gdb reads it
}

std::string MachineController::disassemble(unsigned cpu, uint64_t addr, unsigned count,
                                           bool physical) {
  if (!runner_ || cpu >= runner_->vcpus().size()) return "no CPU " + std::to_string(cpu) + "\n";
  const CodeReader read = [&](uint64_t a, uint8_t* buf, std::size_t len) -> std::size_t {
    if (!physical) return read_virtual(cpu, a, buf, len);
    DeviceLockGuard lock;
    return machine_->memory().read_buffer(a, buf, len) == MemTxResult::kOk ? len : 0;
  };
  return disassemble_for_monitor(read, addr, count,
                                 code_size_bits(runner_->vcpus()[cpu]->state().hflags));
}

std::optional<uint64_t> MachineController::register_value(unsigned cpu, const std::string& name) {
  if (!runner_ || cpu >= runner_->vcpus().size()) return std::nullopt;
  return monitor_register(runner_->vcpus()[cpu]->state(), name);
}

std::optional<uint64_t> MachineController::translate_virtual(unsigned cpu, uint64_t vaddr) {
  if (!runner_ || cpu >= runner_->vcpus().size()) return std::nullopt;
  uint64_t paddr = 0;
  DeviceLockGuard lock;
  if (!runner_->vcpus()[cpu]->debug_translate(vaddr, &paddr)) return std::nullopt;
  return paddr;
}

uint64_t MachineController::read_port(uint16_t port, unsigned size) {
  DeviceLockGuard lock;
  return machine_->io().read(port, size);
}

void MachineController::write_port(uint16_t port, unsigned size, uint64_t value) {
  DeviceLockGuard lock;
  machine_->io().write(port, value, size);
}

std::string MachineController::inject_nmi() {
  if (!machine_) return "there is no machine yet";
  DeviceLockGuard lock;
  machine_->inject_nmi();
  return "";
}

std::string MachineController::save_memory(bool physical, unsigned cpu, uint64_t addr,
                                           uint64_t size, const std::string& filename) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(filename.c_str(), "wb"), &std::fclose);
  if (!file) return "Could not open '" + filename + "': " + std::strerror(errno);
  std::vector<uint8_t> buf(64 * 1024);
  for (uint64_t done = 0; done < size;) {
    const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(buf.size(), size - done));
    if (physical) {
      DeviceLockGuard lock;
      // As QEMU: what is not memory reads as the bus gives it, without failing.
      machine_->memory().read_buffer(addr + done, buf.data(), n);
    } else if (read_virtual(cpu, addr + done, buf.data(), n) < n) {
      char why[96];
      std::snprintf(why, sizeof(why), "Invalid addr 0x%016" PRIx64 "/size %" PRId64 " specified",
                    addr, static_cast<int64_t>(size));
      return why;
    }
    if (std::fwrite(buf.data(), 1, n, file.get()) != n) return "An IO error has occurred";
    done += n;
  }
  return "";
}

}  // namespace vx86
