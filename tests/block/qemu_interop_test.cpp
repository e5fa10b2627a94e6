// Interop with the real qemu-img: images each side writes must read the same
// on the other side and pass qemu-img check.
#include <nlohmann/json.hpp>

#include <cstring>
#include <sstream>

#include "block/block_driver.h"
#include "tests/block/block_test_util.h"

namespace vx86 {
namespace {

using test::kQemuImg;
using test::kVx86Img;
using test::run;
using test::TempDir;

std::string q(const std::string& s) {
  return "'" + s + "'";
}

void expect_qemu_check_clean(const std::string& path) {
  auto r = run(std::string(kQemuImg) + " check " + q(path));
  EXPECT_EQ(r.status, 0) << "qemu-img check " << path << ":\n" << r.out;
}

std::vector<uint8_t> read_through_library(const std::string& path) {
  OpenOptions oo;
  oo.read_only = true;
  auto d = open_image(path, oo);
  std::vector<uint8_t> out(d->length());
  d->read(0, out.data(), out.size());
  return out;
}

std::vector<uint8_t> qemu_raw(const TempDir& dir, const std::string& path) {
  std::string out = dir.file("qemu-out.raw");
  auto r = run(std::string(kQemuImg) + " convert -O raw " + q(path) + " " + q(out));
  EXPECT_EQ(r.status, 0) << r.out;
  return test::read_file(out);
}

// The image must read identically through our library, through
// `vx86-img convert -O raw` and through `qemu-img convert -O raw`.
void expect_reads_like_qemu(const TempDir& dir, const std::string& path) {
  // Our checker agrees that the image is clean.
  auto check = run(std::string(kVx86Img) + " check " + q(path));
  EXPECT_EQ(check.status, 0) << check.out;
  auto expected = qemu_raw(dir, path);
  ASSERT_FALSE(expected.empty());
  EXPECT_TRUE(read_through_library(path) == expected) << path;
  std::string ours = dir.file("vx86-out.raw");
  auto r = run(std::string(kVx86Img) + " convert -O raw " + q(path) + " " + q(ours));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(test::read_file(ours) == expected) << path;
}

TEST(QemuInteropTest, QemuImagesReadIdentically) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string src = dir.file("src.raw");
  test::write_file(src, test::pattern_data(6 << 20, 11));
  std::string img = std::string(kQemuImg);
  struct Case {
    const char* name;
    const char* args;
  } cases[] = {{"plain.qcow2", "-O qcow2"},
               {"small.qcow2", "-O qcow2 -o cluster_size=4096"},
               {"v2.qcow2", "-O qcow2 -o compat=0.10"},
               {"zlib.qcow2", "-c -O qcow2"},
               {"rc1.qcow2", "-O qcow2 -o refcount_bits=1,cluster_size=1024"}};
  for (const auto& c : cases) {
    std::string out = dir.file(c.name);
    auto r = run(img + " convert " + c.args + " " + q(src) + " " + q(out));
    ASSERT_EQ(r.status, 0) << r.out;
    SCOPED_TRACE(c.name);
    expect_reads_like_qemu(dir, out);
  }
  // zstd only where this qemu-img supports it.
  std::string zstd = dir.file("zstd.qcow2");
  auto r = run(img + " convert -c -O qcow2 -o compression_type=zstd " + q(src) + " " + q(zstd));
  if (r.status == 0) {
    SCOPED_TRACE("zstd");
    expect_reads_like_qemu(dir, zstd);
  } else {
    printf("note: qemu-img has no zstd compression: %s\n", r.out.c_str());
  }
}

TEST(QemuInteropTest, QemuBackingChainReadsIdentically) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string img = std::string(kQemuImg);
  auto base_data = test::pattern_data(4 << 20, 21);
  test::write_file(dir.file("base.raw"), base_data);
  // mid.qcow2 <- base.raw, top.qcow2 <- mid.qcow2; each layer stores only
  // what differs from the one below (convert -B).
  auto mid_data = base_data;
  for (size_t i = 100000; i < 900000; i++) mid_data[i] ^= 0x5a;
  test::write_file(dir.file("mid-full.raw"), mid_data);
  auto top_data = mid_data;
  for (size_t i = 2000000; i < 2100000; i++) top_data[i] = uint8_t(i * 7);
  std::memset(&top_data[300000], 0, 200000);
  test::write_file(dir.file("top-full.raw"), top_data);
  ASSERT_EQ(run("cd " + q(dir.path()) + " && " + img +
                " convert -O qcow2 -B base.raw -F raw mid-full.raw mid.qcow2")
                .status,
            0);
  ASSERT_EQ(run("cd " + q(dir.path()) + " && " + img +
                " convert -O qcow2 -B mid.qcow2 -F qcow2 top-full.raw top.qcow2")
                .status,
            0);
  EXPECT_TRUE(read_through_library(dir.file("top.qcow2")) == top_data);
  expect_reads_like_qemu(dir, dir.file("top.qcow2"));
}

TEST(QemuInteropTest, RandomWritesDifferentialAgainstRaw) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  for (uint64_t cluster : {65536, 512}) {
    SCOPED_TRACE(cluster);
    std::string raw = dir.file("model.raw"), img = dir.file("disk.qcow2");
    CreateOptions rc;
    rc.size = 4 << 20;
    rc.size_given = true;
    create_image(raw, rc);
    CreateOptions qc = rc;
    qc.format = "qcow2";
    qc.cluster_size = cluster;
    create_image(img, qc);
    OpenOptions oo;
    auto a = open_image(raw, oo);
    auto b = open_image(img, oo);
    std::mt19937 rng{static_cast<uint32_t>(cluster)};
    for (int i = 0; i < 400; i++) {
      uint64_t len = 1 + rng() % 150000;
      uint64_t off = rng() % ((4 << 20) - len);
      if (rng() % 8 == 0) {
        a->write_zeroes(off, len, true);
        b->write_zeroes(off, len, true);
        continue;
      }
      std::vector<uint8_t> buf(len);
      for (auto& x : buf) x = uint8_t(rng());
      a->write(off, buf.data(), len);
      b->write(off, buf.data(), len);
    }
    a->close();
    b->close();
    auto r = run(std::string(kQemuImg) + " compare " + q(raw) + " " + q(img));
    EXPECT_EQ(r.status, 0) << r.out;
    expect_qemu_check_clean(img);
  }
}

TEST(QemuInteropTest, RefcountTableGrowthPassesQemuCheck) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string img = dir.file("grow.qcow2");
  CreateOptions co;
  co.format = "qcow2";
  co.size = 4 << 20;
  co.size_given = true;
  co.cluster_size = 512;
  co.refcount_bits = 64;  // 64 entries per block, 64 blocks per table cluster
  create_image(img, co);
  auto data = test::pattern_data(4 << 20, 5);
  for (size_t i = 0; i < data.size(); i += 4096) data[i] |= 1;  // no all-zero clusters
  {
    OpenOptions oo;
    auto d = open_image(img, oo);
    d->write(0, data.data(), data.size());
    d->close();
  }
  expect_qemu_check_clean(img);
  EXPECT_TRUE(read_through_library(img) == data);
  auto r = run(std::string(kQemuImg) + " info --output=json " + q(img));
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format-specific"]["data"]["refcount-bits"], 64);
}

TEST(QemuInteropTest, OurImagesPassQemuCheckAndCompare) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string src = dir.file("src.raw");
  auto data = test::pattern_data(5 << 20, 31);
  test::write_file(src, data);
  std::string tool = std::string(kVx86Img);
  struct Case {
    const char* name;
    const char* args;
  } cases[] = {{"o-plain.qcow2", "-O qcow2"},
               {"o-comp.qcow2", "-c -O qcow2"},
               {"o-zstd.qcow2", "-c -O qcow2 -o compression_type=zstd"},
               {"o-v2.qcow2", "-O qcow2 -o compat=0.10,cluster_size=2048"},
               {"o-lazy.qcow2", "-O qcow2 -o lazy_refcounts=on,refcount_bits=4"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string out = dir.file(c.name);
    auto r = run(tool + " convert " + c.args + " " + q(src) + " " + q(out));
    ASSERT_EQ(r.status, 0) << r.out;
    expect_qemu_check_clean(out);
    r = run(std::string(kQemuImg) + " compare " + q(src) + " " + q(out));
    EXPECT_EQ(r.status, 0) << r.out;
  }
  for (const char* prealloc : {"metadata", "full"}) {
    std::string out = dir.file(std::string("pre-") + prealloc + ".qcow2");
    auto r = run(tool + " create -q -f qcow2 -o preallocation=" + prealloc + " " + q(out) + " 3M");
    ASSERT_EQ(r.status, 0) << r.out;
    expect_qemu_check_clean(out);
  }
  // An overlay we create and write, on a backing file qemu-img made.
  ASSERT_EQ(
      run(std::string(kQemuImg) + " convert -O qcow2 " + q(src) + " " + q(dir.file("qbase.qcow2")))
          .status,
      0);
  auto r = run("cd " + q(dir.path()) + " && " + tool +
               " create -q -f qcow2 -b qbase.qcow2 -F qcow2 ov.qcow2");
  ASSERT_EQ(r.status, 0) << r.out;
  {
    OpenOptions oo;
    auto d = open_image(dir.file("ov.qcow2"), oo);
    d->write(12345, "overlay", 7);
    d->discard(1 << 20, 1 << 20);
    d->close();
  }
  std::memcpy(&data[12345], "overlay", 7);
  std::memset(&data[1 << 20], 0, 1 << 20);
  expect_qemu_check_clean(dir.file("ov.qcow2"));
  EXPECT_TRUE(qemu_raw(dir, dir.file("ov.qcow2")) == data);
  r = run(tool + " resize " + q(dir.file("ov.qcow2")) + " +3M");
  ASSERT_EQ(r.status, 0) << r.out;
  expect_qemu_check_clean(dir.file("ov.qcow2"));
}

// With 512-byte clusters a long backing file name leaves no room for the
// feature name table; like qemu-img, we then leave the table out.
TEST(QemuInteropTest, SmallClustersWithALongBackingName) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string base = dir.file("a-rather-long-backing-file-name-for-a-small-cluster.qcow2");
  auto r = run(std::string(kVx86Img) + " create -q -f qcow2 " + q(base) + " 1M");
  ASSERT_EQ(r.status, 0) << r.out;
  std::string over = dir.file("over.qcow2");
  r = run(std::string(kVx86Img) + " create -q -f qcow2 -o cluster_size=512 -b " + q(base) +
          " -F qcow2 " + q(over) + " 1M");
  ASSERT_EQ(r.status, 0) << r.out;
  expect_qemu_check_clean(over);
  r = run(std::string(kQemuImg) + " info --output=json " + q(over));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["backing-filename"], base);
}

TEST(QemuInteropTest, InfoJsonMatchesQemu) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string img = std::string(kQemuImg);
  test::write_file(dir.file("base.raw"), test::pattern_data(1 << 20, 2));
  const char* creates[] = {
      "-f qcow2 plain.qcow2 64M",
      "-f qcow2 -o compat=0.10 v2.qcow2 1G",
      "-f qcow2 -o lazy_refcounts=on,refcount_bits=8,cluster_size=4096 lazy.qcow2 10M",
      "-f qcow2 -o compression_type=zstd zstd.qcow2 1M",
      "-f qcow2 -b base.raw -F raw top.qcow2",
      "-f raw r.raw 3M",
  };
  for (const char* args : creates) {
    SCOPED_TRACE(args);
    auto r = run("cd " + q(dir.path()) + " && " + img + " create -q " + args);
    if (r.status != 0 && std::string(args).find("zstd") != std::string::npos) continue;
    ASSERT_EQ(r.status, 0) << r.out;
    std::string name =
        std::string(args).substr(std::string(args).rfind(' ', std::string(args).size()) + 1);
    std::string file = std::string(args);
    // The file name is the last word that ends in an image suffix.
    std::istringstream words(args);
    for (std::string w; words >> w;) {
      if (w.find(".qcow2") != std::string::npos || w.find(".raw") != std::string::npos) file = w;
    }
    auto theirs = run("cd " + q(dir.path()) + " && " + img + " info --output=json " + file);
    auto ours = run("cd " + q(dir.path()) + " && " + kVx86Img + " info --output=json " + file);
    ASSERT_EQ(ours.status, 0) << ours.out;
    auto jt = nlohmann::json::parse(theirs.out);
    auto jo = nlohmann::json::parse(ours.out);
    // Allocation on disk may differ slightly; every other key must match.
    EXPECT_NEAR(double(jo["actual-size"]), double(jt["actual-size"]), 512 * 1024.0);
    jt.erase("actual-size");
    jo.erase("actual-size");
    EXPECT_EQ(jo, jt) << "ours:\n" << jo.dump(2) << "\ntheirs:\n" << jt.dump(2);
  }
}

TEST(QemuInteropTest, SnapshotInfoMatchesQemu) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string img = dir.file("s.qcow2");
  ASSERT_EQ(run(std::string(kQemuImg) + " create -q -f qcow2 " + q(img) + " 1M").status, 0);
  ASSERT_EQ(run(std::string(kQemuImg) + " snapshot -c theirs " + q(img)).status, 0);
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -c ours " + q(img)).status, 0);
  auto jt = nlohmann::json::parse(run(std::string(kQemuImg) + " info --output=json " + q(img)).out);
  auto jo = nlohmann::json::parse(run(std::string(kVx86Img) + " info --output=json " + q(img)).out);
  jt.erase("actual-size");
  jo.erase("actual-size");
  EXPECT_EQ(jo, jt) << "ours:\n" << jo.dump(2) << "\ntheirs:\n" << jt.dump(2);
  EXPECT_EQ(run(std::string(kVx86Img) + " snapshot -l " + q(img)).out,
            run(std::string(kQemuImg) + " snapshot -l " + q(img)).out);
}

TEST(QemuInteropTest, MapJsonMatchesQemu) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string img = std::string(kQemuImg);
  auto base = test::pattern_data(2 << 20, 8);
  test::write_file(dir.file("base.raw"), base);
  auto full = base;
  for (size_t i = 0; i < 200000; i++) full[i] ^= 0xff;
  test::write_file(dir.file("full.raw"), full);
  ASSERT_EQ(run("cd " + q(dir.path()) + " && " + img +
                " convert -O qcow2 -B base.raw -F raw full.raw top.qcow2")
                .status,
            0);
  ASSERT_EQ(
      run("cd " + q(dir.path()) + " && " + img + " convert -O qcow2 base.raw solo.qcow2").status,
      0);
  ASSERT_EQ(run("cd " + q(dir.path()) + " && " + img +
                " create -q -f qcow2 -o preallocation=metadata pre.qcow2 1M")
                .status,
            0);
  for (const char* file : {"top.qcow2", "solo.qcow2", "pre.qcow2", "base.raw"}) {
    SCOPED_TRACE(file);
    auto theirs = run("cd " + q(dir.path()) + " && " + img + " map --output=json " + file);
    auto ours = run("cd " + q(dir.path()) + " && " + kVx86Img + " map --output=json " + file);
    ASSERT_EQ(ours.status, 0) << ours.out;
    EXPECT_EQ(nlohmann::json::parse(ours.out), nlohmann::json::parse(theirs.out))
        << "ours:\n"
        << ours.out << "\ntheirs:\n"
        << theirs.out;
  }
}

}  // namespace
}  // namespace vx86
