#include "hw/pc/pc_machine.h"

#include <algorithm>

#include "hw/char/serial_16550.h"
#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/misc/port92.h"
#include "hw/misc/post_port.h"
#include "hw/pc/linux_boot.h"
#include "hw/rtc/mc146818.h"
#include "hw/timer/i8254.h"
#include "hw/timer/port61.h"

namespace vx86 {

namespace {

constexpr uint64_t k4GiB = 1ull << 32;
constexpr uint64_t kLowFirmwareWindow = 128 * 1024;  // mapped again just below 1 MiB
constexpr uint64_t kNoFirmwareRomSize = 64 * 1024;   // HLT bytes when a kernel boots directly
constexpr uint8_t kHltOpcode = 0xf4;

struct ComPort {
  uint64_t base;
  int irq;
};
constexpr ComPort kComPorts[] = {{0x3f8, 4}, {0x2f8, 3}, {0x3e8, 4}, {0x2e8, 3}};

}  // namespace

PcMachine::PcMachine(const PcConfig& config, Clocks& clocks, SystemControl& control)
    : clocks_(clocks), control_(control) {
  build_memory(config);
  build_isa(config);
  if (!config.kernel.empty()) {
    kernel_ = config.kernel;
    initrd_ = config.initrd;
    kernel_cmdline_ = config.kernel_cmdline;
    load_kernel();  // now, so that images that do not fit are refused before anything runs
  }
}

PcMachine::~PcMachine() = default;

void PcMachine::build_memory(const PcConfig& config) {
  system_memory_ = MemoryRegion::container("system", UINT64_MAX);
  system_io_ = MemoryRegion::container("io", 0x10000);

  // One RAM block, shown through two aliases: below the PCI hole and above 4 GiB.
  ram_ = MemoryRegion::ram("pc.ram", config.ram_size);
  uint64_t below = std::min(config.ram_size, kBelow4gLimit);
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

  memory_space_ = std::make_unique<AddressSpace>("memory", system_memory_.get());
  io_space_ = std::make_unique<AddressSpace>("io", system_io_.get());
}

void PcMachine::build_isa(const PcConfig& config) {
  pic_ = std::make_unique<I8259>(nullptr);
  pic_->map(*system_io_);
  pic_->set_intr_listener([this](bool level) {
    if (intr_listener_) intr_listener_(level);
  });

  isa_.io = system_io_.get();
  for (int i = 0; i < 16; ++i) isa_.irqs[i] = &pic_->input(i);
  isa_.clocks = &clocks_;
  isa_.control = &control_;
  isa_.find_chardev = config.find_chardev;

  pit_ = std::make_unique<I8254>(clocks_, isa_.irqs[0]);
  pit_->map(*system_io_);
  port61_ = std::make_unique<Port61>(*pit_);
  port61_->map(*system_io_);

  rtc_ = std::make_unique<Mc146818Rtc>(clocks_, isa_.irqs[8]);
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
  uint64_t below = std::min(config.ram_size, kBelow4gLimit);
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
  port92_ = std::make_unique<Port92>(control_, &a20_from_port92_);
  port92_->map(*system_io_);
  post_port_ = std::make_unique<PostPort>();
  post_port_->map(*system_io_);

  for (std::size_t i = 0; i < config.serials.size() && i < 4; ++i) {
    if (!config.serials[i]) continue;
    auto uart =
        std::make_unique<Serial16550>(clocks_, isa_.irqs[kComPorts[i].irq], config.serials[i]);
    uart->map(*system_io_, kComPorts[i].base);
    serials_.push_back(std::move(uart));
  }

  all_devices_ = {pic_.get(),   pit_.get(),    port61_.get(),   rtc_.get(),
                  i8042_.get(), port92_.get(), post_port_.get()};
  for (auto& s : serials_) all_devices_.push_back(s.get());
}

CpuInterruptSource& PcMachine::interrupts() {
  return *pic_;
}

void PcMachine::set_intr_listener(std::function<void(bool)> listener) {
  intr_listener_ = std::move(listener);
}

void PcMachine::set_a20_listener(std::function<void(bool)> listener) {
  a20_listener_ = std::move(listener);
}

void PcMachine::update_a20(bool enabled) {
  if (enabled == a20_enabled_) return;
  a20_enabled_ = enabled;
  if (a20_listener_) a20_listener_(enabled);
}

void PcMachine::add_device(std::unique_ptr<Device> device) {
  device->realize();
  all_devices_.push_back(device.get());
  extra_devices_.push_back(std::move(device));
}

void PcMachine::reset() {
  for (Device* d : all_devices_) d->reset();
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
  boot_state_ = load_linux(*memory_space_, layout, kernel_, initrd_, kernel_cmdline_).cpu;
}

}  // namespace vx86
