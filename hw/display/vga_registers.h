// The VGA's indexed register files, as the CPU programs them through ports
// 0x3C0-0x3DF: what the memory window (VgaPlanes) and the scan-out
// (render_vga_graphics) both read. Indexes and bits are IBM's VGA's.
#pragma once

#include <array>
#include <cstdint>

namespace vx86 {

struct VgaRegisters {
  // CRT controller.
  static constexpr uint8_t kCrtcHorizontalDisplayEnd = 0x01;
  static constexpr uint8_t kCrtcOverflow = 0x07;
  static constexpr uint8_t kCrtcMaxScanLine = 0x09;
  static constexpr uint8_t kCrtcCursorStart = 0x0A;
  static constexpr uint8_t kCrtcCursorEnd = 0x0B;
  static constexpr uint8_t kCrtcStartHigh = 0x0C;
  static constexpr uint8_t kCrtcStartLow = 0x0D;
  static constexpr uint8_t kCrtcCursorHigh = 0x0E;
  static constexpr uint8_t kCrtcCursorLow = 0x0F;
  static constexpr uint8_t kCrtcVerticalDisplayEnd = 0x12;
  static constexpr uint8_t kCrtcOffset = 0x13;
  static constexpr uint8_t kCrtcModeControl = 0x17;
  static constexpr uint8_t kCrtcLineCompare = 0x18;
  // Sequencer.
  static constexpr uint8_t kSeqClockingMode = 0x01;  // bit 3: dot clock halved
  static constexpr uint8_t kSeqMapMask = 0x02;
  static constexpr uint8_t kSeqCharacterMapSelect = 0x03;
  static constexpr uint8_t kSeqMemoryMode = 0x04;  // bit 2: odd/even off, bit 3: chain 4
  // Graphics controller.
  static constexpr uint8_t kGfxSetReset = 0x00;
  static constexpr uint8_t kGfxEnableSetReset = 0x01;
  static constexpr uint8_t kGfxColorCompare = 0x02;
  static constexpr uint8_t kGfxDataRotate = 0x03;  // bits 0-2 rotate, 3-4 logical operation
  static constexpr uint8_t kGfxReadMapSelect = 0x04;
  static constexpr uint8_t kGfxMode = 0x05;  // 0-1 write mode, 3 read mode, 4 odd/even, 5-6 shift
  static constexpr uint8_t kGfxMisc = 0x06;  // 0 graphics, 2-3 memory map
  static constexpr uint8_t kGfxColorDontCare = 0x07;
  static constexpr uint8_t kGfxBitMask = 0x08;
  // Attribute controller.
  static constexpr uint8_t kAttrModeControl = 0x10;  // 6: 8-bit colour, 7: P5-P4 from 0x14
  static constexpr uint8_t kAttrColorPlaneEnable = 0x12;
  static constexpr uint8_t kAttrColorSelect = 0x14;

  std::array<uint8_t, 0x19> crtc{};
  std::array<uint8_t, 5> sequencer{};
  std::array<uint8_t, 9> graphics{};
  std::array<uint8_t, 0x15> attribute{};
  std::array<uint8_t, 256 * 3> dac{};  // 6-bit red, green, blue per entry
  uint8_t misc_output = 0;

  bool graphics_mode() const { return graphics[kGfxMisc] & 0x01; }
  // Where the CPU's window into video memory starts and how long it is.
  uint32_t window_base() const;
  uint32_t window_size() const;
};

inline uint32_t VgaRegisters::window_base() const {
  static constexpr std::array<uint32_t, 4> kBase = {0xA0000, 0xA0000, 0xB0000, 0xB8000};
  return kBase[(graphics[kGfxMisc] >> 2) & 3];
}

inline uint32_t VgaRegisters::window_size() const {
  static constexpr std::array<uint32_t, 4> kSize = {0x20000, 0x10000, 0x8000, 0x8000};
  return kSize[(graphics[kGfxMisc] >> 2) & 3];
}

}  // namespace vx86
