// One-byte opcode map (Intel SDM Vol. 2, Table A-2). Prefix bytes (26 2E 36
// 3E 64 65 66 67 F0 F2 F3, REX 40-4F in 64-bit mode) and the escapes 0F,
// C4/C5/62/8F (VEX/EVEX/XOP) are recognised by the decoder before lookup.
#include "target-x86/decode_table.h"

namespace vx86::x86 {
namespace {

using enum Mnemonic;
using namespace attr;

// The eight ALU operations 00-3D share one layout: Eb,Gb Ev,Gv Gb,Eb Gv,Ev AL,Ib rAX,Iz.
void alu_block(MapBuilder& b, uint8_t base, Mnemonic m, bool lockable) {
  const uint32_t lock = lockable ? kLock : 0;
  b.set(base + 0, Op(m, "Eb,Gb", lock));
  b.set(base + 1, Op(m, "Ev,Gv", lock));
  b.set(base + 2, Op(m, "Gb,Eb"));
  b.set(base + 3, Op(m, "Gv,Ev"));
  b.set(base + 4, Op(m, "AL,Ib"));
  b.set(base + 5, Op(m, "rAX,Iz"));
}

OpcodeMap build() {
  OpcodeMap map{};
  MapBuilder b(&map);
  alu_block(b, 0x00, kAdd, true);
  b.set(0x06, Op(kPush, "ES", kI64));
  b.set(0x07, Op(kPop, "ES", kI64));
  alu_block(b, 0x08, kOr, true);
  b.set(0x0E, Op(kPush, "CS", kI64));
  // 0F: two-byte escape.
  alu_block(b, 0x10, kAdc, true);
  b.set(0x16, Op(kPush, "SS", kI64));
  b.set(0x17, Op(kPop, "SS", kI64));
  alu_block(b, 0x18, kSbb, true);
  b.set(0x1E, Op(kPush, "DS", kI64));
  b.set(0x1F, Op(kPop, "DS", kI64));
  alu_block(b, 0x20, kAnd, true);
  b.set(0x27, Op(kDaa, "", kI64));
  alu_block(b, 0x28, kSub, true);
  b.set(0x2F, Op(kDas, "", kI64));
  alu_block(b, 0x30, kXor, true);
  b.set(0x37, Op(kAaa, "", kI64));
  alu_block(b, 0x38, kCmp, false);
  b.set(0x3F, Op(kAas, "", kI64));
  b.set_range(0x40, 8, Op(kInc, "Zv", kI64));  // REX prefixes in 64-bit mode
  b.set_range(0x48, 8, Op(kDec, "Zv", kI64));
  b.set_range(0x50, 8, Op(kPush, "Zv", kD64));
  b.set_range(0x58, 8, Op(kPop, "Zv", kD64));
  b.set(0x60, Op(kPusha, "", kI64));
  b.set(0x61, Op(kPopa, "", kI64));
  b.set(0x62, Op(kBound, "Gv,Ma", kI64));  // EVEX in 64-bit mode or when mod=11
  b.set(0x63, Op(kArpl, "Ew,Gw", kI64));
  b.set(0x63, kMode64, Op(kMovsxd, "Gv,Ed", kO64));
  b.set(0x68, Op(kPush, "Iz", kD64));
  b.set(0x69, Op(kImul, "Gv,Ev,Iz"));
  b.set(0x6A, Op(kPush, "Ib", kD64));
  b.set(0x6B, Op(kImul, "Gv,Ev,Ib"));
  b.set(0x6C, Op(kInsb, "Yb,DX", kRep));
  b.set(0x6D, Op(kIns, "Yz,DX", kRep));
  b.set(0x6E, Op(kOutsb, "DX,Xb", kRep));
  b.set(0x6F, Op(kOuts, "DX,Xz", kRep));
  b.set_range(0x70, 16, Op(kJo, "Jb", kF64), true);
  b.set(0x80, Grp(GroupId::kGrp1, "Eb,Ib"));
  b.set(0x81, Grp(GroupId::kGrp1, "Ev,Iz"));
  b.set(0x82, Grp(GroupId::kGrp1, "Eb,Ib", kI64));
  b.set(0x83, Grp(GroupId::kGrp1, "Ev,Ib"));
  b.set(0x84, Op(kTest, "Eb,Gb"));
  b.set(0x85, Op(kTest, "Ev,Gv"));
  b.set(0x86, Op(kXchg, "Eb,Gb", kLock));
  b.set(0x87, Op(kXchg, "Ev,Gv", kLock));
  b.set(0x88, Op(kMov, "Eb,Gb"));
  b.set(0x89, Op(kMov, "Ev,Gv"));
  b.set(0x8A, Op(kMov, "Gb,Eb"));
  b.set(0x8B, Op(kMov, "Gv,Ev"));
  b.set(0x8C, Op(kMov, "Ev,Sw"));
  b.set(0x8D, Op(kLea, "Gv,M"));
  b.set(0x8E, Op(kMov, "Sw,Ew"));
  b.set(0x8F, Grp(GroupId::kGrp1A, "Ev", kD64));  // XOP when ModRM.reg != 0
  b.set(0x90, Op(kNop));                          // XCHG r8,rAX with REX.B (decoder special case)
  b.set(0x90, kF3, Op(kPause));
  b.set_range(0x91, 7, Op(kXchg, "Zv,rAX"));
  b.set(0x98, Op(kCbw));  // CWDE/CDQE by operand size
  b.set(0x99, Op(kCwd));  // CDQ/CQO by operand size
  b.set(0x9A, Op(kCallf, "Ap", kI64));
  b.set(0x9B, Op(kFwait));
  b.set(0x9C, Op(kPushf, "", kD64));
  b.set(0x9D, Op(kPopf, "", kD64));
  b.set(0x9E, Op(kSahf));
  b.set(0x9F, Op(kLahf));
  b.set(0xA0, Op(kMov, "AL,Ob"));
  b.set(0xA1, Op(kMov, "rAX,Ov"));
  b.set(0xA2, Op(kMov, "Ob,AL"));
  b.set(0xA3, Op(kMov, "Ov,rAX"));
  b.set(0xA4, Op(kMovsb, "Yb,Xb", kRep));
  b.set(0xA5, Op(kMovs, "Yv,Xv", kRep));
  b.set(0xA6, Op(kCmpsb, "Xb,Yb", kRep));
  b.set(0xA7, Op(kCmps, "Xv,Yv", kRep));
  b.set(0xA8, Op(kTest, "AL,Ib"));
  b.set(0xA9, Op(kTest, "rAX,Iz"));
  b.set(0xAA, Op(kStosb, "Yb,AL", kRep));
  b.set(0xAB, Op(kStos, "Yv,rAX", kRep));
  b.set(0xAC, Op(kLodsb, "AL,Xb", kRep));
  b.set(0xAD, Op(kLods, "rAX,Xv", kRep));
  b.set(0xAE, Op(kScasb, "AL,Yb", kRep));
  b.set(0xAF, Op(kScas, "rAX,Yv", kRep));
  b.set_range(0xB0, 8, Op(kMov, "Zb,Ib"));
  b.set_range(0xB8, 8, Op(kMov, "Zv,Iv"));
  b.set(0xC0, Grp(GroupId::kGrp2, "Eb,Ib"));
  b.set(0xC1, Grp(GroupId::kGrp2, "Ev,Ib"));
  b.set(0xC2, Op(kRet, "Iw", kF64));
  b.set(0xC3, Op(kRet, "", kF64));
  b.set(0xC4, Op(kLes, "Gz,Mp", kI64));  // VEX3 in 64-bit mode or when mod=11
  b.set(0xC5, Op(kLds, "Gz,Mp", kI64));  // VEX2 likewise
  b.set(0xC6, Grp(GroupId::kGrp11, "Eb,Ib"));
  b.set(0xC7, Grp(GroupId::kGrp11Ev, "Ev,Iz"));
  b.set(0xC8, Op(kEnter, "Iw,Ib", kD64));
  b.set(0xC9, Op(kLeave, "", kD64));
  b.set(0xCA, Op(kRetf, "Iw"));
  b.set(0xCB, Op(kRetf));
  b.set(0xCC, Op(kInt3));
  b.set(0xCD, Op(kInt, "Ib"));
  b.set(0xCE, Op(kInto, "", kI64));
  b.set(0xCF, Op(kIret));  // IRETD/IRETQ by operand size
  b.set(0xD0, Grp(GroupId::kGrp2, "Eb,1"));
  b.set(0xD1, Grp(GroupId::kGrp2, "Ev,1"));
  b.set(0xD2, Grp(GroupId::kGrp2, "Eb,CL"));
  b.set(0xD3, Grp(GroupId::kGrp2, "Ev,CL"));
  b.set(0xD4, Op(kAam, "Ib", kI64));
  b.set(0xD5, Op(kAad, "Ib", kI64));
  b.set(0xD6, Op(kSalc, "", kI64));  // undocumented; #UD in 64-bit mode
  b.set(0xD7, Op(kXlat));
  for (int esc = 0; esc < 8; ++esc) {
    b.set(0xD8 + esc, Grp(static_cast<GroupId>(static_cast<int>(GroupId::kX87D8) + esc)));
  }
  b.set(0xE0, Op(kLoopne, "Jb", kF64));
  b.set(0xE1, Op(kLoope, "Jb", kF64));
  b.set(0xE2, Op(kLoop, "Jb", kF64));
  b.set(0xE3, Op(kJrcxz, "Jb", kF64));  // JCXZ/JECXZ by address size
  b.set(0xE4, Op(kIn, "AL,Ib"));
  b.set(0xE5, Op(kIn, "eAX,Ib"));
  b.set(0xE6, Op(kOut, "Ib,AL"));
  b.set(0xE7, Op(kOut, "Ib,eAX"));
  b.set(0xE8, Op(kCall, "Jz", kF64));
  b.set(0xE9, Op(kJmp, "Jz", kF64));
  b.set(0xEA, Op(kJmpf, "Ap", kI64));
  b.set(0xEB, Op(kJmp, "Jb", kF64));
  b.set(0xEC, Op(kIn, "AL,DX"));
  b.set(0xED, Op(kIn, "eAX,DX"));
  b.set(0xEE, Op(kOut, "DX,AL"));
  b.set(0xEF, Op(kOut, "DX,eAX"));
  b.set(0xF1, Op(kInt1));
  b.set(0xF4, Op(kHlt, "", kPrivileged));
  b.set(0xF5, Op(kCmc));
  b.set(0xF6, Grp(GroupId::kGrp3, "Eb"));
  b.set(0xF7, Grp(GroupId::kGrp3Ev, "Ev"));
  b.set(0xF8, Op(kClc));
  b.set(0xF9, Op(kStc));
  b.set(0xFA, Op(kCli));
  b.set(0xFB, Op(kSti));
  b.set(0xFC, Op(kCld));
  b.set(0xFD, Op(kStd));
  b.set(0xFE, Grp(GroupId::kGrp4, "Eb"));
  b.set(0xFF, Grp(GroupId::kGrp5, "Ev"));
  return map;
}

}  // namespace

const OpcodeMap& onebyte_map() {
  static const OpcodeMap map = build();
  return map;
}

}  // namespace vx86::x86
