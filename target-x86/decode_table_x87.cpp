// x87 escape opcodes D8-DF (Intel SDM Vol. 2, Tables ): memory
// forms by ModRM.reg, register forms by the whole ModRM byte C0-FF.
// Undocumented register-form aliases that every x87 since the 387 executes
// (FSTP1, FCOM2, FCOMP3, FXCH4, FCOMP5, FXCH7, FSTP8, FSTP9) are decoded as
// the documented instruction they alias.
#include "target-x86/decode_table.h"

#include <array>

namespace vx86::x86 {
namespace {

using enum Mnemonic;
using namespace attr;

constexpr Mnemonic kArith[8] = {kFadd, kFmul, kFcom, kFcomp, kFsub, kFsubr, kFdiv, kFdivr};
constexpr Mnemonic kIntArith[8] = {kFiadd, kFimul,  kFicom, kFicomp,
                                   kFisub, kFisubr, kFidiv, kFidivr};

void build_d8(GroupBuilder& g) {
  for (int i = 0; i < 8; ++i) {
    g.mem(i, Op(kArith[i], "Md"));
    g.reg(i, Op(kArith[i], "ST0,STi"));
  }
}

void build_d9(GroupBuilder& g) {
  g.mem(0, Op(kFld, "Md"));
  g.mem(2, Op(kFst, "Md"));
  g.mem(3, Op(kFstp, "Md"));
  g.mem(4, Op(kFldenv, "Me"));
  g.mem(5, Op(kFldcw, "Mw"));
  g.mem(6, Op(kFnstenv, "Me"));
  g.mem(7, Op(kFnstcw, "Mw"));
  g.reg(0, Op(kFld, "STi"));
  g.reg(1, Op(kFxch, "STi"));
  g.reg_rm(2, 0, Op(kFnop));
  g.reg(3, Op(kFstp, "STi"));  // FSTP1 alias
  const Mnemonic e0[8] = {kFchs, kFabs, kInvalid, kInvalid, kFtst, kFxam, kInvalid, kInvalid};
  const Mnemonic e8[8] = {kFld1, kFldl2t, kFldl2e, kFldpi, kFldlg2, kFldln2, kFldz, kInvalid};
  const Mnemonic f0[8] = {kF2xm1, kFyl2x, kFptan, kFpatan, kFxtract, kFprem1, kFdecstp, kFincstp};
  const Mnemonic f8[8] = {kFprem, kFyl2xp1, kFsqrt, kFsincos, kFrndint, kFscale, kFsin, kFcos};
  for (int rm = 0; rm < 8; ++rm) {
    if (e0[rm] != kInvalid) g.reg_rm(4, rm, Op(e0[rm]));
    if (e8[rm] != kInvalid) g.reg_rm(5, rm, Op(e8[rm]));
    g.reg_rm(6, rm, Op(f0[rm]));
    g.reg_rm(7, rm, Op(f8[rm]));
  }
}

void build_da(GroupBuilder& g) {
  for (int i = 0; i < 8; ++i) g.mem(i, Op(kIntArith[i], "Md"));
  const Mnemonic fcmov[4] = {kFcmovb, kFcmove, kFcmovbe, kFcmovu};
  for (int i = 0; i < 4; ++i) g.reg(i, Op(fcmov[i], "ST0,STi"));
  g.reg_rm(5, 1, Op(kFucompp));
}

void build_db(GroupBuilder& g) {
  g.mem(0, Op(kFild, "Md"));
  g.mem(1, Op(kFisttp, "Md"));
  g.mem(2, Op(kFist, "Md"));
  g.mem(3, Op(kFistp, "Md"));
  g.mem(5, Op(kFld, "Mt"));
  g.mem(7, Op(kFstp, "Mt"));
  const Mnemonic fcmov[4] = {kFcmovnb, kFcmovne, kFcmovnbe, kFcmovnu};
  for (int i = 0; i < 4; ++i) g.reg(i, Op(fcmov[i], "ST0,STi"));
  g.reg_rm(4, 2, Op(kFnclex));
  g.reg_rm(4, 3, Op(kFninit));
  g.reg(5, Op(kFucomi, "ST0,STi"));
  g.reg(6, Op(kFcomi, "ST0,STi"));
}

void build_dc(GroupBuilder& g) {
  for (int i = 0; i < 8; ++i) g.mem(i, Op(kArith[i], "Mq"));
  // Register forms store into ST(i), and SUB/SUBR, DIV/DIVR swap encodings.
  const Mnemonic reg[8] = {kFadd, kFmul, kFcom, kFcomp, kFsubr, kFsub, kFdivr, kFdiv};
  for (int i = 0; i < 8; ++i) {
    g.reg(i, Op(reg[i], i == 2 || i == 3 ? "ST0,STi" : "STi,ST0"));  // /2 /3: FCOM2, FCOMP3
  }
}

void build_dd(GroupBuilder& g) {
  g.mem(0, Op(kFld, "Mq"));
  g.mem(1, Op(kFisttp, "Mq"));
  g.mem(2, Op(kFst, "Mq"));
  g.mem(3, Op(kFstp, "Mq"));
  g.mem(4, Op(kFrstor, "Mst"));
  g.mem(6, Op(kFnsave, "Mst"));
  g.mem(7, Op(kFnstsw, "Mw"));
  g.reg(0, Op(kFfree, "STi"));
  g.reg(1, Op(kFxch, "STi"));  // FXCH4 alias
  g.reg(2, Op(kFst, "STi"));
  g.reg(3, Op(kFstp, "STi"));
  g.reg(4, Op(kFucom, "STi"));
  g.reg(5, Op(kFucomp, "STi"));
}

void build_de(GroupBuilder& g) {
  for (int i = 0; i < 8; ++i) g.mem(i, Op(kIntArith[i], "Mw"));
  g.reg(0, Op(kFaddp, "STi,ST0"));
  g.reg(1, Op(kFmulp, "STi,ST0"));
  g.reg(2, Op(kFcomp, "ST0,STi"));  // FCOMP5 alias
  g.reg_rm(3, 1, Op(kFcompp));
  g.reg(4, Op(kFsubrp, "STi,ST0"));
  g.reg(5, Op(kFsubp, "STi,ST0"));
  g.reg(6, Op(kFdivrp, "STi,ST0"));
  g.reg(7, Op(kFdivp, "STi,ST0"));
}

void build_df(GroupBuilder& g) {
  g.mem(0, Op(kFild, "Mw"));
  g.mem(1, Op(kFisttp, "Mw"));
  g.mem(2, Op(kFist, "Mw"));
  g.mem(3, Op(kFistp, "Mw"));
  g.mem(4, Op(kFbld, "Mt"));
  g.mem(5, Op(kFild, "Mq"));
  g.mem(6, Op(kFbstp, "Mt"));
  g.mem(7, Op(kFistp, "Mq"));
  g.reg(0, Op(kFfreep, "STi"));
  g.reg(1, Op(kFxch, "STi"));  // FXCH7 alias
  g.reg(2, Op(kFstp, "STi"));  // FSTP8 alias
  g.reg(3, Op(kFstp, "STi"));  // FSTP9 alias
  g.reg_rm(4, 0, Op(kFnstsw, "AX"));
  g.reg(5, Op(kFucomip, "ST0,STi"));
  g.reg(6, Op(kFcomip, "ST0,STi"));
}

std::array<GroupTable, 8> build() {
  std::array<GroupTable, 8> tables{};
  void (*const builders[8])(GroupBuilder&) = {build_d8, build_d9, build_da, build_db,
                                              build_dc, build_dd, build_de, build_df};
  for (int i = 0; i < 8; ++i) {
    GroupBuilder g(&tables[i]);
    builders[i](g);
  }
  return tables;
}

}  // namespace

const GroupTable& x87_table(int escape) {
  static const std::array<GroupTable, 8> tables = build();
  return tables[escape & 7];
}

}  // namespace vx86::x86
