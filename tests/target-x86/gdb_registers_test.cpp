// The register file gdb sees: the target description and the byte image
// agree, gdb's required register names are there in its order, and the image
// carries CpuState both ways.
#include "target-x86/gdb_registers.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "target-x86/fpu_state.h"

namespace vx86::x86 {
namespace {

struct DescribedRegister {
  std::string name;
  unsigned bits;
};

std::vector<DescribedRegister> described_registers() {
  std::vector<DescribedRegister> regs;
  const std::string& xml = gdb_target_xml();
  static const std::regex kReg(R"re(<reg name="([a-z0-9_]+)" bitsize="([0-9]+)")re");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), kReg); it != std::sregex_iterator();
       ++it) {
    regs.push_back({(*it)[1].str(), static_cast<unsigned>(std::stoul((*it)[2].str()))});
  }
  return regs;
}

TEST(GdbRegisters, DescriptionMatchesTheImage) {
  const auto regs = described_registers();
  ASSERT_EQ(regs.size(), gdb_register_count());
  unsigned total = 0;
  for (unsigned n = 0; n < regs.size(); ++n) {
    EXPECT_EQ(regs[n].bits, gdb_register_size(n) * 8) << regs[n].name;
    total += gdb_register_size(n);
  }
  EXPECT_EQ(gdb_register_size(gdb_register_count()), 0u);
  CpuState cpu{};
  EXPECT_EQ(gdb_read_registers(cpu).size(), total);
  EXPECT_NE(gdb_target_xml().find("<architecture>i386:x86-64</architecture>"), std::string::npos);
}

TEST(GdbRegisters, GdbsAmd64RegistersInItsOrder) {
  // The names gdb's amd64 target requires of the core and sse features.
  const std::vector<std::string> expected = {
      "rax",   "rbx",   "rcx",   "rdx",   "rsi",   "rdi",   "rbp",   "rsp",     "r8",     "r9",
      "r10",   "r11",   "r12",   "r13",   "r14",   "r15",   "rip",   "eflags",  "cs",     "ss",
      "ds",    "es",    "fs",    "gs",    "st0",   "st1",   "st2",   "st3",     "st4",    "st5",
      "st6",   "st7",   "fctrl", "fstat", "ftag",  "fiseg", "fioff", "foseg",   "fooff",  "fop",
      "xmm0",  "xmm1",  "xmm2",  "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",    "xmm8",   "xmm9",
      "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "mxcsr", "fs_base", "gs_base"};
  const auto regs = described_registers();
  ASSERT_GE(regs.size(), expected.size());
  for (unsigned n = 0; n < expected.size(); ++n) EXPECT_EQ(regs[n].name, expected[n]) << n;
}

TEST(GdbRegisters, ImageCarriesTheStateBothWays) {
  std::mt19937_64 rng(7);
  CpuState cpu{};
  for (uint64_t& r : cpu.regs) r = rng();
  cpu.rip = rng();
  load_eflags(cpu, 0x2 | 0x1 | 0x40 | 0x800, kFlagsDefined);
  for (auto& s : cpu.segs) s.selector = static_cast<uint16_t>(rng());
  for (auto& st : cpu.st) st = Float80{rng(), static_cast<uint16_t>(rng()), {}};
  cpu.fpu_top = 3;
  cpu.fpu_cw = 0x037f;
  cpu.fpu_tw = 0;
  cpu.fpu_opcode = 0x123;
  cpu.fpu_ip = 0x11223344;
  cpu.fpu_dp = 0x55667788;
  for (auto& x : cpu.xmm) x = XmmReg{{rng(), rng()}};
  for (auto& y : cpu.ymmh) y = XmmReg{{rng(), rng()}};
  cpu.mxcsr = 0x1fa0;
  cpu.segs[kSegFS].base = rng();
  cpu.segs[kSegGS].base = rng();
  cpu.kernel_gs_base = rng();
  cpu.cr0 = kCr0PE | kCr0PG | kCr0ET;
  cpu.cr3 = 0x123000;
  cpu.efer = kEferLME | kEferLMA;
  cpu.gdtr = {0xffff888000001000ull, 0x7f};
  cpu.idtr = {0xfffffe0000000000ull, 0xfff};
  const std::vector<uint8_t> image = gdb_read_registers(cpu);

  CpuState copy{};
  copy.cr0 = kCr0PE;  // protected mode: writing selectors keeps the bases
  ASSERT_TRUE(gdb_write_registers(copy, image.data(), image.size()));
  for (unsigned n = 0; n < gdb_register_count(); ++n) {
    std::vector<uint8_t> a, b;
    gdb_read_register(cpu, n, &a);
    gdb_read_register(copy, n, &b);
    EXPECT_EQ(a, b) << "register " << n << " (" << described_registers()[n].name << ")";
  }
  EXPECT_EQ(std::memcmp(copy.regs, cpu.regs, sizeof(cpu.regs)), 0);
  EXPECT_EQ(copy.rip, cpu.rip);
  EXPECT_EQ(compute_eflags(copy), compute_eflags(cpu));
  EXPECT_EQ(copy.idtr.base, cpu.idtr.base);
  EXPECT_EQ(copy.gdtr.limit, cpu.gdtr.limit);
  EXPECT_EQ(std::memcmp(copy.ymmh, cpu.ymmh, sizeof(cpu.ymmh)), 0);  // the avx feature
  EXPECT_FALSE(gdb_write_registers(copy, image.data(), image.size() - 1));
}

TEST(GdbRegisters, St0IsTheTopOfTheStackAndFstatHasTop) {
  CpuState cpu{};
  fpu_init(cpu);
  cpu.fpu_top = 5;
  cpu.st[5] = Float80{0x8000000000000000ull, 0x3fff, {}};  // 1.0 in ST(0)
  cpu.fpu_tw = 0xffff & ~(3u << 10);                       // physical register 5 valid
  std::vector<uint8_t> st0, fstat, ftag;
  ASSERT_TRUE(gdb_read_register(cpu, 24, &st0));
  ASSERT_TRUE(gdb_read_register(cpu, 33, &fstat));
  ASSERT_TRUE(gdb_read_register(cpu, 34, &ftag));
  EXPECT_EQ(st0, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f}));
  EXPECT_EQ(fstat[1] >> 3 & 7, 5);                            // TOP in bits 11-13
  EXPECT_EQ(ftag, (std::vector<uint8_t>{0xff, 0xf3, 0, 0}));  // tag 00 (valid) for register 5
}

TEST(GdbRegisters, SelectorWritesInRealModeMoveTheBase) {
  CpuState cpu{};
  const uint8_t selector[4] = {0x00, 0xf0, 0, 0};
  ASSERT_TRUE(gdb_write_register(cpu, 18, selector, 4));  // cs
  EXPECT_EQ(cpu.segs[kSegCS].selector, 0xf000);
  EXPECT_EQ(cpu.segs[kSegCS].base, 0xf0000u);
  EXPECT_FALSE(gdb_write_register(cpu, 18, selector, 2));
  EXPECT_FALSE(gdb_write_register(cpu, gdb_register_count(), selector, 4));
}

}  // namespace
}  // namespace vx86::x86
