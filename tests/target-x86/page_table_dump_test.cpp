// `info mem` and `info tlb` for the paging modes the monitor test's guest
// (long mode, compared with QEMU in MonitorDebugTest) does not use: 32-bit
// paging with 4 MiB pages and PAE, laid out as QEMU lays them out.
#include "target-x86/page_table_dump.h"

#include <gtest/gtest.h>

#include <map>

namespace vx86 {
namespace {

class PageTableDumpTest : public ::testing::Test {
 protected:
  PageTableDumpTest() {
    cpu_.cr0 = kCr0PE | kCr0PG;
    cpu_.cr3 = 0x1000;
  }
  PhysicalReader reader() const {
    return [this](uint64_t paddr, unsigned size) -> uint64_t {
      auto it = memory_.find(paddr);
      const uint64_t value = it == memory_.end() ? 0 : it->second;
      return size == 4 ? value & 0xffffffffu : value;
    };
  }
  CpuState cpu_{};
  std::map<uint64_t, uint64_t> memory_;  // entry address -> entry
};

TEST_F(PageTableDumpTest, ThirtyTwoBitPagingWithLargePages) {
  cpu_.cr4 = 1u << 4;                 // PSE
  memory_[0x1000] = 0x2000 | 7;       // PDE 0: a table, user, writable
  memory_[0x2000] = 0x5000 | 1;       // read-only supervisor page
  memory_[0x2004] = 0x6000 | 0x67;    // user, writable, accessed, dirty
  memory_[0x1004] = 0x400000 | 0x83;  // PDE 1: a 4 MiB page
  EXPECT_EQ(describe_page_mappings(cpu_, reader()),
            "0000000000000000-0000000000001000 0000000000001000 -r-\n"
            "0000000000001000-0000000000002000 0000000000001000 urw\n"
            "0000000000400000-0000000000800000 0000000000400000 -rw\n");
  EXPECT_EQ(describe_page_table_entries(cpu_, reader()),
            "0000000000000000: 0000000000005000 ---------\n"
            "0000000000001000: 0000000000006000 ---DA--UW\n"
            "0000000000400000: 0000000000400000 --P-----W\n");
}

TEST_F(PageTableDumpTest, PaeWithTwoMegabytePagesAndNoExecute) {
  cpu_.cr4 = 1u << 5;                       // PAE
  memory_[0x1000] = 0x2000 | 1;             // PDPTE 0
  memory_[0x2000] = 0x3000 | 7;             // PDE 0: a table
  memory_[0x2008] = 0x8000000000200083ull;  // PDE 1: 2 MiB, no-execute
  memory_[0x3000 + 3 * 8] = 0x7000 | 3;     // PTE 3
  EXPECT_EQ(describe_page_mappings(cpu_, reader()),
            "0000000000003000-0000000000004000 0000000000001000 -rw\n"
            "0000000000200000-0000000000400000 0000000000200000 -rw\n");
  EXPECT_EQ(describe_page_table_entries(cpu_, reader()),
            "0000000000003000: 0000000000007000 --------W\n"
            "0000000000200000: 8000000000200000 X-P-----W\n");
}

TEST_F(PageTableDumpTest, WithoutPagingThereIsNothingToShow) {
  cpu_.cr0 = kCr0PE;
  EXPECT_EQ(describe_page_mappings(cpu_, reader()), "PG disabled\n");
  EXPECT_EQ(describe_page_table_entries(cpu_, reader()), "PG disabled\n");
}

}  // namespace
}  // namespace vx86
