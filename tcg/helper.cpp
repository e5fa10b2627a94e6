#include "tcg/helper.h"

namespace vx86::tcg {

bool invoke_helper(const HelperInfo& h, void* env, const uint64_t args[kMaxHelperArgs],
                   uint64_t* result, GuestFault* fault) noexcept {
  try {
    uint64_t r = h.fn(env, args[0], args[1], args[2], args[3], args[4], args[5]);
    *result = !h.has_result ? 0 : h.result == Type::kI32 ? uint32_t(r) : r;
    return true;
  } catch (const GuestFault& f) {
    *fault = f;
    return false;
  }
}

}  // namespace vx86::tcg
