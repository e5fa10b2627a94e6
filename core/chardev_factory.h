// Building chardevs from the command line: -chardev BACKEND,id=ID,... and the
// legacy -serial/-monitor spellings (stdio, pty, tcp:HOST:PORT,server, ...).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/chardev.h"
#include "core/options.h"

namespace vx86 {

class MainLoop;

// Parses -chardev text, checking keys and values against the backend named
// by the leading value. Throws OptionError naming the option and the key.
KeyValues parse_chardev_option(std::string_view text, std::string_view option = "-chardev");

// Creates the backend that opts (from parse_chardev_option, or a plain
// KeyValues::parse with implied key "backend") describe. Keys are checked
// again, so options parsed without descriptions are safe to pass. With
// mux=on the result is a MuxChardev whose C-a x stops the loop. Throws
// OptionError with a one-line message naming the option.
std::unique_ptr<Chardev> create_chardev(const KeyValues& opts, MainLoop& loop);

// A legacy -serial/-monitor argument, understood.
struct LegacyChardev {
  enum class Kind {
    kNone,      // "none": no device at all
    kNew,       // opts describe a new chardev for create_chardev
    kExisting,  // "chardev:ID": use the -chardev with that id
  };
  Kind kind = Kind::kNone;
  std::optional<KeyValues> opts;
  std::string existing_id;
  // "mon:...": a monitor shares the (multiplexed) chardev.
  bool with_monitor = false;
};

// Understands stdio, null, none, pty, file:PATH, tcp:[HOST]:PORT[,server=on|off]
// [,wait=on|off][,nodelay=on] (also ",server,nowait"), unix:PATH[,server...],
// mon:SPEC and chardev:ID, given to `option` ("-serial", "-monitor"). id
// names a new chardev ("serial0", say).
LegacyChardev parse_legacy_chardev_spec(std::string_view option, std::string_view spec,
                                        const std::string& id);

// The options of a new chardev for a legacy spelling, for create_chardev
// ("mon:stdio" gives a stdio mux). "none" and "chardev:ID" create nothing:
// callers handle them first (or use parse_legacy_chardev_spec); here they
// are errors.
KeyValues parse_legacy_chardev(std::string_view option, std::string_view spec,
                               const std::string& id);

}  // namespace vx86
