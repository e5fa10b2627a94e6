#include "hw/intc/ioapic.h"

#include <cinttypes>
#include <cstdio>
#include <utility>

#include "core/log.h"

namespace vx86 {

namespace {

// Guest-writable bits of a redirection entry (not delivery status or remote IRR).
constexpr uint64_t kEntryWriteMask = 0xFF000000'0001AFFFull;

}  // namespace

IoApic::IoApic(ApicBus& bus, uint8_t id) : Device("ioapic"), bus_(bus), reset_id_(id & 0xF) {
  region_ = MemoryRegion::io("ioapic", 0x1000, this, AccessLimits{1, 4, false});
  for (int pin = 0; pin < kPins; ++pin) {
    inputs_[static_cast<std::size_t>(pin)].set_handler(
        [this, pin](bool level) { set_pin(pin, level); });
  }
  bus_.add_eoi_listener([this](uint8_t vector) { end_of_interrupt(vector); });
  reset();
}

void IoApic::map(MemoryRegion& memory, uint64_t base) {
  memory.add_subregion(base, region_.get());
}

void IoApic::set_pin(int pin, bool level) {
  if (input_listener_) input_listener_(pin, level);
  auto i = static_cast<std::size_t>(pin);
  bool rising = level && !levels_[i];
  levels_[i] = level;
  uint64_t entry = entries_[i];
  if (entry & kLevelTrigger) {
    if (level) service(pin);
  } else if (rising && !(entry & kMasked)) {
    send(pin);
  }
}

void IoApic::service(int pin) {
  auto i = static_cast<std::size_t>(pin);
  uint64_t entry = entries_[i];
  if (!levels_[i] || (entry & kMasked) || !(entry & kLevelTrigger) || (entry & kRemoteIrr)) return;
  send(pin);
}

void IoApic::send(int pin) {
  auto i = static_cast<std::size_t>(pin);
  uint64_t entry = entries_[i];
  ApicMessage msg;
  msg.vector = entry & 0xFF;
  uint32_t mode = (entry >> 8) & 7;
  if (mode == 3 || mode == 6) {
    VX86_LOG(kLogGuestErrors, "ioapic: pin %d has reserved delivery mode %u\n", pin, mode);
    return;
  }
  msg.mode = static_cast<ApicDeliveryMode>(mode);
  msg.logical = (entry >> 11) & 1;
  msg.level_triggered = (entry & kLevelTrigger) != 0;
  msg.destination = static_cast<uint32_t>(entry >> 56);
  // Remote IRR tracks level-triggered fixed and lowest-priority interrupts
  // until the local APIC's EOI.
  if (msg.level_triggered &&
      (msg.mode == ApicDeliveryMode::kFixed || msg.mode == ApicDeliveryMode::kLowestPriority)) {
    entries_[i] |= kRemoteIrr;
  }
  if (msi_output_) {
    uint64_t address = 0;
    uint32_t data = 0;
    msi_for_entry(entry, &address, &data);
    msi_output_(pin, address, data);
    return;
  }
  bus_.deliver(msg);
}

void IoApic::msi_for_entry(uint64_t entry, uint64_t* address, uint32_t* data) {
  const uint64_t destination = entry >> 56;
  const uint64_t logical = (entry >> 11) & 1;
  *address = LocalApic::kDefaultBase | destination << 12 | logical << 2;
  *data = static_cast<uint32_t>((entry & 0xFF) | (entry & (7u << 8)) |
                                ((entry & kLevelTrigger) ? 1u << 15 : 0));
}

void IoApic::end_of_interrupt(uint8_t vector) {
  for (int pin = 0; pin < kPins; ++pin) {
    uint64_t& entry = entries_[static_cast<std::size_t>(pin)];
    if ((entry & kRemoteIrr) && (entry & 0xFF) == vector) {
      entry &= ~kRemoteIrr;
      service(pin);  // still asserted: deliver again
    }
  }
}

uint32_t IoApic::read_register(uint32_t index) const {
  switch (index) {
    case kRegId:
    case kRegArbitration:
      return id_ << 24;
    case kRegVersion:
      return kVersion;
    default:
      break;
  }
  if (index >= kRegRedirection && index < kRegRedirection + 2 * kPins) {
    uint64_t entry = entries_[(index - kRegRedirection) / 2];
    return static_cast<uint32_t>((index & 1) ? entry >> 32 : entry);
  }
  VX86_LOG(kLogGuestErrors, "ioapic: read of unknown register 0x%x\n", index);
  return 0;
}

void IoApic::write_register(uint32_t index, uint32_t value) {
  if (index == kRegId) {
    id_ = (value >> 24) & 0xF;
    return;
  }
  if (index >= kRegRedirection && index < kRegRedirection + 2 * kPins) {
    int pin = static_cast<int>((index - kRegRedirection) / 2);
    uint64_t& entry = entries_[static_cast<std::size_t>(pin)];
    uint64_t updated = (index & 1) ? (entry & 0xFFFFFFFFull) | uint64_t{value} << 32
                                   : (entry & ~0xFFFFFFFFull) | value;
    entry = (updated & kEntryWriteMask) | (entry & kRemoteIrr);
    if (!(entry & kLevelTrigger)) entry &= ~kRemoteIrr;  // edge mode has no remote IRR
    service(pin);                                        // unmasked (or made level) while asserted
    return;
  }
  VX86_LOG(kLogGuestErrors, "ioapic: write of read-only or unknown register 0x%x\n", index);
}

std::string IoApic::describe() const {
  static const char* const kDeliveryModes[8] = {"fixed", "lowest", "SMI", "...",
                                                "NMI",   "INIT",   "...", "extINT"};
  std::string out;
  char line[160];
  std::snprintf(line, sizeof(line), "ioapic0: ver=0x%x id=0x%02x sel=0x%02x", kVersion & 0xff, id_,
                select_);
  out += line;
  if (select_) {
    std::snprintf(line, sizeof(line), " (redir[%u])\n", (select_ - kRegRedirection) >> 1);
    out += line;
  } else {
    out += "\n";
  }
  uint32_t irr = 0, remote_irr = 0;
  for (int pin = 0; pin < kPins; ++pin) {
    const uint64_t e = entries_[static_cast<std::size_t>(pin)];
    const bool logical = e & (1u << 11);
    std::snprintf(line, sizeof(line),
                  "  pin %-2u 0x%016" PRIx64 " dest=%" PRIx64 " vec=%-3" PRIu64
                  " %s %-5s %-6s %-6s %s\n",
                  static_cast<unsigned>(pin), e, (e >> 56) & (logical ? 0xff : 0xf), e & 0xff,
                  (e & (1u << 13)) ? "active-lo" : "active-hi",
                  (e & kLevelTrigger) ? "level" : "edge", (e & kMasked) ? "masked" : "",
                  kDeliveryModes[(e >> 8) & 7], logical ? "logical" : "physical");
    out += line;
    if (levels_[static_cast<std::size_t>(pin)]) irr |= 1u << pin;
    if ((e & kLevelTrigger) && (e & kRemoteIrr)) remote_irr |= 1u << pin;
  }
  for (const auto& [name, bits] :
       {std::pair{"  IRR", irr}, std::pair{"  Remote IRR", remote_irr}}) {
    std::snprintf(line, sizeof(line), "%-10s ", name);
    out += line;
    if (bits == 0) out += "(none)";
    for (int pin = 0; pin < kPins; ++pin) {
      if (!(bits >> pin & 1)) continue;
      std::snprintf(line, sizeof(line), "%-2u ", static_cast<unsigned>(pin));
      out += line;
    }
    out += "\n";
  }
  return out;
}

uint64_t IoApic::read(uint64_t offset, unsigned size) {
  uint64_t value = 0;
  if (offset < 4) {
    value = select_ >> (8 * offset);
  } else if (offset >= 0x10 && offset < 0x14) {
    value = read_register(select_) >> (8 * (offset - 0x10));
  }
  return size == 4 ? value & 0xFFFFFFFF : value & ((1u << (8 * size)) - 1);
}

void IoApic::write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0) {
    select_ = static_cast<uint32_t>(value & 0xFF);
  } else if (offset == 0x10 && size == 4) {
    write_register(select_, static_cast<uint32_t>(value));
  } else {
    VX86_LOG(kLogGuestErrors, "ioapic: %u-byte write at offset 0x%x ignored\n", size,
             static_cast<unsigned>(offset));
  }
}

void IoApic::reset() {
  id_ = reset_id_;
  select_ = 0;
  entries_.fill(kMasked);
}

void IoApic::visit_state(StateVisitor& v) {
  v.begin("ioapic");
  v.field("id", id_);
  v.field("select", select_);
  v.field("entries", entries_);
  v.field("levels", levels_);
  v.end();
}

}  // namespace vx86
