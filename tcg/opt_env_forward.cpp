#include <vector>

#include "tcg/optimizer.h"

namespace vx86::tcg {

namespace {

// What a basic block already knows of 1, 2, 4 or 8 env bytes at one offset:
// temp `value` holds them (in its low `bytes` bytes).
struct Known {
  uint64_t offset;
  unsigned bytes;
  uint32_t value;
  uint32_t version;  // of `value` when recorded: a later write makes it stale
};

// The stores this pass records (a byte or word store is known only to the
// narrow loads below); 0 for anything else.
unsigned recorded_store_bytes(Opcode opc) {
  switch (opc) {
    case Opcode::st8_i32:
    case Opcode::st8_i64:
      return 1;
    case Opcode::st16_i32:
    case Opcode::st16_i64:
      return 2;
    case Opcode::st_i32:
    case Opcode::st32_i64:
      return 4;
    case Opcode::st_i64:
      return 8;
    default:
      return 0;
  }
}

unsigned word_load_bytes(Opcode opc) {
  switch (opc) {
    case Opcode::ld_i32:
    case Opcode::ld32u_i64:
      return 4;
    case Opcode::ld_i64:
      return 8;
    default:
      return 0;
  }
}

// A load of fewer bytes than a known value's reads its low bytes (env is
// little-endian): the same as extending the value, when the value's type is
// the load's. Returns the extension, or nop for anything else.
struct NarrowLoad {
  unsigned bytes;
  Opcode from_same_type;
};
NarrowLoad narrow_load(Opcode opc) {
  switch (opc) {
    case Opcode::ld8u_i32:
      return {1, Opcode::ext8u_i32};
    case Opcode::ld8s_i32:
      return {1, Opcode::ext8s_i32};
    case Opcode::ld16u_i32:
      return {2, Opcode::ext16u_i32};
    case Opcode::ld16s_i32:
      return {2, Opcode::ext16s_i32};
    case Opcode::ld8u_i64:
      return {1, Opcode::ext8u_i64};
    case Opcode::ld8s_i64:
      return {1, Opcode::ext8s_i64};
    case Opcode::ld16u_i64:
      return {2, Opcode::ext16u_i64};
    case Opcode::ld16s_i64:
      return {2, Opcode::ext16s_i64};
    case Opcode::ld32s_i64:
      return {4, Opcode::ext32s_i64};
    default:
      return {0, Opcode::nop};
  }
}

}  // namespace

void opt_env_forward(Block& block) {
  // Per-thread storage: the pass runs for every block.
  static thread_local std::vector<uint32_t> version;
  static thread_local std::vector<Known> known;
  version.assign(block.temps.size(), 0);
  known.clear();
  auto forget_overlapping = [&](uint64_t lo, uint64_t hi) {
    std::erase_if(known, [&](const Known& k) { return k.offset < hi && lo < k.offset + k.bytes; });
  };
  auto find = [&](uint64_t offset) -> const Known* {
    for (const Known& k : known) {
      if (k.offset == offset && version[k.value] == k.version) return &k;
    }
    return nullptr;
  };
  for (Op& op : block.ops) {
    if (op.opc == Opcode::set_label) {
      known.clear();
      continue;
    }
    if (const NarrowLoad narrow = narrow_load(op.opc); narrow.bytes) {
      const uint32_t dest = op.out(0);
      const Known* k = find(op.cst(0));
      if (k && k->bytes >= narrow.bytes && block.temp(k->value).type == block.temp(dest).type) {
        op = make_op(narrow.from_same_type, {dest, k->value});
      }
      ++version[dest];
      continue;
    }
    const unsigned load_bytes = word_load_bytes(op.opc);
    if (load_bytes) {
      const uint32_t dest = op.out(0);
      const Known* k = find(op.cst(0));
      if (k && k->bytes >= load_bytes) {
        const bool value64 = block.temp(k->value).type == Type::kI64;
        Opcode replacement;
        if (op.opc == Opcode::ld_i64)
          replacement = Opcode::mov_i64;  // k->bytes == 8: an i64
        else if (op.opc == Opcode::ld32u_i64)
          replacement = value64 ? Opcode::ext32u_i64 : Opcode::extu_i32_i64;
        else
          replacement = value64 ? Opcode::extrl_i64_i32 : Opcode::mov_i32;
        op = make_op(replacement, {dest, k->value});
        ++version[dest];
        continue;
      }
      ++version[dest];
      forget_overlapping(op.cst(0), op.cst(0) + load_bytes);  // dest now stands for them
      if (!block.is_const(dest)) known.push_back({op.cst(0), load_bytes, dest, version[dest]});
      continue;
    }
    const unsigned store_bytes = recorded_store_bytes(op.opc);
    const unsigned bytes = env_access_size(op.opc);
    if (bytes && (op_flags(op) & kOpWritesEnv)) {
      forget_overlapping(op.cst(0), op.cst(0) + bytes);
      if (store_bytes) {
        const uint32_t value = op.in(0);
        known.push_back({op.cst(0), store_bytes, value, version[value]});
      }
      continue;
    }
    // A helper that writes state may write any of it.
    if (op_flags(op) & kOpWritesEnv) known.clear();
    for (unsigned i = 0; i < op.nout; ++i) ++version[op.out(i)];
  }
}

}  // namespace vx86::tcg
