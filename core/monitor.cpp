#include "core/monitor.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "core/key_names.h"
#include "core/log.h"
#include "core/memory.h"
#include "core/memory_tree.h"
#include "core/options.h"

namespace vx86 {

namespace {

const char kHelp[] =
    "cont|c -- resume emulation\n"
    "help|? -- show this help\n"
    "info status -- show the VM status (running or paused)\n"
    "info registers [-a] -- show the cpu registers (-a: all CPUs)\n"
    "info lapic [cpu] -- show a CPU's local APIC (CPU 0 by default)\n"
    "info pic -- show the IOAPIC's and the 8259s' state\n"
    "screendump FILENAME -- save the screen as a PPM image\n"
    "sendkey keys [hold_ms] -- send keys to the guest (e.g. ctrl-alt-f1; hold 100 ms by default)\n"
    "info network -- show the network interfaces and their backends\n"
    "info chardev -- show the character devices\n"
    "info pci -- show the PCI functions\n"
    "info block -- show the drives and their images\n"
    "hostfwd_add [netdev] [tcp|udp]:[haddr]:hport-[gaddr]:gport -- forward a host port\n"
    "hostfwd_remove [netdev] [tcp|udp]:[haddr]:hport -- stop forwarding a host port\n"
    "info mtree [-f] -- show the memory map: the region tree, or with -f the flat view\n"
    "info version -- show the version of vx86\n"
    "quit|q -- quit the emulator\n"
    "set_link name on|off -- change the link status of a network adapter\n"
    "eject [-f] device -- eject a removable medium (use -f to force it)\n"
    "device_add driver[,prop=value][,...] -- add a device (USB devices, virtio-serial ports, "
    "hot-pluggable PCI devices)\n"
    "netdev_add [user|tap],id=str[,prop=value][,...] -- add host network device\n"
    "netdev_del id -- remove host network device\n"
    "balloon target -- ask the guest to keep target MB of memory (virtio-balloon)\n"
    "sum addr size -- compute the checksum of a memory region\n"
    "info mice -- show which guest mouse is receiving events\n"
    "mouse_move dx dy [dz] -- send mouse move events\n"
    "mouse_button state -- change mouse button state (1 left, 2 right, 4 middle)\n"
    "mouse_set index -- set which mouse device receives events\n"
    "info balloon -- show the guest's memory as its balloon driver reports it\n"
    "info vnc -- show the VNC server and its clients\n"
    "info uuid -- show the machine's UUID (-uuid)\n"
    "change vnc password PASSWORD -- set the VNC password (-vnc ...,password=on)\n"
    "set_password vnc PASSWORD -- set the VNC password (-vnc ...,password=on)\n"
    "device_del id -- remove a device (USB devices, virtio-serial ports, PCI functions)\n"
    "change device filename [format] -- change a removable medium\n"
    "stop -- stop emulation\n"
    "system_powerdown -- send a power-down request\n"
    "system_reset -- reset the system\n"
    "x /fmt addr -- virtual memory dump starting at addr\n"
    "xp /fmt addr -- physical memory dump starting at addr\n"
    "  /fmt is /[count][format][size]: format x, d, u, o, c or i (instructions),\n"
    "  size b, h, w or g; addr is a number or $pc, $eax... with + and -\n"
    "memsave addr size file -- save to disk virtual memory dump starting at 'addr' of size "
    "'size'\n"
    "pmemsave addr size file -- save to disk physical memory dump starting at 'addr' of size "
    "'size'\n"
    "cpu index -- set the default CPU\n"
    "gva2gpa addr -- print the guest physical address corresponding to a guest virtual address\n"
    "print|p /fmt expr -- print expression value (use $reg for CPU register access)\n"
    "i /fmt addr -- I/O port read\n"
    "o /fmt addr value -- I/O port write\n"
    "log item1[,...] -- activates logging of the specified items (-d; none turns it off)\n"
    "logfile filename -- output logs to 'filename' (-D)\n"
    "gdbserver [device] -- start gdbserver on given device (default 'tcp::1234'), stop with "
    "'none'\n"
    "nmi -- inject an NMI\n"
    "info cpus -- show infos for each CPU\n"
    "info mem -- show the active virtual memory mappings\n"
    "info tlb -- show virtual to physical memory mappings\n";

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

}  // namespace

HumanMonitor::HumanMonitor(Chardev& chardev, MonitorTarget& target)
    : chardev_(chardev), target_(target) {}

void HumanMonitor::chardev_event(ChardevEvent event) {
  if (event == ChardevEvent::kOpened) {
    greeted_ = false;  // each new connection gets the banner
    greet();
  }
}

void HumanMonitor::greet() {
  if (!greeted_) chardev_.write("vx86 monitor - type 'help' for more information\r\n");
  greeted_ = true;
  prompt();
}

void HumanMonitor::prompt() {
  chardev_.write("(vx86) ");
}

void HumanMonitor::receive(const uint8_t* data, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    char c = static_cast<char>(data[i]);
    if (c == '\r' || c == '\n') {
      chardev_.write("\r\n");
      std::string out = execute(line_);
      line_.clear();
      // Terminals in raw mode need CR LF.
      std::string crlf;
      for (char o : out) {
        if (o == '\n') crlf += '\r';
        crlf += o;
      }
      chardev_.write(crlf);
      prompt();
    } else if (c == 0x7f || c == 0x08) {
      if (!line_.empty()) {
        line_.pop_back();
        chardev_.write("\b \b");
      }
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      line_ += c;
      chardev_.write(reinterpret_cast<const uint8_t*>(&c), 1);
    }
  }
}

std::string HumanMonitor::execute(const std::string& input) {
  // A command name ends at a space or, as in QEMU, at a slash ("x/4xw").
  std::string line = input;
  const std::size_t name_start = line.find_first_not_of(" \t");
  const std::size_t slash = line.find('/');
  if (name_start != std::string::npos && slash != std::string::npos && slash > name_start &&
      line.find_first_of(" \t", name_start) > slash) {
    line.insert(slash, " ");
  }
  auto words = split_words(line);
  if (words.empty()) return "";
  const std::string& cmd = words[0];
  if (cmd == "help" || cmd == "?") return kHelp;
  if (cmd == "info")
    return words.size() < 2
               ? "info: which? (status, registers, cpus, mem, tlb, lapic, mtree, chardev, "
                 "block, network, pci, "
                 "version)\n"
               : info(words[1], words.size() > 2 ? words[2] : "");
  if (cmd == "stop") {
    target_.stop();
    return "";
  }
  if (cmd == "cont" || cmd == "c") {
    target_.cont();
    return "";
  }
  if (cmd == "system_reset") {
    target_.system_reset();
    return "";
  }
  if (cmd == "system_powerdown") {
    if (!target_.system_powerdown())
      return "system_powerdown: this machine has no ACPI power button\n";
    return "";
  }
  if (cmd == "quit" || cmd == "q") {
    target_.quit();
    return "";
  }
  if (cmd == "set_link") {
    if (words.size() != 3 || (words[2] != "on" && words[2] != "off")) {
      return "set_link: usage: set_link NAME on|off\n";
    }
    if (!target_.set_link(words[1], words[2] == "on")) {
      return "set_link: Device '" + words[1] + "' not found\n";
    }
    return "";
  }
  if (cmd == "hostfwd_add" || cmd == "hostfwd_remove") {
    const bool add = cmd == "hostfwd_add";
    if (words.size() != 2 && words.size() != 3) {
      return cmd + ": usage: " + cmd + " [NETDEV] " +
             (add ? "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT"
                  : "[tcp|udp]:[HOSTADDR]:HOSTPORT") +
             "\n";
    }
    const std::string& rule = words.back();
    const std::string error = target_.host_forward(add, words.size() == 3 ? words[1] : "", rule);
    if (!error.empty()) return cmd + ": " + error + "\n";
    return add ? "" : "host forwarding rule for " + rule + " removed\n";
  }
  if (cmd == "eject") {
    const bool force = words.size() == 3 && words[1] == "-f";
    if (words.size() != 2 && !force) return "eject: usage: eject [-f] DEVICE\n";
    const MediumResult r = target_.eject_medium(words.back(), force);
    return r.error.empty() ? "" : "Error: " + r.error + "\n";  // QEMU's words
  }
  // change vnc password PASSWORD and set_password vnc PASSWORD, as QEMU.
  const bool change_vnc =
      cmd == "change" && words.size() == 4 && words[1] == "vnc" && words[2] == "password";
  if (change_vnc || (cmd == "set_password" && words.size() == 3)) {
    if (cmd == "set_password" && words[1] != "vnc") {
      return "Error: Parameter 'protocol' does not accept value '" + words[1] + "'\n";
    }
    if (target_.set_vnc_password(words.back())) return "";
    const auto status = target_.vnc_status();
    return std::string(status && change_vnc
                           ? "If you want use passwords please enable password auth using "
                             "'-vnc ${dpy},password'.\n"
                           : "") +
           "Error: Could not set password\n";
  }
  if (cmd == "change") {
    if (words.size() != 3 && words.size() != 4) {
      return "change: usage: change DEVICE FILENAME [FORMAT]\n";
    }
    const MediumResult r =
        target_.change_medium(words[1], words[2], words.size() == 4 ? words[3] : "", false);
    return r.error.empty() ? "" : "Error: " + r.error + "\n";
  }
  if (cmd == "sendkey") return send_key(words);
  if (cmd == "sum") return checksum(line.substr(line.find(cmd) + cmd.size()));
  if (cmd == "mouse_move" || cmd == "mouse_button" || cmd == "mouse_set") return mouse(words);
  if (cmd == "balloon") {
    // balloon TARGET: megabytes the guest should keep.
    const std::optional<uint64_t> mb = words.size() == 2 ? parse_number(words[1]) : std::nullopt;
    if (!mb || *mb == 0 || *mb > (UINT64_MAX >> 20)) return "balloon: usage: balloon target_MB\n";
    const std::string error = target_.set_balloon_target(*mb << 20);
    return error.empty() ? "" : "Error: " + error + "\n";
  }
  if (cmd == "device_add") {
    if (words.size() != 2) return "device_add: usage: device_add driver[,prop=value][,...]\n";
    const std::string error = target_.device_add(words[1]);
    return error.empty() ? "" : "Error: " + error + "\n";
  }
  if (cmd == "netdev_add" || cmd == "netdev_del") {
    if (words.size() != 2) {
      return cmd + ": usage: " +
             (cmd == "netdev_add" ? "netdev_add [user|tap],id=str[,prop=value][,...]\n"
                                  : "netdev_del id\n");
    }
    const std::string error =
        cmd == "netdev_add" ? target_.netdev_add(words[1]) : target_.netdev_del(words[1]);
    return error.empty() ? "" : "Error: " + error + "\n";
  }
  if (cmd == "device_del") {
    if (words.size() != 2) return "device_del: usage: device_del id\n";
    const std::string error = target_.device_del(words[1]);
    return error.empty() ? "" : "Error: " + error + "\n";
  }
  if (cmd == "x" || cmd == "xp") {
    return examine_memory(cmd, line.substr(line.find(cmd) + cmd.size()));
  }
  if (cmd == "memsave" || cmd == "pmemsave") return save_memory(words);
  if (cmd == "print" || cmd == "p") {
    return print_value(cmd, line.substr(line.find(cmd) + cmd.size()));
  }
  if (cmd == "i" || cmd == "o") return port_io(cmd, line.substr(line.find(cmd) + cmd.size()));
  if (cmd == "log" || cmd == "logfile") return set_log(words);
  if (cmd == "gva2gpa") {
    std::string error;
    const auto addr = words.size() == 2 ? evaluate_address(
                                              words[1],
                                              [&](const std::string& name) {
                                                return target_.register_value(current_cpu_, name);
                                              },
                                              &error)
                                        : std::nullopt;
    if (!addr) return (error.empty() ? "gva2gpa: usage: gva2gpa ADDR" : error) + "\n";
    const auto gpa = target_.translate_virtual(current_cpu_, *addr & ~0xfffull);
    if (!gpa) return "Unmapped\n";
    char buf[40];
    std::snprintf(buf, sizeof(buf), "gpa: %#" PRIx64 "\n", *gpa + (*addr & 0xfff));
    return buf;
  }
  if (cmd == "gdbserver") {
    // As QEMU: tcp::1234 unless told.
    const std::string device = words.size() > 1 ? words[1] : "tcp::1234";
    const std::string error = target_.start_gdb_server(device);
    if (!error.empty())
      return "Could not open gdbserver on device '" + device + "': " + error + "\n";
    if (device == "none") return "Disabled gdbserver\n";
    return "Waiting for gdb connection on device '" + device + "'\n";
  }
  if (cmd == "cpu") {
    auto n = words.size() == 2 ? parse_number(words[1]) : std::nullopt;
    if (!n) return "cpu: usage: cpu INDEX\n";
    if (*n >= target_.cpu_count()) return "invalid CPU index\n";  // QEMU's words
    current_cpu_ = static_cast<unsigned>(*n);
    return "";
  }
  if (cmd == "nmi") {
    const std::string error = target_.inject_nmi();
    return error.empty() ? "" : "Error: " + error + "\n";
  }
  if (cmd == "screendump") {
    if (words.size() != 2) return "screendump: usage: screendump FILENAME\n";
    const std::string error = target_.screendump(words[1]);
    return error.empty() ? "" : "screendump: " + error + "\n";
  }
  return "unknown command: '" + cmd + "'\n";
}

// sendkey KEYS [HOLD_MS]: KEYS is QEMU's key names joined by '-', pressed in
// order and released in reverse after the hold time.
std::string HumanMonitor::send_key(const std::vector<std::string>& words) {
  if (words.size() != 2 && words.size() != 3) return "sendkey: usage: sendkey keys [hold_ms]\n";
  std::vector<uint16_t> usages;
  const std::string& keys = words[1];
  for (std::size_t start = 0; start <= keys.size();) {
    std::size_t end = keys.find('-', start);
    if (end == std::string::npos) end = keys.size();
    const std::string name = keys.substr(start, end - start);
    // 0x1e: a key by QEMU's number (XT scan code), as its sendkey takes it.
    std::optional<uint16_t> usage;
    if (name.rfind("0x", 0) == 0) {
      const std::optional<uint64_t> number = parse_number(name);
      if (number && *number <= 0xffff)
        usage = target_.key_of_number(static_cast<unsigned>(*number));
    } else {
      usage = hid_usage_of_key(name);
    }
    if (!usage) return "invalid parameter: " + name + "\n";  // QEMU's words
    usages.push_back(*usage);
    start = end + 1;
  }
  unsigned hold_ms = kDefaultKeyHoldMs;
  if (words.size() == 3) {
    auto n = parse_number(words[2]);
    if (!n || *n > 60000) return "sendkey: hold_ms must be 0 to 60000\n";
    hold_ms = static_cast<unsigned>(*n);
  }
  const std::string error = target_.send_keys(usages, hold_ms);
  return error.empty() ? "" : "sendkey: " + error + "\n";
}

std::string HumanMonitor::info(const std::string& what, const std::string& arg) {
  if (what == "status") {
    // As QEMU: "paused (prelaunch)", "paused (debug)", "paused (shutdown)".
    const std::string state = target_.run_state();
    if (state == "running") return "VM status: running\n";
    return "VM status: paused" + (state == "paused" ? std::string() : " (" + state + ")") + "\n";
  }
  if (what == "version") return "0.1.0\n";
  if (what == "mtree") {
    if (!arg.empty() && arg != "-f") return "info mtree: unknown argument '" + arg + "' (-f)\n";
    std::string out;
    for (const AddressSpace* space : target_.address_spaces())
      out += (arg == "-f" ? describe_flat_view(*space) : describe_memory_tree(*space)) + "\n";
    return out;
  }
  if (what == "registers") {
    // As QEMU: each CPU's block starts with a blank line and its number.
    auto block = [&](unsigned cpu) {
      return "\nCPU#" + std::to_string(cpu) + "\n" + target_.describe_registers(cpu);
    };
    if (arg != "-a") return block(current_cpu_);
    std::string out;
    for (unsigned cpu = 0; cpu < target_.cpu_count(); ++cpu) out += block(cpu);
    return out;
  }
  if (what == "cpus") {
    std::string out;
    for (unsigned cpu = 0; cpu < target_.cpu_count(); ++cpu) {
      out += (cpu == current_cpu_ ? "* CPU #" : "  CPU #") + std::to_string(cpu) +
             ": thread_id=" + std::to_string(target_.cpu_thread_id(cpu)) + "\n";
    }
    return out;
  }
  if (what == "mem" || what == "tlb")
    return target_.describe_page_tables(current_cpu_, what == "tlb");
  if (what == "network") return target_.describe_network();
  if (what == "usb") return target_.describe_usb();
  if (what == "mice") {
    const std::vector<InputRouter::Mouse> mice = target_.mice();
    if (mice.empty()) return "No mouse devices connected\n";
    std::string out;
    for (const InputRouter::Mouse& m : mice) {
      out += std::string(m.current ? "* " : "  ") + "Mouse #" + std::to_string(m.index) + ": " +
             m.name + (m.absolute ? " (absolute)" : "") + "\n";
    }
    return out;
  }
  if (what == "uuid") return target_.uuid() + "\n";
  if (what == "vnc") {
    const auto status = target_.vnc_status();
    if (!status) return "None\n";
    auto where = [](const MachineOperations::VncEndpoint& e) {
      return (e.service.empty() ? e.host : e.host + ":" + e.service) + " (" + e.family + ")";
    };
    std::string out = "default:\n  Server: " + where(status->server) +
                      "\n    Auth: " + status->auth + " (Sub: none)\n";
    for (const auto& c : status->clients) {
      out += "  Client: " + where(c) + "\n    x509_dname: none\n    sasl_username: none\n";
    }
    return out;
  }
  if (what == "balloon") {
    const std::optional<uint64_t> actual = target_.balloon_actual();
    if (!actual) return std::string("Error: ") + MachineOperations::kNoBalloon + "\n";
    return "balloon: actual=" + std::to_string(*actual >> 20) + "\n";
  }
  if (what == "chardev") return target_.describe_chardevs();
  if (what == "pci") return target_.describe_pci();
  if (what == "block") {
    const std::string all = target_.describe_block();
    if (arg.empty()) return all;
    // `info block DEVICE`: that drive's paragraph only, as QEMU.
    for (std::size_t start = 0; start < all.size();) {
      std::size_t end = all.find("\n\n", start);
      end = end == std::string::npos ? all.size() : end + 1;
      if (all.compare(start, arg.size() + 1, arg + ":") == 0) return all.substr(start, end - start);
      start = end + 1;
    }
    return "";
  }
  if (what == "pic") return target_.describe_interrupt_controllers();
  if (what == "lapic") {
    unsigned cpu = 0;
    if (!arg.empty()) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(arg.c_str(), &end, 0);
      if (*end != '\0' || n > 0xffff) return "info lapic: '" + arg + "' is not a CPU index\n";
      cpu = static_cast<unsigned>(n);
    }
    return target_.describe_local_apic(cpu);
  }
  return "info " + what +
         ": unknown item (status, registers, cpus, mem, tlb, lapic, pic, mtree, chardev, block, "
         "network, pci, usb, mice, balloon, vnc, uuid, version)\n";
}

// x/FMT ADDR (virtual, through the current CPU's page tables) and xp/FMT
// ADDR (physical), with QEMU's formats, defaults and layout.
std::string HumanMonitor::examine_memory(const std::string& command, const std::string& args) {
  std::string rest = args;
  std::size_t first = rest.find_first_not_of(" \t");
  rest = first == std::string::npos ? "" : rest.substr(first);
  DumpFormat format;
  const std::string kHelpHint = "Try \"help " + command + "\" for more information\n";
  if (!rest.empty() && rest[0] == '/') {
    const std::size_t end = rest.find_first_of(" \t");
    const std::string error = parse_dump_format(
        rest.substr(1, end == std::string::npos ? end : end - 1), dump_defaults_, &format);
    if (!error.empty()) return error + kHelpHint;
    rest = end == std::string::npos ? "" : rest.substr(end);
  } else {
    format.format = dump_defaults_.format;
    format.size = dump_defaults_.size;
  }
  std::string error;
  const auto addr = evaluate_address(
      rest, [&](const std::string& name) { return target_.register_value(current_cpu_, name); },
      &error);
  if (!addr) return error + "\n" + kHelpHint;
  const bool physical = command == "xp";
  // The whole answer is one string: a bound keeps a typo from exhausting memory.
  constexpr uint64_t kMaxDumpBytes = 1 << 20, kMaxInstructions = 1 << 16;
  if (format.format == 'i' ? format.count > kMaxInstructions
                           : uint64_t{format.count} * format.size > kMaxDumpBytes) {
    return command + ": at most " + (format.format == 'i' ? "65536 instructions" : "1 MiB") +
           " at a time\n";
  }
  if (format.format == 'i') return target_.disassemble(current_cpu_, *addr, format.count, physical);
  return format_memory_dump(format, *addr, [&](uint64_t a, uint8_t* buf, std::size_t len) {
    if (!physical) return target_.read_virtual(current_cpu_, a, buf, len);
    return target_.memory().read_buffer(a, buf, len) == MemTxResult::kOk ? len : std::size_t{0};
  });
}

// memsave ADDR SIZE FILE (virtual) and pmemsave ADDR SIZE FILE (physical).
std::string HumanMonitor::save_memory(const std::vector<std::string>& words) {
  const bool physical = words[0] == "pmemsave";
  if (words.size() != 4) return words[0] + ": usage: " + words[0] + " ADDR SIZE FILE\n";
  std::string error;
  auto value = [&](const std::string& text) {
    return evaluate_address(
        text, [&](const std::string& name) { return target_.register_value(current_cpu_, name); },
        &error);
  };
  const auto addr = value(words[1]);
  const auto size = addr ? value(words[2]) : std::nullopt;
  if (!addr || !size) return error + "\nTry \"help " + words[0] + "\" for more information\n";
  error = target_.save_memory(physical, current_cpu_, *addr, *size, words[3]);
  return error.empty() ? "" : "Error: " + error + "\n";
}

std::string HumanMonitor::parse_format_and_values(const std::string& command,
                                                  const std::string& args, std::size_t value_count,
                                                  DumpFormat* format,
                                                  std::vector<uint64_t>* values) {
  const std::string hint = "Try \"help " + command + "\" for more information\n";
  std::string rest = args;
  const std::size_t first = rest.find_first_not_of(" \t");
  rest = first == std::string::npos ? "" : rest.substr(first);
  if (!rest.empty() && rest[0] == '/') {
    const std::size_t end = std::min(rest.find_first_of(" \t"), rest.size());
    const std::string error = parse_dump_format(rest.substr(1, end - 1), dump_defaults_, format);
    if (!error.empty()) return error + hint;
    rest = rest.substr(end);
  } else {
    format->format = dump_defaults_.format;
    format->size = dump_defaults_.size;
  }
  for (std::size_t n = 0; n < value_count; ++n) {
    std::string error;
    std::size_t consumed = 0;
    const auto value = evaluate_address(
        rest, [&](const std::string& name) { return target_.register_value(current_cpu_, name); },
        &error, &consumed);
    if (!value) return error + "\n" + hint;
    values->push_back(*value);
    rest = rest.substr(consumed);
  }
  if (rest.find_first_not_of(" \t") != std::string::npos) {
    // QEMU names the command with its alias: "print|p: ...".
    const std::string names = command == "print" || command == "p" ? "print|p" : command;
    return names + ": extraneous characters at the end of line\n" + hint;
  }
  return "";
}

// mouse_move DX DY [DZ], mouse_button STATE (1 left, 2 right, 4 middle,
// 8 wheel up, 16 wheel down), mouse_set INDEX, as QEMU's.
std::string HumanMonitor::mouse(const std::vector<std::string>& words) {
  auto number = [](const std::string& text) -> std::optional<int64_t> {
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 0);
    if (text.empty() || *end != '\0') return std::nullopt;
    return v;
  };
  const std::string& cmd = words[0];
  if (cmd == "mouse_set") {
    const auto index = words.size() == 2 ? number(words[1]) : std::nullopt;
    if (!index || *index < 0) return "mouse_set: usage: mouse_set index\n";
    const std::string error = target_.select_mouse(static_cast<unsigned>(*index));
    return error.empty() ? "" : error + "\n";
  }
  if (cmd == "mouse_move") {
    const auto dx = words.size() >= 3 ? number(words[1]) : std::nullopt;
    const auto dy = words.size() >= 3 ? number(words[2]) : std::nullopt;
    const auto dz = words.size() == 4 ? number(words[3]) : std::optional<int64_t>(0);
    if (!dx || !dy || !dz || words.size() > 4) return "mouse_move: usage: mouse_move dx dy [dz]\n";
    if (*dz != 0) {
      const InputButton wheel = *dz > 0 ? InputButton::kWheelUp : InputButton::kWheelDown;
      target_.send_input_events({InputEvent::button_event(wheel, true)});
      target_.send_input_events({InputEvent::button_event(wheel, false)});
    }
    // Events nobody takes are dropped, as QEMU's monitor drops them.
    target_.send_input_events({InputEvent::relative(InputAxis::kX, static_cast<int>(*dx)),
                               InputEvent::relative(InputAxis::kY, static_cast<int>(*dy))});
    return "";
  }
  const auto state = words.size() == 2 ? number(words[1]) : std::nullopt;
  if (!state) return "mouse_button: usage: mouse_button state\n";
  static constexpr std::pair<unsigned, InputButton> kButtons[] = {{1, InputButton::kLeft},
                                                                  {4, InputButton::kMiddle},
                                                                  {2, InputButton::kRight},
                                                                  {8, InputButton::kWheelUp},
                                                                  {16, InputButton::kWheelDown}};
  std::vector<InputEvent> events;
  for (const auto& [bit, button] : kButtons) {
    if ((static_cast<unsigned>(*state) ^ mouse_buttons_) & bit) {
      events.push_back(InputEvent::button_event(button, (*state & bit) != 0));
    }
  }
  mouse_buttons_ = static_cast<unsigned>(*state);
  if (!events.empty()) target_.send_input_events(events);
  return "";
}

// sum ADDR SIZE: the BSD checksum (the Unix sum command's) of SIZE bytes of
// physical memory from ADDR, as QEMU's monitor computes it.
std::string HumanMonitor::checksum(const std::string& args) {
  DumpFormat format;
  std::vector<uint64_t> values;
  const std::string error = parse_format_and_values("sum", args, 2, &format, &values);
  if (!error.empty()) return error;
  uint16_t sum = 0;
  for (uint64_t addr = values[0]; addr != values[0] + values[1]; ++addr) {
    sum = static_cast<uint16_t>(((sum >> 1) | (sum << 15)) +
                                static_cast<uint8_t>(target_.memory().read(addr, 1)));
  }
  char out[16];
  std::snprintf(out, sizeof out, "%05u\n", static_cast<unsigned>(sum));
  return out;
}

// print (or p) /FMT EXPR: the value in format x (0x...), d, u, o or c, as QEMU's.
std::string HumanMonitor::print_value(const std::string& command, const std::string& args) {
  DumpFormat format;
  std::vector<uint64_t> values;
  // Errors name the command as typed ("help p"), as QEMU's.
  const std::string error = parse_format_and_values(command, args, 1, &format, &values);
  if (!error.empty()) return error;
  const uint64_t v = values[0];
  char buf[40];
  switch (format.format) {
    case 'o':
      std::snprintf(buf, sizeof(buf), "%#" PRIo64, v);
      break;
    case 'x':
      std::snprintf(buf, sizeof(buf), "%#" PRIx64, v);
      break;
    case 'u':
      std::snprintf(buf, sizeof(buf), "%" PRIu64, v);
      break;
    case 'c':
      return quoted_char(static_cast<uint8_t>(v)) + "\n";
    default:
      std::snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(v));
      break;
  }
  return std::string(buf) + "\n";
}

// i /FMT PORT and o /FMT PORT VALUE: port I/O of the format's size (b, h, w).
std::string HumanMonitor::port_io(const std::string& command, const std::string& args) {
  DumpFormat format;
  std::vector<uint64_t> values;
  const bool write = command == "o";
  const std::string error = parse_format_and_values(command, args, write ? 2 : 1, &format, &values);
  if (!error.empty()) return error;
  const unsigned size = format.size == 1 || format.size == 2 ? format.size : 4;
  const auto port = static_cast<uint16_t>(values[0]);
  if (write) {
    target_.write_port(port, size, values[1]);
    return "";
  }
  const uint64_t value = target_.read_port(port, size);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "port%c[0x%04x] = 0x%0*" PRIx64 "\n",
                size == 1   ? 'b'
                : size == 2 ? 'w'
                            : 'l',
                port, static_cast<int>(size * 2),
                static_cast<uint64_t>(value & ((1ull << (8 * size)) - 1)));
  return buf;
}

// log ITEMS|none and logfile FILE: -d and -D, changed while vx86 runs.
std::string HumanMonitor::set_log(const std::vector<std::string>& words) {
  if (words[0] == "logfile") {
    if (words.size() != 2) return "logfile: usage: logfile FILENAME\n";
    if (!set_log_file(words[1])) {
      return "Error: could not open '" + words[1] + "': " + std::strerror(errno) + "\n";
    }
    return "";
  }
  const std::string usage = "log item1[,...] -- activates logging of the specified items\n";
  if (words.size() != 2) return usage;
  uint32_t mask = 0;
  std::string bad;
  if (words[1] != "none" && !parse_log_mask(words[1], &mask, &bad)) return usage;
  set_log_mask(mask);
  return "";
}

}  // namespace vx86
