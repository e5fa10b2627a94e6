#include "core/main/netdevs.h"

#include "core/netdev_tap.h"
#include "core/netdev_user.h"

namespace vx86 {

struct NetDevs::Entry {
  std::unique_ptr<NetBackend> backend;
  std::string user;  // the NIC that took it
};

NetDevs::NetDevs() = default;
NetDevs::~NetDevs() = default;

const std::vector<OptDesc>& nic_option_keys() {
  static const std::vector<OptDesc> keys = [] {
    std::vector<OptDesc> k = {
        {"type", OptType::kString, "user or none"},
        {"id", OptType::kString, "ID of the backend"},
        {"model", OptType::kString, "NIC model (-nic model=help lists them)"},
        {"mac", OptType::kString, "MAC address (-nic)"},
        {"macaddr", OptType::kString, "MAC address (-net nic)"},
        {"name", OptType::kString, "name of the backend in info network (-net user)"},
    };
    for (const auto& d : UserNetBackend::option_keys()) k.push_back(d);
    for (const auto& d : TapNetBackend::option_keys()) k.push_back(d);
    return k;
  }();
  return keys;
}

std::string nic_model_device(const std::string& option, const std::string& model) {
  // QEMU's pc machine: an e1000 unless a model is named.
  if (model.empty() || model == "e1000") return "e1000";
  if (model == "virtio" || model == "virtio-net-pci") return "virtio-net-pci";
  if (model == "e1000e" || model == "rtl8139" || model == "ne2k_pci" || model == "pcnet" ||
      model == "i82559er" || model == "vmxnet3") {
    throw OptionError(option + ": NIC model '" + model +
                      "' is not available yet (e1000 and virtio-net-pci are; -nic model=help)");
  }
  throw OptionError(option + ": unknown NIC model '" + model + "' (-nic model=help lists them)");
}

std::string describe_nic_models() {
  return "Available NIC models:\ne1000\nvirtio-net-pci (also: virtio)\n";
}

namespace {

// The backend's keys (-netdev user or tap) of a -nic or -net option, as
// their own key list.
const std::vector<OptDesc>& backend_keys(const std::string& type) {
  return type == "tap" ? TapNetBackend::option_keys() : UserNetBackend::option_keys();
}

KeyValues backend_keys_of(const KeyValues& opts, const std::string& type,
                          const std::string& option) {
  std::string text = "type=" + type;
  auto escape = [](const std::string& s) {
    std::string out;
    for (char c : s) out += c == ',' ? std::string(",,") : std::string(1, c);
    return out;
  };
  for (const auto& d : backend_keys(type)) {
    for (const auto& v : opts.get_all(d.name)) text += "," + d.name + "=" + escape(v);
  }
  // Keys of the other backend type are refused, naming the option.
  for (const char* other : {"user", "tap"}) {
    if (type == other) continue;
    for (const auto& d : backend_keys(other)) {
      bool shared = false;
      for (const auto& mine : backend_keys(type)) shared = shared || mine.name == d.name;
      if (opts.has(d.name) && !shared) {
        throw OptionError(option + ": invalid parameter '" + d.name + "'");
      }
    }
  }
  std::vector<OptDesc> descs = backend_keys(type);
  descs.push_back({"type", OptType::kString, ""});
  return KeyValues::parse(option, text, "", descs);
}

bool has_backend_keys(const KeyValues& opts) {
  for (const char* type : {"user", "tap"}) {
    for (const auto& d : backend_keys(type)) {
      if (opts.has(d.name)) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<OptDesc> netdev_option_keys(const std::string& type) {
  std::vector<OptDesc> keys = {{"type", OptType::kString, ""}, {"id", OptType::kString, ""}};
  const auto& own = type == "tap" ? TapNetBackend::option_keys() : UserNetBackend::option_keys();
  for (const auto& d : own) keys.push_back(d);
  return keys;
}

void NetDevs::add_backend(const std::string& option, const std::string& id, const KeyValues& opts) {
  if (entries_.count(id)) throw OptionError(option + ": duplicate netdev id '" + id + "'");
  auto entry = std::make_unique<Entry>();
  if (opts.get_string("type", "user") == "tap") {
    entry->backend = std::make_unique<TapNetBackend>(id, opts, *loop_);
  } else {
    entry->backend = std::make_unique<UserNetBackend>(id, opts, *loop_);
  }
  entries_[id] = std::move(entry);
  order_.push_back(id);
}

void NetDevs::hot_add(const KeyValues& opts) {
  const std::string id = opts.get_string("id");
  add_backend(opts.option(), id, opts);
}

std::string NetDevs::remove(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return "Device '" + id + "' not found";
  if (!it->second->user.empty()) {
    return "netdev '" + id + "' is in use by a " + it->second->user +
           " (device_del the network card first)";
  }
  entries_.erase(it);
  std::erase(order_, id);
  return "";
}

void NetDevs::create(MainLoop& loop) {
  loop_ = &loop;
  auto add = [&](const std::string& option, const std::string& id, const KeyValues& opts) {
    add_backend(option, id, opts);
  };
  for (const KeyValues& opts : netdev_opts_) add("-netdev", opts.get_string("id"), opts);

  bool nic_none = false;
  unsigned nic_index = 0;
  for (const KeyValues& opts : nic_opts_) {
    std::string type = opts.get_string("type", "user");
    if (type == "none") {
      nic_none = true;
      continue;
    }
    std::string model = nic_model_device("-nic", opts.get_string("model"));
    std::string id = opts.get_string("id", "__nic" + std::to_string(nic_index));
    add("-nic", id, backend_keys_of(opts, type, "-nic " + type));
    nics_.push_back({model, id, opts.get_string("mac")});
    ++nic_index;
  }

  // -net: one NIC and one user backend joined (QEMU's hub with two ports).
  const KeyValues* net_nic = nullptr;
  const KeyValues* net_user = nullptr;
  for (const KeyValues& opts : net_opts_) {
    std::string type = opts.get_string("type");
    if (type == "none") {
      nic_none = true;
    } else if (type == "nic") {
      if (net_nic) throw OptionError("-net nic: more than one -net nic is not available yet");
      if (has_backend_keys(opts)) {
        throw OptionError("-net nic: network backend parameters belong to -net user or -net tap");
      }
      net_nic = &opts;
    } else {
      if (net_user) {
        throw OptionError("-net " + type + ": more than one -net backend is not available yet");
      }
      net_user = &opts;
    }
  }
  const std::string net_user_id = net_user ? net_user->get_string("name", "__net_user") : "";
  if (net_user) {
    const std::string type = net_user->get_string("type");
    add("-net " + type, net_user_id, backend_keys_of(*net_user, type, "-net " + type));
  }
  if (net_nic) {
    nics_.push_back({nic_model_device("-net nic", net_nic->get_string("model")), net_user_id,
                     net_nic->get_string("macaddr")});
  }

  // QEMU's default network: a NIC on user networking unless told otherwise.
  if (!nic_none && !no_defaults_ && netdev_opts_.empty() && nic_opts_.empty() &&
      net_opts_.empty()) {
    add("-nic", "__default_nic", backend_keys_of(KeyValues(), "user", "-nic user"));
    nics_.push_back({nic_model_device("-nic", ""), "__default_nic", ""});
  }
}

NetBackend* NetDevs::claim(const std::string& id, const std::string& user) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    throw OptionError("-device " + user + ": netdev '" + id + "' not found (-netdev ...,id=" + id +
                      ")");
  }
  if (!it->second->user.empty()) {
    throw OptionError("-device " + user + ": netdev '" + id + "' is already used by " +
                      it->second->user);
  }
  it->second->user = user;
  return it->second->backend.get();
}

void NetDevs::release(const std::string& id) {
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second->user.clear();
}

NetBackend* NetDevs::find(const std::string& id) {
  if (id.empty()) return order_.empty() ? nullptr : entries_.at(order_.front())->backend.get();
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second->backend.get();
}

std::vector<std::string> NetDevs::unclaimed() const {
  std::vector<std::string> out;
  for (const auto& id : order_) {
    const Entry& e = *entries_.at(id);
    if (e.user.empty()) out.push_back(id + ": " + e.backend->describe());
  }
  return out;
}

}  // namespace vx86
