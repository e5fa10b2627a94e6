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

// QEMU's JSON form (libvirt's -device and -blockdev): the same pairs, nested
// objects as dotted keys, booleans as on/off, numbers as text, null as
// "null"; keys are checked as in the dotted form.
TEST(OptionsTest, JsonFormGivesTheSamePairs) {
  const std::vector<OptDesc> keys = {{"driver", OptType::kString, ""},
                                     {"file.filename", OptType::kString, ""},
                                     {"file.driver", OptType::kString, ""},
                                     {"read-only", OptType::kBool, ""},
                                     {"bootindex", OptType::kString, ""},
                                     {"backing", OptType::kString, ""},
                                     {"list.0", OptType::kString, ""}};
  auto kv = KeyValues::parse_structured(
      "-blockdev",
      R"({"driver":"qcow2","file":{"driver":"file","filename":"a,b.qcow2"},"read-only":true,)"
      R"("bootindex":-1,"backing":null,"list":["x"]})",
      "", keys);
  EXPECT_EQ(kv.get_string("driver"), "qcow2");
  EXPECT_EQ(kv.get_string("file.filename"), "a,b.qcow2");  // commas need no doubling
  EXPECT_EQ(kv.get_string("file.driver"), "file");
  EXPECT_TRUE(kv.get_bool("read-only", false));
  EXPECT_EQ(kv.get_string("bootindex"), "-1");
  EXPECT_EQ(kv.get_string("backing"), "null");
  EXPECT_EQ(kv.get_string("list.0"), "x");
  EXPECT_EQ(kv.order(), (std::vector<std::string>{"driver", "file.driver", "file.filename",
                                                  "read-only", "bootindex", "backing", "list.0"}));
  // Text that is not JSON is the dotted form.
  EXPECT_EQ(KeyValues::parse_structured("-drive", "x.img,readonly=on", "file", kKeys)
                .get_string("file"),
            "x.img");
  try {
    KeyValues::parse_structured("-device", R"({"driver":"e1000","bogus":1})", "driver", keys);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "-device: invalid parameter 'bogus'");
  }
  EXPECT_THROW(KeyValues::parse_structured("-device", "{", "driver", {}), OptionError);
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
