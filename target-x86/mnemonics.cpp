// Mnemonic name table, generated from the X-macro list.
#include "target-x86/mnemonics.h"

#include <array>
#include <cctype>
#include <string>

namespace vx86::x86 {
namespace {

constexpr const char* kRawNames[] = {
#define VX86_X86_MNEMONIC_NAME(name) #name,
    VX86_X86_MNEMONICS(VX86_X86_MNEMONIC_NAME)
#undef VX86_X86_MNEMONIC_NAME
};
constexpr std::size_t kNumMnemonics = static_cast<std::size_t>(Mnemonic::kCount);
static_assert(sizeof(kRawNames) / sizeof(kRawNames[0]) == kNumMnemonics);

// The X-macro spells names in CamelCase (identifiers); logs want lower case.
const std::array<std::string, kNumMnemonics>& lower_names() {
  static const std::array<std::string, kNumMnemonics> names = [] {
    std::array<std::string, kNumMnemonics> out;
    for (std::size_t i = 0; i < kNumMnemonics; ++i) {
      out[i] = kRawNames[i];
      for (char& c : out[i]) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  }();
  return names;
}

}  // namespace

const char* mnemonic_name(Mnemonic mnemonic) {
  const auto index = static_cast<std::size_t>(mnemonic);
  if (index >= kNumMnemonics) return "?";
  return lower_names()[index].c_str();
}

}  // namespace vx86::x86
