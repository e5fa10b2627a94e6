// The asynchronous BlockBackend API: ordering, completion on the main loop
// thread, error propagation and the flush policy of each cache mode.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <thread>

#include "block/block_backend.h"
#include "block/block_driver.h"
#include "block/request_queue.h"
#include "core/main_loop.h"
#include "tests/block/block_test_util.h"

namespace vx86 {
namespace {

using test::TempDir;

// A memory disk that counts flushes, can fail chosen requests with EIO (as a
// dying disk would) and can hold a request until the test releases it.
class FakeDriver : public BlockDriver {
 public:
  explicit FakeDriver(uint64_t size) : data_(size, 0) {}

  std::string format_name() const override { return "fake"; }
  std::string filename() const override { return "fake.img"; }
  bool read_only() const override { return false; }
  uint64_t length() const override { return data_.size(); }
  void read(uint64_t offset, void* buf, uint64_t len) override {
    hold();
    fail_if_bad(offset, len, "read from");
    std::memcpy(buf, &data_[offset], len);
  }
  void write(uint64_t offset, const void* buf, uint64_t len) override {
    hold();
    fail_if_bad(offset, len, "write to");
    std::memcpy(&data_[offset], buf, len);
  }
  void flush() override { flushes++; }
  void truncate(uint64_t) override {}
  BlockStatus block_status(uint64_t, uint64_t len) override {
    BlockStatus st;
    st.length = len;
    st.allocated = st.data = true;
    return st;
  }
  ImageInfo info() const override { return {}; }

  std::atomic<int> flushes{0};
  uint64_t bad_offset = ~0ull;  // requests touching this byte fail with EIO
  bool throw_non_std = false;   // fail with something that is not a std::exception
  std::shared_future<void> gate;
  std::atomic<bool> holding{false};

 private:
  void hold() {
    if (!gate.valid()) return;
    holding = true;
    gate.wait();
    holding = false;
  }
  void fail_if_bad(uint64_t offset, uint64_t len, const char* what) {
    if (bad_offset < offset || bad_offset >= offset + len) return;
    if (throw_non_std) throw 42;
    throw BlockError(std::string("Could not ") + what + " 'fake.img': " + std::strerror(EIO));
  }
  std::vector<uint8_t> data_;
};

struct Fixture {
  explicit Fixture(uint64_t size = 1 << 20, CacheMode cache = CacheMode::kWriteback) {
    auto d = std::make_unique<FakeDriver>(size);
    fake = d.get();
    blk = std::make_unique<BlockBackend>(std::move(d), cache);
    blk->attach_main_loop(&loop);
  }
  // Runs the loop until `done` holds (completions arrive through it); the
  // bound (about a minute) only turns a hang into a failure.
  template <typename Pred>
  void run_until(Pred done) {
    for (int spins = 0; spins < 600000 && !done(); spins++) {
      loop.run_once(10);
      if (!done()) usleep(100);
    }
    ASSERT_TRUE(done());
  }
  MainLoop loop;
  FakeDriver* fake;
  std::unique_ptr<BlockBackend> blk;
};

TEST(AsyncIoTest, MixedRequestsRunInSubmissionOrder) {
  Fixture f;
  std::vector<std::string> log;
  std::vector<uint8_t> ones(8192, 1), twos(4096, 2), back(8192, 0xee);
  auto note = [&](const char* what) {
    return [&log, what](const std::string& err) { log.push_back(err.empty() ? what : err); };
  };
  f.blk->write_async(0, ones.data(), ones.size(), note("write1"));
  f.blk->write_zeroes_async(1024, 1024, note("zeroes"));
  f.blk->write_async(4096, twos.data(), twos.size(), note("write2"));
  f.blk->discard_async(0, 512, note("discard"));
  f.blk->flush_async(note("flush"));
  f.blk->read_async(0, back.data(), back.size(), note("read"));
  f.run_until([&] { return log.size() == 6; });
  EXPECT_EQ(log,
            (std::vector<std::string>{"write1", "zeroes", "write2", "discard", "flush", "read"}));
  // The read saw every earlier request: ones, a zeroed hole, then twos.
  EXPECT_EQ(back[0], 1);
  EXPECT_EQ(back[1024], 0);
  EXPECT_EQ(back[2047], 0);
  EXPECT_EQ(back[2048], 1);
  EXPECT_EQ(back[4096], 2);
  EXPECT_EQ(back[8191], 2);
  EXPECT_EQ(f.fake->flushes, 1);
  EXPECT_EQ(f.blk->in_flight(), 0u);
}

TEST(AsyncIoTest, CompletionsRunOnTheLoopThreadAndWorkDoesNot) {
  Fixture f;
  std::promise<void> release;
  f.fake->gate = release.get_future().share();
  std::vector<uint8_t> buf(512);
  std::thread::id completion_thread;
  bool done = false;
  f.blk->read_async(0, buf.data(), buf.size(), [&](const std::string& err) {
    EXPECT_EQ(err, "");
    completion_thread = std::this_thread::get_id();
    done = true;
  });
  // The submitter is not blocked by a slow disk: the request is held inside
  // the driver on a worker thread while this thread goes on.
  for (int i = 0; i < 100000 && !f.fake->holding; i++) std::this_thread::yield();
  EXPECT_TRUE(f.fake->holding);
  EXPECT_EQ(f.blk->in_flight(), 1u);
  f.loop.run_once(0);
  EXPECT_FALSE(done);
  release.set_value();
  f.run_until([&] { return done; });
  EXPECT_EQ(completion_thread, std::this_thread::get_id());
}

TEST(AsyncIoTest, ErrorsBecomeCompletionStatusNeverACrash) {
  Fixture f;
  f.fake->bad_offset = 70000;
  std::vector<uint8_t> buf(65536, 7);
  std::vector<std::string> errors;
  auto note = [&](const std::string& err) { errors.push_back(err); };
  f.blk->write_async(0, buf.data(), buf.size(), note);
  f.blk->write_async(65536, buf.data(), buf.size(), note);  // covers the bad byte
  f.blk->read_async(65536, buf.data(), buf.size(), note);
  f.blk->read_async(65536 * 2, buf.data(), 1, note);
  f.run_until([&] { return errors.size() == 4; });
  EXPECT_EQ(errors[3], "");
  EXPECT_EQ(errors[0], "");
  EXPECT_NE(errors[1].find("Input/output error"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("Input/output error"), std::string::npos) << errors[2];
  // The backend's queue survives whatever the driver throws.
  f.fake->throw_non_std = true;
  bool failed = false;
  f.blk->read_async(69990, buf.data(), 16, [&](const std::string& err) { failed = !err.empty(); });
  f.run_until([&] { return failed; });
  // Later requests still run.
  bool ok = false;
  f.blk->read_async(0, buf.data(), 16, [&](const std::string& err) { ok = err.empty(); });
  f.run_until([&] { return ok; });
}

TEST(AsyncIoTest, ImagesProceedInParallelAndTheQueueSurvivesDestruction) {
  // A held request on one image does not block another image.
  Fixture slow, fast;
  std::promise<void> release;
  slow.fake->gate = release.get_future().share();
  std::vector<uint8_t> a(512), b(512);
  bool slow_done = false, fast_done = false;
  slow.blk->read_async(0, a.data(), a.size(), [&](const std::string&) { slow_done = true; });
  for (int i = 0; i < 100000 && !slow.fake->holding; i++) std::this_thread::yield();
  fast.blk->read_async(0, b.data(), b.size(), [&](const std::string&) { fast_done = true; });
  fast.run_until([&] { return fast_done; });
  EXPECT_FALSE(slow_done);
  release.set_value();
  slow.run_until([&] { return slow_done; });
  EXPECT_GE(RequestQueue::worker_count(), 2u);
  // Destroying a backend runs what it still has queued.
  std::vector<uint8_t> data(4096, 9);
  int writes = 0;
  for (int i = 0; i < 16; i++)
    fast.blk->write_async(i * 4096, data.data(), data.size(),
                          [&](const std::string&) { writes++; });
  fast.blk.reset();
  fast.run_until([&] { return writes == 16; });
}

TEST(AsyncIoTest, FlushPolicyFollowsTheCacheMode) {
  struct Case {
    CacheMode mode;
    int flushes_after_two_writes_and_a_flush;
  };
  for (Case c : {Case{CacheMode::kWriteback, 1}, Case{CacheMode::kNone, 1},
                 Case{CacheMode::kUnsafe, 0}, Case{CacheMode::kWritethrough, 3},
                 // directsync: the file is opened O_DSYNC, so only the guest flush.
                 Case{CacheMode::kDirectSync, 1}}) {
    Fixture f(1 << 20, c.mode);
    std::vector<uint8_t> buf(512, 3);
    int done = 0;
    auto count = [&](const std::string& err) {
      EXPECT_EQ(err, "");
      done++;
    };
    f.blk->write_async(0, buf.data(), buf.size(), count);
    f.blk->write_async(512, buf.data(), buf.size(), count);
    f.blk->flush_async(count);
    f.run_until([&] { return done == 3; });
    EXPECT_EQ(f.fake->flushes, c.flushes_after_two_writes_and_a_flush) << int(c.mode);
  }
}

// The open flags of the descriptor that refers to `path`, from /proc.
int open_flags_of(const std::string& path) {
  char real[PATH_MAX];
  if (!realpath(path.c_str(), real)) return -1;
  for (int fd = 3; fd < 1024; fd++) {
    char link[PATH_MAX];
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(proc.c_str(), link, sizeof(link) - 1);
    if (n <= 0) continue;
    link[n] = 0;
    if (std::string(link) != real) continue;
    FILE* f = fopen(("/proc/self/fdinfo/" + std::to_string(fd)).c_str(), "r");
    if (!f) return -1;
    char line[256];
    int flags = -1;
    while (fgets(line, sizeof(line), f)) {
      if (!strncmp(line, "flags:", 6)) flags = int(strtol(line + 6, nullptr, 8));
    }
    fclose(f);
    return flags;
  }
  return -1;
}

TEST(AsyncIoTest, CacheModesSetDirectAndDsyncOnTheHostFile) {
  TempDir dir;
  for (const char* fmt : {"raw", "qcow2"}) {
    std::string path = dir.file(std::string("disk.") + fmt);
    CreateOptions co;
    co.format = fmt;
    co.size = 1 << 20;
    co.size_given = true;
    create_image(path, co);
    struct Case {
      const char* mode;
      bool direct, dsync;
    };
    for (Case c : {Case{"writeback", false, false}, Case{"unsafe", false, false},
                   Case{"none", true, false}, Case{"directsync", true, true}}) {
      BlockBackendOptions bo;
      bo.file = path;
      bo.format = fmt;
      bo.cache = *parse_cache_mode(c.mode);
      BlockBackend blk(bo);
      int flags = open_flags_of(path);
      ASSERT_GE(flags, 0) << c.mode;
      // The build tree's file system may lack O_DIRECT; then the backend
      // falls back to the page cache (with a warning) instead of failing.
      if (c.direct && !(flags & O_DIRECT)) {
        printf("note: %s has no O_DIRECT here\n", dir.path().c_str());
      } else {
        EXPECT_EQ(bool(flags & O_DIRECT), c.direct) << fmt << " " << c.mode;
      }
      EXPECT_EQ(bool(flags & O_DSYNC), c.dsync) << fmt << " " << c.mode;
      std::vector<uint8_t> data(3000, 0x11), back(3000);
      blk.write(1234, data.data(), data.size());
      blk.flush();
      blk.read(1234, back.data(), back.size());
      EXPECT_EQ(back, data) << fmt << " " << c.mode;
    }
  }
}

TEST(AsyncIoTest, NoDirectIoFallsBackWithAWarning) {
  // /dev/shm is tmpfs, which refuses O_DIRECT on older kernels.
  if (access("/dev/shm", W_OK) != 0) GTEST_SKIP() << "no /dev/shm";
  std::string path = "/dev/shm/vx86-odirect-" + std::to_string(getpid()) + ".raw";
  CreateOptions co;
  co.size = 65536;
  co.size_given = true;
  create_image(path, co);
  {
    BlockBackendOptions bo;
    bo.file = path;
    bo.cache = CacheMode::kNone;
    BlockBackend blk(bo);
    std::vector<uint8_t> data(100, 0x42), back(100);
    blk.write(7, data.data(), data.size());
    blk.read(7, back.data(), back.size());
    EXPECT_EQ(back, data);
  }
  unlink(path.c_str());
}

}  // namespace
}  // namespace vx86
