#include "block/tool/img_common.h"

#include <getopt.h>

#include <cmath>
#include <cstdio>

#include "core/options.h"

namespace vx86::img {

CmdOption value_option(char letter, const char* long_name, std::string* out) {
  return {letter, long_name, true, [out](const char* v) { *out = v; }};
}

CmdOption flag_option(char letter, const char* long_name, bool* out) {
  return {letter, long_name, false, [out](const char*) { *out = true; }};
}

CmdOption ignored_option(char letter, const char* long_name, bool has_value) {
  return {letter, long_name, has_value, nullptr};
}

CmdOption output_option(std::string* out) {
  return {0, "output", true, [out](const char* v) {
            std::string s = v;
            if (s != "human" && s != "json")
              throw ToolError("--output must be used with human or json as argument.");
            *out = s;
          }};
}

std::vector<std::string> parse_command_line(int argc, char** argv,
                                            const std::vector<CmdOption>& options) {
  std::string shorts = ":h";
  std::vector<option> longs = {{"help", no_argument, nullptr, 'h'}};
  for (size_t i = 0; i < options.size(); i++) {
    const CmdOption& o = options[i];
    if (o.letter) {
      shorts += o.letter;
      if (o.has_value) shorts += ':';
    }
    // Long-only options get values past any letter so they stay apart.
    int val = o.letter ? o.letter : int(256 + i);
    if (o.long_name)
      longs.push_back({o.long_name, o.has_value ? required_argument : no_argument, nullptr, val});
  }
  longs.push_back({nullptr, 0, nullptr, 0});
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, shorts.c_str(), longs.data(), nullptr)) != -1) {
    // qemu-img names the offending word as typed.
    if (c == ':')
      throw UsageError(std::string("missing argument for option '") + argv[optind - 1] + "'");
    if (c == '?') throw UsageError(std::string("unrecognized option '") + argv[optind - 1] + "'");
    if (c == 'h') throw HelpRequested();
    for (size_t i = 0; i < options.size(); i++) {
      const CmdOption& o = options[i];
      if (c != (o.letter ? o.letter : int(256 + i))) continue;
      if (o.apply) o.apply(optarg);
      break;
    }
  }
  return std::vector<std::string>(argv + optind, argv + argc);
}

void ProgressBar::draw(double percent) {
  printf("    (%3.2f/100%%)\r", percent);
  fflush(stdout);
  last_ = percent;
}

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  double percent = total ? done * 100.0 / total : 100.0;
  if (percent - last_ >= 1.0 || last_ < 0) draw(percent);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  draw(100.0);
  printf("\n");
  fflush(stdout);
}

const char* const kInvalidSizeMessage =
    "Invalid image size specified. You may use k, M, G, T, P or E suffixes for\n"
    "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.";

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
    throw ToolError(kInvalidSizeMessage);
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
    // qemu-img puts its own "Could not open" before the host's (which says
    // it again); a format's reasons already name the file once.
    std::string what = e.what();
    if (what.rfind("Could not open '", 0) == 0 && !e.os_error()) throw ToolError(what);
    throw ToolError("Could not open '" + path + "': " + what);
  }
}

}  // namespace vx86::img
