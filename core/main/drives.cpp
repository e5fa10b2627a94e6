#include "core/main/drives.h"

#include <sys/stat.h>

#include <filesystem>

#include "block/block_backend.h"
#include "core/log.h"
#include "core/main/blockdev_graph.h"

namespace vx86 {

namespace {

// A BlockBackend as a device sees it. With a main loop, requests run on the
// block worker pool and complete on the main loop, so a slow disk never
// stalls the vCPU that submitted them; without one (tests, tools) they run on
// the caller's thread and complete before returning. A CD-ROM's medium can
// go and come (the monitor's eject and change, under the device lock).
class BlockDrive : public DriveBackend {
 public:
  // `backend` null: an empty drive.
  BlockDrive(std::string id, std::unique_ptr<BlockBackend> backend, MainLoop* loop)
      : id_(std::move(id)), loop_(loop) {
    if (backend) attach(std::move(backend));
  }

  std::string id() const override { return id_; }
  uint64_t length() const override { return backend_ ? backend_->length() : 0; }
  bool read_only() const override { return backend_ ? backend_->read_only() : true; }
  bool inserted() const override { return backend_ != nullptr; }
  bool tray_open() const override { return tray_open_; }
  uint64_t media_changes() const override { return media_changes_; }
  void set_tray_locked(bool locked) override { tray_locked_ = locked; }
  bool tray_locked() const { return tray_locked_; }

  bool move_tray(bool open) override {
    if (open && tray_locked_) return false;
    if (open != tray_open_) {
      tray_open_ = open;
      ++media_changes_;
      if (tray_moved_) tray_moved_(id_, open);
    }
    return true;
  }
  // The tray opens (whatever the lock) and the medium goes. Requests already
  // submitted finish on it, so it is kept (closed when vx86 exits).
  void eject() {
    if (backend_) retired_.push_back(std::move(backend_));
    ++media_changes_;
    tray_locked_ = false;
    move_tray(true);
  }
  // A medium goes in and the tray closes.
  void insert(std::unique_ptr<BlockBackend> backend) {
    if (backend_) retired_.push_back(std::move(backend_));
    attach(std::move(backend));
    ++media_changes_;
    move_tray(false);
  }
  void set_tray_listener(std::function<void(const std::string&, bool)> listener) {
    tray_moved_ = std::move(listener);
  }

  void read(uint64_t offset, void* buf, uint64_t len, Completion done) override {
    if (!backend_) return done(false);
    if (async_) return backend_->read_async(offset, buf, len, reporting("read", std::move(done)));
    run("read", done, [&] { backend_->read(offset, buf, len); });
  }
  void write(uint64_t offset, const void* buf, uint64_t len, Completion done) override {
    if (!backend_) return done(false);
    if (async_) {
      return backend_->write_async(offset, buf, len, reporting("write", std::move(done)));
    }
    run("write", done, [&] { backend_->write(offset, buf, len); });
  }
  void flush(Completion done) override {
    if (!backend_) return done(false);
    if (async_) return backend_->flush_async(reporting("flush", std::move(done)));
    run("flush", done, [&] { backend_->flush(); });
  }
  void discard(uint64_t offset, uint64_t len, Completion done) override {
    if (!backend_) return done(false);
    if (async_) return backend_->discard_async(offset, len, reporting("discard", std::move(done)));
    run("discard", done, [&] { backend_->discard(offset, len); });
  }
  void write_zeroes(uint64_t offset, uint64_t len, Completion done) override {
    if (!backend_) return done(false);
    if (async_) {
      return backend_->write_zeroes_async(offset, len, reporting("write-zeroes", std::move(done)));
    }
    run("write-zeroes", done, [&] { backend_->write_zeroes(offset, len); });
  }

 private:
  void attach(std::unique_ptr<BlockBackend> backend) {
    backend_ = std::move(backend);
    if (loop_) backend_->attach_main_loop(loop_);
  }

  template <typename Fn>
  void run(const char* what, const Completion& done, Fn&& fn) {
    bool ok = true;
    try {
      fn();
    } catch (const std::exception& e) {
      warn_report("drive %s: %s failed: %s", id_.c_str(), what, e.what());
      ok = false;
    }
    done(ok);
  }

  // An asynchronous completion that logs the error before telling the device.
  // Holds the id, not the drive: blockdev-del may close the drive while a
  // completion of a device unplugged mid-request still waits on the main loop.
  BlockCompletion reporting(const char* what, Completion done) {
    return [id = id_, what, done = std::move(done)](const std::string& error) {
      if (!error.empty()) warn_report("drive %s: %s failed: %s", id.c_str(), what, error.c_str());
      done(error.empty());
    };
  }

  std::string id_;
  MainLoop* loop_;
  std::unique_ptr<BlockBackend> backend_;
  std::vector<std::unique_ptr<BlockBackend>> retired_;
  bool async_ = loop_ != nullptr;
  bool tray_open_ = false;
  bool tray_locked_ = false;
  uint64_t media_changes_ = 0;
  std::function<void(const std::string& id, bool open)> tray_moved_;
};

bool one_of(const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (v == a) return true;
  }
  return false;
}

}  // namespace

struct Drives::Entry {
  std::unique_ptr<BlockDrive> drive;
  std::string user;
  // As given, for the monitor.
  std::string file, format, cache;
  bool cdrom = false;
  bool snapshot = false;
};

Drives::Drives() = default;
Drives::~Drives() = default;

namespace {

// QEMU's name for an if=ide drive without id=: ide<bus>-<hd|cd><unit>.
std::string ide_drive_name(unsigned index, unsigned units_per_bus, bool cdrom) {
  return "ide" + std::to_string(index / units_per_bus) + (cdrom ? "-cd" : "-hd") +
         std::to_string(index % units_per_bus);
}

}  // namespace

void Drives::open(const std::vector<KeyValues>& drives, MainLoop* loop, bool default_cdrom,
                  bool snapshot_all) {
  loop_ = loop;
  std::map<std::string, int> per_interface;
  unsigned ide_used = 0;  // bit per IDE index
  for (const KeyValues& kv : drives) {
    const std::string& opt = kv.option();
    auto bad = [&](const std::string& key, const std::string& why) {
      throw OptionError(opt + ": parameter '" + key + "' " + why);
    };
    std::string iface = kv.get_string("if", "ide");
    if (!one_of(iface, {"ide", "virtio", "pflash", "none"})) {
      bad("if", "must be virtio, ide, pflash or none (not '" + iface + "')");
    }
    std::string media = kv.get_string("media", "disk");
    if (!one_of(media, {"disk", "cdrom"})) bad("media", "must be disk or cdrom");
    if (media == "cdrom" && (iface == "virtio" || iface == "pflash")) {
      bad("media", "cdrom needs if=ide or if=none");
    }
    // pflash: unit 0 is the firmware's code, unit 1 its variables (OVMF's).
    unsigned pflash_unit = 0;
    if (iface == "pflash") {
      pflash_unit = static_cast<unsigned>(kv.get_number(
          "unit", kv.get_number("index", pflash_.empty() ? 0 : pflash_.back().unit + 1)));
      if (pflash_unit > 1) bad("unit", "must be 0 or 1 for if=pflash");
      for (const PflashDrive& p : pflash_) {
        if (p.unit == pflash_unit)
          bad("unit", "pflash unit " + std::to_string(pflash_unit) + " is used by another drive");
      }
    }
    // IDE position: index, or bus and unit, or the first free place.
    unsigned ide_index = 0;
    if (iface == "ide") {
      const unsigned places = ide_buses_ * ide_units_;
      if (kv.has("index")) {
        uint64_t index = kv.get_number("index", 0);
        if (index >= places)
          bad("index", "must be 0 to " + std::to_string(places - 1) + " for if=ide");
        ide_index = static_cast<unsigned>(index);
      } else if (kv.has("bus") || kv.has("unit")) {
        uint64_t bus = kv.get_number("bus", 0), unit = kv.get_number("unit", 0);
        if (bus >= ide_buses_)
          bad("bus", "must be 0 to " + std::to_string(ide_buses_ - 1) + " for if=ide");
        if (unit >= ide_units_)
          bad("unit", "must be 0 to " + std::to_string(ide_units_ - 1) + " for if=ide");
        ide_index = static_cast<unsigned>(bus * ide_units_ + unit);
      } else {
        while (ide_index < places && ide_used & (1u << ide_index)) ++ide_index;
        if (ide_index == places) {
          throw OptionError(opt + ": all " + std::to_string(places) + " IDE places are taken");
        }
      }
      if (ide_used & (1u << ide_index)) {
        throw OptionError(opt + ": IDE bus " + std::to_string(ide_index / ide_units_) + " unit " +
                          std::to_string(ide_index % ide_units_) + " is used by another drive");
      }
      ide_used |= 1u << ide_index;
    }
    std::string file = kv.get_string("file");
    if (file.empty() && media != "cdrom") bad("file", "is missing");  // a CD drive may be empty
    std::string format = kv.get_string("format");
    if (!format.empty() && !one_of(format, {"raw", "qcow2"})) {
      bad("format", "must be raw or qcow2 (not '" + format + "')");
    }
    BlockBackendOptions bo;
    bo.file = file;
    bo.format = format;
    // A CD-ROM is read-only whatever the option says, as in QEMU.
    bo.read_only = kv.get_bool("readonly", false) || media == "cdrom";
    // -snapshot covers every disk; a CD-ROM is never written anyway.
    bo.snapshot = kv.get_bool("snapshot", snapshot_all && media != "cdrom");
    std::string cache = kv.get_string("cache", "writeback");
    auto mode = parse_cache_mode(cache);
    if (!mode) bad("cache", "must be writeback, writethrough, none, directsync or unsafe");
    bo.cache = *mode;
    if (kv.has("discard") && !one_of(kv.get_string("discard"), {"ignore", "off", "unmap", "on"})) {
      bad("discard", "must be ignore or unmap");
    }
    if (kv.has("aio") && !one_of(kv.get_string("aio"), {"threads", "native", "io_uring"})) {
      bad("aio", "must be threads, native or io_uring");
    }
    for (const char* key : {"werror", "rerror"}) {
      if (kv.has(key) && !one_of(kv.get_string(key), {"report", "ignore", "stop", "enospc"})) {
        bad(key, "must be report, ignore, stop or enospc");
      }
    }
    std::string id = kv.get_string("id");
    if (id.empty()) {
      id = iface == "ide" ? ide_drive_name(ide_index, ide_units_, media == "cdrom")
                          : iface + std::to_string(per_interface[iface]);
    }
    ++per_interface[iface];
    if (entries_.count(id)) bad("id", "'" + id + "' is used by another drive");

    std::unique_ptr<BlockBackend> backend;
    if (!file.empty()) {
      try {
        backend = std::make_unique<BlockBackend>(bo);
      } catch (const std::exception& e) {
        throw OptionError(opt + " file=" + file + ": " + e.what());
      }
    }
    auto entry = std::make_unique<Entry>();
    if (backend) entry->format = backend->driver().format_name();
    entry->drive = std::make_unique<BlockDrive>(id, std::move(backend), loop);
    entry->file = file;
    entry->cache = cache;
    entry->cdrom = media == "cdrom";
    entry->snapshot = bo.snapshot;
    entries_[id] = std::move(entry);
    if (iface == "virtio") virtio_ids_.push_back(id);
    if (iface == "pflash") {
      if (!entries_[id]->format.empty() && entries_[id]->format != "raw") {
        bad("format", "must be raw for if=pflash (flash images in qcow2 are not available yet)");
      }
      entries_[id]->user = "pflash";
      if (file.empty()) bad("file", "is missing");
      pflash_.push_back({pflash_unit, id, file, entries_[id]->drive.get(), bo.read_only});
    }
    if (iface == "ide") {
      entries_[id]->user = "ide";
      ide_.push_back({ide_index, entries_[id]->drive.get(), media == "cdrom"});
    }
  }
  // As QEMU's pc and q35: an empty CD-ROM drive at index 2 (the secondary
  // master, or AHCI port 2) unless something is there (or -nodefaults), for
  // the monitor's change.
  constexpr unsigned kDefaultCdromIndex = 2;
  if (default_cdrom && !(ide_used & (1u << kDefaultCdromIndex))) {
    const std::string id = ide_drive_name(kDefaultCdromIndex, ide_units_, true);
    if (!entries_.count(id)) {
      auto entry = std::make_unique<Entry>();
      entry->drive = std::make_unique<BlockDrive>(id, nullptr, loop);
      entry->cache = "writeback";
      entry->cdrom = true;
      entry->user = "ide";
      ide_.push_back({kDefaultCdromIndex, entry->drive.get(), true});
      entries_[id] = std::move(entry);
    }
  }
}

namespace {

// Why the image's backing chain is not the one the -blockdev nodes spell out,
// or "".
std::string backing_mismatch(const BlockdevImage& image, BlockDriver& top) {
  auto same_file = [](const std::string& a, const std::string& b) {
    std::error_code ec1, ec2;
    return std::filesystem::equivalent(a, b, ec1) || (ec1 && a == b);
  };
  const BlockDriver* layer = &top;
  for (const BlockdevImage::Layer& expected : *image.backing) {
    layer = layer->backing();
    if (!layer) return "the image has no backing file, but backing names " + expected.filename;
    if (!same_file(layer->filename(), expected.filename) ||
        layer->format_name() != expected.format) {
      return "its backing file is " + layer->filename() + " (" + layer->format_name() +
             "), not the node's " + expected.filename + " (" + expected.format + ")";
    }
  }
  if (image.backing_complete && layer->backing()) {
    return "backing=null, but " + layer->filename() + " has the backing file " +
           layer->backing()->filename() + " (vx86 always opens the chain an image names)";
  }
  return "";
}

}  // namespace

void Drives::open_blockdevs(const std::vector<BlockdevImage>& images) {
  for (const BlockdevImage& image : images) {
    if (entries_.count(image.node_name)) {
      throw OptionError(image.option + ": node-name '" + image.node_name +
                        "' is used by another drive");
    }
    std::unique_ptr<BlockBackend> backend;
    try {
      backend = std::make_unique<BlockBackend>(image.options);
    } catch (const std::exception& e) {
      throw OptionError(image.option + ": " + e.what());
    }
    if (image.backing) {
      const std::string mismatch = backing_mismatch(image, backend->driver());
      if (!mismatch.empty()) throw OptionError(image.option + ": " + mismatch);
    }
    auto entry = std::make_unique<Entry>();
    entry->format = backend->driver().format_name();
    entry->drive = std::make_unique<BlockDrive>(image.node_name, std::move(backend), loop_);
    entry->file = image.options.file;
    entry->cache = image.cache_name;
    entries_[image.node_name] = std::move(entry);
  }
}

Drives::PflashDrive Drives::claim_pflash(const std::string& node, unsigned unit,
                                         const std::string& option) {
  auto it = entries_.find(node);
  if (it == entries_.end()) throw OptionError(option + ": no block node '" + node + "'");
  Entry& e = *it->second;
  if (!e.user.empty()) throw OptionError(option + ": node '" + node + "' is used by " + e.user);
  if (e.format != "raw") {
    throw OptionError(option + ": node '" + node +
                      "' must be a raw image (flash images in qcow2 are not available yet)");
  }
  for (const PflashDrive& p : pflash_) {
    if (p.unit == unit)
      throw OptionError(option + ": pflash unit " + std::to_string(unit) + " is given twice");
  }
  e.user = "pflash";
  pflash_.push_back({unit, node, e.file, e.drive.get(), e.drive->read_only()});
  return pflash_.back();
}

void Drives::set_tray_listener(std::function<void(const std::string& id, bool open)> listener) {
  tray_listener_ = listener;
  for (auto& [id, e] : entries_) {
    if (e->cdrom) e->drive->set_tray_listener(listener);
  }
}

MediumResult Drives::eject(const std::string& id, bool force) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return {"Device '" + id + "' not found", true};
  Entry& e = *it->second;
  if (!e.cdrom) return {"Device '" + id + "' is not removable", false};
  if (e.drive->tray_locked() && !force) {
    return {"Device '" + id +
                "' is locked and force was not specified, wait for tray to open and try again",
            false};
  }
  e.drive->eject();
  e.file.clear();
  e.format.clear();
  return {};
}

MediumResult Drives::change_medium(const std::string& id, const std::string& file,
                                   const std::string& format, bool force) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return {"Device '" + id + "' not found", true};
  Entry& e = *it->second;
  if (!e.cdrom) return {"Device '" + id + "' is not removable", false};
  if (!format.empty() && format != "raw" && format != "qcow2") {
    return {"Unknown driver '" + format + "'", false};
  }
  if (e.drive->tray_locked() && !force) {
    return {"Device '" + id +
                "' is locked and force was not specified, wait for tray to open and try again",
            false};
  }
  BlockBackendOptions bo;
  bo.file = file;
  bo.format = format;
  bo.read_only = true;  // a CD-ROM, as in QEMU
  std::unique_ptr<BlockBackend> backend;
  try {
    backend = std::make_unique<BlockBackend>(bo);
  } catch (const std::exception& ex) {
    return {ex.what(), false};  // "Could not open 'FILE': why", as QEMU says it
  }
  e.drive->eject();  // the tray opens first (if it is not open)
  e.format = backend->driver().format_name();
  e.file = file;
  e.drive->insert(std::move(backend));
  return {};
}

namespace {

struct CacheFlags {
  bool writeback, direct, no_flush;
};

CacheFlags cache_flags(const std::string& mode) {
  if (mode == "writethrough") return {false, false, false};
  if (mode == "none") return {true, true, false};
  if (mode == "directsync") return {false, true, false};
  if (mode == "unsafe") return {true, false, true};
  return {true, false, false};
}

}  // namespace

std::string Drives::describe() const {
  std::string out;
  for (const auto& [id, e] : entries_) {
    if (!out.empty()) out += "\n";
    const bool inserted = e->drive->inserted();
    if (inserted) {
      out += id + ": " + e->file + " (" + e->format + (e->drive->read_only() ? ", read-only" : "") +
             ")\n";
    } else {
      out += id + ": [not inserted]\n";
    }
    if (!e->user.empty())
      out += "    Attached to:      " + (e->user == "ide" ? "piix3-ide" : e->user) + "\n";
    if (e->cdrom || e->user.empty()) {
      out += std::string("    Removable device: ") +
             (e->drive->tray_locked() ? "locked" : "not locked") + ", tray " +
             (e->drive->tray_open() ? "open" : "closed") + "\n";
    }
    if (!inserted) continue;
    const CacheFlags c = cache_flags(e->cache);
    out += std::string("    Cache mode:       ") + (c.writeback ? "writeback" : "writethrough") +
           (c.direct ? ", direct" : "") + (c.no_flush ? ", ignore flushes" : "") + "\n";
    if (e->snapshot) out += "    Backing file:     " + e->file + " (chain depth: 1)\n";
  }
  return out;
}

nlohmann::ordered_json Drives::query() const {
  using Json = nlohmann::ordered_json;
  Json list = Json::array();
  for (const auto& [id, e] : entries_) {
    Json drive = {{"device", id}};
    if (!e->user.empty()) drive["qdev"] = e->user == "ide" ? "piix3-ide" : e->user;
    drive["locked"] = e->drive->tray_locked();
    // As QEMU: a drive no device holds counts as removable.
    drive["removable"] = e->cdrom || e->user.empty();
    if (e->cdrom) drive["tray_open"] = e->drive->tray_open();
    drive["type"] = "unknown";
    if (!e->drive->inserted()) {
      list.push_back(drive);
      continue;
    }
    const CacheFlags c = cache_flags(e->cache);
    Json image = {{"filename", e->file},
                  {"format", e->format},
                  {"virtual-size", e->drive->length()},
                  {"dirty-flag", false}};
    // The host bytes the image takes, as QEMU reports them.
    struct stat st {};
    if (stat(e->file.c_str(), &st) == 0) {
      image["actual-size"] = static_cast<uint64_t>(st.st_blocks) * 512;
    }
    Json inserted = {
        {"file", e->file},
        {"ro", e->drive->read_only()},
        {"drv", e->format},
        {"encrypted", false},
        {"backing_file_depth", e->snapshot ? 1 : 0},
        {"bps", 0},
        {"bps_rd", 0},
        {"bps_wr", 0},
        {"iops", 0},
        {"iops_rd", 0},
        {"iops_wr", 0},
        {"image", image},
        {"cache", {{"writeback", c.writeback}, {"direct", c.direct}, {"no-flush", c.no_flush}}},
        {"detect_zeroes", "off"},
        {"write_threshold", 0}};
    if (e->snapshot) inserted["backing_file"] = e->file;
    drive["inserted"] = inserted;
    list.push_back(drive);
  }
  return list;
}

DriveBackend* Drives::claim(const std::string& id, const std::string& user) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    throw OptionError("-device " + user + ": parameter 'drive': no drive with id '" + id + "'");
  }
  if (!it->second->user.empty()) {
    throw OptionError("-device " + user + ": parameter 'drive': drive '" + id +
                      "' is already in use by " + it->second->user);
  }
  it->second->user = user;
  return it->second->drive.get();
}

void Drives::release(const std::string& id) {
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second->user.clear();
}

bool Drives::in_use(const std::string& id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && !it->second->user.empty();
}

void Drives::remove(const std::string& id) {
  entries_.erase(id);
}

DriveBackend* Drives::claim_cdrom(const std::string& id, const std::string& user,
                                  const std::string& name) {
  if (id.empty()) {
    if (entries_.count(name)) {
      throw OptionError("-device " + user + ": a drive called '" + name +
                        "' exists; give the empty CD-ROM drive another id=");
    }
    auto entry = std::make_unique<Entry>();
    entry->drive = std::make_unique<BlockDrive>(name, nullptr, loop_);
    entry->cache = "writeback";
    entries_[name] = std::move(entry);
  }
  const std::string& key = id.empty() ? name : id;
  DriveBackend* drive = claim(key, user);
  Entry& entry = *entries_[key];
  entry.cdrom = true;
  if (tray_listener_) entry.drive->set_tray_listener(tray_listener_);
  return drive;
}

}  // namespace vx86
