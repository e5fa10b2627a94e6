// -netdev tap: the guest's frames go to a Linux TAP interface and the
// interface's frames come to the guest, as QEMU's tap backend does (no
// virtio-net header, one frame per read and write). The interface is made
// with ifname= (default tap%d, numbered by the kernel; needs CAP_NET_ADMIN
// unless it exists and belongs to the user) or given ready-made with fd=
// (as libvirt passes it); script= runs on it once it is up (QEMU's default
// /etc/qemu-ifup, "no" for none) and downscript= when vx86 ends. Frames are
// read on the main loop and written from the NIC's thread; a full interface
// queue drops the frame, as a wire would.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/netdev.h"
#include "core/options.h"

namespace vx86 {

class MainLoop;

class TapNetBackend : public NetBackend {
 public:
  // The keys -netdev tap takes (besides "type" and "id").
  static const std::vector<OptDesc>& option_keys();

  // Opens the interface and runs the script. Throws OptionError naming the
  // option and saying what failed (the kernel's reason, the script's status).
  TapNetBackend(std::string id, const KeyValues& opts, MainLoop& loop);
  ~TapNetBackend() override;

  const std::string& id() const override { return id_; }
  void set_receiver(Receiver receiver) override;
  void send(const uint8_t* frame, std::size_t len) override;
  std::string describe() const override;
  const std::string& ifname() const { return ifname_; }

 private:
  struct Reader;
  std::string id_;
  std::string ifname_;
  std::string summary_;
  std::string downscript_;
  int fd_ = -1;
  std::shared_ptr<Reader> reader_;
};

// Runs a QEMU network script (qemu-ifup/-ifdown) with the interface name as
// its argument; "" or why it failed.
std::string run_network_script(const std::string& script, const std::string& ifname);

}  // namespace vx86
