#if defined(__x86_64__)

#include <xbyak/xbyak.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "tcg/interp.h"
#include "tcg/jit_x86_64.h"
#include "tcg/jit_x86_64_abi.h"
#include "tcg/perf_map.h"
#include "tcg/tb_cache.h"

namespace vx86::tcg {

namespace {

class HeapAllocator : public Xbyak::Allocator {
 public:
  uint8_t* alloc(size_t size) override { return static_cast<uint8_t*>(std::malloc(size)); }
  void free(uint8_t* p) override { std::free(p); }
  bool useProtect() const override { return false; }
};

// The stubs are position-independent except for their jumps to the exit
// stub, which go through its absolute address.
class StubEmitter : public Xbyak::CodeGenerator {
 public:
  explicit StubEmitter(Xbyak::Allocator* alloc)
      : Xbyak::CodeGenerator(4096, Xbyak::AutoGrow, alloc) {}

  void enter() {
    push(rbx);
    push(rbp);
    push(r12);
    push(r13);
    push(r14);
    push(r15);
    sub(rsp, 8);  // 6 pushes + return address: calls from blocks stay 16-aligned
    mov(rbx, rdi);
    mov(rbp, rsi);
    mov(r12, rdx);
    jmp(rcx);
  }
  void exit() {
    mov(dword[r12 + offsetof(JitRunContext, insn_count)], r13d);
    mov(dword[r12 + offsetof(JitRunContext, insn_ordinal)], r14d);
    mov(qword[r12 + offsetof(JitRunContext, last_block)], r15);
    add(rsp, 8);
    pop(r15);
    pop(r14);
    pop(r13);
    pop(r12);
    pop(rbp);
    pop(rbx);
    ret();
  }
  // The jump cache probe (TbCache::jump_hash and jump_cache_find); falls
  // through on a miss. Keeps edx.
  void probe_jump_cache(const JitConfig& config) {
    using Entry = TbCache::JumpEntry;
    const JitConfig::JumpCacheProbe& p = config.jump_cache;
    Xbyak::Label miss, wide;
    mov(rax, qword[rbx + p.pc_offset]);
    mov(rcx, qword[rbx + p.cs_base_offset]);
    mov(edi, dword[rbx + config.flags_offset]);
    lea(rsi, ptr[rax + rcx]);  // the linear address
    test(edi, p.wide_address_flag);
    jnz(wide);
    mov(esi, esi);
    L(wide);
    constexpr unsigned kGroup = TbCache::kJumpGroupBits, kWithin = TbCache::kJumpWithinBits;
    mov(r8, rsi);
    shr(r8, 12);  // page
    mov(r9, r8);
    shr(r9, kGroup);
    xor_(r9, r8);
    shr(r8, 2 * kGroup);
    xor_(r9, r8);
    and_(r9d, (1u << kGroup) - 1);
    shl(r9d, kWithin);
    mov(r10, rsi);
    shr(r10, kWithin);
    xor_(r10, rsi);
    and_(r10d, (1u << kWithin) - 1);
    or_(r9d, r10d);
    imul(r9, r9, static_cast<int>(sizeof(Entry)));
    mov(r10, reinterpret_cast<uint64_t>(p.table));
    add(r9, r10);
    cmp(qword[r9 + offsetof(Entry, vaddr)], rsi);
    jne(miss);
    cmp(qword[r9 + offsetof(Entry, pc)], rax);
    jne(miss);
    cmp(qword[r9 + offsetof(Entry, cs_base)], rcx);
    jne(miss);
    cmp(dword[r9 + offsetof(Entry, flags)], edi);
    jne(miss);
    mov(rax, qword[r9 + offsetof(Entry, code)]);
    test(rax, rax);
    jz(miss);
    jmp(rax);  // the block's checked entry decides whether it may run
    L(miss);
  }

  // edx = slot for goto_tb; rip etc. are already in env.
  void lookup(const JitConfig& config, ExitKind miss_kind, const uint8_t* exit_stub) {
    Xbyak::Label miss;
    const bool chain = miss_kind == ExitKind::kGotoTb && config.goto_lookup;
    if (!chain && config.lookup && config.jump_cache.table && config.flags_offset >= 0) {
      probe_jump_cache(config);
    }
    if (chain || config.lookup) {
      mov(dword[r12 + offsetof(JitRunContext, exit_slot)], edx);
      mov(rdi, reinterpret_cast<uint64_t>(config.lookup_opaque));
      if (chain) {
        // The exiting block (r15) and its slot (edx), to be chained: this
        // stub then runs once per goto_tb exit instead of on every pass.
        mov(rsi, r15);
        mov(rax, reinterpret_cast<uint64_t>(config.goto_lookup));
      } else {
        mov(rax, reinterpret_cast<uint64_t>(config.lookup));
      }
      call(rax);
      test(rax, rax);
      jz(miss);
      jmp(rax);
      L(miss);
      mov(edx, dword[r12 + offsetof(JitRunContext, exit_slot)]);
    }
    mov(eax, static_cast<uint32_t>(miss_kind));
    mov(rcx, reinterpret_cast<uint64_t>(exit_stub));
    jmp(rcx);
  }
};

}  // namespace

JitRuntime::JitRuntime(const JitConfig& config)
    : config_(config), buffer_(config.code_buffer_bytes) {
  emit_stubs();
}

void JitRuntime::emit_stubs() {
  auto install = [this](StubEmitter& e, const char* name) {
    e.ready();
    const uint8_t* at = buffer_.allocate(e.getSize());
    if (!at) {
      std::fprintf(stderr, "tcg jit: code buffer too small for the stubs\n");
      std::abort();
    }
    std::memcpy(buffer_.writable(at), e.getCode(), e.getSize());
    perf_map_add(at, e.getSize(), name);
    return at;
  };
  HeapAllocator alloc;
  {
    StubEmitter e(&alloc);
    e.enter();
    enter_ = install(e, "vx86-stub:enter");
  }
  {
    StubEmitter e(&alloc);
    e.exit();
    exit_ = install(e, "vx86-stub:exit");
  }
  {
    StubEmitter e(&alloc);
    e.lookup(config_, ExitKind::kGotoTb, exit_);
    goto_lookup_ = install(e, "vx86-stub:goto-tb-lookup");
  }
  {
    StubEmitter e(&alloc);
    e.xor_(e.edx, e.edx);
    e.lookup(config_, ExitKind::kLookup, exit_);
    ptr_lookup_ = install(e, "vx86-stub:indirect-lookup");
  }
  stubs_end_ = buffer_.used();
}

void JitRuntime::flush() {
  buffer_.reset(stubs_end_);
  ++generation_;
  ++stats.flushes;
}

std::shared_ptr<JitRuntime> make_jit_runtime(const JitConfig& config) {
  return std::make_shared<JitRuntime>(config);
}

JitStats jit_runtime_stats(const JitRuntime& runtime) {
  return runtime.stats;
}

void jit_runtime_flush(JitRuntime& runtime) {
  runtime.flush();
}

}  // namespace vx86::tcg

#endif  // __x86_64__
