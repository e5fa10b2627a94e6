// Shared helpers of the vx86-img commands.
#pragma once

#include <cstdint>
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

// "-o key=value,key=value" (",," escapes a comma); refuses unknown keys.
std::map<std::string, std::string> parse_create_options(const std::string& text,
                                                        const std::string& filename);
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
