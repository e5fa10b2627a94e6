#include "hw/intc/i8259.h"

#include <cstdio>

#include "core/log.h"

namespace vx86 {

namespace {
constexpr AccessLimits kBytePorts{1, 1, false};
}  // namespace

Pic8259Chip::Pic8259Chip(const char* name, uint8_t elcr_mask) : elcr_mask_(elcr_mask) {
  region_ = MemoryRegion::io(name, 2, this, kBytePorts);
}

std::string Pic8259Chip::describe(int number) const {
  char line[128];
  std::snprintf(line, sizeof(line),
                "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d irq_base=%02x rr_sel=%d elcr=%02x "
                "fnm=%d\n",
                number, irr_, imr_, isr_, (lowest_priority_ + 1) & 7, vector_base_, read_isr_,
                elcr_, special_fully_nested_);
  return line;
}

void Pic8259Chip::reset() {
  irr_ = isr_ = imr_ = elcr_ = 0;
  vector_base_ = 0;
  lowest_priority_ = 7;
  init_step_ = icw3_ = read_isr_ = poll_ = special_mask_ = 0;
  special_fully_nested_ = auto_eoi_ = rotate_on_auto_eoi_ = ltim_ = single_ = icw4_needed_ = 0;
  changed();
}

int Pic8259Chip::priority_of(uint8_t mask) const {
  for (int p = 0; p < 8; ++p) {
    if (mask & (1u << ((p + lowest_priority_ + 1) & 7))) return p;
  }
  return 8;
}

int Pic8259Chip::pending_irq() const {
  uint8_t requests = irr_ & ~imr_;
  if (special_mask_) {
    // Special mask mode: every unmasked level not itself in service may
    // interrupt, lower priorities included.
    requests &= ~isr_;
    int p = priority_of(requests);
    return p == 8 ? -1 : (p + lowest_priority_ + 1) & 7;
  }
  int p = priority_of(requests);
  if (p == 8) return -1;
  int irq = (p + lowest_priority_ + 1) & 7;
  uint8_t in_service = isr_;
  // Special fully nested mode: a slave with a higher-priority request may
  // interrupt while another of its requests is in service on IR2.
  if (special_fully_nested_ && is_master_ && irq == 2) in_service &= ~0x04;
  return p < priority_of(in_service) ? irq : -1;
}

void Pic8259Chip::set_input(int irq, bool level) {
  uint8_t mask = static_cast<uint8_t>(1u << irq);
  if (level_triggered(irq)) {
    irr_ = level ? (irr_ | mask) : (irr_ & ~mask);
  } else if (level && !(lines_ & mask)) {
    irr_ |= mask;  // rising edge; the request stays latched until INTA
  }
  lines_ = level ? (lines_ | mask) : (lines_ & ~mask);
  changed();
}

void Pic8259Chip::acknowledge(int irq) {
  uint8_t mask = static_cast<uint8_t>(1u << irq);
  if (!level_triggered(irq)) irr_ &= ~mask;
  if (auto_eoi_) {
    if (rotate_on_auto_eoi_) lowest_priority_ = static_cast<uint8_t>(irq);
  } else {
    isr_ |= mask;
  }
  changed();
}

void Pic8259Chip::set_elcr(uint8_t value) {
  elcr_ = value & elcr_mask_;
  // Level-triggered requests follow their line from now on.
  uint8_t level_mask = ltim_ ? 0xff : elcr_;
  irr_ = (irr_ & ~level_mask) | (lines_ & level_mask);
  changed();
}

void Pic8259Chip::init_command(uint8_t value) {
  icw4_needed_ = value & 0x01;
  single_ = (value >> 1) & 1;
  ltim_ = (value >> 3) & 1;
  // The edge sense latches reset: a line already high needs a new edge.
  uint8_t level_mask = ltim_ ? 0xff : elcr_;
  irr_ = lines_ & level_mask;
  isr_ = imr_ = 0;
  lowest_priority_ = 7;
  read_isr_ = poll_ = special_mask_ = 0;
  special_fully_nested_ = auto_eoi_ = rotate_on_auto_eoi_ = 0;
  init_step_ = 1;
  if (value & 0x02) VX86_LOG(kLogUnimp, "i8259: single mode\n");
  changed();
}

void Pic8259Chip::operation_command2(uint8_t value) {
  switch (value >> 5) {
    case 0:  // clear rotate in auto-EOI mode
      rotate_on_auto_eoi_ = 0;
      break;
    case 4:  // set rotate in auto-EOI mode
      rotate_on_auto_eoi_ = 1;
      break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
      int p = priority_of(isr_);
      if (p != 8) {
        int irq = (p + lowest_priority_ + 1) & 7;
        isr_ &= static_cast<uint8_t>(~(1u << irq));
        if ((value >> 5) == 5) lowest_priority_ = static_cast<uint8_t>(irq);
      }
      break;
    }
    case 3:    // specific EOI
    case 7: {  // rotate on specific EOI
      int irq = value & 7;
      isr_ &= static_cast<uint8_t>(~(1u << irq));
      if ((value >> 5) == 7) lowest_priority_ = static_cast<uint8_t>(irq);
      break;
    }
    case 6:  // set priority: IR L becomes lowest
      lowest_priority_ = value & 7;
      break;
    default:  // 2: no operation
      break;
  }
  changed();
}

void Pic8259Chip::operation_command3(uint8_t value) {
  if (value & 0x04) poll_ = 1;
  if (value & 0x02) read_isr_ = value & 0x01;
  if (value & 0x40) special_mask_ = (value >> 5) & 1;
  changed();
}

uint8_t Pic8259Chip::poll_read() {
  int irq = pending_irq();
  if (irq < 0) return 0;
  acknowledge(irq);
  return static_cast<uint8_t>(0x80 | irq);
}

uint64_t Pic8259Chip::read(uint64_t offset, unsigned size) {
  if (poll_) {
    // Poll mode: this read is the interrupt acknowledge.
    poll_ = 0;
    return poll_read();
  }
  if (offset == 0) return read_isr_ ? isr_ : irr_;
  return imr_;
}

void Pic8259Chip::write(uint64_t offset, uint64_t value, unsigned size) {
  uint8_t v = static_cast<uint8_t>(value);
  if (offset == 0) {
    if (v & 0x10) {
      init_command(v);
    } else if (v & 0x08) {
      operation_command3(v);
    } else {
      operation_command2(v);
    }
    return;
  }
  switch (init_step_) {
    case 0:  // OCW1
      imr_ = v;
      break;
    case 1:  // ICW2
      vector_base_ = v & 0xf8;
      init_step_ = single_ ? (icw4_needed_ ? 3 : 0) : 2;
      break;
    case 2:  // ICW3 (cascade wiring is fixed on the PC)
      icw3_ = v;
      init_step_ = icw4_needed_ ? 3 : 0;
      break;
    default:  // ICW4
      special_fully_nested_ = (v >> 4) & 1;
      auto_eoi_ = (v >> 1) & 1;
      if (!(v & 0x01)) VX86_LOG(kLogUnimp, "i8259: MCS-80/85 mode\n");
      init_step_ = 0;
      break;
  }
  changed();
}

void Pic8259Chip::visit_state(StateVisitor& v) {
  v.field("lines", lines_);
  v.field("irr", irr_);
  v.field("isr", isr_);
  v.field("imr", imr_);
  v.field("elcr", elcr_);
  v.field("vector_base", vector_base_);
  v.field("lowest_priority", lowest_priority_);
  v.field("init_step", init_step_);
  v.field("icw3", icw3_);
  v.field("read_isr", read_isr_);
  v.field("poll", poll_);
  v.field("special_mask", special_mask_);
  v.field("special_fully_nested", special_fully_nested_);
  v.field("auto_eoi", auto_eoi_);
  v.field("rotate_on_auto_eoi", rotate_on_auto_eoi_);
  v.field("ltim", ltim_);
  v.field("single", single_);
  v.field("icw4_needed", icw4_needed_);
}

// ---------------------------------------------------------------------------

I8259::I8259(IrqLine* intr)
    : Device("i8259"),
      master_("pic-master", 0xf8),  // IRQ 0-2 are always edge-triggered
      slave_("pic-slave", 0xde),    // IRQ 8 and 13 are always edge-triggered
      elcr_ports_(*this),
      intr_(intr) {
  master_.is_master_ = 1;
  elcr_region_ = MemoryRegion::io("elcr", 2, &elcr_ports_, kBytePorts);
  master_.set_changed_callback([this] { update(); });
  slave_.set_changed_callback([this] { update(); });
  for (int i = 0; i < 16; ++i) {
    inputs_[static_cast<std::size_t>(i)].set_handler([this, i](bool level) {
      if (i == 2 || i == 9) {
        // The ISA bus's IRQ2 pin is wired to IRQ9 on an AT (master IR2 is
        // the cascade), so both lines share slave input 1.
        slave_.set_input(1, inputs_[2].level() || inputs_[9].level());
      } else if (i < 8) {
        master_.set_input(i, level);
      } else {
        slave_.set_input(i - 8, level);
      }
    });
  }
}

void I8259::map(MemoryRegion& io_space, uint64_t master_base, uint64_t slave_base,
                uint64_t elcr_base) {
  io_space.add_subregion(master_base, master_.region());
  io_space.add_subregion(slave_base, slave_.region());
  io_space.add_subregion(elcr_base, elcr_region_.get());
}

void I8259::set_intr_output(IrqLine* intr) {
  intr_ = intr;
  if (intr_) intr_->set(intr_level_);
}

void I8259::set_intr_listener(std::function<void(bool)> listener) {
  intr_listener_ = std::move(listener);
  if (intr_listener_) intr_listener_(intr_level_);
}

void I8259::update() {
  if (in_update_) return;
  in_update_ = true;
  // The slave's INT output drives master IR2 (edge-triggered).
  master_.set_input(2, slave_.pending_irq() >= 0);
  bool level = master_.pending_irq() >= 0;
  in_update_ = false;
  if (level != intr_level_) {
    intr_level_ = level;
    if (intr_) intr_->set(level);
    if (intr_listener_) intr_listener_(level);
  }
}

bool I8259::interrupt_pending() {
  return master_.pending_irq() >= 0;
}

int I8259::acknowledge_interrupt() {
  int irq = master_.pending_irq();
  int vector;
  if (irq < 0) {
    // The request went away before INTA: spurious IRQ 7, ISR untouched.
    vector = master_.vector_base() + 7;
  } else {
    master_.acknowledge(irq);
    if (irq == 2) {
      int slave_irq = slave_.pending_irq();
      if (slave_irq >= 0) {
        slave_.acknowledge(slave_irq);
        vector = slave_.vector_base() + slave_irq;
      } else {
        vector = slave_.vector_base() + 7;  // spurious IRQ 15
      }
      // The slave's INT drops during INTA; a request still deliverable after
      // this one raises it again, which the master sees as a new edge.
      in_update_ = true;
      master_.set_input(2, false);
      in_update_ = false;
    } else {
      vector = master_.vector_base() + irq;
    }
  }
  update();
  return vector;
}

uint64_t I8259::elcr_read(uint64_t offset, unsigned size) {
  return offset == 0 ? master_.elcr() : slave_.elcr();
}

void I8259::elcr_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0) {
    master_.set_elcr(static_cast<uint8_t>(value));
  } else {
    slave_.set_elcr(static_cast<uint8_t>(value));
  }
}

void I8259::reset() {
  master_.reset();
  slave_.reset();
  update();
}

void I8259::visit_state(StateVisitor& v) {
  v.begin("i8259");
  v.begin("master");
  master_.visit_state(v);
  v.end();
  v.begin("slave");
  slave_.visit_state(v);
  v.end();
  v.field("intr_level", intr_level_);
  v.end();
  if (v.loading()) {
    if (intr_) intr_->set(intr_level_);
    if (intr_listener_) intr_listener_(intr_level_);
  }
}

}  // namespace vx86
