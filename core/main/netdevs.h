// The network options: -netdev TYPE,id=ID,... creates a backend a NIC can
// take (-device virtio-net-pci,netdev=ID); -nic TYPE,model=M,... is both at
// once; -net nic / -net user are QEMU's older spelling of one such pair.
// Without any of them the pc machine gets QEMU's default: one e1000 on user
// networking (a -nic or -net nic without model= is an e1000 too). -nic none
// (or -net none, or -nodefaults) leaves the machine without a network.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/netdev.h"
#include "core/options.h"

namespace vx86 {

class MainLoop;

// A NIC the options ask for besides the -device ones.
struct NicRequest {
  std::string model;   // a -device type, e.g. virtio-net-pci
  std::string netdev;  // backend id, or "" for none
  std::string mac;     // "" for the default
};

class NetDevs {
 public:
  NetDevs();
  ~NetDevs();

  // The -netdev, -nic and -net options as given (checked when parsed).
  void add_netdev(const KeyValues& opts) { netdev_opts_.push_back(opts); }
  void add_nic(const KeyValues& opts) { nic_opts_.push_back(opts); }
  void add_net(const KeyValues& opts) { net_opts_.push_back(opts); }
  void set_no_defaults() { no_defaults_ = true; }

  // Creates the backends. Throws OptionError naming the option.
  void create(MainLoop& loop);
  // The backend `id` for `user` (a NIC); throws OptionError if there is none
  // or another NIC has it.
  NetBackend* claim(const std::string& id, const std::string& user);
  // The NIC that claimed `id` is gone (hot-unplugged); another may take it.
  void release(const std::string& id);
  // netdev_add: a backend from checked -netdev keys (after create). Throws
  // OptionError (a duplicate id, a backend that cannot start).
  void hot_add(const KeyValues& opts);
  // netdev_del: "" or why not (QEMU's "Device 'ID' not found"; a backend a
  // NIC still uses stays).
  std::string remove(const std::string& id);
  const std::vector<NicRequest>& nics() const { return nics_; }
  // Lines for the monitor's `info network` about the backends no NIC took.
  std::vector<std::string> unclaimed() const;
  // The backend `id`, or with "" the first one; nullptr if there is none.
  NetBackend* find(const std::string& id);

 private:
  struct Entry;
  void add_backend(const std::string& option, const std::string& id, const KeyValues& opts);
  MainLoop* loop_ = nullptr;
  std::vector<KeyValues> netdev_opts_, nic_opts_, net_opts_;
  bool no_defaults_ = false;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  std::vector<std::string> order_;
  std::vector<NicRequest> nics_;
};

// Keys of -netdev TYPE (and netdev_add): type, id and the backend's own.
std::vector<OptDesc> netdev_option_keys(const std::string& type);

// Keys of -nic and -net nic, for the parser.
const std::vector<OptDesc>& nic_option_keys();
// The models -nic model= takes ("virtio" is short for virtio-net-pci).
std::string nic_model_device(const std::string& option, const std::string& model);
std::string describe_nic_models();

}  // namespace vx86
