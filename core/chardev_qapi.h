// QMP's chardev-add describes a chardev as QEMU's ChardevBackend JSON
// ({"type": "socket", "data": {"addr": {"type": "unix", "data": {...}}}});
// this turns one into the -chardev option text the factory already takes,
// so both spellings make the same backends.
#pragma once

#include <string>

#include "core/qmp.h"

namespace vx86 {

// "socket,id=ID,path=...,server=on,wait=off". Throws std::runtime_error with
// QEMU's text for what it refuses; names the backends vx86 lacks.
std::string chardev_option_from_backend(const std::string& id, const Json& backend);

}  // namespace vx86
