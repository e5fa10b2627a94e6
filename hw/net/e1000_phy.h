// The 82540EM's copper PHY (a Marvell 88E1011, at MDIO address 1), reached
// through the MDIC register: the IEEE 802.3 clause 22 registers a driver
// reads for the link (control, status, IDs, auto-negotiation) and Marvell's
// specific control/status. The link is a gigabit full-duplex one, up or down
// as the machine says; auto-negotiation completes at once.
#pragma once

#include <array>
#include <cstdint>

#include "core/state.h"

namespace vx86 {

class E1000Phy {
 public:
  static constexpr unsigned kAddress = 1;
  // Registers.
  static constexpr unsigned kControl = 0;
  static constexpr unsigned kStatus = 1;
  static constexpr unsigned kId1 = 2;
  static constexpr unsigned kId2 = 3;
  static constexpr unsigned kAutonegAdvertise = 4;
  static constexpr unsigned kLinkPartnerAbility = 5;
  static constexpr unsigned kGigabitControl = 9;
  static constexpr unsigned kGigabitStatus = 10;
  static constexpr unsigned kExtendedStatus = 15;
  static constexpr unsigned kSpecificControl = 16;
  static constexpr unsigned kSpecificStatus = 17;
  static constexpr unsigned kExtendedSpecificControl = 20;
  // Bits.
  static constexpr uint16_t kControlReset = 1u << 15;
  static constexpr uint16_t kControlRestartAutoneg = 1u << 9;
  static constexpr uint16_t kStatusLink = 1u << 2;
  static constexpr uint16_t kStatusAutonegComplete = 1u << 5;
  static constexpr uint16_t kSpecificStatusLink = 1u << 10;
  static constexpr uint16_t kLinkPartnerAcknowledge = 1u << 14;

  E1000Phy() { reset(); }
  void reset();
  void set_link(bool up);
  uint16_t read(unsigned reg) const { return regs_[reg & 31]; }
  void write(unsigned reg, uint16_t value);
  // An MDIC write: performs the read or write it describes and returns what
  // MDIC then reads (ready, the data of a read, or error for another PHY
  // address or opcode).
  uint32_t mdic(uint32_t value);
  void visit_state(StateVisitor& v);

 private:
  void update_link_bits();

  std::array<uint16_t, 32> regs_{};
  bool link_up_ = true;
};

}  // namespace vx86
