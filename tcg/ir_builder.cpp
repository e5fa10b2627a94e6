#include "tcg/ir_builder.h"

#include <cstdio>
#include <cstdlib>

#include "tcg/ir_verify.h"

namespace vx86::tcg {

void IrBuilder::emit(const Op& op) {
  std::string err;
  if (checking_ && !verify_op(block_, op, &err)) {
    std::fprintf(stderr, "tcg: bad op emitted: %s\n", err.c_str());
    std::abort();
  }
  block_.ops.push_back(op);
}

void IrBuilder::call_helper(const HelperInfo& h, Temp result, std::initializer_list<Temp> args) {
  Op op;
  op.opc = Opcode::call;
  op.nout = result.valid() ? 1 : 0;
  op.nin = static_cast<uint8_t>(args.size());
  op.nconst = 1;
  if (args.size() > kMaxHelperArgs) {
    std::fprintf(stderr, "tcg: helper %s called with %zu arguments\n", h.name, args.size());
    std::abort();
  }
  unsigned i = 0;
  if (result.valid()) op.args[i++] = result.id;
  for (Temp t : args) op.args[i++] = t.id;
  op.args[i] = reinterpret_cast<uintptr_t>(&h);
  emit(op);
}

}  // namespace vx86::tcg
