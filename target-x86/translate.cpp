#include "target-x86/translate.h"

#include <capstone/capstone.h>

#include <cinttypes>
#include <cstdio>
#include <string>

#include "core/log.h"
#include "target-x86/exceptions.h"
#include "target-x86/helpers.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {

struct FetchContext {
  X86Cpu* cpu;
  bool faulted = false;
  // The page of the last byte fetched from RAM and its host address: the
  // following bytes come straight from there, without a soft-MMU lookup each.
  uint64_t page = ~0ull;
  const uint8_t* host = nullptr;
};

bool fetch_byte(void* opaque, uint64_t address, uint8_t* byte) {
  auto* f = static_cast<FetchContext*>(opaque);
  const uint64_t page = address >> 12;
  if (page == f->page) {
    *byte = f->host[address & 0xfff];
    return true;
  }
  if (!f->cpu->mmu.fetch(address, byte, 1)) {
    f->faulted = true;
    return false;
  }
  if (const uint8_t* host = f->cpu->mmu.fetch_host_page(address)) {
    f->page = page;
    f->host = host;
  }
  return true;
}

// One capstone handle per code size, opened on first use (only with -d in_asm).
csh capstone_handle(unsigned code_bits) {
  static thread_local csh handles[3] = {0, 0, 0};
  static thread_local bool opened[3] = {false, false, false};
  unsigned i = code_bits == 16 ? 0 : code_bits == 32 ? 1 : 2;
  if (!opened[i]) {
    opened[i] = true;
    cs_mode mode = i == 0 ? CS_MODE_16 : i == 1 ? CS_MODE_32 : CS_MODE_64;
    if (cs_open(CS_ARCH_X86, mode, &handles[i]) != CS_ERR_OK) handles[i] = 0;
  }
  return handles[i];
}

void log_instruction(const DisasContext& s, uint64_t linear) {
  uint8_t bytes[kMaxInsnLength];
  unsigned len = s.insn.length ? s.insn.length : 1;
  if (len > static_cast<unsigned>(kMaxInsnLength)) len = kMaxInsnLength;
  if (!s.cpu.mmu.fetch(linear, bytes, len)) len = 0;
  char hex[3 * kMaxInsnLength + 1] = "";
  for (unsigned i = 0; i < len; ++i) std::snprintf(hex + 3 * i, 4, "%02x ", bytes[i]);
  std::string text = mnemonic_name(s.insn.mnemonic);
  csh handle = capstone_handle(s.code_bits);
  cs_insn* insn = nullptr;
  if (handle && len && cs_disasm(handle, bytes, len, s.pc, 1, &insn) == 1) {
    text = std::string(insn->mnemonic) + (insn->op_str[0] ? " " : "") + insn->op_str;
  }
  if (insn) cs_free(insn, 1);
  log_printf("IN: %04x:%08" PRIx64 "  %-30s %s\n", s.cpu.segs[kSegCS].selector, s.pc, hex,
             text.c_str());
}

}  // namespace

void gen_end_block(DisasContext& s) {
  // State that affects translation or interrupts may have changed: back to
  // the execution loop, never chained.
  s.b.st_i64(s.b.const_i64(s.next_pc), offsetof(CpuState, rip));
  s.b.exit_tb(uint64_t{0});
  s.block_ended = true;
}

void gen_jump_const(DisasContext& s, uint64_t new_ip) {
  tcg::IrBuilder& b = s.b;
  b.st_i64(b.const_i64(new_ip), offsetof(CpuState, rip));
  // A constant target: a chainable exit (the JIT jumps straight to the next
  // block once linked). A link to another page lasts until a TLB flush
  // reaches that page (TbCache::link_across_pages); with both slots taken,
  // a target on another page is looked up in the jump cache.
  const uint64_t linear_mask = s.mode64 ? ~0ull : 0xffffffffull;
  const bool same_page = ((s.cs_base + new_ip) & linear_mask) >> 12 == s.block_page;
  if (s.goto_tb_slots < 2)
    b.goto_tb(uint64_t{s.goto_tb_slots++});
  else if (!same_page)
    b.lookup_and_goto_ptr();
  else
    b.exit_tb(uint64_t{0});
  s.block_ended = true;
}

void gen_jump(DisasContext& s, Temp new_ip) {
  s.b.st_i64(new_ip, offsetof(CpuState, rip));
  s.b.lookup_and_goto_ptr();
  s.block_ended = true;
}

void gen_exception(DisasContext& s, int vector, uint32_t error_code) {
  tcg::IrBuilder& b = s.b;
  b.call_helper(helper_info_raise_exception(),
                {b.const_i32(static_cast<uint32_t>(vector)), b.const_i32(error_code)});
  // Not reached at run time; keeps the block well formed.
  b.exit_tb(uint64_t{0});
  s.block_ended = true;
}

void gen_unimplemented(DisasContext& s) {
  if (log_enabled(kLogUnimp)) {
    std::string bytes;
    uint8_t buf[kMaxInsnLength];
    unsigned len = s.insn.length ? s.insn.length : 1;
    if (s.cpu.mmu.fetch(s.cs_base + s.pc, buf, len)) {
      for (unsigned i = 0; i < len; ++i) {
        char hex[4];
        std::snprintf(hex, sizeof(hex), "%02x ", buf[i]);
        bytes += hex;
      }
    }
    log_printf("unimp: %04x:%08" PRIx64 " %s bytes %s-> #UD\n", s.cpu.segs[kSegCS].selector, s.pc,
               mnemonic_name(s.insn.mnemonic), bytes.c_str());
  }
  gen_exception(s, kExcUD);
}

bool translate_block(X86Cpu& cpu, const TranslateOptions& options, TranslatedBlock* out) {
  // Room for a typical block up front instead of growing op by op.
  out->ir.ops.reserve(256);
  out->ir.temps.reserve(256);
  tcg::IrBuilder b(out->ir);
  DisasContext s{cpu, b};
  s.hflags = cpu.hflags;
  s.code_bits = code_size_bits(cpu.hflags);
  s.mode64 = (cpu.hflags & kHfCs64) != 0;
  s.vm86 = (cpu.hflags & kHfVm86) != 0;
  s.cpl = cpu.hflags & kHfCplMask;
  s.mem_index = s.cpl == 3 ? kMemUser : kMemSupervisor;
  s.cs_base = cpu.segs[kSegCS].base;
  s.pc = cpu.rip;
  s.cc_op = kCcOpDynamic;

  const uint64_t ip_mask = width_mask(s.mode64 ? 64 : s.code_bits == 16 ? 16 : 32);
  const uint64_t linear_mask = s.mode64 ? ~0ull : 0xffffffffull;
  out->pc = (s.cs_base + s.pc) & linear_mask;
  s.block_page = out->pc >> 12;
  uint64_t first_page_paddr;
  if (!cpu.mmu.code_paddr(out->pc, &first_page_paddr)) return false;
  out->pages[0] = first_page_paddr & ~0xfffull;

  DecodeMode mode;
  mode.code_bits = static_cast<uint8_t>(s.code_bits);
  mode.real_or_vm86 = !(cpu.hflags & kHfPe) || s.vm86;

  unsigned max_insns = options.max_insns;
  if (cpu.hflags & kHfInhibitIrq) max_insns = 1;
  FetchContext fetch{&cpu};
  for (unsigned n = 0; n < max_insns; ++n) {
    uint64_t linear = (s.cs_base + s.pc) & linear_mask;
    if (n > 0 && (linear >> 12) != (out->pc >> 12)) {
      gen_jump_const(s, s.pc);  // the block stays within its first page
      break;
    }
    s.insn = DecodedInsn{};
    DecodeStatus status = decode(mode, linear, fetch_byte, &fetch, &s.insn);
    if (status == DecodeStatus::kFetchFault) {
      if (n == 0 && s.insn.fault_offset == 0) return false;
      if (n > 0) {
        // Let the faulting instruction start its own block.
        cpu.exception_vector = -1;
        gen_jump_const(s, s.pc);
        break;
      }
      // The first instruction crosses into a page that faults: raise it there.
      return false;
    }
    // Instruction bytes on a second page belong to the block too.
    if (s.insn.length_known && s.insn.length > 0) {
      uint64_t last = (linear + s.insn.length - 1) & linear_mask;
      if ((last >> 12) != (linear >> 12)) {
        uint64_t paddr;
        if (cpu.mmu.code_paddr(last, &paddr)) out->pages[1] = paddr & ~0xfffull;
      }
    }
    s.next_pc = (s.pc + s.insn.length) & ip_mask;
    s.ea_valid = false;
    b.insn_start(s.pc, uint64_t{0});
    ++out->num_insns;
    if (options.log_in_asm) log_instruction(s, linear);

    switch (status) {
      case DecodeStatus::kOk:
        // LOCK-prefixed instructions, XCHG with memory and MFENCE order memory
        // for the device models on other host threads too (virtio's rings):
        // one vCPU thread needs no atomics, but the host may hold a store back
        // past a later load without a fence.
        if ((s.insn.prefixes & kPrefixLock) || s.insn.mnemonic == Mnemonic::kMfence ||
            (s.insn.mnemonic == Mnemonic::kXchg && s.insn.has_mem)) {
          b.mb();
        }
        // System first: it claims MOV to and from control/debug registers.
        if (!(translate_avx(s) || translate_system(s) || translate_data(s) || translate_alu(s) ||
              translate_control(s) || translate_string(s) || translate_shift(s) ||
              translate_muldiv(s) || translate_bits(s) || translate_atomic(s) || translate_bcd(s) ||
              translate_fpu(s) || translate_sse(s) || translate_random(s) || translate_bmi(s))) {
          gen_unimplemented(s);
        }
        break;
      case DecodeStatus::kTooLong:
        gen_exception(s, kExcGP, 0);
        break;
      case DecodeStatus::kUnsupported:
        gen_unimplemented(s);
        break;
      default:
        gen_exception(s, kExcUD);
        break;
    }
    out->guest_bytes += s.insn.length;
    if (s.block_ended) break;
    s.pc = s.next_pc;
  }
  if (!s.block_ended) gen_jump_const(s, s.pc);
  return true;
}

}  // namespace vx86::x86
