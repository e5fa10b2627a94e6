// Splitting a QMP client's byte stream into JSON texts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/json_stream.h"

namespace vx86 {
namespace {

std::vector<std::string> feed(JsonStreamSplitter& s, const std::string& bytes) {
  return s.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(JsonStreamSplitter, SeveralObjectsInOneWrite) {
  JsonStreamSplitter s;
  auto texts = feed(s, "{\"a\": 1}\r\n  {\"b\": [1, {\"c\": 2}]}{}\n");
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[0], "{\"a\": 1}");
  EXPECT_EQ(texts[1], "{\"b\": [1, {\"c\": 2}]}");
  EXPECT_EQ(texts[2], "{}");
}

TEST(JsonStreamSplitter, OneObjectOverManyWritesByteByByte) {
  JsonStreamSplitter s;
  const std::string text = "{\"execute\": \"human-monitor-command\", \"arguments\": {\"x\": [1]}}";
  std::vector<std::string> got;
  for (char c : text) {
    auto t = feed(s, std::string(1, c));
    got.insert(got.end(), t.begin(), t.end());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], text);
}

TEST(JsonStreamSplitter, BracketsAndEscapedQuotesInStringsDoNotCount) {
  JsonStreamSplitter s;
  auto texts = feed(s, "{\"s\": \"}{ \\\" ]\\\\\"}{\"t\": \"\\\\\"}");
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0], "{\"s\": \"}{ \\\" ]\\\\\"}");
  EXPECT_EQ(texts[1], "{\"t\": \"\\\\\"}");
}

TEST(JsonStreamSplitter, ScalarsArraysAndStrayBracketsAreTextsOfTheirOwn) {
  JsonStreamSplitter s;
  auto texts = feed(s, "42 [1,2] \"str\" } true\n");
  ASSERT_EQ(texts.size(), 5u);
  EXPECT_EQ(texts[0], "42");
  EXPECT_EQ(texts[1], "[1,2]");
  EXPECT_EQ(texts[2], "\"str\"");
  EXPECT_EQ(texts[3], "}");
  EXPECT_EQ(texts[4], "true");
}

TEST(JsonStreamSplitter, ResetForgetsAPartialText) {
  JsonStreamSplitter s;
  EXPECT_TRUE(feed(s, "{\"a\": [1, ").empty());
  s.reset();
  auto texts = feed(s, "{\"b\": 2}");
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0], "{\"b\": 2}");
}

TEST(JsonStreamSplitter, TooDeepNestingIsCutOff) {
  JsonStreamSplitter s;
  auto texts = feed(s, std::string(JsonStreamSplitter::kMaxDepth + 1, '['));
  ASSERT_EQ(texts.size(), 1u);  // handed on (it will not parse); the splitter starts over
  texts = feed(s, "{}");
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0], "{}");
}

}  // namespace
}  // namespace vx86
