// The memory API: the one boundary between CPUs and devices.
//
// A MemoryRegion is RAM, ROM, I/O (device callbacks), an alias of part of
// another region, or a container of subregions placed at offsets with
// priorities. An AddressSpace flattens a root region into sorted ranges and
// dispatches accesses to them; devices see offsets into their own region only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace vx86 {

// Callbacks of a device region. Offsets are relative to the region start;
// size is 1, 2, 4 or 8 and always within the declared limits.
class IoOps {
 public:
  virtual ~IoOps() = default;
  virtual uint64_t read(uint64_t offset, unsigned size) = 0;
  virtual void write(uint64_t offset, uint64_t value, unsigned size) = 0;
};

// Access sizes a device region accepts. Accesses wider than max_size are split
// into max_size pieces (little-endian); narrower than min_size are invalid
// (read all-ones, writes dropped, logged under guest_errors). Unaligned
// accesses are split into aligned pieces unless allow_unaligned.
struct AccessLimits {
  unsigned min_size = 1;
  unsigned max_size = 4;
  bool allow_unaligned = false;
};

// Thrown when a region is placed over a sibling of equal priority, or on
// other misuse of the API by the machine builder (never by the guest).
class MemoryMapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AddressSpace;

class MemoryRegion {
 public:
  enum class Kind { kContainer, kRam, kRom, kIo, kAlias };

  // A container of subregions; accesses to holes go to the parent's view
  // (i.e. are unassigned unless something of lower priority covers them).
  static std::unique_ptr<MemoryRegion> container(std::string name, uint64_t size);
  // Zero-filled host memory, mmap'd.
  static std::unique_ptr<MemoryRegion> ram(std::string name, uint64_t size);
  // Like RAM, but guest writes are ignored (and logged). The builder fills it
  // through host_ptr().
  static std::unique_ptr<MemoryRegion> rom(std::string name, uint64_t size);
  // A ROM whose guest writes go to write_ops instead of being dropped: a
  // flash chip's command interface (reads stay plain memory reads).
  static std::unique_ptr<MemoryRegion> rom_device(std::string name, uint64_t size,
                                                  IoOps* write_ops);
  static std::unique_ptr<MemoryRegion> io(std::string name, uint64_t size, IoOps* ops,
                                          AccessLimits limits = {});
  // A window onto [offset, offset + size) of target.
  static std::unique_ptr<MemoryRegion> alias(std::string name, MemoryRegion* target,
                                             uint64_t offset, uint64_t size);

  ~MemoryRegion();
  MemoryRegion(const MemoryRegion&) = delete;
  MemoryRegion& operator=(const MemoryRegion&) = delete;

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  Kind kind() const { return kind_; }
  bool is_ram_backed() const { return kind_ == Kind::kRam || kind_ == Kind::kRom; }
  // Host memory of RAM and ROM regions; nullptr otherwise.
  uint8_t* host_ptr() const { return host_; }
  IoOps* ops() const { return ops_; }
  const AccessLimits& limits() const { return limits_; }
  MemoryRegion* alias_target() const { return alias_target_; }
  uint64_t alias_offset() const { return alias_offset_; }

  // Places sub at offset inside this container. Throws MemoryMapError if it
  // overlaps an enabled sibling of the same priority.
  void add_subregion(uint64_t offset, MemoryRegion* sub, int priority = 0);
  // As add_subregion, but where sub would overlap an enabled sibling of the
  // same priority it is not added and the answer is false: for places a
  // guest chooses (BARs, PMBA), which must not stop vx86.
  bool try_add_subregion(uint64_t offset, MemoryRegion* sub, int priority = 0);
  void remove_subregion(MemoryRegion* sub);
  // Moves a subregion (PCI BAR programming).
  void set_offset(uint64_t offset);
  void set_enabled(bool enabled);
  bool enabled() const { return enabled_; }
  // ROM regions can be switched to RAM-like writes (shadowing); a read-only
  // alias or container makes the RAM it shows ignore writes (the chipset's
  // read-only shadow RAM).
  void set_readonly(bool readonly);
  bool readonly() const { return readonly_; }
  MemoryRegion* parent() const { return parent_; }
  uint64_t offset() const { return offset_; }
  int priority() const { return priority_; }

  const std::vector<MemoryRegion*>& subregions() const { return subregions_; }

 private:
  MemoryRegion(Kind kind, std::string name, uint64_t size);
  void check_overlap(const MemoryRegion* sub, uint64_t offset, int priority) const;
  // The enabled sibling of the same priority sub would overlap at offset, or null.
  const MemoryRegion* overlapping(const MemoryRegion* sub, uint64_t offset, int priority) const;
  void notify_changed();
  friend class AddressSpace;

  Kind kind_;
  std::string name_;
  uint64_t size_;
  uint8_t* host_ = nullptr;
  IoOps* ops_ = nullptr;
  AccessLimits limits_;
  MemoryRegion* alias_target_ = nullptr;
  uint64_t alias_offset_ = 0;
  MemoryRegion* parent_ = nullptr;
  uint64_t offset_ = 0;
  int priority_ = 0;
  bool enabled_ = true;
  bool readonly_ = false;
  std::vector<MemoryRegion*> subregions_;
  std::vector<AddressSpace*> spaces_;      // address spaces whose root this is
  std::vector<MemoryRegion*> aliased_by_;  // aliases that show this region
};

// One contiguous piece of the flattened map.
struct FlatRange {
  uint64_t start;  // address in the address space
  uint64_t size;
  MemoryRegion* region;    // a RAM, ROM or I/O leaf (aliases are resolved)
  uint64_t region_offset;  // offset of `start` inside region
  bool readonly = false;   // writes ignored: a ROM, or RAM behind a read-only alias
};

enum class MemTxResult { kOk, kUnassigned, kInvalid };

class AddressSpace {
 public:
  // Called after the flat view changes (KVM memslots, TLB flushes).
  using Listener = std::function<void(const AddressSpace&)>;

  AddressSpace(std::string name, MemoryRegion* root);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  const std::string& name() const { return name_; }
  MemoryRegion* root() const { return root_; }

  // Scalar accesses, size 1, 2, 4 or 8, little-endian, any alignment.
  // Unassigned or invalid accesses read all-ones and are logged.
  uint64_t read(uint64_t addr, unsigned size, MemTxResult* result = nullptr);
  MemTxResult write(uint64_t addr, uint64_t value, unsigned size);

  // Bulk copies (DMA, loaders, debuggers). Devices are accessed bytewise
  // where the range is not RAM.
  MemTxResult read_buffer(uint64_t addr, void* buf, std::size_t len);
  MemTxResult write_buffer(uint64_t addr, const void* buf, std::size_t len);
  // Writes ROM too (for firmware and kernel loaders).
  void load_buffer(uint64_t addr, const void* buf, std::size_t len);
  // As write_buffer, but ROM is written like RAM (a debugger's writes and
  // software breakpoints, as QEMU's address_space_write_rom).
  MemTxResult write_rom_buffer(uint64_t addr, const void* buf, std::size_t len);

  // The range containing addr, or nullptr for a hole.
  const FlatRange* lookup(uint64_t addr) const;
  // Host pointer for a RAM page (nullptr unless addr is RAM, or ROM when !for_write).
  uint8_t* host_ptr(uint64_t addr, bool for_write) const;
  const std::vector<FlatRange>& flat_view() const { return flat_; }
  uint64_t generation() const { return generation_; }

  int add_listener(Listener listener);
  void remove_listener(int id);
  // Expires when the address space is destroyed, for listeners that may
  // outlive it (they must not remove themselves then).
  std::weak_ptr<void> lifetime() const { return lifetime_; }

  // Re-flattens the map; called by the region tree when it changes.
  void rebuild();

 private:
  uint64_t access(uint64_t addr, unsigned size, bool is_write, uint64_t value, MemTxResult* result);
  uint64_t dispatch_leaf(const FlatRange& range, uint64_t addr, unsigned size, bool is_write,
                         uint64_t value, MemTxResult* result);

  std::string name_;
  MemoryRegion* root_;
  std::vector<FlatRange> flat_;
  uint64_t generation_ = 0;
  std::vector<std::pair<int, Listener>> listeners_;
  int next_listener_id_ = 0;
  std::shared_ptr<void> lifetime_ = std::make_shared<char>(0);
};

}  // namespace vx86
