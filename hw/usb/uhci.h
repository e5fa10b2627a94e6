// The PIIX3's USB host controller (8086:7020, QEMU's piix3-usb-uhci and what
// -usb adds at 01.2): a UHCI 1.1 controller with two full-speed root ports.
// Registers in BAR4 (I/O, 32 bytes); for every millisecond of virtual time
// while running, it walks one frame of the guest's schedule (frame list ->
// queue heads -> transfer descriptors), runs the active descriptors against
// the devices on its ports, writes their status back and interrupts on
// completion (IOC), short packets and errors, through INTD. Frames run in
// batches of up to 8 ms while the schedule only polls, and always before
// the driver reads or writes a register.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/memory.h"
#include "hw/pci/pci_device.h"
#include "hw/usb/usb_bus.h"

namespace vx86 {

class UsbDevice;

class Uhci : public PciDevice {
 public:
  static constexpr unsigned kPorts = 2;
  static constexpr int kIoBar = 4;

  // Register offsets in the I/O BAR.
  static constexpr unsigned kUsbCmd = 0x00, kUsbSts = 0x02, kUsbIntr = 0x04, kFrNum = 0x06,
                            kFrBaseAdd = 0x08, kSofMod = 0x0c, kPortSc1 = 0x10;

  // bus_name: the bus devices name with bus= ("usb-bus.0").
  Uhci(Clocks& clocks, std::string bus_name);
  ~Uhci() override;

  UsbBus& usb_bus() { return *usb_bus_; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

  // The registers (I/O BAR), for the BAR and for tests.
  uint64_t io_read(uint64_t offset, unsigned size);
  void io_write(uint64_t offset, uint64_t value, unsigned size);
  // Runs one frame now; whether some TD completed in it.
  bool run_frame();

 protected:
  void reset_config() override;

 private:
  struct TdResult;
  class IoOpsImpl;

  void controller_reset();
  void port_attached(unsigned index, UsbDevice* device);
  void set_running(bool running);
  void frame_timer_fired();
  // Runs the frames that are due by now; whether a TD completed in one.
  bool catch_up();
  // Walks one frame's schedule from the frame list entry.
  void walk_frame(uint32_t link);
  // Runs the TD at addr; what happened to it.
  enum class TdOutcome { kInactive, kDone, kShort, kHalted };
  TdOutcome run_td(uint32_t addr);
  UsbDevice* device_at(uint8_t address);
  void update_irq();
  uint32_t read32(uint32_t addr);
  void write32(uint32_t addr, uint32_t value);

  Clocks& clocks_;
  std::unique_ptr<IoOpsImpl> ops_;
  std::unique_ptr<MemoryRegion> io_region_;
  std::unique_ptr<UsbBus> usb_bus_;
  Timer frame_timer_;
  std::array<UsbDevice*, kPorts> devices_{};

  uint16_t cmd_ = 0;
  uint16_t status_ = 0;
  uint16_t intr_ = 0;
  uint16_t frame_ = 0;
  uint32_t frame_base_ = 0;
  uint8_t sof_ = 64;
  std::array<uint16_t, kPorts> port_sc_{};
  bool dma_error_ = false;     // a schedule read or write failed this frame
  bool completed_ = false;     // a TD completed this frame
  int64_t last_frame_ns_ = 0;  // when the last frame run was due
  unsigned frames_per_tick_ = 1;
  // The largest packet a full-speed TD may ask for (MaxLen 0x4ff).
  static constexpr unsigned kMaxPacket = 1280;
  std::array<uint8_t, kMaxPacket> packet_{};  // a transaction's data
};

}  // namespace vx86
