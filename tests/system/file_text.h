// A whole file as a string (empty if it cannot be read): serial logs,
// firmware logs and other files the system tests read back.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace vx86::test {

inline std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace vx86::test
