#include "hw/display/vga.h"

#include <algorithm>

#include "hw/display/vga_graphics.h"

namespace vx86 {

namespace {

using R = VgaRegisters;

constexpr uint8_t kCursorOff = 0x20;

// Input status 1: display disabled (bit 0) and vertical retrace (bit 3).
constexpr uint8_t kStatusDisplayDisabled = 0x01;
constexpr uint8_t kStatusVerticalRetrace = 0x08;

// Mode 3 as a VGA BIOS sets it (IBM's register tables): colour, 80x25 cells
// of 9x16 pixels at 0xB8000 in odd/even mode, the cursor on lines 14-15.
constexpr uint8_t kMiscOutputMode3 = 0x67;
constexpr std::array<uint8_t, 0x19> kCrtcMode3 = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0e, 0x0f, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
constexpr std::array<uint8_t, 5> kSequencerMode3 = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr std::array<uint8_t, 9> kGraphicsMode3 = {0x00, 0x00, 0x00, 0x00, 0x00,
                                                   0x10, 0x0e, 0x00, 0xff};
constexpr std::array<uint8_t, 0x15> kAttributeMode3 = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                                       0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
                                                       0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};

// The DAC as a VGA BIOS loads it for mode 3: the EGA's 64 colours (bits 0-2
// blue, green, red at two thirds; bits 3-5 the same at one third), the rest
// black.
void load_text_dac(std::array<uint8_t, 256 * 3>& dac) {
  dac.fill(0);
  for (unsigned i = 0; i < 64; ++i) {
    auto level = [i](unsigned high, unsigned low) {
      return static_cast<uint8_t>(((i >> high) & 1) * 0x2a + ((i >> low) & 1) * 0x15);
    };
    dac[i * 3] = level(2, 5);
    dac[i * 3 + 1] = level(1, 4);
    dac[i * 3 + 2] = level(0, 3);
  }
}

// Where character map n (0-7, SR3's encoding) starts in plane 2.
constexpr std::array<uint32_t, 8> kCharacterMapOffset = {0x0000, 0x4000, 0x8000, 0xc000,
                                                         0x2000, 0x6000, 0xa000, 0xe000};
constexpr unsigned kGlyphBytes = 32;

}  // namespace

Vga::Vga()
    : Device("vga"), text_(MemoryRegion::ram("vga-text", kTextSize)), planes_(text_->host_ptr()) {
  ports_ = MemoryRegion::io("vga-ports", 0x20, this, {1, 1, false});
  window_ = MemoryRegion::io("vga-lowmem", kWindowSize, &window_ops_, {1, 1, false});
  reset();
}

Vga::~Vga() {
  for (MemoryRegion* r : {text_.get(), window_.get(), ports_.get()}) {
    if (r->parent()) r->parent()->remove_subregion(r);
  }
}

void Vga::map(MemoryRegion& memory, MemoryRegion& io) {
  // Over the RAM a PC has below 1 MiB, as the chipset decodes 0xA0000-0xBFFFF
  // to the VGA; the text RAM over the window while it is plain.
  memory.add_subregion(kWindowBase, window_.get(), 1);
  memory.add_subregion(kTextBase, text_.get(), 2);
  io.add_subregion(kPortBase, ports_.get());
  update_text_window();
}

void Vga::reset() {
  regs_.crtc = kCrtcMode3;
  regs_.sequencer = kSequencerMode3;
  regs_.graphics = kGraphicsMode3;
  regs_.attribute = kAttributeMode3;
  regs_.misc_output = kMiscOutputMode3;
  load_text_dac(regs_.dac);
  crtc_index_ = sequencer_index_ = graphics_index_ = attribute_index_ = 0;
  attribute_expects_index_ = true;
  dac_read_index_ = dac_write_index_ = dac_component_ = 0;
  dac_mask_ = 0xff;
  planes_.clear();
  // A blank screen: spaces, light grey on black.
  uint16_t* cells = reinterpret_cast<uint16_t*>(text_->host_ptr());
  std::fill_n(cells, kTextSize / 2, uint16_t{0x0720});
  update_text_window();
}

void Vga::update_text_window() {
  const bool plain = VgaPlanes::text_window_is_plain(regs_);
  if (text_->enabled() != plain) text_->set_enabled(plain);
}

TextScreen Vga::screen() const {
  // The geometry the CRTC scans: characters per row, scan lines per
  // character, rows in the displayed lines, cells from one row to the next.
  const auto& crtc = regs_.crtc;
  TextScreen s;
  s.char_height = (crtc[R::kCrtcMaxScanLine] & 0x1f) + 1;
  s.columns = crtc[R::kCrtcHorizontalDisplayEnd] + 1;
  const unsigned vertical_end = crtc[R::kCrtcVerticalDisplayEnd] |
                                (crtc[R::kCrtcOverflow] & 0x02u) << 7 |
                                (crtc[R::kCrtcOverflow] & 0x40u) << 3;
  s.rows = std::max(1, static_cast<int>(vertical_end + 1) / s.char_height);
  const unsigned stride = crtc[R::kCrtcOffset] * 2u;
  const unsigned start = crtc[R::kCrtcStartHigh] << 8 | crtc[R::kCrtcStartLow];
  // Cell n is plane 0's byte n (the character) and plane 1's (the attribute).
  s.cells.resize(static_cast<std::size_t>(s.columns) * s.rows);
  for (int row = 0; row < s.rows; ++row) {
    for (int col = 0; col < s.columns; ++col) {
      const uint32_t at = start + static_cast<uint32_t>(row) * stride + static_cast<uint32_t>(col);
      s.cells[static_cast<std::size_t>(row * s.columns + col)] =
          static_cast<uint16_t>(planes_.at(0, at) | planes_.at(1, at) << 8);
    }
  }
  const unsigned cursor = crtc[R::kCrtcCursorHigh] << 8 | crtc[R::kCrtcCursorLow];
  const unsigned offset = (cursor - start) & 0xffff;
  const unsigned row = stride ? offset / stride : 0, col = stride ? offset % stride : offset;
  s.cursor_visible = !(crtc[R::kCrtcCursorStart] & kCursorOff) &&
                     row < static_cast<unsigned>(s.rows) && col < static_cast<unsigned>(s.columns);
  s.cursor_row = static_cast<int>(row);
  s.cursor_column = static_cast<int>(col);
  s.cursor_start = crtc[R::kCrtcCursorStart] & 0x1f;
  s.cursor_end = crtc[R::kCrtcCursorEnd] & 0x1f;
  // How the cells look: 8- or 9-pixel characters, doubled at half the dot
  // clock, line graphics in the 9th column, the attribute palette.
  const uint8_t clocking = regs_.sequencer[R::kSeqClockingMode];
  s.cell_width = (clocking & 0x01) ? 8 : 9;
  s.double_width = clocking & 0x08;
  s.line_graphics = regs_.attribute[R::kAttrModeControl] & 0x04;
  s.palette = vga_palette16(regs_);
  // The guest's font, once it has loaded one into plane 2: character map B
  // (attribute bit 3 clear) and map A, as the character map select says.
  if (planes_.plane2_written()) {
    const uint8_t select = regs_.sequencer[R::kSeqCharacterMapSelect];
    const unsigned map_b = (select & 0x03) | ((select >> 2) & 0x04);
    const unsigned map_a = ((select >> 2) & 0x03) | ((select >> 3) & 0x04);
    s.font.resize(2 * 256 * kGlyphBytes);
    for (unsigned half = 0; half < 2; ++half) {
      const uint32_t base = kCharacterMapOffset[half == 0 ? map_b : map_a];
      for (uint32_t i = 0; i < 256 * kGlyphBytes; ++i) {
        s.font[half * 256 * kGlyphBytes + i] = planes_.at(2, base + i);
      }
    }
  }
  return s;
}

bool Vga::graphics_picture(RgbImage* picture) const {
  if (!regs_.graphics_mode()) return false;
  *picture = render_vga_graphics(regs_, planes_);
  return true;
}

uint64_t Vga::read(uint64_t offset, unsigned) {
  return read_port(static_cast<uint16_t>(kPortBase + offset));
}

void Vga::write(uint64_t offset, uint64_t value, unsigned) {
  write_port(static_cast<uint16_t>(kPortBase + offset), static_cast<uint8_t>(value));
}

std::array<uint32_t, 256> Vga::palette() const {
  std::array<uint32_t, 256> colours{};
  for (unsigned i = 0; i < colours.size(); ++i) colours[i] = vga_dac_colour(regs_, i);
  return colours;
}

uint64_t Vga::window_read(uint64_t offset, unsigned) {
  if (vbe_ && offset < 0x10000) {
    if (const uint8_t* byte = vbe_->banked_byte(static_cast<uint32_t>(offset))) return *byte;
  }
  const VgaRegisters& regs = regs_;
  const uint64_t address = kWindowBase + offset;
  if (address < regs.window_base() || address >= regs.window_base() + regs.window_size()) {
    return 0xff;  // outside the window the memory map select picks
  }
  return planes_.cpu_read(regs, static_cast<uint32_t>(address - regs.window_base()));
}

void Vga::window_write(uint64_t offset, uint64_t value, unsigned) {
  if (vbe_ && offset < 0x10000) {
    if (uint8_t* byte = vbe_->banked_byte(static_cast<uint32_t>(offset))) {
      *byte = static_cast<uint8_t>(value);
      return;
    }
  }
  const VgaRegisters& regs = regs_;
  const uint64_t address = kWindowBase + offset;
  if (address < regs.window_base() || address >= regs.window_base() + regs.window_size()) return;
  planes_.cpu_write(regs, static_cast<uint32_t>(address - regs.window_base()),
                    static_cast<uint8_t>(value));
}

uint8_t Vga::read_port(uint16_t port) {
  switch (port) {
    case 0x3C0:
      return attribute_index_;
    case 0x3C1:
      return attribute_index_ < regs_.attribute.size() ? regs_.attribute[attribute_index_] : 0;
    case 0x3C4:
      return sequencer_index_;
    case 0x3C5:
      return sequencer_index_ < regs_.sequencer.size() ? regs_.sequencer[sequencer_index_] : 0;
    case 0x3C6:
      return dac_mask_;
    case 0x3C7:
      return 0x03;  // DAC state: reading
    case 0x3C8:
      return dac_write_index_;
    case 0x3C9: {
      const uint8_t v = regs_.dac[dac_read_index_ * 3 + dac_component_];
      if (++dac_component_ == 3) {
        dac_component_ = 0;
        ++dac_read_index_;
      }
      return v;
    }
    case 0x3CC:
      return regs_.misc_output;
    case 0x3CE:
      return graphics_index_;
    case 0x3CF:
      return graphics_index_ < regs_.graphics.size() ? regs_.graphics[graphics_index_] : 0;
    case 0x3D4:
      return crtc_index_;
    case 0x3D5:
      return crtc_index_ < regs_.crtc.size() ? regs_.crtc[crtc_index_] : 0;
    case 0x3DA:
      // Reading resets the attribute controller's flip-flop; retrace and
      // display-enable toggle so that polling loops finish.
      attribute_expects_index_ = true;
      status_toggle_ ^= kStatusDisplayDisabled | kStatusVerticalRetrace;
      return status_toggle_;
    default:
      return 0xff;
  }
}

void Vga::write_port(uint16_t port, uint8_t value) {
  switch (port) {
    case 0x3C0:
      if (attribute_expects_index_) {
        attribute_index_ = value & 0x3f;
      } else if ((attribute_index_ & 0x1f) < regs_.attribute.size()) {
        regs_.attribute[attribute_index_ & 0x1f] = value;
      }
      attribute_expects_index_ = !attribute_expects_index_;
      return;
    case 0x3C2:
      regs_.misc_output = value;
      return;
    case 0x3C4:
      sequencer_index_ = value;
      return;
    case 0x3C5:
      if (sequencer_index_ < regs_.sequencer.size()) {
        regs_.sequencer[sequencer_index_] = value;
        update_text_window();
      }
      return;
    case 0x3C6:
      dac_mask_ = value;
      return;
    case 0x3C7:
      dac_read_index_ = value;
      dac_component_ = 0;
      return;
    case 0x3C8:
      dac_write_index_ = value;
      dac_component_ = 0;
      return;
    case 0x3C9:
      regs_.dac[dac_write_index_ * 3 + dac_component_] = value & 0x3f;
      if (++dac_component_ == 3) {
        dac_component_ = 0;
        ++dac_write_index_;
      }
      return;
    case 0x3CE:
      graphics_index_ = value;
      return;
    case 0x3CF:
      if (graphics_index_ < regs_.graphics.size()) {
        regs_.graphics[graphics_index_] = value;
        update_text_window();
      }
      return;
    case 0x3D4:
      crtc_index_ = value;
      return;
    case 0x3D5:
      if (crtc_index_ < regs_.crtc.size()) regs_.crtc[crtc_index_] = value;
      return;
    default:
      return;
  }
}

void Vga::visit_state(StateVisitor& v) {
  v.begin("vga");
  v.bytes("text", text_->host_ptr(), kTextSize);
  v.bytes("planes", planes_.store().data(), planes_.store().size());
  v.field("latch", planes_.latch());
  v.field("plane2_written", planes_.plane2_written_flag());
  v.field("crtc", regs_.crtc);
  v.field("sequencer", regs_.sequencer);
  v.field("graphics", regs_.graphics);
  v.field("attribute", regs_.attribute);
  v.field("dac", regs_.dac);
  v.field("misc_output", regs_.misc_output);
  v.field("crtc_index", crtc_index_);
  v.field("sequencer_index", sequencer_index_);
  v.field("graphics_index", graphics_index_);
  v.field("attribute_index", attribute_index_);
  v.field("attribute_expects_index", attribute_expects_index_);
  v.field("dac_read_index", dac_read_index_);
  v.field("dac_write_index", dac_write_index_);
  v.field("dac_component", dac_component_);
  v.field("dac_mask", dac_mask_);
  v.end();
  update_text_window();
}

}  // namespace vx86
