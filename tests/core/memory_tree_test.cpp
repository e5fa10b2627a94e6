// `info mtree`: the region tree and the flat view, in QEMU's layout.
#include <gtest/gtest.h>

#include "core/memory.h"
#include "core/memory_tree.h"

namespace vx86 {
namespace {

class NullOps : public IoOps {
 public:
  uint64_t read(uint64_t, unsigned) override { return 0; }
  void write(uint64_t, uint64_t, unsigned) override {}
};

TEST(MemoryTree, TreeWithAliasesPriorityAndDisabledRegions) {
  NullOps ops;
  auto root = MemoryRegion::container("root", 1ull << 32);
  auto inner = MemoryRegion::container("inner", 0x10000);
  auto ram = MemoryRegion::ram("ram", 0x2000);
  auto dev = MemoryRegion::io("dev", 0x100, &ops);
  auto window = MemoryRegion::alias("window", inner.get(), 0x1000, 0x1000);
  auto off = MemoryRegion::io("off", 0x10, &ops);
  inner->add_subregion(0, ram.get());
  inner->add_subregion(0x8000, dev.get());
  root->add_subregion(0x100000, inner.get());
  root->add_subregion(0x200000, window.get(), 2);
  off->set_enabled(false);
  root->add_subregion(0x300000, off.get());
  AddressSpace space("mem", root.get());
  EXPECT_EQ(describe_memory_tree(space),
            "address-space: mem\n"
            "  0000000000000000-00000000ffffffff (prio 0, container): root\n"
            "    0000000000200000-0000000000200fff (prio 2, container): alias window @inner "
            "0000000000001000-0000000000001fff\n"
            "    0000000000100000-000000000010ffff (prio 0, container): inner\n"
            "      0000000000100000-0000000000101fff (prio 0, ram): ram\n"
            "      0000000000108000-00000000001080ff (prio 0, i/o): dev\n"
            "    0000000000300000-000000000030000f (prio 0, i/o): off [disabled]\n"
            "\n"
            "memory-region: inner\n"
            "  0000000000000000-000000000000ffff (prio 0, container): inner\n"
            "    0000000000000000-0000000000001fff (prio 0, ram): ram\n"
            "    0000000000008000-00000000000080ff (prio 0, i/o): dev\n");
  EXPECT_EQ(describe_flat_view(space),
            "FlatView (address-space: mem)\n"
            "  0000000000100000-0000000000101fff (prio 0, ram): ram @0000000000000000\n"
            "  0000000000108000-00000000001080ff (prio 0, i/o): dev @0000000000000000\n"
            "  0000000000200000-0000000000200fff (prio 0, ram): ram @0000000000001000\n");
}

}  // namespace
}  // namespace vx86
