// PCI Express root ports on the q35, laid out as libvirt lays out a q35
// domain (three pcie-root-ports as functions of slot 2, multifunction on
// function 0, in libvirt's JSON form; a virtio-net-pci behind the
// first, a virtio-blk-pci behind the second, the third empty), running the
// Debian guest (workload pcie) beside qemu-system-x86_64: the guest must
// find every function at the same place in the hierarchy with the same
// IDs, subsystem IDs, class, IRQ, configuration space size, driver and
// capability list (the ports' pcieport services, the virtio functions
// modern-only PCI Express endpoints as QEMU makes them there), number the
// buses the same way, read the host's text from the disk, get a DHCP lease
// through the NIC, and take both functions' MSI-X interrupts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

constexpr char kHostText[] = "hello from the host 42\n";

std::vector<std::string> pcie_results(std::vector<std::string> emulator,
                                      const std::filesystem::path& guest, const std::string& tag) {
  const std::string disk =
      ::testing::TempDir() + "/vx86-pcie-" + tag + "-" + std::to_string(getpid()) + ".img";
  {
    std::ofstream out(disk, std::ios::binary);
    std::string data(1u << 20, '\0');
    data.replace(0, sizeof kHostText - 1, kHostText);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  // libvirt's JSON form (QEMU creates JSON -devices after the others, so
  // all of them are JSON here).
  const std::vector<std::string> devices = {
      "-smp",
      "1",
      "-device",
      R"({"driver":"pcie-root-port","port":16,"chassis":1,"id":"pci.1","bus":"pcie.0",)"
      R"("multifunction":true,"addr":"0x2"})",
      "-device",
      R"({"driver":"pcie-root-port","port":17,"chassis":2,"id":"pci.2","bus":"pcie.0",)"
      R"("addr":"0x2.0x1"})",
      "-device",
      R"({"driver":"pcie-root-port","port":18,"chassis":3,"id":"pci.3","bus":"pcie.0",)"
      R"("addr":"0x2.0x2"})",
      "-drive",
      "if=none,id=d0,format=raw,file=" + disk,
      "-device",
      R"({"driver":"virtio-blk-pci","drive":"d0","bus":"pci.2","addr":"0x0"})",
      "-netdev",
      "user,id=n0",
      "-device",
      R"({"driver":"virtio-net-pci","netdev":"n0","bus":"pci.1","addr":"0x0"})"};
  const std::string serial = run_guest_workload(std::move(emulator), guest, "pcie", devices, tag);
  std::filesystem::remove(disk);
  return guest_results(serial, "pcie ");
}

TEST(PcieRootPortTest, TheGuestSeesThePortsAndWhatIsBehindThemAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "pcie");
  const std::vector<std::string> ours = pcie_results({VX86_BINARY, "-M", "q35"}, guest, "vx86");
  const std::string port =
      " 0x1b36:0x000c sub=0x1b36:0x0000 class=0x060400 irq=22 config=4096 "
      "driver=pcieport caps=10@54,11@48,0d@40";
  const std::string virtio_caps = "caps=11@dc,09@c8,09@b4,09@a4,09@94,09@84,01@7c,10@40";
  const std::vector<std::string> expected_in_ours = {
      "vx86-result: pcie pci pci0000:00/0000:00:02.0" + port,
      "vx86-result: pcie pci pci0000:00/0000:00:02.1" + port,
      "vx86-result: pcie pci pci0000:00/0000:00:02.2" + port,
      "vx86-result: pcie pci pci0000:00/0000:00:02.0/0000:01:00.0 0x1af4:0x1041 sub=0x1af4:0x1100 "
      "class=0x020000 irq=22 config=4096 driver=virtio-pci " +
          virtio_caps,
      "vx86-result: pcie pci pci0000:00/0000:00:02.1/0000:02:00.0 0x1af4:0x1042 sub=0x1af4:0x1100 "
      "class=0x010000 irq=22 config=4096 driver=virtio-pci " +
          virtio_caps,
      "vx86-result: pcie bus 0000:01 0000:00:02.0",
      "vx86-result: pcie bus 0000:02 0000:00:02.1",
      "vx86-result: pcie bus 0000:03 0000:00:02.2",
      "vx86-result: pcie disk hello from the host 42",
      "vx86-result: pcie net-addr 10.0.2.15/24",
      "vx86-result: pcie irq PCI-MSI 524289-edge virtio0-input.0",
      "vx86-result: pcie irq PCI-MSI 1048577-edge virtio1-req.0"};
  expect_results_include(ours, expected_in_ours);
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  EXPECT_EQ(ours,
            pcie_results({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, guest, "qemu"));
}

// A conventional PCI device on the q35 as libvirt places one (an e1000):
// behind a pcie-pci-bridge in a root port. The guest finds the bridge and
// the NIC behind it with QEMU's IDs, capabilities and IRQ, the bridge's 32
// hot-plug slots and the ports', and gets a DHCP lease through the NIC's
// INTx (swizzled through both bridges), as under qemu-system-x86_64.
TEST(PcieRootPortTest, AnE1000BehindAPciePciBridgeAsUnderQemu) {
  SKIP_WITHOUT_DEBIAN_GUEST(guest);
  SKIP_WITHOUT_WORKLOAD(guest, "pcie");
  const std::vector<std::string> devices = {
      "-smp",
      "1",
      "-nodefaults",
      "-device",
      R"({"driver":"pcie-root-port","port":16,"chassis":1,"id":"pci.1","bus":"pcie.0",)"
      R"("multifunction":true,"addr":"0x2"})",
      "-device",
      R"({"driver":"pcie-root-port","port":17,"chassis":2,"id":"pci.3","bus":"pcie.0",)"
      R"("addr":"0x2.0x1"})",
      "-device",
      R"({"driver":"pcie-pci-bridge","id":"pci.2","bus":"pci.1","addr":"0x0"})",
      "-netdev",
      "user,id=n0",
      "-device",
      R"({"driver":"e1000","netdev":"n0","id":"net0","bus":"pci.2","addr":"0x1"})"};
  auto results = [&](std::vector<std::string> emulator, const std::string& tag) {
    return guest_results(run_guest_workload(std::move(emulator), guest, "pcie", devices, tag),
                         "pcie ");
  };
  const std::vector<std::string> ours = results({VX86_BINARY, "-M", "q35"}, "vx86-bridge");
  expect_results_include(
      ours, {"vx86-result: pcie pci pci0000:00/0000:00:02.0/0000:01:00.0 0x1b36:0x000e "
             "sub=0x0000:0x0000 class=0x060400 irq=22 config=4096 driver=none "
             "caps=05@8c,01@84,10@48,0c@40",
             "vx86-result: pcie pci pci0000:00/0000:00:02.0/0000:01:00.0/0000:02:01.0 "
             "0x8086:0x100e sub=0x1af4:0x1100 class=0x020000 irq=23 config=256 driver=e1000 caps=",
             "vx86-result: pcie bus 0000:02 0000:01:00.0", "vx86-result: pcie slot 1 0000:02:01",
             "vx86-result: pcie slot 0-2 0000:03:00", "vx86-result: pcie net-addr 10.0.2.15/24"});
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  EXPECT_EQ(ours, results({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, "qemu-bridge"));
}

}  // namespace
}  // namespace vx86::test
