// Where a virtual random-number generator gets its bytes, as QEMU's -object
// rng-builtin (the host's getrandom) and rng-random (a file, /dev/urandom by
// default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vx86 {

class EntropySource {
 public:
  virtual ~EntropySource() = default;
  // Fills buf with up to len random bytes; returns how many (0 when the
  // source has nothing now).
  virtual std::size_t read(uint8_t* buf, std::size_t len) = 0;
};

// The host kernel's generator (getrandom(2)).
std::unique_ptr<EntropySource> make_builtin_entropy();
// Bytes read from path; throws OptionError with the reason when it cannot
// be opened. option names the option for the message.
std::unique_ptr<EntropySource> open_entropy_file(const std::string& option,
                                                 const std::string& path);

}  // namespace vx86
