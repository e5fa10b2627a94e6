#include "block/tool/img_common.h"

#include <cmath>
#include <cstdio>

#include "core/options.h"

namespace vx86::img {

std::map<std::string, std::string> parse_create_options(const std::string& text,
                                                        const std::string& filename) {
  static const char* kKnown[] = {
      "size",          "cluster_size",  "compat",           "backing_file",
      "backing_fmt",   "preallocation", "compression_type", "lazy_refcounts",
      "refcount_bits", "extended_l2",   "encryption",       "encrypt.format"};
  std::map<std::string, std::string> out;
  std::string item;
  auto flush_item = [&]() {
    if (item.empty()) return;
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "on" : item.substr(eq + 1);
    bool known = false;
    for (const char* k : kKnown) known |= key == k;
    if (!known) throw ToolError(filename + ": Invalid parameter '" + key + "'");
    out[key] = value;
    item.clear();
  };
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] == ',') {
      if (i + 1 < text.size() && text[i + 1] == ',') {
        item += ',';
        i++;
        continue;
      }
      flush_item();
    } else {
      item += text[i];
    }
  }
  flush_item();
  return out;
}

uint64_t parse_image_size(const std::string& text) {
  auto v = parse_size(text);
  if (!v || text.empty() || text[0] == '-') {
    throw ToolError(
        "Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, "
        "megabytes, "
        "gigabytes, terabytes, petabytes and exabytes.");
  }
  return *v;
}

std::string human_size(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  // Switch to the next unit once the value would print as 1000 or more.
  int unit = 0;
  while (unit < 6 && double(bytes) * 1.024 >= std::ldexp(1.0, 10 * (unit + 1))) unit++;
  char buf[64];
  snprintf(buf, sizeof(buf), "%0.3g %s", double(bytes) / std::ldexp(1.0, 10 * unit), kUnits[unit]);
  return buf;
}

ChainStatus chain_status(BlockDriver* top, uint64_t offset, uint64_t len) {
  ChainStatus cs;
  int depth = 0;
  for (BlockDriver* layer = top; layer; layer = layer->backing(), depth++) {
    if (offset >= layer->length()) {
      // Past the end of a backing file reads as zeroes.
      cs.length = len;
      cs.depth = depth;
      cs.zero = true;
      return cs;
    }
    BlockStatus st = layer->block_status(offset, len);
    len = st.length;
    if (st.allocated) {
      cs.length = len;
      cs.depth = depth;
      cs.present = true;
      cs.zero = st.zero;
      cs.data = st.data;
      cs.compressed = st.compressed;
      cs.offset = st.host_offset;
      cs.layer = layer;
      return cs;
    }
    if (!layer->backing()) {
      cs.length = len;
      cs.depth = depth;
      cs.zero = true;
      return cs;
    }
  }
  cs.length = len;
  cs.zero = true;
  return cs;
}

std::unique_ptr<BlockDriver> open_for_tool(const std::string& path, const std::string& format,
                                           bool read_only, CacheMode cache, bool open_backing) {
  OpenOptions oo;
  oo.format = format;
  oo.read_only = read_only;
  oo.cache = cache;
  oo.open_backing = open_backing;
  if (!format.empty() && format != "raw" && format != "qcow2") {
    throw ToolError("Unknown driver '" + format + "'");
  }
  try {
    return open_image(path, oo);
  } catch (const BlockError& e) {
    std::string what = e.what();
    if (what.rfind("Could not open '", 0) == 0) throw ToolError(what);
    throw ToolError("Could not open '" + path + "': " + what);
  }
}

}  // namespace vx86::img
