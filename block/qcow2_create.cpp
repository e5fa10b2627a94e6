// Creating qcow2 images and preallocating their metadata.
#include <cstring>

#include "block/qcow2.h"

namespace vx86 {

using namespace qcow2;

qcow2::Header Qcow2Driver::validate_create(const CreateOptions& opts) {
  uint64_t cs = opts.cluster_size;
  if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
    throw BlockError("Cluster size must be a power of two between 512 and 2048k");
  }
  Header h;
  if (opts.compat == "0.10" || opts.compat == "v2") {
    h.version = 2;
  } else if (opts.compat == "1.1" || opts.compat == "v3") {
    h.version = 3;
  } else {
    throw BlockError("Parameter 'version' does not accept value '" + opts.compat + "'");
  }
  int rb = opts.refcount_bits;
  if (rb < 1 || rb > 64 || (rb & (rb - 1))) {
    throw BlockError("Refcount width must be a power of two and may not exceed 64 bits");
  }
  if (h.version == 2 && rb != 16) {
    throw BlockError(
        "Different refcount widths than 16 bits require compatibility level 1.1 or above (use "
        "version=v3 or greater)");
  }
  if (h.version == 2 && opts.lazy_refcounts) {
    throw BlockError(
        "Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or "
        "greater)");
  }
  if (opts.compression_type == "zstd") {
    if (h.version == 2) {
      throw BlockError(
          "Non-zlib compression type is only supported with compatibility level 1.1 and above "
          "(use version=v3 or greater)");
    }
    h.compression_type = 1;
    h.incompatible_features |= kIncompatCompression;
  } else if (opts.compression_type != "zlib") {
    throw BlockError("Parameter 'compression-type' does not accept value '" +
                     opts.compression_type + "'");
  }
  if (opts.preallocation != "off" && opts.preallocation != "metadata" &&
      opts.preallocation != "falloc" && opts.preallocation != "full") {
    throw BlockError("Parameter 'preallocation' does not accept value '" + opts.preallocation +
                     "'");
  }
  if (!opts.backing_file.empty() && opts.preallocation != "off") {
    throw BlockError(
        "Backing file and preallocation can only be used at the same time if extended_l2 is on");
  }
  h.cluster_bits = __builtin_ctzll(cs);
  h.refcount_order = __builtin_ctz(rb);
  return h;
}

void Qcow2Driver::create(const std::string& path, const CreateOptions& opts) {
  Header h = validate_create(opts);
  uint64_t cs = opts.cluster_size;
  int rb = opts.refcount_bits;
  if (opts.lazy_refcounts) h.compatible_features |= kCompatLazyRefcounts;
  h.refcount_table_offset = cs;
  h.refcount_table_clusters = 1;
  h.backing_file = opts.backing_file;
  h.backing_format = opts.backing_format;
  if (h.version >= 3) h.feature_names = default_feature_names();
  {
    HostFile file(path, HostFile::Mode::kCreate, false);
    std::vector<uint8_t> image(3 * cs, 0);
    std::vector<uint8_t> header = build_header_cluster(h);
    std::memcpy(image.data(), header.data(), cs);
    store_be64(&image[cs], 2 * cs);  // refcount table -> block at cluster 2
    // Clusters 0-2 (header, table, block) each have one reference.
    uint8_t* block = &image[2 * cs];
    for (int c = 0; c < 3; c++) {
      if (rb >= 8) {
        block[(c + 1) * (rb / 8) - 1] = 1;
      } else {
        block[c * rb / 8] |= uint8_t(1 << ((c * rb) % 8));
      }
    }
    file.pwrite(image.data(), image.size(), 0);
  }
  OpenOptions oo;
  oo.format = "qcow2";
  oo.open_backing = false;
  Qcow2Driver img(path, oo);
  // The L1 table is allocated by growing the empty image to its size.
  img.truncate(opts.size);
  if (opts.preallocation != "off") img.preallocate(opts.preallocation);
  img.close();
}

void Qcow2Driver::preallocate(const std::string& mode) {
  require_writable("preallocate");
  uint64_t clusters = (h_.size + cluster_size_ - 1) / cluster_size_;
  uint64_t data_start = ~0ull;
  for (uint64_t gc = 0; gc < clusters; gc++) {
    uint64_t entry = l2_entry(gc);
    if (entry & (kFlagCompressed | kOffsetMask)) continue;
    writable_l2(gc);  // table first so data clusters stay contiguous
    uint64_t host = alloc_clusters(1);
    data_start = std::min(data_start, host);
    set_l2_entry(gc, host | kFlagCopied);
  }
  uint64_t end = alloc_end_ * cluster_size_;
  if (file_->size() < end) {
    if (mode == "full" || mode == "falloc") {
      uint64_t from = std::min(file_->size(), data_start);
      file_->allocate(from, end - from);
    }
    file_->truncate(end);
  }
}

}  // namespace vx86

namespace vx86 {

void Qcow2Driver::set_backing(const std::string& file, const std::string& format) {
  require_writable("change the backing file of");
  Header h = h_;
  h.backing_file = file;
  h.backing_format = file.empty() ? "" : format;
  if (h.version >= 3) h.feature_names = default_feature_names();
  std::vector<uint8_t> cluster = build_header_cluster(h);
  // Only the bytes in front of the first table matter; cluster 0 is ours.
  file_->pwrite(cluster.data(), cluster.size(), 0);
  if (cache_ != CacheMode::kUnsafe) file_->sync();
  h_ = h;
  backing_.reset();
  if (!file.empty()) {
    OpenOptions bo;
    bo.cache = cache_;
    open_backing(bo);
  }
}

}  // namespace vx86
