// The null backend: output vanishes, input never comes.
#pragma once

#include "core/chardev.h"

namespace vx86 {

class NullChardev : public Chardev {
 public:
  using Chardev::Chardev;
  using Chardev::write;
  void write(const uint8_t*, std::size_t) override {}
  std::string filename() const override { return "null"; }
};

}  // namespace vx86
