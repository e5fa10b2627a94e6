// The IR of the dynamic binary translator: typed temporaries, three-address ops,
// explicit labels, and no implicit state. Every op is defined once, in
// tcg/ir_ops.def; this header turns that table into the Opcode enum and the
// OpDef descriptors that the builder, verifier, printer, passes and backends use.
//
// A Block is what one translation produces: a vector of ops, a temp table and
// a label count. Op arguments are plain integers: temp indices for outputs and
// inputs, then constants (labels, conditions, offsets, immediates) in the
// order the op's signature lists them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vx86::tcg {

enum class Type : uint8_t { kI32, kI64, kV128 };

const char* type_name(Type t);

// ---- op flags ----
enum OpFlag : uint32_t {
  kOpEndsBlock = 1u << 0,    // control never falls through to the next op
  kOpBranch = 1u << 1,       // references a label (br, brcond)
  kOpSideEffects = 1u << 2,  // must not be removed even if its outputs are unused
  kOpMayFault = 1u << 3,     // may raise a guest exception (stops the block)
  kOpCall = 1u << 4,         // calls a helper
  kOpReadsEnv = 1u << 5,     // reads the guest state block
  kOpWritesEnv = 1u << 6,    // writes the guest state block
  kOpLabel = 1u << 7,        // defines a label (starts a basic block)
  kOpExit = 1u << 8,         // leaves the block (returns to the run loop or chains)
  kOpVariadic = 1u << 9,     // operands described elsewhere (call); set by the parser
};

// ---- the opcode enum ----
enum class Opcode : uint16_t {
#define OP(name, sig, flags) name,
#include "tcg/ir_ops.def"
#undef OP
  kCount
};
constexpr unsigned kNumOpcodes = static_cast<unsigned>(Opcode::kCount);

// Kinds of constant operands (the letters of the signature after ':').
enum class ConstKind : uint8_t {
  kCond = 'c',
  kLabel = 'L',
  kEnvOffset = 'o',
  kMemOp = 'm',
  kMemIndex = 'x',
  kImm64 = 'k',
  kBitPos = 'p',
  kCount = 'n',
  kSlot = 's',
};

constexpr unsigned kMaxOpArgs = 8;   // call: 1 result + 6 args + helper
constexpr unsigned kMaxOutputs = 2;  // mulu2/muls2
constexpr unsigned kMaxHelperArgs = 6;

struct OpDef {
  const char* name = "";
  uint8_t nout = 0, nin = 0, nconst = 0;
  Type out[kMaxOutputs] = {};
  Type in[kMaxOpArgs] = {};
  ConstKind cst[kMaxOpArgs] = {};
  uint32_t flags = 0;
  constexpr unsigned nargs() const { return nout + nin + nconst; }
};

namespace detail {
constexpr Type type_letter(char c) {
  if (c == 'i') return Type::kI32;
  if (c == 'l') return Type::kI64;
  if (c == 'v') return Type::kV128;
  throw "bad type letter in ir_ops.def";  // compile-time error in a constant expression
}
constexpr ConstKind const_letter(char c) {
  switch (c) {
    case 'c':
    case 'L':
    case 'o':
    case 'm':
    case 'x':
    case 'k':
    case 'p':
    case 'n':
    case 's':
      return static_cast<ConstKind>(c);
    default:
      throw "bad constant letter in ir_ops.def";
  }
}
constexpr OpDef parse_op_def(const char* name, const char* sig, uint32_t flags) {
  OpDef d;
  d.name = name;
  d.flags = flags;
  if (sig[0] == '*' && sig[1] == 0) {
    d.flags |= kOpVariadic;
    return d;
  }
  int i = 0;
  for (; sig[i] != '='; ++i) d.out[d.nout++] = type_letter(sig[i]);
  ++i;
  for (; sig[i] != 0 && sig[i] != ':'; ++i) d.in[d.nin++] = type_letter(sig[i]);
  if (sig[i] == ':') {
    for (++i; sig[i] != 0; ++i) d.cst[d.nconst++] = const_letter(sig[i]);
  }
  if (d.nargs() > kMaxOpArgs || d.nout > kMaxOutputs) throw "too many operands";
  return d;
}
}  // namespace detail

inline constexpr OpDef kOpDefs[] = {
#define OP(name, sig, flags) detail::parse_op_def(#name, sig, flags),
#include "tcg/ir_ops.def"
#undef OP
};
static_assert(sizeof(kOpDefs) / sizeof(kOpDefs[0]) == kNumOpcodes);

constexpr const OpDef& op_def(Opcode opc) {
  return kOpDefs[static_cast<unsigned>(opc)];
}
inline const char* op_name(Opcode opc) {
  return op_def(opc).name;
}

// ---- conditions ----
enum class Cond : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kLtu, kLeu, kGtu, kGeu };
constexpr unsigned kNumConds = 10;
const char* cond_name(Cond c);
Cond cond_invert(Cond c);  // !(a c b) == (a invert(c) b)
Cond cond_swap(Cond c);    // (a c b) == (b swap(c) a)

// ---- guest memory access descriptors ----
// Low 3 bits: log2 of the size (0..4 = 1..16 bytes); kMoSign sign-extends loads.
enum MemOp : uint32_t {
  kMo8 = 0,
  kMo16 = 1,
  kMo32 = 2,
  kMo64 = 3,
  kMo128 = 4,
  kMoSizeMask = 7,
  kMoSign = 8,
};
constexpr MemOp operator|(MemOp a, MemOp b) {
  return static_cast<MemOp>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
constexpr unsigned memop_size(uint32_t mo) {
  return 1u << (mo & kMoSizeMask);
}
constexpr bool memop_signed(uint32_t mo) {
  return (mo & kMoSign) != 0;
}
std::string memop_name(uint32_t mo);  // "ub", "sw", "ul", "uq", "o"

// ---- helpers ----
// Every helper has one calling convention so a backend can call it without
// per-helper glue: the guest state pointer first, then six 64-bit arguments
// (i32 arguments zero-extended, unused ones zero); the result is truncated to
// its declared type. make_helper() in tcg/helper.h adapts typed functions.
using HelperFn = uint64_t (*)(void* env, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                              uint64_t);

enum HelperFlag : uint32_t {
  kHelperReadsState = 1u << 0,
  kHelperWritesState = 1u << 1,
  kHelperMayFault = 1u << 2,       // may throw GuestFault
  kHelperNoSideEffects = 1u << 3,  // pure: removable when its result is unused
};

struct HelperInfo {
  const char* name = "";
  HelperFn fn = nullptr;
  uint32_t flags = 0;
  bool has_result = false;
  Type result = Type::kI64;
  uint8_t nargs = 0;
  Type args[kMaxHelperArgs] = {};
};

// ---- temporaries, labels, ops, blocks ----
constexpr uint32_t kNoTemp = UINT32_MAX;

// Handles the builder hands out; strong types so arguments cannot be mixed up.
struct Temp {
  uint32_t id = kNoTemp;
  bool valid() const { return id != kNoTemp; }
  bool operator==(const Temp&) const = default;
};
struct Label {
  uint32_t id = UINT32_MAX;
  bool operator==(const Label&) const = default;
};

struct TempInfo {
  Type type = Type::kI64;
  bool is_const = false;  // a constant temp: never written, value below
  uint64_t value = 0;     // i32 constants are stored zero-extended
};

struct Op {
  Opcode opc = Opcode::nop;
  uint8_t nout = 0, nin = 0, nconst = 0;
  std::array<uint64_t, kMaxOpArgs> args{};

  uint32_t out(unsigned i) const { return static_cast<uint32_t>(args[i]); }
  uint32_t in(unsigned i) const { return static_cast<uint32_t>(args[nout + i]); }
  uint64_t cst(unsigned i) const { return args[nout + nin + i]; }
  void set_in(unsigned i, uint32_t t) { args[nout + i] = t; }
  unsigned nargs() const { return nout + nin + nconst; }
  const OpDef& def() const { return op_def(opc); }
  const HelperInfo* helper() const {  // call only
    return reinterpret_cast<const HelperInfo*>(static_cast<uintptr_t>(cst(0)));
  }
};

// Builds an op with the arity its OpDef gives (not for call).
Op make_op(Opcode opc, std::initializer_list<uint64_t> args);

// Effective flags: the table's flags, plus for a call those its helper declares.
uint32_t op_flags(const Op& op);

// True if removing the op changes nothing but its outputs (dead-code candidates).
bool op_is_pure(const Op& op);

// Bytes of the guest state an env load or store (ld*/st*) accesses; 0 for other ops.
unsigned env_access_size(Opcode opc);

class Block {
 public:
  std::vector<Op> ops;
  std::vector<TempInfo> temps;
  uint32_t num_labels = 0;

  Temp new_temp(Type t);
  // Constant temps are shared: one per (type, value) in a block.
  Temp const_temp(Type t, uint64_t value);
  Label new_label() { return Label{num_labels++}; }

  const TempInfo& temp(uint32_t id) const { return temps[id]; }
  bool is_const(uint32_t id) const { return temps[id].is_const; }
  uint64_t const_value(uint32_t id) const { return temps[id].value; }

  // Drops nop ops (passes mark removed ops as nop, then compact once).
  void remove_nops();
  // Empties the block and keeps its memory, for the next translation.
  void clear();

 private:
  // The constant temps by (type, value): open addressing over temp id + 1
  // (0: free). An entry is checked against temps, so a stale one is skipped.
  std::vector<uint32_t> const_slots_;
  uint32_t const_count_ = 0;
  uint32_t& const_slot(Type t, uint64_t value);
  void grow_const_slots();
};

// Width mask for an integer type.
constexpr uint64_t type_mask(Type t) {
  return t == Type::kI32 ? 0xffffffffull : ~0ull;
}
constexpr unsigned type_bits(Type t) {
  return t == Type::kI32 ? 32 : t == Type::kI64 ? 64 : 128;
}

}  // namespace vx86::tcg
