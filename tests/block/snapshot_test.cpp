// Internal snapshots: ours pass qemu-img check, and qemu-img's work with ours.
#include <cstring>

#include "block/block_driver.h"
#include "block/qcow2.h"
#include "tests/block/block_test_util.h"

namespace vx86 {
namespace {

using test::kQemuImg;
using test::kVx86Img;
using test::run;
using test::TempDir;

std::vector<uint8_t> contents(const std::string& path) {
  OpenOptions oo;
  oo.read_only = true;
  auto d = open_image(path, oo);
  std::vector<uint8_t> out(d->length());
  d->read(0, out.data(), out.size());
  return out;
}

void write_at(const std::string& path, uint64_t off, const std::vector<uint8_t>& data) {
  OpenOptions oo;
  auto d = open_image(path, oo);
  d->write(off, data.data(), data.size());
  d->close();
}

void expect_clean(const std::string& path) {
  OpenOptions oo;
  oo.read_only = true;
  CheckResult r = open_image(path, oo)->check(RepairMode::kNone);
  for (const auto& m : r.messages) ADD_FAILURE() << m;
  if (test::have_qemu_img()) {
    auto q = run(std::string(kQemuImg) + " check '" + path + "'");
    EXPECT_EQ(q.status, 0) << q.out;
  }
}

TEST(SnapshotTest, CreateApplyDeleteRoundTrip) {
  TempDir dir;
  std::string img = dir.file("s.qcow2");
  CreateOptions co;
  co.format = "qcow2";
  co.size = 2 << 20;
  co.size_given = true;
  co.cluster_size = 4096;
  create_image(img, co);
  auto v1 = test::pattern_data(2 << 20, 1);
  write_at(img, 0, v1);
  auto r = run(std::string(kVx86Img) + " snapshot -c one '" + img + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  expect_clean(img);
  // Writes after the snapshot copy L2 tables and data, never touching "one".
  std::vector<uint8_t> patch(300000, 0xee);
  write_at(img, 123457, patch);
  auto v2 = v1;
  std::memcpy(&v2[123457], patch.data(), patch.size());
  EXPECT_TRUE(contents(img) == v2);
  expect_clean(img);
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -c two '" + img + "'").status, 0);
  r = run(std::string(kVx86Img) + " snapshot -l '" + img + "'");
  EXPECT_NE(r.out.find("one"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("two"), std::string::npos) << r.out;
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -a one '" + img + "'").status, 0);
  EXPECT_TRUE(contents(img) == v1);
  expect_clean(img);
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -a 2 '" + img + "'").status, 0);  // by id
  EXPECT_TRUE(contents(img) == v2);
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -d one '" + img + "'").status, 0);
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -d two '" + img + "'").status, 0);
  expect_clean(img);
  EXPECT_TRUE(contents(img) == v2);
  r = run(std::string(kVx86Img) + " snapshot -d nope '" + img + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("Can't find the snapshot"), std::string::npos) << r.out;
}

TEST(SnapshotTest, QemuSnapshotsWorkWithUs) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  std::string img = dir.file("q.qcow2");
  auto v1 = test::pattern_data(1 << 20, 6);
  test::write_file(dir.file("v1.raw"), v1);
  ASSERT_EQ(
      run(std::string(kQemuImg) + " convert -O qcow2 '" + dir.file("v1.raw") + "' '" + img + "'")
          .status,
      0);
  ASSERT_EQ(run(std::string(kQemuImg) + " snapshot -c base '" + img + "'").status, 0);
  std::vector<uint8_t> patch(70000, 0x42);
  write_at(img, 5000, patch);  // shared L2 table and clusters: copy-on-write
  expect_clean(img);
  ASSERT_EQ(run(std::string(kQemuImg) + " snapshot -a base '" + img + "'").status, 0);
  EXPECT_TRUE(contents(img) == v1);
  ASSERT_EQ(run(std::string(kVx86Img) + " snapshot -d base '" + img + "'").status, 0);
  expect_clean(img);
  EXPECT_TRUE(contents(img) == v1);
}

}  // namespace
}  // namespace vx86

namespace vx86 {
namespace {

// Safe rebase keeps the guest view; unsafe rebase only renames.
TEST(RebaseTest, SafeRebaseKeepsContentAndQemuAgrees) {
  TempDir dir;
  auto a = test::pattern_data(1 << 20, 10);
  auto b = test::pattern_data(1 << 20, 20);
  test::write_file(dir.file("a.raw"), a);
  test::write_file(dir.file("b.raw"), b);
  auto r = run("cd '" + dir.path() + "' && " + kVx86Img +
               " create -q -f qcow2 -b a.raw -F raw top.qcow2");
  ASSERT_EQ(r.status, 0) << r.out;
  std::vector<uint8_t> patch(100000, 0x77);
  write_at(dir.file("top.qcow2"), 300000, patch);
  auto expected = a;
  std::memcpy(&expected[300000], patch.data(), patch.size());
  r = run("cd '" + dir.path() + "' && " + kVx86Img + " rebase -b b.raw -F raw top.qcow2");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contents(dir.file("top.qcow2")) == expected);
  OpenOptions oo;
  oo.read_only = true;
  ImageInfo info = open_image(dir.file("top.qcow2"), oo)->info();
  EXPECT_EQ(info.backing_filename, "b.raw");
  EXPECT_EQ(info.backing_format, "raw");
  expect_clean(dir.file("top.qcow2"));
  if (test::have_qemu_img()) {
    r = run(std::string(kQemuImg) + " convert -O raw '" + dir.file("top.qcow2") + "' '" +
            dir.file("q.raw") + "'");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(test::read_file(dir.file("q.raw")) == expected);
  }
  // Removing the backing file copies everything in.
  r = run("cd '" + dir.path() + "' && " + kVx86Img + " rebase -b '' top.qcow2");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contents(dir.file("top.qcow2")) == expected);
  EXPECT_TRUE(open_image(dir.file("top.qcow2"), oo)->info().backing_filename.empty());
  expect_clean(dir.file("top.qcow2"));
}

}  // namespace
}  // namespace vx86
