// vx86: parses the command line, builds the machine, picks the accelerator
// and runs the main loop until the guest or the user ends it.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

#include "accel/accel.h"
#include "core/log.h"
#include "core/main/cmdline.h"
#include "core/main/machine_controller.h"
#include "core/main/netdevs.h"
#include "core/main/pid_file.h"
#include "core/main_loop.h"
#include "hw/device_registry.h"
#include "target-x86/cpuid.h"
#include "tcg/perf_map.h"

using namespace vx86;

namespace {

int list_and_exit(const CmdlineOptions& options) {
  const std::string& what = options.list_request;
  if (what == "machine") {
    std::printf("Supported machines are:\n");
    std::printf(
        "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2) "
        "(default)\n");
    std::printf("q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)\n");
  } else if (what == "cpu") {
    std::printf("Available CPUs:\n");
    for (const x86::CpuModel* m : x86::cpu_models()) {
      std::printf("x86 %-20s %s\n", m->name.c_str(), m->description.c_str());
    }
  } else if (what == "accel") {
    std::printf("Accelerators supported in vx86 binary:\n");
    for (const auto& a : accelerator_list()) std::printf("%-6s %s\n", a.name, a.help);
  } else if (what == "netdev") {
    std::printf("Available netdev backend types:\nuser\ntap\n");
  } else if (what == "nic-model") {
    std::fputs(describe_nic_models().c_str(), stdout);
  } else if (what == "device") {
    std::fputs(describe_device_types().c_str(), stdout);
  } else if (what.rfind("device:", 0) == 0) {
    const DeviceTypeInfo* type = find_device_type(what.substr(7));
    if (!type) {
      error_report("-device %s: unknown device type ('-device help' lists them)",
                   what.substr(7).c_str());
      return 1;
    }
    std::fputs(describe_device_properties(*type).c_str(), stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe on stdout must not kill the emulator (as in QEMU).
  std::signal(SIGPIPE, SIG_IGN);
  CmdlineOptions options;
  try {
    if (parse_cmdline(argc, argv, &options) == CmdlineAction::kExitSuccess) return 0;
    if (!options.list_request.empty()) return list_and_exit(options);
  } catch (const OptionError& e) {
    error_report("%s", e.what());
    return 1;
  }
  set_report_options(options.message_timestamps,
                     options.message_guest_name ? options.name : std::string());
  // -overcommit mem-lock=on: guest RAM and vx86's own stay in host memory.
  if (options.lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    error_report("-overcommit mem-lock=on: locking memory failed: %s", std::strerror(errno));
    return 1;
  }
  set_log_mask(options.log_mask);
  set_log_filter(options.log_filter);
  if (!options.log_file.empty() && !set_log_file(options.log_file)) {
    error_report("-D %s: cannot open log file: %s", options.log_file.c_str(), std::strerror(errno));
    return 1;
  }
  std::string perf_map_error;
  if (options.perf_map && !tcg::perf_map_open(&perf_map_error)) {
    error_report("-perfmap: cannot create %s", perf_map_error.c_str());
    return 1;
  }
  try {
    std::optional<PidFile> pid_file;
    if (!options.pid_file.empty()) pid_file.emplace(options.pid_file);
    MachineController controller(options);
    return controller.run();
  } catch (const OptionError& e) {
    error_report("%s", e.what());
  } catch (const AccelError& e) {
    error_report("%s", e.what());
  } catch (const std::exception& e) {
    error_report("%s", e.what());
  }
  return 1;
}
