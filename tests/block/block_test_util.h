// Helpers for the block tests: a temporary directory, running commands,
// and the qemu-img peer.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace vx86::test {

inline const char* kQemuImg = "/usr/bin/qemu-img";
inline const char* kVx86Img = VX86_IMG_PATH;

inline bool have_qemu_img() {
  return access(kQemuImg, X_OK) == 0;
}

#define REQUIRE_QEMU_IMG()                                                            \
  do {                                                                                \
    if (!::vx86::test::have_qemu_img()) {                                             \
      printf("skipped: %s is missing\n", ::vx86::test::kQemuImg);                     \
      GTEST_SKIP() << "qemu-img (" << ::vx86::test::kQemuImg << ") is not installed"; \
    }                                                                                 \
  } while (0)

struct CmdResult {
  int status = -1;
  std::string out;
};

// Runs a shell command, capturing stdout and stderr together.
inline CmdResult run(const std::string& cmd) {
  CmdResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vx86-block-XXXXXX";
    char* d = mkdtemp(tmpl);
    if (d) path_ = d;
  }
  ~TempDir() {
    if (!path_.empty()) run("rm -rf '" + path_ + "'");
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), data.size());
}

// Deterministic content with runs of zeroes, text-like data and noise, so
// compression and zero detection both get work.
inline std::vector<uint8_t> pattern_data(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> d(size, 0);
  for (size_t pos = 0; pos < size;) {
    size_t run = 512 + rng() % 70000;
    int kind = rng() % 4;
    for (size_t i = pos; i < std::min(size, pos + run); i++) {
      if (kind == 1) d[i] = uint8_t(rng());
      if (kind == 2) d[i] = uint8_t('a' + (i % 23));
      if (kind == 3) d[i] = uint8_t(i >> 9);
    }
    pos += run;
  }
  return d;
}

}  // namespace vx86::test
