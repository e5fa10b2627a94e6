#include "hw/usb/uhci.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/log.h"
#include "core/state.h"
#include "hw/usb/usb_device.h"

namespace vx86 {

namespace {

// USBCMD
constexpr uint16_t kCmdRun = 1 << 0, kCmdHostReset = 1 << 1, kCmdGlobalReset = 1 << 2,
                   kCmdGlobalSuspend = 1 << 3, kCmdForceResume = 1 << 4, kCmdDebug = 1 << 5,
                   kCmdConfigured = 1 << 6, kCmdMaxPacket64 = 1 << 7;
constexpr uint16_t kCmdStored = kCmdRun | kCmdGlobalReset | kCmdGlobalSuspend | kCmdForceResume |
                                kCmdDebug | kCmdConfigured | kCmdMaxPacket64;
// USBSTS (all but HCHalted are write-1-to-clear)
constexpr uint16_t kStsInterrupt = 1 << 0, kStsError = 1 << 1, kStsResume = 1 << 2,
                   kStsSystemError = 1 << 3, kStsProcessError = 1 << 4, kStsHalted = 1 << 5;
// USBINTR
constexpr uint16_t kIntrTimeoutCrc = 1 << 0, kIntrResume = 1 << 1, kIntrComplete = 1 << 2,
                   kIntrShortPacket = 1 << 3;
// PORTSC
constexpr uint16_t kPortConnected = 1 << 0, kPortConnectChange = 1 << 1, kPortEnabled = 1 << 2,
                   kPortEnableChange = 1 << 3, kPortResumeDetect = 1 << 6, kPortAlwaysOne = 1 << 7,
                   kPortReset = 1 << 9, kPortSuspend = 1 << 12;
constexpr uint16_t kPortWriteClear = kPortConnectChange | kPortEnableChange;
constexpr uint16_t kPortWritable = kPortEnabled | kPortResumeDetect | kPortReset | kPortSuspend;

// Link pointers (frame list entries, QH and TD links).
constexpr uint32_t kLinkTerminate = 1 << 0, kLinkQueueHead = 1 << 1;
constexpr uint32_t kLinkAddressMask = ~0xfu;
// TD control and status
constexpr uint32_t kTdActualLengthMask = 0x7ff, kTdBitstuff = 1 << 17, kTdCrcTimeout = 1 << 18,
                   kTdNak = 1 << 19, kTdStalled = 1 << 22, kTdActive = 1 << 23,
                   kTdInterruptOnComplete = 1 << 24, kTdShortPacketDetect = 1 << 29,
                   kTdErrorCounterMask = 3u << 27;

// A frame's walk ends after this many schedule elements: a guest's loop of
// descriptors cannot hold the controller forever.
constexpr int kElementsPerFrame = 1024;
// Queue heads a frame visits at most (Linux's schedule has about a dozen).
constexpr std::size_t kQueuesPerFrame = 128;

constexpr int64_t kFrameNs = 1'000'000;
constexpr int64_t kMaxFramesPerTick = 64;
constexpr unsigned kMaxIdleFramesPerTick = 8;

}  // namespace

class Uhci::IoOpsImpl final : public IoOps {
 public:
  explicit IoOpsImpl(Uhci& uhci) : uhci_(uhci) {}
  uint64_t read(uint64_t offset, unsigned size) override { return uhci_.io_read(offset, size); }
  void write(uint64_t offset, uint64_t value, unsigned size) override {
    uhci_.io_write(offset, value, size);
  }

 private:
  Uhci& uhci_;
};

Uhci::Uhci(Clocks& clocks, std::string bus_name)
    : PciDevice("piix3-usb-uhci", PciIds{.vendor = 0x8086,
                                         .device = 0x7020,
                                         .class_code = 0x0c0300,
                                         .revision = 0x01,
                                         .subsystem_vendor = 0x1af4,
                                         .subsystem = 0x1100,
                                         .interrupt_pin = 4}),
      clocks_(clocks),
      ops_(std::make_unique<IoOpsImpl>(*this)),
      io_region_(MemoryRegion::io("uhci", 0x20, ops_.get(), {1, 4, false})),
      usb_bus_(std::make_unique<UsbBus>(std::move(bus_name),
                                        [this] {
                                          char name[16];
                                          std::snprintf(name, sizeof name, "0000:00:%02x.%u",
                                                        slot(), devfn() & 7u);
                                          return std::string(name);
                                        })),
      frame_timer_(clocks, ClockType::kVirtual, [this] { frame_timer_fired(); }) {
  register_bar(kIoBar, PciBarType::kIo, io_region_.get());
  set_config8(0x60, 0x10);     // SBRN: USB 1.0
  set_write_mask(0xc0, 0xff);  // LEGSUP: the SMI trap enables...
  set_write_mask(0xc1, 0x20);  // ...and PIRQ enable (the status bits never set here)
  reset_config();
  for (unsigned i = 0; i < kPorts; ++i) {
    usb_bus_->add_port(std::to_string(i + 1),
                       [this, i](UsbDevice* device) { port_attached(i, device); });
  }
  controller_reset();
}

Uhci::~Uhci() = default;

void Uhci::reset_config() {
  PciDevice::reset_config();
  set_config16(0xc0, 0x2000);  // LEGSUP: PIRQ enabled, as at power-on
}

void Uhci::reset() {
  PciDevice::reset();
  controller_reset();
}

void Uhci::controller_reset() {
  set_running(false);
  cmd_ = 0;
  status_ = kStsHalted;
  intr_ = 0;
  frame_ = 0;
  frame_base_ = 0;
  sof_ = 64;
  for (unsigned i = 0; i < kPorts; ++i) {
    // A device present shows as newly connected, so the driver enumerates it.
    port_sc_[i] = devices_[i] ? kPortConnected | kPortConnectChange : 0;
    if (devices_[i]) devices_[i]->bus_reset();
  }
  update_irq();
}

void Uhci::port_attached(unsigned index, UsbDevice* device) {
  devices_[index] = device;
  if (device) {
    port_sc_[index] |= kPortConnected | kPortConnectChange;
  } else {
    // Unplugged: disconnected and so disabled, both changes to report.
    port_sc_[index] = static_cast<uint16_t>((port_sc_[index] & ~(kPortConnected | kPortEnabled)) |
                                            kPortConnectChange | kPortEnableChange);
  }
  if (cmd_ & kCmdGlobalSuspend) {
    status_ |= kStsResume;  // a connection wakes a suspended controller
    update_irq();
  }
}

uint64_t Uhci::io_read(uint64_t offset, unsigned size) {
  // Frames run in batches; the driver sees them all done when it looks.
  catch_up();
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t at = offset + i;
    uint32_t reg = 0;
    if (at < 2) {
      reg = cmd_;
    } else if (at < 4) {
      reg = status_;
    } else if (at < 6) {
      reg = intr_;
    } else if (at < 8) {
      reg = frame_ & 0x7ffu;
    } else if (at < 0x0c) {
      reg = frame_base_;
    } else if (at == 0x0c) {
      reg = sof_;
    } else if (at >= kPortSc1 && at < kPortSc1 + 2 * kPorts) {
      reg = port_sc_[(at - kPortSc1) / 2] | kPortAlwaysOne;
    }
    // Ports past the second read 0: bit 7 clear tells drivers they are absent.
    const unsigned byte_in_reg = at >= 8 && at < 0x0c ? at - 8 : at & 1;
    value |= static_cast<uint64_t>((reg >> (8 * byte_in_reg)) & 0xff) << (8 * i);
  }
  return value;
}

void Uhci::io_write(uint64_t offset, uint64_t value, unsigned size) {
  catch_up();
  if (offset >= 8 && offset < 0x0c) {
    // FRBASEADD: a 4 KiB aligned frame list.
    const unsigned shift = 8 * static_cast<unsigned>(offset - 8);
    const uint32_t mask = (size >= 4 ? 0xffffffffu : ((1u << (8 * size)) - 1)) << shift;
    frame_base_ =
        ((frame_base_ & ~mask) | (static_cast<uint32_t>(value << shift) & mask)) & 0xfffff000u;
    return;
  }
  if (offset == 0x0c && size == 1) {
    sof_ = static_cast<uint8_t>(value & 0x7f);
    return;
  }
  // The 16-bit registers, one at a time; a byte write keeps the register's
  // other byte (but never writes a 1 back into a write-1-to-clear bit).
  for (unsigned done = 0; done < size;) {
    const uint64_t at = offset + done;
    const uint64_t reg = at & ~1ull;
    const unsigned first = at & 1, bytes = std::min(2u - first, size - done);
    const uint16_t mask = static_cast<uint16_t>(((1u << (8 * bytes)) - 1) << (8 * first));
    const uint16_t part = static_cast<uint16_t>((value >> (8 * done)) << (8 * first)) & mask;
    const uint16_t current = static_cast<uint16_t>(io_read(reg, 2));
    uint16_t write_clear = 0;
    if (reg == kUsbSts) write_clear = 0xffff;
    if (reg >= kPortSc1 && reg < kPortSc1 + 2 * kPorts) write_clear = kPortWriteClear;
    const uint16_t v = static_cast<uint16_t>((current & ~mask & ~write_clear) | part);
    done += bytes;
    switch (reg) {
      case kUsbCmd: {
        if (v & kCmdHostReset) {
          controller_reset();  // the bit clears itself when done
          break;
        }
        if ((v & kCmdGlobalReset) && !(cmd_ & kCmdGlobalReset)) {
          for (UsbDevice* d : devices_) {
            if (d) d->bus_reset();
          }
        }
        cmd_ = v & kCmdStored;
        set_running((cmd_ & kCmdRun) != 0);
        break;
      }
      case kUsbSts:
        status_ &= static_cast<uint16_t>(~(v & ~kStsHalted));
        update_irq();
        break;
      case kUsbIntr:
        intr_ = v & 0x0f;
        update_irq();
        break;
      case kFrNum:
        frame_ = v & 0x7ff;
        break;
      case kSofMod:
        sof_ = static_cast<uint8_t>(v & 0x7f);
        break;
      default:
        if (reg >= kPortSc1 && reg < kPortSc1 + 2 * kPorts) {
          const unsigned port = static_cast<unsigned>(reg - kPortSc1) / 2;
          const uint16_t old = port_sc_[port];
          uint16_t now = static_cast<uint16_t>(old & ~(v & kPortWriteClear));
          now = static_cast<uint16_t>((now & ~kPortWritable) | (v & kPortWritable));
          if ((v & kPortReset) && !(old & kPortReset) && devices_[port]) {
            devices_[port]->bus_reset();
          }
          // A port is disabled while in reset and can only be enabled with a device.
          if ((now & kPortReset) || !(now & kPortConnected)) now &= ~kPortEnabled;
          port_sc_[port] = now;
        }
        break;
    }
  }
}

void Uhci::set_running(bool running) {
  if (running) {
    status_ &= ~kStsHalted;
    if (!frame_timer_.pending()) {
      last_frame_ns_ = clocks_.now(ClockType::kVirtual);
      frames_per_tick_ = 1;
      frame_timer_.mod(last_frame_ns_ + kFrameNs);
    }
  } else {
    status_ |= kStsHalted;
    frame_timer_.del();
  }
}

bool Uhci::catch_up() {
  if (!(cmd_ & kCmdRun)) return false;
  // Every frame whose millisecond has passed, in order. A controller that
  // fell far behind (the host was busy) drops the frames it missed.
  const int64_t now = clocks_.now(ClockType::kVirtual);
  if (now - last_frame_ns_ > kMaxFramesPerTick * kFrameNs) {
    last_frame_ns_ = now - kMaxFramesPerTick * kFrameNs;
  }
  bool busy = false;
  while (last_frame_ns_ + kFrameNs <= now && (cmd_ & kCmdRun)) {
    busy |= run_frame();
    last_frame_ns_ += kFrameNs;
  }
  return busy;
}

void Uhci::frame_timer_fired() {
  const bool busy = catch_up();
  if (!(cmd_ & kCmdRun)) return;
  // Waking up for every frame costs the host more than walking it: while
  // the schedule only polls (NAKs, nothing active) frames go in batches of
  // up to 8 ms; anything that completes brings it back to every frame.
  frames_per_tick_ = busy ? 1 : std::min(frames_per_tick_ * 2, kMaxIdleFramesPerTick);
  frame_timer_.mod(last_frame_ns_ + frames_per_tick_ * kFrameNs);
}

uint32_t Uhci::read32(uint32_t addr) {
  uint8_t b[4] = {};
  if (!dma_read(addr, b, 4)) dma_error_ = true;
  return static_cast<uint32_t>(b[0] | b[1] << 8 | b[2] << 16) | static_cast<uint32_t>(b[3]) << 24;
}

void Uhci::write32(uint32_t addr, uint32_t value) {
  const uint8_t b[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                        static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
  if (!dma_write(addr, b, 4)) dma_error_ = true;
}

bool Uhci::run_frame() {
  dma_error_ = false;
  completed_ = false;
  walk_frame(read32(frame_base_ + (frame_ & 0x3ffu) * 4));
  frame_ = (frame_ + 1) & 0x7ff;
  if (dma_error_) {
    // The schedule is out of reach (bus mastering off, no memory there):
    // a host system error, which halts the controller.
    VX86_LOG(kLogGuestErrors, "piix3-usb-uhci: schedule memory not reachable, halted\n");
    status_ |= kStsSystemError;
    cmd_ &= ~kCmdRun;
    set_running(false);
  }
  update_irq();
  return completed_;
}

void Uhci::walk_frame(uint32_t link) {
  std::array<uint32_t, kQueuesPerFrame> queues_seen;
  std::size_t queues = 0;
  int budget = kElementsPerFrame;
  while (!(link & kLinkTerminate) && budget-- > 0 && !dma_error_) {
    const uint32_t addr = link & kLinkAddressMask;
    if (!(link & kLinkQueueHead)) {  // a TD outside any queue
      run_td(addr);
      link = read32(addr);
      continue;
    }
    // Drivers end the schedule with a loop back to an earlier queue (full
    // speed bandwidth reclamation); once round it is enough for a frame.
    const auto seen_end = queues_seen.begin() + static_cast<std::ptrdiff_t>(queues);
    if (std::find(queues_seen.begin(), seen_end, addr) != seen_end) break;
    if (queues == queues_seen.size()) break;  // more queues than any driver makes
    queues_seen[queues++] = addr;
    // The queue's TDs in order while they complete; a NAK, an error, a
    // short packet or an inactive TD leaves the queue for the next frame.
    uint32_t element = read32(addr + 4);
    while (!(element & kLinkTerminate) && !(element & kLinkQueueHead) && budget-- > 0 &&
           !dma_error_) {
      const uint32_t td = element & kLinkAddressMask;
      if (run_td(td) != TdOutcome::kDone) break;
      element = read32(td);
      write32(addr + 4, element);  // the queue moves on
    }
    link = read32(addr);
  }
}

UsbDevice* Uhci::device_at(uint8_t address) {
  for (unsigned i = 0; i < kPorts; ++i) {
    UsbDevice* d = devices_[i];
    if (!d || !(port_sc_[i] & kPortEnabled) || (port_sc_[i] & kPortSuspend)) continue;
    if (d->address() == address) return d;
    if (UsbDevice* behind = d->find_downstream(address)) return behind;
  }
  return nullptr;
}

Uhci::TdOutcome Uhci::run_td(uint32_t addr) {
  uint32_t ctrl = read32(addr + 4);
  if (!(ctrl & kTdActive) || dma_error_) return TdOutcome::kInactive;
  const uint32_t token = read32(addr + 8);
  const uint32_t buffer = read32(addr + 12);
  const unsigned max_length = ((token >> 21) + 1) & 0x7ff;  // 0x7ff: a zero-length packet
  const uint8_t pid = token & 0xff;
  const uint8_t address = (token >> 8) & 0x7f;
  const uint8_t endpoint = (token >> 15) & 0xf;

  UsbDevice* device = device_at(address);
  UsbResult result{UsbResult::kStall, 0};
  bool timeout = device == nullptr;
  std::array<uint8_t, kMaxPacket>& data = packet_;
  if (max_length > kMaxPacket ||
      (pid != static_cast<uint8_t>(UsbPid::kIn) && pid != static_cast<uint8_t>(UsbPid::kOut) &&
       pid != static_cast<uint8_t>(UsbPid::kSetup))) {
    // Not a transaction a full-speed bus carries: what a device would
    // answer with silence.
    VX86_LOG(kLogGuestErrors, "piix3-usb-uhci: TD at %#x has PID %#x, length %u\n", addr, pid,
             max_length);
    timeout = true;
  }
  if (!timeout) {
    const std::span<uint8_t> packet(data.data(), max_length);
    if (pid != static_cast<uint8_t>(UsbPid::kIn) && !dma_read(buffer, data.data(), max_length)) {
      dma_error_ = true;
      return TdOutcome::kHalted;
    }
    result = device->transact(static_cast<UsbPid>(pid), endpoint, packet);
  }

  // Anything but a NAK finishes the TD: the schedule moved.
  completed_ = completed_ || timeout || result.status != UsbResult::kNak;
  if (timeout) {
    ctrl = (ctrl & ~(kTdActive | kTdErrorCounterMask)) | kTdStalled | kTdCrcTimeout;
    status_ |= kStsError;
  } else if (result.status == UsbResult::kNak) {
    // Still active: tried again next frame (the NAK bit written once).
    if (!(ctrl & kTdNak)) write32(addr + 4, ctrl | kTdNak);
    return TdOutcome::kHalted;
  } else if (result.status == UsbResult::kStall) {
    ctrl = (ctrl & ~kTdActive) | kTdStalled;
    status_ |= kStsError;
  } else {
    const std::size_t length = result.length;
    if (pid == static_cast<uint8_t>(UsbPid::kIn) && length > 0 &&
        !dma_write(buffer, data.data(), length)) {
      dma_error_ = true;
      return TdOutcome::kHalted;
    }
    ctrl = (ctrl & ~(kTdActive | kTdNak | kTdActualLengthMask | kTdBitstuff)) |
           (static_cast<uint32_t>(length - 1) & kTdActualLengthMask);
    if (ctrl & kTdInterruptOnComplete) status_ |= kStsInterrupt;
    const bool short_packet = pid == static_cast<uint8_t>(UsbPid::kIn) && length < max_length;
    write32(addr + 4, ctrl);
    if (short_packet && (ctrl & kTdShortPacketDetect)) {
      status_ |= kStsInterrupt;
      return TdOutcome::kShort;
    }
    return TdOutcome::kDone;
  }
  if (ctrl & kTdInterruptOnComplete) status_ |= kStsInterrupt;
  write32(addr + 4, ctrl);
  return TdOutcome::kHalted;
}

void Uhci::update_irq() {
  const bool level = ((status_ & kStsInterrupt) && (intr_ & (kIntrComplete | kIntrShortPacket))) ||
                     ((status_ & kStsError) && (intr_ & kIntrTimeoutCrc)) ||
                     ((status_ & kStsResume) && (intr_ & kIntrResume)) ||
                     (status_ & (kStsSystemError | kStsProcessError));
  set_irq(level);
}

void Uhci::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  v.field("cmd", cmd_);
  v.field("status", status_);
  v.field("intr", intr_);
  v.field("frame", frame_);
  v.field("frame_base", frame_base_);
  v.field("sof", sof_);
  v.array("port_sc", std::span<uint16_t>(port_sc_));
}

}  // namespace vx86
