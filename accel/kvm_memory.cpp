#include "accel/kvm_memory.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "accel/accel.h"
#include "core/memory.h"

namespace vx86::kvm {

std::vector<MemorySlot> slots_for(const AddressSpace& space) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::vector<MemorySlot> out;
  for (const FlatRange& r : space.flat_view()) {
    MemoryRegion* mr = r.region;
    if (!mr->is_ram_backed() || !mr->host_ptr()) continue;
    const uint64_t host = reinterpret_cast<uint64_t>(mr->host_ptr()) + r.region_offset;
    // KVM wants the guest address, host address and size page-aligned, with
    // guest and host addresses at the same offset in the page.
    uint64_t start = (r.start + page - 1) & ~(page - 1);
    uint64_t end = (r.start + r.size) & ~(page - 1);
    if (end <= start) continue;
    uint64_t host_start = host + (start - r.start);
    if (host_start % page) continue;
    MemorySlot s;
    s.guest_phys = start;
    s.size = end - start;
    s.host_addr = host_start;
    s.readonly = r.readonly;
    // Adjacent ranges of one region make one slot (fewer slots to manage).
    if (!out.empty()) {
      MemorySlot& prev = out.back();
      if (prev.guest_phys + prev.size == s.guest_phys &&
          prev.host_addr + prev.size == s.host_addr && prev.readonly == s.readonly) {
        prev.size += s.size;
        continue;
      }
    }
    out.push_back(s);
  }
  return out;
}

MemorySlots::MemorySlots(int vm_fd, unsigned max_slots, bool readonly_supported)
    : vm_fd_(vm_fd), max_slots_(max_slots), readonly_supported_(readonly_supported) {
  for (unsigned id = max_slots_; id-- > 0;) free_ids_.push_back(id);
}

MemorySlots::~MemorySlots() {
  if (space_ && listener_ >= 0 && !space_lifetime_.expired()) space_->remove_listener(listener_);
}

void MemorySlots::attach(AddressSpace& space) {
  if (space_ && !space_lifetime_.expired()) {
    if (space_ != &space) throw AccelError("kvm: every vCPU must share one memory address space");
    return;
  }
  space_ = &space;
  space_lifetime_ = space.lifetime();
  update(space);
  listener_ = space.add_listener([this](const AddressSpace& s) {
    // A map change comes from a device, on any thread: there is no caller
    // to report to, and a guest without its memory cannot go on.
    try {
      update(s);
    } catch (const AccelError& e) {
      std::fprintf(stderr, "vx86: %s\n", e.what());
      std::_Exit(1);
    }
  });
}

void MemorySlots::set_slot(unsigned id, const MemorySlot& slot, bool remove) {
  kvm_userspace_memory_region region{};
  region.slot = id;
  region.guest_phys_addr = slot.guest_phys;
  region.memory_size = remove ? 0 : slot.size;
  region.userspace_addr = slot.host_addr;
  region.flags = slot.readonly ? KVM_MEM_READONLY : 0;
  if (ioctl(vm_fd_, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
    char where[96];
    std::snprintf(where, sizeof(where), "guest 0x%llx, 0x%llx bytes",
                  static_cast<unsigned long long>(slot.guest_phys),
                  static_cast<unsigned long long>(slot.size));
    throw AccelError(std::string("kvm: KVM_SET_USER_MEMORY_REGION failed for ") + where + ": " +
                     std::strerror(errno));
  }
}

void MemorySlots::update(const AddressSpace& space) {
  std::lock_guard g(lock_);
  std::vector<MemorySlot> wanted = slots_for(space);
  if (!readonly_supported_) {
    // Without read-only slots, ROM is left to MMIO exits (KVM cannot run
    // code from there, so firmware in ROM needs KVM_CAP_READONLY_MEM).
    std::erase_if(wanted, [](const MemorySlot& s) { return s.readonly; });
  }
  std::set<MemorySlot> wanted_set(wanted.begin(), wanted.end());
  // Remove first: KVM refuses overlapping slots.
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (wanted_set.count(it->first)) {
      ++it;
      continue;
    }
    set_slot(it->second, it->first, true);
    free_ids_.push_back(it->second);
    it = slots_.erase(it);
  }
  for (const MemorySlot& s : wanted) {
    if (slots_.count(s)) continue;
    if (free_ids_.empty()) {
      throw AccelError("kvm: the memory map needs more than " + std::to_string(max_slots_) +
                       " KVM memory slots");
    }
    unsigned id = free_ids_.back();
    free_ids_.pop_back();
    set_slot(id, s, false);
    slots_[s] = id;
  }
}

}  // namespace vx86::kvm
