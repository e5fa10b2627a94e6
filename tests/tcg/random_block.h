// A seeded random IR block generator shared by the differential tests (the
// optimizer against the unoptimised block, the JIT against the interpreter):
// integer, env, guest-memory, vector, helper and branch ops, with faults.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tcg/helper.h"
#include "tcg/ir.h"
#include "tcg/ir_builder.h"

namespace vx86::tcg::test {

inline constexpr size_t kEnvSize = 256;
inline constexpr uint64_t kMemBase = 0x1000;
inline constexpr size_t kMemSize = 256;

inline uint64_t h_mix(void*, uint64_t a, uint32_t b) {
  return a * 31 + b;
}
inline uint64_t h_read(uint8_t* env, uint64_t a) {
  uint64_t v;
  std::memcpy(&v, env, 8);
  return v + a;
}
inline void h_write(uint8_t* env, uint64_t a) {
  std::memcpy(env + 64, &a, 8);
}
inline uint64_t h_check(uint8_t*, uint64_t a) {
  if ((a & 0xf) == 7) throw GuestFault{1, a};
  return a;
}
inline const HelperInfo kMix = make_helper<&h_mix>("mix", kHelperNoSideEffects);
inline const HelperInfo kRead = make_helper<&h_read>("read", kHelperReadsState);
inline const HelperInfo kWrite = make_helper<&h_write>("write", kHelperWritesState);
inline const HelperInfo kCheck = make_helper<&h_check>("check", kHelperMayFault);

inline std::vector<Opcode> pure_scalar_ops() {
  std::vector<Opcode> ops;
  for (unsigned i = 0; i < kNumOpcodes; ++i) {
    const OpDef& d = kOpDefs[i];
    if (d.flags != 0 || d.nout == 0) continue;
    bool scalar = true;
    for (unsigned k = 0; k < d.nout; ++k) scalar &= d.out[k] != Type::kV128;
    for (unsigned k = 0; k < d.nin; ++k) scalar &= d.in[k] != Type::kV128;
    if (scalar) ops.push_back(static_cast<Opcode>(i));
  }
  return ops;
}

class RandomBlock {
 public:
  explicit RandomBlock(uint64_t seed) : rng_(seed), b_(block) {}

  Block block;

  void generate(unsigned length) {
    b_.insn_start(pc_);
    for (int i = 0; i < 3; ++i) {
      base_[0].push_back(b_.new_i32());
      b_.ld_i32(base_[0].back(), env_offset(4));
      base_[1].push_back(b_.new_i64());
      b_.ld_i64(base_[1].back(), env_offset(8));
    }
    for (int i = 0; i < 2; ++i) {
      base_[2].push_back(b_.new_v128());
      b_.ld_v128(base_[2].back(), env_offset(16));
    }
    for (unsigned i = 0; i < length; ++i) step();
    for (Label l : open_) b_.set_label(l);
    for (size_t i = 0; i < base_[1].size(); ++i) b_.st_i64(base_[1][i], 128 + 8 * i);
    for (size_t i = 0; i < base_[0].size(); ++i) b_.st_i32(base_[0][i], 160 + 4 * i);
    for (size_t i = 0; i < base_[2].size(); ++i) b_.st_v128(base_[2][i], 192 + 16 * i);
    switch (rnd(3)) {
      case 0:
        b_.exit_tb(rnd(4));
        break;
      case 1:
        b_.goto_tb(rnd(2));
        break;
      default:
        b_.lookup_and_goto_ptr();
        break;
    }
  }

 private:
  uint64_t rnd(uint64_t n) { return rng_() % n; }
  bool chance(unsigned pct) { return rnd(100) < pct; }
  unsigned ti(Type t) { return static_cast<unsigned>(t); }

  uint64_t interesting() {
    switch (rnd(10)) {
      case 0:
        return 0;
      case 1:
        return 1;
      case 2:
        return ~0ull;
      case 3:
        return 0x80000000;
      case 4:
        return 0x7fffffff;
      case 5:
        return 0x8000000000000000ull;
      case 6:
        return 31 + rnd(3) * 32;  // 31, 63, 95
      case 7:
        return rnd(16);
      default:
        return rng_();
    }
  }

  uint64_t env_offset(unsigned size) {
    if (chance(85)) return 8 * rnd(4);  // a few hot slots, so stores overwrite each other
    return rnd(120 - size);
  }

  Temp pick(Type t) {
    auto& base = base_[ti(t)];
    auto& local = local_[ti(t)];
    if (t != Type::kV128 && chance(25)) return block.const_temp(t, interesting());
    size_t n = base.size() + local.size();
    size_t i = rnd(n);
    return i < base.size() ? base[i] : local[i - base.size()];
  }

  Temp dest(Type t) {
    if (chance(50)) return base_[ti(t)][rnd(base_[ti(t)].size())];
    Temp d = b_.new_temp(t);
    local_[ti(t)].push_back(d);
    return d;
  }

  Temp address() {
    Temp a = b_.new_i64();
    if (chance(50)) {
      b_.movi_i64(a, kMemBase + rnd(kMemSize + 8));  // sometimes past the end: faults
    } else {
      b_.and_i64(a, pick(Type::kI64), b_.const_i64(0xff));
      b_.add_i64(a, a, b_.const_i64(kMemBase + (chance(10) ? 0x1000 : 0)));
    }
    return a;
  }

  void arith() {
    static const std::vector<Opcode> ops = pure_scalar_ops();
    Opcode opc = ops[rnd(ops.size())];
    const OpDef& d = op_def(opc);
    Op op;
    op.opc = opc;
    op.nout = d.nout;
    op.nin = d.nin;
    op.nconst = d.nconst;
    for (unsigned k = 0; k < d.nin; ++k) op.args[d.nout + k] = pick(d.in[k]).id;
    for (unsigned k = 0; k < d.nout; ++k) {
      Temp t = dest(d.out[k]);
      if (k == 1 && t.id == op.args[0]) t = b_.new_temp(d.out[k]);  // distinct outputs
      op.args[k] = t.id;
    }
    unsigned width = type_bits(d.out[0]);
    for (unsigned k = 0; k < d.nconst; ++k) {
      switch (d.cst[k]) {
        case ConstKind::kCond:
          op.args[d.nout + d.nin + k] = rnd(kNumConds);
          break;
        case ConstKind::kBitPos: {
          uint64_t len = 1 + rnd(width);
          op.args[d.nout + d.nin + k] = rnd(width - len + 1);
          op.args[d.nout + d.nin + k + 1] = len;
          ++k;
          break;
        }
        default:
          ADD_FAILURE() << "unexpected constant kind in " << d.name;
      }
    }
    b_.emit(op);
  }

  void step() {
    if (chance(15)) b_.insn_start(pc_ += 4, rnd(3));
    unsigned r = rnd(100);
    if (r < 36) {
      arith();
    } else if (r < 48) {
      Type t = chance(50) ? Type::kI32 : Type::kI64;
      Temp v = pick(t);
      if (t == Type::kI32) {
        switch (rnd(3)) {
          case 0:
            b_.st8_i32(v, env_offset(1));
            break;
          case 1:
            b_.st16_i32(v, env_offset(2));
            break;
          default:
            b_.st_i32(v, env_offset(4));
            break;
        }
      } else {
        switch (rnd(3)) {
          case 0:
            b_.st32_i64(v, env_offset(4));
            break;
          default:
            b_.st_i64(v, env_offset(8));
            break;
        }
      }
    } else if (r < 56) {
      if (chance(50))
        b_.ld16s_i32(dest(Type::kI32), env_offset(2));
      else
        b_.ld_i64(dest(Type::kI64), env_offset(8));
    } else if (r < 62) {
      Temp a = address();
      unsigned size_log2 = static_cast<unsigned>(rnd(4));
      MemOp mo = static_cast<MemOp>(size_log2 | (chance(50) ? uint32_t{kMoSign} : 0u));
      if (chance(50))
        b_.qemu_ld_i64(dest(Type::kI64), a, mo, rnd(3));
      else
        b_.qemu_st_i64(pick(Type::kI64), a, static_cast<MemOp>(size_log2), rnd(3));
    } else if (r < 64) {
      Temp a = address();
      if (chance(50))
        b_.qemu_ld_i32(dest(Type::kI32), a, kMo16 | kMoSign, 0);
      else
        b_.qemu_st_i32(pick(Type::kI32), a, kMo32, 0);
    } else if (r < 67) {
      vector_op();
    } else if (r < 70) {
      switch (rnd(4)) {
        case 0:
          b_.call_helper(kMix, dest(Type::kI64), {pick(Type::kI64), pick(Type::kI32)});
          break;
        case 1:
          b_.call_helper(kRead, dest(Type::kI64), {pick(Type::kI64)});
          break;
        case 2:
          b_.call_helper(kWrite, {pick(Type::kI64)});
          break;
        default:
          b_.call_helper(kCheck, dest(Type::kI64), {pick(Type::kI64)});
          break;
      }
    } else if (r < 78) {
      Label l = b_.new_label();
      if (chance(50))
        b_.brcond_i32(pick(Type::kI32), pick(Type::kI32), Cond(rnd(kNumConds)), l);
      else
        b_.brcond_i64(pick(Type::kI64), pick(Type::kI64), Cond(rnd(kNumConds)), l);
      open_.push_back(l);
    } else if (r < 80) {
      Label l = b_.new_label();
      b_.br(l);
      open_.push_back(l);
    } else if (r < 88 && !open_.empty()) {
      close_label();
    } else if (r < 90 && !open_.empty()) {
      b_.exit_tb(10 + rnd(4));
      close_label();
    } else {
      Type t = chance(50) ? Type::kI32 : Type::kI64;
      if (t == Type::kI32)
        b_.mov_i32(dest(t), pick(t));
      else
        b_.mov_i64(dest(t), pick(t));
    }
  }

  void vector_op() {
    const Type v = Type::kV128;
    switch (rnd(8)) {
      case 0:
        b_.mov_v128(dest(v), pick(v));
        break;
      case 1:
        b_.and_v128(dest(v), pick(v), pick(v));
        break;
      case 2:
        b_.xor_v128(dest(v), pick(v), pick(v));
        break;
      case 3:
        b_.andc_v128(dest(v), pick(v), pick(v));
        break;
      case 4:
        b_.concat_i64_v128(dest(v), pick(Type::kI64), pick(Type::kI64));
        break;
      case 5:
        b_.extract_v128_i64(dest(Type::kI64), pick(v), rnd(2));
        break;
      case 6:
        if (chance(50))
          b_.ld_v128(dest(v), env_offset(16));
        else
          b_.st_v128(pick(v), env_offset(16));
        break;
      default: {
        Temp a = address();
        if (chance(50))
          b_.qemu_ld_v128(dest(v), a, kMo128, 1);
        else
          b_.qemu_st_v128(pick(v), a, kMo128, 1);
        break;
      }
    }
  }

  void close_label() {
    size_t i = rnd(open_.size());
    b_.set_label(open_[i]);
    open_.erase(open_.begin() + i);
    local_[0].clear();  // only temps written on every path stay readable
    local_[1].clear();
    local_[2].clear();
  }

  std::mt19937_64 rng_;
  IrBuilder b_;
  std::vector<Temp> base_[3], local_[3];
  std::vector<Label> open_;
  uint64_t pc_ = 0x1000;
};

}  // namespace vx86::tcg::test
