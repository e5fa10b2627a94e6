// Cluster compression for qcow2: raw deflate (4 KiB window, as the format
// requires) and zstd frames.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace vx86 {

enum class CompressionType : uint8_t { kZlib = 0, kZstd = 1 };

// Compresses src; nullopt when the result would not be smaller than max_out.
std::optional<std::vector<uint8_t>> compress_cluster(CompressionType type, const uint8_t* src,
                                                     uint64_t len, uint64_t max_out);
// Decompresses exactly out_len bytes; src may carry trailing padding.
// Throws BlockError on malformed data.
void decompress_cluster(CompressionType type, const uint8_t* src, uint64_t src_len, uint8_t* out,
                        uint64_t out_len);

}  // namespace vx86
