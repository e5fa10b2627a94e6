// Helper calls and guest faults.
//
// Fault mechanism (one rule for the whole translator):
// - Guest memory accesses report faults by status: MemoryInterface::load/store
//   return false (tcg/memory_interface.h).
// - Helpers report faults by throwing GuestFault. Exceptions never cross
//   generated code: every backend calls helpers through invoke_helper(), which
//   is noexcept and turns the exception into a status. The interpreter then
//   stops the block at that op and reports the current insn_start.
// In both cases the embedder records the architectural details (vector, error
// code, CR2) in its own state before failing; GuestFault's fields are a
// convenience for front ends that prefer to carry them in the exception.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "tcg/ir.h"

namespace vx86::tcg {

struct GuestFault {
  uint32_t code = 0;  // meaning chosen by the front end (e.g. exception vector)
  uint64_t info = 0;  // e.g. error code or faulting address
};

// Calls h with env and up to six arguments (i32 values zero-extended). Returns
// false if the helper threw GuestFault (stored in *fault). *result is the
// return value truncated to its type (0 if the helper has none).
bool invoke_helper(const HelperInfo& h, void* env, const uint64_t args[kMaxHelperArgs],
                   uint64_t* result, GuestFault* fault) noexcept;

namespace detail {
template <typename T>
constexpr Type helper_type() {
  static_assert(std::is_integral_v<T> && (sizeof(T) == 4 || sizeof(T) == 8),
                "helper arguments and results are 32- or 64-bit integers");
  return sizeof(T) == 4 ? Type::kI32 : Type::kI64;
}

template <auto Fn>
struct HelperAdapter;

template <typename R, typename E, typename... A, R (*Fn)(E*, A...)>
struct HelperAdapter<Fn> {
  static_assert(sizeof...(A) <= kMaxHelperArgs, "at most six helper arguments");

  template <std::size_t... I>
  static uint64_t call_with(void* env, const uint64_t* a, std::index_sequence<I...>) {
    if constexpr (std::is_void_v<R>) {
      Fn(static_cast<E*>(env), static_cast<A>(a[I])...);
      return 0;
    } else {
      return static_cast<uint64_t>(
          static_cast<std::make_unsigned_t<R>>(Fn(static_cast<E*>(env), static_cast<A>(a[I])...)));
    }
  }
  static uint64_t call(void* env, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                       uint64_t a5) {
    const uint64_t a[kMaxHelperArgs] = {a0, a1, a2, a3, a4, a5};
    return call_with(env, a, std::index_sequence_for<A...>{});
  }
};
}  // namespace detail

template <auto Fn, typename R, typename E, typename... A>
HelperInfo make_helper_info(const char* name, uint32_t flags, R (*)(E*, A...)) {
  HelperInfo h;
  h.name = name;
  h.fn = &detail::HelperAdapter<Fn>::call;
  h.flags = flags;
  h.has_result = !std::is_void_v<R>;
  if constexpr (!std::is_void_v<R>) h.result = detail::helper_type<R>();
  h.nargs = sizeof...(A);
  Type types[] = {detail::helper_type<A>()..., Type::kI64};
  for (unsigned i = 0; i < sizeof...(A); ++i) h.args[i] = types[i];
  return h;
}

// Describes a typed helper `R fn(Env*, A...)` (R void or a 32/64-bit integer,
// each A a 32/64-bit integer) for use in call ops, e.g.
//   uint64_t helper_cpuid(CpuState* env, uint32_t leaf);
//   static const HelperInfo kCpuid = make_helper<&helper_cpuid>("cpuid", kHelperWritesState);
template <auto Fn>
HelperInfo make_helper(const char* name, uint32_t flags) {
  return make_helper_info<Fn>(name, flags, Fn);
}

}  // namespace vx86::tcg
