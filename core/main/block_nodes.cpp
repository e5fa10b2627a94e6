#include "core/main/block_nodes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "block/block_backend.h"
#include "core/main/blockdev_graph.h"
#include "core/main/drives.h"

namespace vx86 {

namespace {

// A graph error ("-blockdev node-name=X: Duplicate nodes ...") as QMP says it.
std::string without_option(const std::string& message) {
  const std::string prefix = "-blockdev";
  if (message.rfind(prefix, 0) != 0) return message;
  const auto colon = message.find(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

// The nodes a node refers to by name (its file and backing).
bool refers_to(const KeyValues& node, const std::string& name) {
  return node.get_string("file") == name || node.get_string("backing") == name;
}

}  // namespace

BlockNodes::BlockNodes(Drives& drives, const std::vector<KeyValues>& startup)
    : drives_(drives), nodes_(startup) {
  for (const BlockdevImage& image : resolve_blockdevs(startup)) opened_.insert(image.node_name);
}

std::string BlockNodes::add(const KeyValues& node) {
  const std::string name = node.get_string("node-name");
  std::vector<KeyValues> grown = nodes_;
  grown.push_back(node);
  std::vector<BlockdevImage> images;
  try {
    images = resolve_blockdevs(grown);
  } catch (const OptionError& e) {
    return without_option(e.what());
  }
  for (const std::string& opened : opened_) {
    if (refers_to(node, opened)) {
      return "Node '" + opened +
             "' is open as a disk already; putting it under another node is not available yet";
    }
  }
  const std::string driver = node.get_string("driver");
  if (driver == "file" || driver == "host_device") {
    const std::string filename = node.get_string("filename");
    const int fd = ::open(filename.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "Could not open '" + filename + "': " + std::strerror(errno);
    ::close(fd);
  } else {
    // The image this node tops must open (then it is closed again until a
    // device takes it).
    for (const BlockdevImage& image : images) {
      if (image.node_name != name) continue;
      try {
        BlockBackend check(image.options);
      } catch (const std::exception& e) {
        return e.what();
      }
    }
  }
  nodes_.push_back(node);
  return "";
}

void BlockNodes::open_for_device(const std::string& name) {
  if (opened_.count(name)) return;
  bool known = false;
  for (const KeyValues& node : nodes_) known = known || node.get_string("node-name") == name;
  if (!known) return;
  for (const BlockdevImage& image : resolve_blockdevs(nodes_)) {
    if (image.node_name != name) continue;
    drives_.open_blockdevs({image});
    opened_.insert(name);
    return;
  }
  throw OptionError("node '" + name + "' is part of another node's image");
}

std::string BlockNodes::remove(const std::string& name) {
  auto it = nodes_.begin();
  while (it != nodes_.end() && it->get_string("node-name") != name) ++it;
  if (it == nodes_.end()) return "Failed to find node with node-name='" + name + "'";
  for (const KeyValues& other : nodes_) {
    if (refers_to(other, name)) return "Block device " + name + " is in use";
  }
  if (opened_.count(name)) {
    if (drives_.in_use(name)) return "Node " + name + " is in use";
    drives_.remove(name);
    opened_.erase(name);
  }
  nodes_.erase(it);
  return "";
}

}  // namespace vx86
