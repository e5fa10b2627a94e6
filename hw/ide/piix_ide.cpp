#include "hw/ide/piix_ide.h"

#include <functional>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr uint8_t kBmStart = 0x01;
constexpr uint8_t kBmToMemory = 0x08;  // "read" in the datasheet: the device reads, memory gets
constexpr uint8_t kBmActive = 0x01;
constexpr uint8_t kBmError = 0x02;
constexpr uint8_t kBmInterrupt = 0x04;
constexpr uint8_t kBmDmaCapable = 0x60;  // drive 0/1 DMA capable (software-owned)

constexpr uint16_t kLegacyCommand[2] = {0x1f0, 0x170};
constexpr uint16_t kLegacyControl[2] = {0x3f6, 0x376};

// An I/O region's accesses forwarded to two functions.
class FunctionOps : public IoOps {
 public:
  using Read = std::function<uint64_t(uint64_t offset, unsigned size)>;
  using Write = std::function<void(uint64_t offset, uint64_t value, unsigned size)>;
  FunctionOps(Read r, Write w) : read_(std::move(r)), write_(std::move(w)) {}
  uint64_t read(uint64_t offset, unsigned size) override { return read_(offset, size); }
  void write(uint64_t offset, uint64_t value, unsigned size) override {
    write_(offset, value, size);
  }

 private:
  Read read_;
  Write write_;
};

}  // namespace

// One channel's bus-master registers and its walk of the PRD table.
class PiixIde::BusMaster : public IdeDmaEngine {
 public:
  BusMaster(PiixIde& owner, unsigned channel) : owner_(owner), channel_(channel) {}

  bool started() const override { return command_ & kBmStart; }

  uint32_t transfer(uint8_t* buf, uint32_t len, bool to_memory) override {
    if (static_cast<bool>(command_ & kBmToMemory) != to_memory) {
      VX86_LOG(kLogGuestErrors, "piix-ide: bus master direction does not match the command\n");
    }
    uint64_t entry = prd_;
    uint32_t moved = 0;
    while (moved < len) {
      uint8_t e[8];
      if (!owner_.dma_read(entry, e, sizeof e)) break;
      uint32_t addr = (static_cast<uint32_t>(e[0]) | e[1] << 8 | e[2] << 16 |
                       static_cast<uint32_t>(e[3]) << 24) &
                      ~1u;
      uint32_t count = static_cast<uint32_t>(e[4] | e[5] << 8) & ~1u;
      if (count == 0) count = 0x10000;
      uint32_t n = std::min(count, len - moved);
      bool ok = to_memory ? owner_.dma_write(addr, buf + moved, n)
                          : owner_.dma_read(addr, buf + moved, n);
      if (!ok) break;
      moved += n;
      if (e[7] & 0x80) break;  // end of table
      entry = (entry + 8) & 0xffffffffu;
    }
    if (moved < len) {
      VX86_LOG(kLogGuestErrors, "piix-ide: channel %u: the PRD table holds %u of %u bytes\n",
               channel_, moved, len);
    }
    return moved;
  }

  void finished(bool error) override {
    status_ = static_cast<uint8_t>((status_ & ~kBmActive) | kBmInterrupt | (error ? kBmError : 0));
  }

  void interrupt() { status_ |= kBmInterrupt; }

  uint8_t read_byte(unsigned offset) const {
    switch (offset) {
      case 0:
        return command_;
      case 2:
        return status_;
      case 4:
      case 5:
      case 6:
      case 7:
        return static_cast<uint8_t>(prd_ >> (8 * (offset - 4)));
    }
    return 0;
  }

  void write_byte(unsigned offset, uint8_t v) {
    switch (offset) {
      case 0: {
        bool was_started = command_ & kBmStart;
        command_ = v & (kBmStart | kBmToMemory);
        if (!was_started && (v & kBmStart)) {
          status_ |= kBmActive;
          owner_.channel(channel_).dma_started();
        } else if (was_started && !(v & kBmStart)) {
          status_ &= ~kBmActive;  // the guest stopped (or aborted) the engine
        }
        return;
      }
      case 2:
        status_ = static_cast<uint8_t>(
            (status_ & ~(v & (kBmError | kBmInterrupt)) & ~kBmDmaCapable) | (v & kBmDmaCapable));
        return;
      case 4:
      case 5:
      case 6:
      case 7: {
        unsigned shift = 8 * (offset - 4);
        prd_ = ((prd_ & ~(0xffu << shift)) | static_cast<uint32_t>(v) << shift) & ~3u;
        return;
      }
    }
  }

  void reset() {
    command_ = status_ = 0;
    prd_ = 0;
  }

  void visit_state(StateVisitor& v) {
    v.field("command", command_);
    v.field("status", status_);
    v.field("prd", prd_);
  }

 private:
  PiixIde& owner_;
  unsigned channel_;
  uint8_t command_ = 0;
  uint8_t status_ = 0;
  uint32_t prd_ = 0;
};

// The I/O regions: the legacy command and control blocks and BAR4.
class PiixIde::Ports {
 public:
  std::vector<std::unique_ptr<FunctionOps>> ops;
};

PiixIde::PiixIde(IsaBus& isa)
    : PciDevice("piix3-ide", PciIds{.vendor = 0x8086,
                                    .device = 0x7010,
                                    .class_code = 0x010180,
                                    .subsystem_vendor = pci::kQemuSubsystemVendor,
                                    .subsystem = pci::kQemuSubsystem}),
      irqs_{isa.irqs[14], isa.irqs[15]},
      ports_(std::make_unique<Ports>()) {
  for (unsigned ch = 0; ch < 2; ++ch) {
    bus_masters_[ch] = std::make_unique<BusMaster>(*this, ch);
    channels_[ch] = std::make_unique<IdeChannel>(ch ? "ide1" : "ide0", [this, ch](bool level) {
      if (level) bus_masters_[ch]->interrupt();
      if (irqs_[ch]) irqs_[ch]->set(level);
    });
    channels_[ch]->set_dma_engine(bus_masters_[ch].get());
  }
  for (unsigned i = 0; i < 4; ++i) set_write_mask(kIdeTim + i, 0xff);
  set_write_mask(0x44, 0xff);  // SIDETIM

  // Legacy decoding follows each channel's IDETIM enable bit (15).
  auto decoding = [this](unsigned ch) { return config_byte(kIdeTim + 2 * ch + 1) & 0x80; };
  for (unsigned ch = 0; ch < 2; ++ch) {
    IoOps* command =
        ports_->ops
            .emplace_back(std::make_unique<FunctionOps>(
                [this, ch, decoding](uint64_t offset, unsigned size) -> uint64_t {
                  if (!decoding(ch)) return ~0ull;
                  return channels_[ch]->read_command_block(static_cast<unsigned>(offset), size);
                },
                [this, ch, decoding](uint64_t offset, uint64_t value, unsigned size) {
                  if (decoding(ch)) {
                    channels_[ch]->write_command_block(static_cast<unsigned>(offset),
                                                       static_cast<uint32_t>(value), size);
                  }
                }))
            .get();
    IoOps* control = ports_->ops
                         .emplace_back(std::make_unique<FunctionOps>(
                             [this, ch, decoding](uint64_t, unsigned) -> uint64_t {
                               return decoding(ch) ? channels_[ch]->read_alt_status() : 0xff;
                             },
                             [this, ch, decoding](uint64_t, uint64_t value, unsigned) {
                               if (decoding(ch))
                                 channels_[ch]->write_device_control(static_cast<uint8_t>(value));
                             }))
                         .get();
    legacy_regions_[2 * ch] = MemoryRegion::io(std::string("ide") + char('0' + ch) + "-command", 8,
                                               command, {1, 4, false});
    legacy_regions_[2 * ch + 1] = MemoryRegion::io(std::string("ide") + char('0' + ch) + "-control",
                                                   1, control, {1, 1, false});
    if (isa.io) {
      isa.io->add_subregion(kLegacyCommand[ch], legacy_regions_[2 * ch].get());
      isa.io->add_subregion(kLegacyControl[ch], legacy_regions_[2 * ch + 1].get());
    }
  }
  IoOps* bm =
      ports_->ops
          .emplace_back(std::make_unique<FunctionOps>(
              [this](uint64_t offset, unsigned size) -> uint64_t {
                uint64_t v = 0;
                for (unsigned i = 0; i < size; ++i) {
                  unsigned o = static_cast<unsigned>(offset) + i;
                  v |= static_cast<uint64_t>(bus_masters_[o / 8]->read_byte(o % 8)) << (8 * i);
                }
                return v;
              },
              [this](uint64_t offset, uint64_t value, unsigned size) {
                for (unsigned i = 0; i < size; ++i) {
                  unsigned o = static_cast<unsigned>(offset) + i;
                  bus_masters_[o / 8]->write_byte(o % 8, static_cast<uint8_t>(value >> (8 * i)));
                }
              }))
          .get();
  bm_region_ = MemoryRegion::io("piix-ide-bmdma", 16, bm, {1, 4, false});
  register_bar(kBusMasterBar, PciBarType::kIo, bm_region_.get());
}

PiixIde::~PiixIde() = default;

void PiixIde::attach(unsigned index, DriveBackend* drive, IdeChannel::Media media) {
  channels_[index / 2]->attach(index % 2, drive, media);
}

void PiixIde::reset() {
  PciDevice::reset();
  set_config16(kIdeTim, 0x8000);
  set_config16(kIdeTim + 2, 0x8000);
  set_config8(0x44, 0);
  for (auto& bm : bus_masters_) bm->reset();
  for (auto& ch : channels_) ch->reset();
}

void PiixIde::visit_state(StateVisitor& v) {
  PciDevice::visit_state(v);
  for (unsigned ch = 0; ch < 2; ++ch) {
    v.begin(ch ? "ide1" : "ide0");
    channels_[ch]->visit_state(v);
    bus_masters_[ch]->visit_state(v);
    v.end();
  }
}

}  // namespace vx86
