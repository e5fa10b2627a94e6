// QMP's chardev-add backends become the -chardev options the factory takes:
// QMP's own defaults (a socket is a server that does not wait), commas
// doubled, QEMU's refusals.
#include "core/chardev_qapi.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace vx86 {
namespace {

std::string refusal(const std::string& id, const Json& backend) {
  try {
    chardev_option_from_backend(id, backend);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ChardevQapi, BackendsBecomeChardevOptions) {
  EXPECT_EQ(chardev_option_from_backend("n", {{"type", "null"}, {"data", Json::object()}}),
            "null,id=n");
  EXPECT_EQ(chardev_option_from_backend("p", {{"type", "pty"}}), "pty,id=p");
  EXPECT_EQ(chardev_option_from_backend(
                "f", {{"type", "file"}, {"data", {{"out", "/tmp/a,b"}, {"append", true}}}}),
            "file,id=f,path=/tmp/a,,b,append=on");
  const Json unix_address = {{"type", "unix"}, {"data", {{"path", "/run/ch.sock"}}}};
  EXPECT_EQ(
      chardev_option_from_backend("s", {{"type", "socket"}, {"data", {{"addr", unix_address}}}}),
      "socket,id=s,path=/run/ch.sock,server=on,wait=off");
  EXPECT_EQ(chardev_option_from_backend(
                "t", {{"type", "socket"},
                      {"data",
                       {{"addr", {{"type", "inet"}, {"data", {{"host", "::1"}, {"port", "4444"}}}}},
                        {"server", false},
                        {"reconnect", 2},
                        {"nodelay", true}}}}),
            "socket,id=t,host=::1,port=4444,server=off,wait=off,nodelay=on,reconnect=2");
  EXPECT_EQ(chardev_option_from_backend(
                "d", {{"type", "socket"},
                      {"data", {{"addr", {{"type", "fd"}, {"data", {{"str", "12"}}}}}}}}),
            "socket,id=d,fd=12,server=on,wait=off");
}

TEST(ChardevQapi, RefusalsSayWhy) {
  EXPECT_EQ(refusal("x", {{"type", "bogus"}}), "Parameter 'type' does not accept value 'bogus'");
  EXPECT_EQ(refusal("x", {{"type", "vc"}}),
            "chardev-add: backend 'vc' is not available in vx86 (null, file, pty, socket are)");
  EXPECT_EQ(refusal("x", {{"type", "file"}, {"data", Json::object()}}),
            "Parameter 'backend.data.out' is missing");
  EXPECT_EQ(refusal("x", {{"type", "socket"}, {"data", Json::object()}}),
            "Parameter 'backend.data.addr' is missing");
  EXPECT_EQ(refusal("x", {{"type", "socket"},
                          {"data", {{"addr", {{"type", "fd"}, {"data", {{"str", "name"}}}}}}}}),
            "Failed to add chardev 'x': File descriptor named 'name' has not been found");
  EXPECT_EQ(
      refusal("x",
              {{"type", "socket"},
               {"data",
                {{"addr", {{"type", "unix"}, {"data", {{"path", "/p"}}}}}, {"server", "yes"}}}}),
      "Invalid parameter type for 'backend.data.server', expected: boolean");
  EXPECT_EQ(refusal("x", Json(3)), "Invalid parameter type for 'backend', expected: object");
}

}  // namespace
}  // namespace vx86
