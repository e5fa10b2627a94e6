// The command line libvirt (9.0, Debian 12's) writes for a small domain with
// a direct kernel boot, as `virsh domxml-to-native qemu-argv` gives it (but
// for -sandbox, which vx86 does not have yet: qemu.conf's
// seccomp_sandbox = 0), with the monitor's and the agent channel's sockets
// made by the caller and passed as fd=N, as libvirt starts a domain: the Debian guest runs from it
// under vx86 as under qemu-system-x86_64, and what libvirt then asks over QMP gets the same
// answers. The guest's rng workload reads the virtio-rng device and powers
// off; -no-shutdown keeps the emulator there for the monitor. The guest-agent
// channel is libvirt's (tests/system/guest_agent_test.cpp talks to the agent
// on it). The clock
// options are virt-install's defaults for a Linux guest (<timer name='rtc'
// tickpolicy='catchup'/>, <timer name='pit' tickpolicy='delay'/>, <timer
// name='hpet' present='no'/>). The same for a q35 domain (virt-install's
// default machine for new guests): every device behind a PCI Express root
// port, a spare port for hot-plug, no USB controller (<controller
// type='usb' model='none'/>: vx86 has no qemu-xhci yet).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/qmp_client.h"
#include "tests/system/run_command.h"
#include "tests/system/unix_socket.h"

namespace vx86::test {
namespace {

using namespace std::chrono_literals;

struct LibvirtRun {
  std::vector<std::string> answers;  // what libvirt's questions got, in order
  std::string serial;
};

// What differs between the domains: the machine, the workload, and the
// devices libvirt writes for them (given the disk image, the serial file
// and the agent channel's fd).
struct LibvirtDomain {
  std::string machine;
  std::string workload;
  std::function<std::vector<std::string>(const std::string& disk, const std::string& serial,
                                         int agent_fd)>
      devices;
};

// The serial port (to a file here, a pty under libvirt) and the guest
// agent's channel, the same on both machines.
std::vector<std::string> serial_and_agent(const std::string& serial, int agent_fd) {
  return {
      "-chardev",
      "file,id=charserial0,path=" + serial,
      "-device",
      R"({"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0})",
      "-chardev",
      "socket,id=charchannel0,fd=" + std::to_string(agent_fd) + ",server=on,wait=off",
      "-device",
      R"({"driver":"virtserialport","bus":"virtio-serial0.0","nr":1,"chardev":"charchannel0","id":"channel0","name":"org.qemu.guest_agent.0"})"};
}

// The pc domain's devices, all on pci.0.
std::vector<std::string> pc_devices(const std::string& disk, const std::string& serial,
                                    int agent_fd) {
  std::vector<std::string> devices = {
      "-device",
      R"({"driver":"piix3-usb-uhci","id":"usb","bus":"pci.0","addr":"0x1.0x2"})",
      "-device",
      R"({"driver":"virtio-serial-pci","id":"virtio-serial0","bus":"pci.0","addr":"0x7"})",
      "-blockdev",
      R"({"driver":"file","filename":")" + disk +
          R"(","node-name":"libvirt-1-storage","auto-read-only":true,"discard":"unmap"})",
      "-blockdev",
      R"({"node-name":"libvirt-1-format","read-only":false,"driver":"qcow2","file":"libvirt-1-storage","backing":null})",
      "-device",
      R"({"driver":"virtio-blk-pci","bus":"pci.0","addr":"0x4","drive":"libvirt-1-format","id":"virtio-disk0","bootindex":1})",
      "-netdev",
      R"({"type":"user","id":"hostnet0"})",
      "-device",
      R"({"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:5e:7a:01","bus":"pci.0","addr":"0x3"})"};
  const std::vector<std::string> chardevs = serial_and_agent(serial, agent_fd);
  devices.insert(devices.end(), chardevs.begin(), chardevs.end());
  const std::vector<std::string> rest = {
      "-device",
      R"({"driver":"usb-tablet","id":"input0","bus":"usb.0","port":"1"})",
      "-audiodev",
      R"({"id":"audio1","driver":"none"})",
      "-device",
      R"({"driver":"VGA","id":"video0","vgamem_mb":16,"bus":"pci.0","addr":"0x2"})",
      "-device",
      R"({"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x5"})",
      "-object",
      R"({"qom-type":"rng-random","id":"objrng0","filename":"/dev/urandom"})",
      "-device",
      R"({"driver":"virtio-rng-pci","rng":"objrng0","id":"rng0","bus":"pci.0","addr":"0x6"})"};
  devices.insert(devices.end(), rest.begin(), rest.end());
  return devices;
}

// The q35 domain's, as `virsh domxml-to-native` gave them for the same
// devices with <controller type='usb' model='none'/>: six root ports in
// slot 2 (one spare), each device behind one, the VGA at 00:01.0.
std::vector<std::string> q35_devices(const std::string& disk, const std::string& serial,
                                     int agent_fd) {
  std::vector<std::string> devices;
  for (int port = 0; port < 6; ++port) {
    const std::string n = std::to_string(port + 1);
    devices.push_back("-device");
    devices.push_back(R"({"driver":"pcie-root-port","port":)" + std::to_string(16 + port) +
                      R"(,"chassis":)" + n + R"(,"id":"pci.)" + n + R"(","bus":"pcie.0",)" +
                      (port == 0 ? R"("multifunction":true,"addr":"0x2"})"
                                 : R"("addr":"0x2.0x)" + std::to_string(port) + R"("})"));
  }
  const std::vector<std::string> disk_and_nic = {
      "-device",
      R"({"driver":"virtio-serial-pci","id":"virtio-serial0","bus":"pci.2","addr":"0x0"})",
      "-blockdev",
      R"({"driver":"file","filename":")" + disk +
          R"(","node-name":"libvirt-1-storage","auto-read-only":true,"discard":"unmap"})",
      "-blockdev",
      R"({"node-name":"libvirt-1-format","read-only":false,"driver":"qcow2","file":"libvirt-1-storage"})",
      "-device",
      R"({"driver":"virtio-blk-pci","bus":"pci.3","addr":"0x0","drive":"libvirt-1-format","id":"virtio-disk0","bootindex":1})",
      "-netdev",
      R"({"type":"user","id":"hostnet0"})",
      "-device",
      R"({"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:12:34:56","bus":"pci.1","addr":"0x0"})"};
  devices.insert(devices.end(), disk_and_nic.begin(), disk_and_nic.end());
  const std::vector<std::string> chardevs = serial_and_agent(serial, agent_fd);
  devices.insert(devices.end(), chardevs.begin(), chardevs.end());
  const std::vector<std::string> rest = {
      "-audiodev",
      R"({"id":"audio1","driver":"none"})",
      "-device",
      R"({"driver":"VGA","id":"video0","vgamem_mb":16,"bus":"pcie.0","addr":"0x1"})",
      "-device",
      R"({"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.4","addr":"0x0"})",
      "-object",
      R"({"qom-type":"rng-random","id":"objrng0","filename":"/dev/urandom"})",
      "-device",
      R"({"driver":"virtio-rng-pci","rng":"objrng0","id":"rng0","bus":"pci.5","addr":"0x0"})"};
  devices.insert(devices.end(), rest.begin(), rest.end());
  return devices;
}

// The devices' ids by bus, slot and function, as libvirt finds them in
// query-pci (those behind a bridge in its pci_bridge member).
void collect_pci_ids(const Json& devices, std::string& ids) {
  for (const Json& d : devices) {
    if (d.contains("qdev_id") && !d["qdev_id"].get<std::string>().empty()) {
      ids += std::to_string(d["bus"].get<int>()) + ":" + std::to_string(d["slot"].get<int>()) +
             "." + std::to_string(d["function"].get<int>()) + "=" +
             d["qdev_id"].get<std::string>() + " ";
    }
    if (d.contains("pci_bridge") && d["pci_bridge"].contains("devices")) {
      collect_pci_ids(d["pci_bridge"]["devices"], ids);
    }
  }
}

LibvirtRun run_like_libvirt(const std::string& emulator, const std::filesystem::path& guest,
                            const LibvirtDomain& domain) {
  const std::string base = ::testing::TempDir() + "/vx86-libvirt-" + std::to_string(getpid()) +
                           "-" + emulator.substr(emulator.rfind('/') + 1);
  const std::string monitor = base + ".monitor", serial = base + ".serial", key = base + ".key",
                    disk = base + ".qcow2", agent = base + ".agent";
  std::filesystem::remove(serial);
  run_command({"qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"});
  std::system(("head -c 32 /dev/urandom > " + key).c_str());
  const int monitor_fd = listening_unix_socket(monitor), agent_fd = listening_unix_socket(agent);
  std::vector<std::string> argv = {
      emulator,
      "-name",
      "guest=vx86-test,debug-threads=on",
      "-S",
      "-object",
      R"({"qom-type":"secret","id":"masterKey0","format":"raw","file":")" + key + R"("})",
      "-machine",
      domain.machine + ",usb=off,dump-guest-core=off,memory-backend=pc.ram",
      "-accel",
      "tcg",
      "-cpu",
      "qemu64",
      "-m",
      "256",
      "-object",
      R"({"qom-type":"memory-backend-ram","id":"pc.ram","size":268435456})",
      "-overcommit",
      "mem-lock=off",
      "-smp",
      "1,sockets=1,cores=1,threads=1",
      "-uuid",
      "7a1c3f0e-2b5d-4c8e-9f60-1d2e3f4a5b6c",
      "-display",
      "none",
      "-no-user-config",
      "-nodefaults",
      "-chardev",
      "socket,id=charmonitor,fd=" + std::to_string(monitor_fd) + ",server=on,wait=off",
      "-mon",
      "chardev=charmonitor,id=monitor,mode=control",
      "-rtc",
      "base=utc,driftfix=slew",
      "-global",
      "kvm-pit.lost_tick_policy=delay",
      "-no-hpet",
      "-no-shutdown",
      "-boot",
      "strict=on",
      "-kernel",
      (guest / "vmlinuz").string(),
      "-initrd",
      (guest / "initramfs.cpio.gz").string(),
      "-append",
      "console=ttyS0 vx86.workload=" + domain.workload};
  const std::vector<std::string> devices = domain.devices(disk, serial, agent_fd);
  argv.insert(argv.end(), devices.begin(), devices.end());
  argv.insert(argv.end(), {"-msg", "timestamp=on"});
  LibvirtRun run;
  Process process(argv);
  close(monitor_fd);
  close(agent_fd);
  QmpClient qmp;
  if (!qmp.connect_unix(monitor)) {
    run.answers.push_back("no monitor");
    return run;
  }
  qmp.next();
  qmp.execute("qmp_capabilities");
  run.answers.push_back(qmp.execute("query-status")["return"].dump());
  run.answers.push_back(qmp.execute("query-uuid")["return"].dump());
  run.answers.push_back(qmp.execute("query-name")["return"].dump());
  run.answers.push_back(qmp.execute("query-balloon")["return"].dump());
  std::string ids;
  collect_pci_ids(qmp.execute("query-pci")["return"][0]["devices"], ids);
  run.answers.push_back(ids);
  qmp.execute("cont");
  const std::string done = "workload " + domain.workload + " done";
  for (int i = 0; i < 1200 && file_text(serial).find(done) == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  // The guest powered off; -no-shutdown keeps the emulator for the monitor.
  const Json shutdown = qmp.wait_event("SHUTDOWN");
  run.answers.push_back(shutdown.is_null() ? "no SHUTDOWN" : shutdown["data"].dump());
  run.answers.push_back(qmp.execute("query-status")["return"].dump());
  qmp.execute("quit");
  process.wait(10s);
  run.serial = file_text(serial);
  for (const std::string& f : {serial, key, disk, agent, monitor}) std::filesystem::remove(f);
  return run;
}

TEST(LibvirtCommandLineTest, TheDebianGuestRunsFromLibvirtsArguments) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  const LibvirtDomain pc = {"pc-i440fx-7.2", "rng", pc_devices};
  const LibvirtRun ours = run_like_libvirt(VX86_BINARY, guest, pc);
  const std::vector<std::string> expected = {
      R"({"running":false,"singlestep":false,"status":"prelaunch"})",
      R"({"UUID":"7a1c3f0e-2b5d-4c8e-9f60-1d2e3f4a5b6c"})",
      R"({"name":"vx86-test"})",
      R"({"actual":268435456})",
      "0:1.2=usb 0:2.0=video0 0:3.0=net0 0:4.0=virtio-disk0 0:5.0=balloon0 0:6.0=rng0 "
      "0:7.0=virtio-serial0 ",
      R"({"guest":true,"reason":"guest-shutdown"})",
      R"({"running":false,"singlestep":false,"status":"shutdown"})"};
  EXPECT_EQ(ours.answers, expected);
  EXPECT_NE(ours.serial.find("vx86-result: rng-bytes 65536"), std::string::npos) << ours.serial;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    const LibvirtRun theirs = run_like_libvirt("qemu-system-x86_64", guest, pc);
    EXPECT_EQ(theirs.answers, ours.answers);
    EXPECT_NE(theirs.serial.find("vx86-result: rng-bytes 65536"), std::string::npos);
  }
}

// The q35 domain: before the guest runs, query-pci has no bus numbers for
// the ports (no firmware ran), so only pcie.0's ids show, as under QEMU;
// the guest's view of the hierarchy (workload pcie) equals QEMU's.
TEST(LibvirtCommandLineTest, TheDebianGuestRunsFromLibvirtsQ35Arguments) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "pcie");
  const LibvirtDomain q35 = {"pc-q35-7.2", "pcie", q35_devices};
  const LibvirtRun ours = run_like_libvirt(VX86_BINARY, guest, q35);
  ASSERT_EQ(ours.answers.size(), 7u);
  EXPECT_EQ(
      ours.answers[4],
      "0:1.0=video0 0:2.0=pci.1 0:2.1=pci.2 0:2.2=pci.3 0:2.3=pci.4 0:2.4=pci.5 0:2.5=pci.6 ");
  EXPECT_EQ(ours.answers[5], R"({"guest":true,"reason":"guest-shutdown"})");
  const std::vector<std::string> results = guest_results(ours.serial, "pcie ");
  expect_results_include(
      results,
      {"vx86-result: pcie pci pci0000:00/0000:00:02.2/0000:03:00.0 0x1af4:0x1042 sub=0x1af4:0x1100 "
       "class=0x010000 irq=22 config=4096 driver=virtio-pci "
       "caps=11@dc,09@c8,09@b4,09@a4,09@94,09@84,01@7c,10@40",
       "vx86-result: pcie net-addr 10.0.2.15/24",
       "vx86-result: pcie irq PCI-MSI 1048577-edge virtio1-virtqueues"});
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    const LibvirtRun theirs = run_like_libvirt("qemu-system-x86_64", guest, q35);
    EXPECT_EQ(theirs.answers, ours.answers);
    EXPECT_EQ(guest_results(theirs.serial, "pcie "), results);
  }
}

}  // namespace
}  // namespace vx86::test
