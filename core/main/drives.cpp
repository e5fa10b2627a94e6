#include "core/main/drives.h"

#include "block/block_backend.h"
#include "core/log.h"

namespace vx86 {

namespace {

// A BlockBackend as a device sees it. Requests run synchronously on the
// calling (vCPU) thread and complete before returning; this is the one place
// to switch to BlockBackend's asynchronous requests.
class BlockDrive : public DriveBackend {
 public:
  BlockDrive(std::string id, std::unique_ptr<BlockBackend> backend)
      : id_(std::move(id)), backend_(std::move(backend)) {}

  std::string id() const override { return id_; }
  uint64_t length() const override { return backend_->length(); }
  bool read_only() const override { return backend_->read_only(); }

  void read(uint64_t offset, void* buf, uint64_t len, Completion done) override {
    run("read", done, [&] { backend_->read(offset, buf, len); });
  }
  void write(uint64_t offset, const void* buf, uint64_t len, Completion done) override {
    run("write", done, [&] { backend_->write(offset, buf, len); });
  }
  void flush(Completion done) override {
    run("flush", done, [&] { backend_->flush(); });
  }
  void discard(uint64_t offset, uint64_t len, Completion done) override {
    run("discard", done, [&] { backend_->discard(offset, len); });
  }
  void write_zeroes(uint64_t offset, uint64_t len, Completion done) override {
    run("write-zeroes", done, [&] { backend_->write_zeroes(offset, len); });
  }

 private:
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

  std::string id_;
  std::unique_ptr<BlockBackend> backend_;
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
};

Drives::Drives() = default;
Drives::~Drives() = default;

void Drives::open(const std::vector<KeyValues>& drives) {
  std::map<std::string, int> per_interface;
  for (const KeyValues& kv : drives) {
    const std::string& opt = kv.option();
    auto bad = [&](const std::string& key, const std::string& why) {
      throw OptionError(opt + ": parameter '" + key + "' " + why);
    };
    std::string iface = kv.get_string("if", "ide");
    if (!one_of(iface, {"ide", "virtio", "none"})) {
      bad("if", "must be virtio, ide or none (not '" + iface + "')");
    }
    std::string media = kv.get_string("media", "disk");
    if (!one_of(media, {"disk", "cdrom"})) bad("media", "must be disk or cdrom");
    if (iface == "ide" || media == "cdrom") {
      throw OptionError(opt + ": IDE is not available yet (use if=virtio)");
    }
    std::string file = kv.get_string("file");
    if (file.empty()) bad("file", "is missing");
    std::string format = kv.get_string("format");
    if (!format.empty() && !one_of(format, {"raw", "qcow2"})) {
      bad("format", "must be raw or qcow2 (not '" + format + "')");
    }
    BlockBackendOptions bo;
    bo.file = file;
    bo.format = format;
    bo.read_only = kv.get_bool("readonly", false);
    bo.snapshot = kv.get_bool("snapshot", false);
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
    if (id.empty()) id = iface + std::to_string(per_interface[iface]);
    ++per_interface[iface];
    if (entries_.count(id)) bad("id", "'" + id + "' is used by another drive");

    std::unique_ptr<BlockBackend> backend;
    try {
      backend = std::make_unique<BlockBackend>(bo);
    } catch (const std::exception& e) {
      throw OptionError(opt + " file=" + file + ": " + e.what());
    }
    auto entry = std::make_unique<Entry>();
    entry->drive = std::make_unique<BlockDrive>(id, std::move(backend));
    entries_[id] = std::move(entry);
    if (iface == "virtio") virtio_ids_.push_back(id);
  }
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

}  // namespace vx86
