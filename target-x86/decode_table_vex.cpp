// VEX-encoded SSE/AVX instructions (Intel SDM Vol. 2, the VEX forms in each
// instruction's opcode table and Appendix A's "v" rows): one row per map,
// opcode and implied prefix, with the operands in SDM notation. H is VEX.vvvv,
// L the register in imm8[7:4]; "x" sizes are 16 or 32 bytes by VEX.L, "hx",
// "qx" and "ox" a half, quarter and eighth of that, "qq" 32 bytes.
// Mnemonics are those of the legacy SSE instructions where VEX gives the same
// operation; the translator knows a VEX row by the instruction's VEX prefix.
// BMI1/BMI2 (general registers) are decoded by the decoder itself.
#include <array>
#include <vector>

#include "target-x86/decode_table.h"

namespace vx86::x86 {
namespace {

using enum Mnemonic;
using namespace attr;

enum class Form : uint8_t { kAny, kReg, kMem };

struct VexRow {
  uint8_t map;
  uint8_t opcode;
  uint8_t pp;
  int8_t group_reg;  // ModRM.reg of a group member, -1 otherwise
  Form form;
  OpcodeEntry entry;
};

constexpr uint8_t kP0 = 0, kP66 = 1, kPF3 = 2, kPF2 = 3;

class VexTable {
 public:
  VexTable() {
    build();
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      by_opcode_[(rows_[i].map - 1) * 256 + rows_[i].opcode].push_back(i);
    }
  }

  const OpcodeEntry* find(unsigned map, uint8_t opcode, unsigned pp, uint8_t modrm, bool w) const {
    if (map < 1 || map > 3) return nullptr;
    const bool reg_form = (modrm >> 6) == 3;
    const int reg = (modrm >> 3) & 7;
    const OpcodeEntry* any_w = nullptr;
    for (std::size_t i : by_opcode_[(map - 1) * 256 + opcode]) {
      const VexRow& r = rows_[i];
      if (r.pp != pp) continue;
      if (r.group_reg >= 0 && r.group_reg != reg) continue;
      if (r.form == Form::kReg && !reg_form) continue;
      if (r.form == Form::kMem && reg_form) continue;
      if (!any_w) any_w = &r.entry;
      if (r.entry.has(kVexW0) && w) continue;
      if (r.entry.has(kVexW1) && !w) continue;
      return &r.entry;
    }
    return any_w;
  }

 private:
  void add(uint8_t map, uint8_t opcode, uint8_t pp, Mnemonic m, const char* ops, uint32_t attrs = 0,
           Form form = Form::kAny, int8_t group_reg = -1) {
    rows_.push_back(VexRow{map, opcode, pp, group_reg, form, Op(m, ops, attrs)});
  }
  // The four floating-point columns: ps, pd (packed, 128 or 256) and ss, sd
  // (scalar, VEX.L ignored), all with the first source in vvvv.
  void fp4(uint8_t opcode, Mnemonic ps, Mnemonic pd, Mnemonic ss, Mnemonic sd) {
    add(1, opcode, kP0, ps, "Vx,Hx,Wx");
    add(1, opcode, kP66, pd, "Vx,Hx,Wx");
    if (ss != kInvalid) add(1, opcode, kPF3, ss, "Vx,Hx,Wss", kVexLig);
    if (sd != kInvalid) add(1, opcode, kPF2, sd, "Vx,Hx,Wsd", kVexLig);
  }
  // A 66-prefixed integer operation dst = op(vvvv, src), 128-bit in AVX,
  // 256-bit in AVX2.
  void int3(uint8_t map, uint8_t opcode, Mnemonic m, const char* ops = "Vx,Hx,Wx") {
    add(map, opcode, kP66, m, ops, kAvx2L1);
  }

  void build();

  std::vector<VexRow> rows_;
  std::array<std::vector<std::size_t>, 3 * 256> by_opcode_;  // the rows of each map and opcode
};

void VexTable::build() {
  // ---- Map 1 (0F) ----
  add(1, 0x10, kP0, kMovups, "Vx,Wx");
  add(1, 0x10, kP66, kMovupd, "Vx,Wx");
  add(1, 0x10, kPF3, kMovss, "Vx,Hx,Ux", kVexLig, Form::kReg);
  add(1, 0x10, kPF3, kMovss, "Vx,Md", kVexLig, Form::kMem);
  add(1, 0x10, kPF2, kMovsd, "Vx,Hx,Ux", kVexLig, Form::kReg);
  add(1, 0x10, kPF2, kMovsd, "Vx,Mq", kVexLig, Form::kMem);
  add(1, 0x11, kP0, kMovups, "Wx,Vx");
  add(1, 0x11, kP66, kMovupd, "Wx,Vx");
  add(1, 0x11, kPF3, kMovss, "Ux,Hx,Vx", kVexLig, Form::kReg);
  add(1, 0x11, kPF3, kMovss, "Md,Vx", kVexLig, Form::kMem);
  add(1, 0x11, kPF2, kMovsd, "Ux,Hx,Vx", kVexLig, Form::kReg);
  add(1, 0x11, kPF2, kMovsd, "Mq,Vx", kVexLig, Form::kMem);
  add(1, 0x12, kP0, kMovhlps, "Vx,Hx,Ux", kVexL0, Form::kReg);
  add(1, 0x12, kP0, kMovlps, "Vx,Hx,Mq", kVexL0, Form::kMem);
  add(1, 0x12, kP66, kMovlpd, "Vx,Hx,Mq", kVexL0, Form::kMem);
  add(1, 0x12, kPF3, kMovsldup, "Vx,Wx");
  add(1, 0x12, kPF2, kMovddup, "Vx,Wx");  // 8 bytes of memory at VEX.L=0 (the translator)
  add(1, 0x13, kP0, kMovlps, "Mq,Vx", kVexL0, Form::kMem);
  add(1, 0x13, kP66, kMovlpd, "Mq,Vx", kVexL0, Form::kMem);
  add(1, 0x14, kP0, kUnpcklps, "Vx,Hx,Wx");
  add(1, 0x14, kP66, kUnpcklpd, "Vx,Hx,Wx");
  add(1, 0x15, kP0, kUnpckhps, "Vx,Hx,Wx");
  add(1, 0x15, kP66, kUnpckhpd, "Vx,Hx,Wx");
  add(1, 0x16, kP0, kMovlhps, "Vx,Hx,Ux", kVexL0, Form::kReg);
  add(1, 0x16, kP0, kMovhps, "Vx,Hx,Mq", kVexL0, Form::kMem);
  add(1, 0x16, kP66, kMovhpd, "Vx,Hx,Mq", kVexL0, Form::kMem);
  add(1, 0x16, kPF3, kMovshdup, "Vx,Wx");
  add(1, 0x17, kP0, kMovhps, "Mq,Vx", kVexL0, Form::kMem);
  add(1, 0x17, kP66, kMovhpd, "Mq,Vx", kVexL0, Form::kMem);
  add(1, 0x28, kP0, kMovaps, "Vx,Wx");
  add(1, 0x28, kP66, kMovapd, "Vx,Wx");
  add(1, 0x29, kP0, kMovaps, "Wx,Vx");
  add(1, 0x29, kP66, kMovapd, "Wx,Vx");
  add(1, 0x2A, kPF3, kCvtsi2ss, "Vx,Hx,Ey", kVexLig);
  add(1, 0x2A, kPF2, kCvtsi2sd, "Vx,Hx,Ey", kVexLig);
  add(1, 0x2B, kP0, kMovntps, "Mx,Vx", 0, Form::kMem);
  add(1, 0x2B, kP66, kMovntpd, "Mx,Vx", 0, Form::kMem);
  add(1, 0x2C, kPF3, kCvttss2si, "Gy,Wss", kVexLig);
  add(1, 0x2C, kPF2, kCvttsd2si, "Gy,Wsd", kVexLig);
  add(1, 0x2D, kPF3, kCvtss2si, "Gy,Wss", kVexLig);
  add(1, 0x2D, kPF2, kCvtsd2si, "Gy,Wsd", kVexLig);
  add(1, 0x2E, kP0, kUcomiss, "Vx,Wss", kVexLig);
  add(1, 0x2E, kP66, kUcomisd, "Vx,Wsd", kVexLig);
  add(1, 0x2F, kP0, kComiss, "Vx,Wss", kVexLig);
  add(1, 0x2F, kP66, kComisd, "Vx,Wsd", kVexLig);
  add(1, 0x50, kP0, kMovmskps, "Gd,Ux", 0, Form::kReg);
  add(1, 0x50, kP66, kMovmskpd, "Gd,Ux", 0, Form::kReg);
  add(1, 0x51, kP0, kSqrtps, "Vx,Wx");
  add(1, 0x51, kP66, kSqrtpd, "Vx,Wx");
  add(1, 0x51, kPF3, kSqrtss, "Vx,Hx,Wss", kVexLig);
  add(1, 0x51, kPF2, kSqrtsd, "Vx,Hx,Wsd", kVexLig);
  add(1, 0x52, kP0, kRsqrtps, "Vx,Wx");
  add(1, 0x52, kPF3, kRsqrtss, "Vx,Hx,Wss", kVexLig);
  add(1, 0x53, kP0, kRcpps, "Vx,Wx");
  add(1, 0x53, kPF3, kRcpss, "Vx,Hx,Wss", kVexLig);
  fp4(0x54, kAndps, kAndpd, kInvalid, kInvalid);
  fp4(0x55, kAndnps, kAndnpd, kInvalid, kInvalid);
  fp4(0x56, kOrps, kOrpd, kInvalid, kInvalid);
  fp4(0x57, kXorps, kXorpd, kInvalid, kInvalid);
  fp4(0x58, kAddps, kAddpd, kAddss, kAddsd);
  fp4(0x59, kMulps, kMulpd, kMulss, kMulsd);
  add(1, 0x5A, kP0, kCvtps2pd, "Vx,Whx");
  add(1, 0x5A, kP66, kCvtpd2ps, "Vdq,Wx");
  add(1, 0x5A, kPF3, kCvtss2sd, "Vx,Hx,Wss", kVexLig);
  add(1, 0x5A, kPF2, kCvtsd2ss, "Vx,Hx,Wsd", kVexLig);
  add(1, 0x5B, kP0, kCvtdq2ps, "Vx,Wx");
  add(1, 0x5B, kP66, kCvtps2dq, "Vx,Wx");
  add(1, 0x5B, kPF3, kCvttps2dq, "Vx,Wx");
  fp4(0x5C, kSubps, kSubpd, kSubss, kSubsd);
  fp4(0x5D, kMinps, kMinpd, kMinss, kMinsd);
  fp4(0x5E, kDivps, kDivpd, kDivss, kDivsd);
  fp4(0x5F, kMaxps, kMaxpd, kMaxss, kMaxsd);
  const Mnemonic k60[] = {kPunpcklbw, kPunpcklwd, kPunpckldq,  kPacksswb,  kPcmpgtb,
                          kPcmpgtw,   kPcmpgtd,   kPackuswb,   kPunpckhbw, kPunpckhwd,
                          kPunpckhdq, kPackssdw,  kPunpcklqdq, kPunpckhqdq};
  for (unsigned i = 0; i < std::size(k60); ++i) int3(1, static_cast<uint8_t>(0x60 + i), k60[i]);
  add(1, 0x6E, kP66, kMovd, "Vx,Ey", kVexL0);
  add(1, 0x6F, kP66, kMovdqa, "Vx,Wx");
  add(1, 0x6F, kPF3, kMovdqu, "Vx,Wx");
  add(1, 0x70, kP66, kPshufd, "Vx,Wx,Ib", kAvx2L1);
  add(1, 0x70, kPF3, kPshufhw, "Vx,Wx,Ib", kAvx2L1);
  add(1, 0x70, kPF2, kPshuflw, "Vx,Wx,Ib", kAvx2L1);
  // Groups 12-14: the destination is vvvv.
  add(1, 0x71, kP66, kPsrlw, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 2);
  add(1, 0x71, kP66, kPsraw, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 4);
  add(1, 0x71, kP66, kPsllw, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 6);
  add(1, 0x72, kP66, kPsrld, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 2);
  add(1, 0x72, kP66, kPsrad, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 4);
  add(1, 0x72, kP66, kPslld, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 6);
  add(1, 0x73, kP66, kPsrlq, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 2);
  add(1, 0x73, kP66, kPsrldq, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 3);
  add(1, 0x73, kP66, kPsllq, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 6);
  add(1, 0x73, kP66, kPslldq, "Hx,Ux,Ib", kAvx2L1, Form::kReg, 7);
  int3(1, 0x74, kPcmpeqb);
  int3(1, 0x75, kPcmpeqw);
  int3(1, 0x76, kPcmpeqd);
  add(1, 0x77, kP0, kVzeroupper, "");  // VEX.L=1: VZEROALL (the decoder)
  add(1, 0x7C, kP66, kHaddpd, "Vx,Hx,Wx");
  add(1, 0x7C, kPF2, kHaddps, "Vx,Hx,Wx");
  add(1, 0x7D, kP66, kHsubpd, "Vx,Hx,Wx");
  add(1, 0x7D, kPF2, kHsubps, "Vx,Hx,Wx");
  add(1, 0x7E, kP66, kMovd, "Ey,Vx", kVexL0);
  add(1, 0x7E, kPF3, kMovq, "Vx,Wq", kVexL0);
  add(1, 0x7F, kP66, kMovdqa, "Wx,Vx");
  add(1, 0x7F, kPF3, kMovdqu, "Wx,Vx");
  add(1, 0xC2, kP0, kCmpps, "Vx,Hx,Wx,Ib");
  add(1, 0xC2, kP66, kCmppd, "Vx,Hx,Wx,Ib");
  add(1, 0xC2, kPF3, kCmpss, "Vx,Hx,Wss,Ib", kVexLig);
  add(1, 0xC2, kPF2, kCmpsd, "Vx,Hx,Wsd,Ib", kVexLig);
  add(1, 0xC4, kP66, kPinsrw, "Vx,Hx,Ew,Ib", kVexL0);
  add(1, 0xC5, kP66, kPextrw, "Gd,Ux,Ib", kVexL0, Form::kReg);
  add(1, 0xC6, kP0, kShufps, "Vx,Hx,Wx,Ib");
  add(1, 0xC6, kP66, kShufpd, "Vx,Hx,Wx,Ib");
  add(1, 0xD0, kP66, kAddsubpd, "Vx,Hx,Wx");
  add(1, 0xD0, kPF2, kAddsubps, "Vx,Hx,Wx");
  // Shifts by a count in an XMM register or 128 bits of memory.
  int3(1, 0xD1, kPsrlw, "Vx,Hx,Wdq");
  int3(1, 0xD2, kPsrld, "Vx,Hx,Wdq");
  int3(1, 0xD3, kPsrlq, "Vx,Hx,Wdq");
  int3(1, 0xD4, kPaddq);
  int3(1, 0xD5, kPmullw);
  add(1, 0xD6, kP66, kMovq, "Wq,Vx", kVexL0);
  add(1, 0xD7, kP66, kPmovmskb, "Gd,Ux", kAvx2L1, Form::kReg);
  const Mnemonic kD8[] = {kPsubusb, kPsubusw, kPminub,  kPand,    kPaddusb, kPaddusw, kPmaxub,
                          kPandn,   kPavgb,   kInvalid, kInvalid, kPavgw,   kPmulhuw, kPmulhw};
  for (unsigned i = 0; i < std::size(kD8); ++i) {
    if (kD8[i] != kInvalid) int3(1, static_cast<uint8_t>(0xD8 + i), kD8[i]);
  }
  int3(1, 0xE1, kPsraw, "Vx,Hx,Wdq");
  int3(1, 0xE2, kPsrad, "Vx,Hx,Wdq");
  add(1, 0xE6, kP66, kCvttpd2dq, "Vdq,Wx");
  add(1, 0xE6, kPF3, kCvtdq2pd, "Vx,Whx");
  add(1, 0xE6, kPF2, kCvtpd2dq, "Vdq,Wx");
  add(1, 0xE7, kP66, kMovntq, "Mx,Vx", 0, Form::kMem);
  const Mnemonic kE8[] = {kPsubsb, kPsubsw, kPminsw, kPor, kPaddsb, kPaddsw, kPmaxsw, kPxor};
  for (unsigned i = 0; i < std::size(kE8); ++i) int3(1, static_cast<uint8_t>(0xE8 + i), kE8[i]);
  add(1, 0xF0, kPF2, kLddqu, "Vx,Mx", 0, Form::kMem);
  int3(1, 0xF1, kPsllw, "Vx,Hx,Wdq");
  int3(1, 0xF2, kPslld, "Vx,Hx,Wdq");
  int3(1, 0xF3, kPsllq, "Vx,Hx,Wdq");
  int3(1, 0xF4, kPmuludq);
  int3(1, 0xF5, kPmaddwd);
  int3(1, 0xF6, kPsadbw);
  add(1, 0xF7, kP66, kMaskmovq, "Vx,Ux", kVexL0, Form::kReg);
  const Mnemonic kF8[] = {kPsubb, kPsubw, kPsubd, kPsubq, kPaddb, kPaddw, kPaddd};
  for (unsigned i = 0; i < std::size(kF8); ++i) int3(1, static_cast<uint8_t>(0xF8 + i), kF8[i]);

  // ---- Map 2 (0F 38) ----
  const Mnemonic k3800[] = {kPshufb, kPhaddw,  kPhaddd, kPhaddsw, kPmaddubsw, kPhsubw,
                            kPhsubd, kPhsubsw, kPsignb, kPsignw,  kPsignd,    kPmulhrsw};
  for (unsigned i = 0; i < std::size(k3800); ++i) int3(2, static_cast<uint8_t>(i), k3800[i]);
  add(2, 0x0C, kP66, kVpermilps, "Vx,Hx,Wx", kVexW0);
  add(2, 0x0D, kP66, kVpermilpd, "Vx,Hx,Wx", kVexW0);
  add(2, 0x0E, kP66, kVtestps, "Vx,Wx", kVexW0);
  add(2, 0x0F, kP66, kVtestpd, "Vx,Wx", kVexW0);
  add(2, 0x16, kP66, kVpermps, "Vqq,Hqq,Wqq", kVexW0 | kVexL1 | kAvx2);
  add(2, 0x17, kP66, kPtest, "Vx,Wx");
  add(2, 0x18, kP66, kVbroadcastss, "Vx,Md", kVexW0, Form::kMem);
  add(2, 0x18, kP66, kVbroadcastss, "Vx,Ux", kVexW0 | kAvx2, Form::kReg);
  add(2, 0x19, kP66, kVbroadcastsd, "Vqq,Mq", kVexW0 | kVexL1, Form::kMem);
  add(2, 0x19, kP66, kVbroadcastsd, "Vqq,Ux", kVexW0 | kVexL1 | kAvx2, Form::kReg);
  add(2, 0x1A, kP66, kVbroadcastf128, "Vqq,Mdq", kVexW0 | kVexL1, Form::kMem);
  int3(2, 0x1C, kPabsb, "Vx,Wx");
  int3(2, 0x1D, kPabsw, "Vx,Wx");
  int3(2, 0x1E, kPabsd, "Vx,Wx");
  add(2, 0x20, kP66, kPmovsxbw, "Vx,Whx", kAvx2L1);
  add(2, 0x21, kP66, kPmovsxbd, "Vx,Wqx", kAvx2L1);
  add(2, 0x22, kP66, kPmovsxbq, "Vx,Wox", kAvx2L1);
  add(2, 0x23, kP66, kPmovsxwd, "Vx,Whx", kAvx2L1);
  add(2, 0x24, kP66, kPmovsxwq, "Vx,Wqx", kAvx2L1);
  add(2, 0x25, kP66, kPmovsxdq, "Vx,Whx", kAvx2L1);
  int3(2, 0x28, kPmuldq);
  int3(2, 0x29, kPcmpeqq);
  add(2, 0x2A, kP66, kMovntdqa, "Vx,Mx", kAvx2L1, Form::kMem);
  int3(2, 0x2B, kPackusdw);
  add(2, 0x2C, kP66, kVmaskmovps, "Vx,Hx,Mx", kVexW0, Form::kMem);
  add(2, 0x2D, kP66, kVmaskmovpd, "Vx,Hx,Mx", kVexW0, Form::kMem);
  add(2, 0x2E, kP66, kVmaskmovps, "Mx,Hx,Vx", kVexW0, Form::kMem);
  add(2, 0x2F, kP66, kVmaskmovpd, "Mx,Hx,Vx", kVexW0, Form::kMem);
  add(2, 0x30, kP66, kPmovzxbw, "Vx,Whx", kAvx2L1);
  add(2, 0x31, kP66, kPmovzxbd, "Vx,Wqx", kAvx2L1);
  add(2, 0x32, kP66, kPmovzxbq, "Vx,Wox", kAvx2L1);
  add(2, 0x33, kP66, kPmovzxwd, "Vx,Whx", kAvx2L1);
  add(2, 0x34, kP66, kPmovzxwq, "Vx,Wqx", kAvx2L1);
  add(2, 0x35, kP66, kPmovzxdq, "Vx,Whx", kAvx2L1);
  add(2, 0x36, kP66, kVpermd, "Vqq,Hqq,Wqq", kVexW0 | kVexL1 | kAvx2);
  int3(2, 0x37, kPcmpgtq);
  const Mnemonic k3838[] = {kPminsb, kPminsd, kPminuw, kPminud, kPmaxsb,
                            kPmaxsd, kPmaxuw, kPmaxud, kPmulld};
  for (unsigned i = 0; i < std::size(k3838); ++i) int3(2, static_cast<uint8_t>(0x38 + i), k3838[i]);
  add(2, 0x41, kP66, kPhminposuw, "Vx,Wx", kVexL0);
  add(2, 0x45, kP66, kVpsrlvd, "Vx,Hx,Wx", kVexW0 | kAvx2);
  add(2, 0x45, kP66, kVpsrlvq, "Vx,Hx,Wx", kVexW1 | kAvx2);
  add(2, 0x46, kP66, kVpsravd, "Vx,Hx,Wx", kVexW0 | kAvx2);
  add(2, 0x47, kP66, kVpsllvd, "Vx,Hx,Wx", kVexW0 | kAvx2);
  add(2, 0x47, kP66, kVpsllvq, "Vx,Hx,Wx", kVexW1 | kAvx2);
  add(2, 0x58, kP66, kVpbroadcastd, "Vx,Wd", kVexW0 | kAvx2);
  add(2, 0x59, kP66, kVpbroadcastq, "Vx,Wq", kVexW0 | kAvx2);
  add(2, 0x5A, kP66, kVbroadcasti128, "Vqq,Mdq", kVexW0 | kVexL1 | kAvx2, Form::kMem);
  add(2, 0x78, kP66, kVpbroadcastb, "Vx,Wb", kVexW0 | kAvx2);
  add(2, 0x79, kP66, kVpbroadcastw, "Vx,Ww", kVexW0 | kAvx2);
  add(2, 0x8C, kP66, kVpmaskmovd, "Vx,Hx,Mx", kVexW0 | kAvx2, Form::kMem);
  add(2, 0x8C, kP66, kVpmaskmovq, "Vx,Hx,Mx", kVexW1 | kAvx2, Form::kMem);
  add(2, 0x8E, kP66, kVpmaskmovd, "Mx,Hx,Vx", kVexW0 | kAvx2, Form::kMem);
  add(2, 0x8E, kP66, kVpmaskmovq, "Mx,Hx,Vx", kVexW1 | kAvx2, Form::kMem);
  // Gathers: the memory operand's SIB index is a vector register; vvvv the mask.
  add(2, 0x90, kP66, kVpgatherdd, "Vx,Mx,Hx", kVexW0 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x90, kP66, kVpgatherdq, "Vx,Mx,Hx", kVexW1 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x91, kP66, kVpgatherqd, "Vx,Mx,Hx", kVexW0 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x91, kP66, kVpgatherqq, "Vx,Mx,Hx", kVexW1 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x92, kP66, kVgatherdps, "Vx,Mx,Hx", kVexW0 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x92, kP66, kVgatherdpd, "Vx,Mx,Hx", kVexW1 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x93, kP66, kVgatherqps, "Vx,Mx,Hx", kVexW0 | kAvx2 | kVsib, Form::kMem);
  add(2, 0x93, kP66, kVgatherqpd, "Vx,Mx,Hx", kVexW1 | kAvx2 | kVsib, Form::kMem);
  // FMA: 96-9F, A6-AF, B6-BF are the 132, 213 and 231 forms; VEX.W picks
  // single or double precision; the odd opcodes from 99 up are scalar.
  static constexpr Mnemonic kFmaOps[10] = {kVfmaddsub, kVfmsubadd, kVfmadd,  kVfmadd,  kVfmsub,
                                           kVfmsub,    kVfnmadd,   kVfnmadd, kVfnmsub, kVfnmsub};
  for (uint8_t form : {0x90, 0xA0, 0xB0}) {
    for (uint8_t low = 6; low <= 0xF; ++low) {
      const uint8_t opcode = static_cast<uint8_t>(form | low);
      const Mnemonic m = kFmaOps[low - 6];
      if (low >= 8 && (low & 1)) {
        add(2, opcode, kP66, m, "Vx,Hx,Wss", kFma | kVexLig | kVexW0);
        add(2, opcode, kP66, m, "Vx,Hx,Wsd", kFma | kVexLig | kVexW1);
      } else {
        add(2, opcode, kP66, m, "Vx,Hx,Wx", kFma);
      }
    }
  }
  add(2, 0x13, kP66, kVcvtph2ps, "Vx,Whx", kF16c | kVexW0);
  add(2, 0xDB, kP66, kAesimc, "Vx,Wx", kVexL0 | kVexAes);
  add(2, 0xDC, kP66, kAesenc, "Vx,Hx,Wx", kVexL0 | kVexAes);
  add(2, 0xDD, kP66, kAesenclast, "Vx,Hx,Wx", kVexL0 | kVexAes);
  add(2, 0xDE, kP66, kAesdec, "Vx,Hx,Wx", kVexL0 | kVexAes);
  add(2, 0xDF, kP66, kAesdeclast, "Vx,Hx,Wx", kVexL0 | kVexAes);

  // ---- Map 3 (0F 3A) ----
  add(3, 0x00, kP66, kVpermq, "Vqq,Wqq,Ib", kVexW1 | kVexL1 | kAvx2);
  add(3, 0x01, kP66, kVpermpd, "Vqq,Wqq,Ib", kVexW1 | kVexL1 | kAvx2);
  add(3, 0x02, kP66, kVpblendd, "Vx,Hx,Wx,Ib", kVexW0 | kAvx2);
  add(3, 0x04, kP66, kVpermilps, "Vx,Wx,Ib", kVexW0);
  add(3, 0x05, kP66, kVpermilpd, "Vx,Wx,Ib", kVexW0);
  add(3, 0x06, kP66, kVperm2f128, "Vqq,Hqq,Wqq,Ib", kVexW0 | kVexL1);
  add(3, 0x08, kP66, kRoundps, "Vx,Wx,Ib");
  add(3, 0x09, kP66, kRoundpd, "Vx,Wx,Ib");
  add(3, 0x0A, kP66, kRoundss, "Vx,Hx,Wss,Ib", kVexLig);
  add(3, 0x0B, kP66, kRoundsd, "Vx,Hx,Wsd,Ib", kVexLig);
  add(3, 0x0C, kP66, kBlendps, "Vx,Hx,Wx,Ib");
  add(3, 0x0D, kP66, kBlendpd, "Vx,Hx,Wx,Ib");
  add(3, 0x0E, kP66, kPblendw, "Vx,Hx,Wx,Ib", kAvx2L1);
  add(3, 0x0F, kP66, kPalignr, "Vx,Hx,Wx,Ib", kAvx2L1);
  add(3, 0x14, kP66, kPextrb, "Eb,Vx,Ib", kVexL0);
  add(3, 0x15, kP66, kPextrw, "Ew,Vx,Ib", kVexL0);
  add(3, 0x16, kP66, kPextrd, "Ey,Vx,Ib", kVexL0);
  add(3, 0x17, kP66, kExtractps, "Ed,Vx,Ib", kVexL0);
  add(3, 0x18, kP66, kVinsertf128, "Vqq,Hqq,Wdq,Ib", kVexW0 | kVexL1);
  add(3, 0x19, kP66, kVextractf128, "Wdq,Vqq,Ib", kVexW0 | kVexL1);
  add(3, 0x1D, kP66, kVcvtps2ph, "Whx,Vx,Ib", kF16c | kVexW0);
  add(3, 0x20, kP66, kPinsrb, "Vx,Hx,Eb,Ib", kVexL0);
  add(3, 0x21, kP66, kInsertps, "Vx,Hx,Wd,Ib", kVexL0);
  add(3, 0x22, kP66, kPinsrd, "Vx,Hx,Ey,Ib", kVexL0);
  add(3, 0x38, kP66, kVinserti128, "Vqq,Hqq,Wdq,Ib", kVexW0 | kVexL1 | kAvx2);
  add(3, 0x39, kP66, kVextracti128, "Wdq,Vqq,Ib", kVexW0 | kVexL1 | kAvx2);
  add(3, 0x40, kP66, kDpps, "Vx,Hx,Wx,Ib");
  add(3, 0x41, kP66, kDppd, "Vx,Hx,Wx,Ib", kVexL0);
  add(3, 0x42, kP66, kMpsadbw, "Vx,Hx,Wx,Ib", kAvx2L1);
  add(3, 0x44, kP66, kPclmulqdq, "Vx,Hx,Wx,Ib", kVexL0 | kVexPclmul);
  add(3, 0x46, kP66, kVperm2i128, "Vqq,Hqq,Wqq,Ib", kVexW0 | kVexL1 | kAvx2);
  add(3, 0x4A, kP66, kBlendvps, "Vx,Hx,Wx,Lx", kVexW0);
  add(3, 0x4B, kP66, kBlendvpd, "Vx,Hx,Wx,Lx", kVexW0);
  add(3, 0x4C, kP66, kPblendvb, "Vx,Hx,Wx,Lx", kVexW0 | kAvx2L1);
  add(3, 0x60, kP66, kPcmpestrm, "Vx,Wx,Ib", kVexL0);
  add(3, 0x61, kP66, kPcmpestri, "Vx,Wx,Ib", kVexL0);
  add(3, 0x62, kP66, kPcmpistrm, "Vx,Wx,Ib", kVexL0);
  add(3, 0x63, kP66, kPcmpistri, "Vx,Wx,Ib", kVexL0);
  add(3, 0xDF, kP66, kAeskeygenassist, "Vx,Wx,Ib", kVexL0 | kVexAes);
}

}  // namespace

const OpcodeEntry* vex_entry(unsigned map, uint8_t opcode, unsigned pp, uint8_t modrm, bool w) {
  static const VexTable table;
  return table.find(map, opcode, pp, modrm, w);
}

}  // namespace vx86::x86
