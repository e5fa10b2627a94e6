// The -drive options (and -hda/-cdrom): each is checked, opened as a
// BlockBackend and offered to disk devices as a DriveBackend. Drives with
// if=virtio get a virtio-blk-pci of their own; if=ide ones (the default, and
// -hda/-cdrom) go on the PIIX3 IDE function at their index (0-3: primary
// master/slave, secondary master/slave); if=none ones wait for
// "-device virtio-blk-pci,drive=ID".
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/monitor.h"
#include "core/options.h"
#include "hw/block/drive_backend.h"

namespace vx86 {

class BlockBackend;
struct BlockdevImage;
class MainLoop;

class Drives {
 public:
  Drives();
  ~Drives();

  // Checks and opens every drive. Throws OptionError naming the option and key.
  // With `loop`, device requests run asynchronously and complete on it.
  // default_cdrom: QEMU's empty CD-ROM drive ide1-cd0 unless that place is taken.
  // snapshot_all (-snapshot): disks without snapshot= get snapshot=on.
  void open(const std::vector<KeyValues>& drives, MainLoop* loop = nullptr,
            bool default_cdrom = false, bool snapshot_all = false);
  // The machine's IDE places for if=ide (before open): the pc's two buses
  // of two units (the default), the q35's six AHCI ports of one.
  void set_ide_layout(unsigned buses, unsigned units_per_bus) {
    ide_buses_ = buses;
    ide_units_ = units_per_bus;
  }
  unsigned ide_units_per_bus() const { return ide_units_; }
  // Opens the images -blockdev described (core/main/blockdev_graph.h), each
  // a drive named by its node-name. Throws OptionError naming the -blockdev.
  void open_blockdevs(const std::vector<BlockdevImage>& images);
  // The drive `id` for a device; throws OptionError if it does not exist or
  // is already used.
  DriveBackend* claim(const std::string& id, const std::string& user);
  // The device that claimed `id` is gone (hot-unplugged); another may take it.
  void release(const std::string& id);
  // Whether a device has drive `id`.
  bool in_use(const std::string& id) const;
  // blockdev-del: drive `id`, which no device has, is closed.
  void remove(const std::string& id);
  // As claim, for a CD-ROM drive (-device ide-cd): the monitor's eject and
  // change then work on it. An empty id makes an empty drive called name.
  DriveBackend* claim_cdrom(const std::string& id, const std::string& user,
                            const std::string& name);
  // Ids of if=virtio drives, in command-line order.
  const std::vector<std::string>& virtio_drives() const { return virtio_ids_; }

  struct IdeDrive {
    unsigned index;  // bus * ide_units_per_bus() + unit
    DriveBackend* drive;
    bool cdrom;
  };
  // The if=ide drives, by index.
  const std::vector<IdeDrive>& ide_drives() const { return ide_; }

  struct PflashDrive {
    unsigned unit;  // 0: the firmware's code, 1: its variables
    std::string id;
    std::string file;
    DriveBackend* drive;
    bool read_only;
  };
  // The if=pflash drives, in command-line order.
  const std::vector<PflashDrive>& pflash_drives() const { return pflash_; }
  // -machine pflash0=NODE / pflash1=NODE (libvirt's way): a -blockdev node as
  // flash unit `unit`. Throws OptionError naming `option`.
  PflashDrive claim_pflash(const std::string& node, unsigned unit, const std::string& option);

  // The monitor's `info block` (QEMU's layout) and QMP query-block.
  std::string describe() const;
  nlohmann::ordered_json query() const;

  // Told whenever a CD-ROM drive's tray opens or closes, by the monitor or
  // the guest (QMP's DEVICE_TRAY_MOVED), on the thread that moved it.
  void set_tray_listener(std::function<void(const std::string& id, bool open)> listener);
  // The monitor's eject: the medium of CD-ROM drive `id` goes and its tray
  // stays open; a tray the guest locked needs `force`. Call under the device
  // lock.
  MediumResult eject(const std::string& id, bool force);
  // The monitor's change / QMP blockdev-change-medium: `file` (read-only,
  // `format` or probed) goes into CD-ROM drive `id` and the tray closes.
  MediumResult change_medium(const std::string& id, const std::string& file,
                             const std::string& format, bool force);

 private:
  struct Entry;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::vector<std::string> virtio_ids_;
  unsigned ide_buses_ = 2, ide_units_ = 2;
  std::vector<IdeDrive> ide_;
  std::vector<PflashDrive> pflash_;
  MainLoop* loop_ = nullptr;
  std::function<void(const std::string& id, bool open)> tray_listener_;
};

}  // namespace vx86
