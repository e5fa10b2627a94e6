#include "hw/block/pflash_cfi01.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr uint8_t kReadArray = 0xff, kReadArrayAlt = 0x00, kProgram = 0x10, kProgramAlt = 0x40,
                  kBlockErase = 0x20, kEraseConfirm = 0xd0, kReadStatus = 0x70, kClearStatus = 0x50,
                  kReadId = 0x90, kCfiQuery = 0x98;

uint64_t repeat_byte(uint8_t b, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t{b} << (8 * i);
  return v;
}

}  // namespace

PflashCfi01::PflashCfi01(std::string name, const std::vector<uint8_t>& contents, bool read_only,
                         Persist persist)
    : Device(name), read_only_(read_only), persist_(std::move(persist)), ops_(*this) {
  if (contents.empty() || contents.size() % kBlockSize != 0) {
    throw std::invalid_argument(name + ": the flash's size must be a multiple of 4 KiB");
  }
  container_ = MemoryRegion::container(name, contents.size());
  array_ = MemoryRegion::rom_device(name + "-array", contents.size(), &ops_);
  std::copy(contents.begin(), contents.end(), array_->host_ptr());
  overlay_ = MemoryRegion::io(name + "-registers", contents.size(), &ops_, {1, 8, true});
  overlay_->set_enabled(false);
  container_->add_subregion(0, array_.get());
  container_->add_subregion(0, overlay_.get(), 1);
}

PflashCfi01::~PflashCfi01() {
  if (container_->parent()) container_->parent()->remove_subregion(container_.get());
}

void PflashCfi01::map(MemoryRegion& memory, uint64_t base, int priority) {
  memory.add_subregion(base, container_.get(), priority);
}

void PflashCfi01::set_mode(Mode mode) {
  if (mode == mode_) return;
  mode_ = mode;
  // Each change rebuilds the flat views: only when the window comes or goes.
  const bool window = mode != Mode::kReadArray;
  if (overlay_->enabled() != window) overlay_->set_enabled(window);
}

uint64_t PflashCfi01::command_read(uint64_t offset, unsigned size) {
  switch (mode_) {
    case Mode::kReadArray: {
      uint64_t v = 0;
      std::memcpy(&v, array_->host_ptr() + offset, size);
      return v;
    }
    case Mode::kQuery:
      return 0;
    default:
      return repeat_byte(status_, size);
  }
}

void PflashCfi01::command_write(uint64_t offset, uint64_t value, unsigned size) {
  if (read_only_) {
    VX86_LOG(kLogGuestErrors, "%s: write to read-only flash at 0x%llx ignored\n",
             type_name().c_str(), static_cast<unsigned long long>(offset));
    return;
  }
  const uint8_t command = static_cast<uint8_t>(value);
  switch (mode_) {
    case Mode::kProgram: {
      // QEMU's flash stores the data as written (a real one could only clear bits).
      std::vector<uint8_t> bytes(size);
      std::memcpy(bytes.data(), &value, size);
      std::memcpy(array_->host_ptr() + offset, bytes.data(), size);
      if (persist_) persist_(offset, std::move(bytes));
      status_ |= kStatusReady;
      return set_mode(Mode::kReadStatus);
    }
    case Mode::kEraseSetup: {
      if (command != kEraseConfirm) {
        status_ |= kStatusEraseError | kStatusProgramError;  // command sequence error
        return set_mode(Mode::kReadStatus);
      }
      const uint64_t block = offset & ~(kBlockSize - 1);
      std::memset(array_->host_ptr() + block, 0xff, kBlockSize);
      if (persist_) persist_(block, std::vector<uint8_t>(kBlockSize, 0xff));
      status_ |= kStatusReady;
      return set_mode(Mode::kReadStatus);
    }
    default:
      break;
  }
  switch (command) {
    case kReadArray:
    case kReadArrayAlt:
      return set_mode(Mode::kReadArray);
    case kProgram:
    case kProgramAlt:
      return set_mode(Mode::kProgram);
    case kBlockErase:
      return set_mode(Mode::kEraseSetup);
    case kReadStatus:
      return set_mode(Mode::kReadStatus);
    case kClearStatus:
      status_ = 0;
      return set_mode(Mode::kReadArray);
    case kReadId:
    case kCfiQuery:
      VX86_LOG(kLogUnimp, "%s: read ID and CFI query (0x%02x) read 0\n", type_name().c_str(),
               command);
      return set_mode(Mode::kQuery);
    default:
      VX86_LOG(kLogUnimp, "%s: flash command 0x%02x not implemented\n", type_name().c_str(),
               command);
      return set_mode(Mode::kReadArray);
  }
}

void PflashCfi01::reset() {
  status_ = 0;
  set_mode(Mode::kReadArray);
}

void PflashCfi01::visit_state(StateVisitor& v) {
  v.field("status", status_);
  Mode mode = mode_;
  v.field("mode", mode);
  if (v.loading()) set_mode(mode);
  v.bytes("contents", array_->host_ptr(), array_->size());
}

}  // namespace vx86
