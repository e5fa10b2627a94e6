#if defined(__x86_64__)

#include "tcg/jit_x86_64.h"
#include "tcg/perf_map.h"

#include <xbyak/xbyak.h>
#include <xbyak/xbyak_util.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <optional>

#include "tcg/helper.h"
#include "tcg/jit_x86_64_abi.h"

namespace vx86::tcg {

namespace {

uint64_t sign_extend(uint64_t v, unsigned bytes) {
  unsigned shift = 64 - 8 * bytes;
  return static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift);
}

// ---- thunks called from generated code (never throw into it) ----

uint32_t thunk_load(JitRunContext* ctx, uint64_t addr, uint64_t* dest, uint32_t memop,
                    uint32_t mem_index, uint32_t to_i32) noexcept {
  unsigned size = memop_size(memop);
  uint64_t v = 0;
  try {
    if (!ctx->mem->load(addr, size, mem_index, &v)) {
      ctx->fault.info = addr;
      return 0;
    }
  } catch (...) {
    *ctx->pending = std::current_exception();
    return 0;
  }
  if (size < 8) v &= (1ull << (8 * size)) - 1;
  if (memop_signed(memop) && size < 8) v = sign_extend(v, size);
  if (to_i32) v = static_cast<uint32_t>(v);
  *dest = v;
  return 1;
}

// Names the calling block's code as the store's site while the store runs
// (MemoryInterface::store_site).
class StoreSite {
 public:
  StoreSite(MemoryInterface* mem, const void* site) : mem_(mem) { mem_->store_site = site; }
  ~StoreSite() { mem_->store_site = nullptr; }
  StoreSite(const StoreSite&) = delete;
  StoreSite& operator=(const StoreSite&) = delete;

 private:
  MemoryInterface* mem_;
};

uint32_t thunk_store(JitRunContext* ctx, uint64_t addr, uint64_t value, uint32_t size,
                     uint32_t mem_index) noexcept {
  if (size < 8) value &= (1ull << (8 * size)) - 1;
  StoreSite site(ctx->mem, __builtin_return_address(0));
  try {
    if (!ctx->mem->store(addr, size, mem_index, value)) {
      ctx->fault.info = addr;
      return 0;
    }
  } catch (...) {
    *ctx->pending = std::current_exception();
    return 0;
  }
  return 1;
}

uint32_t thunk_load128(JitRunContext* ctx, uint64_t addr, uint64_t* dest,
                       uint32_t mem_index) noexcept {
  uint64_t v[2] = {0, 0};
  try {
    if (!ctx->mem->load128(addr, mem_index, v)) {
      ctx->fault.info = addr;
      return 0;
    }
  } catch (...) {
    *ctx->pending = std::current_exception();
    return 0;
  }
  dest[0] = v[0];
  dest[1] = v[1];
  return 1;
}

uint32_t thunk_store128(JitRunContext* ctx, uint64_t addr, const uint64_t* src,
                        uint32_t mem_index) noexcept {
  const uint64_t v[2] = {src[0], src[1]};
  StoreSite site(ctx->mem, __builtin_return_address(0));
  try {
    if (!ctx->mem->store128(addr, mem_index, v)) {
      ctx->fault.info = addr;
      return 0;
    }
  } catch (...) {
    *ctx->pending = std::current_exception();
    return 0;
  }
  return 1;
}

uint64_t thunk_popcount(uint64_t v) noexcept {
  return static_cast<uint64_t>(std::popcount(v));
}

bool host_has_popcnt() {
  static const bool has = Xbyak::util::Cpu().has(Xbyak::util::Cpu::tPOPCNT);
  return has;
}

[[noreturn]] void fatal(const char* what, const Op& op) {
  std::fprintf(stderr, "tcg jit: %s (%s)\n", what, op_name(op.opc));
  std::abort();
}

// xbyak's growable buffer on the heap, never made executable: the finished
// code is copied into a JitCodeBuffer. One buffer per thread is kept for the
// next block (translation is one block at a time per vCPU thread), so most
// blocks allocate nothing.
class HeapAllocator : public Xbyak::Allocator {
 public:
  uint8_t* alloc(size_t size) override {
    Spare& spare = spare_buffer();
    if (spare.data && !spare.in_use && size <= spare.size) {
      spare.in_use = true;
      return spare.data;
    }
    auto* p = static_cast<uint8_t*>(std::malloc(size));
    if (p && !spare.in_use) {
      std::free(spare.data);  // keep the larger buffer from now on
      spare.data = p;
      spare.size = size;
      spare.in_use = true;
    }
    return p;
  }
  void free(uint8_t* p) override {
    Spare& spare = spare_buffer();
    if (p && p == spare.data)
      spare.in_use = false;
    else
      std::free(p);
  }
  bool useProtect() const override { return false; }

 private:
  struct Spare {
    Spare() = default;
    Spare(const Spare&) = delete;
    Spare& operator=(const Spare&) = delete;
    ~Spare() { std::free(data); }
    uint8_t* data = nullptr;
    size_t size = 0;
    bool in_use = false;
  };
  static Spare& spare_buffer() {
    thread_local Spare spare;
    return spare;
  }
};

// Jumps out of the block to a shared stub, resolved when the code is placed.
enum class StubKind : uint8_t { kExit, kGotoLookup, kPtrLookup };
struct StubFixup {
  uint32_t end;  // offset just past the rel32
  StubKind stub;
};

// Register roles: see tcg/jit_x86_64_abi.h. rax, rcx, rdx, rsi, rdi, r8-r11
// are scratch.
class Emitter : public Xbyak::CodeGenerator {
 public:
  Emitter(const Block& block, Xbyak::Allocator* alloc, const JitConfig& config,
          const JitBlockOptions& options, const void* self, JitStats* stats,
          bool elide_stores = true)
      : Xbyak::CodeGenerator(4096, Xbyak::AutoGrow, alloc),
        block_(block),
        config_(config),
        options_(options),
        self_(self),
        stats_(stats),
        elide_stores_(elide_stores) {}

  void generate();
  // A temp whose slot store was left out was read from its slot after all:
  // the code is wrong and must be generated again without elision.
  bool elision_failed() const { return elision_failed_; }

  size_t frame_words() const { return frame_words_; }
  std::vector<std::array<uint64_t, 2>> insn_data;
  std::vector<uint32_t> insn_offsets;
  std::vector<StubFixup> fixups;
  std::vector<uint32_t> chain_sites[2];
  uint32_t unchecked_offset = 0;

 private:
  // ---- temps ----
  const TempInfo& info(uint32_t t) const { return block_.temps[t]; }
  bool wide(uint32_t t) const { return info(t).type != tcg::Type::kI32; }
  Xbyak::Address slot(uint32_t t, int extra = 0) const {
    return ptr[rbp + static_cast<int>(slot_off_[t]) + extra];
  }
  Xbyak::Address qslot(uint32_t t, int extra = 0) const {
    return qword[rbp + static_cast<int>(slot_off_[t]) + extra];
  }
  void layout_frame();

  // Loads an integer temp (zero-extended i32) into a 64-bit register.
  void load(const Xbyak::Reg64& r, uint32_t t) {
    if (info(t).is_const) {
      mov(r, info(t).value);
      return;
    }
    if (forward(r, t)) return;
    if (elided_[t]) elision_failed_ = true;
    if (reg_of_[t] != kNoReg) {
      const Xbyak::Reg64 home = kTempRegs[reg_of_[t]];
      if (!wide(t))
        mov(r.cvt32(), home.cvt32());
      else if (home.getIdx() != r.getIdx())
        mov(r, home);
    } else if (wide(t)) {
      mov(r, qslot(t));
    } else {
      mov(r.cvt32(), dword[rbp + static_cast<int>(slot_off_[t])]);
    }
  }
  void store(uint32_t t, const Xbyak::Reg64& r) {
    const size_t begin = getSize();
    if (reg_of_[t] != kNoReg) {
      const Xbyak::Reg64 home = kTempRegs[reg_of_[t]];
      if (wide(t))
        mov(home, r);
      else
        mov(home.cvt32(), r.cvt32());
    } else if (wide(t)) {
      mov(qslot(t), r);
    } else {
      mov(dword[rbp + static_cast<int>(slot_off_[t])], r.cvt32());
    }
    last_ = {t, r, begin, getSize(), true};
  }
  // Integer temps may live in a register instead of a slot: r13, r14 and
  // r15 (free when positions are static: they are set only on the way out)
  // and the caller-saved registers no fixed sequence uses as scratch (saved
  // around a call only while they hold a temp live across it). rax and rcx
  // are every op's scratch; rdx and rsi are the scratch of multiplies,
  // divides, conditional moves and the soft-MMU calls.
  static constexpr int8_t kNoReg = -1;
  static inline const Xbyak::Reg64 kTempRegs[8] = {
      Xbyak::util::r13, Xbyak::util::r14, Xbyak::util::r15, Xbyak::util::r10,
      Xbyak::util::r11, Xbyak::util::rdi, Xbyak::util::r8,  Xbyak::util::r9};
  static constexpr int8_t kFirstCallerSavedReg = 3;  // r10
  void allocate_registers();
  // Each temp's live interval in op indices (kNoOp when it has no register).
  static constexpr int kNoOp = -1;
  std::vector<int> first_op_, last_op_;
  int current_op_ = 0;               // index of the op being emitted
  std::vector<Xbyak::Reg64> saved_;  // by begin_call(), in push order
  // The register an op computes its result in: the result's own register
  // when it has one (no later input may be the result itself), else rax,
  // stored by finish().
  Xbyak::Reg64 result_reg(const Op& op) const {
    const uint32_t out = op.out(0);
    if (reg_of_[out] == kNoReg) return Xbyak::util::rax;
    for (unsigned i = 1; i < op.nin; ++i) {
      if (op.in(i) == out) return Xbyak::util::rax;
    }
    return kTempRegs[reg_of_[out]];
  }
  void finish(const Op& op, const Xbyak::Reg64& r) {
    if (r.getIdx() == Xbyak::Operand::RAX) store(op.out(0), r);
  }
  // The register holding temp t when it lives in one, else t loaded into
  // `scratch`.
  Xbyak::Reg64 source_reg(uint32_t t, const Xbyak::Reg64& scratch) {
    if (reg_of_[t] != kNoReg && !info(t).is_const && !elided_[t]) return kTempRegs[reg_of_[t]];
    load(scratch, t);
    return scratch;
  }
  // Store-to-load forwarding: when nothing was emitted (and no label bound)
  // since temp t was stored from a register, t is still in that register.
  // If this is t's only read, the slot store itself is dropped.
  bool forward(const Xbyak::Reg64& r, uint32_t t);
  // A label bound here may be reached with other register contents.
  void forget_registers() { last_.temp = kNoTemp; }

  // ---- labels ----
  // Every jump inside a block is a rel32 whose target is patched in once the
  // code is complete: cheaper than xbyak's labels, which hash every use.
  using Lbl = uint32_t;
  static constexpr uint32_t kUnboundLabel = ~0u;
  Lbl new_label() {
    label_at_.push_back(kUnboundLabel);
    return static_cast<Lbl>(label_at_.size() - 1);
  }
  void bind(Lbl l) {
    label_at_[l] = static_cast<uint32_t>(getSize());
    forget_registers();
  }
  // x86 condition codes (the low nibble of Jcc / SETcc / CMOVcc).
  enum Cc : uint8_t {
    kCcB = 0x2,
    kCcAe = 0x3,
    kCcE = 0x4,
    kCcNe = 0x5,
    kCcBe = 0x6,
    kCcA = 0x7,
    kCcL = 0xc,
    kCcGe = 0xd,
    kCcLe = 0xe,
    kCcG = 0xf,
  };
  void jump(Lbl l) {
    db(0xE9);
    dd(0);
    label_uses_.push_back({static_cast<uint32_t>(getSize()), l});
  }
  void jump_if(Cc cc, Lbl l) {
    db(0x0F);
    db(0x80 | cc);
    dd(0);
    label_uses_.push_back({static_cast<uint32_t>(getSize()), l});
  }
  void resolve_labels() {
    for (const auto& [end, l] : label_uses_) {
      if (label_at_[l] == kUnboundLabel) fatal_unbound_label();
      rewrite(end - 4, static_cast<uint32_t>(static_cast<int64_t>(label_at_[l]) - end), 4);
    }
  }
  [[noreturn]] static void fatal_unbound_label() {
    std::fprintf(stderr, "tcg jit: jump to an unbound label\n");
    std::abort();
  }
  std::vector<uint32_t> label_at_;  // code offset of each label, or kUnboundLabel
  struct LabelUse {
    uint32_t end;  // offset just past the rel32
    Lbl label;
  };
  std::vector<LabelUse> label_uses_;
  // True if temp t is a constant usable as an imm32 operand at this width
  // (64-bit operations sign-extend their imm32).
  bool imm_fits(uint32_t t, bool is64, uint32_t* imm) const {
    if (!info(t).is_const) return false;
    uint64_t v = info(t).value;
    if (is64 && static_cast<int64_t>(v) != static_cast<int64_t>(static_cast<int32_t>(v)))
      return false;
    *imm = static_cast<uint32_t>(v);
    return true;
  }
  static Xbyak::Reg w(const Xbyak::Reg64& r, bool is64) {
    return is64 ? Xbyak::Reg(r) : Xbyak::Reg(r.cvt32());
  }
  static uint32_t env_off(const Op& op) {
    uint64_t off = op.cst(0);
    if (off > 0x7fffffff) fatal("env offset out of range", op);
    return static_cast<uint32_t>(off);
  }

  // ---- conditions ----
  void jcc(Cond c, Lbl l);
  void setcc(Cond c, const Xbyak::Reg8& r);
  void cmovcc(Cond c, const Xbyak::Reg& d, const Xbyak::Operand& s);
  void compare(uint32_t a, uint32_t b, bool is64);

  // ---- op groups ----
  void emit_op(const Op& op);
  bool emit_scalar(const Op& op);
  void emit_alu(const Op& op, bool is64);
  void emit_mul(const Op& op, bool is64);
  void emit_mul2(const Op& op, bool is64, bool is_signed);
  void emit_div(const Op& op, bool is64, bool is_signed, bool rem);
  void emit_shift(const Op& op, bool is64);
  void emit_count_zeros(const Op& op, bool is64, bool leading);
  void emit_ctpop(const Op& op, bool is64);
  void emit_deposit(const Op& op, bool is64);
  void emit_extract(const Op& op, bool is64, bool is_signed);
  void emit_env(const Op& op);
  void emit_memory(const Op& op);
  void emit_memory_call(const Op& op);
  void emit_slow_paths();
  void emit_entry_checks(Lbl entry_exit);
  void jmp_stub(StubKind stub) {
    db(0xE9);
    dd(0);
    fixups.push_back({static_cast<uint32_t>(getSize()), stub});
  }
  void count(uint64_t JitStats::*field) {
    if (!config_.count_stats || !stats_) return;
    mov(rax, reinterpret_cast<uint64_t>(&(stats_->*field)));
    inc(qword[rax]);
  }
  void emit_call(const Op& op);
  void emit_vector(const Op& op);
  // A call from generated code: begin_call() saves the caller-saved
  // registers holding temps live across the op being emitted (before the
  // arguments overwrite rdi, r8 or r9), end_call() restores them.
  void begin_call();
  void end_call();
  void call_fn(const void* fn) {
    mov(rax, reinterpret_cast<uint64_t>(fn));
    call(rax);
  }

  struct SlowPath {
    const Op* op;
    int ordinal;  // of the instruction the access belongs to
    Lbl entry, resume;
    Xbyak::Reg64 result;  // where both paths leave a loaded value
  };
  static constexpr uint32_t kNoTemp = ~0u;
  struct LastStore {
    uint32_t temp = kNoTemp;
    Xbyak::Reg64 reg;
    size_t begin = 0, end = 0;  // code offsets of the slot store
    bool droppable = false;     // the store is the last code emitted
  };

  const Block& block_;
  const JitConfig& config_;
  const JitBlockOptions& options_;
  const void* self_;
  JitStats* stats_;
  std::vector<SlowPath> slow_paths_;
  std::vector<uint32_t> slot_off_;
  std::vector<bool> used_;       // temps that some op reads or writes
  std::vector<uint32_t> reads_;  // how many op inputs name each temp
  std::vector<bool> elided_;     // temps whose slot store was left out
  std::vector<int8_t> reg_of_;   // index into kTempRegs, or kNoReg for a slot
  const bool elide_stores_;
  bool elision_failed_ = false;
  bool may_elide_ = false;  // the op being emitted reads its inputs once, inline
  LastStore last_;
  size_t frame_words_ = 0;
  std::vector<Lbl> labels_;  // the IR's labels
  Lbl mem_fault_ = 0, helper_fault_ = 0;
  int insn_ordinal_ = -1;
  // Where a fault or exit happened (ExitRecord::insn_data, insn_index) is
  // kept in r13d/r14d. When every branch stays inside its instruction and
  // goes forward, both are the static ordinal of the op that leaves, so they
  // are set only on the way out (exits and per-site fault stubs) instead of
  // at every instruction.
  bool static_positions_ = false;
  struct FaultSite {
    Lbl entry;
    Lbl target;
    int ordinal;
  };
  std::vector<FaultSite> fault_sites_;
  bool branches_stay_in_insn() const;
  void set_position() {
    if (!static_positions_) return;
    mov(r13d, static_cast<uint32_t>(insn_ordinal_));
    mov(r14d, static_cast<uint32_t>(insn_ordinal_));
    mov(r15, reinterpret_cast<uint64_t>(self_));
  }
  // The label a failed memory access or helper jumps to.
  Lbl fault_exit(Lbl shared) {
    if (!static_positions_) return shared;
    fault_sites_.push_back({new_label(), shared, insn_ordinal_});
    return fault_sites_.back().entry;
  }
};

void Emitter::layout_frame() {
  const size_t n = block_.temps.size();
  std::vector<bool>& used = used_;
  used.assign(n, false);
  reads_.assign(n, 0);
  elided_.assign(n, false);
  for (const Op& op : block_.ops) {
    for (unsigned i = 0; i < unsigned(op.nout) + op.nin; ++i) {
      uint32_t t = static_cast<uint32_t>(op.args[i]);
      if (t < n) used[t] = true;
      if (t < n && i >= op.nout) ++reads_[t];
    }
  }
  allocate_registers();
  slot_off_.assign(n, 0);
  size_t off = 0;
  // v128 first so every 16-byte slot stays aligned.
  for (size_t t = 0; t < n; ++t) {
    if (used[t] && block_.temps[t].type == tcg::Type::kV128) {
      slot_off_[t] = static_cast<uint32_t>(off);
      off += 16;
    }
  }
  for (size_t t = 0; t < n; ++t) {
    if (used[t] && block_.temps[t].type != tcg::Type::kV128 && !block_.temps[t].is_const &&
        reg_of_[t] == kNoReg) {
      slot_off_[t] = static_cast<uint32_t>(off);
      off += 8;
    }
  }
  if (off > 0x7fff0000) {
    std::fprintf(stderr, "tcg jit: frame too large\n");
    std::abort();
  }
  frame_words_ = (off + 15) / 16 * 2;
}

// Linear scan over the op order: each integer temp's interval runs from its
// first to its last mention; when no register is free the interval that
// ends last stays in its slot. Only for blocks whose branches all go
// forward, where the op order covers every path.
void Emitter::allocate_registers() {
  const size_t n = block_.temps.size();
  reg_of_.assign(n, kNoReg);
  if (!static_positions_) return;
  constexpr int kUnseen = kNoOp;
  std::vector<int>& first = first_op_;
  std::vector<int>& last = last_op_;
  first.assign(n, kUnseen);
  last.assign(n, kUnseen);
  for (size_t i = 0; i < block_.ops.size(); ++i) {
    const Op& op = block_.ops[i];
    for (unsigned k = 0; k < unsigned(op.nout) + op.nin; ++k) {
      const uint32_t t = static_cast<uint32_t>(op.args[k]);
      if (t >= n || block_.temps[t].is_const || block_.temps[t].type == tcg::Type::kV128) continue;
      if (first[t] == kUnseen) first[t] = static_cast<int>(i);
      last[t] = static_cast<int>(i);
    }
  }
  std::vector<uint32_t> order;
  for (uint32_t t = 0; t < n; ++t) {
    if (first[t] != kUnseen) order.push_back(t);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return first[a] < first[b]; });
  constexpr size_t kRegs = std::size(kTempRegs);
  std::array<uint32_t, kRegs> holder;
  holder.fill(kNoTemp);
  for (uint32_t t : order) {
    // An op reads all its inputs before it writes: an interval may start
    // where another ends only if that one is not also written there, so
    // require a strict gap.
    int reg = -1;
    for (size_t r = 0; r < kRegs; ++r) {
      if (holder[r] == kNoTemp || last[holder[r]] < first[t]) {
        reg = static_cast<int>(r);
        break;
      }
    }
    if (reg < 0) {
      size_t victim = 0;
      for (size_t r = 1; r < kRegs; ++r) {
        if (last[holder[r]] > last[holder[victim]]) victim = r;
      }
      if (last[holder[victim]] <= last[t]) continue;  // t itself stays in a slot
      reg_of_[holder[victim]] = kNoReg;
      reg = static_cast<int>(victim);
    }
    holder[reg] = t;
    reg_of_[t] = static_cast<int8_t>(reg);
  }
}

void Emitter::begin_call() {
  saved_.clear();
  for (size_t t = 0; t < reg_of_.size(); ++t) {
    // Inputs of the current op are read before the call, its outputs written
    // after: only temps live on both sides of it need their register kept.
    if (reg_of_[t] >= kFirstCallerSavedReg && first_op_[t] < current_op_ &&
        last_op_[t] > current_op_) {
      saved_.push_back(kTempRegs[reg_of_[t]]);
    }
  }
  for (const Xbyak::Reg64& r : saved_) push(r);
  if (saved_.size() % 2) sub(rsp, 8);  // calls from blocks keep rsp 16-byte aligned
}

void Emitter::end_call() {
  if (saved_.size() % 2) add(rsp, 8);
  for (auto r = saved_.rbegin(); r != saved_.rend(); ++r) pop(*r);
  saved_.clear();
}

void Emitter::emit_entry_checks(Lbl entry_exit) {
  for (const JitEntryCheck& c : config_.exit_checks) {
    if (c.mask <= 0xff)
      test(byte[rbx + c.env_offset], static_cast<uint8_t>(c.mask));
    else
      test(dword[rbx + c.env_offset], c.mask);
    jump_if(c.exit_if_clear ? kCcE : kCcNe, entry_exit);
  }
  if (config_.irq_line_offset >= 0) {
    const Lbl no_irq = new_label();
    cmp(byte[rbx + config_.irq_line_offset], 0);
    jump_if(kCcE, no_irq);
    test(dword[rbx + config_.irq_enable_offset], config_.irq_enable_mask);
    jump_if(kCcNe, entry_exit);
    bind(no_irq);
  }
  if (config_.flags_offset >= 0) {
    cmp(dword[rbx + config_.flags_offset], options_.key_flags);
    jump_if(kCcNe, entry_exit);
  }
}

bool Emitter::branches_stay_in_insn() const {
  constexpr int kUnbound = -2;
  std::vector<int> bound_in(block_.num_labels, kUnbound);
  std::vector<std::pair<uint64_t, int>> branches;  // label, ordinal of the branch
  int ordinal = -1;
  for (const Op& op : block_.ops) {
    uint64_t label;
    if (op.opc == Opcode::insn_start) {
      ++ordinal;
      continue;
    } else if (op.opc == Opcode::set_label) {
      bound_in[op.cst(0)] = ordinal;
      continue;
    } else if (op.opc == Opcode::br) {
      label = op.cst(0);
    } else if (op.opc == Opcode::brcond_i32 || op.opc == Opcode::brcond_i64) {
      label = op.cst(1);
    } else {
      continue;
    }
    if (label >= bound_in.size() || bound_in[label] != kUnbound) return false;  // backward
    branches.emplace_back(label, ordinal);
  }
  for (auto [label, at] : branches) {
    if (bound_in[label] != at) return false;
  }
  return true;
}

void Emitter::generate() {
  setDefaultJmpNEAR(true);
  label_at_.reserve(block_.num_labels + 64);
  labels_.resize(block_.num_labels);
  for (Lbl& l : labels_) l = new_label();
  mem_fault_ = new_label();
  helper_fault_ = new_label();
  static_positions_ = branches_stay_in_insn();
  layout_frame();

  // Checked entry (chained jumps, lookups), then the entry run() uses.
  const Lbl entry_exit = new_label();
  if (options_.entry_checks) emit_entry_checks(entry_exit);
  unchecked_offset = static_cast<uint32_t>(getSize());
  if (!static_positions_) {
    mov(r15, reinterpret_cast<uint64_t>(self_));
    mov(r13d, 0xffffffffu);
    mov(r14d, 0xffffffffu);
  }
  // v128 constants: the low word holds the value (as the interpreter does).
  for (size_t t = 0; t < block_.temps.size(); ++t) {
    const TempInfo& ti = block_.temps[t];
    if (ti.is_const && ti.type == tcg::Type::kV128 && used_[t]) {
      mov(rax, ti.value);
      mov(qslot(static_cast<uint32_t>(t)), rax);
      mov(qslot(static_cast<uint32_t>(t), 8), uint64_t{0});
    }
  }

  for (const Op& op : block_.ops) {
    emit_op(op);
    ++current_op_;
  }
  ud2();  // the verifier guarantees the block cannot fall off its end
  insn_offsets.push_back(static_cast<uint32_t>(getSize()));

  emit_slow_paths();
  for (const FaultSite& site : fault_sites_) {
    bind(site.entry);
    mov(r13d, static_cast<uint32_t>(site.ordinal));
    mov(r14d, static_cast<uint32_t>(site.ordinal));
    jump(site.target);
  }
  if (options_.entry_checks) {
    // Leaving before the first instruction: this block is the one that exits.
    bind(entry_exit);
    mov(r15, reinterpret_cast<uint64_t>(self_));
    mov(r13d, 0xffffffffu);
    mov(r14d, 0xffffffffu);
    mov(eax, static_cast<uint32_t>(ExitKind::kExitTb));
    xor_(edx, edx);
    jmp_stub(StubKind::kExit);
  }
  bind(helper_fault_);
  mov(byte[r12 + offsetof(JitRunContext, fault_in_helper)], 1);
  bind(mem_fault_);
  mov(r15, reinterpret_cast<uint64_t>(self_));  // may hold a temp when positions are static
  mov(eax, static_cast<uint32_t>(ExitKind::kFault));
  jmp_stub(StubKind::kExit);
  resolve_labels();
  ready();
}

void Emitter::jcc(Cond c, Lbl l) {
  static constexpr Cc kCodes[] = {// in Cond's order: eq, ne, lt, le, gt, ge, ltu, leu, gtu, geu
                                  kCcE, kCcNe, kCcL, kCcLe, kCcG, kCcGe, kCcB, kCcBe, kCcA, kCcAe};
  jump_if(kCodes[static_cast<unsigned>(c)], l);
}

void Emitter::setcc(Cond c, const Xbyak::Reg8& r) {
  switch (c) {
    case Cond::kEq:
      sete(r);
      break;
    case Cond::kNe:
      setne(r);
      break;
    case Cond::kLt:
      setl(r);
      break;
    case Cond::kLe:
      setle(r);
      break;
    case Cond::kGt:
      setg(r);
      break;
    case Cond::kGe:
      setge(r);
      break;
    case Cond::kLtu:
      setb(r);
      break;
    case Cond::kLeu:
      setbe(r);
      break;
    case Cond::kGtu:
      seta(r);
      break;
    case Cond::kGeu:
      setae(r);
      break;
  }
}

void Emitter::cmovcc(Cond c, const Xbyak::Reg& d, const Xbyak::Operand& s) {
  switch (c) {
    case Cond::kEq:
      cmove(d, s);
      break;
    case Cond::kNe:
      cmovne(d, s);
      break;
    case Cond::kLt:
      cmovl(d, s);
      break;
    case Cond::kLe:
      cmovle(d, s);
      break;
    case Cond::kGt:
      cmovg(d, s);
      break;
    case Cond::kGe:
      cmovge(d, s);
      break;
    case Cond::kLtu:
      cmovb(d, s);
      break;
    case Cond::kLeu:
      cmovbe(d, s);
      break;
    case Cond::kGtu:
      cmova(d, s);
      break;
    case Cond::kGeu:
      cmovae(d, s);
      break;
  }
}

// Sets the host flags from a - b at the given width (may clobber rax, rcx).
// Against 0, TEST sets every flag a condition reads as CMP would.
void Emitter::compare(uint32_t a, uint32_t b, bool is64) {
  const Xbyak::Reg ra = w(source_reg(a, rax), is64);
  uint32_t imm;
  if (imm_fits(b, is64, &imm)) {
    if (imm == 0)
      test(ra, ra);
    else
      cmp(ra, imm);
  } else {
    cmp(ra, w(source_reg(b, rcx), is64));
  }
}

bool Emitter::forward(const Xbyak::Reg64& r, uint32_t t) {
  if (last_.temp != t || last_.end != getSize()) return false;
  if (elide_stores_ && may_elide_ && last_.droppable && reads_[t] == 1 && !elided_[t]) {
    setSize(last_.begin);  // the store is the last thing emitted: take it back
    elided_[t] = true;
    last_.droppable = false;
  }
  const Xbyak::Reg64 src = last_.reg;
  if (!wide(t))
    mov(r.cvt32(), src.cvt32());  // i32 temps read back zero-extended
  else if (r.getIdx() != src.getIdx())
    mov(r, src);
  last_.end = getSize();
  return true;
}

void Emitter::emit_op(const Op& op) {
  {
    // Ops that may read an input twice (inline and in a slow path) keep stores.
    const OpDef& d = op.def();
    bool vector = false;
    for (unsigned k = 0; k < d.nout; ++k) vector |= d.out[k] == tcg::Type::kV128;
    for (unsigned k = 0; k < d.nin; ++k) vector |= d.in[k] == tcg::Type::kV128;
    may_elide_ = !(d.flags & kOpMayFault) && op.opc != Opcode::call && !vector;
  }
  switch (op.opc) {
    case Opcode::nop:
      return;
    case Opcode::mb:
      mfence();
      return;
    case Opcode::insn_start:
      insn_data.push_back({op.cst(0), op.cst(1)});
      insn_offsets.push_back(static_cast<uint32_t>(getSize()));
      ++insn_ordinal_;
      if (!static_positions_) {
        const bool forwarding = last_.temp != kNoTemp && last_.end == getSize();
        inc(r13d);
        mov(r14d, static_cast<uint32_t>(insn_ordinal_));
        if (forwarding) last_.end = getSize(), last_.droppable = false;
      }
      return;
    case Opcode::set_label:
      bind(labels_[op.cst(0)]);
      return;
    case Opcode::br:
      jump(labels_[op.cst(0)]);
      return;
    case Opcode::brcond_i32:
    case Opcode::brcond_i64:
      compare(op.in(0), op.in(1), op.opc == Opcode::brcond_i64);
      jcc(static_cast<Cond>(op.cst(0)), labels_[op.cst(1)]);
      return;
    case Opcode::exit_tb:
      set_position();
      mov(eax, static_cast<uint32_t>(ExitKind::kExitTb));
      mov(rdx, op.cst(0));
      jmp_stub(StubKind::kExit);
      return;
    case Opcode::goto_tb: {
      const uint64_t slot = op.cst(0);
      if (options_.link && slot < 2) {
        // The patchable jump: rel32 0 falls through to the lookup until chained.
        db(0xE9);
        dd(0);
        chain_sites[slot].push_back(static_cast<uint32_t>(getSize()));
      }
      set_position();
      mov(edx, static_cast<uint32_t>(slot));
      if (options_.link) {
        jmp_stub(StubKind::kGotoLookup);
      } else {
        mov(eax, static_cast<uint32_t>(ExitKind::kGotoTb));
        jmp_stub(StubKind::kExit);
      }
      return;
    }
    case Opcode::lookup_and_goto_ptr:
      set_position();
      if (options_.link) {
        jmp_stub(StubKind::kPtrLookup);
      } else {
        mov(eax, static_cast<uint32_t>(ExitKind::kLookup));
        jmp_stub(StubKind::kExit);
      }
      return;
    case Opcode::call:
      emit_call(op);
      return;
    default:
      break;
  }
  const uint32_t flags = op.def().flags;
  if (flags & (kOpReadsEnv | kOpWritesEnv)) return emit_env(op);
  if (flags & kOpMayFault) return emit_memory(op);
  const OpDef& d = op.def();
  bool vector = false;
  for (unsigned k = 0; k < d.nout; ++k) vector |= d.out[k] == tcg::Type::kV128;
  for (unsigned k = 0; k < d.nin; ++k) vector |= d.in[k] == tcg::Type::kV128;
  if (vector) return emit_vector(op);
  if (!emit_scalar(op)) fatal("unhandled op", op);
}

void Emitter::emit_alu(const Op& op, bool is64) {
  const Xbyak::Reg64 r = result_reg(op);
  uint32_t imm = 0;
  bool have_imm = imm_fits(op.in(1), is64, &imm);
  const bool is_add = op.opc == Opcode::add_i32 || op.opc == Opcode::add_i64;
  const bool is_sub_imm =
      (op.opc == Opcode::sub_i32 || op.opc == Opcode::sub_i64) && have_imm && imm != 0x80000000u;
  if ((is_add || is_sub_imm) && !info(op.in(0)).is_const) {
    // An operand in another register: one LEA instead of a copy and an add
    // (nothing reads the host flags an IR add leaves).
    const Xbyak::Reg64 src = source_reg(op.in(0), r);  // loads into r when it has none
    if (src.getIdx() != r.getIdx()) {
      const int32_t disp = is_sub_imm ? -static_cast<int32_t>(imm) : static_cast<int32_t>(imm);
      if (have_imm)
        lea(w(r, is64), ptr[src + disp]);
      else
        lea(w(r, is64), ptr[src + source_reg(op.in(1), rcx)]);
      finish(op, r);
      return;
    }
  } else {
    load(r, op.in(0));
  }
  const Xbyak::Reg a = w(r, is64), c = w(have_imm ? rcx : source_reg(op.in(1), rcx), is64);
  switch (op.opc) {
    case Opcode::add_i32:
    case Opcode::add_i64:
      have_imm ? add(a, imm) : add(a, c);
      break;
    case Opcode::sub_i32:
    case Opcode::sub_i64:
      have_imm ? sub(a, imm) : sub(a, c);
      break;
    case Opcode::and_i32:
    case Opcode::and_i64:
      have_imm ? and_(a, imm) : and_(a, c);
      break;
    case Opcode::or_i32:
    case Opcode::or_i64:
      have_imm ? or_(a, imm) : or_(a, c);
      break;
    case Opcode::xor_i32:
    case Opcode::xor_i64:
      have_imm ? xor_(a, imm) : xor_(a, c);
      break;
    default:
      fatal("not an alu op", op);
  }
  finish(op, r);
}

void Emitter::emit_mul(const Op& op, bool is64) {
  load(rax, op.in(0));
  uint32_t imm;
  if (imm_fits(op.in(1), is64, &imm)) {
    imul(w(rax, is64), w(rax, is64), static_cast<int>(imm));
  } else {
    load(rcx, op.in(1));
    imul(w(rax, is64), w(rcx, is64));
  }
  store(op.out(0), rax);
}

void Emitter::emit_mul2(const Op& op, bool is64, bool is_signed) {
  load(rax, op.in(0));
  load(rcx, op.in(1));
  if (is_signed)
    imul(w(rcx, is64));
  else
    mul(w(rcx, is64));
  store(op.out(0), rax);
  store(op.out(1), rdx);
}

// Division as tcg/ir_eval.cpp defines it: never traps. x / 0 = 0, x % 0 = x,
// x / -1 = -x and x % -1 = 0 (which covers MIN / -1).
void Emitter::emit_div(const Op& op, bool is64, bool is_signed, bool rem) {
  const Xbyak::Reg a = w(rax, is64), c = w(rcx, is64);
  const Lbl by_zero = new_label(), by_minus_one = new_label(), done = new_label();
  load(rax, op.in(0));
  load(rcx, op.in(1));
  test(c, c);
  jump_if(kCcE, by_zero);
  if (is_signed) {
    cmp(c, 0xffffffffu);
    jump_if(kCcE, by_minus_one);
    if (is64)
      cqo();
    else
      cdq();
    idiv(c);
  } else {
    xor_(edx, edx);
    div(c);
  }
  if (rem) mov(rax, rdx);
  jump(done);
  bind(by_zero);
  if (!rem) xor_(eax, eax);  // remainder: the dividend, already in rax
  if (is_signed) {
    jump(done);
    bind(by_minus_one);
    if (rem)
      xor_(eax, eax);
    else
      neg(a);
  }
  bind(done);
  store(op.out(0), rax);
}

// x86 masks shift and rotate counts to 5 bits (32-bit) or 6 bits (64-bit):
// exactly "modulo the width".
void Emitter::emit_shift(const Op& op, bool is64) {
  const Xbyak::Reg64 r = result_reg(op);
  const Xbyak::Reg a = w(r, is64);
  load(r, op.in(0));
  const bool by_imm = info(op.in(1)).is_const;
  const int count = static_cast<int>(info(op.in(1)).value & (is64 ? 63 : 31));
  if (!by_imm) load(rcx, op.in(1));
  switch (op.opc) {
    case Opcode::shl_i32:
    case Opcode::shl_i64:
      by_imm ? shl(a, count) : shl(a, cl);
      break;
    case Opcode::shr_i32:
    case Opcode::shr_i64:
      by_imm ? shr(a, count) : shr(a, cl);
      break;
    case Opcode::sar_i32:
    case Opcode::sar_i64:
      by_imm ? sar(a, count) : sar(a, cl);
      break;
    case Opcode::rotl_i32:
    case Opcode::rotl_i64:
      by_imm ? rol(a, count) : rol(a, cl);
      break;
    case Opcode::rotr_i32:
    case Opcode::rotr_i64:
      by_imm ? ror(a, count) : ror(a, cl);
      break;
    default:
      fatal("not a shift", op);
  }
  finish(op, r);
}

// clz/ctz with bsr/bsf (no LZCNT/TZCNT needed); a zero input gives in(1).
void Emitter::emit_count_zeros(const Op& op, bool is64, bool leading) {
  const Xbyak::Reg c = w(rcx, is64);
  const Lbl done = new_label();
  load(rax, op.in(1));
  load(rcx, op.in(0));
  if (leading)
    bsr(c, c);
  else
    bsf(c, c);
  jump_if(kCcE, done);
  if (leading) xor_(ecx, is64 ? 63 : 31);  // 63 - index == 63 ^ index
  mov(rax, rcx);
  bind(done);
  store(op.out(0), rax);
}

void Emitter::emit_ctpop(const Op& op, bool is64) {
  load(rax, op.in(0));
  if (host_has_popcnt()) {
    popcnt(w(rax, is64), w(rax, is64));
  } else {
    begin_call();
    mov(rdi, rax);  // an i32 value is already zero-extended
    call_fn(reinterpret_cast<const void*>(&thunk_popcount));
    end_call();
  }
  store(op.out(0), rax);
}

void Emitter::emit_deposit(const Op& op, bool is64) {
  const unsigned pos = static_cast<unsigned>(op.cst(0));
  const unsigned len = static_cast<unsigned>(op.cst(1));
  const unsigned bits = is64 ? 64 : 32;
  uint64_t field = len >= 64 ? ~0ull : (1ull << len) - 1;
  uint64_t mask = (field << pos) & (is64 ? ~0ull : 0xffffffffull);
  load(rax, op.in(0));
  load(rcx, op.in(1));
  if (pos) shl(w(rcx, is64), static_cast<int>(pos));
  if (is64) {
    mov(rdx, mask);
    and_(rcx, rdx);
    mov(rdx, ~mask);
    and_(rax, rdx);
    or_(rax, rcx);
  } else {
    and_(ecx, static_cast<uint32_t>(mask));
    and_(eax, static_cast<uint32_t>(~mask));
    or_(eax, ecx);
  }
  (void)bits;
  store(op.out(0), rax);
}

// Bits [pos, pos+len): shift the field to the top, then back down.
void Emitter::emit_extract(const Op& op, bool is64, bool is_signed) {
  const unsigned pos = static_cast<unsigned>(op.cst(0));
  const unsigned len = static_cast<unsigned>(op.cst(1));
  const unsigned bits = is64 ? 64 : 32;
  const Xbyak::Reg64 r = result_reg(op);
  const Xbyak::Reg a = w(r, is64);
  load(r, op.in(0));
  if (bits - pos - len) shl(a, static_cast<int>(bits - pos - len));
  if (bits - len) {
    if (is_signed)
      sar(a, static_cast<int>(bits - len));
    else
      shr(a, static_cast<int>(bits - len));
  }
  finish(op, r);
}

bool Emitter::emit_scalar(const Op& op) {
  using O = Opcode;
  const O o = op.opc;
  switch (o) {
    case O::mov_i32:
    case O::mov_i64:
    case O::extrl_i64_i32:   // the i32 store keeps the low half
    case O::extu_i32_i64: {  // i32 loads zero-extend
      const Xbyak::Reg64 r = result_reg(op);
      load(r, op.in(0));
      finish(op, r);
      return true;
    }
    case O::add_i32:
    case O::sub_i32:
    case O::and_i32:
    case O::or_i32:
    case O::xor_i32:
      emit_alu(op, false);
      return true;
    case O::add_i64:
    case O::sub_i64:
    case O::and_i64:
    case O::or_i64:
    case O::xor_i64:
      emit_alu(op, true);
      return true;
    case O::mul_i32:
    case O::mul_i64:
      emit_mul(op, o == O::mul_i64);
      return true;
    case O::mulu2_i32:
    case O::mulu2_i64:
      emit_mul2(op, o == O::mulu2_i64, false);
      return true;
    case O::muls2_i32:
    case O::muls2_i64:
      emit_mul2(op, o == O::muls2_i64, true);
      return true;
    case O::divu_i32:
      emit_div(op, false, false, false);
      return true;
    case O::divu_i64:
      emit_div(op, true, false, false);
      return true;
    case O::divs_i32:
      emit_div(op, false, true, false);
      return true;
    case O::divs_i64:
      emit_div(op, true, true, false);
      return true;
    case O::remu_i32:
      emit_div(op, false, false, true);
      return true;
    case O::remu_i64:
      emit_div(op, true, false, true);
      return true;
    case O::rems_i32:
      emit_div(op, false, true, true);
      return true;
    case O::rems_i64:
      emit_div(op, true, true, true);
      return true;
    case O::andc_i32:
    case O::andc_i64: {
      const bool is64 = o == O::andc_i64;
      load(rax, op.in(0));
      uint32_t imm;
      if (info(op.in(1)).is_const && imm_fits(op.in(1), is64, &imm)) {
        // ~b fits whenever b does (sign-extension commutes with not).
        and_(w(rax, is64), ~imm);
      } else {
        load(rcx, op.in(1));
        not_(rcx);
        and_(w(rax, is64), w(rcx, is64));
      }
      store(op.out(0), rax);
      return true;
    }
    case O::not_i32:
    case O::not_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      load(r, op.in(0));
      not_(w(r, o == O::not_i64));
      finish(op, r);
      return true;
    }
    case O::neg_i32:
    case O::neg_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      load(r, op.in(0));
      neg(w(r, o == O::neg_i64));
      finish(op, r);
      return true;
    }
    case O::shl_i32:
    case O::shr_i32:
    case O::sar_i32:
    case O::rotl_i32:
    case O::rotr_i32:
      emit_shift(op, false);
      return true;
    case O::shl_i64:
    case O::shr_i64:
    case O::sar_i64:
    case O::rotl_i64:
    case O::rotr_i64:
      emit_shift(op, true);
      return true;
    case O::ext8s_i32: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movsx(r.cvt32(), src.cvt8());
      finish(op, r);
      return true;
    }
    case O::ext8u_i32:
    case O::ext8u_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movzx(r.cvt32(), src.cvt8());
      finish(op, r);
      return true;
    }
    case O::ext16s_i32: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movsx(r.cvt32(), src.cvt16());
      finish(op, r);
      return true;
    }
    case O::ext16u_i32:
    case O::ext16u_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movzx(r.cvt32(), src.cvt16());
      finish(op, r);
      return true;
    }
    case O::ext8s_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movsx(r, src.cvt8());
      finish(op, r);
      return true;
    }
    case O::ext16s_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movsx(r, src.cvt16());
      finish(op, r);
      return true;
    }
    case O::ext32s_i64:
    case O::exts_i32_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      movsxd(r, src.cvt32());
      finish(op, r);
      return true;
    }
    case O::ext32u_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      const Xbyak::Reg64 src = source_reg(op.in(0), r);  // no copy when it has a register
      mov(r.cvt32(), src.cvt32());
      finish(op, r);
      return true;
    }
    case O::setcond_i32:
    case O::setcond_i64: {
      const Xbyak::Reg64 r = result_reg(op);
      compare(op.in(0), op.in(1), o == O::setcond_i64);
      setcc(static_cast<Cond>(op.cst(0)), r.cvt8());
      movzx(r.cvt32(), r.cvt8());
      finish(op, r);
      return true;
    }
    case O::movcond_i32:
    case O::movcond_i64: {
      // out = in0 <cond> in1 ? in2 : in3, built in out's register unless
      // in2 is out itself (result_reg then says rax, which compare uses).
      const bool is64 = o == O::movcond_i64;
      Xbyak::Reg64 r = result_reg(op);
      if (r.getIdx() == Xbyak::Operand::RAX) r = rdx;
      compare(op.in(0), op.in(1), is64);
      load(r, op.in(3));  // MOV leaves the flags alone
      cmovcc(static_cast<Cond>(op.cst(0)), w(r, is64), w(source_reg(op.in(2), rsi), is64));
      if (r.getIdx() == Xbyak::Operand::RDX) store(op.out(0), rdx);
      return true;
    }
    case O::clz_i32:
    case O::clz_i64:
      emit_count_zeros(op, o == O::clz_i64, true);
      return true;
    case O::ctz_i32:
    case O::ctz_i64:
      emit_count_zeros(op, o == O::ctz_i64, false);
      return true;
    case O::ctpop_i32:
    case O::ctpop_i64:
      emit_ctpop(op, o == O::ctpop_i64);
      return true;
    case O::bswap16_i32:
    case O::bswap16_i64:
      load(rax, op.in(0));
      movzx(eax, ax);
      rol(ax, 8);
      store(op.out(0), rax);
      return true;
    case O::bswap32_i32:
    case O::bswap32_i64:
      load(rax, op.in(0));
      bswap(eax);  // writing eax clears the upper half
      store(op.out(0), rax);
      return true;
    case O::bswap64_i64:
      load(rax, op.in(0));
      bswap(rax);
      store(op.out(0), rax);
      return true;
    case O::deposit_i32:
    case O::deposit_i64:
      emit_deposit(op, o == O::deposit_i64);
      return true;
    case O::extract_i32:
    case O::extract_i64:
      emit_extract(op, o == O::extract_i64, false);
      return true;
    case O::sextract_i32:
    case O::sextract_i64:
      emit_extract(op, o == O::sextract_i64, true);
      return true;
    case O::extrh_i64_i32: {
      const Xbyak::Reg64 r = result_reg(op);
      load(r, op.in(0));
      shr(r, 32);
      finish(op, r);
      return true;
    }
    case O::concat_i32_i64:
      load(rax, op.in(0));
      load(rcx, op.in(1));
      shl(rcx, 32);
      or_(rax, rcx);
      store(op.out(0), rax);
      return true;
    default:
      return false;
  }
}

void Emitter::emit_env(const Op& op) {
  using O = Opcode;
  const uint32_t off = env_off(op);
  const Xbyak::RegExp at = rbx + off;
  const bool integer_load = op.nout == 1 && info(op.out(0)).type != tcg::Type::kV128;
  const Xbyak::Reg64 r = integer_load ? result_reg(op) : rax;
  switch (op.opc) {
    case O::ld8u_i32:
    case O::ld8u_i64:
      movzx(r.cvt32(), byte[at]);
      break;
    case O::ld8s_i32:
      movsx(r.cvt32(), byte[at]);
      break;
    case O::ld16u_i32:
    case O::ld16u_i64:
      movzx(r.cvt32(), word[at]);
      break;
    case O::ld16s_i32:
      movsx(r.cvt32(), word[at]);
      break;
    case O::ld_i32:
    case O::ld32u_i64:
      mov(r.cvt32(), dword[at]);
      break;
    case O::ld8s_i64:
      movsx(r, byte[at]);
      break;
    case O::ld16s_i64:
      movsx(r, word[at]);
      break;
    case O::ld32s_i64:
      movsxd(r, dword[at]);
      break;
    case O::ld_i64:
      mov(r, qword[at]);
      break;
    case O::ld_v128:
      movdqu(xmm0, ptr[at]);
      movdqu(slot(op.out(0)), xmm0);
      return;
    case O::st_v128:
      movdqu(xmm0, slot(op.in(0)));
      movdqu(ptr[at], xmm0);
      return;
    case O::st8_i32:
    case O::st8_i64:
    case O::st16_i32:
    case O::st16_i64:
    case O::st_i32:
    case O::st32_i64:
    case O::st_i64: {
      const uint32_t t = op.in(0);
      const bool is_const = info(t).is_const;
      const uint64_t v = info(t).value;
      const Xbyak::Reg64 src = is_const ? rax : source_reg(t, rax);
      switch (op.opc) {
        case O::st8_i32:
        case O::st8_i64:
          is_const ? mov(byte[at], v & 0xff) : mov(byte[at], src.cvt8());
          break;
        case O::st16_i32:
        case O::st16_i64:
          is_const ? mov(word[at], v & 0xffff) : mov(word[at], src.cvt16());
          break;
        case O::st_i32:
        case O::st32_i64:
          is_const ? mov(dword[at], v & 0xffffffff) : mov(dword[at], src.cvt32());
          break;
        default: {
          uint32_t imm;
          if (imm_fits(t, true, &imm)) {
            mov(qword[at], v);
          } else {
            if (is_const) load(rax, t);
            mov(qword[at], src);
          }
          break;
        }
      }
      return;
    }
    default:
      fatal("unhandled env op", op);
  }
  finish(op, r);
}

// Guest loads and stores: with a fast TLB, a probe inline (the page number of
// the access's last byte against the entry chosen by its first byte, so an
// access crossing a page never matches) and the host access; anything else
// goes to the out-of-line call of MemoryInterface, which then resumes here.
void Emitter::emit_memory(const Op& op) {
  using O = Opcode;
  const JitFastTlb& tlb = config_.tlb;
  const uint32_t memop = static_cast<uint32_t>(op.cst(0));
  const uint32_t mem_index = static_cast<uint32_t>(op.cst(1));
  const bool is_vector = op.opc == O::qemu_ld_v128 || op.opc == O::qemu_st_v128;
  const bool is_load =
      op.opc == O::qemu_ld_i32 || op.opc == O::qemu_ld_i64 || op.opc == O::qemu_ld_v128;
  if (!tlb.enabled || mem_index >= tlb.num_mem_indexes) {
    emit_memory_call(op);
    if (is_load && !is_vector) store(op.out(0), rax);
    return;
  }
  const unsigned size = is_vector ? 16 : memop_size(memop);
  const uint32_t addr_temp = is_load ? op.in(0) : op.in(1);
  SlowPath path;
  path.entry = new_label();
  path.resume = new_label();
  path.op = &op;
  path.ordinal = insn_ordinal_;
  count(&JitStats::tlb_fast);
  // The address stays where it is (an i32 one is zero-extended into rsi);
  // only rax and rcx are scratch, so a hit costs no copies.
  const Xbyak::Reg64 addr = wide(addr_temp) ? source_reg(addr_temp, rsi) : rsi;
  if (!wide(addr_temp)) load(rsi, addr_temp);
  // The entry's byte offset: the index bits shifted down to entry_shift
  // and masked in place (the index lies in the address's low 32 bits).
  if (tlb.page_bits >= tlb.entry_shift && tlb.page_bits + tlb.index_bits <= 32) {
    mov(eax, addr.cvt32());
    shr(eax, static_cast<int>(tlb.page_bits - tlb.entry_shift));
    and_(eax, ((1u << tlb.index_bits) - 1) << tlb.entry_shift);
  } else {
    mov(rax, addr);
    shr(rax, static_cast<int>(tlb.page_bits));
    and_(eax, (1u << tlb.index_bits) - 1);
    shl(eax, static_cast<int>(tlb.entry_shift));
  }
  const int64_t table = int64_t{tlb.env_offset} + int64_t{mem_index} * tlb.mem_index_stride;
  const auto field = [&](int64_t offset) {
    return qword[rbx + rax + static_cast<int32_t>(table + offset)];
  };
  if (size > 1)
    lea(rcx, ptr[addr + static_cast<int>(size - 1)]);
  else
    mov(rcx, addr);
  shr(rcx, static_cast<int>(tlb.page_bits));
  cmp(rcx, field(is_load ? tlb.read_tag_offset : tlb.write_tag_offset));
  jump_if(kCcNe, path.entry);
  mov(rcx, field(tlb.addend_offset));
  const Xbyak::RegExp host = addr + rcx;
  // A load's value goes straight to its temp's register (rax when it has
  // none); the slow path leaves it there too.
  const Xbyak::Reg64 r = is_load && !is_vector ? result_reg(op) : rax;
  path.result = r;
  if (is_vector) {
    // v128 temps live in slots; the slow path reads and writes the slot too.
    if (is_load) {
      movdqu(xmm0, ptr[host]);
      movdqu(slot(op.out(0)), xmm0);
    } else {
      movdqu(xmm0, slot(op.in(0)));
      movdqu(ptr[host], xmm0);
    }
  } else if (is_load) {
    const bool sign = memop_signed(memop);
    const bool to64 = op.opc == O::qemu_ld_i64;
    const Xbyak::Reg32 r32 = r.cvt32();
    switch (size) {
      case 1:
        sign ? (to64 ? movsx(r, byte[host]) : movsx(r32, byte[host])) : movzx(r32, byte[host]);
        break;
      case 2:
        sign ? (to64 ? movsx(r, word[host]) : movsx(r32, word[host])) : movzx(r32, word[host]);
        break;
      case 4:
        sign&& to64 ? movsxd(r, dword[host]) : mov(r32, dword[host]);
        break;
      default:
        to64 ? mov(r, qword[host]) : mov(r32, dword[host]);
        break;
    }
  } else {
    const uint32_t value = op.in(0);
    uint32_t imm;
    if (imm_fits(value, size == 8, &imm)) {
      switch (size) {
        case 1:
          mov(byte[host], imm & 0xff);
          break;
        case 2:
          mov(word[host], imm & 0xffff);
          break;
        case 4:
          mov(dword[host], imm);
          break;
        default:
          mov(qword[host], info(value).value);  // a sign-extended imm32
          break;
      }
    } else {
      const Xbyak::Reg64 v = source_reg(value, rax);  // rax is free after the probe
      switch (size) {
        case 1:
          mov(byte[host], v.cvt8());
          break;
        case 2:
          mov(word[host], v.cvt16());
          break;
        case 4:
          mov(dword[host], v.cvt32());
          break;
        default:
          mov(qword[host], v);
          break;
      }
    }
  }
  bind(path.resume);
  if (is_load && !is_vector) finish(op, r);
  slow_paths_.push_back(path);
}

void Emitter::emit_slow_paths() {
  for (const SlowPath& path : slow_paths_) {
    bind(path.entry);
    insn_ordinal_ = path.ordinal;  // for the fault site
    current_op_ = static_cast<int>(path.op - block_.ops.data());
    count(&JitStats::tlb_slow);
    emit_memory_call(*path.op);  // a load leaves its value in rax
    if (path.result.getIdx() != Xbyak::Operand::RAX) mov(path.result, rax);
    jump(path.resume);
  }
}

void Emitter::emit_memory_call(const Op& op) {
  using O = Opcode;
  const uint32_t memop = static_cast<uint32_t>(op.cst(0));
  const uint32_t mem_index = static_cast<uint32_t>(op.cst(1));
  // Arguments are read from temps before rdi, r8 or r9 are written.
  begin_call();
  switch (op.opc) {
    case O::qemu_ld_i32:
    case O::qemu_ld_i64:
      load(rsi, op.in(0));
      mov(rdi, r12);
      lea(rdx, ptr[r12 + offsetof(JitRunContext, scratch_result)]);
      mov(ecx, memop);
      mov(r8d, mem_index);
      mov(r9d, op.opc == O::qemu_ld_i32 ? 1u : 0u);
      call_fn(reinterpret_cast<const void*>(&thunk_load));
      end_call();
      test(eax, eax);
      jump_if(kCcE, fault_exit(mem_fault_));
      mov(rax, qword[r12 + offsetof(JitRunContext, scratch_result)]);  // the value
      return;
    case O::qemu_st_i32:
    case O::qemu_st_i64:
      load(rdx, op.in(0));
      load(rsi, op.in(1));
      mov(rdi, r12);
      mov(ecx, memop_size(memop));
      mov(r8d, mem_index);
      call_fn(reinterpret_cast<const void*>(&thunk_store));
      break;
    case O::qemu_ld_v128:
      load(rsi, op.in(0));
      mov(rdi, r12);
      lea(rdx, slot(op.out(0)));
      mov(ecx, mem_index);
      call_fn(reinterpret_cast<const void*>(&thunk_load128));
      break;
    case O::qemu_st_v128:
      load(rsi, op.in(1));
      mov(rdi, r12);
      lea(rdx, slot(op.in(0)));
      mov(ecx, mem_index);
      call_fn(reinterpret_cast<const void*>(&thunk_store128));
      break;
    default:
      fatal("unhandled memory op", op);
  }
  end_call();
  test(eax, eax);
  jump_if(kCcE, fault_exit(mem_fault_));
}

void Emitter::emit_call(const Op& op) {
  const HelperInfo* h = op.helper();
  if (!h || op.nin > kMaxHelperArgs) fatal("bad call", op);
  count(&JitStats::helper_calls);
  // Only the helper's own arguments: invoke_helper passes all six, and the
  // helper's adapter ignores those past its signature.
  for (unsigned i = 0; i < op.nin; ++i) {
    const Xbyak::Address arg = qword[r12 + offsetof(JitRunContext, helper_args) + 8 * i];
    uint32_t imm;
    if (imm_fits(op.in(i), true, &imm)) {
      mov(arg, info(op.in(i)).value);
    } else {
      load(rax, op.in(i));
      mov(arg, rax);
    }
  }
  begin_call();
  mov(rdi, reinterpret_cast<uint64_t>(h));
  mov(rsi, rbx);
  lea(rdx, ptr[r12 + offsetof(JitRunContext, helper_args)]);
  const bool vector_result = op.nout && info(op.out(0)).type == tcg::Type::kV128;
  if (vector_result)
    lea(rcx, slot(op.out(0)));
  else
    lea(rcx, ptr[r12 + offsetof(JitRunContext, scratch_result)]);
  lea(r8, ptr[r12 + offsetof(JitRunContext, fault)]);
  call_fn(reinterpret_cast<const void*>(&invoke_helper));
  end_call();
  test(al, al);
  jump_if(kCcE, fault_exit(helper_fault_));
  if (op.nout && !vector_result) {
    mov(rax, qword[r12 + offsetof(JitRunContext, scratch_result)]);
    store(op.out(0), rax);
  }
}

void Emitter::emit_vector(const Op& op) {
  using O = Opcode;
  switch (op.opc) {
    case O::mov_v128:
      movdqu(xmm0, slot(op.in(0)));
      break;
    case O::and_v128:
      movdqu(xmm0, slot(op.in(0)));
      movdqu(xmm1, slot(op.in(1)));
      pand(xmm0, xmm1);
      break;
    case O::or_v128:
      movdqu(xmm0, slot(op.in(0)));
      movdqu(xmm1, slot(op.in(1)));
      por(xmm0, xmm1);
      break;
    case O::xor_v128:
      movdqu(xmm0, slot(op.in(0)));
      movdqu(xmm1, slot(op.in(1)));
      pxor(xmm0, xmm1);
      break;
    case O::andc_v128:  // pandn: dst = ~dst & src
      movdqu(xmm0, slot(op.in(1)));
      movdqu(xmm1, slot(op.in(0)));
      pandn(xmm0, xmm1);
      break;
    case O::concat_i64_v128:
      load(rax, op.in(0));
      load(rcx, op.in(1));
      mov(qslot(op.out(0)), rax);
      mov(qslot(op.out(0), 8), rcx);
      return;
    case O::extract_v128_i64:
      mov(rax, qslot(op.in(0), (op.cst(0) & 1) ? 8 : 0));
      store(op.out(0), rax);
      return;
    default:
      fatal("unhandled vector op", op);
  }
  movdqu(slot(op.out(0)), xmm0);
}

}  // namespace

bool JitBlock::build(const Block& block, JitRuntime& runtime, const JitBlockOptions& options) {
  HeapAllocator allocator;
  std::optional<Emitter> emitter_storage;
  emitter_storage.emplace(block, &allocator, runtime.config(), options, this, &runtime.stats);
  emitter_storage->generate();
  if (emitter_storage->elision_failed()) {
    emitter_storage.reset();
    emitter_storage.emplace(block, &allocator, runtime.config(), options, this, &runtime.stats,
                            false);
    emitter_storage->generate();
  }
  Emitter& emitter = *emitter_storage;
  const uint8_t* at = runtime.buffer().allocate(emitter.getSize());
  if (!at) return false;
  uint8_t* w = runtime.buffer().writable(at);
  std::memcpy(w, emitter.getCode(), emitter.getSize());
  for (const StubFixup& f : emitter.fixups) {
    const uint8_t* target = f.stub == StubKind::kExit         ? runtime.exit_stub()
                            : f.stub == StubKind::kGotoLookup ? runtime.goto_lookup_stub()
                                                              : runtime.ptr_lookup_stub();
    const int64_t rel = target - (at + f.end);
    if (rel != static_cast<int32_t>(rel)) {
      std::fprintf(stderr, "tcg jit: stub out of rel32 range\n");
      std::abort();
    }
    const int32_t rel32 = static_cast<int32_t>(rel);
    std::memcpy(w + f.end - 4, &rel32, 4);
  }
  runtime_ = &runtime;
  generation_ = runtime.generation();
  code_ = at;
  size_ = emitter.getSize();
  unchecked_offset_ = emitter.unchecked_offset;
  frame_words_ = emitter.frame_words();
  insns_ = InsnTable(emitter.insn_data, emitter.insn_offsets);
  chain_sites_[0] = std::move(emitter.chain_sites[0]);
  chain_sites_[1] = std::move(emitter.chain_sites[1]);
  ++runtime.stats.blocks;
  runtime.stats.code_bytes += size_;
  if (perf_map_enabled())
    perf_map_add_block(code_, size_, insns_.size() ? insns_.at(0).data[0] : 0);
  return true;
}

JitBlock::JitBlock(const Block& block) {
  // Size the private buffer from a first, throw-away compilation.
  JitConfig sizing;
  sizing.code_buffer_bytes = 4096;
  JitRuntime probe_runtime(sizing);
  HeapAllocator allocator;
  JitBlockOptions options;
  options.entry_checks = false;
  options.link = false;
  // Without store elision: the largest the code can be.
  Emitter probe(block, &allocator, probe_runtime.config(), options, this, nullptr, false);
  probe.generate();
  JitConfig config;
  config.code_buffer_bytes = probe.getSize() + 4096;
  own_runtime_ = std::make_shared<JitRuntime>(config);
  if (!build(block, *own_runtime_, options)) {
    std::fprintf(stderr, "tcg jit: private code buffer too small\n");
    std::abort();
  }
}

std::unique_ptr<JitBlock> JitBlock::compile(const Block& block, JitRuntime& runtime,
                                            const JitBlockOptions& options) {
  std::unique_ptr<JitBlock> b(new JitBlock());
  if (!b->build(block, runtime, options)) return nullptr;
  return b;
}

const void* JitBlock::chain_entry() const {
  if (!runtime_ || generation_ != runtime_->generation()) return nullptr;
  if (frame_words_ > kJitSharedFrameWords) return nullptr;
  return code_;
}

void JitBlock::patch_sites(unsigned slot, const uint8_t* target) {
  uint8_t* w = runtime_->buffer().writable(code_);
  for (uint32_t end : chain_sites_[slot]) {
    const int32_t rel = static_cast<int32_t>(target - (code_ + end));
    std::memcpy(w + end - 4, &rel, 4);
  }
}

bool JitBlock::chain(unsigned slot, const CompiledBlock& target) {
  if (slot >= 2 || chain_sites_[slot].empty()) return false;
  if (!runtime_ || generation_ != runtime_->generation()) return false;
  const auto* t = dynamic_cast<const JitBlock*>(&target);
  if (!t || t->runtime_ != runtime_) return false;
  const void* entry = t->chain_entry();
  if (!entry) return false;
  patch_sites(slot, static_cast<const uint8_t*>(entry));
  ++runtime_->stats.chains;
  return true;
}

void JitBlock::unchain(unsigned slot) {
  if (slot >= 2 || !runtime_ || generation_ != runtime_->generation()) return;
  for (uint32_t end : chain_sites_[slot]) {
    const int32_t rel = 0;  // back to the fall-through lookup
    std::memcpy(runtime_->buffer().writable(code_) + end - 4, &rel, 4);
  }
}

ExitRecord JitBlock::run(uint8_t* env, MemoryInterface& mem) const {
  // Temp slots: on the stack for ordinary blocks, on the heap for huge ones.
  alignas(16) uint64_t stack_slots[kJitSharedFrameWords];
  std::unique_ptr<uint64_t[]> heap_slots;
  uint64_t* slots = stack_slots;
  if (frame_words_ > kJitSharedFrameWords) {
    heap_slots.reset(new uint64_t[frame_words_ + 2]);
    slots = reinterpret_cast<uint64_t*>((reinterpret_cast<uintptr_t>(heap_slots.get()) + 15) &
                                        ~uintptr_t{15});
  }
  std::exception_ptr pending;
  JitRunContext ctx{};
  ctx.mem = &mem;
  ctx.pending = &pending;
  auto enter = reinterpret_cast<JitEnterFn>(reinterpret_cast<uintptr_t>(runtime_->enter_stub()));
  JitResult r = enter(env, slots, &ctx, code_ + unchecked_offset_);
  if (pending) std::rethrow_exception(pending);

  const JitBlock* last = ctx.last_block ? ctx.last_block : this;
  ExitRecord ex;
  ex.block = last;
  ex.kind = static_cast<ExitKind>(r.kind);
  if (ex.kind == ExitKind::kExitTb) ex.value = r.value;
  if (ex.kind == ExitKind::kGotoTb) ex.slot = static_cast<unsigned>(r.value);
  ex.insn_index = ctx.insn_count;
  if (ctx.insn_ordinal >= 0) {
    const InsnTable::Record record = last->insns_.at(static_cast<size_t>(ctx.insn_ordinal));
    ex.insn_data[0] = record.data[0];
    ex.insn_data[1] = record.data[1];
  }
  if (ex.kind == ExitKind::kFault) {
    ex.fault_in_helper = ctx.fault_in_helper != 0;
    ex.fault = ctx.fault;
  }
  return ex;
}

}  // namespace vx86::tcg

#endif  // __x86_64__
