#include "tcg/insn_table.h"

#include <algorithm>

namespace vx86::tcg {

namespace {

void put_varint(std::vector<uint8_t>* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

uint64_t get_varint(const uint8_t** p) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const uint8_t byte = *(*p)++;
    v |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return v;
  }
}

// Guest addresses go up and down between instructions by small amounts:
// zigzag keeps small negative steps small.
uint64_t zigzag(uint64_t delta) {
  return (delta << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(delta) >> 63);
}
uint64_t unzigzag(uint64_t v) {
  return (v >> 1) ^ (0 - (v & 1));
}

// Decodes the record after `r` (the one before it, or zeros for the first).
void next_record(const uint8_t** p, InsnTable::Record* r) {
  r->data[0] += unzigzag(get_varint(p));
  r->data[1] = get_varint(p);
  r->offset += static_cast<uint32_t>(get_varint(p));
}

}  // namespace

InsnTable::InsnTable(const std::vector<std::array<uint64_t, 2>>& data,
                     const std::vector<uint32_t>& offsets)
    : count_(static_cast<uint32_t>(data.size())),
      end_offset_(offsets.size() > data.size() ? offsets[data.size()] : 0) {
  std::vector<uint8_t> packed;
  packed.reserve(4 * data.size());
  uint64_t prev_data0 = 0;
  uint32_t prev_offset = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    put_varint(&packed, zigzag(data[i][0] - prev_data0));
    put_varint(&packed, data[i][1]);
    const uint32_t offset = i < offsets.size() ? offsets[i] : prev_offset;
    put_varint(&packed, offset - prev_offset);  // offsets only grow
    prev_data0 = data[i][0];
    prev_offset = offset;
  }
  bytes_ = std::make_unique<uint8_t[]>(packed.size());
  std::copy(packed.begin(), packed.end(), bytes_.get());
}

InsnTable::Record InsnTable::at(size_t ordinal) const {
  Record r;
  const uint8_t* p = bytes_.get();
  for (size_t i = 0; i <= ordinal; ++i) next_record(&p, &r);
  return r;
}

std::vector<InsnTable::Record> InsnTable::all() const {
  std::vector<Record> out;
  Record r;
  const uint8_t* p = bytes_.get();
  for (size_t i = 0; i < count_; ++i) {
    next_record(&p, &r);
    out.push_back(r);
  }
  return out;
}

}  // namespace vx86::tcg
