// qcow2 on-disk layout (docs/interop/qcow2.txt): header fields, header
// extensions and table-entry bits, with a validating parser that needs only
// the first cluster and the file size (so it can be fuzzed on its own).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vx86 {

inline uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline uint16_t load_be16(const uint8_t* p) {
  return uint16_t((p[0] << 8) | p[1]);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = uint8_t(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8) p[i] = uint8_t(v);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

namespace qcow2 {

constexpr uint32_t kMagic = 0x514649fb;  // "QFI\xfb"
constexpr uint32_t kHeaderV2Size = 72;
constexpr uint32_t kHeaderV3Size = 104;
constexpr uint32_t kHeaderV3WithCompressionSize = 112;
constexpr int kMinClusterBits = 9;
constexpr int kMaxClusterBits = 21;

// Header field offsets.
constexpr uint32_t kOffBackingFileOffset = 8;
constexpr uint32_t kOffSize = 24;
constexpr uint32_t kOffL1Size = 36;
constexpr uint32_t kOffL1TableOffset = 40;
constexpr uint32_t kOffRefcountTableOffset = 48;
constexpr uint32_t kOffRefcountTableClusters = 56;
constexpr uint32_t kOffNbSnapshots = 60;
constexpr uint32_t kOffSnapshotsOffset = 64;
constexpr uint32_t kOffIncompatible = 72;
constexpr uint32_t kOffCompatible = 80;
constexpr uint32_t kOffAutoclear = 88;

constexpr uint64_t kIncompatDirty = 1ull << 0;
constexpr uint64_t kIncompatCorrupt = 1ull << 1;
constexpr uint64_t kIncompatDataFile = 1ull << 2;
constexpr uint64_t kIncompatCompression = 1ull << 3;
constexpr uint64_t kIncompatExtendedL2 = 1ull << 4;
constexpr uint64_t kIncompatKnown = kIncompatDirty | kIncompatCorrupt | kIncompatDataFile |
                                    kIncompatCompression | kIncompatExtendedL2;
constexpr uint64_t kCompatLazyRefcounts = 1ull << 0;

constexpr uint32_t kExtEnd = 0;
constexpr uint32_t kExtBackingFormat = 0xe2792aca;
constexpr uint32_t kExtFeatureTable = 0x6803f857;
constexpr uint32_t kExtBitmaps = 0x23852875;
constexpr uint32_t kExtCrypto = 0x0537be77;
constexpr uint32_t kExtDataFile = 0x44415441;

constexpr uint64_t kOffsetMask = 0x00fffffffffffe00ull;  // bits 9-55
constexpr uint64_t kFlagCopied = 1ull << 63;
constexpr uint64_t kFlagCompressed = 1ull << 62;
constexpr uint64_t kFlagZero = 1ull << 0;
constexpr uint64_t kL1Reserved = 0x7f000000000001ffull;

// Largest L1 table accepted (QEMU's limit: 32 MiB of entries).
constexpr uint64_t kMaxL1Bytes = 32ull << 20;
constexpr uint64_t kMaxRefcountTableBytes = 8ull << 20;

struct FeatureName {
  uint8_t type;  // 0 incompatible, 1 compatible, 2 autoclear
  uint8_t bit;
  std::string name;
};

struct Header {
  uint32_t version = 3;
  uint64_t backing_file_offset = 0;
  uint32_t backing_file_size = 0;
  uint32_t cluster_bits = 16;
  uint64_t size = 0;
  uint32_t crypt_method = 0;
  uint32_t l1_size = 0;
  uint64_t l1_table_offset = 0;
  uint64_t refcount_table_offset = 0;
  uint32_t refcount_table_clusters = 0;
  uint32_t nb_snapshots = 0;
  uint64_t snapshots_offset = 0;
  uint64_t incompatible_features = 0;
  uint64_t compatible_features = 0;
  uint64_t autoclear_features = 0;
  uint32_t refcount_order = 4;
  uint32_t header_length = kHeaderV2Size;
  uint8_t compression_type = 0;

  // From header extensions and the backing file name.
  std::string backing_file;
  std::string backing_format;
  std::vector<FeatureName> feature_names;

  uint64_t cluster_size() const { return 1ull << cluster_bits; }
};

// Parses and validates; `data` holds at least the first cluster of the file
// (or the whole file when shorter). Throws BlockError naming the problem.
Header parse_header(const uint8_t* data, uint64_t data_len, uint64_t file_size);

// Serialises a header (fields, extensions and backing file name) into one
// cluster; throws if it does not fit.
std::vector<uint8_t> build_header_cluster(const Header& h);

// The standard feature-name table QEMU writes for new images.
std::vector<FeatureName> default_feature_names();

}  // namespace qcow2
}  // namespace vx86
