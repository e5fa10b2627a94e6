// -dfilter: limits per-block debug output (-d in_asm,out_asm,op,op_opt,exec,cpu)
// to guest addresses in a set of ranges, as QEMU's option does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vx86 {

struct LogAddressRange {
  uint64_t first;
  uint64_t last;  // inclusive
};

// Parses "START+SIZE", "END-SIZE" (the SIZE bytes ending at END) or
// "START..LAST", comma separated; numbers in C syntax (0x.. for hex). On error
// returns false and describes the bad item in *error.
bool parse_log_filter(std::string_view spec, std::vector<LogAddressRange>* ranges,
                      std::string* error);

void set_log_filter(std::vector<LogAddressRange> ranges);

// True when no filter is set or `address` lies in one of its ranges.
bool log_address_in_filter(uint64_t address);

}  // namespace vx86
