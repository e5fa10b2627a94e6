#include "tests/target-x86/native_runner.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace vx86::x86::testing {

#if defined(__x86_64__)

// The trampoline: saves the host's callee-saved registers and stack, loads
// all 16 GPRs and the flags from `in` (regs[16], flags), jumps to the code.
// The code ends with a jump to vx86_diff_exit, which stores the GPRs and
// flags into vx86_diff_out (same layout) and returns to the caller.
extern "C" void vx86_diff_enter(const uint64_t* in, const void* code);
extern "C" uint64_t vx86_diff_out[17];
extern "C" char vx86_diff_exit[];

asm(R"(
  .text
  .globl vx86_diff_enter
  .type vx86_diff_enter, @function
vx86_diff_enter:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, vx86_diff_host_rsp(%rip)
  mov %rsi, vx86_diff_code(%rip)
  pushq 128(%rdi)
  popfq
  mov 0(%rdi), %rax
  mov 8(%rdi), %rcx
  mov 16(%rdi), %rdx
  mov 24(%rdi), %rbx
  mov 40(%rdi), %rbp
  mov 48(%rdi), %rsi
  mov 64(%rdi), %r8
  mov 72(%rdi), %r9
  mov 80(%rdi), %r10
  mov 88(%rdi), %r11
  mov 96(%rdi), %r12
  mov 104(%rdi), %r13
  mov 112(%rdi), %r14
  mov 120(%rdi), %r15
  mov 32(%rdi), %rsp
  mov 56(%rdi), %rdi
  jmp *vx86_diff_code(%rip)

  .globl vx86_diff_exit
vx86_diff_exit:
  mov %rsp, vx86_diff_out+32(%rip)
  lea vx86_diff_out+136(%rip), %rsp
  pushfq
  push %r15
  push %r14
  push %r13
  push %r12
  push %r11
  push %r10
  push %r9
  push %r8
  push %rdi
  push %rsi
  push %rbp
  lea -8(%rsp), %rsp
  push %rbx
  push %rdx
  push %rcx
  push %rax
  mov vx86_diff_host_rsp(%rip), %rsp
  cld
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret

  .bss
  .align 16
  .globl vx86_diff_out
vx86_diff_out:
  .zero 144
vx86_diff_host_rsp:
  .zero 8
vx86_diff_code:
  .zero 8
  .text
)");

namespace {

constexpr uint64_t kMapStart = kDiffCode;
constexpr uint64_t kMapEnd = 0x400000;

struct Slot {
  uint8_t code[kDiffMaxCode + 32];
  uint32_t code_len;
  uint64_t in[17];
  uint8_t data_in[kDiffDataSize];
  uint8_t stack_in[kDiffStackSize];
  uint64_t out[17];
  uint8_t data_out[kDiffDataSize];
  uint8_t stack_out[kDiffStackSize];
  uint32_t done;
};

struct Shared {
  uint64_t progress;  // index of the sequence the child is running
  uint64_t count;
  Slot slots[1];
};

bool map_fixed() {
  void* p = mmap(reinterpret_cast<void*>(kMapStart), kMapEnd - kMapStart,
                 PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  return p == reinterpret_cast<void*>(kMapStart);
}

[[noreturn]] void child_main(Shared* sh) {
  if (!map_fixed()) _exit(77);
  auto* code = reinterpret_cast<uint8_t*>(kDiffCode);
  auto* data = reinterpret_cast<uint8_t*>(kDiffData);
  auto* stack = reinterpret_cast<uint8_t*>(kDiffStackLow);
  for (uint64_t i = sh->progress; i < sh->count; ++i) {
    sh->progress = i;
    Slot& s = sh->slots[i];
    std::memcpy(data, s.data_in, kDiffDataSize);
    std::memcpy(stack, s.stack_in, kDiffStackSize);
    std::memcpy(code, s.code, s.code_len);
    __builtin___clear_cache(reinterpret_cast<char*>(code),
                            reinterpret_cast<char*>(code + s.code_len));
    vx86_diff_enter(s.in, code);
    std::memcpy(s.out, vx86_diff_out, sizeof(s.out));
    std::memcpy(s.data_out, data, kDiffDataSize);
    std::memcpy(s.stack_out, stack, kDiffStackSize);
    s.done = 1;
  }
  _exit(0);
}

}  // namespace

bool native_runner_available(std::string* why) {
  // Probe in a child: the fixed range must be free there.
  pid_t pid = fork();
  if (pid == 0) _exit(map_fixed() ? 0 : 77);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = "cannot map the fixed scratch range 0x100000-0x400000 in a child process";
    return false;
  }
  return true;
}

void run_native(const std::vector<const DiffSequence*>& sequences,
                std::vector<NativeResult>* results) {
  results->assign(sequences.size(), NativeResult{});
  if (sequences.empty()) return;
  const std::size_t bytes = sizeof(Shared) + sizeof(Slot) * sequences.size();
  auto* sh = static_cast<Shared*>(
      mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (sh == MAP_FAILED) return;
  sh->count = sequences.size();
  sh->progress = 0;
  const uint64_t exit_address = reinterpret_cast<uint64_t>(&vx86_diff_exit[0]);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const DiffSequence& q = *sequences[i];
    Slot& s = sh->slots[i];
    std::memcpy(s.code, q.code.data(), q.code.size());
    // jmp [rip+0]; .quad vx86_diff_exit
    uint8_t* tail = s.code + q.code.size();
    const uint8_t jump[6] = {0xFF, 0x25, 0, 0, 0, 0};
    std::memcpy(tail, jump, 6);
    std::memcpy(tail + 6, &exit_address, 8);
    s.code_len = static_cast<uint32_t>(q.code.size() + 14);
    std::memcpy(s.in, q.regs, sizeof(q.regs));
    s.in[16] = q.flags | 0x2;
    std::memcpy(s.data_in, q.data, kDiffDataSize);
    std::memcpy(s.stack_in, q.stack, kDiffStackSize);
    s.done = 0;
  }
  while (sh->progress < sh->count) {
    pid_t pid = fork();
    if (pid == 0) child_main(sh);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) break;  // cannot map: nothing ran
    // The sequence at `progress` crashed the child: skip it.
    ++sh->progress;
  }
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const Slot& s = sh->slots[i];
    NativeResult& r = (*results)[i];
    r.ran = s.done != 0;
    if (!r.ran) continue;
    std::memcpy(r.regs, s.out, sizeof(r.regs));
    r.flags = static_cast<uint32_t>(s.out[16]);
    std::memcpy(r.data, s.data_out, kDiffDataSize);
    std::memcpy(r.stack, s.stack_out, kDiffStackSize);
  }
  munmap(sh, bytes);
}

#else

bool native_runner_available(std::string* why) {
  *why = "the host is not x86-64";
  return false;
}

void run_native(const std::vector<const DiffSequence*>& sequences,
                std::vector<NativeResult>* results) {
  results->assign(sequences.size(), NativeResult{});
}

#endif

}  // namespace vx86::x86::testing
