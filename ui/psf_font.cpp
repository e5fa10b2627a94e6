#include "ui/psf_font.h"

#include <zlib.h>

#include <cstring>
#include <mutex>

namespace vx86 {

namespace {

constexpr uint8_t kPsf1Magic[2] = {0x36, 0x04};
constexpr uint8_t kPsf1Mode512 = 0x01;
constexpr uint8_t kPsf1ModeHasTab = 0x02;
constexpr uint8_t kPsf1ModeSeq = 0x04;
constexpr uint16_t kPsf1Separator = 0xFFFF;
constexpr uint16_t kPsf1StartSeq = 0xFFFE;
constexpr uint32_t kPsf2Magic = 0x864ab572;
constexpr uint32_t kPsf2HasUnicodeTable = 0x01;
constexpr uint8_t kPsf2Separator = 0xFF;
constexpr uint8_t kPsf2StartSeq = 0xFE;

uint32_t le32(const std::vector<uint8_t>& d, std::size_t at) {
  return static_cast<uint32_t>(d[at] | d[at + 1] << 8 | d[at + 2] << 16) |
         static_cast<uint32_t>(d[at + 3]) << 24;
}

// Decodes one UTF-8 sequence at d[*at] (advancing *at); nullopt if malformed.
std::optional<char32_t> utf8(const std::vector<uint8_t>& d, std::size_t end, std::size_t* at) {
  const uint8_t b = d[*at];
  int extra = b < 0x80             ? 0
              : (b & 0xE0) == 0xC0 ? 1
              : (b & 0xF0) == 0xE0 ? 2
              : (b & 0xF8) == 0xF0 ? 3
                                   : -1;
  if (extra < 0 || *at + static_cast<std::size_t>(extra) >= end) return std::nullopt;
  char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
  for (int i = 1; i <= extra; ++i) {
    const uint8_t c = d[*at + static_cast<std::size_t>(i)];
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = cp << 6 | (c & 0x3F);
  }
  *at += static_cast<std::size_t>(extra) + 1;
  return cp;
}

}  // namespace

std::optional<PsfFont> PsfFont::load(const std::string& path, std::string* error) {
  gzFile in = gzopen(path.c_str(), "rb");  // reads uncompressed files as they are, too
  if (!in) {
    *error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<uint8_t> data;
  uint8_t buf[16384];
  int n;
  while ((n = gzread(in, buf, sizeof(buf))) > 0) data.insert(data.end(), buf, buf + n);
  const bool failed = n < 0;
  gzclose(in);
  if (failed) {
    *error = path + ": cannot decompress";
    return std::nullopt;
  }
  auto font = parse(data, error);
  if (!font) *error = path + ": " + *error;
  return font;
}

std::optional<PsfFont> PsfFont::parse(const std::vector<uint8_t>& d, std::string* error) {
  PsfFont f;
  std::size_t glyphs_at = 0, table_at = 0, glyph_bytes = 0;
  bool has_table = false, psf1 = false;
  if (d.size() >= 4 && d[0] == kPsf1Magic[0] && d[1] == kPsf1Magic[1]) {
    psf1 = true;
    f.glyph_count_ = d[2] & kPsf1Mode512 ? 512 : 256;
    has_table = d[2] & (kPsf1ModeHasTab | kPsf1ModeSeq);
    f.width_ = 8;
    f.height_ = d[3];
    glyph_bytes = d[3];
    glyphs_at = 4;
  } else if (d.size() >= 32 && le32(d, 0) == kPsf2Magic) {
    const uint32_t header = le32(d, 8), flags = le32(d, 12);
    f.glyph_count_ = le32(d, 16);
    glyph_bytes = le32(d, 20);
    f.height_ = static_cast<int>(le32(d, 24));
    f.width_ = static_cast<int>(le32(d, 28));
    has_table = flags & kPsf2HasUnicodeTable;
    glyphs_at = header;
  } else {
    *error = "not a PSF font";
    return std::nullopt;
  }
  f.bytes_per_row_ = (static_cast<std::size_t>(f.width_) + 7) / 8;
  if (f.width_ <= 0 || f.height_ <= 0 || f.width_ > 64 || f.height_ > 64 || f.glyph_count_ == 0 ||
      f.glyph_count_ > 65536 ||
      glyph_bytes != f.bytes_per_row_ * static_cast<std::size_t>(f.height_) ||
      glyphs_at + f.glyph_count_ * glyph_bytes > d.size()) {
    *error = "bad PSF header or truncated glyphs";
    return std::nullopt;
  }
  f.bitmaps_.assign(
      d.begin() + static_cast<std::ptrdiff_t>(glyphs_at),
      d.begin() + static_cast<std::ptrdiff_t>(glyphs_at + f.glyph_count_ * glyph_bytes));
  table_at = glyphs_at + f.glyph_count_ * glyph_bytes;
  if (!has_table) return f;
  // Each glyph's entry lists the characters it draws, up to a separator;
  // multi-character sequences (after a start-sequence mark) are skipped.
  std::size_t glyph = 0, at = table_at;
  bool in_sequence = false;
  while (at < d.size() && glyph < f.glyph_count_) {
    char32_t cp;
    if (psf1) {
      if (at + 1 >= d.size()) break;
      cp = static_cast<char32_t>(d[at] | d[at + 1] << 8);
      at += 2;
      if (cp == kPsf1Separator) {
        ++glyph;
        in_sequence = false;
        continue;
      }
      if (cp == kPsf1StartSeq) {
        in_sequence = true;
        continue;
      }
    } else {
      if (d[at] == kPsf2Separator) {
        ++at;
        ++glyph;
        in_sequence = false;
        continue;
      }
      if (d[at] == kPsf2StartSeq) {
        ++at;
        in_sequence = true;
        continue;
      }
      auto decoded = utf8(d, d.size(), &at);
      if (!decoded) {
        ++at;
        continue;
      }
      cp = *decoded;
    }
    if (!in_sequence) f.unicode_.emplace(cp, glyph);
  }
  return f;
}

bool PsfFont::pixel(std::size_t glyph, int x, int y) const {
  if (glyph >= glyph_count_ || x < 0 || y < 0 || x >= width_ || y >= height_) return false;
  const std::size_t row =
      (glyph * static_cast<std::size_t>(height_) + static_cast<std::size_t>(y)) * bytes_per_row_;
  return (bitmaps_[row + static_cast<std::size_t>(x) / 8] >> (7 - x % 8)) & 1;
}

std::optional<std::size_t> PsfFont::glyph_for(char32_t codepoint) const {
  if (unicode_.empty()) {
    if (codepoint < glyph_count_) return codepoint;
    return std::nullopt;
  }
  auto it = unicode_.find(codepoint);
  if (it == unicode_.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& default_console_font_paths() {
  // console-setup's VGA-style fonts with the whole of code page 437.
  static const std::vector<std::string> paths = {
      "/usr/share/consolefonts/Uni2-VGA16.psf.gz",
      "/usr/share/consolefonts/Uni1-VGA16.psf.gz",
      "/usr/share/consolefonts/Lat15-VGA16.psf.gz",
  };
  return paths;
}

const PsfFont* default_console_font(std::string* error) {
  static std::once_flag once;
  static std::optional<PsfFont> font;
  static std::string why;
  std::call_once(once, [] {
    for (const std::string& path : default_console_font_paths()) {
      font = PsfFont::load(path, &why);
      if (font) return;
    }
    why = "no console font (" + why + "; scripts/install-deps.sh installs console-setup-linux)";
  });
  if (!font && error) *error = why;
  return font ? &*font : nullptr;
}

}  // namespace vx86
