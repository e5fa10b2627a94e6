// AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST),
// PCLMULQDQ and the SHA extensions (SHA1RNDS4, SHA1NEXTE, SHA1MSG1/2,
// SHA256RNDS2, SHA256MSG1/2), from FIPS-197, FIPS 180-4 and the SDM's
// pseudo-code. The XMM register
// is the AES state in FIPS-197's column-major byte order (byte i is row
// i % 4, column i / 4), as the instructions define it. The S-box is derived
// (multiplicative inverse in GF(2^8), then the affine map) rather than
// typed in, so a mistyped table entry cannot hide.
#include <array>
#include <cstdint>
#include <cstring>

#include "target-x86/helper_def.h"
#include "target-x86/helpers_sse.h"
#include "target-x86/mnemonics.h"

namespace vx86::x86 {

namespace {

using M = Mnemonic;
using State = std::array<uint8_t, 16>;

// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
uint8_t gf_mul(uint8_t a, uint8_t b) {
  uint8_t product = 0;
  while (b) {
    if (b & 1) product ^= a;
    a = static_cast<uint8_t>((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
    b >>= 1;
  }
  return product;
}

struct SBoxes {
  std::array<uint8_t, 256> forward{}, inverse{};
  SBoxes() {
    for (unsigned x = 0; x < 256; ++x) {
      uint8_t inv = 0;  // 0 maps to 0
      for (unsigned y = 1; x && y < 256; ++y) {
        if (gf_mul(static_cast<uint8_t>(x), static_cast<uint8_t>(y)) == 1) {
          inv = static_cast<uint8_t>(y);
          break;
        }
      }
      auto rotl = [](uint8_t v, int n) { return static_cast<uint8_t>((v << n) | (v >> (8 - n))); };
      const uint8_t s = static_cast<uint8_t>(inv ^ rotl(inv, 1) ^ rotl(inv, 2) ^ rotl(inv, 3) ^
                                             rotl(inv, 4) ^ 0x63);
      forward[x] = s;
      inverse[s] = static_cast<uint8_t>(x);
    }
  }
};

const SBoxes& sboxes() {
  static const SBoxes boxes;
  return boxes;
}

// Row r, column c of the state.
constexpr unsigned at(unsigned r, unsigned c) {
  return c * 4 + r;
}

State shift_rows(const State& s, bool inverse) {
  State out;
  for (unsigned r = 0; r < 4; ++r) {
    for (unsigned c = 0; c < 4; ++c) {
      out[at(r, c)] = s[at(r, inverse ? (c + 4 - r) % 4 : (c + r) % 4)];
    }
  }
  return out;
}

State sub_bytes(const State& s, bool inverse) {
  const auto& box = inverse ? sboxes().inverse : sboxes().forward;
  State out;
  for (unsigned i = 0; i < 16; ++i) out[i] = box[s[i]];
  return out;
}

// Each column times the circulant matrix with first row m0 m1 m2 m3:
// 2 3 1 1 (MixColumns) or 14 11 13 9 (InvMixColumns).
State mix_columns(const State& s, bool inverse) {
  const uint8_t m[4] = {
      static_cast<uint8_t>(inverse ? 14 : 2), static_cast<uint8_t>(inverse ? 11 : 3),
      static_cast<uint8_t>(inverse ? 13 : 1), static_cast<uint8_t>(inverse ? 9 : 1)};
  State out;
  for (unsigned c = 0; c < 4; ++c) {
    for (unsigned r = 0; r < 4; ++r) {
      uint8_t v = 0;
      for (unsigned k = 0; k < 4; ++k) v ^= gf_mul(m[(k + 4 - r) % 4], s[at(k, c)]);
      out[at(r, c)] = v;
    }
  }
  return out;
}

State xor_key(State s, const State& key) {
  for (unsigned i = 0; i < 16; ++i) s[i] ^= key[i];
  return s;
}

uint32_t sub_word(uint32_t w) {
  uint32_t out = 0;
  for (unsigned i = 0; i < 4; ++i)
    out |= uint32_t{sboxes().forward[(w >> (8 * i)) & 0xff]} << (8 * i);
  return out;
}

// AESKEYGENASSIST: SubWord of source dwords 1 and 3, and RotWord of them
// XORed with the round constant.
State keygen_assist(const State& src, uint32_t rcon) {
  uint32_t d[4];
  std::memcpy(d, src.data(), 16);
  const uint32_t x1 = sub_word(d[1]), x3 = sub_word(d[3]);
  auto rot = [](uint32_t w) { return (w >> 8) | (w << 24); };
  const uint32_t out[4] = {x1, rot(x1) ^ rcon, x3, rot(x3) ^ rcon};
  State r;
  std::memcpy(r.data(), out, 16);
  return r;
}

// Carry-less product of two 64-bit values.
void clmul(uint64_t a, uint64_t b, uint64_t* lo, uint64_t* hi) {
  uint64_t l = 0, h = 0;
  for (unsigned i = 0; i < 64; ++i) {
    if ((b >> i) & 1) {
      l ^= a << i;
      if (i) h ^= a >> (64 - i);
    }
  }
  *lo = l;
  *hi = h;
}

uint32_t rol(uint32_t x, unsigned n) {
  return (x << n) | (x >> (32 - n));
}
uint32_t ror(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

// An XMM register as four dwords, w[3] the most significant (bits 127:96),
// the order the SHA instructions' pseudo-code names them in.
struct Dwords {
  uint32_t w[4];
};
Dwords dwords_of(const State& s) {
  Dwords d;
  std::memcpy(d.w, s.data(), 16);
  return d;
}
State state_of(const Dwords& d) {
  State s;
  std::memcpy(s.data(), d.w, 16);
  return s;
}

// SHA1RNDS4: four SHA-1 rounds on A..D (dst) with W0+E, W1..W3 (src) and the
// round function and constant imm selects.
Dwords sha1_rnds4(const Dwords& dst, const Dwords& src, uint32_t imm) {
  static constexpr uint32_t kK[4] = {0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6};
  auto f = [&](uint32_t b, uint32_t c, uint32_t d) -> uint32_t {
    switch (imm & 3) {
      case 0:
        return (b & c) ^ (~b & d);
      case 2:
        return (b & c) ^ (b & d) ^ (c & d);
      default:
        return b ^ c ^ d;
    }
  };
  uint32_t a = dst.w[3], b = dst.w[2], c = dst.w[1], d = dst.w[0], e = 0;
  const uint32_t w[4] = {src.w[3], src.w[2], src.w[1], src.w[0]};
  for (unsigned i = 0; i < 4; ++i) {
    const uint32_t next = f(b, c, d) + rol(a, 5) + w[i] + e + kK[imm & 3];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = next;
  }
  return {{d, c, b, a}};
}

// SHA256RNDS2: two SHA-256 rounds; A, B, E, F in src, C, D, G, H in dst,
// the two W+K values in XMM0's low dwords.
Dwords sha256_rnds2(const Dwords& dst, const Dwords& src, const Dwords& wk) {
  uint32_t a = src.w[3], b = src.w[2], c = dst.w[3], d = dst.w[2];
  uint32_t e = src.w[1], f = src.w[0], g = dst.w[1], h = dst.w[0];
  for (unsigned i = 0; i < 2; ++i) {
    const uint32_t ch = (e & f) ^ (~e & g);
    const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t sigma1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
    const uint32_t sigma0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
    const uint32_t t = ch + sigma1 + wk.w[i] + h;
    h = g;
    g = f;
    f = e;
    e = t + d;
    d = c;
    c = b;
    b = a;
    a = t + maj + sigma0;
  }
  return {{f, e, b, a}};
}

uint32_t sha256_sigma0(uint32_t w) {
  return ror(w, 7) ^ ror(w, 18) ^ (w >> 3);
}
uint32_t sha256_sigma1(uint32_t w) {
  return ror(w, 17) ^ ror(w, 19) ^ (w >> 10);
}

// The SHA-1 and SHA-256 message and round instructions; dst is the first
// operand, src the second, xmm0 the implicit third of SHA256RNDS2.
State sha_op(M m, const State& dst_state, const State& src_state, const State& xmm0, uint32_t imm) {
  const Dwords d = dwords_of(dst_state), s = dwords_of(src_state);
  switch (m) {
    case M::kSha1rnds4:
      return state_of(sha1_rnds4(d, s, imm));
    case M::kSha1nexte:
      return state_of({{s.w[0], s.w[1], s.w[2], s.w[3] + rol(d.w[3], 30)}});
    case M::kSha1msg1:
      return state_of({{s.w[2] ^ d.w[0], s.w[3] ^ d.w[1], d.w[0] ^ d.w[2], d.w[1] ^ d.w[3]}});
    case M::kSha1msg2: {
      const uint32_t w16 = rol(d.w[3] ^ s.w[2], 1);
      const uint32_t w17 = rol(d.w[2] ^ s.w[1], 1);
      const uint32_t w18 = rol(d.w[1] ^ s.w[0], 1);
      const uint32_t w19 = rol(d.w[0] ^ w16, 1);
      return state_of({{w19, w18, w17, w16}});
    }
    case M::kSha256rnds2:
      return state_of(sha256_rnds2(d, s, dwords_of(xmm0)));
    case M::kSha256msg1:
      return state_of({{d.w[0] + sha256_sigma0(d.w[1]), d.w[1] + sha256_sigma0(d.w[2]),
                        d.w[2] + sha256_sigma0(d.w[3]), d.w[3] + sha256_sigma0(s.w[0])}});
    case M::kSha256msg2: {
      const uint32_t w16 = d.w[0] + sha256_sigma1(s.w[2]);
      const uint32_t w17 = d.w[1] + sha256_sigma1(s.w[3]);
      const uint32_t w18 = d.w[2] + sha256_sigma1(w16);
      const uint32_t w19 = d.w[3] + sha256_sigma1(w17);
      return state_of({{w16, w17, w18, w19}});
    }
    default:
      return dst_state;
  }
}

// dst: an XMM register number; the second operand is lo:hi.
void helper_crypto(CpuState* env, uint32_t mnemonic, uint32_t dst, uint64_t lo, uint64_t hi,
                   uint32_t imm) {
  XmmReg& d = xmm_reg(*env, dst);
  State a, b;
  std::memcpy(a.data(), d.q, 16);
  const uint64_t src[2] = {lo, hi};
  std::memcpy(b.data(), src, 16);
  State r;
  switch (static_cast<M>(mnemonic)) {
    case M::kAesenc:
      r = xor_key(mix_columns(sub_bytes(shift_rows(a, false), false), false), b);
      break;
    case M::kAesenclast:
      r = xor_key(sub_bytes(shift_rows(a, false), false), b);
      break;
    case M::kAesdec:
      r = xor_key(mix_columns(sub_bytes(shift_rows(a, true), true), true), b);
      break;
    case M::kAesdeclast:
      r = xor_key(sub_bytes(shift_rows(a, true), true), b);
      break;
    case M::kAesimc:
      r = mix_columns(b, true);
      break;
    case M::kAeskeygenassist:
      r = keygen_assist(b, imm & 0xff);
      break;
    case M::kPclmulqdq: {
      uint64_t out[2];
      clmul((imm & 0x01) ? d.q[1] : d.q[0], (imm & 0x10) ? hi : lo, &out[0], &out[1]);
      std::memcpy(r.data(), out, 16);
      break;
    }
    default: {
      // The SHA instructions (sha_op leaves anything else as it was).
      State xmm0;
      std::memcpy(xmm0.data(), env->xmm[0].q, 16);
      r = sha_op(static_cast<M>(mnemonic), a, b, xmm0, imm);
      break;
    }
  }
  std::memcpy(d.q, r.data(), 16);
}

}  // namespace

bool is_crypto_instruction(Mnemonic m) {
  switch (m) {
    case M::kAesenc:
    case M::kAesenclast:
    case M::kAesdec:
    case M::kAesdeclast:
    case M::kAesimc:
    case M::kAeskeygenassist:
    case M::kPclmulqdq:
    case M::kSha1rnds4:
    case M::kSha1nexte:
    case M::kSha1msg1:
    case M::kSha1msg2:
    case M::kSha256rnds2:
    case M::kSha256msg1:
    case M::kSha256msg2:
      return true;
    default:
      return false;
  }
}

VX86_HELPER(crypto, helper_crypto, tcg::kHelperReadsState | tcg::kHelperWritesState)

}  // namespace vx86::x86
