#include "block/compress.h"

#include <zlib.h>
#include <zstd.h>

#include "block/block_driver.h"

namespace vx86 {
namespace {

constexpr int kDeflateWindowBits = -12;  // raw deflate, 4 KiB window

std::optional<std::vector<uint8_t>> deflate_raw(const uint8_t* src, uint64_t len,
                                                uint64_t max_out) {
  z_stream strm{};
  if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kDeflateWindowBits, 9,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    throw BlockError("Could not initialise zlib compression");
  }
  std::vector<uint8_t> out(max_out);
  strm.next_in = const_cast<uint8_t*>(src);
  strm.avail_in = len;
  strm.next_out = out.data();
  strm.avail_out = out.size();
  int ret = deflate(&strm, Z_FINISH);
  uint64_t produced = out.size() - strm.avail_out;
  deflateEnd(&strm);
  if (ret != Z_STREAM_END || produced >= max_out) return std::nullopt;
  out.resize(produced);
  return out;
}

void inflate_raw(const uint8_t* src, uint64_t src_len, uint8_t* out, uint64_t out_len) {
  z_stream strm{};
  if (inflateInit2(&strm, kDeflateWindowBits) != Z_OK) {
    throw BlockError("Could not initialise zlib decompression");
  }
  strm.next_in = const_cast<uint8_t*>(src);
  strm.avail_in = src_len;
  strm.next_out = out;
  strm.avail_out = out_len;
  int ret = inflate(&strm, Z_FINISH);
  bool full = strm.avail_out == 0;
  inflateEnd(&strm);
  // The stored data is padded to a sector, so the stream may not be "ended".
  if (!full || (ret != Z_STREAM_END && ret != Z_OK && ret != Z_BUF_ERROR)) {
    throw BlockError("Corrupt compressed cluster (zlib)");
  }
}

std::optional<std::vector<uint8_t>> zstd_compress(const uint8_t* src, uint64_t len,
                                                  uint64_t max_out) {
  std::vector<uint8_t> out(ZSTD_compressBound(len));
  size_t n = ZSTD_compress(out.data(), out.size(), src, len, ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(n) || n >= max_out) return std::nullopt;
  out.resize(n);
  return out;
}

void zstd_decompress(const uint8_t* src, uint64_t src_len, uint8_t* out, uint64_t out_len) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (!ctx) throw std::bad_alloc();
  ZSTD_inBuffer in{src, src_len, 0};
  ZSTD_outBuffer o{out, out_len, 0};
  bool ok = true;
  // Stream until the cluster is full; the padding after the frame is ignored.
  while (o.pos < o.size) {
    size_t ret = ZSTD_decompressStream(ctx, &o, &in);
    if (ZSTD_isError(ret)) {
      ok = false;
      break;
    }
    if (ret == 0 && o.pos < o.size) {  // a frame ended early
      ok = false;
      break;
    }
    if (in.pos == in.size && o.pos < o.size) {
      ok = false;
      break;
    }
  }
  ZSTD_freeDCtx(ctx);
  if (!ok) throw BlockError("Corrupt compressed cluster (zstd)");
}

}  // namespace

std::optional<std::vector<uint8_t>> compress_cluster(CompressionType type, const uint8_t* src,
                                                     uint64_t len, uint64_t max_out) {
  return type == CompressionType::kZstd ? zstd_compress(src, len, max_out)
                                        : deflate_raw(src, len, max_out);
}

void decompress_cluster(CompressionType type, const uint8_t* src, uint64_t src_len, uint8_t* out,
                        uint64_t out_len) {
  if (type == CompressionType::kZstd) {
    zstd_decompress(src, src_len, out, out_len);
  } else {
    inflate_raw(src, src_len, out, out_len);
  }
}

}  // namespace vx86
