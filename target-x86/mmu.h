// The soft MMU: linear-to-physical translation with 32-bit, PAE and 4-level
// paging (4K/2M/4M/1G pages, accessed/dirty bits, NX, U/S, R/W with CR0.WP,
// SMEP/SMAP, global pages), a TLB per privilege, and guest memory access for
// translated code (tcg::MemoryInterface). Faults are recorded in CpuState as
// a pending exception (#PF with CR2 and error code, #GP for non-canonical
// addresses) and reported by returning false.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/memory.h"
#include "target-x86/cpu_state.h"
#include "tcg/memory_interface.h"

namespace vx86::x86 {

// Memory indexes the translator puts on guest loads and stores.
enum MemIndex : unsigned {
  kMemSupervisor = 0,          // CPL 0-2
  kMemUser = 1,                // CPL 3
  kMemSupervisorImplicit = 2,  // descriptor tables, TSS, IDT: supervisor, SMAP-exempt
  kNumMemIndexes = 3,
};

enum class Access : uint8_t { kRead, kWrite, kFetch };

// Internal pseudo-vectors the MMU may leave in CpuState::exception_vector.
inline constexpr int kExcpSmcRestart = 0x100;    // a store hit a page holding translated code
inline constexpr int kExcpWatchRestart = 0x101;  // an access hit a data breakpoint inside a block

// A data breakpoint (DR0-DR3 with DR7 R/W = 01 or 11): linear [start, end).
struct DataWatch {
  uint64_t start = 0, end = 0;
  bool writes_only = false;
  bool reads_only = false;  // a debugger's read watchpoint (DR7 has none)
};
// Watch slots: 0-3 are DR0-DR3, 4-7 a debugger's watchpoints.
inline constexpr unsigned kNumDataWatches = 8;
using DataWatches = std::array<DataWatch, kNumDataWatches>;

// The part of a TLB entry that generated code probes (tcg::JitFastTlb),
// kept apart from the rest so that the probed tables stay small in the host's
// caches (as QEMU splits CPUTLBEntry from CPUTLBEntryFull). read_tag and
// write_tag hold the page number when that access may go straight to host
// memory (RAM, rights checked, no SMAP question, and for writes: dirty, not
// ROM, no translated code on the page), else ~0 which never matches.
struct alignas(32) FastTlbEntry {
  uint64_t read_tag = ~0ull;
  uint64_t write_tag = ~0ull;
  uintptr_t addend = 0;  // host address minus linear address for the page
};
static_assert(sizeof(FastTlbEntry) == 32);

// What the soft MMU keeps about a cached translation.
struct TlbEntry {
  uint64_t vpage = ~0ull;   // linear page number, ~0 when empty
  uint64_t ppage = 0;       // physical page address (A20 mask applied)
  uint8_t* host = nullptr;  // host pointer of the page for RAM, else nullptr
  bool readable = false, writable = false, executable = false;
  bool user_page = false;  // SMAP applies to supervisor data accesses
  bool global = false;
  bool rom = false;     // host pointer valid for reads only
  bool listed = false;  // in Mmu::filled_ (see there)
};

class Mmu : public tcg::MemoryInterface {
 public:
  // Direct-mapped entries per memory index: with 1024 a Linux boot walked
  // the page tables 7.8 M times (0.33% of its accesses missed, mostly
  // conflicts), with 4096 0.47 M times (0.02%).
  static constexpr unsigned kTlbSize = 4096;

  Mmu(CpuState& cpu, AddressSpace& memory);

  // tcg::MemoryInterface
  bool load(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t* value) override;
  bool store(uint64_t vaddr, unsigned size, unsigned mem_index, uint64_t value) override;
  bool load128(uint64_t vaddr, unsigned mem_index, uint64_t value[2]) override;
  bool store128(uint64_t vaddr, unsigned mem_index, const uint64_t value[2]) override;

  // Translates a linear address; on failure records the fault and returns false.
  bool translate(uint64_t vaddr, Access access, unsigned mem_index, uint64_t* paddr);
  // Reads instruction bytes (execute permission, CPL from hflags).
  bool fetch(uint64_t vaddr, uint8_t* out, unsigned len);
  // The host address of the start of the page holding vaddr, for fetching
  // more code from it directly; nullptr when it has none (MMIO) or faults.
  const uint8_t* fetch_host_page(uint64_t vaddr);
  // Physical address of the code byte at vaddr, for translation-block keys;
  // *global (if given) tells whether the page's mapping is global.
  bool code_paddr(uint64_t vaddr, uint64_t* paddr, bool* global = nullptr);

  // Debugger/monitor access: no fault is recorded, no A/D bits are set.
  bool debug_translate(uint64_t vaddr, uint64_t* paddr);

  static bool is_canonical(uint64_t vaddr) {
    return static_cast<uint64_t>(static_cast<int64_t>(vaddr << 16) >> 16) == vaddr;
  }

  void flush_all();                 // CR0/CR4/EFER changes, A20 toggles
  void flush_nonglobal();           // MOV CR3 (keeps global pages when CR4.PGE)
  void flush_page(uint64_t vaddr);  // INVLPG

  // Physical pages that hold translated code: their writes take the slow
  // path, and a store into the translated bytes themselves must invalidate
  // those translations first. The execution loop sets this.
  // store_into_code drops the translations a store writes and says true,
  // or says false when the store must first end the running block (it
  // rewrites that block's code, or where it comes from is unknown);
  // invalidate drops them unconditionally (the store then runs alone).
  using CodePageCheck = std::function<bool(uint64_t ppage)>;
  using CodeStore = std::function<bool(uint64_t paddr, unsigned size, const void* site)>;
  using CodeInvalidate = std::function<void(uint64_t paddr, unsigned size)>;
  void set_code_page_hooks(CodePageCheck page_has_code, CodeStore store_into_code,
                           CodeInvalidate invalidate) {
    has_code_ = std::move(page_has_code);
    store_into_code_ = std::move(store_into_code);
    invalidate_code_ = std::move(invalidate);
  }
  // Called after each flush (vaddr = kAllPages or kNonGlobalPages for a
  // whole flush): caches of what linear addresses translate to, such as the
  // jump cache, follow the TLB.
  using FlushHook = std::function<void(uint64_t vaddr)>;
  static constexpr uint64_t kAllPages = ~0ull;
  static constexpr uint64_t kNonGlobalPages = ~1ull;
  void set_flush_hook(FlushHook hook) { on_flush_ = std::move(hook); }
  // While set, a store to a code page invalidates and completes instead of
  // restarting (used to run the one instruction that modifies code).
  void set_smc_single_step(bool on) { smc_single_step_ = on; }

  // Data breakpoints. Their pages always take the slow path; a hit either
  // records bit i for slot i (while `restart` is off: one instruction runs
  // alone) or ends the block with kExcpWatchRestart so that the instruction
  // runs again alone.
  void set_data_watches(const DataWatches& watches, unsigned enabled);
  void set_watch_restart(bool on) { watch_restart_ = on; }
  uint32_t take_watch_hits() { return std::exchange(watch_hits_, 0u); }

  // The TLB as generated code sees it: kNumMemIndexes tables of kTlbSize
  // entries each, contiguous.
  const FastTlbEntry* tlb_table() const { return fast_[0].data(); }
  // A page now holds translated code: writes to it must take the slow path.
  void drop_fast_writes(uint64_t ppage);

  struct Stats {
    uint64_t hits = 0, misses = 0, walks = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  bool walk(uint64_t vaddr, Access access, unsigned mem_index, TlbEntry* entry);
  // True while debug_translate walks: entries are read, never written.
  bool debugger_walk_ = false;
  bool check_rights(const TlbEntry& e, Access access, unsigned mem_index, bool* smap_fault) const;
  void raise_page_fault(uint64_t vaddr, Access access, unsigned mem_index, bool present,
                        bool reserved);
  void raise_gp0();
  TlbEntry* lookup(uint64_t vaddr, Access access, unsigned mem_index);
  void set_fast_tags(const TlbEntry& e, unsigned mem_index);
  uint64_t read_phys(uint64_t paddr, unsigned size);
  struct RamWindow {
    uint64_t start = 0, size = 0;  // guest-physical range of one RAM/ROM flat range
    uint8_t* host = nullptr;
    uint64_t generation = ~0ull;  // AddressSpace::generation() it was found in
  };
  RamWindow read_window_;
  void write_phys(uint64_t paddr, uint64_t value, unsigned size);
  bool canonical(uint64_t vaddr) const;
  // Accesses inside one page.
  bool access_page(uint64_t vaddr, unsigned size, unsigned mem_index, Access access,
                   uint64_t* value);

  CpuState& cpu_;
  AddressSpace& memory_;
  std::array<std::array<TlbEntry, kTlbSize>, kNumMemIndexes> tlb_;
  std::array<std::array<FastTlbEntry, kTlbSize>, kNumMemIndexes> fast_;  // same indexes
  FastTlbEntry& fast_of(const TlbEntry& e) { return fast_[0].data()[&e - tlb_[0].data()]; }
  // Every entry filled since the last full flush, so that a flush (one per
  // MOV CR3) clears those instead of the whole table, and a large TLB stays
  // cheap to flush. Entries cleared by INVLPG may remain listed.
  std::vector<TlbEntry*> filled_;
  template <typename Keep>
  void clear_filled(Keep keep);
  CodePageCheck has_code_;
  CodeStore store_into_code_;
  CodeInvalidate invalidate_code_;
  FlushHook on_flush_;
  bool smc_single_step_ = false;
  DataWatches watches_{};
  unsigned watches_enabled_ = 0;  // bit i: watches_[i] is armed
  bool watch_restart_ = false;
  uint32_t watch_hits_ = 0;
  bool watched_page(uint64_t vpage, bool write) const;
  bool check_watches(uint64_t vaddr, unsigned size, Access access);
  Stats stats_;
};

}  // namespace vx86::x86
