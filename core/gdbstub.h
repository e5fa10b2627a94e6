// The gdbstub: a GDB remote-protocol server on a chardev (-gdb tcp::1234,
// -s). It speaks for the whole machine: gdb's threads are the vCPUs (thread
// id = CPU index + 1), addresses are virtual, through the selected vCPU's
// page tables. The machine is all-stop: it stops when gdb connects, at
// every breakpoint, step or Ctrl-C, and runs on 'c', 's' or vCont. What it
// stops, reads and patches is a GdbTarget, which the program implements
// over the accelerator interface, so the stub never knows which accelerator
// runs the guest.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/chardev.h"
#include "core/gdb_packet.h"

namespace vx86 {

class GdbTarget {
 public:
  // gdb's Z/z types.
  enum class BreakpointType {
    kSoftware = 0,
    kHardware = 1,
    kWatchWrite = 2,
    kWatchRead = 3,
    kWatchAccess = 4
  };
  enum class BreakpointResult { kOk, kFailed, kUnsupported };

  virtual ~GdbTarget() = default;
  virtual unsigned cpu_count() const = 0;
  // Stops every vCPU; returns once none runs guest code.
  virtual void stop() = 0;
  // Runs every vCPU; step_cpu >= 0 single-steps that one (gdb hears of it
  // through GdbServer::report_stop).
  virtual void resume(int step_cpu) = 0;
  virtual std::string target_xml() const = 0;
  virtual std::vector<uint8_t> read_registers(unsigned cpu) = 0;
  virtual bool write_registers(unsigned cpu, const std::vector<uint8_t>& data) = 0;
  virtual bool read_register(unsigned cpu, unsigned n, std::vector<uint8_t>* out) = 0;
  virtual bool write_register(unsigned cpu, unsigned n, const std::vector<uint8_t>& data) = 0;
  // Virtual addresses, through that vCPU's page tables. read_memory returns
  // the bytes it could read (fewer than len where a page is unmapped).
  virtual std::size_t read_memory(unsigned cpu, uint64_t addr, uint8_t* buf, std::size_t len) = 0;
  virtual bool write_memory(unsigned cpu, uint64_t addr, const uint8_t* buf, std::size_t len) = 0;
  virtual BreakpointResult insert_breakpoint(BreakpointType type, uint64_t addr, uint64_t len) = 0;
  virtual BreakpointResult remove_breakpoint(BreakpointType type, uint64_t addr, uint64_t len) = 0;
  virtual void remove_all_breakpoints() = 0;
  // gdb's "monitor CMD": a human-monitor command and its output.
  virtual std::string monitor_command(const std::string& line) = 0;
  // gdb's kill: ends vx86.
  virtual void kill() = 0;
};

// Why the machine stopped, for gdb's stop reply.
struct GdbStop {
  unsigned cpu = 0;
  int signal = 5;  // SIGTRAP; SIGINT (2) for Ctrl-C
  // A watchpoint: "watch", "rwatch" or "awatch", and the address.
  std::string watch_kind;
  uint64_t watch_addr = 0;
};

class GdbServer : public CharFrontend {
 public:
  // Runs fn later on the main loop without the device lock. The chardev
  // hands the stub its input under that lock, and stopping vCPUs under it
  // could wait forever for one that waits for the lock; so the stub handles
  // packets and connection events through this. Without it (tests), at once.
  using Scheduler = std::function<void(std::function<void()>)>;

  GdbServer(Chardev& chardev, GdbTarget& target, Scheduler schedule = nullptr);

  std::size_t can_receive() override { return 4096; }
  void receive(const uint8_t* data, std::size_t len) override;
  void chardev_event(ChardevEvent event) override;

  // The machine stopped on its own (breakpoint, step): tells gdb if it is
  // waiting for that. Call on the main loop.
  void report_stop(const GdbStop& stop);
  // vx86 is ending with this exit status: tells a waiting gdb.
  void report_exit(int status);
  // True between a 'c'/'s' and the stop reply.
  bool gdb_waiting() const { return waiting_for_stop_; }

 private:
  void handle_input();
  void handle_event(ChardevEvent event);
  void handle_packet(const std::string& packet, bool checksum_ok);
  // The reply to a packet (or nothing when the target now runs and the
  // reply is the later stop report).
  void dispatch(const std::string& packet);
  void send_packet(const std::string& payload);
  std::string stop_reply(const GdbStop& stop) const;
  std::string handle_query(const std::string& packet);
  std::string handle_vcont(const std::string& packet);
  std::string handle_breakpoint(const std::string& packet);
  std::string read_memory(const std::string& args);
  std::string write_memory(const std::string& args, bool binary);
  void run(int step_cpu);
  // A thread id from gdb ("1", "p1.1", "-1", "0"): the CPU index, or -1 for
  // any/all. False when it names no CPU.
  bool parse_thread(const std::string& text, int* cpu) const;

  Chardev& chardev_;
  GdbTarget& target_;
  Scheduler schedule_;
  GdbPacketReader reader_;
  std::vector<uint8_t> input_;  // received, not handled yet
  bool input_scheduled_ = false;
  bool no_ack_ = false;
  bool connected_ = false;
  bool waiting_for_stop_ = false;
  unsigned registers_cpu_ = 0;  // Hg: whose registers and memory
  unsigned run_cpu_ = 0;        // Hc: who steps
  GdbStop last_stop_;
};

}  // namespace vx86
