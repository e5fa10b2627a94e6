#include "hw/misc/fw_cfg.h"

#include <algorithm>
#include <cstring>

#include "core/log.h"

namespace vx86 {

namespace {

uint32_t byte_swap32(uint32_t v) {
  return __builtin_bswap32(v);
}

void put_be16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  put_be16(out, static_cast<uint16_t>(v >> 16));
  put_be16(out, static_cast<uint16_t>(v));
}

std::vector<uint8_t> little_endian(uint64_t v, unsigned bytes) {
  std::vector<uint8_t> out(bytes);
  for (unsigned i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

}  // namespace

FwCfg::FwCfg(AddressSpace& dma) : Device("fw_cfg"), dma_(dma) {
  ports_ = MemoryRegion::io("fwcfg", 2, &port_ops_, {1, 2, true});
  dma_port_ = MemoryRegion::io("fwcfg.dma", 8, &dma_ops_, {1, 4, false});
  add_bytes(kSignature, {'Q', 'E', 'M', 'U'});
  add_u32(kId, kFeatureTraditional | kFeatureDma);
  rebuild_file_dir();
}

FwCfg::~FwCfg() {
  for (MemoryRegion* r : {ports_.get(), dma_port_.get()}) {
    if (r->parent()) r->parent()->remove_subregion(r);
  }
}

void FwCfg::map(MemoryRegion& io_space) {
  io_space.add_subregion(kIoBase, ports_.get());
  io_space.add_subregion(kDmaIoBase, dma_port_.get());
}

void FwCfg::add_bytes(uint16_t key, std::vector<uint8_t> bytes) {
  items_[key] = std::move(bytes);
}

void FwCfg::add_u16(uint16_t key, uint16_t value) {
  add_bytes(key, little_endian(value, 2));
}

void FwCfg::add_u32(uint16_t key, uint32_t value) {
  add_bytes(key, little_endian(value, 4));
}

void FwCfg::add_u64(uint16_t key, uint64_t value) {
  add_bytes(key, little_endian(value, 8));
}

void FwCfg::add_file(const std::string& name, std::vector<uint8_t> bytes) {
  const uint16_t key = static_cast<uint16_t>(kFileFirst + files_.size());
  files_.emplace_back(name.substr(0, kFileNameSize - 1), key);
  add_bytes(key, std::move(bytes));
  rebuild_file_dir();
}

void FwCfg::set_file(const std::string& name, std::vector<uint8_t> bytes) {
  for (const auto& [file_name, key] : files_) {
    if (file_name == name.substr(0, kFileNameSize - 1)) {
      add_bytes(key, std::move(bytes));
      rebuild_file_dir();
      return;
    }
  }
  add_file(name, std::move(bytes));
}

void FwCfg::rebuild_file_dir() {
  // FWCfgFiles: a big-endian count, then {size, select, reserved, name[56]},
  // sorted by name as QEMU keeps them.
  std::vector<std::pair<std::string, uint16_t>> sorted = files_;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint8_t> dir;
  put_be32(dir, static_cast<uint32_t>(sorted.size()));
  for (const auto& [name, key] : sorted) {
    put_be32(dir, static_cast<uint32_t>(items_[key].size()));
    put_be16(dir, key);
    put_be16(dir, 0);
    std::vector<uint8_t> field(kFileNameSize, 0);
    std::copy(name.begin(), name.end(), field.begin());
    dir.insert(dir.end(), field.begin(), field.end());
  }
  items_[kFileDir] = std::move(dir);
}

void FwCfg::reset() {
  selected_ = 0;
  offset_ = 0;
  dma_high_ = 0;
}

const std::vector<uint8_t>* FwCfg::current() const {
  auto it = items_.find(selected_);
  return it == items_.end() ? nullptr : &it->second;
}

void FwCfg::select(uint16_t key) {
  selected_ = key;
  offset_ = 0;
}

uint8_t FwCfg::read_data() {
  const std::vector<uint8_t>* item = current();
  if (!item || offset_ >= item->size()) return 0;  // past the end (or no item): zeros
  return (*item)[offset_++];
}

void FwCfg::write_dma_address(bool high, uint32_t big_endian_half) {
  const uint32_t half = byte_swap32(big_endian_half);
  if (high) {
    dma_high_ = half;
    return;
  }
  run_dma(static_cast<uint64_t>(dma_high_) << 32 | half);
  dma_high_ = 0;
}

void FwCfg::run_dma(uint64_t address) {
  uint8_t access[16];
  if (dma_.read_buffer(address, access, sizeof access) != MemTxResult::kOk) {
    VX86_LOG(kLogGuestErrors, "fw_cfg: DMA access structure at 0x%llx unreadable\n",
             static_cast<unsigned long long>(address));
    return;
  }
  auto be32 = [&](unsigned at) {
    return static_cast<uint32_t>(access[at]) << 24 | access[at + 1] << 16 | access[at + 2] << 8 |
           access[at + 3];
  };
  uint32_t control = be32(0);
  const uint32_t length = be32(4);
  const uint64_t buffer = static_cast<uint64_t>(be32(8)) << 32 | be32(12);
  if (control & kDmaSelect) select(static_cast<uint16_t>(control >> 16));
  bool error = false;
  if (control & kDmaWrite) {
    error = true;  // every item here is read-only
  } else if (control & kDmaRead) {
    const std::vector<uint8_t>* item = current();
    std::vector<uint8_t> bytes(length, 0);  // past the end reads zeros
    if (item && offset_ < item->size()) {
      const std::size_t n = std::min<std::size_t>(length, item->size() - offset_);
      std::memcpy(bytes.data(), item->data() + offset_, n);
    }
    error = dma_.write_buffer(buffer, bytes.data(), bytes.size()) != MemTxResult::kOk;
    offset_ += length;
  } else if (control & kDmaSkip) {
    offset_ += length;
  }
  // Done: the control word reads 0, or the error bit.
  const uint32_t done = byte_swap32(error ? kDmaError : 0);
  dma_.write_buffer(address, &done, sizeof done);
}

uint64_t FwCfg::port_read(uint64_t offset, unsigned size) {
  if (offset == 1 && size == 1) return read_data();
  return 0;  // the selector is write-only
}

void FwCfg::port_write(uint64_t offset, uint64_t value, unsigned size) {
  if (offset == 0 && size == 2) {
    select(static_cast<uint16_t>(value));
  } else {
    VX86_LOG(kLogGuestErrors, "fw_cfg: %u-byte write at port 0x%llx ignored\n", size,
             static_cast<unsigned long long>(kIoBase + offset));
  }
}

uint64_t FwCfg::dma_register_read(uint64_t offset, unsigned size) {
  // "QEMU CFG", big-endian, as the byte at each offset.
  uint64_t v = 0;
  for (unsigned i = 0; i < size && offset + i < 8; ++i) {
    v |= ((kDmaSignature >> (56 - 8 * (offset + i))) & 0xFF) << (8 * i);
  }
  return v;
}

void FwCfg::dma_register_write(uint64_t offset, uint64_t value, unsigned size) {
  if (size != 4 || (offset != 0 && offset != 4)) {
    VX86_LOG(kLogGuestErrors, "fw_cfg: %u-byte DMA register write at +%llu ignored\n", size,
             static_cast<unsigned long long>(offset));
    return;
  }
  write_dma_address(offset == 0, static_cast<uint32_t>(value));
}

}  // namespace vx86
