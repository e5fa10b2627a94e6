// RDRAND and RDSEED (0F C7 /6 and /7): random numbers from the host's
// entropy (getrandom(2)). CF=1 when the destination holds a random value;
// if the host cannot supply one without blocking, the destination is zeroed
// and CF=0, the architectural "try again" answer. OF SF ZF AF PF are cleared.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>

#include "target-x86/helper_def.h"
#include "target-x86/translate.h"
#include "target-x86/x86_cpu.h"

namespace vx86::x86 {

namespace {

bool host_random(void* out, unsigned size, bool seed) {
  // RDSEED promises fresh entropy: ask the blocking pool without blocking.
  const unsigned flags = GRND_NONBLOCK | (seed ? GRND_RANDOM : 0);
  auto* p = static_cast<uint8_t*>(out);
  unsigned done = 0;
  while (done < size) {
    ssize_t n = getrandom(p + done, size - done, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<unsigned>(n);
  }
  return true;
}

uint64_t helper_random(CpuState* env, uint32_t size, uint32_t seed) {
  uint64_t value = 0;
  const bool ok = host_random(&value, size, seed != 0);
  if (!ok) value = 0;
  load_eflags(*env, ok ? kFlagCF : 0, kFlagsArith);
  return value;
}

VX86_HELPER(random, helper_random, tcg::kHelperWritesState)

}  // namespace

bool translate_random(DisasContext& s) {
  const Mnemonic m = s.insn.mnemonic;
  if (m != Mnemonic::kRdrand && m != Mnemonic::kRdseed) return false;
  tcg::IrBuilder& b = s.b;
  Temp value = b.new_i64();
  b.call_helper(helper_info_random(), value,
                {b.const_i32(operand_size(s, 0)), b.const_i32(m == Mnemonic::kRdseed)});
  s.cc_op = kCcOpDynamic;
  gen_write_operand(s, 0, value);
  return true;
}

}  // namespace vx86::x86
