#include "target-x86/monitor_disassembler.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace vx86 {

namespace {

// Bytes shown on an instruction's first line; the rest go on lines below.
constexpr std::size_t kBytesPerLine = 8;
constexpr std::size_t kMaxInstruction = 15;

void append_bytes(std::string& out, const uint8_t* bytes, std::size_t n) {
  char hex[4];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof(hex), " %02x", bytes[i]);
    out += hex;
  }
}

}  // namespace

std::string disassemble_for_monitor(const CodeReader& read, uint64_t addr, unsigned count,
                                    unsigned code_bits) {
  const cs_mode mode = code_bits == 16 ? CS_MODE_16 : code_bits == 32 ? CS_MODE_32 : CS_MODE_64;
  csh handle = 0;
  if (cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) return "capstone is not available\n";
  cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
  cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);  // ".byte 0xNN" for what does not decode
  std::string out;
  char line[64];
  cs_insn* insn = cs_malloc(handle);
  for (unsigned done = 0; done < count; ++done) {
    uint8_t bytes[kMaxInstruction];
    // What is readable of the next 15 bytes (an instruction may end before
    // an unmapped page).
    std::size_t got = read(addr, bytes, sizeof(bytes));
    if (got < sizeof(bytes)) {
      got = 0;
      while (got < sizeof(bytes) && read(addr + got, bytes + got, 1) == 1) ++got;
    }
    if (got == 0) {
      std::snprintf(line, sizeof(line), "0x%08" PRIx64 ": unable to read memory\n", addr);
      out += line;
      break;
    }
    const uint8_t* code = bytes;
    std::size_t size = got;
    uint64_t pc = addr;
    if (!cs_disasm_iter(handle, &code, &size, &pc, insn)) break;
    std::snprintf(line, sizeof(line), "0x%08" PRIx64 ": ", insn->address);
    out += line;
    const std::size_t n = insn->size;
    append_bytes(out, insn->bytes, std::min(n, kBytesPerLine));
    if (n < kBytesPerLine) out.append((kBytesPerLine - n) * 3, ' ');
    out += "  ";
    std::snprintf(line, sizeof(line), "%-8s ", insn->mnemonic);
    out += line;
    out += insn->op_str;
    out += "\n";
    for (std::size_t i = kBytesPerLine; i < n; i += kBytesPerLine) {
      std::snprintf(line, sizeof(line), "0x%08" PRIx64 ": ", insn->address + i);
      out += line;
      append_bytes(out, insn->bytes + i, std::min(kBytesPerLine, n - i));
      out += "\n";
    }
    addr += n;
  }
  cs_free(insn, 1);
  cs_close(&handle);
  return out;
}

}  // namespace vx86
