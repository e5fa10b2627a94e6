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
// name='hpet' present='no'/>).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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

LibvirtRun run_like_libvirt(const std::string& emulator, const std::filesystem::path& guest) {
  const std::string base = ::testing::TempDir() + "/vx86-libvirt-" + std::to_string(getpid()) +
                           "-" + emulator.substr(emulator.rfind('/') + 1);
  const std::string monitor = base + ".monitor", serial = base + ".serial", key = base + ".key",
                    disk = base + ".qcow2", agent = base + ".agent";
  std::filesystem::remove(serial);
  run_command({"qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"});
  std::system(("head -c 32 /dev/urandom > " + key).c_str());
  const int monitor_fd = listening_unix_socket(monitor), agent_fd = listening_unix_socket(agent);
  const std::vector<std::string> argv = {
      emulator,
      "-name",
      "guest=vx86-test,debug-threads=on",
      "-S",
      "-object",
      R"({"qom-type":"secret","id":"masterKey0","format":"raw","file":")" + key + R"("})",
      "-machine",
      "pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
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
      "console=ttyS0 vx86.workload=rng",
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
      R"({"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:5e:7a:01","bus":"pci.0","addr":"0x3"})",
      "-chardev",
      "file,id=charserial0,path=" + serial,
      "-device",
      R"({"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0})",
      "-chardev",
      "socket,id=charchannel0,fd=" + std::to_string(agent_fd) + ",server=on,wait=off",
      "-device",
      R"({"driver":"virtserialport","bus":"virtio-serial0.0","nr":1,"chardev":"charchannel0","id":"channel0","name":"org.qemu.guest_agent.0"})",
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
      R"({"driver":"virtio-rng-pci","rng":"objrng0","id":"rng0","bus":"pci.0","addr":"0x6"})",
      "-msg",
      "timestamp=on"};
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
  // The devices' ids, by PCI slot, as libvirt finds them in query-pci.
  std::string ids;
  const Json pci = qmp.execute("query-pci");
  for (const Json& d : pci["return"][0]["devices"]) {
    if (d.contains("qdev_id") && !d["qdev_id"].get<std::string>().empty()) {
      ids += std::to_string(d["slot"].get<int>()) + "." + std::to_string(d["function"].get<int>()) +
             "=" + d["qdev_id"].get<std::string>() + " ";
    }
  }
  run.answers.push_back(ids);
  qmp.execute("cont");
  for (int i = 0; i < 1200 && file_text(serial).find("workload rng done") == std::string::npos;
       ++i) {
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
  const LibvirtRun ours = run_like_libvirt(VX86_BINARY, guest);
  const std::vector<std::string> expected = {
      R"({"running":false,"singlestep":false,"status":"prelaunch"})",
      R"({"UUID":"7a1c3f0e-2b5d-4c8e-9f60-1d2e3f4a5b6c"})",
      R"({"name":"vx86-test"})",
      R"({"actual":268435456})",
      "1.2=usb 2.0=video0 3.0=net0 4.0=virtio-disk0 5.0=balloon0 6.0=rng0 7.0=virtio-serial0 ",
      R"({"guest":true,"reason":"guest-shutdown"})",
      R"({"running":false,"singlestep":false,"status":"shutdown"})"};
  EXPECT_EQ(ours.answers, expected);
  EXPECT_NE(ours.serial.find("vx86-result: rng-bytes 65536"), std::string::npos) << ours.serial;
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status == 0) {
    const LibvirtRun theirs = run_like_libvirt("qemu-system-x86_64", guest);
    EXPECT_EQ(theirs.answers, ours.answers);
    EXPECT_NE(theirs.serial.find("vx86-result: rng-bytes 65536"), std::string::npos);
  }
}

}  // namespace
}  // namespace vx86::test
