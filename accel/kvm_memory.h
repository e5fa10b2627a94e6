// KVM memory slots made from an address space's RAM and ROM ranges, and
// recomputed whenever the flat view changes (ROM shadowing, PCI BARs, the
// A20 alias...). What is not in a slot (device regions, pieces that are not
// page-aligned) reaches the vCPU as an MMIO exit and goes through the same
// AddressSpace dispatch as TCG's slow path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

namespace vx86 {
class AddressSpace;
}

namespace vx86::kvm {

struct MemorySlot {
  uint64_t guest_phys = 0;
  uint64_t size = 0;
  uint64_t host_addr = 0;
  bool readonly = false;
  auto key() const { return std::tie(guest_phys, size, host_addr, readonly); }
  bool operator<(const MemorySlot& o) const { return key() < o.key(); }
  bool operator==(const MemorySlot& o) const { return key() == o.key(); }
};

// The slots a flat view needs: every RAM/ROM range trimmed to whole host
// pages; ROM that is not shadowed is read-only.
std::vector<MemorySlot> slots_for(const AddressSpace& space);

class MemorySlots {
 public:
  MemorySlots(int vm_fd, unsigned max_slots, bool readonly_supported);
  ~MemorySlots();
  MemorySlots(const MemorySlots&) = delete;
  MemorySlots& operator=(const MemorySlots&) = delete;

  // Maps the space now and follows its changes until destroyed.
  void attach(AddressSpace& space);
  size_t count() const { return slots_.size(); }

 private:
  void update(const AddressSpace& space);
  void set_slot(unsigned id, const MemorySlot& slot, bool remove);

  int vm_fd_;
  unsigned max_slots_;
  bool readonly_supported_;
  AddressSpace* space_ = nullptr;
  std::weak_ptr<void> space_lifetime_;  // the address space may go first (tests)
  int listener_ = -1;
  std::mutex lock_;
  std::map<MemorySlot, unsigned> slots_;  // slot -> KVM slot number
  std::vector<unsigned> free_ids_;
};

}  // namespace vx86::kvm
