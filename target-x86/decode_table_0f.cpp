// Two-byte opcode map 0F xx (Intel SDM Vol. 2, Table A-3), with its
// mandatory-prefix columns (none / 66 / F3 / F2) for the SSE rows.
// 0F 38 and 0F 3A escape to the three-byte maps; 0F 0F is 3DNow!.
#include "target-x86/decode_table.h"

namespace vx86::x86 {
namespace {

using enum Mnemonic;
using namespace attr;

OpcodeMap build() {
  OpcodeMap map{};
  MapBuilder b(&map);
  b.set(0x00, Grp(GroupId::kGrp6));
  b.set(0x01, Grp(GroupId::kGrp7));
  b.set(0x02, Op(kLar, "Gv,Ew"));
  b.set(0x03, Op(kLsl, "Gv,Ew"));
  b.set(0x05, Op(kSyscall));
  b.set(0x06, Op(kClts, "", kPrivileged));
  b.set(0x07, Op(kSysret, "", kPrivileged));
  b.set(0x08, Op(kInvd, "", kPrivileged));
  b.set(0x09, Op(kWbinvd, "", kPrivileged));
  b.set(0x0B, Op(kUd2));
  b.set(0x0D, Grp(GroupId::kGrpP, "Ev"));
  b.set(0x0E, Op(kFemms, "", kUnsupported));
  b.set(0x0F, Op(k3dnow, "Pq,Qq,Ib", kUnsupported));  // imm8 is the 3DNow! opcode

  b.set(0x10, kNP, Op(kMovups, "Vps,Wps"));
  b.set(0x10, k66, Op(kMovupd, "Vpd,Wpd"));
  b.set(0x10, kF3, Op(kMovss, "Vx,Wss"));
  b.set(0x10, kF2, Op(kMovsd, "Vx,Wsd"));
  b.set(0x11, kNP, Op(kMovups, "Wps,Vps"));
  b.set(0x11, k66, Op(kMovupd, "Wpd,Vpd"));
  b.set(0x11, kF3, Op(kMovss, "Wss,Vss"));
  b.set(0x11, kF2, Op(kMovsd, "Wsd,Vsd"));
  b.set(0x12, kNP, Grp(GroupId::kMovlpsHlps, "Vq,Wq"));
  b.set(0x12, k66, Op(kMovlpd, "Vq,Mq"));
  b.set(0x12, kF3, Op(kMovsldup, "Vx,Wx"));
  b.set(0x12, kF2, Op(kMovddup, "Vx,Wsd"));
  b.set(0x13, kNP, Op(kMovlps, "Mq,Vq"));
  b.set(0x13, k66, Op(kMovlpd, "Mq,Vq"));
  b.sse_fp(0x14, kUnpcklps, kUnpcklpd, kInvalid, kInvalid);
  b.sse_fp(0x15, kUnpckhps, kUnpckhpd, kInvalid, kInvalid);
  b.set(0x16, kNP, Grp(GroupId::kMovhpsLhps, "Vdq,Wq"));
  b.set(0x16, k66, Op(kMovhpd, "Vdq,Mq"));
  b.set(0x16, kF3, Op(kMovshdup, "Vx,Wx"));
  b.set(0x17, kNP, Op(kMovhps, "Mq,Vq"));
  b.set(0x17, k66, Op(kMovhpd, "Mq,Vq"));
  b.set(0x18, Grp(GroupId::kGrp16));
  // 0F 19-1F: reserved-NOP space ("NOP Ev"); 1E with F3 holds ENDBR32/64.
  b.set_range(0x19, 7, Op(kNop, "Ev"));

  b.set(0x20, Op(kMov, "Ry,Cy", kF64 | kModIgnored | kPrivileged));
  b.set(0x21, Op(kMov, "Ry,Dy", kF64 | kModIgnored | kPrivileged));
  b.set(0x22, Op(kMov, "Cy,Ry", kF64 | kModIgnored | kPrivileged));
  b.set(0x23, Op(kMov, "Dy,Ry", kF64 | kModIgnored | kPrivileged));
  b.sse_fp(0x28, kMovaps, kMovapd, kInvalid, kInvalid);
  b.set(0x29, kNP, Op(kMovaps, "Wps,Vps"));
  b.set(0x29, k66, Op(kMovapd, "Wpd,Vpd"));
  b.set(0x2A, kNP, Op(kCvtpi2ps, "Vps,Qpi"));
  b.set(0x2A, k66, Op(kCvtpi2pd, "Vpd,Qpi"));
  b.set(0x2A, kF3, Op(kCvtsi2ss, "Vss,Ey"));
  b.set(0x2A, kF2, Op(kCvtsi2sd, "Vsd,Ey"));
  b.set(0x2B, kNP, Op(kMovntps, "Mps,Vps"));
  b.set(0x2B, k66, Op(kMovntpd, "Mpd,Vpd"));
  b.set(0x2C, kNP, Op(kCvttps2pi, "Ppi,Wps"));
  b.set(0x2C, k66, Op(kCvttpd2pi, "Ppi,Wpd"));
  b.set(0x2C, kF3, Op(kCvttss2si, "Gy,Wss"));
  b.set(0x2C, kF2, Op(kCvttsd2si, "Gy,Wsd"));
  b.set(0x2D, kNP, Op(kCvtps2pi, "Ppi,Wps"));
  b.set(0x2D, k66, Op(kCvtpd2pi, "Ppi,Wpd"));
  b.set(0x2D, kF3, Op(kCvtss2si, "Gy,Wss"));
  b.set(0x2D, kF2, Op(kCvtsd2si, "Gy,Wsd"));
  b.set(0x2E, kNP, Op(kUcomiss, "Vss,Wss"));
  b.set(0x2E, k66, Op(kUcomisd, "Vsd,Wsd"));
  b.set(0x2F, kNP, Op(kComiss, "Vss,Wss"));
  b.set(0x2F, k66, Op(kComisd, "Vsd,Wsd"));

  b.set(0x30, Op(kWrmsr, "", kPrivileged));
  b.set(0x31, Op(kRdtsc));
  b.set(0x32, Op(kRdmsr, "", kPrivileged));
  b.set(0x33, Op(kRdpmc));
  b.set(0x34, Op(kSysenter));
  b.set(0x35, Op(kSysexit, "", kPrivileged));
  b.set(0x37, Op(kGetsec));
  // 0F 38 / 0F 3A: three-byte escapes.
  b.set_range(0x40, 16, Op(kCmovo, "Gv,Ev"), true);

  b.set(0x50, kNP, Op(kMovmskps, "Gy,Ups"));
  b.set(0x50, k66, Op(kMovmskpd, "Gy,Upd"));
  b.sse_fp(0x51, kSqrtps, kSqrtpd, kSqrtss, kSqrtsd);
  b.sse_fp(0x52, kRsqrtps, kInvalid, kRsqrtss, kInvalid);
  b.sse_fp(0x53, kRcpps, kInvalid, kRcpss, kInvalid);
  b.sse_fp(0x54, kAndps, kAndpd, kInvalid, kInvalid);
  b.sse_fp(0x55, kAndnps, kAndnpd, kInvalid, kInvalid);
  b.sse_fp(0x56, kOrps, kOrpd, kInvalid, kInvalid);
  b.sse_fp(0x57, kXorps, kXorpd, kInvalid, kInvalid);
  b.sse_fp(0x58, kAddps, kAddpd, kAddss, kAddsd);
  b.sse_fp(0x59, kMulps, kMulpd, kMulss, kMulsd);
  b.set(0x5A, kNP, Op(kCvtps2pd, "Vpd,Wps"));
  b.set(0x5A, k66, Op(kCvtpd2ps, "Vps,Wpd"));
  b.set(0x5A, kF3, Op(kCvtss2sd, "Vsd,Wss"));
  b.set(0x5A, kF2, Op(kCvtsd2ss, "Vss,Wsd"));
  b.set(0x5B, kNP, Op(kCvtdq2ps, "Vps,Wdq"));
  b.set(0x5B, k66, Op(kCvtps2dq, "Vdq,Wps"));
  b.set(0x5B, kF3, Op(kCvttps2dq, "Vdq,Wps"));
  b.sse_fp(0x5C, kSubps, kSubpd, kSubss, kSubsd);
  b.sse_fp(0x5D, kMinps, kMinpd, kMinss, kMinsd);
  b.sse_fp(0x5E, kDivps, kDivpd, kDivss, kDivsd);
  b.sse_fp(0x5F, kMaxps, kMaxpd, kMaxss, kMaxsd);

  b.mmx_sse(0x60, kPunpcklbw, "Pq,Qd");
  b.mmx_sse(0x61, kPunpcklwd, "Pq,Qd");
  b.mmx_sse(0x62, kPunpckldq, "Pq,Qd");
  b.mmx_sse(0x63, kPacksswb);
  b.mmx_sse(0x64, kPcmpgtb);
  b.mmx_sse(0x65, kPcmpgtw);
  b.mmx_sse(0x66, kPcmpgtd);
  b.mmx_sse(0x67, kPackuswb);
  b.mmx_sse(0x68, kPunpckhbw);
  b.mmx_sse(0x69, kPunpckhwd);
  b.mmx_sse(0x6A, kPunpckhdq);
  b.mmx_sse(0x6B, kPackssdw);
  b.set(0x6C, k66, Op(kPunpcklqdq, "Vx,Wx"));
  b.set(0x6D, k66, Op(kPunpckhqdq, "Vx,Wx"));
  b.set(0x6E, kNP, Op(kMovd, "Pd,Ey"));  // MOVQ with REX.W
  b.set(0x6E, k66, Op(kMovd, "Vy,Ey"));
  b.set(0x6F, kNP, Op(kMovq, "Pq,Qq"));
  b.set(0x6F, k66, Op(kMovdqa, "Vx,Wx"));
  b.set(0x6F, kF3, Op(kMovdqu, "Vx,Wx"));

  b.set(0x70, kNP, Op(kPshufw, "Pq,Qq,Ib"));
  b.set(0x70, k66, Op(kPshufd, "Vx,Wx,Ib"));
  b.set(0x70, kF3, Op(kPshufhw, "Vx,Wx,Ib"));
  b.set(0x70, kF2, Op(kPshuflw, "Vx,Wx,Ib"));
  b.set(0x71, Grp(GroupId::kGrp12, "Nq,Ib"));  // shape for undefined /reg
  b.set(0x72, Grp(GroupId::kGrp13, "Nq,Ib"));  // shape for undefined /reg
  b.set(0x73, Grp(GroupId::kGrp14, "Nq,Ib"));  // shape for undefined /reg
  b.mmx_sse(0x74, kPcmpeqb);
  b.mmx_sse(0x75, kPcmpeqw);
  b.mmx_sse(0x76, kPcmpeqd);
  b.set(0x77, kNP, Op(kEmms));
  b.set(0x78, kNP, Op(kVmread, "Ey,Gy", kF64 | kPrivileged));
  b.set(0x78, k66, Op(kExtrq, "Uq,Ib,Ib", kRegOnly));  // SSE4a (AMD), Group 17
  b.set(0x78, kF2, Op(kInsertq, "Vq,Uq,Ib,Ib", kRegOnly));
  b.set(0x79, kNP, Op(kVmwrite, "Gy,Ey", kF64 | kPrivileged));
  b.set(0x79, k66, Op(kExtrq, "Vq,Uq", kRegOnly));
  b.set(0x79, kF2, Op(kInsertq, "Vq,Uq", kRegOnly));
  b.set(0x7C, k66, Op(kHaddpd, "Vpd,Wpd"));
  b.set(0x7C, kF2, Op(kHaddps, "Vps,Wps"));
  b.set(0x7D, k66, Op(kHsubpd, "Vpd,Wpd"));
  b.set(0x7D, kF2, Op(kHsubps, "Vps,Wps"));
  b.set(0x7E, kNP, Op(kMovd, "Ey,Pd"));
  b.set(0x7E, k66, Op(kMovd, "Ey,Vy"));
  b.set(0x7E, kF3, Op(kMovq, "Vq,Wq"));
  b.set(0x7F, kNP, Op(kMovq, "Qq,Pq"));
  b.set(0x7F, k66, Op(kMovdqa, "Wx,Vx"));
  b.set(0x7F, kF3, Op(kMovdqu, "Wx,Vx"));

  b.set_range(0x80, 16, Op(kJo, "Jz", kF64), true);
  b.set_range(0x90, 16, Op(kSeto, "Eb"), true);

  b.set(0xA0, Op(kPush, "FS", kD64));
  b.set(0xA1, Op(kPop, "FS", kD64));
  b.set(0xA2, Op(kCpuid));
  b.set(0xA3, Op(kBt, "Ev,Gv"));
  b.set(0xA4, Op(kShld, "Ev,Gv,Ib"));
  b.set(0xA5, Op(kShld, "Ev,Gv,CL"));
  // VIA PadLock (MONTMUL, XSHA1/256; XSTORE, XCRYPT*): ModRM selects the operation.
  b.set(0xA6, Op(kPadlock, "", kModRM | kRegOnly | kUnsupported));
  b.set(0xA7, Op(kPadlock, "", kModRM | kRegOnly | kUnsupported));
  b.set(0xA8, Op(kPush, "GS", kD64));
  b.set(0xA9, Op(kPop, "GS", kD64));
  b.set(0xAA, Op(kRsm));
  b.set(0xAB, Op(kBts, "Ev,Gv", kLock));
  b.set(0xAC, Op(kShrd, "Ev,Gv,Ib"));
  b.set(0xAD, Op(kShrd, "Ev,Gv,CL"));
  b.set(0xAE, Grp(GroupId::kGrp15));
  b.set(0xAF, Op(kImul, "Gv,Ev"));

  b.set(0xB0, Op(kCmpxchg, "Eb,Gb", kLock));
  b.set(0xB1, Op(kCmpxchg, "Ev,Gv", kLock));
  b.set(0xB2, Op(kLss, "Gv,Mp"));
  b.set(0xB3, Op(kBtr, "Ev,Gv", kLock));
  b.set(0xB4, Op(kLfs, "Gv,Mp"));
  b.set(0xB5, Op(kLgs, "Gv,Mp"));
  b.set(0xB6, Op(kMovzx, "Gv,Eb"));
  b.set(0xB7, Op(kMovzx, "Gv,Ew"));
  b.set(0xB8, kF3, Op(kPopcnt, "Gv,Ev"));  // no prefix: JMPE (IA-64 only), #UD
  b.set(0xB9, Grp(GroupId::kGrp10, "Gv,Ev"));
  b.set(0xBA, Grp(GroupId::kGrp8, "Ev,Ib"));
  b.set(0xBB, Op(kBtc, "Ev,Gv", kLock));
  b.set(0xBC, Op(kBsf, "Gv,Ev"));
  b.set(0xBC, kF3, Op(kTzcnt, "Gv,Ev"));
  b.set(0xBD, Op(kBsr, "Gv,Ev"));
  b.set(0xBD, kF3, Op(kLzcnt, "Gv,Ev"));
  b.set(0xBE, Op(kMovsx, "Gv,Eb"));
  b.set(0xBF, Op(kMovsx, "Gv,Ew"));

  b.set(0xC0, Op(kXadd, "Eb,Gb", kLock));
  b.set(0xC1, Op(kXadd, "Ev,Gv", kLock));
  b.sse_fp(0xC2, kCmpps, kCmppd, kCmpss, kCmpsd, ",Ib");
  b.set(0xC3, kNP, Op(kMovnti, "My,Gy"));
  b.set(0xC4, kNP, Op(kPinsrw, "Pq,Ew,Ib"));
  b.set(0xC4, k66, Op(kPinsrw, "Vdq,Ew,Ib"));
  b.set(0xC5, kNP, Op(kPextrw, "Gd,Nq,Ib"));
  b.set(0xC5, k66, Op(kPextrw, "Gd,Udq,Ib"));
  b.sse_fp(0xC6, kShufps, kShufpd, kInvalid, kInvalid, ",Ib");
  b.set(0xC7, Grp(GroupId::kGrp9));
  b.set_range(0xC8, 8, Op(kBswap, "Zv"));

  b.set(0xD0, k66, Op(kAddsubpd, "Vpd,Wpd"));
  b.set(0xD0, kF2, Op(kAddsubps, "Vps,Wps"));
  b.mmx_sse(0xD1, kPsrlw);
  b.mmx_sse(0xD2, kPsrld);
  b.mmx_sse(0xD3, kPsrlq);
  b.mmx_sse(0xD4, kPaddq);
  b.mmx_sse(0xD5, kPmullw);
  b.set(0xD6, k66, Op(kMovq, "Wq,Vq"));
  b.set(0xD6, kF3, Op(kMovq2dq, "Vdq,Nq"));
  b.set(0xD6, kF2, Op(kMovdq2q, "Pq,Uq"));
  b.mmx_sse(0xD7, kPmovmskb, "Gd,Nq", "Gd,Ux");
  b.mmx_sse(0xD8, kPsubusb);
  b.mmx_sse(0xD9, kPsubusw);
  b.mmx_sse(0xDA, kPminub);
  b.mmx_sse(0xDB, kPand);
  b.mmx_sse(0xDC, kPaddusb);
  b.mmx_sse(0xDD, kPaddusw);
  b.mmx_sse(0xDE, kPmaxub);
  b.mmx_sse(0xDF, kPandn);

  b.mmx_sse(0xE0, kPavgb);
  b.mmx_sse(0xE1, kPsraw);
  b.mmx_sse(0xE2, kPsrad);
  b.mmx_sse(0xE3, kPavgw);
  b.mmx_sse(0xE4, kPmulhuw);
  b.mmx_sse(0xE5, kPmulhw);
  b.set(0xE6, k66, Op(kCvttpd2dq, "Vx,Wpd"));
  b.set(0xE6, kF3, Op(kCvtdq2pd, "Vx,Wpd"));
  b.set(0xE6, kF2, Op(kCvtpd2dq, "Vx,Wpd"));
  b.mmx_sse(0xE7, kMovntq, "Mq,Pq", "Mx,Vx");
  b.mmx_sse(0xE8, kPsubsb);
  b.mmx_sse(0xE9, kPsubsw);
  b.mmx_sse(0xEA, kPminsw);
  b.mmx_sse(0xEB, kPor);
  b.mmx_sse(0xEC, kPaddsb);
  b.mmx_sse(0xED, kPaddsw);
  b.mmx_sse(0xEE, kPmaxsw);
  b.mmx_sse(0xEF, kPxor);

  b.set(0xF0, kF2, Op(kLddqu, "Vx,Mx"));
  b.mmx_sse(0xF1, kPsllw);
  b.mmx_sse(0xF2, kPslld);
  b.mmx_sse(0xF3, kPsllq);
  b.mmx_sse(0xF4, kPmuludq);
  b.mmx_sse(0xF5, kPmaddwd);
  b.mmx_sse(0xF6, kPsadbw);
  b.mmx_sse(0xF7, kMaskmovq, "Pq,Nq", "Vdq,Udq");
  b.mmx_sse(0xF8, kPsubb);
  b.mmx_sse(0xF9, kPsubw);
  b.mmx_sse(0xFA, kPsubd);
  b.mmx_sse(0xFB, kPsubq);
  b.mmx_sse(0xFC, kPaddb);
  b.mmx_sse(0xFD, kPaddw);
  b.mmx_sse(0xFE, kPaddd);
  b.set(0xFF, Op(kUd0, "Gv,Ev"));
  return map;
}

}  // namespace

const OpcodeMap& map_0f() {
  static const OpcodeMap map = build();
  return map;
}

}  // namespace vx86::x86
