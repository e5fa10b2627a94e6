// Null, file and stdio (over pipes) backends, and input flow control.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/chardev_file.h"
#include "core/chardev_null.h"
#include "core/chardev_stdio.h"
#include "tests/core/chardev_test_util.h"

namespace vx86 {
namespace {

using test::RecordingFrontend;
using test::run_until;

struct Limits : Chardev {
  using Chardev::kMaxPendingInput;
};

std::string temp_path(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/vx86-chardev-" + std::to_string(::getpid()) + "-" +
         name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      r = fds[0];
      w = fds[1];
    }
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void close_write() {
    ::close(w);
    w = -1;
  }
};

TEST(ChardevNull, DropsOutputAndGivesNoInput) {
  NullChardev cd("n0");
  RecordingFrontend fe;
  cd.set_frontend(&fe);
  cd.write("hello");
  EXPECT_EQ(cd.id(), "n0");
  EXPECT_TRUE(fe.received.empty());
}

TEST(ChardevFile, TruncatesOrAppends) {
  std::string path = temp_path("file");
  {
    std::ofstream(path) << "old contents";
    FileChardev cd("f0", path, false);
    cd.write("first ");
  }
  EXPECT_EQ(read_file(path), "first ");
  {
    FileChardev cd("f0", path, true);
    cd.write("second");
  }
  EXPECT_EQ(read_file(path), "first second");
  ::unlink(path.c_str());
}

TEST(ChardevFile, UnopenableNamesThePath) {
  try {
    FileChardev cd("f0", "/nonexistent-dir/x", false);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x"), std::string::npos) << e.what();
  }
}

TEST(ChardevStdio, PipesBothWaysAndStopsAtEof) {
  MainLoop loop;
  Pipe in, out;
  StdioChardev cd("s0", loop, true, in.r, out.w);
  EXPECT_FALSE(cd.raw_mode());  // a pipe is no terminal
  RecordingFrontend fe;
  cd.set_frontend(&fe);
  test::write_fd(in.w, "typed");
  ASSERT_TRUE(run_until(loop, [&] { return fe.received == "typed"; })) << fe.received;
  cd.write("printed");
  EXPECT_EQ(test::read_fd_until(loop, out.r, 7), "printed");
  in.close_write();
  // End of input is quiet: nothing more arrives, output still works.
  loop.run_once(10);
  cd.write("!");
  EXPECT_EQ(test::read_fd_until(loop, out.r, 1), "!");
  EXPECT_EQ(fe.received, "typed");
}

// A frontend with no room gets nothing; the backend stops reading at the
// limit, leaving the rest in the pipe, and everything arrives in order once
// the frontend drains.
TEST(ChardevFlowControl, SlowFrontendLosesNothing) {
  MainLoop loop;
  Pipe in, out;
  StdioChardev cd("s0", loop, true, in.r, out.w);
  RecordingFrontend fe;
  fe.room = 0;
  cd.set_frontend(&fe);

  std::string sent;
  for (int i = 0; i < 20000; ++i) sent += static_cast<char>('a' + i % 23);
  test::write_fd(in.w, sent);

  const std::size_t limit = Limits::kMaxPendingInput;
  ASSERT_TRUE(run_until(loop, [&] { return cd.pending_input() == limit; }));
  // More turns of the loop read nothing further.
  for (int i = 0; i < 5; ++i) loop.run_once(1);
  EXPECT_EQ(cd.pending_input(), limit);
  int unread = 0;
  ASSERT_EQ(::ioctl(in.r, FIONREAD, &unread), 0);
  EXPECT_EQ(static_cast<std::size_t>(unread), sent.size() - limit);
  EXPECT_TRUE(fe.received.empty());

  // Drain a little at a time, like a UART FIFO.
  ASSERT_TRUE(run_until(
      loop,
      [&] {
        if (fe.room == 0) {
          fe.room = 500;
          cd.accept_input();
        }
        return fe.received.size() == sent.size();
      },
      100000));
  EXPECT_EQ(fe.received, sent);
}

TEST(ChardevFlowControl, InputWaitsForAFrontend) {
  MainLoop loop;
  Pipe in, out;
  StdioChardev cd("s0", loop, true, in.r, out.w);
  test::write_fd(in.w, "early");
  ASSERT_TRUE(run_until(loop, [&] { return cd.pending_input() == 5; }));
  RecordingFrontend fe;
  cd.set_frontend(&fe);
  EXPECT_EQ(fe.received, "early");
}

}  // namespace
}  // namespace vx86
