// Hand-written decoder cases: prefixes, REX, addressing forms, immediates,
// the 15-byte limit, mode-dependent validity, LOCK rules, fetch faults.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "target-x86/cpu_state.h"
#include "target-x86/decoder.h"

namespace vx86::x86 {
namespace {

std::vector<uint8_t> bytes_of(const std::string& hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size();) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    i += 2;
  }
  return out;
}

DecodedInsn dec(unsigned bits, const std::string& hex, bool real = false) {
  const std::vector<uint8_t> b = bytes_of(hex);
  DecodeMode mode;
  mode.code_bits = static_cast<uint8_t>(bits);
  mode.real_or_vm86 = real;
  DecodedInsn insn;
  decode(mode, std::span<const uint8_t>(b.data(), b.size()), &insn);
  return insn;
}

#define EXPECT_DECODES(insn, len, mnem)                 \
  do {                                                  \
    EXPECT_EQ((insn).status, DecodeStatus::kOk);        \
    EXPECT_EQ((insn).length, len);                      \
    EXPECT_STREQ(mnemonic_name((insn).mnemonic), mnem); \
  } while (0)

TEST(DecoderCases, OperandAndAddressSizePrefixes) {
  DecodedInsn d = dec(32, "66 01 c8");  // add ax, cx
  EXPECT_DECODES(d, 3, "add");
  EXPECT_EQ(d.operand_bits, 16);
  EXPECT_EQ(d.operands[0].size, 2);
  d = dec(16, "66 01 c8");  // add eax, ecx
  EXPECT_EQ(d.operand_bits, 32);
  d = dec(32, "67 8b 00");  // mov eax, [bx+si]
  EXPECT_DECODES(d, 3, "mov");
  EXPECT_EQ(d.address_bits, 16);
  EXPECT_EQ(d.mem.base, kRBX);
  EXPECT_EQ(d.mem.index, kRSI);
  d = dec(64, "67 8b 00");  // mov eax, [eax]
  EXPECT_EQ(d.address_bits, 32);
  EXPECT_EQ(d.mem.base, kRAX);
  // Default-64 and forced-64 operand sizes in long mode.
  EXPECT_EQ(dec(64, "50").operand_bits, 64);
  EXPECT_EQ(dec(64, "66 50").operand_bits, 16);
  EXPECT_EQ(dec(64, "ff d0").operand_bits, 64);          // call rax
  EXPECT_EQ(dec(64, "66 0f 84 00 00 00 00").length, 7);  // Jcc rel32 ignores 66 (Intel)
  EXPECT_EQ(dec(32, "66 0f 84 00 00").length, 5);        // rel16 in 32-bit code
}

TEST(DecoderCases, SegmentOverrides) {
  DecodedInsn d = dec(32, "8b 45 08");  // mov eax, [ebp+8]
  EXPECT_EQ(d.mem.segment, kSegSS);
  EXPECT_EQ(d.mem.disp, 8);
  EXPECT_EQ(dec(32, "8b 04 24").mem.segment, kSegSS);  // [esp]
  EXPECT_EQ(dec(32, "3e 8b 45 08").mem.segment, kSegDS);
  EXPECT_EQ(dec(32, "26 8b 00").mem.segment, kSegES);
  // 64-bit: FS/GS keep their base, CS/DS/ES/SS overrides are recorded but ignored.
  d = dec(64, "64 8b 00");
  EXPECT_EQ(d.mem.segment, kSegFS);
  d = dec(64, "2e 8b 00");
  EXPECT_TRUE(d.prefixes & kPrefixSegment);
  EXPECT_EQ(d.segment_prefix, kSegCS);
  EXPECT_EQ(d.mem.segment, kSegDS);
  // Last segment prefix wins.
  EXPECT_EQ(dec(32, "26 65 8b 00").mem.segment, kSegGS);
  // String source is overridable, destination is always ES.
  d = dec(32, "2e a5");  // movsd es:[edi], cs:[esi]
  EXPECT_EQ(d.operands[0].kind, OperandKind::kString);
  EXPECT_EQ(d.operands[0].reg, kSegES);
  EXPECT_EQ(d.operands[1].reg, kSegCS);
}

TEST(DecoderCases, RexPrefix) {
  DecodedInsn d = dec(64, "48 89 d8");  // mov rax, rbx
  EXPECT_DECODES(d, 3, "mov");
  EXPECT_EQ(d.operand_bits, 64);
  EXPECT_EQ(d.operands[0].reg, kRAX);
  EXPECT_EQ(d.operands[1].reg, kRBX);
  d = dec(64, "4c 89 c0");  // mov rax, r8
  EXPECT_EQ(d.operands[1].reg, kR8);
  d = dec(64, "41 50");  // push r8
  EXPECT_EQ(d.operands[0].reg, kR8);
  // Byte registers: AH without REX, SPL with any REX.
  d = dec(64, "88 e0");  // mov al, ah
  EXPECT_EQ(d.operands[1].reg_class, RegClass::kGpr8High);
  EXPECT_EQ(d.operands[1].reg, 0);
  d = dec(64, "40 88 e0");  // mov al, spl
  EXPECT_EQ(d.operands[1].reg_class, RegClass::kGpr);
  EXPECT_EQ(d.operands[1].reg, kRSP);
  // REX followed by a legacy prefix is ignored.
  d = dec(64, "48 66 89 d8");  // mov ax, bx
  EXPECT_DECODES(d, 4, "mov");
  EXPECT_EQ(d.operand_bits, 16);
  EXPECT_TRUE(d.prefixes & kPrefixRexIgnored);
  EXPECT_FALSE(d.prefixes & kPrefixRex);
  EXPECT_EQ(dec(64, "48 66 b8 34 12").length, 5);  // imm16: REX.W dropped
  // REX.W beats 66.
  d = dec(64, "66 48 b8 88 77 66 55 44 33 22 11");
  EXPECT_EQ(d.length, 11);
  EXPECT_EQ(d.operand_bits, 64);
  // Only the last REX counts.
  d = dec(64, "48 41 50");
  EXPECT_EQ(d.rex, kRexB);
  // 40-4F are INC/DEC outside 64-bit mode.
  EXPECT_DECODES(dec(32, "48"), 1, "dec");
  EXPECT_DECODES(dec(32, "41"), 1, "inc");
  // 90 is NOP, but XCHG r8, rAX with REX.B; F3 90 is PAUSE.
  EXPECT_DECODES(dec(64, "90"), 1, "nop");
  d = dec(64, "41 90");
  EXPECT_DECODES(d, 2, "xchg");
  EXPECT_EQ(d.operands[0].reg, kR8);
  EXPECT_DECODES(dec(64, "f3 90"), 2, "pause");
}

TEST(DecoderCases, Immediates) {
  DecodedInsn d = dec(64, "48 b8 88 77 66 55 44 33 22 11");  // mov rax, imm64
  EXPECT_DECODES(d, 10, "mov");
  EXPECT_EQ(d.imm, 0x1122334455667788ull);
  d = dec(64, "49 ba 01 00 00 00 00 00 00 80");  // mov r10, imm64
  EXPECT_EQ(d.operands[0].reg, kR10);
  EXPECT_EQ(d.imm, 0x8000000000000001ull);
  EXPECT_EQ(dec(64, "b8 01 00 00 00").length, 5);  // mov eax, imm32
  d = dec(64, "48 c7 c0 ff ff ff ff");             // mov rax, -1 (imm32 sign-extended)
  EXPECT_EQ(d.length, 7);
  EXPECT_EQ(d.imm, ~0ull);
  d = dec(32, "83 c0 ff");  // add eax, -1
  EXPECT_EQ(d.imm, ~0ull);
  d = dec(32, "c8 10 00 01");  // enter 0x10, 1
  EXPECT_DECODES(d, 4, "enter");
  EXPECT_EQ(d.imm, 0x10u);
  EXPECT_EQ(d.imm2, 1u);
  d = dec(32, "ea 78 56 34 12 08 00");  // jmp far 0x8:0x12345678
  EXPECT_DECODES(d, 7, "jmpf");
  EXPECT_EQ(d.imm, 0x12345678u);
  EXPECT_EQ(d.imm2, 8u);
  EXPECT_EQ(dec(32, "66 ea 34 12 08 00").length, 6);
  EXPECT_EQ(dec(16, "ea 34 12 00 f0").length, 5);
  d = dec(32, "eb fe");  // jmp $
  EXPECT_EQ(d.operands[0].kind, OperandKind::kRel);
  EXPECT_EQ(static_cast<int64_t>(d.imm), -2);
  EXPECT_EQ(dec(16, "e8 00 10").length, 3);
  EXPECT_EQ(dec(32, "e8 00 10 00 00").length, 5);
  EXPECT_EQ(dec(32, "f6 c0 ff").length, 3);           // test al, imm8
  EXPECT_EQ(dec(32, "f7 c0 ff 00 00 00").length, 6);  // test eax, imm32
  EXPECT_EQ(dec(16, "f7 c0 ff 00").length, 4);        // test ax, imm16
  EXPECT_EQ(dec(32, "f6 d0").length, 2);              // not al
  EXPECT_EQ(dec(32, "66 0f 3a 0f c1 08").imm, 8u);    // palignr xmm0, xmm1, 8
  d = dec(64, "66 0f 78 c0 04 08");                   // extrq xmm0, 4, 8
  EXPECT_DECODES(d, 6, "extrq");
  EXPECT_EQ(d.imm, 4u);
  EXPECT_EQ(d.imm2, 8u);
}

TEST(DecoderCases, Moffs) {
  DecodedInsn d = dec(64, "a1 88 77 66 55 44 33 22 11");  // mov eax, [moffs64]
  EXPECT_DECODES(d, 9, "mov");
  EXPECT_TRUE(d.has_mem);
  EXPECT_EQ(static_cast<uint64_t>(d.mem.disp), 0x1122334455667788ull);
  EXPECT_EQ(d.operands[1].kind, OperandKind::kMem);
  EXPECT_EQ(dec(64, "67 a1 44 33 22 11").length, 6);
  EXPECT_EQ(dec(64, "48 a3 00 00 00 00 00 00 00 00").operand_bits, 64);
  EXPECT_EQ(dec(32, "a0 44 33 22 11").length, 5);
  EXPECT_EQ(dec(32, "67 a0 22 11").length, 4);
  EXPECT_EQ(dec(16, "a2 22 11").length, 3);
  EXPECT_EQ(dec(16, "67 a2 44 33 22 11").length, 6);
  EXPECT_EQ(dec(64, "64 a1 00 00 00 00 00 00 00 00").mem.segment, kSegFS);
}

TEST(DecoderCases, RipRelativeAndSib) {
  DecodedInsn d = dec(64, "8b 05 10 00 00 00");  // mov eax, [rip+0x10]
  EXPECT_DECODES(d, 6, "mov");
  EXPECT_TRUE(d.rip_relative());
  EXPECT_EQ(d.mem.disp, 0x10);
  d = dec(64, "48 8d 05 f0 ff ff ff");  // lea rax, [rip-0x10]
  EXPECT_TRUE(d.rip_relative());
  EXPECT_EQ(d.mem.disp, -0x10);
  d = dec(64, "c7 05 00 01 00 00 78 56 34 12");  // mov dword [rip+0x100], imm32
  EXPECT_EQ(d.length, 10);
  EXPECT_TRUE(d.rip_relative());
  // Same bytes in 32-bit code: absolute disp32.
  d = dec(32, "8b 05 10 00 00 00");
  EXPECT_FALSE(d.rip_relative());
  EXPECT_EQ(d.mem.base, kNoReg);
  // SIB with no base and no index: absolute, not RIP-relative.
  d = dec(64, "8b 04 25 00 10 00 00");
  EXPECT_FALSE(d.rip_relative());
  EXPECT_EQ(d.mem.base, kNoReg);
  EXPECT_EQ(d.mem.index, kNoReg);
  EXPECT_EQ(d.mem.disp, 0x1000);
  // r13 as base needs a displacement; r12 needs a SIB.
  d = dec(64, "41 8b 45 00");
  EXPECT_EQ(d.mem.base, kR13);
  EXPECT_EQ(d.length, 4);
  d = dec(64, "41 8b 04 24");
  EXPECT_EQ(d.mem.base, kR12);
  EXPECT_EQ(d.mem.segment, kSegDS);  // only rSP/rBP default to SS
  // Index 100 means none, unless REX.X makes it r12.
  EXPECT_EQ(dec(64, "8b 04 20").mem.index, kNoReg);
  d = dec(64, "42 8b 04 a0");  // mov eax, [rax + r12*4]
  EXPECT_EQ(d.mem.index, kR12);
  EXPECT_EQ(d.mem.scale, 4);
  d = dec(32, "8b 84 c8 78 56 34 12");  // mov eax, [eax + ecx*8 + 0x12345678]
  EXPECT_EQ(d.length, 7);
  EXPECT_EQ(d.mem.scale, 8);
  EXPECT_EQ(d.mem.disp, 0x12345678);
}

TEST(DecoderCases, SixteenBitAddressing) {
  struct Case {
    const char* hex;
    int8_t base, index;
    int64_t disp;
    uint8_t seg;
    uint8_t length;
  };
  const Case cases[] = {
      {"8b 00", kRBX, kRSI, 0, kSegDS, 2},
      {"8b 01", kRBX, kRDI, 0, kSegDS, 2},
      {"8b 02", kRBP, kRSI, 0, kSegSS, 2},
      {"8b 03", kRBP, kRDI, 0, kSegSS, 2},
      {"8b 04", kRSI, kNoReg, 0, kSegDS, 2},
      {"8b 05", kRDI, kNoReg, 0, kSegDS, 2},
      {"8b 06 34 12", kNoReg, kNoReg, 0x1234, kSegDS, 4},
      {"8b 07", kRBX, kNoReg, 0, kSegDS, 2},
      {"8b 46 fe", kRBP, kNoReg, -2, kSegSS, 3},
      {"8b 87 00 80", kRBX, kNoReg, -0x8000, kSegDS, 4},
      {"8b 84 ff 7f", kRSI, kNoReg, 0x7fff, kSegDS, 4},
  };
  for (const Case& c : cases) {
    const DecodedInsn d = dec(16, c.hex);
    EXPECT_EQ(d.status, DecodeStatus::kOk) << c.hex;
    EXPECT_EQ(d.length, c.length) << c.hex;
    EXPECT_EQ(d.address_bits, 16) << c.hex;
    EXPECT_EQ(d.mem.base, c.base) << c.hex;
    EXPECT_EQ(d.mem.index, c.index) << c.hex;
    EXPECT_EQ(d.mem.disp, c.disp) << c.hex;
    EXPECT_EQ(d.mem.segment, c.seg) << c.hex;
  }
  // 67 in 16-bit code switches to 32-bit forms (SIB).
  EXPECT_EQ(dec(16, "67 8b 04 24").length, 4);
}

TEST(DecoderCases, FifteenByteLimit) {
  std::string prefixes;
  for (int i = 0; i < 14; ++i) prefixes += "66 ";
  DecodedInsn d = dec(32, prefixes + "90");
  EXPECT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.length, 15);
  d = dec(32, prefixes + "66 90");
  EXPECT_EQ(d.status, DecodeStatus::kTooLong);
  EXPECT_FALSE(d.length_known);
  // A real instruction growing past 15 bytes through its displacement/immediate.
  d = dec(64, "66 66 66 2e 48 81 84 88 00 00 00 00 00 00 00 00");  // 16 bytes
  EXPECT_EQ(d.status, DecodeStatus::kTooLong);
  d = dec(64, "66 66 2e 48 81 84 88 00 00 00 00 00 00 00 00");  // 15 bytes
  EXPECT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.length, 15);
}

TEST(DecoderCases, InvalidIn64BitMode) {
  const char* invalid64[] = {"06",
                             "07",
                             "0e",
                             "16",
                             "17",
                             "1e",
                             "1f",
                             "27",
                             "2f",
                             "37",
                             "3f",
                             "60",
                             "61",
                             "9a 00 00 00 00 00 00",
                             "ce",
                             "d4 0a",
                             "d5 0a",
                             "d6",
                             "ea 00 00 00 00 00 00",
                             "82 c0 01",
                             "63 c0"};
  for (const char* hex : invalid64) {
    if (std::string(hex) == "63 c0") continue;  // MOVSXD in 64-bit mode, checked below
    EXPECT_EQ(dec(64, hex).status, DecodeStatus::kInvalidOpcode) << hex;
    EXPECT_EQ(dec(32, hex).status, DecodeStatus::kOk) << hex;
  }
  EXPECT_DECODES(dec(64, "48 63 c1"), 3, "movsxd");
  EXPECT_DECODES(dec(32, "63 c1"), 2, "arpl");
  // 64-bit-only instructions.
  EXPECT_EQ(dec(32, "0f 01 f8").status, DecodeStatus::kInvalidOpcode);  // swapgs
  EXPECT_DECODES(dec(64, "0f 01 f8"), 3, "swapgs");
  EXPECT_EQ(dec(32, "f3 0f ae c0").status, DecodeStatus::kInvalidOpcode);  // rdfsbase
}

TEST(DecoderCases, VexEvexXop3DNow) {
  // C4/C5 are LES/LDS in 32-bit code unless ModRM.mod would be 11.
  EXPECT_DECODES(dec(32, "c4 00"), 2, "les");
  EXPECT_DECODES(dec(32, "c5 00"), 2, "lds");
  DecodedInsn d = dec(32, "c5 f8 77");  // vzeroupper
  EXPECT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.mnemonic, Mnemonic::kVzeroupper);
  EXPECT_EQ(d.length, 3);
  EXPECT_EQ(d.map, OpcodeMapId::kVex);
  EXPECT_EQ(dec(32, "c5 fc 77").mnemonic, Mnemonic::kVzeroall);
  d = dec(64, "c4 e2 79 18 00");  // vbroadcastss xmm0, [rax]
  EXPECT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.mnemonic, Mnemonic::kVbroadcastss);
  EXPECT_EQ(d.length, 5);
  EXPECT_EQ(dec(64, "c4 e2 79 18 c0").mnemonic, Mnemonic::kVbroadcastss);  // AVX2 reg form
  // vpgatherdd xmm0, [rsi+xmm2*4], xmm1: the SIB index is a vector register,
  // and destination, index and mask must differ.
  d = dec(64, "c4 e2 71 90 04 96");
  EXPECT_EQ(d.mnemonic, Mnemonic::kVpgatherdd);
  EXPECT_EQ(d.vector_index, 2);
  EXPECT_EQ(d.mem.index, kNoReg);
  EXPECT_EQ(dec(64, "c4 e2 71 90 0c 96").status, DecodeStatus::kInvalidOpcode);  // dst = mask
  EXPECT_EQ(dec(64, "c4 e2 71 90 06").status, DecodeStatus::kInvalidOpcode);     // no SIB
  // vaddps ymm0, ymm1, [rax]: vvvv is the first source, VEX.L widens the memory operand.
  d = dec(64, "c5 f4 58 00");
  EXPECT_EQ(d.mnemonic, Mnemonic::kAddps);
  EXPECT_EQ(d.operands[1].reg, 1);
  EXPECT_EQ(d.operands[2].size, 32);
  EXPECT_EQ(dec(64, "c5 f0 28 c1").status,
            DecodeStatus::kInvalidOpcode);  // vmovaps needs vvvv=1111b
  EXPECT_EQ(dec(64, "c4 e2 f9 0c c1").status, DecodeStatus::kInvalidOpcode);     // vpermilps is W0
  EXPECT_EQ(dec(64, "c4 e3 79 06 c1 00").status, DecodeStatus::kInvalidOpcode);  // vperm2f128: L1
  // vblendvps xmm0, xmm1, xmm2, xmm3: the fourth register in imm8[7:4].
  EXPECT_EQ(dec(64, "c4 e3 71 4a c2 30").operands[3].reg, 3);
  EXPECT_EQ(dec(64, "c4 e2 71 98 c2").mnemonic, Mnemonic::kVfmadd);  // vfmadd132ps
  EXPECT_EQ(dec(64, "c4 e2 71 a8 c2 00").length, 5);
  EXPECT_EQ(dec(64, "c4 e2 71 f0 c2").status, DecodeStatus::kUnsupported);  // no such VEX row
  EXPECT_EQ(dec(64, "c4 e3 79 04 c0 01").length, 6);                        // vpermilps imm8
  EXPECT_EQ(dec(64, "c5 f9 70 c0 01").length, 5);                           // vpshufd imm8
  EXPECT_EQ(dec(64, "66 c5 f8 77").status, DecodeStatus::kInvalidOpcode);   // 66 + VEX
  // BMI1/BMI2 are executed: andn eax, eax, ecx (vvvv = eax); VEX.L=1 is #UD;
  // VEX.W selects 64-bit operands in 64-bit mode only.
  d = dec(64, "c4 e2 78 f2 c1");
  EXPECT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.mnemonic, Mnemonic::kAndn);
  EXPECT_EQ(d.vex_vvvv, 0);
  EXPECT_EQ(d.operand_bits, 32);
  EXPECT_EQ(dec(64, "c4 e2 7c f2 c1").status, DecodeStatus::kInvalidOpcode);
  EXPECT_EQ(dec(64, "c4 e2 f8 f2 c1").operand_bits, 64);
  EXPECT_EQ(dec(32, "c4 e2 f8 f2 c1").operand_bits, 32);
  EXPECT_EQ(dec(64, "c4 e3 fb f0 c1 05").mnemonic, Mnemonic::kRorx);        // rorx rax, rcx, 5
  EXPECT_EQ(dec(64, "c4 e2 78 f3 c9").mnemonic, Mnemonic::kBlsr);           // /1
  EXPECT_EQ(dec(64, "c4 e2 78 f3 c1").status, DecodeStatus::kUnsupported);  // /0: none
  // Real mode: no VEX, so C5 with mod=11 is LDS with a register: #UD.
  EXPECT_EQ(dec(16, "c5 f8", /*real=*/true).status, DecodeStatus::kInvalidOpcode);
  // 62: BOUND in 32-bit code with a memory operand, EVEX otherwise.
  EXPECT_DECODES(dec(32, "62 00"), 2, "bound");
  d = dec(64, "62 f1 7c 48 58 c1");  // vaddps zmm0, zmm0, zmm1
  EXPECT_EQ(d.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(d.length, 6);
  EXPECT_EQ(dec(64, "62 f1 7c 48 58 40 01").length, 7);  // disp8*N is still one byte
  // 8F: POP Ev when ModRM.reg = 0, XOP when the map field is >= 8.
  EXPECT_DECODES(dec(32, "8f c0"), 2, "pop");
  d = dec(32, "8f e8 78 c2 c1 05");  // vprotb xmm0, xmm1, 5 (XOP map 8, imm8)
  EXPECT_EQ(d.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(d.length, 6);
  EXPECT_EQ(dec(64, "8f ea 78 10 c0 00 00 00 00").length, 9);  // bextr imm32 (map 0Ah)
  // 3DNow!: 0F 0F ModRM [SIB disp] imm8-opcode.
  d = dec(32, "0f 0f c1 9e");  // pfadd mm0, mm1
  EXPECT_EQ(d.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(d.length, 4);
  EXPECT_EQ(d.opcode, 0x9e);
  EXPECT_EQ(dec(32, "0f 0f 80 00 01 00 00 9e").length, 8);
}

TEST(DecoderCases, LockRules) {
  EXPECT_DECODES(dec(32, "f0 01 08"), 3, "add");                           // lock add [eax], ecx
  EXPECT_EQ(dec(32, "f0 01 c8").status, DecodeStatus::kInvalidOpcode);     // register dest
  EXPECT_EQ(dec(32, "f0 90").status, DecodeStatus::kInvalidOpcode);        // not lockable
  EXPECT_EQ(dec(32, "f0 8b 00").status, DecodeStatus::kInvalidOpcode);     // mov
  EXPECT_EQ(dec(32, "f0 39 00").status, DecodeStatus::kInvalidOpcode);     // cmp
  EXPECT_EQ(dec(32, "f0 80 38 01").status, DecodeStatus::kInvalidOpcode);  // cmp /7
  EXPECT_DECODES(dec(32, "f0 80 30 01"), 4, "xor");
  EXPECT_DECODES(dec(32, "f0 0f c7 08"), 4, "cmpxchg8b");
  EXPECT_DECODES(dec(64, "f0 48 0f c1 07"), 5, "xadd");
  EXPECT_DECODES(dec(32, "f0 87 08"), 3, "xchg");
  EXPECT_DECODES(dec(32, "f0 0f ba 28 03"), 5, "bts");
  EXPECT_EQ(dec(32, "f0 0f ba 20 03").status, DecodeStatus::kInvalidOpcode);  // bt
  EXPECT_DECODES(dec(32, "f0 fe 00"), 3, "inc");
  EXPECT_DECODES(dec(32, "f0 f7 18"), 3, "neg");
  EXPECT_EQ(dec(32, "f0 f7 00 01 00 00 00").status, DecodeStatus::kInvalidOpcode);  // test
  // The length is still known for the #UD.
  EXPECT_EQ(dec(32, "f0 01 c8").length, 3);
}

TEST(DecoderCases, ModRMFormRules) {
  EXPECT_EQ(dec(32, "8d c0").status, DecodeStatus::kInvalidOpcode);  // lea needs memory
  EXPECT_EQ(dec(32, "ff d8").status, DecodeStatus::kInvalidOpcode);  // callf needs memory
  EXPECT_DECODES(dec(32, "ff 18"), 2, "callf");
  EXPECT_EQ(dec(32, "ff 18").operands[0].size, 6);                   // m16:32
  EXPECT_EQ(dec(32, "fe 10").status, DecodeStatus::kInvalidOpcode);  // Grp4 /2
  EXPECT_EQ(dec(32, "fe 10").length, 2);
  // MOV to/from CR/DR: mod is ignored and no displacement follows.
  DecodedInsn d = dec(32, "0f 20 00");  // mov eax, cr0
  EXPECT_DECODES(d, 3, "mov");
  EXPECT_EQ(d.operands[1].reg_class, RegClass::kCr);
  EXPECT_EQ(d.operands[0].kind, OperandKind::kReg);
  EXPECT_EQ(dec(64, "0f 20 c0").operand_bits, 64);
  EXPECT_EQ(dec(64, "44 0f 20 c0").operands[1].reg, 8);                    // cr8
  EXPECT_EQ(dec(32, "0f 20 c8").status, DecodeStatus::kInvalidOpcode);     // cr1
  EXPECT_EQ(dec(32, "0f 22 e8").status, DecodeStatus::kInvalidOpcode);     // cr5
  EXPECT_DECODES(dec(32, "0f 23 f8"), 3, "mov");                           // mov dr7, eax
  EXPECT_EQ(dec(64, "44 0f 23 c0").status, DecodeStatus::kInvalidOpcode);  // dr8
  // MOV Sreg: CS is not a destination; reg 6 and 7 do not exist.
  EXPECT_EQ(dec(32, "8e c8").status, DecodeStatus::kInvalidOpcode);
  EXPECT_DECODES(dec(32, "8e d8"), 2, "mov");
  EXPECT_EQ(dec(32, "8c f8").status, DecodeStatus::kInvalidOpcode);
}

TEST(DecoderCases, MandatoryPrefixesAndMaps) {
  EXPECT_DECODES(dec(32, "0f 10 c1"), 3, "movups");
  EXPECT_DECODES(dec(32, "66 0f 10 c1"), 4, "movupd");
  EXPECT_DECODES(dec(32, "f3 0f 10 c1"), 4, "movss");
  EXPECT_DECODES(dec(32, "f2 0f 10 c1"), 4, "movsd");
  DecodedInsn d = dec(32, "f2 66 0f 10 c1");  // F2 beats 66
  EXPECT_DECODES(d, 5, "movsd");
  EXPECT_EQ(d.mandatory_prefix, 0xF2);
  EXPECT_DECODES(dec(32, "66 f3 0f 58 c1"), 5, "addss");
  EXPECT_DECODES(dec(32, "0f 12 00"), 3, "movlps");  // the form follows ModRM.mod
  EXPECT_DECODES(dec(32, "0f 12 c1"), 3, "movhlps");
  EXPECT_DECODES(dec(32, "0f 16 c1"), 3, "movlhps");
  EXPECT_DECODES(dec(32, "66 0f 12 00"), 4, "movlpd");
  d = dec(32, "66 0f 38 00 c1");  // pshufb xmm0, xmm1
  EXPECT_DECODES(d, 5, "pshufb");
  EXPECT_EQ(d.map, OpcodeMapId::k0F38);
  EXPECT_EQ(d.operands[0].reg_class, RegClass::kXmm);
  d = dec(32, "0f 38 00 c1");  // pshufb mm0, mm1
  EXPECT_EQ(d.operands[0].reg_class, RegClass::kMmx);
  EXPECT_DECODES(dec(64, "f3 48 0f b8 c1"), 5, "popcnt");
  EXPECT_DECODES(dec(32, "0f bc c1"), 3, "bsf");
  EXPECT_DECODES(dec(32, "f3 0f bc c1"), 4, "tzcnt");
  d = dec(32, "66 f2 0f 38 f1 c1");  // crc32 eax, cx: 66 stays operand size
  EXPECT_DECODES(d, 6, "crc32");
  EXPECT_EQ(d.operand_bits, 16);
  EXPECT_DECODES(dec(32, "66 0f 38 f0 00"), 5, "movbe");
  EXPECT_EQ(dec(32, "66 0f 38 f0 00").operand_bits, 16);
  // Undefined 0F 38 / 0F 3A opcodes: #UD with a known length.
  d = dec(32, "0f 38 ff 00");
  EXPECT_EQ(d.status, DecodeStatus::kInvalidOpcode);
  EXPECT_EQ(d.length, 4);
  EXPECT_EQ(dec(32, "0f 3a ff 00 01").length, 5);
  // x87.
  EXPECT_DECODES(dec(32, "d9 e8"), 2, "fld1");
  d = dec(32, "dd 05 00 10 00 00");  // fld qword [0x1000]
  EXPECT_DECODES(d, 6, "fld");
  EXPECT_EQ(d.operands[0].size, 8);
  d = dec(32, "d8 c1");  // fadd st0, st1
  EXPECT_DECODES(d, 2, "fadd");
  EXPECT_EQ(d.operands[1].reg_class, RegClass::kSt);
  EXPECT_EQ(d.operands[1].reg, 1);
  EXPECT_DECODES(dec(32, "df e0"), 2, "fnstsw");
  EXPECT_EQ(dec(32, "d9 d8").mnemonic, Mnemonic::kFstp);  // FSTP1 alias
  EXPECT_EQ(dec(32, "d9 e2").status, DecodeStatus::kInvalidOpcode);
  // Group 7 register forms selected by rm.
  EXPECT_DECODES(dec(64, "0f 01 d0"), 3, "xgetbv");
  EXPECT_DECODES(dec(64, "0f 01 f9"), 3, "rdtscp");
  EXPECT_DECODES(dec(64, "0f 01 10"), 3, "lgdt");
  EXPECT_EQ(dec(64, "0f 01 10").operand_bits, 64);
  // Conditional families in encoding order.
  EXPECT_DECODES(dec(32, "0f 45 c1"), 3, "cmovne");
  EXPECT_DECODES(dec(32, "0f 9f c0"), 3, "setg");
  EXPECT_DECODES(dec(32, "7c 00"), 2, "jl");
}

bool fetch_until_offset_2(void* opaque, uint64_t address, uint8_t* byte) {
  const auto* code = static_cast<const uint8_t*>(opaque);
  const uint64_t offset = address - 0x4000;
  if (offset >= 2) return false;  // next page not present
  *byte = code[offset];
  return true;
}

bool fetch_all(void* opaque, uint64_t address, uint8_t* byte) {
  *byte = static_cast<const uint8_t*>(opaque)[address - 0x4000];
  return true;
}

TEST(DecoderCases, FetchFaultsAndShortBuffers) {
  const uint8_t code[] = {0xb8, 0x01, 0x02, 0x03, 0x04};  // mov eax, imm32
  DecodeMode mode;
  DecodedInsn d;
  EXPECT_EQ(decode(mode, 0x4000, fetch_until_offset_2, const_cast<uint8_t*>(code), &d),
            DecodeStatus::kFetchFault);
  EXPECT_EQ(d.fault_offset, 2u);
  EXPECT_FALSE(d.length_known);
  EXPECT_EQ(decode(mode, 0x4000, fetch_all, const_cast<uint8_t*>(code), &d), DecodeStatus::kOk);
  EXPECT_EQ(d.length, 5);
  EXPECT_EQ(d.imm, 0x04030201u);
  // Span decoding reports a buffer that ends too early.
  EXPECT_EQ(dec(32, "b8 01 02").status, DecodeStatus::kNeedMoreBytes);
  EXPECT_EQ(dec(64, "48").status, DecodeStatus::kNeedMoreBytes);
  EXPECT_EQ(dec(32, "").status, DecodeStatus::kNeedMoreBytes);
}

TEST(DecoderCases, TablesAndNames) {
  EXPECT_STREQ(mnemonic_name(Mnemonic::kAdd), "add");
  EXPECT_STREQ(mnemonic_name(Mnemonic::kCmovne), "cmovne");
  EXPECT_STREQ(mnemonic_name(Mnemonic::k3dnow), "3dnow");
  EXPECT_STREQ(mnemonic_name(Mnemonic::kCount), "?");
  OperandSpec spec;
  EXPECT_TRUE(parse_operand("Ev", 2, &spec));
  EXPECT_EQ(spec.method, OpMethod::kE);
  EXPECT_EQ(spec.size, OpSize::kV);
  EXPECT_TRUE(parse_operand("rAX", 3, &spec));
  EXPECT_EQ(spec.method, OpMethod::kFixedGpr);
  EXPECT_FALSE(parse_operand("Kq", 2, &spec));
  // The decoded row points back into the tables.
  const DecodedInsn d = dec(32, "01 c8");
  EXPECT_EQ(d.entry, &onebyte_map().rows[0x01][kAny]);
  EXPECT_TRUE(d.entry->has(attr::kLock));
  // Every map row's operand codes parse (the tables are built on first use).
  int rows = 0;
  for (const OpcodeMap* map : {&onebyte_map(), &map_0f(), &map_0f38(), &map_0f3a()}) {
    for (const auto& row : map->rows) {
      for (const OpcodeEntry& e : row) rows += e.valid();
    }
  }
  EXPECT_GT(rows, 600);
}

}  // namespace
}  // namespace vx86::x86
