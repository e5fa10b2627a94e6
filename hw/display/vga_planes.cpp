#include "hw/display/vga_planes.h"

#include <algorithm>

namespace vx86 {

namespace {

using R = VgaRegisters;

constexpr uint8_t kMemoryModeOddEvenOff = 0x04;
constexpr uint8_t kMemoryModeChain4 = 0x08;
constexpr uint8_t kGfxModeReadCompare = 0x08;
constexpr uint8_t kGfxModeOddEven = 0x10;

// Each of the 4 low bits of `bits` widened to a byte of the 32-bit latch word.
uint32_t spread(uint8_t bits) {
  uint32_t out = 0;
  for (unsigned p = 0; p < 4; ++p) {
    if (bits & (1u << p)) out |= 0xffu << (8 * p);
  }
  return out;
}

uint8_t rotate_right(uint8_t value, unsigned count) {
  count &= 7;
  return static_cast<uint8_t>((value >> count) | (value << ((8 - count) & 7)));
}

}  // namespace

VgaPlanes::VgaPlanes(uint8_t* text_window) : text_(text_window), store_(4 * kPlaneSize) {}

void VgaPlanes::clear() {
  std::fill(store_.begin(), store_.end(), uint8_t{0});
  latch_ = 0;
  plane2_written_ = false;
}

bool VgaPlanes::text_window_is_plain(const VgaRegisters& regs) {
  return regs.window_base() == 0xB8000 &&
         !(regs.sequencer[R::kSeqMemoryMode] & (kMemoryModeChain4 | kMemoryModeOddEvenOff)) &&
         (regs.graphics[R::kGfxMode] & kGfxModeOddEven) &&
         !(regs.graphics[R::kGfxReadMapSelect] & 0x02) &&
         (regs.sequencer[R::kSeqMapMask] & 0x03) == 0x03;
}

uint8_t VgaPlanes::cpu_read(const VgaRegisters& regs, uint32_t address) {
  if (regs.sequencer[R::kSeqMemoryMode] & kMemoryModeChain4) {
    return at(address & 3, address >> 2);
  }
  if (regs.graphics[R::kGfxMode] & kGfxModeOddEven) {
    return at((regs.graphics[R::kGfxReadMapSelect] & 2) | (address & 1), address >> 1);
  }
  latch_ = 0;
  for (unsigned p = 0; p < 4; ++p) latch_ |= static_cast<uint32_t>(at(p, address)) << (8 * p);
  if (!(regs.graphics[R::kGfxMode] & kGfxModeReadCompare)) {
    return static_cast<uint8_t>(latch_ >> (8 * (regs.graphics[R::kGfxReadMapSelect] & 3)));
  }
  // Colour compare: a bit is set where every plane that counts (colour don't
  // care) has the colour compare register's bit.
  const uint32_t differs = (latch_ ^ spread(regs.graphics[R::kGfxColorCompare])) &
                           spread(regs.graphics[R::kGfxColorDontCare]);
  const uint8_t any = static_cast<uint8_t>(differs | differs >> 8 | differs >> 16 | differs >> 24);
  return static_cast<uint8_t>(~any);
}

void VgaPlanes::cpu_write(const VgaRegisters& regs, uint32_t address, uint8_t value) {
  const uint8_t map_mask = regs.sequencer[R::kSeqMapMask] & 0x0f;
  if (regs.sequencer[R::kSeqMemoryMode] & kMemoryModeChain4) {
    const unsigned plane = address & 3;
    if (!(map_mask & (1u << plane))) return;
    at(plane, address >> 2) = value;
    plane2_written_ |= plane == 2;
    return;
  }
  if (!(regs.sequencer[R::kSeqMemoryMode] & kMemoryModeOddEvenOff)) {
    const unsigned plane = (regs.graphics[R::kGfxReadMapSelect] & 2) | (address & 1);
    if (!(map_mask & (1u << plane))) return;
    at(plane, address >> 1) = value;
    plane2_written_ |= plane == 2;
    return;
  }
  plane2_written_ |= (map_mask & 0x04) != 0;
  const uint8_t mode = regs.graphics[R::kGfxMode] & 3;
  const uint8_t rotate = regs.graphics[R::kGfxDataRotate] & 7;
  const uint8_t operation = (regs.graphics[R::kGfxDataRotate] >> 3) & 3;
  uint8_t bit_mask = regs.graphics[R::kGfxBitMask];
  uint32_t data = 0;
  switch (mode) {
    case 0: {
      const uint32_t cpu = rotate_right(value, rotate) * 0x01010101u;
      const uint32_t forced = spread(regs.graphics[R::kGfxEnableSetReset]);
      data = (cpu & ~forced) | (spread(regs.graphics[R::kGfxSetReset]) & forced);
      break;
    }
    case 1:
      data = latch_;
      bit_mask = 0xff;  // the latches are written as they are
      break;
    case 2:
      data = spread(value);
      break;
    case 3:
      bit_mask &= rotate_right(value, rotate);
      data = spread(regs.graphics[R::kGfxSetReset]);
      break;
  }
  if (mode != 1) {
    switch (operation) {
      case 1:
        data &= latch_;
        break;
      case 2:
        data |= latch_;
        break;
      case 3:
        data ^= latch_;
        break;
      default:
        break;
    }
  }
  const uint32_t mask = bit_mask * 0x01010101u;
  data = (data & mask) | (latch_ & ~mask);
  for (unsigned p = 0; p < 4; ++p) {
    if (map_mask & (1u << p)) at(p, address) = static_cast<uint8_t>(data >> (8 * p));
  }
}

}  // namespace vx86
