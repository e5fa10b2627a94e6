// vx86-img convert: copies one or more images (concatenated) into a new
// image, skipping zero regions and optionally compressing clusters.
//
// The copy is planned as a list of chunks (each all zero or with data) and
// then run by -m worker threads: each reads its chunk (the source drivers
// are used one thread at a time), checks it for zeroes and compresses it
// without any lock, and writes it in order, so the output is laid out as a
// sequential copy would lay it out (qemu-img also writes compressed output
// in order).
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "block/tool/img_common.h"

namespace vx86::img {
namespace {

bool all_zero(const uint8_t* p, uint64_t len) {
  // Word-at-a-time, then the tail.
  uint64_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w) return false;
  }
  for (; i < len; i++) {
    if (p[i]) return false;
  }
  return true;
}

struct Chunk {
  BlockDriver* source;
  uint64_t source_offset;
  uint64_t target_offset;
  uint64_t length;
  bool zero;  // the source reads as zeroes here: nothing to read
};

struct ConvertJob {
  std::vector<Chunk> chunks;
  BlockDriver* target = nullptr;
  bool compress = false;
  bool target_zero = false;  // a fresh image: zero runs need no writes
  uint64_t sparse = 4096;
  uint64_t total = 0;
  ProgressBar* progress = nullptr;

  std::mutex source_mutex;
  std::mutex mutex;  // next_chunk, next_write, done, error; target writes
  std::condition_variable turn;
  size_t next_chunk = 0;
  size_t next_write = 0;
  uint64_t done = 0;
  std::string error;
};

// One piece of output, prepared by a worker and stored in chunk order.
struct Prepared {
  enum Kind { kZero, kData, kCompressed } kind;
  uint64_t offset;
  uint64_t length;
  const uint8_t* data;
  std::optional<std::vector<uint8_t>> packed;
};

void prepare(ConvertJob& job, const Chunk& c, std::vector<uint8_t>& buf,
             std::vector<Prepared>& out) {
  out.clear();
  if (c.zero) {
    out.push_back({Prepared::kZero, c.target_offset, c.length, nullptr, std::nullopt});
    return;
  }
  {
    std::lock_guard<std::mutex> lock(job.source_mutex);
    c.source->read(c.source_offset, buf.data(), c.length);
  }
  if (job.compress) {
    if (all_zero(buf.data(), c.length)) {
      out.push_back({Prepared::kZero, c.target_offset, c.length, nullptr, std::nullopt});
    } else {
      out.push_back({Prepared::kCompressed, c.target_offset, c.length, buf.data(),
                     job.target->compress_for_write(buf.data(), c.length)});
    }
    return;
  }
  // Zero runs of `sparse` bytes stay holes (or become zero writes); the
  // rest is merged into as few writes as possible.
  uint64_t step = job.sparse ? job.sparse : c.length;
  for (uint64_t o = 0; o < c.length;) {
    uint64_t n = std::min(step - ((c.target_offset + o) % step), c.length - o);
    Prepared::Kind kind =
        job.sparse && all_zero(buf.data() + o, n) ? Prepared::kZero : Prepared::kData;
    if (!out.empty() && out.back().kind == kind) {
      out.back().length += n;
    } else {
      out.push_back({kind, c.target_offset + o, n, buf.data() + o, std::nullopt});
    }
    o += n;
  }
}

void store(ConvertJob& job, const std::vector<Prepared>& pieces) {
  for (const Prepared& p : pieces) {
    switch (p.kind) {
      case Prepared::kZero:
        if (!job.target_zero) job.target->write_zeroes(p.offset, p.length, true);
        break;
      case Prepared::kData:
        job.target->write(p.offset, p.data, p.length);
        break;
      case Prepared::kCompressed:
        job.target->write_compressed_prepared(p.offset, p.data, p.length, p.packed);
        break;
    }
  }
}

void convert_worker(ConvertJob& job, uint64_t buffer_size) {
  std::vector<uint8_t> buf(buffer_size);
  std::vector<Prepared> pieces;
  for (;;) {
    size_t index;
    {
      std::lock_guard<std::mutex> lock(job.mutex);
      if (job.next_chunk >= job.chunks.size() || !job.error.empty()) return;
      index = job.next_chunk++;
    }
    const Chunk& c = job.chunks[index];
    std::string error;
    try {
      prepare(job, c, buf, pieces);
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::unique_lock<std::mutex> lock(job.mutex);
    job.turn.wait(lock, [&] { return job.next_write == index || !job.error.empty(); });
    if (!job.error.empty()) return;
    if (error.empty()) {
      try {
        store(job, pieces);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    if (!error.empty()) {
      job.error = error;
    } else {
      job.next_write++;
      job.done += c.length;
      job.progress->update(job.done, job.total);
    }
    job.turn.notify_all();
  }
}

}  // namespace

int cmd_convert(int argc, char** argv) {
  std::string src_fmt, out_fmt = "raw", options, out_backing, out_backing_fmt, snapshot;
  bool compress = false, progress = false, quiet = false, no_create = false;
  CacheMode cache = CacheMode::kUnsafe;
  uint64_t sparse = 4096;
  int parallel = 8;
  auto add_options = [&](const char* v) {
    options += (options.empty() ? "" : ",") + std::string(v);
  };
  auto operands = parse_command_line(
      argc, argv,
      {value_option('f', nullptr, &src_fmt),
       value_option('O', nullptr, &out_fmt),
       value_option('B', nullptr, &out_backing),
       value_option('F', nullptr, &out_backing_fmt),
       flag_option('c', nullptr, &compress),
       {'o', nullptr, true, add_options},
       {'S', nullptr, true, [&](const char* v) { sparse = parse_image_size(v); }},
       flag_option('p', nullptr, &progress),
       flag_option('q', nullptr, &quiet),
       flag_option('n', nullptr, &no_create),
       {'t', nullptr, true,
        [&](const char* v) {
          auto m = parse_cache_mode(v);
          if (!m) throw ToolError("Invalid cache option: " + std::string(v));
          cache = *m;
        }},
       {'T', nullptr, true,
        [](const char* v) {
          if (!parse_cache_mode(v))
            throw ToolError("Invalid source cache option: " + std::string(v));
        }},
       {'m', nullptr, true,
        [&](const char* v) {
          char* end = nullptr;
          long n = strtol(v, &end, 10);
          if (*v == 0 || *end != 0 || n < 1 || n > 16)
            throw ToolError(
                "Invalid number of coroutines. Allowed number of coroutines is between 1 and 16");
          parallel = int(n);
        }},
       value_option('l', nullptr, &snapshot),
       ignored_option('W', nullptr),
       ignored_option('r', nullptr, true),
       ignored_option('U', "force-share"),
       ignored_option('C', nullptr),
       ignored_option(0, "target-is-zero"),
       ignored_option(0, "salvage"),
       ignored_option(0, "object", true)});
  if (!snapshot.empty())
    throw ToolError("Internal snapshots as a convert source are not supported");
  if (operands.size() < 2) throw ToolError("Must specify image file name");
  if (quiet) progress = false;
  std::vector<std::string> srcs(operands.begin(), operands.end() - 1);
  std::string dst = operands.back();
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

  ConvertJob job;
  job.target = target.get();
  job.compress = compress;
  // Only a fresh image without a backing file (or preallocated data) already
  // reads as zeroes.
  job.target_zero = !no_create && out_backing.empty();
  job.sparse = sparse;
  job.total = total;
  uint64_t chunk =
      compress ? target->cluster_size() : std::max<uint64_t>(1 << 20, target->cluster_size());
  uint64_t out_pos = 0;
  try {
    for (auto& src : sources) {
      uint64_t size = src->length();
      for (uint64_t pos = 0; pos < size;) {
        uint64_t len = std::min(chunk - (out_pos % chunk), size - pos);
        ChainStatus st = chain_status(src.get(), pos, len);
        bool zero = st.zero && !st.data;
        // Data chunks stop where the allocation state changes, so zero runs
        // are never read; compressed chunks are whole clusters.
        if (!compress) {
          len = std::min(len, st.length);
        } else if (zero && st.length < len) {
          zero = false;
        }
        job.chunks.push_back({src.get(), pos, out_pos, len, zero});
        pos += len;
        out_pos += len;
      }
    }
  } catch (const BlockError& e) {
    throw ToolError(std::string("error while converting: ") + e.what());
  }

  ProgressBar bar(progress);
  job.progress = &bar;
  bar.update(0, total);
  std::vector<std::thread> workers;
  // Threads beyond the cores only help to overlap reads with writes.
  unsigned threads =
      std::min<unsigned>(parallel, std::max(2u, std::thread::hardware_concurrency()));
  for (unsigned i = 1; i < threads; i++) workers.emplace_back(convert_worker, std::ref(job), chunk);
  convert_worker(job, chunk);
  for (auto& t : workers) t.join();
  if (!job.error.empty()) throw ToolError("error while converting: " + job.error);
  try {
    target->flush();
    target->close();
  } catch (const BlockError& e) {
    throw ToolError(std::string("error while converting: ") + e.what());
  }
  bar.finish();
  return 0;
}

}  // namespace vx86::img
