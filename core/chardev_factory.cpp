#include "core/chardev_factory.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <vector>

#include "core/chardev_file.h"
#include "core/chardev_mux.h"
#include "core/chardev_null.h"
#include "core/chardev_pty.h"
#include "core/chardev_socket.h"
#include "core/chardev_stdio.h"
#include "core/main_loop.h"

namespace vx86 {
namespace {

OptDesc desc(const char* name, OptType type, const char* help) {
  OptDesc d;
  d.name = name;
  d.type = type;
  d.help = help;
  return d;
}

struct Backend {
  const char* name;
  std::vector<OptDesc> keys;  // besides the common ones
  std::function<std::unique_ptr<Chardev>(const KeyValues&, const std::string& id, MainLoop&)>
      create;
};

std::vector<OptDesc> common_keys() {
  return {desc("backend", OptType::kString, "backend type"),
          desc("id", OptType::kString, "name other options refer to"),
          desc("mux", OptType::kBool, "share between several frontends (C-a c switches)")};
}

std::string option_name(const KeyValues& kv) {
  return kv.option().empty() ? std::string("-chardev") : kv.option();
}

std::unique_ptr<Chardev> create_socket(const KeyValues& kv, const std::string& id, MainLoop& loop) {
  SocketChardevOptions o;
  std::string opt = option_name(kv);
  bool has_path = kv.has("path");
  bool has_port = kv.has("port");
  bool has_fd = kv.has("fd");
  if (has_path + has_port + has_fd != 1) {
    throw OptionError(opt +
                      ": socket needs exactly one of 'port' (TCP), 'path' (Unix) or 'fd' (a "
                      "socket vx86 inherits)");
  }
  if (has_fd) {
    // A number: named fds (QMP getfd) are for chardev-add, which vx86 lacks.
    const std::optional<uint64_t> fd = parse_number(kv.get_string("fd"));
    if (!fd || *fd > INT32_MAX) {
      throw OptionError(opt + ": parameter 'fd' expects a file descriptor number, not '" +
                        kv.get_string("fd") + "'");
    }
    o.fd = static_cast<int>(*fd);
  }
  o.unix_socket = has_path;
  o.path = kv.get_string("path");
  o.host = kv.get_string("host");
  if (has_port) {
    uint64_t port = kv.get_number("port", 0);
    if (port > 65535) {
      throw OptionError(opt + ": parameter 'port' expects a port number, not '" +
                        kv.get_string("port") + "'");
    }
    o.port = std::to_string(port);
  }
  if (o.unix_socket && kv.has("host")) {
    throw OptionError(opt + ": parameter 'host' is for TCP sockets (use 'port')");
  }
  o.server = kv.get_bool("server", false);
  o.wait = kv.get_bool("wait", true);
  o.nodelay = kv.get_bool("nodelay", false);
  uint64_t reconnect = kv.get_number("reconnect", 0);
  if (reconnect > 0 && o.server) {
    throw OptionError(opt + ": parameter 'reconnect' is for client sockets (server=off)");
  }
  o.reconnect_seconds = static_cast<unsigned>(std::min<uint64_t>(reconnect, 86400));
  return std::make_unique<SocketChardev>(id, loop, std::move(o));
}

const std::vector<Backend>& backends() {
  static const std::vector<Backend> table = {
      {"null",
       {},
       [](const KeyValues&, const std::string& id, MainLoop&) -> std::unique_ptr<Chardev> {
         return std::make_unique<NullChardev>(id);
       }},
      {"file",
       {desc("path", OptType::kString, "file the output goes to"),
        desc("append", OptType::kBool, "append instead of truncating")},
       [](const KeyValues& kv, const std::string& id, MainLoop&) -> std::unique_ptr<Chardev> {
         if (!kv.has("path")) throw OptionError(option_name(kv) + ": parameter 'path' is missing");
         return std::make_unique<FileChardev>(id, kv.get_string("path"),
                                              kv.get_bool("append", false));
       }},
      {"stdio",
       {desc("signal", OptType::kBool, "Ctrl-C etc. act on vx86 (default on)")},
       [](const KeyValues& kv, const std::string& id, MainLoop& loop) -> std::unique_ptr<Chardev> {
         return std::make_unique<StdioChardev>(id, loop, kv.get_bool("signal", true));
       }},
      {"pty",
       {},
       [](const KeyValues&, const std::string& id, MainLoop& loop) -> std::unique_ptr<Chardev> {
         return std::make_unique<PtyChardev>(id, loop);
       }},
      {"socket",
       {desc("host", OptType::kString, "TCP host (server: address to bind)"),
        desc("port", OptType::kNumber, "TCP port (0: any free port)"),
        desc("path", OptType::kString, "Unix socket path"),
        desc("fd", OptType::kString, "a socket vx86 inherits, listening (server=on) or connected"),
        desc("server", OptType::kBool, "listen instead of connecting"),
        desc("wait", OptType::kBool, "server: wait for a client before starting"),
        desc("nodelay", OptType::kBool, "TCP_NODELAY"),
        desc("reconnect", OptType::kNumber, "client: seconds between connection attempts")},
       create_socket},
  };
  return table;
}

const Backend& find_backend(const std::string& option, const std::string& name) {
  for (const Backend& b : backends()) {
    if (name == b.name) return b;
  }
  std::string known;
  for (const Backend& b : backends()) known += std::string(known.empty() ? "" : ", ") + b.name;
  if (name.empty()) throw OptionError(option + ": backend missing (one of " + known + ")");
  throw OptionError(option + ": unknown backend '" + name + "' (one of " + known + ")");
}

std::vector<OptDesc> keys_of(const Backend& b) {
  std::vector<OptDesc> keys = common_keys();
  keys.insert(keys.end(), b.keys.begin(), b.keys.end());
  return keys;
}

void check_keys(const KeyValues& kv, const Backend& b) {
  std::string opt = option_name(kv);
  std::vector<OptDesc> keys = keys_of(b);
  for (const std::string& key : kv.order()) {
    const OptDesc* d = nullptr;
    for (const OptDesc& k : keys) {
      if (k.name == key) d = &k;
    }
    if (!d) {
      throw OptionError(opt + ": invalid parameter '" + key + "' for backend '" + b.name + "'");
    }
    // The typed getters throw the usual "expects ..." message.
    switch (d->type) {
      case OptType::kString:
        break;
      case OptType::kNumber:
        kv.get_number(key, 0);
        break;
      case OptType::kSize:
        kv.get_size(key, 0);
        break;
      case OptType::kBool:
        kv.get_bool(key, false);
        break;
    }
  }
}

std::string leading_value(std::string_view text) {
  std::size_t comma = text.find(',');
  std::string_view first = text.substr(0, comma);
  if (first.find('=') != std::string_view::npos) {
    // "backend=socket,..." spelled out.
    if (first.substr(0, 8) == "backend=") return std::string(first.substr(8));
    return "";
  }
  return std::string(first);
}

// Legacy values may hold commas (a file path); double them for KeyValues.
std::string escape_commas(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// ",server,nowait,nodelay" (old flag spelling) -> ",server=on,wait=off,...".
std::string legacy_socket_flags(std::string_view flags) {
  std::string out;
  std::size_t pos = 0;
  while (pos < flags.size()) {
    std::size_t end = flags.find(',', pos);
    if (end == std::string_view::npos) end = flags.size();
    std::string item(flags.substr(pos, end - pos));
    pos = end + 1;
    if (item.empty()) continue;
    if (item == "nowait") {
      item = "wait=off";
    } else if (item.find('=') == std::string::npos) {
      item += "=on";  // "server", "nodelay"
    }
    out += "," + item;
  }
  return out;
}

}  // namespace

KeyValues parse_chardev_option(std::string_view text, std::string_view option) {
  std::string opt(option);
  const Backend& b = find_backend(opt, leading_value(text));
  KeyValues kv = KeyValues::parse(opt, text, "backend", keys_of(b));
  if (!kv.has("id")) throw OptionError(opt + ": parameter 'id' is missing");
  return kv;
}

std::unique_ptr<Chardev> create_chardev(const KeyValues& opts, MainLoop& loop) {
  std::string opt = option_name(opts);
  const Backend& b = find_backend(opt, opts.get_string("backend"));
  check_keys(opts, b);
  std::string id = opts.get_string("id");
  if (id.empty()) throw OptionError(opt + ": parameter 'id' is missing");
  std::unique_ptr<Chardev> cd;
  try {
    cd = b.create(opts, id, loop);
  } catch (const OptionError&) {
    throw;
  } catch (const std::exception& e) {
    throw OptionError(opt + " " + b.name + ",id=" + id + ": " + e.what());
  }
  if (opts.get_bool("mux", false)) {
    auto mux = std::make_unique<MuxChardev>(id, std::move(cd));
    mux->set_quit_handler([&loop] { loop.stop(); });
    cd = std::move(mux);
  }
  return cd;
}

LegacyChardev parse_legacy_chardev_spec(std::string_view option, std::string_view spec,
                                        const std::string& id) {
  std::string opt(option);
  LegacyChardev out;
  if (spec == "none") return out;

  auto starts = [&](std::string_view prefix) { return spec.substr(0, prefix.size()) == prefix; };
  if (starts("chardev:")) {
    out.kind = LegacyChardev::Kind::kExisting;
    out.existing_id = std::string(spec.substr(8));
    if (out.existing_id.empty()) throw OptionError(opt + ": 'chardev:' needs an id");
    return out;
  }
  std::string extra;
  if (starts("mon:")) {
    out.with_monitor = true;
    spec.remove_prefix(4);
    extra = ",mux=on";
    // Ctrl-C goes to the guest; C-a x quits.
    if (spec == "stdio") extra += ",signal=off";
  }

  std::string text;
  if (spec == "stdio" || spec == "null" || spec == "pty") {
    text = std::string(spec);
  } else if (starts("file:")) {
    text = "file,path=" + escape_commas(spec.substr(5));
  } else if (starts("tcp:")) {
    std::string_view rest = spec.substr(4);
    std::size_t comma = rest.find(',');
    std::string_view address = rest.substr(0, comma);
    std::string_view flags = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      throw OptionError(opt + ": '" + std::string(spec) + "' needs tcp:[HOST]:PORT");
    }
    std::string_view host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);  // [::1]
    }
    text = "socket,port=" + std::string(address.substr(colon + 1));
    if (!host.empty()) text += ",host=" + std::string(host);
    text += legacy_socket_flags(flags);
  } else if (starts("unix:")) {
    std::string_view rest = spec.substr(5);
    std::size_t comma = rest.find(',');
    text = "socket,path=" + std::string(rest.substr(0, comma));
    if (comma != std::string_view::npos) text += legacy_socket_flags(rest.substr(comma + 1));
  } else {
    throw OptionError(opt + ": unknown character device '" + std::string(spec) +
                      "' (stdio, null, none, pty, file:, tcp:, unix:, mon:, chardev:)");
  }
  text += ",id=" + escape_commas(id) + extra;
  out.kind = LegacyChardev::Kind::kNew;
  out.opts = parse_chardev_option(text, opt);
  return out;
}

KeyValues parse_legacy_chardev(std::string_view option, std::string_view spec,
                               const std::string& id) {
  LegacyChardev legacy = parse_legacy_chardev_spec(option, spec, id);
  if (legacy.kind != LegacyChardev::Kind::kNew) {
    throw OptionError(std::string(option) + " " + std::string(spec) +
                      ": names no new character device");
  }
  return *legacy.opts;
}

}  // namespace vx86
