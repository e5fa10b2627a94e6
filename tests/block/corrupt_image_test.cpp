// Damaged qcow2 images must be refused with a reason, never crash.
#include <cstring>

#include "block/block_driver.h"
#include "block/qcow2_format.h"
#include "tests/block/block_test_util.h"

namespace vx86 {
namespace {

using test::TempDir;

class CorruptImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("img.qcow2");
    CreateOptions co;
    co.format = "qcow2";
    co.size = 4 << 20;
    co.size_given = true;
    create_image(path_, co);
    OpenOptions oo;
    auto d = open_image(path_, oo);
    auto data = test::pattern_data(4 << 20, 4);
    d->write(0, data.data(), data.size());
    d->close();
    good_ = test::read_file(path_);
  }

  // Opens the damaged bytes and returns the error text ("" if it opened).
  std::string open_error(const std::vector<uint8_t>& bytes) {
    test::write_file(path_, bytes);
    try {
      OpenOptions oo;
      oo.read_only = true;
      oo.format = "qcow2";
      auto d = open_image(path_, oo);
      return "";
    } catch (const BlockError& e) {
      return e.what();
    }
  }

  void patch64(std::vector<uint8_t>& b, uint32_t off, uint64_t v) { store_be64(&b[off], v); }
  void patch32(std::vector<uint8_t>& b, uint32_t off, uint32_t v) { store_be32(&b[off], v); }

  TempDir dir_;
  std::string path_;
  std::vector<uint8_t> good_;
};

TEST_F(CorruptImageTest, TruncatedHeader) {
  std::vector<uint8_t> b(good_.begin(), good_.begin() + 40);
  EXPECT_NE(open_error(b).find("too short"), std::string::npos) << open_error(b);
}

TEST_F(CorruptImageTest, BadMagic) {
  auto b = good_;
  b[0] = 'X';
  EXPECT_NE(open_error(b).find("Image is not in qcow2 format"), std::string::npos);
}

TEST_F(CorruptImageTest, UnsupportedVersion) {
  auto b = good_;
  patch32(b, 4, 4);
  EXPECT_NE(open_error(b).find("Unsupported qcow2 version 4"), std::string::npos);
}

TEST_F(CorruptImageTest, ClusterBitsOutOfRange) {
  for (uint32_t bits : {8u, 22u, 0xffffffffu}) {
    auto b = good_;
    patch32(b, 20, bits);
    EXPECT_NE(open_error(b).find("Unsupported cluster size"), std::string::npos) << bits;
  }
}

TEST_F(CorruptImageTest, AbsurdL1Size) {
  auto b = good_;
  patch32(b, qcow2::kOffL1Size, 0x7fffffff);
  EXPECT_NE(open_error(b).find("L1 table too large"), std::string::npos) << open_error(b);
}

TEST_F(CorruptImageTest, L1OffsetPastEndOrUnaligned) {
  auto b = good_;
  patch64(b, qcow2::kOffL1TableOffset, uint64_t(1) << 40);
  EXPECT_NE(open_error(b).find("Invalid L1 table offset"), std::string::npos);
  b = good_;
  patch64(b, qcow2::kOffL1TableOffset, 0x30001);
  EXPECT_NE(open_error(b).find("Invalid L1 table offset"), std::string::npos);
}

TEST_F(CorruptImageTest, RefcountTableOffsetInvalid) {
  auto b = good_;
  patch64(b, qcow2::kOffRefcountTableOffset, uint64_t(1) << 45);
  EXPECT_NE(open_error(b).find("reference count table"), std::string::npos);
}

TEST_F(CorruptImageTest, UnknownIncompatibleFeatureNamesIt) {
  auto b = good_;
  patch64(b, qcow2::kOffIncompatible, 1ull << 9);
  std::string err = open_error(b);
  EXPECT_NE(err.find("Unsupported qcow2 feature"), std::string::npos) << err;
  EXPECT_NE(err.find("9"), std::string::npos) << err;
}

TEST_F(CorruptImageTest, ExtendedL2ExternalDataAndEncryptionRefused) {
  auto b = good_;
  patch64(b, qcow2::kOffIncompatible, qcow2::kIncompatExtendedL2);
  EXPECT_NE(open_error(b).find("extended L2"), std::string::npos);
  b = good_;
  patch64(b, qcow2::kOffIncompatible, qcow2::kIncompatDataFile);
  EXPECT_NE(open_error(b).find("external data file"), std::string::npos);
  b = good_;
  patch32(b, 32, 1);
  EXPECT_NE(open_error(b).find("Encrypted"), std::string::npos);
}

TEST_F(CorruptImageTest, CorruptBitRefusesWrites) {
  auto b = good_;
  patch64(b, qcow2::kOffIncompatible, qcow2::kIncompatCorrupt);
  test::write_file(path_, b);
  OpenOptions oo;
  try {
    open_image(path_, oo);
    FAIL() << "opened a corrupt image read/write";
  } catch (const BlockError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos);
  }
  oo.read_only = true;
  EXPECT_NO_THROW(open_image(path_, oo));
}

TEST_F(CorruptImageTest, BadL2OffsetFailsReadsWithReason) {
  auto b = good_;
  uint64_t l1 = load_be64(&b[qcow2::kOffL1TableOffset]);
  patch64(b, uint32_t(l1), qcow2::kFlagCopied | (uint64_t(1) << 40));
  test::write_file(path_, b);
  OpenOptions oo;
  oo.read_only = true;
  auto d = open_image(path_, oo);
  std::vector<uint8_t> buf(4096);
  try {
    d->read(0, buf.data(), buf.size());
    FAIL() << "read through a bad L2 offset";
  } catch (const BlockError& e) {
    EXPECT_NE(std::string(e.what()).find("L2 table"), std::string::npos) << e.what();
  }
  EXPECT_GT(d->check(RepairMode::kNone).corruptions, 0u);
}

// Random damage to the metadata: every outcome is an exception or success.
TEST_F(CorruptImageTest, RandomMetadataDamageNeverCrashes) {
  std::mt19937 rng(1234);
  std::vector<uint8_t> buf(65536);
  for (int iter = 0; iter < 300; iter++) {
    auto b = good_;
    int flips = 1 + rng() % 8;
    for (int i = 0; i < flips; i++) {
      // Header cluster, refcount table/block and the L1/L2 tables.
      uint64_t off = (rng() % 2) ? rng() % 128 : rng() % (5 * 65536);
      b[off] ^= uint8_t(1 << (rng() % 8));
    }
    test::write_file(path_, b);
    try {
      OpenOptions oo;
      oo.read_only = (iter % 2) == 0;
      auto d = open_image(path_, oo);
      uint64_t len = std::min<uint64_t>(d->length(), 2 << 20);
      for (uint64_t off = 0; off + buf.size() <= len; off += buf.size())
        d->read(off, buf.data(), buf.size());
      if (!oo.read_only && d->length() >= 65536) d->write(1000, buf.data(), 5000);
      d->check(RepairMode::kNone);
      d->close();
    } catch (const BlockError&) {
    }
  }
}

}  // namespace
}  // namespace vx86
