// Shared helpers of the vx86-img commands.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "block/block_driver.h"

namespace vx86::img {

// A user-facing failure: main prints "vx86-img: <message>" and exits 1
// (or `status` when set).
struct ToolError : std::runtime_error {
  explicit ToolError(const std::string& m, int status = 1)
      : std::runtime_error(m), status(status) {}
  int status;
};

// An argument error: main adds qemu-img's "Try '... --help'" line.
struct UsageError : ToolError {
  explicit UsageError(const std::string& m) : ToolError(m) {}
};
// -h/--help on a command: main prints the help and exits 0.
struct HelpRequested {};

// One option of a command: its letter (0: long only), long name (nullptr:
// short only), whether it takes a value, and what it does with the value
// (nullptr when it has none).
struct CmdOption {
  char letter;
  const char* long_name;
  bool has_value;
  std::function<void(const char* value)> apply;
};
CmdOption value_option(char letter, const char* long_name, std::string* out);
CmdOption flag_option(char letter, const char* long_name, bool* out);
// Accepted for qemu-img compatibility and without effect here.
CmdOption ignored_option(char letter, const char* long_name, bool has_value = false);
// "--output=human|json".
CmdOption output_option(std::string* out);

// Parses a command's options the way getopt_long does (options and operands
// may mix; "--" ends the options), with qemu-img's messages for unknown
// options and missing values; -h/--help throw HelpRequested. Returns the
// operands in order.
std::vector<std::string> parse_command_line(int argc, char** argv,
                                            const std::vector<CmdOption>& options);

// Draws qemu-img's progress line ("    (12.00/100%)\r"), redrawn when it
// advanced by at least one percent, and a newline at the end.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(uint64_t done, uint64_t total);
  void finish();

 private:
  void draw(double percent);
  bool enabled_;
  double last_ = -100.0;
};

// "-o key=value,key=value" (",," escapes a comma); refuses unknown keys.
std::map<std::string, std::string> parse_create_options(const std::string& text,
                                                        const std::string& filename);
// qemu-img's two-line complaint about a size.
extern const char* const kInvalidSizeMessage;
// "1G", "512", "64k": bytes; throws ToolError with qemu-img's message.
uint64_t parse_image_size(const std::string& text);
// QEMU's human size: "1 MiB", "324 KiB", "1.5 GiB".
std::string human_size(uint64_t bytes);

// One run of a backing chain's state, as `map` and `convert` see it.
struct ChainStatus {
  uint64_t length = 0;
  int depth = 0;
  bool present = false;  // some layer stores it
  bool zero = false;
  bool data = false;
  bool compressed = false;
  std::optional<uint64_t> offset;
  BlockDriver* layer = nullptr;  // the layer that decided (nullptr: none)
};
ChainStatus chain_status(BlockDriver* top, uint64_t offset, uint64_t len);

std::unique_ptr<BlockDriver> open_for_tool(const std::string& path, const std::string& format,
                                           bool read_only, CacheMode cache = CacheMode::kWriteback,
                                           bool open_backing = true);

int cmd_convert(int argc, char** argv);

}  // namespace vx86::img
