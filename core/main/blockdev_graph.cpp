#include "core/main/blockdev_graph.h"

#include <map>

namespace vx86 {

namespace {

// The keys of one node, at the top or inline under "file.".
const char* const kNodeKeys[] = {"driver",         "node-name",     "read-only",   "auto-read-only",
                                 "discard",        "detect-zeroes", "force-share", "cache.direct",
                                 "cache.no-flush", "filename",      "locking",     "aio"};
const char* const kBoolKeys[] = {"read-only", "auto-read-only", "force-share", "cache.direct",
                                 "cache.no-flush"};

bool is_bool_key(const std::string& key) {
  for (const char* k : kBoolKeys) {
    if (key == k) return true;
  }
  return false;
}

struct Node {
  std::string name;  // empty for an inline file node without node-name
  std::string driver;
  std::string where;                   // "-blockdev node-name=NAME" for messages
  std::string filename;                // file nodes
  int file = -1;                       // format nodes: the index of their file node
  std::optional<std::string> backing;  // "null" or a node's name
  bool read_only = false;
  std::optional<bool> direct, no_flush;
  std::string used_by;  // the node this one is the file or backing of
  bool is_file() const { return driver == "file" || driver == "host_device"; }
};

class Graph {
 public:
  void add(const KeyValues& kv) {
    const std::string name = kv.get_string("node-name");
    if (name.empty())
      throw OptionError("-blockdev: 'node-name' must be specified for the root node");
    const std::string where = "-blockdev node-name=" + name;
    if (find(name) >= 0)
      throw OptionError(where + ": Duplicate nodes with node-name='" + name + "'");
    Node node = read(kv, "", where);
    if (!node.is_file()) {
      if (kv.has("file.driver")) {
        Node child = read(kv, "file.", where);
        if (!child.is_file()) {
          throw OptionError(where + ": the file of a " + node.driver +
                            " node must be a file node (driver=file), not " + child.driver);
        }
        if (!child.name.empty() && find(child.name) >= 0) {
          throw OptionError(where + ": Duplicate nodes with node-name='" + child.name + "'");
        }
        child.used_by = name;
        nodes_.push_back(child);
        node.file = static_cast<int>(nodes_.size()) - 1;
      } else {
        const std::string ref = kv.get_string("file");
        if (ref.empty()) throw OptionError(where + ": Parameter 'file' is missing");
        node.file = use(ref, name, where);
        if (!nodes_[node.file].is_file()) {
          throw OptionError(where + ": the file of a " + node.driver +
                            " node must be a file node (driver=file), not the " +
                            nodes_[node.file].driver + " node '" + ref + "'");
        }
      }
      if (kv.has("backing")) {
        node.backing = kv.get_string("backing");
        if (*node.backing != "null") use(*node.backing, name, where);
      }
    }
    nodes_.push_back(node);
  }

  std::vector<BlockdevImage> images() const {
    std::vector<BlockdevImage> out;
    for (const Node& node : nodes_) {
      if (!node.used_by.empty()) continue;  // part of another node's image
      BlockdevImage image;
      image.node_name = node.name;
      image.option = node.where;
      const Node& file = node.is_file() ? node : nodes_[node.file];
      image.options.file = file.filename;
      image.options.format = node.is_file() ? "raw" : node.driver;
      image.options.read_only = node.read_only || file.read_only;
      const bool direct = node.direct.value_or(file.direct.value_or(false));
      const bool no_flush = node.no_flush.value_or(file.no_flush.value_or(false));
      if (direct && no_flush) {
        throw OptionError(node.where +
                          ": cache.direct=on with cache.no-flush=on is not available yet");
      }
      image.cache_name = direct ? "none" : no_flush ? "unsafe" : "writeback";
      image.options.cache = direct     ? CacheMode::kNone
                            : no_flush ? CacheMode::kUnsafe
                                       : CacheMode::kWriteback;
      if (node.backing) {
        std::vector<BlockdevImage::Layer> layers;
        const Node* layer = &node;
        while (layer->backing && *layer->backing != "null") {
          layer = &nodes_[find(*layer->backing)];
          const Node& layer_file = layer->is_file() ? *layer : nodes_[layer->file];
          layers.push_back({layer_file.filename, layer->is_file() ? "raw" : layer->driver});
        }
        image.backing = layers;
        image.backing_complete = layer->backing.has_value();
      }
      out.push_back(image);
    }
    return out;
  }

 private:
  int find(const std::string& name) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  // The node `ref` (defined before, as QEMU has it), now part of user's image.
  int use(const std::string& ref, const std::string& user, const std::string& where) {
    const int index = find(ref);
    if (index < 0) {
      throw OptionError(where + ": Cannot find device='" + ref + "' nor node-name='" + ref + "'");
    }
    if (!nodes_[index].used_by.empty()) {
      throw OptionError(where + ": node '" + ref + "' is already used by node '" +
                        nodes_[index].used_by + "'");
    }
    nodes_[index].used_by = user;
    return index;
  }

  static Node read(const KeyValues& kv, const std::string& prefix, const std::string& where) {
    auto key = [&](const char* k) { return prefix + k; };
    Node node;
    node.name = kv.get_string(key("node-name"));
    node.where = where;
    node.driver = kv.get_string(key("driver"));
    if (node.driver.empty())
      throw OptionError(where + ": Parameter '" + key("driver") + "' is missing");
    if (node.driver != "file" && node.driver != "host_device" && node.driver != "raw" &&
        node.driver != "qcow2") {
      throw OptionError(where + ": Parameter '" + key("driver") + "' does not accept value '" +
                        node.driver + "' (file, host_device, raw or qcow2)");
    }
    if (node.is_file()) {
      node.filename = kv.get_string(key("filename"));
      if (node.filename.empty()) {
        throw OptionError(where + ": Parameter '" + key("filename") + "' is missing");
      }
      for (const char* format_key : {"file", "backing"}) {
        if (kv.has(key(format_key)) ||
            (prefix.empty() && kv.has(std::string(format_key) + ".driver"))) {
          throw OptionError(where + ": Parameter '" + key(format_key) + "' is unexpected");
        }
      }
    } else if (kv.has(key("filename"))) {
      throw OptionError(where + ": Parameter '" + key("filename") + "' is unexpected");
    }
    const std::string zeroes = kv.get_string(key("detect-zeroes"), "off");
    if (zeroes != "off") {
      throw OptionError(where + ": parameter '" + key("detect-zeroes") + "' value '" + zeroes +
                        "' is not available yet");
    }
    const std::string discard = kv.get_string(key("discard"), "ignore");
    if (discard != "ignore" && discard != "off" && discard != "unmap" && discard != "on") {
      throw OptionError(where + ": Parameter '" + key("discard") + "' does not accept value '" +
                        discard + "'");
    }
    node.read_only = kv.get_bool(key("read-only"), false);
    if (kv.has(key("cache.direct"))) node.direct = kv.get_bool(key("cache.direct"), false);
    if (kv.has(key("cache.no-flush"))) node.no_flush = kv.get_bool(key("cache.no-flush"), false);
    return node;
  }

  std::vector<Node> nodes_;
};

}  // namespace

const std::vector<OptDesc>& blockdev_keys() {
  static const std::vector<OptDesc> keys = [] {
    std::vector<OptDesc> out;
    for (const std::string prefix : {"", "file."}) {
      for (const char* k : kNodeKeys) {
        out.push_back({prefix + k, is_bool_key(k) ? OptType::kBool : OptType::kString, ""});
      }
    }
    out.push_back({"file", OptType::kString, "the file node under a format node"});
    out.push_back({"backing", OptType::kString, "the backing node, or null for none"});
    return out;
  }();
  return keys;
}

std::vector<BlockdevImage> resolve_blockdevs(const std::vector<KeyValues>& blockdevs) {
  Graph graph;
  for (const KeyValues& kv : blockdevs) graph.add(kv);
  return graph.images();
}

}  // namespace vx86
