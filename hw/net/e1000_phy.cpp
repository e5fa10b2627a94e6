#include "hw/net/e1000_phy.h"

#include "core/log.h"
#include "hw/net/e1000_regs.h"

namespace vx86 {

void E1000Phy::reset() {
  regs_.fill(0);
  regs_[kControl] = 0x1140;  // auto-negotiation enabled, 1000 Mb/s, full duplex
  // 100/10 full/half duplex capable, extended status, preamble suppression,
  // auto-negotiation capable, extended capabilities.
  regs_[kStatus] = 0x7949;
  regs_[kId1] = 0x0141;  // Marvell's OUI
  regs_[kId2] = 0x0C20;  // 88E1011, as an 82540EM carries
  regs_[kAutonegAdvertise] = 0x0DE1;
  regs_[kLinkPartnerAbility] = 0x01E0;  // the partner offers 100/10 full and half
  regs_[kGigabitControl] = 0x0E00;
  regs_[kGigabitStatus] = 0x3C00;   // the partner offers 1000 Mb/s full and half
  regs_[kExtendedStatus] = 0x3000;  // 1000BASE-T full and half duplex capable
  regs_[kSpecificControl] = 0x0360;
  regs_[kSpecificStatus] = 0xAC00;  // 1000 Mb/s, full duplex, resolved
  regs_[kExtendedSpecificControl] = 0x0D60;
  update_link_bits();
}

void E1000Phy::set_link(bool up) {
  link_up_ = up;
  update_link_bits();
}

void E1000Phy::update_link_bits() {
  // Auto-negotiation is instantaneous: it is complete whenever there is a link.
  const uint16_t status_bits = kStatusLink | kStatusAutonegComplete;
  regs_[kStatus] = link_up_ ? regs_[kStatus] | status_bits : regs_[kStatus] & ~status_bits;
  regs_[kSpecificStatus] = link_up_ ? regs_[kSpecificStatus] | kSpecificStatusLink
                                    : regs_[kSpecificStatus] & ~kSpecificStatusLink;
  regs_[kLinkPartnerAbility] = link_up_ ? regs_[kLinkPartnerAbility] | kLinkPartnerAcknowledge
                                        : regs_[kLinkPartnerAbility] & ~kLinkPartnerAcknowledge;
}

void E1000Phy::write(unsigned reg, uint16_t value) {
  switch (reg) {
    case kControl:
      if (value & kControlReset) {
        const bool up = link_up_;
        reset();
        link_up_ = up;
        update_link_bits();
        return;
      }
      // Restarting auto-negotiation completes it; the bit clears itself.
      regs_[kControl] = value & ~kControlRestartAutoneg;
      return;
    case kStatus:
    case kId1:
    case kId2:
    case kLinkPartnerAbility:
    case kGigabitStatus:
    case kExtendedStatus:
    case kSpecificStatus:
      return;  // read-only
    default:
      regs_[reg & 31] = value;
  }
}

uint32_t E1000Phy::mdic(uint32_t value) {
  const unsigned phy = (value >> e1000::kMdicPhyShift) & 31;
  const unsigned reg = (value >> e1000::kMdicRegShift) & 31;
  const unsigned op = (value >> e1000::kMdicOpShift) & 3;
  if (phy != kAddress || (op != e1000::kMdicOpRead && op != e1000::kMdicOpWrite)) {
    VX86_LOG(kLogGuestErrors, "e1000: MDIC 0x%08x (PHY %u, opcode %u) has no PHY to answer\n",
             value, phy, op);
    return value | e1000::kMdicReady | e1000::kMdicError;
  }
  if (op == e1000::kMdicOpRead) {
    value = (value & ~0xFFFFu) | read(reg);
  } else {
    write(reg, static_cast<uint16_t>(value));
  }
  return (value & ~e1000::kMdicError) | e1000::kMdicReady;
}

void E1000Phy::visit_state(StateVisitor& v) {
  v.begin("phy");
  v.array("regs", std::span<uint16_t>(regs_));
  v.field("link_up", link_up_);
  v.end();
}

}  // namespace vx86
