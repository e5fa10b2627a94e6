#include "core/main/cmdline.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "core/log.h"
#include "core/log_filter.h"
#include "core/main/blockdev_graph.h"
#include "core/main/netdevs.h"
#include "hw/smbios/smbios_tables.h"

namespace vx86 {

namespace {

const char kUsage[] =
    "usage: vx86 [options]\n"
    "\n"
    "Standard options:\n"
    "  -h, -help            display this help and exit\n"
    "  -version             display version information and exit\n"
    "  -M, -machine TYPE[,prop=value...]\n"
    "                       select the machine ('-M help' lists them)\n"
    "  -m SIZE              guest RAM (suffixes K, M, G; bare number is MiB)\n"
    "  -smp N[,cpus=N]      number of virtual CPUs\n"
    "  -cpu MODEL[,tsc-frequency=HZ]\n"
    "                       CPU model ('-cpu help' lists them) and its TSC rate\n"
    "  -accel NAME[,prop=value...]\n"
    "                       tcg (default) or kvm ('-accel help' lists them)\n"
    "  -enable-kvm          same as -accel kvm\n"
    "  -name NAME           name of the guest, shown in window titles\n"
    "  -pidfile FILE        write vx86's process ID to FILE (removed at exit)\n"
    "\n"
    "Boot:\n"
    "  -bios FILE           firmware image mapped below 4 GiB and at 0xF0000 (default:\n"
    "                       Debian's SeaBIOS, /usr/share/seabios/bios-256k.bin)\n"
    "  -boot [order=]DRIVES[,menu=on]  firmware boot order: c disk, d CD-ROM, a floppy,\n"
    "                       n network (default cad); menu=on shows the firmware's boot menu;\n"
    "                       once=DRIVES for the first boot only; strict=on boots only\n"
    "                       devices with a bootindex; reboot-timeout=MS, splash=FILE,\n"
    "                       splash-time=MS as QEMU's\n"
    "  -kernel FILE         boot this Linux kernel (bzImage) or multiboot image\n"
    "  -initrd FILE         initial ram disk\n"
    "  -append CMDLINE      kernel command line\n"
    "\n"
    "Devices and images:\n"
    "  -device DRIVER[,prop=value...]\n"
    "                       add a device ('-device help', '-device DRIVER,help')\n"
    "  -object rng-random,id=ID[,filename=/dev/urandom] | rng-builtin,id=ID\n"
    "                       a random-number source for -device virtio-rng-pci,rng=ID\n"
    "  -global DRIVER.PROP=VALUE\n"
    "                       default for a device property\n"
    "  -drive file=FILE[,format=F][,if=I][,cache=C][,snapshot=on][,readonly=on]\n"
    "  -blockdev driver=qcow2|raw,node-name=NAME,file=NODE|file.driver=file,file.filename=F\n"
    "  -blockdev driver=file,node-name=NAME,filename=FILE[,read-only=on][,cache.direct=on]\n"
    "                       block nodes for -device ...,drive=NAME (or QEMU's JSON form)\n"
    "  -hda/-hdb/-hdc/-hdd FILE, -cdrom FILE\n"
    "  -snapshot            write to temporary files instead of the disk images\n"
    "  -rtc [base=utc|localtime|DATE][,clock=host|rt|vm]\n"
    "                       the RTC's start (DATE: 2006-06-17T16:01:21) and time base\n"
    "  -usb                 the PIIX3's USB controller (UHCI, bus usb-bus.0), for\n"
    "                       -device usb-tablet, usb-mouse, usb-kbd\n"
    "  -usbdevice tablet|mouse|keyboard\n"
    "                       a USB HID device (turns -usb on)\n"
    "\n"
    "Network (by default an e1000 NIC on user networking, as QEMU):\n"
    "  -netdev user,id=ID[,net=ADDR/MASK][,hostfwd=[tcp|udp]:[HADDR]:HPORT-[GADDR]:GPORT...]\n"
    "                       user-mode network backend ('-netdev help')\n"
    "  -netdev tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no][,fd=N]\n"
    "                       a host TAP interface (default script /etc/qemu-ifup)\n"
    "  -nic user|tap|none[,model=M][,mac=MAC][,netdev options]\n"
    "                       a NIC and its backend at once ('-nic model=help')\n"
    "  -net nic[,model=M][,macaddr=MAC], -net user[,...], -net none\n"
    "  -nodefaults          no default devices (serial port, VGA, NIC)\n"
    "\n"
    "Character devices, display and monitor:\n"
    "  -chardev BACKEND,id=ID[,...]\n"
    "  -serial DEV          COM port backend: stdio, null, none, pty, file:PATH,\n"
    "                       tcp:HOST:PORT[,server=on][,wait=off], unix:PATH[,server=on],\n"
    "                       mon:stdio, chardev:ID\n"
    "  -debugcon DEV        debug console on port 0xe9 (isa-debugcon), DEV as for -serial\n"
    "  -monitor DEV         human monitor on DEV\n"
    "  -qmp DEV             QMP monitor on DEV (as -mon with mode=control)\n"
    "  -mon chardev=ID[,mode=readline|control][,pretty=on|off]\n"
    "                       a monitor on chardev ID: human (readline) or QMP (control)\n"
    "  -nographic           no display; serial port and monitor on the terminal\n"
    "  -vga std|none        the display adapter: a VGA in text mode (default), or none\n"
    "  -display none|sdl    no window (default), or an SDL window showing the VGA\n"
    "  -vnc [HOST]:N|unix:PATH|none[,to=L][,share=allow-exclusive|force-shared|ignore]\n"
    "                       a VNC server on port 5900+N showing the VGA and taking\n"
    "                       the keyboard and the mouse (no authentication)\n"
    "\n"
    "Debugging:\n"
    "  -s                   shorthand for -gdb tcp::1234\n"
    "  -gdb DEV             accept a gdb connection on DEV (tcp:[HOST]:PORT, unix:PATH, ...)\n"
    "  -S                   do not start the CPUs (use 'c' in gdb or 'cont' in the monitor)\n"
    "  -d ITEM,...          log items ('-d help' lists them)\n"
    "  -D FILE              write the log to FILE instead of stderr\n"
    "  -dfilter RANGE,...   per-block logs only for guest addresses in the ranges\n"
    "                       (START+SIZE, END-SIZE or START..LAST)\n"
    "  -perfmap             name JIT code for perf in /tmp/perf-<pid>.map\n"
    "  -no-reboot           exit instead of rebooting\n"
    "  -no-shutdown         stop the guest instead of exiting on power-off\n"
    "\n"
    "During emulation with -nographic, Ctrl-A h lists the terminal escapes\n"
    "(Ctrl-A x quits, Ctrl-A c switches between serial port and monitor).\n";

struct OptionSpec {
  bool takes_arg;
  std::function<void(CmdlineOptions&, const std::string& name, const std::string& arg)> apply;
};

bool is_help(const std::string& arg) {
  return arg == "help" || arg == "?";
}

// "-device foo,help" or "-device foo,?"
bool ends_with_help(const std::string& arg) {
  auto comma = arg.rfind(',');
  return comma != std::string::npos && is_help(arg.substr(comma + 1));
}

const std::vector<OptDesc> kMachineKeys = {
    {"type", OptType::kString, "machine type"},
    {"accel", OptType::kString, "accelerator"},
    {"kernel-irqchip", OptType::kString, ""},
    {"usb", OptType::kBool, ""},
    {"graphics", OptType::kBool, ""},
    {"dump-guest-core", OptType::kBool, ""},
    {"hpet", OptType::kBool, "the HPET (on by default)"},
    {"sata", OptType::kBool, "the q35's AHCI controller at 00:1f.2 (on by default)"},
    {"smbus", OptType::kBool, "the q35's SMBus controller at 00:1f.3 (on by default)"},
    {"pflash0", OptType::kString, "-blockdev node of the firmware's flash (libvirt's UEFI)"},
    {"pflash1", OptType::kString, "-blockdev node of the firmware's variable store"},
    {"mem-merge", OptType::kBool, ""},
    {"memory-backend", OptType::kString, "ID of a -object memory-backend-ram for the RAM"},
};

// -smbios type=N,FIELD=VALUE,...: QEMU's fields for types 0, 1, 2, 3, 4,
// 11 and 17 (hw/smbios), with its refusals. file= (a binary table) is not
// there yet.
void parse_smbios(CmdlineOptions& o, const std::string& text) {
  const KeyValues kv = KeyValues::parse("-smbios", text, "", {});
  auto fail = [&text](const std::string& why) {
    throw OptionError("-smbios " + text + ": " + why);
  };
  if (kv.has("file")) fail("SMBIOS table files are not available yet");
  if (!kv.has("type")) fail("Must specify type= or file=");
  const auto type = parse_number(kv.get_string("type"));
  const std::vector<std::string>& names =
      type ? smbios_field_names(static_cast<unsigned>(*type)) : std::vector<std::string>{};
  if (names.empty())
    fail("Don't know how to build fields for SMBIOS type " + kv.get_string("type"));
  for (const std::string& key : kv.order()) {
    if (key != "type" && std::find(names.begin(), names.end(), key) == names.end()) {
      fail("Invalid parameter '" + key + "'");
    }
  }
  auto& fields = o.smbios_fields[static_cast<unsigned>(*type)];
  for (const std::string& key : kv.order()) {
    if (key == "type" || key == "value" || key == "path") continue;
    const std::string value = kv.get_string(key);
    if (key == "uuid" && !parse_uuid(value)) fail("Invalid UUID");
    if (key == "release") {
      const std::size_t dot = value.find('.');
      const auto major = parse_number(value.substr(0, dot));
      const auto minor =
          dot == std::string::npos ? std::nullopt : parse_number(value.substr(dot + 1));
      if (!major || !minor || *major > 255 || *minor > 255) fail("Invalid release");
    }
    if ((key == "speed" || key == "processor-id") && !parse_number(value)) {
      fail("Parameter '" + key + "' expects a number");
    }
    if (key == "uefi" && value != "on" && value != "off") {
      fail("Parameter 'uefi' expects 'on' or 'off'");
    }
    fields[key] = value;
  }
  for (const std::string key : {"value", "path"}) {
    for (const std::string& value : kv.get_all(key)) {
      if (key == "value") {
        o.smbios_oem_strings.push_back(value);
        continue;
      }
      std::ifstream in(value, std::ios::binary);
      if (!in) fail("Could not open '" + value + "': " + std::strerror(errno));
      o.smbios_oem_strings.emplace_back(std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>());
    }
  }
}

// -uuid: 8-4-4-4-12 hex digits.
bool valid_uuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

const std::vector<OptDesc> kMonKeys = {
    {"chardev", OptType::kString, "ID of the chardev (-chardev id=...)"},
    {"mode", OptType::kString, "readline (the human monitor, default) or control (QMP)"},
    {"pretty", OptType::kBool, "control: indent the JSON"},
    {"id", OptType::kString, "name of the monitor (libvirt gives one)"},
};

const std::vector<OptDesc> kBootKeys = {
    {"order", OptType::kString, "boot devices in order: a (floppy), c (disk), d (CD-ROM), n"},
    {"menu", OptType::kBool, "let the firmware offer its boot menu"},
    {"once", OptType::kString, "boot devices for the first boot only"},
    {"splash", OptType::kString, "the boot menu's picture (JPEG or 24-bit BMP)"},
    {"splash-time", OptType::kString, "ms the boot menu (menu=on) waits for a key"},
    {"reboot-timeout", OptType::kString, "ms before a failed boot retries (-1: never)"},
    {"strict", OptType::kBool, "boot only from the listed devices"},
};

// -boot order= and once=: one to three of QEMU's device letters.
std::string parse_boot_devices(const KeyValues& kv, const char* key) {
  const std::string order = kv.get_string(key);
  if (order.empty() || order.size() > 3) {
    throw OptionError(std::string("-boot: ") + key + " '" + order +
                      "' must name one to three devices");
  }
  for (char c : order) {
    if (c != 'a' && c != 'b' && c != 'c' && c != 'd' && c != 'n') {
      throw OptionError(std::string("-boot: invalid boot device '") + c +
                        "' (a, b: floppy; c: disk; d: CD-ROM; n: network)");
    }
  }
  return order;
}

// A whole number in [low, high] for -boot's key, or QEMU's complaint.
int64_t parse_boot_number(const KeyValues& kv, const char* key, int64_t low, int64_t high) {
  const std::string text = kv.get_string(key);
  const std::optional<int64_t> value = parse_signed_number(text);
  if (!value || *value < low || *value > high) {
    throw OptionError(std::string("-boot: parameter '") + key + "' must be a number from " +
                      std::to_string(low) + " to " + std::to_string(high) + " (not '" + text +
                      "')");
  }
  return *value;
}

// -boot: the order QEMU's pc machine takes (at most three devices), the boot
// menu with its wait and picture, strict, the retry after a failed boot.
void parse_boot(CmdlineOptions& o, const std::string& text) {
  auto kv = KeyValues::parse("-boot", text, "order", kBootKeys);
  if (kv.has("order")) o.boot_order = parse_boot_devices(kv, "order");
  if (kv.has("once")) o.boot_once = parse_boot_devices(kv, "once");
  o.boot_menu = kv.get_bool("menu", false);
  o.boot_strict = kv.get_bool("strict", false);
  if (kv.has("reboot-timeout")) {
    o.reboot_timeout = parse_boot_number(kv, "reboot-timeout", -1, 0xffff);
  }
  if (kv.has("splash-time")) {
    o.splash_time = static_cast<uint16_t>(parse_boot_number(kv, "splash-time", 0, 0xffff));
  }
  if (kv.has("splash")) o.splash = kv.get_string("splash");
}

const std::vector<OptDesc> kAccelKeys = {
    {"accel", OptType::kString, "accelerator name"},
    {"backend", OptType::kString, "tcg: jit (default on x86-64 hosts) or interp"},
    {"tb-size", OptType::kSize, "tcg: translation buffer size in MiB"},
    {"thread", OptType::kString, "tcg: single or multi"},
    {"stats", OptType::kBool, "tcg: print JIT statistics at exit"},
    {"kernel-irqchip", OptType::kString, "kvm: split (default), on or off"},
    {"device", OptType::kString, "kvm: the KVM device (default /dev/kvm)"},
};

// Backend types QEMU has and vx86 does not yet.
bool known_unavailable_netdev(const std::string& type) {
  for (const char* t : {"bridge", "socket", "stream", "dgram", "vde", "l2tpv3", "vhost-user",
                        "vhost-vdpa", "hubport", "netmap", "af-xdp", "passt"}) {
    if (type == t) return true;
  }
  return false;
}

void check_netdev_type(const std::string& option, const std::string& type) {
  if (type == "user" || type == "tap") return;
  if (known_unavailable_netdev(type)) {
    throw OptionError(option + ": network backend '" + type +
                      "' is not available yet (user and tap are; -netdev help)");
  }
  throw OptionError(option + ": unknown network backend type '" + type + "' (-netdev help)");
}

// -global PIIX4_PM.PROP=VALUE: the properties of QEMU's PIIX4 power
// management that libvirt sets. vx86 has no S3 or S4 (its DSDT offers S5
// only), so disable_s3 and disable_s4 change nothing.
void apply_piix4_pm_global(CmdlineOptions& o, const std::string& text) {
  const auto dot = text.find('.'), eq = text.find('=');
  const std::string prop = text.substr(dot + 1, eq - dot - 1), value = text.substr(eq + 1);
  auto boolean = [&] {
    const std::optional<bool> b = parse_bool(value);
    if (!b) {
      throw OptionError("-global " + text + ": Parameter '" + prop +
                        "' expects 'on' or 'off', not '" + value + "'");
    }
    return *b;
  };
  if (prop == "acpi-root-pci-hotplug") {
    o.root_pci_hotplug = boolean();
  } else if (prop == "acpi-pci-hotplug-with-bridge-support") {
    boolean();  // vx86 has no PCI bridges to hot-plug into
  } else if (prop == "disable_s3" || prop == "disable_s4" || prop == "s4_val") {
    const std::optional<uint64_t> n = parse_number(value);
    if (!n || *n > 0xff) {
      throw OptionError("-global " + text + ": Parameter '" + prop + "' expects uint8_t");
    }
  } else {
    throw OptionError("-global " + text + ": Property 'PIIX4_PM." + prop + "' not found");
  }
}

const std::vector<OptDesc> kSmpKeys = {
    {"cpus", OptType::kNumber, ""},    {"maxcpus", OptType::kNumber, ""},
    {"sockets", OptType::kNumber, ""}, {"dies", OptType::kNumber, ""},
    {"cores", OptType::kNumber, ""},   {"threads", OptType::kNumber, ""},
};

const std::vector<OptDesc> kDriveKeys = {
    {"file", OptType::kString, ""},   {"format", OptType::kString, ""},
    {"if", OptType::kString, ""},     {"cache", OptType::kString, ""},
    {"snapshot", OptType::kBool, ""}, {"readonly", OptType::kBool, ""},
    {"media", OptType::kString, ""},  {"index", OptType::kNumber, ""},
    {"bus", OptType::kNumber, ""},    {"unit", OptType::kNumber, ""},
    {"id", OptType::kString, ""},     {"discard", OptType::kString, ""},
    {"aio", OptType::kString, ""},    {"werror", OptType::kString, ""},
    {"rerror", OptType::kString, ""},
};

// -rtc base=DATE: 2006-06-17T16:01:21 or 2006-06-17, as seconds since the
// epoch (the date taken as the RTC's own time, with no time zone).
std::optional<int64_t> parse_rtc_date(const std::string& text) {
  std::tm tm{};
  char extra = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &extra);
  const bool date_only = n == 3 && text.size() == 10;
  if (n != 6 && !date_only) return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 59 || tm.tm_year < 1970) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

// -hda .. -hdd: an IDE disk at index 0 .. 3 (primary master .. secondary slave).
void add_ide_disk(CmdlineOptions& o, const std::string& option, const std::string& file,
                  unsigned index) {
  o.drives.push_back(KeyValues::parse(
      option, "file=" + file + ",if=ide,index=" + std::to_string(index), "", kDriveKeys));
}

uint64_t parse_ram_size(const std::string& arg) {
  // -m 512, -m 512M, -m 2G, -m size=1G
  std::string value = arg;
  if (value.rfind("size=", 0) == 0) value = value.substr(5);
  auto comma = value.find(',');
  if (comma != std::string::npos) {
    throw OptionError("-m: only a size is supported, not '" + arg + "'");
  }
  auto bytes = parse_size(value, 'M');
  if (!bytes || *bytes == 0) throw OptionError("-m: invalid RAM size '" + arg + "'");
  if (*bytes < (1ull << 20)) throw OptionError("-m: RAM size '" + arg + "' is below 1 MiB");
  return *bytes;
}

// -smp [cpus=]N[,sockets=S][,dies=D][,cores=C][,threads=T][,maxcpus=M], with
// the missing counts worked out as QEMU 7.2's pc machines do (cores before
// sockets), and QEMU's refusals.
x86::CpuTopology parse_smp(const std::string& arg) {
  auto kv = KeyValues::parse("-smp", arg, "cpus", kSmpKeys);
  const std::string option = "-smp " + arg;
  uint64_t cpus = kv.get_number("cpus", 0);
  if (kv.has("cpus") && cpus == 0) throw OptionError("-smp: invalid number of CPUs '" + arg + "'");
  uint64_t sockets = kv.get_number("sockets", 0), dies = kv.get_number("dies", 1),
           cores = kv.get_number("cores", 0), threads = kv.get_number("threads", 0),
           maxcpus = kv.get_number("maxcpus", 0);
  for (const char* key : {"sockets", "dies", "cores", "threads", "maxcpus"}) {
    if (kv.has(key) && kv.get_number(key, 0) == 0) {
      throw OptionError(option + ": CPU topology parameters must be greater than zero");
    }
  }
  if (cpus == 0 && maxcpus == 0) {
    sockets = sockets ? sockets : 1;
    cores = cores ? cores : 1;
    threads = threads ? threads : 1;
  } else {
    maxcpus = maxcpus ? maxcpus : cpus;
    if (cores == 0) {
      sockets = sockets ? sockets : 1;
      threads = threads ? threads : 1;
      cores = maxcpus / (sockets * dies * threads);
    } else if (sockets == 0) {
      threads = threads ? threads : 1;
      sockets = maxcpus / (dies * cores * threads);
    }
    if (threads == 0) threads = maxcpus / (sockets * dies * cores);
  }
  const uint64_t product = sockets * dies * cores * threads;
  maxcpus = maxcpus ? maxcpus : product;
  cpus = cpus ? cpus : maxcpus;
  auto hierarchy = [&] {
    return "sockets (" + std::to_string(sockets) + ") * dies (" + std::to_string(dies) +
           ") * cores (" + std::to_string(cores) + ") * threads (" + std::to_string(threads) + ")";
  };
  if (product != maxcpus) {
    throw OptionError(option +
                      ": Invalid CPU topology: product of the hierarchy must match maxcpus: " +
                      hierarchy() + " != maxcpus (" + std::to_string(maxcpus) + ")");
  }
  if (maxcpus < cpus) {
    throw OptionError(option +
                      ": Invalid CPU topology: maxcpus must be equal to or greater than "
                      "smp: " +
                      hierarchy() + " == maxcpus (" + std::to_string(maxcpus) + ") < smp_cpus (" +
                      std::to_string(cpus) + ")");
  }
  if (cpus == 0 || cpus > 255) throw OptionError("-smp: invalid number of CPUs '" + arg + "'");
  if (maxcpus != cpus) {
    throw OptionError(option +
                      ": CPUs to hot-plug later (maxcpus above the CPU count) are not "
                      "available yet");
  }
  const x86::CpuTopology topology{static_cast<unsigned>(sockets), static_cast<unsigned>(dies),
                                  static_cast<unsigned>(cores), static_cast<unsigned>(threads)};
  // vx86 numbers APICs 0..N-1, so the fields of the APIC ID must leave no gaps.
  if (!topology.apic_ids_are_indices()) {
    throw OptionError(option +
                      ": this topology leaves gaps between APIC IDs, which vx86 does not "
                      "support yet (make the counts below sockets powers of two)");
  }
  return topology;
}

void print_log_help() {
  std::size_t n;
  const LogMaskInfo* table = log_mask_table(&n);
  std::printf("Log items (comma separated):\n");
  for (std::size_t i = 0; i < n; ++i) std::printf("%-15s %s\n", table[i].name, table[i].help);
}

const std::map<std::string, OptionSpec>& option_table() {
  static const std::map<std::string, OptionSpec> table = {
      {"M",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (is_help(a)) return void(o.list_request = "machine");
          auto kv = KeyValues::parse("-machine", a, "type", kMachineKeys);
          if (kv.has("type")) o.machine = kv.get_string("type");
          // QEMU 7.2's pc and q35 are its pc-i440fx-7.2 and pc-q35-7.2 (the
          // names libvirt writes).
          if (o.machine == "pc-i440fx-7.2") o.machine = "pc";
          if (o.machine == "pc-q35-7.2") o.machine = "q35";
          if (o.machine.rfind("pc-i440fx-", 0) == 0 || o.machine.rfind("pc-q35-", 0) == 0) {
            throw OptionError("-machine " + o.machine +
                              ": this machine type is not available yet (pc and q35, which are "
                              "QEMU 7.2's pc-i440fx-7.2 and pc-q35-7.2, are)");
          }
          if (kv.has("smbus")) o.smbus = kv.get_bool("smbus", true);
          if (kv.has("sata")) o.sata = kv.get_bool("sata", true);
          if (kv.has("pflash0")) o.pflash_nodes[0] = kv.get_string("pflash0");
          if (kv.has("pflash1")) o.pflash_nodes[1] = kv.get_string("pflash1");
          o.memory_backend = kv.get_string("memory-backend");
          if (kv.has("usb")) o.usb = kv.get_bool("usb", false);
          if (kv.has("hpet")) o.hpet = kv.get_bool("hpet", true);
          o.machine_opts = kv;
        }}},
      {"m",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          o.ram_size = parse_ram_size(a);
          o.ram_size_given = true;
        }}},
      {"smbios", {true, [](CmdlineOptions& o, auto&, auto& a) { parse_smbios(o, a); }}},
      {"uuid",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (!valid_uuid(a)) {
            throw OptionError("-uuid " + a + ": failed to parse UUID string: wrong format");
          }
          o.uuid = a;
        }}},
      // -k: the keyboard layout for VNC clients that send keysyms. Clients with
      // QEMU's extended key events (TigerVNC, virt-viewer) send the keys
      // themselves and need none.
      {"k",
       {true,
        [](CmdlineOptions&, auto&, auto& a) {
          if (a != "en-us") {
            throw OptionError("-k " + a +
                              ": keyboard layouts other than en-us are not available yet");
          }
        }}},
      // vx86 reads no configuration files, so there is nothing to leave out.
      {"no-user-config", {false, [](CmdlineOptions&, auto&, auto&) {}}},
      {"msg",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse(
              "-msg", a, "",
              {{"timestamp", OptType::kBool, ""}, {"guest-name", OptType::kBool, ""}});
          o.message_timestamps = kv.get_bool("timestamp", false);
          o.message_guest_name = kv.get_bool("guest-name", false);
        }}},
      {"overcommit",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse(
              "-overcommit", a, "",
              {{"mem-lock", OptType::kBool, ""}, {"cpu-pm", OptType::kBool, ""}});
          if (kv.get_bool("cpu-pm", false)) {
            throw OptionError("-overcommit: parameter 'cpu-pm' is not available yet");
          }
          o.lock_memory = kv.get_bool("mem-lock", false);
        }}},
      {"audiodev",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse_structured(
              "-audiodev", a, "driver",
              {{"driver", OptType::kString, ""}, {"id", OptType::kString, ""}});
          if (kv.get_string("id").empty()) {
            throw OptionError("-audiodev: parameter 'id' is missing");
          }
          // vx86 has no sound devices: only the backend that plays nothing.
          if (kv.get_string("driver") != "none") {
            throw OptionError("-audiodev " + kv.get_string("driver") +
                              ": audio backends are not available yet (none is)");
          }
        }}},
      {"sandbox",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          const std::string mode = a.substr(0, a.find(','));
          if (mode == "off") return;
          throw OptionError("-sandbox " + mode + ": the seccomp sandbox is not available yet");
        }}},
      {"smp",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          o.smp = parse_smp(a);
          o.smp_cpus = o.smp.cpus();
        }}},
      {"cpu",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (is_help(a)) return void(o.list_request = "cpu");
          // MODEL[,tsc-frequency=HZ]; other properties and +/-features are not here yet.
          std::size_t comma = a.find(',');
          o.cpu_model = a.substr(0, comma);
          while (comma != std::string::npos) {
            const std::size_t next = a.find(',', comma + 1);
            const std::string item = a.substr(comma + 1, next - comma - 1);
            comma = next;
            const std::string key = "tsc-frequency=";
            if (item.rfind(key, 0) != 0) {
              throw OptionError("-cpu: CPU features ('" + item + "') are not available yet");
            }
            auto hz = parse_number(item.substr(key.size()));
            if (!hz || *hz < 1'000'000 || *hz > 100'000'000'000ull) {
              throw OptionError(
                  "-cpu: tsc-frequency expects a rate in Hz from 1 MHz to 100 GHz, not '" +
                  item.substr(key.size()) + "'");
            }
            o.tsc_frequency = *hz;
          }
        }}},
      {"accel",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (is_help(a)) return void(o.list_request = "accel");
          auto kv = KeyValues::parse("-accel", a, "accel", kAccelKeys);
          o.accel = kv.get_string("accel", "tcg");
          o.accel_opts = kv;
        }}},
      {"enable-kvm", {false, [](CmdlineOptions& o, auto&, auto&) { o.accel = "kvm"; }}},
      {"kernel", {true, [](CmdlineOptions& o, auto&, auto& a) { o.kernel = a; }}},
      {"initrd", {true, [](CmdlineOptions& o, auto&, auto& a) { o.initrd = a; }}},
      {"append", {true, [](CmdlineOptions& o, auto&, auto& a) { o.append = a; }}},
      {"bios", {true, [](CmdlineOptions& o, auto&, auto& a) { o.bios = a; }}},
      {"boot", {true, [](CmdlineOptions& o, auto&, auto& a) { parse_boot(o, a); }}},
      {"drive",
       {true, [](CmdlineOptions& o, auto&,
                 auto& a) { o.drives.push_back(KeyValues::parse("-drive", a, "", kDriveKeys)); }}},
      {"blockdev",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          o.blockdevs.push_back(KeyValues::parse_structured("-blockdev", a, "", blockdev_keys()));
        }}},
      {"hda", {true, [](CmdlineOptions& o, auto&, auto& a) { add_ide_disk(o, "-hda", a, 0); }}},
      {"hdb", {true, [](CmdlineOptions& o, auto&, auto& a) { add_ide_disk(o, "-hdb", a, 1); }}},
      {"hdc", {true, [](CmdlineOptions& o, auto&, auto& a) { add_ide_disk(o, "-hdc", a, 2); }}},
      {"hdd", {true, [](CmdlineOptions& o, auto&, auto& a) { add_ide_disk(o, "-hdd", a, 3); }}},
      {"object",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          // rng-random and rng-builtin, the sources of virtio-rng-pci.
          const std::string type = KeyValues::parse_structured("-object", a, "qom-type", {}).get_string(
              "qom-type");
          if (type == "memory-backend-ram") {
            // The RAM for -machine memory-backend= (libvirt's spelling of -m).
            auto kv = KeyValues::parse_structured(
                "-object memory-backend-ram", a, "qom-type",
                {{"qom-type", OptType::kString, ""},
                 {"id", OptType::kString, ""},
                 {"size", OptType::kSize, ""},
                 {"share", OptType::kBool, ""},
                 {"prealloc", OptType::kBool, ""},
                 {"dump", OptType::kBool, ""},
                 {"merge", OptType::kBool, ""}});
            o.memory_backends[kv.get_string("id")] = kv.get_size("size", 0);
            return;
          }
          if (type == "secret") {
            // libvirt's master key: kept for objects that name it (none in vx86 yet);
            // its file must be readable, as QEMU checks.
            auto kv = KeyValues::parse_structured("-object secret", a, "qom-type",
                                                  {{"qom-type", OptType::kString, ""},
                                                   {"id", OptType::kString, ""},
                                                   {"format", OptType::kString, ""},
                                                   {"file", OptType::kString, ""},
                                                   {"data", OptType::kString, ""},
                                                   {"keyid", OptType::kString, ""},
                                                   {"iv", OptType::kString, ""}});
            const std::string file = kv.get_string("file");
            if (!file.empty() && !std::ifstream(file)) {
              throw OptionError("-object secret,id=" + kv.get_string("id") +
                                ": Unable to read " + file + ": " + std::strerror(errno));
            }
            if (kv.get_string("format", "raw") != "raw" &&
                kv.get_string("format") != "base64") {
              throw OptionError("-object secret: parameter 'format' must be raw or base64");
            }
            return;
          }
          if (type != "rng-random" && type != "rng-builtin") {
            throw OptionError("-object " + type +
                              ": this object type is not available yet (rng-random, "
                              "rng-builtin, memory-backend-ram and secret are)");
          }
          std::vector<OptDesc> keys = {{"qom-type", OptType::kString, ""},
                                       {"id", OptType::kString, ""}};
          if (type == "rng-random") keys.push_back({"filename", OptType::kString, ""});
          auto kv = KeyValues::parse_structured("-object " + type, a, "qom-type", keys);
          if (kv.get_string("id").empty()) {
            throw OptionError("-object " + type + ": parameter 'id' is missing");
          }
          o.objects.push_back(kv);
        }}},
      {"rtc",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          static const std::vector<OptDesc> kRtcKeys = {{"base", OptType::kString, ""},
                                                        {"clock", OptType::kString, ""},
                                                        {"driftfix", OptType::kString, ""}};
          auto kv = KeyValues::parse("-rtc", a, "", kRtcKeys);
          o.rtc_base = kv.get_string("base", "utc");
          if (!parse_rtc_date(o.rtc_base) && o.rtc_base != "utc" && o.rtc_base != "localtime") {
            throw OptionError("-rtc: parameter 'base' expects utc, localtime or a date like "
                              "2006-06-17T16:01:21 or 2006-06-17, not '" +
                              o.rtc_base + "'");
          }
          o.rtc_clock = kv.get_string("clock", "host");
          if (o.rtc_clock != "host" && o.rtc_clock != "rt" && o.rtc_clock != "vm") {
            throw OptionError("-rtc: parameter 'clock' expects host, rt or vm, not '" +
                              o.rtc_clock + "'");
          }
          const std::string driftfix = kv.get_string("driftfix", "none");
          o.rtc_slew = driftfix == "slew";
          if (driftfix != "none" && driftfix != "slew") {
            throw OptionError("-rtc: parameter 'driftfix' expects none or slew, not '" +
                              driftfix + "'");
          }
        }}},
      {"snapshot", {false, [](CmdlineOptions& o, auto&, auto&) { o.snapshot = true; }}},
      {"pidfile", {true, [](CmdlineOptions& o, auto&, auto& a) { o.pid_file = a; }}},
      {"usb", {false, [](CmdlineOptions& o, auto&, auto&) { o.usb = true; }}},
      {"usbdevice",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (a != "tablet" && a != "mouse" && a != "keyboard") {
            throw OptionError("-usbdevice: '" + a +
                              "' is not a USB device vx86 has (tablet, mouse or keyboard)");
          }
          o.usb = true;  // as QEMU: the devices need the controller
          o.usb_devices.push_back(a);
        }}},
      {"cdrom",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          o.drives.push_back(KeyValues::parse("-cdrom", "file=" + a + ",if=ide,index=2,media=cdrom",
                                              "", kDriveKeys));
        }}},
      {"device",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (is_help(a)) return void(o.list_request = "device");
          if (ends_with_help(a)) {
            return void(o.list_request = "device:" + a.substr(0, a.rfind(',')));
          }
          // Keys are checked against the device's own properties later.
          KeyValues device = KeyValues::parse_structured("-device", a, "driver", {});
          // The std VGA, as libvirt adds it: the machine's own (-vga std) at 00:02.0.
          if (device.get_string("driver") == "VGA") {
            auto vga = KeyValues::parse_structured("-device VGA", a, "driver",
                                                   {{"driver", OptType::kString, ""},
                                                    {"id", OptType::kString, ""},
                                                    {"bus", OptType::kString, ""},
                                                    {"addr", OptType::kString, ""},
                                                    {"vgamem_mb", OptType::kNumber, ""}});
            // Where it is depends on the machine (check_option_combinations).
            o.vga_bus = vga.get_string("bus");
            o.vga_addr = vga.get_string("addr");
            if (vga.get_number("vgamem_mb", 16) != 16) {
              throw OptionError("-device VGA: parameter 'vgamem_mb' must be 16");
            }
            o.vga = true;
            o.vga_id = vga.get_string("id");
            o.vga_from_device = true;
            return;
          }
          o.devices.push_back(device);
        }}},
      {"netdev",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (is_help(a)) return void(o.list_request = "netdev");
          std::string type = KeyValues::parse_structured("-netdev", a, "type", {}).get_string("type");
          if (type.empty()) throw OptionError("-netdev: parameter 'type' is missing");
          check_netdev_type("-netdev " + type, type);
          auto kv = KeyValues::parse_structured("-netdev " + type, a, "type", netdev_option_keys(type));
          if (kv.get_string("id").empty()) {
            throw OptionError("-netdev " + type + ": parameter 'id' is missing");
          }
          o.netdevs.push_back(kv);
        }}},
      {"nic",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse("-nic", a, "type", nic_option_keys());
          if (is_help(kv.get_string("model"))) return void(o.list_request = "nic-model");
          std::string type = kv.get_string("type", "user");
          if (type != "none") check_netdev_type("-nic " + type, type);
          nic_model_device("-nic", kv.get_string("model"));
          o.nics.push_back(kv);
        }}},
      {"net",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse("-net", a, "type", nic_option_keys());
          std::string type = kv.get_string("type");
          if (type == "nic") {
            if (is_help(kv.get_string("model"))) return void(o.list_request = "nic-model");
            nic_model_device("-net nic", kv.get_string("model"));
          } else if (type != "none") {
            if (type.empty()) throw OptionError("-net: expected nic, user or none");
            check_netdev_type("-net " + type, type);
          }
          o.nets.push_back(kv);
        }}},
      {"nodefaults", {false, [](CmdlineOptions& o, auto&, auto&) { o.no_defaults = true; }}},
      {"no-hpet", {false, [](CmdlineOptions& o, auto&, auto&) { o.hpet = false; }}},
      {"global",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto dot = a.find('.');
          auto eq = a.find('=');
          if (dot == std::string::npos || eq == std::string::npos || eq < dot) {
            throw OptionError("-global: expected DRIVER.PROP=VALUE, not '" + a + "'");
          }
          if (a.substr(0, dot) == "PIIX4_PM") return apply_piix4_pm_global(o, a);
          o.globals.push_back(a);
        }}},
      {"chardev",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse("-chardev", a, "backend", {});
          if (!kv.has("id")) throw OptionError("-chardev: parameter 'id' is missing");
          o.chardevs.push_back(kv);
        }}},
      {"serial", {true, [](CmdlineOptions& o, auto&, auto& a) { o.serials.push_back(a); }}},
      {"debugcon", {true, [](CmdlineOptions& o, auto&, auto& a) { o.debugcons.push_back(a); }}},
      {"monitor", {true, [](CmdlineOptions& o, auto&, auto& a) { o.monitors.push_back(a); }}},
      {"qmp", {true, [](CmdlineOptions& o, auto&, auto& a) { o.qmps.push_back(a); }}},
      {"qmp-pretty",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          o.qmps.push_back(a);
          o.qmp_pretty.insert(o.qmps.size() - 1);
        }}},
      {"mon",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          auto kv = KeyValues::parse("-mon", a, "chardev", kMonKeys);
          if (!kv.has("chardev")) throw OptionError("-mon: parameter 'chardev' is missing");
          std::string mode = kv.get_string("mode", "readline");
          if (mode != "readline" && mode != "control") {
            throw OptionError("-mon: parameter 'mode' expects readline or control, not '" + mode +
                              "'");
          }
          o.mons.push_back(kv);
        }}},
      {"nographic", {false, [](CmdlineOptions& o, auto&, auto&) { o.nographic = true; }}},
      {"vga",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (a == "std" || a == "none") return void(o.vga = a == "std");
          if (a == "cirrus" || a == "vmware" || a == "qxl" || a == "virtio" || a == "tcx" ||
              a == "cg3") {
            throw OptionError("-vga " + a + ": only std (text mode) and none are available yet");
          }
          throw OptionError("-vga: unknown display adapter '" + a + "' (std, none)");
        }}},
      {"display",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          std::string kind = a.substr(0, a.find(','));
          // -display vnc=DISPLAY: no window, a VNC server (QEMU's spelling).
          if (kind.rfind("vnc=", 0) == 0) {
            o.vnc = a.substr(4);
            o.display = "none";
            return;
          }
          if (kind != "none" && kind != "sdl" && kind != "default") {
            throw OptionError("-display: unknown display type '" + kind + "' (none, sdl, vnc=)");
          }
          o.display = kind;
        }}},
      {"vnc", {true, [](CmdlineOptions& o, auto&, auto& a) { o.vnc = a; }}},
      {"s", {false, [](CmdlineOptions& o, auto&, auto&) { o.gdb = "tcp::1234"; }}},
      {"gdb", {true, [](CmdlineOptions& o, auto&, auto& a) { o.gdb = a; }}},
      {"S", {false, [](CmdlineOptions& o, auto&, auto&) { o.start_paused = true; }}},
      {"d",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          if (is_help(a)) return void(o.list_request = "log");
          std::string bad;
          if (!parse_log_mask(a, &o.log_mask, &bad)) {
            throw OptionError("-d: unknown log item '" + bad + "' (-d help lists them)");
          }
        }}},
      {"D", {true, [](CmdlineOptions& o, auto&, auto& a) { o.log_file = a; }}},
      {"dfilter",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          std::string error;
          if (!parse_log_filter(a, &o.log_filter, &error)) throw OptionError("-dfilter: " + error);
        }}},
      {"no-reboot", {false, [](CmdlineOptions& o, auto&, auto&) { o.no_reboot = true; }}},
      {"perfmap", {false, [](CmdlineOptions& o, auto&, auto&) { o.perf_map = true; }}},
      {"no-shutdown", {false, [](CmdlineOptions& o, auto&, auto&) { o.no_shutdown = true; }}},
      {"name",
       {true,
        [](CmdlineOptions& o, auto&, auto& a) {
          // [guest=]NAME[,process=NAME][,debug-threads=on|off], as QEMU.
          auto kv = KeyValues::parse("-name", a, "guest",
                                     {{"guest", OptType::kString, "the guest's name"},
                                      {"process", OptType::kString, "the process's name"},
                                      {"debug-threads", OptType::kBool, "name threads"}});
          o.name = kv.get_string("guest");
        }}},
  };
  return table;
}

}  // namespace

CmdlineAction parse_cmdline(int argc, char** argv, CmdlineOptions* out) {
  static const std::map<std::string, std::string> kAliases = {{"machine", "M"}, {"h", "help"}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      // QEMU treats a bare argument as -hda.
      throw OptionError("'" + arg + "': expected an option (disk images go in -drive or -hda)");
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    if (auto alias = kAliases.find(name); alias != kAliases.end()) name = alias->second;
    if (name == "help") {
      std::fputs(kUsage, stdout);
      return CmdlineAction::kExitSuccess;
    }
    if (name == "version") {
      std::printf("vx86 version 0.1.0\n");
      return CmdlineAction::kExitSuccess;
    }
    const auto& table = option_table();
    auto it = table.find(name);
    if (it == table.end()) throw OptionError(arg + ": invalid option");
    std::string value;
    if (it->second.takes_arg) {
      if (i + 1 >= argc) throw OptionError(arg + ": requires an argument");
      value = argv[++i];
    }
    it->second.apply(*out, name, value);
    if (out->list_request == "log") {
      print_log_help();
      return CmdlineAction::kExitSuccess;
    }
  }
  // -machine memory-backend=ID: that object's size is the RAM's (and -m,
  // if given, must say the same, as QEMU has it).
  if (!out->memory_backend.empty()) {
    auto backend = out->memory_backends.find(out->memory_backend);
    if (backend == out->memory_backends.end()) {
      throw OptionError("-machine memory-backend=" + out->memory_backend +
                        ": no -object memory-backend-ram with that id");
    }
    if (out->ram_size_given && backend->second != out->ram_size) {
      throw OptionError("Machine memory size does not match the size of the memory backend");
    }
    out->ram_size = backend->second;
  }
  return CmdlineAction::kRun;
}

std::optional<int64_t> rtc_start_time(const std::string& base, int64_t now) {
  if (base == "utc") return std::nullopt;
  if (base == "localtime") {
    const std::time_t t = static_cast<std::time_t>(now);
    std::tm local{};
    localtime_r(&t, &local);
    return now + local.tm_gmtoff;
  }
  return parse_rtc_date(base);
}

}  // namespace vx86
