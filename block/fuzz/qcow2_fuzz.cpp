// libFuzzer target: arbitrary bytes as a qcow2 image. Parsing, opening,
// reading, checking and a small write must end in success or BlockError.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "block/block_driver.h"
#include "block/qcow2_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vx86::qcow2::parse_header(data, size, size);
  } catch (const vx86::BlockError&) {
  }
  int fd = memfd_create("qcow2-fuzz", 0);
  if (fd < 0) return 0;
  if (write(fd, data, size) == static_cast<ssize_t>(size)) {
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    for (bool read_only : {true, false}) {
      try {
        vx86::OpenOptions oo;
        oo.format = "qcow2";
        oo.read_only = read_only;
        oo.open_backing = false;
        auto img = vx86::open_image(path, oo);
        std::vector<uint8_t> buf(65536);
        uint64_t len = std::min<uint64_t>(img->length(), 1 << 20);
        for (uint64_t off = 0; off < len; off += buf.size()) {
          img->read(off, buf.data(), std::min<uint64_t>(buf.size(), len - off));
        }
        img->check(vx86::RepairMode::kNone);
        if (!read_only && img->length() >= 4096) img->write(100, buf.data(), 3000);
        img->close();
      } catch (const vx86::BlockError&) {
      }
    }
  }
  close(fd);
  return 0;
}
