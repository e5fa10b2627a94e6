// The writer half of the crash-consistency test: writes tagged sectors to a
// qcow2 image through BlockBackend (asynchronous writes, zero writes and
// flushes, plus synchronous compressed clusters) until it is killed.
//
//   block_crash_writer IMAGE JOURNAL SEED [compress] [unsafe] [killat=N]
//
// killat=N: the writer kills itself with SIGKILL just before its Nth write to
// the host file, so kills land evenly between any two host writes (data,
// L2, L1, refcount block, header) instead of mostly inside fdatasync.
// "unsafe" opens with cache=unsafe: flushes skip fdatasync, which does not
// matter for a killed process (the page cache survives it) and lets far more
// requests, and so more metadata states, fall between two kills.
// Before each request it appends its intent to JOURNAL ("W first count gen",
// "Z first count", "C first count gen"); after a flush completes it appends
// "F". Sector s written with generation g holds (s, g) in its first 16 bytes
// and a fill derived from both (see sector_fill), so the checker can tell
// exactly which write a sector came from, or that it is torn.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "block/block_backend.h"
#include "block/host_file.h"
#include "core/main_loop.h"
#include "tests/block/crash_sector.h"

namespace vx86 {
namespace {

std::atomic<long> g_writes_left{-1};

void count_host_write() {
  if (g_writes_left.fetch_sub(1) == 1) kill(getpid(), SIGKILL);
}

class Journal {
 public:
  explicit Journal(const char* path) : fd_(open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) {
    if (fd_ < 0) {
      perror(path);
      exit(2);
    }
  }
  // One write(2) per line: a kill leaves whole lines (the page cache keeps
  // them; only the process dies).
  void line(const std::string& text) {
    std::string l = text + "\n";
    if (::write(fd_, l.data(), l.size()) != ssize_t(l.size())) exit(2);
  }

 private:
  int fd_;
};

int run(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s IMAGE JOURNAL SEED [compress] [unsafe]\n", argv[0]);
    return 2;
  }
  bool compress = false, unsafe = false;
  for (int i = 4; i < argc; i++) {
    compress |= !strcmp(argv[i], "compress");
    unsafe |= !strcmp(argv[i], "unsafe");
    if (!strncmp(argv[i], "killat=", 7)) g_writes_left = atol(argv[i] + 7);
  }
  if (g_writes_left > 0) HostFile::set_before_write_hook(count_host_write);
  uint64_t seed = strtoull(argv[3], nullptr, 0);
  std::mt19937_64 rng(seed);
  Journal journal(argv[2]);
  MainLoop loop;
  BlockBackendOptions bo;
  bo.file = argv[1];
  bo.format = "qcow2";
  bo.cache = unsafe ? CacheMode::kUnsafe : CacheMode::kWriteback;
  BlockBackend blk(bo);
  blk.attach_main_loop(&loop);
  const uint64_t sectors = blk.length() / kCrashSector;
  const uint64_t cluster = blk.driver().cluster_size();
  const uint64_t cluster_sectors = cluster / kCrashSector;
  printf("ready\n");
  fflush(stdout);

  uint64_t gen = seed << 24;
  int in_flight = 0;
  std::vector<std::vector<uint8_t>> buffers;  // kept until their batch is done
  for (;;) {
    // A batch of asynchronous requests, then a flush.
    int batch = 1 + int(rng() % 40);
    for (int i = 0; i < batch; i++) {
      uint64_t count = 1 + rng() % (2 * cluster_sectors + 3);
      uint64_t first = rng() % (sectors - count);
      if (rng() % 5 == 0) {
        journal.line("Z " + std::to_string(first) + " " + std::to_string(count));
        blk.write_zeroes_async(first * kCrashSector, count * kCrashSector,
                               [&](const std::string& err) {
                                 if (!err.empty()) exit(3);
                                 in_flight--;
                               });
      } else {
        ++gen;
        buffers.emplace_back(count * kCrashSector);
        for (uint64_t s = 0; s < count; s++)
          fill_crash_sector(&buffers.back()[s * kCrashSector], first + s, gen);
        journal.line("W " + std::to_string(first) + " " + std::to_string(count) + " " +
                     std::to_string(gen));
        blk.write_async(first * kCrashSector, buffers.back().data(), buffers.back().size(),
                        [&](const std::string& err) {
                          if (!err.empty()) exit(3);
                          in_flight--;
                        });
      }
      in_flight++;
    }
    bool flushed = false;
    blk.flush_async([&](const std::string& err) {
      if (!err.empty()) exit(3);
      journal.line("F");
      flushed = true;
    });
    while (!flushed) loop.run_once(10);
    if (in_flight != 0) return 4;  // completions came out of order
    buffers.clear();
    if (compress) {
      // Compressed clusters go through the driver directly (the backend has
      // no compressed path); nothing is queued, so that is safe here.
      int n = 1 + int(rng() % 4);
      for (int i = 0; i < n; i++) {
        uint64_t c = rng() % (sectors / cluster_sectors);
        ++gen;
        std::vector<uint8_t> data(cluster);
        for (uint64_t s = 0; s < cluster_sectors; s++)
          fill_crash_sector(&data[s * kCrashSector], c * cluster_sectors + s, gen);
        journal.line("C " + std::to_string(c * cluster_sectors) + " " +
                     std::to_string(cluster_sectors) + " " + std::to_string(gen));
        blk.driver().write_compressed(c * cluster, data.data(), cluster);
      }
    }
  }
}

}  // namespace
}  // namespace vx86

int main(int argc, char** argv) {
  try {
    return vx86::run(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "crash_writer: %s\n", e.what());
    return 1;
  }
}
