// -dfilter range syntax as QEMU spells it, and the membership test the
// per-block logs use.
#include "core/log_filter.h"

#include <gtest/gtest.h>

namespace vx86 {
namespace {

std::vector<LogAddressRange> parse_ok(std::string_view spec) {
  std::vector<LogAddressRange> ranges;
  std::string error;
  EXPECT_TRUE(parse_log_filter(spec, &ranges, &error)) << spec << ": " << error;
  return ranges;
}

TEST(LogFilter, ThreeSpellingsOfARange) {
  auto ranges = parse_ok("0x1000+0x100,0x3000-0x10,0x5000..0x5fff,42+1");
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0].first, 0x1000u);
  EXPECT_EQ(ranges[0].last, 0x10ffu);
  EXPECT_EQ(ranges[1].first, 0x2ff1u);  // the 0x10 bytes ending at 0x3000
  EXPECT_EQ(ranges[1].last, 0x3000u);
  EXPECT_EQ(ranges[2].first, 0x5000u);
  EXPECT_EQ(ranges[2].last, 0x5fffu);
  EXPECT_EQ(ranges[3].first, 42u);
  EXPECT_EQ(ranges[3].last, 42u);
  auto top = parse_ok("0xffffffffffffff00+0x100");
  EXPECT_EQ(top[0].last, ~0ull);
}

TEST(LogFilter, BadRangesAreNamed) {
  for (const char* spec :
       {"", "0x1000", "0x1000+0", "0x2000..0x1000", "zz+1", "0x10-0x20", "0x1000+0x10,",
        "0xffffffffffffff00+0x101", "1..", "+5", "1++5", "5+-3"}) {
    std::vector<LogAddressRange> ranges{{1, 2}};
    std::string error;
    EXPECT_FALSE(parse_log_filter(spec, &ranges, &error)) << spec;
    EXPECT_NE(error.find("bad range"), std::string::npos) << spec << ": " << error;
    EXPECT_EQ(ranges.size(), 1u) << "left untouched on error: " << spec;
  }
}

TEST(LogFilter, MembershipFollowsTheRangesAndNoFilterLetsAllThrough) {
  set_log_filter({});
  EXPECT_TRUE(log_address_in_filter(0));
  EXPECT_TRUE(log_address_in_filter(~0ull));
  set_log_filter(parse_ok("0x1000+0x100,0x8000..0x8000"));
  EXPECT_FALSE(log_address_in_filter(0xfff));
  EXPECT_TRUE(log_address_in_filter(0x1000));
  EXPECT_TRUE(log_address_in_filter(0x10ff));
  EXPECT_FALSE(log_address_in_filter(0x1100));
  EXPECT_TRUE(log_address_in_filter(0x8000));
  EXPECT_FALSE(log_address_in_filter(0x8001));
  set_log_filter({});
}

}  // namespace
}  // namespace vx86
