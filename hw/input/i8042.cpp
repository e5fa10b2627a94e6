#include "hw/input/i8042.h"

#include "core/log.h"

namespace vx86 {

namespace {

// Status register.
constexpr uint8_t kStatusObf = 0x01, kStatusSys = 0x04, kStatusCommand = 0x08,
                  kStatusUnlocked = 0x10, kStatusAuxData = 0x20;
// Command byte.
constexpr uint8_t kCmdKbdInt = 0x01, kCmdAuxInt = 0x02, kCmdSys = 0x04, kCmdKbdDisable = 0x10,
                  kCmdAuxDisable = 0x20, kCmdXlate = 0x40;
// Output port.
constexpr uint8_t kOutReset = 0x01, kOutA20 = 0x02, kOutKbdIrq = 0x10, kOutAuxIrq = 0x20;

constexpr uint8_t kResetCommandByte = kCmdXlate | kCmdKbdInt;
constexpr uint8_t kResetOutputPort = 0xcc | kOutA20 | kOutReset;

}  // namespace

I8042::I8042(SystemControl& system, IrqLine* kbd_irq, IrqLine* aux_irq, IrqLine* a20)
    : Device("i8042"), system_(system), kbd_irq_(kbd_irq), aux_irq_(aux_irq), a20_(a20) {
  data_region_ = MemoryRegion::io("i8042-data", 1, &data_ops_, AccessLimits{1, 1, false});
  command_region_ = MemoryRegion::io("i8042-cmd", 1, &command_ops_, AccessLimits{1, 1, false});
  keyboard_.set_data_ready([this] { service(); });
  mouse_.set_data_ready([this] { service(); });
  reset();
}

void I8042::map(MemoryRegion& io_space, uint64_t data_port, uint64_t command_port) {
  io_space.add_subregion(data_port, data_region_.get());
  io_space.add_subregion(command_port, command_region_.get());
}

uint64_t I8042::Port::read(uint64_t offset, unsigned size) {
  return command_ ? owner_.read_status() : owner_.read_data();
}

void I8042::Port::write(uint64_t offset, uint64_t value, unsigned size) {
  if (command_) {
    owner_.write_command(static_cast<uint8_t>(value));
  } else {
    owner_.write_data(static_cast<uint8_t>(value));
  }
}

uint8_t I8042::read_status() const {
  uint8_t status = kStatusUnlocked;
  if (obf_) status |= kStatusObf;
  if (obf_ && obf_source_ == kFromAux) status |= kStatusAuxData;
  if (command_byte_ & kCmdSys) status |= kStatusSys;
  if (last_was_command_) status |= kStatusCommand;
  return status;
}

uint8_t I8042::output_port() const {
  return static_cast<uint8_t>((output_port_ & ~(kOutKbdIrq | kOutAuxIrq)) |
                              (kbd_irq_level_ ? kOutKbdIrq : 0) |
                              (aux_irq_level_ ? kOutAuxIrq : 0));
}

uint8_t I8042::read_data() {
  uint8_t value = obf_data_;  // an empty buffer reads the last byte again
  if (obf_) {
    obf_ = 0;
    update_irqs();
    service();
  }
  return value;
}

void I8042::respond(uint8_t value, Source source) {
  responses_.push(value);
  response_sources_.push(source);
  service();
}

void I8042::service() {
  while (!obf_) {
    if (!responses_.empty()) {
      obf_data_ = responses_.pop();
      obf_source_ = response_sources_.pop();
      obf_ = 1;
    } else if (!(command_byte_ & kCmdKbdDisable) && keyboard_.has_data()) {
      uint8_t byte = keyboard_.pop();
      if (command_byte_ & kCmdXlate) {
        if (byte == 0xf0) {
          xlate_release_ = 1;  // folded into the next byte
          continue;
        }
        byte = ps2_translate_set2_to_set1(byte);
        if (xlate_release_) byte |= 0x80;
        xlate_release_ = 0;
      }
      obf_data_ = byte;
      obf_source_ = kFromKeyboard;
      obf_ = 1;
    } else if (!(command_byte_ & kCmdAuxDisable) && mouse_.has_data()) {
      obf_data_ = mouse_.pop();
      obf_source_ = kFromAux;
      obf_ = 1;
    } else {
      break;
    }
  }
  update_irqs();
}

void I8042::update_irqs(bool force) {
  uint8_t kbd = obf_ && obf_source_ != kFromAux && (command_byte_ & kCmdKbdInt);
  uint8_t aux = obf_ && obf_source_ == kFromAux && (command_byte_ & kCmdAuxInt);
  if (kbd != kbd_irq_level_ || force) {
    kbd_irq_level_ = kbd;
    if (kbd_irq_) kbd_irq_->set(kbd);
  }
  if (aux != aux_irq_level_ || force) {
    aux_irq_level_ = aux;
    if (aux_irq_) aux_irq_->set(aux);
  }
}

void I8042::set_output_port(uint8_t value) {
  uint8_t old = output_port_;
  output_port_ = value;
  if (a20_ && ((old ^ value) & kOutA20)) a20_->set((value & kOutA20) != 0);
  if (!(value & kOutReset)) {
    VX86_LOG(kLogReset, "i8042: reset through the output port\n");
    output_port_ |= kOutReset;
    system_.request_reset(ShutdownCause::kGuestReset);
  }
}

void I8042::write_command(uint8_t value) {
  last_was_command_ = 1;
  if (value >= 0x20 && value < 0x40) {  // read controller RAM
    respond(value == 0x20 ? command_byte_ : ram_[value & 0x1f]);
    return;
  }
  if ((value >= 0x60 && value < 0x80) || (value >= 0xd1 && value <= 0xd4)) {
    pending_command_ = value;  // the data byte follows on port 0x60
    return;
  }
  if (value >= 0xf0) {
    // Pulse output port bits low for 6 us; bit 0 is the CPU reset.
    if (!(value & 0x01)) {
      VX86_LOG(kLogReset, "i8042: pulse reset\n");
      system_.request_reset(ShutdownCause::kGuestReset);
    }
    return;
  }
  switch (value) {
    case 0xa4:  // password installed?
      respond(0xf1);
      break;
    case 0xa7:
      command_byte_ |= kCmdAuxDisable;
      break;
    case 0xa8:
      command_byte_ &= ~kCmdAuxDisable;
      service();
      break;
    case 0xa9:  // aux interface test: OK
      respond(0x00);
      break;
    case 0xaa:  // controller self-test
      command_byte_ |= kCmdSys;
      respond(0x55);
      break;
    case 0xab:  // keyboard interface test: OK
      respond(0x00);
      break;
    case 0xad:
      command_byte_ |= kCmdKbdDisable;
      break;
    case 0xae:
      command_byte_ &= ~kCmdKbdDisable;
      service();
      break;
    case 0xc0:  // input port: keyboard not inhibited
      respond(0x80);
      break;
    case 0xd0:
      respond(output_port());
      break;
    case 0xdd:
      set_output_port(output_port_ & ~kOutA20);
      break;
    case 0xdf:
      set_output_port(output_port_ | kOutA20);
      break;
    case 0xe0:  // test inputs
      respond(0x00);
      break;
    default:
      VX86_LOG(kLogUnimp, "i8042: unknown command 0x%02x\n", value);
      break;
  }
  update_irqs();
}

void I8042::write_data(uint8_t value) {
  last_was_command_ = 0;
  uint8_t command = pending_command_;
  pending_command_ = 0;
  switch (command) {
    case 0:
      // Sending to the keyboard re-enables its interface.
      command_byte_ &= ~kCmdKbdDisable;
      keyboard_.write_from_host(value);
      break;
    case 0x60:
      command_byte_ = value & 0x7f;
      service();
      break;
    case 0xd1:
      set_output_port(value);
      break;
    case 0xd2:  // as if from the keyboard
      respond(value, kFromKeyboard);
      break;
    case 0xd3:  // as if from the mouse
      respond(value, kFromAux);
      break;
    case 0xd4:
      mouse_.write_from_host(value);
      break;
    default:  // 0x61-0x7f: controller RAM
      ram_[command & 0x1f] = value;
      break;
  }
}

void I8042::reset() {
  keyboard_.reset();
  mouse_.reset();
  command_byte_ = kResetCommandByte;
  last_was_command_ = 0;
  pending_command_ = 0;
  obf_ = 0;
  obf_data_ = 0;
  obf_source_ = kFromController;
  xlate_release_ = 0;
  ram_.fill(0);
  responses_.clear();
  response_sources_.clear();
  output_port_ = kResetOutputPort;
  if (a20_) a20_->set(true);
  update_irqs();
}

void I8042::visit_state(StateVisitor& v) {
  v.begin("i8042");
  v.field("command_byte", command_byte_);
  v.field("output_port", output_port_);
  v.field("last_was_command", last_was_command_);
  v.field("pending_command", pending_command_);
  v.field("obf", obf_);
  v.field("obf_data", obf_data_);
  v.field("obf_source", obf_source_);
  v.field("xlate_release", xlate_release_);
  v.array("ram", std::span<uint8_t>(ram_));
  responses_.visit_state(v, "responses");
  response_sources_.visit_state(v, "response_sources");
  keyboard_.visit_state(v);
  mouse_.visit_state(v);
  v.end();
  if (v.loading()) {
    if (a20_) a20_->set(a20_enabled());
    update_irqs(/*force=*/true);
  }
}

}  // namespace vx86
