// Interrupt lines: a device raises and lowers an IrqLine; the controller that
// owns the line (PIC, IOAPIC) is told of every level change.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace vx86 {

class IrqLine {
 public:
  using Handler = std::function<void(bool level)>;

  IrqLine() = default;
  explicit IrqLine(Handler handler) : handler_(std::move(handler)) {}

  void set_handler(Handler handler) { handler_ = std::move(handler); }
  void set(bool level) {
    level_ = level;
    if (handler_) handler_(level);
  }
  void raise() { set(true); }
  void lower() { set(false); }
  // An edge for edge-triggered inputs.
  void pulse() {
    set(true);
    set(false);
  }
  bool level() const { return level_; }

 private:
  Handler handler_;
  bool level_ = false;
};

// Fans one output out to several inputs (ISA IRQ to both PIC and IOAPIC).
class IrqSplitter {
 public:
  void add(IrqLine* line) { outputs_.push_back(line); }
  IrqLine& input() { return input_; }
  IrqSplitter() {
    input_.set_handler([this](bool level) {
      for (IrqLine* out : outputs_) out->set(level);
    });
  }

 private:
  IrqLine input_;
  std::vector<IrqLine*> outputs_;
};

// Several shared level-triggered sources onto one input: the output is
// asserted while any input is (a PCI PIRQ line and an HPET timer on the same
// IOAPIC pin).
class IrqOrGate {
 public:
  explicit IrqOrGate(IrqLine* output = nullptr) : output_(output) {}
  IrqOrGate(const IrqOrGate&) = delete;
  IrqOrGate& operator=(const IrqOrGate&) = delete;
  void set_output(IrqLine* output) { output_ = output; }
  // A new input, owned by the gate (its address stays valid).
  IrqLine& add_input() {
    inputs_.push_back(std::make_unique<IrqLine>());
    IrqLine* line = inputs_.back().get();
    line->set_handler([this](bool) { update(); });
    return *line;
  }

 private:
  void update() {
    bool level = false;
    for (const auto& in : inputs_) level = level || in->level();
    if (output_ && level != output_->level()) output_->set(level);
  }
  IrqLine* output_;
  std::vector<std::unique_ptr<IrqLine>> inputs_;
};

// What a CPU sees of its interrupt controller: "is one pending, which vector".
class CpuInterruptSource {
 public:
  virtual ~CpuInterruptSource() = default;
  virtual bool interrupt_pending() = 0;
  // Acknowledges the highest-priority pending interrupt and returns its vector.
  virtual int acknowledge_interrupt() = 0;
};

// A CPU's local interrupt controller (its local APIC): besides INTR it
// delivers events that EFLAGS.IF does not mask (NMI, INIT, start-up IPIs),
// and the CPU reaches its registers through MSRs and CR8. target-x86 sees
// only this interface, never the device model.
class CpuLocalApic : public CpuInterruptSource {
 public:
  enum class MsrAccess { kNotMine, kDone, kFault };
  // MSRs the APIC owns (IA32_APIC_BASE, TSC_DEADLINE, the x2APIC range).
  // tsc is the CPU's current TSC, for the deadline timer.
  virtual MsrAccess cpu_read_msr(uint32_t index, uint64_t* value) = 0;
  virtual MsrAccess cpu_write_msr(uint32_t index, uint64_t value, uint64_t tsc) = 0;
  // The rate of the CPU's TSC, for the deadline timer (an accelerator whose
  // TSC does not run at the model's rate says so before the guest runs).
  virtual void set_tsc_hz(uint64_t hz) {}
  virtual uint64_t read_cr8() const = 0;
  virtual void write_cr8(uint64_t value) = 0;
  virtual bool nmi_pending() const = 0;
  virtual void acknowledge_nmi() = 0;
  virtual bool init_pending() const = 0;
  virtual void acknowledge_init() = 0;
  virtual bool sipi_pending() const = 0;
  virtual uint8_t acknowledge_sipi() = 0;
};

}  // namespace vx86
