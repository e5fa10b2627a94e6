// Opcode extension groups selected by ModRM.reg (Intel SDM Vol. 2, Table
// A-6), plus the ModRM.rm-selected register forms of 0F 01 (Table A-6 notes),
// AMD's Group P (0F 0D), and the two SSE rows whose instruction depends on
// ModRM.mod alone (0F 12/16: MOVLPS/MOVHLPS, MOVHPS/MOVLHPS). An entry with no operands takes the
// operand list of the map row that points to the group.
#include "target-x86/decode_table.h"

#include <array>

namespace vx86::x86 {
namespace {

using enum Mnemonic;
using namespace attr;

void build_grp1(GroupBuilder& g) {
  const Mnemonic ops[] = {kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp};
  for (int i = 0; i < 8; ++i) g.both(i, Op(ops[i], "", i == 7 ? 0 : kLock));
}

void build_grp2(GroupBuilder& g) {
  const Mnemonic ops[] = {kRol, kRor, kRcl, kRcr, kShl, kShr, kSal, kSar};  // /6 is an alias of SHL
  for (int i = 0; i < 8; ++i) g.both(i, Op(ops[i]));
}

void build_grp3(GroupBuilder& g, bool word) {
  const char* e = word ? "Ev" : "Eb";
  const char* test = word ? "Ev,Iz" : "Eb,Ib";
  g.both(0, Op(kTest, test));
  g.both(1, Op(kTest, test));  // undocumented alias of /0
  g.both(2, Op(kNot, e, kLock));
  g.both(3, Op(kNeg, e, kLock));
  g.both(4, Op(kMul, e));
  g.both(5, Op(kImul, e));
  g.both(6, Op(kDiv, e));
  g.both(7, Op(kIdiv, e));
}

void build_grp4(GroupBuilder& g) {
  g.both(0, Op(kInc, "", kLock));
  g.both(1, Op(kDec, "", kLock));
}

void build_grp5(GroupBuilder& g) {
  g.both(0, Op(kInc, "Ev", kLock));
  g.both(1, Op(kDec, "Ev", kLock));
  g.both(2, Op(kCall, "Ev", kF64));
  g.mem(3, Op(kCallf, "Mp"));
  g.both(4, Op(kJmp, "Ev", kF64));
  g.mem(5, Op(kJmpf, "Mp"));
  g.both(6, Op(kPush, "Ev", kD64));
}

void build_grp6(GroupBuilder& g) {
  g.mem(0, Op(kSldt, "Mw"));
  g.reg(0, Op(kSldt, "Rv"));
  g.mem(1, Op(kStr, "Mw"));
  g.reg(1, Op(kStr, "Rv"));
  g.both(2, Op(kLldt, "Ew", kPrivileged));
  g.both(3, Op(kLtr, "Ew", kPrivileged));
  g.both(4, Op(kVerr, "Ew"));
  g.both(5, Op(kVerw, "Ew"));
}

void build_grp7(GroupBuilder& g) {
  g.mem(0, Op(kSgdt, "Ms"));
  g.mem(1, Op(kSidt, "Ms"));
  g.mem(2, Op(kLgdt, "Ms", kF64 | kPrivileged));
  g.mem(3, Op(kLidt, "Ms", kF64 | kPrivileged));
  g.mem(4, Op(kSmsw, "Mw"));
  g.mem(6, Op(kLmsw, "Mw", kPrivileged));
  g.mem(7, Op(kInvlpg, "Mb", kPrivileged));
  const Mnemonic vmx[] = {kInvalid, kVmcall, kVmlaunch, kVmresume, kVmxoff};
  for (int rm = 1; rm <= 4; ++rm) g.reg_rm(0, rm, Op(vmx[rm]));
  g.reg_rm(1, 0, Op(kMonitor));
  g.reg_rm(1, 1, Op(kMwait));
  g.reg_rm(1, 2, Op(kClac));
  g.reg_rm(1, 3, Op(kStac));
  g.reg_rm(1, 7, Op(kEncls));
  g.reg_rm(2, 0, Op(kXgetbv));
  g.reg_rm(2, 1, Op(kXsetbv, "", kPrivileged));
  g.reg_rm(2, 4, Op(kVmfunc));
  g.reg_rm(2, 5, Op(kXend));
  g.reg_rm(2, 6, Op(kXtest));
  g.reg_rm(2, 7, Op(kEnclu));
  const Mnemonic svm[] = {kVmrun, kVmmcall, kVmload, kVmsave, kStgi, kClgi, kSkinit, kInvlpga};
  for (int rm = 0; rm < 8; ++rm) g.reg_rm(3, rm, Op(svm[rm]));
  g.reg(4, Op(kSmsw, "Rv"));
  g.reg_rm(5, 6, Op(kRdpkru));
  g.reg_rm(5, 7, Op(kWrpkru));
  g.reg(6, Op(kLmsw, "Rw", kPrivileged));
  g.reg_rm(7, 0, Op(kSwapgs, "", kO64 | kPrivileged));
  g.reg_rm(7, 1, Op(kRdtscp));
  g.reg_rm(7, 2, Op(kMonitorx));
  g.reg_rm(7, 3, Op(kMwaitx));
  g.reg_rm(7, 4, Op(kClzero));
}

void build_grp8(GroupBuilder& g) {
  g.both(4, Op(kBt));
  g.both(5, Op(kBts, "", kLock));
  g.both(6, Op(kBtr, "", kLock));
  g.both(7, Op(kBtc, "", kLock));
}

void build_grp9(GroupBuilder& g) {
  g.mem(1, Op(kCmpxchg8b, "Mq", kLock | kRexW64));  // CMPXCHG16B Mdq with REX.W
  g.mem(6, Op(kVmptrld, "Mq", kPrivileged), kNP);
  g.mem(6, Op(kVmclear, "Mq", kPrivileged), k66);
  g.mem(6, Op(kVmxon, "Mq", kPrivileged), kF3);
  g.mem(7, Op(kVmptrst, "Mq", kPrivileged), kNP);
  g.reg(6, Op(kRdrand, "Rv"));
  g.reg(7, Op(kRdseed, "Rv"));
  g.reg(7, Op(kRdpid, "Ry", kF64), kF3);
}

void build_grp10(GroupBuilder& g) {
  for (int i = 0; i < 8; ++i) g.both(i, Op(kUd1));
}

void build_grp11(GroupBuilder& g, bool word) {
  g.both(0, Op(kMov));
  g.reg_rm(7, 0, word ? Op(kXbegin, "Jz", kXbeginRel) : Op(kXabort, "Ib"));
}

// Groups 12-14: shifts by immediate, register forms only.
void build_shift_imm(GroupBuilder& g, Mnemonic r2, Mnemonic r4, Mnemonic r6) {
  const Mnemonic by_reg[8] = {kInvalid, kInvalid, r2, kInvalid, r4, kInvalid, r6, kInvalid};
  for (int i = 0; i < 8; ++i) {
    if (by_reg[i] == kInvalid) continue;
    g.reg(i, Op(by_reg[i], "Nq,Ib"), kNP);
    g.reg(i, Op(by_reg[i], "Ux,Ib"), k66);
  }
}

void build_grp15(GroupBuilder& g) {
  g.mem(0, Op(kFxsave, "Mfx"));
  g.mem(1, Op(kFxrstor, "Mfx"));
  g.mem(2, Op(kLdmxcsr, "Md"));
  g.mem(3, Op(kStmxcsr, "Md"));
  g.mem(4, Op(kXsave, "Mxs"));
  g.mem(5, Op(kXrstor, "Mxs"));
  g.mem(6, Op(kXsaveopt, "Mxs"));
  g.mem(6, Op(kClwb, "Mb"), k66);
  g.mem(7, Op(kClflush, "Mb"));
  g.mem(7, Op(kClflushopt, "Mb"), k66);
  g.reg(0, Op(kRdfsbase, "Ry", kO64), kF3);
  g.reg(1, Op(kRdgsbase, "Ry", kO64), kF3);
  g.reg(2, Op(kWrfsbase, "Ry", kO64), kF3);
  g.reg(3, Op(kWrgsbase, "Ry", kO64), kF3);
  g.reg(5, Op(kLfence), kNP);
  g.reg(6, Op(kMfence), kNP);
  g.reg(7, Op(kSfence), kNP);
}

void build_grp16(GroupBuilder& g) {
  const Mnemonic prefetch[] = {kPrefetchnta, kPrefetcht0, kPrefetcht1, kPrefetcht2};
  for (int i = 0; i < 4; ++i) g.mem(i, Op(prefetch[i], "Mb"));
  for (int i = 4; i < 8; ++i) g.mem(i, Op(kNop, "Ev"));  // reserved hint NOPs
  for (int i = 0; i < 8; ++i) g.reg(i, Op(kNop, "Ev"));
}

void build_grp_p(GroupBuilder& g) {
  for (int i = 0; i < 8; ++i) g.mem(i, Op(kPrefetch, "Mb"));
  g.mem(1, Op(kPrefetchw, "Mb"));
  g.mem(2, Op(kPrefetchwt1, "Mb"));
  for (int i = 0; i < 8; ++i) g.reg(i, Op(kNop, "Ev"));
}

std::array<GroupTable, static_cast<int>(GroupId::kCount)>* build_all() {
  static std::array<GroupTable, static_cast<int>(GroupId::kCount)> tables{};
  auto builder = [&](GroupId id) { return GroupBuilder(&tables[static_cast<int>(id)]); };
  GroupBuilder g = builder(GroupId::kGrp1);
  build_grp1(g);
  g = builder(GroupId::kGrp1A);
  g.both(0, Op(kPop, "Ev", kD64));
  g = builder(GroupId::kGrp2);
  build_grp2(g);
  g = builder(GroupId::kGrp3);
  build_grp3(g, false);
  g = builder(GroupId::kGrp3Ev);
  build_grp3(g, true);
  g = builder(GroupId::kGrp4);
  build_grp4(g);
  g = builder(GroupId::kGrp5);
  build_grp5(g);
  g = builder(GroupId::kGrp6);
  build_grp6(g);
  g = builder(GroupId::kGrp7);
  build_grp7(g);
  g = builder(GroupId::kGrp8);
  build_grp8(g);
  g = builder(GroupId::kGrp9);
  build_grp9(g);
  g = builder(GroupId::kGrp10);
  build_grp10(g);
  g = builder(GroupId::kGrp11);
  build_grp11(g, false);
  g = builder(GroupId::kGrp11Ev);
  build_grp11(g, true);
  g = builder(GroupId::kGrp12);
  build_shift_imm(g, kPsrlw, kPsraw, kPsllw);
  g = builder(GroupId::kGrp13);
  build_shift_imm(g, kPsrld, kPsrad, kPslld);
  g = builder(GroupId::kGrp14);
  build_shift_imm(g, kPsrlq, kInvalid, kPsllq);
  g.reg(3, Op(kPsrldq, "Ux,Ib"), k66);
  g.reg(7, Op(kPslldq, "Ux,Ib"), k66);
  g = builder(GroupId::kGrp15);
  build_grp15(g);
  g = builder(GroupId::kGrp16);
  build_grp16(g);
  g = builder(GroupId::kGrpP);
  build_grp_p(g);
  g = builder(GroupId::kMovlpsHlps);
  for (int i = 0; i < 8; ++i) {
    g.mem(i, Op(kMovlps, "Vq,Mq"));
    g.reg(i, Op(kMovhlps, "Vq,Uq"));
  }
  g = builder(GroupId::kMovhpsLhps);
  for (int i = 0; i < 8; ++i) {
    g.mem(i, Op(kMovhps, "Vdq,Mq"));
    g.reg(i, Op(kMovlhps, "Vdq,Uq"));
  }
  for (int esc = 0; esc < 8; ++esc) {
    tables[static_cast<int>(GroupId::kX87D8) + esc] = x87_table(esc);
  }
  return &tables;
}

}  // namespace

const GroupTable& group_table(GroupId id) {
  static const auto* tables = build_all();
  return (*tables)[static_cast<int>(id)];
}

}  // namespace vx86::x86
