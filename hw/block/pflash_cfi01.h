// A parallel NOR flash with the Intel/Sharp command set (CFI command set
// 0001), as QEMU's pflash_cfi01 gives x86 guests for `-drive if=pflash`:
// OVMF keeps its UEFI variables in one (OVMF_VARS.fd). In read-array mode
// the contents read as memory (a ROM device whose writes are commands);
// the other modes lay a register window over it. Commands: read array
// (0xFF, 0x00), program (0x10/0x40, then the data), block erase (0x20,
// then 0xD0; 4 KiB blocks, as QEMU's), read status (0x70), clear status
// (0x50). What the guest programs or erases goes back to the drive's file
// through `persist`. Read ID and CFI query (0x90, 0x98) read 0, logged
// under -d unimp; buffered and suspend commands are not there either.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/member_io_ops.h"
#include "core/memory.h"

namespace vx86 {

class PflashCfi01 : public Device {
 public:
  static constexpr uint64_t kBlockSize = 4096;
  static constexpr uint8_t kStatusReady = 0x80;
  static constexpr uint8_t kStatusEraseError = 0x20;
  static constexpr uint8_t kStatusProgramError = 0x10;
  // Stores [offset, offset + bytes.size()) of the contents in the backing file.
  using Persist = std::function<void(uint64_t offset, std::vector<uint8_t> bytes)>;

  PflashCfi01(std::string name, const std::vector<uint8_t>& contents, bool read_only,
              Persist persist);
  ~PflashCfi01() override;

  // Places the flash at base in memory (above RAM and ROM).
  void map(MemoryRegion& memory, uint64_t base, int priority);
  uint64_t size() const { return array_->size(); }
  const uint8_t* contents() const { return array_->host_ptr(); }

  void reset() override;
  void visit_state(StateVisitor& v) override;

 private:
  enum class Mode : uint8_t { kReadArray, kReadStatus, kProgram, kEraseSetup, kQuery };
  uint64_t command_read(uint64_t offset, unsigned size);
  void command_write(uint64_t offset, uint64_t value, unsigned size);
  void set_mode(Mode mode);

  bool read_only_;
  Persist persist_;
  MemberIoOps<PflashCfi01, &PflashCfi01::command_read, &PflashCfi01::command_write> ops_;
  std::unique_ptr<MemoryRegion> container_;
  std::unique_ptr<MemoryRegion> array_;    // the contents, read as memory
  std::unique_ptr<MemoryRegion> overlay_;  // the register window, outside read-array mode
  Mode mode_ = Mode::kReadArray;
  uint8_t status_ = 0;
};

}  // namespace vx86
