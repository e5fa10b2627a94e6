// Builds the machine the command line describes and runs its life cycle:
// reset, power-off and exit requests from devices arrive here (SystemControl)
// and are carried out on the main loop.
#pragma once

#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accel/accel.h"
#include "accel/cpu_runner.h"
#include "accel/machine_debugger.h"
#include "core/chardev.h"
#include "core/gdbstub.h"
#include "core/main/cmdline.h"
#include "core/main_loop.h"
#include "core/monitor.h"
#include "core/qmp.h"
#include "core/qmp_event_throttle.h"
#include "core/system_control.h"
#include "hw/pc/pc_machine.h"
#include "ui/text_render.h"

namespace vx86 {

class Drives;
class BlockNodes;
class VirtioSerial;
class PiixIde;
class PciBus;
struct DeviceSlots;
class VirtioBalloon;
class NetDevs;
class SdlDisplay;
class VncServer;

class MachineController : public SystemControl, public MonitorTarget, public QmpTarget {
 public:
  explicit MachineController(const CmdlineOptions& options);
  ~MachineController() override;

  // Builds everything, runs until the guest or the user ends vx86, and
  // returns the process exit status. Throws on configuration errors.
  int run();

  void request_reset(ShutdownCause cause) override;
  void request_shutdown(ShutdownCause cause) override;
  void request_exit(int status) override;

  // MachineOperations (both monitors)
  std::string run_state() const override;
  void stop() override;
  void cont() override;
  void system_reset() override;
  bool system_powerdown() override;
  void quit() override;
  std::string screendump(const std::string& filename) override;
  bool set_link(const std::string& name, bool up) override;
  std::string send_keys(const std::vector<uint16_t>& usages, unsigned hold_ms) override;
  std::string send_input_events(const std::vector<InputEvent>& events) override;
  std::optional<uint16_t> key_of_number(unsigned number) override;
  std::vector<InputRouter::Mouse> mice() override;
  std::optional<VncStatus> vnc_status() override;
  bool set_vnc_password(const std::string& password) override;
  std::string expire_vnc_password(const std::string& time) override;
  std::string uuid() const override {
    return options_.uuid.empty() ? MachineOperations::uuid() : options_.uuid;
  }
  std::string select_mouse(unsigned index) override;
  std::string set_balloon_target(uint64_t bytes) override;
  std::optional<uint64_t> balloon_actual() override;
  std::string device_add(const std::string& options) override;
  std::string device_del(const std::string& id) override;
  std::string netdev_add(const std::string& options) override;
  std::string netdev_del(const std::string& id) override;
  std::string blockdev_add(const std::string& json) override;
  std::string blockdev_del(const std::string& node_name) override;
  Json chardev_add(const std::string& id, const Json& backend, std::string* error) override;
  std::string chardev_remove(const std::string& id) override;
  void add_named_fd(const std::string& name, int fd) override;
  std::string close_named_fd(const std::string& name) override;
  MediumResult eject_medium(const std::string& device, bool force) override;
  MediumResult change_medium(const std::string& device, const std::string& file,
                             const std::string& format, bool force) override;
  unsigned cpu_count() const override;
  int64_t cpu_thread_id(unsigned cpu) override;
  std::string inject_nmi() override;
  std::string save_memory(bool physical, unsigned cpu, uint64_t addr, uint64_t size,
                          const std::string& filename) override;

  // MonitorTarget
  AddressSpace& memory() override;
  std::vector<const AddressSpace*> address_spaces() override;
  std::string describe_registers(unsigned cpu) override;
  std::string describe_page_tables(unsigned cpu, bool entries) override;
  std::size_t read_virtual(unsigned cpu, uint64_t vaddr, uint8_t* buf, std::size_t len) override;
  std::string disassemble(unsigned cpu, uint64_t addr, unsigned count, bool physical) override;
  std::optional<uint64_t> register_value(unsigned cpu, const std::string& name) override;
  std::optional<uint64_t> translate_virtual(unsigned cpu, uint64_t vaddr) override;
  uint64_t read_port(uint16_t port, unsigned size) override;
  void write_port(uint16_t port, unsigned size, uint64_t value) override;
  std::string start_gdb_server(const std::string& device) override;
  std::string describe_local_apic(unsigned cpu_index) override;
  std::string describe_interrupt_controllers() override;
  std::string describe_network() override;
  std::string describe_usb() override;
  std::string describe_pci() override;
  std::string describe_block() override;
  std::string describe_chardevs() override;
  std::string host_forward(bool add, const std::string& netdev, const std::string& rule) override;

  // QmpTarget
  std::string human_monitor_command(const std::string& line, unsigned cpu_index) override;
  bool kvm_present() const override;
  bool kvm_enabled() const override;
  std::string vm_name() const override;
  Json query_block() override;
  Json query_pci() override;
  Json query_chardev() override;

  bool running() const;
  // The picture while the VGA is in a graphics mode (VBE or legacy VGA).
  bool graphics_picture(RgbImage* picture);

 private:
  // The chardevs as `info chardev` and query-chardev list them.
  struct ChardevInfo {
    std::string label, filename;
    bool frontend_open;
  };
  std::vector<ChardevInfo> chardev_infos() const;
  void check_option_combinations() const;
  void create_chardevs();
  // Creates the chardev of a legacy -serial/-monitor spelling; *monitor_port
  // is set to a port for a monitor when the spelling was mon:... .
  Chardev* legacy_chardev(const std::string& option, const std::string& spec, const std::string& id,
                          Chardev** monitor_port);
  void add_monitor(Chardev* chardev, bool greet);
  void add_qmp(Chardev* chardev, bool pretty);
  // -display sdl: the window, redrawn from the main loop.
  void create_display();
  void create_vnc();
  template <typename DisplayCallbacks>
  void connect_input(DisplayCallbacks& callbacks);
  // What the screen shows now: the framebuffer in a graphics mode, else the
  // text screen drawn with the console font; black 640x480 without a VGA.
  RgbImage screen_picture();
  // An event for every QMP client.
  void qmp_event(const std::string& name, const Json& data = Json());
  // What gdb and the monitor reach the vCPUs through (after the vCPUs exist).
  void create_debugger();
  // -gdb/-s: the gdbstub on its chardev (after the debugger exists).
  void create_gdbstub();
  // The gdbstub on a -gdb spelling (also the monitor's gdbserver); throws
  // OptionError naming the spelling given.
  void open_gdbstub(const std::string& given);
  // A vCPU stopped at a breakpoint or after a step (on its own thread).
  void debug_exit(Vcpu& vcpu);
  // Runs fn on the main loop without the device lock (it may pause vCPUs).
  void defer(std::function<void()> fn);
  std::vector<uint8_t> load_firmware() const;
  static void load_splash(const std::string& path, PcConfig& config);
  void create_devices();
  // The guest ejected PCI slot `slot` (ACPI PCI hot-plug): its functions
  // leave the bus, and the machine once the main loop gets to them.
  void pci_slot_ejected(PciBus& bus, unsigned slot);
  // A virtio-serial leaves: its ports go first (DEVICE_DELETED each), and
  // device_add no longer finds its bus.
  void unplug_ports_of(VirtioSerial& serial);
  void create_cpus();
  void finish(int status);

  const CmdlineOptions& options_;
  MainLoop loop_;
  std::map<std::string, std::unique_ptr<Chardev>> chardevs_;
  // getfd's fds by name, until chardev-add takes one or closefd closes it.
  std::map<std::string, int> named_fds_;
  std::vector<Chardev*> serial_backends_;
  std::vector<Chardev*> debugcon_backends_;  // -debugcon, in order
  std::vector<std::unique_ptr<HumanMonitor>> monitors_;
  std::vector<std::unique_ptr<QmpServer>> qmp_servers_;
  BufferChardev qmp_hmp_output_{"qmp-hmp"};
  std::unique_ptr<HumanMonitor> qmp_hmp_;  // human-monitor-command
  std::unique_ptr<SdlDisplay> display_;
  std::unique_ptr<Timer> display_timer_;
  std::unique_ptr<VncServer> vnc_;
  // screen_picture()'s last text screen and its picture.
  TextScreen last_text_screen_;
  RgbImage last_text_picture_;
  bool screen_picture_drawn_ = false;
  // Keys sendkey/send-key pressed, to release at a host-clock time.
  struct KeyRelease {
    int64_t at_ns;
    std::vector<uint16_t> usages;  // in release order
  };
  std::vector<KeyRelease> key_releases_;
  std::unique_ptr<Timer> key_release_timer_;
  void release_due_keys();
  std::unique_ptr<Drives> drives_;             // outlives the devices that use them
  std::unique_ptr<BlockNodes> block_nodes_;    // -blockdev and blockdev-add's nodes
  std::unique_ptr<DeviceSlots> device_slots_;  // where device_add plugs devices in
  PiixIde* ide_ = nullptr;                     // the IDE function, once something needs it
  // The virtio-balloon device, if there is one; BALLOON_CHANGE events from it.
  VirtioBalloon* balloon();
  void watch_balloon();
  // RTC_CHANGE events when the guest sets its clock.
  void watch_rtc();
  // BALLOON_CHANGE, RTC_CHANGE and VSERPORT_CHANGE, rate-limited as QEMU's.
  QmpEventThrottle event_throttle_{
      loop_.clocks(), [this](const std::string& name, const Json& data) { qmp_event(name, data); }};
  std::unique_ptr<NetDevs> netdevs_;  // likewise
  std::unique_ptr<PcMachine> machine_;
  std::unique_ptr<Accelerator> accel_;
  std::unique_ptr<CpuRunner> runner_;
  std::unique_ptr<MachineDebugger> debugger_;
  std::unique_ptr<GdbServer> gdbstub_;
  BufferChardev gdb_monitor_output_{"gdb-monitor"};
  std::unique_ptr<HumanMonitor> gdb_monitor_;  // gdb's "monitor CMD"
  int exit_status_ = 0;
  bool monitor_stopped_ = false;  // stop/cont seen by the monitor before they take effect
  bool prelaunch_ = false;        // -S and never continued
  bool shut_down_ = false;        // the guest powered off under -no-shutdown
};

}  // namespace vx86
