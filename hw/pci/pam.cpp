#include "hw/pci/pam.h"

#include <cstdio>

#include "core/log.h"

namespace vx86 {

namespace {

// A PAM nibble: bit 0 reads from RAM, bit 1 writes to RAM.
constexpr unsigned kPamReadOnly = 1;
constexpr unsigned kPamWriteOnly = 2;
constexpr unsigned kPamReadWrite = 3;
// Above the BIOS's alias below 1 MiB (priority 1) and RAM (0).
constexpr int kPamPriority = 2;

}  // namespace

PamShadow::~PamShadow() {
  for (Segment& seg : segments_) {
    if (seg.window->parent()) seg.window->parent()->remove_subregion(seg.window.get());
  }
}

void PamShadow::connect(MemoryRegion& system_memory, MemoryRegion& ram) {
  auto add = [&](uint64_t base, uint64_t size, unsigned reg, unsigned shift) {
    char name[32];
    std::snprintf(name, sizeof name, "pam-%05llx", static_cast<unsigned long long>(base));
    Segment seg{MemoryRegion::alias(name, &ram, base, size), reg, shift};
    seg.window->set_enabled(false);
    system_memory.add_subregion(base, seg.window.get(), kPamPriority);
    segments_.push_back(std::move(seg));
  };
  add(0xF0000, 0x10000, 0, 4);
  for (unsigned i = 0; i < 12; ++i) add(0xC0000 + i * 0x4000, 0x4000, 1 + i / 2, (i % 2) * 4);
}

void PamShadow::update(const std::array<uint8_t, kRegisters>& registers) {
  for (Segment& seg : segments_) {
    const unsigned mode = (registers[seg.reg] >> seg.shift) & 3;
    if (mode == kPamWriteOnly) {
      VX86_LOG(kLogUnimp, "pam: write-only shadow RAM (PAM%u = 0x%x) shown as ROM\n", seg.reg,
               registers[seg.reg]);
    }
    const bool enabled = mode == kPamReadOnly || mode == kPamReadWrite;
    const bool readonly = mode == kPamReadOnly;
    // Each change rebuilds the flat views: change only what changed.
    if (seg.window->readonly() != readonly) seg.window->set_readonly(readonly);
    if (seg.window->enabled() != enabled) seg.window->set_enabled(enabled);
  }
}

}  // namespace vx86
