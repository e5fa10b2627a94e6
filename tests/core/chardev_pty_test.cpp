// The pty backend, talked to through its slave side.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/chardev_pty.h"
#include "tests/core/chardev_test_util.h"

namespace vx86 {
namespace {

using test::RecordingFrontend;
using test::run_until;

TEST(ChardevPty, SlaveExchangesBytes) {
  MainLoop loop;
  PtyChardev cd("p0", loop, /*announce=*/false);
  ASSERT_EQ(cd.slave_path().rfind("/dev/pts/", 0), 0u) << cd.slave_path();
  RecordingFrontend fe;
  cd.set_frontend(&fe);

  int slave = ::open(cd.slave_path().c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  // Raw mode: "\n" and "\x03" pass unchanged both ways.
  test::write_fd(slave, "key\n\x03");
  ASSERT_TRUE(run_until(loop, [&] { return fe.received == "key\n\x03"; })) << fe.received;
  cd.write("out\n");
  EXPECT_EQ(test::read_fd_until(loop, slave, 4), "out\n");
  ::close(slave);

  // Closing the slave is no disconnect for the backend: a new opener works.
  slave = ::open(cd.slave_path().c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  test::write_fd(slave, "again");
  ASSERT_TRUE(run_until(loop, [&] {
    return fe.received ==
           "key\n\x03"
           "again";
  }));
  ::close(slave);
}

}  // namespace
}  // namespace vx86
