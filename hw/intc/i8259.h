// The PC's cascaded 8259A programmable interrupt controllers: a master at
// 0x20/0x21 (IRQ 0-7) and a slave at 0xA0/0xA1 (IRQ 8-15) on master IR2, plus
// the edge/level control registers (ELCR) at 0x4D0/0x4D1.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/irq.h"
#include "core/member_io_ops.h"
#include "core/memory.h"

namespace vx86 {

// One 8259A. Exposed for tests and for machines that want a single chip; the
// PC uses the I8259 pair below.
class Pic8259Chip : public IoOps {
 public:
  // elcr_mask: the IRQs whose trigger mode the ELCR may set to level.
  Pic8259Chip(const char* name, uint8_t elcr_mask);

  // Input line `irq` (0-7) changed level.
  void set_input(int irq, bool level);
  // The highest-priority request that would be delivered now, or -1.
  int pending_irq() const;
  // INTA cycle for `irq` (sets ISR unless auto-EOI; clears an edge request).
  void acknowledge(int irq);

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, uint64_t value, unsigned size) override;

  uint8_t elcr() const { return elcr_; }
  void set_elcr(uint8_t value);

  uint8_t irr() const { return irr_; }
  uint8_t isr() const { return isr_; }
  uint8_t imr() const { return imr_; }
  uint8_t vector_base() const { return vector_base_; }
  // The monitor's `info pic` line for this chip (number 0 for the master),
  // in QEMU's layout.
  std::string describe(int number) const;

  void reset();
  void visit_state(StateVisitor& v);
  // Called after any change that may alter pending_irq().
  void set_changed_callback(std::function<void()> cb) { changed_ = std::move(cb); }
  MemoryRegion* region() { return region_.get(); }

 private:
  bool level_triggered(int irq) const { return ltim_ || (elcr_ & (1u << irq)); }
  int priority_of(uint8_t mask) const;  // 0 = highest, 8 = none
  void init_command(uint8_t value);     // ICW1
  void operation_command2(uint8_t value);
  void operation_command3(uint8_t value);
  uint8_t poll_read();
  void changed() {
    if (changed_) changed_();
  }

  std::unique_ptr<MemoryRegion> region_;
  std::function<void()> changed_;
  const uint8_t elcr_mask_;

  // Saved state.
  uint8_t lines_ = 0;  // current input levels (edge detection, level IRR)
  uint8_t irr_ = 0;
  uint8_t isr_ = 0;
  uint8_t imr_ = 0;
  uint8_t elcr_ = 0;
  uint8_t vector_base_ = 0;
  uint8_t lowest_priority_ = 7;  // the IR with lowest priority (rotation)
  uint8_t init_step_ = 0;        // 0 = ready; 1..3 = waiting for ICW2..ICW4
  uint8_t icw3_ = 0;
  uint8_t read_isr_ = 0;  // OCW3 RR/RIS: read ISR instead of IRR
  uint8_t poll_ = 0;
  uint8_t special_mask_ = 0;
  uint8_t special_fully_nested_ = 0;
  uint8_t auto_eoi_ = 0;
  uint8_t rotate_on_auto_eoi_ = 0;
  uint8_t ltim_ = 0;
  uint8_t single_ = 0;
  uint8_t icw4_needed_ = 0;
  uint8_t is_master_ = 0;  // special fully nested mode applies to IR2 only here
  friend class I8259;
};

class I8259 : public Device, public CpuInterruptSource {
 public:
  // intr (may be null) follows the master's INT output; see set_intr_output().
  explicit I8259(IrqLine* intr = nullptr);

  // Maps the master, slave and ELCR port pairs.
  void map(MemoryRegion& io_space, uint64_t master_base = 0x20, uint64_t slave_base = 0xA0,
           uint64_t elcr_base = 0x4D0);
  void set_intr_output(IrqLine* intr);
  // Alternative to an IrqLine: called with the new INTR level on each change.
  void set_intr_listener(std::function<void(bool)> listener);
  bool intr_level() const { return intr_level_; }

  // ISA interrupt inputs 0-15. input(2) is the ISA bus's IRQ2 pin, which an
  // AT routes to IRQ9 (master IR2 carries the cascade).
  IrqLine& input(int irq) { return inputs_.at(static_cast<std::size_t>(irq)); }

  bool interrupt_pending() override;
  int acknowledge_interrupt() override;

  // `info pic`: the slave's line, then the master's, as QEMU lists them.
  std::string describe() const { return slave_.describe(1) + master_.describe(0); }
  Pic8259Chip& master() { return master_; }
  Pic8259Chip& slave() { return slave_; }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  // The master's and the slave's edge/level control registers.
  uint64_t elcr_read(uint64_t offset, unsigned size);
  void elcr_write(uint64_t offset, uint64_t value, unsigned size);

  void update();

  Pic8259Chip master_;
  Pic8259Chip slave_;
  MemberIoOps<I8259, &I8259::elcr_read, &I8259::elcr_write> elcr_ports_;
  std::unique_ptr<MemoryRegion> elcr_region_;
  std::array<IrqLine, 16> inputs_;
  IrqLine* intr_;
  std::function<void(bool)> intr_listener_;
  bool intr_level_ = false;
  bool in_update_ = false;
};

}  // namespace vx86
