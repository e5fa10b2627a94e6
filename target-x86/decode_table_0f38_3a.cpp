// Three-byte opcode maps 0F 38 xx and 0F 3A xx (Intel SDM Vol. 2, Tables A-4
// and A-5), legacy-encoded (non-VEX) rows only. Every 0F 38 opcode has a
// ModRM byte; every 0F 3A opcode has a ModRM byte and an imm8.
#include "target-x86/decode_table.h"

namespace vx86::x86 {
namespace {

using enum Mnemonic;
using namespace attr;

OpcodeMap build_0f38() {
  OpcodeMap map{};
  MapBuilder b(&map);
  // SSSE3: MMX form without prefix, XMM form with 66.
  const Mnemonic ssse3[] = {kPshufb, kPhaddw,  kPhaddd, kPhaddsw, kPmaddubsw, kPhsubw,
                            kPhsubd, kPhsubsw, kPsignb, kPsignw,  kPsignd,    kPmulhrsw};
  for (int i = 0; i < 12; ++i) b.mmx_sse(static_cast<uint8_t>(i), ssse3[i]);
  b.set(0x10, k66, Op(kPblendvb, "Vdq,Wdq,XMM0"));
  b.set(0x14, k66, Op(kBlendvps, "Vdq,Wdq,XMM0"));
  b.set(0x15, k66, Op(kBlendvpd, "Vdq,Wdq,XMM0"));
  b.set(0x17, k66, Op(kPtest, "Vdq,Wdq"));
  b.mmx_sse(0x1C, kPabsb);
  b.mmx_sse(0x1D, kPabsw);
  b.mmx_sse(0x1E, kPabsd);
  b.set(0x20, k66, Op(kPmovsxbw, "Vdq,Wq"));
  b.set(0x21, k66, Op(kPmovsxbd, "Vdq,Wd"));
  b.set(0x22, k66, Op(kPmovsxbq, "Vdq,Ww"));
  b.set(0x23, k66, Op(kPmovsxwd, "Vdq,Wq"));
  b.set(0x24, k66, Op(kPmovsxwq, "Vdq,Wd"));
  b.set(0x25, k66, Op(kPmovsxdq, "Vdq,Wq"));
  b.set(0x28, k66, Op(kPmuldq, "Vdq,Wdq"));
  b.set(0x29, k66, Op(kPcmpeqq, "Vdq,Wdq"));
  b.set(0x2A, k66, Op(kMovntdqa, "Vdq,Mdq"));
  b.set(0x2B, k66, Op(kPackusdw, "Vdq,Wdq"));
  b.set(0x30, k66, Op(kPmovzxbw, "Vdq,Wq"));
  b.set(0x31, k66, Op(kPmovzxbd, "Vdq,Wd"));
  b.set(0x32, k66, Op(kPmovzxbq, "Vdq,Ww"));
  b.set(0x33, k66, Op(kPmovzxwd, "Vdq,Wq"));
  b.set(0x34, k66, Op(kPmovzxwq, "Vdq,Wd"));
  b.set(0x35, k66, Op(kPmovzxdq, "Vdq,Wq"));
  b.set(0x37, k66, Op(kPcmpgtq, "Vdq,Wdq"));
  const Mnemonic minmax[] = {kPminsb, kPminsd, kPminuw, kPminud,
                             kPmaxsb, kPmaxsd, kPmaxuw, kPmaxud};
  for (int i = 0; i < 8; ++i) b.set(static_cast<uint8_t>(0x38 + i), k66, Op(minmax[i], "Vdq,Wdq"));
  b.set(0x40, k66, Op(kPmulld, "Vdq,Wdq"));
  b.set(0x41, k66, Op(kPhminposuw, "Vdq,Wdq"));
  b.set(0x80, k66, Op(kInvept, "Gy,Mdq", kF64 | kPrivileged));
  b.set(0x81, k66, Op(kInvvpid, "Gy,Mdq", kF64 | kPrivileged));
  b.set(0x82, k66, Op(kInvpcid, "Gy,Mdq", kF64 | kPrivileged));
  b.set(0xC8, kNP, Op(kSha1nexte, "Vdq,Wdq"));
  b.set(0xC9, kNP, Op(kSha1msg1, "Vdq,Wdq"));
  b.set(0xCA, kNP, Op(kSha1msg2, "Vdq,Wdq"));
  b.set(0xCB, kNP, Op(kSha256rnds2, "Vdq,Wdq,XMM0"));
  b.set(0xCC, kNP, Op(kSha256msg1, "Vdq,Wdq"));
  b.set(0xCD, kNP, Op(kSha256msg2, "Vdq,Wdq"));
  b.set(0xDB, k66, Op(kAesimc, "Vdq,Wdq"));
  b.set(0xDC, k66, Op(kAesenc, "Vdq,Wdq"));
  b.set(0xDD, k66, Op(kAesenclast, "Vdq,Wdq"));
  b.set(0xDE, k66, Op(kAesdec, "Vdq,Wdq"));
  b.set(0xDF, k66, Op(kAesdeclast, "Vdq,Wdq"));
  // F0/F1: MOVBE without prefix (a 66 falls back to it as operand size), CRC32
  // with F2 (66 also allowed, as operand size: the SDM's "66 & F2" column).
  b.set(0xF0, kNP, Op(kMovbe, "Gv,Mv"));
  b.set(0xF0, kF2, Op(kCrc32, "Gy,Eb"));
  b.set(0xF1, kNP, Op(kMovbe, "Mv,Gv"));
  b.set(0xF1, kF2, Op(kCrc32, "Gy,Ev"));
  b.set(0xF6, k66, Op(kAdcx, "Gy,Ey"));
  b.set(0xF6, kF3, Op(kAdox, "Gy,Ey"));
  return map;
}

OpcodeMap build_0f3a() {
  OpcodeMap map{};
  MapBuilder b(&map);
  b.set(0x08, k66, Op(kRoundps, "Vdq,Wdq,Ib"));
  b.set(0x09, k66, Op(kRoundpd, "Vdq,Wdq,Ib"));
  b.set(0x0A, k66, Op(kRoundss, "Vss,Wss,Ib"));
  b.set(0x0B, k66, Op(kRoundsd, "Vsd,Wsd,Ib"));
  b.set(0x0C, k66, Op(kBlendps, "Vdq,Wdq,Ib"));
  b.set(0x0D, k66, Op(kBlendpd, "Vdq,Wdq,Ib"));
  b.set(0x0E, k66, Op(kPblendw, "Vdq,Wdq,Ib"));
  b.mmx_sse(0x0F, kPalignr, "Pq,Qq,Ib", "Vdq,Wdq,Ib");
  b.set(0x14, k66, Op(kPextrb, "Eb,Vdq,Ib"));  // Rd/Mb
  b.set(0x15, k66, Op(kPextrw, "Ew,Vdq,Ib"));  // Rd/Mw
  b.set(0x16, k66, Op(kPextrd, "Ey,Vdq,Ib"));  // PEXTRQ with REX.W
  b.set(0x17, k66, Op(kExtractps, "Ed,Vdq,Ib"));
  b.set(0x20, k66, Op(kPinsrb, "Vdq,Eb,Ib"));    // Ry/Mb
  b.set(0x21, k66, Op(kInsertps, "Vdq,Wd,Ib"));  // Udq/Md
  b.set(0x22, k66, Op(kPinsrd, "Vdq,Ey,Ib"));    // PINSRQ with REX.W
  b.set(0x40, k66, Op(kDpps, "Vdq,Wdq,Ib"));
  b.set(0x41, k66, Op(kDppd, "Vdq,Wdq,Ib"));
  b.set(0x42, k66, Op(kMpsadbw, "Vdq,Wdq,Ib"));
  b.set(0x44, k66, Op(kPclmulqdq, "Vdq,Wdq,Ib"));
  b.set(0x60, k66, Op(kPcmpestrm, "Vdq,Wdq,Ib"));
  b.set(0x61, k66, Op(kPcmpestri, "Vdq,Wdq,Ib"));
  b.set(0x62, k66, Op(kPcmpistrm, "Vdq,Wdq,Ib"));
  b.set(0x63, k66, Op(kPcmpistri, "Vdq,Wdq,Ib"));
  b.set(0xCC, kNP, Op(kSha1rnds4, "Vdq,Wdq,Ib"));
  b.set(0xDF, k66, Op(kAeskeygenassist, "Vdq,Wdq,Ib"));
  return map;
}

}  // namespace

const OpcodeMap& map_0f38() {
  static const OpcodeMap map = build_0f38();
  return map;
}

const OpcodeMap& map_0f3a() {
  static const OpcodeMap map = build_0f3a();
  return map;
}

}  // namespace vx86::x86
