// Defines helper_info_NAME() returning the tcg::HelperInfo of function FN.
#pragma once

#include "tcg/helper.h"

#define VX86_HELPER(name, fn, flags)                                         \
  const tcg::HelperInfo& helper_info_##name() {                              \
    static const tcg::HelperInfo info = tcg::make_helper<&fn>(#name, flags); \
    return info;                                                             \
  }
