// The vx86 command line, spelled like QEMU's.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/log_filter.h"
#include "core/options.h"
#include "target-x86/cpuid.h"

namespace vx86 {

struct CmdlineOptions {
  std::string machine = "pc";
  std::optional<KeyValues> machine_opts;
  uint64_t ram_size = 128ull << 20;
  unsigned smp_cpus = 1;
  x86::CpuTopology smp;  // -smp's sockets, dies, cores and threads (smp_cpus in all)
  std::string cpu_model = "qemu64";
  uint64_t tsc_frequency = 0;  // -cpu ...,tsc-frequency=HZ (0: the default)
  std::string accel = "tcg";
  std::optional<KeyValues> accel_opts;
  std::string kernel, initrd, append, bios;
  // -boot [order=]DRIVES[,menu=on|off,...]: QEMU's letters (a floppy, c disk,
  // d CD-ROM, n network), at most three; QEMU's pc default is "cad".
  std::string boot_order = "cad";
  bool boot_menu = false;
  std::string boot_once;  // -boot once=
  bool boot_strict = false;
  int64_t reboot_timeout = -1;
  std::optional<uint16_t> splash_time;
  std::string splash;  // -boot splash=FILE
  std::vector<KeyValues> drives;
  std::vector<KeyValues> blockdevs;  // -blockdev (core/main/blockdev_graph.h)
  std::vector<KeyValues> devices;
  std::vector<KeyValues> netdevs;  // -netdev TYPE,id=ID,...
  std::vector<KeyValues> nics;     // -nic TYPE,...
  std::vector<KeyValues> nets;     // -net nic|user|none,...
  bool no_defaults = false;        // -nodefaults: no default serial port, VGA or NIC
  std::vector<std::string> globals;
  std::vector<KeyValues> chardevs;
  std::vector<std::string> serials;
  std::vector<std::string> debugcons;  // -debugcon DEV
  std::vector<std::string> monitors;
  std::vector<std::string> qmps;
  std::set<std::size_t> qmp_pretty;  // indices into qmps given as -qmp-pretty
  std::vector<KeyValues> mons;       // -mon chardev=ID,mode=...
  bool nographic = false;
  std::optional<bool> vga;                  // -vga std or none; std unless -nodefaults
  std::string vga_id;                       // -device VGA,id=
  bool vga_from_device = false;             // the VGA came as -device VGA (libvirt's way)
  std::string vga_bus, vga_addr;            // its bus= and addr=, if given
  bool sata = true;                         // -machine sata= (the q35's AHCI controller)
  std::array<std::string, 2> pflash_nodes;  // -machine pflash0= / pflash1= (-blockdev nodes)
  std::optional<bool> smbus;  // -machine smbus= (the q35's; the pc's PIIX4 has none yet)
  std::string display;        // "" = default for the build
  std::optional<std::string> gdb;
  std::optional<std::string> vnc;  // -vnc DISPLAY[,options]
  std::string uuid;                // -uuid (QMP query-uuid); "" for QEMU's all-zero one
  // -smbios type=N,FIELD=VALUE...: the fields by type (checked), and type
  // 11's OEM strings (value= and path= files, in order).
  std::map<unsigned, std::map<std::string, std::string>> smbios_fields;
  std::vector<std::string> smbios_oem_strings;
  bool message_timestamps = false;                  // -msg timestamp=on
  bool message_guest_name = false;                  // -msg guest-name=on
  bool lock_memory = false;                         // -overcommit mem-lock=on
  std::string memory_backend;                       // -machine memory-backend=ID
  std::map<std::string, uint64_t> memory_backends;  // -object memory-backend-ram: id, size
  bool ram_size_given = false;
  bool start_paused = false;
  uint32_t log_mask = 0;
  std::string log_file;
  std::vector<LogAddressRange> log_filter;  // -dfilter
  bool no_reboot = false;
  bool perf_map = false;  // -perfmap
  bool no_shutdown = false;
  std::vector<KeyValues> objects;  // -object TYPE,id=ID,...
  // -snapshot: every drive as snapshot=on unless it says otherwise.
  bool snapshot = false;
  std::string rtc_base = "utc";    // -rtc base=utc|localtime|DATE
  std::string rtc_clock = "host";  // -rtc clock=host|rt|vm
  bool rtc_slew = false;           // -rtc driftfix=slew
  bool hpet = true;                // -machine hpet=off or -no-hpet: none
  // -global PIIX4_PM.acpi-root-pci-hotplug=off (libvirt's pci-root with
  // hotplug='off'): no ACPI hot-plug on bus 0.
  bool root_pci_hotplug = true;
  std::string pid_file;  // -pidfile
  // -usb or -machine usb=on: the PIIX3's USB controller (bus usb-bus.0).
  bool usb = false;
  std::vector<std::string> usb_devices;  // -usbdevice NAME (mouse, tablet, keyboard)
  std::string name;
  // "-M help", "-device help", "-device TYPE,help", "-cpu help", "-accel help":
  // what to list instead of running ("machine", "device", "device:TYPE", "cpu", "accel").
  std::string list_request;
};

// What the parse asks main to do.
enum class CmdlineAction { kRun, kExitSuccess };

// Parses argv. Prints -help, -version and -d help itself and returns kExitSuccess for
// them. Throws OptionError with a one-line message on a bad option or value.
CmdlineAction parse_cmdline(int argc, char** argv, CmdlineOptions* out);

// -rtc base=: where the RTC starts, in seconds since the epoch as the RTC
// shows them, for base=localtime or a date; nullopt for utc (the host's
// wall time, the RTC's default). now is the host's time.
std::optional<int64_t> rtc_start_time(const std::string& base, int64_t now);

}  // namespace vx86
