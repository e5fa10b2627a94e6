// The QMP event throttle as QEMU's: the first event of a key at once, the
// latest of a period at its end, keys independent, and a quiet period
// letting the next event through at once.
#include "core/qmp_event_throttle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vx86 {
namespace {

class QmpEventThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override { clocks_.set_manual_virtual(true); }
  void open(const std::string& id, bool is_open) {
    throttle_.emit("VSERPORT_CHANGE", id, {{"id", id}, {"open", is_open}});
  }
  std::string sent() {
    std::string s;
    for (const Json& e : sent_) s += e["id"].get<std::string>() + (e["open"] ? "+" : "-") + " ";
    sent_.clear();
    return s;
  }

  Clocks clocks_;
  std::vector<Json> sent_;
  QmpEventThrottle throttle_{clocks_,
                             [this](const std::string& name, const Json& data) {
                               EXPECT_EQ(name, "VSERPORT_CHANGE");
                               sent_.push_back(data);
                             },
                             ClockType::kVirtual, 1000};
};

TEST_F(QmpEventThrottleTest, TheFirstGoesAtOnceTheLatestOfAPeriodAtItsEnd) {
  open("a", true);
  EXPECT_EQ(sent(), "a+ ");
  open("a", false);
  open("a", true);
  open("a", false);
  open("b", true);  // another key: its own period
  EXPECT_EQ(sent(), "b+ ");
  clocks_.advance_virtual(999);
  EXPECT_EQ(sent(), "");
  clocks_.advance_virtual(1);
  EXPECT_EQ(sent(), "a- ");
  // That started a new period.
  open("a", true);
  EXPECT_EQ(sent(), "");
  clocks_.advance_virtual(1000);
  EXPECT_EQ(sent(), "a+ ");
  // A period with nothing in it ends the throttling.
  clocks_.advance_virtual(1000);
  open("a", false);
  EXPECT_EQ(sent(), "a- ");
}

}  // namespace
}  // namespace vx86
