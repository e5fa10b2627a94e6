// The -drive options (and -hda/-cdrom): each is checked, opened as a
// BlockBackend and offered to disk devices as a DriveBackend. Drives with
// if=virtio get a virtio-blk-pci of their own; if=none ones wait for
// "-device virtio-blk-pci,drive=ID"; IDE is refused until it exists.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/options.h"
#include "hw/block/drive_backend.h"

namespace vx86 {

class BlockBackend;

class Drives {
 public:
  Drives();
  ~Drives();

  // Checks and opens every drive. Throws OptionError naming the option and key.
  void open(const std::vector<KeyValues>& drives);
  // The drive `id` for a device; throws OptionError if it does not exist or
  // is already used.
  DriveBackend* claim(const std::string& id, const std::string& user);
  // Ids of if=virtio drives, in command-line order.
  const std::vector<std::string>& virtio_drives() const { return virtio_ids_; }

 private:
  struct Entry;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::vector<std::string> virtio_ids_;
};

}  // namespace vx86
