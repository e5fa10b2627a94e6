#if defined(__x86_64__)

#include "tcg/jit_code_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace vx86::tcg {
namespace {

// The process's resident shared-memory pages (RssShmem in /proc/self/status).
long resident_shmem_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssShmem:", 0) == 0) return std::stol(line.substr(9));
  }
  return -1;
}

// Code written through the write view stays visible in the execute view
// after the write view's pages were dropped, later writes (as chain patches
// are) still land, and the code is resident about once, not twice.
TEST(JitCodeBuffer, TrimmedWriteViewKeepsCodeAndHalvesResidency) {
  constexpr size_t kChunk = 4000, kChunks = 2000;  // ~8 MiB: several trims
  const long shmem_before = resident_shmem_kib();
  JitCodeBuffer buffer(size_t{16} << 20);
  std::vector<const uint8_t*> chunks;
  for (size_t i = 0; i < kChunks; ++i) {
    const uint8_t* at = buffer.allocate(kChunk);
    ASSERT_NE(at, nullptr);
    std::memset(buffer.writable(at), static_cast<int>(i & 0xff), kChunk);
    chunks.push_back(at);
  }
  buffer.writable(chunks[3])[17] = 0xAB;  // a patch into an early, trimmed page
  for (size_t i = 0; i < kChunks; ++i) {
    const uint8_t want = static_cast<uint8_t>(i & 0xff);
    ASSERT_EQ(chunks[i][0], want) << i;
    ASSERT_EQ(chunks[i][kChunk - 1], want) << i;
  }
  EXPECT_EQ(chunks[3][17], 0xAB);
  if (shmem_before < 0) GTEST_SKIP() << "no RssShmem in /proc/self/status";
  const long code_kib = static_cast<long>(kChunk * kChunks / 1024);
  const long grown = resident_shmem_kib() - shmem_before;
  EXPECT_LT(grown, code_kib * 3 / 2) << "resident " << grown << " KiB for " << code_kib;
}

}  // namespace
}  // namespace vx86::tcg

#endif  // __x86_64__
