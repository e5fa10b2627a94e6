#include "core/state.h"

#include <gtest/gtest.h>

#include <array>

namespace vx86 {
namespace {

struct Sample {
  uint8_t a = 0;
  uint32_t b = 0;
  std::array<uint16_t, 3> c{};
  void visit(StateVisitor& v) {
    v.begin("sample");
    v.field("a", a);
    v.field("b", b);
    v.array("c", std::span<uint16_t>(c));
    v.end();
  }
};

TEST(StateTest, RoundTripThroughBlob) {
  Sample in{7, 0xdeadbeef, {1, 2, 3}};
  StateWriter w;
  in.visit(w);
  auto blob = w.serialize();
  Sample out;
  auto r = StateReader::deserialize(blob);
  out.visit(r);
  EXPECT_EQ(out.a, 7);
  EXPECT_EQ(out.b, 0xdeadbeefu);
  EXPECT_EQ(out.c, (std::array<uint16_t, 3>{1, 2, 3}));
}

TEST(StateTest, MissingOrResizedFieldIsAnError) {
  StateWriter w;
  uint32_t x = 1;
  w.field("x", x);
  auto r = StateReader::deserialize(w.serialize());
  uint64_t wide = 0;
  EXPECT_THROW(r.field("x", wide), StateError);
  EXPECT_THROW(r.field("y", x), StateError);
}

TEST(StateTest, TruncatedBlobIsAnError) {
  StateWriter w;
  uint32_t x = 1;
  w.field("x", x);
  auto blob = w.serialize();
  blob.resize(blob.size() - 2);
  EXPECT_THROW(StateReader::deserialize(blob), StateError);
}

}  // namespace
}  // namespace vx86
