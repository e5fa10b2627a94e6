// System instructions: port I/O, HLT, CLI/STI, CPUID, RDTSC, MSRs, MOV to and
// from control/debug registers, descriptor tables, LDS/LES/LFS/LGS/LSS,
// SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, cache and TLB control, UD0/1/2.
#include "target-x86/exceptions.h"
#include "target-x86/helpers_system.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

Temp to_i32(DisasContext& s, Temp v) {
  Temp t = s.b.new_i32();
  s.b.extrl_i64_i32(t, v);
  return t;
}

void port_io(DisasContext& s, bool in) {
  tcg::IrBuilder& b = s.b;
  // IN data, port / OUT port, data
  unsigned data_index = in ? 0 : 1;
  unsigned port_index = in ? 1 : 0;
  unsigned size = operand_size(s, data_index);
  Temp port = gen_read_operand(s, port_index);
  if (in) {
    Temp v = b.new_i64();
    b.call_helper(helper_info_port_in(), v, {to_i32(s, port), b.const_i32(size)});
    gen_write_operand(s, 0, v);
  } else {
    Temp v = gen_read_operand(s, 1);
    b.call_helper(helper_info_port_out(), {to_i32(s, port), v, b.const_i32(size)});
    // A port write may stop the machine (isa-debug-exit) or change devices
    // the CPU depends on; continue from a fresh block.
    gen_end_block(s);
  }
}

bool mov_cr_dr(DisasContext& s) {
  const DecodedOperand& dst = s.insn.operands[0];
  const DecodedOperand& src = s.insn.operands[1];
  tcg::IrBuilder& b = s.b;
  unsigned gpr_size = s.mode64 ? 8 : 4;
  if (dst.kind == OperandKind::kReg &&
      (dst.reg_class == RegClass::kCr || dst.reg_class == RegClass::kDr)) {
    Temp v = gen_load_gpr(s, src.reg, gpr_size);
    const tcg::HelperInfo& h =
        dst.reg_class == RegClass::kCr ? helper_info_write_cr() : helper_info_write_dr();
    b.call_helper(h, {b.const_i32(dst.reg), v});
    s.cc_op = kCcOpDynamic;
    gen_end_block(s);  // paging, mode or TLB state may have changed
    return true;
  }
  if (src.kind == OperandKind::kReg &&
      (src.reg_class == RegClass::kCr || src.reg_class == RegClass::kDr)) {
    Temp v = b.new_i64();
    const tcg::HelperInfo& h =
        src.reg_class == RegClass::kCr ? helper_info_read_cr() : helper_info_read_dr();
    b.call_helper(h, v, {b.const_i32(src.reg)});
    gen_store_gpr(s, dst.reg, gpr_size, v);
    return true;
  }
  return false;
}

void descriptor_table(DisasContext& s, Mnemonic m) {
  tcg::IrBuilder& b = s.b;
  Temp addr = gen_operand_address(s);
  unsigned which = (m == Mnemonic::kLgdt || m == Mnemonic::kSgdt) ? 0 : 1;
  bool load = m == Mnemonic::kLgdt || m == Mnemonic::kLidt;
  const tcg::HelperInfo& h = load ? helper_info_load_dtr() : helper_info_store_dtr();
  gen_check_memory_operand(s, s.mode64 ? 10 : 6, !load);
  b.call_helper(h, {b.const_i32(which), addr, b.const_i32(s.insn.operand_bits / 8)});
}

void store_selector(DisasContext& s, std::size_t offset) {
  Temp v = s.b.new_i64();
  s.b.ld16u_i64(v, offset);
  const DecodedOperand& dst = s.insn.operands[0];
  if (dst.kind == OperandKind::kMem) {
    gen_store(s, gen_operand_address(s), 2, v);
  } else {
    gen_store_gpr(s, dst.reg, s.insn.operand_bits / 8, v);
  }
}

void load_far_pointer(DisasContext& s, unsigned seg) {
  tcg::IrBuilder& b = s.b;
  unsigned size = operand_size(s, 0);
  Temp addr = gen_operand_address(s);
  gen_check_memory_operand(s, size + 2, false);
  Temp offset = gen_load(s, addr, size);
  Temp sel_addr = b.new_i64();
  b.add_i64(sel_addr, addr, b.const_i64(size));
  if (!s.mode64) b.ext32u_i64(sel_addr, sel_addr);
  Temp selector = gen_load(s, sel_addr, 2);
  b.call_helper(helper_info_load_segment(), {b.const_i32(seg), to_i32(s, selector)});
  gen_write_operand(s, 0, offset);
  if (seg == kSegSS) {
    b.call_helper(helper_info_inhibit_interrupts(), {});
    gen_end_block(s);
  } else if (segment_load_ends_block(s)) {
    gen_end_block(s);
  }
}

void privileged_nop(DisasContext& s) {
  s.b.call_helper(helper_info_check_cpl0(), {});
}

void end_with(DisasContext& s, const tcg::HelperInfo& h, std::initializer_list<Temp> args) {
  s.b.call_helper(h, args);
  s.cc_op = kCcOpDynamic;
  s.b.lookup_and_goto_ptr();
  s.block_ended = true;
}

}  // namespace

bool translate_system(DisasContext& s) {
  tcg::IrBuilder& b = s.b;
  Mnemonic m = s.insn.mnemonic;
  switch (m) {
    case Mnemonic::kMov:
      return mov_cr_dr(s);
    case Mnemonic::kIn:
      port_io(s, true);
      return true;
    case Mnemonic::kOut:
      port_io(s, false);
      return true;
    case Mnemonic::kHlt:
      b.call_helper(helper_info_hlt(), {b.const_i64(s.next_pc)});
      b.exit_tb(uint64_t{0});
      s.block_ended = true;
      return true;
    case Mnemonic::kCli:
      b.call_helper(helper_info_cli(), {});
      return true;
    case Mnemonic::kSti:
      b.call_helper(helper_info_sti(), {});
      gen_end_block(s);  // the interrupt shadow covers exactly the next instruction
      return true;
    case Mnemonic::kCpuid:
      b.call_helper(helper_info_cpuid(), {});
      return true;
    case Mnemonic::kRdtsc:
      b.call_helper(helper_info_rdtsc(), {});
      return true;
    case Mnemonic::kRdmsr:
      b.call_helper(helper_info_rdmsr(), {});
      return true;
    case Mnemonic::kWrmsr:
      b.call_helper(helper_info_wrmsr(), {});
      gen_end_block(s);  // EFER and segment bases change translation
      return true;
    case Mnemonic::kLgdt:
    case Mnemonic::kLidt:
    case Mnemonic::kSgdt:
    case Mnemonic::kSidt:
      descriptor_table(s, m);
      return true;
    case Mnemonic::kLldt:
      b.call_helper(helper_info_lldt(), {to_i32(s, gen_read_operand(s, 0))});
      return true;
    case Mnemonic::kLtr:
      b.call_helper(helper_info_ltr(), {to_i32(s, gen_read_operand(s, 0))});
      return true;
    case Mnemonic::kSldt:
      store_selector(s, offsetof(CpuState, ldtr));
      return true;
    case Mnemonic::kStr:
      store_selector(s, offsetof(CpuState, tr));
      return true;
    case Mnemonic::kLmsw:
      b.call_helper(helper_info_lmsw(), {to_i32(s, gen_read_operand(s, 0))});
      gen_end_block(s);
      return true;
    case Mnemonic::kSmsw: {
      Temp cr0 = b.new_i64();
      b.ld_i64(cr0, offsetof(CpuState, cr0));
      if (s.insn.operands[0].kind == OperandKind::kMem) {
        gen_store(s, gen_operand_address(s), 2, cr0);
      } else {
        gen_store_gpr(s, s.insn.operands[0].reg, s.insn.operand_bits / 8,
                      gen_zext(s, cr0, s.insn.operand_bits / 8));
      }
      return true;
    }
    case Mnemonic::kClts:
      b.call_helper(helper_info_clts(), {});
      return true;
    case Mnemonic::kInvlpg:
      b.call_helper(helper_info_invlpg(), {gen_operand_address(s)});
      return true;
    case Mnemonic::kWbinvd:
    case Mnemonic::kInvd:
      privileged_nop(s);
      return true;
    case Mnemonic::kClflush:
    case Mnemonic::kClflushopt:
      gen_load(s, gen_operand_address(s), 1);  // faults as a byte read would
      return true;
    case Mnemonic::kUd0:
    case Mnemonic::kUd1:
    case Mnemonic::kUd2:
      gen_exception(s, kExcUD);
      return true;
    case Mnemonic::kLds:
      load_far_pointer(s, kSegDS);
      return true;
    case Mnemonic::kLes:
      load_far_pointer(s, kSegES);
      return true;
    case Mnemonic::kLfs:
      load_far_pointer(s, kSegFS);
      return true;
    case Mnemonic::kLgs:
      load_far_pointer(s, kSegGS);
      return true;
    case Mnemonic::kLss:
      load_far_pointer(s, kSegSS);
      return true;
    case Mnemonic::kVerr:
    case Mnemonic::kVerw:
      b.call_helper(helper_info_verify_segment(),
                    {to_i32(s, gen_read_operand(s, 0)), b.const_i32(m == Mnemonic::kVerw)});
      s.cc_op = kCcOpDynamic;
      return true;
    case Mnemonic::kSwapgs:
      b.call_helper(helper_info_swapgs(), {});
      return true;
    case Mnemonic::kSyscall:
      end_with(s, helper_info_syscall(), {b.const_i64(s.next_pc)});
      return true;
    case Mnemonic::kSysret:
      end_with(s, helper_info_sysret(), {b.const_i32(s.insn.operand_bits / 8)});
      return true;
    case Mnemonic::kSysenter:
      end_with(s, helper_info_sysenter(), {});
      return true;
    case Mnemonic::kSysexit:
      end_with(s, helper_info_sysexit(), {b.const_i32(s.insn.operand_bits / 8)});
      return true;
    default:
      return false;
  }
}

}  // namespace vx86::x86
