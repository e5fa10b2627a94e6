// A small encoder for ACPI Machine Language (ACPI 6.4, chapter 20): just the
// terms the pc machine's DSDT needs (names, scopes, devices, packages,
// integers, strings, buffers, resource templates, and the operation regions,
// fields and small methods of PCI hot-plug). Hand-written because
// Debian packages no AML assembler library; iasl is only a tool (the tests
// use it to disassemble what this produces).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vx86::aml {

using Bytes = std::vector<uint8_t>;

// A NameString: "_SB_", "\\_SB_", "\\_SB_.PCI0"; segments shorter than four
// characters are padded with '_'.
Bytes name_string(const std::string& path);
// The smallest encoding of an integer (ZeroOp, OneOp, Byte/Word/DWord/QWord).
Bytes integer(uint64_t value);
Bytes string(const std::string& text);
// EisaId("PNP0A03") as its 32-bit compressed form.
Bytes eisa_id(const std::string& id);
Bytes buffer(const Bytes& data);
Bytes package(const std::vector<Bytes>& elements);

Bytes name(const std::string& path, const Bytes& object);
Bytes scope(const std::string& path, const Bytes& terms);
Bytes device(const std::string& path, const Bytes& terms);
// Method(path, 0) { Return(value) }.
Bytes method_returning(const std::string& path, const Bytes& value);
// Method(path, args, NotSerialized) { terms }.
Bytes method(const std::string& path, unsigned args, const Bytes& terms);

// OperationRegion(name, SystemIO, address, length).
Bytes io_region(const std::string& name, uint16_t address, uint16_t length);
// Field(region, DWordAcc, NoLock, WriteAsZeros) { units... }: named fields
// of `bits` bits each, one after another from the region's start.
struct FieldUnit {
  std::string name;
  unsigned bits;
};
Bytes dword_field(const std::string& region, const std::vector<FieldUnit>& units);

// Expressions and statements (a name reference is just name_string(path)).
Bytes local(unsigned index);  // Local0-Local7
Bytes arg(unsigned index);    // Arg0-Arg6
Bytes store(const Bytes& source, const Bytes& target);
Bytes bit_and(const Bytes& left, const Bytes& right);  // And(left, right) with no target
Bytes if_then(const Bytes& predicate, const Bytes& terms);
Bytes if_then_else(const Bytes& predicate, const Bytes& terms, const Bytes& else_terms);
Bytes bit_and_to(const Bytes& left, const Bytes& right, const Bytes& target);  // And(l, r, t)
Bytes bit_or_to(const Bytes& left, const Bytes& right, const Bytes& target);   // Or(l, r, t)
Bytes equal(const Bytes& left, const Bytes& right);                            // LEqual
Bytes not_equal(const Bytes& left, const Bytes& right);                        // LNotEqual
Bytes return_value(const Bytes& value);
// CreateDWordField(source, byte_index, name).
Bytes create_dword_field(const Bytes& source, unsigned byte_index, const std::string& name);
// ToUUID("aabbccdd-eeff-gghh-iijj-kkllmmnnoopp"): its 16-byte buffer.
Bytes uuid(const std::string& text);
Bytes notify(const Bytes& object, const Bytes& value);
// A method call: path(args...).
Bytes call(const std::string& path, const std::vector<Bytes>& args);

// Concatenates term lists.
Bytes join(const std::vector<Bytes>& parts);

// Resource descriptors (ACPI 6.4, 6.4) for a ResourceTemplate().
namespace resource {
Bytes io(uint16_t min, uint16_t max, uint8_t alignment, uint8_t length);
Bytes irq_no_flags(uint8_t irq);
Bytes word_bus_number(uint16_t min, uint16_t max);
Bytes word_io(uint16_t min, uint16_t max);
Bytes dword_memory(uint32_t min, uint32_t max);
Bytes qword_memory(uint64_t min, uint64_t max);
Bytes fixed_memory32(uint32_t base, uint32_t length);
// Appends the end tag.
Bytes template_of(const std::vector<Bytes>& descriptors);
}  // namespace resource

}  // namespace vx86::aml
