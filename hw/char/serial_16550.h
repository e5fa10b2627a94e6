// National Semiconductor 16550A UART, as a PC COM port (8 byte-wide ports).
//
// Transmission is instantaneous: a THR write goes straight to the chardev, so
// THR and the transmitter are always empty again by the next access (THRE and
// TEMT read 1 and the THRE interrupt is re-armed at once). Reception honours
// the FIFO, its trigger level and the character timeout, the latter on the
// virtual clock at the programmed baud rate. Input the FIFO cannot take stays
// queued in the chardev until the guest reads (no input is lost).
//
// The IRQ output is gated by MCR OUT2, as on PC serial cards.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/chardev.h"
#include "core/clock.h"
#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"

namespace vx86 {

class Serial16550 : public Device, public IoOps, public CharFrontend {
 public:
  static constexpr unsigned kFifoSize = 16;
  static constexpr uint32_t kBaseBaud = 115200;  // 1.8432 MHz / 16

  // irq and chardev may be null (no line / no backend: output is dropped).
  Serial16550(Clocks& clocks, IrqLine* irq, Chardev* chardev);
  ~Serial16550() override;

  // Maps the 8 registers at base (0x3f8, 0x2f8, 0x3e8, 0x2e8 on a PC).
  void map(MemoryRegion& io_space, uint64_t base);
  MemoryRegion* region() { return region_.get(); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  std::size_t can_receive() override;
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;

  // Modem status inputs from the host side (CTS, DSR, RI, DCD), used outside
  // loopback. Default: CTS, DSR and DCD asserted.
  void set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd);

  bool irq_level() const { return irq_level_; }
  uint16_t divisor() const { return static_cast<uint16_t>(dll_ | dlm_ << 8); }
  // Nanoseconds one character takes on the line with the current settings.
  int64_t char_time_ns() const;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  bool fifo_enabled() const { return (fcr_ & 0x01) != 0; }
  bool loopback() const { return (mcr_ & 0x10) != 0; }
  unsigned trigger_level() const;
  void push_rx(uint8_t byte);
  uint8_t pop_rx();
  void clear_rx();
  void transmit(uint8_t byte);
  uint8_t compute_iir() const;
  void update_irq();
  void set_modem_status(uint8_t lines);  // bits 4-7 of MSR
  uint8_t loopback_lines() const;
  void arm_timeout();
  void on_timeout();
  void maybe_accept_input();

  Clocks& clocks_;
  IrqLine* irq_;
  Chardev* chardev_;
  std::unique_ptr<MemoryRegion> region_;
  Timer timeout_timer_;
  uint8_t external_lines_ = 0xb0;  // DCD, DSR, CTS

  // Saved state.
  uint8_t rbr_ = 0;  // last byte read (read again when the FIFO is empty)
  uint8_t ier_ = 0;
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t lsr_ = 0;
  uint8_t msr_ = 0;
  uint8_t scr_ = 0;
  uint8_t fcr_ = 0;
  uint8_t dll_ = 0;
  uint8_t dlm_ = 0;
  std::array<uint8_t, kFifoSize> rx_{};
  uint8_t rx_head_ = 0;
  uint8_t rx_count_ = 0;
  uint8_t thr_ipending_ = 0;
  uint8_t timeout_ipending_ = 0;
  uint8_t irq_level_ = 0;
};

}  // namespace vx86
