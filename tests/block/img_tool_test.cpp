// The vx86-img command line: output and exit status like qemu-img's.
#include <nlohmann/json.hpp>
#include <sstream>

#include "block/block_driver.h"
#include "tests/block/block_test_util.h"

namespace vx86 {
namespace {

using test::kQemuImg;
using test::kVx86Img;
using test::run;
using test::TempDir;

std::string in_dir(const TempDir& d, const std::string& cmd) {
  return "cd '" + d.path() + "' && " + cmd;
}
std::string tool(const std::string& args) {
  return std::string(kVx86Img) + " " + args;
}

TEST(ImgToolTest, BadArgumentsGiveAnErrorAndStatus1) {
  TempDir dir;
  const char* bad[] = {"",
                       "bogus",
                       "create -f qcow2 x.qcow2 1Q",
                       "create -f qcow2 -o foo=bar x.qcow2 1M",
                       "create -f vmdk x.img 1M",
                       "create -f qcow2 x.qcow2",
                       "create -f qcow2 -o cluster_size=1000 x.qcow2 1M",
                       "create -f qcow2 -o compat=0.10,lazy_refcounts=on x.qcow2 1M",
                       "info",
                       "info missing.qcow2",
                       "info --output=xml missing.qcow2",
                       "check -r everything missing.qcow2",
                       "convert -O qcow2 missing.raw out.qcow2",
                       "map -Z x",
                       "resize"};
  for (const char* args : bad) {
    SCOPED_TRACE(args);
    auto r = run(in_dir(dir, tool(args)));
    EXPECT_EQ(r.status, 1) << r.out;
    // Every line is the error (or qemu-img's "Try ... --help" hint), never a
    // crash report.
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);) {
      bool ok = l.rfind("vx86-img: ", 0) == 0 || l.rfind("Formatting '", 0) == 0 ||
                l == "Try 'vx86-img --help' for more information";
      EXPECT_TRUE(ok) << l;
    }
  }
}

// The same bad command lines through qemu-img and vx86-img: the same
// messages (tool name aside) and exit status.
TEST(ImgToolTest, ErrorMessagesMatchQemuImg) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  test::write_file(dir.file("base.raw"), test::pattern_data(1 << 20, 4));
  ASSERT_EQ(run(in_dir(dir, std::string(kQemuImg) + " create -q -f qcow2 img.qcow2 1M")).status, 0);
  const char* cases[] = {
      "",
      "--bogus",
      "bogus",
      "info",
      "info -Z base.raw",
      "info --bogus base.raw",
      "info --output",
      "info --output=xml base.raw",
      "info nothere.qcow2",
      "check",
      "check -r bad img.qcow2",
      "check -f raw base.raw",
      "create -f qcow2 x.qcow2",
      "create -f qcow2 x.qcow2 1Q",
      "create -f vmdk2 x.img 1M",
      "create -f qcow2 -o foo=bar x.qcow2 1M",
      "create -f qcow2 -o cluster_size=3000 x.qcow2 1M",
      "create -f qcow2 -o preallocation=bogus x.qcow2 1M",
      "create -f raw -o preallocation=bogus x.raw 1M",
      "create -f qcow2 -o compression_type=lz4 x.qcow2 1M",
      "create -f qcow2 -o compat=2 x.qcow2 1M",
      "create -f qcow2 -o compat=0.10,lazy_refcounts=on x.qcow2 1M",
      "create -f qcow2 -o compat=0.10,refcount_bits=8 x.qcow2 1M",
      "create -f raw -o cluster_size=4k x.raw 1M",
      "convert",
      "convert -m 0 base.raw o.raw",
      "convert -O qcow2 -c nothere.raw o.qcow2",
      "convert -f qcow2 base.raw o.raw",
      "resize img.qcow2",
      "map",
      "map --start-offset=zz base.raw",
      "map --max-length=zz base.raw",
      "compare img.qcow2",
      "snapshot -c",
      "rebase img.qcow2",
  };
  auto normalize = [](std::string out, const std::string& name) {
    for (size_t p; (p = out.find(name)) != std::string::npos;) out.replace(p, name.size(), "TOOL");
    return out;
  };
  for (const char* args : cases) {
    SCOPED_TRACE(args);
    auto theirs = run(in_dir(dir, std::string(kQemuImg) + " " + args));
    run(in_dir(dir, "rm -f x.qcow2 x.raw x.img o.raw o.qcow2"));
    auto ours = run(in_dir(dir, tool(args)));
    run(in_dir(dir, "rm -f x.qcow2 x.raw x.img o.raw o.qcow2"));
    EXPECT_EQ(normalize(ours.out, "vx86-img"), normalize(theirs.out, "qemu-img"));
    EXPECT_EQ(ours.status, theirs.status);
  }
}

TEST(ImgToolTest, CreateSizesAndInfo) {
  TempDir dir;
  auto r = run(in_dir(dir, tool("create -f qcow2 a.qcow2 1.5G")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(
      r.out,
      "Formatting 'a.qcow2', fmt=qcow2 cluster_size=65536 extended_l2=off compression_type=zlib "
      "size=1610612736 lazy_refcounts=off refcount_bits=16\n");
  r = run(in_dir(dir, tool("info a.qcow2")));
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("virtual size: 1.5 GiB (1610612736 bytes)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Format specific information:\n    compat: 1.1\n"), std::string::npos)
      << r.out;
  r = run(in_dir(dir, tool("create -q -f raw r.raw 64k")));
  ASSERT_EQ(r.status, 0);
  auto j = nlohmann::json::parse(run(in_dir(dir, tool("info --output=json r.raw"))).out);
  EXPECT_EQ(j["virtual-size"], 65536);
  EXPECT_EQ(j["format"], "raw");
}

TEST(ImgToolTest, HumanInfoMatchesQemuImg) {
  REQUIRE_QEMU_IMG();
  TempDir dir;
  ASSERT_EQ(run(in_dir(dir, std::string(kQemuImg) + " create -q -f raw base.raw 3M")).status, 0);
  ASSERT_EQ(
      run(in_dir(dir, std::string(kQemuImg) + " create -q -f qcow2 -b base.raw -F raw t.qcow2"))
          .status,
      0);
  auto strip_disk_size = [](std::string s) {
    size_t p = s.find("disk size:");
    if (p != std::string::npos) s.erase(p, s.find('\n', p) - p + 1);
    return s;
  };
  auto ours = run(in_dir(dir, tool("info t.qcow2")));
  auto theirs = run(in_dir(dir, std::string(kQemuImg) + " info t.qcow2"));
  EXPECT_EQ(strip_disk_size(ours.out), strip_disk_size(theirs.out));
}

TEST(ImgToolTest, CheckStatusAndRepair) {
  TempDir dir;
  ASSERT_EQ(run(in_dir(dir, tool("create -q -f qcow2 l.qcow2 1M"))).status, 0);
  auto r = run(in_dir(dir, tool("check l.qcow2")));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("No errors were found on the image.\n", 0), 0u) << r.out;
  // Give cluster 1 (the refcount table) a second, leaked reference.
  auto bytes = test::read_file(dir.file("l.qcow2"));
  bytes[2 * 65536 + 3] = 2;
  test::write_file(dir.file("l.qcow2"), bytes);
  r = run(in_dir(dir, tool("check l.qcow2")));
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("1 leaked clusters were found on the image."), std::string::npos) << r.out;
  if (test::have_qemu_img()) {
    EXPECT_EQ(run(in_dir(dir, std::string(kQemuImg) + " check l.qcow2")).status, 3);
  }
  r = run(in_dir(dir, tool("check -r leaks l.qcow2")));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Double checking the fixed image now..."), std::string::npos) << r.out;
  r = run(in_dir(dir, tool("check --output=json l.qcow2")));
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["check-errors"], 0);
  EXPECT_FALSE(j.contains("leaks"));
  r = run(in_dir(dir, tool("create -q -f raw r.raw 1M")));
  EXPECT_EQ(run(in_dir(dir, tool("check -f raw r.raw"))).status, 63);
}

TEST(ImgToolTest, ResizeAndCompare) {
  TempDir dir;
  ASSERT_EQ(run(in_dir(dir, tool("create -q -f qcow2 a.qcow2 1M"))).status, 0);
  auto r = run(in_dir(dir, tool("resize a.qcow2 +1M")));
  EXPECT_EQ(r.out, "Image resized.\n");
  r = run(in_dir(dir, tool("resize a.qcow2 -512k")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("--shrink"), std::string::npos);
  EXPECT_EQ(run(in_dir(dir, tool("resize --shrink a.qcow2 -512k"))).status, 0);
  auto j = nlohmann::json::parse(run(in_dir(dir, tool("info --output=json a.qcow2"))).out);
  EXPECT_EQ(j["virtual-size"], 1536 * 1024);

  test::write_file(dir.file("x.raw"), test::pattern_data(1536 * 1024, 1));
  ASSERT_EQ(run(in_dir(dir, tool("convert -O qcow2 x.raw x.qcow2"))).status, 0);
  r = run(in_dir(dir, tool("compare x.raw x.qcow2")));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "Images are identical.\n");
  auto data = test::pattern_data(1536 * 1024, 1);
  data[700001] ^= 1;
  test::write_file(dir.file("y.raw"), data);
  r = run(in_dir(dir, tool("compare x.qcow2 y.raw")));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "Content mismatch at offset 699904!\n");
  EXPECT_EQ(run(in_dir(dir, tool("compare x.qcow2 missing.raw"))).status, 2);
}

TEST(ImgToolTest, ConvertCompressedWithProgressAndMap) {
  TempDir dir;
  auto data = test::pattern_data(2 << 20, 9);
  test::write_file(dir.file("s.raw"), data);
  auto r = run(in_dir(dir, tool("convert -p -m 4 -W -c -O qcow2 s.raw c.qcow2")));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("(100.00/100%)"), std::string::npos);
  ASSERT_EQ(run(in_dir(dir, tool("convert -O raw c.qcow2 back.raw"))).status, 0);
  EXPECT_TRUE(test::read_file(dir.file("back.raw")) == data);
  r = run(in_dir(dir, tool("map --output=json c.qcow2")));
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  uint64_t covered = 0;
  for (const auto& e : j) covered += e["length"].get<uint64_t>();
  EXPECT_EQ(covered, 2u << 20);
}

}  // namespace
}  // namespace vx86
