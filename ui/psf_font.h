// PC console fonts in the PSF formats Debian's console-setup ships
// (/usr/share/consolefonts/*.psf.gz): version 1 and 2, gzip-compressed or
// not, with the Unicode table that says which characters each glyph draws.
// vx86 draws text screens with one rather than carry a font of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace vx86 {

class PsfFont {
 public:
  // Reads path; on failure returns nullopt and says why in *error.
  static std::optional<PsfFont> load(const std::string& path, std::string* error);
  // Parses a font already in memory (uncompressed).
  static std::optional<PsfFont> parse(const std::vector<uint8_t>& data, std::string* error);

  int width() const { return width_; }
  int height() const { return height_; }
  std::size_t glyph_count() const { return glyph_count_; }
  // Whether pixel (x, y) of glyph is set.
  bool pixel(std::size_t glyph, int x, int y) const;
  // The glyph that draws codepoint, if the Unicode table has one (without a
  // table, glyph n draws codepoint n).
  std::optional<std::size_t> glyph_for(char32_t codepoint) const;

 private:
  int width_ = 8;
  int height_ = 16;
  std::size_t glyph_count_ = 0;
  std::size_t bytes_per_row_ = 1;
  std::vector<uint8_t> bitmaps_;
  std::unordered_map<char32_t, std::size_t> unicode_;
};

// The fonts tried, in order, for the VGA's text screens.
const std::vector<std::string>& default_console_font_paths();
// The first of them that loads (cached), or null with the reason in *error.
const PsfFont* default_console_font(std::string* error);

}  // namespace vx86
