#include "ui/ppm.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace vx86 {

bool write_ppm(const RgbImage& image, const std::string& path, std::string* error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    *error = "could not open '" + path + "': " + std::strerror(errno);
    return false;
  }
  out << "P6\n" << image.width << " " << image.height << "\n255\n";
  std::vector<char> rgb;
  rgb.reserve(image.pixels.size() * 3);
  for (uint32_t p : image.pixels) {
    rgb.push_back(static_cast<char>(p >> 16));
    rgb.push_back(static_cast<char>(p >> 8));
    rgb.push_back(static_cast<char>(p));
  }
  out.write(rgb.data(), static_cast<std::streamsize>(rgb.size()));
  if (!out) {
    *error = "could not write '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace vx86
