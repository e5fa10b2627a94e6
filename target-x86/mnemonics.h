// Instruction mnemonics of the x86 decoder, defined once as an X-macro list
// from which the enum and the name table are generated. Conditional
// families (Jcc, SETcc, CMOVcc) are kept in condition-code order so that
// kJo + cc is the mnemonic for condition cc.
#pragma once

#include <cstdint>

namespace vx86::x86 {

// clang-format off
#define VX86_X86_MNEMONICS(X) \
  X(Invalid) \
  /* condition codes in encoding order (cc = 0..15) */ \
    X(Jo) X(Jno) X(Jb) X(Jae) X(Je) X(Jne) X(Jbe) X(Ja) X(Js) X(Jns) X(Jp) X(Jnp) X(Jl) X(Jge) \
    X(Jle) X(Jg) \
    X(Seto) X(Setno) X(Setb) X(Setae) X(Sete) X(Setne) X(Setbe) X(Seta) X(Sets) X(Setns) \
    X(Setp) X(Setnp) X(Setl) X(Setge) X(Setle) X(Setg) \
    X(Cmovo) X(Cmovno) X(Cmovb) X(Cmovae) X(Cmove) X(Cmovne) X(Cmovbe) X(Cmova) X(Cmovs) \
    X(Cmovns) X(Cmovp) X(Cmovnp) X(Cmovl) X(Cmovge) X(Cmovle) X(Cmovg) \
    X(Aaa) X(Aad) X(Aam) X(Aas) X(Adc) X(Adcx) X(Add) X(Addpd) X(Addps) X(Addsd) X(Addss) \
    X(Andn) X(Bextr) X(Blsi) X(Blsmsk) X(Blsr) X(Bzhi) X(Mulx) X(Pdep) X(Pext) X(Rorx) \
    X(Sarx) X(Shlx) X(Shrx) \
    X(Addsubpd) X(Addsubps) X(Adox) X(Aesdec) X(Aesdeclast) X(Aesenc) X(Aesenclast) X(Aesimc) \
    X(Aeskeygenassist) X(And) X(Andnpd) X(Andnps) X(Andpd) X(Andps) X(Arpl) X(Blendpd) \
    X(Blendps) X(Blendvpd) X(Blendvps) X(Bound) X(Bsf) X(Bsr) X(Bswap) X(Bt) X(Btc) X(Btr) \
    X(Bts) X(Call) X(Callf) X(Cbw) X(Clac) X(Clc) X(Cld) X(Clflush) X(Clflushopt) X(Clgi) \
    X(Cli) X(Clts) X(Clwb) X(Clzero) X(Cmc) X(Cmp) X(Cmppd) X(Cmpps) X(Cmps) X(Cmpsb) X(Cmpsd) \
    X(Cmpss) X(Cmpxchg) X(Cmpxchg8b) X(Comisd) X(Comiss) X(Cpuid) X(Crc32) X(Cvtdq2pd) \
    X(Cvtdq2ps) X(Cvtpd2dq) X(Cvtpd2pi) X(Cvtpd2ps) X(Cvtpi2pd) X(Cvtpi2ps) X(Cvtps2dq) \
    X(Cvtps2pd) X(Cvtps2pi) X(Cvtsd2si) X(Cvtsd2ss) X(Cvtsi2sd) X(Cvtsi2ss) X(Cvtss2sd) \
    X(Cvtss2si) X(Cvttpd2dq) X(Cvttpd2pi) X(Cvttps2dq) X(Cvttps2pi) X(Cvttsd2si) X(Cvttss2si) \
    X(Cwd) X(Daa) X(Das) X(Dec) X(Div) X(Divpd) X(Divps) X(Divsd) X(Divss) X(Dppd) X(Dpps) \
    X(Emms) X(Encls) X(Enclu) X(Enter) X(Extractps) X(Extrq) X(F2xm1) X(Fabs) X(Fadd) X(Faddp) \
    X(Fbld) X(Fbstp) X(Fchs) X(Fcmovb) X(Fcmovbe) X(Fcmove) X(Fcmovnb) X(Fcmovnbe) X(Fcmovne) \
    X(Fcmovnu) X(Fcmovu) X(Fcom) X(Fcomi) X(Fcomip) X(Fcomp) X(Fcompp) X(Fcos) X(Fdecstp) \
    X(Fdiv) X(Fdivp) X(Fdivr) X(Fdivrp) X(Femms) X(Ffree) X(Ffreep) X(Fiadd) X(Ficom) X(Ficomp) \
    X(Fidiv) X(Fidivr) X(Fild) X(Fimul) X(Fincstp) X(Fist) X(Fistp) X(Fisttp) X(Fisub) \
    X(Fisubr) X(Fld) X(Fld1) X(Fldcw) X(Fldenv) X(Fldl2e) X(Fldl2t) X(Fldlg2) X(Fldln2) \
    X(Fldpi) X(Fldz) X(Fmul) X(Fmulp) X(Fnclex) X(Fninit) X(Fnop) X(Fnsave) X(Fnstcw) \
    X(Fnstenv) X(Fnstsw) X(Fpatan) X(Fprem) X(Fprem1) X(Fptan) X(Frndint) X(Frstor) X(Fscale) \
    X(Fsin) X(Fsincos) X(Fsqrt) X(Fst) X(Fstp) X(Fsub) X(Fsubp) X(Fsubr) X(Fsubrp) X(Ftst) \
    X(Fucom) X(Fucomi) X(Fucomip) X(Fucomp) X(Fucompp) X(Fwait) X(Fxam) X(Fxch) X(Fxrstor) \
    X(Fxsave) X(Fxtract) X(Fyl2x) X(Fyl2xp1) X(Getsec) X(Haddpd) X(Haddps) X(Hlt) X(Hsubpd) \
    X(Hsubps) X(Idiv) X(Imul) X(In) X(Inc) X(Ins) X(Insb) X(Insertps) X(Insertq) X(Int) X(Int1) \
    X(Int3) X(Into) X(Invd) X(Invept) X(Invlpg) X(Invlpga) X(Invpcid) X(Invvpid) X(Iret) X(Jmp) \
    X(Jmpf) X(Jrcxz) X(Lahf) X(Lar) X(Lddqu) X(Ldmxcsr) X(Lds) X(Lea) X(Leave) X(Les) X(Lfence) \
    X(Lfs) X(Lgdt) X(Lgs) X(Lidt) X(Lldt) X(Lmsw) X(Lods) X(Lodsb) X(Loop) X(Loope) X(Loopne) \
    X(Lsl) X(Lss) X(Ltr) X(Lzcnt) X(Maskmovq) X(Maxpd) X(Maxps) X(Maxsd) X(Maxss) X(Mfence) \
    X(Minpd) X(Minps) X(Minsd) X(Minss) X(Monitor) X(Monitorx) X(Mov) X(Movapd) X(Movaps) \
    X(Movbe) X(Movd) X(Movddup) X(Movdq2q) X(Movdqa) X(Movdqu) X(Movhlps) X(Movhpd) X(Movhps) X(Movlhps) X(Movlpd) \
    X(Movlps) X(Movmskpd) X(Movmskps) X(Movntdqa) X(Movnti) X(Movntpd) X(Movntps) X(Movntq) \
    X(Movq) X(Movq2dq) X(Movs) X(Movsb) X(Movsd) X(Movshdup) X(Movsldup) X(Movss) X(Movsx) \
    X(Movsxd) X(Movupd) X(Movups) X(Movzx) X(Mpsadbw) X(Mul) X(Mulpd) X(Mulps) X(Mulsd) \
    X(Mulss) X(Mwait) X(Mwaitx) X(Neg) X(Nop) X(Not) X(Or) X(Orpd) X(Orps) X(Out) X(Outs) \
    X(Outsb) X(Padlock) X(Pabsb) X(Pabsd) X(Pabsw) X(Packssdw) X(Packsswb) X(Packusdw) X(Packuswb) \
    X(Paddb) X(Paddd) X(Paddq) X(Paddsb) X(Paddsw) X(Paddusb) X(Paddusw) X(Paddw) X(Palignr) \
    X(Pand) X(Pandn) X(Pause) X(Pavgb) X(Pavgw) X(Pblendvb) X(Pblendw) X(Pclmulqdq) X(Pcmpeqb) \
    X(Pcmpeqd) X(Pcmpeqq) X(Pcmpeqw) X(Pcmpestri) X(Pcmpestrm) X(Pcmpgtb) X(Pcmpgtd) X(Pcmpgtq) \
    X(Pcmpgtw) X(Pcmpistri) X(Pcmpistrm) X(Pextrb) X(Pextrd) X(Pextrw) X(Phaddd) X(Phaddsw) \
    X(Phaddw) X(Phminposuw) X(Phsubd) X(Phsubsw) X(Phsubw) X(Pinsrb) X(Pinsrd) X(Pinsrw) \
    X(Pmaddubsw) X(Pmaddwd) X(Pmaxsb) X(Pmaxsd) X(Pmaxsw) X(Pmaxub) X(Pmaxud) X(Pmaxuw) \
    X(Pminsb) X(Pminsd) X(Pminsw) X(Pminub) X(Pminud) X(Pminuw) X(Pmovmskb) X(Pmovsxbd) \
    X(Pmovsxbq) X(Pmovsxbw) X(Pmovsxdq) X(Pmovsxwd) X(Pmovsxwq) X(Pmovzxbd) X(Pmovzxbq) \
    X(Pmovzxbw) X(Pmovzxdq) X(Pmovzxwd) X(Pmovzxwq) X(Pmuldq) X(Pmulhrsw) X(Pmulhuw) X(Pmulhw) \
    X(Pmulld) X(Pmullw) X(Pmuludq) X(Pop) X(Popa) X(Popcnt) X(Popf) X(Por) X(Prefetch) \
    X(Prefetchnta) X(Prefetcht0) X(Prefetcht1) X(Prefetcht2) X(Prefetchw) X(Prefetchwt1) \
    X(Psadbw) X(Pshufb) X(Pshufd) X(Pshufhw) X(Pshuflw) X(Pshufw) X(Psignb) X(Psignd) X(Psignw) \
    X(Pslld) X(Pslldq) X(Psllq) X(Psllw) X(Psrad) X(Psraw) X(Psrld) X(Psrldq) X(Psrlq) X(Psrlw) \
    X(Psubb) X(Psubd) X(Psubq) X(Psubsb) X(Psubsw) X(Psubusb) X(Psubusw) X(Psubw) X(Ptest) \
    X(Punpckhbw) X(Punpckhdq) X(Punpckhqdq) X(Punpckhwd) X(Punpcklbw) X(Punpckldq) \
    X(Punpcklqdq) X(Punpcklwd) X(Push) X(Pusha) X(Pushf) X(Pxor) X(Rcl) X(Rcpps) X(Rcpss) \
    X(Rcr) X(Rdfsbase) X(Rdgsbase) X(Rdmsr) X(Rdpid) X(Rdpkru) X(Rdpmc) X(Rdrand) X(Rdseed) \
    X(Rdtsc) X(Rdtscp) X(Ret) X(Retf) X(Rol) X(Ror) X(Roundpd) X(Roundps) X(Roundsd) X(Roundss) \
    X(Rsm) X(Rsqrtps) X(Rsqrtss) X(Sahf) X(Sal) X(Salc) X(Sar) X(Sbb) X(Scas) X(Scasb) \
    X(Sfence) X(Sgdt) X(Sha1msg1) X(Sha1msg2) X(Sha1nexte) X(Sha1rnds4) X(Sha256msg1) \
    X(Sha256msg2) X(Sha256rnds2) X(Shl) X(Shld) X(Shr) X(Shrd) X(Shufpd) X(Shufps) X(Sidt) \
    X(Skinit) X(Sldt) X(Smsw) X(Sqrtpd) X(Sqrtps) X(Sqrtsd) X(Sqrtss) X(Stac) X(Stc) X(Std) \
    X(Stgi) X(Sti) X(Stmxcsr) X(Stos) X(Stosb) X(Str) X(Sub) X(Subpd) X(Subps) X(Subsd) \
    X(Subss) X(Swapgs) X(Syscall) X(Sysenter) X(Sysexit) X(Sysret) X(Test) X(Tzcnt) X(Ucomisd) \
    X(Ucomiss) X(Ud0) X(Ud1) X(Ud2) X(Unpckhpd) X(Unpckhps) X(Unpcklpd) X(Unpcklps) X(Verr) \
    X(Verw) X(Vmcall) X(Vmclear) X(Vmfunc) X(Vmlaunch) X(Vmload) X(Vmmcall) X(Vmptrld) \
    X(Vmptrst) X(Vmread) X(Vmresume) X(Vmrun) X(Vmsave) X(Vmwrite) X(Vmxoff) X(Vmxon) X(Wbinvd) \
    X(Wrfsbase) X(Wrgsbase) X(Wrmsr) X(Wrpkru) X(Xabort) X(Xadd) X(Xbegin) X(Xchg) X(Xend) \
    X(Xgetbv) X(Xlat) X(Xor) X(Xorpd) X(Xorps) X(Xrstor) X(Xsave) X(Xsaveopt) X(Xsetbv) \
    X(Xtest) \
    X(Vbroadcastf128) X(Vbroadcastsd) X(Vbroadcastss) X(Vextractf128) X(Vinsertf128) \
    X(Vmaskmovpd) X(Vmaskmovps) X(Vperm2f128) X(Vpermilpd) X(Vpermilps) X(Vtestpd) X(Vtestps) \
    X(Vzeroall) X(Vzeroupper) \
    X(Vbroadcasti128) X(Vextracti128) X(Vgatherdpd) X(Vgatherdps) X(Vgatherqpd) X(Vgatherqps) \
    X(Vinserti128) X(Vpblendd) X(Vpbroadcastb) X(Vpbroadcastd) X(Vpbroadcastq) X(Vpbroadcastw) \
    X(Vperm2i128) X(Vpermd) X(Vpermpd) X(Vpermps) X(Vpermq) X(Vpgatherdd) X(Vpgatherdq) \
    X(Vpgatherqd) X(Vpgatherqq) X(Vpmaskmovd) X(Vpmaskmovq) X(Vpsllvd) X(Vpsllvq) X(Vpsravd) \
    X(Vpsrlvd) X(Vpsrlvq) \
    X(Vcvtph2ps) X(Vcvtps2ph) X(Vfmadd) X(Vfmaddsub) X(Vfmsub) X(Vfmsubadd) X(Vfnmadd) X(Vfnmsub) \
    X(3dnow) X(Vex) X(Evex) X(Xop) \
// clang-format on

enum class Mnemonic : uint16_t {
#define VX86_X86_MNEMONIC_ENUM(name) k##name,
  VX86_X86_MNEMONICS(VX86_X86_MNEMONIC_ENUM)
#undef VX86_X86_MNEMONIC_ENUM
  kCount
};

// Lower-case name for debugging and logs ("add", "cmovne", "3dnow").
const char* mnemonic_name(Mnemonic mnemonic);

}  // namespace vx86::x86
