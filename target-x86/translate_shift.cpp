// Generator family not written yet: its mnemonics raise #UD (logged under -d unimp).
#include "target-x86/translate.h"

namespace vx86::x86 {

bool translate_shift(DisasContext& s) { return false; }

}  // namespace vx86::x86
