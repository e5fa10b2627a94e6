// vx86-img convert: copies one or more images (concatenated) into a new
// image, skipping zero regions and optionally compressing clusters.
#include <getopt.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "block/tool/img_common.h"

namespace vx86::img {
namespace {

bool all_zero(const uint8_t* p, uint64_t len) {
  for (uint64_t i = 0; i < len; i++) {
    if (p[i]) return false;
  }
  return true;
}

}  // namespace

int cmd_convert(int argc, char** argv) {
  std::string src_fmt, out_fmt = "raw", options, out_backing, out_backing_fmt;
  bool compress = false, progress = false, quiet = false, no_create = false;
  CacheMode cache = CacheMode::kUnsafe;
  uint64_t sparse = 4096;
  static const option kLong[] = {{"force-share", no_argument, nullptr, 'U'},
                                 {"target-is-zero", no_argument, nullptr, 'Z'},
                                 {"salvage", no_argument, nullptr, 'V'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":hf:O:B:F:co:l:S:pt:T:qnm:WrUC", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        src_fmt = optarg;
        break;
      case 'O':
        out_fmt = optarg;
        break;
      case 'B':
        out_backing = optarg;
        break;
      case 'F':
        out_backing_fmt = optarg;
        break;
      case 'c':
        compress = true;
        break;
      case 'o':
        options += (options.empty() ? "" : ",") + std::string(optarg);
        break;
      case 'S':
        sparse = parse_image_size(optarg);
        break;
      case 'p':
        progress = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'n':
        no_create = true;
        break;
      case 't': {
        auto m = parse_cache_mode(optarg);
        if (!m) throw ToolError("Invalid cache option: " + std::string(optarg));
        cache = *m;
        break;
      }
      case 'T':
        if (!parse_cache_mode(optarg))
          throw ToolError("Invalid source cache option: " + std::string(optarg));
        break;
      case 'm':
        if (atoi(optarg) < 1 || atoi(optarg) > 16)
          throw ToolError(
              "Invalid number of coroutines. Allowed number of coroutines is between 1 and 16");
        break;
      case 'l':
        throw ToolError("Internal snapshots as a convert source are not supported");
      case 'W':
      case 'r':
      case 'U':
      case 'C':
      case 'Z':
      case 'V':
        break;
      case ':':
        throw ToolError(std::string("option requires an argument -- '") + char(optopt) + "'");
      default:
        throw ToolError(std::string("invalid option -- '") + char(optopt) + "'");
    }
  }
  if (argc - optind < 2) throw ToolError("Expecting image file name");
  if (quiet) progress = false;
  std::vector<std::string> srcs(argv + optind, argv + argc - 1);
  std::string dst = argv[argc - 1];
  if (compress && out_fmt != "qcow2")
    throw ToolError("Compression not supported for this file format");

  std::vector<std::unique_ptr<BlockDriver>> sources;
  uint64_t total = 0;
  for (const auto& s : srcs) {
    sources.push_back(open_for_tool(s, src_fmt, true));
    total += sources.back()->length();
  }

  auto opts = parse_create_options(options, dst);
  CreateOptions co;
  co.format = out_fmt;
  co.size = total;
  co.size_given = true;
  try {
    if (opts.count("cluster_size")) co.cluster_size = parse_image_size(opts["cluster_size"]);
  } catch (const ToolError&) {
    throw ToolError("Parameter 'cluster_size' expects a non-negative number below 2^64");
  }
  if (opts.count("compat")) co.compat = opts["compat"];
  if (opts.count("preallocation")) co.preallocation = opts["preallocation"];
  if (opts.count("compression_type")) co.compression_type = opts["compression_type"];
  if (opts.count("lazy_refcounts")) co.lazy_refcounts = opts["lazy_refcounts"] == "on";
  if (opts.count("refcount_bits")) co.refcount_bits = atoi(opts["refcount_bits"].c_str());
  if (opts.count("backing_file")) out_backing = opts["backing_file"];
  if (opts.count("backing_fmt")) out_backing_fmt = opts["backing_fmt"];
  co.backing_file = out_backing;
  co.backing_format = out_backing_fmt;

  std::unique_ptr<BlockDriver> target;
  try {
    if (!no_create) create_image(dst, co);
    OpenOptions oo;
    oo.format = out_fmt;
    oo.cache = cache;
    target = open_image(dst, oo);
  } catch (const BlockError& e) {
    throw ToolError(dst + ": " + e.what());
  }
  if (no_create && target->length() < total) throw ToolError("Target image is too small");
  // Only a fresh image without a backing file already reads as zeroes.
  bool target_zero = !no_create && out_backing.empty();
  uint64_t chunk =
      compress ? target->cluster_size() : std::max<uint64_t>(1 << 20, target->cluster_size());
  std::vector<uint8_t> buf(chunk);
  uint64_t done = 0;
  int last_percent = -1;
  auto show = [&]() {
    if (!progress) return;
    int p = total ? int(done * 10000 / total) : 10000;
    if (p == last_percent) return;
    last_percent = p;
    printf("    (%.2f/100%%)\r", p / 100.0);
    fflush(stdout);
  };
  show();
  try {
    for (auto& src : sources) {
      uint64_t size = src->length();
      uint64_t pos = 0;
      while (pos < size) {
        uint64_t len = std::min(chunk - (done % chunk), size - pos);
        ChainStatus st = chain_status(src.get(), pos, len);
        if (!compress) len = st.length;
        if (!compress && st.zero && !st.data) {
          if (!target_zero) target->write_zeroes(done, len, true);
        } else {
          src->read(pos, buf.data(), len);
          if (compress) {
            if (!all_zero(buf.data(), len)) {
              target->write_compressed(done, buf.data(), len);
            } else if (!target_zero) {
              target->write_zeroes(done, len, true);
            }
          } else {
            // Zero runs of `sparse` bytes stay holes (or become zero writes).
            uint64_t step = sparse ? sparse : len;
            for (uint64_t o = 0; o < len;) {
              uint64_t n = std::min(step - ((done + o) % step), len - o);
              bool zero = sparse && all_zero(buf.data() + o, n);
              if (!zero) {
                target->write(done + o, buf.data() + o, n);
              } else if (!target_zero) {
                target->write_zeroes(done + o, n, true);
              }
              o += n;
            }
          }
        }
        pos += len;
        done += len;
        show();
      }
    }
    target->flush();
    target->close();
  } catch (const BlockError& e) {
    throw ToolError(std::string("error while converting: ") + e.what());
  }
  if (progress) printf("    (100.00/100%%)\n");
  return 0;
}

}  // namespace vx86::img
