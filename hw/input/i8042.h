// Intel 8042 keyboard controller (PS/2 style): data port 0x60, status and
// command port 0x64, a PS/2 keyboard and a PS/2 mouse (aux) behind it.
//
// The controller's output port drives the A20 gate (bit 1) and CPU reset
// (bit 0, active low; pulse command 0xFE). With the command byte's XLATE bit
// the keyboard's set-2 bytes are translated to set 1 on their way to the
// output buffer, as the real controller does.
//
// After reset the output port has A20 enabled (as QEMU does, so firmware that
// expects A20 on works) and the command byte is 0x41 (XLATE, IRQ1 enabled).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"
#include "hw/input/ps2_keyboard.h"
#include "hw/input/ps2_mouse.h"

namespace vx86 {

class I8042 : public Device {
 public:
  // kbd_irq (IRQ1), aux_irq (IRQ12) and a20 (A20 gate, a GPIO-like level)
  // may be null.
  I8042(SystemControl& system, IrqLine* kbd_irq, IrqLine* aux_irq, IrqLine* a20);

  // Maps the data port and the status/command port.
  void map(MemoryRegion& io_space, uint64_t data_port = 0x60, uint64_t command_port = 0x64);

  Ps2Keyboard& keyboard() { return keyboard_; }
  Ps2Mouse& mouse() { return mouse_; }

  uint8_t command_byte() const { return command_byte_; }
  uint8_t output_port() const;
  bool a20_enabled() const { return (output_port_ & 0x02) != 0; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  class Port : public IoOps {
   public:
    Port(I8042& owner, bool command) : owner_(owner), command_(command) {}
    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, uint64_t value, unsigned size) override;

   private:
    I8042& owner_;
    bool command_;
  };

  enum Source : uint8_t { kFromController = 0, kFromKeyboard = 1, kFromAux = 2 };

  uint8_t read_data();
  uint8_t read_status() const;
  void write_data(uint8_t value);
  void write_command(uint8_t value);
  // Puts a controller response in line for the output buffer.
  void respond(uint8_t value, Source source = kFromController);
  void set_output_port(uint8_t value);
  // Fills the output buffer from the controller, keyboard or aux, in that order.
  void service();
  void update_irqs(bool force = false);

  SystemControl& system_;
  IrqLine* kbd_irq_;
  IrqLine* aux_irq_;
  IrqLine* a20_;
  Ps2Keyboard keyboard_;
  Ps2Mouse mouse_;
  Port data_ops_{*this, false};
  Port command_ops_{*this, true};
  std::unique_ptr<MemoryRegion> data_region_;
  std::unique_ptr<MemoryRegion> command_region_;

  // Saved state.
  uint8_t command_byte_ = 0x41;
  uint8_t output_port_ = 0xcf;
  uint8_t last_was_command_ = 0;  // status bit 3
  uint8_t pending_command_ = 0;   // a command waiting for its data byte
  uint8_t obf_ = 0;
  uint8_t obf_data_ = 0;
  uint8_t obf_source_ = kFromController;
  uint8_t xlate_release_ = 0;      // saw F0 while translating
  std::array<uint8_t, 32> ram_{};  // controller RAM (byte 0 is the command byte)
  ByteQueue responses_;            // controller responses and D2/D3 data...
  ByteQueue response_sources_;     // ...and the Source each one shows as
  uint8_t kbd_irq_level_ = 0;
  uint8_t aux_irq_level_ = 0;
};

}  // namespace vx86
