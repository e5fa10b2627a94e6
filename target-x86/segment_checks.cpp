// Segment limit and type checks on data accesses in protected and
// compatibility mode (SDM Vol. 3, 5.3 "Limit Checking" and 5.4 "Type
// Checking"). Flat segments — present, writable, expand-up data with base 0
// and a 4 GiB limit — are the common case and cost nothing: update_hflags()
// marks each other segment with kHfSegCheck(seg), which is part of the
// translation-block key, and only accesses through marked segments call the
// check helper. The helper reads the live segment cache, so one translation
// serves every non-flat segment.
#include "target-x86/exceptions.h"
#include "target-x86/helper_def.h"
#include "target-x86/translate.h"

namespace vx86::x86 {

namespace {

constexpr uint32_t kCheckWrite = 1u << 8;
constexpr uint16_t kSegAttrExpandDown = 1u << 2;  // data segments (code: conforming)

void helper_check_segment(CpuState* env, uint32_t seg, uint64_t offset, uint32_t size_and_kind) {
  const SegmentCache& c = env->segs[seg];
  const unsigned size = size_and_kind & 0xff;
  const bool write = size_and_kind & kCheckWrite;
  // A null selector loads a cache with no present bit: any use faults.
  if (!(c.attrs & kSegAttrPresent)) raise_exception(*env, kExcGP, 0);
  if (c.attrs & kSegAttrCode) {
    // Code segments are never writable, and readable only with R set.
    if (write || !(c.attrs & kSegAttrWritable)) raise_exception(*env, kExcGP, 0);
  } else if (write && !(c.attrs & kSegAttrWritable)) {
    raise_exception(*env, kExcGP, 0);
  }
  const int limit_vector = seg == kSegSS ? kExcSS : kExcGP;
  const uint64_t last = offset + size - 1;
  if (!(c.attrs & kSegAttrCode) && (c.attrs & kSegAttrExpandDown)) {
    // Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (B bit).
    const uint64_t upper = (c.attrs & kSegAttrDB) ? 0xffffffffull : 0xffffull;
    if (offset <= c.limit || last > upper) raise_exception(*env, limit_vector, 0);
  } else if (last > c.limit) {
    raise_exception(*env, limit_vector, 0);
  }
}

VX86_HELPER(check_segment, helper_check_segment, tcg::kHelperReadsState | tcg::kHelperMayFault)

}  // namespace

bool segment_checked(const DisasContext& s, unsigned seg) {
  return seg < kSegCount && (s.hflags & kHfSegCheck(seg));
}

void gen_check_segment(DisasContext& s, unsigned seg, Temp offset, unsigned size, bool write) {
  if (!segment_checked(s, seg)) return;
  tcg::IrBuilder& b = s.b;
  b.call_helper(helper_info_check_segment(),
                {b.const_i32(seg), offset, b.const_i32(size | (write ? kCheckWrite : 0))});
}

}  // namespace vx86::x86
