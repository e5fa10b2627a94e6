// vx86-img: the disk image tool, spelled like qemu-img.
#include <getopt.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "block/qcow2.h"
#include "block/tool/img_common.h"
#include "core/options.h"

namespace vx86::img {
namespace {

using ordered_json = nlohmann::ordered_json;

[[noreturn]] void bad_option(int c) {
  if (c == ':')
    throw ToolError(std::string("option requires an argument -- '") + char(optopt) + "'");
  throw ToolError(std::string("invalid option -- '") + char(optopt ? optopt : '?') + "'");
}

std::string parse_output(const char* arg) {
  std::string v = arg;
  if (v != "human" && v != "json")
    throw ToolError("--output must be used with human or json as argument.");
  return v;
}

// ---- create ----

int cmd_create(int argc, char** argv) {
  std::string fmt = "raw", options, backing, backing_fmt;
  bool quiet = false;
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":F:b:f:ho:quU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt = optarg;
        break;
      case 'b':
        backing = optarg;
        break;
      case 'F':
        backing_fmt = optarg;
        break;
      case 'o':
        options += (options.empty() ? "" : ",") + std::string(optarg);
        break;
      case 'q':
        quiet = true;
        break;
      case 'u':
      case 'U':
        break;
      default:
        bad_option(c);
    }
  }
  if (optind >= argc) throw ToolError("Expecting image file name");
  std::string filename = argv[optind++];
  CreateOptions co;
  co.format = fmt;
  if (fmt != "raw" && fmt != "qcow2") throw ToolError("Unknown file format '" + fmt + "'");
  auto opts = parse_create_options(options, filename);
  if (optind < argc) {
    co.size = parse_image_size(argv[optind++]);
    co.size_given = true;
  }
  if (optind < argc) throw ToolError("Unexpected argument: " + std::string(argv[optind]));
  if (opts.count("size")) {
    co.size = parse_image_size(opts["size"]);
    co.size_given = true;
  }
  if (fmt == "raw") {
    for (const auto& [k, v] : opts) {
      if (k != "size" && k != "preallocation")
        throw ToolError(filename + ": Invalid parameter '" + k + "'");
    }
  }
  if (opts.count("cluster_size")) {
    auto v = parse_size(opts["cluster_size"]);
    if (!v) throw ToolError("Parameter 'cluster_size' expects a non-negative number below 2^64");
    co.cluster_size = *v;
  }
  if (opts.count("compat")) co.compat = opts["compat"];
  if (opts.count("preallocation")) co.preallocation = opts["preallocation"];
  if (opts.count("compression_type")) co.compression_type = opts["compression_type"];
  if (opts.count("lazy_refcounts")) {
    auto b = parse_bool(opts["lazy_refcounts"]);
    if (!b) throw ToolError("Parameter 'lazy_refcounts' expects 'on' or 'off'");
    co.lazy_refcounts = *b;
  }
  if (opts.count("refcount_bits")) {
    auto n = parse_number(opts["refcount_bits"]);
    if (!n) throw ToolError("Parameter 'refcount_bits' expects a non-negative number below 2^64");
    co.refcount_bits = int(std::min<uint64_t>(*n, 1000));
  }
  if (opts.count("extended_l2") && parse_bool(opts["extended_l2"]).value_or(true)) {
    throw ToolError(filename + ": extended_l2=on is not supported");
  }
  if (opts.count("encryption") || opts.count("encrypt.format"))
    throw ToolError(filename + ": encryption is not supported");
  if (opts.count("backing_file")) backing = opts["backing_file"];
  if (opts.count("backing_fmt")) backing_fmt = opts["backing_fmt"];
  co.backing_file = backing;
  co.backing_format = backing_fmt;
  if (!backing.empty() && fmt == "raw")
    throw ToolError(filename + ": Backing file not supported for file format 'raw'");
  if (!co.size_given && backing.empty()) throw ToolError("Image creation needs a size parameter");

  try {
    validate_create_options(co);
  } catch (const BlockError& e) {
    throw ToolError(filename + ": " + e.what());
  }
  if (!quiet) {
    std::string line = "Formatting '" + filename + "', fmt=" + fmt;
    if (fmt == "qcow2") {
      line += " cluster_size=" + std::to_string(co.cluster_size) + " extended_l2=off";
      if (co.preallocation != "off") line += " preallocation=" + co.preallocation;
      line += " compression_type=" + co.compression_type;
    } else if (co.preallocation != "off") {
      line += " preallocation=" + co.preallocation;
    }
    if (co.size_given) line += " size=" + std::to_string(co.size);
    if (!backing.empty()) line += " backing_file=" + backing;
    if (!backing_fmt.empty()) line += " backing_fmt=" + backing_fmt;
    if (fmt == "qcow2") {
      line += std::string(" lazy_refcounts=") + (co.lazy_refcounts ? "on" : "off");
      line += " refcount_bits=" + std::to_string(co.refcount_bits);
    }
    printf("%s\n", line.c_str());
    fflush(stdout);
  }
  try {
    create_image(filename, co);
  } catch (const BlockError& e) {
    throw ToolError(filename + ": " + e.what());
  }
  return 0;
}

// ---- info ----

void print_snapshot_table(const std::vector<SnapshotInfo>& snapshots);

ordered_json info_json(const ImageInfo& info) {
  ordered_json j;
  if (!info.backing_format.empty()) j["backing-filename-format"] = info.backing_format;
  j["virtual-size"] = info.virtual_size;
  j["filename"] = info.filename;
  if (info.cluster_size) j["cluster-size"] = *info.cluster_size;
  j["format"] = info.format;
  j["actual-size"] = info.actual_size;
  if (!info.snapshots.empty()) {
    ordered_json list = ordered_json::array();
    for (const auto& s : info.snapshots) {
      ordered_json e;
      if (s.icount) e["icount"] = *s.icount;
      e["vm-clock-nsec"] = s.vm_clock_nsec % 1000000000;
      e["name"] = s.name;
      e["date-sec"] = s.date_sec;
      e["date-nsec"] = s.date_nsec;
      e["vm-clock-sec"] = s.vm_clock_nsec / 1000000000;
      e["id"] = s.id;
      e["vm-state-size"] = s.vm_state_size;
      list.push_back(e);
    }
    j["snapshots"] = list;
  }
  if (info.qcow2) {
    const auto& q = *info.qcow2;
    ordered_json data;
    data["compat"] = q.compat;
    data["compression-type"] = q.compression_type;
    if (q.compat != "0.10") data["lazy-refcounts"] = q.lazy_refcounts;
    data["refcount-bits"] = q.refcount_bits;
    if (q.compat != "0.10") {
      data["corrupt"] = q.corrupt;
      data["extended-l2"] = q.extended_l2;
    }
    j["format-specific"] = {{"type", "qcow2"}, {"data", data}};
  }
  if (!info.backing_filename.empty()) {
    j["full-backing-filename"] = info.full_backing_filename;
    j["backing-filename"] = info.backing_filename;
  }
  j["dirty-flag"] = info.dirty;
  return j;
}

void print_info_human(const ImageInfo& info) {
  printf("image: %s\n", info.filename.c_str());
  printf("file format: %s\n", info.format.c_str());
  printf("virtual size: %s (%" PRIu64 " bytes)\n", human_size(info.virtual_size).c_str(),
         info.virtual_size);
  printf("disk size: %s\n", human_size(info.actual_size).c_str());
  if (info.cluster_size) printf("cluster_size: %" PRIu64 "\n", *info.cluster_size);
  if (!info.backing_filename.empty()) {
    printf("backing file: %s", info.backing_filename.c_str());
    if (info.full_backing_filename != info.backing_filename) {
      printf(" (actual path: %s)", info.full_backing_filename.c_str());
    }
    printf("\n");
  }
  if (!info.backing_format.empty())
    printf("backing file format: %s\n", info.backing_format.c_str());
  if (info.dirty) printf("cleanly shut down: no\n");
  if (!info.snapshots.empty()) print_snapshot_table(info.snapshots);
  if (info.qcow2) {
    const auto& q = *info.qcow2;
    printf("Format specific information:\n");
    printf("    compat: %s\n", q.compat.c_str());
    printf("    compression type: %s\n", q.compression_type.c_str());
    if (q.compat != "0.10") printf("    lazy refcounts: %s\n", q.lazy_refcounts ? "true" : "false");
    printf("    refcount bits: %d\n", q.refcount_bits);
    if (q.compat != "0.10") {
      printf("    corrupt: %s\n", q.corrupt ? "true" : "false");
      printf("    extended l2: %s\n", q.extended_l2 ? "true" : "false");
    }
  }
}

int cmd_info(int argc, char** argv) {
  std::string fmt, output = "human";
  bool chain = false;
  static const option kLong[] = {
      {"help", no_argument, nullptr, 'h'},          {"output", required_argument, nullptr, 'O'},
      {"backing-chain", no_argument, nullptr, 'B'}, {"force-share", no_argument, nullptr, 'U'},
      {"image-opts", no_argument, nullptr, 'I'},    {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":f:htU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt = optarg;
        break;
      case 'O':
        output = parse_output(optarg);
        break;
      case 'B':
        chain = true;
        break;
      case 'U':
      case 't':
        break;
      case 'I':
        throw ToolError("--image-opts is not supported");
      default:
        bad_option(c);
    }
  }
  if (optind != argc - 1) throw ToolError("Expecting one image file name");
  std::string filename = argv[optind];
  auto img = open_for_tool(filename, fmt, true, CacheMode::kWriteback, chain);
  std::vector<ImageInfo> infos;
  for (BlockDriver* d = img.get(); d; d = chain ? d->backing() : nullptr)
    infos.push_back(d->info());
  if (output == "json") {
    if (chain) {
      ordered_json arr = ordered_json::array();
      for (const auto& i : infos) arr.push_back(info_json(i));
      printf("%s\n", arr.dump(4).c_str());
    } else {
      printf("%s\n", info_json(infos[0]).dump(4).c_str());
    }
  } else {
    for (size_t i = 0; i < infos.size(); i++) {
      if (i) printf("\n");
      print_info_human(infos[i]);
    }
  }
  return 0;
}

// ---- check ----

int cmd_check(int argc, char** argv) {
  std::string fmt, output = "human";
  RepairMode repair = RepairMode::kNone;
  bool quiet = false;
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"output", required_argument, nullptr, 'O'},
                                 {"repair", required_argument, nullptr, 'r'},
                                 {"force-share", no_argument, nullptr, 'U'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":hf:r:T:qU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt = optarg;
        break;
      case 'O':
        output = parse_output(optarg);
        break;
      case 'r':
        if (!strcmp(optarg, "leaks")) {
          repair = RepairMode::kLeaks;
        } else if (!strcmp(optarg, "all")) {
          repair = RepairMode::kAll;
        } else {
          throw ToolError("Unknown option value for -r (expecting 'leaks' or 'all'): " +
                          std::string(optarg));
        }
        break;
      case 'q':
        quiet = true;
        break;
      case 'T':
      case 'U':
        break;
      default:
        bad_option(c);
    }
  }
  if (optind != argc - 1) throw ToolError("Expecting one image file name");
  std::string filename = argv[optind];
  auto img =
      open_for_tool(filename, fmt, repair == RepairMode::kNone, CacheMode::kWriteback, false);
  if (!img->supports_check()) throw ToolError("This image format does not support checks", 63);
  CheckResult res;
  try {
    res = img->check(repair);
    bool fixed_any = res.leaks_fixed || res.corruptions_fixed;
    for (const auto& m : res.messages) fprintf(stderr, "%s\n", m.c_str());
    if (fixed_any) {
      if (output == "human" && !quiet) {
        printf("The following inconsistencies were found and repaired:\n\n    %" PRIu64
               " leaked clusters\n    %" PRIu64
               " corruptions\n\nDouble checking the fixed image now...\n",
               res.leaks_fixed, res.corruptions_fixed);
      }
      CheckResult again = img->check(RepairMode::kNone);
      again.leaks_fixed = res.leaks_fixed;
      again.corruptions_fixed = res.corruptions_fixed;
      res = again;
    }
  } catch (const BlockError& e) {
    throw ToolError(std::string("Check failed: ") + e.what());
  }
  if (output == "json") {
    ordered_json j;
    j["image-end-offset"] = res.image_end_offset;
    j["total-clusters"] = res.total_clusters;
    if (res.corruptions) j["corruptions"] = res.corruptions;
    if (res.leaks) j["leaks"] = res.leaks;
    if (res.corruptions_fixed) j["corruptions-fixed"] = res.corruptions_fixed;
    if (res.leaks_fixed) j["leaks-fixed"] = res.leaks_fixed;
    if (res.compressed_clusters) j["compressed-clusters"] = res.compressed_clusters;
    j["check-errors"] = res.check_errors;
    j["allocated-clusters"] = res.allocated_clusters;
    j["filename"] = filename;
    j["format"] = img->format_name();
    if (res.fragmented_clusters) j["fragmented-clusters"] = res.fragmented_clusters;
    printf("%s\n", j.dump(4).c_str());
  } else if (!quiet) {
    if (!res.corruptions && !res.leaks && !res.check_errors)
      printf("No errors were found on the image.\n");
    if (res.corruptions) {
      printf("\n%" PRIu64
             " errors were found on the image.\nData may be corrupted, or further writes to the "
             "image may corrupt it.\n",
             res.corruptions);
    }
    if (res.leaks) {
      printf("\n%" PRIu64
             " leaked clusters were found on the image.\nThis means waste of disk space, but no "
             "harm to data.\n",
             res.leaks);
    }
    if (res.check_errors) {
      printf("\n%" PRIu64 " internal errors have occurred during the check.\n", res.check_errors);
    }
    if (res.total_clusters) {
      printf(
          "%" PRIu64 "/%" PRIu64
          " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
          res.allocated_clusters, res.total_clusters,
          res.allocated_clusters * 100.0 / res.total_clusters,
          res.allocated_clusters ? res.fragmented_clusters * 100.0 / res.allocated_clusters : 0.0,
          res.allocated_clusters ? res.compressed_clusters * 100.0 / res.allocated_clusters : 0.0);
    }
    printf("Image end offset: %" PRIu64 "\n", res.image_end_offset);
  }
  img->close();
  if (res.check_errors) return 1;
  if (res.corruptions) return 2;
  if (res.leaks) return 3;
  return 0;
}

// ---- resize ----

int cmd_resize(int argc, char** argv) {
  // A size like "-64k" would look like an option: take it out first.
  std::string size_arg;
  if (argc >= 2 && argv[argc - 1][0] == '-' &&
      isdigit(static_cast<unsigned char>(argv[argc - 1][1]))) {
    size_arg = argv[--argc];
  }
  std::string fmt;
  bool shrink = false, quiet = false;
  std::string prealloc = "off";
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"shrink", no_argument, nullptr, 'S'},
                                 {"preallocation", required_argument, nullptr, 'P'},
                                 {"image-opts", no_argument, nullptr, 'I'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":f:hq", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'S':
        shrink = true;
        break;
      case 'P':
        prealloc = optarg;
        break;
      case 'I':
        throw ToolError("--image-opts is not supported");
      default:
        bad_option(c);
    }
  }
  if (size_arg.empty()) {
    if (optind != argc - 2) throw ToolError("Expecting image file name and size");
    size_arg = argv[argc - 1];
  } else if (optind != argc - 1) {
    throw ToolError("Expecting image file name and size");
  }
  std::string filename = argv[optind];
  int sign = 0;
  std::string number = size_arg;
  if (number[0] == '+' || number[0] == '-') {
    sign = number[0] == '+' ? 1 : -1;
    number = number.substr(1);
  }
  auto delta = parse_size(number);
  if (!delta)
    throw ToolError(
        "Invalid image size specified. You may use k, M, G, T, P or E suffixes for kilobytes, "
        "megabytes, gigabytes, terabytes, petabytes and exabytes.");
  auto img = open_for_tool(filename, fmt, false, CacheMode::kWriteback, false);
  uint64_t old = img->length();
  uint64_t target = *delta;
  if (sign > 0) target = old + *delta;
  if (sign < 0) {
    if (*delta > old) throw ToolError("New image size must be positive");
    target = old - *delta;
  }
  if (target < old && !shrink)
    throw ToolError("Use the --shrink option to perform a shrink operation.");
  if (prealloc != "off")
    throw ToolError("Preallocation mode '" + prealloc + "' is not supported by resize");
  try {
    img->truncate(target);
    img->close();
  } catch (const BlockError& e) {
    throw ToolError(e.what());
  }
  if (!quiet) printf("Image resized.\n");
  return 0;
}

// ---- map ----

int cmd_map(int argc, char** argv) {
  std::string fmt, output = "human";
  uint64_t start = 0, max_length = ~0ull;
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"output", required_argument, nullptr, 'O'},
                                 {"start-offset", required_argument, nullptr, 's'},
                                 {"max-length", required_argument, nullptr, 'l'},
                                 {"force-share", no_argument, nullptr, 'U'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":f:hU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt = optarg;
        break;
      case 'O':
        output = parse_output(optarg);
        break;
      case 's':
        start = parse_image_size(optarg);
        break;
      case 'l':
        max_length = parse_image_size(optarg);
        break;
      case 'U':
        break;
      default:
        bad_option(c);
    }
  }
  if (optind != argc - 1) throw ToolError("Expecting one image file name");
  auto img = open_for_tool(argv[optind], fmt, true);
  uint64_t end = std::min(img->length(), max_length > img->length() - std::min(start, img->length())
                                             ? img->length()
                                             : start + max_length);
  struct Run {
    uint64_t start, length;
    ChainStatus st;
  };
  std::vector<Run> runs;
  for (uint64_t pos = start; pos < end;) {
    ChainStatus st = chain_status(img.get(), pos, end - pos);
    if (st.length == 0) break;
    if (!runs.empty()) {
      Run& last = runs.back();
      bool same = last.st.depth == st.depth && last.st.present == st.present &&
                  last.st.zero == st.zero && last.st.data == st.data && last.st.layer == st.layer &&
                  last.st.offset.has_value() == st.offset.has_value() &&
                  (!st.offset || *last.st.offset + last.length == *st.offset);
      if (same) {
        last.length += st.length;
        pos += st.length;
        continue;
      }
    }
    runs.push_back({pos, st.length, st});
    pos += st.length;
  }
  if (output == "json") {
    printf("[");
    for (size_t i = 0; i < runs.size(); i++) {
      const Run& r = runs[i];
      printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64
             ", \"depth\": %d, \"present\": %s, \"zero\": %s, \"data\": %s",
             i ? ",\n" : "", r.start, r.length, r.st.depth, r.st.present ? "true" : "false",
             r.st.zero ? "true" : "false", r.st.data ? "true" : "false");
      if (r.st.offset) printf(", \"offset\": %" PRIu64, *r.st.offset);
      printf("}");
    }
    printf("]\n");
  } else {
    printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    for (const Run& r : runs) {
      if (!r.st.data || !r.st.offset) continue;
      printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", r.start, r.length, *r.st.offset,
             r.st.layer->filename().c_str());
    }
  }
  return 0;
}

// ---- compare ----

int cmd_compare(int argc, char** argv) {
  std::string fmt1, fmt2;
  bool strict = false, quiet = false;
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"force-share", no_argument, nullptr, 'U'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt1 = optarg;
        break;
      case 'F':
        fmt2 = optarg;
        break;
      case 's':
        strict = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'p':
      case 'T':
      case 'U':
        break;
      default:
        try {
          bad_option(c);
        } catch (const ToolError& e) {
          throw ToolError(e.what(), 2);
        }
    }
  }
  if (optind != argc - 2) throw ToolError("Expecting two image file names", 2);
  std::unique_ptr<BlockDriver> a, b;
  try {
    a = open_for_tool(argv[optind], fmt1, true);
    b = open_for_tool(argv[optind + 1], fmt2.empty() ? fmt1 : fmt2, true);
  } catch (const ToolError& e) {
    throw ToolError(e.what(), 2);
  }
  uint64_t common = std::min(a->length(), b->length());
  constexpr uint64_t kChunk = 1 << 20;
  std::vector<uint8_t> ba(kChunk), bb(kChunk);
  auto mismatch = [&](uint64_t offset) {
    if (!quiet) printf("Content mismatch at offset %" PRIu64 "!\n", offset);
    return 1;
  };
  try {
    for (uint64_t pos = 0; pos < common;) {
      uint64_t len = std::min(kChunk, common - pos);
      ChainStatus sa = chain_status(a.get(), pos, len);
      ChainStatus sb = chain_status(b.get(), pos, len);
      len = std::min(sa.length, sb.length);
      if (strict && sa.present != sb.present) {
        if (!quiet) printf("Strict mode: Offset %" PRIu64 " block status mismatch!\n", pos);
        return 1;
      }
      if (!(sa.zero && !sa.data && sb.zero && !sb.data)) {
        a->read(pos, ba.data(), len);
        b->read(pos, bb.data(), len);
        if (memcmp(ba.data(), bb.data(), len) != 0) {
          uint64_t i = 0;
          while (ba[i] == bb[i]) i++;
          return mismatch((pos + i) & ~511ull);
        }
      }
      pos += len;
    }
    if (a->length() != b->length()) {
      if (strict) {
        if (!quiet) printf("Strict mode: Image size mismatch!\n");
        return 1;
      }
      if (!quiet) printf("Warning: Image size mismatch!\n");
      BlockDriver* longer = a->length() > b->length() ? a.get() : b.get();
      for (uint64_t pos = common; pos < longer->length();) {
        uint64_t len = std::min(kChunk, longer->length() - pos);
        ChainStatus st = chain_status(longer, pos, len);
        len = st.length;
        if (!(st.zero && !st.data)) {
          longer->read(pos, ba.data(), len);
          for (uint64_t i = 0; i < len; i++) {
            if (ba[i]) return mismatch((pos + i) & ~511ull);
          }
        }
        pos += len;
      }
    }
  } catch (const BlockError& e) {
    throw ToolError(e.what(), 2);
  }
  if (!quiet) printf("Images are identical.\n");
  return 0;
}

// ---- snapshot ----

void print_snapshot_table(const std::vector<SnapshotInfo>& snapshots) {
  printf("Snapshot list:\n");
  printf("%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
  for (const auto& s : snapshots) {
    char date[32];
    time_t t = s.date_sec;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    uint64_t secs = s.vm_clock_nsec / 1000000000;
    char clock[32];
    snprintf(clock, sizeof(clock), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
             secs / 3600, (secs / 60) % 60, secs % 60, (s.vm_clock_nsec / 1000000) % 1000);
    printf("%-9s %-16s %8s%20s%13s%11s\n", s.id.c_str(), s.name.c_str(),
           human_size(s.vm_state_size).c_str(), date, clock,
           s.icount ? std::to_string(*s.icount).c_str() : "");
  }
}

int cmd_snapshot(int argc, char** argv) {
  std::string fmt, name;
  char action = 0;
  int c;
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"force-share", no_argument, nullptr, 'U'},
                                 {nullptr, 0, nullptr, 0}};
  while ((c = getopt_long(argc, argv, ":la:c:d:f:hqU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'l':
      case 'a':
      case 'c':
      case 'd':
        if (action) throw ToolError("Cannot mix '-l', '-a', '-c', '-d'");
        action = char(c);
        if (c != 'l') name = optarg;
        break;
      case 'f':
        fmt = optarg;
        break;
      case 'q':
      case 'U':
        break;
      default:
        bad_option(c);
    }
  }
  if (optind != argc - 1) throw ToolError("Expecting one image file name");
  if (!action) action = 'l';
  auto img = open_for_tool(argv[optind], fmt, action == 'l', CacheMode::kWriteback, false);
  if (action == 'l') {
    ImageInfo info = img->info();
    if (!info.snapshots.empty()) print_snapshot_table(info.snapshots);
    return 0;
  }
  auto* q = dynamic_cast<Qcow2Driver*>(img.get());
  if (!q)
    throw ToolError("Format '" + img->format_name() + "' does not support internal snapshots");
  try {
    if (action == 'c') q->create_snapshot(name);
    if (action == 'a') q->apply_snapshot(name);
    if (action == 'd') q->delete_snapshot(name);
    q->close();
  } catch (const BlockError& e) {
    const char* what = action == 'c' ? "create" : action == 'a' ? "apply" : "delete";
    throw ToolError(std::string("Could not ") + what + " snapshot '" + name + "': " + e.what());
  }
  return 0;
}

// ---- rebase ----

int cmd_rebase(int argc, char** argv) {
  std::string fmt, backing, backing_fmt;
  bool unsafe = false, have_backing = false, quiet = false, progress = false;
  static const option kLong[] = {{"help", no_argument, nullptr, 'h'},
                                 {"force-share", no_argument, nullptr, 'U'},
                                 {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fmt = optarg;
        break;
      case 'F':
        backing_fmt = optarg;
        break;
      case 'b':
        backing = optarg;
        have_backing = true;
        break;
      case 'u':
        unsafe = true;
        break;
      case 'q':
        quiet = true;
        break;
      case 'p':
        progress = true;
        break;
      case 't':
      case 'T':
      case 'U':
        break;
      default:
        bad_option(c);
    }
  }
  if (!have_backing)
    throw ToolError("Must specify backing file (-b) or use '-b \"\"' to remove the backing file");
  if (optind != argc - 1) throw ToolError("Expecting one image file name");
  std::string filename = argv[optind];
  auto img = open_for_tool(filename, fmt, false, CacheMode::kWriteback, !unsafe);
  auto* q = dynamic_cast<Qcow2Driver*>(img.get());
  if (!q) throw ToolError("Format '" + img->format_name() + "' does not support backing files");
  try {
    std::unique_ptr<BlockDriver> new_backing;
    if (!backing.empty()) {
      OpenOptions bo;
      bo.read_only = true;
      bo.format = backing_fmt;
      new_backing = open_image(combine_backing_path(filename, backing), bo);
      if (backing_fmt.empty()) backing_fmt = new_backing->format_name();
    }
    if (!unsafe) {
      // Clusters the image does not store must keep reading what the old
      // backing file gave; copy them in where the new one differs.
      uint64_t size = img->length();
      uint64_t chunk = std::max<uint64_t>(img->cluster_size(), 65536);
      std::vector<uint8_t> old_data(chunk), new_data(chunk);
      for (uint64_t pos = 0; pos < size;) {
        BlockStatus st = img->block_status(pos, std::min(chunk, size - pos));
        uint64_t len = st.length;
        if (!st.allocated) {
          img->read(pos, old_data.data(), len);
          std::fill(new_data.begin(), new_data.begin() + len, 0);
          if (new_backing && pos < new_backing->length()) {
            new_backing->read(pos, new_data.data(), std::min(len, new_backing->length() - pos));
          }
          if (memcmp(old_data.data(), new_data.data(), len) != 0)
            img->write(pos, old_data.data(), len);
        }
        pos += len;
        if (progress && !quiet) printf("    (%.2f/100%%)\r", pos * 100.0 / size);
      }
      if (progress && !quiet) printf("    (100.00/100%%)\n");
    }
    q->set_backing(backing, backing_fmt);
    q->close();
  } catch (const BlockError& e) {
    throw ToolError(std::string("Could not change the backing file to '") + backing +
                    "': " + e.what());
  }
  return 0;
}

void print_help() {
  printf(
      "vx86-img: disk image utility (qemu-img compatible subset)\n"
      "usage: vx86-img [standard options] command [command options]\n\n"
      "Command syntax:\n"
      "  check [--output=ofmt] [-f fmt] [-q] [-r [leaks | all]] filename\n"
      "  compare [-f fmt] [-F fmt] [-q] [-s] filename1 filename2\n"
      "  convert [-c] [-p] [-q] [-n] [-f fmt] [-t cache] [-O output_fmt] [-B backing_file [-F "
      "backing_fmt]] [-o options] [-S sparse_size] [-m num_coroutines] [-W] filename [filename2 "
      "[...]] output_filename\n"
      "  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename "
      "[size]\n"
      "  info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename\n"
      "  map [--output=ofmt] [-f fmt] [--start-offset=offset] [--max-length=len] filename\n"
      "  rebase [-f fmt] [-p] [-q] [-u] -b backing_file [-F backing_fmt] filename\n"
      "  resize [-f fmt] [--shrink] [-q] filename [+ | -]size\n"
      "  snapshot [-l | -a snapshot | -c snapshot | -d snapshot] [-f fmt] filename\n\n"
      "Supported formats: raw qcow2\n");
}

int run(int argc, char** argv) {
  if (argc < 2) throw ToolError("Not enough arguments (try 'vx86-img --help')");
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    print_help();
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    printf("vx86-img version 0.1.0\n");
    return 0;
  }
  opterr = 0;
  optind = 1;
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  if (cmd == "create") return cmd_create(sub_argc, sub_argv);
  if (cmd == "info") return cmd_info(sub_argc, sub_argv);
  if (cmd == "check") return cmd_check(sub_argc, sub_argv);
  if (cmd == "convert") return cmd_convert(sub_argc, sub_argv);
  if (cmd == "resize") return cmd_resize(sub_argc, sub_argv);
  if (cmd == "map") return cmd_map(sub_argc, sub_argv);
  if (cmd == "compare") return cmd_compare(sub_argc, sub_argv);
  if (cmd == "snapshot") return cmd_snapshot(sub_argc, sub_argv);
  if (cmd == "rebase") return cmd_rebase(sub_argc, sub_argv);
  throw ToolError("Command not found: " + cmd);
}

}  // namespace
}  // namespace vx86::img

int main(int argc, char** argv) {
  try {
    return vx86::img::run(argc, argv);
  } catch (const vx86::img::ToolError& e) {
    fflush(stdout);
    fprintf(stderr, "vx86-img: %s\n", e.what());
    return e.status;
  } catch (const std::exception& e) {
    fflush(stdout);
    fprintf(stderr, "vx86-img: %s\n", e.what());
    return 1;
  }
}
