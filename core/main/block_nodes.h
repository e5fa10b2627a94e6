// The -blockdev graph as QMP grows and shrinks it while the machine runs
// (blockdev-add, blockdev-del), as libvirt does around device_add and
// device_del of a disk: a file node, then a format node over it; after the
// device is gone, the format node, then the file node.
//
// vx86 opens a node's image whole (core/main/blockdev_graph.h), so a node
// added at run time is checked when it comes (its file can be opened, a
// format node's image reads) but opened as a drive only when a device takes
// it: until then a file node may still become a format node's file.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/options.h"

namespace vx86 {

class Drives;

class BlockNodes {
 public:
  // startup: the -blockdev options, whose images `drives` has opened.
  BlockNodes(Drives& drives, const std::vector<KeyValues>& startup);

  // blockdev-add (keys of blockdev_keys()): "" or QEMU's reason.
  std::string add(const KeyValues& node);
  // Before a device takes drive `name`: a run-time node not opened yet is
  // opened now (nothing happens for other names). Throws OptionError.
  void open_for_device(const std::string& name);
  // blockdev-del: "" or QEMU's reason (a node a device or another node
  // uses stays).
  std::string remove(const std::string& name);

 private:
  Drives& drives_;
  std::vector<KeyValues> nodes_;  // live nodes, in the order they came
  std::set<std::string> opened_;  // nodes whose image is open as a drive
};

}  // namespace vx86
