#include "hw/char/serial_16550.h"

#include "core/log.h"

namespace vx86 {

namespace {

// Register offsets.
constexpr uint64_t kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6,
                   kScr = 7;

constexpr uint8_t kIerRxData = 0x01, kIerThre = 0x02, kIerLineStatus = 0x04, kIerModem = 0x08;

constexpr uint8_t kIirNone = 0x01, kIirLineStatus = 0x06, kIirRxData = 0x04, kIirTimeout = 0x0c,
                  kIirThre = 0x02, kIirModem = 0x00, kIirFifoOn = 0xc0;

constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrBi = 0x10, kLsrThre = 0x20, kLsrTemt = 0x40,
                  kLsrFifoError = 0x80, kLsrErrors = 0x1e;

constexpr uint8_t kMcrOut2 = 0x08;

constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;

}  // namespace

Serial16550::Serial16550(Clocks& clocks, IrqLine* irq, Chardev* chardev)
    : Device("isa-serial"),
      clocks_(clocks),
      irq_(irq),
      chardev_(chardev),
      timeout_timer_(clocks, ClockType::kVirtual, [this] { on_timeout(); }) {
  region_ = MemoryRegion::io("serial", 8, this, AccessLimits{1, 1, false});
  reset();
  if (chardev_) chardev_->set_frontend(this);
}

Serial16550::~Serial16550() {
  if (chardev_ && chardev_->frontend() == this) chardev_->set_frontend(nullptr);
}

void Serial16550::map(MemoryRegion& io_space, uint64_t base) {
  io_space.add_subregion(base, region_.get());
}

void Serial16550::reset() {
  timeout_timer_.del();
  rbr_ = ier_ = lcr_ = mcr_ = scr_ = fcr_ = 0;
  lsr_ = 0;
  msr_ = external_lines_;
  dll_ = 0x0c;  // 9600 baud, like most firmware leaves it
  dlm_ = 0;
  rx_head_ = rx_count_ = 0;
  thr_ipending_ = timeout_ipending_ = 0;
  update_irq();
  maybe_accept_input();
}

unsigned Serial16550::trigger_level() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return fifo_enabled() ? kLevels[fcr_ >> 6] : 1;
}

int64_t Serial16550::char_time_ns() const {
  // Start bit + 5-8 data bits + optional parity + 1 or 2 stop bits.
  unsigned bits = 1 + 5 + (lcr_ & 3) + ((lcr_ & 0x08) ? 1 : 0) + ((lcr_ & 0x04) ? 2 : 1);
  unsigned div = divisor() ? divisor() : 0x10000;
  return static_cast<int64_t>(bits) * kNsPerSec * div / kBaseBaud;
}

void Serial16550::push_rx(uint8_t byte) {
  unsigned capacity = fifo_enabled() ? kFifoSize : 1;
  if (rx_count_ >= capacity) {
    // Overrun: the new character is lost (FIFO mode) or replaces RBR.
    lsr_ |= kLsrOe;
    if (!fifo_enabled()) rx_[rx_head_] = byte;
    return;
  }
  rx_[(rx_head_ + rx_count_) % kFifoSize] = byte;
  rx_count_++;
}

uint8_t Serial16550::pop_rx() {
  if (rx_count_ == 0) return rbr_;
  rbr_ = rx_[rx_head_];
  rx_head_ = static_cast<uint8_t>((rx_head_ + 1) % kFifoSize);
  rx_count_--;
  return rbr_;
}

void Serial16550::clear_rx() {
  rx_head_ = rx_count_ = 0;
  timeout_ipending_ = 0;
  timeout_timer_.del();
}

void Serial16550::arm_timeout() {
  // Character timeout: data in the FIFO, nothing in or out for 4 characters.
  timeout_ipending_ = 0;
  if (fifo_enabled() && rx_count_ > 0) {
    timeout_timer_.mod(clocks_.now(ClockType::kVirtual) + 4 * char_time_ns());
  } else {
    timeout_timer_.del();
  }
}

void Serial16550::on_timeout() {
  if (fifo_enabled() && rx_count_ > 0) {
    timeout_ipending_ = 1;
    update_irq();
  }
}

std::size_t Serial16550::can_receive() {
  if (loopback()) return 0;  // the receiver listens to the transmitter only
  if (fifo_enabled()) return kFifoSize - rx_count_;
  return rx_count_ == 0 ? 1 : 0;
}

void Serial16550::receive(const uint8_t* data, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) push_rx(data[i]);
  arm_timeout();
  update_irq();
}

void Serial16550::chardev_event(ChardevEvent event) {
  if (event != ChardevEvent::kBreak) return;
  // A break arrives as a zero character with BI set.
  push_rx(0);
  lsr_ |= kLsrBi;
  if (fifo_enabled()) lsr_ |= kLsrFifoError;
  arm_timeout();
  update_irq();
}

void Serial16550::maybe_accept_input() {
  if (chardev_ && can_receive() > 0) chardev_->accept_input();
}

void Serial16550::transmit(uint8_t byte) {
  if (loopback()) {
    push_rx(byte);
    arm_timeout();
  } else if (chardev_) {
    chardev_->write(&byte, 1);
  }
  // THR and the shift register are empty again.
  thr_ipending_ = 1;
}

uint8_t Serial16550::loopback_lines() const {
  // RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
  return static_cast<uint8_t>(((mcr_ & 0x02) ? kMsrCts : 0) | ((mcr_ & 0x01) ? kMsrDsr : 0) |
                              ((mcr_ & 0x04) ? kMsrRi : 0) | ((mcr_ & 0x08) ? kMsrDcd : 0));
}

void Serial16550::set_modem_status(uint8_t lines) {
  uint8_t old = msr_ & 0xf0;
  uint8_t changed = old ^ lines;
  uint8_t delta = 0;
  if (changed & kMsrCts) delta |= 0x01;
  if (changed & kMsrDsr) delta |= 0x02;
  if ((old & kMsrRi) && !(lines & kMsrRi)) delta |= 0x04;  // trailing edge of RI
  if (changed & kMsrDcd) delta |= 0x08;
  msr_ = static_cast<uint8_t>(lines | (msr_ & 0x0f) | delta);
}

void Serial16550::set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd) {
  external_lines_ = static_cast<uint8_t>((cts ? kMsrCts : 0) | (dsr ? kMsrDsr : 0) |
                                         (ri ? kMsrRi : 0) | (dcd ? kMsrDcd : 0));
  if (!loopback()) {
    set_modem_status(external_lines_);
    update_irq();
  }
}

uint8_t Serial16550::compute_iir() const {
  uint8_t id = kIirNone;
  if ((ier_ & kIerLineStatus) && (lsr_ & kLsrErrors)) {
    id = kIirLineStatus;
  } else if ((ier_ & kIerRxData) && rx_count_ >= trigger_level()) {
    id = kIirRxData;
  } else if ((ier_ & kIerRxData) && timeout_ipending_) {
    id = kIirTimeout;
  } else if ((ier_ & kIerThre) && thr_ipending_) {
    id = kIirThre;
  } else if ((ier_ & kIerModem) && (msr_ & 0x0f)) {
    id = kIirModem;
  }
  return static_cast<uint8_t>(id | (fifo_enabled() ? kIirFifoOn : 0));
}

void Serial16550::update_irq() {
  bool level = !(compute_iir() & kIirNone) && (mcr_ & kMcrOut2);
  if (level == static_cast<bool>(irq_level_)) return;
  irq_level_ = level;
  if (irq_) irq_->set(level);
}

uint64_t Serial16550::read(uint64_t offset, unsigned size) {
  uint8_t value = 0;
  switch (offset) {
    case kRbrThr:
      if (lcr_ & 0x80) return dll_;
      value = pop_rx();
      arm_timeout();
      update_irq();
      maybe_accept_input();
      return value;
    case kIer:
      if (lcr_ & 0x80) return dlm_;
      return ier_;
    case kIirFcr:
      value = compute_iir();
      // Reading IIR acknowledges a THRE interrupt it reports.
      if ((value & 0x0f) == kIirThre) {
        thr_ipending_ = 0;
        update_irq();
      }
      return value;
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr:
      value = static_cast<uint8_t>(lsr_ | kLsrThre | kLsrTemt | (rx_count_ ? kLsrDr : 0));
      lsr_ &= ~(kLsrErrors | kLsrFifoError);  // errors clear on read
      update_irq();
      return value;
    case kMsr:
      value = msr_;
      msr_ &= 0xf0;  // delta bits clear on read
      update_irq();
      return value;
    default:  // kScr
      return scr_;
  }
}

void Serial16550::write(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t v = static_cast<uint8_t>(value);
  switch (offset) {
    case kRbrThr:
      if (lcr_ & 0x80) {
        dll_ = v;
        break;
      }
      thr_ipending_ = 0;
      transmit(v);
      break;
    case kIer: {
      if (lcr_ & 0x80) {
        dlm_ = v;
        break;
      }
      uint8_t old = ier_;
      ier_ = v & 0x0f;
      // Enabling the THRE interrupt while THR is empty raises it at once.
      if ((ier_ & kIerThre) && !(old & kIerThre)) thr_ipending_ = 1;
      if (!(ier_ & kIerThre)) thr_ipending_ = 0;
      break;
    }
    case kIirFcr: {
      bool was_enabled = fifo_enabled();
      if ((v & 0x01) != was_enabled) clear_rx();  // toggling the FIFOs empties them
      fcr_ = v & 0xc9;
      if (!fifo_enabled()) fcr_ = 0;
      if (v & 0x02) {
        clear_rx();
        lsr_ &= ~kLsrFifoError;
      }
      // v & 0x04 clears the transmit FIFO, which is always empty here.
      maybe_accept_input();
      break;
    }
    case kLcr:
      lcr_ = v;
      if (v & 0x40) VX86_LOG(kLogUnimp, "serial: break transmission not modelled\n");
      break;
    case kMcr: {
      bool was_loop = loopback();
      mcr_ = v & 0x1f;
      if (loopback()) {
        set_modem_status(loopback_lines());
      } else if (was_loop) {
        set_modem_status(external_lines_);
      }
      if (was_loop && !loopback()) maybe_accept_input();
      break;
    }
    case kLsr:
    case kMsr:
      VX86_LOG(kLogGuestErrors, "serial: write to read-only register %u\n",
               static_cast<unsigned>(offset));
      break;
    default:  // kScr
      scr_ = v;
      break;
  }
  update_irq();
}

void Serial16550::visit_state(StateVisitor& v) {
  v.begin("serial");
  v.field("rbr", rbr_);
  v.field("ier", ier_);
  v.field("lcr", lcr_);
  v.field("mcr", mcr_);
  v.field("lsr", lsr_);
  v.field("msr", msr_);
  v.field("scr", scr_);
  v.field("fcr", fcr_);
  v.field("dll", dll_);
  v.field("dlm", dlm_);
  v.array("rx", std::span<uint8_t>(rx_));
  v.field("rx_head", rx_head_);
  v.field("rx_count", rx_count_);
  v.field("thr_ipending", thr_ipending_);
  v.field("timeout_ipending", timeout_ipending_);
  v.field("external_lines", external_lines_);
  v.end();
  if (v.loading()) {
    if (fifo_enabled() && rx_count_ > 0 && !timeout_ipending_) {
      timeout_timer_.mod(clocks_.now(ClockType::kVirtual) + 4 * char_time_ns());
    } else {
      timeout_timer_.del();
    }
    irq_level_ = !(compute_iir() & kIirNone) && (mcr_ & kMcrOut2);
    if (irq_) irq_->set(irq_level_);
    maybe_accept_input();
  }
}

}  // namespace vx86
