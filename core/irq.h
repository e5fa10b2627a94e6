// Interrupt lines: a device raises and lowers an IrqLine; the controller that
// owns the line (PIC, IOAPIC) is told of every level change.
#pragma once

#include <functional>
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

// What a CPU sees of its interrupt controller: "is one pending, which vector".
class CpuInterruptSource {
 public:
  virtual ~CpuInterruptSource() = default;
  virtual bool interrupt_pending() = 0;
  // Acknowledges the highest-priority pending interrupt and returns its vector.
  virtual int acknowledge_interrupt() = 0;
};

}  // namespace vx86
