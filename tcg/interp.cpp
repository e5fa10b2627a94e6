#include "tcg/interp.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tcg/ir_eval.h"

namespace vx86::tcg {

namespace {

uint64_t sign_extend(uint64_t v, unsigned bytes) {
  unsigned shift = 64 - 8 * bytes;
  return static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift);
}

uint64_t load_env(const uint8_t* env, uint64_t offset, unsigned bytes, bool is_signed) {
  uint64_t v = 0;
  std::memcpy(&v, env + offset, bytes);  // little-endian host
  return is_signed && bytes < 8 ? sign_extend(v, bytes) : v;
}

void store_env(uint8_t* env, uint64_t offset, unsigned bytes, uint64_t v) {
  std::memcpy(env + offset, &v, bytes);
}

[[noreturn]] void fatal(const char* what, const Op& op) {
  std::fprintf(stderr, "tcg interp: %s (%s)\n", what, op_name(op.opc));
  std::abort();
}

}  // namespace

InterpProgram::InterpProgram(const Block& block) : ops_(block.ops) {
  label_pos_.assign(block.num_labels, 0);
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].opc == Opcode::set_label) label_pos_[ops_[i].cst(0)] = static_cast<uint32_t>(i);
  }
  init_regs_.assign(block.temps.size() * 2, 0);
  for (size_t t = 0; t < block.temps.size(); ++t) {
    if (block.temps[t].is_const) init_regs_[2 * t] = block.temps[t].value;
  }
}

ExitRecord InterpProgram::run(uint8_t* env, MemoryInterface& mem) const {
  // Two words per temp (v128 uses both); small blocks keep them on the stack.
  constexpr size_t kStackRegs = 1024;
  uint64_t stack_regs[kStackRegs];
  std::vector<uint64_t> heap_regs;
  uint64_t* R = stack_regs;
  if (init_regs_.size() > kStackRegs) {
    heap_regs = init_regs_;
    R = heap_regs.data();
  } else if (!init_regs_.empty()) {
    std::memcpy(R, init_regs_.data(), init_regs_.size() * sizeof(uint64_t));
  }

  ExitRecord ex;
  const Op* ops = ops_.data();
  const size_t n = ops_.size();
  size_t pc = 0;
  auto reg = [&](uint32_t t) -> uint64_t& { return R[2 * size_t(t)]; };
  auto fault_exit = [&]() -> ExitRecord& {
    ex.kind = ExitKind::kFault;
    return ex;
  };

  for (;;) {
    if (pc >= n) fatal("fell off the end of the block", ops[n ? n - 1 : 0]);
    const Op& op = ops[pc++];
    switch (op.opc) {
      case Opcode::nop:
      case Opcode::set_label:
        break;
      case Opcode::mb:
        std::atomic_thread_fence(std::memory_order_seq_cst);
        break;
      case Opcode::insn_start:
        ex.insn_index++;
        ex.insn_data[0] = op.cst(0);
        ex.insn_data[1] = op.cst(1);
        break;
      case Opcode::br:
        pc = label_pos_[op.cst(0)];
        break;
      case Opcode::brcond_i32:
      case Opcode::brcond_i64: {
        Type t = op.opc == Opcode::brcond_i32 ? Type::kI32 : Type::kI64;
        if (eval_cond(static_cast<Cond>(op.cst(0)), t, reg(op.in(0)), reg(op.in(1)))) {
          pc = label_pos_[op.cst(1)];
        }
        break;
      }
      case Opcode::exit_tb:
        ex.kind = ExitKind::kExitTb;
        ex.value = op.cst(0);
        return ex;
      case Opcode::goto_tb:
        ex.kind = ExitKind::kGotoTb;
        ex.slot = static_cast<unsigned>(op.cst(0));
        return ex;
      case Opcode::lookup_and_goto_ptr:
        ex.kind = ExitKind::kLookup;
        return ex;
      case Opcode::call: {
        uint64_t args[kMaxHelperArgs] = {};
        for (unsigned i = 0; i < op.nin; ++i) args[i] = reg(op.in(i));
        uint64_t result = 0;
        if (!invoke_helper(*op.helper(), env, args, &result, &ex.fault)) {
          ex.fault_in_helper = true;
          return fault_exit();
        }
        if (op.nout) reg(op.out(0)) = result;
        break;
      }

      // ---- env ----
      case Opcode::ld8u_i32:
        reg(op.out(0)) = load_env(env, op.cst(0), 1, false);
        break;
      case Opcode::ld8s_i32:
        reg(op.out(0)) = uint32_t(load_env(env, op.cst(0), 1, true));
        break;
      case Opcode::ld16u_i32:
        reg(op.out(0)) = load_env(env, op.cst(0), 2, false);
        break;
      case Opcode::ld16s_i32:
        reg(op.out(0)) = uint32_t(load_env(env, op.cst(0), 2, true));
        break;
      case Opcode::ld_i32:
        reg(op.out(0)) = load_env(env, op.cst(0), 4, false);
        break;
      case Opcode::ld8u_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 1, false);
        break;
      case Opcode::ld8s_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 1, true);
        break;
      case Opcode::ld16u_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 2, false);
        break;
      case Opcode::ld16s_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 2, true);
        break;
      case Opcode::ld32u_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 4, false);
        break;
      case Opcode::ld32s_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 4, true);
        break;
      case Opcode::ld_i64:
        reg(op.out(0)) = load_env(env, op.cst(0), 8, false);
        break;
      case Opcode::ld_v128:
        std::memcpy(&R[2 * size_t(op.out(0))], env + op.cst(0), 16);
        break;
      case Opcode::st8_i32:
      case Opcode::st8_i64:
        store_env(env, op.cst(0), 1, reg(op.in(0)));
        break;
      case Opcode::st16_i32:
      case Opcode::st16_i64:
        store_env(env, op.cst(0), 2, reg(op.in(0)));
        break;
      case Opcode::st_i32:
      case Opcode::st32_i64:
        store_env(env, op.cst(0), 4, reg(op.in(0)));
        break;
      case Opcode::st_i64:
        store_env(env, op.cst(0), 8, reg(op.in(0)));
        break;
      case Opcode::st_v128:
        std::memcpy(env + op.cst(0), &R[2 * size_t(op.in(0))], 16);
        break;

      // ---- guest memory ----
      case Opcode::qemu_ld_i32:
      case Opcode::qemu_ld_i64: {
        uint32_t mo = static_cast<uint32_t>(op.cst(0));
        unsigned size = memop_size(mo);
        uint64_t addr = reg(op.in(0));
        uint64_t v = 0;
        if (!mem.load(addr, size, static_cast<unsigned>(op.cst(1)), &v)) {
          ex.fault.info = addr;
          return fault_exit();
        }
        if (size < 8) v &= (1ull << (8 * size)) - 1;
        if (memop_signed(mo) && size < 8) v = sign_extend(v, size);
        if (op.opc == Opcode::qemu_ld_i32) v = uint32_t(v);
        reg(op.out(0)) = v;
        break;
      }
      case Opcode::qemu_st_i32:
      case Opcode::qemu_st_i64: {
        uint32_t mo = static_cast<uint32_t>(op.cst(0));
        unsigned size = memop_size(mo);
        uint64_t v = reg(op.in(0));
        if (size < 8) v &= (1ull << (8 * size)) - 1;
        uint64_t addr = reg(op.in(1));
        if (!mem.store(addr, size, static_cast<unsigned>(op.cst(1)), v)) {
          ex.fault.info = addr;
          return fault_exit();
        }
        break;
      }
      case Opcode::qemu_ld_v128: {
        uint64_t addr = reg(op.in(0));
        uint64_t v[2] = {0, 0};
        if (!mem.load128(addr, static_cast<unsigned>(op.cst(1)), v)) {
          ex.fault.info = addr;
          return fault_exit();
        }
        R[2 * size_t(op.out(0))] = v[0];
        R[2 * size_t(op.out(0)) + 1] = v[1];
        break;
      }
      case Opcode::qemu_st_v128: {
        uint64_t addr = reg(op.in(1));
        const uint64_t v[2] = {R[2 * size_t(op.in(0))], R[2 * size_t(op.in(0)) + 1]};
        if (!mem.store128(addr, static_cast<unsigned>(op.cst(1)), v)) {
          ex.fault.info = addr;
          return fault_exit();
        }
        break;
      }

      // ---- v128 ----
      case Opcode::mov_v128:
      case Opcode::and_v128:
      case Opcode::or_v128:
      case Opcode::xor_v128:
      case Opcode::andc_v128: {
        uint64_t* d = &R[2 * size_t(op.out(0))];
        const uint64_t* a = &R[2 * size_t(op.in(0))];
        const uint64_t* b = op.nin > 1 ? &R[2 * size_t(op.in(1))] : a;
        uint64_t r[2];
        for (int w = 0; w < 2; ++w) {
          switch (op.opc) {
            case Opcode::mov_v128:
              r[w] = a[w];
              break;
            case Opcode::and_v128:
              r[w] = a[w] & b[w];
              break;
            case Opcode::or_v128:
              r[w] = a[w] | b[w];
              break;
            case Opcode::xor_v128:
              r[w] = a[w] ^ b[w];
              break;
            default:
              r[w] = a[w] & ~b[w];
              break;
          }
        }
        d[0] = r[0];
        d[1] = r[1];
        break;
      }
      case Opcode::concat_i64_v128: {
        uint64_t lo = reg(op.in(0)), hi = reg(op.in(1));
        R[2 * size_t(op.out(0))] = lo;
        R[2 * size_t(op.out(0)) + 1] = hi;
        break;
      }
      case Opcode::extract_v128_i64:
        reg(op.out(0)) = R[2 * size_t(op.in(0)) + (op.cst(0) & 1)];
        break;

      default: {
        uint64_t in[kMaxOpArgs];
        uint64_t out[kMaxOutputs];
        for (unsigned i = 0; i < op.nin; ++i) in[i] = reg(op.in(i));
        if (!eval_scalar(op, in, out)) fatal("unhandled op", op);
        for (unsigned i = 0; i < op.nout; ++i) reg(op.out(i)) = out[i];
        break;
      }
    }
  }
}

ExitRecord interpret(const Block& block, uint8_t* env, MemoryInterface& mem) {
  return InterpProgram(block).run(env, mem);
}

}  // namespace vx86::tcg
