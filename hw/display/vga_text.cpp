#include "hw/display/vga_text.h"

#include <algorithm>
#include <cstring>

namespace vx86 {

namespace {

// CRT controller registers used in text mode.
constexpr uint8_t kCrtcCursorStart = 0x0A;  // bit 5: cursor off
constexpr uint8_t kCrtcCursorEnd = 0x0B;
constexpr uint8_t kCrtcStartHigh = 0x0C;
constexpr uint8_t kCrtcStartLow = 0x0D;
constexpr uint8_t kCrtcCursorHigh = 0x0E;
constexpr uint8_t kCrtcCursorLow = 0x0F;
constexpr uint8_t kCursorOff = 0x20;

// Input status 1: display disabled (bit 0) and vertical retrace (bit 3).
constexpr uint8_t kStatusDisplayDisabled = 0x01;
constexpr uint8_t kStatusVerticalRetrace = 0x08;

// Mode 3 as the BIOS sets it: colour (CRTC at 0x3Dx), 80x25, 16-line
// characters with the cursor on lines 14-15.
constexpr uint8_t kMiscOutputMode3 = 0x67;
constexpr uint8_t kCharHeight = 16;

}  // namespace

VgaText::VgaText() : Device("vga") {
  text_ = MemoryRegion::ram("vga-text", kTextSize);
  ports_ = MemoryRegion::io("vga-ports", 0x20, this, {1, 1, false});
  reset();
}

VgaText::~VgaText() {
  for (MemoryRegion* r : {text_.get(), ports_.get()}) {
    if (r->parent()) r->parent()->remove_subregion(r);
  }
}

void VgaText::map(MemoryRegion& memory, MemoryRegion& io) {
  // Over the RAM a PC has below 1 MiB, as the chipset decodes 0xA0000-0xBFFFF to the VGA.
  memory.add_subregion(kTextBase, text_.get(), 1);
  io.add_subregion(kPortBase, ports_.get());
}

void VgaText::reset() {
  crtc_.fill(0);
  crtc_[kCrtcCursorStart] = kCharHeight - 2;
  crtc_[kCrtcCursorEnd] = kCharHeight - 1;
  crtc_[0x09] = kCharHeight - 1;  // maximum scan line
  sequencer_.fill(0);
  graphics_.fill(0);
  attribute_.fill(0);
  for (uint8_t i = 0; i < 16; ++i) attribute_[i] = i;
  misc_output_ = kMiscOutputMode3;
  crtc_index_ = sequencer_index_ = graphics_index_ = attribute_index_ = 0;
  attribute_expects_index_ = true;
  dac_.fill(0);
  dac_read_index_ = dac_write_index_ = dac_component_ = 0;
  dac_mask_ = 0xff;
  // A blank screen: spaces, light grey on black.
  uint16_t* cells = reinterpret_cast<uint16_t*>(text_->host_ptr());
  std::fill_n(cells, kTextSize / 2, uint16_t{0x0720});
}

TextScreen VgaText::screen() const {
  TextScreen s;
  s.columns = kColumns;
  s.rows = kRows;
  const auto* vram = reinterpret_cast<const uint16_t*>(text_->host_ptr());
  const unsigned cells_in_vram = kTextSize / 2;
  const unsigned start = (crtc_[kCrtcStartHigh] << 8 | crtc_[kCrtcStartLow]) % cells_in_vram;
  s.cells.resize(kColumns * kRows);
  for (unsigned i = 0; i < s.cells.size(); ++i) s.cells[i] = vram[(start + i) % cells_in_vram];
  const unsigned cursor = crtc_[kCrtcCursorHigh] << 8 | crtc_[kCrtcCursorLow];
  const unsigned offset = (cursor - start) % cells_in_vram;
  s.cursor_visible =
      !(crtc_[kCrtcCursorStart] & kCursorOff) && offset < static_cast<unsigned>(kColumns * kRows);
  s.cursor_column = static_cast<int>(offset % kColumns);
  s.cursor_row = static_cast<int>(offset / kColumns % kRows);
  s.cursor_start = crtc_[kCrtcCursorStart] & 0x1f;
  s.cursor_end = crtc_[kCrtcCursorEnd] & 0x1f;
  return s;
}

uint64_t VgaText::read(uint64_t offset, unsigned) {
  return read_port(static_cast<uint16_t>(kPortBase + offset));
}

void VgaText::write(uint64_t offset, uint64_t value, unsigned) {
  write_port(static_cast<uint16_t>(kPortBase + offset), static_cast<uint8_t>(value));
}

uint8_t VgaText::read_port(uint16_t port) {
  switch (port) {
    case 0x3C0:
      return attribute_index_;
    case 0x3C1:
      return attribute_index_ < attribute_.size() ? attribute_[attribute_index_] : 0;
    case 0x3C4:
      return sequencer_index_;
    case 0x3C5:
      return sequencer_index_ < sequencer_.size() ? sequencer_[sequencer_index_] : 0;
    case 0x3C6:
      return dac_mask_;
    case 0x3C7:
      return 0x03;  // DAC state: reading
    case 0x3C8:
      return dac_write_index_;
    case 0x3C9: {
      const uint8_t v = dac_[dac_read_index_ * 3 + dac_component_];
      if (++dac_component_ == 3) {
        dac_component_ = 0;
        ++dac_read_index_;
      }
      return v;
    }
    case 0x3CC:
      return misc_output_;
    case 0x3CE:
      return graphics_index_;
    case 0x3CF:
      return graphics_index_ < graphics_.size() ? graphics_[graphics_index_] : 0;
    case 0x3D4:
      return crtc_index_;
    case 0x3D5:
      return crtc_index_ < crtc_.size() ? crtc_[crtc_index_] : 0;
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

void VgaText::write_port(uint16_t port, uint8_t value) {
  switch (port) {
    case 0x3C0:
      if (attribute_expects_index_) {
        attribute_index_ = value & 0x3f;
      } else if ((attribute_index_ & 0x1f) < attribute_.size()) {
        attribute_[attribute_index_ & 0x1f] = value;
      }
      attribute_expects_index_ = !attribute_expects_index_;
      return;
    case 0x3C2:
      misc_output_ = value;
      return;
    case 0x3C4:
      sequencer_index_ = value;
      return;
    case 0x3C5:
      if (sequencer_index_ < sequencer_.size()) sequencer_[sequencer_index_] = value;
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
      dac_[dac_write_index_ * 3 + dac_component_] = value & 0x3f;
      if (++dac_component_ == 3) {
        dac_component_ = 0;
        ++dac_write_index_;
      }
      return;
    case 0x3CE:
      graphics_index_ = value;
      return;
    case 0x3CF:
      if (graphics_index_ < graphics_.size()) graphics_[graphics_index_] = value;
      return;
    case 0x3D4:
      crtc_index_ = value;
      return;
    case 0x3D5:
      if (crtc_index_ < crtc_.size()) crtc_[crtc_index_] = value;
      return;
    default:
      return;
  }
}

void VgaText::visit_state(StateVisitor& v) {
  v.begin("vga");
  v.bytes("text", text_->host_ptr(), kTextSize);
  v.field("crtc", crtc_);
  v.field("sequencer", sequencer_);
  v.field("graphics", graphics_);
  v.field("attribute", attribute_);
  v.field("dac", dac_);
  v.field("misc_output", misc_output_);
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
}

}  // namespace vx86
