// Binary PPM (P6), the format QEMU's screendump writes by default.
#pragma once

#include <string>

#include "ui/text_render.h"

namespace vx86 {

// Writes image to path; false with the reason in *error on failure.
bool write_ppm(const RgbImage& image, const std::string& path, std::string* error);

}  // namespace vx86
