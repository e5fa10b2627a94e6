// The I/O APIC (82093AA-style) at 0xFEC00000: 24 interrupt pins, each with a
// redirection entry that turns a pin assertion into an APIC bus message.
//
// Pin polarity is stored but not applied: an IrqLine's level is already the
// logical "asserted" state, whatever the wire's polarity.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/irq.h"
#include "core/memory.h"
#include "hw/intc/lapic.h"

namespace vx86 {

class IoApic : public Device, public IoOps {
 public:
  static constexpr uint64_t kDefaultBase = 0xFEC00000;
  static constexpr int kPins = 24;
  static constexpr uint32_t kVersion = 0x00170011;  // max redirection entry 23, version 0x11
  // Registers selected through IOREGSEL.
  static constexpr uint32_t kRegId = 0x00;
  static constexpr uint32_t kRegVersion = 0x01;
  static constexpr uint32_t kRegArbitration = 0x02;
  static constexpr uint32_t kRegRedirection = 0x10;  // + 2 * pin (low), + 2 * pin + 1 (high)
  // Redirection entry bits.
  static constexpr uint64_t kDeliveryStatus = 1u << 12;
  static constexpr uint64_t kRemoteIrr = 1u << 14;
  static constexpr uint64_t kLevelTrigger = 1u << 15;
  static constexpr uint64_t kMasked = 1u << 16;

  // Registers for level-triggered EOIs on bus.
  explicit IoApic(ApicBus& bus, uint8_t id = 0);

  // Maps the 4 KiB window (IOREGSEL at +0x00, IOWIN at +0x10).
  void map(MemoryRegion& memory, uint64_t base = kDefaultBase);
  MemoryRegion* region() { return region_.get(); }

  // Interrupt input pins 0-23 (GSIs 0-23).
  IrqLine& input(int pin) { return inputs_.at(static_cast<std::size_t>(pin)); }

  // A local APIC's EOI of a level-triggered vector (called through the bus,
  // or from KVM's KVM_EXIT_IOAPIC_EOI when the local APICs are KVM's).
  void end_of_interrupt(uint8_t vector);

  // When the local APICs are not vx86's (KVM's kernel-irqchip=split), each
  // message leaves as the MSI its redirection entry describes instead of
  // going on the ApicBus. Remote IRR works as before: set when a
  // level-triggered message is sent, cleared by end_of_interrupt().
  using MsiOutput = std::function<void(int pin, uint64_t address, uint32_t data)>;
  void set_msi_output(MsiOutput output) { msi_output_ = std::move(output); }
  // Address 0xFEE00000 | destination << 12 | destination mode << 2; data
  // vector | delivery mode << 8 | trigger mode << 15.
  static void msi_for_entry(uint64_t entry, uint64_t* address, uint32_t* data);

  // Told every input level (before this model acts on it): with KVM's own
  // IOAPIC (kernel-irqchip=on) the levels are forwarded there.
  using InputListener = std::function<void(int pin, bool level)>;
  void set_input_listener(InputListener listener) { input_listener_ = std::move(listener); }

  uint64_t redirection_entry(int pin) const { return entries_.at(static_cast<std::size_t>(pin)); }
  // The monitor's `info pic` paragraph, in QEMU's layout: the redirection
  // table, the asserted pins (IRR) and the level-triggered ones awaiting EOI.
  std::string describe() const;
  uint8_t id() const { return static_cast<uint8_t>(id_); }

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  uint32_t read_register(uint32_t index) const;
  void write_register(uint32_t index, uint32_t value);
  void set_pin(int pin, bool level);
  // Sends the pin's message if it is asserted (level) and deliverable.
  void service(int pin);
  void send(int pin);

  ApicBus& bus_;
  MsiOutput msi_output_;
  InputListener input_listener_;
  std::unique_ptr<MemoryRegion> region_;
  std::array<IrqLine, kPins> inputs_;

  // Saved state.
  uint32_t id_ = 0;  // bits 24-27 of the ID register
  uint32_t select_ = 0;
  std::array<uint64_t, kPins> entries_{};
  std::array<uint8_t, kPins> levels_{};
  const uint32_t reset_id_;
};

}  // namespace vx86
