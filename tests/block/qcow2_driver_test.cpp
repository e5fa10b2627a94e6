// Library-level tests of the raw and qcow2 drivers and the BlockBackend.
#include <cstring>

#include "block/block_backend.h"
#include "block/block_driver.h"
#include "block/qcow2_format.h"
#include "core/main_loop.h"
#include "tests/block/block_test_util.h"

namespace vx86 {
namespace {

using test::TempDir;

std::vector<uint8_t> read_all(BlockDriver& d) {
  std::vector<uint8_t> out(d.length());
  d.read(0, out.data(), out.size());
  return out;
}

std::unique_ptr<BlockDriver> open_rw(const std::string& path, const std::string& fmt = "") {
  OpenOptions oo;
  oo.format = fmt;
  return open_image(path, oo);
}

std::unique_ptr<BlockDriver> open_ro(const std::string& path) {
  OpenOptions oo;
  oo.read_only = true;
  return open_image(path, oo);
}

CreateOptions qcow2_opts(uint64_t size, uint64_t cluster = 65536) {
  CreateOptions co;
  co.format = "qcow2";
  co.size = size;
  co.size_given = true;
  co.cluster_size = cluster;
  return co;
}

// Applies the same random writes (unaligned, cluster-crossing, some zero
// writes and discards) to the image and to a memory model.
void random_writes(BlockDriver& d, std::vector<uint8_t>& model, uint32_t seed, int count,
                   uint64_t max_len) {
  std::mt19937 rng(seed);
  uint64_t size = model.size();
  for (int i = 0; i < count; i++) {
    uint64_t len = 1 + rng() % max_len;
    uint64_t off = rng() % (size - len);
    int op = rng() % 10;
    if (op == 0) {
      d.write_zeroes(off, len, true);
      std::memset(&model[off], 0, len);
    } else {
      std::vector<uint8_t> buf(len);
      for (auto& b : buf) b = uint8_t(rng());
      if (op == 1) std::memset(buf.data(), 0, len / 2);
      d.write(off, buf.data(), len);
      std::memcpy(&model[off], buf.data(), len);
    }
  }
}

TEST(RawDriverTest, ByteGranularIoAndErrors) {
  TempDir dir;
  std::string path = dir.file("disk.raw");
  CreateOptions co;
  co.size = 1 << 20;
  co.size_given = true;
  create_image(path, co);
  auto d = open_rw(path, "raw");
  EXPECT_EQ(d->format_name(), "raw");
  EXPECT_EQ(d->length(), 1u << 20);
  std::vector<uint8_t> model(1 << 20, 0);
  random_writes(*d, model, 1, 200, 9000);
  EXPECT_EQ(read_all(*d), model);
  uint8_t b = 0;
  EXPECT_THROW(d->read(1 << 20, &b, 1), BlockError);
  d->truncate(2 << 20);
  EXPECT_EQ(d->length(), 2u << 20);
  auto ro = open_ro(path);
  EXPECT_THROW(ro->write(0, &b, 1), BlockError);
  try {
    open_rw(dir.file("missing.raw"));
    FAIL() << "opened a missing file";
  } catch (const BlockError& e) {
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(BlockBackendTest, ReadOnlyAndCacheModes) {
  TempDir dir;
  std::string path = dir.file("disk.qcow2");
  create_image(path, qcow2_opts(4 << 20));
  for (const char* mode : {"writeback", "writethrough", "unsafe", "directsync", "none"}) {
    BlockBackendOptions bo;
    bo.file = path;
    bo.cache = *parse_cache_mode(mode);
    std::unique_ptr<BlockBackend> blk;
    try {
      blk = std::make_unique<BlockBackend>(bo);
    } catch (const BlockError& e) {
      // tmpfs has no O_DIRECT; the error must say so.
      EXPECT_TRUE(cache_mode_direct(bo.cache)) << e.what();
      EXPECT_NE(std::string(e.what()).find("O_DIRECT"), std::string::npos) << e.what();
      continue;
    }
    std::vector<uint8_t> data(5000, 0x5a);
    blk->write(777, data.data(), data.size());
    blk->flush();
    std::vector<uint8_t> back(5000);
    blk->read(777, back.data(), back.size());
    EXPECT_EQ(back, data) << mode;
  }
  BlockBackendOptions ro;
  ro.file = path;
  ro.read_only = true;
  BlockBackend blk(ro);
  EXPECT_TRUE(blk.read_only());
  uint8_t b = 1;
  EXPECT_THROW(blk.write(0, &b, 1), BlockError);
  EXPECT_FALSE(parse_cache_mode("bogus").has_value());
}

TEST(BlockBackendTest, SnapshotOnLeavesImageUntouched) {
  TempDir dir;
  std::string path = dir.file("base.raw");
  auto data = test::pattern_data(1 << 20, 12);
  test::write_file(path, data);
  BlockBackendOptions bo;
  bo.file = path;
  bo.snapshot = true;
  {
    BlockBackend blk(bo);
    EXPECT_FALSE(blk.read_only());
    EXPECT_EQ(blk.length(), 1u << 20);
    std::vector<uint8_t> patch(10000, 0xab);
    blk.write(4321, patch.data(), patch.size());
    std::vector<uint8_t> back(1 << 20);
    blk.read(0, back.data(), back.size());
    auto expected = data;
    std::memcpy(&expected[4321], patch.data(), patch.size());
    EXPECT_EQ(back, expected);
    blk.flush();
  }
  EXPECT_EQ(test::read_file(path), data);
}

TEST(BlockBackendTest, AsyncRequestsCompleteOnMainLoopInOrder) {
  TempDir dir;
  std::string path = dir.file("aio.qcow2");
  create_image(path, qcow2_opts(4 << 20, 4096));
  MainLoop loop;
  BlockBackendOptions bo;
  bo.file = path;
  BlockBackend blk(bo);
  blk.attach_main_loop(&loop);
  constexpr int kWrites = 64;
  std::vector<std::vector<uint8_t>> bufs;
  for (int i = 0; i < kWrites; i++) bufs.emplace_back(10000, uint8_t(i + 1));
  std::vector<int> order;
  std::vector<std::string> errors;
  for (int i = 0; i < kWrites; i++) {
    // Overlapping writes: the last one must win, so order matters.
    blk.write_async(i * 5000, bufs[i].data(), bufs[i].size(), [&, i](const std::string& err) {
      order.push_back(i);
      if (!err.empty()) errors.push_back(err);
    });
  }
  std::vector<uint8_t> back(kWrites * 5000 + 5000);
  std::string read_error = "not run";
  blk.read_async(0, back.data(), back.size(), [&](const std::string& err) { read_error = err; });
  std::string bad_error;
  uint8_t byte;
  blk.read_async(8 << 20, &byte, 1, [&](const std::string& err) { bad_error = err; });
  blk.drain();
  for (int spins = 0; spins < 10000 && bad_error.empty(); spins++) loop.run_once(10);
  ASSERT_EQ(order.size(), size_t(kWrites));
  for (int i = 0; i < kWrites; i++) EXPECT_EQ(order[i], i);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(read_error, "");
  for (int i = 0; i < kWrites; i++) EXPECT_EQ(back[i * 5000 + 1], uint8_t(i + 1)) << i;
  EXPECT_EQ(back[kWrites * 5000 + 4999], uint8_t(kWrites));
  EXPECT_NE(bad_error.find("beyond the end"), std::string::npos) << bad_error;
}

class Qcow2Geometry : public ::testing::TestWithParam<std::tuple<uint64_t, int, int>> {};

TEST_P(Qcow2Geometry, RandomWritesMatchModelAfterReopen) {
  auto [cluster, refcount_bits, version] = GetParam();
  TempDir dir;
  std::string path = dir.file("disk.qcow2");
  CreateOptions co = qcow2_opts(3 << 20, cluster);
  co.refcount_bits = refcount_bits;
  co.compat = version == 2 ? "0.10" : "1.1";
  create_image(path, co);
  std::vector<uint8_t> model(3 << 20, 0);
  {
    auto d = open_rw(path);
    random_writes(*d, model, uint32_t(cluster + refcount_bits), 300, 3 * cluster + 100);
    EXPECT_EQ(read_all(*d), model);
    d->discard(0, 2 * cluster);  // no backing file: reads as zero
    std::memset(model.data(), 0, 2 * cluster);
    d->close();
  }
  auto d = open_ro(path);
  EXPECT_EQ(read_all(*d), model);
  ASSERT_TRUE(d->supports_check());
  CheckResult r = open_ro(path)->check(RepairMode::kNone);
  EXPECT_EQ(r.corruptions, 0u);
  EXPECT_EQ(r.leaks, 0u);
  for (const auto& m : r.messages) ADD_FAILURE() << m;
}

std::string geometry_name(const ::testing::TestParamInfo<Qcow2Geometry::ParamType>& info) {
  const auto& p = info.param;
  return "cluster" + std::to_string(std::get<0>(p)) + "_refcount" + std::to_string(std::get<1>(p)) +
         "_v" + std::to_string(std::get<2>(p));
}

INSTANTIATE_TEST_SUITE_P(Layouts, Qcow2Geometry,
                         ::testing::Values(std::make_tuple(65536, 16, 3),
                                           std::make_tuple(512, 16, 3), std::make_tuple(4096, 1, 3),
                                           std::make_tuple(1024, 4, 3),
                                           std::make_tuple(2048, 64, 3),
                                           std::make_tuple(65536, 16, 2),
                                           std::make_tuple(512, 8, 3)),
                         geometry_name);

TEST(Qcow2DriverTest, BackingFileCopyOnWrite) {
  TempDir dir;
  std::string base = dir.file("base.raw");
  auto base_data = test::pattern_data(2 << 20, 7);
  test::write_file(base, base_data);
  CreateOptions co = qcow2_opts(0);
  co.size_given = false;  // size comes from the backing file
  co.backing_file = "base.raw";
  co.backing_format = "raw";
  create_image(dir.file("top.qcow2"), co);
  auto d = open_rw(dir.file("top.qcow2"));
  EXPECT_EQ(d->length(), 2u << 20);
  EXPECT_EQ(read_all(*d), base_data);
  std::vector<uint8_t> model = base_data;
  random_writes(*d, model, 99, 100, 70000);
  EXPECT_EQ(read_all(*d), model);
  d->discard(65536, 65536);  // hides the backing data with zero clusters
  std::memset(&model[65536], 0, 65536);
  EXPECT_EQ(read_all(*d), model);
  ImageInfo info = d->info();
  EXPECT_EQ(info.backing_filename, "base.raw");
  EXPECT_EQ(info.full_backing_filename, dir.file("base.raw"));
  EXPECT_EQ(info.backing_format, "raw");
  d->close();
  EXPECT_EQ(test::read_file(base), base_data);  // the backing file is never written
}

TEST(Qcow2DriverTest, CompressedWritesReadBack) {
  for (const char* type : {"zlib", "zstd"}) {
    TempDir dir;
    std::string path = dir.file("c.qcow2");
    CreateOptions co = qcow2_opts(1 << 20);
    co.compression_type = type;
    create_image(path, co);
    auto data = test::pattern_data(1 << 20, 3);
    {
      auto d = open_rw(path);
      for (uint64_t off = 0; off < data.size(); off += 65536)
        d->write_compressed(off, &data[off], 65536);
      // Overwrite part of a compressed cluster: copy-on-write decompresses it.
      d->write(70000, "hello", 5);
      std::memcpy(&data[70000], "hello", 5);
      d->close();
    }
    auto d = open_ro(path);
    EXPECT_EQ(read_all(*d), data) << type;
    EXPECT_EQ(d->info().qcow2->compression_type, type);
    CheckResult r = d->check(RepairMode::kNone);
    EXPECT_EQ(r.corruptions + r.leaks, 0u) << type;
    EXPECT_GT(r.compressed_clusters, 0u);
  }
}

TEST(Qcow2DriverTest, ResizeGrowsL1AndKeepsData) {
  TempDir dir;
  std::string path = dir.file("r.qcow2");
  create_image(path, qcow2_opts(1 << 20, 512));
  auto d = open_rw(path);
  std::vector<uint8_t> data(1 << 20, 0x11);
  d->write(0, data.data(), data.size());
  d->truncate(8 << 20);  // 512-byte clusters: 64 KiB per L2 table, so L1 grows
  EXPECT_EQ(d->length(), 8u << 20);
  std::vector<uint8_t> tail(4096, 0x22);
  d->write((8 << 20) - 4096, tail.data(), tail.size());
  d->close();
  auto ro = open_ro(path);
  std::vector<uint8_t> back(1 << 20);
  ro->read(0, back.data(), back.size());
  EXPECT_EQ(back, data);
  std::vector<uint8_t> back_tail(4096);
  ro->read((8 << 20) - 4096, back_tail.data(), 4096);
  EXPECT_EQ(back_tail, tail);
  CheckResult r = ro->check(RepairMode::kNone);
  EXPECT_EQ(r.corruptions + r.leaks, 0u);
}

TEST(Qcow2DriverTest, LazyRefcountsDirtyBit) {
  TempDir dir;
  std::string path = dir.file("l.qcow2");
  CreateOptions co = qcow2_opts(1 << 20);
  co.lazy_refcounts = true;
  create_image(path, co);
  auto dirty_bit = [&]() { return (test::read_file(path)[qcow2::kOffIncompatible + 7] & 1) != 0; };
  EXPECT_FALSE(dirty_bit());
  {
    auto d = open_rw(path);
    EXPECT_TRUE(dirty_bit());
    EXPECT_TRUE(d->info().dirty);
    d->write(0, "x", 1);
    d->close();
  }
  EXPECT_FALSE(dirty_bit());
  // A dirty image (crash) is repaired when opened for writing.
  {
    auto bytes = test::read_file(path);
    bytes[qcow2::kOffIncompatible + 7] |= 1;
    test::write_file(path, bytes);
  }
  EXPECT_TRUE(open_ro(path)->info().dirty);
  open_rw(path)->close();
  EXPECT_FALSE(dirty_bit());
}

TEST(Qcow2DriverTest, CheckFindsAndRepairsLeak) {
  TempDir dir;
  std::string path = dir.file("leak.qcow2");
  create_image(path, qcow2_opts(1 << 20));
  {
    auto d = open_rw(path);
    d->write(0, "data", 4);
    d->close();
  }
  // Cluster 0's refcount 1 -> 2 (refcount block at cluster 2, 16-bit entries).
  auto bytes = test::read_file(path);
  bytes[2 * 65536 + 1] = 2;
  test::write_file(path, bytes);
  EXPECT_EQ(open_ro(path)->check(RepairMode::kNone).leaks, 1u);
  {
    auto d = open_rw(path);
    CheckResult r = d->check(RepairMode::kLeaks);
    EXPECT_EQ(r.leaks_fixed, 1u);
    d->close();
  }
  CheckResult r = open_ro(path)->check(RepairMode::kNone);
  EXPECT_EQ(r.leaks + r.corruptions, 0u);
  // A lost reference count (corruption) is rebuilt by a full repair.
  bytes = test::read_file(path);
  bytes[2 * 65536 + 7] = 0;  // cluster 3 (the L1 table)
  test::write_file(path, bytes);
  EXPECT_GT(open_ro(path)->check(RepairMode::kNone).corruptions, 0u);
  {
    auto d = open_rw(path);
    d->check(RepairMode::kAll);
    d->close();
  }
  r = open_ro(path)->check(RepairMode::kNone);
  EXPECT_EQ(r.leaks + r.corruptions, 0u);
  std::vector<uint8_t> back(4);
  open_ro(path)->read(0, back.data(), 4);
  EXPECT_EQ(std::string(back.begin(), back.end()), "data");
}

TEST(Qcow2DriverTest, PreallocationMetadata) {
  TempDir dir;
  std::string path = dir.file("p.qcow2");
  CreateOptions co = qcow2_opts(2 << 20);
  co.preallocation = "metadata";
  create_image(path, co);
  auto d = open_ro(path);
  BlockStatus st = d->block_status(0, 2 << 20);
  EXPECT_TRUE(st.allocated);
  EXPECT_TRUE(st.data);
  EXPECT_EQ(st.length, 2u << 20);
  std::vector<uint8_t> back(2 << 20, 1);
  d->read(0, back.data(), back.size());
  EXPECT_EQ(back, std::vector<uint8_t>(2 << 20, 0));
  CheckResult r = d->check(RepairMode::kNone);
  EXPECT_EQ(r.leaks + r.corruptions, 0u);
}

}  // namespace
}  // namespace vx86
