// The only way front ends create IR. IrBuilder appends ops to a Block; every
// op in tcg/ir_ops.def gets a typed wrapper named after it, taking Temp
// handles for outputs and inputs (outputs first), then its constants:
//   b.add_i64(dst, x, y);
//   b.brcond_i32(a, b, Cond::kLtu, label);   // inputs, then cond, then label
//   b.ld32u_i64(dst, offsetof(CpuState, eflags));
//   b.qemu_ld_i64(dst, addr, kMo32 | kMoSign, mem_index);
// A wrong operand count or kind (a Label where a Temp belongs...) fails to
// compile; temp types are checked by the verifier (and at emit time in debug
// builds).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "tcg/helper.h"
#include "tcg/ir.h"

namespace vx86::tcg {

namespace detail {
template <typename T>
constexpr char arg_category() {
  if constexpr (std::is_same_v<T, Temp>)
    return 't';
  else if constexpr (std::is_same_v<T, Label>)
    return 'L';
  else if constexpr (std::is_same_v<T, Cond>)
    return 'c';
  else if constexpr (std::is_same_v<T, MemOp>)
    return 'm';
  else if constexpr (std::is_integral_v<T>)
    return 'k';
  else
    return '?';
}

template <Opcode O, typename... A>
constexpr bool args_match() {
  constexpr OpDef d = op_def(O);
  if ((d.flags & kOpVariadic) || sizeof...(A) != d.nargs()) return false;
  constexpr char cats[] = {arg_category<A>()..., 0};
  for (unsigned i = 0; i < sizeof...(A); ++i) {
    char want = 't';
    if (i >= unsigned(d.nout + d.nin)) {
      ConstKind k = d.cst[i - d.nout - d.nin];
      want = k == ConstKind::kLabel   ? 'L'
             : k == ConstKind::kCond  ? 'c'
             : k == ConstKind::kMemOp ? 'm'
                                      : 'k';
    }
    if (cats[i] != want) return false;
  }
  return true;
}

inline uint64_t to_arg(Temp t) {
  return t.id;
}
inline uint64_t to_arg(Label l) {
  return l.id;
}
inline uint64_t to_arg(Cond c) {
  return static_cast<uint64_t>(c);
}
inline uint64_t to_arg(MemOp m) {
  return static_cast<uint64_t>(m);
}
template <typename T>
requires std::is_integral_v<T> uint64_t to_arg(T v) {
  return static_cast<uint64_t>(v);  // signed immediates become two's complement
}
}  // namespace detail

class IrBuilder {
 public:
  explicit IrBuilder(Block& block) : block_(block) {}

  Block& block() { return block_; }

  Temp new_temp(Type t) { return block_.new_temp(t); }
  Temp new_i32() { return new_temp(Type::kI32); }
  Temp new_i64() { return new_temp(Type::kI64); }
  Temp new_v128() { return new_temp(Type::kV128); }
  // Constants are read-only temps usable wherever an input is expected.
  Temp const_i32(uint32_t v) { return block_.const_temp(Type::kI32, v); }
  Temp const_i64(uint64_t v) { return block_.const_temp(Type::kI64, v); }
  Label new_label() { return block_.new_label(); }

  // Appends an op (checked against the table in debug builds).
  void emit(const Op& op);
  // Debug builds abort on an ill-typed op at emit time; tests that build bad
  // IR on purpose for the verifier turn this off.
  void set_checking(bool on) { checking_ = on; }

  // Typed wrappers, one per op of the table.
#define OP(name, sig, flags)                                                \
  template <typename... A>                                                  \
  requires(detail::args_match<Opcode::name, A...>()) void name(A... args) { \
    emit(make_op(Opcode::name, {detail::to_arg(args)...}));                 \
  }
#include "tcg/ir_ops.def"
#undef OP

  // Helper calls; `result` must match the helper's result type.
  void call_helper(const HelperInfo& h, Temp result, std::initializer_list<Temp> args);
  void call_helper(const HelperInfo& h, std::initializer_list<Temp> args) {
    call_helper(h, Temp{}, args);
  }

  // Conveniences built from the ops above.
  void insn_start(uint64_t pc) {
    insn_start(pc, uint64_t{0});
  }
  void movi_i32(Temp d, uint32_t v) {
    mov_i32(d, const_i32(v));
  }
  void movi_i64(Temp d, uint64_t v) {
    mov_i64(d, const_i64(v));
  }

 private:
  Block& block_;
#ifdef NDEBUG
  bool checking_ = false;
#else
  bool checking_ = true;
#endif
};

}  // namespace vx86::tcg
