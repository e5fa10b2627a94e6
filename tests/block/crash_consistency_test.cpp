// Crash consistency: block_crash_writer (tests/block/crash_writer.cpp) is
// killed with SIGKILL at random moments, 50 times over four image layouts.
// After every kill `qemu-img check` must find no corruption (leaks are
// allowed, as qemu-img allows them, and are reported), and every sector must
// hold what it held at the last completed flush or what a later request
// wrote: data flushed before the kill always reads back.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "tests/block/block_test_util.h"
#include "tests/block/crash_sector.h"

namespace vx86 {
namespace {

using test::run;
using test::TempDir;

constexpr uint64_t kImageSize = 16 << 20;
constexpr uint64_t kSectors = kImageSize / kCrashSector;

struct Layout {
  const char* name;
  std::string create_options;
  bool backing;
  bool compress;
  bool unsafe;  // cache=unsafe: no fdatasync, many more requests per round
  int rounds;
};

// Starts the writer; returns its pid and a pipe from its stdout.
// kill_at > 0: the writer kills itself before its kill_at-th host write.
pid_t spawn_writer(const std::string& image, const std::string& journal, uint64_t seed,
                   const Layout& layout, long kill_at, int* out_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::string s = std::to_string(seed);
    std::string k = "killat=" + std::to_string(kill_at);
    execl(CRASH_WRITER_PATH, CRASH_WRITER_PATH, image.c_str(), journal.c_str(), s.c_str(),
          layout.compress ? "compress" : "plain", layout.unsafe ? "unsafe" : "writeback", k.c_str(),
          nullptr);
    _exit(127);
  }
  close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

// Applies the journal to the model up to its last "F"; the requests after it
// may or may not have reached the image, so each sector they touch may also
// hold what they wrote.
// Returns the number of requests in the journal.
size_t replay_journal(const std::string& path, std::vector<uint64_t>& model,
                      std::map<uint64_t, std::vector<uint64_t>>& maybe) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t last_flush = 0;
  for (size_t i = 0; i < lines.size(); i++) {
    if (lines[i] == "F") last_flush = i + 1;
  }
  for (size_t i = 0; i < lines.size(); i++) {
    char op = 0;
    unsigned long long first = 0, count = 0, gen = 0;
    if (lines[i] == "F") continue;
    int n = sscanf(lines[i].c_str(), "%c %llu %llu %llu", &op, &first, &count, &gen);
    EXPECT_GE(n, 3) << lines[i];
    if (op == 'Z') gen = 0;
    for (uint64_t s = first; s < first + count && s < model.size(); s++) {
      if (i < last_flush) {
        model[s] = gen;
      } else {
        maybe[s].push_back(gen);
      }
    }
  }
  return lines.size();
}

TEST(CrashConsistencyTest, SigkillFiftyTimesLeavesConsistentImages) {
  REQUIRE_QEMU_IMG();
  const std::vector<Layout> layouts = {
      {"v3 64k", "cluster_size=65536", false, false, false, 13},
      {"v3 4k on a backing file, cache=unsafe", "cluster_size=4096", true, false, true, 13},
      {"v3 zstd compressed on a backing file, cache=unsafe",
       "cluster_size=65536,compression_type=zstd", true, true, true, 12},
      {"v2 16k zlib compressed", "cluster_size=16384,compat=0.10", false, true, false, 12},
  };
  std::mt19937 rng(20261122);
  int kills = 0;
  for (const Layout& layout : layouts) {
    SCOPED_TRACE(layout.name);
    TempDir dir;
    std::string image = dir.file("disk.qcow2");
    std::string create = std::string(test::kQemuImg) + " create -q -f qcow2 -o " +
                         layout.create_options + " '" + image + "'";
    std::vector<uint64_t> model(kSectors, 0);
    if (layout.backing) {
      std::vector<uint8_t> base(kImageSize);
      for (uint64_t s = 0; s < kSectors; s++) fill_crash_sector(&base[s * kCrashSector], s, 1);
      test::write_file(dir.file("base.raw"), base);
      create += " -b base.raw -F raw";
      std::fill(model.begin(), model.end(), 1);
    } else {
      create += " " + std::to_string(kImageSize);
    }
    auto created = run(create);
    ASSERT_EQ(created.status, 0) << created.out;
    uint64_t total_leaks = 0, requests = 0;
    for (int round = 0; round < layout.rounds; round++) {
      SCOPED_TRACE("round " + std::to_string(round));
      std::string journal = dir.file("journal" + std::to_string(round));
      int out = -1;
      // Odd rounds: the writer dies before a random host write of its own.
      // Even rounds: killed from here after a random time (also inside a
      // system call, which can leave a large write partly done).
      bool self_kill = round % 2 == 1;
      long kill_at = self_kill ? long(1 + rng() % 1500) : 0;
      pid_t pid = spawn_writer(image, journal, rng() & 0xffff, layout, kill_at, &out);
      ASSERT_GT(pid, 0);
      if (!self_kill) {
        // Mostly kill while writing; sometimes during open.
        if (rng() % 8 != 0) {
          char buf[16];
          ssize_t n = read(out, buf, sizeof(buf));
          (void)n;
        }
        usleep(1000 + rng() % 60000);
        kill(pid, SIGKILL);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      close(out);
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "writer exited early with status " << WEXITSTATUS(status);
      kills++;

      std::string report = dir.file("check.json");
      // Its messages (one per leak) go to stderr, the JSON to the report.
      auto check = run("(" + std::string(test::kQemuImg) + " check --output=json -f qcow2 '" +
                       image + "' >'" + report + "')");
      ASSERT_TRUE(check.status == 0 || check.status == 3) << check.out;
      auto j = nlohmann::json::parse(test::read_file(report));
      EXPECT_EQ(j.value("corruptions", 0), 0) << check.out;
      total_leaks += j.value("leaks", 0);

      std::map<uint64_t, std::vector<uint64_t>> maybe;
      requests += replay_journal(journal, model, maybe);
      auto conv = run(std::string(test::kQemuImg) + " convert -f qcow2 -O raw '" + image + "' '" +
                      dir.file("flat.raw") + "'");
      ASSERT_EQ(conv.status, 0) << conv.out;
      auto flat = test::read_file(dir.file("flat.raw"));
      ASSERT_EQ(flat.size(), kImageSize);
      int bad = 0;
      for (uint64_t s = 0; s < kSectors; s++) {
        auto gen = crash_sector_gen(&flat[s * kCrashSector], s);
        bool ok = gen && (*gen == model[s] ||
                          (maybe.count(s) &&
                           std::find(maybe[s].begin(), maybe[s].end(), *gen) != maybe[s].end()));
        if (!ok && bad++ < 5) {
          ADD_FAILURE() << "sector " << s << " holds "
                        << (gen ? std::to_string(*gen) : std::string("a torn sector"))
                        << ", expected " << model[s] << " or a later write";
        }
        if (gen) model[s] = *gen;  // the next round starts from what is there
      }
      ASSERT_EQ(bad, 0);
      if (round % 5 == 4) {
        // Our repair of the leaks must satisfy qemu-img too.
        auto repair = run(std::string(test::kVx86Img) + " check -q -r leaks '" + image + "'");
        EXPECT_EQ(repair.status, 0) << repair.out;
        auto again = run(std::string(test::kQemuImg) + " check -q -f qcow2 '" + image + "'");
        EXPECT_EQ(again.status, 0) << again.out;
      }
    }
    printf("%s: %d kills, %llu requests, %llu leaked clusters reported by qemu-img check\n",
           layout.name, layout.rounds, (unsigned long long)requests,
           (unsigned long long)total_leaks);
  }
  EXPECT_EQ(kills, 50);
}

}  // namespace
}  // namespace vx86
