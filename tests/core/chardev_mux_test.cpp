// The multiplexer: escapes, focus, and several frontends on one backend.
#include <gtest/gtest.h>

#include "core/chardev_mux.h"
#include "tests/core/chardev_test_util.h"

namespace vx86 {
namespace {

using test::RecordingFrontend;

struct Limits : Chardev {
  using Chardev::kMaxPendingInput;
};

struct ChardevMuxTest : ::testing::Test {
  ChardevMuxTest() {
    auto b = std::make_unique<BufferChardev>("b0");
    backend = b.get();
    mux = std::make_unique<MuxChardev>("m0", std::move(b));
    mux->set_quit_handler([this] { ++quits; });
    serial = chardev_for_frontend(mux.get());
    serial->set_frontend(&serial_fe);
    monitor = chardev_for_frontend(mux.get());
    monitor->set_frontend(&monitor_fe);
  }
  void type(const std::string& s) {
    backend->deliver_input(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }

  BufferChardev* backend;
  std::unique_ptr<MuxChardev> mux;
  Chardev* serial;  // frontend 0: the mux itself
  Chardev* monitor;
  RecordingFrontend serial_fe, monitor_fe;
  int quits = 0;
};

TEST_F(ChardevMuxTest, InputGoesToTheFocusAndOutputFromAll) {
  EXPECT_EQ(serial, mux.get());
  EXPECT_EQ(mux->focus(), 0u);
  EXPECT_FALSE(static_cast<MuxPortChardev*>(monitor)->focused());
  type("ls\r");
  EXPECT_EQ(serial_fe.received, "ls\r");
  EXPECT_TRUE(monitor_fe.received.empty());
  serial->write("guest ");
  monitor->write("(vx86) ");
  EXPECT_EQ(backend->output, "guest (vx86) ");
}

TEST_F(ChardevMuxTest, CtrlACSwitchesFocusAndBack) {
  type(
      "a\x01"
      "cb");
  EXPECT_EQ(serial_fe.received, "a");
  EXPECT_EQ(monitor_fe.received, "b");
  EXPECT_TRUE(static_cast<MuxPortChardev*>(monitor)->focused());
  type("\x01");  // an escape split across reads
  type("cd");
  EXPECT_EQ(serial_fe.received, "ad");
  EXPECT_EQ(mux->focus(), 0u);
}

TEST_F(ChardevMuxTest, CtrlACtrlASendsALiteralCtrlA) {
  type("x\x01\x01y");
  EXPECT_EQ(serial_fe.received, "x\x01y");
  EXPECT_EQ(quits, 0);
}

TEST_F(ChardevMuxTest, CtrlAXQuits) {
  type("\x01x");
  EXPECT_EQ(quits, 1);
  EXPECT_NE(backend->output.find("Terminated"), std::string::npos);
  EXPECT_TRUE(serial_fe.received.empty());
}

TEST_F(ChardevMuxTest, CtrlAHPrintsHelpAndCtrlABSendsBreak) {
  type("\x01h");
  EXPECT_NE(backend->output.find("C-a c"), std::string::npos) << backend->output;
  type(
      "\x01"
      "b");
  EXPECT_EQ(serial_fe.count(ChardevEvent::kBreak), 1);
  EXPECT_EQ(monitor_fe.count(ChardevEvent::kBreak), 0);
  type("\x01q");  // unknown escapes are swallowed
  EXPECT_TRUE(serial_fe.received.empty());
}

TEST_F(ChardevMuxTest, CommitHandlerOnCtrlAS) {
  int commits = 0;
  mux->set_commit_handler([&] { ++commits; });
  type("\x01s");
  EXPECT_EQ(commits, 1);
}

TEST_F(ChardevMuxTest, BackendEventsReachEveryFrontend) {
  backend->send_event(ChardevEvent::kOpened);
  EXPECT_EQ(serial_fe.count(ChardevEvent::kOpened), 1);
  EXPECT_EQ(monitor_fe.count(ChardevEvent::kOpened), 1);
}

TEST_F(ChardevMuxTest, SlowFrontendBacksUpIntoTheBackendInOrder) {
  serial_fe.room = 0;
  std::string sent;
  for (int i = 0; i < 10000; ++i) sent += static_cast<char>('a' + i % 19);
  type(sent);
  // The port queue fills to its limit; the rest waits in the backend.
  EXPECT_EQ(serial->pending_input(), Limits::kMaxPendingInput);
  EXPECT_EQ(backend->pending_input(), sent.size() - Limits::kMaxPendingInput);
  while (serial_fe.received.size() < sent.size()) {
    std::size_t before = serial_fe.received.size();
    serial_fe.room = 300;
    serial->accept_input();
    ASSERT_GT(serial_fe.received.size(), before);
  }
  EXPECT_EQ(serial_fe.received, sent);
}

TEST(ChardevMux, ForFrontendHandsOutPortsOrTheChardevItself) {
  BufferChardev plain("p");
  EXPECT_EQ(chardev_for_frontend(&plain), &plain);
  MuxChardev mux("m", std::make_unique<BufferChardev>("b"));
  RecordingFrontend uart;
  Chardev* a = chardev_for_frontend(&mux);
  EXPECT_EQ(a, &mux);  // frontend 0 is free
  a->set_frontend(&uart);
  Chardev* b = chardev_for_frontend(&mux);
  Chardev* c = chardev_for_frontend(&mux);
  EXPECT_NE(b, &mux);
  EXPECT_NE(b, c);
  EXPECT_EQ(mux.frontend_count(), 3u);
  EXPECT_EQ(mux.port(2), c);
}

TEST(ChardevMux, ThreeFrontendsRotate) {
  auto owned = std::make_unique<BufferChardev>("b");
  BufferChardev* backend = owned.get();
  MuxChardev mux("m", std::move(owned));
  RecordingFrontend fe[3];
  mux.set_frontend(&fe[0]);
  mux.add_frontend()->set_frontend(&fe[1]);
  mux.add_frontend()->set_frontend(&fe[2]);
  const std::string keys =
      "0\x01"
      "c1\x01"
      "c2\x01"
      "c0";
  backend->deliver_input(reinterpret_cast<const uint8_t*>(keys.data()), keys.size());
  EXPECT_EQ(fe[0].received, "00");
  EXPECT_EQ(fe[1].received, "1");
  EXPECT_EQ(fe[2].received, "2");
}

}  // namespace
}  // namespace vx86
