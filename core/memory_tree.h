// `info mtree`: the region tree of an address space as QEMU prints it
// ("START-END (prio P, KIND): NAME", nested by containment, aliases with
// their target), or with `flat` the flattened map the CPUs actually see.
#pragma once

#include <string>

#include "core/memory.h"

namespace vx86 {

std::string describe_memory_tree(const AddressSpace& space);
std::string describe_flat_view(const AddressSpace& space);

}  // namespace vx86
