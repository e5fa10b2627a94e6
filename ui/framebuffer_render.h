// Converts a linear framebuffer's pixels (as a VGA scans them out in a
// graphics mode) into an RgbImage for screendump and the SDL window.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/framebuffer.h"
#include "ui/text_render.h"

namespace vx86 {

// `data` holds `size` bytes of video memory; rows past its end are black.
// 8 bits per pixel index `palette` (the VGA's DAC).
RgbImage render_framebuffer(const uint8_t* data, std::size_t size, const FramebufferFormat& format,
                            const std::array<uint32_t, 256>& palette = {});

}  // namespace vx86
