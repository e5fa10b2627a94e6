#include "tcg/ir_eval.h"
#include "tcg/optimizer.h"

namespace vx86::tcg {

namespace {

Opcode mov_for(Type t) {
  return t == Type::kI32 ? Opcode::mov_i32 : Opcode::mov_i64;
}

// Base operation of an i32/i64 op, so identities are written once for both.
enum class Base {
  kOther,
  kAdd,
  kSub,
  kMul,
  kAnd,
  kOr,
  kXor,
  kAndc,
  kShift,
  kDivu,
  kSetcond,
  kMovcond
};

Base base_of(Opcode opc) {
  switch (opc) {
    case Opcode::add_i32:
    case Opcode::add_i64:
      return Base::kAdd;
    case Opcode::sub_i32:
    case Opcode::sub_i64:
      return Base::kSub;
    case Opcode::mul_i32:
    case Opcode::mul_i64:
      return Base::kMul;
    case Opcode::and_i32:
    case Opcode::and_i64:
      return Base::kAnd;
    case Opcode::or_i32:
    case Opcode::or_i64:
      return Base::kOr;
    case Opcode::xor_i32:
    case Opcode::xor_i64:
      return Base::kXor;
    case Opcode::andc_i32:
    case Opcode::andc_i64:
      return Base::kAndc;
    case Opcode::shl_i32:
    case Opcode::shl_i64:
    case Opcode::shr_i32:
    case Opcode::shr_i64:
    case Opcode::sar_i32:
    case Opcode::sar_i64:
    case Opcode::rotl_i32:
    case Opcode::rotl_i64:
    case Opcode::rotr_i32:
    case Opcode::rotr_i64:
      return Base::kShift;
    case Opcode::divu_i32:
    case Opcode::divu_i64:
      return Base::kDivu;
    case Opcode::setcond_i32:
    case Opcode::setcond_i64:
      return Base::kSetcond;
    case Opcode::movcond_i32:
    case Opcode::movcond_i64:
      return Base::kMovcond;
    default:
      return Base::kOther;
  }
}

bool is_commutative(Opcode opc) {
  const Base base = base_of(opc);
  return base == Base::kAdd || base == Base::kMul || base == Base::kAnd || base == Base::kOr ||
         base == Base::kXor;
}

// Conditions true when both operands are equal.
bool cond_true_on_equal(Cond c) {
  return c == Cond::kEq || c == Cond::kLe || c == Cond::kGe || c == Cond::kLeu || c == Cond::kGeu;
}

class Folder {
 public:
  explicit Folder(Block& block) : block_(block) {
    const size_t n = block.temps.size();
    value_.assign(n, 0);
    known_epoch_.assign(n, 0);
    bits_.assign(n, 0);
    bits_epoch_.assign(n, 0);
  }

  void run() {
    // The ops are rewritten from a copy; both arrays keep their memory.
    static thread_local std::vector<Op> in;
    in.swap(block_.ops);
    block_.ops.clear();
    block_.ops.reserve(in.size());
    for (Op& op : in) fold(op);
    in.clear();
  }

 private:
  bool known(uint32_t t) const { return block_.is_const(t) || known_epoch_[t] == epoch_; }
  uint64_t value(uint32_t t) const {
    return block_.is_const(t) ? block_.const_value(t) : value_[t];
  }
  Type type(uint32_t t) const { return block_.temp(t).type; }

  void emit_mov(uint32_t d, uint32_t s) { emit(make_op(mov_for(type(d)), {d, s})); }
  void emit_const(uint32_t d, uint64_t v) { emit_mov(d, block_.const_temp(type(d), v).id); }

  // Appends the final form of an op and records what it makes known.
  void emit(const Op& op) {
    block_.ops.push_back(op);
    if (op.opc == Opcode::set_label) {
      ++epoch_;
      return;
    }
    for (unsigned i = 0; i < op.nout; ++i) known_epoch_[op.out(i)] = 0;
    if ((op.opc == Opcode::mov_i32 || op.opc == Opcode::mov_i64) && block_.is_const(op.in(0))) {
      value_[op.out(0)] = block_.const_value(op.in(0));
      known_epoch_[op.out(0)] = epoch_;
    }
    if (op.nout == 1 && type(op.out(0)) != Type::kV128) {
      bits_[op.out(0)] = result_bits(op) & type_mask(type(op.out(0)));
      bits_epoch_[op.out(0)] = epoch_;
    } else {
      for (unsigned i = 0; i < op.nout; ++i) bits_epoch_[op.out(i)] = 0;
    }
  }

  // The bits of t that may be set (all of its type when nothing is known).
  uint64_t may_be_set(uint32_t t) const {
    if (known(t)) return value(t);
    return bits_epoch_[t] == epoch_ ? bits_[t] : type_mask(type(t));
  }

  // The bits an op's single result may have set, from its inputs'.
  uint64_t result_bits(const Op& op) const {
    auto in = [&](unsigned i) { return may_be_set(op.in(i)); };
    auto const_count = [&](unsigned i, unsigned* count) {
      if (!block_.is_const(op.in(i))) return false;
      *count =
          static_cast<unsigned>(block_.const_value(op.in(i)) & (type_bits(type(op.out(0))) - 1));
      return true;
    };
    unsigned count;
    switch (op.opc) {
      case Opcode::mov_i32:
      case Opcode::mov_i64:
      case Opcode::extu_i32_i64:
        return in(0);
      case Opcode::ext8u_i32:
      case Opcode::ext8u_i64:
      case Opcode::ld8u_i32:
      case Opcode::ld8u_i64:
        return op.nin ? in(0) & 0xff : 0xff;
      case Opcode::ext16u_i32:
      case Opcode::ext16u_i64:
      case Opcode::ld16u_i32:
      case Opcode::ld16u_i64:
        return op.nin ? in(0) & 0xffff : 0xffff;
      case Opcode::ext32u_i64:
      case Opcode::ld32u_i64:
        return op.nin ? in(0) & 0xffffffff : 0xffffffff;
      case Opcode::and_i32:
      case Opcode::and_i64:
        return in(0) & in(1);
      case Opcode::or_i32:
      case Opcode::or_i64:
      case Opcode::xor_i32:
      case Opcode::xor_i64:
        return in(0) | in(1);
      case Opcode::shr_i32:
      case Opcode::shr_i64:
        return const_count(1, &count) ? in(0) >> count : ~0ull;
      case Opcode::shl_i32:
      case Opcode::shl_i64:
        return const_count(1, &count) ? in(0) << count : ~0ull;
      case Opcode::setcond_i32:
      case Opcode::setcond_i64:
        return 1;
      case Opcode::ctpop_i32:
      case Opcode::ctpop_i64:
        return 127;
      case Opcode::extract_i32:
      case Opcode::extract_i64:
        return op.cst(1) >= 64 ? ~0ull : (uint64_t{1} << op.cst(1)) - 1;
      case Opcode::qemu_ld_i32:
      case Opcode::qemu_ld_i64: {
        const unsigned size = memop_size(static_cast<uint32_t>(op.cst(0)));
        if (memop_signed(static_cast<uint32_t>(op.cst(0))) || size >= 8) return ~0ull;
        return (uint64_t{1} << (size * 8)) - 1;
      }
      default:
        return ~0ull;
    }
  }

  // A zero-extension or mask of a value that has no bits outside it anyway.
  bool is_redundant_mask(const Op& op) const {
    uint64_t keep;
    switch (op.opc) {
      case Opcode::ext8u_i32:
      case Opcode::ext8u_i64:
        keep = 0xff;
        break;
      case Opcode::ext16u_i32:
      case Opcode::ext16u_i64:
        keep = 0xffff;
        break;
      case Opcode::ext32u_i64:
        keep = 0xffffffff;
        break;
      case Opcode::and_i32:
      case Opcode::and_i64:
        if (!block_.is_const(op.in(1))) return false;
        keep = block_.const_value(op.in(1));
        break;
      default:
        return false;
    }
    return (may_be_set(op.in(0)) & ~keep) == 0;
  }

  void fold(Op& op) {
    if (op.opc == Opcode::nop) return;
    // Reads of temps with known values read the constant instead.
    for (unsigned i = 0; i < op.nin; ++i) {
      uint32_t t = op.in(i);
      if (!block_.is_const(t) && known(t)) op.set_in(i, block_.const_temp(type(t), value_[t]).id);
    }
    bool all_const = true;
    for (unsigned i = 0; i < op.nin; ++i) all_const &= block_.is_const(op.in(i));

    if (op.opc == Opcode::brcond_i32 || op.opc == Opcode::brcond_i64) {
      Cond c = static_cast<Cond>(op.cst(0));
      int taken = -1;
      if (all_const) {
        taken = eval_cond(c, type(op.in(0)), value(op.in(0)), value(op.in(1)));
      } else if (op.in(0) == op.in(1)) {
        taken = cond_true_on_equal(c);
      }
      if (taken == 1) emit(make_op(Opcode::br, {op.cst(1)}));
      if (taken == 0) return;  // never taken: drop
      if (taken == -1) emit(op);
      return;
    }

    if (all_const && op.nin > 0 && op_is_pure(op) && op.opc != Opcode::call) {
      uint64_t in[kMaxOpArgs], out[kMaxOutputs];
      for (unsigned i = 0; i < op.nin; ++i) in[i] = value(op.in(i));
      if (eval_scalar(op, in, out)) {
        for (unsigned i = 0; i < op.nout; ++i) emit_const(op.out(i), out[i]);
        return;
      }
    }
    // Constants second in commutative ops: the backends take them as
    // immediates there.
    if (is_commutative(op.opc) && block_.is_const(op.in(0)) && !block_.is_const(op.in(1))) {
      const uint32_t first = op.in(0);
      op.set_in(0, op.in(1));
      op.set_in(1, first);
    }
    if (is_redundant_mask(op)) return emit_mov(op.out(0), op.in(0));
    if (!simplify(op)) emit(op);
  }

  // Algebraic identities. Returns true if it emitted a replacement.
  bool simplify(const Op& op) {
    Base base = base_of(op.opc);
    if (base == Base::kOther) return false;
    const uint32_t d = op.out(0);
    const uint32_t a = op.in(0), b = op.in(1);
    const uint64_t ones = type_mask(type(d));
    auto is = [&](uint32_t t, uint64_t v) {
      return block_.is_const(t) && block_.const_value(t) == v;
    };
    switch (base) {
      case Base::kAdd:
      case Base::kOr:
      case Base::kXor:
        if (is(b, 0)) return emit_mov(d, a), true;
        if (is(a, 0)) return emit_mov(d, b), true;
        if (base == Base::kOr && (is(a, ones) || is(b, ones))) return emit_const(d, ones), true;
        if (base == Base::kOr && a == b) return emit_mov(d, a), true;
        if (base == Base::kXor && a == b) return emit_const(d, 0), true;
        return false;
      case Base::kSub:
        if (is(b, 0)) return emit_mov(d, a), true;
        if (a == b) return emit_const(d, 0), true;
        return false;
      case Base::kMul:
        if (is(a, 0) || is(b, 0)) return emit_const(d, 0), true;
        if (is(b, 1)) return emit_mov(d, a), true;
        if (is(a, 1)) return emit_mov(d, b), true;
        return false;
      case Base::kAnd:
        if (is(a, 0) || is(b, 0)) return emit_const(d, 0), true;
        if (is(b, ones)) return emit_mov(d, a), true;
        if (is(a, ones)) return emit_mov(d, b), true;
        if (a == b) return emit_mov(d, a), true;
        return false;
      case Base::kAndc:
        if (is(b, 0)) return emit_mov(d, a), true;
        if (is(a, 0) || a == b) return emit_const(d, 0), true;
        return false;
      case Base::kShift:
        if (block_.is_const(b) && (block_.const_value(b) & (type_bits(type(d)) - 1)) == 0) {
          return emit_mov(d, a), true;
        }
        if (is(a, 0)) return emit_const(d, 0), true;
        return false;
      case Base::kDivu:
        if (is(b, 1)) return emit_mov(d, a), true;
        return false;
      case Base::kSetcond:
        if (a == b) return emit_const(d, cond_true_on_equal(Cond(op.cst(0))) ? 1 : 0), true;
        return false;
      case Base::kMovcond:
        if (op.in(2) == op.in(3)) return emit_mov(d, op.in(2)), true;
        if (a == b)
          return emit_mov(d, cond_true_on_equal(Cond(op.cst(0))) ? op.in(2) : op.in(3)), true;
        return false;
      case Base::kOther:
        break;
    }
    return false;
  }

  Block& block_;
  // Per-temp state, one set per thread (a Folder runs to completion before
  // the next starts), so no allocation per block.
  static thread_local inline std::vector<uint64_t> value_;
  static thread_local inline std::vector<uint32_t> known_epoch_;
  // Known-zero bits (as QEMU's optimizer keeps them): bits_[t] has every bit
  // t may have set, valid in the basic block of bits_epoch_[t]. Guest 32-bit
  // operations zero-extend every result, most of them already zero-extended.
  static thread_local inline std::vector<uint64_t> bits_;
  static thread_local inline std::vector<uint32_t> bits_epoch_;
  uint32_t epoch_ = 1;
};

}  // namespace

void opt_constant_fold(Block& block) {
  Folder(block).run();
}

}  // namespace vx86::tcg
