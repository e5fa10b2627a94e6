#include "core/memory_tree.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

namespace vx86 {

namespace {

const char* kind_name(const MemoryRegion& mr) {
  switch (mr.kind()) {
    case MemoryRegion::Kind::kRam:
      return "ram";
    case MemoryRegion::Kind::kRom:
      return mr.readonly() ? "rom" : "ram";  // a shadowed ROM takes writes
    case MemoryRegion::Kind::kIo:
      return "i/o";
    case MemoryRegion::Kind::kAlias:
    case MemoryRegion::Kind::kContainer:
      break;
  }
  return "container";
}

std::string range(uint64_t start, uint64_t size) {
  char buf[48];
  // UINT64_MAX stands for the whole 2^64 space.
  const uint64_t last = size == 0 ? start : size == UINT64_MAX ? UINT64_MAX : start + (size - 1);
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 "-%016" PRIx64, start, last);
  return buf;
}

// Prints mr and what it contains; containers that aliases show are gathered
// in aliased (printed after, as QEMU's "memory-region:" sections).
void print_region(const MemoryRegion& mr, uint64_t base, int depth, std::string& out,
                  std::vector<const MemoryRegion*>& aliased) {
  std::string line(static_cast<std::size_t>(2 * depth), ' ');
  line += range(base, mr.size()) + " (prio " + std::to_string(mr.priority()) + ", ";
  if (mr.kind() == MemoryRegion::Kind::kAlias) {
    const MemoryRegion& target = *mr.alias_target();
    line += std::string(kind_name(target)) + "): alias " + mr.name() + " @" + target.name() + " " +
            range(mr.alias_offset(), mr.size());
    if (target.kind() == MemoryRegion::Kind::kContainer &&
        std::find(aliased.begin(), aliased.end(), &target) == aliased.end()) {
      aliased.push_back(&target);
    }
  } else {
    line += std::string(kind_name(mr)) + "): " + mr.name();
  }
  if (!mr.enabled()) line += " [disabled]";
  out += line + "\n";
  // Higher priority first, then by address, as QEMU lists them.
  std::vector<const MemoryRegion*> subs(mr.subregions().begin(), mr.subregions().end());
  std::stable_sort(subs.begin(), subs.end(), [](const MemoryRegion* a, const MemoryRegion* b) {
    if (a->priority() != b->priority()) return a->priority() > b->priority();
    return a->offset() < b->offset();
  });
  for (const MemoryRegion* sub : subs)
    print_region(*sub, base + sub->offset(), depth + 1, out, aliased);
}

}  // namespace

std::string describe_memory_tree(const AddressSpace& space) {
  std::string out = "address-space: " + space.name() + "\n";
  std::vector<const MemoryRegion*> aliased;
  print_region(*space.root(), 0, 1, out, aliased);
  // The containers aliases show, each once (printing one may find more).
  for (std::size_t i = 0; i < aliased.size(); ++i) {
    out += "\nmemory-region: " + aliased[i]->name() + "\n";
    print_region(*aliased[i], 0, 1, out, aliased);
  }
  return out;
}

std::string describe_flat_view(const AddressSpace& space) {
  std::string out = "FlatView (address-space: " + space.name() + ")\n";
  for (const FlatRange& r : space.flat_view()) {
    char offset[32];
    std::snprintf(offset, sizeof(offset), " @%016" PRIx64, r.region_offset);
    out += "  " + range(r.start, r.size) + " (prio " + std::to_string(r.region->priority()) + ", " +
           kind_name(*r.region) + "): " + r.region->name() + offset + "\n";
  }
  return out;
}

}  // namespace vx86
