// Waiting for the guest's VGA text screen to show something: screendump over
// QMP twice a second, read back as text, until the text holds `needle`.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "tests/system/qmp_client.h"
#include "tests/system/screen_text.h"

namespace vx86::test {

// The screen's last text (empty if no screendump could be read), after at
// most `tries` half-second rounds.
inline std::string wait_for_screen_text(QmpClient& qmp, const PsfFont& font,
                                        const std::string& dump, const std::string& needle,
                                        int tries = 240) {
  std::string text;
  for (int i = 0; i < tries && text.find(needle) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (qmp.execute("screendump", {{"filename", dump}}) != Json::parse(R"({"return": {}})")) {
      return "screendump failed";
    }
    auto picture = read_ppm(dump);
    if (!picture) return "screendump wrote no PPM";
    text = read_text(*picture, font);
  }
  return text;
}

}  // namespace vx86::test
