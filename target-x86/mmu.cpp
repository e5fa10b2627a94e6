#include "target-x86/mmu.h"

#include <cstring>

#include "core/log.h"
#include "target-x86/exceptions.h"
#include "target-x86/page_table_bits.h"

namespace vx86::x86 {

namespace {

constexpr unsigned kPhysBits = 40;  // what CPUID 0x80000008 advertises
constexpr uint64_t kPhysAddrMask = ((1ull << kPhysBits) - 1) & ~0xfffull;
// Bits between MAXPHYADDR and 51 are reserved in PAE and 4-level entries.
constexpr uint64_t kReservedHighBits = ((1ull << 52) - 1) & ~((1ull << kPhysBits) - 1);

constexpr uint64_t kCr0WP = 1ull << 16;
constexpr uint64_t kCr4PGE = 1ull << 7;
constexpr uint64_t kCr4SMEP = 1ull << 20;
constexpr uint64_t kCr4SMAP = 1ull << 21;

}  // namespace

Mmu::Mmu(CpuState& cpu, AddressSpace& memory) : cpu_(cpu), memory_(memory) {}

uint64_t Mmu::read_phys(uint64_t paddr, unsigned size) {
  paddr &= cpu_.a20_mask;
  // Page walks read entries from RAM, mostly from one region: keep its
  // host mapping while the address space's layout stays the same.
  RamWindow& w = read_window_;
  if (w.generation != memory_.generation() || paddr - w.start >= w.size ||
      w.size - (paddr - w.start) < size) {
    const FlatRange* r = memory_.lookup(paddr);
    if (!r || !r->region->host_ptr()) return memory_.read(paddr, size);
    w = {r->start, r->size, r->region->host_ptr() + r->region_offset, memory_.generation()};
    if (w.size - (paddr - w.start) < size) return memory_.read(paddr, size);
  }
  uint64_t value = 0;
  std::memcpy(&value, w.host + (paddr - w.start), size);
  return value;
}

void Mmu::write_phys(uint64_t paddr, uint64_t value, unsigned size) {
  memory_.write(paddr & cpu_.a20_mask, value, size);
}

bool Mmu::canonical(uint64_t vaddr) const {
  return static_cast<uint64_t>(static_cast<int64_t>(vaddr << 16) >> 16) == vaddr;
}

template <typename Keep>
void Mmu::clear_filled(Keep keep) {
  // Compacted in place: one flush per MOV CR3, so no allocation here.
  size_t kept = 0;
  for (TlbEntry* e : filled_) {
    if (keep(*e)) {
      filled_[kept++] = e;
    } else {
      *e = TlbEntry{};
      fast_of(*e) = FastTlbEntry{};
    }
  }
  filled_.resize(kept);
}

void Mmu::flush_all() {
  clear_filled([](const TlbEntry&) { return false; });
  if (on_flush_) on_flush_(kAllPages);
}

void Mmu::drop_fast_writes(uint64_t ppage) {
  for (TlbEntry* e : filled_) {
    if (e->vpage != ~0ull && (e->ppage & cpu_.a20_mask) == ppage) fast_of(*e).write_tag = ~0ull;
  }
}

void Mmu::set_fast_tags(const TlbEntry& e, unsigned mem_index) {
  FastTlbEntry& fast = fast_of(e);
  fast = FastTlbEntry{};
  if (!e.host) return;  // MMIO: always the slow path
  // SMAP depends on EFLAGS.AC, which changes without a TLB flush.
  if (mem_index != kMemUser && e.user_page && (cpu_.cr4 & kCr4SMAP) && (cpu_.cr0 & kCr0PG)) return;
  fast.addend = reinterpret_cast<uintptr_t>(e.host) - (e.vpage << 12);
  if (e.readable && !watched_page(e.vpage, false)) fast.read_tag = e.vpage;
  if (e.writable && !e.rom && !(has_code_ && has_code_(e.ppage & cpu_.a20_mask)) &&
      !watched_page(e.vpage, true)) {
    fast.write_tag = e.vpage;
  }
}

bool Mmu::watched_page(uint64_t vpage, bool write) const {
  for (unsigned i = 0; i < watches_.size(); ++i) {
    const DataWatch& w = watches_[i];
    if (!(watches_enabled_ & (1u << i)) || (w.writes_only && !write) || (w.reads_only && write))
      continue;
    if (vpage >= (w.start >> 12) && vpage <= ((w.end - 1) >> 12)) return true;
  }
  return false;
}

void Mmu::set_data_watches(const DataWatches& watches, unsigned enabled) {
  bool same = enabled == watches_enabled_;
  for (unsigned i = 0; same && i < watches.size(); ++i) {
    if (!(enabled & (1u << i))) continue;
    same = watches[i].start == watches_[i].start && watches[i].end == watches_[i].end &&
           watches[i].writes_only == watches_[i].writes_only &&
           watches[i].reads_only == watches_[i].reads_only;
  }
  if (same) return;
  watches_ = watches;
  watches_enabled_ = enabled;
  flush_all();  // fast-path tags must now leave the watched pages alone
}

// Records (or, inside a block, turns into a restart) an access that
// overlaps an armed data breakpoint. Returns false for a restart.
bool Mmu::check_watches(uint64_t vaddr, unsigned size, Access access) {
  uint32_t hits = 0;
  for (unsigned i = 0; i < watches_.size(); ++i) {
    const DataWatch& w = watches_[i];
    const bool write = access == Access::kWrite;
    if (!(watches_enabled_ & (1u << i)) || (w.writes_only && !write) || (w.reads_only && write))
      continue;
    if (vaddr < w.end && vaddr + size > w.start) hits |= 1u << i;
  }
  if (!hits) return true;
  if (watch_restart_) {
    cpu_.exception_vector = kExcpWatchRestart;
    return false;
  }
  watch_hits_ |= hits;
  return true;
}

void Mmu::flush_nonglobal() {
  bool keep_global = (cpu_.cr4 & kCr4PGE) != 0;
  clear_filled([&](const TlbEntry& e) { return keep_global && e.global && e.vpage != ~0ull; });
  if (on_flush_) on_flush_(keep_global ? kNonGlobalPages : kAllPages);
}

void Mmu::flush_page(uint64_t vaddr) {
  uint64_t vpage = vaddr >> 12;
  // Large pages are cached per 4K page, so one slot per index is enough.
  for (auto& t : tlb_) {
    TlbEntry& e = t[vpage % kTlbSize];
    if (e.vpage == vpage) {
      e = TlbEntry{.listed = e.listed};  // still in filled_
      fast_of(e) = FastTlbEntry{};
    }
  }
  if (on_flush_) on_flush_(vaddr);
}

void Mmu::raise_page_fault(uint64_t vaddr, Access access, unsigned mem_index, bool present,
                           bool reserved) {
  uint32_t error = 0;
  if (present) error |= 1u << 0;
  if (access == Access::kWrite) error |= 1u << 1;
  if (mem_index == kMemUser) error |= 1u << 2;
  if (reserved) error |= 1u << 3;
  if (access == Access::kFetch && ((cpu_.efer & kEferNXE) || (cpu_.cr4 & kCr4SMEP))) {
    error |= 1u << 4;
  }
  if (!debugger_walk_) {
    VX86_LOG(kLogMmu, "mmu: #PF at 0x%llx error 0x%x\n", static_cast<unsigned long long>(vaddr),
             error);
  }
  set_pending_exception(cpu_, kExcPF, error, true);
  cpu_.exception_cr2 = vaddr;
}

void Mmu::raise_gp0() {
  set_pending_exception(cpu_, kExcGP, 0, true);
}

bool Mmu::walk(uint64_t vaddr, Access access, unsigned mem_index, TlbEntry* entry) {
  ++stats_.walks;
  entry->vpage = vaddr >> 12;
  entry->global = false;
  if (!(cpu_.cr0 & kCr0PG)) {
    entry->ppage = (vaddr & ~0xfffull) & 0xffffffffull;
    entry->readable = entry->writable = entry->executable = true;
    entry->user_page = true;
    return true;
  }
  const bool user = mem_index == kMemUser;
  const bool nxe = (cpu_.efer & kEferNXE) != 0;
  const bool pae = (cpu_.cr4 & kCr4PAE) != 0;
  const bool lma = (cpu_.efer & kEferLMA) != 0;
  bool rw = true, us = true, nx = false;
  uint64_t leaf = 0, leaf_addr = 0, page_base = 0;
  unsigned leaf_size = 8;
  uint64_t page_mask = 0xfff;  // offset bits within the page

  // Reads one entry, checks present and reserved bits, sets A, accumulates rights.
  auto step = [&](uint64_t addr, unsigned size, uint64_t reserved_mask, bool* ok) -> uint64_t {
    uint64_t e = read_phys(addr, size);
    if (!(e & kPteP)) {
      raise_page_fault(vaddr, access, mem_index, false, false);
      *ok = false;
      return 0;
    }
    if (size == 8 && !nxe) reserved_mask |= kPteNX;
    if (e & reserved_mask) {
      raise_page_fault(vaddr, access, mem_index, true, true);
      *ok = false;
      return 0;
    }
    rw = rw && (e & kPteRW);
    us = us && (e & kPteUS);
    nx = nx || (size == 8 && nxe && (e & kPteNX));
    if (!(e & kPteA) && !debugger_walk_) write_phys(addr, e | kPteA, size == 8 ? 4 : size);
    *ok = true;
    return e | kPteA;
  };

  bool ok = true;
  if (pae) {
    uint64_t table;
    if (lma) {
      if (!canonical(vaddr)) {
        raise_gp0();
        return false;
      }
      uint64_t pml4e_addr = (cpu_.cr3 & kPhysAddrMask) + ((vaddr >> 39) & 0x1ff) * 8;
      uint64_t pml4e = step(pml4e_addr, 8, kReservedHighBits | kPtePS, &ok);
      if (!ok) return false;
      uint64_t pdpte_addr = (pml4e & kPhysAddrMask) + ((vaddr >> 30) & 0x1ff) * 8;
      uint64_t pdpte = step(pdpte_addr, 8, kReservedHighBits, &ok);
      if (!ok) return false;
      if (pdpte & kPtePS) {
        if (pdpte & 0x3fffe000ull) {  // bits 29:13 reserved in a 1G entry
          raise_page_fault(vaddr, access, mem_index, true, true);
          return false;
        }
        leaf = pdpte, leaf_addr = pdpte_addr, page_mask = (1ull << 30) - 1;
        page_base = pdpte & kPhysAddrMask & ~page_mask;
      }
      table = pdpte & kPhysAddrMask;
    } else {
      // PAE PDPTEs: no R/W, U/S or A bits; bits 2:1 and 8:5 are reserved.
      uint64_t pdpte_addr = (cpu_.cr3 & 0xffffffe0ull) + ((vaddr >> 30) & 3) * 8;
      uint64_t pdpte = read_phys(pdpte_addr, 8);
      if (!(pdpte & kPteP)) {
        raise_page_fault(vaddr, access, mem_index, false, false);
        return false;
      }
      if (pdpte & (kReservedHighBits | 0x1e6ull | kPteNX)) {
        raise_page_fault(vaddr, access, mem_index, true, true);
        return false;
      }
      table = pdpte & kPhysAddrMask;
    }
    if (page_mask == 0xfff) {
      uint64_t pde_addr = table + ((vaddr >> 21) & 0x1ff) * 8;
      uint64_t pde = step(pde_addr, 8, kReservedHighBits, &ok);
      if (!ok) return false;
      if (pde & kPtePS) {
        if (pde & 0x1fe000ull) {  // bits 20:13 reserved in a 2M entry
          raise_page_fault(vaddr, access, mem_index, true, true);
          return false;
        }
        leaf = pde, leaf_addr = pde_addr, page_mask = (1ull << 21) - 1;
        page_base = pde & kPhysAddrMask & ~page_mask;
      } else {
        uint64_t pte_addr = (pde & kPhysAddrMask) + ((vaddr >> 12) & 0x1ff) * 8;
        uint64_t pte = step(pte_addr, 8, kReservedHighBits, &ok);
        if (!ok) return false;
        leaf = pte, leaf_addr = pte_addr;
        page_base = pte & kPhysAddrMask;
      }
    }
  } else {
    leaf_size = 4;
    vaddr &= 0xffffffffull;
    uint64_t pde_addr = (cpu_.cr3 & 0xfffff000ull) + ((vaddr >> 22) & 0x3ff) * 4;
    uint64_t pde = step(pde_addr, 4, 0, &ok);
    if (!ok) return false;
    if ((pde & kPtePS) && (cpu_.cr4 & kCr4PSE)) {
      if (pde & (1ull << 21)) {  // bit 21 reserved in a 4M entry (PSE-36, 40-bit)
        raise_page_fault(vaddr, access, mem_index, true, true);
        return false;
      }
      leaf = pde, leaf_addr = pde_addr, page_mask = (1ull << 22) - 1;
      page_base = (pde & 0xffc00000ull) | (((pde >> 13) & 0xff) << 32);
    } else {
      uint64_t pte_addr = (pde & 0xfffff000ull) + ((vaddr >> 12) & 0x3ff) * 4;
      uint64_t pte = step(pte_addr, 4, 0, &ok);
      if (!ok) return false;
      leaf = pte, leaf_addr = pte_addr;
      page_base = pte & 0xfffff000ull;
    }
  }

  // Rights for this privilege.
  const bool wp = (cpu_.cr0 & kCr0WP) != 0;
  bool can_read = user ? us : true;
  bool can_write = user ? (us && rw) : (rw || !wp);
  bool can_exec = !nx && (user ? us : !(us && (cpu_.cr4 & kCr4SMEP)));
  entry->user_page = us;
  entry->global = (leaf & kPteG) && (cpu_.cr4 & kCr4PGE);
  entry->ppage = (page_base | (vaddr & page_mask)) & ~0xfffull;

  bool allowed = access == Access::kRead    ? can_read
                 : access == Access::kWrite ? can_write
                                            : can_exec;
  bool smap_fault = false;
  TlbEntry probe = *entry;
  probe.readable = can_read, probe.writable = can_write, probe.executable = can_exec;
  if (allowed && !check_rights(probe, access, mem_index, &smap_fault)) allowed = false;
  if (!allowed) {
    raise_page_fault(vaddr, access, mem_index, true, false);
    return false;
  }
  // The dirty bit is set on the first write; until then writes re-walk.
  if (access == Access::kWrite && !(leaf & kPteD)) {
    write_phys(leaf_addr, (leaf | kPteD) & 0xffffffffull, 4);
    leaf |= kPteD;
  }
  (void)leaf_size;
  entry->readable = can_read;
  entry->writable = can_write && (leaf & kPteD);
  entry->executable = can_exec;
  return true;
}

bool Mmu::check_rights(const TlbEntry& e, Access access, unsigned mem_index,
                       bool* smap_fault) const {
  switch (access) {
    case Access::kRead:
      if (!e.readable) return false;
      break;
    case Access::kWrite:
      if (!e.writable) return false;
      break;
    case Access::kFetch:
      return e.executable;
  }
  // SMAP: supervisor data accesses to user pages, unless EFLAGS.AC permits
  // (implicit accesses are never permitted).
  if (mem_index != kMemUser && e.user_page && (cpu_.cr4 & kCr4SMAP) && (cpu_.cr0 & kCr0PG)) {
    bool ac = (cpu_.eflags_rest & kFlagAC) != 0;
    if (mem_index == kMemSupervisorImplicit || !ac) {
      *smap_fault = true;
      return false;
    }
  }
  return true;
}

TlbEntry* Mmu::lookup(uint64_t vaddr, Access access, unsigned mem_index) {
  if (!(cpu_.efer & kEferLMA)) vaddr &= 0xffffffffull;
  uint64_t vpage = vaddr >> 12;
  TlbEntry& e = tlb_[mem_index][vpage % kTlbSize];
  bool smap_fault = false;
  if (e.vpage == vpage && check_rights(e, access, mem_index, &smap_fault)) {
    ++stats_.hits;
    return &e;
  }
  ++stats_.misses;
  TlbEntry fresh;
  if (!walk(vaddr, access, mem_index, &fresh)) return nullptr;
  fresh.host = memory_.host_ptr(fresh.ppage & cpu_.a20_mask, false);
  fresh.rom = fresh.host && !memory_.host_ptr(fresh.ppage & cpu_.a20_mask, true);
  const bool listed = e.listed;
  e = fresh;
  e.listed = true;
  if (!listed) filled_.push_back(&e);
  set_fast_tags(e, mem_index);
  return &e;
}

bool Mmu::translate(uint64_t vaddr, Access access, unsigned mem_index, uint64_t* paddr) {
  TlbEntry* e = lookup(vaddr, access, mem_index);
  if (!e) return false;
  *paddr = e->ppage | (vaddr & 0xfff);
  return true;
}

bool Mmu::debug_translate(uint64_t vaddr, uint64_t* paddr) {
  // Walk without side effects: the pending exception is restored and no
  // accessed bit is set (a debugger's look must not age the guest's pages).
  const int32_t vector = cpu_.exception_vector;
  const uint32_t error_code = cpu_.exception_error_code;
  const uint32_t has_error_code = cpu_.exception_has_error_code;
  const uint64_t cr2 = cpu_.exception_cr2;
  TlbEntry e;
  debugger_walk_ = true;
  bool ok = walk(vaddr, Access::kRead, kMemSupervisorImplicit, &e);
  debugger_walk_ = false;
  cpu_.exception_vector = vector;
  cpu_.exception_error_code = error_code;
  cpu_.exception_has_error_code = has_error_code;
  cpu_.exception_cr2 = cr2;
  if (!ok) return false;
  *paddr = e.ppage | (vaddr & 0xfff);
  return true;
}

bool Mmu::access_page(uint64_t vaddr, unsigned size, unsigned mem_index, Access access,
                      uint64_t* value) {
  TlbEntry* e = lookup(vaddr, access, mem_index);
  if (!e) return false;
  if (watches_enabled_ && !check_watches(vaddr, size, access)) return false;
  uint64_t paddr = e->ppage | (vaddr & 0xfff);
  if (access == Access::kWrite) {
    const uint64_t ppage = e->ppage & cpu_.a20_mask;
    if (has_code_ && has_code_(ppage)) {
      const uint64_t code_paddr = ppage | (vaddr & 0xfff);
      if (smc_single_step_) {
        invalidate_code_(code_paddr, size);
      } else if (!store_into_code_(code_paddr, size, store_site)) {
        cpu_.exception_vector = kExcpSmcRestart;
        return false;
      }
    }
    if (e->host && !e->rom) {
      std::memcpy(e->host + (vaddr & 0xfff), value, size);
    } else {
      write_phys(paddr, *value, size);
    }
    return true;
  }
  if (e->host) {
    uint64_t v = 0;
    std::memcpy(&v, e->host + (vaddr & 0xfff), size);
    *value = v;
  } else {
    *value = read_phys(paddr, size);
  }
  return true;
}

bool Mmu::load(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t* value) {
  if ((vaddr & 0xfff) + size <= 0x1000) {
    return access_page(vaddr, size, mem_index, Access::kRead, value);
  }
  // Crosses a page: check both pages before reading anything.
  uint64_t p;
  if (!translate(vaddr, Access::kRead, mem_index, &p)) return false;
  if (!translate(vaddr + size - 1, Access::kRead, mem_index, &p)) return false;
  uint64_t result = 0;
  for (unsigned i = 0; i < size; ++i) {
    uint64_t byte;
    if (!access_page(vaddr + i, 1, mem_index, Access::kRead, &byte)) return false;
    result |= byte << (8 * i);
  }
  *value = result;
  return true;
}

bool Mmu::store(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t value) {
  if ((vaddr & 0xfff) + size <= 0x1000) {
    return access_page(vaddr, size, mem_index, Access::kWrite, &value);
  }
  uint64_t p;
  if (!translate(vaddr, Access::kWrite, mem_index, &p)) return false;
  if (!translate(vaddr + size - 1, Access::kWrite, mem_index, &p)) return false;
  for (unsigned i = 0; i < size; ++i) {
    uint64_t byte = (value >> (8 * i)) & 0xff;
    if (!access_page(vaddr + i, 1, mem_index, Access::kWrite, &byte)) return false;
  }
  return true;
}

bool Mmu::load128(uint64_t vaddr, unsigned mem_index, uint64_t value[2]) {
  uint64_t p;
  if (!translate(vaddr, Access::kRead, mem_index, &p)) return false;
  if (!translate(vaddr + 15, Access::kRead, mem_index, &p)) return false;
  return load(vaddr, 8, mem_index, &value[0]) && load(vaddr + 8, 8, mem_index, &value[1]);
}

bool Mmu::store128(uint64_t vaddr, unsigned mem_index, const uint64_t value[2]) {
  uint64_t p;
  if (!translate(vaddr, Access::kWrite, mem_index, &p)) return false;
  if (!translate(vaddr + 15, Access::kWrite, mem_index, &p)) return false;
  return store(vaddr, 8, mem_index, value[0]) && store(vaddr + 8, 8, mem_index, value[1]);
}

bool Mmu::fetch(uint64_t vaddr, uint8_t* out, unsigned len) {
  unsigned mem_index = cpl(cpu_) == 3 ? kMemUser : kMemSupervisor;
  for (unsigned i = 0; i < len; ++i) {
    TlbEntry* e = lookup(vaddr + i, Access::kFetch, mem_index);
    if (!e) return false;
    uint64_t off = (vaddr + i) & 0xfff;
    out[i] = e->host ? e->host[off] : static_cast<uint8_t>(read_phys(e->ppage | off, 1));
  }
  return true;
}

const uint8_t* Mmu::fetch_host_page(uint64_t vaddr) {
  unsigned mem_index = cpl(cpu_) == 3 ? kMemUser : kMemSupervisor;
  TlbEntry* e = lookup(vaddr, Access::kFetch, mem_index);
  return e ? e->host : nullptr;
}

bool Mmu::code_paddr(uint64_t vaddr, uint64_t* paddr, bool* global) {
  unsigned mem_index = cpl(cpu_) == 3 ? kMemUser : kMemSupervisor;
  TlbEntry* e = lookup(vaddr, Access::kFetch, mem_index);
  if (!e) return false;
  if (global) *global = e->global && (cpu_.cr4 & kCr4PGE);
  *paddr = (e->ppage | (vaddr & 0xfff)) & cpu_.a20_mask;
  return true;
}

}  // namespace vx86::x86
