// The ISA bus as devices plugged with -device see it: the I/O port space,
// the 16 ISA interrupt lines, the clocks, the machine's life-cycle control and
// the chardevs given on the command line.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "core/chardev.h"
#include "core/clock.h"
#include "core/irq.h"
#include "core/memory.h"
#include "core/system_control.h"

namespace vx86 {

struct IsaBus {
  MemoryRegion* io = nullptr;
  std::array<IrqLine*, 16> irqs{};
  Clocks* clocks = nullptr;
  SystemControl* control = nullptr;
  // Returns the chardev with that id, or nullptr.
  std::function<Chardev*(const std::string& id)> find_chardev;
};

}  // namespace vx86
