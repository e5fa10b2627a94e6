#include "block/block_backend.h"

#include "block/request_queue.h"
#include "core/main_loop.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vx86 {

namespace {

// A temporary overlay whose backing file is the image; its directory entry
// is removed at once, so nothing is left behind.
std::unique_ptr<BlockDriver> open_snapshot_overlay(const BlockBackendOptions& opts) {
  std::string format = opts.format;
  uint64_t size;
  {
    OpenOptions ro;
    ro.format = opts.format;
    ro.read_only = true;
    auto base = open_image(opts.file, ro);
    format = base->format_name();
    size = base->length();
  }
  char resolved[PATH_MAX];
  if (!realpath(opts.file.c_str(), resolved)) {
    throw BlockError("Could not resolve '" + opts.file + "': " + std::strerror(errno));
  }
  const char* tmpdir = getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/vx86-snapshot-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0)
    throw BlockError("Could not create temporary overlay: " + std::string(std::strerror(errno)));
  ::close(fd);
  std::string overlay = name.data();
  try {
    CreateOptions co;
    co.format = "qcow2";
    co.size = size;
    co.size_given = true;
    co.backing_file = resolved;
    co.backing_format = format;
    create_image(overlay, co);
    OpenOptions oo;
    oo.format = "qcow2";
    oo.cache = opts.cache == CacheMode::kUnsafe ? CacheMode::kUnsafe : CacheMode::kWriteback;
    auto driver = open_image(overlay, oo);
    unlink(overlay.c_str());
    return driver;
  } catch (...) {
    unlink(overlay.c_str());
    throw;
  }
}

std::unique_ptr<BlockDriver> open_for_backend(const BlockBackendOptions& opts) {
  if (opts.snapshot) return open_snapshot_overlay(opts);
  OpenOptions oo;
  oo.format = opts.format;
  oo.read_only = opts.read_only;
  oo.cache = opts.cache;
  return open_image(opts.file, oo);
}

}  // namespace

BlockBackend::BlockBackend(const BlockBackendOptions& opts)
    : BlockBackend(open_for_backend(opts), opts.cache) {}

BlockBackend::BlockBackend(std::unique_ptr<BlockDriver> driver, CacheMode cache)
    : driver_(std::move(driver)), cache_(cache), read_only_(driver_->read_only()) {}

BlockBackend::~BlockBackend() {
  requests_.reset();  // runs what is queued
  try {
    driver_->close();
  } catch (const std::exception&) {
  }
}

void BlockBackend::check_writable() const {
  if (read_only_) throw BlockError("Block node '" + driver_->filename() + "' is read-only");
}

void BlockBackend::after_write() {
  // Writethrough makes each completed write durable before returning;
  // directsync gets the same from O_DSYNC on the file itself.
  if (cache_ == CacheMode::kWritethrough) driver_->flush();
}

void BlockBackend::read(uint64_t offset, void* buf, uint64_t len) {
  std::lock_guard<std::mutex> lock(driver_mutex_);
  driver_->read(offset, buf, len);
  bytes_read_ += len;
}

void BlockBackend::write(uint64_t offset, const void* buf, uint64_t len) {
  check_writable();
  std::lock_guard<std::mutex> lock(driver_mutex_);
  driver_->write(offset, buf, len);
  bytes_written_ += len;
  after_write();
}

void BlockBackend::write_zeroes(uint64_t offset, uint64_t len) {
  check_writable();
  std::lock_guard<std::mutex> lock(driver_mutex_);
  driver_->write_zeroes(offset, len, true);
  after_write();
}

void BlockBackend::discard(uint64_t offset, uint64_t len) {
  check_writable();
  std::lock_guard<std::mutex> lock(driver_mutex_);
  driver_->discard(offset, len);
}

void BlockBackend::flush() {
  if (cache_ == CacheMode::kUnsafe || read_only_) return;
  std::lock_guard<std::mutex> lock(driver_mutex_);
  driver_->flush();
}

void BlockBackend::submit(std::function<void()> work, BlockCompletion done) {
  if (!loop_)
    throw BlockError("Asynchronous I/O on '" + driver_->filename() + "' needs a main loop");
  RequestQueue* queue;
  {
    std::lock_guard<std::mutex> lock(requests_mutex_);
    if (!requests_) requests_ = std::make_unique<RequestQueue>();
    queue = requests_.get();
  }
  MainLoop* loop = loop_;
  queue->submit(std::move(work), [loop, done = std::move(done)](std::string error) mutable {
    loop->post([done = std::move(done), error = std::move(error)] { done(error); });
  });
}

void BlockBackend::drain() {
  std::lock_guard<std::mutex> lock(requests_mutex_);
  if (requests_) requests_->drain();
}

size_t BlockBackend::in_flight() const {
  std::lock_guard<std::mutex> lock(requests_mutex_);
  return requests_ ? requests_->in_flight() : 0;
}

void BlockBackend::read_async(uint64_t offset, void* buf, uint64_t len, BlockCompletion done) {
  submit([=, this] { read(offset, buf, len); }, std::move(done));
}

void BlockBackend::write_async(uint64_t offset, const void* buf, uint64_t len,
                               BlockCompletion done) {
  submit([=, this] { write(offset, buf, len); }, std::move(done));
}

void BlockBackend::flush_async(BlockCompletion done) {
  submit([this] { flush(); }, std::move(done));
}

void BlockBackend::write_zeroes_async(uint64_t offset, uint64_t len, BlockCompletion done) {
  submit([=, this] { write_zeroes(offset, len); }, std::move(done));
}

void BlockBackend::discard_async(uint64_t offset, uint64_t len, BlockCompletion done) {
  submit([=, this] { discard(offset, len); }, std::move(done));
}

}  // namespace vx86
