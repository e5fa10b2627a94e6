#include <algorithm>
#include <cstring>

#include "block/block_driver.h"
#include "block/qcow2_format.h"

namespace vx86::qcow2 {
namespace {

[[noreturn]] void refuse(const std::string& why) {
  throw BlockError(why);
}

bool offset_ok(uint64_t offset, uint64_t cluster_size, uint64_t file_size) {
  return (offset & (cluster_size - 1)) == 0 && offset < file_size;
}

void parse_extensions(Header* h, const uint8_t* data, uint64_t data_len) {
  uint64_t pos = h->header_length;
  uint64_t limit = std::min<uint64_t>(data_len, h->cluster_size());
  if (h->backing_file_offset != 0 && h->backing_file_offset < limit) limit = h->backing_file_offset;
  while (pos + 8 <= limit) {
    uint32_t type = load_be32(data + pos);
    uint32_t len = load_be32(data + pos + 4);
    pos += 8;
    if (type == kExtEnd) return;
    if (len > limit - pos)
      refuse("Invalid qcow2 header extension: length exceeds the header cluster");
    const uint8_t* body = data + pos;
    switch (type) {
      case kExtBackingFormat:
        if (len >= 1024) refuse("Invalid backing format extension");
        h->backing_format.assign(reinterpret_cast<const char*>(body),
                                 strnlen(reinterpret_cast<const char*>(body), len));
        break;
      case kExtFeatureTable:
        for (uint32_t i = 0; i + 48 <= len; i += 48) {
          const char* name = reinterpret_cast<const char*>(body + i + 2);
          h->feature_names.push_back({body[i], body[i + 1], std::string(name, strnlen(name, 46))});
        }
        break;
      case kExtCrypto:
        refuse("Encrypted qcow2 images are not supported");
      case kExtDataFile:
        refuse("qcow2 images with an external data file are not supported");
      default:  // bitmaps and unknown extensions are ignored
        break;
    }
    pos += (uint64_t(len) + 7) & ~7ull;
  }
}

std::string unknown_features_text(const Header& h, uint64_t bits) {
  std::string out;
  for (int bit = 0; bit < 64; bit++) {
    if (!(bits & (1ull << bit))) continue;
    std::string name;
    for (const auto& f : h.feature_names) {
      if (f.type == 0 && f.bit == bit) name = f.name;
    }
    if (!out.empty()) out += ", ";
    out += name.empty() ? "Unknown incompatible feature: " + std::to_string(bit) : name;
  }
  return out;
}

}  // namespace

Header parse_header(const uint8_t* d, uint64_t data_len, uint64_t file_size) {
  Header h;
  if (data_len < kHeaderV2Size)
    refuse("Image is not in qcow2 format (file too short for a header)");
  if (load_be32(d) != kMagic) refuse("Image is not in qcow2 format");
  h.version = load_be32(d + 4);
  if (h.version < 2 || h.version > 3)
    refuse("Unsupported qcow2 version " + std::to_string(h.version));
  h.backing_file_offset = load_be64(d + 8);
  h.backing_file_size = load_be32(d + 16);
  h.cluster_bits = load_be32(d + 20);
  h.size = load_be64(d + kOffSize);
  h.crypt_method = load_be32(d + 32);
  h.l1_size = load_be32(d + kOffL1Size);
  h.l1_table_offset = load_be64(d + kOffL1TableOffset);
  h.refcount_table_offset = load_be64(d + kOffRefcountTableOffset);
  h.refcount_table_clusters = load_be32(d + kOffRefcountTableClusters);
  h.nb_snapshots = load_be32(d + kOffNbSnapshots);
  h.snapshots_offset = load_be64(d + kOffSnapshotsOffset);
  if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits) {
    refuse("Unsupported cluster size: 2^" + std::to_string(h.cluster_bits));
  }
  uint64_t cs = h.cluster_size();
  if (h.version == 3) {
    if (data_len < kHeaderV3Size) refuse("qcow2 header truncated");
    h.incompatible_features = load_be64(d + kOffIncompatible);
    h.compatible_features = load_be64(d + kOffCompatible);
    h.autoclear_features = load_be64(d + kOffAutoclear);
    h.refcount_order = load_be32(d + 96);
    h.header_length = load_be32(d + 100);
    if (h.header_length < kHeaderV3Size) refuse("qcow2 header too short");
    if (h.header_length > cs || h.header_length > data_len)
      refuse("qcow2 header exceeds cluster size");
    if (h.header_length > kHeaderV3Size) h.compression_type = d[104];
  } else {
    h.refcount_order = 4;
    h.header_length = kHeaderV2Size;
  }
  if (h.refcount_order > 6) refuse("Reference count entry width too large; may not exceed 64 bits");
  parse_extensions(&h, d, data_len);

  if (h.incompatible_features & ~kIncompatKnown) {
    refuse("Unsupported qcow2 feature(s): " +
           unknown_features_text(h, h.incompatible_features & ~kIncompatKnown));
  }
  if (h.incompatible_features & kIncompatDataFile) {
    refuse("qcow2 images with an external data file are not supported");
  }
  if (h.incompatible_features & kIncompatExtendedL2) {
    refuse("qcow2 images with extended L2 entries (subclusters) are not supported");
  }
  if (h.crypt_method != 0) refuse("Encrypted qcow2 images are not supported");
  bool has_compression_bit = h.incompatible_features & kIncompatCompression;
  if (h.compression_type > 1)
    refuse("Unknown compression type " + std::to_string(h.compression_type));
  if (h.compression_type != 0 && !has_compression_bit) {
    refuse("Compression type is set but the compression type feature bit is clear");
  }
  if (h.compression_type == 0 && has_compression_bit) {
    refuse("Compression type feature bit is set for the default (zlib) compression type");
  }

  if (uint64_t(h.refcount_table_clusters) * cs > kMaxRefcountTableBytes) {
    refuse("Reference count table too large");
  }
  if (h.refcount_table_clusters == 0) refuse("Image does not contain a reference count table");
  if (!offset_ok(h.refcount_table_offset, cs, file_size) || h.refcount_table_offset == 0) {
    refuse("Invalid reference count table offset");
  }
  if (h.refcount_table_offset + uint64_t(h.refcount_table_clusters) * cs > file_size + cs) {
    refuse("Invalid reference count table offset (table extends past the end of the file)");
  }
  if (uint64_t(h.l1_size) * 8 > kMaxL1Bytes) refuse("Active L1 table too large");
  uint64_t l2_bits = h.cluster_bits - 3;
  uint64_t l1_needed =
      (h.size + (1ull << (l2_bits + h.cluster_bits)) - 1) >> (l2_bits + h.cluster_bits);
  if (h.size > (1ull << 60) || h.l1_size < l1_needed)
    refuse("L1 table is too small for the image size");
  if (h.l1_size > 0 && (!offset_ok(h.l1_table_offset, cs, file_size) || h.l1_table_offset == 0)) {
    refuse("Invalid L1 table offset");
  }
  if (h.l1_size > 0 && h.l1_table_offset + uint64_t(h.l1_size) * 8 > file_size) {
    refuse("Invalid L1 table offset (table extends past the end of the file)");
  }
  if (h.nb_snapshots > 65536) refuse("Too many snapshots");
  if (h.nb_snapshots > 0 && !offset_ok(h.snapshots_offset, cs, file_size)) {
    refuse("Invalid snapshot table offset");
  }
  if (h.backing_file_offset != 0) {
    if (h.backing_file_size > 1023 || h.backing_file_offset > cs ||
        h.backing_file_offset + h.backing_file_size > std::min(cs, data_len)) {
      refuse("Backing file name too long or outside the header cluster");
    }
    h.backing_file.assign(reinterpret_cast<const char*>(d + h.backing_file_offset),
                          h.backing_file_size);
  }
  return h;
}

std::vector<FeatureName> default_feature_names() {
  return {{0, 0, "dirty bit"},        {0, 1, "corrupt bit"},         {0, 2, "external data file"},
          {0, 3, "compression type"}, {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"},
          {2, 0, "bitmaps"},          {2, 1, "raw external data"}};
}

std::vector<uint8_t> build_header_cluster(const Header& h) {
  uint64_t cs = h.cluster_size();
  std::vector<uint8_t> buf(cs, 0);
  uint8_t* d = buf.data();
  store_be32(d, kMagic);
  store_be32(d + 4, h.version);
  store_be32(d + 20, h.cluster_bits);
  store_be64(d + kOffSize, h.size);
  store_be32(d + 32, h.crypt_method);
  store_be32(d + kOffL1Size, h.l1_size);
  store_be64(d + kOffL1TableOffset, h.l1_table_offset);
  store_be64(d + kOffRefcountTableOffset, h.refcount_table_offset);
  store_be32(d + kOffRefcountTableClusters, h.refcount_table_clusters);
  store_be32(d + kOffNbSnapshots, h.nb_snapshots);
  store_be64(d + kOffSnapshotsOffset, h.snapshots_offset);
  uint64_t pos = kHeaderV2Size;
  if (h.version >= 3) {
    store_be64(d + kOffIncompatible, h.incompatible_features);
    store_be64(d + kOffCompatible, h.compatible_features);
    store_be64(d + kOffAutoclear, h.autoclear_features);
    store_be32(d + 96, h.refcount_order);
    store_be32(d + 100, kHeaderV3WithCompressionSize);
    d[104] = h.compression_type;
    pos = kHeaderV3WithCompressionSize;
  }
  auto add_ext = [&](uint32_t type, const void* body, uint32_t len) {
    uint64_t padded = (uint64_t(len) + 7) & ~7ull;
    if (pos + 8 + padded + 8 > cs)
      throw BlockError("qcow2 header extensions do not fit in one cluster");
    store_be32(d + pos, type);
    store_be32(d + pos + 4, len);
    std::memcpy(d + pos + 8, body, len);
    pos += 8 + padded;
  };
  if (!h.backing_format.empty())
    add_ext(kExtBackingFormat, h.backing_format.data(), h.backing_format.size());
  // The feature name table only helps tools name unknown bits: like QEMU,
  // leave it out when it and the backing file name do not both fit.
  uint64_t table_bytes = 8 + h.feature_names.size() * 48;
  if (!h.feature_names.empty() && h.version >= 3 &&
      pos + table_bytes + 8 + h.backing_file.size() <= cs) {
    std::vector<uint8_t> table(h.feature_names.size() * 48, 0);
    for (size_t i = 0; i < h.feature_names.size(); i++) {
      table[i * 48] = h.feature_names[i].type;
      table[i * 48 + 1] = h.feature_names[i].bit;
      std::memcpy(&table[i * 48 + 2], h.feature_names[i].name.data(),
                  std::min<size_t>(46, h.feature_names[i].name.size()));
    }
    add_ext(kExtFeatureTable, table.data(), table.size());
  }
  pos += 8;  // end-of-extensions marker (zeroes)
  if (!h.backing_file.empty()) {
    if (h.backing_file.size() > 1023 || pos + h.backing_file.size() > cs) {
      throw BlockError("Backing file name too long");
    }
    store_be64(d + kOffBackingFileOffset, pos);
    store_be32(d + 16, h.backing_file.size());
    std::memcpy(d + pos, h.backing_file.data(), h.backing_file.size());
  }
  return buf;
}

}  // namespace vx86::qcow2
