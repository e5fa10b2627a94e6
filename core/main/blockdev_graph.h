// -blockdev as QEMU users and libvirt write it: block nodes named by
// node-name, a format node (qcow2, raw) over a file node given by name
// (file=NODE) or inline (file.driver=file,file.filename=...), a backing
// chain spelled out node by node (backing=NODE, backing=null at its end).
// vx86's block layer opens an image as a whole (its format over its file,
// the backing files the image names), so the graph is resolved here into
// the images to open, each named by its top node for -device drive=, with
// the chain the user described to be checked against the images' own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "block/block_backend.h"
#include "core/options.h"

namespace vx86 {

// The keys -blockdev takes.
const std::vector<OptDesc>& blockdev_keys();

struct BlockdevImage {
  std::string node_name;  // what -device drive= names
  std::string option;     // the -blockdev that made it, for messages
  BlockBackendOptions options;
  std::string cache_name;  // writeback, none or unsafe (the monitor's info block)
  // The backing chain as the -blockdev nodes describe it, top down (file
  // name and format of each layer): nullopt when the top node says nothing
  // (the image's own chain is used), complete when it ends with
  // backing=null (the last layer must have no backing file).
  struct Layer {
    std::string filename, format;
  };
  std::optional<std::vector<Layer>> backing;
  bool backing_complete = false;
};

// Resolves the -blockdev options (KeyValues from blockdev_keys()) into the
// images to open, in command-line order. Throws OptionError naming the
// option on a missing or unknown driver, a missing node-name, an unknown or
// reused node, or a layout vx86 cannot open.
std::vector<BlockdevImage> resolve_blockdevs(const std::vector<KeyValues>& blockdevs);

}  // namespace vx86
