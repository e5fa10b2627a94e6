// vx86-img: the disk image tool, spelled like qemu-img.
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

// ---- create ----

int cmd_create(int argc, char** argv) {
  std::string fmt = "raw", options, backing, backing_fmt;
  bool quiet = false;
  auto add_options = [&](const char* v) {
    options += (options.empty() ? "" : ",") + std::string(v);
  };
  auto operands = parse_command_line(argc, argv,
                                     {value_option('f', nullptr, &fmt),
                                      value_option('b', nullptr, &backing),
                                      value_option('F', nullptr, &backing_fmt),
                                      {'o', nullptr, true, add_options},
                                      flag_option('q', nullptr, &quiet),
                                      ignored_option('u', nullptr),
                                      ignored_option('U', "force-share"),
                                      ignored_option(0, "object", true)});
  if (operands.empty()) throw UsageError("Expecting image file name");
  if (operands.size() > 2) throw UsageError("Unexpected argument: " + operands[2]);
  std::string filename = operands[0];
  CreateOptions co;
  co.format = fmt;
  if (fmt != "raw" && fmt != "qcow2")
    throw ToolError(filename + ": Unknown file format '" + fmt + "'");
  auto opts = parse_create_options(options, filename);
  if (operands.size() > 1) {
    co.size = parse_image_size(operands[1]);
    co.size_given = true;
  }
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
  if (!co.size_given && backing.empty())
    throw ToolError(filename + ": Image creation needs a size parameter");

  // Like qemu-img, announce first: option values are checked while creating.
  if (!quiet) {
    std::string line = "Formatting '" + filename + "', fmt=" + fmt;
    if (fmt == "qcow2") {
      line += " cluster_size=" + std::to_string(co.cluster_size) + " extended_l2=off";
      if (co.preallocation != "off") line += " preallocation=" + co.preallocation;
      line += " compression_type=" + co.compression_type;
    }
    if (co.size_given) {
      line += " size=" + std::to_string(co.size);
    } else {
      // qemu-img shows the size taken from the backing file.
      try {
        OpenOptions bo;
        bo.read_only = true;
        bo.format = backing_fmt;
        line += " size=" +
                std::to_string(open_image(combine_backing_path(filename, backing), bo)->length());
      } catch (const BlockError&) {
      }
    }
    if (opts.count("compat")) line += " compat=" + co.compat;
    if (fmt == "raw" && co.preallocation != "off") line += " preallocation=" + co.preallocation;
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
    validate_create_options(co);
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
  auto operands = parse_command_line(argc, argv,
                                     {value_option('f', nullptr, &fmt),
                                      output_option(&output),
                                      flag_option(0, "backing-chain", &chain),
                                      ignored_option('U', "force-share"),
                                      ignored_option('t', nullptr, true),
                                      ignored_option(0, "object", true),
                                      {0, "image-opts", false, [](const char*) {
                                         throw ToolError("--image-opts is not supported");
                                       }}});
  if (operands.size() != 1) throw UsageError("Expecting one image file name");
  std::string filename = operands[0];
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
  auto set_repair = [&](const char* v) {
    if (!strcmp(v, "leaks")) {
      repair = RepairMode::kLeaks;
    } else if (!strcmp(v, "all")) {
      repair = RepairMode::kAll;
    } else {
      throw UsageError("Unknown option value for -r (expecting 'leaks' or 'all'): " +
                       std::string(v));
    }
  };
  auto operands = parse_command_line(argc, argv,
                                     {value_option('f', nullptr, &fmt),
                                      output_option(&output),
                                      {'r', "repair", true, set_repair},
                                      flag_option('q', nullptr, &quiet),
                                      ignored_option('T', nullptr, true),
                                      ignored_option('U', "force-share"),
                                      ignored_option(0, "object", true)});
  if (operands.size() != 1) throw UsageError("Expecting one image file name");
  std::string filename = operands[0];
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
  auto operands = parse_command_line(argc, argv,
                                     {value_option('f', nullptr, &fmt),
                                      flag_option('q', nullptr, &quiet),
                                      flag_option(0, "shrink", &shrink),
                                      value_option(0, "preallocation", &prealloc),
                                      ignored_option('U', "force-share"),
                                      ignored_option(0, "object", true),
                                      {0, "image-opts", false, [](const char*) {
                                         throw ToolError("--image-opts is not supported");
                                       }}});
  if (!size_arg.empty()) operands.push_back(size_arg);
  if (operands.size() < 2) throw UsageError("Not enough arguments");
  if (operands.size() > 2) throw UsageError("Expecting image file name and size");
  std::string filename = operands[0];
  size_arg = operands[1];
  int sign = 0;
  std::string number = size_arg;
  if (number[0] == '+' || number[0] == '-') {
    sign = number[0] == '+' ? 1 : -1;
    number = number.substr(1);
  }
  auto delta = parse_size(number);
  if (!delta) throw ToolError(kInvalidSizeMessage);
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

uint64_t parse_map_size(const char* text, const char* what) {
  try {
    return parse_image_size(text);
  } catch (const ToolError&) {
    std::string msg = kInvalidSizeMessage;
    throw ToolError(std::string("Invalid ") + what + msg.substr(msg.find(" specified")));
  }
}

int cmd_map(int argc, char** argv) {
  std::string fmt, output = "human";
  uint64_t start = 0, max_length = ~0ull;
  auto operands =
      parse_command_line(argc, argv,
                         {value_option('f', nullptr, &fmt),
                          output_option(&output),
                          {'s', "start-offset", true,
                           [&](const char* v) { start = parse_map_size(v, "start offset"); }},
                          {'l', "max-length", true,
                           [&](const char* v) { max_length = parse_map_size(v, "max length"); }},
                          ignored_option('U', "force-share"),
                          ignored_option(0, "object", true)});
  if (operands.size() != 1) throw UsageError("Expecting one image file name");
  auto img = open_for_tool(operands[0], fmt, true);
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
  std::vector<std::string> operands;
  std::unique_ptr<BlockDriver> a, b;
  try {
    operands =
        parse_command_line(argc, argv,
                           {value_option('f', nullptr, &fmt1), value_option('F', nullptr, &fmt2),
                            flag_option('s', nullptr, &strict), flag_option('q', nullptr, &quiet),
                            ignored_option('p', nullptr), ignored_option('T', nullptr, true),
                            ignored_option('U', "force-share"), ignored_option(0, "object", true)});
    if (operands.size() != 2) throw UsageError("Expecting two image file names");
    a = open_for_tool(operands[0], fmt1, true);
    b = open_for_tool(operands[1], fmt2.empty() ? fmt1 : fmt2, true);
  } catch (UsageError&) {
    throw;  // usage errors exit 1 like every other command
  } catch (ToolError& e) {
    e.status = 2;  // compare reports its own failures as 2
    throw;
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
  auto set_action = [&](char which) {
    return [&, which](const char* v) {
      if (action) throw UsageError("Cannot mix '-l', '-a', '-c', '-d'");
      action = which;
      if (v) name = v;
    };
  };
  auto operands = parse_command_line(argc, argv,
                                     {{'l', nullptr, false, set_action('l')},
                                      {'a', nullptr, true, set_action('a')},
                                      {'c', nullptr, true, set_action('c')},
                                      {'d', nullptr, true, set_action('d')},
                                      value_option('f', nullptr, &fmt),
                                      ignored_option('q', nullptr),
                                      ignored_option('U', "force-share"),
                                      ignored_option(0, "object", true)});
  if (operands.size() != 1) throw UsageError("Expecting one image file name");
  if (!action) action = 'l';
  auto img = open_for_tool(operands[0], fmt, action == 'l', CacheMode::kWriteback, false);
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
  auto operands = parse_command_line(argc, argv,
                                     {value_option('f', nullptr, &fmt),
                                      value_option('F', nullptr, &backing_fmt),
                                      {'b', nullptr, true,
                                       [&](const char* v) {
                                         backing = v;
                                         have_backing = true;
                                       }},
                                      flag_option('u', nullptr, &unsafe),
                                      flag_option('q', nullptr, &quiet),
                                      flag_option('p', nullptr, &progress),
                                      ignored_option('t', nullptr, true),
                                      ignored_option('T', nullptr, true),
                                      ignored_option('U', "force-share"),
                                      ignored_option(0, "object", true)});
  if (!have_backing && !unsafe)
    throw UsageError("Must specify backing file (-b) or use unsafe mode (-u)");
  if (operands.size() != 1) throw UsageError("Expecting one image file name");
  std::string filename = operands[0];
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
      ProgressBar bar(progress && !quiet);
      bar.update(0, size);
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
        bar.update(pos, size);
      }
      bar.finish();
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
  if (argc < 2) throw UsageError("Not enough arguments");
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help") {
    print_help();
    return 0;
  }
  if (cmd == "-V" || cmd == "--version") {
    printf("vx86-img version 0.1.0\n");
    return 0;
  }
  if (cmd[0] == '-') throw UsageError("unrecognized option '" + cmd + "'");
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
  throw UsageError("Command not found: " + cmd);
}

}  // namespace
}  // namespace vx86::img

int main(int argc, char** argv) {
  try {
    return vx86::img::run(argc, argv);
  } catch (const vx86::img::HelpRequested&) {
    vx86::img::print_help();
    return 0;
  } catch (const vx86::img::ToolError& e) {
    fflush(stdout);
    // Multi-line messages get the prefix on every line, as qemu-img does.
    std::string msg = e.what();
    for (size_t nl; (nl = msg.find('\n')) != std::string::npos;) {
      fprintf(stderr, "vx86-img: %s\n", msg.substr(0, nl).c_str());
      msg = msg.substr(nl + 1);
    }
    fprintf(stderr, "vx86-img: %s\n", msg.c_str());
    if (dynamic_cast<const vx86::img::UsageError*>(&e))
      fprintf(stderr, "Try 'vx86-img --help' for more information\n");
    return e.status;
  } catch (const std::exception& e) {
    fflush(stdout);
    fprintf(stderr, "vx86-img: %s\n", e.what());
    return 1;
  }
}
