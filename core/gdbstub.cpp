#include "core/gdbstub.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "core/log.h"

namespace vx86 {

namespace {

constexpr std::size_t kPacketSize = 0x4000;  // what qSupported offers gdb

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Parses hex digits; false unless all of text is hex (and not empty).
bool parse_hex(const std::string& text, uint64_t* value) {
  if (text.empty() || text.size() > 16) return false;
  char* end = nullptr;
  *value = std::strtoull(text.c_str(), &end, 16);
  return *end == '\0';
}

// "ADDR,LEN" (the part before any ':').
bool parse_addr_len(const std::string& text, uint64_t* addr, uint64_t* len) {
  const std::size_t comma = text.find(',');
  if (comma == std::string::npos) return false;
  return parse_hex(text.substr(0, comma), addr) && parse_hex(text.substr(comma + 1), len);
}

std::string hex_u64(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%" PRIx64, value);
  return buf;
}

std::string hex_byte(unsigned value) {
  char buf[4];
  std::snprintf(buf, sizeof(buf), "%02x", value & 0xff);
  return buf;
}

const std::string kErrorInvalid = "E22";  // EINVAL
const std::string kErrorFault = "E14";    // EFAULT

}  // namespace

GdbServer::GdbServer(Chardev& chardev, GdbTarget& target, Scheduler schedule)
    : chardev_(chardev),
      target_(target),
      schedule_(std::move(schedule)),
      reader_(GdbPacketReader::Callbacks{
          [this](const std::string& packet, bool ok) { handle_packet(packet, ok); },
          [this] {
            // Ctrl-C: stop the machine; the stop reply answers the 'c' gdb sent.
            VX86_LOG(kLogGdb, "gdb: <- Ctrl-C%s\n", waiting_for_stop_ ? "" : " (already stopped)");
            if (!waiting_for_stop_) return;
            target_.stop();
            GdbStop stop;
            stop.cpu = run_cpu_;
            stop.signal = 2;
            report_stop(stop);
          }}) {}

void GdbServer::receive(const uint8_t* data, std::size_t len) {
  input_.insert(input_.end(), data, data + len);
  if (!schedule_) return handle_input();
  if (input_scheduled_) return;
  input_scheduled_ = true;
  schedule_([this] { handle_input(); });
}

void GdbServer::handle_input() {
  input_scheduled_ = false;
  const std::vector<uint8_t> input = std::move(input_);
  input_.clear();
  reader_.feed(input.data(), input.size());
}

void GdbServer::chardev_event(ChardevEvent event) {
  if (!schedule_) return handle_event(event);
  schedule_([this, event] { handle_event(event); });
}

void GdbServer::handle_event(ChardevEvent event) {
  if (event == ChardevEvent::kOpened) {
    // As QEMU: a debugger that attaches finds the machine stopped.
    connected_ = true;
    no_ack_ = false;
    waiting_for_stop_ = false;
    reader_.reset();
    target_.stop();
    last_stop_ = GdbStop{};
    last_stop_.cpu = registers_cpu_ = run_cpu_ = 0;
  } else if (event == ChardevEvent::kClosed && connected_) {
    // gdb went away: its breakpoints go too, and the machine runs on.
    connected_ = false;
    waiting_for_stop_ = false;
    target_.remove_all_breakpoints();
    target_.resume(-1);
  }
}

void GdbServer::send_packet(const std::string& payload) {
  if (payload.size() < 80) VX86_LOG(kLogGdb, "gdb: -> %s\n", payload.c_str());
  chardev_.write(gdb_frame_packet(payload));
}

void GdbServer::handle_packet(const std::string& packet, bool checksum_ok) {
  if (!no_ack_) {
    chardev_.write(checksum_ok ? "+" : "-");
    if (!checksum_ok) return;  // gdb sends it again
  }
  VX86_LOG(kLogGdb, "gdb: <- %s\n", packet.c_str());
  dispatch(packet);
}

std::string GdbServer::stop_reply(const GdbStop& stop) const {
  std::string reply = "T" + hex_byte(static_cast<unsigned>(stop.signal));
  if (!stop.watch_kind.empty()) reply += stop.watch_kind + ":" + hex_u64(stop.watch_addr) + ";";
  reply += "thread:" + hex_u64(stop.cpu + 1) + ";";
  return reply;
}

void GdbServer::report_stop(const GdbStop& stop) {
  if (!connected_ || !waiting_for_stop_) return;
  waiting_for_stop_ = false;
  last_stop_ = stop;
  registers_cpu_ = run_cpu_ = stop.cpu;
  send_packet(stop_reply(stop));
}

void GdbServer::report_exit(int status) {
  if (!connected_) return;
  send_packet("W" + hex_byte(static_cast<unsigned>(status)));
  connected_ = false;
}

void GdbServer::run(int step_cpu) {
  waiting_for_stop_ = true;
  target_.resume(step_cpu);
}

bool GdbServer::parse_thread(const std::string& text, int* cpu) const {
  std::string id = text;
  // Multiprocess form "pPID.TID": one process, the machine.
  if (starts_with(id, "p")) {
    const std::size_t dot = id.find('.');
    id = dot == std::string::npos ? "-1" : id.substr(dot + 1);
  }
  if (id == "-1" || id == "0") {
    *cpu = -1;
    return true;
  }
  uint64_t tid = 0;
  if (!parse_hex(id, &tid) || tid == 0 || tid > target_.cpu_count()) return false;
  *cpu = static_cast<int>(tid - 1);
  return true;
}

void GdbServer::dispatch(const std::string& packet) {
  if (packet.empty()) return send_packet("");
  const char command = packet[0];
  const std::string args = packet.substr(1);
  switch (command) {
    case '?':
      return send_packet(stop_reply(last_stop_));
    case 'g': {
      const std::vector<uint8_t> regs = target_.read_registers(registers_cpu_);
      return send_packet(gdb_hex_encode(regs.data(), regs.size()));
    }
    case 'G': {
      std::vector<uint8_t> data;
      if (!gdb_hex_decode(args, &data) || !target_.write_registers(registers_cpu_, data))
        return send_packet(kErrorInvalid);
      return send_packet("OK");
    }
    case 'p': {
      uint64_t n = 0;
      std::vector<uint8_t> value;
      if (!parse_hex(args, &n) ||
          !target_.read_register(registers_cpu_, static_cast<unsigned>(n), &value))
        return send_packet(kErrorInvalid);
      return send_packet(gdb_hex_encode(value.data(), value.size()));
    }
    case 'P': {
      const std::size_t eq = args.find('=');
      uint64_t n = 0;
      std::vector<uint8_t> value;
      if (eq == std::string::npos || !parse_hex(args.substr(0, eq), &n) ||
          !gdb_hex_decode(args.substr(eq + 1), &value) ||
          !target_.write_register(registers_cpu_, static_cast<unsigned>(n), value))
        return send_packet(kErrorInvalid);
      return send_packet("OK");
    }
    case 'm':
      return send_packet(read_memory(args));
    case 'M':
      return send_packet(write_memory(args, false));
    case 'X':
      return send_packet(write_memory(args, true));
    case 'c':
    case 'C':
      return run(-1);
    case 's':
    case 'S':
      return run(static_cast<int>(run_cpu_));
    case 'H': {
      int cpu = 0;
      if (args.size() < 2 || !parse_thread(args.substr(1), &cpu)) return send_packet("E02");
      if (args[0] == 'g' && cpu >= 0) registers_cpu_ = static_cast<unsigned>(cpu);
      if (args[0] == 'c' && cpu >= 0) run_cpu_ = static_cast<unsigned>(cpu);
      return send_packet("OK");
    }
    case 'T': {
      int cpu = 0;
      return send_packet(parse_thread(args, &cpu) ? "OK" : "E02");
    }
    case 'Z':
    case 'z':
      return send_packet(handle_breakpoint(packet));
    case 'D':
      // Detach: gdb's breakpoints go, the machine runs on.
      send_packet("OK");
      target_.remove_all_breakpoints();
      waiting_for_stop_ = false;
      target_.resume(-1);
      return;
    case 'k':
      target_.kill();
      return;
    case 'q':
    case 'Q':
      send_packet(handle_query(packet));
      if (packet == "QStartNoAckMode") no_ack_ = true;  // gdb acknowledged that reply
      return;
    case 'v':
      if (starts_with(packet, "vCont")) {
        std::string reply = handle_vcont(packet);
        if (!reply.empty()) send_packet(reply);
        return;
      }
      if (starts_with(packet, "vKill")) {
        send_packet("OK");
        target_.kill();
        return;
      }
      return send_packet("");
    default:
      return send_packet("");  // not supported
  }
}

std::string GdbServer::handle_query(const std::string& packet) {
  if (starts_with(packet, "qSupported")) {
    return "PacketSize=" + hex_u64(kPacketSize) +
           ";qXfer:features:read+;vContSupported+;QStartNoAckMode+";
  }
  if (packet == "QStartNoAckMode") return "OK";  // dispatch turns acks off after the reply
  if (starts_with(packet, "qXfer:features:read:")) {
    // qXfer:features:read:ANNEX:OFFSET,LENGTH
    const std::string rest = packet.substr(20);
    const std::size_t colon = rest.find(':');
    uint64_t offset = 0, length = 0;
    if (colon == std::string::npos || !parse_addr_len(rest.substr(colon + 1), &offset, &length))
      return kErrorInvalid;
    if (rest.substr(0, colon) != "target.xml") return "E00";
    const std::string xml = target_.target_xml();
    if (offset >= xml.size()) return "l";
    const std::string chunk = xml.substr(offset, length);
    return (offset + chunk.size() >= xml.size() ? "l" : "m") + chunk;
  }
  if (packet == "qAttached") return "1";  // attached to an existing machine: detach, not kill
  if (packet == "qC") return "QC" + hex_u64(last_stop_.cpu + 1);
  if (packet == "qfThreadInfo") {
    std::string reply = "m";
    for (unsigned i = 0; i < target_.cpu_count(); ++i) {
      if (i) reply += ",";
      reply += hex_u64(i + 1);
    }
    return reply;
  }
  if (packet == "qsThreadInfo") return "l";
  if (starts_with(packet, "qThreadExtraInfo,")) {
    int cpu = 0;
    if (!parse_thread(packet.substr(17), &cpu) || cpu < 0) return "E02";
    return gdb_hex_encode("CPU#" + std::to_string(cpu));
  }
  if (starts_with(packet, "qRcmd,")) {
    // "monitor CMD" in gdb: the human monitor's command, its output as text.
    std::vector<uint8_t> line;
    if (!gdb_hex_decode(packet.substr(6), &line)) return kErrorInvalid;
    const std::string output = target_.monitor_command(std::string(line.begin(), line.end()));
    if (!output.empty()) send_packet("O" + gdb_hex_encode(output));
    return "OK";
  }
  return "";
}

std::string GdbServer::handle_vcont(const std::string& packet) {
  if (packet == "vCont?") return "vCont;c;C;s;S";
  // vCont;ACTION[:TID];ACTION[:TID]... The first action that names a step
  // picks the CPU that steps; the rest of the machine runs.
  int step_cpu = -1;
  std::size_t pos = 5;
  while (pos < packet.size() && packet[pos] == ';') {
    const std::size_t end = std::min(packet.find(';', pos + 1), packet.size());
    const std::string action = packet.substr(pos + 1, end - pos - 1);
    pos = end;
    if (action.empty()) return kErrorInvalid;
    const char kind = action[0];
    if (kind != 'c' && kind != 'C' && kind != 's' && kind != 'S') return kErrorInvalid;
    if (kind == 's' || kind == 'S') {
      int cpu = -1;
      const std::size_t colon = action.find(':');
      if (colon != std::string::npos && !parse_thread(action.substr(colon + 1), &cpu)) return "E02";
      if (step_cpu < 0) step_cpu = cpu >= 0 ? cpu : static_cast<int>(run_cpu_);
    }
  }
  if (step_cpu >= 0) run_cpu_ = static_cast<unsigned>(step_cpu);
  run(step_cpu);
  return "";
}

std::string GdbServer::handle_breakpoint(const std::string& packet) {
  // Z/z TYPE,ADDR,KIND
  const bool insert = packet[0] == 'Z';
  if (packet.size() < 2 || packet[1] < '0' || packet[1] > '4' || packet[2] != ',')
    return kErrorInvalid;
  const auto type = static_cast<GdbTarget::BreakpointType>(packet[1] - '0');
  uint64_t addr = 0, len = 0;
  std::string rest = packet.substr(3);
  rest = rest.substr(0, rest.find(';'));  // conditions are not supported
  if (!parse_addr_len(rest, &addr, &len)) return kErrorInvalid;
  const GdbTarget::BreakpointResult result = insert ? target_.insert_breakpoint(type, addr, len)
                                                    : target_.remove_breakpoint(type, addr, len);
  switch (result) {
    case GdbTarget::BreakpointResult::kOk:
      return "OK";
    case GdbTarget::BreakpointResult::kUnsupported:
      return "";  // gdb falls back (software watchpoints)
    case GdbTarget::BreakpointResult::kFailed:
      break;
  }
  return kErrorInvalid;
}

std::string GdbServer::read_memory(const std::string& args) {
  uint64_t addr = 0, len = 0;
  if (!parse_addr_len(args, &addr, &len)) return kErrorInvalid;
  len = std::min<uint64_t>(len, kPacketSize / 2);
  std::vector<uint8_t> buf(len);
  const std::size_t got = target_.read_memory(registers_cpu_, addr, buf.data(), buf.size());
  if (got == 0 && len > 0) return kErrorFault;
  return gdb_hex_encode(buf.data(), got);
}

std::string GdbServer::write_memory(const std::string& args, bool binary) {
  const std::size_t colon = args.find(':');
  uint64_t addr = 0, len = 0;
  if (colon == std::string::npos || !parse_addr_len(args.substr(0, colon), &addr, &len))
    return kErrorInvalid;
  std::vector<uint8_t> data;
  if (binary) {
    data = gdb_unescape_binary(args.substr(colon + 1));
  } else if (!gdb_hex_decode(args.substr(colon + 1), &data)) {
    return kErrorInvalid;
  }
  if (data.size() != len) return kErrorInvalid;
  if (len == 0) return "OK";  // gdb's probe for X support
  return target_.write_memory(registers_cpu_, addr, data.data(), data.size()) ? "OK" : kErrorFault;
}

}  // namespace vx86
