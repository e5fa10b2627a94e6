// The monitor's expressions (x, xp, print, i, o, sum...) as QEMU evaluates
// them: precedence, registers, errors in QEMU's words, and where an
// expression ends when more arguments follow.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/memory_dump.h"

namespace vx86 {
namespace {

std::optional<uint64_t> registers(const std::string& name) {
  if (name == "eax") return 0x10;
  if (name == "cs.base") return 0xf0000;
  return std::nullopt;
}

std::string eval(const std::string& text) {
  std::string error;
  const std::optional<uint64_t> v = evaluate_address(text, registers, &error);
  return v ? std::to_string(*v) : error;
}

TEST(MonitorExpression, PrecedenceAndOperatorsAsQemu) {
  EXPECT_EQ(eval("1 + 2 * 3"), "7");
  EXPECT_EQ(eval("(1 + 2) * 3"), "9");
  EXPECT_EQ(eval("6 * 7 ^ 1"), "43");  // products, then bit operations, then sums
  EXPECT_EQ(eval("1 + 2 ^ 1"), "4");
  EXPECT_EQ(eval("6 | 1 + 2"), "9");
  EXPECT_EQ(eval("7 / 2 + 7 % 4"), "6");
  EXPECT_EQ(eval("0x10 - -1"), "17");
  EXPECT_EQ(eval("~0"), std::to_string(UINT64_MAX));
  EXPECT_EQ(eval("$eax * 2 + $cs.base"), std::to_string(0xf0020));
  EXPECT_EQ(eval("'a'"), "97");
  EXPECT_EQ(eval("010"), "8");
}

TEST(MonitorExpression, ErrorsInQemusWords) {
  EXPECT_EQ(eval("1 / 0"), "division by zero");
  EXPECT_EQ(eval("5 % 0"), "division by zero");
  EXPECT_EQ(eval("(1 + 2"), "')' expected");
  EXPECT_EQ(eval("99999999999999999999"), "number too large");
  EXPECT_EQ(eval("$nosuch"), "unknown register");
  EXPECT_EQ(eval("5 %"), "unexpected end of expression");
  EXPECT_EQ(eval("5 ?"), "invalid char in expression");
  EXPECT_EQ(eval(""), "unexpected end of expression");
}

TEST(MonitorExpression, AnExpressionEndsWhereNoOperatorJoinsTheNextTerm) {
  std::string error;
  std::size_t consumed = 0;
  const std::string line = "0x80 + 1 0x55";
  EXPECT_EQ(evaluate_address(line, registers, &error, &consumed), 0x81u);
  EXPECT_EQ(line.substr(consumed), " 0x55");
  const std::string grouped = "(2 * 3) 7";
  EXPECT_EQ(evaluate_address(grouped, registers, &error, &consumed), 6u);
  EXPECT_EQ(grouped.substr(consumed), " 7");
}

}  // namespace
}  // namespace vx86
