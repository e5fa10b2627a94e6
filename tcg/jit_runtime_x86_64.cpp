#if defined(__x86_64__)

#include <xbyak/xbyak.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "tcg/interp.h"
#include "tcg/jit_x86_64.h"
#include "tcg/jit_x86_64_abi.h"

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
  // edx = slot for goto_tb; rip etc. are already in env.
  void lookup(const JitConfig& config, ExitKind miss_kind, const uint8_t* exit_stub) {
    Xbyak::Label miss;
    if (config.lookup) {
      mov(dword[r12 + offsetof(JitRunContext, exit_slot)], edx);
      mov(rdi, reinterpret_cast<uint64_t>(config.lookup_opaque));
      mov(rax, reinterpret_cast<uint64_t>(config.lookup));
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
  auto install = [this](StubEmitter& e) {
    e.ready();
    const uint8_t* at = buffer_.allocate(e.getSize());
    if (!at) {
      std::fprintf(stderr, "tcg jit: code buffer too small for the stubs\n");
      std::abort();
    }
    std::memcpy(buffer_.writable(at), e.getCode(), e.getSize());
    return at;
  };
  HeapAllocator alloc;
  {
    StubEmitter e(&alloc);
    e.enter();
    enter_ = install(e);
  }
  {
    StubEmitter e(&alloc);
    e.exit();
    exit_ = install(e);
  }
  {
    StubEmitter e(&alloc);
    e.lookup(config_, ExitKind::kGotoTb, exit_);
    goto_lookup_ = install(e);
  }
  {
    StubEmitter e(&alloc);
    e.xor_(e.edx, e.edx);
    e.lookup(config_, ExitKind::kLookup, exit_);
    ptr_lookup_ = install(e);
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
