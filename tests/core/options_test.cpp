#include "core/options.h"

#include <gtest/gtest.h>

namespace vx86 {
namespace {

const std::vector<OptDesc> kKeys = {
    {"file", OptType::kString, ""},
    {"size", OptType::kSize, ""},
    {"count", OptType::kNumber, ""},
    {"readonly", OptType::kBool, ""},
};

TEST(OptionsTest, ParsesImpliedKeyAndPairs) {
  auto kv = KeyValues::parse("-drive", "disk.img,size=64M,readonly=on", "file", kKeys);
  EXPECT_EQ(kv.get_string("file"), "disk.img");
  EXPECT_EQ(kv.get_size("size", 0), 64u << 20);
  EXPECT_TRUE(kv.get_bool("readonly", false));
  EXPECT_FALSE(kv.has("count"));
  EXPECT_EQ(kv.get_number("count", 7), 7u);
}

TEST(OptionsTest, DoubleCommaIsLiteral) {
  auto kv = KeyValues::parse("-drive", "file=a,,b.img,count=0x10", "", kKeys);
  EXPECT_EQ(kv.get_string("file"), "a,b.img");
  EXPECT_EQ(kv.get_number("count", 0), 16u);
}

TEST(OptionsTest, UnknownKeyNamesOptionAndKey) {
  try {
    KeyValues::parse("-drive", "file=x,bogus=1", "", kKeys);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "-drive: invalid parameter 'bogus'");
  }
}

TEST(OptionsTest, BadValueNamesKeyAndValue) {
  try {
    KeyValues::parse("-drive", "size=lots", "", kKeys);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "-drive: parameter 'size' expects a size, not 'lots'");
  }
  EXPECT_THROW(KeyValues::parse("-drive", "readonly=maybe", "", kKeys), OptionError);
  EXPECT_THROW(KeyValues::parse("-drive", "count=-1", "", kKeys), OptionError);
}

TEST(OptionsTest, KeyWithoutValueRefused) {
  EXPECT_THROW(KeyValues::parse("-drive", "file=x,readonly", "", kKeys), OptionError);
}

TEST(OptionsTest, SizesAndNumbers) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("512", 'M'), 512u << 20);
  EXPECT_EQ(parse_size("2G"), 2ull << 30);
  EXPECT_EQ(parse_size("1.5k"), 1536u);
  EXPECT_EQ(parse_size("4T"), 4ull << 40);
  EXPECT_FALSE(parse_size("12X"));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("20E"));
  EXPECT_EQ(parse_number("0x3f8"), 0x3f8u);
  EXPECT_EQ(parse_number("10"), 10u);
  EXPECT_FALSE(parse_number("ten"));
  EXPECT_EQ(parse_bool("yes"), true);
  EXPECT_EQ(parse_bool("off"), false);
  EXPECT_FALSE(parse_bool("1"));
}

}  // namespace
}  // namespace vx86
